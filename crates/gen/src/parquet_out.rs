//! Monthly Parquet files written as a stream: rows arrive in time order, are buffered a
//! batch at a time, and go to the file of their month; when the month changes the file
//! is closed. Memory stays at one batch plus one row group however many rows a month has.

use std::fs::File;
use std::path::{Path, PathBuf};

use arrow::datatypes::SchemaRef;
use arrow::record_batch::RecordBatch;
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;

use crate::calendar::MonthKey;
use crate::error::{io_error, parquet_error, GenError};

/// Rows buffered before they are handed to the Parquet writer.
const BATCH_ROWS: usize = 65_536;
/// Rows per row group: bounds the writer's memory and gives readers parallelism.
const ROW_GROUP_ROWS: usize = 262_144;

/// A columnar buffer for one output schema.
pub trait RowBuffer: Default {
    /// One row.
    type Row;
    /// The file schema.
    fn schema() -> SchemaRef;
    /// Appends a row.
    fn push(&mut self, row: &Self::Row);
    /// Buffered rows.
    fn len(&self) -> usize;
    /// Whether nothing is buffered.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// The buffered rows as a batch; the buffer is left empty.
    fn take_batch(&mut self) -> Result<RecordBatch, GenError>;
}

/// Fixed writer settings. Nothing in them depends on time or environment, so the same
/// rows always give the same bytes (the `created_by` string is the parquet crate's
/// constant).
fn writer_properties() -> WriterProperties {
    WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
        .build()
}

struct OpenFile {
    month: MonthKey,
    rel: String,
    path: PathBuf,
    writer: ArrowWriter<File>,
}

/// `out/dir/YYYY-MM{suffix}.parquet`, one per month that has rows.
pub struct MonthlyParquet<B: RowBuffer> {
    out: PathBuf,
    dir: &'static str,
    suffix: &'static str,
    open: Option<OpenFile>,
    buf: B,
    files: Vec<String>,
    rows: u64,
}

impl<B: RowBuffer> MonthlyParquet<B> {
    /// A writer for files under `out/dir`; nothing is created before the first row.
    pub fn new(out: &Path, dir: &'static str, suffix: &'static str) -> Self {
        Self {
            out: out.to_path_buf(),
            dir,
            suffix,
            open: None,
            buf: B::default(),
            files: Vec::new(),
            rows: 0,
        }
    }

    /// Rows written so far.
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// Appends a row to `month`'s file. Months must come in order: a month that was
    /// closed is never reopened.
    pub fn push(&mut self, month: MonthKey, row: &B::Row) -> Result<(), GenError> {
        let same = self.open.as_ref().is_some_and(|o| o.month == month);
        if !same {
            self.close_file()?;
            self.open_file(month)?;
        }
        self.buf.push(row);
        self.rows += 1;
        if self.buf.len() >= BATCH_ROWS {
            self.flush()?;
        }
        Ok(())
    }

    fn open_file(&mut self, month: MonthKey) -> Result<(), GenError> {
        let rel = format!(
            "{}/{:04}-{:02}{}.parquet",
            self.dir, month.0, month.1, self.suffix
        );
        let path = self.out.join(&rel);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| io_error(dir, e))?;
        }
        let file = File::create(&path).map_err(|e| io_error(&path, e))?;
        let writer = ArrowWriter::try_new(file, B::schema(), Some(writer_properties()))
            .map_err(|e| parquet_error(&path, e))?;
        self.open = Some(OpenFile {
            month,
            rel,
            path,
            writer,
        });
        Ok(())
    }

    fn flush(&mut self) -> Result<(), GenError> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let batch = self.buf.take_batch()?;
        if let Some(open) = self.open.as_mut() {
            open.writer
                .write(&batch)
                .map_err(|e| parquet_error(&open.path, e))?;
        }
        Ok(())
    }

    fn close_file(&mut self) -> Result<(), GenError> {
        self.flush()?;
        if let Some(open) = self.open.take() {
            let OpenFile {
                rel, path, writer, ..
            } = open;
            writer.close().map_err(|e| parquet_error(&path, e))?;
            self.files.push(rel);
        }
        Ok(())
    }

    /// Closes the last file; returns the files written (relative to `out`) and the row
    /// count.
    pub fn finish(mut self) -> Result<(Vec<String>, u64), GenError> {
        self.close_file()?;
        Ok((self.files, self.rows))
    }
}
