//! OFAC sanctions lists as address lists: the per-asset text files derived from the SDN
//! list (`sanctioned_addresses_<ASSET>.txt`, one address per line, as published by
//! 0xB10C's `ofac-sanctioned-digital-currency-addresses`) and the `address,name` CSV of
//! SDN-listed Ethereum addresses. Every entry is a `sanction` risk attribute: the SDN
//! list says who is sanctioned, not that two addresses have one owner, so nothing is
//! linked (a `[[labels]] kind` still overrides).

use super::{canonical, chain_of_address, Label, LabelRole, Parsed, RolePolicy};
use crate::error::Result;

/// Whether a CSV header is the `address,name` sanctions list.
pub fn is_name_list_header(header: &[String]) -> bool {
    header == ["address", "name"]
}

/// The asset a per-asset list is named after (`XBT` of `sanctioned_addresses_XBT.txt`).
fn asset_of(file: &str) -> Option<String> {
    let name = file.rsplit(['/', '\\']).next()?;
    let stem = name.rsplit_once('.').map_or(name, |(s, _)| s);
    let asset = stem.rsplit_once('_')?.1;
    (!asset.is_empty()).then(|| asset.to_ascii_uppercase())
}

/// The chain of `address` in a list of `asset` (none: from the address form).
fn chain_for(asset: Option<&str>, address: &str) -> std::result::Result<&'static str, String> {
    let by_form =
        || chain_of_address(address).ok_or_else(|| "address of no known chain".to_string());
    match asset {
        Some("XBT" | "BTC") => Ok("bitcoin"),
        Some("ETH") => Ok("ethereum"),
        Some("TRX") => Ok("tron"),
        // tokens live on several chains; the address form tells Ethereum from TRON
        Some("USDT" | "USDC" | "DAI") | None => by_form(),
        Some(other) => Err(format!("asset {other}: chainstat reads no such chain")),
    }
}

/// Parses a sanctions list: one address per line (`#` comments and blank lines
/// skipped), or the `address,name` CSV.
pub fn parse(file: &str, text: &str, policy: &RolePolicy) -> Result<Parsed> {
    let role = policy.forced.unwrap_or(LabelRole::Risk);
    let mut out = Parsed::default();
    if super::csv::header(text)
        .as_deref()
        .is_some_and(is_name_list_header)
    {
        for (row, rec) in super::csv::table(file, text)?.1 {
            let address = rec.get(0).unwrap_or_default();
            let name = rec.get(1).filter(|n| !n.is_empty()).unwrap_or("ofac sdn");
            entry(&mut out, file, row, address, None, name, role);
        }
        return Ok(out);
    }
    let asset = asset_of(file);
    for (row, line) in text.lines().enumerate() {
        let address = line.trim();
        if address.is_empty() || address.starts_with('#') {
            continue;
        }
        entry(
            &mut out,
            file,
            row as i64,
            address,
            asset.as_deref(),
            "ofac sdn",
            role,
        );
    }
    Ok(out)
}

fn entry(
    out: &mut Parsed,
    file: &str,
    row: i64,
    address: &str,
    asset: Option<&str>,
    name: &str,
    role: LabelRole,
) {
    let chain = match chain_for(asset, address) {
        Ok(c) => c,
        Err(reason) => return out.reject(file, row, address, reason),
    };
    match canonical(chain, address) {
        Ok(a) => {
            let mut l = Label::new(
                chain,
                a,
                name,
                Some("sanction".into()),
                file.to_string(),
                Some("authority_data".into()),
            );
            l.role = role;
            l.links = false;
            l.list = Some(match asset {
                Some(x) => format!("OFAC SDN ({x})"),
                None => "OFAC SDN".into(),
            });
            out.push(file, row, l);
        }
        Err(reason) => out.reject(file, row, address, reason),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn per_asset_lists_take_the_chain_from_the_file_name() {
        let p = parse(
            "s3://b/sanctioned_addresses_USDT.txt",
            "0x175d44451403Edf28469dF03A9280c1197ADb92c\n\nTBHTJqAy4DhHhmT3dNceJYNRz4SdLofLre\n# note\nnot-an-address\n",
            &RolePolicy::default(),
        )
        .unwrap();
        let got: Vec<(&str, &str, LabelRole, bool)> = p
            .labels
            .iter()
            .map(|l| {
                (
                    l.chain.as_str(),
                    l.list.as_deref().unwrap(),
                    l.role,
                    l.links,
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                ("ethereum", "OFAC SDN (USDT)", LabelRole::Risk, false),
                ("tron", "OFAC SDN (USDT)", LabelRole::Risk, false)
            ]
        );
        assert_eq!(
            p.labels[0].address,
            "0x175d44451403edf28469df03a9280c1197adb92c"
        );
        assert_eq!(p.rejects.len(), 1);
        assert_eq!(p.rejects[0].row, 4);
        let bsc = parse(
            "sanctioned_addresses_BSC.txt",
            "0x175d44451403Edf28469dF03A9280c1197ADb92c\n",
            &RolePolicy::default(),
        )
        .unwrap();
        assert!(bsc.labels.is_empty());
        assert!(
            bsc.rejects[0].reason.contains("asset BSC"),
            "{:?}",
            bsc.rejects
        );
        let btc = parse(
            "sanctioned_addresses_XBT.txt",
            "123WBUDmSJv4GctdVEz6Qq6z8nXSKrJ4KX\n",
            &RolePolicy::default(),
        )
        .unwrap();
        assert_eq!(btc.labels[0].chain, "bitcoin");
    }

    #[test]
    fn the_name_list_keeps_the_sdn_name() {
        let p = parse(
            "data.csv",
            "address,name\n0x098B716B8Aaf21512996dC57EB0615e2383E2f96,\"LAZARUS GROUP\"\n",
            &RolePolicy::default(),
        )
        .unwrap();
        assert_eq!(p.labels[0].entity, "lazarus group");
        assert_eq!(p.labels[0].category.as_deref(), Some("sanction"));
        assert_eq!(p.labels[0].role, LabelRole::Risk);
    }
}
