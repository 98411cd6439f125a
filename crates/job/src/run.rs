//! `chainstat run`: the whole nightly job, stage by stage.
//!
//! open inputs → cluster → the queries of `queries/` in order (views, staged tables,
//! published tables; the recompute scope is decided just before the first query that
//! reads it) → state for the next incremental run → report → manifest → commit
//! (pointer) → prune old runs. Every published table is written into the run's own
//! folder; nothing a reader can see changes until the commit.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use arrow::array::{AsArray, RecordBatch};
use arrow::datatypes::{DataType, Int64Type};
use chainstat_engine::Session;

use crate::config::ChainstatConfig;
use datafusion::prelude::{ParquetReadOptions, SessionContext};
use sha2::{Digest, Sha256};

use crate::error::{JobError, Result};
use crate::gate;
use crate::lease::Lease;
use crate::manifest::{RejectCount, RunManifest, ScopeMode, MANIFEST_VERSION};
use crate::progress::{Progress, Stage};
use crate::publish::{self, Root};
use crate::queries::{self, Partition, Query, QueryKind};
use crate::report;
use crate::scope::{self, Fingerprints, Scope};

/// How to run.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// Output root (local folder or object-store URL).
    pub out: String,
    /// Ballista scheduler (`df://host:port`); None = embedded.
    pub cluster: Option<String>,
    /// Recompute only what changed since the committed run.
    pub incremental: bool,
    /// Skip the report.
    pub no_report: bool,
    /// Keep the work folder (staged tables, clustering work files).
    pub keep_work: bool,
    /// No progress output.
    pub quiet: bool,
    /// Commit even when the sanity gates find the figures broken or changed too much
    /// against the published run (see [`crate::gate`]).
    pub accept_change: bool,
}

/// What a run did.
#[derive(Debug, Clone)]
pub struct RunSummary {
    /// The committed manifest.
    pub manifest: RunManifest,
    /// URL of the run folder.
    pub run_url: String,
    /// URL of the output root.
    pub root_url: String,
}

/// Runs the job over `config`.
pub async fn run(config: ChainstatConfig, opts: &RunOptions) -> Result<RunSummary> {
    let progress = Progress::new(opts.quiet);
    let result = run_inner(config, opts, &progress).await;
    progress.finish();
    result
}

async fn run_inner(
    config: ChainstatConfig,
    opts: &RunOptions,
    progress: &Progress,
) -> Result<RunSummary> {
    let started = chrono::Utc::now();
    let queries = match &config.job.queries {
        Some(dir) => queries::from_dir(Path::new(dir))?,
        None => queries::builtin()?,
    };
    if let Some(q) = queries
        .iter()
        .find(|q| crate::canonical::is_layer_table(&q.name))
    {
        return Err(JobError::Config(format!(
            "{}: `{}` is a table of the canonical layer, which the job publishes itself: \
             give the query another name",
            q.file, q.name
        )));
    }
    let config_fp = config_fingerprint(&config)?;
    let queries_fp = queries::fingerprint(&queries);
    let run_id = format!(
        "{}-{}",
        started.format("%Y%m%dT%H%M%S%3fZ"),
        &chainstat_chain::hex::encode(&Sha256::digest(format!(
            "{config_fp}{}",
            started.timestamp_nanos_opt().unwrap_or(0)
        )))[..8]
    );
    let st = progress.stage("open inputs");
    let session = Session::open(&config, opts.cluster.as_deref()).await?;
    // The job's batch size (larger than a plain session's, see `job_batch_size`).
    if let Some(rows) = chainstat_engine::session::job_batch_size(&config.engine) {
        session
            .ctx
            .state_ref()
            .write()
            .config_mut()
            .options_mut()
            .set("datafusion.execution.batch_size", &rows.to_string())
            .map_err(|e| JobError::Config(format!("execution.batch_size = {rows}: {e}")))?;
    }
    let root = Root::open(&session.ctx, &opts.out)?;
    // One writer per output root, from before the first write until after pruning.
    let lease_ttl = std::time::Duration::from_secs(config.job.lease_seconds);
    let lease = Lease::acquire(&root, &run_id, lease_ttl).await?;
    let job = Job {
        config: &config,
        opts,
        progress,
        session: &session,
        root: &root,
        run_dir: format!("runs/{run_id}"),
        work_rel: format!("_work/{run_id}"),
        work: root.location_of(&format!("_work/{run_id}")),
        run_id,
        queries,
        config_fp,
        queries_fp,
        started,
    };
    // Boxed: the rest of the run is one large future, kept off the caller's stack.
    let result = Box::pin(job.run(st, &lease)).await;
    lease.release().await;
    result
}

