//! Hex helpers shared by the address and amount codecs.

/// Value of one ASCII hex digit, or `None`.
pub fn digit(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// Strips one leading `0x` / `0X`.
pub fn strip_0x(s: &str) -> &str {
    s.strip_prefix("0x")
        .or_else(|| s.strip_prefix("0X"))
        .unwrap_or(s)
}

/// Decodes an even-length hex string into `out`; false on any bad digit or length mismatch.
pub fn decode_into(s: &[u8], out: &mut [u8]) -> bool {
    if s.len() != out.len() * 2 {
        return false;
    }
    for (i, pair) in s.chunks_exact(2).enumerate() {
        match (digit(pair[0]), digit(pair[1])) {
            (Some(h), Some(l)) => out[i] = (h << 4) | l,
            _ => return false,
        }
    }
    true
}

/// True when every byte is a lowercase hex digit (`0-9a-f`).
pub fn is_lower_hex(s: &[u8]) -> bool {
    s.iter().all(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f'))
}

/// Lowercase hex of `bytes`, without prefix.
pub fn encode(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[(b >> 4) as usize] as char);
        s.push(DIGITS[(b & 0xf) as usize] as char);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roundtrip() {
        let mut out = [0u8; 3];
        assert!(decode_into(b"0aFf10", &mut out));
        assert_eq!(out, [0x0a, 0xff, 0x10]);
        assert_eq!(encode(&out), "0aff10");
        assert!(!decode_into(b"0aFf1", &mut out));
        assert!(!decode_into(b"0aFg10", &mut out));
        assert_eq!(strip_0x("0xab"), "ab");
        assert_eq!(strip_0x("ab"), "ab");
        assert!(is_lower_hex(b"09af"));
        assert!(!is_lower_hex(b"09aF"));
        assert!(!is_lower_hex(b"0x"));
    }
}
