//! The `chainstat` binary: parse arguments, call the library, map errors to exit codes
//! (2 bad config or usage, 3 bad input data, 1 anything else).

mod cli;
mod run_accuracy;
mod run_cluster;
mod run_job;
mod run_sql;

use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result};
use chainstat_engine::cluster::{ExecutorOptions, SchedulerOptions};
use chainstat_engine::config::sample_config_path;
use chainstat_engine::{ChainstatConfig, EngineError, Session};
use chainstat_io::TableSpec;
use clap::Parser;

use cli::{Cli, Command, InputArgs};

fn main() -> ExitCode {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("warn"))
        .format_timestamp_millis()
        .init();
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        // Planning deep plans recurses; Ballista's own binaries use 32 MiB stacks.
        .thread_stack_size(32 * 1024 * 1024)
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(exit_code(&e))
        }
    }
}

fn exit_code(e: &anyhow::Error) -> u8 {
    for cause in e.chain() {
        if let Some(err) = cause.downcast_ref::<EngineError>() {
            return engine_code(err);
        }
        if cause.downcast_ref::<chainstat_io::IoError>().is_some() {
            return 3;
        }
        if let Some(err) = cause.downcast_ref::<chainstat_cluster::ClusterError>() {
            return cluster_code(err);
        }
        if let Some(err) = cause.downcast_ref::<chainstat_job::JobError>() {
            use chainstat_job::JobError as J;
            return match err {
                J::Config(_) | J::NothingPublished(_) => 2,
                J::Input(_) => 3,
                J::Engine(e) => engine_code(e),
                J::Cluster(e) => cluster_code(e),
                _ => 1,
            };
        }
    }
    1
}

/// 2 for config, 3 for input, 1 otherwise.
fn engine_code(err: &EngineError) -> u8 {
    match err {
        EngineError::Config(_) | EngineError::Fs { .. } => 2,
        EngineError::Input(e) if matches!(**e, chainstat_io::IoError::Config(_)) => 2,
        EngineError::Input(_) => 3,
        _ => 1,
    }
}

fn cluster_code(err: &chainstat_cluster::ClusterError) -> u8 {
    match err {
        chainstat_cluster::ClusterError::Usage(_) => 2,
        _ => 1,
    }
}

/// Config from --config, ./chainstat.toml, or the sample; then --table flags on top.
pub(crate) fn load_config(input: &InputArgs) -> Result<ChainstatConfig> {
    let path = match &input.config {
        Some(p) => Some(p.clone()),
        None if Path::new("chainstat.toml").exists() => Some("chainstat.toml".into()),
        None if input.tables.is_empty() => sample_config_path(),
        None => None,
    };
    let mut cfg = match path {
        Some(p) => ChainstatConfig::load(&p)?,
        None => ChainstatConfig::default(),
    };
    for t in &input.tables {
        cfg.upsert_table(TableSpec::parse_arg(t).map_err(EngineError::from)?);
    }
    if let Some(p) = input.partitions {
        cfg.engine.target_partitions = Some(p);
    }
    if let Some(m) = &input.memory_limit {
        chainstat_engine::config::parse_bytes(m)?;
        cfg.engine.memory_limit = Some(m.clone());
    }
    Ok(cfg)
}

fn load_service_config(path: &Option<std::path::PathBuf>) -> Result<ChainstatConfig> {
    Ok(match path {
        Some(p) => ChainstatConfig::load(p)?,
        None => ChainstatConfig::default(),
    })
}

pub(crate) async fn open_with(input: &InputArgs, cfg: ChainstatConfig) -> Result<Session> {
    let session = Session::open(cfg, input.cluster.as_deref()).await?;
    if let Some(out) = &input.published {
        chainstat_job::publish::register_published(&session.ctx, out).await?;
    }
    Ok(session)
}

async fn open(input: &InputArgs) -> Result<Session> {
    let cfg = load_config(input)?;
    open_with(input, cfg).await
}

async fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Sql(args) => {
            let session = open(&args.input).await?;
            run_sql::run(&session, &args).await
        }
        Command::Tables(input) => {
            let session = open(&input).await?;
            run_sql::print_tables(&session).await
        }
        Command::Describe { name, input } => {
            let session = open(&input).await?;
            run_sql::describe(&session, &name).await
        }
        Command::Cluster(args) => run_cluster::run(args).await,
        Command::Run(args) => run_job::run(args).await,
        Command::Report(args) => run_job::report_cmd(args).await,
        Command::Gen(args) => run_job::gen(args),
        Command::Components(args) => run_cluster::components(args).await,
        Command::Accuracy(args) => run_accuracy::run(args).await,
        Command::Functions => {
            for f in chainstat_functions::scalar_functions() {
                println!("{}", f.name());
            }
            Ok(())
        }
        Command::Scheduler(a) => {
            let cfg = load_service_config(&a.config)?;
            let opts = SchedulerOptions {
                bind: a.bind,
                port: a.port,
                ..Default::default()
            };
            Ok(chainstat_engine::cluster::run_scheduler(cfg, opts).await?)
        }
        Command::Executor(a) => {
            let cfg = load_service_config(&a.config)?;
            let (host, port) = a
                .scheduler
                .rsplit_once(':')
                .context("--scheduler must be host:port")?;
            let work_dir = a.work_dir.unwrap_or_else(|| {
                std::env::temp_dir().join(format!("chainstat-executor-{}", a.port))
            });
            let opts = ExecutorOptions {
                bind: a.bind,
                port: a.port,
                scheduler_host: host.to_string(),
                scheduler_port: port.parse().context("--scheduler port")?,
                vcores: a.vcores,
                work_dir,
                memory_pool_bytes: parse_bytes(&a.memory)?,
            };
            Ok(chainstat_engine::cluster::run_executor(cfg, opts).await?)
        }
    }
}

/// Parses sizes like `2g`, `512m`, `1024`.
fn parse_bytes(s: &str) -> Result<u64> {
    Ok(chainstat_engine::config::parse_bytes(s)?)
}
