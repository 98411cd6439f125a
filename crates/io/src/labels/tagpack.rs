//! GraphSense TagPacks (YAML): a header (`title`, `creator`, `label`, `category`,
//! `source`, `currency`, `network`, `confidence`, `actor`, `is_cluster_definer`,
//! `tag_type`, `abuse`, `concepts`, …) whose fields each tag inherits unless it sets its
//! own. The chain is the tag's `network` (BTC → bitcoin, ETH → ethereum, TRX → tron),
//! else its `currency`; token tags (USDT, USDC) take the chain from the address form.
//!
//! The fields decide what a tag asserts ([`super::kind`]):
//! - a **risk attribute** when it has an `abuse`, says `is_cluster_definer: false`, has
//!   a `tag_type` other than `actor`, or its category or one of its `concepts` is a risk
//!   category (or the `[[labels]]` entry says `kind = "risk"`);
//! - otherwise **ownership** of the address by its `actor` (GraphSense's entity id), else
//!   by its `label`. Only a tag with an `actor` or `is_cluster_definer: true` links the
//!   addresses of its entity; GraphSense applies any other tag to its address alone.

use serde::Deserialize;

use super::{canonical, chain_of_address, Label, LabelRole, Parsed, RolePolicy};
use crate::error::{IoError, Result};

