//! The parameters with every default filled in and every limit checked, so the rest of
//! the generator works with plain numbers.

use chrono::{Datelike, NaiveDate};

use crate::error::GenError;
use crate::names::EXCHANGE_NAMES;
use crate::GenParams;

/// Resolved parameters.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Target Ethereum token-transfer rows.
    pub transfers: u64,
    /// Seed of every random stream.
    pub seed: u64,
    /// First day.
    pub start: NaiveDate,
    /// Number of days.
    pub days: u32,
    /// Number of exchanges.
    pub exchanges: usize,
    /// Number of users.
    pub users: usize,
    /// Target Bitcoin transactions.
    pub btc_transactions: u64,
    /// Bitcoin transactions per Ethereum transfer, as given.
    pub btc_tx_per_transfer: f64,
}

/// Fewest exchanges that still give at least three labelled ones (two registered, one
/// licensed and one not, plus one labelled but unregistered) and one unlabelled.
const MIN_EXCHANGES: usize = 4;
/// Fewest users: enough for peers, CoinJoin rounds and several depositors per exchange.
const MIN_USERS: usize = 10;

impl Plan {
    /// Fills defaults and validates.
    pub fn resolve(p: &GenParams) -> Result<Self, GenError> {
        if p.transfers == 0 {
            return Err(GenError::Invalid("transfers must be at least 1".into()));
        }
        if p.days == 0 || p.days > 36_600 {
            return Err(GenError::Invalid(format!(
                "days must be between 1 and 36600, got {}",
                p.days
            )));
        }
        // Block timestamps are microseconds in an i64: keep dates in a sane era.
        if !(1970..=9999).contains(&p.start.year()) {
            return Err(GenError::Invalid(format!(
                "start must be between 1970 and 9999, got {}",
                p.start
            )));
        }
        let exchanges = match p.exchanges {
            Some(n) => n,
            None => ((p.transfers / 4_000) as usize).clamp(MIN_EXCHANGES, EXCHANGE_NAMES.len()),
        };
        if !(MIN_EXCHANGES..=EXCHANGE_NAMES.len()).contains(&exchanges) {
            return Err(GenError::Invalid(format!(
                "exchanges must be between {MIN_EXCHANGES} and {}, got {exchanges}",
                EXCHANGE_NAMES.len()
            )));
        }
        let users = match p.users {
            Some(n) => n,
            None => ((p.transfers / 15) as usize).max(50),
        };
        if users < MIN_USERS || users > u32::MAX as usize {
            return Err(GenError::Invalid(format!(
                "users must be between {MIN_USERS} and {}, got {users}",
                u32::MAX
            )));
        }
        let ratio = p.btc_tx_per_transfer;
        if !ratio.is_finite() || !(0.0..=100.0).contains(&ratio) {
            return Err(GenError::Invalid(format!(
                "btc_tx_per_transfer must be between 0 and 100, got {ratio}"
            )));
        }
        Ok(Self {
            transfers: p.transfers,
            seed: p.seed,
            start: p.start,
            days: p.days,
            exchanges,
            users,
            btc_transactions: (p.transfers as f64 * ratio).round() as u64,
            btc_tx_per_transfer: ratio,
        })
    }
}
