//! Ballista scheduler and executor processes that know chainstat: its SQL functions
//! and its object stores (configured from the same environment and config file as the
//! client, so no credential is ever shipped inside a plan).
//!
//! Both bind 127.0.0.1 by default and use pull-based scheduling: executors poll the
//! scheduler, so they need no inbound port besides the Arrow Flight one that serves
//! shuffle and result data.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use ballista_core::config::TaskSchedulingPolicy;
use ballista_core::registry::BallistaFunctionRegistry;
use ballista_core::RuntimeProducer;
use ballista_executor::executor_process::{start_executor_process, ExecutorProcessConfig};
use ballista_scheduler::cluster::BallistaCluster;
use ballista_scheduler::config::SchedulerConfig;
use ballista_scheduler::scheduler_process::{create_scheduler, start_grpc_service};
use ballista_scheduler::SessionBuilder;
use datafusion::execution::runtime_env::RuntimeEnvBuilder;
use datafusion::prelude::SessionConfig;
use datafusion_proto::protobuf::{LogicalPlanNode, PhysicalPlanNode};
use std::sync::OnceLock;

use ballista::prelude::SessionConfigExt;

use crate::config::SessionSpec;
use crate::error::{EngineError, Result};
use crate::fail_closed::FailClosed;
use crate::session::{chainstat_state, object_stores, tune};

/// Scheduler options.
#[derive(Debug, Clone)]
pub struct SchedulerOptions {
    /// Address to bind.
    pub bind: String,
    /// gRPC port.
    pub port: u16,
    /// Seconds without a heartbeat (a pull executor polls several times a second, and
    /// at least every 5 s) before an executor is declared lost; its running queries then
    /// fail (see [`crate::fail_closed`]).
    pub executor_timeout_seconds: u64,
    /// Keep executors' shuffle files after a job ends (for debugging); by default the
    /// final stage's are deleted [`RESULT_GRACE_SECONDS`] after the job (intermediate
    /// ones at once).
    pub keep_shuffle: bool,
}

/// Seconds a finished job's final-stage output stays on the executors for the client to
/// fetch before the scheduler has it deleted.
pub const RESULT_GRACE_SECONDS: u64 = 30;

impl Default for SchedulerOptions {
    fn default() -> Self {
        Self {
            bind: "127.0.0.1".into(),
            port: 50050,
            executor_timeout_seconds: 20,
            keep_shuffle: false,
        }
    }
}

/// Warns when a service listens beyond loopback: Ballista's gRPC and Flight endpoints
/// have no authentication, so anyone who reaches the port can run queries or read
/// shuffle data.
fn warn_if_exposed(what: &str, bind: &str) {
    let loopback = bind == "localhost"
        || bind
            .parse::<std::net::IpAddr>()
            .map(|ip| ip.is_loopback())
            .unwrap_or(false);
    if !loopback {
        log::warn!(
            "the {what} listens on {bind}: Ballista has no authentication, so anyone who can \
             reach this port can run queries and read data. Keep it on a private network \
             behind a firewall (see the README, \"Running on a cluster\")"
        );
        eprintln!(
            "warning: the {what} listens on {bind} without authentication; restrict who can \
             reach it (see the README, \"Running on a cluster\")"
        );
    }
}

