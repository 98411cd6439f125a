//! The clustering run: heuristic edges → node dictionary (addresses to dense integer
//! ids, in address order so ids and cluster ids are deterministic) → connected
//! components → label-conflict resolution → output tables.
//!
//! Label conflicts: when a component carries two different entity labels, the merge is
//! not trusted. Every non-label edge touching a labelled address inside such a component
//! is dropped and components are recomputed, so labelled addresses stay with their own
//! entity and the conflict is reported. Because this is a pass over component outputs
//! (not a choice made while merging), both engines resolve it identically.
//!
//! Cluster id: `chain:address` of the cluster's smallest address — a function of the
//! members only, so reruns, engines and tomorrow's run agree wherever membership did
//! not change.

use datafusion::dataframe::DataFrameWriteOptions;
use datafusion::prelude::{ParquetReadOptions, SessionContext};

use crate::components::{self, CcStats};
use crate::error::{ClusterError, Result};
use crate::guardrail;
use crate::heuristics;
use crate::input_strings::with_views_unless_bounded;
use crate::params::{ClusterParams, SuperclusterPolicy};
use crate::passes::{self, Pass};

/// A SQL string literal.
fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// Registers `rows` (SQL literals, one per column) as the view `name` with `columns`
/// (`name TYPE`); an empty typed view without rows.
async fn register_values(
    ctx: &SessionContext,
    name: &str,
    columns: &[&str],
    rows: &[Vec<String>],
) -> Result<()> {
    let typed: Vec<(&str, &str)> = columns
        .iter()
        .map(|c| c.split_once(' ').unwrap_or((c, "VARCHAR")))
        .collect();
    let sql = if rows.is_empty() {
        let cols: Vec<String> = typed
            .iter()
            .map(|(n, t)| format!("CAST(NULL AS {t}) AS {n}"))
            .collect();
        format!("SELECT {} WHERE false", cols.join(", "))
    } else {
        let cols: Vec<String> = typed
            .iter()
            .enumerate()
            .map(|(i, (n, t))| format!("CAST(column{} AS {t}) AS {n}", i + 1))
            .collect();
        let values: Vec<String> = rows.iter().map(|r| format!("({})", r.join(", "))).collect();
        format!(
            "SELECT {} FROM (VALUES {})",
            cols.join(", "),
            values.join(", ")
        )
    };
    ctx.sql(&format!("CREATE OR REPLACE VIEW {name} AS {sql}"))
        .await?
        .collect()
        .await?;
    Ok(())
}

/// Each supercluster's warning text: why it was flagged, its edges per heuristic and its
/// largest hubs. Rows `(root, size, detail)` as SQL literals.
async fn supercluster_details(
    ctx: &SessionContext,
    cc: &str,
    edges: &str,
    flagged: &[guardrail::Supercluster],
) -> Result<Vec<Vec<String>>> {
    use std::collections::BTreeMap;
    if flagged.is_empty() {
        return Ok(Vec::new());
    }
    // (root, text) rows, grouped by root in the query's order.
    let grouped = |rows: Vec<Vec<Option<String>>>| {
        let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for row in rows {
            if let [Some(root), Some(text)] = row.as_slice() {
                out.entry(root.clone()).or_default().push(text.clone());
            }
        }
        out
    };
    let per_heuristic = grouped(
        crate::explain::strings(
            ctx,
            &format!(
                "SELECT CAST(root AS VARCHAR) AS r, heuristic || ' ' || CAST(n AS VARCHAR) AS t \
                 FROM (SELECT f.root, e.heuristic, count(*) AS n \
                       FROM cl_flagged f JOIN {cc} c ON c.root = f.root JOIN {edges} e ON e.a = c.id \
                       GROUP BY f.root, e.heuristic) \
                 ORDER BY root, n DESC, heuristic"
            ),
        )
        .await?,
    );
    let per_hub = grouped(
        crate::explain::strings(
            ctx,
            "SELECT CAST(root AS VARCHAR) AS r, \
               CASE WHEN kind = 'address' THEN 'address ' || address \
                    ELSE heuristic || ' ' || evidence END || ' (' || CAST(links AS VARCHAR) || ' links)' AS t \
             FROM (SELECT h.*, n.address, \
                          row_number() OVER (PARTITION BY h.root, h.kind \
                                             ORDER BY h.links DESC, h.evidence, n.address) AS rn \
                   FROM cl_hubs h JOIN cl_nodes n ON n.id = h.id) \
             WHERE rn <= 3 ORDER BY root, kind, rn",
        )
        .await?,
    );
    Ok(flagged
        .iter()
        .map(|f| {
            let key = f.root.to_string();
            let heuristics = per_heuristic
                .get(&key)
                .map_or(String::new(), |v| v.join(", "));
            let hubs = per_hub
                .get(&key)
                .map_or("none".to_string(), |v| v.join("; "));
            vec![
                key,
                f.size.to_string(),
                quote(&format!(
                    "supercluster: {} addresses, {}; edges: {heuristics}; hubs: {hubs}",
                    f.size, f.reason
                )),
            ]
        })
        .collect())
}

/// What a run produced.
#[derive(Debug, Clone, Default)]
pub struct ClusterSummary {
    /// Heuristic edges (all, before conflict resolution).
    pub edges: u64,
    /// Addresses.
    pub nodes: u64,
    /// Clusters.
    pub clusters: u64,
    /// Components that carried conflicting labels.
    pub conflicts: u64,
    /// Rows of `cluster_warnings`.
    pub warnings: u64,
    /// The components run(s).
    pub cc: Vec<CcStats>,
    /// Transactions each CoinJoin rule kept from the multi-input heuristic.
    pub coinjoins: std::collections::BTreeMap<String, u64>,
    /// Senders into deposit addresses found to be services (never co-depositors).
    pub services: u64,
    /// Unlabelled wallets joined to an exchange as internal (treasury) wallets.
    pub treasury_wallets: u64,
    /// Clusters the guardrail flagged as superclusters.
    pub superclusters: u64,
    /// The cluster-size distribution, per chain.
    pub sizes: Vec<guardrail::SizeStats>,
}

/// Transactions each CoinJoin rule recognised, by rule name.
async fn coinjoin_counts(
    ctx: &SessionContext,
    params: &ClusterParams,
) -> Result<std::collections::BTreeMap<String, u64>> {
    use arrow::array::AsArray;
    let sql = format!(
        "SELECT rule, count(*) AS n FROM {} GROUP BY rule ORDER BY rule",
        heuristics::multi_input::COINJOINS_TABLE
    );
    let mut out: std::collections::BTreeMap<String, u64> = params
        .coinjoin_rules
        .iter()
        .map(|r| (r.name().to_string(), 0))
        .collect();
    for b in ctx.sql(&sql).await?.collect().await? {
        let rule = arrow::compute::cast(b.column(0), &arrow::datatypes::DataType::Utf8)?;
        let n = arrow::compute::cast(b.column(1), &arrow::datatypes::DataType::Int64)?;
        let (rule, n) = (
            rule.as_string::<i32>(),
            n.as_primitive::<arrow::datatypes::Int64Type>(),
        );
        for i in 0..b.num_rows() {
            out.insert(rule.value(i).to_string(), n.value(i) as u64);
        }
    }
    Ok(out)
}

