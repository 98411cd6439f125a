//! The canonical views every session gets: `transfers`, `utxo_inputs`, `utxo_outputs`,
//! `blocks`, `tokens` and `rejects`, built as SQL over the registered raw tables.
//!
//! Each raw table contributes its format's *checked* select (canonical columns and a
//! reject reason). Good rows are deduplicated on their natural key — overlapping
//! exports are the norm — picking one copy by content so the result does not depend on
//! listing order; bad rows go to `rejects` with the file and row they came from. Because this is plain SQL over listing tables, the same views run on
//! Ballista.

use chainstat_io::format::{Lineage, SourceTable, TableKind};
use chainstat_io::RegisteredTable;
use datafusion::prelude::SessionContext;

use crate::error::Result;

/// Canonical columns of each view (name, SQL type), used for empty views and docs.
pub fn columns(kind: TableKind) -> &'static [(&'static str, &'static str)] {
    match kind {
        TableKind::Transfers => &[
            ("chain", "VARCHAR"),
            ("asset", "VARCHAR"),
            ("from_address", "VARCHAR"),
            ("to_address", "VARCHAR"),
            ("amount_raw", "DECIMAL(76, 0)"),
            ("tx_hash", "VARCHAR"),
            ("log_index", "BIGINT"),
            ("block_number", "BIGINT"),
            ("block_time", "TIMESTAMP"),
            ("source_table", "VARCHAR"),
        ],
        TableKind::UtxoInputs => &[
            ("chain", "VARCHAR"),
            ("tx_hash", "VARCHAR"),
            ("input_index", "BIGINT"),
            ("spent_tx_hash", "VARCHAR"),
            ("spent_output_index", "BIGINT"),
            ("address", "VARCHAR"),
            ("address_count", "BIGINT"),
            ("value_sat", "BIGINT"),
            ("script_type", "VARCHAR"),
            ("block_number", "BIGINT"),
            ("block_time", "TIMESTAMP"),
            ("source_table", "VARCHAR"),
        ],
        TableKind::UtxoOutputs => &[
            ("chain", "VARCHAR"),
            ("tx_hash", "VARCHAR"),
            ("output_index", "BIGINT"),
            ("address", "VARCHAR"),
            ("address_count", "BIGINT"),
            ("value_sat", "BIGINT"),
            ("script_type", "VARCHAR"),
            ("block_number", "BIGINT"),
            ("block_time", "TIMESTAMP"),
            ("source_table", "VARCHAR"),
        ],
        TableKind::Blocks => &[
            ("chain", "VARCHAR"),
            ("number", "BIGINT"),
            ("block_time", "TIMESTAMP"),
            ("source_table", "VARCHAR"),
        ],
        TableKind::Tokens => &[
            ("chain", "VARCHAR"),
            ("asset", "VARCHAR"),
            ("symbol", "VARCHAR"),
            ("decimals", "BIGINT"),
            ("source_table", "VARCHAR"),
        ],
        TableKind::Raw => &[],
    }
}

/// The natural key of each view: duplicates on it are one row.
pub fn key(kind: TableKind) -> &'static [&'static str] {
    match kind {
        TableKind::Transfers => &["chain", "tx_hash", "log_index"],
        TableKind::UtxoInputs => &["chain", "tx_hash", "input_index"],
        TableKind::UtxoOutputs => &["chain", "tx_hash", "output_index"],
        TableKind::Blocks => &["chain", "number"],
        TableKind::Tokens => &["chain", "asset"],
        TableKind::Raw => &[],
    }
}

fn empty_select(kind: TableKind) -> String {
    let cols: Vec<String> = columns(kind)
        .iter()
        .map(|(n, t)| {
            if *t == "TIMESTAMP" {
                format!("CAST(NULL AS TIMESTAMP) AT TIME ZONE 'UTC' AS {n}")
            } else {
                format!("CAST(NULL AS {t}) AS {n}")
            }
        })
        .collect();
    format!("SELECT {} WHERE false", cols.join(", "))
}

/// The source description for a view (no lineage, blocks joined) or for `rejects`
/// (file and row, no join: a reject needs no time, and the file functions must sit
/// directly on the scan).
fn source<'a>(
    t: &'a RegisteredTable,
    tables: &[RegisteredTable],
    rejects: bool,
) -> SourceTable<'a> {
    SourceTable {
        table: &t.spec.name,
        chain: &t.chain,
        schema: &t.schema,
        lineage: if rejects {
            t.lineage.clone()
        } else {
            Lineage::Omitted
        },
        has_blocks: !rejects
            && tables
                .iter()
                .any(|b| b.format.kind() == TableKind::Blocks && b.chain == t.chain),
    }
}

/// `UNION ALL` of the checked selects of every table of `kind`, or None.
fn checked_union(kind: TableKind, tables: &[RegisteredTable]) -> Option<String> {
    let parts: Vec<String> = tables
        .iter()
        .filter(|t| t.format.kind() == kind)
        .map(|t| format!("({})", t.format.checked_sql(&source(t, tables, false))))
        .collect();
    (!parts.is_empty()).then(|| parts.join(" UNION ALL "))
}

