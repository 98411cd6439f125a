//! chainstat's key hash: a 64-bit hash of a row's key values whose output chainstat
//! defines, so every process, build and version computes the same keys.
//!
//! Keys decide deduplication and which pass a row falls in, and incremental runs keep
//! them in their state, so they must not depend on CPU features, platform or the
//! version of a dependency (DataFusion's `create_hashes` uses ahash, which may differ
//! on all three).
//!
//! # Scheme `xxh64-v1`
//!
//! `key(v1, …, vn) = XXH64(enc(v1) ‖ … ‖ enc(vn), seed 0)`, read as a two's-complement
//! `i64`. XXH64 is the published xxHash 64-bit algorithm (portable scalar code, no
//! SIMD dispatch). Each value is encoded by its logical type:
//!
//! | value | encoding |
//! |---|---|
//! | NULL (any type) | `0x00` |
//! | string (UTF-8, however Arrow stores it) | `0x01` ‖ byte length as u64 LE ‖ the bytes |
//! | binary | `0x02` ‖ byte length as u64 LE ‖ the bytes |
//! | integer (any width, signed or not) | `0x03` ‖ the value as i128 LE (16 bytes) |
//! | boolean | `0x04` ‖ `0x00` or `0x01` |
//!
//! So `'1'` and `1` differ, `Int32 1` and `Int64 1` agree, and a string stored as
//! `Utf8` or `Utf8View` agrees. The length prefix keeps `('ab','c')` apart from
//! `('a','bc')`. Golden values are pinned in the tests below and in `key_hash.slt`.

use xxhash_rust::xxh64::xxh64;

/// The name of the scheme; the run manifest records it, and a run whose predecessor
/// used another scheme recomputes everything.
pub const KEY_SCHEME: &str = "xxh64-v1";

const TAG_NULL: u8 = 0x00;
const TAG_STRING: u8 = 0x01;
const TAG_BINARY: u8 = 0x02;
const TAG_INTEGER: u8 = 0x03;
const TAG_BOOLEAN: u8 = 0x04;

/// Accumulates one row's key values, in order, as their encoding; [`KeyHasher::finish`]
/// hashes it in one call (faster than streaming many short pieces) and
/// [`KeyHasher::clear`] makes it ready for the next row without reallocating.
#[derive(Clone, Default)]
pub struct KeyHasher {
    buf: Vec<u8>,
}

impl KeyHasher {
    /// A hasher with no values yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Forgets the values added so far.
    pub fn clear(&mut self) {
        self.buf.clear();
    }

    /// Adds a NULL.
    pub fn null(&mut self) {
        self.buf.push(TAG_NULL);
    }

    /// Adds a string.
    pub fn string(&mut self, s: &str) {
        self.prefixed(TAG_STRING, s.as_bytes());
    }

    /// Adds a binary value.
    pub fn binary(&mut self, b: &[u8]) {
        self.prefixed(TAG_BINARY, b);
    }

    /// Adds an integer of any width.
    pub fn integer(&mut self, v: i128) {
        self.buf.push(TAG_INTEGER);
        self.buf.extend_from_slice(&v.to_le_bytes());
    }

    /// Adds a boolean.
    pub fn boolean(&mut self, v: bool) {
        self.buf.extend_from_slice(&[TAG_BOOLEAN, u8::from(v)]);
    }

    /// The key of the values added so far.
    pub fn finish(&self) -> i64 {
        i64::from_le_bytes(xxh64(&self.buf, 0).to_le_bytes())
    }

    fn prefixed(&mut self, tag: u8, bytes: &[u8]) {
        self.buf.push(tag);
        self.buf
            .extend_from_slice(&(bytes.len() as u64).to_le_bytes());
        self.buf.extend_from_slice(bytes);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(f: impl FnOnce(&mut KeyHasher)) -> i64 {
        let mut h = KeyHasher::new();
        f(&mut h);
        h.finish()
    }

    #[test]
    fn xxh64_matches_the_published_test_vectors() {
        // From the xxHash reference implementation (seed 0).
        assert_eq!(xxhash_rust::xxh64::xxh64(b"", 0), 0xEF46_DB37_51D8_E999);
        assert_eq!(xxhash_rust::xxh64::xxh64(b"a", 0), 0xD24E_C4F1_A98C_6E5B);
        assert_eq!(xxhash_rust::xxh64::xxh64(b"abc", 0), 0x44BC_2CF5_AD77_0999);
    }

    #[test]
    fn the_encoding_is_as_documented() {
        let mut bytes = vec![TAG_STRING];
        bytes.extend_from_slice(&8u64.to_le_bytes());
        bytes.extend_from_slice(b"ethereum");
        bytes.push(TAG_INTEGER);
        bytes.extend_from_slice(&7i128.to_le_bytes());
        bytes.push(TAG_NULL);
        bytes.extend_from_slice(&[TAG_BOOLEAN, 1]);
        bytes.push(TAG_BINARY);
        bytes.extend_from_slice(&2u64.to_le_bytes());
        bytes.extend_from_slice(&[0xab, 0xcd]);
        let expected = xxhash_rust::xxh64::xxh64(&bytes, 0) as i64;
        let got = key(|h| {
            h.string("ethereum");
            h.integer(7);
            h.null();
            h.boolean(true);
            h.binary(&[0xab, 0xcd]);
        });
        assert_eq!(got, expected);
    }

    /// Golden values: a change here changes every stored key (bump [`KEY_SCHEME`]).
    /// The same values are pinned through SQL in `tests/slt/key_hash.slt`.
    #[test]
    fn golden_values_are_pinned() {
        let tx = "0x5c504ed432cb51138bcf09aa5e8a410dd4a1e204ef84bfed1be16dfba1b22060";
        assert_eq!(
            key(|h| {
                h.string("ethereum");
                h.string(tx);
                h.integer(0);
            }),
            GOLDEN_TRANSFER_KEY
        );
        assert_eq!(
            key(|h| {
                h.string("tron");
                h.string("TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t");
            }),
            GOLDEN_ADDRESS_KEY
        );
        assert_eq!(key(|h| h.null()), GOLDEN_NULL_KEY);
        assert_eq!(key(|h| h.integer(1)), GOLDEN_ONE_KEY);
    }

    // Computed independently from the documented encoding with Python's `xxhash`
    // package (xxh64_intdigest, seed 0).
    const GOLDEN_TRANSFER_KEY: i64 = 106_751_814_745_197_726;
    const GOLDEN_ADDRESS_KEY: i64 = 2_801_208_190_359_244_597;
    const GOLDEN_NULL_KEY: i64 = -1_642_502_924_627_794_072;
    const GOLDEN_ONE_KEY: i64 = 1_323_402_342_367_492_960;

    #[test]
    fn keys_separate_what_they_must() {
        let ab_c = key(|h| {
            h.string("ab");
            h.string("c");
        });
        let a_bc = key(|h| {
            h.string("a");
            h.string("bc");
        });
        assert_ne!(ab_c, a_bc);
        assert_ne!(key(|h| h.string("1")), key(|h| h.integer(1)));
        assert_ne!(key(|h| h.string("")), key(|h| h.null()));
        assert_ne!(key(|h| h.string("ab")), key(|h| h.binary(b"ab")));
        assert_ne!(key(|h| h.integer(-1)), key(|h| h.integer(u64::MAX as i128)));
    }
}