/// Output tables of a run, registered in the session and written under `out_dir`.
pub const OUTPUTS: &[&str] = &[
    "address_clusters",
    "clusters",
    "cluster_edges",
    "cluster_warnings",
];

/// Bytes a forward row takes in the deposit self-join's hash table (its columns, the
/// hash map entry and batch overhead), with a margin: at 30M transfers DataFusion 55
/// charged 1.5 GB for 9.4M rows (160 bytes each). What [`deposit_passes`] sizes by.
const FORWARD_ROW_BYTES: u64 = 200;

/// In how many passes to build the deposit heuristic: as configured, else one without a
/// memory limit, or enough that each pass's hash table (two rows per forward into an
/// exchange wallet) takes at most a quarter of the limit — DataFusion 55's hash joins
/// cannot spill, and the rest of the pool is for the aggregation and sort after it
/// (which can).
async fn deposit_passes(ctx: &SessionContext, params: &ClusterParams) -> Result<usize> {
    if !params.deposit_reuse {
        return Ok(1);
    }
    if params.deposit_passes > 0 {
        return Ok(params.deposit_passes);
    }
    if !passes::bounded(ctx) {
        return Ok(1);
    }
    let forwards = count(ctx, &heuristics::deposit_reuse::forwards_count_sql(params)).await?;
    let n = passes::needed(ctx, forwards * 2 * FORWARD_ROW_BYTES);
    log::debug!("cl_deposits: {forwards} forwards, {n} pass(es)");
    Ok(n)
}

/// Bytes a row of the node table (or of the edges, with their strings) takes in a hash
/// join's build side, with a margin. What [`node_passes`] sizes by.
const NODE_ROW_BYTES: u64 = 160;

/// In how many passes to build the joins with the node table (`rows`: the larger of
/// nodes and edges): as configured, else one without a memory limit, or enough that a
/// pass's build side takes at most a quarter of the limit.
fn node_passes(ctx: &SessionContext, params: &ClusterParams, rows: u64) -> usize {
    if params.node_passes > 0 {
        return params.node_passes;
    }
    let n = passes::needed(ctx, rows * NODE_ROW_BYTES);
    log::debug!("node joins: {rows} rows, {n} pass(es)");
    n
}

/// Sets DataFusion's `optimizer.join_reordering` and returns its previous value.
///
/// Off for the deposit self-join, whose SQL names each join's small side first (the
/// exchange wallets, the labelled addresses, the forwards into wallets). With reordering
/// on, DataFusion 55 estimated the unnested forwards larger than the transfers and built
/// its hash table on all 10M transfers: 7.3–8.8 s and 4.4 GB peak RSS for the query
/// alone, against 5.1–5.9 s and 2.4 GB in the order written (same rows).
fn set_join_reordering(ctx: &SessionContext, on: bool) -> bool {
    let state = ctx.state_ref();
    let mut state = state.write();
    let optimizer = &mut state.config_mut().options_mut().optimizer;
    std::mem::replace(&mut optimizer.join_reordering, on)
}

/// [`materialize`] of a query in passes, see [`write_sliced_and_register`].
async fn materialize_sliced(
    ctx: &SessionContext,
    render: &(dyn Fn(Option<Pass>) -> String + Sync),
    of: usize,
    dir: &str,
    name: &str,
) -> Result<u64> {
    let path = format!("{}/{name}/", dir.trim_end_matches('/'));
    write_slices(ctx, render, Some(of), &path, name, Strings::Plain).await?;
    count(ctx, &format!("SELECT count(*) FROM {name}")).await
}

async fn materialize(ctx: &SessionContext, sql: &str, dir: &str, name: &str) -> Result<u64> {
    let path = format!("{}/{name}/", dir.trim_end_matches('/'));
    write_and_register_plain(ctx, sql, &path, name).await?;
    count(ctx, &format!("SELECT count(*) FROM {name}")).await
}

/// Writes the result of `sql` as Parquet under `path` (a folder) and registers it as
/// `name`. An empty result still leaves one (empty) file with the schema, so readers of
/// the folder — later runs, `explain`, analysts — always find a table. Its strings read
/// back as views unless the memory is bounded (see [`Strings`]).
pub async fn write_and_register(
    ctx: &SessionContext,
    sql: &str,
    path: &str,
    name: &str,
) -> Result<()> {
    write_slices(
        ctx,
        &|_| sql.to_string(),
        None,
        path,
        name,
        Strings::ViewsUnlessBounded,
    )
    .await
}

/// [`write_and_register`] for a table read back with plain strings whatever the memory
/// (see [`Strings::Plain`]): the validated inputs.
pub async fn write_and_register_plain(
    ctx: &SessionContext,
    sql: &str,
    path: &str,
    name: &str,
) -> Result<()> {
    write_slices(ctx, &|_| sql.to_string(), None, path, name, Strings::Plain).await
}

/// How a staged table's string columns are read back. They are written as plain `Utf8`
/// (see [`plain_strings`]); reading them as views (`Utf8View`) saves copying the bytes
/// in every repartition, join output and filter — in single runs at 10M transfers
/// 84–87 s instead of 95 s for the job — but a view batch keeps the buffers it points
/// into alive and DataFusion 55's memory pool charges every batch for all of them.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Strings {
    /// Views when the memory pool is unbounded; plain under a memory limit, where the
    /// over-counting made passes run out of memory (10M transfers under 2 GB with views
    /// for every table but the inputs: three passes failed, 115 s instead of 110 s).
    ViewsUnlessBounded,
    /// Always plain. For the validated inputs: read as views by every query, the rows
    /// some of them keep (groups of input strings: the deposits' senders, the heuristic
    /// edges) held their pages' buffers: 5.5 GB peak RSS instead of 3.6 GB at 10M
    /// transfers. The job also defines them with views, for the queries measured not to
    /// hold pages (the self-joins among them): [`crate::input_strings`]. And for the
    /// clustering's own tables: as views they made no difference at 10M (alternating
    /// runs: 24.0 / 23.8 s against 24.4 / 24.2 s), and an earlier layout of its output
    /// steps took 45 s instead of 2 s with them.
    Plain,
}

