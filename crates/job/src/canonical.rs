//! The published canonical layer: the validated, deduplicated input rows (`transfers`,
//! `utxo_inputs`, `utxo_outputs`, `logs`) as Parquet in the run's folder, so that
//! analysts (`chainstat sql --published`) and other tools read validated rows without
//! validating every export again in every query (docs/job.md#the-canonical-layer).
//!
//! Layout: `<view>/<chain>/month_YYYY-MM.parquet` (more rows than [`FILE_ROWS`] go on in
//! `month_YYYY-MM.1.parquet`, …) and `<view>/<chain>/undated.parquet` for rows without a
//! block time. Within a file the rows are sorted by the view's [`LayerTable::order`]
//! (asset or contract, then time), so the row groups' statistics prune asset and time
//! predicates; the address and hash columns carry Bloom filters, which prune equality
//! predicates on them. Columns and types are the canonical view's, made portable
//! ([`crate::portable`]): amounts as `DECIMAL(38, s)` with an `_overflow` text column.
//!
//! An incremental run rewrites the partitions of the months it recomputes and copies the
//! others from the previous run; [`crate::scope`] makes that exact (a month whose rows
//! moved elsewhere forces a full run).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::datatypes::{DataType, Int64Type, Schema, SchemaRef};
use chainstat_io::{InputObject, TableKind};
use chrono::{Datelike, NaiveDate};
use datafusion::prelude::SessionContext;
use futures::StreamExt;
use object_store::buffered::BufWriter;
use object_store::ObjectStoreExt;
use parquet::arrow::async_writer::AsyncArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::{EnabledStatistics, WriterProperties};
use parquet::schema::types::ColumnPath;
use sha2::{Digest, Sha256};

use crate::error::{JobError, Result};
use crate::inputs::InputSet;
use crate::manifest::{PublishedFile, PublishedTable};
use crate::publish::Root;

/// One table of the layer.
#[derive(Debug, Clone, Copy)]
pub struct LayerTable {
    /// The canonical view (and published table) name.
    pub view: &'static str,
    /// The inputs it is made of.
    pub kind: TableKind,
    /// Sort order inside a (chain, month) partition: the low-cardinality column first,
    /// then time, then the rest of the natural key (a total order: same rows, same files).
    pub order: &'static [&'static str],
    /// Columns with Bloom filters (equality lookups: an address's or a transaction's rows).
    pub bloom: &'static [&'static str],
}

/// The layer's tables, in publishing order.
pub const LAYER: &[LayerTable] = &[
    LayerTable {
        view: "transfers",
        kind: TableKind::Transfers,
        order: &["asset", "block_time", "tx_hash", "log_index"],
        bloom: &["from_address", "to_address", "tx_hash"],
    },
    LayerTable {
        view: "utxo_inputs",
        kind: TableKind::UtxoInputs,
        order: &["block_time", "tx_hash", "input_index"],
        bloom: &["address", "tx_hash", "spent_tx_hash"],
    },
    LayerTable {
        view: "utxo_outputs",
        kind: TableKind::UtxoOutputs,
        order: &["block_time", "tx_hash", "output_index"],
        bloom: &["address", "tx_hash"],
    },
    LayerTable {
        view: "logs",
        kind: TableKind::Logs,
        order: &["contract", "block_time", "tx_hash", "log_index"],
        bloom: &["contract", "tx_hash"],
    },
];

/// How the layer's tables are partitioned (the manifest's `partition`); a file's
/// partition value is `<chain>/<YYYY-MM>` or `<chain>/undated`.
pub const PARTITION: &str = "chain/month";

/// The partition value of rows without a block time.
pub const UNDATED: &str = "undated";

/// Rows per file before a partition goes on in the next file: bounded files for readers
/// that take a file per task, and for the writer's buffers.
pub const FILE_ROWS: usize = 4 * 1024 * 1024;

/// Rows per row group: the unit that statistics and Bloom filters prune.
pub const ROW_GROUP_ROWS: usize = 256 * 1024;

