//! Publishing runs atomically.
//!
//! Layout under the output root (local folder or object-store URL):
//!
//! ```text
//! _published.json                 the pointer: the committed run (written last, read first)
//! runs/<run_id>/manifest.json     the run manifest
//! runs/<run_id>/<table>/month_2025-03.parquet   (year_2025.parquet, or part-0.parquet)
//! runs/<run_id>/report.html, report.md
//! runs/<run_id>/_state/…          what the next incremental run compares against
//! latest -> runs/<run_id>          local roots only: the committed run, for outside tools
//! ```
//!
//! Partitions are flat files named after their value, not `key=value/` folders: the
//! partition column stays inside the files with its own type, and readers that infer
//! Hive partitions (pyarrow, DuckDB, Spark) would otherwise add a second, differently
//! typed copy of it.
//!
//! A run writes everything into its own folder and only then replaces the pointer — a
//! single-object put, atomic on object stores and (write-then-rename) on local disks.
//! Readers that go through the pointer see either the previous run or the new one,
//! never a mix; a run killed before the pointer is replaced leaves the previous one
//! published and untouched. Older runs are deleted only after a commit, keeping
//! `keep_runs` of them for readers still holding an older pointer.

use std::sync::Arc;

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::datatypes::{DataType, SchemaRef};
use datafusion::datasource::file_format::parquet::ParquetFormat;
use datafusion::datasource::listing::{
    ListingOptions, ListingTable, ListingTableConfig, ListingTableUrl,
};
use datafusion::prelude::SessionContext;
use futures::TryStreamExt;
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};

use crate::error::{JobError, Result};
use crate::manifest::{Pointer, PublishedFile, PublishedTable, RunManifest};
use crate::queries::Partition;

/// The pointer object's name.
pub const POINTER: &str = "_published.json";

/// The link to the committed run that local roots keep for outside tools.
pub const LATEST: &str = "latest";

/// How published tables are laid out and typed (flat partition files, portable column
/// types: `crate::portable`; v2 adds the canonical layer, `crate::canonical`). A run
/// made with another layout is never carried over.
pub const TABLE_LAYOUT: &str = "flat-portable-v2";

/// An output root: a store and the path prefix inside it.
#[derive(Debug, Clone)]
pub struct Root {
    /// The root as given, with a trailing `/`.
    pub url: String,
    pub(crate) store: Arc<dyn ObjectStore>,
    prefix: ObjectPath,
}

impl Root {
    /// Opens `url` (local path or object-store URL) through the session's stores.
    pub fn open(ctx: &SessionContext, url: &str) -> Result<Root> {
        let mut url = url.trim_end_matches('/').to_string();
        if url.is_empty() {
            url = ".".into();
        }
        url.push('/');
        let parsed = chainstat_io::location::parse("output", &url)?;
        let store = ctx
            .runtime_env()
            .object_store(parsed.object_store())
            .map_err(|e| JobError::publish(&url, e))?;
        Ok(Root {
            url: parsed.as_str().to_string(),
            store,
            prefix: parsed.prefix().clone(),
        })
    }

    pub(crate) fn path(&self, rel: &str) -> ObjectPath {
        rel.split('/')
            .filter(|s| !s.is_empty())
            .fold(self.prefix.clone(), |p, s| p.clone().join(s))
    }

    /// Full URL of `rel`.
    pub fn url_of(&self, rel: &str) -> String {
        format!("{}{}", self.url, rel.trim_start_matches('/'))
    }

    /// Where `rel` is, for DataFusion writers: a local path for a `file://` root (so
    /// folders get created), the URL otherwise.
    pub fn location_of(&self, rel: &str) -> String {
        match self.local_dir(rel) {
            Some(p) => {
                let s = p.display().to_string();
                if rel.ends_with('/') && !s.ends_with('/') {
                    format!("{s}/")
                } else {
                    s
                }
            }
            None => self.url_of(rel),
        }
    }

    /// Writes an object.
    pub async fn put(&self, rel: &str, bytes: Vec<u8>) -> Result<()> {
        self.store
            .put(&self.path(rel), PutPayload::from(bytes))
            .await
            .map_err(|e| JobError::publish(self.url_of(rel), e))?;
        Ok(())
    }

