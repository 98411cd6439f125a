//! Building chainstat sessions: the embedded engine (default) or a client of a Ballista
//! cluster, both with chainstat's functions, object stores, input tables and canonical
//! views — so the same SQL gives the same rows either way.

use std::sync::Arc;

use ballista::prelude::{SessionConfigExt, SessionContextExt};
use chainstat_io::{ChainstatObjectStores, RegisteredTable, StorageConfig};
use datafusion::execution::object_store::ObjectStoreRegistry;
use datafusion::execution::runtime_env::RuntimeEnvBuilder;
use datafusion::execution::{SessionState, SessionStateBuilder};
use datafusion::prelude::{SessionConfig, SessionContext};

use crate::config::{ChainstatConfig, EngineConfig};
use crate::error::Result;
use crate::views;

/// The object-store registry every chainstat process installs.
pub fn object_stores(storage: &StorageConfig) -> Arc<dyn ObjectStoreRegistry> {
    Arc::new(ChainstatObjectStores::new(storage.clone()))
}

/// DataFusion settings chainstat changes from DataFusion's defaults, with the reason.
///
/// `execution.enable_migration_aggregate`: DataFusion 55's new ("migrated") grouped
/// aggregation streams take an ordered path whenever a GROUP BY column is a known
/// constant — e.g. the `chain` literal of a canonical view, or `chain` after
/// `WHERE chain = 'ethereum'`. On 10M distinct groups that path took 57.9 s where the
/// classic hash stream took 10.6 s (scripts/bench, 2 cores); with it off the same
/// query on a non-constant key takes 5.2 s either way.
///
/// `execution.skip_partial_aggregation_probe_ratio_threshold` = 0.5 (DataFusion: 0.8):
/// a partial (per-partition) aggregation that keeps more than half of its input rows as
/// groups is hashing every row twice for nothing, and is then skipped. The turnover
/// tables count distinct counterparties per day/month/year (2.8M groups from 3.8M legs
/// at 10M transfers, ratio 0.74): the daily table took 1.30 s instead of 1.67 s, with
/// half the memory (scripts/bench, 2 cores).
///
/// `optimizer.hash_join_single_partition_threshold` = 64 MB and `…_rows` = 2M (DataFusion:
/// 1 MB and 128k): a hash join whose build side is below both is built once and shared
/// by all partitions, so the probe side streams through instead of being
/// hash-repartitioned. Every scan of a staged input passes an anti-join against its
/// repeated keys (205k at 10M transfers: over DataFusion's thresholds), so each of the
/// dozen scans of the transfers copied 10M rows with all their strings into partitions.
/// Alternating 10M runs: 79.5 / 78.9 s against 90.5 / 93.4 s for the job (88.3 s against
/// 93.6 s under `--memory-limit 2g`), the same published rows. Not larger: the
/// attribution (2.6M rows at 10M transfers) stays partitioned except in the queries that
/// share it on purpose (`-- set:` in `flows` and `coverage_days`); an earlier global
/// 4M-row / 512 MB setting made `cluster_edges` sort strings taken from a shared
/// 2.6M-row build side (245 s, 20 GB).
pub const DEFAULT_OPTIONS: &[(&str, &str)] = &[
    ("datafusion.execution.enable_migration_aggregate", "false"),
    (
        "datafusion.execution.skip_partial_aggregation_probe_ratio_threshold",
        "0.5",
    ),
    (
        "datafusion.optimizer.hash_join_single_partition_threshold",
        "67108864",
    ),
    (
        "datafusion.optimizer.hash_join_single_partition_threshold_rows",
        "2097152",
    ),
];

/// The full DataFusion key for a setting written with or without `datafusion.`.
pub fn option_key(k: &str) -> String {
    if k.starts_with("datafusion.") {
        k.to_string()
    } else {
        format!("datafusion.{k}")
    }
}

/// Checks one DataFusion setting (unknown key or bad value → the DataFusion error text).
pub fn check_option(key: &str, value: &str) -> std::result::Result<(), String> {
    SessionConfig::new()
        .options_mut()
        .set(&option_key(key), value)
        .map_err(|e| format!("{key} = {value:?}: {e}"))
}

/// Checks `[engine.options]` against DataFusion's settings.
pub fn check_options(
    options: &std::collections::BTreeMap<String, String>,
) -> std::result::Result<(), String> {
    options.iter().try_for_each(|(k, v)| check_option(k, v))
}

