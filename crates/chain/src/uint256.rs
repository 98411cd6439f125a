//! Exact unsigned 256-bit integers, the type of every ERC-20 / TRC-20 amount.
//!
//! Exports write them as decimal text (BigQuery, ethereum-etl, tronetl), hex text, or
//! 32 big-endian bytes (cryo). SQL holds them as `DECIMAL(76, 0)` (Arrow `Decimal256`),
//! which is exact and summable; its 76 digits cover every uint256 below 10^76, and
//! larger values (only ever seen on spam tokens) are reported, never rounded.

use std::fmt;

use arrow_buffer::i256;

use super::hex;

/// Largest precision of Arrow's `Decimal256`.
pub const DECIMAL_PRECISION: u8 = 76;

/// An unsigned 256-bit integer as four little-endian 64-bit limbs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct U256(pub [u64; 4]);

impl Ord for U256 {
    /// Numeric order: compare from the most significant limb down (the derived order
    /// would compare the least significant limb first).
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.iter().rev().cmp(other.0.iter().rev())
    }
}

impl PartialOrd for U256 {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

/// Why a raw amount is not a usable uint256.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AmountError {
    /// Null or empty text.
    Missing,
    /// Not a decimal / hex number (letters, spaces, fractions, exponents…).
    NotNumeric,
    /// A minus sign: token amounts are unsigned.
    Negative,
    /// Larger than 2^256 − 1: not a uint256 at all.
    Overflow,
    /// A valid uint256 ≥ 10^76: exact in text, but beyond `DECIMAL(76, 0)`.
    BeyondDecimal,
}

impl AmountError {
    /// Short stable code used in reject reasons.
    pub fn code(self) -> &'static str {
        match self {
            AmountError::Missing => "value missing",
            AmountError::NotNumeric => "value not numeric",
            AmountError::Negative => "value negative",
            AmountError::Overflow => "value overflows uint256",
            AmountError::BeyondDecimal => "value >= 10^76 (beyond DECIMAL(76,0))",
        }
    }
}

impl fmt::Display for AmountError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl std::error::Error for AmountError {}

impl U256 {
    /// 2^256 − 1.
    pub const MAX: U256 = U256([u64::MAX; 4]);

    /// `self * m + a`, or `None` on overflow.
    fn mul_add_small(self, m: u64, a: u64) -> Option<U256> {
        let mut out = [0u64; 4];
        let mut carry = a as u128;
        for (i, limb) in self.0.iter().enumerate() {
            let v = (*limb as u128) * (m as u128) + carry;
            out[i] = v as u64;
            carry = v >> 64;
        }
        (carry == 0).then_some(U256(out))
    }

    /// Parses decimal digits (leading `+` and zeros allowed, `_`/spaces not).
    pub fn from_dec_str(s: &str) -> Result<U256, AmountError> {
        let t = s.trim();
        if t.is_empty() {
            return Err(AmountError::Missing);
        }
        if let Some(rest) = t.strip_prefix('-') {
            // "-0" is still zero, but a signed amount is a data error either way.
            return if !rest.is_empty() && rest.bytes().all(|c| c.is_ascii_digit()) {
                Err(AmountError::Negative)
            } else {
                Err(AmountError::NotNumeric)
            };
        }
        let digits = t.strip_prefix('+').unwrap_or(t);
        if digits.is_empty() {
            return Err(AmountError::NotNumeric);
        }
        let mut v = U256::default();
        for c in digits.bytes() {
            if !c.is_ascii_digit() {
                return Err(AmountError::NotNumeric);
            }
            v = v
                .mul_add_small(10, (c - b'0') as u64)
                .ok_or(AmountError::Overflow)?;
        }
        Ok(v)
    }

    /// Parses `0x`-prefixed hex (up to 64 significant digits).
    pub fn from_hex_str(s: &str) -> Result<U256, AmountError> {
        let t = hex::strip_0x(s.trim());
        if t.is_empty() {
            return Err(AmountError::NotNumeric);
        }
        let mut v = U256::default();
        for c in t.bytes() {
            let d = hex::digit(c).ok_or(AmountError::NotNumeric)?;
            v = v.mul_add_small(16, d as u64).ok_or(AmountError::Overflow)?;
        }
        Ok(v)
    }

    /// Parses text: `0x…` as hex, anything else as decimal.
    pub fn parse(s: &str) -> Result<U256, AmountError> {
        let t = s.trim();
        if t.starts_with("0x") || t.starts_with("0X") {
            U256::from_hex_str(t)
        } else {
            U256::from_dec_str(t)
        }
    }

    /// Big-endian bytes, at most 32 (shorter inputs are left-padded; cryo writes 32).
    pub fn from_be_slice(b: &[u8]) -> Result<U256, AmountError> {
        if b.is_empty() {
            return Err(AmountError::Missing);
        }
        let significant = b.iter().position(|x| *x != 0).unwrap_or(b.len());
        if b.len() - significant > 32 {
            return Err(AmountError::Overflow);
        }
        let mut buf = [0u8; 32];
        let tail = &b[significant..];
        buf[32 - tail.len()..].copy_from_slice(tail);
        let mut limbs = [0u64; 4];
        for (i, limb) in limbs.iter_mut().enumerate() {
            let start = 32 - 8 * (i + 1);
            let mut w = [0u8; 8];
            w.copy_from_slice(&buf[start..start + 8]);
            *limb = u64::from_be_bytes(w);
        }
        Ok(U256(limbs))
    }

