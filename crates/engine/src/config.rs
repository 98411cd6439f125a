//! The job config (`chainstat.toml`): input tables, object-store options and engine
//! settings. Relative table paths are resolved against the config file's folder, so a
//! config and its data can move together.
//!
//! ```toml
//! [engine]
//! target_partitions = 2        # default: number of cores
//!
//! [storage.s3]                 # object_store keys; override AWS_* env vars
//! endpoint = "http://127.0.0.1:9000"
//!
//! [[table]]
//! name = "eth_transfers"
//! url = "s3://exports/ethereum/token_transfers/"
//! format = "token-transfers"   # optional: detected from the schema
//! chain = "ethereum"           # optional: inferred
//! type = "parquet"             # optional: from the extension
//! ```

use std::path::{Path, PathBuf};

use chainstat_cluster::ClusterParams;
use chainstat_io::{LabelsSpec, StorageConfig, TableSpec};
use serde::{Deserialize, Serialize};

use crate::error::{EngineError, Result};

/// Engine settings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EngineConfig {
    /// Partitions (threads) per query; default: the number of cores.
    #[serde(default)]
    pub target_partitions: Option<usize>,
    /// Rows per batch; default DataFusion's 8192.
    #[serde(default)]
    pub batch_size: Option<usize>,
    /// Folder URL where tables chainstat loads itself (NDJSON) are staged as Parquet
    /// for a Ballista cluster; must be readable by the executors. Default: a folder in
    /// the system temp dir (fine for a cluster on one machine).
    #[serde(default)]
    pub staging: Option<String>,
    /// Memory bound for query execution (`2g`, `512m`): DataFusion's memory pool, with
    /// sorts and aggregations spilling to disk beyond it (see
    /// [`crate::session::chainstat_state_bounded`]). Default: unbounded.
    #[serde(default)]
    pub memory_limit: Option<String>,
    /// Passes a sliceable staged query (one that marks its slices with `${slice:expr}`,
    /// e.g. `flows` by transaction) starts with: 0 = one, or under a memory limit as
    /// many as the input's size calls for. Each pass holds 1/passes of the query's hash
    /// tables, which DataFusion cannot spill; a pass that runs out of memory is split.
    #[serde(default)]
    pub passes: usize,
    /// DataFusion settings (`"execution.batch_size" = "16384"`; the `datafusion.`
    /// prefix is optional), applied over chainstat's defaults ([`crate::session::DEFAULT_OPTIONS`]).
    #[serde(default)]
    pub options: std::collections::BTreeMap<String, String>,
    /// `chainstat sql`: the largest output (rows) a join without an equality condition
    /// may be shown to have before it is refused (default 100,000,000; see
    /// [`crate::guard`]).
    #[serde(default)]
    pub max_cartesian_rows: Option<u64>,
    /// `chainstat sql`: the deepest expression nesting accepted (default 1000).
    #[serde(default)]
    pub max_expression_depth: Option<usize>,
}

impl EngineConfig {
    /// The guards on user SQL these settings make.
    pub fn sql_policy(&self, allow_writes: bool) -> crate::guard::Policy {
        let d = crate::guard::Policy::default();
        crate::guard::Policy {
            allow_writes,
            max_depth: self.max_expression_depth.unwrap_or(d.max_depth),
            max_cartesian_rows: self.max_cartesian_rows.unwrap_or(d.max_cartesian_rows),
            small_side_rows: d.small_side_rows,
        }
    }
}

/// Parses sizes like `2g`, `512m`, `64k`, `1024` (bytes).
pub fn parse_bytes(s: &str) -> Result<u64> {
    let t = s.trim().to_ascii_lowercase();
    let t = t.trim_end_matches('b');
    let (num, mult) = match t.chars().last() {
        Some('g') => (&t[..t.len() - 1], 1u64 << 30),
        Some('m') => (&t[..t.len() - 1], 1u64 << 20),
        Some('k') => (&t[..t.len() - 1], 1u64 << 10),
        _ => (t, 1),
    };
    let n: f64 = num
        .trim()
        .parse()
        .map_err(|_| EngineError::Config(format!("cannot parse size '{s}' (e.g. 2g, 512m)")))?;
    if !(n.is_finite() && n > 0.0) {
        return Err(EngineError::Config(format!("size '{s}' must be positive")));
    }
    Ok((n * mult as f64) as u64)
}

/// The whole config file.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChainstatConfig {
    /// Engine settings.
    #[serde(default)]
    pub engine: EngineConfig,
    /// Object store options per scheme.
    #[serde(default)]
    pub storage: StorageConfig,
    /// Input tables.
    #[serde(default, rename = "table")]
    pub tables: Vec<TableSpec>,
    /// Seed label inputs (CSV or GraphSense TagPack).
    #[serde(default)]
    pub labels: Vec<LabelsSpec>,
    /// Clustering parameters.
    #[serde(default)]
    pub cluster: ClusterParams,
    /// The nightly job (`chainstat run`): registry, prices, thresholds, output.
    #[serde(default)]
    pub job: JobParams,
}