/// One run, once its session, output root and lease are in hand: what every stage needs.
struct Job<'a> {
    config: &'a ChainstatConfig,
    opts: &'a RunOptions,
    progress: &'a Progress,
    session: &'a Session,
    root: &'a Root,
    run_id: String,
    /// The run's folder, relative to the root.
    run_dir: String,
    /// The run's work folder, relative to the root, and its URL.
    work_rel: String,
    work: String,
    queries: Vec<Query>,
    config_fp: String,
    queries_fp: String,
    started: chrono::DateTime<chrono::Utc>,
}

/// The clustering figures a run records, and how many address keys collided.
struct Clustered {
    summary: chainstat_cluster::ClusterSummary,
    collisions: u64,
}

impl Job<'_> {
    fn ctx(&self) -> &SessionContext {
        &self.session.ctx
    }

    fn staging(&self) -> Option<&str> {
        self.session.staging.as_deref()
    }

    /// The stages after "open inputs" (`st`, finished here), up to the commit.
    async fn run(&self, st: Stage<'_>, lease: &Lease) -> Result<RunSummary> {
        self.sweep_work().await;
        // What the commit will replace, read once the lease keeps other writers out.
        let predecessor = publish::Predecessor::read(self.root).await?;
        if let Some(id) = predecessor.run_id() {
            // A run killed between its commit and its link left `latest` behind.
            publish::link_latest(self.root, id)?;
        }
        let published = publish::current(self.root).await?;
        let reference =
            crate::inputs::register_reference(self.ctx(), &self.config.job, self.staging()).await?;
        let tables = &self.session.tables;
        let inputs = crate::inputs::inventory(self.ctx(), self.config, tables, reference).await?;
        st.done(format!(
            "{} tables, {} input files",
            tables.len(),
            inputs.iter().map(|s| s.objects.len()).sum::<usize>()
        ));
        let input_rows = self.stage_inputs().await?;
        crate::freezes::register(self.ctx(), &self.config.freezes).await?;
        self.define_prices().await?;
        let clustered = self.cluster().await?;
        let previous = if self.opts.incremental {
            published.clone()
        } else {
            None
        };
        let (mut tables, scope) = self
            .run_queries(&clustered, input_rows, &inputs, previous.as_ref())
            .await?;
        tables.extend(
            self.publish_layer(&inputs, &scope, previous.as_ref())
                .await?,
        );
        let state = self.save_state().await?;
        let mut manifest = self
            .manifest(inputs, tables, state, &scope, &clustered, &predecessor)
            .await?;
        if !self.opts.no_report {
            self.report(&mut manifest).await?;
        }
        self.gate(&mut manifest, &clustered, published.as_ref())
            .await?;
        self.commit(manifest, &predecessor, lease).await
    }

    /// Deletes the work folders of runs that did not finish.
    async fn sweep_work(&self) {
        match publish::sweep_work(self.root, &self.run_id).await {
            Ok(swept) if !swept.is_empty() => {
                log::info!(
                    "deleted work folders of runs that did not finish: {}",
                    swept.join(", ")
                )
            }
            Ok(_) => {}
            Err(e) => log::warn!("work folders of earlier runs not deleted: {e}"),
        }
    }

    /// Validates and deduplicates the inputs once, as Parquet in the work folder: every
    /// later step reads the canonical views many times (heuristics, flows, candidates,
    /// coverage). Returns the number of input rows.
    async fn stage_inputs(&self) -> Result<u64> {
        let (ctx, work) = (self.ctx(), &self.work);
        let embedded = self.opts.cluster.is_none();
        let st = self.progress.stage("canonical views");
        let repeated = chainstat_engine::views::stage_canonical(
            ctx,
            &self.session.tables,
            self.staging(),
            &format!("{work}/canonical"),
            // `rejects` names the Parquet row except on Ballista (see create_views).
            embedded,
            // String views for the queries that ask (`-- strings: views`); on Ballista the
            // views are flattened into tables below.
            embedded,
        )
        .await?;
        let mut staged = Vec::new();
        let mut input_rows = 0;
        for view in ["transfers", "utxo_inputs", "utxo_outputs"] {
            if !embedded {
                // Ballista ships each query's logical plan as protobuf: a query reading these
                // views (staged rows, anti-join, winners, per chain) three times went past the
                // decoder's recursion limit, so on a cluster they are flattened into tables.
                let path = format!("{work}/canonical/{view}/");
                let sql = format!("SELECT * FROM {view}");
                chainstat_engine::staging::write_and_register_plain(ctx, &sql, &path, view).await?;
            }
            let count = format!("SELECT count(*) FROM {view}");
            let n = chainstat_engine::staging::count(ctx, &count).await?;
            input_rows += n;
            staged.push(format!("{n} {view}"));
        }
        st.done(format!("{} ({repeated} repeated keys)", staged.join(", ")));
        Ok(input_rows)
    }

    /// The deposit heuristic's dust floor is in USD: the `prices` view (a plain view over
    /// the prices file, no clustering in it) is defined before the clustering needs it.
    async fn define_prices(&self) -> Result<()> {
        let Some(q) = self
            .queries
            .iter()
            .find(|q| q.name == "prices" && q.kind == QueryKind::View)
        else {
            return Ok(());
        };
        let qerr = |e| JobError::Query {
            file: q.file.clone(),
            source: Box::new(e),
        };
        let sql = queries::render(q, &placeholders(self.config))?;
        let create = format!("CREATE OR REPLACE VIEW prices AS {sql}");
        self.ctx()
            .sql(&create)
            .await
            .map_err(qerr)?
            .collect()
            .await
            .map_err(qerr)?;
        Ok(())
    }

    /// Address clustering, and the check for address keys two addresses share.
    async fn cluster(&self) -> Result<Clustered> {
        let work = &self.work;
        let st = self.progress.stage("cluster");
        // The cluster tables are scratch unless the work folder is kept: the evidence table
        // (which nothing in the job reads) and the tables' key order are for a kept folder.
        let outputs = match self.opts.keep_work {
            true => chainstat_cluster::Outputs::ALL,
            false => chainstat_cluster::Outputs::SCRATCH,
        };
        let summary = chainstat_cluster::run_with(
            self.ctx(),
            &self.config.cluster,
            &format!("{work}/cluster_work"),
            &format!("{work}/cluster"),
            outputs,
        )
        .await?;
        st.done(format!(
            "{} addresses, {} clusters, {} edges",
            summary.nodes, summary.clusters, summary.edges
        ));
        let collisions = key_collisions(self.ctx()).await?;
        if collisions > 0 {
            log::warn!(
                "{collisions} address key(s) shared by distinct addresses: address joins compare \
                 the strings as well this run"
            );
        }
        Ok(Clustered {
            summary,
            collisions,
        })
    }

    /// The queries of `queries/` in order; the recompute scope is decided just before the
    /// first one that reads it. Returns the published tables and the scope.
    async fn run_queries(
        &self,
        clustered: &Clustered,
        input_rows: u64,
        inputs: &[crate::inputs::InputSet],
        previous: Option<&(String, RunManifest)>,
    ) -> Result<(BTreeMap<String, crate::manifest::PublishedTable>, Scope)> {
        let ctx = self.ctx();
        let mut params = placeholders(self.config);
        let collide = clustered.collisions > 0 || self.config.job.exact_address_joins;
        params.insert("keys_collide".to_string(), collide.to_string());
        let passes = slice_passes(ctx, self.config, input_rows);
        let mut tables = BTreeMap::new();
        let mut scope: Option<Scope> = None;
        for q in &self.queries {
            let sql = queries::render(q, &params)?;
            if scope.is_none() && (sql.contains("scope_months") || sql.contains("scope_years")) {
                scope = Some(self.decide_scope(inputs, previous).await?);
            }
            let st = self.progress.stage(&q.name);
            let before = set_options(ctx, &q.settings)?;
            let target = QueryTarget {
                root: self.root,
                run_dir: &self.run_dir,
                work: &self.work,
                passes,
                scope: scope.as_ref(),
                previous,
            };
            let work = run_query(ctx, q, &sql, &params, &target, &mut tables);
            let detail = match q.string_views {
                true => chainstat_engine::input_strings::with_views_unless_bounded(ctx, work).await,
                false => work.await,
            };
            restore_options(ctx, before);
            st.done(detail?);
            failpoint("publish", tables.len());
        }
        let scope = match scope {
            Some(s) => s,
            None => scope::full(ctx, "no query reads the scope").await?,
        };
        Ok((tables, scope))
    }

    /// Decides and registers the recompute scope.
    async fn decide_scope(
        &self,
        inputs: &[crate::inputs::InputSet],
        previous: Option<&(String, RunManifest)>,
    ) -> Result<Scope> {
        let st = self.progress.stage("decide scope");
        let fingerprints = Fingerprints {
            config: &self.config_fp,
            queries: &self.queries_fp,
        };
        let s = decide_scope(self.session, self.root, inputs, previous, &fingerprints).await?;
        scope::register(self.ctx(), &s, self.staging()).await?;
        st.done(format!("{}: {}", s.record.mode, s.record.reason));
        Ok(s)
    }

    /// The canonical layer (validated, deduplicated inputs) into the run folder: every
    /// partition in a full run, the months in scope in an incremental one (the rest
    /// copied from the previous run).
    async fn publish_layer(
        &self,
        inputs: &[crate::inputs::InputSet],
        scope: &Scope,
        previous: Option<&(String, RunManifest)>,
    ) -> Result<BTreeMap<String, crate::manifest::PublishedTable>> {
        let st = self.progress.stage("canonical layer");
        let kinds = self
            .session
            .tables
            .iter()
            .map(|t| (t.spec.name.clone(), t.format.kind()))
            .collect();
        let recompute = match (scope.record.mode, previous) {
            (ScopeMode::Incremental, Some((dir, m))) => Some(crate::canonical::Recompute {
                months: &scope.months,
                previous: (dir.as_str(), m),
            }),
            _ => None,
        };
        let layer = crate::canonical::publish(
            self.ctx(),
            self.root,
            &self.run_dir,
            inputs,
            &kinds,
            recompute.as_ref(),
        )
        .await?;
        let detail: Vec<String> = layer
            .iter()
            .map(|(name, t)| match t.carried_over.len() {
                0 => format!("{} {name}", t.rows),
                n => format!("{} {name} ({n} partition(s) carried over)", t.rows),
            })
            .collect();
        st.done(detail.join(", "));
        Ok(layer)
    }

    /// The state the next incremental run compares against, under `_state/`.
    async fn save_state(&self) -> Result<BTreeMap<String, String>> {
        let ctx = self.ctx();
        let st = self.progress.stage("state for incremental runs");
        let mut state = BTreeMap::new();
        for name in ["address_attribution", "prices"] {
            if !ctx.table_exist(name)? {
                continue;
            }
            let rel = format!("{}/_state/{name}/", self.run_dir);
            let staged = self
                .queries
                .iter()
                .any(|q| q.name == name && q.kind == QueryKind::Stage);
            if staged {
                // Already Parquet in the work folder, exactly `SELECT * FROM {name}`: copy
                // the files instead of decoding and encoding them again (a server-side copy
                // on object stores).
                let from = staged_folder(&self.work_rel, name);
                let files = self.root.copy_prefix(&from, &rel).await?;
                log::debug!("{name}: {files} state file(s) copied");
            } else {
                chainstat_engine::staging::write_and_register(
                    ctx,
                    &format!("SELECT * FROM {name}"),
                    &self.root.location_of(&rel),
                    &format!("_state_{name}"),
                )
                .await?;
            }
            state.insert(name.to_string(), rel);
        }
        st.done(format!("{} tables", state.len()));
        Ok(state)
    }

    /// The run manifest, before the report, the figures and the timings.
    async fn manifest(
        &self,
        inputs: Vec<crate::inputs::InputSet>,
        tables: BTreeMap<String, crate::manifest::PublishedTable>,
        state: BTreeMap<String, String>,
        scope: &Scope,
        clustered: &Clustered,
        predecessor: &publish::Predecessor,
    ) -> Result<RunManifest> {
        let rejects = match self.ctx().table_exist("rejects_summary")? {
            true => reject_counts(self.ctx()).await?,
            false => Vec::new(),
        };
        for r in rejects.iter().filter(|r| r.kind == "undated") {
            // Not silence: an export without timestamps and without a blocks table of its
            // chain (tronetl, ethereum-etl CSV) is in no period and no deposit window.
            log::warn!(
                "table {}: {} rows have no block time (no block_timestamp column and no blocks \
                 table of their chain): they are in no per-period table and no deposit window; \
                 add the chain's blocks export as a table",
                r.source,
                r.rows
            );
        }
        let cs = &clustered.summary;
        let clustering = [
            ("edges", cs.edges),
            ("addresses", cs.nodes),
            ("clusters", cs.clusters),
            ("label_conflicts", cs.conflicts),
            ("warnings", cs.warnings),
            ("shared_address_keys", clustered.collisions),
            ("service_senders", cs.services),
            ("treasury_wallets", cs.treasury_wallets),
            ("superclusters", cs.superclusters),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .chain(
            cs.coinjoins
                .iter()
                .map(|(rule, n)| (format!("coinjoin_{rule}"), *n)),
        )
        .collect();
        Ok(RunManifest {
            manifest_version: MANIFEST_VERSION,
            run_id: self.run_id.clone(),
            chainstat_version: env!("CARGO_PKG_VERSION").to_string(),
            key_scheme: chainstat_chain::key::KEY_SCHEME.to_string(),
            table_layout: publish::TABLE_LAYOUT.to_string(),
            started_at: self
                .started
                .to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            finished_at: String::new(),
            engine: self
                .opts
                .cluster
                .clone()
                .unwrap_or_else(|| "embedded".into()),
            config: redacted_config(self.config)?,
            config_fingerprint: self.config_fp.clone(),
            queries_fingerprint: self.queries_fp.clone(),
            scope: scope.record.clone(),
            inputs,
            tables,
            state,
            clustering,
            cluster_sizes: cs.sizes.clone(),
            previous_run: predecessor.run_id().map(str::to_string),
            figures: None,
            rejects,
            timings: Vec::new(),
            reports: Vec::new(),
        })
    }

    /// The annual report (HTML and Markdown) into the run folder, when there is a year.
    async fn report(&self, manifest: &mut RunManifest) -> Result<()> {
        let st = self.progress.stage("report");
        let meta = report::load::Meta::of_run(manifest, self.config.job.threshold_usd);
        let Some(data) =
            report::load::build(self.ctx(), &meta, self.config.job.report_year).await?
        else {
            st.done("no yearly data: no report");
            return Ok(());
        };
        for (file, body) in [
            ("report.html", report::render_html(&data)),
            ("report.md", report::render_markdown(&data)),
        ] {
            let path = format!("{}/{file}", self.run_dir);
            self.root.put(&path, body.into_bytes()).await?;
            manifest.reports.push(file.to_string());
        }
        st.done(format!("year {}", data.year));
        Ok(())
    }

    /// The sanity gates against the published run: refuse unless `--accept-change`.
    async fn gate(
        &self,
        manifest: &mut RunManifest,
        clustered: &Clustered,
        published: Option<&(String, RunManifest)>,
    ) -> Result<()> {
        let has_report = !manifest.reports.is_empty();
        let figures = gate::figures(self.ctx(), clustered.summary.nodes, has_report).await?;
        let mut reasons = gate::check(
            &figures,
            published.and_then(|(_, m)| m.figures.as_ref()),
            self.config.job.max_change_factor,
            !self.opts.no_report,
        );
        if !reasons.is_empty() {
            // Undated rows are the usual cause of an empty or shrunken run: say so.
            for r in manifest.rejects.iter().filter(|r| r.kind == "undated") {
                reasons.push(format!(
                    "table {} has {} rows without a block time (no block_timestamp and no blocks \
                     table of its chain), which no period counts",
                    r.source, r.rows
                ));
            }
        }
        if !reasons.is_empty() {
            if !self.opts.accept_change {
                return Err(JobError::Refused {
                    run_id: self.run_id.clone(),
                    reasons,
                });
            }
            log::warn!(
                "committing despite the sanity gates (--accept-change): {}",
                reasons.join("; ")
            );
        }
        manifest.figures = Some(figures);
        Ok(())
    }

    /// Commits (moves the pointer), then prunes old runs and deletes the work folder.
    async fn commit(
        &self,
        mut manifest: RunManifest,
        predecessor: &publish::Predecessor,
        lease: &Lease,
    ) -> Result<RunSummary> {
        let run_id = &self.run_id;
        manifest.finished_at =
            chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        manifest.timings = self.progress.timings();
        failpoint("commit", 0);
        lease.check().await?;
        publish::commit(self.root, &manifest, predecessor).await?;
        failpoint("committed", 0);
        // Outside tools read `latest/`: a stale link is a wrong figure, so this fails the
        // run (the commit stands, and the next run repairs the link first).
        publish::link_latest(self.root, run_id).map_err(|e| {
            JobError::publish(
                self.root.url_of(publish::LATEST),
                format!("run {run_id} committed, but the latest link was not updated: {e}"),
            )
        })?;
        // Committed: housekeeping failures from here on are warnings, not a failed run.
        match publish::prune(self.root, run_id, self.config.job.keep_runs).await {
            Ok(pruned) if !pruned.is_empty() => {
                log::info!("deleted old runs: {}", pruned.join(", "))
            }
            Ok(_) => {}
            Err(e) => log::warn!("run {run_id} committed, but pruning old runs failed: {e}"),
        }
        if !self.opts.keep_work {
            if let Err(e) = self.root.delete_prefix(&self.work_rel).await {
                log::warn!("run {run_id} committed, but its work folder was not deleted: {e}");
            }
        }
        Ok(RunSummary {
            run_url: self.root.url_of(&self.run_dir),
            root_url: self.root.url.clone(),
            manifest,
        })
    }
}