/// The deduplicated good rows of `kind`.
///
/// Copies of one row (overlapping exports) agree on every column but `source_table`.
/// Each good row gets a digest of its content; per key the smallest digest wins, so the
/// choice does not depend on the order files were listed or read in — even when two
/// exports disagree about a key — and the kept copy's `source_table` is the smallest.
/// Plain hash aggregations and an equi-join: no ordered aggregates, which would keep the
/// ordering columns of every group in memory (gigabytes at a few million rows).
fn view_sql(kind: TableKind, tables: &[RegisteredTable]) -> String {
    let Some(union) = checked_union(kind, tables) else {
        return empty_select(kind);
    };
    let key = key(kind);
    let content: Vec<&str> = columns(kind)
        .iter()
        .map(|(c, _)| *c)
        .filter(|c| *c != "source_table")
        .collect();
    let digest = content
        .iter()
        .map(|c| format!("COALESCE(CAST({c} AS VARCHAR), '\\N')"))
        .collect::<Vec<_>>()
        .join(", ");
    let cols: Vec<String> = columns(kind)
        .iter()
        .map(|(c, _)| {
            if key.contains(c) {
                format!("d.{c}")
            } else {
                format!("min(d.{c}) AS {c}")
            }
        })
        .collect();
    let on: Vec<String> = key.iter().map(|k| format!("p.{k} = d.{k}")).collect();
    let key_list = key.join(", ");
    let d_key: Vec<String> = key.iter().map(|k| format!("d.{k}")).collect();
    format!(
        "WITH d AS (SELECT *, md5(concat_ws('|', {digest})) AS _digest FROM ({union}) WHERE _reason IS NULL), \
              p AS (SELECT {key_list}, min(_digest) AS _pick FROM d GROUP BY {key_list}) \
         SELECT {} FROM d JOIN p ON {} AND d._digest = p._pick GROUP BY {}",
        cols.join(", "),
        on.join(" AND "),
        d_key.join(", ")
    )
}

/// `transfers` adds `amount` (token units, `DECIMAL(76, 18)`) and `symbol` from `tokens`.
fn transfers_sql(tables: &[RegisteredTable]) -> String {
    let base = view_sql(TableKind::Transfers, tables);
    let cols: Vec<String> = columns(TableKind::Transfers)
        .iter()
        .map(|(c, _)| format!("x.{c}"))
        .collect();
    format!(
        "SELECT {}, token_amount(x.amount_raw, k.decimals, 18) AS amount, k.symbol AS symbol \
         FROM ({base}) x LEFT JOIN tokens k ON k.chain = x.chain AND k.asset = x.asset",
        cols.join(", ")
    )
}

/// Every row of every table that failed a check, with where it came from and why.
/// `lineage` = false leaves Parquet `row` NULL: on Ballista 55 a scan with
/// `file_row_index()` pushed into it does not survive plan serialisation ("Column index
/// out of bounds"), so a cluster session reports the same rejects, reasons and files
/// without the row position.
fn rejects_sql(tables: &[RegisteredTable], lineage: bool) -> String {
    let parts: Vec<String> = tables
        .iter()
        .filter(|t| t.format.kind() != TableKind::Raw)
        .map(|t| {
            format!(
                "SELECT source_table, chain, CAST(_file AS VARCHAR) AS file, CAST(_row AS BIGINT) AS \"row\", \
                 _reason AS reason FROM ({}) WHERE _reason IS NOT NULL",
                t.format.checked_sql(&{
                    let mut src = source(t, tables, true);
                    if !lineage {
                        if let Lineage::Scan(prefix) = &src.lineage {
                            src.lineage = Lineage::ScanNoRow(prefix.clone());
                        }
                    }
                    src
                })
            )
        })
        .collect();
    if parts.is_empty() {
        "SELECT CAST(NULL AS VARCHAR) AS source_table, CAST(NULL AS VARCHAR) AS chain, \
         CAST(NULL AS VARCHAR) AS file, CAST(NULL AS BIGINT) AS \"row\", \
         CAST(NULL AS VARCHAR) AS reason WHERE false"
            .to_string()
    } else {
        parts.join(" UNION ALL ")
    }
}

/// Names of the views [`create_views`] defines.
pub const VIEWS: &[&str] = &[
    "blocks",
    "tokens",
    "transfers",
    "utxo_inputs",
    "utxo_outputs",
    "rejects",
];

/// (Re)creates every canonical view over `tables`; `lineage` says whether `rejects`
/// can name the Parquet row (not on Ballista, see [`rejects_sql`]).
pub async fn create_views(
    ctx: &SessionContext,
    tables: &[RegisteredTable],
    lineage: bool,
) -> Result<()> {
    let defs = [
        ("blocks", view_sql(TableKind::Blocks, tables)),
        ("tokens", view_sql(TableKind::Tokens, tables)),
        ("transfers", transfers_sql(tables)),
        ("utxo_inputs", view_sql(TableKind::UtxoInputs, tables)),
        ("utxo_outputs", view_sql(TableKind::UtxoOutputs, tables)),
        ("rejects", rejects_sql(tables, lineage)),
    ];
    for (name, sql) in defs {
        ctx.sql(&format!("CREATE OR REPLACE VIEW {name} AS {sql}"))
            .await?
            .collect()
            .await?;
    }
    Ok(())
}