/// The job's rows per batch, unless the user set a batch size (`[engine] batch_size` or
/// `execution.batch_size` in `[engine.options]`; then `None`): 65536, or under a memory
/// limit [`bounded_batch_size`]. Other sessions (the SQL shell) keep DataFusion's 8192.
///
/// Why larger batches for the job: every operator pays per batch (building hash-join
/// output, coalescing, repartitioning, one Parquet page write per column), and the job's
/// steps stream tens of millions of narrow rows through scans and joins. 10M transfers in
/// alternating runs: 63.5 / 64.1 s against 70.6–73.4 s at 8192 (16384: 69.7 s; 32768:
/// 65.6–67.9 s; 131072: 64.6 s with 0.3 GB more peak RSS), the same published rows, and
/// 74.2 s against 81.8 s under `--memory-limit 2g`.
///
/// Why not in every session: an analyst's aggregation over a published or staged table is
/// faster with smaller batches (its per-batch intermediate arrays of 32-byte decimals stay
/// in cache). The turnover queries with `chainstat sql` on the 10M `flows`: yearly
/// 1.02–1.06 s at 8192 against 1.09–1.12 s at 65536, daily 1.08–1.13 s against
/// 1.26–1.35 s. Inside the job the same queries showed no such difference (0.9–1.1 s either
/// way, within the noise), so the job keeps one batch size.
pub fn job_batch_size(engine: &EngineConfig) -> Option<usize> {
    let user_set = engine.batch_size.is_some()
        || engine
            .options
            .keys()
            .any(|k| option_key(k) == "datafusion.execution.batch_size");
    if user_set {
        return None;
    }
    let limit = engine
        .memory_limit
        .as_deref()
        .and_then(|m| crate::config::parse_bytes(m).ok());
    Some(limit.map_or(65536, bounded_batch_size))
}

/// Rows per batch under a memory limit of `limit` bytes: `limit / 16 KiB`, between
/// DataFusion's 8192 and the job's 65536 (reached at 1 GiB).
///
/// Why: a sort or aggregation must hold a whole batch before it can spill, and the pool
/// gives one such operator a quarter of the limit at most ([`crate::memory`]). The widest
/// rows the job sorts take ≈ 300 bytes, so a batch stays under 2 % of the pool; with
/// 65536-row batches a 64 MB limit failed ("ExternalSorter would hold 18 MB, more than a
/// quarter").
pub fn bounded_batch_size(limit: u64) -> usize {
    usize::try_from(limit / (16 << 10))
        .unwrap_or(usize::MAX)
        .clamp(8192, 65536)
}

/// Applies engine settings to a session config: chainstat's defaults, then
/// `[engine.options]` (validated when the config was loaded), then the typed keys.
pub fn tune(mut cfg: SessionConfig, engine: &EngineConfig) -> SessionConfig {
    let options = DEFAULT_OPTIONS
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .chain(
            engine
                .options
                .iter()
                .map(|(k, v)| (option_key(k), v.clone())),
        );
    for (k, v) in options {
        if let Err(e) = cfg.options_mut().set(&k, &v) {
            log::warn!("ignoring DataFusion option {k} = {v:?}: {e}");
        }
    }
    cfg = cfg.with_information_schema(true);
    if let Some(p) = engine.target_partitions {
        cfg = cfg.with_target_partitions(p.max(1));
    }
    if let Some(b) = engine.batch_size {
        cfg = cfg.with_batch_size(b.max(1));
    }
    cfg
}

/// A session state with chainstat's functions and object stores. `ballista` adds
/// Ballista's optimizer rules and function set (what its own session builder does), for
/// the scheduler and executors.
pub fn chainstat_state(
    cfg: SessionConfig,
    stores: Arc<dyn ObjectStoreRegistry>,
    ballista: bool,
) -> datafusion::common::Result<SessionState> {
    chainstat_state_bounded(cfg, stores, ballista, None)
}