    /// Reads an object; `None` when it does not exist.
    pub async fn get(&self, rel: &str) -> Result<Option<Vec<u8>>> {
        match self.store.get(&self.path(rel)).await {
            Ok(r) => Ok(Some(
                r.bytes()
                    .await
                    .map_err(|e| JobError::publish(self.url_of(rel), e))?
                    .to_vec(),
            )),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(JobError::publish(self.url_of(rel), e)),
        }
    }

    /// Server-side copy of `from` to `to` (both relative).
    pub async fn copy(&self, from: &str, to: &str) -> Result<()> {
        self.store
            .copy(&self.path(from), &self.path(to))
            .await
            .map_err(|e| JobError::publish(self.url_of(from), e))?;
        Ok(())
    }

    /// Every object under the folder `rel`.
    async fn list_under(&self, rel: &str) -> Result<Vec<object_store::ObjectMeta>> {
        self.store
            .list(Some(&self.path(rel)))
            .try_collect()
            .await
            .map_err(|e| JobError::publish(self.url_of(rel), e))
    }

    /// Server-side copies of every object under `from` to the same relative name under
    /// `to` (both relative folders); returns how many.
    pub async fn copy_prefix(&self, from: &str, to: &str) -> Result<usize> {
        let prefix = self.path(from);
        let objects = self.list_under(from).await?;
        for o in &objects {
            let name: Vec<String> = o
                .location
                .prefix_match(&prefix)
                .into_iter()
                .flatten()
                .map(|part| part.as_ref().to_string())
                .collect();
            let target = format!("{}/{}", to.trim_end_matches('/'), name.join("/"));
            self.store
                .copy(&o.location, &self.path(&target))
                .await
                .map_err(|e| JobError::publish(self.url_of(&target), e))?;
        }
        Ok(objects.len())
    }

    /// Deletes everything under `rel`.
    pub async fn delete_prefix(&self, rel: &str) -> Result<()> {
        for o in self.list_under(rel).await? {
            self.store
                .delete(&o.location)
                .await
                .map_err(|e| JobError::publish(self.url_of(rel), e))?;
        }
        if let Some(dir) = self.local_dir(rel) {
            let _ = std::fs::remove_dir_all(dir);
        }
        Ok(())
    }

    /// The run folders present (names under `runs/`).
    pub async fn runs(&self) -> Result<Vec<String>> {
        self.folders("runs").await
    }

    /// The folders directly under `rel`, sorted.
    pub async fn folders(&self, rel: &str) -> Result<Vec<String>> {
        let listed = self
            .store
            .list_with_delimiter(Some(&self.path(rel)))
            .await
            .map_err(|e| JobError::publish(self.url_of(rel), e))?;
        let mut runs: Vec<String> = listed
            .common_prefixes
            .iter()
            .filter_map(|p| p.filename().map(str::to_string))
            .collect();
        runs.sort();
        Ok(runs)
    }

    /// Flushes every file under the local folder `rel` and the folders themselves to
    /// disk (a no-op on object stores, whose puts are durable when they return): the
    /// commit's rename is only durable once what it points to is.
    /// The folders holding `rel` up to the root are flushed too, so its entry survives.
    pub fn sync_local(&self, rel: &str) -> Result<()> {
        let (Some(path), Some(root)) = (self.local_dir(rel), self.local_dir("")) else {
            return Ok(());
        };
        let fail = |e| JobError::publish(self.url_of(rel), e);
        sync_tree(&path).map_err(fail)?;
        let mut dir = path.parent();
        while let Some(d) = dir {
            std::fs::File::open(d)
                .and_then(|f| f.sync_all())
                .map_err(fail)?;
            if d == root.as_path() || !d.starts_with(&root) {
                break;
            }
            dir = d.parent();
        }
        Ok(())
    }

    /// The local folder behind `rel`, for a `file://` root.
    pub(crate) fn local_dir(&self, rel: &str) -> Option<std::path::PathBuf> {
        let u = url::Url::parse(&self.url_of(rel)).ok()?;
        (u.scheme() == "file")
            .then(|| u.to_file_path().ok())
            .flatten()
    }
}

fn sync_tree(path: &std::path::Path) -> std::io::Result<()> {
    if path.is_dir() {
        for entry in std::fs::read_dir(path)? {
            sync_tree(&entry?.path())?;
        }
    }
    std::fs::File::open(path)?.sync_all()
}

