//! Labels as CSV: `address,entity,category[,source,confidence][,chain]` with a header.
//! Without a `chain` column the chain is taken from the address form.

use super::{canonical, chain_of_address, Label, LabelReject};
use crate::error::{IoError, Result};

/// Parses a labels CSV.
pub fn parse(file: &str, text: &str) -> Result<(Vec<Label>, Vec<LabelReject>)> {
    let mut rdr = ::csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .trim(::csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers: Vec<String> = rdr
        .headers()
        .map_err(|e| IoError::Corrupt {
            file: file.to_string(),
            reason: e.to_string(),
        })?
        .iter()
        .map(|h| h.to_ascii_lowercase())
        .collect();
    let idx = |n: &str| headers.iter().position(|h| h == n);
    let (Some(ia), Some(ie)) = (idx("address"), idx("entity")) else {
        return Err(IoError::Config(format!(
            "{file}: labels CSV needs columns address,entity[,category,source,confidence,chain]; found {}",
            headers.join(",")
        )));
    };
    let (ic, is, ico, ich) = (
        idx("category"),
        idx("source"),
        idx("confidence"),
        idx("chain"),
    );
    let mut labels = Vec::new();
    let mut rejects = Vec::new();
    for (row, rec) in rdr.records().enumerate() {
        let row = row as i64;
        let rec = rec.map_err(|e| IoError::Corrupt {
            file: file.to_string(),
            reason: format!("row {row}: {e}"),
        })?;
        let get = |i: Option<usize>| i.and_then(|i| rec.get(i)).filter(|s| !s.is_empty());
        let address = get(Some(ia)).unwrap_or_default().to_string();
        let reject = |reason: String| LabelReject {
            file: file.to_string(),
            row,
            address: address.clone(),
            reason,
        };
        let Some(entity) = get(Some(ie)) else {
            rejects.push(reject("entity missing".into()));
            continue;
        };
        let chain = match get(ich).map(str::to_ascii_lowercase) {
            Some(c) => c,
            None => match chain_of_address(&address) {
                Some(c) => c.to_string(),
                None => {
                    rejects.push(reject("address of no known chain".into()));
                    continue;
                }
            },
        };
        match canonical(&chain, &address) {
            Ok(a) => labels.push(Label {
                chain,
                address: a,
                entity: entity.to_ascii_lowercase(),
                category: get(ic).map(str::to_ascii_lowercase),
                source: get(is)
                    .map(str::to_string)
                    .unwrap_or_else(|| file.to_string()),
                confidence: get(ico).map(str::to_string),
            }),
            Err(reason) => rejects.push(reject(reason)),
        }
    }
    Ok((labels, rejects))
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
        let (labels, rejects) = parse("l.csv", text).unwrap();
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
}