/// Runs a scheduler until the process is stopped.
pub async fn run_scheduler(config: impl Into<SessionSpec>, opts: SchedulerOptions) -> Result<()> {
    let config: SessionSpec = config.into();
    let stores = object_stores(&config.storage);
    let engine = config.engine.clone();
    let builder: SessionBuilder = Arc::new(move |cfg: SessionConfig| {
        chainstat_state(tune(cfg, &engine), Arc::clone(&stores), true)
    });
    let mut sc = SchedulerConfig::default()
        .with_port(opts.port)
        .with_hostname(opts.bind.clone())
        .with_scheduler_policy(TaskSchedulingPolicy::PullStaged)
        .with_override_session_builder(builder);
    sc.bind_host = opts.bind.clone();
    // Fail closed: no task or stage retries (a rerun stage can count rows twice, see
    // `fail_closed`), and a lost executor is noticed within seconds of its timeout.
    sc.task_max_failures = 1;
    sc.stage_max_failures = 1;
    sc.executor_timeout_seconds = opts.executor_timeout_seconds.max(1);
    sc.expire_dead_executor_interval_seconds = 2.min(sc.executor_timeout_seconds);
    sc.finished_job_data_clean_up_interval_seconds = match opts.keep_shuffle {
        true => 0,
        false => RESULT_GRACE_SECONDS,
    };
    let addr: SocketAddr = format!("{}:{}", opts.bind, opts.port)
        .parse()
        .map_err(|e| EngineError::Config(format!("scheduler address: {e}")))?;
    warn_if_exposed("scheduler", &opts.bind);
    let ballista = |e: ballista_core::error::BallistaError| EngineError::Ballista(e.to_string());
    sc.validate().map_err(ballista)?;
    let base = BallistaCluster::new_from_config(&sc)
        .await
        .map_err(ballista)?;
    let hook = Arc::new(OnceLock::new());
    let cluster = BallistaCluster::new(
        Arc::new(FailClosed {
            inner: base.cluster_state(),
            server: Arc::clone(&hook),
        }),
        base.job_state(),
    );
    let server = create_scheduler::<LogicalPlanNode, PhysicalPlanNode>(cluster, Arc::new(sc))
        .await
        .map_err(ballista)?;
    let _ = hook.set(server.clone());
    log::info!("chainstat scheduler listening on {addr}");
    start_grpc_service(addr, server).await.map_err(ballista)
}

/// Executor options.
#[derive(Debug, Clone)]
pub struct ExecutorOptions {
    /// Address to bind and advertise.
    pub bind: String,
    /// Arrow Flight port (shuffle and results).
    pub port: u16,
    /// Scheduler host.
    pub scheduler_host: String,
    /// Scheduler port.
    pub scheduler_port: u16,
    /// Task slots; 0 = cores.
    pub vcores: usize,
    /// Where shuffle files go.
    pub work_dir: PathBuf,
    /// Memory pool in bytes.
    pub memory_pool_bytes: u64,
    /// Keep shuffle files: no sweep of job folders left behind (the scheduler deletes a
    /// finished job's files unless it keeps them too).
    pub keep_shuffle: bool,
}

/// Runs an executor until the process is stopped (or the scheduler says stop).
pub async fn run_executor(config: impl Into<SessionSpec>, opts: ExecutorOptions) -> Result<()> {
    let config: SessionSpec = config.into();
    std::fs::create_dir_all(&opts.work_dir).map_err(|source| EngineError::Fs {
        path: opts.work_dir.display().to_string(),
        source,
    })?;
    let stores = object_stores(&config.storage);
    let state = chainstat_state(
        tune(SessionConfig::new_with_ballista(), &config.engine),
        Arc::clone(&stores),
        true,
    )?;
    // Built from the same state as the scheduler's, so built-ins and chainstat's
    // functions resolve alike on both sides.
    let registry = BallistaFunctionRegistry::from(&state);
    let work_dir = opts.work_dir.display().to_string();
    let wd = work_dir.clone();
    let runtime: RuntimeProducer = Arc::new(move |_cfg: &SessionConfig| {
        RuntimeEnvBuilder::new()
            .with_object_store_registry(Arc::clone(&stores))
            .with_temp_file_path(wd.clone())
            .build_arc()
    });
    let cfg = ExecutorProcessConfig {
        bind_host: opts.bind.clone(),
        external_host: Some(opts.bind.clone()),
        port: opts.port,
        scheduler_host: opts.scheduler_host.clone(),
        scheduler_port: opts.scheduler_port,
        scheduler_connect_timeout_seconds: 30,
        vcores: opts.vcores,
        task_scheduling_policy: TaskSchedulingPolicy::PullStaged,
        work_dir: Some(work_dir),
        memory_pool_size: Some(opts.memory_pool_bytes),
        override_function_registry: Some(Arc::new(registry)),
        override_runtime_producer: Some(runtime),
        executor_heartbeat_interval_seconds: 5,
        // A safety net under the scheduler's clean-up: job folders untouched for an hour
        // (their job's clean-up was lost, say with a restarted scheduler) are swept.
        job_data_clean_up_interval_seconds: if opts.keep_shuffle { 0 } else { 600 },
        job_data_ttl_seconds: 3600,
        ..Default::default()
    };
    warn_if_exposed("executor", &opts.bind);
    log::info!(
        "chainstat executor on {}:{} for scheduler {}:{}",
        opts.bind,
        opts.port,
        opts.scheduler_host,
        opts.scheduler_port
    );
    start_executor_process(Arc::new(cfg))
        .await
        .map_err(|e| EngineError::Ballista(e.to_string()))
}
