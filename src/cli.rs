//! Command-line interface: the clap structs only; `main.rs` maps them onto the library.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// chainstat: read blockchain exports from object storage and query them with SQL,
/// embedded or on an Apache Ballista cluster.
#[derive(Debug, Parser)]
#[command(name = "chainstat", version, about, long_about = None)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run SQL over the configured tables (like datafusion-cli).
    Sql(SqlArgs),
    /// List registered tables and views with their formats.
    Tables(QueryInput),
    /// Show the schema and detected format of a table or view.
    Describe {
        /// Table or view name.
        name: String,
        #[command(flatten)]
        input: QueryInput,
    },
    /// chainstat's SQL functions with signature, return type and description; with a
    /// PATTERN (or --all), DataFusion's built-ins too.
    Functions(FunctionsArgs),
    /// Cluster addresses into entities; writes address_clusters, clusters,
    /// cluster_edges and cluster_warnings (Parquet) under --out.
    Cluster(ClusterArgs),
    /// Connected components of an integer edge list (Parquet with BIGINT columns a, b):
    /// the benchmark harness for the two engines.
    #[command(hide = true)]
    Components(ComponentsArgs),
    /// Run the nightly job: cluster, attribute, estimate turnover, publish the summary
    /// tables (Parquet) with a run manifest and a report. Without --config: the
    /// embedded sample, into ./out/.
    Run(RunArgs),
    /// Render the annual enforcement report (HTML and Markdown) from published tables.
    Report(ReportArgs),
    /// Generate a synthetic economy (exporter schemas, labels, registry, prices,
    /// ground truth) for tests, demos and benchmarks.
    Gen(GenArgs),
    /// Score a run's clustering, turnover and candidates against the ground truth of
    /// `chainstat gen` (docs/accuracy.md).
    #[command(hide = true)]
    Accuracy(AccuracyArgs),
    /// Start a Ballista scheduler that knows chainstat's functions and formats.
    Scheduler(SchedulerArgs),
    /// Start a Ballista executor that knows chainstat's functions and formats.
    Executor(ExecutorArgs),
}

/// Where tables come from.
#[derive(Debug, Args, Clone)]
pub struct InputArgs {
    /// TOML config (default: ./chainstat.toml if present, else the embedded sample).
    #[arg(long, env = "CHAINSTAT_CONFIG", help_heading = "Input")]
    pub config: Option<PathBuf>,
    /// A table: name=URL[,format=F][,chain=C][,type=parquet|csv|json]. Repeatable.
    #[arg(long = "table", short = 't', help_heading = "Input")]
    pub tables: Vec<String>,
    /// Run on a Ballista cluster (df://host:port) instead of in-process.
    #[arg(long, env = "CHAINSTAT_CLUSTER", help_heading = "Engine")]
    pub cluster: Option<String>,
    /// Partitions (threads) per query.
    #[arg(long, help_heading = "Engine")]
    pub partitions: Option<usize>,
    /// Bound query memory (e.g. 2g): operators spill to disk beyond it.
    #[arg(long, help_heading = "Engine")]
    pub memory_limit: Option<String>,
}

/// Where the tables of `sql`, `tables` and `describe` come from: the inputs, and
/// optionally a published run.
#[derive(Debug, Args, Clone)]
pub struct QueryInput {
    #[command(flatten)]
    pub input: InputArgs,
    /// Also register every table of the run published under this output root
    /// (`chainstat run --out`), e.g. exchange_turnover_yearly; its canonical layer
    /// replaces the views of the same names (transfers, utxo_inputs, utxo_outputs,
    /// logs). Without --config, ./chainstat.toml or --table, it reads no inputs (not the
    /// embedded sample).
    #[arg(long, help_heading = "Input")]
    pub published: Option<String>,
}

/// `chainstat functions`.
#[derive(Debug, Args)]
pub struct FunctionsArgs {
    /// Only functions whose name contains this.
    pub pattern: Option<String>,
    /// Also DataFusion's built-in functions.
    #[arg(long)]
    pub all: bool,
    /// chainstat's functions as the Markdown table of docs/functions.md.
    #[arg(long)]
    pub markdown: bool,
}

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// Aligned text table.
    Table,
    /// CSV with header.
    Csv,
    /// Newline-delimited JSON.
    Json,
    /// Apache Parquet (needs -o).
    Parquet,
}

