//! Base58check (Bitcoin, TRON): base58 payload whose last 4 bytes are the first 4 bytes
//! of the double SHA-256 of the rest.

use sha2::{Digest, Sha256};

use super::AddressError;

fn checksum(payload: &[u8]) -> [u8; 4] {
    let first = Sha256::digest(payload);
    let second = Sha256::digest(first);
    [second[0], second[1], second[2], second[3]]
}

/// Decodes and verifies a base58check string, returning the payload without checksum.
pub fn decode(s: &str) -> Result<Vec<u8>, AddressError> {
    if s.is_empty() {
        return Err(AddressError::Empty);
    }
    let raw = bs58::decode(s)
        .into_vec()
        .map_err(|_| AddressError::BadCharacters)?;
    if raw.len() < 5 {
        return Err(AddressError::BadLength);
    }
    let (payload, check) = raw.split_at(raw.len() - 4);
    if checksum(payload) != check {
        return Err(AddressError::BadChecksum);
    }
    Ok(payload.to_vec())
}

/// Encodes `payload` with its 4-byte checksum.
pub fn encode(payload: &[u8]) -> String {
    let mut buf = Vec::with_capacity(payload.len() + 4);
    buf.extend_from_slice(payload);
    buf.extend_from_slice(&checksum(payload));
    bs58::encode(buf).into_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn genesis_address_roundtrips() {
        // The genesis block's coinbase pays to this P2PKH address.
        let p = decode("1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa").unwrap();
        assert_eq!(p.len(), 21);
        assert_eq!(p[0], 0);
        assert_eq!(encode(&p), "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa");
    }

    #[test]
    fn rejects_bad_checksum_and_characters() {
        assert_eq!(
            decode("1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb"),
            Err(AddressError::BadChecksum)
        );
        assert_eq!(decode("0OIl"), Err(AddressError::BadCharacters));
        assert_eq!(decode(""), Err(AddressError::Empty));
        assert_eq!(decode("1111"), Err(AddressError::BadLength));
    }
}