    /// The value as `Decimal256` unscaled integer, if it fits in 76 digits.
    pub fn to_decimal(self) -> Result<i256, AmountError> {
        if self >= pow10_76() {
            return Err(AmountError::BeyondDecimal);
        }
        let mut le = [0u8; 32];
        for (i, limb) in self.0.iter().enumerate() {
            le[i * 8..i * 8 + 8].copy_from_slice(&limb.to_le_bytes());
        }
        Ok(i256::from_le_bytes(le))
    }

    /// Lowercase `0x` hex without leading zeros (`0x0` for zero).
    pub fn to_hex(self) -> String {
        let mut be = [0u8; 32];
        for (i, limb) in self.0.iter().enumerate() {
            be[32 - 8 * (i + 1)..32 - 8 * i].copy_from_slice(&limb.to_be_bytes());
        }
        let h = hex::encode(&be);
        let trimmed = h.trim_start_matches('0');
        format!("0x{}", if trimmed.is_empty() { "0" } else { trimmed })
    }
}

fn pow10_76() -> U256 {
    static P: std::sync::OnceLock<U256> = std::sync::OnceLock::new();
    *P.get_or_init(|| {
        let mut v = U256([1, 0, 0, 0]);
        for _ in 0..76 {
            // 10^76 < 2^256, so this never overflows.
            v = v.mul_add_small(10, 0).unwrap_or(U256::MAX);
        }
        v
    })
}

/// Parses and range-checks in one step: the exact `DECIMAL(76,0)` value or why not.
pub fn parse_decimal(s: &str) -> Result<i256, AmountError> {
    U256::parse(s)?.to_decimal()
}

/// Converts a `Decimal256` unscaled integer back into a `U256` (None when negative).
pub fn from_decimal(v: i256) -> Option<U256> {
    if v.is_negative() {
        return None;
    }
    let le = v.to_le_bytes();
    let mut limbs = [0u64; 4];
    for (i, limb) in limbs.iter_mut().enumerate() {
        let mut w = [0u8; 8];
        w.copy_from_slice(&le[i * 8..i * 8 + 8]);
        *limb = u64::from_le_bytes(w);
    }
    Some(U256(limbs))
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAX_DEC: &str =
        "115792089237316195423570985008687907853269984665640564039457584007913129639935";

    #[test]
    fn decimal_parsing() {
        assert_eq!(parse_decimal("0").unwrap(), i256::ZERO);
        assert_eq!(
            parse_decimal("1000000").unwrap(),
            i256::from_i128(1_000_000)
        );
        assert_eq!(U256::from_dec_str(MAX_DEC).unwrap(), U256::MAX);
        let over = "115792089237316195423570985008687907853269984665640564039457584007913129639936";
        assert_eq!(U256::from_dec_str(over), Err(AmountError::Overflow));
        assert_eq!(
            U256::from_dec_str(&"9".repeat(80)),
            Err(AmountError::Overflow)
        );
        assert_eq!(U256::from_dec_str("-5"), Err(AmountError::Negative));
        assert_eq!(U256::from_dec_str("12abc"), Err(AmountError::NotNumeric));
        assert_eq!(U256::from_dec_str("1.5"), Err(AmountError::NotNumeric));
        assert_eq!(U256::from_dec_str("1e18"), Err(AmountError::NotNumeric));
        assert_eq!(U256::from_dec_str(""), Err(AmountError::Missing));
        assert_eq!(U256::MAX.to_decimal(), Err(AmountError::BeyondDecimal));
        let largest = "9".repeat(76);
        assert_eq!(parse_decimal(&largest).unwrap().to_string(), largest);
        assert_eq!(
            parse_decimal(&format!("1{}", "0".repeat(76))),
            Err(AmountError::BeyondDecimal)
        );
    }

    #[test]
    fn hex_and_bytes() {
        assert_eq!(U256::parse("0xff").unwrap(), U256([255, 0, 0, 0]));
        assert_eq!(
            U256::parse(&format!("0x{}", "f".repeat(64))).unwrap(),
            U256::MAX
        );
        assert_eq!(
            U256::parse(&format!("0x1{}", "0".repeat(64))),
            Err(AmountError::Overflow)
        );
        let mut b = [0u8; 32];
        b[31] = 1;
        b[0] = 0x80;
        let v = U256::from_be_slice(&b).unwrap();
        assert_eq!(v.0, [1, 0, 0, 1 << 63]);
        assert_eq!(U256::from_be_slice(&[0u8; 40]).unwrap(), U256::default());
        let mut long = [0u8; 33];
        long[0] = 1;
        assert_eq!(U256::from_be_slice(&long), Err(AmountError::Overflow));
        assert_eq!(U256([255, 0, 0, 0]).to_hex(), "0xff");
        assert_eq!(U256::default().to_hex(), "0x0");
    }

    #[test]
    fn numeric_order() {
        assert!(U256([0, 1, 0, 0]) > U256([u64::MAX, 0, 0, 0]));
        assert!(U256([5, 0, 0, 0]) < U256([0, 0, 0, 1]));
    }

    #[test]
    fn decimal_roundtrip() {
        let v = U256::from_dec_str("123456789012345678901234567890123456789").unwrap();
        let d = v.to_decimal().unwrap();
        assert_eq!(from_decimal(d), Some(v));
        assert_eq!(from_decimal(i256::MINUS_ONE), None);
    }
}
