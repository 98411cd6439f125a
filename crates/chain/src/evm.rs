//! EVM addresses: 20 bytes, written `0x` + 40 hex digits; mixed case carries the
//! EIP-55 checksum, which we verify whenever it is present.

use tiny_keccak::{Hasher, Keccak};

use super::hex;
use super::AddressError;

/// A parsed EVM address.
pub type EvmAddress = [u8; 20];

/// Parses text (`0x` optional). All-lowercase and all-uppercase hex are accepted as is;
/// mixed case must be a correct EIP-55 checksum, since a wrong one means a typo.
pub fn normalize(s: &str) -> Result<EvmAddress, AddressError> {
    let t = s.trim();
    if t.is_empty() {
        return Err(AddressError::Empty);
    }
    let h = hex::strip_0x(t);
    if h.len() != 40 {
        return Err(AddressError::BadLength);
    }
    let mut out = [0u8; 20];
    if !hex::decode_into(h.as_bytes(), &mut out) {
        return Err(AddressError::BadCharacters);
    }
    let has_upper = h.bytes().any(|c| c.is_ascii_uppercase());
    let has_lower = h.bytes().any(|c| c.is_ascii_lowercase());
    if has_upper && has_lower && checksum_hex(&out) != h {
        return Err(AddressError::BadChecksum);
    }
    Ok(out)
}

/// Accepts 20 raw bytes, or a 32-byte word whose first 12 bytes are zero (how addresses
/// appear in log topics and ABI-encoded data).
pub fn from_bytes(b: &[u8]) -> Result<EvmAddress, AddressError> {
    let mut out = [0u8; 20];
    match b.len() {
        20 => out.copy_from_slice(b),
        32 if b[..12].iter().all(|x| *x == 0) => out.copy_from_slice(&b[12..]),
        32 => return Err(AddressError::BadPrefix),
        0 => return Err(AddressError::Empty),
        _ => return Err(AddressError::BadLength),
    }
    Ok(out)
}

/// `0x` + lowercase hex: the canonical stored form (cheap to compare and join on).
pub fn to_lower_hex(a: &EvmAddress) -> String {
    let mut s = String::with_capacity(42);
    s.push_str("0x");
    s.push_str(&hex::encode(a));
    s
}

/// The 40 EIP-55 checksummed hex digits (no `0x`).
fn checksum_hex(a: &EvmAddress) -> String {
    let lower = hex::encode(a);
    let mut hash = [0u8; 32];
    let mut k = Keccak::v256();
    k.update(lower.as_bytes());
    k.finalize(&mut hash);
    lower
        .bytes()
        .enumerate()
        .map(|(i, c)| {
            let nibble = (hash[i / 2] >> (if i % 2 == 0 { 4 } else { 0 })) & 0xf;
            if c.is_ascii_alphabetic() && nibble >= 8 {
                c.to_ascii_uppercase() as char
            } else {
                c as char
            }
        })
        .collect()
}

/// `0x` + EIP-55 mixed-case hex, the form wallets and explorers display.
pub fn to_checksum(a: &EvmAddress) -> String {
    format!("0x{}", checksum_hex(a))
}

#[cfg(test)]
mod tests {
    use super::*;

    // Test vectors from the EIP-55 specification.
    const EIP55: &[&str] = &[
        "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
        "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
        "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB",
        "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
    ];

    #[test]
    fn eip55_vectors() {
        for v in EIP55 {
            let a = normalize(v).unwrap();
            assert_eq!(&to_checksum(&a), v);
            assert_eq!(to_lower_hex(&a), v.to_ascii_lowercase());
        }
    }

    #[test]
    fn rejects() {
        // One letter's case flipped: the checksum no longer matches.
        assert_eq!(
            normalize("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD"),
            Err(AddressError::BadChecksum)
        );
        assert_eq!(normalize("0x1234"), Err(AddressError::BadLength));
        assert_eq!(
            normalize("0xZZZeb6053f3e94c9b9a09f33669435e7ef1beaed"),
            Err(AddressError::BadCharacters)
        );
        assert_eq!(normalize(" "), Err(AddressError::Empty));
        // All upper case has no checksum to check.
        assert!(normalize("0x5AAEB6053F3E94C9B9A09F33669435E7EF1BEAED").is_ok());
    }

    #[test]
    fn bytes_forms() {
        let mut word = [0u8; 32];
        word[31] = 1;
        assert_eq!(
            to_lower_hex(&from_bytes(&word).unwrap()),
            "0x0000000000000000000000000000000000000001"
        );
        word[0] = 1;
        assert_eq!(from_bytes(&word), Err(AddressError::BadPrefix));
        assert_eq!(from_bytes(&[1, 2, 3]), Err(AddressError::BadLength));
    }
}
