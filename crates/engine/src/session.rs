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

use crate::config::{EngineConfig, SessionSpec};
use crate::error::Result;
use crate::views;

/// The object-store registry every chainstat process installs.
pub fn object_stores(storage: &StorageConfig) -> Arc<dyn ObjectStoreRegistry> {
    Arc::new(ChainstatObjectStores::new(storage.clone()))
}

/// DataFusion settings chainstat changes from DataFusion's defaults, with the reason.
///
/// `execution.enable_migration_aggregate`: DataFusion 55's new ("migrated") grouped
/// aggregation streams take a much slower ordered path whenever a GROUP BY column is a
/// known constant — e.g. the `chain` literal of a canonical view, or `chain` after
/// `WHERE chain = 'ethereum'` (docs/performance.md#migrated-aggregation-off).
///
/// `execution.skip_partial_aggregation_probe_ratio_threshold` = 0.5 (DataFusion: 0.8):
/// a partial (per-partition) aggregation that keeps more than half of its input rows as
/// groups is hashing every row twice for nothing, and is then skipped, as in the turnover
/// tables' counts of distinct counterparties
/// (docs/performance.md#partial-aggregation-skipped-above-half).
///
/// `optimizer.hash_join_single_partition_threshold` = 64 MB and `…_rows` = 2M (DataFusion:
/// 1 MB and 128k): a hash join whose build side is below both is built once and shared
/// by all partitions, so the probe side streams through instead of being
/// hash-repartitioned, as every scan of a staged input was by its anti-join against its
/// repeated keys. Not larger: the attribution stays partitioned except in the queries that
/// share it on purpose (`-- set:` in `flows` and `coverage_days`)
/// (docs/performance.md#shared-hash-join-build-sides).
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
/// Why larger batches for the job: every operator pays per batch, and the job's steps
/// stream tens of millions of narrow rows through scans and joins. Why not in every
/// session: an analyst's aggregation is faster with smaller batches (its per-batch arrays
/// of 32-byte decimals stay in cache) (docs/performance.md#65536-row-batches-for-the-job).
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
/// gives one such operator a quarter of the limit at most ([`crate::memory`]), so a batch
/// must stay a small part of the pool (docs/performance.md#batch-size-under-a-memory-limit).
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
/// it; hash joins stay the default (their build sides are counted but cannot spill):
/// sort-merge joins' merge phases cannot spill either and exhausted the pool, and a fair
/// pool's shares were too small to spill
/// (docs/performance.md#hash-joins-not-sort-merge-under-a-limit).
/// `[engine.options] "optimizer.prefer_hash_join" = "false"` still selects sort-merge joins.
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
    /// What it was opened from.
    pub config: SessionSpec,
    /// The cluster URL, when remote.
    pub cluster: Option<String>,
    /// Where tables built in the client are staged as Parquet for the cluster (None:
    /// embedded, kept in memory).
    pub staging: Option<String>,
}

impl Session {
    /// Opens a session; `cluster` = `df://host:port` of a Ballista scheduler.
    pub async fn open(config: impl Into<SessionSpec>, cluster: Option<&str>) -> Result<Session> {
        let config: SessionSpec = config.into();
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The job's batch size: 65536 rows, bounded by a memory limit, unless the user
    /// chose one (typed or in `[engine.options]`).
    #[test]
    fn job_batch_size_follows_the_memory_limit_unless_set() {
        assert_eq!(
            bounded_batch_size(crate::config::parse_bytes("64m").unwrap()),
            8192
        );
        assert_eq!(
            bounded_batch_size(crate::config::parse_bytes("256m").unwrap()),
            16384
        );
        assert_eq!(
            bounded_batch_size(crate::config::parse_bytes("1g").unwrap()),
            65536
        );
        assert_eq!(
            bounded_batch_size(crate::config::parse_bytes("2g").unwrap()),
            65536
        );
        assert_eq!(bounded_batch_size(u64::MAX), 65536);

        assert_eq!(job_batch_size(&EngineConfig::default()), Some(65536));
        let small = EngineConfig {
            memory_limit: Some("64m".to_string()),
            ..EngineConfig::default()
        };
        assert_eq!(job_batch_size(&small), Some(8192));
        let mut in_options = small.clone();
        in_options
            .options
            .insert("execution.batch_size".to_string(), "1234".to_string());
        assert_eq!(job_batch_size(&in_options), None);
        let typed = EngineConfig {
            batch_size: Some(4096),
            ..EngineConfig::default()
        };
        assert_eq!(job_batch_size(&typed), None);
    }
}