/// Whether `name` is a table of the layer.
pub fn is_layer_table(name: &str) -> bool {
    LAYER.iter().any(|t| t.view == name)
}

/// What an incremental run recomputes of the layer: the months in scope (every chain),
/// and always the undated rows (a new blocks file can date them). The other partitions
/// are copied from `previous` (the committed run's folder and manifest).
pub struct Recompute<'a> {
    /// First days of the months recomputed.
    pub months: &'a BTreeSet<NaiveDate>,
    /// The committed run: folder relative to the root, manifest.
    pub previous: (&'a str, &'a crate::manifest::RunManifest),
}

/// Writes every table of the layer into `run_dir` and returns their manifest records.
/// `recompute`: None writes everything (a full run).
pub async fn publish(
    ctx: &SessionContext,
    root: &Root,
    run_dir: &str,
    inputs: &[InputSet],
    kinds: &BTreeMap<String, TableKind>,
    recompute: Option<&Recompute<'_>>,
) -> Result<BTreeMap<String, PublishedTable>> {
    let mut out = BTreeMap::new();
    for t in LAYER {
        if !ctx.table_exist(t.view)? {
            continue;
        }
        let mut record = write_table(ctx, root, run_dir, t, recompute).await?;
        record.inputs_fingerprint = Some(inputs_fingerprint(t.kind, inputs, kinds));
        out.insert(t.view.to_string(), record);
    }
    Ok(out)
}

/// The digest of the input objects a layer table is made of: its own tables' and the
/// blocks and tokens tables' (which date and scale its rows), by URL, size and ETag (or
/// mtime). Equal digests, equal inputs.
pub fn inputs_fingerprint(
    kind: TableKind,
    inputs: &[InputSet],
    kinds: &BTreeMap<String, TableKind>,
) -> String {
    let mut objects: Vec<&InputObject> = inputs
        .iter()
        .filter(|s| s.role == "table")
        .filter(|s| {
            matches!(kinds.get(&s.name), Some(k) if *k == kind
                || *k == TableKind::Blocks || *k == TableKind::Tokens)
        })
        .flat_map(|s| s.objects.iter())
        .collect();
    objects.sort_by(|a, b| a.url.cmp(&b.url));
    let mut h = Sha256::new();
    for o in objects {
        h.update(format!(
            "{}\t{}\t{}\t{}\n",
            o.url,
            o.size,
            o.etag.as_deref().unwrap_or(""),
            o.last_modified
        ));
    }
    chainstat_chain::hex::encode(&h.finalize())
}

/// A row's month as `year * 12 + month - 1` (BIGINT, NULL when undated), from its UTC
/// day: a `date_trunc` of the timestamp costs several times the cast
/// (docs/performance.md#months-from-utc-days) and fails on times outside the nanosecond
/// range (before 1677, after 2262), which the day does not.
const MONTH_SQL: &str = "CAST(date_part('year', CAST(block_time AS DATE)) * 12 \
     + date_part('month', CAST(block_time AS DATE)) - 1 AS BIGINT)";

/// The number [`MONTH_SQL`] gives the month of `d`.
fn month_number(d: &NaiveDate) -> i64 {
    i64::from(d.year()) * 12 + i64::from(d.month0())
}

/// The query that yields one table's rows in file order, with `_month` ([`MONTH_SQL`])
/// for splitting them.
fn rows_sql(t: &LayerTable, months: Option<&BTreeSet<NaiveDate>>) -> String {
    let filter = match months {
        None => String::new(),
        Some(m) => {
            // -1 is no month a block has: an IN list cannot be empty.
            let list: Vec<String> = std::iter::once(-1)
                .chain(m.iter().map(month_number))
                .map(|n| n.to_string())
                .collect();
            format!(
                " WHERE block_time IS NULL OR {MONTH_SQL} IN ({})",
                list.join(", ")
            )
        }
    };
    format!(
        "SELECT *, {MONTH_SQL} AS _month FROM {view}{filter}",
        view = t.view
    )
}

