//! Errors of the generator. Every file error names the file, because a half-written
//! data set is only useful to debug if you know which file broke.

use std::path::Path;

use arrow::error::ArrowError;
use parquet::errors::ParquetError;

/// Why a data set could not be generated.
#[derive(thiserror::Error, Debug)]
pub enum GenError {
    /// Creating or writing a file or folder failed.
    #[error("{path}: {source}")]
    Io {
        /// The file or folder.
        path: String,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The Parquet writer failed.
    #[error("{path}: parquet: {source}")]
    Parquet {
        /// The Parquet file.
        path: String,
        /// The underlying error.
        source: ParquetError,
    },
    /// Building an Arrow batch failed (a bug: the generator's own arrays do not fit its
    /// own schema).
    #[error("arrow: {0}")]
    Arrow(#[from] ArrowError),
    /// The parameters cannot describe a data set (e.g. zero days, too many exchanges).
    #[error("invalid parameters: {0}")]
    Invalid(String),
}

/// A [`GenError::Io`] for `path`.
pub(crate) fn io_error(path: &Path, source: std::io::Error) -> GenError {
    GenError::Io {
        path: path.display().to_string(),
        source,
    }
}

/// A [`GenError::Parquet`] for `path`.
pub(crate) fn parquet_error(path: &Path, source: ParquetError) -> GenError {
    GenError::Parquet {
        path: path.display().to_string(),
        source,
    }
}
