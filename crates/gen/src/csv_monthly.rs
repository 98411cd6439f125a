//! Monthly CSV files written as a stream (tronetl's layouts), like
//! [`crate::parquet_out::MonthlyParquet`]: rows come in time order, one file per month.

use std::path::{Path, PathBuf};

use crate::calendar::MonthKey;
use crate::csv_out::CsvFile;
use crate::error::GenError;

/// `out/dir/YYYY-MM.csv`, one per month that has rows.
pub struct MonthlyCsv {
    out: PathBuf,
    dir: &'static str,
    header: &'static [&'static str],
    open: Option<(MonthKey, CsvFile)>,
    files: Vec<String>,
    rows: u64,
}

impl MonthlyCsv {
    /// A writer for files under `out/dir`; nothing is created before the first row.
    pub fn new(out: &Path, dir: &'static str, header: &'static [&'static str]) -> Self {
        Self {
            out: out.to_path_buf(),
            dir,
            header,
            open: None,
            files: Vec::new(),
            rows: 0,
        }
    }

    /// Rows written so far.
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// Appends a row to `month`'s file (months in order).
    pub fn push(&mut self, month: MonthKey, fields: &[&str]) -> Result<(), GenError> {
        if self.open.as_ref().is_none_or(|(m, _)| *m != month) {
            if let Some((_, f)) = self.open.take() {
                self.files.push(f.finish()?);
            }
            let rel = format!("{}/{:04}-{:02}.csv", self.dir, month.0, month.1);
            self.open = Some((month, CsvFile::create(&self.out, &rel, self.header)?));
        }
        if let Some((_, f)) = self.open.as_mut() {
            f.row(fields)?;
        }
        self.rows += 1;
        Ok(())
    }

    /// Closes the last file; returns the files written and the row count.
    pub fn finish(mut self) -> Result<(Vec<String>, u64), GenError> {
        if let Some((_, f)) = self.open.take() {
            self.files.push(f.finish()?);
        }
        Ok((self.files, self.rows))
    }
}
