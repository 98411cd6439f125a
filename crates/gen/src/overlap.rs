//! The messy re-export next to each month's clean file: `YYYY-MM-overlap.parquet`.
//!
//! Real exports overlap (a re-run exporter window, a backfill) and carry junk; the job
//! must deduplicate the one and reject the other. So about 2% of each month's rows are
//! repeated verbatim — plus a few from the previous month's last day, as an export
//! window straddling midnight would — and about 0.1% (at least one per month) are
//! malformed rows the readers must reject. Malformed rows get fresh transaction hashes,
//! so rejecting them never hides a valid row with the same key. None of this enters
//! the ground truth.

use std::path::Path;

use crate::calendar::MonthKey;
use crate::error::GenError;
use crate::eth_rows::{EthBatch, EthRow};
use crate::ids::{self, domain};
use crate::parquet_out::MonthlyParquet;
use crate::rng::{stream, Rng};

const DUPLICATE_RATE: f64 = 0.02;
const CARRY_RATE: f64 = 0.02;
const MALFORMED_RATE: f64 = 0.001;

/// The overlap files being written.
pub struct Overlap {
    writer: MonthlyParquet<EthBatch>,
    rng: Rng,
    carry: Vec<EthRow>,
    month: Option<MonthKey>,
    salt: u64,
    count: u64,
    duplicates: u64,
    malformed: u64,
}

impl Overlap {
    /// Overlap files under `out/dir`, drawing from the messy stream of `seed` (so the
    /// clean data does not depend on how messy the copy is).
    pub fn new(out: &Path, dir: &'static str, seed: u64) -> Self {
        Self {
            writer: MonthlyParquet::new(out, dir, "-overlap"),
            rng: Rng::new(seed, stream::MESSY),
            carry: Vec::new(),
            month: None,
            salt: ids::salt(seed, domain::MALFORMED_TX),
            count: 0,
            duplicates: 0,
            malformed: 0,
        }
    }

    /// Sees one clean row of `month`, in order.
    pub fn observe(
        &mut self,
        row: &EthRow,
        month: MonthKey,
        month_end: bool,
    ) -> Result<(), GenError> {
        if self.month != Some(month) {
            self.month = Some(month);
            for carried in std::mem::take(&mut self.carry) {
                self.writer.push(month, &carried)?;
                self.duplicates += 1;
            }
            self.push_malformed(month, row)?;
        }
        if self.rng.chance(DUPLICATE_RATE) {
            self.writer.push(month, row)?;
            self.duplicates += 1;
        }
        // The first row of a month's last day is always carried, so every month after
        // the first has at least one straddling row.
        if month_end && (self.carry.is_empty() || self.rng.chance(CARRY_RATE)) {
            self.carry.push(row.clone());
        }
        if self.rng.chance(MALFORMED_RATE) {
            self.push_malformed(month, row)?;
        }
        Ok(())
    }

    /// A broken copy of `row`: one of the classic export defects.
    fn push_malformed(&mut self, month: MonthKey, row: &EthRow) -> Result<(), GenError> {
        self.count += 1;
        let mut bad = row.clone();
        bad.transaction_hash = ids::eth_tx_hash(self.salt, self.count);
        bad.log_index = 0;
        match self.rng.below(5) {
            // Truncated address.
            0 => bad.to_address = "0x1234".to_string(),
            // Non-hex characters.
            1 => {
                bad.from_address =
                    format!("0xzzzz{}", row.from_address.get(6..).unwrap_or_default())
            }
            // Negative amount.
            2 => bad.value = "-5".to_string(),
            // Float notation (an exporter that went through a spreadsheet).
            3 => bad.value = "1.5e3".to_string(),
            // Empty amount.
            _ => bad.value = String::new(),
        }
        self.writer.push(month, &bad)?;
        self.malformed += 1;
        Ok(())
    }

    /// Closes the last file; returns (files, duplicate rows, malformed rows). Rows carried
    /// from the last month of the data set have no next month and are dropped.
    pub fn finish(self) -> Result<(Vec<String>, u64, u64), GenError> {
        let (files, _) = self.writer.finish()?;
        Ok((files, self.duplicates, self.malformed))
    }
}