/// The pointer under `root` and the version it was read at (for the compare-and-swap
/// of the next commit).
pub async fn pointer(root: &Root) -> Result<Option<(Pointer, object_store::UpdateVersion)>> {
    let got = match root.store.get(&root.path(POINTER)).await {
        Ok(g) => g,
        Err(object_store::Error::NotFound { .. }) => return Ok(None),
        Err(e) => return Err(JobError::publish(root.url_of(POINTER), e)),
    };
    let version = object_store::UpdateVersion {
        e_tag: got.meta.e_tag.clone(),
        version: got.meta.version.clone(),
    };
    let bytes = got
        .bytes()
        .await
        .map_err(|e| JobError::publish(root.url_of(POINTER), e))?;
    let pointer: Pointer = serde_json::from_slice(&bytes)
        .map_err(|e| JobError::publish(root.url_of(POINTER), format!("unreadable pointer: {e}")))?;
    Ok(Some((pointer, version)))
}

/// The manifest of run `run_id` under `root`, if it has one.
async fn manifest_of(root: &Root, run_id: &str) -> Result<Option<RunManifest>> {
    let rel = format!("runs/{run_id}/manifest.json");
    match root.get(&rel).await? {
        Some(bytes) => serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| JobError::publish(root.url_of(&rel), format!("unreadable manifest: {e}"))),
        None => Ok(None),
    }
}

/// The committed run under `root`: (run folder relative to root, manifest).
pub async fn current(root: &Root) -> Result<Option<(String, RunManifest)>> {
    let Some((pointer, _)) = self::pointer(root).await? else {
        return Ok(None);
    };
    let manifest_bytes = root.get(&pointer.manifest).await?.ok_or_else(|| {
        JobError::publish(
            root.url_of(&pointer.manifest),
            "the pointer names a manifest that does not exist",
        )
    })?;
    let manifest: RunManifest = serde_json::from_slice(&manifest_bytes).map_err(|e| {
        JobError::publish(
            root.url_of(&pointer.manifest),
            format!("unreadable manifest: {e}"),
        )
    })?;
    Ok(Some((format!("runs/{}", pointer.run_id), manifest)))
}

/// What a commit replaces: the pointer as the run found it when it took the lease.
#[derive(Debug, Clone, Default)]
pub struct Predecessor {
    /// The pointer then (None: nothing was published).
    pub pointer: Option<Pointer>,
    /// The version it was read at.
    pub version: Option<object_store::UpdateVersion>,
}

impl Predecessor {
    /// Reads the pointer now.
    pub async fn read(root: &Root) -> Result<Predecessor> {
        Ok(match pointer(root).await? {
            Some((p, v)) => Predecessor {
                pointer: Some(p),
                version: Some(v),
            },
            None => Predecessor::default(),
        })
    }

    /// The run it names.
    pub fn run_id(&self) -> Option<&str> {
        self.pointer.as_ref().map(|p| p.run_id.as_str())
    }
}

/// Commits the run: checks that every file the manifest lists is there, makes the run
/// durable (local disks), writes the manifest, then swaps the pointer from `from` to
/// this run — refusing if another writer moved it in between.
pub async fn commit(root: &Root, manifest: &RunManifest, from: &Predecessor) -> Result<()> {
    let run_dir = format!("runs/{}", manifest.run_id);
    check_files(root, &run_dir, manifest).await?;
    let manifest_rel = format!("{run_dir}/manifest.json");
    let body = serde_json::to_vec_pretty(manifest)
        .map_err(|e| JobError::publish(root.url_of(&manifest_rel), e))?;
    root.put(&manifest_rel, body).await?;
    root.sync_local(&run_dir)?;
    crate::run::failpoint("pointer", 0);
    let pointer = Pointer {
        run_id: manifest.run_id.clone(),
        manifest: manifest_rel,
        committed_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        previous: from.run_id().map(str::to_string),
    };
    let body = serde_json::to_vec_pretty(&pointer)
        .map_err(|e| JobError::publish(root.url_of(POINTER), e))?;
    // The lease keeps other writers out; the compare-and-swap catches one that ignored
    // it (an older chainstat, a hand copy) instead of overwriting its commit.
    let now = self::pointer(root).await?;
    let found = now.as_ref().map(|(p, _)| p.run_id.as_str());
    if found != from.run_id() {
        return Err(JobError::PointerMoved {
            root: root.url.clone(),
            expected: from.run_id().unwrap_or("nothing published").to_string(),
            found: found.unwrap_or("nothing published").to_string(),
        });
    }
    let mode = match (&from.version, root.local_dir("").is_some()) {
        // Local disks have no conditional overwrite; the lock and the check above hold.
        (_, true) => object_store::PutMode::Overwrite,
        (Some(v), false) => object_store::PutMode::Update(v.clone()),
        (None, false) => object_store::PutMode::Create,
    };
    match root
        .store
        .put_opts(&root.path(POINTER), body.into(), mode.into())
        .await
    {
        Ok(_) => {}
        Err(
            object_store::Error::Precondition { .. } | object_store::Error::AlreadyExists { .. },
        ) => {
            let found = self::pointer(root).await.ok().flatten();
            return Err(JobError::PointerMoved {
                root: root.url.clone(),
                expected: from.run_id().unwrap_or("nothing published").to_string(),
                found: found.map_or("unknown".into(), |(p, _)| p.run_id),
            });
        }
        Err(e) => return Err(JobError::publish(root.url_of(POINTER), e)),
    }
    // The rename is durable once the root folder's entry is.
    root.sync_local(POINTER)
}

