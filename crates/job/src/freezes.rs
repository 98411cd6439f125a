//! Stablecoin issuers' freeze, unfreeze and seizure events (`[freezes]`): which log of which
//! contract means what, and where in the log the address and the amount sit. The job
//! registers them as the `issuer_events` table; `queries/6x_freeze_*.sql` decode the
//! matching `logs` rows into `freeze_events`, `frozen_addresses` and `freeze_summary`.
//!
//! Built in (`builtin = true`, the default): Tether USDT on Ethereum and TRON
//! (`AddedBlackList`, `RemovedBlackList`, `DestroyedBlackFunds`) and Circle USDC on
//! Ethereum (`Blacklisted`, `UnBlacklisted`).

use std::fmt;
use std::str::FromStr;

use chainstat_chain::{abi, normalize_text, ChainFamily};
use datafusion::prelude::SessionContext;
use serde::{Deserialize, Serialize};

use crate::error::{JobError, Result};

/// `[freezes]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FreezeConfig {
    /// Include the built-in issuer events (Tether on Ethereum and TRON, USDC on Ethereum).
    pub builtin: bool,
    /// More issuer events (`[[freezes.event]]`).
    #[serde(rename = "event")]
    pub events: Vec<IssuerEvent>,
}

impl Default for FreezeConfig {
    fn default() -> Self {
        FreezeConfig {
            builtin: true,
            events: Vec::new(),
        }
    }
}

/// What an issuer event does to an address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FreezeKind {
    /// The address can no longer move the token (Tether `AddedBlackList`).
    Freeze,
    /// It can again (`RemovedBlackList`).
    Unfreeze,
    /// Its balance is destroyed by the issuer (`DestroyedBlackFunds`): a seizure. It
    /// emits no `Transfer`, so balances rebuilt from transfers must subtract it.
    Destroy,
}

impl FreezeKind {
    /// The name the tables use.
    pub fn name(self) -> &'static str {
        match self {
            FreezeKind::Freeze => "freeze",
            FreezeKind::Unfreeze => "unfreeze",
            FreezeKind::Destroy => "destroy",
        }
    }
}

/// Where an argument sits in a log: an indexed topic (`topic1` … `topic3`) or a 32-byte
/// word of the data (`data0`, `data1`, …).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum ArgPlace {
    /// `topicN`, N in 1..=3.
    Topic(u8),
    /// `dataN`, the N-th word (0-based).
    Word(u32),
}

impl FromStr for ArgPlace {
    type Err = String;

    fn from_str(s: &str) -> std::result::Result<Self, String> {
        let t = s.trim().to_ascii_lowercase();
        let bad = || {
            format!(
                "'{s}' is not an argument place: write topic1, topic2, topic3 or data0, data1, …"
            )
        };
        if let Some(n) = t.strip_prefix("topic") {
            match n.parse::<u8>() {
                Ok(k @ 1..=3) => Ok(ArgPlace::Topic(k)),
                _ => Err(bad()),
            }
        } else if let Some(n) = t.strip_prefix("data") {
            n.parse::<u32>().map(ArgPlace::Word).map_err(|_| bad())
        } else {
            Err(bad())
        }
    }
}

impl TryFrom<String> for ArgPlace {
    type Error = String;

    fn try_from(s: String) -> std::result::Result<Self, String> {
        s.parse()
    }
}

impl From<ArgPlace> for String {
    fn from(p: ArgPlace) -> String {
        p.to_string()
    }
}

impl fmt::Display for ArgPlace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ArgPlace::Topic(k) => write!(f, "topic{k}"),
            ArgPlace::Word(k) => write!(f, "data{k}"),
        }
    }
}

/// One issuer event: `[[freezes.event]]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IssuerEvent {
    /// Chain name (`ethereum`, `tron`, …).
    pub chain: String,
    /// The token contract that emits the event (the asset frozen).
    pub contract: String,
    /// `freeze`, `unfreeze` or `destroy`.
    pub event: FreezeKind,
    /// The event's signature, types only: `AddedBlackList(address)`.
    pub signature: String,
    /// Where the address is.
    pub address: ArgPlace,
    /// Where the destroyed amount is (`destroy` only).
    #[serde(default)]
    pub amount: Option<ArgPlace>,
}

impl IssuerEvent {
    fn new(
        chain: &str,
        contract: &str,
        event: FreezeKind,
        signature: &str,
        address: ArgPlace,
        amount: Option<ArgPlace>,
    ) -> Self {
        IssuerEvent {
            chain: chain.to_string(),
            contract: contract.to_string(),
            event,
            signature: signature.to_string(),
            address,
            amount,
        }
    }

