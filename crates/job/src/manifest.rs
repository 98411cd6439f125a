//! The run manifest (`runs/<run_id>/manifest.json`): everything needed to tell what a
//! published run is and how it was made — inputs with sizes and ETags/mtimes, the
//! effective config, the chainstat version, row counts and files per table, rejects and
//! stage timings — and the pointer (`_published.json`) that commits a run.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::inputs::InputSet;

/// Version of the manifest layout.
pub const MANIFEST_VERSION: u32 = 1;

/// The commit pointer: the one object readers read first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pointer {
    /// The committed run.
    pub run_id: String,
    /// Its manifest, relative to the output root.
    pub manifest: String,
    /// When it was committed (RFC 3339).
    pub committed_at: String,
    /// The run it replaced: the pointer moves only from the run a writer started from.
    #[serde(default)]
    pub previous: Option<String>,
}

/// One file of a published table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublishedFile {
    /// Path relative to the run folder.
    pub path: String,
    /// Partition value (`2025-03`, `2025`), if partitioned.
    pub partition: Option<String>,
    /// Rows.
    pub rows: u64,
    /// Bytes.
    pub bytes: u64,
}

/// One published table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublishedTable {
    /// `month`, `year` or `none`.
    pub partition: String,
    /// Total rows.
    pub rows: u64,
    /// Columns as `name: type`.
    pub schema: Vec<String>,
    /// Its files.
    pub files: Vec<PublishedFile>,
    /// Partitions copied unchanged from the previous run (incremental runs).
    pub carried_over: Vec<String>,
    /// The canonical layer's tables: the digest of the input objects they were made of
    /// (`crate::canonical::inputs_fingerprint`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inputs_fingerprint: Option<String>,
}

/// A stage and how long it took.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Timing {
    /// Stage name.
    pub stage: String,
    /// Wall seconds.
    pub seconds: f64,
    /// What it did (rows, files).
    pub detail: String,
}

/// Counted rejects (from `rejects_summary`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RejectCount {
    /// input, labels, registry, prices or undated.
    pub kind: String,
    /// Table or file.
    pub source: String,
    /// Why.
    pub reason: String,
    /// How many rows.
    pub rows: u64,
}

/// What was computed and why.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScopeRecord {
    /// `full` or `incremental`.
    pub mode: ScopeMode,
    /// Why this mode / these periods.
    pub reason: String,
    /// The run the rest was carried over from.
    pub previous_run: Option<String>,
    /// Months recomputed (YYYY-MM).
    pub months: Vec<String>,
    /// Years recomputed.
    pub years: Vec<i32>,
}

/// Whether a run recomputed everything or only what changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ScopeMode {
    /// Every month and year present in the data.
    #[default]
    Full,
    /// The months and years that changed; the rest carried over from the previous run.
    Incremental,
}

impl std::fmt::Display for ScopeMode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ScopeMode::Full => "full",
            ScopeMode::Incremental => "incremental",
        })
    }
}

/// The run manifest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunManifest {
    /// Layout version.
    pub manifest_version: u32,
    /// Run id (`YYYYMMDDTHHMMSSZ-xxxxxxxx`).
    pub run_id: String,
    /// chainstat version that made it.
    pub chainstat_version: String,
    /// Start (RFC 3339).
    pub started_at: String,
    /// End of computation, before commit (RFC 3339).
    pub finished_at: String,
    /// Embedded or the Ballista scheduler URL.
    pub engine: String,
    /// The effective config (storage secrets left out).
    pub config: serde_json::Value,
    /// Digest of config (without output location) — incremental runs need the same.
    pub config_fingerprint: String,
    /// Digest of the query set.
    pub queries_fingerprint: String,
    /// The row-key scheme (`chainstat_chain::key::KEY_SCHEME`) the state's keys were made
    /// with; empty for runs made before it was recorded.
    #[serde(default)]
    pub key_scheme: String,
    /// How the published tables are laid out and typed (`publish::TABLE_LAYOUT`); empty
    /// for runs made before it was recorded.
    #[serde(default)]
    pub table_layout: String,
    /// What was recomputed.
    pub scope: ScopeRecord,
    /// Every input object.
    pub inputs: Vec<InputSet>,
    /// Published tables.
    pub tables: BTreeMap<String, PublishedTable>,
    /// State kept for the next incremental run (relative paths).
    pub state: BTreeMap<String, String>,
    /// Clustering figures: edges, addresses, clusters, conflicts, warnings, service
    /// senders, treasury wallets, superclusters, and `coinjoin_<rule>`: the transactions
    /// each CoinJoin rule kept from the multi-input heuristic.
    pub clustering: BTreeMap<String, u64>,
    /// The cluster-size distribution per chain (largest sizes, clusters above 1k / 10k):
    /// a supercluster shows here before any figure is trusted.
    #[serde(default)]
    pub cluster_sizes: Vec<chainstat_cluster::guardrail::SizeStats>,
    /// The run published when this one started (the one its commit replaced): the
    /// chain of commits that pruning follows.
    #[serde(default)]
    pub previous_run: Option<String>,
    /// The headline figures the next run's sanity gates compare against.
    #[serde(default)]
    pub figures: Option<crate::gate::Figures>,
    /// Counted rejects.
    pub rejects: Vec<RejectCount>,
    /// Stage timings.
    pub timings: Vec<Timing>,
    /// Report files (relative).
    pub reports: Vec<String>,
}