#[derive(Debug, Default, Deserialize)]
struct Fields {
    label: Option<String>,
    category: Option<String>,
    source: Option<String>,
    currency: Option<String>,
    network: Option<String>,
    confidence: Option<serde_yaml::Value>,
    actor: Option<String>,
    is_cluster_definer: Option<bool>,
    tag_type: Option<String>,
    abuse: Option<String>,
    concepts: Option<Vec<String>>,
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

/// A tag's field, else the header's.
fn pick<'a, T>(
    tag: &'a Fields,
    header: &'a Fields,
    f: impl Fn(&'a Fields) -> Option<&'a T>,
) -> Option<&'a T>
where
    T: ?Sized,
{
    f(tag).or_else(|| f(header))
}

/// What a tag asserts, from its (inherited) fields.
fn role_of(f: &Fields, h: &Fields, category: Option<&str>, policy: &RolePolicy) -> LabelRole {
    if let Some(r) = policy.forced {
        return r;
    }
    let abuse = pick(f, h, |x| x.abuse.as_deref()).is_some_and(|a| !a.trim().is_empty());
    let not_definer = f.is_cluster_definer.or(h.is_cluster_definer) == Some(false);
    let event_tag = pick(f, h, |x| x.tag_type.as_deref())
        .is_some_and(|t| !t.trim().eq_ignore_ascii_case("actor"));
    let risky_concept = pick(f, h, |x| x.concepts.as_ref())
        .is_some_and(|cs| cs.iter().any(|c| policy.is_risk_category(c)));
    let risky_category = category.is_some_and(|c| policy.is_risk_category(c));
    if abuse || not_definer || event_tag || risky_concept || risky_category {
        LabelRole::Risk
    } else {
        LabelRole::Ownership
    }
}

/// Parses one TagPack.
pub fn parse(file: &str, text: &str, policy: &RolePolicy) -> Result<Parsed> {
    let pack: Pack = serde_yaml::from_str(text).map_err(|e| IoError::Corrupt {
        file: file.to_string(),
        reason: format!("not a TagPack: {e}"),
    })?;
    let mut out = Parsed::default();
    for (row, tag) in pack.tags.iter().enumerate() {
        let row = row as i64;
        let address = tag
            .address
            .as_ref()
            .and_then(value_text)
            .unwrap_or_default();
        let (f, h) = (&tag.fields, &pack.header);
        let network = pick(f, h, |x| x.network.as_deref());
        let currency = pick(f, h, |x| x.currency.as_deref());
        let Some(currency) = network.or(currency) else {
            out.reject(file, row, &address, "no network or currency".into());
            continue;
        };
        let Some(chain) = chain_for(currency, &address) else {
            out.reject(
                file,
                row,
                &address,
                format!("currency {currency} not supported"),
            );
            continue;
        };
        let actor = pick(f, h, |x| x.actor.as_deref());
        let label = pick(f, h, |x| x.label.as_deref()).or(pack.title.as_deref());
        let Some(entity) = actor.or(label) else {
            out.reject(file, row, &address, "no actor or label".into());
            continue;
        };
        let category = pick(f, h, |x| x.abuse.as_deref())
            .filter(|a| !a.trim().is_empty())
            .or_else(|| pick(f, h, |x| x.category.as_deref()))
            .map(|c| c.trim().to_ascii_lowercase());
        let role = role_of(f, h, pick(f, h, |x| x.category.as_deref()), policy);
        match canonical(chain, &address) {
            Ok(a) => {
                let mut l = Label::new(
                    chain,
                    a,
                    entity,
                    // an ownership label keeps its owner's category (`exchange`), a risk
                    // label its abuse (`sanction`) when it has one
                    if role == LabelRole::Ownership {
                        pick(f, h, |x| x.category.as_deref()).map(|c| c.trim().to_ascii_lowercase())
                    } else {
                        category
                    },
                    pick(f, h, |x| x.source.as_deref())
                        .map(str::to_string)
                        .unwrap_or_else(|| file.to_string()),
                    f.confidence
                        .as_ref()
                        .or(h.confidence.as_ref())
                        .and_then(value_text),
                );
                l.role = role;
                l.links =
                    actor.is_some() || f.is_cluster_definer.or(h.is_cluster_definer) == Some(true);
                l.list = label.map(|s| s.trim().to_string());
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
    fn header_fields_are_inherited() {
        let text = "title: t\ncategory: exchange\nactor: binance\nconfidence: service_data\nsource: https://x\n\
            tags:\n- address: '34xp4vRoCGJym3xR7yCVPFHoCNxv4Twseo'\n  currency: BTC\n\
            - address: '0xbe0eb53f46cd790cd13851d5eff43d12404d33e8'\n  currency: ETH\n  actor: other\n\
            - address: 'LTC1'\n  currency: LTC\n\
            - address: 'TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t'\n  currency: USDT\n";
        let p = parse("p.yaml", text, &RolePolicy::default()).unwrap();
        let (labels, rejects) = (p.labels, p.rejects);
        assert_eq!(labels.len(), 3);
        assert_eq!(labels[0].entity, "binance");
        assert_eq!(labels[0].chain, "bitcoin");
        assert_eq!(labels[0].confidence.as_deref(), Some("service_data"));
        assert_eq!(labels[1].entity, "other");
        assert_eq!(labels[2].chain, "tron");
        assert_eq!(rejects.len(), 1);
        assert!(rejects[0].reason.contains("LTC"));
        assert!(labels
            .iter()
            .all(|l| l.role == LabelRole::Ownership && l.links));
    }

    #[test]
    fn risk_fields_make_attributes_and_label_only_tags_do_not_link() {
        let pack = |header: &str| {
            let text = format!(
                "title: t\n{header}\ntags:\n- address: '0x008fe40574e881e7247b50b991c0cc057d66647f'\n  currency: ETH\n"
            );
            let p = parse("p.yaml", &text, &RolePolicy::default()).unwrap();
            assert_eq!(p.labels.len(), 1, "{header}: {:?}", p.rejects);
            p.labels.into_iter().next().unwrap()
        };
        for header in [
            "label: USDT_blacklisted\nis_cluster_definer: false\ncategory: exchange",
            "label: x\nactor: lazarusgroup\nabuse: sanction\ncategory: user",
            "label: x\ntag_type: event",
            "label: x\ncategory: black_list",
            "label: x\nconcepts: [exchange, scam]",
        ] {
            assert_eq!(pack(header).role, LabelRole::Risk, "{header}");
        }
        let sanction =
            pack("label: Lazarus group\nactor: lazarusgroup\nabuse: sanction\ncategory: user");
        assert_eq!(sanction.category.as_deref(), Some("sanction"));
        assert_eq!(sanction.list.as_deref(), Some("Lazarus group"));
        let listed =
            pack("label: Asset listed under US Treasury OFAC Sanctions List\ncategory: user");
        assert_eq!((listed.role, listed.links), (LabelRole::Ownership, false));
        let definer = pack("label: Hydra Market\nis_cluster_definer: true\ncategory: market");
        assert_eq!((definer.role, definer.links), (LabelRole::Ownership, true));
        let network = parse(
            "p.yaml",
            "label: x\nactor: a\ntags:\n- address: 'TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t'\n  network: TRX\n  currency: USDT\n",
            &RolePolicy::default(),
        )
        .unwrap();
        assert_eq!(network.labels[0].chain, "tron");
        let forced = RolePolicy::of(Some("risk"), None, None).unwrap();
        let p = parse("p.yaml", "label: x\nactor: a\ncategory: exchange\ntags:\n- address: '0x008fe40574e881e7247b50b991c0cc057d66647f'\n  currency: ETH\n", &forced).unwrap();
        assert_eq!(p.labels[0].role, LabelRole::Risk);
    }
}