    /// Checks the event against the rules a wrong figure would otherwise hide.
    fn validate(&self) -> std::result::Result<(), String> {
        let at = format!(
            "[[freezes.event]] {} {} {}",
            self.chain, self.contract, self.signature
        );
        let family: ChainFamily = self.chain.parse().map_err(|e| format!("{at}: {e}"))?;
        if family == ChainFamily::Bitcoin {
            return Err(format!("{at}: Bitcoin has no event logs"));
        }
        normalize_text(family, &self.contract)
            .map_err(|e| format!("{at}: contract is not a {} address: {e}", self.chain))?;
        let canonical = abi::canonical_signature(&self.signature).ok_or_else(|| {
            format!("{at}: signature must be Name(type,…) with types only, e.g. AddedBlackList(address)")
        })?;
        let inputs = canonical
            .split_once('(')
            .map(|(_, p)| p.trim_end_matches(')'))
            .unwrap_or("");
        let n_inputs = if inputs.is_empty() {
            0
        } else {
            inputs.split(',').count()
        };
        if n_inputs == 0 {
            return Err(format!(
                "{at}: the event has no argument to take the address from"
            ));
        }
        match (self.event, self.amount) {
            (FreezeKind::Destroy, None) => {
                return Err(format!(
                    "{at}: a destroy event needs `amount` (where the destroyed amount is)"
                ))
            }
            (FreezeKind::Freeze | FreezeKind::Unfreeze, Some(_)) => {
                return Err(format!("{at}: only a destroy event has an `amount`"))
            }
            _ => {}
        }
        if Some(self.address) == self.amount {
            return Err(format!(
                "{at}: address and amount are both {}",
                self.address
            ));
        }
        for place in std::iter::once(self.address).chain(self.amount) {
            if let ArgPlace::Topic(k) = place {
                if usize::from(k) > n_inputs {
                    return Err(format!(
                        "{at}: {place}, but the event has {n_inputs} argument(s)"
                    ));
                }
            }
            if let ArgPlace::Word(k) = place {
                if usize::try_from(k).map_or(true, |k| k >= n_inputs) {
                    return Err(format!(
                        "{at}: {place}, but the event has {n_inputs} argument(s)"
                    ));
                }
            }
        }
        Ok(())
    }
}

/// Tether's USDT on Ethereum (0xdac17f95…): the blacklist events carry the address in the
/// data, not as a topic.
pub const TETHER_ETHEREUM: &str = "0xdac17f958d2ee523a2206206994597c13d831ec7";
/// Tether's USDT on TRON: the same events with the address indexed.
pub const TETHER_TRON: &str = "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t";
/// Circle's USDC on Ethereum.
pub const USDC_ETHEREUM: &str = "0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48";

/// The built-in issuer events.
pub fn builtin() -> Vec<IssuerEvent> {
    use ArgPlace::{Topic, Word};
    use FreezeKind::{Destroy, Freeze, Unfreeze};
    vec![
        IssuerEvent::new(
            "ethereum",
            TETHER_ETHEREUM,
            Freeze,
            "AddedBlackList(address)",
            Word(0),
            None,
        ),
        IssuerEvent::new(
            "ethereum",
            TETHER_ETHEREUM,
            Unfreeze,
            "RemovedBlackList(address)",
            Word(0),
            None,
        ),
        IssuerEvent::new(
            "ethereum",
            TETHER_ETHEREUM,
            Destroy,
            "DestroyedBlackFunds(address,uint256)",
            Word(0),
            Some(Word(1)),
        ),
        IssuerEvent::new(
            "tron",
            TETHER_TRON,
            Freeze,
            "AddedBlackList(address)",
            Topic(1),
            None,
        ),
        IssuerEvent::new(
            "tron",
            TETHER_TRON,
            Unfreeze,
            "RemovedBlackList(address)",
            Topic(1),
            None,
        ),
        IssuerEvent::new(
            "tron",
            TETHER_TRON,
            Destroy,
            "DestroyedBlackFunds(address,uint256)",
            Topic(1),
            Some(Word(0)),
        ),
        IssuerEvent::new(
            "ethereum",
            USDC_ETHEREUM,
            Freeze,
            "Blacklisted(address)",
            Topic(1),
            None,
        ),
        IssuerEvent::new(
            "ethereum",
            USDC_ETHEREUM,
            Unfreeze,
            "UnBlacklisted(address)",
            Topic(1),
            None,
        ),
    ]
}

impl FreezeConfig {
    /// The events the run decodes: the built-in ones (unless off), then the configured.
    pub fn events(&self) -> Vec<IssuerEvent> {
        let mut all = if self.builtin { builtin() } else { Vec::new() };
        all.extend(self.events.iter().cloned());
        all
    }

    /// Checks every configured event.
    pub fn validate(&self) -> std::result::Result<(), String> {
        for e in &self.events {
            e.validate()?;
        }
        Ok(())
    }
}

