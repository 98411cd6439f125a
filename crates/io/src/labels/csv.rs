//! Labels as CSV: `address,entity,category[,source,confidence][,chain][,kind]` with a
//! header, parsed strictly (no other column). Without a `chain` column the chain is taken
//! from the address form. `kind` (`ownership` / `risk`) sets a row's role; without it the
//! file's `[[labels]] kind`, else the category, decides ([`super::kind`]).

use super::{canonical, chain_of_address, Label, LabelRole, Parsed, RolePolicy};
use crate::error::{IoError, Result};

/// Columns a labels CSV must have.
const REQUIRED: [&str; 3] = ["address", "entity", "category"];
/// Columns it may have.
const OPTIONAL: [&str; 4] = ["source", "confidence", "chain", "kind"];

/// How every labels format reads CSV text: a header, trimmed fields, rows of any length.
fn reader(text: &str) -> ::csv::Reader<&[u8]> {
    ::csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .trim(::csv::Trim::All)
        .from_reader(text.as_bytes())
}

/// The lowercase header of a CSV text, if it has one.
pub fn header(text: &str) -> Option<Vec<String>> {
    let h = reader(text).headers().ok()?.clone();
    Some(h.iter().map(|c| c.to_ascii_lowercase()).collect())
}

/// A CSV text's lowercase header and its records with their 0-based row numbers.
pub type Table = (Vec<String>, Vec<(i64, ::csv::StringRecord)>);

/// Reads a CSV text as a [`Table`]; an unreadable header or row is an error naming the
/// file (and row).
pub fn table(file: &str, text: &str) -> Result<Table> {
    let corrupt = |reason: String| IoError::Corrupt {
        file: file.to_string(),
        reason,
    };
    let mut rdr = reader(text);
    let headers = rdr
        .headers()
        .map_err(|e| corrupt(e.to_string()))?
        .iter()
        .map(|h| h.to_ascii_lowercase())
        .collect();
    let mut rows = Vec::new();
    for (row, rec) in rdr.records().enumerate() {
        let row = row as i64;
        rows.push((row, rec.map_err(|e| corrupt(format!("row {row}: {e}")))?));
    }
    Ok((headers, rows))
}

