//! BigQuery `crypto_ethereum.token_transfers`, ethereum-etl `export_token_transfers`
//! and tronetl `token_transfer`: one row per ERC-20/TRC-20 `Transfer` log, addresses as
//! text (`0x…` hex, or base58 `T…` for TRON), `value` as the decimal text of a uint256.
//! BigQuery adds `block_timestamp`; the ethereum-etl CSV and tronetl exports have none,
//! so time comes from a blocks table when one is configured, else it is NULL.

use super::{
    address_checks, block_time_sql, hash_checks, ident, integer_checks, lit, reason_sql, Column,
    SourceTable, TypeClass::*,
};

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
    let chain = lit(src.chain);
    let (time, join) = block_time_sql(src, "block_timestamp");
    let mut checks = Vec::new();
    checks.extend(address_checks(src.chain, "token_address"));
    checks.extend(address_checks(src.chain, "from_address"));
    checks.extend(address_checks(src.chain, "to_address"));
    checks.push((
        "uint256_error(t.value) IS NOT NULL".into(),
        "uint256_error(t.value)".into(),
    ));
    checks.extend(hash_checks(src.chain, "transaction_hash"));
    checks.extend(integer_checks("log_index"));
    checks.extend(integer_checks("block_number"));
    format!(
        "SELECT {chain} AS chain, \
         addr_norm({chain}, t.token_address) AS asset, \
         addr_norm({chain}, t.from_address) AS from_address, \
         addr_norm({chain}, t.to_address) AS to_address, \
         uint256(t.value) AS amount_raw, \
         hash_norm({chain}, t.transaction_hash) AS tx_hash, \
         TRY_CAST(t.log_index AS BIGINT) AS log_index, \
         TRY_CAST(t.block_number AS BIGINT) AS block_number, \
         {time} AS block_time, \
         {} AS source_table, \
         {} AS _file, {} AS _row, {} AS _reason \
         FROM {} t{join}",
        lit(src.table),
        src.lineage.file_sql(),
        src.lineage.row_sql(),
        reason_sql(&checks),
        ident(src.table),
    )
}
