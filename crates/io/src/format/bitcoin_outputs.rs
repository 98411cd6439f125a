//! BigQuery `crypto_bitcoin.outputs` (as bitcoin-etl loads it): one row per output with
//! its `addresses` list and `value` in satoshi (`NUMERIC`). Outputs without an address
//! (OP_RETURN, non-standard scripts) are valid rows with a NULL `address`.

use super::bitcoin_inputs::utxo_parts;
use super::{
    block_time_sql, hash_checks, integer_checks, lit, reason_sql, Column, SourceTable, TypeClass::*,
};

/// Format name.
pub const NAME: &str = "bitcoin-outputs";

/// Other accepted names.
pub const ALIASES: &[&str] = &["bigquery-bitcoin-outputs", "bitcoin-etl-outputs", "outputs"];

/// Columns.
pub const COLUMNS: &[Column] = &[
    super::req("transaction_hash", TextOrBinary),
    super::req("index", Integer),
    super::req("addresses", TextList),
    super::req("value", Amount),
    super::req("block_number", Integer),
    super::opt("block_timestamp", Time),
    super::opt("type", Text),
];

/// The checked select: canonical `utxo_outputs` columns plus `_file`, `_row`, `_reason`.
pub fn checked_sql(src: &SourceTable<'_>) -> String {
    let chain = lit(src.chain);
    let (time, from) = block_time_sql(src, "block_timestamp");
    let mut checks = hash_checks(src.chain, "transaction_hash");
    checks.extend(integer_checks("index"));
    let (utxo_checks, items) = utxo_parts(src.chain);
    checks.extend(utxo_checks);
    checks.extend(integer_checks("block_number"));
    let script = if src.schema.field_with_name("type").is_ok() {
        "t.\"type\""
    } else {
        "CAST(NULL AS VARCHAR)"
    };
    format!(
        "SELECT {chain} AS chain, hash_norm({chain}, t.transaction_hash) AS tx_hash, \
         TRY_CAST(t.\"index\" AS BIGINT) AS output_index, \
         {items}, {script} AS script_type, \
         TRY_CAST(t.block_number AS BIGINT) AS block_number, {time} AS block_time, \
         {} AS source_table, {} AS _file, {} AS _row, {} AS _reason FROM {from}",
        lit(src.table),
        src.lineage.file_sql(),
        src.lineage.row_sql(),
        reason_sql(&checks),
    )
}
