//! Rows of BigQuery's `crypto_ethereum.logs` (ethereum-etl `export_receipts_and_logs`):
//! the emitting contract, its topics as a list of `0x` hex strings, the ABI-encoded data as
//! `0x` hex, and where the log sits.

use std::sync::Arc;

use arrow::array::TimestampMicrosecondArray;
use arrow::array::{ArrayRef, Int64Array, ListBuilder, StringArray, StringBuilder};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use arrow::record_batch::RecordBatch;

use crate::error::GenError;
use crate::eth_rows::utc_micros;
use crate::parquet_out::RowBuffer;

/// One event log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogRow {
    /// Position of the log in its block.
    pub log_index: i64,
    /// `0x` + 64 hex.
    pub transaction_hash: String,
    /// The emitting contract.
    pub address: String,
    /// `0x` + hex.
    pub data: String,
    /// `0x` + 64 hex each, topic0 first.
    pub topics: Vec<String>,
    /// Block time, µs since the epoch.
    pub block_timestamp_us: i64,
    /// Block number.
    pub block_number: i64,
    /// `0x` + 64 hex.
    pub block_hash: String,
}

/// Column buffers of [`LogRow`]s.
#[derive(Default)]
pub struct LogBatch {
    rows: Vec<LogRow>,
}

impl RowBuffer for LogBatch {
    type Row = LogRow;

    fn schema() -> SchemaRef {
        Arc::new(Schema::new(vec![
            Field::new("log_index", DataType::Int64, true),
            Field::new("transaction_hash", DataType::Utf8, true),
            Field::new("address", DataType::Utf8, true),
            Field::new("data", DataType::Utf8, true),
            Field::new(
                "topics",
                DataType::List(Arc::new(Field::new("item", DataType::Utf8, true))),
                true,
            ),
            Field::new("block_timestamp", utc_micros(), true),
            Field::new("block_number", DataType::Int64, true),
            Field::new("block_hash", DataType::Utf8, true),
        ]))
    }

    fn push(&mut self, row: &LogRow) {
        self.rows.push(row.clone());
    }

    fn len(&self) -> usize {
        self.rows.len()
    }

    fn take_batch(&mut self) -> Result<RecordBatch, GenError> {
        let rows = std::mem::take(&mut self.rows);
        let text = |f: fn(&LogRow) -> &str| -> ArrayRef {
            Arc::new(StringArray::from_iter_values(rows.iter().map(f)))
        };
        let int =
            |f: fn(&LogRow) -> i64| -> Int64Array { rows.iter().map(|r| Some(f(r))).collect() };
        let mut topics = ListBuilder::new(StringBuilder::new());
        for r in &rows {
            for t in &r.topics {
                topics.values().append_value(t);
            }
            topics.append(true);
        }
        let columns: Vec<ArrayRef> = vec![
            Arc::new(int(|r| r.log_index)),
            text(|r| &r.transaction_hash),
            text(|r| &r.address),
            text(|r| &r.data),
            Arc::new(topics.finish()),
            Arc::new(
                TimestampMicrosecondArray::from(
                    rows.iter()
                        .map(|r| r.block_timestamp_us)
                        .collect::<Vec<_>>(),
                )
                .with_timezone("UTC"),
            ),
            Arc::new(int(|r| r.block_number)),
            text(|r| &r.block_hash),
        ];
        Ok(RecordBatch::try_new(Self::schema(), columns)?)
    }
}
