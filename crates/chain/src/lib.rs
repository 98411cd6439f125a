//! Pure, allocation-light codecs for the value types that blockchain exports carry:
//! addresses of each chain family, uint256 token amounts, and the key hash that
//! deduplication and passes use.
//!
//! Nothing here knows about DataFusion: `chainstat-functions` wraps these as SQL
//! functions, and the generator (`chainstat-gen`) and the readers (`chainstat-io`) use
//! them directly, so the rules are testable (and fuzzable) on their own.

#![cfg_attr(test, allow(unused_crate_dependencies))]

pub mod abi;
pub mod base58check;
pub mod bitcoin;
pub mod evm;
pub mod hex;
pub mod key;
pub mod tron;
pub mod uint256;

use std::fmt;
use std::str::FromStr;

/// Address families chainstat knows how to validate and normalise.
///
/// Every EVM chain (Ethereum, BSC, Polygon, Arbitrum, …) shares the 20-byte hex address,
/// so they map to [`ChainFamily::Evm`]; TRON uses the same 20 bytes behind a `0x41`
/// prefix and base58check; Bitcoin-like chains use base58check and bech32(m) scripts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChainFamily {
    /// Account model, 20-byte addresses written as `0x` + 40 hex digits.
    Evm,
    /// Account model, `41` + 20 bytes, written as base58check `T…`.
    Tron,
    /// UTXO model, base58check P2PKH/P2SH and bech32/bech32m segwit addresses.
    Bitcoin,
}

/// Chain names accepted wherever SQL or config takes a chain, with their family.
pub const CHAINS: &[(&str, ChainFamily)] = &[
    ("ethereum", ChainFamily::Evm),
    ("eth", ChainFamily::Evm),
    ("evm", ChainFamily::Evm),
    ("bsc", ChainFamily::Evm),
    ("polygon", ChainFamily::Evm),
    ("arbitrum", ChainFamily::Evm),
    ("optimism", ChainFamily::Evm),
    ("base", ChainFamily::Evm),
    ("avalanche", ChainFamily::Evm),
    ("tron", ChainFamily::Tron),
    ("trx", ChainFamily::Tron),
    ("bitcoin", ChainFamily::Bitcoin),
    ("btc", ChainFamily::Bitcoin),
];

/// Seconds between blocks of each chain in [`CHAINS`] (its target block time): what turns
/// a time window into blocks for rows without a time. An EVM chain not listed here (`evm`)
/// is taken at Ethereum's 12 s.
pub const BLOCK_SECONDS: &[(&str, f64)] = &[
    ("ethereum", 12.0),
    ("eth", 12.0),
    ("evm", 12.0),
    ("bsc", 3.0),
    ("polygon", 2.0),
    ("arbitrum", 0.25),
    ("optimism", 2.0),
    ("base", 2.0),
    ("avalanche", 2.0),
    ("tron", 3.0),
    ("trx", 3.0),
    ("bitcoin", 600.0),
    ("btc", 600.0),
];

/// The blocks that cover `seconds` on `chain` (rounded up, at least 1); unknown chains
/// count at Ethereum's 12 s.
pub fn window_blocks(chain: &str, seconds: i64) -> i64 {
    let lower = chain.trim().to_ascii_lowercase();
    let block = BLOCK_SECONDS
        .iter()
        .find(|(n, _)| *n == lower)
        .map_or(12.0, |(_, s)| *s);
    ((seconds.max(0) as f64 / block).ceil() as i64).max(1)
}

/// Error for a chain name that is not in [`CHAINS`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownChain(pub String);

impl fmt::Display for UnknownChain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let known: Vec<&str> = CHAINS.iter().map(|(n, _)| *n).collect();
        write!(
            f,
            "unknown chain '{}' (known: {})",
            self.0,
            known.join(", ")
        )
    }
}

impl std::error::Error for UnknownChain {}

impl FromStr for ChainFamily {
    type Err = UnknownChain;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let lower = s.trim().to_ascii_lowercase();
        CHAINS
            .iter()
            .find(|(name, _)| *name == lower)
            .map(|(_, fam)| *fam)
            .ok_or_else(|| UnknownChain(s.to_string()))
    }
}

/// Why an address string was rejected; the text is what ends up in `rejects.reason`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddressError {
    /// Empty or whitespace only.
    Empty,
    /// Wrong number of characters / bytes for the chain.
    BadLength,
    /// Characters outside the alphabet (hex, base58, bech32).
    BadCharacters,
    /// A checksum (EIP-55 mixed case, base58check, bech32) does not match.
    BadChecksum,
    /// Well-formed but with a version byte / prefix / witness program this chain does not use.
    BadPrefix,
}

impl AddressError {
    /// Short stable code used in reject reasons.
    pub fn code(self) -> &'static str {
        match self {
            AddressError::Empty => "empty",
            AddressError::BadLength => "bad length",
            AddressError::BadCharacters => "bad characters",
            AddressError::BadChecksum => "bad checksum",
            AddressError::BadPrefix => "bad prefix",
        }
    }
}

impl fmt::Display for AddressError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl std::error::Error for AddressError {}

/// True when `s` already is the canonical form [`normalize_text`] would return, checked
/// without decoding (EVM: `0x` + 40 lowercase hex digits). Other families always go
/// through [`normalize_text`] (base58check and bech32 need their checksums verified).
pub fn is_canonical_text(family: ChainFamily, s: &str) -> bool {
    match family {
        ChainFamily::Evm => {
            s.len() == 42 && s.starts_with("0x") && hex::is_lower_hex(&s.as_bytes()[2..])
        }
        ChainFamily::Tron | ChainFamily::Bitcoin => false,
    }
}

/// Normalises a textual address to the one canonical text form chainstat stores for `family`:
/// EVM lowercase `0x…`, TRON base58check `T…`, Bitcoin base58 as is / bech32 lowercase.
pub fn normalize_text(family: ChainFamily, s: &str) -> Result<String, AddressError> {
    match family {
        ChainFamily::Evm => evm::normalize(s).map(|b| evm::to_lower_hex(&b)),
        ChainFamily::Tron => tron::parse_any(s).map(|b| tron::to_base58(&b)),
        ChainFamily::Bitcoin => bitcoin::normalize(s),
    }
}

/// Normalises a binary address (cryo and other exporters write raw bytes).
pub fn normalize_bytes(family: ChainFamily, b: &[u8]) -> Result<String, AddressError> {
    match family {
        ChainFamily::Evm => evm::from_bytes(b).map(|a| evm::to_lower_hex(&a)),
        ChainFamily::Tron => tron::from_bytes(b).map(|a| tron::to_base58(&a)),
        // Bitcoin addresses are not a fixed byte string (they encode a script); raw bytes
        // are ambiguous, so binary input is not accepted.
        ChainFamily::Bitcoin => Err(AddressError::BadCharacters),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_day_is_7200_ethereum_blocks_and_28800_tron_blocks() {
        assert_eq!(window_blocks("ethereum", 86_400), 7_200);
        assert_eq!(window_blocks("TRON", 86_400), 28_800);
        assert_eq!(window_blocks("arbitrum", 60), 240);
        assert_eq!(window_blocks("nochain", 86_400), 7_200);
        assert_eq!(window_blocks("tron", 0), 1);
        for (name, _) in CHAINS {
            assert!(BLOCK_SECONDS.iter().any(|(n, _)| n == name), "{name}");
        }
    }
}
