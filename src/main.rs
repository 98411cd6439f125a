//! The `chainstat` binary: parse arguments, call the library, map errors to exit codes
//! (one per failure class, see [`exit_code`] and the README's "Exit codes").

#![cfg_attr(test, allow(unused_crate_dependencies))]

mod cli;
mod functions;
mod prompt;
mod run_accuracy;
mod run_cluster;
mod run_job;
mod run_sql;
mod sample;

use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result};
use chainstat_engine::ballista::{ExecutorOptions, SchedulerOptions};
use chainstat_engine::{EngineError, Session};
use chainstat_io::TableSpec;
use chainstat_job::ChainstatConfig;
use clap::Parser;

use cli::{Cli, Command, InputArgs, QueryInput};

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
    // Planning recurses on the thread that polls `run`: a thread of our own with a large
    // stack (address space, committed only as touched) instead of the 8 MiB main thread.
    let main = std::thread::Builder::new()
        .name("chainstat".into())
        .stack_size(256 * 1024 * 1024)
        .spawn(move || runtime.block_on(run(cli)));
    let result = match main.map(|h| h.join()) {
        Ok(Ok(r)) => r,
        Ok(Err(_)) => return ExitCode::from(exit::INTERNAL), // panicked; the hook printed it
        Err(e) => {
            eprintln!("error: cannot start the main thread: {e}");
            return ExitCode::from(exit::INTERNAL);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        // The reader went away (`| head`): what it wanted was written.
        Err(e) if broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {}", error_text(&e));
            if let Some(hint) = hint(&e) {
                eprintln!("hint: {hint}");
            }
            ExitCode::from(exit_code(&e))
        }
    }
}

/// The error and its causes on one line, each message once: a wrapper whose text
/// already ends with its cause's (DataFusion's and thiserror's `{0}` do) is not followed
/// by that cause again.
pub(crate) fn error_text(e: &anyhow::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if parts.last().is_some_and(|p| p.contains(text.trim())) {
            continue;
        }
        if let Some(last) = parts.last_mut() {
            if text.contains(last.trim()) {
                // The cause repeats its wrapper and adds to it: keep the longer text.
                *last = text;
                continue;
            }
        }
        parts.push(text);
    }
    parts.join(": ")
}

/// Whether writing to stdout failed because its reader closed the pipe.
fn broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            || c.to_string().contains("Broken pipe (os error 32)")
    })
}

/// Exit codes, one per failure class.
mod exit {
    /// Anything not classed below: a bug, or a query that failed for another reason.
    pub const INTERNAL: u8 = 1;
    /// Usage or configuration: flags, the config file, query files.
    pub const CONFIG: u8 = 2;
    /// Input data that cannot be read or recognised.
    pub const INPUT: u8 = 3;
    /// The output root: unreadable or unwritable, in use by another run, or changed
    /// under this run (lease lost, pointer moved). Nothing was committed.
    pub const OUTPUT: u8 = 4;
    /// A sanity gate refused the commit (re-run with --accept-change if intended).
    pub const REFUSED: u8 = 5;
    /// A query was refused or stopped by a limit (memory, plan size, depth, read-only).
    pub const LIMIT: u8 = 6;
    /// The Ballista cluster lost an executor or cancelled the query: no answer used.
    pub const CLUSTER: u8 = 7;
}

/// A Ballista job that failed because an executor went away: the scheduler cancelled it
/// (chainstat's does so only when it loses an executor, see
/// `chainstat_engine::fail_closed`), or a stage could not reach an executor and, with
/// retries off, failed the job.
fn cluster_lost(cause: &(dyn std::error::Error + 'static)) -> bool {
    if cause.source().is_some() {
        return false;
    }
    let text = cause.to_string();
    text.contains(chainstat_engine::fail_closed::CANCELLED)
        || (text.contains("Job failed due to stage")
            && (text.contains("Error connecting to Ballista scheduler or executor")
                || text.contains("fetch partition error")))
}

/// What to do about a failure that names no cause of its own.
fn hint(e: &anyhow::Error) -> Option<&'static str> {
    if e.chain().any(cluster_lost) {
        return Some(
            "the cluster lost an executor while the query ran, and the query failed rather \
             than rerun part of it (Ballista can count rerun rows twice); no result was used. \
             Run it again once the executors are back",
        );
    }
    let publish = e.chain().any(|c| {
        matches!(
            c.downcast_ref(),
            Some(chainstat_job::JobError::Publish { .. })
        )
    });
    publish.then_some(
        "check that the output location exists and is reachable and writable with the \
         configured [storage] credentials",
    )
}

