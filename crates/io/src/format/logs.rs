//! Event logs, one row per log: the emitting contract, up to four 32-byte topics and the
//! ABI-encoded data. Two layouts:
//!
//! - [`NAME`]: ethereum-etl `export_receipts_and_logs` / BigQuery `crypto_ethereum.logs`
//!   and Google's TRON `logs` (`0x` hex addresses), and tronetl's `--logs-output` (base58
//!   addresses, hex without `0x`, no timestamp: date it with a blocks table): `address`,
//!   `topics` as a list of strings (BigQuery, JSON) or one string joined with `,`
//!   (ethereum-etl CSV) or `;` (tronetl), `data`, `transaction_hash`, `log_index`,
//!   `block_number`, optional `block_timestamp`.
//! - [`CRYO_NAME`]: cryo `logs`: `address`, `topic0` … `topic3` and `data` as bytes.
//!
//! Topics and data become `0x` + lowercase hex on every chain; the contract is the
//! chain's address form (a TRON export's hex `41…`/`0x…` becomes base58 `T…`).

use arrow::datatypes::DataType;

use super::{
    address_checks, block_time_sql, hash_checks, ident, integer_checks, lit, reason_sql, Column,
    SourceTable, TypeClass::*,
};

/// Format name of the ethereum-etl / BigQuery layout.
pub const NAME: &str = "logs";

/// Other accepted names.
pub const ALIASES: &[&str] = &["ethereum-etl-logs", "bigquery-logs", "tronetl-logs"];

/// Columns of the ethereum-etl / BigQuery layout.
pub const COLUMNS: &[Column] = &[
    super::req("address", TextOrBinary),
    super::req("topics", TextOrTextList),
    super::req("data", TextOrBinary),
    super::req("transaction_hash", TextOrBinary),
    super::req("log_index", Integer),
    super::req("block_number", Integer),
    super::opt("block_timestamp", Time),
    super::opt("block_hash", TextOrBinary),
];

/// Format name of cryo's layout.
pub const CRYO_NAME: &str = "cryo-logs";

/// Other accepted names.
pub const CRYO_ALIASES: &[&str] = &[];

/// Columns of cryo's `logs`.
pub const CRYO_COLUMNS: &[Column] = &[
    super::req("address", TextOrBinary),
    super::req("topic0", TextOrBinary),
    super::opt("topic1", TextOrBinary),
    super::opt("topic2", TextOrBinary),
    super::opt("topic3", TextOrBinary),
    super::req("data", TextOrBinary),
    super::req("transaction_hash", TextOrBinary),
    super::req("log_index", Integer),
    super::req("block_number", Integer),
    super::opt("chain_id", Integer),
    super::opt("block_timestamp", Time),
];

/// Most topics a log can have (LOG0 … LOG4).
const MAX_TOPICS: usize = 4;

/// The `k`-th topic (0-based) of the `topics` column, as SQL.
fn listed_topic(t: &DataType, k: usize) -> String {
    if TextList.accepts(t) {
        format!("t.topics[{}]", k + 1)
    } else {
        // ethereum-etl joins with ',', tronetl with ';'.
        format!(
            "NULLIF(trim(split_part(replace(t.topics, ';', ','), ',', {})), '')",
            k + 1
        )
    }
}

/// SQL: more topics than a log can have.
fn too_many_topics(t: &DataType) -> String {
    if TextList.accepts(t) {
        format!("cardinality(t.topics) > {MAX_TOPICS}")
    } else {
        format!(
            "length(t.topics) - length(replace(replace(t.topics, ';', ''), ',', '')) \
             >= {MAX_TOPICS} AND trim(t.topics) <> ''"
        )
    }
}

/// The checked select of the ethereum-etl / BigQuery layout.
pub fn checked_sql(src: &SourceTable<'_>) -> String {
    let t = src
        .schema
        .field_with_name("topics")
        .map(|f| f.data_type().clone())
        .unwrap_or(DataType::Utf8);
    let topics: Vec<String> = (0..MAX_TOPICS).map(|k| listed_topic(&t, k)).collect();
    let extra = vec![(too_many_topics(&t), lit("topics: more than 4"))];
    logs_checked_sql(src, &topics, extra)
}

/// The checked select of cryo's layout.
pub fn cryo_checked_sql(src: &SourceTable<'_>) -> String {
    let topics: Vec<String> = (0..MAX_TOPICS)
        .map(|k| {
            let c = format!("topic{k}");
            if src.schema.field_with_name(&c).is_ok() {
                format!("t.{}", ident(&c))
            } else {
                "CAST(NULL AS VARCHAR)".to_string()
            }
        })
        .collect();
    logs_checked_sql(src, &topics, Vec::new())
}

/// Canonical `logs` columns plus `_file`, `_row`, `_reason`, from the topic expressions
/// of a layout and its own extra checks.
fn logs_checked_sql(
    src: &SourceTable<'_>,
    topics: &[String],
    extra: Vec<(String, String)>,
) -> String {
    let chain = lit(src.chain);
    let (time, from) = block_time_sql(src, "block_timestamp");
    let mut checks = address_checks(src.chain, "address");
    checks.extend(extra);
    for (k, topic) in topics.iter().enumerate() {
        checks.push((
            format!("{topic} IS NOT NULL AND length(coalesce(hex_norm({topic}), '')) <> 66"),
            lit(&format!("topic{k}: not a 32-byte word")),
        ));
    }
    checks.push((
        "t.data IS NOT NULL AND hex_norm(t.data) IS NULL".to_string(),
        lit("data: not hex"),
    ));
    checks.extend(hash_checks(src.chain, "transaction_hash"));
    checks.extend(integer_checks("log_index"));
    checks.extend(integer_checks("block_number"));
    let topic_cols: Vec<String> = topics
        .iter()
        .enumerate()
        .map(|(k, t)| format!("hex_norm({t}) AS topic{k}"))
        .collect();
    format!(
        "SELECT {chain} AS chain, \
         addr_norm({chain}, t.address) AS contract, \
         {}, \
         coalesce(hex_norm(t.data), '0x') AS data, \
         hash_norm({chain}, t.transaction_hash) AS tx_hash, \
         TRY_CAST(t.log_index AS BIGINT) AS log_index, \
         TRY_CAST(t.block_number AS BIGINT) AS block_number, \
         {time} AS block_time, \
         {} AS source_table, \
         {} AS _file, {} AS _row, {} AS _reason \
         FROM {from}",
        topic_cols.join(", "),
        lit(src.table),
        src.lineage.file_sql(),
        src.lineage.row_sql(),
        reason_sql(&checks),
    )
}
