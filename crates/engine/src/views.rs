//! The canonical views every session gets: `transfers`, `utxo_inputs`, `utxo_outputs`,
//! `blocks`, `tokens`, `logs` and `rejects`, built as SQL over the registered raw tables.
//!
//! Each raw table contributes its format's *checked* select (canonical columns and a
//! reject reason). Good rows are deduplicated on their natural key — overlapping
//! exports are the norm — picking one copy by content so the result does not depend on
//! listing order; bad rows go to `rejects` with the file and row they came from. Because this is plain SQL over listing tables, the same views run on
//! Ballista.

use crate::input_strings;
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
        TableKind::Logs => &[
            ("chain", "VARCHAR"),
            ("contract", "VARCHAR"),
            ("topic0", "VARCHAR"),
            ("topic1", "VARCHAR"),
            ("topic2", "VARCHAR"),
            ("topic3", "VARCHAR"),
            ("data", "VARCHAR"),
            ("tx_hash", "VARCHAR"),
            ("log_index", "BIGINT"),
            ("block_number", "BIGINT"),
            ("block_time", "TIMESTAMP"),
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
        TableKind::Logs => &["chain", "tx_hash", "log_index"],
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

/// The chains that have tables of `kind`, sorted (one deduplication per chain).
fn chains_of(kind: TableKind, tables: &[RegisteredTable]) -> Vec<String> {
    let set: std::collections::BTreeSet<&str> = tables
        .iter()
        .filter(|t| t.format.kind() == kind)
        .map(|t| t.chain.as_str())
        .collect();
    set.into_iter().map(str::to_string).collect()
}

/// Name of the view (or, in a job, the pinned table) of the key hashes that occur more
/// than once among the good rows of `kind` on `chain`.
pub fn dup_keys_name(kind: TableKind, chain: &str) -> String {
    per_chain_name("_dup_keys", kind, chain)
}

/// `{prefix}_{view}_{chain}` with the chain reduced to `[a-z0-9_]`: the names of the
/// per-chain helper tables (repeated keys, and in a job the staged rows and winners).
fn per_chain_name(prefix: &str, kind: TableKind, chain: &str) -> String {
    let chain: String = chain
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    format!("{prefix}_{}_{chain}", kind.view())
}

/// The natural key without `chain`: within one chain's deduplication `chain` is a
/// constant, and grouping or partitioning by a constant column sends DataFusion 55
/// down its (much slower) ordered-aggregation path.
fn chain_key(kind: TableKind) -> Vec<&'static str> {
    key(kind)
        .iter()
        .copied()
        .filter(|k| *k != "chain")
        .collect()
}

/// The good (checked, not rejected) rows of `kind` on `chain`, with `_kh` = the hash
/// of their natural key.
fn good_sql(kind: TableKind, tables: &[RegisteredTable], chain: &str) -> String {
    let cols: Vec<&str> = columns(kind).iter().map(|(c, _)| *c).collect();
    format!(
        "SELECT {}, _kh FROM ({}) WHERE _reason IS NULL",
        cols.join(", "),
        checked_rows_sql(kind, tables, chain, None)
    )
}

/// Every checked row of `kind` on `chain`, good and rejected, for staging in one pass:
/// the canonical columns, `_kh`, `_reason` (NULL on good rows), and for rejected rows
/// their `_file` and `_row` (NULL on good rows). `lineage`: `None` names no file (the
/// plain views' scans stay plain), else as for [`rejects_sql`].
fn checked_rows_sql(
    kind: TableKind,
    tables: &[RegisteredTable],
    chain: &str,
    lineage: Option<bool>,
) -> String {
    let cols: Vec<&str> = columns(kind).iter().map(|(c, _)| *c).collect();
    let (cols, key) = (cols.join(", "), chain_key(kind).join(", "));
    let parts: Vec<String> = tables
        .iter()
        .filter(|t| t.format.kind() == kind && t.chain == chain)
        .map(|t| {
            let mut src = source(t, tables, false);
            if let Some(lineage) = lineage {
                src.lineage = reject_lineage(t, lineage);
            }
            // Per table, so DataFusion inlines the file name's expression into the
            // CASE and builds it for rejected rows only (not 10M string concatenations).
            format!(
                "(SELECT {cols}, key_hash({key}) AS _kh, _reason, \
                 CASE WHEN _reason IS NOT NULL THEN CAST(_file AS VARCHAR) END AS _file, \
                 CASE WHEN _reason IS NOT NULL THEN CAST(_row AS BIGINT) END AS _row FROM ({}))",
                t.format.checked_sql(&src)
            )
        })
        .collect();
    parts.join(" UNION ALL ")
}