/// [`chainstat_state`] with an optional memory bound (bytes): a greedy pool
/// ([`crate::memory::BoundedPool`]: first come, first served, errors name the top
/// consumers, repartition buffers never refused). Sorts and aggregations spill beyond
/// it; hash joins stay the default (their build sides are counted but cannot spill).
/// Sort-merge joins, which can spill, were the default here until measured: at 10M
/// transfers under 2 GB their sorts' merge phases (which cannot spill) exhausted the
/// pool in clustering, while with hash joins the whole job completes in the same time
/// as unbounded. `[engine.options] "optimizer.prefer_hash_join" = "false"` still
/// selects them. A fair spill pool was tried: it splits the pool between every
/// spillable operator of a plan, and the flows query has so many that an
/// aggregation's share was too small to spill at all, even at 1M.
pub fn chainstat_state_bounded(
    cfg: SessionConfig,
    stores: Arc<dyn ObjectStoreRegistry>,
    ballista: bool,
    memory_limit: Option<usize>,
) -> datafusion::common::Result<SessionState> {
    let mut runtime = RuntimeEnvBuilder::new().with_object_store_registry(stores);
    if let Some(bytes) = memory_limit {
        runtime = runtime.with_memory_pool(Arc::new(crate::memory::BoundedPool::new(bytes)));
    }
    let runtime = runtime.build_arc()?;
    let mut builder = SessionStateBuilder::new()
        .with_default_features()
        .with_config(cfg)
        .with_runtime_env(runtime);
    if ballista {
        use ballista_core::extension::{
            ballista_aggregate_functions, ballista_scalar_functions, ballista_window_functions,
        };
        builder = builder
            .with_optimizer_rules(ballista_core::optimizer::ballista_default_optimizer_rules())
            .with_scalar_functions(ballista_scalar_functions())
            .with_aggregate_functions(ballista_aggregate_functions())
            .with_window_functions(ballista_window_functions());
    }
    let mut state = builder.build();
    chainstat_functions::register_all(&mut state)?;
    Ok(state)
}

/// An open chainstat session: a context with every configured table and view.
pub struct Session {
    /// The DataFusion context (embedded or Ballista client).
    pub ctx: SessionContext,
    /// What was registered.
    pub tables: Vec<RegisteredTable>,
    /// The config it was built from.
    pub config: ChainstatConfig,
    /// The cluster URL, when remote.
    pub cluster: Option<String>,
    /// Where tables built in the client are staged as Parquet for the cluster (None:
    /// embedded, kept in memory).
    pub staging: Option<String>,
}

impl Session {
    /// Opens a session; `cluster` = `df://host:port` of a Ballista scheduler.
    pub async fn open(config: ChainstatConfig, cluster: Option<&str>) -> Result<Session> {
        let stores = object_stores(&config.storage);
        let ctx = match cluster {
            None => {
                let cfg = tune(SessionConfig::new(), &config.engine);
                let limit = config
                    .engine
                    .memory_limit
                    .as_deref()
                    .map(crate::config::parse_bytes)
                    .transpose()?
                    .map(|b| b as usize);
                SessionContext::new_with_state(chainstat_state_bounded(cfg, stores, false, limit)?)
            }
            Some(url) => {
                // Ballista 55's adaptive planner leaves jobs hanging once it wants to
                // cancel stages ("not implemented"), e.g. on the clustering queries;
                // the static planner runs them.
                let cfg = tune(
                    SessionConfig::new_with_ballista().with_ballista_adaptive_query_planner(false),
                    &config.engine,
                );
                let state = chainstat_state(cfg, stores, true)?;
                let ctx = SessionContext::remote_with_state(url, state).await?;
                // `remote_with_state` replaces the function registry with Ballista's:
                // put chainstat's functions back so the client can plan with them.
                for f in chainstat_functions::scalar_functions() {
                    ctx.register_udf(f.as_ref().clone());
                }
                ctx
            }
        };
        let staging = cluster.map(|_| {
            config.engine.staging.clone().unwrap_or_else(|| {
                std::env::temp_dir()
                    .join("chainstat-staging")
                    .display()
                    .to_string()
            })
        });
        let mut tables = Vec::with_capacity(config.tables.len());
        for spec in &config.tables {
            tables.push(chainstat_io::register(&ctx, spec, staging.as_deref()).await?);
        }
        views::create_views(&ctx, &tables, cluster.is_none()).await?;
        chainstat_io::labels::register(&ctx, &config.labels, staging.as_deref()).await?;
        Ok(Session {
            ctx,
            tables,
            config,
            cluster: cluster.map(str::to_string),
            staging,
        })
    }
}