/// Points the `latest` link of a local root at `runs/<run_id>` (object stores have no
/// links: docs/job.md#reading-published-tables). The new link is made beside the old one
/// and renamed over it, so a reader of `latest/` sees one whole run or the other.
pub fn link_latest(root: &Root, run_id: &str) -> Result<()> {
    let Some(dir) = root.local_dir("") else {
        return Ok(());
    };
    let link = dir.join(LATEST);
    let target = std::path::Path::new("runs").join(run_id);
    let fail = |e: std::io::Error| JobError::publish(root.url_of(LATEST), e);
    match std::fs::symlink_metadata(&link) {
        Ok(m) if m.file_type().is_symlink() => {
            if std::fs::read_link(&link).map_err(fail)? == target {
                return Ok(());
            }
        }
        Ok(_) => {
            return Err(JobError::publish(
                root.url_of(LATEST),
                "exists and is not the link chainstat keeps to the published run; move it away",
            ))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(fail(e)),
    }
    let staged = dir.join(format!(".{LATEST}.{run_id}"));
    match std::fs::remove_file(&staged) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(fail(e)),
        _ => {}
    }
    make_link(&target, &staged).map_err(fail)?;
    std::fs::rename(&staged, &link).map_err(fail)?;
    // The rename is durable once the root folder's entry is.
    std::fs::File::open(&dir)
        .and_then(|f| f.sync_all())
        .map_err(fail)
}

#[cfg(unix)]
fn make_link(target: &std::path::Path, link: &std::path::Path) -> std::io::Result<()> {
    std::os::unix::fs::symlink(target, link)
}

#[cfg(not(unix))]
fn make_link(_: &std::path::Path, _: &std::path::Path) -> std::io::Result<()> {
    Err(std::io::Error::new(
        std::io::ErrorKind::Unsupported,
        "the latest link needs a Unix file system",
    ))
}

/// Every file of every table, state folder and report the manifest lists must exist
/// with the recorded size before a pointer may name the run.
async fn check_files(root: &Root, run_dir: &str, manifest: &RunManifest) -> Result<()> {
    let prefix = root.path(run_dir);
    let present: std::collections::BTreeMap<String, u64> = root
        .list_under(run_dir)
        .await?
        .into_iter()
        .filter_map(|o| {
            let rel: Vec<String> = o
                .location
                .prefix_match(&prefix)?
                .map(|p| p.as_ref().to_string())
                .collect();
            Some((rel.join("/"), o.size))
        })
        .collect();
    let mut missing = Vec::new();
    for (name, table) in &manifest.tables {
        for f in &table.files {
            match present.get(&f.path) {
                Some(size) if *size == f.bytes => {}
                Some(size) => missing.push(format!(
                    "{name}: {} ({size} bytes, {} recorded)",
                    f.path, f.bytes
                )),
                None => missing.push(format!("{name}: {}", f.path)),
            }
        }
    }
    for report in &manifest.reports {
        if !present.contains_key(report) {
            missing.push(report.clone());
        }
    }
    for (name, rel) in &manifest.state {
        let folder = rel
            .strip_prefix(&format!("{run_dir}/"))
            .unwrap_or(rel)
            .trim_end_matches('/');
        if !present.keys().any(|k| k.starts_with(&format!("{folder}/"))) {
            missing.push(format!("state {name}: {folder}/"));
        }
    }
    if missing.is_empty() {
        return Ok(());
    }
    Err(JobError::publish(
        root.url_of(run_dir),
        format!(
            "not committed: {} file(s) the manifest lists are missing or changed: {}",
            missing.len(),
            missing.join(", ")
        ),
    ))
}