impl OutputFormat {
    /// The name `--format` takes.
    pub fn name(self) -> &'static str {
        match self {
            OutputFormat::Table => "table",
            OutputFormat::Csv => "csv",
            OutputFormat::Json => "json",
            OutputFormat::Parquet => "parquet",
        }
    }
}

/// `chainstat sql`.
#[derive(Debug, Args)]
pub struct SqlArgs {
    /// SQL to run (repeatable; several statements per string allowed, `;`-separated).
    #[arg(short = 'c', long = "command", help_heading = "Query")]
    pub commands: Vec<String>,
    /// SQL file(s) to run.
    #[arg(short = 'f', long = "file", help_heading = "Query")]
    pub files: Vec<PathBuf>,
    /// Output format (default: a table on the terminal; with -o, the file's extension).
    #[arg(long, value_enum, help_heading = "Output")]
    pub format: Option<OutputFormat>,
    /// Write the (last) result to this local path or object-store URL instead of stdout,
    /// in the format its extension names (.csv, .json, .parquet).
    #[arg(short = 'o', long, help_heading = "Output")]
    pub output: Option<String>,
    /// Allow statements that write or register files (COPY, INSERT, CREATE EXTERNAL
    /// TABLE): refused by default, since on a cluster they write on the executors' hosts.
    #[arg(long, help_heading = "Query")]
    pub allow_writes: bool,
    #[command(flatten)]
    pub input: QueryInput,
}

/// `chainstat run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Output root: local folder or object-store URL (default: [job] out, else ./out).
    #[arg(long)]
    pub out: Option<String>,
    /// Recompute only the periods whose inputs or attributions changed since the
    /// committed run; the rest is carried over.
    #[arg(long)]
    pub incremental: bool,
    /// Do not render the report.
    #[arg(long)]
    pub no_report: bool,
    /// Keep the work folder (<out>/_work/<run>) for inspection.
    #[arg(long)]
    pub keep_work: bool,
    /// No progress output.
    #[arg(long, short = 'q')]
    pub quiet: bool,
    /// Commit even if the sanity gates refuse the run (no exchange attributed, headline
    /// figures moved more than [job] max_change_factor, the report gone): for a change
    /// you know is real, such as new labels.
    #[arg(long)]
    pub accept_change: bool,
    #[command(flatten)]
    pub input: InputArgs,
}

/// `chainstat report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Output root of `chainstat run` (local folder or object-store URL).
    #[arg(long, default_value = "out")]
    pub out: String,
    /// Year (default: the latest with data).
    #[arg(long)]
    pub year: Option<i32>,
    /// Folder to write report-<year>.html and report-<year>.md into.
    #[arg(long, default_value = ".")]
    pub to: PathBuf,
    /// Enforcement threshold shown in the text (default: the run's [job] threshold_usd).
    #[arg(long)]
    pub threshold_usd: Option<f64>,
}

/// `chainstat gen`.
#[derive(Debug, Args)]
pub struct GenArgs {
    /// Folder to write into (created; existing generated files are replaced).
    #[arg(long)]
    pub out: PathBuf,
    /// Target number of Ethereum token-transfer rows.
    #[arg(long, default_value_t = 20_000)]
    pub size: u64,
    /// Random seed (same seed and size → identical files).
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    /// First day (UTC), YYYY-MM-DD.
    #[arg(long, default_value = "2025-01-01")]
    pub start: String,
    /// Number of days.
    #[arg(long, default_value_t = 365)]
    pub days: u32,
    /// Number of exchanges (default: from the size).
    #[arg(long)]
    pub exchanges: Option<usize>,
    /// Chains to write, comma-separated: `ethereum` (always), `bitcoin`, `tron` (the same
    /// token economy on TRON, in tronetl's CSV layouts, as many transfers as Ethereum's).
    #[arg(long, value_delimiter = ',', default_value = "ethereum,bitcoin")]
    pub chains: Vec<String>,
    /// How TRON is written: `tronetl` (CSV, base58, a blocks table) or `bigquery` (Google's
    /// TRON dataset: Parquet, 0x hex addresses, timestamps; the config says the chain).
    #[arg(long, value_enum, default_value_t = TronLayoutArg::Tronetl)]
    pub tron_layout: TronLayoutArg,
}

/// `--tron-layout`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum TronLayoutArg {
    /// tronetl's CSVs.
    Tronetl,
    /// Google's BigQuery TRON dataset.
    Bigquery,
}

