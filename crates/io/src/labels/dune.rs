//! Dune-style exchange address CSVs (the columns of Dune's `cex.addresses`:
//! `blockchain,address,cex_name[,distinct_name,added_by,added_date]`): each row says an
//! exchange owns the address, so it is an ownership label of category `exchange` whose
//! entity is `cex_name`.

use super::{canonical, Label, LabelRole, Parsed, RolePolicy};
use crate::error::{IoError, Result};

/// Columns a Dune-style CSV must have.
const REQUIRED: [&str; 3] = ["blockchain", "address", "cex_name"];

/// Whether a CSV header is Dune's.
pub fn is_dune_header(header: &[String]) -> bool {
    REQUIRED.iter().all(|r| header.iter().any(|h| h == r))
}

/// Parses a Dune-style CSV; other columns than the required ones are kept out.
pub fn parse(file: &str, text: &str, policy: &RolePolicy) -> Result<Parsed> {
    let (header, rows) = super::csv::table(file, text)?;
    let idx = |n: &str| header.iter().position(|h| h == n);
    let (Some(ib), Some(ia), Some(ie)) = (idx("blockchain"), idx("address"), idx("cex_name"))
    else {
        return Err(IoError::Config(format!(
            "{file}: Dune-style labels need the columns {} (found {})",
            REQUIRED.join(","),
            header.join(",")
        )));
    };
    let (idn, iadd) = (idx("distinct_name"), idx("added_by"));
    let mut out = Parsed::default();
    for (row, rec) in rows {
        let get = |i: Option<usize>| i.and_then(|i| rec.get(i)).filter(|s| !s.is_empty());
        let address = get(Some(ia)).unwrap_or_default();
        let Some(entity) = get(Some(ie)) else {
            out.reject(file, row, address, "cex_name missing".into());
            continue;
        };
        let chain = match get(Some(ib)).map(str::to_ascii_lowercase).as_deref() {
            Some(c @ ("ethereum" | "tron" | "bitcoin")) => c.to_string(),
            Some(other) => {
                out.reject(
                    file,
                    row,
                    address,
                    format!("blockchain {other}: chainstat reads no such chain"),
                );
                continue;
            }
            None => {
                out.reject(file, row, address, "blockchain missing".into());
                continue;
            }
        };
        match canonical(&chain, address) {
            Ok(a) => {
                let source = match get(iadd) {
                    Some(by) => format!("{file} (added by {by})"),
                    None => file.to_string(),
                };
                let mut l = Label::new(&chain, a, entity, Some("exchange".into()), source, None);
                l.role = policy.forced.unwrap_or(LabelRole::Ownership);
                l.list = get(idn).map(str::to_string);
                out.push(file, row, l);
            }
            Err(reason) => out.reject(file, row, address, reason),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_exchange_ownership_and_other_chains_are_counted() {
        let text = "blockchain,address,cex_name,distinct_name,added_by,added_date\n\
            ethereum,0x28C6c06298d514Db089934071355E5743bf21d60,Binance,Binance 14,hildobby,2023-08-31\n\
            bnb,0x28C6c06298d514Db089934071355E5743bf21d60,Binance,Binance 14,hildobby,2023-08-31\n\
            tron,TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t,OKX,,,\n";
        let p = parse("cex.csv", text, &RolePolicy::default()).unwrap();
        assert_eq!(p.labels.len(), 2);
        assert_eq!(p.labels[0].entity, "binance");
        assert_eq!(p.labels[0].category.as_deref(), Some("exchange"));
        assert!(p.labels[0].source.contains("hildobby"));
        assert_eq!(
            (p.labels[1].chain.as_str(), p.labels[1].role),
            ("tron", LabelRole::Ownership)
        );
        assert!(p.rejects[0].reason.contains("blockchain bnb"));
        assert!(is_dune_header(&super::super::csv::header(text).unwrap()));
        assert!(parse("x.csv", "blockchain,address\n", &RolePolicy::default()).is_err());
    }
}