fn lit(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

fn int_or_null(v: Option<u32>) -> String {
    v.map_or("CAST(NULL AS BIGINT)".to_string(), |k| {
        format!("CAST({k} AS BIGINT)")
    })
}

/// Registers `issuer_events(chain, contract, event, signature, topic0, address_topic,
/// address_word, amount_word)`: one row per configured event, contract normalised and
/// topic0 computed, for the freeze queries to join `logs` with.
pub async fn register(ctx: &SessionContext, config: &FreezeConfig) -> Result<()> {
    config.validate().map_err(JobError::Config)?;
    let rows: Vec<String> = config
        .events()
        .iter()
        .map(|e| {
            let chain = e.chain.trim().to_ascii_lowercase();
            let (topic, word) = match e.address {
                ArgPlace::Topic(k) => (Some(u32::from(k)), None),
                ArgPlace::Word(k) => (None, Some(k)),
            };
            let amount = match e.amount {
                Some(ArgPlace::Word(k)) => Some(k),
                // An amount is never indexed in the built-in events; a topic amount is
                // taken as the word at that topic (see `amount_topic`).
                _ => None,
            };
            let amount_topic = match e.amount {
                Some(ArgPlace::Topic(k)) => Some(u32::from(k)),
                _ => None,
            };
            format!(
                "({c}, addr_norm({c}, {}), {}, {}, event_topic({}), {}, {}, {}, {})",
                lit(e.contract.trim()),
                lit(e.event.name()),
                lit(&e.signature),
                lit(&e.signature),
                int_or_null(topic),
                int_or_null(word),
                int_or_null(amount),
                int_or_null(amount_topic),
                c = lit(&chain),
            )
        })
        .collect();
    let sql = if rows.is_empty() {
        "SELECT CAST(NULL AS VARCHAR) AS chain, CAST(NULL AS VARCHAR) AS contract, \
         CAST(NULL AS VARCHAR) AS event, CAST(NULL AS VARCHAR) AS signature, \
         CAST(NULL AS VARCHAR) AS topic0, CAST(NULL AS BIGINT) AS address_topic, \
         CAST(NULL AS BIGINT) AS address_word, CAST(NULL AS BIGINT) AS amount_word, \
         CAST(NULL AS BIGINT) AS amount_topic WHERE false"
            .to_string()
    } else {
        format!(
            "SELECT * FROM (VALUES {}) AS e(chain, contract, event, signature, topic0, \
             address_topic, address_word, amount_word, amount_topic)",
            rows.join(", ")
        )
    };
    ctx.sql(&format!("CREATE OR REPLACE VIEW issuer_events AS {sql}"))
        .await?
        .collect()
        .await?;
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn built_in_events_are_valid() {
        for e in builtin() {
            e.validate().unwrap();
        }
    }

    #[test]
    fn places_parse_and_print_back() {
        assert_eq!("topic1".parse::<ArgPlace>(), Ok(ArgPlace::Topic(1)));
        assert_eq!(" Data2 ".parse::<ArgPlace>(), Ok(ArgPlace::Word(2)));
        for bad in ["topic0", "topic4", "data", "data-1", "word1", ""] {
            assert!(bad.parse::<ArgPlace>().is_err(), "{bad}");
        }
        assert_eq!(ArgPlace::Word(3).to_string(), "data3");
    }

    #[test]
    fn configured_events_that_would_mis_decode_are_refused() {
        let ok = IssuerEvent::new(
            "tron",
            TETHER_TRON,
            FreezeKind::Destroy,
            "DestroyedBlackFunds(address,uint256)",
            ArgPlace::Topic(1),
            Some(ArgPlace::Word(0)),
        );
        ok.validate().unwrap();
        let with = |f: &dyn Fn(&mut IssuerEvent)| {
            let mut e = ok.clone();
            f(&mut e);
            e.validate().unwrap_err()
        };
        assert!(with(&|e| e.amount = None).contains("needs `amount`"));
        assert!(with(&|e| e.event = FreezeKind::Freeze).contains("only a destroy event"));
        assert!(
            with(&|e| e.signature = "DestroyedBlackFunds(address _u, uint256)".into())
                .contains("types only")
        );
        assert!(with(&|e| e.address = ArgPlace::Topic(3)).contains("has 2 argument(s)"));
        assert!(with(&|e| e.amount = Some(ArgPlace::Word(2))).contains("has 2 argument(s)"));
        assert!(
            with(&|e| e.contract = "0xdac17f958d2ee523a2206206994597c13d831ec7x".into())
                .contains("not a tron address")
        );
        assert!(with(&|e| e.chain = "bitcoin".into()).contains("no event logs"));
        assert!(with(&|e| e.chain = "dogecoin".into()).contains("unknown chain"));
    }
}