/// `chainstat scheduler`.
#[derive(Debug, Args)]
pub struct SchedulerArgs {
    /// Address to bind.
    #[arg(long, default_value = "127.0.0.1")]
    pub bind: String,
    /// gRPC port.
    #[arg(long, default_value_t = 50050)]
    pub port: u16,
    /// Config with [storage] / [engine] settings (tables are the client's business).
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Seconds without a poll before an executor is declared lost (its running queries
    /// then fail rather than rerun).
    #[arg(long, default_value_t = 20)]
    pub executor_timeout: u64,
    /// Keep executors' shuffle files after a job ends (default: deleted 30 s after it).
    #[arg(long)]
    pub keep_shuffle: bool,
}

/// `chainstat executor`.
#[derive(Debug, Args)]
pub struct ExecutorArgs {
    /// Address to bind and advertise.
    #[arg(long, default_value = "127.0.0.1")]
    pub bind: String,
    /// Arrow Flight port.
    #[arg(long, default_value_t = 50051)]
    pub port: u16,
    /// Scheduler as host:port.
    #[arg(long, default_value = "127.0.0.1:50050")]
    pub scheduler: String,
    /// Concurrent tasks (0 = cores).
    #[arg(long, default_value_t = 0)]
    pub vcores: usize,
    /// Folder for shuffle files.
    #[arg(long)]
    pub work_dir: Option<PathBuf>,
    /// Memory pool, e.g. 2g, 512m.
    #[arg(long, default_value = "2g")]
    pub memory: String,
    /// Config with [storage] / [engine] settings.
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Never sweep old job folders from the work dir.
    #[arg(long)]
    pub keep_shuffle: bool,
}

/// Connected-components engines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CcEngineArg {
    /// In-process union-find.
    UnionFind,
    /// Large-star/small-star DataFusion plans (runs on Ballista with --cluster).
    Star,
}

/// `chainstat cluster`.
#[derive(Debug, Args)]
pub struct ClusterArgs {
    /// Explain a link instead of clustering.
    #[command(subcommand)]
    pub action: Option<ClusterAction>,
    /// Output folder (local path or object-store URL).
    #[arg(long, default_value = "out/cluster")]
    pub out: String,
    /// Connected-components engine (default from [cluster] engine, else union-find).
    #[arg(long, value_enum)]
    pub engine: Option<CcEngineArg>,
    /// Folder for intermediate Parquet (edges, checkpoints); default <out>/_work.
    #[arg(long)]
    pub work_dir: Option<String>,
    #[command(flatten)]
    pub input: InputArgs,
}

/// `chainstat cluster explain`.
#[derive(Debug, Subcommand)]
pub enum ClusterAction {
    /// Print the shortest chain of evidence linking two addresses (from a previous
    /// `chainstat cluster` run's outputs in --out), or say they are not linked.
    Explain {
        /// First address.
        a: String,
        /// Second address.
        b: String,
        /// Chain of both (inferred from the address form when absent).
        #[arg(long)]
        chain: Option<String>,
    },
}

/// `chainstat components`.
#[derive(Debug, Args)]
pub struct ComponentsArgs {
    /// Parquet edge list with BIGINT columns a, b (node ids 0..n).
    #[arg(long)]
    pub edges: String,
    /// Engine.
    #[arg(long, value_enum, default_value = "union-find")]
    pub engine: CcEngineArg,
    /// Number of nodes (default: max id + 1).
    #[arg(long)]
    pub nodes: Option<u64>,
    /// Write (id, root) Parquet here.
    #[arg(long)]
    pub out: Option<String>,
    /// Folder for the star engine's checkpoints.
    #[arg(long)]
    pub work_dir: Option<String>,
    /// Partitions (threads).
    #[arg(long)]
    pub partitions: Option<usize>,
}

/// `chainstat accuracy`.
#[derive(Debug, Args)]
pub struct AccuracyArgs {
    /// Folder written by `chainstat gen` (with ground_truth/).
    #[arg(long)]
    pub truth: PathBuf,
    /// Folder holding address_clusters/ (`chainstat cluster --out`, or a kept run's
    /// <out>/_work/<run>/cluster).
    #[arg(long)]
    pub clusters: String,
    /// Output root of `chainstat run` on the same data.
    #[arg(long)]
    pub published: String,
    /// Print JSON instead of Markdown.
    #[arg(long)]
    pub json: bool,
}