/// `df`'s rows as streams that each hold whole partitions (rows hashed on `chain,
/// _month`), each sorted by `chain, _month` (NULLs last), then `t.order`: the streams are
/// written in parallel. The plan is built here, not by the optimizer, which drops a
/// repartition that no operator above it requires. A cluster session's plan (Ballista's
/// `DistributedQueryExec`, which reports no columns) gets one sorted stream instead.
async fn sorted_streams(
    ctx: &SessionContext,
    df: datafusion::dataframe::DataFrame,
    t: &LayerTable,
) -> Result<Vec<datafusion::execution::SendableRecordBatchStream>> {
    use datafusion::arrow::compute::SortOptions;
    use datafusion::physical_expr::expressions::col;
    use datafusion::physical_expr::{LexOrdering, PhysicalSortExpr};
    use datafusion::physical_plan::repartition::RepartitionExec;
    use datafusion::physical_plan::sorts::sort::SortExec;
    use datafusion::physical_plan::{ExecutionPlan, Partitioning};
    let ascending = SortOptions {
        descending: false,
        nulls_first: false,
    };
    let streams = ctx.state().config().target_partitions().max(1);
    let input = df.clone().create_physical_plan().await?;
    let schema = input.schema();
    if schema.fields().len() != df.schema().fields().len() {
        let order: Vec<_> = ["chain", "_month"]
            .iter()
            .chain(t.order)
            .map(|c| datafusion::prelude::col(*c).sort(true, false))
            .collect();
        return Ok(vec![df.sort(order)?.execute_stream().await?]);
    }
    let keys = vec![col("chain", &schema)?, col("_month", &schema)?];
    let order = ["chain", "_month"]
        .iter()
        .chain(t.order)
        .map(|c| Ok(PhysicalSortExpr::new(col(c, &schema)?, ascending)))
        .collect::<Result<Vec<_>>>()?;
    let order = LexOrdering::new(order)
        .ok_or_else(|| JobError::Config(format!("{}: no sort order", t.view)))?;
    let hashed = RepartitionExec::try_new(input, Partitioning::Hash(keys, streams))?;
    let sorted = SortExec::new(order, Arc::new(hashed)).with_preserve_partitioning(true);
    let task = ctx.task_ctx();
    (0..streams)
        .map(|i| sorted.execute(i, Arc::clone(&task)).map_err(JobError::from))
        .collect()
}

fn writer_properties(t: &LayerTable) -> Result<WriterProperties> {
    let zstd = ZstdLevel::try_new(1).map_err(|e| JobError::Config(format!("zstd level: {e}")))?;
    let mut b = WriterProperties::builder()
        .set_compression(Compression::ZSTD(zstd))
        .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
        .set_statistics_enabled(EnabledStatistics::Page);
    for c in t.bloom {
        let path = ColumnPath::from(*c);
        b = b
            .set_column_bloom_filter_enabled(path.clone(), true)
            .set_column_bloom_filter_fpp(path, 0.01);
    }
    Ok(b.build())
}

/// A chain name as a folder name: `[a-z0-9_-]`.
fn folder(chain: &str) -> String {
    chain
        .chars()
        .map(|c| match c {
            'a'..='z' | '0'..='9' | '-' | '_' => c,
            'A'..='Z' => c.to_ascii_lowercase(),
            _ => '_',
        })
        .collect()
}

/// The file currently being written.
struct OpenFile {
    writer: AsyncArrowWriter<BufWriter>,
    rel: String,
    partition: String,
    rows: u64,
}

