//! Bitcoin addresses: base58check P2PKH / P2SH (legacy) and bech32 / bech32m segwit
//! (BIP-173 / BIP-350). Validation checks checksums, version bytes and witness program
//! lengths; normalisation lowercases bech32 (its checksum is case-insensitive) and keeps
//! base58 as is (its case is significant).

use bech32::segwit;

use super::{base58check, AddressError};

/// Script kind an address pays to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddressType {
    /// Pay to public key hash (`1…`, testnet `m…`/`n…`).
    P2pkh,
    /// Pay to script hash (`3…`, testnet `2…`).
    P2sh,
    /// Segwit v0, 20-byte program.
    P2wpkh,
    /// Segwit v0, 32-byte program.
    P2wsh,
    /// Segwit v1, 32-byte program (taproot).
    P2tr,
    /// A segwit version or length that is valid but has no standard meaning yet.
    WitnessUnknown,
}

impl AddressType {
    /// Name used by the SQL function `btc_address_type`.
    pub fn name(self) -> &'static str {
        match self {
            AddressType::P2pkh => "p2pkh",
            AddressType::P2sh => "p2sh",
            AddressType::P2wpkh => "p2wpkh",
            AddressType::P2wsh => "p2wsh",
            AddressType::P2tr => "p2tr",
            AddressType::WitnessUnknown => "witness_unknown",
        }
    }
}

/// Validates `s` and returns its script kind.
pub fn address_type(s: &str) -> Result<AddressType, AddressError> {
    let t = s.trim();
    if t.is_empty() {
        return Err(AddressError::Empty);
    }
    let lower = t.to_ascii_lowercase();
    if lower.starts_with("bc1") || lower.starts_with("tb1") || lower.starts_with("bcrt1") {
        return segwit_type(t);
    }
    if !(25..=35).contains(&t.len()) {
        return Err(AddressError::BadLength);
    }
    let payload = base58check::decode(t)?;
    if payload.len() != 21 {
        return Err(AddressError::BadLength);
    }
    match payload[0] {
        0x00 | 0x6f => Ok(AddressType::P2pkh),
        0x05 | 0xc4 => Ok(AddressType::P2sh),
        _ => Err(AddressError::BadPrefix),
    }
}

fn segwit_type(t: &str) -> Result<AddressType, AddressError> {
    let has_upper = t.bytes().any(|c| c.is_ascii_uppercase());
    let has_lower = t.bytes().any(|c| c.is_ascii_lowercase());
    if has_upper && has_lower {
        // BIP-173: mixed case is invalid.
        return Err(AddressError::BadCharacters);
    }
    let (_hrp, version, program) = segwit::decode(t).map_err(|e| {
        // The Display text is generic; the Debug form names the failing check.
        let msg = format!("{e:?}").to_ascii_lowercase();
        if msg.contains("checksum") {
            AddressError::BadChecksum
        } else if msg.contains("length") {
            AddressError::BadLength
        } else {
            AddressError::BadCharacters
        }
    })?;
    Ok(match (version.to_u8(), program.len()) {
        (0, 20) => AddressType::P2wpkh,
        (0, 32) => AddressType::P2wsh,
        (1, 32) => AddressType::P2tr,
        _ => AddressType::WitnessUnknown,
    })
}

/// Canonical text: bech32 lowercased, base58 unchanged; errors when invalid.
pub fn normalize(s: &str) -> Result<String, AddressError> {
    let t = s.trim();
    match address_type(t)? {
        AddressType::P2pkh | AddressType::P2sh => Ok(t.to_string()),
        _ => Ok(t.to_ascii_lowercase()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bip173_and_bip350_vectors() {
        assert_eq!(
            address_type("BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4").unwrap(),
            AddressType::P2wpkh
        );
        assert_eq!(
            normalize("BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4").unwrap(),
            "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"
        );
        assert_eq!(
            address_type("bc1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3qccfmv3").unwrap(),
            AddressType::P2wsh
        );
        assert_eq!(
            address_type("bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0").unwrap(),
            AddressType::P2tr
        );
        // BIP-350: a v1 program with a bech32 (not bech32m) checksum is invalid.
        assert!(address_type(
            "bc1pw508d6qejxtdg4y5r3zarvary0c5xw7kw508d6qejxtdg4y5r3zarvary0c5xw7k7grplx"
        )
        .is_err());
        assert!(address_type("bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t5").is_err());
        assert_eq!(
            address_type("bc1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4"),
            Err(AddressError::BadCharacters)
        );
    }

    #[test]
    fn legacy() {
        assert_eq!(
            address_type("1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa").unwrap(),
            AddressType::P2pkh
        );
        assert_eq!(
            address_type("3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy").unwrap(),
            AddressType::P2sh
        );
        // A TRON address is base58check with the wrong version byte.
        assert_eq!(
            address_type("TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"),
            Err(AddressError::BadPrefix)
        );
        assert_eq!(address_type(""), Err(AddressError::Empty));
    }
}