/// Deletes published runs beyond the newest `keep` and folders of runs that never
/// committed, older than `committed` (the run just committed, which holds the lease).
///
/// The published runs are the chain of commits: the current run, the run its manifest
/// says it replaced, and so on — so a run that wrote its manifest but died before its
/// pointer moved never counts towards `keep`. Runs newer than `committed` are never
/// touched.
pub async fn prune(root: &Root, committed: &str, keep: usize) -> Result<Vec<String>> {
    let runs = root.runs().await?;
    let mut chain = vec![committed.to_string()];
    let mut at = committed.to_string();
    loop {
        let Some(m) = manifest_of(root, &at).await? else {
            break;
        };
        match m.previous_run {
            Some(p) if runs.contains(&p) && !chain.contains(&p) && p < at => {
                chain.push(p.clone());
                at = p;
            }
            Some(_) => break,
            None => {
                // Written before manifests named their predecessor: every older run
                // with a manifest was published.
                for r in runs.iter().rev() {
                    if r.as_str() < at.as_str()
                        && !chain.contains(r)
                        && manifest_of(root, r).await?.is_some()
                    {
                        chain.push(r.clone());
                    }
                }
                break;
            }
        }
    }
    let keep = keep.max(1);
    let mut deleted = Vec::new();
    for r in &runs {
        let published_and_kept = chain.iter().take(keep).any(|c| c == r);
        if published_and_kept || r.as_str() >= committed {
            continue;
        }
        root.delete_prefix(&format!("runs/{r}")).await?;
        deleted.push(r.clone());
    }
    Ok(deleted)
}

/// Deletes the work folders (`_work/<run>`) left by runs that were killed or failed;
/// called by the run that holds the lease, before it writes its own.
pub async fn sweep_work(root: &Root, own: &str) -> Result<Vec<String>> {
    let mut swept = Vec::new();
    for w in root.folders("_work").await? {
        if w != own {
            root.delete_prefix(&format!("_work/{w}")).await?;
            swept.push(w);
        }
    }
    Ok(swept)
}

/// Splits `batches` (ordered by the partition column first) into partitions and
/// writes one Parquet file per partition under `runs/<run>/<table>/`.
pub async fn write_table(
    root: &Root,
    run_dir: &str,
    table: &str,
    partition: Partition,
    schema: &SchemaRef,
    batches: &[RecordBatch],
) -> Result<Vec<PublishedFile>> {
    let location = root.url_of(&format!("{run_dir}/{table}"));
    let all = arrow::compute::concat_batches(schema, batches)
        .map_err(|e| JobError::publish(&location, e))?;
    let mut files = Vec::new();
    let Some(col) = partition.column() else {
        let rel = format!("{table}/part-0.parquet");
        let bytes = encode(&location, schema, std::slice::from_ref(&all))?;
        let size = bytes.len() as u64;
        root.put(&format!("{run_dir}/{rel}"), bytes).await?;
        files.push(PublishedFile {
            path: rel,
            partition: None,
            rows: all.num_rows() as u64,
            bytes: size,
        });
        return Ok(files);
    };
    let values = partition_values(&all, col, partition)
        .map_err(|reason| JobError::publish(&location, reason))?;
    let mut start = 0;
    let mut seen = std::collections::BTreeSet::new();
    while start < values.len() {
        let value = &values[start];
        let end = values[start..]
            .iter()
            .position(|v| v != value)
            .map_or(values.len(), |n| start + n);
        if !seen.insert(value.clone()) {
            return Err(JobError::publish(
                &location,
                format!("rows of partition {col}={value} are not contiguous: the query must ORDER BY {col} first"),
            ));
        }
        let slice = all.slice(start, end - start);
        let rel = format!("{table}/{col}_{value}.parquet");
        let bytes = encode(&location, schema, &[slice])?;
        let size = bytes.len() as u64;
        root.put(&format!("{run_dir}/{rel}"), bytes).await?;
        files.push(PublishedFile {
            path: rel,
            partition: Some(value.clone()),
            rows: (end - start) as u64,
            bytes: size,
        });
        start = end;
    }
    if files.is_empty() {
        // No rows: one empty file keeps the schema readable.
        let rel = format!("{table}/empty.parquet");
        let bytes = encode(&location, schema, &[])?;
        let size = bytes.len() as u64;
        root.put(&format!("{run_dir}/{rel}"), bytes).await?;
        files.push(PublishedFile {
            path: rel,
            partition: None,
            rows: 0,
            bytes: size,
        });
    }
    Ok(files)
}

