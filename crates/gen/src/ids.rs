//! Deterministic identifiers: addresses, transaction and block hashes derived from a
//! salt and a counter. Deriving instead of storing keeps memory at O(users + UTXOs) even
//! for 100M transfers, and the salts make different seeds give different economies.

use chainstat_chain::{base58check, hex};

use crate::rng::mix64;

/// Salt domains, so an address and a transaction hash never come from the same stream.
pub mod domain {
    /// Persistent Ethereum addresses.
    pub const ETH_ADDRESS: u64 = 0xE7_0A;
    /// Bitcoin addresses.
    pub const BTC_ADDRESS: u64 = 0xB7_0A;
    /// Ethereum transaction hashes.
    pub const ETH_TX: u64 = 0xE7_07;
    /// Bitcoin transaction hashes.
    pub const BTC_TX: u64 = 0xB7_07;
    /// Transaction hashes of malformed rows in the messy re-export.
    pub const MALFORMED_TX: u64 = 0xBA_AD;
}

/// Block hashes depend on the block number only (the brief: same block, same hash).
const ETH_BLOCK_SALT: u64 = 0x0E7B_10C4_0000_0001;
const BTC_BLOCK_SALT: u64 = 0x0B7B_10C4_0000_0001;

/// The Ethereum zero address: the `from` of every mint.
pub const ZERO_ADDRESS: &str = "0x0000000000000000000000000000000000000000";

/// The salt of `domain` for `seed`.
pub fn salt(seed: u64, domain: u64) -> u64 {
    mix64(seed ^ mix64(domain.wrapping_add(0x5EED)))
}

/// Fills `out` with pseudo-random bytes determined by `(salt, n)`. The first 8 bytes are
/// a bijection of `n` for a fixed salt, so distinct counters never collide.
pub fn fill(salt: u64, n: u64, out: &mut [u8]) {
    let base = salt.wrapping_add(mix64(n));
    for (i, chunk) in out.chunks_mut(8).enumerate() {
        let word = mix64(base.wrapping_add((i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)));
        let bytes = word.to_be_bytes();
        chunk.copy_from_slice(&bytes[..chunk.len()]);
    }
}

/// Canonical EVM text: `0x` + 40 lowercase hex digits.
pub fn evm_text(bytes: &[u8; 20]) -> String {
    format!("0x{}", hex::encode(bytes))
}

/// A P2PKH address (`1…`) for a 20-byte public-key hash.
pub fn p2pkh_text(hash160: &[u8; 20]) -> String {
    let mut payload = [0u8; 21];
    payload[1..].copy_from_slice(hash160);
    base58check::encode(&payload)
}

/// Ethereum transaction hash number `n`: `0x` + 64 hex.
pub fn eth_tx_hash(salt: u64, n: u64) -> String {
    let mut b = [0u8; 32];
    fill(salt, n, &mut b);
    format!("0x{}", hex::encode(&b))
}

/// Bitcoin transaction id number `n`: 64 hex, no prefix (explorer convention).
pub fn btc_tx_hash(salt: u64, n: u64) -> String {
    let mut b = [0u8; 32];
    fill(salt, n, &mut b);
    hex::encode(&b)
}

/// Ethereum block hash of `block`.
pub fn eth_block_hash(block: i64) -> String {
    let mut b = [0u8; 32];
    fill(ETH_BLOCK_SALT, block as u64, &mut b);
    format!("0x{}", hex::encode(&b))
}

/// Bitcoin block hash of `block`, with the leading zero bytes proof of work leaves.
pub fn btc_block_hash(block: i64) -> String {
    let mut b = [0u8; 32];
    fill(BTC_BLOCK_SALT, block as u64, &mut b);
    for byte in b.iter_mut().take(9) {
        *byte = 0;
    }
    hex::encode(&b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        let a = evm_text(&[0xab; 20]);
        assert_eq!(a.len(), 42);
        assert!(a.starts_with("0xabab"));
        let b = p2pkh_text(&[7; 20]);
        assert!(b.starts_with('1'), "{b}");
        assert_eq!(eth_tx_hash(1, 2).len(), 66);
        assert_eq!(btc_tx_hash(1, 2).len(), 64);
        assert!(btc_block_hash(877_000).starts_with("000000000000000000"));
        assert_eq!(eth_block_hash(5), eth_block_hash(5));
        assert_ne!(eth_tx_hash(1, 2), eth_tx_hash(1, 3));
    }
}
