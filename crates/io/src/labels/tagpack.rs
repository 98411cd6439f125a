//! GraphSense TagPacks (YAML): a header (`title`, `creator`, `label`, `category`,
//! `source`, `currency`, `confidence`, `actor`, …) whose fields each tag inherits unless
//! it sets its own. The entity is the tag's `actor` (GraphSense's entity id) when given,
//! else its `label`. Currencies map to chains: BTC → bitcoin, ETH → ethereum, TRX →
//! tron; token tags (USDT, USDC) take the chain from the address form.

use serde::Deserialize;

use super::{canonical, chain_of_address, Label, LabelReject};
use crate::error::{IoError, Result};

#[derive(Debug, Default, Deserialize)]
struct Fields {
    label: Option<String>,
    category: Option<String>,
    source: Option<String>,
    currency: Option<String>,
    confidence: Option<serde_yaml::Value>,
    actor: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Tag {
    address: Option<serde_yaml::Value>,
    #[serde(flatten)]
    fields: Fields,
}

#[derive(Debug, Deserialize)]
struct Pack {
    title: Option<String>,
    #[serde(flatten)]
    header: Fields,
    #[serde(default)]
    tags: Vec<Tag>,
}

fn value_text(v: &serde_yaml::Value) -> Option<String> {
    match v {
        serde_yaml::Value::String(s) => Some(s.clone()),
        serde_yaml::Value::Number(n) => Some(n.to_string()),
        serde_yaml::Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn chain_for(currency: &str, address: &str) -> Option<&'static str> {
    match currency.to_ascii_uppercase().as_str() {
        "BTC" => Some("bitcoin"),
        "ETH" => Some("ethereum"),
        "TRX" => Some("tron"),
        "USDT" | "USDC" | "DAI" | "BUSD" => chain_of_address(address),
        _ => None,
    }
}

/// Parses one TagPack.
pub fn parse(file: &str, text: &str) -> Result<(Vec<Label>, Vec<LabelReject>)> {
    let pack: Pack = serde_yaml::from_str(text).map_err(|e| IoError::Corrupt {
        file: file.to_string(),
        reason: format!("not a TagPack: {e}"),
    })?;
    let mut labels = Vec::new();
    let mut rejects = Vec::new();
    for (row, tag) in pack.tags.iter().enumerate() {
        let row = row as i64;
        let address = tag
            .address
            .as_ref()
            .and_then(value_text)
            .unwrap_or_default();
        let reject = |reason: String| LabelReject {
            file: file.to_string(),
            row,
            address: address.clone(),
            reason,
        };
        let f = &tag.fields;
        let h = &pack.header;
        let currency = f.currency.as_ref().or(h.currency.as_ref());
        let Some(currency) = currency else {
            rejects.push(reject("no currency".into()));
            continue;
        };
        let Some(chain) = chain_for(currency, &address) else {
            rejects.push(reject(format!("currency {currency} not supported")));
            continue;
        };
        let entity = f
            .actor
            .as_ref()
            .or(h.actor.as_ref())
            .or(f.label.as_ref())
            .or(h.label.as_ref())
            .or(pack.title.as_ref());
        let Some(entity) = entity else {
            rejects.push(reject("no actor or label".into()));
            continue;
        };
        match canonical(chain, &address) {
            Ok(a) => labels.push(Label {
                chain: chain.to_string(),
                address: a,
                entity: entity.trim().to_ascii_lowercase(),
                category: f
                    .category
                    .as_ref()
                    .or(h.category.as_ref())
                    .map(|c| c.to_ascii_lowercase()),
                source: f
                    .source
                    .as_ref()
                    .or(h.source.as_ref())
                    .cloned()
                    .unwrap_or_else(|| file.to_string()),
                confidence: f
                    .confidence
                    .as_ref()
                    .or(h.confidence.as_ref())
                    .and_then(value_text),
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
    fn header_fields_are_inherited() {
        let text = "title: t\ncategory: exchange\nactor: binance\nconfidence: service_data\nsource: https://x\n\
            tags:\n- address: '34xp4vRoCGJym3xR7yCVPFHoCNxv4Twseo'\n  currency: BTC\n\
            - address: '0xbe0eb53f46cd790cd13851d5eff43d12404d33e8'\n  currency: ETH\n  actor: other\n\
            - address: 'LTC1'\n  currency: LTC\n\
            - address: 'TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t'\n  currency: USDT\n";
        let (labels, rejects) = parse("p.yaml", text).unwrap();
        assert_eq!(labels.len(), 3);
        assert_eq!(labels[0].entity, "binance");
        assert_eq!(labels[0].chain, "bitcoin");
        assert_eq!(labels[0].confidence.as_deref(), Some("service_data"));
        assert_eq!(labels[1].entity, "other");
        assert_eq!(labels[2].chain, "tron");
        assert_eq!(rejects.len(), 1);
        assert!(rejects[0].reason.contains("LTC"));
    }
}