fn exit_code(e: &anyhow::Error) -> u8 {
    // Classes that can sit under any wrapper first.
    for cause in e.chain() {
        if let Some(chainstat_job::JobError::Refused { .. }) = cause.downcast_ref() {
            return exit::REFUSED;
        }
        if let Some(
            chainstat_job::JobError::Locked { .. }
            | chainstat_job::JobError::LeaseLost { .. }
            | chainstat_job::JobError::PointerMoved { .. }
            | chainstat_job::JobError::Publish { .. },
        ) = cause.downcast_ref()
        {
            return exit::OUTPUT;
        }
        if let Some(err) = cause.downcast_ref::<EngineError>() {
            if let Some(code) = guard_code(err) {
                return code;
            }
        }
        if let Some(datafusion::error::DataFusionError::ResourcesExhausted(_)) =
            cause.downcast_ref()
        {
            return exit::LIMIT;
        }
        if cluster_lost(cause) {
            return exit::CLUSTER;
        }
    }
    for cause in e.chain() {
        if let Some(err) = cause.downcast_ref::<EngineError>() {
            return engine_code(err);
        }
        if cause.downcast_ref::<chainstat_io::IoError>().is_some() {
            return exit::INPUT;
        }
        if let Some(err) = cause.downcast_ref::<chainstat_cluster::ClusterError>() {
            return cluster_code(err);
        }
        if let Some(err) = cause.downcast_ref::<chainstat_job::JobError>() {
            use chainstat_job::JobError as J;
            return match err {
                J::Config(_) | J::NothingPublished(_) => exit::CONFIG,
                J::Input(_) => exit::INPUT,
                J::Engine(e) => engine_code(e),
                J::Cluster(e) => cluster_code(e),
                _ => exit::INTERNAL,
            };
        }
    }
    exit::INTERNAL
}

/// The classes an engine error decides on its own, whatever wraps it.
fn guard_code(err: &EngineError) -> Option<u8> {
    match err {
        EngineError::Refused(_) => Some(exit::LIMIT),
        _ => None,
    }
}

/// 2 for config, 3 for input, 1 otherwise.
fn engine_code(err: &EngineError) -> u8 {
    match err {
        EngineError::Config(_) | EngineError::Fs { .. } => exit::CONFIG,
        EngineError::Input(e) if matches!(**e, chainstat_io::IoError::Config(_)) => exit::CONFIG,
        EngineError::Input(_) => exit::INPUT,
        EngineError::Refused(_) => exit::LIMIT,
        _ => exit::INTERNAL,
    }
}

fn cluster_code(err: &chainstat_cluster::ClusterError) -> u8 {
    match err {
        chainstat_cluster::ClusterError::Usage(_) => exit::CONFIG,
        chainstat_cluster::ClusterError::Engine(e) => engine_code(e),
        _ => exit::INTERNAL,
    }
}

/// Config from --config, ./chainstat.toml, or the embedded sample (said on stderr); then
/// --table flags on top.
pub(crate) fn load_config(input: &InputArgs) -> Result<ChainstatConfig> {
    load_config_or_sample(input, true)
}

/// The config of `input`; without `--config`, `./chainstat.toml` or `--table`, the
/// embedded sample's when `sample` is true, else none (no inputs).
fn load_config_or_sample(input: &InputArgs, sample: bool) -> Result<ChainstatConfig> {
    let path = match &input.config {
        Some(p) => Some(p.clone()),
        None if Path::new("chainstat.toml").exists() => Some("chainstat.toml".into()),
        None if input.tables.is_empty() && sample => {
            let sample = sample::config()?;
            eprintln!(
                "chainstat: no --config, ./chainstat.toml or --table: using the embedded sample ({})",
                sample.parent().unwrap_or(&sample).display()
            );
            Some(sample)
        }
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
    Ok(Session::open(cfg, input.cluster.as_deref()).await?)
}

/// The session of `sql`, `tables` and `describe`: the inputs, plus the published run.
/// With `--published` and no inputs named, only the published run: its canonical layer
/// stands in for the sample's exports.
async fn open(q: &QueryInput) -> Result<Session> {
    let cfg = load_config_or_sample(&q.input, q.published.is_none())?;
    let session = open_with(&q.input, cfg).await?;
    if let Some(out) = &q.published {
        chainstat_job::publish::register_published(&session.ctx, out).await?;
    }
    Ok(session)
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
        Command::Functions(a) => functions::command(a.pattern.as_deref(), a.all, a.markdown),
        Command::Scheduler(a) => {
            let cfg = load_service_config(&a.config)?;
            let opts = SchedulerOptions {
                bind: a.bind,
                port: a.port,
                executor_timeout_seconds: a.executor_timeout,
                keep_shuffle: a.keep_shuffle,
            };
            Ok(chainstat_engine::ballista::run_scheduler(cfg, opts).await?)
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
                keep_shuffle: a.keep_shuffle,
            };
            Ok(chainstat_engine::ballista::run_executor(cfg, opts).await?)
        }
    }
}

/// Parses sizes like `2g`, `512m`, `1024`.
fn parse_bytes(s: &str) -> Result<u64> {
    Ok(chainstat_engine::config::parse_bytes(s)?)
}
