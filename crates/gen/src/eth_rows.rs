//! Rows of BigQuery's `crypto_ethereum.token_transfers` (the ethereum-etl export):
//! addresses and the uint256 value as text, a UTC microsecond timestamp.

use std::sync::Arc;

use arrow::array::{ArrayRef, Int64Array, StringArray, TimestampMicrosecondArray};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};
use arrow::record_batch::RecordBatch;

use crate::error::GenError;
use crate::parquet_out::RowBuffer;

/// One `Transfer` log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EthRow {
    /// Token contract.
    pub token_address: String,
    /// Sender.
    pub from_address: String,
    /// Recipient.
    pub to_address: String,
    /// Decimal text of the raw uint256 amount.
    pub value: String,
    /// `0x` + 64 hex.
    pub transaction_hash: String,
    /// Position of the log in its block.
    pub log_index: i64,
    /// Block time, µs since the epoch.
    pub block_timestamp_us: i64,
    /// Block number.
    pub block_number: i64,
    /// `0x` + 64 hex.
    pub block_hash: String,
}

/// The timestamp type BigQuery exports: `TIMESTAMP` → µs, UTC.
pub fn utc_micros() -> DataType {
    DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()))
}

/// Column buffers of [`EthRow`]s.
#[derive(Default)]
pub struct EthBatch {
    token_address: Vec<String>,
    from_address: Vec<String>,
    to_address: Vec<String>,
    value: Vec<String>,
    transaction_hash: Vec<String>,
    log_index: Vec<i64>,
    block_timestamp: Vec<i64>,
    block_number: Vec<i64>,
    block_hash: Vec<String>,
}

impl RowBuffer for EthBatch {
    type Row = EthRow;

    fn schema() -> SchemaRef {
        Arc::new(Schema::new(vec![
            Field::new("token_address", DataType::Utf8, true),
            Field::new("from_address", DataType::Utf8, true),
            Field::new("to_address", DataType::Utf8, true),
            Field::new("value", DataType::Utf8, true),
            Field::new("transaction_hash", DataType::Utf8, true),
            Field::new("log_index", DataType::Int64, true),
            Field::new("block_timestamp", utc_micros(), true),
            Field::new("block_number", DataType::Int64, true),
            Field::new("block_hash", DataType::Utf8, true),
        ]))
    }

    fn push(&mut self, row: &EthRow) {
        self.token_address.push(row.token_address.clone());
        self.from_address.push(row.from_address.clone());
        self.to_address.push(row.to_address.clone());
        self.value.push(row.value.clone());
        self.transaction_hash.push(row.transaction_hash.clone());
        self.log_index.push(row.log_index);
        self.block_timestamp.push(row.block_timestamp_us);
        self.block_number.push(row.block_number);
        self.block_hash.push(row.block_hash.clone());
    }

    fn len(&self) -> usize {
        self.block_number.len()
    }

    fn take_batch(&mut self) -> Result<RecordBatch, GenError> {
        let text =
            |v: &mut Vec<String>| -> ArrayRef { Arc::new(StringArray::from(std::mem::take(v))) };
        let columns: Vec<ArrayRef> = vec![
            text(&mut self.token_address),
            text(&mut self.from_address),
            text(&mut self.to_address),
            text(&mut self.value),
            text(&mut self.transaction_hash),
            Arc::new(Int64Array::from(std::mem::take(&mut self.log_index))),
            Arc::new(
                TimestampMicrosecondArray::from(std::mem::take(&mut self.block_timestamp))
                    .with_timezone("UTC"),
            ),
            Arc::new(Int64Array::from(std::mem::take(&mut self.block_number))),
            text(&mut self.block_hash),
        ];
        Ok(RecordBatch::try_new(Self::schema(), columns)?)
    }
}
