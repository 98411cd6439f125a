//! Rows of BigQuery's `crypto_bitcoin.inputs` and `crypto_bitcoin.outputs` (as
//! bitcoin-etl loads them): `addresses` is a list, `value` is satoshi as `NUMERIC`,
//! which BigQuery writes to Parquet as `DECIMAL(38, 9)` — so the unscaled integer is
//! satoshi × 10^9.

use std::sync::Arc;

use arrow::array::{
    ArrayRef, Decimal128Array, Int64Array, ListBuilder, StringArray, StringBuilder,
    TimestampMicrosecondArray,
};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use arrow::record_batch::RecordBatch;

use crate::error::GenError;
use crate::eth_rows::utc_micros;
use crate::parquet_out::RowBuffer;

/// Every generated output pays to a P2PKH address.
const SCRIPT_TYPE: &str = "pubkeyhash";

/// One transaction output.
#[derive(Debug, Clone)]
pub struct OutputRow {
    /// Transaction id (64 hex).
    pub transaction_hash: String,
    /// Block hash (64 hex).
    pub block_hash: String,
    /// Block height.
    pub block_number: i64,
    /// Block time, µs since the epoch.
    pub block_timestamp_us: i64,
    /// Output index (vout).
    pub index: i64,
    /// The receiving address.
    pub address: String,
    /// Value in satoshi.
    pub sats: u64,
}

/// One transaction input, carrying the spent output's address and value.
#[derive(Debug, Clone)]
pub struct InputRow {
    /// Transaction id (64 hex).
    pub transaction_hash: String,
    /// Block hash (64 hex).
    pub block_hash: String,
    /// Block height.
    pub block_number: i64,
    /// Block time, µs since the epoch.
    pub block_timestamp_us: i64,
    /// Input index.
    pub index: i64,
    /// Transaction of the spent output.
    pub spent_transaction_hash: String,
    /// Index of the spent output.
    pub spent_output_index: i64,
    /// Address of the spent output.
    pub address: String,
    /// Value of the spent output in satoshi.
    pub sats: u64,
}

fn addresses_type() -> DataType {
    DataType::List(Arc::new(Field::new_list_field(DataType::Utf8, true)))
}

fn value_type() -> DataType {
    DataType::Decimal128(38, 9)
}

fn text(v: &mut Vec<String>) -> ArrayRef {
    Arc::new(StringArray::from(std::mem::take(v)))
}

fn ints(v: &mut Vec<i64>) -> ArrayRef {
    Arc::new(Int64Array::from(std::mem::take(v)))
}

fn times(v: &mut Vec<i64>) -> ArrayRef {
    Arc::new(TimestampMicrosecondArray::from(std::mem::take(v)).with_timezone("UTC"))
}

fn script_types(n: usize) -> ArrayRef {
    Arc::new(StringArray::from(vec![SCRIPT_TYPE; n]))
}

/// One-element address lists.
fn address_lists(v: &mut Vec<String>) -> ArrayRef {
    let addresses = std::mem::take(v);
    let mut b = ListBuilder::new(StringBuilder::new());
    for a in &addresses {
        b.values().append_value(a);
        b.append(true);
    }
    Arc::new(b.finish())
}

/// NUMERIC satoshi: unscaled value = sats · 10^9 at scale 9.
fn values(v: &mut Vec<u64>) -> Result<ArrayRef, GenError> {
    let unscaled: Vec<i128> = std::mem::take(v)
        .into_iter()
        .map(|s| i128::from(s) * 1_000_000_000)
        .collect();
    Ok(Arc::new(
        Decimal128Array::from(unscaled).with_precision_and_scale(38, 9)?,
    ))
}

/// Column buffers of [`OutputRow`]s.
#[derive(Default)]
pub struct OutputBatch {
    transaction_hash: Vec<String>,
    block_hash: Vec<String>,
    block_number: Vec<i64>,
    block_timestamp: Vec<i64>,
    index: Vec<i64>,
    address: Vec<String>,
    sats: Vec<u64>,
}