/// [`write_and_register`] of a query that can run in passes: `render(pass)` is its SQL
/// for one slice of its keys (`None`: all of them). It runs in `of` passes, one after
/// the other so only one slice's hash tables are in memory, and their files go side by
/// side into `path`. A pass that runs out of memory (a hash join cannot spill) is run
/// again as two half slices — slice k of K is slices k and k + K of 2K — after its
/// partial files are deleted, so `of` is a starting point, not a promise.
pub async fn write_sliced_and_register(
    ctx: &SessionContext,
    render: &(dyn Fn(Option<Pass>) -> String + Sync),
    of: usize,
    path: &str,
    name: &str,
) -> Result<()> {
    write_slices(
        ctx,
        render,
        Some(of),
        path,
        name,
        Strings::ViewsUnlessBounded,
    )
    .await
}

/// The most slices a pass is split into before its out-of-memory error is final.
const MAX_SLICES: usize = 4096;

async fn write_slices(
    ctx: &SessionContext,
    render: &(dyn Fn(Option<Pass>) -> String + Sync),
    of: Option<usize>,
    path: &str,
    name: &str,
    strings: Strings,
) -> Result<()> {
    let path = format!("{}/", path.trim_end_matches('/'));
    if !path.contains("://") {
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path)
            .map_err(|e| ClusterError::Internal(format!("{path}: {e}")))?;
    }
    let mut slices = SliceQueue::new(of);
    let mut schema = None;
    while let Some(pass) = slices.next() {
        let started = std::time::Instant::now();
        let before = match of {
            Some(_) => files_under(ctx, &path).await?,
            None => Default::default(),
        };
        match write_one(ctx, &render(pass), &path, name).await {
            Ok(s) => schema = Some(s),
            Err(e) if of.is_some() && out_of_memory(&e) => {
                if !slices.split(pass) {
                    return Err(e);
                }
                log::warn!(
                    "{name}: out of memory in {}; running it again as two half slices",
                    describe(pass)
                );
                // Which operators held the pool: what to slice next, or to size by.
                log::debug!("{name}: {e}");
                delete_new_files(ctx, &path, &before).await?;
                continue;
            }
            Err(e) => return Err(e),
        }
        let seconds = started.elapsed().as_secs_f64();
        log::debug!("{name}: {} written in {seconds:.2} s", describe(pass));
    }
    let Some(schema) = schema else {
        return Err(ClusterError::Internal(format!("{name}: no query to write")));
    };
    ensure_a_file(ctx, &path, &schema).await?;
    let views = strings == Strings::ViewsUnlessBounded && !passes::bounded(ctx);
    register_staged(ctx, name, &path, &schema, views).await
}

/// Registers the staged Parquet files under `path` (written with `schema`) as `name`,
/// replacing any table of that name; with `views`, their strings are read as string
/// views (`Utf8View`), as DataFusion's own reader does with `schema_force_view_types`.
pub async fn register_staged(
    ctx: &SessionContext,
    name: &str,
    path: &str,
    schema: &arrow::datatypes::Schema,
    views: bool,
) -> Result<()> {
    let read = if views {
        datafusion::datasource::file_format::parquet::transform_schema_to_view(
            &std::sync::Arc::new(schema.clone()),
        )
    } else {
        schema.clone()
    };
    let options = ParquetReadOptions {
        schema: Some(&read),
        ..Default::default()
    };
    ctx.deregister_table(name)?;
    ctx.register_parquet(name, path, options).await?;
    Ok(())
}

/// Runs `sql` and adds its result's files to the folder `path`: each write names its
/// files with a fresh random prefix, so passes add files side by side (DataFusion's
/// listing does not read sub-folders).
async fn write_one(
    ctx: &SessionContext,
    sql: &str,
    path: &str,
    name: &str,
) -> Result<arrow::datatypes::SchemaRef> {
    log::trace!("{name}: {sql}");
    let df = plain_strings(ctx.sql(sql).await?)?;
    let schema = std::sync::Arc::new(df.schema().as_arrow().clone());
    df.write_parquet(path, DataFrameWriteOptions::new(), Some(staging_options()))
        .await?;
    Ok(schema)
}

fn describe(pass: Option<Pass>) -> String {
    match pass {
        Some(p) => format!("slice {} of {}", p.index, p.of),
        None => "one pass".into(),
    }
}

/// The passes still to run, in order. A pass that runs out of memory is replaced by its
/// two halves. Once two passes of one size have run out of memory, every later pass of
/// that size or larger is halved before it runs: at 100M transfers under 2 GB each of
/// flows' 9 passes ran 20–30 s before failing and being split. One failure alone is not
/// taken as a pattern: at 10M under 400 MB one run had only flows' first of 5 passes
/// fail, and splitting the other 4 ahead made it 11 s slower (10 passes instead of 6).
struct SliceQueue {
    queue: std::collections::VecDeque<Option<Pass>>,
    /// Failures so far per slice size (`of`).
    failures: std::collections::BTreeMap<usize, usize>,
    /// Passes of this size or larger are split before they run (0: none).
    split_ahead_of: usize,
}

impl SliceQueue {
    fn new(of: Option<usize>) -> Self {
        let queue = match of {
            Some(of) => Pass::all(of).into(),
            None => [None].into(),
        };
        SliceQueue {
            queue,
            failures: Default::default(),
            split_ahead_of: 0,
        }
    }

    /// The next pass to run.
    fn next(&mut self) -> Option<Option<Pass>> {
        loop {
            let pass = self.queue.pop_front()?;
            if slices_of(pass) > self.split_ahead_of || !self.push_halves(pass) {
                return Some(pass);
            }
        }
    }

    /// `pass` ran out of memory: run its halves next. False when it cannot be split.
    fn split(&mut self, pass: Option<Pass>) -> bool {
        if !self.push_halves(pass) {
            return false;
        }
        let size = slices_of(pass);
        let failures = self.failures.entry(size).or_default();
        *failures += 1;
        if *failures >= 2 {
            self.split_ahead_of = self.split_ahead_of.max(size);
        }
        true
    }

    fn push_halves(&mut self, pass: Option<Pass>) -> bool {
        let Some((a, b)) = halves(pass) else {
            return false;
        };
        self.queue.push_front(Some(b));
        self.queue.push_front(Some(a));
        true
    }
}

/// How many slices of its size make the whole: 1 for the unsliced query.
fn slices_of(pass: Option<Pass>) -> usize {
    pass.map_or(1, |p| p.of)
}

/// Slice k of K as slices k and k + K of 2K (all rows as slices 0 and 1 of 2); `None`
/// beyond [`MAX_SLICES`].
fn halves(pass: Option<Pass>) -> Option<(Pass, Pass)> {
    let p = pass.unwrap_or(Pass { index: 0, of: 1 });
    let of = p.of.checked_mul(2).filter(|&of| of <= MAX_SLICES)?;
    Some((
        Pass { index: p.index, of },
        Pass {
            index: p.index + p.of,
            of,
        },
    ))
}

fn out_of_memory(e: &ClusterError) -> bool {
    matches!(e, ClusterError::DataFusion(d)
        if matches!(d.find_root(), datafusion::error::DataFusionError::ResourcesExhausted(_)))
}

