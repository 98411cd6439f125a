//! TRON addresses: the 20 EVM bytes behind a `0x41` version byte, shown as base58check
//! (`T…`, 34 characters). Exports use either form, and TRON's EVM logs carry the bare
//! 20 bytes, so the parser accepts all three.

use super::{base58check, hex, AddressError};

/// `0x41` + 20 bytes.
pub type TronAddress = [u8; 21];

/// The version byte of every TRON mainnet address.
pub const PREFIX: u8 = 0x41;

/// Parses base58check `T…` and verifies the checksum and version byte.
pub fn from_base58(s: &str) -> Result<TronAddress, AddressError> {
    let t = s.trim();
    if t.is_empty() {
        return Err(AddressError::Empty);
    }
    if t.len() != 34 {
        return Err(AddressError::BadLength);
    }
    let payload = base58check::decode(t)?;
    to_address(&payload)
}

/// Parses hex: `41` + 40 digits, or an EVM-style 40 digits (`0x` optional).
pub fn from_hex(s: &str) -> Result<TronAddress, AddressError> {
    let t = hex::strip_0x(s.trim());
    let mut out = [0u8; 21];
    match t.len() {
        0 => Err(AddressError::Empty),
        42 => {
            if !hex::decode_into(t.as_bytes(), &mut out) {
                return Err(AddressError::BadCharacters);
            }
            if out[0] != PREFIX {
                return Err(AddressError::BadPrefix);
            }
            Ok(out)
        }
        40 => {
            out[0] = PREFIX;
            if !hex::decode_into(t.as_bytes(), &mut out[1..]) {
                return Err(AddressError::BadCharacters);
            }
            Ok(out)
        }
        _ => Err(AddressError::BadLength),
    }
}

/// Accepts any textual form: base58check if it starts with `T`, else hex.
pub fn parse_any(s: &str) -> Result<TronAddress, AddressError> {
    let t = s.trim();
    if t.starts_with('T') {
        from_base58(t)
    } else {
        from_hex(t)
    }
}

/// Accepts 21 bytes (`0x41` first) or 20 EVM bytes.
pub fn from_bytes(b: &[u8]) -> Result<TronAddress, AddressError> {
    match b.len() {
        0 => Err(AddressError::Empty),
        21 => to_address(b),
        20 => {
            let mut out = [0u8; 21];
            out[0] = PREFIX;
            out[1..].copy_from_slice(b);
            Ok(out)
        }
        _ => Err(AddressError::BadLength),
    }
}

fn to_address(payload: &[u8]) -> Result<TronAddress, AddressError> {
    if payload.len() != 21 {
        return Err(AddressError::BadLength);
    }
    if payload[0] != PREFIX {
        return Err(AddressError::BadPrefix);
    }
    let mut out = [0u8; 21];
    out.copy_from_slice(payload);
    Ok(out)
}

/// Canonical stored form: base58check `T…`.
pub fn to_base58(a: &TronAddress) -> String {
    base58check::encode(a)
}

/// `41` + 40 lowercase hex digits, the form TRON's APIs return.
pub fn to_hex(a: &TronAddress) -> String {
    hex::encode(a)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usdt_contract_roundtrip() {
        // USDT's TRC-20 contract; its hex form is published by TRON explorers.
        let a = from_base58("TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t").unwrap();
        assert_eq!(to_hex(&a), "41a614f803b6fd780986a42c78ec9c7f77e6ded13c");
        assert_eq!(
            to_base58(&from_hex("41a614f803b6fd780986a42c78ec9c7f77e6ded13c").unwrap()),
            "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"
        );
        assert_eq!(
            to_base58(&from_hex("0xa614f803b6fd780986a42c78ec9c7f77e6ded13c").unwrap()),
            "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"
        );
    }

    #[test]
    fn zero_address() {
        let a = from_base58("T9yD14Nj9j7xAB4dbGeiX9h8unkKHxuWwb").unwrap();
        assert_eq!(to_hex(&a), format!("41{}", "0".repeat(40)));
    }

    #[test]
    fn rejects() {
        assert_eq!(
            from_base58("TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6u"),
            Err(AddressError::BadChecksum)
        );
        assert_eq!(from_base58("TR7NHqje"), Err(AddressError::BadLength));
        // A Bitcoin address is valid base58check but not a TRON one.
        assert_eq!(
            parse_any("1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"),
            Err(AddressError::BadLength)
        );
        assert_eq!(
            from_hex("42a614f803b6fd780986a42c78ec9c7f77e6ded13c"),
            Err(AddressError::BadPrefix)
        );
    }
}
