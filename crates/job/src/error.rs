//! Errors of the job, split like the engine's so the binary can tell bad config (exit 2)
//! and bad input (exit 3) from internal failures (exit 1).

use thiserror::Error;

/// Errors from `chainstat run` and `chainstat report`.
#[derive(Debug, Error)]
pub enum JobError {
    /// The job config, a query file or a flag is wrong.
    #[error("config: {0}")]
    Config(String),
    /// Input data (tables, labels, registry, prices) cannot be read or recognised.
    #[error(transparent)]
    Input(Box<chainstat_io::IoError>),
    /// Session building failed (wraps config and input errors of the engine).
    #[error(transparent)]
    Engine(Box<chainstat_engine::EngineError>),
    /// Clustering failed.
    #[error(transparent)]
    Cluster(Box<chainstat_cluster::ClusterError>),
    /// A query of `queries/` failed.
    #[error("query {file}: {source}")]
    Query {
        /// The query file.
        file: String,
        /// What DataFusion said.
        source: Box<datafusion::error::DataFusionError>,
    },
    /// DataFusion failed outside a query file.
    #[error(transparent)]
    DataFusion(Box<datafusion::error::DataFusionError>),
    /// Reading or writing published tables, manifests or reports failed.
    #[error("publish {location}: {reason}")]
    Publish {
        /// Where.
        location: String,
        /// What went wrong.
        reason: String,
    },
    /// Another run holds the output root's lease.
    #[error("output {root} is in use: {holder}; chainstat allows one writer per output root")]
    Locked {
        /// The output root.
        root: String,
        /// Who holds it and until when.
        holder: String,
    },
    /// This run lost the output root's lease before its commit: it must not commit.
    #[error("output {root}: this run lost its lease ({reason}); nothing was committed")]
    LeaseLost {
        /// The output root.
        root: String,
        /// Why.
        reason: String,
    },
    /// The pointer moved since the run started: another writer committed.
    #[error(
        "output {root}: the published run changed while this run worked (expected {expected}, \
         found {found}); nothing was committed"
    )]
    PointerMoved {
        /// The output root.
        root: String,
        /// The run published when this one started.
        expected: String,
        /// The run published now.
        found: String,
    },
    /// A sanity gate refused the commit: the figures look broken or changed too much.
    #[error(
        "refusing to commit run {run_id}: {}; the published run stays as it was. \
         If this change is intended, run again with --accept-change",
        reasons.join("; ")
    )]
    Refused {
        /// The run that was not committed.
        run_id: String,
        /// What tripped the gates.
        reasons: Vec<String>,
    },
    /// Nothing has been published under the output location yet.
    #[error("nothing published under {0} (run `chainstat run --out {0}` first)")]
    NothingPublished(String),
}

/// Result alias for this crate.
pub type Result<T, E = JobError> = std::result::Result<T, E>;

impl From<chainstat_io::IoError> for JobError {
    fn from(e: chainstat_io::IoError) -> Self {
        JobError::Input(Box::new(e))
    }
}

impl From<chainstat_engine::EngineError> for JobError {
    fn from(e: chainstat_engine::EngineError) -> Self {
        JobError::Engine(Box::new(e))
    }
}

impl From<chainstat_cluster::ClusterError> for JobError {
    fn from(e: chainstat_cluster::ClusterError) -> Self {
        JobError::Cluster(Box::new(e))
    }
}

impl From<datafusion::error::DataFusionError> for JobError {
    fn from(e: datafusion::error::DataFusionError) -> Self {
        JobError::DataFusion(Box::new(e))
    }
}

impl JobError {
    /// A publish error at `location`.
    pub fn publish(location: impl Into<String>, reason: impl std::fmt::Display) -> Self {
        JobError::Publish {
            location: location.into(),
            reason: reason.to_string(),
        }
    }
}

impl From<arrow::error::ArrowError> for JobError {
    fn from(e: arrow::error::ArrowError) -> Self {
        JobError::DataFusion(Box::new(e.into()))
    }
}
