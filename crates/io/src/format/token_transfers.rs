//! BigQuery `crypto_ethereum.token_transfers`, ethereum-etl `export_token_transfers`
//! and tronetl `token_transfer`: one row per ERC-20/TRC-20 `Transfer` log, addresses as
//! text (`0x…` hex, or base58 `T…` for TRON), `value` as the decimal text of a uint256.
//! BigQuery adds `block_timestamp`; the ethereum-etl CSV and tronetl exports have none,
//! so time comes from a blocks table when one is configured, else it is NULL.

use super::{Column, SourceTable, TypeClass::*};

/// Format name.
pub const NAME: &str = "token-transfers";

/// Other accepted names.
pub const ALIASES: &[&str] = &["ethereum-etl", "bigquery", "tronetl", "token_transfers"];

/// Columns (the ones without `required` only enrich rows).
pub const COLUMNS: &[Column] = &[
    super::req("token_address", TextOrBinary),
    super::req("from_address", TextOrBinary),
    super::req("to_address", TextOrBinary),
    super::req("value", Amount),
    super::req("transaction_hash", TextOrBinary),
    super::req("log_index", Integer),
    super::req("block_number", Integer),
    super::opt("block_timestamp", Time),
    super::opt("block_hash", TextOrBinary),
];

/// The checked select: canonical `transfers` columns plus `_file`, `_row`, `_reason`.
pub fn checked_sql(src: &SourceTable<'_>) -> String {
    super::transfers_checked_sql(src, "token_address", "value")
}