impl RowBuffer for OutputBatch {
    type Row = OutputRow;

    fn schema() -> SchemaRef {
        Arc::new(Schema::new(vec![
            Field::new("transaction_hash", DataType::Utf8, true),
            Field::new("block_hash", DataType::Utf8, true),
            Field::new("block_number", DataType::Int64, true),
            Field::new("block_timestamp", utc_micros(), true),
            Field::new("index", DataType::Int64, true),
            Field::new("type", DataType::Utf8, true),
            Field::new("addresses", addresses_type(), true),
            Field::new("value", value_type(), true),
        ]))
    }

    fn push(&mut self, row: &OutputRow) {
        self.transaction_hash.push(row.transaction_hash.clone());
        self.block_hash.push(row.block_hash.clone());
        self.block_number.push(row.block_number);
        self.block_timestamp.push(row.block_timestamp_us);
        self.index.push(row.index);
        self.address.push(row.address.clone());
        self.sats.push(row.sats);
    }

    fn len(&self) -> usize {
        self.block_number.len()
    }

    fn take_batch(&mut self) -> Result<RecordBatch, GenError> {
        let n = self.len();
        let columns: Vec<ArrayRef> = vec![
            text(&mut self.transaction_hash),
            text(&mut self.block_hash),
            ints(&mut self.block_number),
            times(&mut self.block_timestamp),
            ints(&mut self.index),
            script_types(n),
            address_lists(&mut self.address),
            values(&mut self.sats)?,
        ];
        Ok(RecordBatch::try_new(Self::schema(), columns)?)
    }
}

/// Column buffers of [`InputRow`]s.
#[derive(Default)]
pub struct InputBatch {
    transaction_hash: Vec<String>,
    block_hash: Vec<String>,
    block_number: Vec<i64>,
    block_timestamp: Vec<i64>,
    index: Vec<i64>,
    spent_transaction_hash: Vec<String>,
    spent_output_index: Vec<i64>,
    address: Vec<String>,
    sats: Vec<u64>,
}

impl RowBuffer for InputBatch {
    type Row = InputRow;

    fn schema() -> SchemaRef {
        Arc::new(Schema::new(vec![
            Field::new("transaction_hash", DataType::Utf8, true),
            Field::new("block_hash", DataType::Utf8, true),
            Field::new("block_number", DataType::Int64, true),
            Field::new("block_timestamp", utc_micros(), true),
            Field::new("index", DataType::Int64, true),
            Field::new("spent_transaction_hash", DataType::Utf8, true),
            Field::new("spent_output_index", DataType::Int64, true),
            Field::new("type", DataType::Utf8, true),
            Field::new("addresses", addresses_type(), true),
            Field::new("value", value_type(), true),
        ]))
    }

    fn push(&mut self, row: &InputRow) {
        self.transaction_hash.push(row.transaction_hash.clone());
        self.block_hash.push(row.block_hash.clone());
        self.block_number.push(row.block_number);
        self.block_timestamp.push(row.block_timestamp_us);
        self.index.push(row.index);
        self.spent_transaction_hash
            .push(row.spent_transaction_hash.clone());
        self.spent_output_index.push(row.spent_output_index);
        self.address.push(row.address.clone());
        self.sats.push(row.sats);
    }

    fn len(&self) -> usize {
        self.block_number.len()
    }

    fn take_batch(&mut self) -> Result<RecordBatch, GenError> {
        let n = self.len();
        let columns: Vec<ArrayRef> = vec![
            text(&mut self.transaction_hash),
            text(&mut self.block_hash),
            ints(&mut self.block_number),
            times(&mut self.block_timestamp),
            ints(&mut self.index),
            text(&mut self.spent_transaction_hash),
            ints(&mut self.spent_output_index),
            script_types(n),
            address_lists(&mut self.address),
            values(&mut self.sats)?,
        ];
        Ok(RecordBatch::try_new(Self::schema(), columns)?)
    }
}
