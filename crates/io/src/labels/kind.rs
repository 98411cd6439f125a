//! Ownership labels and risk labels. An ownership label says who controls an address
//! (an exchange's hot wallet); a risk label says something *about* an address (it is on
//! a sanctions list, Tether blacklisted it, it took part in a hack). Only ownership
//! labels name entities and link addresses; a risk label is an attribute that rolls up
//! to the address's cluster (docs/inputs.md#ownership-and-risk-labels).

use serde::{Deserialize, Serialize};

use crate::error::{IoError, Result};

/// What a label asserts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LabelRole {
    /// The address belongs to the named entity.
    Ownership,
    /// The address carries a risk attribute (sanction, blacklist, scam…); it names no
    /// owner and links nothing.
    Risk,
}

impl LabelRole {
    /// Name in the config and in tables.
    pub fn name(self) -> &'static str {
        match self {
            LabelRole::Ownership => "ownership",
            LabelRole::Risk => "risk",
        }
    }
}

/// Categories that make a label a risk attribute unless `[[labels]] risk_categories`
/// replaces the list: GraphSense's abuse concepts, blacklists and sanctions. Exchanges,
/// mixers and markets are owners (a darknet market is an entity), so they are not here.
pub const DEFAULT_RISK_CATEGORIES: &[&str] = &[
    "sanction",
    "sanctioned",
    "sanctions",
    "black_list",
    "blacklist",
    "blacklisted",
    "scam",
    "fraud",
    "ponzi_scheme",
    "phishing",
    "ransomware",
    "sextortion",
    "extortion",
    "hack",
    "service_hack",
    "stolen_funds",
    "theft",
    "terrorism",
    "terrorist_financing",
    "abuse",
];

/// How one labels input decides each label's role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RolePolicy {
    /// Forced by `[[labels]] kind`; `None` = decided per label.
    pub forced: Option<LabelRole>,
    /// Lowercase categories that make a label a risk attribute.
    pub risk_categories: Vec<String>,
    /// The category of a risk label whose own category is no risk category (`user` in
    /// a pack forced to `risk`).
    pub default_risk_category: String,
}

impl Default for RolePolicy {
    fn default() -> Self {
        RolePolicy {
            forced: None,
            risk_categories: DEFAULT_RISK_CATEGORIES
                .iter()
                .map(|c| c.to_string())
                .collect(),
            default_risk_category: "risk".into(),
        }
    }
}

impl RolePolicy {
    /// The policy a `[[labels]]` entry asks for.
    pub fn of(
        kind: Option<&str>,
        risk_categories: Option<&[String]>,
        risk_category: Option<&str>,
    ) -> Result<Self> {
        let forced = match kind.map(str::to_ascii_lowercase).as_deref() {
            None | Some("auto") => None,
            Some("ownership") => Some(LabelRole::Ownership),
            Some("risk") => Some(LabelRole::Risk),
            Some(other) => {
                return Err(IoError::Config(format!(
                    "unknown label kind '{other}' (known: auto, ownership, risk)"
                )))
            }
        };
        let mut p = RolePolicy {
            forced,
            ..RolePolicy::default()
        };
        if let Some(c) = risk_categories {
            p.risk_categories = c.iter().map(|c| c.trim().to_ascii_lowercase()).collect();
        }
        if let Some(c) = risk_category {
            p.default_risk_category = c.trim().to_ascii_lowercase();
        }
        Ok(p)
    }

    /// Gives every risk label a risk category: its own when it is one, else the
    /// file's `risk_category`.
    pub fn settle(&self, labels: &mut [super::Label]) {
        for l in labels.iter_mut().filter(|l| l.role == LabelRole::Risk) {
            if !l
                .category
                .as_deref()
                .is_some_and(|c| self.is_risk_category(c))
            {
                l.category = Some(self.default_risk_category.clone());
            }
        }
    }

    /// Whether `category` (any case) is a risk category.
    pub fn is_risk_category(&self, category: &str) -> bool {
        let c = category.trim().to_ascii_lowercase();
        self.risk_categories.contains(&c)
    }

    /// The role of a label whose source says nothing more than its category.
    pub fn role_of_category(&self, category: Option<&str>) -> LabelRole {
        match self.forced {
            Some(r) => r,
            None if category.is_some_and(|c| self.is_risk_category(c)) => LabelRole::Risk,
            None => LabelRole::Ownership,
        }
    }
}

/// The canonical addresses that belong to nobody: the zero address mints come from and
/// burns go to. A label on one (the USDT blacklist has one) would make every mint a
/// transfer from that entity, so it is rejected.
pub fn is_null_address(chain: &str, canonical: &str) -> bool {
    match chain {
        "ethereum" => canonical == "0x0000000000000000000000000000000000000000",
        "tron" => canonical == "T9yD14Nj9j7xAB4dbGeiX9h8unkKHxuWwb",
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_are_checked_and_categories_decide_when_auto() {
        assert!(RolePolicy::of(Some("riks"), None, None)
            .unwrap_err()
            .to_string()
            .contains("unknown label kind 'riks'"));
        let auto = RolePolicy::of(None, None, None).unwrap();
        assert_eq!(auto.role_of_category(Some("Black_List")), LabelRole::Risk);
        assert_eq!(
            auto.role_of_category(Some("exchange")),
            LabelRole::Ownership
        );
        assert_eq!(auto.role_of_category(None), LabelRole::Ownership);
        let forced = RolePolicy::of(Some("risk"), None, None).unwrap();
        assert_eq!(forced.role_of_category(Some("exchange")), LabelRole::Risk);
        let own = RolePolicy::of(Some("auto"), Some(&["mixing_service".into()]), None).unwrap();
        assert_eq!(
            own.role_of_category(Some("mixing_service")),
            LabelRole::Risk
        );
        assert_eq!(own.role_of_category(Some("scam")), LabelRole::Ownership);
    }

    #[test]
    fn the_zero_addresses_are_nobodys() {
        assert!(is_null_address(
            "ethereum",
            "0x0000000000000000000000000000000000000000"
        ));
        let tron_zero = chainstat_chain::tron::to_base58(
            &chainstat_chain::tron::from_bytes(&[0u8; 20]).unwrap(),
        );
        assert!(is_null_address("tron", &tron_zero), "{tron_zero}");
        assert!(!is_null_address(
            "ethereum",
            "0x0000000000000000000000000000000000000018"
        ));
    }
}