/// The object store holding the folder `path`, and the folder's location in it.
fn store_at(
    ctx: &SessionContext,
    path: &str,
) -> Result<(
    std::sync::Arc<dyn object_store::ObjectStore>,
    datafusion::datasource::listing::ListingTableUrl,
)> {
    let url = chainstat_io::location::parse("output", path)
        .map_err(|e| ClusterError::Internal(format!("{path}: {e}")))?;
    Ok((ctx.runtime_env().object_store(url.object_store())?, url))
}

/// The files under the folder `path`.
async fn files_under(
    ctx: &SessionContext,
    path: &str,
) -> Result<std::collections::HashSet<object_store::path::Path>> {
    use futures::TryStreamExt;
    let (store, url) = store_at(ctx, path)?;
    let files: Vec<_> = store
        .list(Some(url.prefix()))
        .try_collect()
        .await
        .map_err(|e| ClusterError::Internal(format!("{path}: {e}")))?;
    Ok(files.into_iter().map(|m| m.location).collect())
}

/// Deletes the files under `path` that are not in `before` (a failed pass's output).
async fn delete_new_files(
    ctx: &SessionContext,
    path: &str,
    before: &std::collections::HashSet<object_store::path::Path>,
) -> Result<()> {
    use object_store::ObjectStoreExt;
    let (store, _) = store_at(ctx, path)?;
    for f in files_under(ctx, path).await? {
        if !before.contains(&f) {
            store
                .delete(&f)
                .await
                .map_err(|e| ClusterError::Internal(format!("{path}: {e}")))?;
        }
    }
    Ok(())
}

/// Parquet settings for intermediate (staged) tables: read back once or twice and
/// deleted, so write speed beats size — zstd level 1 wrote 10M canonical transfers in
/// 7.0 s against 10.3 s at DataFusion's default level 3, for 4 % more bytes.
pub fn staging_options() -> datafusion::config::TableParquetOptions {
    let mut o = datafusion::config::TableParquetOptions::default();
    o.global.compression = Some("zstd(1)".to_string());
    o
}

/// `df` with its string-view columns (`Utf8View`, what `||`, some casts and DataFusion's
/// Parquet reader produce) cast to plain `Utf8`, so staged tables read back as `Utf8`.
///
/// A view array points into buffers it shares with the batch it came from; a hash join
/// concatenates its build side and every output batch then points into all of its
/// buffers, and DataFusion 55 charges each batch for every buffer it references. With
/// one view column (`cl_edges.detail`) the join before the `cluster_edges` sort reported
/// 14 GB of output for 0.9M rows and the sort failed under `--memory-limit 2g` ("would
/// hold 10 GB"). Plain strings are copied by `take`: each batch owns what it holds.
fn plain_strings(df: datafusion::dataframe::DataFrame) -> Result<datafusion::dataframe::DataFrame> {
    use arrow::datatypes::DataType;
    use datafusion::common::Column;
    use datafusion::logical_expr::{cast, Expr};
    if !df
        .schema()
        .fields()
        .iter()
        .any(|f| f.data_type() == &DataType::Utf8View)
    {
        return Ok(df);
    }
    let exprs: Vec<Expr> = df
        .schema()
        .iter()
        .map(|(qualifier, f)| {
            let c = Expr::Column(Column::new(qualifier.cloned(), f.name()));
            if f.data_type() == &DataType::Utf8View {
                cast(c, DataType::Utf8).alias(f.name())
            } else {
                c
            }
        })
        .collect();
    Ok(df.select(exprs)?)
}

/// DataFusion writes no file for an empty result; leave one empty Parquet file with the
/// schema so the folder still reads as a table (locally or in object storage).
async fn ensure_a_file(
    ctx: &SessionContext,
    path: &str,
    schema: &arrow::datatypes::SchemaRef,
) -> Result<()> {
    if !files_under(ctx, path).await?.is_empty() {
        return Ok(());
    }
    let err = |e: &dyn std::fmt::Display| ClusterError::Internal(format!("{path}: {e}"));
    let buf = chainstat_io::encode_parquet(schema, &[]).map_err(|e| err(&e))?;
    chainstat_io::put_parquet(ctx, path, buf)
        .await
        .map_err(|e| err(&e))?;
    Ok(())
}

/// The single BIGINT of a `SELECT count(*) …` query.
pub async fn count(ctx: &SessionContext, sql: &str) -> Result<u64> {
    use arrow::array::AsArray;
    let batches = ctx.sql(sql).await?.collect().await?;
    Ok(batches
        .first()
        .map(|b| {
            b.column(0)
                .as_primitive::<arrow::datatypes::Int64Type>()
                .value(0) as u64
        })
        .unwrap_or(0))
}

/// Which of the [`OUTPUTS`] a run writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Outputs {
    /// `cluster_edges`, the evidence for every merge. The nightly job leaves it out when
    /// its cluster tables are scratch (deleted with the work folder): nothing in the job
    /// reads it, and at 10M transfers it costs 1.5–1.7 s (a join of 0.9M edges with their
    /// strings, sorted).
    pub cluster_edges: bool,
    /// Rows written in key order (`address_clusters` by address, `clusters` by id), so
    /// that files of equal tables are equal. The job's scratch copies skip the sorts of
    /// 2.6M and 1.9M rows at 10M transfers (≈ 1 s): only queries read them.
    pub sorted: bool,
}

impl Outputs {
    /// Every output table, sorted.
    pub const ALL: Outputs = Outputs {
        cluster_edges: true,
        sorted: true,
    };
    /// What a job needs of tables it deletes after the run: no evidence table, no order.
    pub const SCRATCH: Outputs = Outputs {
        cluster_edges: false,
        sorted: false,
    };
}

/// Runs clustering over the session's canonical views and `labels`; writes work files
/// under `work_dir` and the output tables under `out_dir` (local path or URL).
pub async fn run(
    ctx: &SessionContext,
    params: &ClusterParams,
    work_dir: &str,
    out_dir: &str,
) -> Result<ClusterSummary> {
    run_with(ctx, params, work_dir, out_dir, Outputs::ALL).await
}

