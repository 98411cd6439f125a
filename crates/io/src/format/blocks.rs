//! Block headers as ethereum-etl / tronetl `export_blocks` write them (`number`,
//! `timestamp`, …). chainstat only needs number → time, to date exports that carry no
//! timestamp of their own (tronetl transfers, ethereum-etl CSV).

use super::{integer_checks, lit, reason_sql, time_sql, Column, SourceTable, TypeClass::*};

/// Format name.
pub const NAME: &str = "blocks";

/// Other accepted names.
pub const ALIASES: &[&str] = &["ethereum-etl-blocks", "tronetl-blocks"];

/// Columns.
pub const COLUMNS: &[Column] = &[
    super::req("number", Integer),
    super::req("timestamp", Time),
    super::opt("hash", TextOrBinary),
];

/// The checked select: `chain, number, block_time` plus `_file`, `_row`, `_reason`.
pub fn checked_sql(src: &SourceTable<'_>) -> String {
    let ts_type = src
        .schema
        .field_with_name("timestamp")
        .map(|f| f.data_type().clone())
        .unwrap_or(arrow::datatypes::DataType::Int64);
    let mut checks = integer_checks("number");
    checks.push(("t.\"timestamp\" IS NULL".into(), lit("timestamp missing")));
    format!(
        "SELECT {} AS chain, TRY_CAST(t.number AS BIGINT) AS number, {} AS block_time, \
         {} AS source_table, {} AS _file, {} AS _row, {} AS _reason FROM {}",
        lit(src.chain),
        time_sql("t.\"timestamp\"", &ts_type),
        lit(src.table),
        src.lineage.file_sql(),
        src.lineage.row_sql(),
        reason_sql(&checks),
        src.from_sql(),
    )
}