/// `[job]`: what `chainstat run` needs besides the input tables and labels.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct JobParams {
    /// Where published runs go (local folder or object-store URL); `--out` overrides.
    pub out: Option<String>,
    /// Licence registry CSV: `entity,name,licensed,jurisdiction,licence_id`.
    pub registry: Option<String>,
    /// Daily USD prices CSV: `date,chain,asset,symbol,price_usd`.
    pub prices: Option<String>,
    /// Folder of `NN_name.sql` files replacing the built-in `queries/` (for analysts
    /// who change a definition; the built-in set is compiled into the binary).
    pub queries: Option<String>,
    /// "Turnover above" threshold for enforcement counts, USD per year.
    pub threshold_usd: f64,
    /// Counterparties kept per entity and year in `entity_counterparties`.
    pub top_counterparties: i64,
    /// Exchange candidates: at least this many deposit-like addresses feed one hub…
    pub candidate_min_deposits: i64,
    /// …paid by at least this many distinct senders (clusters).
    pub candidate_min_depositors: i64,
    /// Report year (default: the latest year with data).
    pub report_year: Option<i32>,
    /// Published runs kept (older ones are deleted after a successful commit).
    pub keep_runs: usize,
    /// Compare address strings in every address join, not only the 64-bit address keys.
    /// The job does so on its own in a run where two distinct addresses share a key
    /// (`keys_collide`); this forces it, for audits and for testing that both ways agree.
    pub exact_address_joins: bool,
    /// Sanity gate: a run whose headline figures (exchanges, their turnover, addresses)
    /// move by more than this factor either way against the published run refuses to
    /// commit unless `--accept-change` is given.
    pub max_change_factor: f64,
    /// Seconds an output lease on an object store lasts unless renewed (it is renewed
    /// every third of that while the run works); a run that died blocks the root at most
    /// this long. Local roots use a lock the kernel releases with the process.
    pub lease_seconds: u64,
}

impl JobParams {
    /// Checks values a run depends on.
    pub fn validate(&self) -> std::result::Result<(), String> {
        if self.max_change_factor.is_nan() || self.max_change_factor <= 1.0 {
            return Err(format!(
                "[job] max_change_factor = {} must be a number above 1",
                self.max_change_factor
            ));
        }
        if !(10..=86_400).contains(&self.lease_seconds) {
            return Err(format!(
                "[job] lease_seconds = {} must be between 10 and 86400",
                self.lease_seconds
            ));
        }
        Ok(())
    }
}

impl Default for JobParams {
    fn default() -> Self {
        JobParams {
            out: None,
            registry: None,
            prices: None,
            queries: None,
            threshold_usd: 1_000_000.0,
            top_counterparties: 10,
            candidate_min_deposits: 3,
            candidate_min_depositors: 3,
            report_year: None,
            keep_runs: 3,
            exact_address_joins: false,
            max_change_factor: 10.0,
            lease_seconds: 600,
        }
    }
}

/// A TOML error as `line L, column C: message`, without the source line toml would quote:
/// that line may hold a secret (a `[storage]` key or a URL with credentials).
fn toml_error(text: &str, e: &toml::de::Error) -> String {
    // serde quotes a rejected value (`invalid type: string "…"`): drop it too.
    let mut message = String::new();
    for (i, part) in e.message().trim_end().split('"').enumerate() {
        match i % 2 {
            0 => message.push_str(part),
            _ => message.push_str("\"<value not shown>\""),
        }
    }
    let Some(span) = e.span() else {
        return message;
    };
    let before = &text[..span.start.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
    format!("line {line}, column {column}: {message}")
}

impl ChainstatConfig {
    /// Reads and parses a TOML config; relative local table paths become absolute.
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|source| EngineError::Fs {
            path: path.display().to_string(),
            source,
        })?;
        let mut cfg: ChainstatConfig = toml::from_str(&text).map_err(|e| {
            EngineError::Config(format!("{}: {}", path.display(), toml_error(&text, &e)))
        })?;
        let base = path.parent().unwrap_or(Path::new("."));
        for t in &mut cfg.tables {
            t.url = resolve(base, &t.url);
        }
        for l in &mut cfg.labels {
            l.url = resolve(base, &l.url);
        }
        for p in [
            &mut cfg.job.registry,
            &mut cfg.job.prices,
            &mut cfg.job.queries,
            &mut cfg.job.out,
        ]
        .into_iter()
        .flatten()
        {
            *p = resolve(base, p);
        }
        cfg.job
            .validate()
            .map_err(|e| EngineError::Config(format!("{}: {e}", path.display())))?;
        cfg.cluster
            .validate()
            .map_err(|e| EngineError::Config(format!("{}: {e}", path.display())))?;
        crate::session::check_options(&cfg.engine.options).map_err(|e| {
            EngineError::Config(format!("{}: [engine.options]: {e}", path.display()))
        })?;
        Ok(cfg)
    }

    /// Adds or replaces a table (flags override the file).
    pub fn upsert_table(&mut self, spec: TableSpec) {
        self.tables.retain(|t| t.name != spec.name);
        self.tables.push(spec);
    }
}

