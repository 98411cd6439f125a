//! A small seeded PRNG — xoshiro256** seeded through SplitMix64 — and the sampling
//! helpers the economy needs.
//!
//! Written here rather than taken from `rand` so that the number stream, and with it
//! every generated file, is fixed by this source alone: no dependency upgrade and no
//! platform can change what a seed produces. The helpers avoid libm for the same reason
//! (see the `math` module).

use crate::math;

/// Stream ids. Each part of the generator draws from its own stream, so a change in how
/// many numbers one part consumes (say, the Bitcoin model) leaves the others' output
/// untouched.
pub mod stream {
    /// Entities, users and their addresses.
    pub const SETUP: u64 = 1;
    /// Daily price paths.
    pub const PRICES: u64 = 2;
    /// Activity per day (weekly rhythm, growth, noise).
    pub const CALENDAR: u64 = 3;
    /// Ethereum events.
    pub const ETHEREUM: u64 = 4;
    /// Bitcoin events.
    pub const BITCOIN: u64 = 5;
    /// The messy re-export (duplicates, malformed rows).
    pub const MESSY: u64 = 6;
    /// Stablecoin issuers' freezes and seizures.
    pub const ISSUER: u64 = 7;
    /// TRON's token economy.
    pub const TRON: u64 = 8;
    /// TRON's issuer (Tether).
    pub const TRON_ISSUER: u64 = 9;
    /// The nested exchangers' activity on Ethereum.
    pub const NESTED: u64 = 10;
    /// … on TRON.
    pub const TRON_NESTED: u64 = 11;
}

const GOLDEN: u64 = 0x9E37_79B9_7F4A_7C15;

/// SplitMix64's output function: a bijection on `u64` with full avalanche, so distinct
/// inputs always give distinct outputs (used for ids as well as seeding).
pub fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// One SplitMix64 step.
fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(GOLDEN);
    mix64(*state)
}

/// xoshiro256** (Blackman & Vigna): fast, 256 bits of state, no known statistical
/// weakness that matters for simulation.
#[derive(Debug, Clone)]
pub struct Rng {
    s: [u64; 4],
}

impl Rng {
    /// The generator for `seed` and one of the [`stream`] ids.
    pub fn new(seed: u64, stream: u64) -> Self {
        let mut state = seed ^ mix64(stream.wrapping_mul(GOLDEN).wrapping_add(1));
        let mut s = [0u64; 4];
        for word in &mut s {
            *word = splitmix64(&mut state);
        }
        if s == [0; 4] {
            // The one state xoshiro cannot leave.
            s[0] = 1;
        }
        Self { s }
    }

    /// Next 64 random bits.
    pub fn u64(&mut self) -> u64 {
        let result = self.s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = self.s[1] << 17;
        self.s[2] ^= self.s[0];
        self.s[3] ^= self.s[1];
        self.s[1] ^= self.s[2];
        self.s[0] ^= self.s[3];
        self.s[2] ^= t;
        self.s[3] = self.s[3].rotate_left(45);
        result
    }

    /// Uniform in `0..n` (0 when `n` is 0), by Lemire's multiply-shift; the bias is
    /// below 2^-64 · n, far under anything a simulation can see.
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            return 0;
        }
        ((u128::from(self.u64()) * u128::from(n)) >> 64) as u64
    }

    /// Uniform index into a collection of `len` items (0 when empty).
    pub fn index(&mut self, len: usize) -> usize {
        self.below(len as u64) as usize
    }

    /// Uniform in `lo..=hi` (`lo` when `hi < lo`).
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        if hi <= lo {
            return lo;
        }
        match (hi - lo).checked_add(1) {
            Some(span) => lo + self.below(span),
            None => self.u64(),
        }
    }

    /// Uniform in [0, 1) with 53 random bits.
    pub fn f64(&mut self) -> f64 {
        (self.u64() >> 11) as f64 * (1.0 / 9_007_199_254_740_992.0)
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        self.f64() < p
    }

    /// A uniformly chosen element, `None` for an empty slice.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        if items.is_empty() {
            return None;
        }
        let i = self.index(items.len());
        items.get(i)
    }

    /// An index chosen with probability proportional to `weights` (0 when all are zero).
    pub fn weighted(&mut self, weights: &[f64]) -> usize {
        let total: f64 = weights.iter().sum();
        if total.is_nan() || total <= 0.0 {
            return 0;
        }
        let mut x = self.f64() * total;
        for (i, w) in weights.iter().enumerate() {
            if x < *w {
                return i;
            }
            x -= w;
        }
        weights.len().saturating_sub(1)
    }

    /// Approximately standard normal: the Irwin–Hall sum of 12 uniforms minus 6. Mean 0,
    /// variance 1, tails cut at ±6 — which keeps amounts finite — and no libm needed.
    pub fn normal(&mut self) -> f64 {
        let mut sum = 0.0;
        for _ in 0..12 {
            sum += self.f64();
        }
        sum - 6.0
    }

    /// Lognormal with the given median and log-space spread: the classic shape of
    /// payment amounts (most small, a heavy tail of large ones).
    pub fn lognormal(&mut self, median: f64, sigma: f64) -> f64 {
        median * math::exp(sigma * self.normal())
    }

    /// Exponential with the given mean: gaps between independent events.
    pub fn exponential(&mut self, mean: f64) -> f64 {
        // 1 − u is in (0, 1], so the logarithm is finite.
        -math::ln(1.0 - self.f64()) * mean
    }

    /// Fills `out` with random bytes.
    pub fn fill(&mut self, out: &mut [u8]) {
        for chunk in out.chunks_mut(8) {
            let bytes = self.u64().to_le_bytes();
            chunk.copy_from_slice(&bytes[..chunk.len()]);
        }
    }

    /// Fisher–Yates shuffle.
    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.index(i + 1);
            items.swap(i, j);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stream_is_fixed_by_seed() {
        let mut a = Rng::new(7, stream::ETHEREUM);
        let mut b = Rng::new(7, stream::ETHEREUM);
        let mut c = Rng::new(7, stream::BITCOIN);
        let xs: Vec<u64> = (0..8).map(|_| a.u64()).collect();
        let ys: Vec<u64> = (0..8).map(|_| b.u64()).collect();
        let zs: Vec<u64> = (0..8).map(|_| c.u64()).collect();
        assert_eq!(xs, ys);
        assert_ne!(xs, zs);
    }

    #[test]
    fn helpers_stay_in_range() {
        let mut r = Rng::new(1, 2);
        for _ in 0..10_000 {
            assert!(r.below(7) < 7);
            let x = r.range(5, 9);
            assert!((5..=9).contains(&x));
            let f = r.f64();
            assert!((0.0..1.0).contains(&f));
            assert!(r.weighted(&[0.0, 1.0, 0.0]) == 1);
            assert!(r.exponential(2.0) >= 0.0);
            assert!(r.lognormal(100.0, 1.0) > 0.0);
        }
        assert_eq!(r.pick::<u8>(&[]), None);
        let mut v: Vec<u32> = (0..50).collect();
        r.shuffle(&mut v);
        v.sort_unstable();
        assert_eq!(v, (0..50).collect::<Vec<_>>());
    }

    #[test]
    fn normal_has_unit_variance() {
        let mut r = Rng::new(3, 4);
        let n: i32 = 100_000;
        let xs: Vec<f64> = (0..n).map(|_| r.normal()).collect();
        let mean = xs.iter().sum::<f64>() / f64::from(n);
        let var = xs.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / f64::from(n);
        assert!(mean.abs() < 0.02, "{mean}");
        assert!((var - 1.0).abs() < 0.03, "{var}");
    }
}
