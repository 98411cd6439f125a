//! Portable `exp`, `ln` and `powf`, built from + − × ÷ only.
//!
//! `f64::exp` and `f64::ln` call the platform's libm, whose last-bit rounding differs
//! between glibc, musl, macOS and Windows. One differing bit in an amount changes a
//! Parquet file, and the generator promises byte-identical output for a seed, so it
//! never calls them. IEEE 754 makes the four basic operations (and `sqrt`, `round`)
//! correctly rounded everywhere, so these series give the same bits on every platform.

use std::f64::consts::{LN_2, SQRT_2};

/// ln 2 split Cody–Waite style (fdlibm's constants): `k · LN2_HI` is exact for the
/// exponents we meet, so the range reduction in [`exp`] loses no bits.
const LN2_HI: f64 = f64::from_bits(0x3fe6_2e42_fee0_0000);
const LN2_LO: f64 = f64::from_bits(0x3dea_39ef_3579_3c76);

/// e^x, accurate to a few ulps over the whole range.
pub fn exp(x: f64) -> f64 {
    if x.is_nan() {
        return x;
    }
    if x > 709.0 {
        return f64::MAX;
    }
    if x < -708.0 {
        return 0.0;
    }
    // x = k·ln2 + r with |r| ≤ ln2/2, so e^x = 2^k · e^r and the series for e^r
    // converges fast (18 terms reach below 1e-19 for |r| ≤ 0.35).
    let k = (x / LN_2).round();
    let r = (x - k * LN2_HI) - k * LN2_LO;
    let mut term = 1.0;
    let mut sum = 1.0;
    for n in 1..=18_i32 {
        term *= r / f64::from(n);
        sum += term;
    }
    sum * pow2(k as i32)
}

/// 2^k for k in the normal exponent range, built from the bit pattern.
fn pow2(k: i32) -> f64 {
    let k = k.clamp(-1022, 1023);
    f64::from_bits(((k + 1023) as u64) << 52)
}

/// Natural logarithm; NaN for negative input, −∞ for zero.
pub fn ln(x: f64) -> f64 {
    if x.is_nan() || x < 0.0 {
        return f64::NAN;
    }
    if x == 0.0 {
        return f64::NEG_INFINITY;
    }
    if x.is_infinite() {
        return x;
    }
    // Split x = m · 2^e with m in [1, 2) straight from the bits (scaling subnormals up
    // first), then fold m into [√½, √2] so the atanh series below converges quickly.
    let (x, adjust) = if x < f64::MIN_POSITIVE {
        (x * 18_014_398_509_481_984.0, -54_i64) // 2^54
    } else {
        (x, 0)
    };
    let bits = x.to_bits();
    let mut e = ((bits >> 52) & 0x7ff) as i64 - 1023 + adjust;
    let mut m = f64::from_bits((bits & 0x000f_ffff_ffff_ffff) | 0x3ff0_0000_0000_0000);
    if m > SQRT_2 {
        m /= 2.0;
        e += 1;
    }
    // ln m = 2·atanh(s) = 2·(s + s³/3 + s⁵/5 + …) with s = (m − 1)/(m + 1), |s| ≤ 0.172.
    let s = (m - 1.0) / (m + 1.0);
    let s2 = s * s;
    let mut term = s;
    let mut sum = 0.0;
    for n in 0..20_i32 {
        sum += term / f64::from(2 * n + 1);
        term *= s2;
    }
    2.0 * sum + e as f64 * LN_2
}

/// x^y for x > 0.
pub fn powf(x: f64, y: f64) -> f64 {
    exp(y * ln(x))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-12 * b.abs().max(1e-300)
    }

    #[test]
    fn exp_matches_std() {
        for i in -700..=700_i32 {
            let x = f64::from(i) * 0.731;
            assert!(
                close(exp(x), x.exp()),
                "exp({x}) = {} vs {}",
                exp(x),
                x.exp()
            );
        }
        assert_eq!(exp(0.0), 1.0);
    }

    #[test]
    fn ln_matches_std() {
        for i in 1..=2000_i32 {
            let x = f64::from(i) * 0.37;
            assert!((ln(x) - x.ln()).abs() < 1e-12, "ln({x})");
        }
        assert!((ln(1e-310) - 1e-310f64.ln()).abs() < 1e-10);
        assert_eq!(ln(1.0), 0.0);
        assert!(ln(-1.0).is_nan());
        assert!((powf(2.0, 10.0) - 1024.0).abs() < 1e-9);
    }
}