/// How `rejects` names a row of `t`: its file and row, but no row on a cluster session
/// (`lineage` false, see [`rejects_sql`]).
fn reject_lineage(t: &RegisteredTable, lineage: bool) -> Lineage {
    match &t.lineage {
        Lineage::Scan(prefix) if !lineage => Lineage::ScanNoRow(prefix.clone()),
        other => other.clone(),
    }
}

/// Key hashes seen more than once among `rows` (a table or a parenthesised query with
/// `_kh`): the only rows that need a closer look. One integer per row through the hash
/// table instead of the whole row.
fn dup_keys_sql(rows: &str) -> String {
    format!("SELECT _kh FROM {rows} GROUP BY _kh HAVING count(*) > 1")
}

/// The deduplicated good rows of `kind` on one chain.
///
/// Overlapping exports are the norm, but most keys still occur once. Rows whose key hash
/// occurs once pass straight through (an anti-join against the small set of repeated
/// hashes, which is the hash table's build side). Rows whose hash repeats — copies of
/// one row, plus the rare 64-bit collision between different keys — are grouped by
/// their real key; per key the copy with the smallest content digest wins, ties broken
/// by `source_table`. So the choice does not depend on the order files were listed or
/// read in, even when two exports disagree about a key, and the kept row is always one
/// of the input rows (never a mix of copies).
fn chain_view_sql(kind: TableKind, tables: &[RegisteredTable], chain: &str) -> String {
    let good = format!("({})", good_sql(kind, tables, chain));
    let dups = dup_keys_name(kind, chain);
    let cols: Vec<&str> = columns(kind).iter().map(|(c, _)| *c).collect();
    format!(
        "{} UNION ALL {}",
        unique_rows_sql(&dups, &good, &cols),
        winners_sql(kind, &dups, &good, &cols)
    )
}

/// The rows of `good` (a table or a parenthesised query with `_kh`) whose key hash is
/// not in `dups`: keys that occur once, the bulk of the rows.
fn unique_rows_sql(dups: &str, good: &str, cols: &[&str]) -> String {
    let g_cols: Vec<String> = cols.iter().map(|c| format!("g.{c}")).collect();
    format!(
        "SELECT {} FROM {dups} k RIGHT ANTI JOIN {good} g ON k._kh = g._kh",
        g_cols.join(", ")
    )
}

/// One row per natural key among the rows of `good` whose key hash is in `dups`: the
/// copy with the smallest digest of the canonical columns, then the smallest
/// `source_table`. `cols` may add derived columns (they are carried, not digested).
///
/// The winner is the first copy of its key in that order: the row whose predecessor
/// has another key (`lag`). The window is partitioned into 64 buckets of the key hash
/// (a key's copies share it), not one partition per key: DataFusion 55 handles window
/// partitions one at a time, and the buckets keep the sort parallel, unlike an
/// unpartitioned window (docs/performance.md#windows-over-hash-buckets).
fn winners_sql(kind: TableKind, dups: &str, good: &str, cols: &[&str]) -> String {
    let g_cols: Vec<String> = cols.iter().map(|c| format!("g.{c}")).collect();
    let key = chain_key(kind);
    // A predecessor exists (`_kh` is never NULL) and has the same key.
    let later = std::iter::once("(lag(_kh) OVER w = _kh)".to_string())
        .chain(
            key.iter()
                .map(|k| format!("(lag({k}) OVER w IS NOT DISTINCT FROM {k})")),
        )
        .collect::<Vec<_>>()
        .join(" AND ");
    let digest = columns(kind)
        .iter()
        .map(|(c, _)| *c)
        .filter(|c| *c != "source_table")
        .map(|c| format!("COALESCE(CAST(g.{c} AS VARCHAR), '\\N')"))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "SELECT {c} FROM (SELECT c.*, ({later}) AS _later \
           FROM (SELECT g._kh, {g}, md5(concat_ws('|', {digest})) AS _digest \
                 FROM {dups} k RIGHT SEMI JOIN {good} g ON k._kh = g._kh) c \
           WINDOW w AS (PARTITION BY _kh % 64 ORDER BY {key}, _digest, source_table)) \
         WHERE _later IS NOT TRUE",
        g = g_cols.join(", "),
        c = cols.join(", "),
        key = key.join(", "),
    )
}