/// Parses a labels CSV. A missing required column or an unknown one is an error naming
/// the file.
pub fn parse(file: &str, text: &str, policy: &RolePolicy) -> Result<Parsed> {
    let (headers, rows) = table(file, text)?;
    // Strict: a missing or misspelled column would silently drop what it holds (without
    // `category` no label is an exchange, and a run would publish no exchange at all).
    let unknown: Vec<&str> = headers
        .iter()
        .map(String::as_str)
        .filter(|h| !REQUIRED.contains(h) && !OPTIONAL.contains(h))
        .collect();
    let missing: Vec<&str> = REQUIRED
        .iter()
        .copied()
        .filter(|r| !headers.iter().any(|h| h == r))
        .collect();
    if !missing.is_empty() || !unknown.is_empty() {
        let mut problems = Vec::new();
        if !missing.is_empty() {
            problems.push(format!("missing column(s) {}", missing.join(",")));
        }
        if !unknown.is_empty() {
            problems.push(format!("unknown column(s) {}", unknown.join(",")));
        }
        return Err(IoError::Config(format!(
            "{file}: labels CSV: {}; the columns are {}[,{}] (found {})",
            problems.join(", "),
            REQUIRED.join(","),
            OPTIONAL.join(","),
            headers.join(",")
        )));
    }
    let idx = |n: &str| headers.iter().position(|h| h == n);
    let (Some(ia), Some(ie)) = (idx("address"), idx("entity")) else {
        return Err(IoError::Config(format!(
            "{file}: labels CSV needs columns {}",
            REQUIRED.join(",")
        )));
    };
    let (ic, is, ico, ich, ik) = (
        idx("category"),
        idx("source"),
        idx("confidence"),
        idx("chain"),
        idx("kind"),
    );
    let mut out = Parsed::default();
    for (row, rec) in rows {
        let get = |i: Option<usize>| i.and_then(|i| rec.get(i)).filter(|s| !s.is_empty());
        let address = get(Some(ia)).unwrap_or_default().to_string();
        let Some(entity) = get(Some(ie)) else {
            out.reject(file, row, &address, "entity missing".into());
            continue;
        };
        let chain = match get(ich).map(str::to_ascii_lowercase) {
            Some(c) => c,
            None => match chain_of_address(&address) {
                Some(c) => c.to_string(),
                None => {
                    out.reject(file, row, &address, "address of no known chain".into());
                    continue;
                }
            },
        };
        let category = get(ic).map(str::to_ascii_lowercase);
        let role = match get(ik).map(str::to_ascii_lowercase).as_deref() {
            None => policy.role_of_category(category.as_deref()),
            Some("ownership") => LabelRole::Ownership,
            Some("risk") => LabelRole::Risk,
            Some(other) => {
                out.reject(
                    file,
                    row,
                    &address,
                    format!("kind '{other}' is neither ownership nor risk"),
                );
                continue;
            }
        };
        match canonical(&chain, &address) {
            Ok(a) => {
                let mut l = Label::new(
                    &chain,
                    a,
                    entity,
                    category,
                    get(is)
                        .map(str::to_string)
                        .unwrap_or_else(|| file.to_string()),
                    get(ico).map(str::to_string),
                );
                l.role = role;
                out.push(file, row, l);
            }
            Err(reason) => out.reject(file, row, &address, reason),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_rejects() {
        let text = "address,entity,category,source,confidence\n\
            0xBE0EB53F46CD790CD13851D5EFF43D12404D33E8,Binance,exchange,etherscan,90\n\
            TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t,Tether,issuer,,\n\
            1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa,Satoshi,,,\n\
            0x1234,Broken,exchange,,\n\
            0xbe0eb53f46cd790cd13851d5eff43d12404d33e8,,exchange,,\n";
        let p = parse("l.csv", text, &RolePolicy::default()).unwrap();
        let (labels, rejects) = (p.labels, p.rejects);
        assert_eq!(labels.len(), 3);
        assert_eq!(
            labels[0].address,
            "0xbe0eb53f46cd790cd13851d5eff43d12404d33e8"
        );
        assert_eq!(labels[0].entity, "binance");
        assert_eq!(labels[0].confidence.as_deref(), Some("90"));
        assert_eq!(labels[1].chain, "tron");
        assert_eq!(labels[2].chain, "bitcoin");
        assert_eq!(labels[2].source, "l.csv");
        assert_eq!(rejects.len(), 2);
        assert_eq!(rejects[0].row, 3);
        assert_eq!(rejects[1].reason, "entity missing");
    }

    #[test]
    fn a_missing_or_misspelled_column_is_an_error_naming_the_file() {
        for (header, says) in [
            ("address,entity,source", "missing column(s) category"),
            (
                "address,entity,categroy",
                "missing column(s) category, unknown column(s) categroy",
            ),
            ("address,entity,category,owner", "unknown column(s) owner"),
        ] {
            let text = format!("{header}\n0xbe0eb53f46cd790cd13851d5eff43d12404d33e8,binance,x\n");
            let err = parse("labels/l.csv", &text, &RolePolicy::default())
                .unwrap_err()
                .to_string();
            assert!(err.contains("labels/l.csv: labels CSV: "), "{err}");
            assert!(err.contains(says), "{header}: {err}");
        }
        assert!(parse(
            "l.csv",
            "Address,Entity,Category,Chain\n",
            &RolePolicy::default()
        )
        .is_ok());
    }

    #[test]
    fn risk_rows_are_attributes_and_the_zero_address_is_rejected() {
        let text = "address,entity,category,kind\n\
            0x098B716B8Aaf21512996dC57EB0615e2383E2f96,lazarus group,user,risk\n\
            0xa0e1c89Ef1a489c9C7dE96311eD5Ce5D32c20E4B,scammer,scam,\n\
            0xbe0eb53f46cd790cd13851d5eff43d12404d33e8,binance,exchange,\n\
            0x0000000000000000000000000000000000000000,tether,black_list,\n\
            0x3Cffd56B47B7b41c56258D9C7731ABaDc360E073,x,exchange,maybe\n";
        let p = parse("l.csv", text, &RolePolicy::default()).unwrap();
        let roles: Vec<(&str, LabelRole)> = p
            .labels
            .iter()
            .map(|l| (l.entity.as_str(), l.role))
            .collect();
        assert_eq!(
            roles,
            [
                ("lazarus group", LabelRole::Risk),
                ("scammer", LabelRole::Risk),
                ("binance", LabelRole::Ownership)
            ]
        );
        assert_eq!(p.rejects.len(), 2);
        assert!(
            p.rejects[0].reason.contains("zero address"),
            "{:?}",
            p.rejects
        );
        assert!(
            p.rejects[1].reason.contains("kind 'maybe'"),
            "{:?}",
            p.rejects
        );
    }
}