/// Writes one table: its rows in scope, split by (chain, month), plus the previous run's
/// other partitions copied over.
async fn write_table(
    ctx: &SessionContext,
    root: &Root,
    run_dir: &str,
    t: &LayerTable,
    recompute: Option<&Recompute<'_>>,
) -> Result<PublishedTable> {
    let df = ctx.sql(&rows_sql(t, recompute.map(|r| r.months))).await?;
    let df = crate::portable::portable(df)?;
    let full = Arc::new(df.schema().as_arrow().clone());
    // The files hold every column but `_month`.
    let keep: Vec<usize> = (0..full.fields().len())
        .filter(|i| full.field(*i).name() != "_month")
        .collect();
    let schema: SchemaRef = Arc::new(full.project(&keep)?);
    let sink = Sink {
        root: root.clone(),
        run_dir: run_dir.to_string(),
        table: *t,
        schema: Arc::clone(&schema),
        props: writer_properties(t)?,
        keep: Arc::new(keep),
    };
    let mut files: Vec<PublishedFile> = Vec::new();
    let tasks: Vec<_> = sorted_streams(ctx, df, t)
        .await?
        .into_iter()
        .map(|stream| tokio::spawn(sink.clone().write_all(stream)))
        .collect();
    let mut failed = None;
    for task in tasks {
        match task.await {
            Ok(Ok(written)) => files.extend(written),
            Ok(Err(e)) => failed = failed.or(Some(e)),
            Err(e) => failed = failed.or(Some(JobError::publish(root.url_of(run_dir), e))),
        }
    }
    if let Some(e) = failed {
        return Err(e);
    }
    // Each (chain, month) is one stream's: were it split, two files would share a name.
    let mut seen = BTreeSet::new();
    if let Some(f) = files.iter().find(|f| !seen.insert(f.path.clone())) {
        return Err(JobError::publish(
            root.url_of(&format!("{run_dir}/{}", f.path)),
            "written twice: a partition's rows reached two writers",
        ));
    }
    let mut carried = Vec::new();
    if let Some(r) = recompute {
        carried = carry_over(root, run_dir, t, r, &mut files).await?;
    }
    if files.is_empty() {
        files.push(empty_file(root, run_dir, t.view, &schema).await?);
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(PublishedTable {
        partition: PARTITION.to_string(),
        rows: files.iter().map(|f| f.rows).sum(),
        schema: crate::publish::describe_schema(&schema),
        files,
        carried_over: carried,
        inputs_fingerprint: None,
    })
}

/// Where and how one table's files are written: owned, so that each sorted stream is
/// written by its own task.
#[derive(Clone)]
struct Sink {
    root: Root,
    run_dir: String,
    table: LayerTable,
    /// The files' schema.
    schema: SchemaRef,
    props: WriterProperties,
    /// The columns of the stream's batches that go to the files (all but `_month`).
    keep: Arc<Vec<usize>>,
}

impl Sink {
    fn location(&self, rel: &str) -> String {
        self.root.url_of(&format!("{}/{rel}", self.run_dir))
    }

    /// Writes the sorted `stream` (its columns `keep` go to the files) one partition after
    /// the other: `open` is the file being written, left for the caller to close (or to
    /// abort after an error); `files` are the ones closed.
    async fn write(
        &self,
        mut stream: datafusion::execution::SendableRecordBatchStream,
        open: &mut Option<OpenFile>,
        files: &mut Vec<PublishedFile>,
    ) -> Result<()> {
        let view = self.table.view;
        let mut parts_of: BTreeMap<String, usize> = BTreeMap::new();
        while let Some(batch) = stream.next().await {
            let batch = batch.map_err(|e| JobError::publish(self.location(view), e))?;
            let batch = crate::portable::strings_as_utf8(vec![batch])?.remove(0);
            let runs =
                partition_runs(&batch).map_err(|e| JobError::publish(self.location(view), e))?;
            for (start, end, key) in runs {
                let slice = batch.slice(start, end - start).project(&self.keep)?;
                // Checked against the files' schema: the writer does not check types.
                let slice =
                    RecordBatch::try_new(Arc::clone(&self.schema), slice.columns().to_vec())?;
                let mut at = 0;
                while at < slice.num_rows() {
                    let switch = match open.as_ref() {
                        Some(f) => f.partition != key || f.rows as usize >= FILE_ROWS,
                        None => true,
                    };
                    if switch {
                        if let Some(f) = open.take() {
                            files.push(close(&self.root, &self.run_dir, f).await?);
                        }
                        let n = parts_of.entry(key.clone()).or_insert(0);
                        let rel = file_name(view, &key, *n);
                        *n += 1;
                        *open = Some(self.create(rel, key.clone())?);
                    }
                    let Some(f) = open.as_mut() else {
                        break;
                    };
                    let room = FILE_ROWS - (f.rows as usize).min(FILE_ROWS);
                    let take = room.min(slice.num_rows() - at);
                    f.writer
                        .write(&slice.slice(at, take))
                        .await
                        .map_err(|e| JobError::publish(self.location(&f.rel), e))?;
                    f.rows += take as u64;
                    at += take;
                }
            }
        }
        Ok(())
    }

    /// Writes one sorted stream and closes its last file; on an error, aborts the file
    /// being written (an object store keeps an unfinished multipart upload, and bills
    /// it, until it expires).
    async fn write_all(
        self,
        stream: datafusion::execution::SendableRecordBatchStream,
    ) -> Result<Vec<PublishedFile>> {
        let (mut open, mut files) = (None, Vec::new());
        if let Err(e) = self.write(stream, &mut open, &mut files).await {
            if let Some(f) = open.take() {
                let _ = f.writer.into_inner().abort().await;
            }
            return Err(e);
        }
        if let Some(f) = open.take() {
            files.push(close(&self.root, &self.run_dir, f).await?);
        }
        Ok(files)
    }

    fn create(&self, rel: String, partition: String) -> Result<OpenFile> {
        let sink = BufWriter::new(
            Arc::clone(&self.root.store),
            self.root.path(&format!("{}/{rel}", self.run_dir)),
        );
        let writer =
            AsyncArrowWriter::try_new(sink, Arc::clone(&self.schema), Some(self.props.clone()))
                .map_err(|e| JobError::publish(self.location(&rel), e))?;
        Ok(OpenFile {
            writer,
            rel,
            partition,
            rows: 0,
        })
    }
}

/// `<view>/<chain>/month_YYYY-MM[.n].parquet` or `<view>/<chain>/undated[.n].parquet`.
fn file_name(view: &str, partition: &str, n: usize) -> String {
    let (chain, month) = partition.split_once('/').unwrap_or((partition, UNDATED));
    let stem = match month {
        UNDATED => UNDATED.to_string(),
        m => format!("month_{m}"),
    };
    match n {
        0 => format!("{view}/{chain}/{stem}.parquet"),
        n => format!("{view}/{chain}/{stem}.{n}.parquet"),
    }
}

async fn close(root: &Root, run_dir: &str, f: OpenFile) -> Result<PublishedFile> {
    let full = format!("{run_dir}/{}", f.rel);
    f.writer
        .close()
        .await
        .map_err(|e| JobError::publish(root.url_of(&full), e))?;
    let meta = root
        .store
        .head(&root.path(&full))
        .await
        .map_err(|e| JobError::publish(root.url_of(&full), e))?;
    Ok(PublishedFile {
        path: f.rel,
        partition: Some(f.partition),
        rows: f.rows,
        bytes: meta.size,
    })
}

/// One file with the schema and no rows, so that a table without rows is still readable.
async fn empty_file(
    root: &Root,
    run_dir: &str,
    view: &str,
    schema: &SchemaRef,
) -> Result<PublishedFile> {
    let rel = format!("{view}/empty.parquet");
    let bytes = chainstat_io::encode_parquet(schema, &[])
        .map_err(|e| JobError::publish(root.url_of(&rel), e))?;
    let size = bytes.len() as u64;
    root.put(&format!("{run_dir}/{rel}"), bytes).await?;
    Ok(PublishedFile {
        path: rel,
        partition: None,
        rows: 0,
        bytes: size,
    })
}

/// Copies the previous run's files of `t` whose month this run did not recompute.
async fn carry_over(
    root: &Root,
    run_dir: &str,
    t: &LayerTable,
    r: &Recompute<'_>,
    files: &mut Vec<PublishedFile>,
) -> Result<Vec<String>> {
    let (prev_dir, prev) = r.previous;
    let Some(table) = prev.tables.get(t.view) else {
        return Ok(Vec::new());
    };
    let recomputed: BTreeSet<String> = r
        .months
        .iter()
        .map(|m| m.format("%Y-%m").to_string())
        .collect();
    let mut carried = BTreeSet::new();
    for f in &table.files {
        let Some(p) = &f.partition else { continue };
        let month = p.split_once('/').map_or(UNDATED, |(_, m)| m);
        if month == UNDATED || recomputed.contains(month) {
            continue;
        }
        let to = format!("{run_dir}/{}", f.path);
        root.copy(&format!("{prev_dir}/{}", f.path), &to).await?;
        files.push(f.clone());
        carried.insert(p.clone());
    }
    Ok(carried.into_iter().collect())
}

/// The runs of consecutive rows that share a partition: `(start, end, key)` with key
/// `<chain>/<YYYY-MM>` or `<chain>/undated`, from the columns `chain` and `_month`
/// ([`MONTH_SQL`]).
fn partition_runs(batch: &RecordBatch) -> std::result::Result<Vec<(usize, usize, String)>, String> {
    let column = |name: &str| {
        batch
            .schema()
            .index_of(name)
            .map(|i| Arc::clone(batch.column(i)))
            .map_err(|_| format!("no column {name}"))
    };
    let chain =
        arrow::compute::cast(&column("chain")?, &DataType::Utf8).map_err(|e| e.to_string())?;
    let chain = chain.as_string::<i32>();
    let month =
        arrow::compute::cast(&column("_month")?, &DataType::Int64).map_err(|e| e.to_string())?;
    let month = month.as_primitive::<Int64Type>();
    let mut out: Vec<(usize, usize, String)> = Vec::new();
    let mut last: Option<(&str, Option<i64>)> = None;
    for i in 0..batch.num_rows() {
        if chain.is_null(i) {
            return Err(format!("row {i} has no chain"));
        }
        let here = (chain.value(i), (!month.is_null(i)).then(|| month.value(i)));
        if last == Some(here) {
            if let Some(run) = out.last_mut() {
                run.1 = i + 1;
            }
            continue;
        }
        let value = match here.1 {
            Some(n) => format!("{:04}-{:02}", n.div_euclid(12), n.rem_euclid(12) + 1),
            None => UNDATED.to_string(),
        };
        out.push((i, i + 1, format!("{}/{value}", folder(here.0))));
        last = Some(here);
    }
    Ok(out)
}

/// Rows of each layer table per partition (`<chain>/<YYYY-MM>`), as the view has them
/// now: what [`crate::scope`] compares with the previous run's manifest to find months
/// whose rows moved.
pub async fn partition_rows(ctx: &SessionContext, view: &str) -> Result<BTreeMap<String, u64>> {
    let sql = format!(
        "SELECT chain, {MONTH_SQL} AS m, count(*) AS n \
         FROM {view} WHERE block_time IS NOT NULL GROUP BY 1, 2"
    );
    let mut out = BTreeMap::new();
    for b in ctx.sql(&sql).await?.collect().await? {
        let n = arrow::compute::cast(b.column(2), &DataType::Int64)?;
        let n = n.as_primitive::<arrow::datatypes::Int64Type>();
        let keyed = RecordBatch::try_new(
            Arc::new(Schema::new(vec![
                b.schema().field(0).clone(),
                b.schema().field(1).clone().with_name("_month"),
            ])),
            vec![Arc::clone(b.column(0)), Arc::clone(b.column(1))],
        )?;
        let runs = partition_runs(&keyed).map_err(|e| JobError::publish(view, e))?;
        for (start, end, key) in runs {
            let rows: i64 = (start..end).map(|i| n.value(i).max(0)).sum();
            *out.entry(key).or_insert(0) += rows as u64;
        }
    }
    Ok(out)
}

/// The rows per dated partition a published layer table's manifest record lists.
pub fn recorded_rows(table: &PublishedTable) -> BTreeMap<String, u64> {
    let mut out = BTreeMap::new();
    for f in &table.files {
        if let Some(p) = &f.partition {
            if !p.ends_with(&format!("/{UNDATED}")) {
                *out.entry(p.clone()).or_insert(0) += f.rows;
            }
        }
    }
    out
}
