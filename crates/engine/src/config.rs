//! Engine settings (`[engine]` of the config file) and what a session is opened from:
//! those settings, object-store options, input tables and label files
//! ([`SessionSpec`]). The whole file, with the clustering and job sections, is the job
//! crate's `ChainstatConfig`.

use chainstat_io::{LabelsSpec, StorageConfig, TableSpec};
use serde::{Deserialize, Serialize};

use crate::error::{EngineError, Result};

/// What a session is opened from.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SessionSpec {
    /// Engine settings.
    pub engine: EngineConfig,
    /// Object store options per scheme.
    pub storage: StorageConfig,
    /// Input tables.
    pub tables: Vec<TableSpec>,
    /// Seed label inputs (CSV or GraphSense TagPack).
    pub labels: Vec<LabelsSpec>,
}

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
    /// `session::chainstat_state_bounded`). Default: unbounded.
    #[serde(default)]
    pub memory_limit: Option<String>,
    /// Passes a sliceable staged query (one that marks its slices with `${slice:expr}`,
    /// e.g. `flows` by transaction) starts with: 0 = one, or under a memory limit as
    /// many as the input's size calls for. Each pass holds 1/passes of the query's hash
    /// tables, which DataFusion cannot spill; a pass that runs out of memory is split.
    #[serde(default)]
    pub passes: usize,
    /// DataFusion settings (`"execution.batch_size" = "16384"`; the `datafusion.`
    /// prefix is optional), applied over chainstat's defaults (`session::DEFAULT_OPTIONS`).
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