/// [`run`], writing only the chosen `outputs`.
pub async fn run_with(
    ctx: &SessionContext,
    params: &ClusterParams,
    work_dir: &str,
    out_dir: &str,
    outputs: Outputs,
) -> Result<ClusterSummary> {
    use heuristics::deposit_reuse as dr;
    // The deposit heuristic's joins in slices of the deposit addresses (one pass unless
    // memory is bounded): its self-join, then the payers' and senders' joins.
    let passes = deposit_passes(ctx, params).await?;
    let mut summary = ClusterSummary::default();
    if params.deposit_reuse {
        let prices = ctx.table_exist("prices")?.then_some("prices");
        if prices.is_none() {
            log::warn!(
                "the session has no `prices` table: the deposit heuristic's dust floor \
                 (deposit_min_usd) is not applied; tokens without decimals still merge nothing"
            );
        }
        if !ctx.table_exist("tokens")? || count(ctx, "SELECT count(*) FROM tokens").await? == 0 {
            log::warn!(
                "no token decimals (a `tokens` table): the deposit heuristic counts receipts \
                 of tokens with known decimals only, so it links nothing"
            );
        }
        let render = |pass| dr::receipts_sql(params, pass, prices);
        let reordering = set_join_reordering(ctx, false);
        // The self-join streams the transfers: string views (see `input_strings`).
        let receipts = materialize_sliced(ctx, &render, passes, work_dir, dr::RECEIPTS_TABLE);
        let written = with_views_unless_bounded(ctx, receipts).await;
        set_join_reordering(ctx, reordering);
        written?;
        materialize(
            ctx,
            &dr::deposits_sql(dr::RECEIPTS_TABLE),
            work_dir,
            dr::DEPOSITS_TABLE,
        )
        .await?;
        let render = |pass| dr::payers_sql(dr::DEPOSITS_TABLE, pass);
        materialize_sliced(ctx, &render, passes, work_dir, dr::PAYERS_TABLE).await?;
        summary.services = materialize(
            ctx,
            &dr::services_sql(params, dr::PAYERS_TABLE),
            work_dir,
            dr::SERVICES_TABLE,
        )
        .await?;
        let render = |pass| {
            dr::senders_sql(
                dr::RECEIPTS_TABLE,
                dr::DEPOSITS_TABLE,
                dr::SERVICES_TABLE,
                pass,
            )
        };
        materialize_sliced(ctx, &render, passes, work_dir, dr::SENDERS_TABLE).await?;
    } else {
        // `cluster_warnings` lists services: an empty table when the heuristic is off.
        materialize(
            ctx,
            "SELECT CAST(NULL AS VARCHAR) AS chain, CAST(NULL AS VARCHAR) AS sender, \
             CAST(NULL AS BIGINT) AS n_deposits, CAST(NULL AS BIGINT) AS n_entities WHERE false",
            work_dir,
            dr::SERVICES_TABLE,
        )
        .await?;
    }
    if params.multi_input && heuristics::multi_input::any_rule(params) {
        use heuristics::multi_input::{coinjoin_sql, COINJOINS_TABLE};
        // In the deposit passes' slices (by transaction), like the multi-input edges.
        let render = |pass| coinjoin_sql(params, pass);
        materialize_sliced(ctx, &render, passes, work_dir, COINJOINS_TABLE).await?;
        summary.coinjoins = coinjoin_counts(ctx, params).await?;
    }
    if params.treasury {
        use heuristics::treasury;
        materialize(ctx, &treasury::sql(params), work_dir, "cl_treasury_account").await?;
        for (name, sql) in treasury::utxo_stages(params) {
            materialize(ctx, &sql, work_dir, name).await?;
        }
        materialize(
            ctx,
            &treasury::utxo_sql(params),
            work_dir,
            "cl_treasury_utxo",
        )
        .await?;
        summary.treasury_wallets = materialize(
            ctx,
            "SELECT * FROM cl_treasury_account UNION ALL SELECT * FROM cl_treasury_utxo",
            work_dir,
            treasury::TABLE,
        )
        .await?;
    }
    let render = |pass| {
        format!(
            "SELECT chain, address_a, address_b, heuristic, evidence, detail FROM ({}) \
             WHERE address_a IS NOT NULL AND address_b IS NOT NULL AND address_a <> address_b",
            heuristics::edges_sql(params, pass)
        )
    };
    let edges = materialize_sliced(ctx, &render, passes, work_dir, "cl_edges").await?;
    summary.edges = edges;
    // 26M address mentions at 10M transfers, grouped: string views (see `input_strings`).
    let nodes = materialize(
        ctx,
        // `node` is built after the DISTINCT: once per address, not once per mention
        // (24M at 10M transfers).
        "SELECT chain, address, node, CAST(row_number() OVER (ORDER BY node) - 1 AS BIGINT) AS id FROM ( \
           SELECT chain, address, chain || ':' || address AS node FROM (SELECT DISTINCT chain, address FROM ( \
             SELECT chain, address_a AS address FROM cl_edges \
             UNION ALL SELECT chain, address_b FROM cl_edges \
             UNION ALL SELECT chain, address FROM labels \
             UNION ALL SELECT chain, from_address FROM transfers \
             UNION ALL SELECT chain, to_address FROM transfers \
             UNION ALL SELECT chain, address FROM utxo_inputs WHERE address IS NOT NULL \
             UNION ALL SELECT chain, address FROM utxo_outputs WHERE address IS NOT NULL)))",
        work_dir,
        "cl_nodes",
    );
    summary.nodes = with_views_unless_bounded(ctx, nodes).await?;
    // Node ids for the edges, one end at a time, each in slices of that end's address: a
    // pass holds its slice of the node table (one row per address), never all of it.
    // The edges keep their strings for `cluster_edges` (when it is written): the
    // components and their checks need only the ids, the heuristic and the evidence.
    let node_passes = node_passes(ctx, params, summary.nodes.max(edges));
    let (evidence_a, evidence_b) = if outputs.cluster_edges {
        (
            ", e.address_a, e.detail",
            ", e.chain, e.address_a, e.address_b, e.detail",
        )
    } else {
        ("", "")
    };
    let render = |pass| {
        format!(
            "SELECT e.chain, e.address_b, e.heuristic, e.evidence, na.id AS a{evidence_a} \
             FROM cl_edges e JOIN cl_nodes na ON na.chain = e.chain AND na.address = e.address_a \
             WHERE true{}{}",
            Pass::and(pass, "e.address_a"),
            Pass::and(pass, "na.address")
        )
    };
    materialize_sliced(ctx, &render, node_passes, work_dir, "cl_edges_a").await?;
    let render = |pass| {
        format!(
            "SELECT e.a, nb.id AS b, e.heuristic, e.evidence{evidence_b} \
             FROM cl_edges_a e JOIN cl_nodes nb ON nb.chain = e.chain AND nb.address = e.address_b \
             WHERE true{}{}",
            Pass::and(pass, "e.address_b"),
            Pass::and(pass, "nb.address")
        )
    };
    materialize_sliced(ctx, &render, node_passes, work_dir, "cl_int_edges").await?;
    ctx.sql("CREATE OR REPLACE VIEW cl_node_ids AS SELECT id FROM cl_nodes")
        .await?
        .collect()
        .await?;
    ctx.sql(
        "CREATE OR REPLACE VIEW cl_labelled AS SELECT DISTINCT n.id, l.entity \
             FROM labels l JOIN cl_nodes n ON n.chain = l.chain AND n.address = l.address",
    )
    .await?
    .collect()
    .await?;
    let cc_dir = format!("{}/cc1", work_dir.trim_end_matches('/'));
    summary.cc.push(
        components::run(
            ctx,
            params,
            "cl_node_ids",
            "cl_int_edges",
            "cl_cc1",
            &cc_dir,
        )
        .await?,
    );
    summary.conflicts = materialize(
        ctx,
        "SELECT c.root, array_to_string(array_agg(DISTINCT l.entity ORDER BY l.entity), ', ') AS entities \
         FROM cl_cc1 c JOIN cl_labelled l ON l.id = c.id GROUP BY c.root HAVING count(DISTINCT l.entity) > 1",
        work_dir,
        "cl_conflicts",
    )
    .await?;
    let (mut final_cc, mut final_edges) = if summary.conflicts > 0 {
        // In slices of the edges' first ends (both sides of their one large join).
        let render = |pass| {
            format!(
                "SELECT e.a, e.b, e.heuristic, e.evidence FROM cl_int_edges e \
                 JOIN cl_cc1 c ON c.id = e.a \
                 LEFT JOIN cl_conflicts k ON k.root = c.root \
                 LEFT JOIN (SELECT DISTINCT id FROM cl_labelled) la ON la.id = e.a \
                 LEFT JOIN (SELECT DISTINCT id FROM cl_labelled) lb ON lb.id = e.b \
                 WHERE (k.root IS NULL OR e.heuristic = 'label' OR (la.id IS NULL AND lb.id IS NULL)){}{}",
                Pass::and(pass, "e.a"),
                Pass::and(pass, "c.id")
            )
        };
        materialize_sliced(ctx, &render, node_passes, work_dir, "cl_int_edges2").await?;
        let cc_dir = format!("{}/cc2", work_dir.trim_end_matches('/'));
        summary.cc.push(
            components::run(
                ctx,
                params,
                "cl_node_ids",
                "cl_int_edges2",
                "cl_cc2",
                &cc_dir,
            )
            .await?,
        );
        ("cl_cc2", "cl_int_edges2")
    } else {
        ("cl_cc1", "cl_int_edges")
    };
    // Superclusters by size relative to the data, and their hubs.
    let (sizes, flagged) = guardrail::sizes(ctx, params, final_cc, work_dir).await?;
    summary.sizes = sizes;
    summary.superclusters = flagged.len() as u64;
    register_values(
        ctx,
        "cl_flagged",
        &[
            "root BIGINT",
            "chain VARCHAR",
            "size BIGINT",
            "reason VARCHAR",
        ],
        &flagged
            .iter()
            .map(|f| {
                vec![
                    f.root.to_string(),
                    quote(&f.chain),
                    f.size.to_string(),
                    quote(&f.reason),
                ]
            })
            .collect::<Vec<_>>(),
    )
    .await?;
    guardrail::hubs(ctx, final_cc, final_edges, params.hub_min_links, work_dir).await?;
    let details = supercluster_details(ctx, final_cc, final_edges, &flagged).await?;
    register_values(
        ctx,
        "cl_supercluster_details",
        &["root BIGINT", "size BIGINT", "detail VARCHAR"],
        &details,
    )
    .await?;
    let merges = guardrail::find(
        ctx,
        final_cc,
        final_edges,
        params.max_cluster_size,
        params.bridge_min_side,
    )
    .await?;
    register_values(
        ctx,
        "cl_bridges",
        &[
            "heuristic VARCHAR",
            "evidence VARCHAR",
            "id BIGINT",
            "side_a BIGINT",
            "side_b BIGINT",
        ],
        &merges
            .iter()
            .map(|m| {
                vec![
                    quote(&m.heuristic),
                    quote(&m.evidence),
                    m.address_id.to_string(),
                    m.side_a.to_string(),
                    m.side_b.to_string(),
                ]
            })
            .collect::<Vec<_>>(),
    )
    .await?;
    let refuse = params.supercluster_policy == SuperclusterPolicy::Refuse;
    if refuse && (!merges.is_empty() || !flagged.is_empty()) {
        // The bridges' links, and in superclusters every non-label link of a hub.
        materialize(
            ctx,
            &format!(
                "SELECT e.a, e.b, e.heuristic, e.evidence FROM {final_edges} e \
                 LEFT JOIN cl_bridges k ON k.heuristic = e.heuristic AND k.evidence = e.evidence \
                 LEFT JOIN (SELECT DISTINCT heuristic, evidence FROM cl_hubs WHERE kind = 'evidence') he \
                   ON he.heuristic = e.heuristic AND he.evidence = e.evidence \
                 LEFT JOIN (SELECT DISTINCT id FROM cl_hubs WHERE kind = 'address') ha ON ha.id = e.a \
                 LEFT JOIN (SELECT DISTINCT id FROM cl_hubs WHERE kind = 'address') hb ON hb.id = e.b \
                 WHERE k.id IS NULL AND (e.heuristic = 'label' \
                       OR (he.evidence IS NULL AND ha.id IS NULL AND hb.id IS NULL))"
            ),
            work_dir,
            "cl_int_edges3",
        )
        .await?;
        let cc_dir = format!("{}/cc3", work_dir.trim_end_matches('/'));
        summary.cc.push(
            components::run(
                ctx,
                params,
                "cl_node_ids",
                "cl_int_edges3",
                "cl_cc3",
                &cc_dir,
            )
            .await?,
        );
        final_cc = "cl_cc3";
        final_edges = "cl_int_edges3";
        // The distribution the published clusters have.
        summary.sizes = guardrail::sizes(ctx, params, final_cc, work_dir).await?.0;
    }
    let result = Components {
        cc: final_cc,
        edges: final_edges,
        refused: refuse,
        outputs,
    };
    write_outputs(ctx, params, &result, out_dir, node_passes, &mut summary).await?;
    Ok(summary)
}

