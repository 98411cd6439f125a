//! The config file (`chainstat.toml`): input tables, object-store options, engine
//! settings, clustering parameters and the job's own section. Relative paths are
//! resolved against the config file's folder, so a config and its data can move
//! together. Every key is listed in docs/configuration.md.
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
use chainstat_engine::config::{parse_bytes, EngineConfig, SessionSpec};
use chainstat_io::{LabelsSpec, StorageConfig, TableSpec};
use serde::{Deserialize, Serialize};

use crate::error::{JobError, Result};

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
    /// Stablecoin issuers' freeze / unfreeze / destroy events, decoded from `logs`.
    #[serde(default)]
    pub freezes: crate::freezes::FreezeConfig,
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
    /// Candidates whose confidence (0–1, from their evidence) is at least this count in
    /// the estimate of unlicensed activity; every candidate counts in its upper bound.
    pub candidate_min_confidence: f64,
    /// Nested exchangers: at least this many distinct senders (clusters) pay the service…
    pub nested_min_senders: i64,
    /// …which forwards into its deposit addresses at exchanges on at least this many days…
    pub nested_min_forward_days: i64,
    /// …in batches of at least this many incoming transfers per forward.
    pub nested_min_batching: f64,
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
        if !(0.0..=1.0).contains(&self.candidate_min_confidence) {
            return Err(format!(
                "[job] candidate_min_confidence = {} must be between 0 and 1",
                self.candidate_min_confidence
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
            candidate_min_confidence: 0.5,
            nested_min_senders: 20,
            nested_min_forward_days: 5,
            nested_min_batching: 3.0,
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
        let text = std::fs::read_to_string(path)
            .map_err(|e| JobError::Config(format!("{}: {e}", path.display())))?;
        let mut cfg: ChainstatConfig = toml::from_str(&text).map_err(|e| {
            JobError::Config(format!("{}: {}", path.display(), toml_error(&text, &e)))
        })?;
        let in_file =
            |e: chainstat_io::IoError| JobError::Config(format!("{}: {e}", path.display()));
        for t in &cfg.tables {
            t.validate().map_err(in_file)?;
        }
        for l in &cfg.labels {
            l.validate().map_err(in_file)?;
        }
        if let Some(m) = &cfg.engine.memory_limit {
            parse_bytes(m).map_err(|e| {
                JobError::Config(format!("{}: [engine] memory_limit: {e}", path.display()))
            })?;
        }
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
            .map_err(|e| JobError::Config(format!("{}: {e}", path.display())))?;
        cfg.cluster
            .validate()
            .map_err(|e| JobError::Config(format!("{}: {e}", path.display())))?;
        cfg.freezes
            .validate()
            .map_err(|e| JobError::Config(format!("{}: {e}", path.display())))?;
        chainstat_engine::session::check_options(&cfg.engine.options)
            .map_err(|e| JobError::Config(format!("{}: [engine.options]: {e}", path.display())))?;
        Ok(cfg)
    }

    /// What a session over this config's inputs is opened from.
    pub fn session_spec(&self) -> SessionSpec {
        SessionSpec {
            engine: self.engine.clone(),
            storage: self.storage.clone(),
            tables: self.tables.clone(),
            labels: self.labels.clone(),
        }
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

impl From<ChainstatConfig> for SessionSpec {
    fn from(c: ChainstatConfig) -> Self {
        SessionSpec {
            engine: c.engine,
            storage: c.storage,
            tables: c.tables,
            labels: c.labels,
        }
    }
}

impl From<&ChainstatConfig> for SessionSpec {
    fn from(c: &ChainstatConfig) -> Self {
        c.session_spec()
    }
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

    /// Closed-set values fail at load, naming the table or key, before any data is read.
    #[test]
    fn misspelled_values_fail_at_load() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("c.toml");
        for (text, expect) in [
            (
                "[[table]]\nname = \"t\"\nurl = \"x\"\nformat = \"tronetll\"\n",
                "table 't': unknown format 'tronetll'",
            ),
            (
                "[[table]]\nname = \"t\"\nurl = \"x\"\nchain = \"etherium\"\n",
                "table 't': unknown chain 'etherium'",
            ),
            (
                "[[table]]\nname = \"t\"\nurl = \"x\"\ntype = \"parquett\"\n",
                "table 't': unknown file type 'parquett'",
            ),
            (
                "[[labels]]\nurl = \"l.csv\"\nformat = \"tagpak\"\n",
                "unknown format 'tagpak'",
            ),
            ("[engine]\nmemory_limit = \"2gb4\"\n", "memory_limit"),
            (
                "[cluster]\ncoinjoin_rules = [\"blocksci\", \"wasabbi\"]\n",
                "wasabbi",
            ),
            ("[cluster]\nsupercluster_policy = \"wran\"\n", "wran"),
            ("[cluster]\nengine = \"unionfind\"\n", "unionfind"),
        ] {
            std::fs::write(&p, text).unwrap();
            let e = ChainstatConfig::load(&p).unwrap_err().to_string();
            assert!(e.contains(expect), "{text}: {e}");
        }
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
        let cfg =
            chainstat_engine::session::tune(datafusion::prelude::SessionConfig::new(), &c.engine);
        assert_eq!(cfg.batch_size(), 1234);
        // the user's value wins over chainstat's default
        assert!(cfg.options().execution.enable_migration_aggregate);
        // and without it, chainstat's default applies
        let d = chainstat_engine::session::tune(
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