fn encode(location: &str, schema: &SchemaRef, batches: &[RecordBatch]) -> Result<Vec<u8>> {
    chainstat_io::encode_parquet(schema, batches).map_err(|e| JobError::publish(location, e))
}

/// The partition value of every row: `YYYY-MM` for a DATE `month`, the number for an
/// integer `year`.
fn partition_values(
    batch: &RecordBatch,
    col: &str,
    partition: Partition,
) -> std::result::Result<Vec<String>, String> {
    let idx = batch
        .schema()
        .index_of(col)
        .map_err(|_| format!("a table partitioned by {col} needs a column named {col}"))?;
    let array = batch.column(idx);
    if array.null_count() > 0 {
        return Err(format!("column {col} has NULLs; a partition needs a value"));
    }
    let text = arrow::compute::cast(array, &DataType::Utf8).map_err(|e| e.to_string())?;
    let text = text.as_string::<i32>();
    Ok((0..text.len())
        .map(|i| {
            let v = text.value(i);
            match partition {
                Partition::Month => v.get(..7).unwrap_or(v).to_string(),
                _ => v.to_string(),
            }
        })
        .collect())
}

/// Registers table `name` over the given files of a run (Parquet), so later queries,
/// reports and analysts read exactly the published rows.
pub async fn register_files(
    ctx: &SessionContext,
    root: &Root,
    run_dir: &str,
    name: &str,
    files: &[PublishedFile],
    schema: Option<SchemaRef>,
) -> Result<()> {
    let urls: Vec<ListingTableUrl> = files
        .iter()
        .map(|f| {
            let u = root.url_of(&format!("{run_dir}/{}", f.path));
            ListingTableUrl::parse(&u).map_err(|e| JobError::publish(&u, e))
        })
        .collect::<Result<_>>()?;
    let options =
        ListingOptions::new(Arc::new(ParquetFormat::default())).with_file_extension(".parquet");
    let mut config = ListingTableConfig::new_with_multi_paths(urls).with_listing_options(options);
    config = match schema {
        Some(s) => config.with_schema(s),
        None => config
            .infer_schema(&ctx.state())
            .await
            .map_err(|e| JobError::publish(root.url_of(run_dir), e))?,
    };
    ctx.deregister_table(name)?;
    ctx.register_table(name, Arc::new(ListingTable::try_new(config)?))?;
    Ok(())
}

/// Registers every table of the committed run under `root` in `ctx`; returns its
/// manifest.
pub async fn register_published(ctx: &SessionContext, out: &str) -> Result<RunManifest> {
    let root = Root::open(ctx, out)?;
    let (run_dir, manifest) = current(&root)
        .await?
        .ok_or_else(|| JobError::NothingPublished(out.to_string()))?;
    for (name, table) in &manifest.tables {
        register_files(ctx, &root, &run_dir, name, &table.files, None).await?;
    }
    Ok(manifest)
}

/// `name: type` of every column.
pub fn describe_schema(schema: &SchemaRef) -> Vec<String> {
    schema
        .fields()
        .iter()
        .map(|f| format!("{}: {}", f.name(), f.data_type()))
        .collect()
}

/// A published table record from its files.
pub fn table_record(
    partition: Partition,
    schema: &SchemaRef,
    files: Vec<PublishedFile>,
    carried_over: Vec<String>,
) -> PublishedTable {
    PublishedTable {
        partition: partition.name().to_string(),
        rows: files.iter().map(|f| f.rows).sum(),
        schema: describe_schema(schema),
        files,
        carried_over,
        inputs_fingerprint: None,
    }
}