/// Where a query's output goes and what it may carry over.
struct QueryTarget<'a> {
    root: &'a Root,
    run_dir: &'a str,
    /// The work folder's URL (staged tables).
    work: &'a str,
    /// Passes a sliced stage query starts with.
    passes: usize,
    scope: Option<&'a Scope>,
    previous: Option<&'a (String, RunManifest)>,
}

/// Runs one query of `queries/`: a view is created, a stage query written to the work
/// folder, a published table written into the run folder. Returns what it did, in words.
async fn run_query(
    ctx: &SessionContext,
    q: &Query,
    sql: &str,
    params: &BTreeMap<String, String>,
    target: &QueryTarget<'_>,
    tables: &mut BTreeMap<String, crate::manifest::PublishedTable>,
) -> Result<String> {
    let qerr = |e: datafusion::error::DataFusionError| JobError::Query {
        file: q.file.clone(),
        source: Box::new(e),
    };
    match q.kind {
        QueryKind::View => {
            ctx.sql(&format!("CREATE OR REPLACE VIEW {} AS {sql}", q.name))
                .await
                .map_err(qerr)?
                .collect()
                .await
                .map_err(qerr)?;
            Ok("view".into())
        }
        QueryKind::Stage => {
            let path = staged_folder(target.work, &q.name);
            let passes = target.passes;
            let written = if q.sliced {
                let template = queries::render_params(q, params)?;
                let render = |pass| queries::slice(&template, pass);
                chainstat_engine::staging::write_sliced_and_register(
                    ctx, &render, passes, &path, &q.name,
                )
                .await
            } else {
                chainstat_engine::staging::write_and_register(ctx, sql, &path, &q.name).await
            };
            written.map_err(|e| match e {
                chainstat_engine::EngineError::DataFusion(d) => qerr(*d),
                other => JobError::from(other),
            })?;
            let count = format!("SELECT count(*) FROM {}", q.name);
            let n = chainstat_engine::staging::count(ctx, &count).await?;
            Ok(match (q.sliced, passes) {
                (true, k) if k > 1 => format!("{n} rows staged in {k}+ passes"),
                _ => format!("{n} rows staged"),
            })
        }
        QueryKind::Publish => {
            let df = ctx.sql(sql).await.map_err(qerr)?;
            let df = crate::portable::portable(df).map_err(qerr)?;
            let planned = Arc::new(df.schema().as_arrow().clone());
            let batches: Vec<RecordBatch> = df.collect().await.map_err(qerr)?;
            let batches = crate::portable::strings_as_utf8(batches).map_err(qerr)?;
            let schema = batches.first().map(|b| b.schema()).unwrap_or(planned);
            let record = publish_table(ctx, q, target, &schema, &batches).await?;
            let carried = match record.carried_over.len() {
                0 => String::new(),
                n => format!(", {n} partition(s) carried over"),
            };
            let detail = format!(
                "{} rows in {} file(s){carried}",
                record.rows,
                record.files.len()
            );
            tables.insert(q.name.clone(), record);
            Ok(detail)
        }
    }
}

