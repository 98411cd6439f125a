//! The one error type of `chainstat-engine`, split so the binary can map each kind to
//! its own exit code: bad input, bad config, or an internal/engine failure.

use thiserror::Error;

/// Errors from building sessions, loading config and running queries.
#[derive(Debug, Error)]
pub enum EngineError {
    /// The config file or flags are wrong.
    #[error("config: {0}")]
    Config(String),
    /// Input data cannot be read or recognised.
    #[error(transparent)]
    Input(Box<chainstat_io::IoError>),
    /// DataFusion planning or execution failed.
    #[error(transparent)]
    DataFusion(Box<datafusion::error::DataFusionError>),
    /// An invariant did not hold, or a staged table's folder could not be managed
    /// (names what and where).
    #[error("engine: {0}")]
    Internal(String),
    /// Ballista scheduler / executor failure.
    #[error("ballista: {0}")]
    Ballista(String),
    /// A statement refused before it ran: it writes while writes are off, or it is past
    /// a limit (output size of a join, expression depth) the memory pool cannot enforce.
    #[error("refused: {0}")]
    Refused(String),

    /// Local file system trouble (config file, work dirs).
    #[error("{path}: {source}")]
    Fs {
        /// The path involved.
        path: String,
        /// The OS error.
        source: std::io::Error,
    },
}

/// Result alias for this crate.
pub type Result<T, E = EngineError> = std::result::Result<T, E>;

impl From<arrow::error::ArrowError> for EngineError {
    fn from(e: arrow::error::ArrowError) -> Self {
        EngineError::DataFusion(Box::new(e.into()))
    }
}

// Boxed: DataFusion's error is large, and results travel through every async call.
impl From<chainstat_io::IoError> for EngineError {
    fn from(e: chainstat_io::IoError) -> Self {
        EngineError::Input(Box::new(e))
    }
}

impl From<datafusion::error::DataFusionError> for EngineError {
    fn from(e: datafusion::error::DataFusionError) -> Self {
        EngineError::DataFusion(Box::new(e))
    }
}
