//! BigQuery `crypto_bitcoin.inputs` (as bitcoin-etl loads it): one row per spending
//! input, with the spent output's `addresses` (a list: several for bare multisig) and
//! `value` in satoshi as `NUMERIC` (Parquet `DECIMAL(38, 9)`). Coinbase inputs have no
//! row. Shared SQL for inputs and outputs lives here too.

use super::{
    block_time_sql, hash_checks, integer_checks, lit, reason_sql, Column, SourceTable, TypeClass::*,
};

/// Format name.
pub const NAME: &str = "bitcoin-inputs";

/// Other accepted names.
pub const ALIASES: &[&str] = &["bigquery-bitcoin-inputs", "bitcoin-etl-inputs", "inputs"];

/// Columns.
pub const COLUMNS: &[Column] = &[
    super::req("transaction_hash", TextOrBinary),
    super::req("index", Integer),
    super::req("spent_transaction_hash", TextOrBinary),
    super::req("spent_output_index", Integer),
    super::req("addresses", TextList),
    super::req("value", Amount),
    super::req("block_number", Integer),
    super::opt("block_timestamp", Time),
    super::opt("type", Text),
];

/// Checks and select items common to inputs and outputs: the single address (NULL
/// for multisig or no address; BigQuery's `nonstandard…` pseudo-addresses are kept as
/// NULL), the satoshi value, and their reject reasons.
pub fn utxo_parts(chain: &str) -> (Vec<(String, String)>, String) {
    let c = lit(chain);
    // The single address, NULL otherwise: normalised outside any CASE branch so that the
    // check below shares the call (each address is validated once).
    let single =
        "CASE WHEN cardinality(t.addresses) = 1 AND t.addresses[1] NOT LIKE 'nonstandard%' \
                  THEN t.addresses[1] END";
    let address = format!("addr_norm({c}, {single})");
    let checks = vec![
        (
            format!(
                "{single} IS NOT NULL AND {address} IS NULL \
                 AND address_error({c}, t.addresses[1]) IS NOT NULL"
            ),
            format!("'addresses[1]: ' || address_error({c}, t.addresses[1])"),
        ),
        (
            "uint256(t.value) IS NULL AND uint256_error(t.value) IS NOT NULL".to_string(),
            "uint256_error(t.value)".to_string(),
        ),
        (
            "uint256(t.value) > 2100000000000000".to_string(),
            lit("value above 21M BTC"),
        ),
    ];
    let items = format!(
        "{address} AS address, \
         CAST(cardinality(t.addresses) AS BIGINT) AS address_count, \
         CAST(uint256(t.value) AS BIGINT) AS value_sat"
    );
    (checks, items)
}

/// The checked select: canonical `utxo_inputs` columns plus `_file`, `_row`, `_reason`.
pub fn checked_sql(src: &SourceTable<'_>) -> String {
    let chain = lit(src.chain);
    let (time, from) = block_time_sql(src, "block_timestamp");
    let mut checks = hash_checks(src.chain, "transaction_hash");
    checks.extend(integer_checks("index"));
    checks.extend(hash_checks(src.chain, "spent_transaction_hash"));
    checks.extend(integer_checks("spent_output_index"));
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
         TRY_CAST(t.\"index\" AS BIGINT) AS input_index, \
         hash_norm({chain}, t.spent_transaction_hash) AS spent_tx_hash, \
         TRY_CAST(t.spent_output_index AS BIGINT) AS spent_output_index, \
         {items}, {script} AS script_type, \
         TRY_CAST(t.block_number AS BIGINT) AS block_number, {time} AS block_time, \
         {} AS source_table, {} AS _file, {} AS _row, {} AS _reason FROM {from}",
        lit(src.table),
        src.lineage.file_sql(),
        src.lineage.row_sql(),
        reason_sql(&checks),
    )
}
