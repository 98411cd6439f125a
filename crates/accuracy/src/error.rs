//! Errors of the accuracy scorer.

/// Why scoring failed.
#[derive(Debug, thiserror::Error)]
pub enum AccuracyError {
    /// The ground truth is missing or malformed.
    #[error("ground truth: {0}")]
    Truth(String),
    /// Reading the clustering or the published tables failed (DataFusion's text names
    /// the path; `transparent` so an error chain does not print it twice).
    #[error(transparent)]
    Query(#[from] datafusion::error::DataFusionError),
    /// Registering the published run failed.
    #[error(transparent)]
    Job(#[from] chainstat_job::JobError),
    /// The run's tables are not what the scorer expects.
    #[error("{0}")]
    Run(String),
}

/// Result with [`AccuracyError`].
pub type Result<T> = std::result::Result<T, AccuracyError>;