/// A relative local path resolved against `base`; URLs and absolute paths unchanged.
pub fn resolve(base: &Path, url: &str) -> String {
    if url.contains("://") || Path::new(url).is_absolute() {
        return url.to_string();
    }
    let joined: PathBuf = base.join(url);
    let s = joined.display().to_string();
    if url.ends_with('/') && !s.ends_with('/') {
        format!("{s}/")
    } else {
        s
    }
}

/// The config of the embedded sample (`data/sample/chainstat.toml`): found next to the
/// working directory, else in the source tree this binary was built from.
pub fn sample_config_path() -> Option<PathBuf> {
    let candidates = [
        PathBuf::from("data/sample/chainstat.toml"),
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/sample/chainstat.toml"),
    ];
    candidates.into_iter().find(|p| p.exists())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_resolves() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("c.toml");
        std::fs::write(
            &p,
            "[storage.s3]\nendpoint = \"http://127.0.0.1:1\"\n[[table]]\nname = \"t\"\nurl = \"x/\"\n\
             [[table]]\nname = \"u\"\nurl = \"s3://b/k\"\nformat = \"cryo\"\n",
        )
        .unwrap();
        let c = ChainstatConfig::load(&p).unwrap();
        assert_eq!(c.tables[0].url, format!("{}/x/", dir.path().display()));
        assert_eq!(c.tables[1].url, "s3://b/k");
        assert_eq!(c.storage.s3["endpoint"], "http://127.0.0.1:1");
    }

    /// A malformed line is located, never quoted: it may be a credential.
    #[test]
    fn config_errors_never_echo_a_secret() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("c.toml");
        for text in [
            "[storage.s3]\nsecret_access_key = wJalrXUtnFEMI/K7MDENG\n",
            "[storage.s3]\nsecret_access_key = \"wJalrXUtnFEMI/K7MDENG\n",
            "[job]\nkeep_runs = \"wJalrXUtnFEMI/K7MDENG\"\n",
            "[storage]\ns3 = \"wJalrXUtnFEMI/K7MDENG\"\n",
        ] {
            std::fs::write(&p, text).unwrap();
            let e = ChainstatConfig::load(&p).unwrap_err().to_string();
            assert!(!e.contains("wJalr"), "{e}");
            assert!(e.contains("line 2"), "{e}");
        }
    }

    #[test]
    fn unknown_keys_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("c.toml");
        std::fs::write(
            &p,
            "[[table]]\nname = \"t\"\nurl = \"x\"\nfromat = \"cryo\"\n",
        )
        .unwrap();
        let e = ChainstatConfig::load(&p).unwrap_err().to_string();
        assert!(e.contains("fromat"), "{e}");
    }

    /// The job's batch size: 65536 rows, bounded by a memory limit, unless the user
    /// chose one (typed or in `[engine.options]`).
    #[test]
    fn job_batch_size_follows_the_memory_limit_unless_set() {
        use crate::session::{bounded_batch_size, job_batch_size};
        assert_eq!(bounded_batch_size(parse_bytes("64m").unwrap()), 8192);
        assert_eq!(bounded_batch_size(parse_bytes("256m").unwrap()), 16384);
        assert_eq!(bounded_batch_size(parse_bytes("1g").unwrap()), 65536);
        assert_eq!(bounded_batch_size(parse_bytes("2g").unwrap()), 65536);
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

    #[test]
    fn datafusion_options_are_checked_and_applied() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("c.toml");
        std::fs::write(
            &p,
            "[engine.options]\n\"execution.batch_size\" = \"1234\"\n\
             \"datafusion.execution.enable_migration_aggregate\" = \"true\"\n",
        )
        .unwrap();
        let c = ChainstatConfig::load(&p).unwrap();
        let cfg = crate::session::tune(datafusion::prelude::SessionConfig::new(), &c.engine);
        assert_eq!(cfg.batch_size(), 1234);
        // the user's value wins over chainstat's default
        assert!(cfg.options().execution.enable_migration_aggregate);
        // and without it, chainstat's default applies
        let d = crate::session::tune(
            datafusion::prelude::SessionConfig::new(),
            &EngineConfig::default(),
        );
        assert!(!d.options().execution.enable_migration_aggregate);
        // sessions keep DataFusion's batch size (the job sets its own, see above)
        assert_eq!(d.batch_size(), 8192);

        std::fs::write(
            &p,
            "[engine.options]\n\"execution.no_such_thing\" = \"1\"\n",
        )
        .unwrap();
        let e = ChainstatConfig::load(&p).unwrap_err().to_string();
        assert!(e.contains("no_such_thing"), "{e}");
        std::fs::write(
            &p,
            "[engine.options]\n\"execution.batch_size\" = \"many\"\n",
        )
        .unwrap();
        let e = ChainstatConfig::load(&p).unwrap_err().to_string();
        assert!(e.contains("batch_size"), "{e}");
    }
}