/// The deduplicated good rows of `kind`: one deduplication per chain.
fn view_sql(kind: TableKind, tables: &[RegisteredTable]) -> String {
    let chains = chains_of(kind, tables);
    if chains.is_empty() {
        return empty_select(kind);
    }
    chains
        .iter()
        .map(|c| format!("({})", chain_view_sql(kind, tables, c)))
        .collect::<Vec<_>>()
        .join(" UNION ALL ")
}

/// The columns a canonical view adds to [`columns`], in order: for `transfers` the
/// token `amount` (`DECIMAL(76, 18)`) and `symbol`, and for every view with addresses
/// their 64-bit keys (`key_hash(chain, address)`, BIGINT, NULL where the address is).
///
/// Why keys: every later step joins transfers with addresses (heuristics, attribution,
/// flows, candidates, coverage), and one integer is cheaper to hash, compare and carry
/// than two 42-to-66-byte strings (docs/performance.md#address-keys). A key is exact
/// only while no two distinct addresses share one: the job checks that once per run over
/// all addresses (`keys_collide`) and its joins compare the strings too when they do.
pub fn derived_columns(kind: TableKind) -> &'static [&'static str] {
    match kind {
        TableKind::Transfers => &["amount", "symbol", "from_key", "to_key"],
        TableKind::UtxoInputs | TableKind::UtxoOutputs => &["address_key"],
        _ => &[],
    }
}

/// The key of an address column: `key_hash(chain, address)`, NULL for a NULL address
/// (so that it joins nothing, like the address).
fn address_key(rows: &str, column: &str) -> String {
    format!(
        "CASE WHEN {rows}.{column} IS NOT NULL THEN key_hash({rows}.chain, {rows}.{column}) END"
    )
}

/// `rows` (the canonical columns of `kind`, plus `extra`) with [`derived_columns`].
fn with_derived(kind: TableKind, rows: &str, extra: &[&str]) -> String {
    let cols: Vec<String> = columns(kind)
        .iter()
        .map(|(c, _)| *c)
        .chain(extra.iter().copied())
        .map(|c| format!("x.{c}"))
        .collect();
    match kind {
        // `tokens` is written first: the few token rows are the join's build side.
        TableKind::Transfers => format!(
            "SELECT {}, token_amount(x.amount_raw, k.decimals, 18) AS amount, k.symbol AS symbol, \
             {} AS from_key, {} AS to_key \
             FROM tokens k RIGHT JOIN ({rows}) x ON k.chain = x.chain AND k.asset = x.asset",
            cols.join(", "),
            address_key("x", "from_address"),
            address_key("x", "to_address"),
        ),
        TableKind::UtxoInputs | TableKind::UtxoOutputs => format!(
            "SELECT {}, {} AS address_key FROM ({rows}) x",
            cols.join(", "),
            address_key("x", "address"),
        ),
        _ => rows.to_string(),
    }
}