/// The components a run ends with.
struct Components<'a> {
    /// `(id, root)`.
    cc: &'a str,
    /// The edges `cc` was computed from: `(a, b, heuristic, evidence)`.
    edges: &'a str,
    /// Bridges found by the guardrail were dropped (policy `refuse`).
    refused: bool,
    /// Which tables to write.
    outputs: Outputs,
}

async fn write_outputs(
    ctx: &SessionContext,
    params: &ClusterParams,
    result: &Components<'_>,
    out_dir: &str,
    passes: usize,
    summary: &mut ClusterSummary,
) -> Result<()> {
    let (cc, final_edges, refused) = (result.cc, result.edges, result.refused);
    let order_by = |keys: &str| {
        if result.outputs.sorted {
            format!(" ORDER BY {keys}")
        } else {
            String::new()
        }
    };
    // In slices of the cluster roots: a pass builds its slice of the components and of
    // the roots' node rows, while the node table streams through.
    let render = |pass| {
        format!(
            "SELECT n.chain, n.address, r.node AS cluster_id FROM cl_nodes n \
             JOIN {cc} c ON c.id = n.id JOIN cl_nodes r ON r.id = c.root \
             WHERE true{}{}{}",
            Pass::and(pass, "c.root"),
            Pass::and(pass, "r.id"),
            order_by("n.chain, n.address")
        )
    };
    materialize_sliced(ctx, &render, passes, out_dir, "address_clusters").await?;
    // One aggregation over the members, their labels and the conflicts' clusters (a
    // union, not joins: the only hash tables are the labels' and the conflicts').
    summary.clusters = materialize(
        ctx,
        &format!(
            "WITH l AS (SELECT a.cluster_id, lb.entity, lb.category, lb.source, lb.confidence \
                        FROM labels lb JOIN address_clusters a \
                          ON a.chain = lb.chain AND a.address = lb.address), \
                  la AS (SELECT cluster_id, count(DISTINCT entity) AS n_entities, min(entity) AS entity, \
                                min(category) AS category, \
                                array_to_string(array_agg(DISTINCT source ORDER BY source), ' | ') AS label_sources, \
                                max(confidence) AS label_confidence, count(*) AS n_labels \
                         FROM l GROUP BY cluster_id), \
                  conflicted AS (SELECT DISTINCT r.node AS cluster_id FROM cl_conflicts k \
                                 JOIN cl_cc1 c1 ON c1.root = k.root JOIN {cc} c ON c.id = c1.id \
                                 JOIN cl_nodes r ON r.id = c.root), \
                  u AS (SELECT cluster_id, chain, CAST(1 AS BIGINT) AS n, CAST(NULL AS BIGINT) AS n_entities, \
                               CAST(NULL AS VARCHAR) AS entity, CAST(NULL AS VARCHAR) AS category, \
                               CAST(NULL AS VARCHAR) AS label_sources, CAST(NULL AS VARCHAR) AS label_confidence, \
                               CAST(NULL AS BIGINT) AS n_labels, false AS conflict \
                        FROM address_clusters \
                        UNION ALL \
                        SELECT cluster_id, CAST(NULL AS VARCHAR), CAST(0 AS BIGINT), n_entities, entity, category, \
                               label_sources, label_confidence, n_labels, false FROM la \
                        UNION ALL \
                        SELECT cluster_id, CAST(NULL AS VARCHAR), CAST(0 AS BIGINT), CAST(NULL AS BIGINT), \
                               CAST(NULL AS VARCHAR), CAST(NULL AS VARCHAR), CAST(NULL AS VARCHAR), \
                               CAST(NULL AS VARCHAR), CAST(NULL AS BIGINT), true FROM conflicted) \
             SELECT cluster_id, min(chain) AS chain, sum(n) AS size, \
                    CASE WHEN max(n_entities) = 1 THEN max(entity) END AS label, \
                    CASE WHEN max(n_entities) = 1 THEN max(category) END AS category, \
                    max(label_sources) AS label_sources, max(label_confidence) AS label_confidence, \
                    COALESCE(max(n_labels), 0) AS labelled_addresses, \
                    (COALESCE(max(n_entities), 0) > 1 OR bool_or(conflict)) AS label_conflict \
             FROM u GROUP BY cluster_id{}",
            order_by("cluster_id")
        ),
        out_dir,
        "clusters",
    )
    .await?;
    // In slices of the cluster roots, from the edges with their ids (`cl_int_edges`).
    // Written so no hash table holds the edges' strings: the slice's components, its
    // used-edge set (integers and two short strings) and its roots' node rows are the
    // build sides, the edges stream through. With the edges as the build side of the
    // `used` join (the plan DataFusion chose from `edges LEFT JOIN used`), every output
    // batch referenced the whole build side's string buffers and the sort after it took
    // 8–87 s and 4–15 GB at 0.9M edges; this form takes 3 s and 1.7 GB. The sort is on
    // ids: ids follow `chain:address` order and a cluster lies on one chain, so
    // (root, a, b) orders as (cluster_id, address_a, address_b).
    let render = |pass| {
        format!(
            "SELECT x.chain, x.address_a, x.address_b, x.heuristic, x.evidence, x.detail, \
                    r.node AS cluster_id, x.used \
             FROM (SELECT id, node FROM cl_nodes WHERE true{r_pass}) r \
             JOIN (SELECT e.chain, e.address_a, e.address_b, e.heuristic, e.evidence, e.detail, \
                          c.root, e.a, e.b, (u.a IS NOT NULL) AS used \
                   FROM (SELECT DISTINCT u.a, u.b, u.heuristic, u.evidence \
                         FROM (SELECT id FROM {cc} WHERE true{root_pass}) cu \
                         JOIN {final_edges} u ON u.a = cu.id) u \
                   RIGHT JOIN ((SELECT id, root FROM {cc} WHERE true{root_pass}) c \
                               JOIN cl_int_edges e ON e.a = c.id) \
                   ON u.a = e.a AND u.b = e.b AND u.heuristic = e.heuristic \
                      AND u.evidence = e.evidence) x \
               ON r.id = x.root \
             ORDER BY x.root, x.heuristic, x.a, x.b, x.evidence",
            r_pass = Pass::and(pass, "id"),
            root_pass = Pass::and(pass, "root"),
        )
    };
    if result.outputs.cluster_edges {
        materialize_sliced(ctx, &render, passes, out_dir, "cluster_edges").await?;
    }
    summary.warnings = materialize(
        ctx,
        &format!(
            "SELECT cluster_id, size, 'size_above_threshold' AS kind, \
                    'cluster has ' || CAST(size AS VARCHAR) || ' addresses (max_cluster_size = {max})' AS detail \
             FROM clusters WHERE size > {max} \
             UNION ALL \
             SELECT n.node AS cluster_id, CAST(NULL AS BIGINT) AS size, 'label_conflict' AS kind, \
                    'one component carried labels ' || k.entities || '; labelled addresses kept apart' AS detail \
             FROM cl_conflicts k JOIN cl_nodes n ON n.id = k.root \
             UNION ALL \
             SELECT r.node AS cluster_id, k.side_a + k.side_b AS size, 'merge_bridge' AS kind, \
                    'the single ' || k.heuristic || ' link ' || k.evidence || ' joins parts of ' || \
                    CAST(k.side_a AS VARCHAR) || ' and ' || CAST(k.side_b AS VARCHAR) || ' addresses{verdict}' AS detail \
             FROM cl_bridges k JOIN {cc} c ON c.id = k.id JOIN cl_nodes r ON r.id = c.root \
             UNION ALL \
             SELECT n.node AS cluster_id, d.size, 'supercluster' AS kind, d.detail{hub_verdict} AS detail \
             FROM cl_supercluster_details d JOIN cl_nodes n ON n.id = d.root \
             UNION ALL \
             SELECT r.node AS cluster_id, CAST(NULL AS BIGINT) AS size, 'service_sender' AS kind, \
                    s.sender || ' paid into ' || CAST(s.n_deposits AS VARCHAR) || ' deposit address(es) of ' || \
                    CAST(s.n_entities AS VARCHAR) || ' entit(ies): a service, never merged as a depositor' AS detail \
             FROM cl_services s JOIN cl_nodes x ON x.chain = s.chain AND x.address = s.sender \
             JOIN {cc} c ON c.id = x.id JOIN cl_nodes r ON r.id = c.root \
             ORDER BY kind, cluster_id, detail",
            max = params.max_cluster_size,
            verdict = if refused { " (refused: link dropped)" } else { "" },
            hub_verdict = if refused { " || ' (refused: hub links dropped)'" } else { "" },
            cc = cc,
        ),
        out_dir,
        "cluster_warnings",
    )
    .await?;
    for w in warnings_text(ctx).await? {
        log::warn!("{w}");
    }
    Ok(())
}