/// Writes a published query's rows into the run folder, carries the partitions an
/// incremental run did not recompute over from the previous run, and registers the table.
async fn publish_table(
    ctx: &SessionContext,
    q: &Query,
    target: &QueryTarget<'_>,
    schema: &arrow::datatypes::SchemaRef,
    batches: &[RecordBatch],
) -> Result<crate::manifest::PublishedTable> {
    let (root, run_dir) = (target.root, target.run_dir);
    let mut files =
        publish::write_table(root, run_dir, &q.name, q.partition, schema, batches).await?;
    let carried = carry_over(q, target, &mut files).await?;
    if files.len() > 1 {
        files.retain(|f| f.partition.is_some() || q.partition == Partition::None);
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    let read_as = Some(Arc::clone(schema));
    publish::register_files(ctx, root, run_dir, &q.name, &files, read_as).await?;
    Ok(publish::table_record(q.partition, schema, files, carried))
}

/// In an incremental run, copies the previous run's partitions of `q`'s table that this
/// run neither recomputed nor emitted, adds them to `files`, and returns their names.
async fn carry_over(
    q: &Query,
    target: &QueryTarget<'_>,
    files: &mut Vec<crate::manifest::PublishedFile>,
) -> Result<Vec<String>> {
    let mut carried = Vec::new();
    let (Some(s), Some((prev_dir, prev))) = (target.scope, target.previous) else {
        return Ok(carried);
    };
    if q.partition == Partition::None || s.record.mode != ScopeMode::Incremental {
        return Ok(carried);
    }
    let Some(t) = prev.tables.get(&q.name) else {
        return Ok(carried);
    };
    let fresh: std::collections::BTreeSet<String> =
        files.iter().filter_map(|f| f.partition.clone()).collect();
    for f in &t.files {
        let Some(p) = &f.partition else { continue };
        // Recomputed (in scope, or emitted anyway by the query): keep the fresh file,
        // never overwrite it with the old one.
        if s.covers(p) || fresh.contains(p) {
            continue;
        }
        let (from, to) = (
            format!("{prev_dir}/{}", f.path),
            format!("{}/{}", target.run_dir, f.path),
        );
        target.root.copy(&from, &to).await?;
        files.push(f.clone());
        carried.push(p.clone());
    }
    Ok(carried)
}

async fn decide_scope(
    session: &Session,
    root: &Root,
    inputs: &[crate::inputs::InputSet],
    previous: Option<&(String, RunManifest)>,
    fingerprints: &Fingerprints<'_>,
) -> Result<Scope> {
    let ctx = &session.ctx;
    let Some((_, prev)) = previous else {
        return scope::full(ctx, "full run").await;
    };
    for (name, table) in [
        ("address_attribution", "prev_attribution"),
        ("prices", "prev_prices"),
    ] {
        let Some(rel) = prev.state.get(name) else {
            return scope::full(ctx, &format!("run {} kept no {name} state", prev.run_id)).await;
        };
        if !ctx.table_exist(name)? {
            return scope::full(ctx, &format!("this query set defines no {name}")).await;
        }
        let schema = ctx.table(name).await?.schema().as_arrow().clone();
        ctx.deregister_table(table)?;
        ctx.register_parquet(
            table,
            &root.location_of(rel),
            ParquetReadOptions {
                schema: Some(&schema),
                ..Default::default()
            },
        )
        .await?;
    }
    scope::incremental(session, inputs, prev, fingerprints).await
}

/// The folder a staged query's table is written to under the work folder `work` (a URL or
/// a path relative to the root): one layout for writing it and for copying it as state.
fn staged_folder(work: &str, name: &str) -> String {
    format!("{work}/stage/{name}/")
}

/// How many 64-bit address keys (`key_hash(chain, address)`, the canonical views'
/// `from_key`, `to_key` and `address_key`) are shared by distinct addresses. Every address
/// a query can join on is a node of the clustering (labels, transfers, UTXO rows), so
/// when none is shared, joining on the keys alone is exact; the queries compare the
/// strings as well (`${if:keys_collide:…}`) in a run where one is. At 2.6M addresses a
/// collision has a chance of about 2·10⁻⁷; at a billion, a few percent.
async fn key_collisions(ctx: &SessionContext) -> Result<u64> {
    Ok(chainstat_engine::staging::count(
        ctx,
        "SELECT count(*) FROM (SELECT key_hash(chain, address) AS k FROM address_clusters \
         GROUP BY key_hash(chain, address) HAVING count(*) > 1)",
    )
    .await?)
}

/// The `${…}` values the queries may use.
fn placeholders(config: &ChainstatConfig) -> BTreeMap<String, String> {
    let quote = |s: &str| format!("'{}'", s.replace('\'', "''"));
    let j = &config.job;
    let c = &config.cluster;
    let mut cats: Vec<String> = c
        .exchange_categories
        .iter()
        .map(|s| quote(&s.to_ascii_lowercase()))
        .collect();
    if cats.is_empty() {
        cats.push(quote("exchange"));
    }
    let known = chainstat_chain::CHAINS
        .iter()
        .map(|(name, _)| quote(name))
        .collect::<Vec<_>>()
        .join(", ");
    let (bucket_o, previous_o) =
        chainstat_cluster::heuristics::deposit_reuse::bucket_sql("o", c.deposit_window_seconds);
    let (bucket_i, _) =
        chainstat_cluster::heuristics::deposit_reuse::bucket_sql("i", c.deposit_window_seconds);
    BTreeMap::from([
        ("bucket_o".to_string(), bucket_o),
        ("previous_bucket_o".to_string(), previous_o),
        ("bucket_i".to_string(), bucket_i),
        (
            "threshold_usd".to_string(),
            format!("{:?}", j.threshold_usd),
        ),
        (
            "top_counterparties".to_string(),
            j.top_counterparties.max(1).to_string(),
        ),
        (
            "candidate_min_deposits".to_string(),
            j.candidate_min_deposits.max(1).to_string(),
        ),
        (
            "candidate_min_depositors".to_string(),
            j.candidate_min_depositors.max(1).to_string(),
        ),
        (
            "candidate_min_confidence".to_string(),
            format!("{:?}", j.candidate_min_confidence),
        ),
        (
            "nested_min_senders".to_string(),
            j.nested_min_senders.max(1).to_string(),
        ),
        (
            "nested_min_forward_days".to_string(),
            j.nested_min_forward_days.max(1).to_string(),
        ),
        (
            "nested_min_batching".to_string(),
            format!("{:?}", j.nested_min_batching.max(1.0)),
        ),
        ("exchange_categories".to_string(), cats.join(", ")),
        (
            // A price row's asset that has an address's shape on its chain but fails the
            // chain's check (checksum, case): rejected rather than read as a symbol.
            "price_asset_is_bad_address".to_string(),
            format!(
                "CASE WHEN lower(trim(chain)) IN ({known}) THEN \
                   NOT is_valid_address(lower(trim(chain)), trim(asset)) \
                   AND (lower(trim(asset)) LIKE '0x%' \
                        OR (lower(trim(chain)) IN ('tron', 'trx') \
                            AND (length(trim(asset)) = 34 \
                                 OR (length(trim(asset)) = 42 AND trim(asset) LIKE '41%')))) \
                 ELSE false END",
            ),
        ),
        ("known_chains".to_string(), known),
        (
            "deposit_window_seconds".to_string(),
            c.deposit_window_seconds.max(0).to_string(),
        ),
        (
            "deposit_keep".to_string(),
            format!("{:?}", 1.0 - c.deposit_amount_tolerance.clamp(0.0, 1.0)),
        ),
    ])
}

/// The config as the manifest records it: storage options (credentials) reduced to
/// their keys.
fn redacted_config(config: &ChainstatConfig) -> Result<serde_json::Value> {
    let mut v = serde_json::to_value(config).map_err(|e| JobError::Config(e.to_string()))?;
    if let Some(storage) = v.get_mut("storage").and_then(|s| s.as_object_mut()) {
        for (_, scheme) in storage.iter_mut() {
            if let Some(opts) = scheme.as_object_mut() {
                for (_, value) in opts.iter_mut() {
                    *value = serde_json::Value::String("<set>".into());
                }
            }
        }
    }
    Ok(v)
}

/// Bytes of hash tables per input row (transfers, UTXO inputs and outputs) that a
/// sliced query is first assumed to hold: what [`slice_passes`] starts from. A pass
/// that runs out of memory is split in two and run again
/// ([`chainstat_engine::staging::write_sliced_and_register`]), so this only has to be right on
/// average (docs/performance.md#pass-sizes).
const SLICE_ROW_BYTES: u64 = 32;

/// Passes for sliced queries: `[engine] passes` when set, else as many as keep one
/// pass's hash tables within a quarter of the memory limit (one without a limit).
fn slice_passes(ctx: &SessionContext, config: &ChainstatConfig, input_rows: u64) -> usize {
    match config.engine.passes {
        0 => chainstat_engine::passes::needed(ctx, input_rows * SLICE_ROW_BYTES),
        n => n,
    }
}

/// Digest of what determines the rows: tables, labels, cluster and job parameters
/// (not the output location, engine tuning or credentials).
fn config_fingerprint(config: &ChainstatConfig) -> Result<String> {
    let mut c = config.clone();
    c.job.out = None;
    c.job.report_year = None;
    c.job.keep_runs = 0;
    c.engine = Default::default();
    c.cluster.deposit_passes = 0; // how, not what
    c.cluster.node_passes = 0;
    c.storage = Default::default();
    let json = serde_json::to_vec(&c).map_err(|e| JobError::Config(e.to_string()))?;
    Ok(chainstat_chain::hex::encode(&Sha256::digest(json)))
}

async fn reject_counts(ctx: &SessionContext) -> Result<Vec<RejectCount>> {
    let batches = ctx
        .sql("SELECT kind, source, reason, CAST(rows AS BIGINT) FROM rejects_summary")
        .await?
        .collect()
        .await?;
    let mut out = Vec::new();
    for b in &batches {
        let text = |i: usize| arrow::compute::cast(b.column(i), &DataType::Utf8);
        let (k, s, r) = (text(0)?, text(1)?, text(2)?);
        let (k, s, r) = (
            k.as_string::<i32>(),
            s.as_string::<i32>(),
            r.as_string::<i32>(),
        );
        let n = b.column(3).as_primitive::<Int64Type>();
        for i in 0..b.num_rows() {
            out.push(RejectCount {
                kind: k.value(i).to_string(),
                source: s.value(i).to_string(),
                reason: r.value(i).to_string(),
                rows: n.value(i).max(0) as u64,
            });
        }
    }
    Ok(out)
}

/// Test hook for crash tests: `CHAINSTAT_FAILPOINT=publish:N` aborts the process (as a
/// kill would) once N summary tables have been written, `commit` just before the
/// pointer is replaced (before the manifest is written), `pointer` between the manifest
/// and the pointer, `committed` just after it. Unset in normal use.
pub(crate) fn failpoint(at: &str, published: usize) {
    let Ok(spec) = std::env::var("CHAINSTAT_FAILPOINT") else {
        return;
    };
    let hit = match spec.split_once(':') {
        Some((name, n)) => name == at && n.parse::<usize>().ok() == Some(published),
        None => spec == at,
    };
    if hit {
        eprintln!("CHAINSTAT_FAILPOINT={spec}: aborting");
        std::process::abort();
    }
}

/// Applies a query's `-- set:` options to the session and returns the options they
/// replaced, for [`restore_options`] (one query's settings must not leak into the next).
fn set_options(
    ctx: &SessionContext,
    settings: &[(String, String)],
) -> Result<Option<datafusion::config::ConfigOptions>> {
    if settings.is_empty() {
        return Ok(None);
    }
    let state = ctx.state_ref();
    let mut state = state.write();
    let saved = datafusion::config::ConfigOptions::clone(state.config().options());
    for (k, v) in settings {
        state
            .config_mut()
            .options_mut()
            .set(k, v)
            .map_err(|e| JobError::Config(format!("{k} = {v}: {e}")))?;
    }
    Ok(Some(saved))
}

fn restore_options(ctx: &SessionContext, saved: Option<datafusion::config::ConfigOptions>) {
    if let Some(saved) = saved {
        *ctx.state_ref().write().config_mut().options_mut() = saved;
    }
}