/// Every row of every table that failed a check, with where it came from and why.
/// `lineage` = false leaves Parquet `row` NULL: on Ballista 55 a scan with
/// `file_row_index()` pushed into it does not survive plan serialisation ("Column index
/// out of bounds"), so a cluster session reports the same rejects, reasons and files
/// without the row position.
///
/// `tables` are validated here; `checked` are tables of rows the job has already checked
/// (`_checked_…`, with `_file`, `_row` and `_reason`), whose rejects are read instead.
fn rejects_sql(tables: &[RegisteredTable], lineage: bool, checked: &[String]) -> String {
    let rejected = |rows: &str| {
        format!(
            "SELECT source_table, chain, CAST(_file AS VARCHAR) AS file, CAST(_row AS BIGINT) AS \"row\", \
             _reason AS reason FROM {rows} WHERE _reason IS NOT NULL"
        )
    };
    let parts: Vec<String> = tables
        .iter()
        .filter(|t| t.format.kind() != TableKind::Raw)
        .map(|t| {
            let mut src = source(t, tables, true);
            src.lineage = reject_lineage(t, lineage);
            rejected(&format!("({})", t.format.checked_sql(&src)))
        })
        .chain(checked.iter().map(|c| rejected(c)))
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

/// The deduplicated kinds, in creation order (each gets per-chain `_dup_keys_…` views).
const DEDUP_KINDS: &[TableKind] = &[
    TableKind::Blocks,
    TableKind::Tokens,
    TableKind::Transfers,
    TableKind::UtxoInputs,
    TableKind::UtxoOutputs,
    TableKind::Logs,
];

/// Names of the views [`create_views`] defines.
pub const VIEWS: &[&str] = &[
    "blocks",
    "tokens",
    "transfers",
    "utxo_inputs",
    "utxo_outputs",
    "logs",
    "rejects",
];

/// (Re)creates every canonical view over `tables`; `lineage` says whether `rejects`
/// can name the Parquet row (not on Ballista, see [`rejects_sql`]).
pub async fn create_views(
    ctx: &SessionContext,
    tables: &[RegisteredTable],
    lineage: bool,
) -> Result<()> {
    // In this order: `transfers` and the UTXO views read `blocks` (for exports without
    // a timestamp) and `tokens`.
    for kind in DEDUP_KINDS {
        for chain in chains_of(*kind, tables) {
            let name = dup_keys_name(*kind, &chain);
            ctx.deregister_table(name.as_str())?;
            let good = format!("({})", good_sql(*kind, tables, &chain));
            create_view(ctx, &name, &dup_keys_sql(&good)).await?;
        }
        create_view(ctx, kind.view(), &canonical_sql(*kind, tables)).await?;
    }
    create_view(ctx, "rejects", &rejects_sql(tables, lineage, &[])).await
}

/// The kinds a job stages as Parquet: the large ones, read by most later steps.
const STAGED_KINDS: &[TableKind] = &[
    TableKind::Transfers,
    TableKind::UtxoInputs,
    TableKind::UtxoOutputs,
];

/// For a job: validates the large inputs once and keeps the result, recreating the
/// canonical views over it. Returns the number of repeated key hashes.
///
/// Validation (address, hash and amount checks, normalisation) is the costly part of
/// reading an export, and the views as defined by [`create_views`] repeat it for the
/// repeated-key set, for the unique rows and for the repeated ones. Here every row of
/// each chain is checked once and written under `dir` with its key hash and reject
/// reason (transfers with `amount`/`symbol` already joined): the good rows are those
/// without a reason. The repeated-key set and the winning copies of repeated keys (a few
/// percent of the rows) are computed from the good rows and pinned, and each view becomes
/// "staged good rows whose hash is not repeated, plus the winners" — the same rows as the
/// plain views, read from Parquet. Blocks and tokens (small) keep their views, with the
/// repeated keys and `tokens` pinned. `staging` as for
/// [`chainstat_io::register_batches`] (Ballista); `lineage` as for [`create_views`].
///
/// Why the rejected rows are staged too: with a filter on the reason, DataFusion
/// evaluates the reason's `CASE` in a filter below the select, so every address, hash and
/// amount was validated twice (once in the filter, once to normalise it); in one select
/// the checks and the normalisation share the calls.
///
/// `string_views`: also define each staged view with string views, for the queries that
/// ask for them ([`crate::input_strings`]); false on Ballista, whose job
/// flattens the views into tables.
///
/// `rejects` is recreated from the staged rows that have a reason (the pass names each
/// one's file and row too, see [`chainstat_io::SourceTable::from_sql`]) and the unstaged
/// tables' checks, so no staged table is validated a second time: that pass was most of
/// what `rejects_summary` cost (docs/performance.md#validate-once-rejects-included).
pub async fn stage_canonical(
    ctx: &SessionContext,
    tables: &[RegisteredTable],
    staging: Option<&str>,
    dir: &str,
    lineage: bool,
    string_views: bool,
) -> Result<usize> {
    let mut repeated = 0;
    let mut checked = Vec::new();
    for kind in DEDUP_KINDS {
        if !STAGED_KINDS.contains(kind) {
            for chain in chains_of(*kind, tables) {
                repeated += pin(ctx, &dup_keys_name(*kind, &chain), staging).await?;
            }
            create_view(ctx, kind.view(), &canonical_sql(*kind, tables)).await?;
            if *kind == TableKind::Tokens {
                // Token metadata is small (one row per token) and joined to every
                // transfer: as a table with known size it becomes a broadcast build
                // side instead of a repartitioning of all transfers.
                pin(ctx, "tokens", staging).await?;
            }
            continue;
        }
        let mut cols: Vec<&str> = columns(*kind).iter().map(|(c, _)| *c).collect();
        cols.extend(derived_columns(*kind));
        let (mut parts, mut view_parts) = (Vec::new(), Vec::new());
        for chain in chains_of(*kind, tables) {
            let staged = StagedChain {
                kind: *kind,
                chain: &chain,
                cols: &cols,
            };
            staged
                .write(ctx, tables, dir, lineage, string_views)
                .await?;
            repeated += staged.dedupe(ctx, staging, string_views).await?;
            parts.push(staged.deduplicated_sql(false));
            if string_views {
                view_parts.push(staged.deduplicated_sql(true));
            }
            checked.push(staged.checked());
        }
        if parts.is_empty() {
            continue;
        }
        let view = kind.view();
        if string_views {
            let plain = input_strings::plain_name(view);
            create_view(ctx, &plain, &parts.join(" UNION ALL ")).await?;
            let views = input_strings::views_name(view);
            create_view(ctx, &views, &view_parts.join(" UNION ALL ")).await?;
            create_view(ctx, view, &format!("SELECT * FROM {plain}")).await?;
        } else {
            create_view(ctx, view, &parts.join(" UNION ALL ")).await?;
        }
    }
    let unstaged: Vec<RegisteredTable> = tables
        .iter()
        .filter(|t| !STAGED_KINDS.contains(&t.format.kind()))
        .cloned()
        .collect();
    let sql = rejects_sql(&unstaged, lineage, &checked);
    create_view(ctx, "rejects", &sql).await?;
    Ok(repeated)
}

/// The staged rows of one kind on one chain, and the tables made from them:
/// `_checked_<view>_<chain>` (every checked row, Parquet), `_good_…` (its rows without a
/// reason), `_dup_keys_…` and `_winners_…` (pinned).
struct StagedChain<'a> {
    kind: TableKind,
    chain: &'a str,
    /// The view's columns (canonical and derived).
    cols: &'a [&'a str],
}

