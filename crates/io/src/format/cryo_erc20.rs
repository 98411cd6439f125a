//! cryo `erc20_transfers`: addresses and hashes as raw bytes, the amount in up to three
//! variants (`value_binary` 32-byte big-endian, `value_string` decimal text, `value_f64`),
//! `chain_id` for the chain. chainstat reads the exact variants only; a file that has
//! nothing but `value_f64` is refused, since the float has already lost digits.

use arrow::datatypes::Schema;

use super::{Column, SourceTable, TypeClass::*};
use crate::error::IoError;

/// Format name.
pub const NAME: &str = "cryo-erc20";

/// Other accepted names.
pub const ALIASES: &[&str] = &["cryo", "erc20_transfers"];

/// Columns (the value columns are handled by [`value_column`]).
pub const COLUMNS: &[Column] = &[
    super::req("erc20", TextOrBinary),
    super::req("from_address", TextOrBinary),
    super::req("to_address", TextOrBinary),
    super::req("transaction_hash", TextOrBinary),
    super::req("log_index", Integer),
    super::req("block_number", Integer),
    super::opt("chain_id", Integer),
    super::opt("block_timestamp", Time),
];

/// The exact value column to read: `value_binary`, else `value_string`.
pub fn value_column(schema: &Schema) -> Option<&'static str> {
    ["value_binary", "value_string", "value_f64", "value"]
        .into_iter()
        .find(|c| schema.field_with_name(c).is_ok())
}

/// Refuses a file whose only amount is the lossy `value_f64`.
pub fn check_value(schema: &Schema, file: &str) -> Result<(), IoError> {
    let exact = ["value_binary", "value_string", "value"]
        .into_iter()
        .find(|c| schema.field_with_name(c).is_ok());
    match exact {
        Some(c) => {
            let t = schema.field_with_name(c).map(|f| f.data_type().clone());
            match t {
                Ok(t) if Amount.accepts(&t) => Ok(()),
                Ok(t) => Err(IoError::ColumnType {
                    file: file.to_string(),
                    column: c.to_string(),
                    found: t.to_string(),
                    expected: Amount.describe().to_string(),
                    format: NAME.to_string(),
                }),
                Err(_) => Ok(()),
            }
        }
        None => Err(IoError::ColumnType {
            file: file.to_string(),
            column: "value_f64".to_string(),
            found: "the only amount column".to_string(),
            expected: "value_binary or value_string as well (value_f64 is inexact; \
                       rerun cryo with --u256-types binary or string)"
                .to_string(),
            format: NAME.to_string(),
        }),
    }
}

/// The checked select: canonical `transfers` columns plus `_file`, `_row`, `_reason`,
/// reading the exact amount variant the file has.
pub fn checked_sql(src: &SourceTable<'_>) -> String {
    let value = value_column(src.schema).unwrap_or("value_string");
    super::transfers_checked_sql(src, "erc20", value)
}
