//! Time: the days of the data set, their months (one file each), how busy each day is,
//! and the block clocks that turn an event time into a block number and timestamp.
//!
//! Event times are milliseconds since the start date's midnight UTC. Blocks come at a
//! fixed cadence from a fixed first block, so block number and time agree exactly and
//! every day is a whole number of blocks (7 200 on Ethereum, 144 on Bitcoin).

use chrono::{Datelike, Days, NaiveDate, Weekday};

use crate::error::GenError;
use crate::rng::Rng;

/// One day in milliseconds.
pub const DAY_MS: i64 = 86_400_000;

/// A chain's block cadence.
#[derive(Debug, Clone, Copy)]
pub struct BlockClock {
    /// Block number at the start date's midnight.
    pub first: i64,
    /// Seconds between blocks.
    pub seconds: i64,
}

/// Ethereum: a block every 12 s (post-merge slots), from block 21 525 000.
pub const ETH_CLOCK: BlockClock = BlockClock {
    first: 21_525_000,
    seconds: 12,
};

/// Bitcoin: a block every 600 s (the target interval), from block 877 000.
pub const BTC_CLOCK: BlockClock = BlockClock {
    first: 877_000,
    seconds: 600,
};

impl BlockClock {
    /// The block an event at `t_ms` lands in.
    pub fn block_at(&self, t_ms: i64) -> i64 {
        self.first + t_ms.div_euclid(self.seconds * 1_000)
    }
}

/// A (year, month) pair: the unit of output files.
pub type MonthKey = (i32, u32);

/// The days of the data set.
pub struct Calendar {
    start_unix: i64,
    dates: Vec<NaiveDate>,
}

impl Calendar {
    /// `days` consecutive days from `start`.
    pub fn new(start: NaiveDate, days: u32) -> Result<Self, GenError> {
        if days == 0 {
            return Err(GenError::Invalid("days must be at least 1".into()));
        }
        let mut dates = Vec::with_capacity(days as usize);
        for d in 0..=days {
            let date = start
                .checked_add_days(Days::new(u64::from(d)))
                .ok_or_else(|| {
                    GenError::Invalid(format!("{start} + {days} days is out of range"))
                })?;
            if d < days {
                dates.push(date);
            }
        }
        let start_unix = start
            .and_hms_opt(0, 0, 0)
            .ok_or_else(|| GenError::Invalid(format!("no midnight on {start}")))?
            .and_utc()
            .timestamp();
        Ok(Self { start_unix, dates })
    }

    /// Number of days.
    pub fn days(&self) -> usize {
        self.dates.len()
    }

    /// End of the last day, in event milliseconds (exclusive).
    pub fn end_ms(&self) -> i64 {
        self.days() as i64 * DAY_MS
    }

    /// The day an event time falls on (clamped to the data set).
    pub fn day_of(&self, t_ms: i64) -> usize {
        let last = self.days().saturating_sub(1) as i64;
        t_ms.div_euclid(DAY_MS).clamp(0, last) as usize
    }

    /// The date of day `day`.
    pub fn date(&self, day: usize) -> NaiveDate {
        self.dates
            .get(day)
            .or(self.dates.last())
            .copied()
            .unwrap_or_default()
    }

    /// `YYYY-MM-DD`.
    pub fn date_text(&self, day: usize) -> String {
        self.date(day).format("%Y-%m-%d").to_string()
    }

    /// Year of day `day`.
    pub fn year(&self, day: usize) -> i32 {
        self.date(day).year()
    }

    /// Month of day `day`.
    pub fn month(&self, day: usize) -> MonthKey {
        let d = self.date(day);
        (d.year(), d.month())
    }

    /// Whether day `day` is the last day of its month (its rows are the ones an
    /// overlapping exporter window re-exports with the next month).
    pub fn is_month_end(&self, day: usize) -> bool {
        let d = self.date(day);
        match d.succ_opt() {
            Some(next) => next.month() != d.month(),
            None => true,
        }
    }

    /// Block timestamp in microseconds since the epoch.
    pub fn block_time_us(&self, clock: &BlockClock, block: i64) -> i64 {
        (self.start_unix + (block - clock.first) * clock.seconds) * 1_000_000
    }

    /// Relative activity per day: quieter weekends, slow growth over the period, and
    /// day-to-day noise, as real chains show.
    pub fn day_weights(&self, rng: &mut Rng) -> Vec<f64> {
        let n = self.days().max(1) as f64;
        (0..self.days())
            .map(|d| {
                let weekend = matches!(self.date(d).weekday(), Weekday::Sat | Weekday::Sun);
                let rhythm = if weekend { 0.8 } else { 1.0 };
                let trend = 1.0 + 0.3 * d as f64 / n;
                rhythm * trend * (0.85 + 0.3 * rng.f64())
            })
            .collect()
    }
}

/// Splits `total` into integer parts proportional to `weights`, summing to `total`
/// exactly (cumulative rounding, so no part drifts by more than one).
pub fn split_budget(total: u64, weights: &[f64]) -> Vec<u64> {
    let sum: f64 = weights.iter().sum();
    let mut out = Vec::with_capacity(weights.len());
    if weights.is_empty() {
        return out;
    }
    if sum.is_nan() || sum <= 0.0 {
        out.resize(weights.len(), 0);
        if let Some(first) = out.first_mut() {
            *first = total;
        }
        return out;
    }
    let mut acc = 0.0;
    let mut given = 0u64;
    for (i, w) in weights.iter().enumerate() {
        acc += w;
        let upto = if i + 1 == weights.len() {
            total
        } else {
            ((acc / sum) * total as f64).round().min(total as f64) as u64
        };
        let upto = upto.max(given);
        out.push(upto - given);
        given = upto;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_and_days() {
        let start = NaiveDate::from_ymd_opt(2025, 1, 30).unwrap();
        let cal = Calendar::new(start, 5).unwrap();
        assert_eq!(ETH_CLOCK.block_at(0), 21_525_000);
        assert_eq!(ETH_CLOCK.block_at(DAY_MS), 21_525_000 + 7_200);
        assert_eq!(BTC_CLOCK.block_at(DAY_MS - 1), 877_000 + 143);
        assert_eq!(
            cal.block_time_us(&ETH_CLOCK, 21_525_001),
            (1_738_195_200 + 12) * 1_000_000
        );
        assert!(cal.is_month_end(1));
        assert!(!cal.is_month_end(0));
        assert_eq!(cal.month(2), (2025, 2));
        assert_eq!(cal.date_text(4), "2025-02-03");
    }

    #[test]
    fn split_is_exact() {
        let parts = split_budget(1_000, &[1.0, 2.0, 3.0, 0.5]);
        assert_eq!(parts.iter().sum::<u64>(), 1_000);
        assert_eq!(split_budget(5, &[]).len(), 0);
    }
}