impl StagedChain<'_> {
    fn checked(&self) -> String {
        per_chain_name("_checked", self.kind, self.chain)
    }

    fn good(&self) -> String {
        per_chain_name("_good", self.kind, self.chain)
    }

    fn dups(&self) -> String {
        dup_keys_name(self.kind, self.chain)
    }

    fn winners(&self) -> String {
        per_chain_name("_winners", self.kind, self.chain)
    }

    /// `name` (one of the tables above) with its strings as views.
    fn viewed(name: &str) -> String {
        format!("{name}_sv")
    }

    /// Checks every row once and writes it under `dir`; defines the good rows.
    async fn write(
        &self,
        ctx: &SessionContext,
        tables: &[RegisteredTable],
        dir: &str,
        lineage: bool,
        string_views: bool,
    ) -> Result<()> {
        let checked = self.checked();
        let sql = with_derived(
            self.kind,
            &checked_rows_sql(self.kind, tables, self.chain, Some(lineage)),
            &["_kh", "_reason", "_file", "_row"],
        );
        let path = format!("{}/{checked}/", dir.trim_end_matches('/'));
        crate::staging::write_and_register_plain(ctx, &sql, &path, &checked).await?;
        let good = self.good();
        ctx.deregister_table(good.as_str())?;
        let cols = self.cols.join(", ");
        let sql = format!("SELECT {cols}, _kh FROM {checked} WHERE _reason IS NULL");
        create_view(ctx, &good, &sql).await?;
        if string_views {
            // The same files, read with string views.
            let checked_sv = Self::viewed(&checked);
            let schema = schema_of(ctx, &checked).await?;
            crate::staging::register_staged(ctx, &checked_sv, &path, &schema, true).await?;
            let sql = format!("SELECT {cols}, _kh FROM {checked_sv} WHERE _reason IS NULL");
            create_view(ctx, &Self::viewed(&good), &sql).await?;
        }
        Ok(())
    }

    /// Pins the repeated-key set and the winning copies of repeated keys; returns how many
    /// keys repeat.
    /// With `string_views`, also defines the winners with string views.
    async fn dedupe(
        &self,
        ctx: &SessionContext,
        staging: Option<&str>,
        string_views: bool,
    ) -> Result<usize> {
        let (good, dups, winners) = (self.good(), self.dups(), self.winners());
        ctx.deregister_table(dups.as_str())?;
        create_view(ctx, &dups, &dup_keys_sql(&good)).await?;
        let repeated = pin(ctx, &dups, staging).await?;
        let sql = winners_sql(self.kind, &dups, &good, self.cols);
        create_view(ctx, &winners, &sql).await?;
        pin(ctx, &winners, staging).await?;
        if string_views {
            // Each column as the good rows' string-view definition has it, so that the
            // two sides of the view's UNION agree by construction.
            let pinned = schema_of(ctx, &winners).await?;
            let viewed = schema_of(ctx, &Self::viewed(&good)).await?;
            let cols: Vec<String> = self
                .cols
                .iter()
                .map(|c| {
                    let want = viewed.field_with_name(c).map(|f| f.data_type());
                    match (pinned.field_with_name(c).map(|f| f.data_type()), want) {
                        (Ok(have), Ok(want)) if have != want => {
                            format!("arrow_cast({c}, '{want}') AS {c}")
                        }
                        _ => c.to_string(),
                    }
                })
                .collect();
            let sql = format!("SELECT {} FROM {winners}", cols.join(", "));
            create_view(ctx, &Self::viewed(&winners), &sql).await?;
        }
        Ok(repeated)
    }

    /// The deduplicated rows, for the view: good rows whose key hash does not repeat,
    /// plus the winners; `views`: from their string-view definitions.
    fn deduplicated_sql(&self, views: bool) -> String {
        let (good, winners) = match views {
            true => (Self::viewed(&self.good()), Self::viewed(&self.winners())),
            false => (self.good(), self.winners()),
        };
        format!(
            "{} UNION ALL SELECT {} FROM {winners}",
            unique_rows_sql(&self.dups(), &good, self.cols),
            self.cols.join(", "),
        )
    }
}

/// The Arrow schema of table or view `name`.
async fn schema_of(ctx: &SessionContext, name: &str) -> Result<arrow::datatypes::Schema> {
    Ok(ctx.table(name).await?.schema().as_arrow().clone())
}

/// Replaces view `name` by a table of its current rows; returns how many.
async fn pin(ctx: &SessionContext, name: &str, staging: Option<&str>) -> Result<usize> {
    let df = ctx.table(name).await?;
    let schema = std::sync::Arc::new(df.schema().as_arrow().clone());
    let batches = df.collect().await?;
    let rows = batches.iter().map(|b| b.num_rows()).sum();
    chainstat_io::register_batches(ctx, name, schema, batches, staging).await?;
    Ok(rows)
}

fn canonical_sql(kind: TableKind, tables: &[RegisteredTable]) -> String {
    with_derived(kind, &view_sql(kind, tables), &[])
}

async fn create_view(ctx: &SessionContext, name: &str, sql: &str) -> Result<()> {
    ctx.sql(&format!("CREATE OR REPLACE VIEW {name} AS {sql}"))
        .await?
        .collect()
        .await?;
    Ok(())
}
