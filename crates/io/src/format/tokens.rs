//! Token metadata as ethereum-etl `export_tokens` writes it (`address`, `symbol`,
//! `name`, `decimals`, …), or any table with `address` and `decimals`: what turns raw
//! amounts into token units in the canonical `transfers` view.

use super::{lit, reason_sql, Column, SourceTable, TypeClass::*};

/// Format name.
pub const NAME: &str = "tokens";

/// Other accepted names.
pub const ALIASES: &[&str] = &["ethereum-etl-tokens", "token-metadata"];

/// Columns.
pub const COLUMNS: &[Column] = &[
    super::req("address", TextOrBinary),
    super::req("decimals", Integer),
    super::opt("symbol", Text),
];

/// The checked select: `chain, asset, symbol, decimals` plus `_file`, `_row`, `_reason`.
pub fn checked_sql(src: &SourceTable<'_>) -> String {
    let chain = lit(src.chain);
    let symbol = if src.schema.field_with_name("symbol").is_ok() {
        "CAST(t.symbol AS VARCHAR)"
    } else {
        "CAST(NULL AS VARCHAR)"
    };
    let checks = vec![
        (
            format!("addr_norm({chain}, t.address) IS NULL"),
            lit("address: not a valid address"),
        ),
        (
            "TRY_CAST(t.decimals AS BIGINT) IS NULL OR TRY_CAST(t.decimals AS BIGINT) NOT BETWEEN 0 AND 76"
                .to_string(),
            lit("decimals not an integer in 0..=76"),
        ),
    ];
    format!(
        "SELECT {chain} AS chain, addr_norm({chain}, t.address) AS asset, {symbol} AS symbol, \
         TRY_CAST(t.decimals AS BIGINT) AS decimals, {} AS source_table, {} AS _file, {} AS _row, \
         {} AS _reason FROM {}",
        lit(src.table),
        src.lineage.file_sql(),
        src.lineage.row_sql(),
        reason_sql(&checks),
        src.from_sql(),
    )
}
