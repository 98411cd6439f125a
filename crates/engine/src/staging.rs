//! Staged tables: the result of a query written as Parquet into a work folder and
//! registered under a name, in passes when memory is bounded, with the string
//! representation each reader needs. The job's validated inputs, the clustering's tables
//! and the job's stage queries are all written this way.

use datafusion::dataframe::DataFrameWriteOptions;
use datafusion::prelude::{ParquetReadOptions, SessionContext};

use crate::error::{EngineError, Result};
use crate::passes::{self, Pass};

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
/// (see [`plain_strings`]); reading them as views (`Utf8View`) saves copying the bytes,
/// but a view batch keeps the buffers it points into alive and DataFusion 55's memory
/// pool charges every batch for all of them
/// (docs/performance.md#staged-tables-plain-strings-views-only-when-unbounded).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Strings {
    /// Views when the memory pool is unbounded; plain under a memory limit, where the
    /// over-counting made passes run out of memory.
    ViewsUnlessBounded,
    /// Always plain. For the validated inputs, whose rows kept by some queries (groups of
    /// input strings) would hold their pages' buffers as views; the job also defines them
    /// with views for the queries that do not: `input_strings`. And for the
    /// clustering's own tables, where views did not help
    /// (docs/performance.md#staged-tables-plain-strings-views-only-when-unbounded).
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

pub async fn write_slices(
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
            .map_err(|e| EngineError::Internal(format!("{path}: {e}")))?;
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
        return Err(EngineError::Internal(format!("{name}: no query to write")));
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
/// that size or larger is halved before it runs, saving their failed attempts; one failure
/// alone is not taken as a pattern (docs/performance.md#split-passes-ahead-after-two-failures).
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

fn out_of_memory(e: &EngineError) -> bool {
    matches!(e, EngineError::DataFusion(d)
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
        .map_err(|e| EngineError::Internal(format!("{path}: {e}")))?;
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
        .map_err(|e| EngineError::Internal(format!("{path}: {e}")))?;
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
                .map_err(|e| EngineError::Internal(format!("{path}: {e}")))?;
        }
    }
    Ok(())
}

/// Parquet settings for intermediate (staged) tables: read back once or twice and
/// deleted, so write speed beats size: zstd level 1
/// (docs/performance.md#zstd-level-1-for-staged-tables).
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
/// buffers, and DataFusion 55 charges each batch for every buffer it references. Plain
/// strings are copied by `take`: each batch owns what it holds
/// (docs/performance.md#staged-tables-plain-strings-views-only-when-unbounded).
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
    let err = |e: &dyn std::fmt::Display| EngineError::Internal(format!("{path}: {e}"));
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