async fn warnings_text(ctx: &SessionContext) -> Result<Vec<String>> {
    use arrow::array::AsArray;
    let batches = ctx
        .sql(
            "SELECT cluster_id || ': ' || detail FROM cluster_warnings WHERE kind <> 'service_sender' \
             UNION ALL SELECT CAST(count(*) AS VARCHAR) || ' service sender(s) into deposit addresses \
             (never merged as depositors; listed in cluster_warnings)' FROM cluster_warnings \
             WHERE kind = 'service_sender' HAVING count(*) > 0",
        )
        .await?
        .collect()
        .await?;
    let mut out = Vec::new();
    for b in &batches {
        let c = arrow::compute::cast(b.column(0), &arrow::datatypes::DataType::Utf8)?;
        for v in c.as_string::<i32>().iter().flatten() {
            out.push(v.to_string());
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::datatypes::DataType;

    #[test]
    fn a_slice_splits_into_the_two_slices_that_make_it_up() {
        let p = |index, of| Pass { index, of };
        assert_eq!(halves(None), Some((p(0, 2), p(1, 2))));
        assert_eq!(halves(Some(p(1, 3))), Some((p(1, 6), p(4, 6))));
        // Rows of slice 1 of 3 (hash % 3 == 1) are exactly those with hash % 6 in {1, 4}.
        for h in 0..60u64 {
            assert_eq!(h % 3 == 1, h % 6 == 1 || h % 6 == 4);
        }
        assert_eq!(halves(Some(p(0, MAX_SLICES))), None);
    }

    /// Once two passes of one size ran out of memory, their later siblings are split
    /// before they run; one failure splits only that pass. Either way the passes cover
    /// every slice exactly once.
    #[test]
    fn slices_as_large_as_two_that_failed_are_split_ahead() {
        let p = |index, of| Some(Pass { index, of });
        let mut q = SliceQueue::new(Some(3));
        assert_eq!(q.next(), Some(p(0, 3)));
        assert!(q.split(p(0, 3)));
        assert_eq!(q.next(), Some(p(0, 6)));
        assert_eq!(q.next(), Some(p(3, 6)));
        assert_eq!(q.next(), Some(p(1, 3)), "one failure: not split ahead");
        assert!(q.split(p(1, 3)));
        let mut ran = vec![];
        while let Some(pass) = q.next() {
            ran.push(pass);
        }
        assert_eq!(ran, [p(1, 6), p(4, 6), p(2, 6), p(5, 6)]);

        let mut q = SliceQueue::new(Some(2));
        assert_eq!(q.next(), Some(p(0, 2)));
        assert_eq!(q.next(), Some(p(1, 2)), "no failure: no split");
        assert_eq!(q.next(), None);

        let mut q = SliceQueue::new(None);
        assert_eq!(q.next(), Some(None));
        assert!(q.split(None));
        assert_eq!(q.next(), Some(p(0, 2)));
        assert!(
            !q.split(p(0, MAX_SLICES)),
            "the smallest slice cannot be split"
        );
    }

    /// The string types `name` reads back with, after checking it holds its one row.
    async fn read_types(ctx: &SessionContext, name: &str) -> Vec<DataType> {
        let rows = count(
            ctx,
            &format!("SELECT count(*) FROM {name} WHERE v = 'ab' AND s = 'c'"),
        )
        .await
        .unwrap();
        assert_eq!(rows, 1);
        let df = ctx.table(name).await.unwrap();
        df.schema()
            .fields()
            .iter()
            .map(|f| f.data_type().clone())
            .collect()
    }

    /// A staged table is written with plain strings, whatever the query produced (`||`
    /// gives `Utf8View` in DataFusion 55). It reads back with string views only when the
    /// memory is unbounded and it is not one of the validated inputs: under a memory
    /// limit, view columns through joins made sorts account gigabytes (see
    /// `plain_strings` and `Strings`).
    #[tokio::test]
    async fn staged_tables_read_back_as_views_only_without_a_memory_limit() {
        let dir = tempfile::tempdir().unwrap();
        let sql = "SELECT arrow_cast('a', 'Utf8View') || 'b' AS v, 'c' AS s, 1 AS n";
        let unbounded = SessionContext::new();
        let produced = unbounded.sql(sql).await.unwrap();
        assert_eq!(
            produced.schema().field(0).data_type(),
            &DataType::Utf8View,
            "the test needs a view column to start from"
        );
        let (plain, views) = (
            vec![DataType::Utf8, DataType::Utf8, DataType::Int64],
            vec![DataType::Utf8View, DataType::Utf8View, DataType::Int64],
        );
        let path = |name: &str| format!("{}/{name}/", dir.path().display());
        write_and_register(&unbounded, sql, &path("a"), "a")
            .await
            .unwrap();
        assert_eq!(read_types(&unbounded, "a").await, views);
        write_and_register_plain(&unbounded, sql, &path("b"), "b")
            .await
            .unwrap();
        assert_eq!(read_types(&unbounded, "b").await, plain);
        let runtime = datafusion::execution::runtime_env::RuntimeEnvBuilder::new()
            .with_memory_limit(1 << 30, 1.0)
            .build_arc()
            .unwrap();
        let bounded = SessionContext::new_with_config_rt(Default::default(), runtime);
        write_and_register(&bounded, sql, &path("c"), "c")
            .await
            .unwrap();
        assert_eq!(read_types(&bounded, "c").await, plain);
        // What is on disk is plain either way: a reader without a schema of its own
        // (DuckDB, a later run) sees `Utf8`.
        let fresh = SessionContext::new();
        fresh
            .sql("SET datafusion.execution.parquet.schema_force_view_types = false")
            .await
            .unwrap();
        fresh
            .register_parquet("a", &path("a"), Default::default())
            .await
            .unwrap();
        assert_eq!(read_types(&fresh, "a").await, plain);
    }
}
