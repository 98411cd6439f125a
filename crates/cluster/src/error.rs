//! The one error type of `chainstat-cluster`.

use thiserror::Error;

/// Errors from building edges, running components or writing outputs.
#[derive(Debug, Error)]
pub enum ClusterError {
    /// DataFusion planning or execution failed.
    #[error(transparent)]
    DataFusion(Box<datafusion::error::DataFusionError>),
    /// An invariant did not hold (names what and where).
    #[error("clustering: {0}")]
    Internal(String),
    /// A request that cannot be answered (unknown address, …).
    #[error("{0}")]
    Usage(String),
    /// Writing or reading a staged table failed.
    #[error(transparent)]
    Engine(Box<chainstat_engine::EngineError>),
}

impl From<chainstat_engine::EngineError> for ClusterError {
    fn from(e: chainstat_engine::EngineError) -> Self {
        match e {
            chainstat_engine::EngineError::DataFusion(d) => ClusterError::DataFusion(d),
            other => ClusterError::Engine(Box::new(other)),
        }
    }
}

// Boxed: DataFusion's error is large, and results travel through every async call.
impl From<datafusion::error::DataFusionError> for ClusterError {
    fn from(e: datafusion::error::DataFusionError) -> Self {
        ClusterError::DataFusion(Box::new(e))
    }
}

impl From<arrow::error::ArrowError> for ClusterError {
    fn from(e: arrow::error::ArrowError) -> Self {
        ClusterError::DataFusion(Box::new(e.into()))
    }
}

/// Result alias for this crate.
pub type Result<T, E = ClusterError> = std::result::Result<T, E>;
