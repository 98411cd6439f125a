//! The one error type of `chainstat-io`: every variant names what the user can act on
//! (the table, the file, the column) and none carries credentials.

use thiserror::Error;

/// Errors raised while locating, reading or recognising input tables.
#[derive(Debug, Error)]
pub enum IoError {
    /// A table URL or path that cannot be parsed.
    #[error("table '{table}': cannot parse location '{location}': {reason}")]
    BadLocation {
        /// Table name.
        table: String,
        /// The location as given.
        location: String,
        /// Why.
        reason: String,
    },
    /// No object store could be built for a URL (unsupported scheme, bad config…).
    #[error("cannot open object store for {url}: {reason}")]
    Store {
        /// `scheme://bucket` part only: never the credentials.
        url: String,
        /// Why.
        reason: String,
    },
    /// Nothing to read at the location.
    #[error("table '{table}': no {file_type} files found at {location}")]
    NoFiles {
        /// Table name.
        table: String,
        /// Location.
        location: String,
        /// Parquet / CSV / NDJSON.
        file_type: String,
    },
    /// The object store refused or failed (missing object, access denied…).
    #[error("table '{table}': cannot read {location}: {reason}")]
    Read {
        /// Table name.
        table: String,
        /// Object or prefix.
        location: String,
        /// Why, with a hint for the common causes.
        reason: String,
    },
    /// A file whose schema matches no known exporter format.
    #[error(
        "{file}: schema matches no known export format.\n  columns found: {found}\n{expected}"
    )]
    UnknownSchema {
        /// File path or URL.
        file: String,
        /// Its columns and types.
        found: String,
        /// What each format expects.
        expected: String,
    },
    /// A file that has the right columns but one has an unusable type.
    #[error("{file}: column `{column}` is {found}, expected {expected} ({format} format)")]
    ColumnType {
        /// File path or URL.
        file: String,
        /// Column name.
        column: String,
        /// Its type.
        found: String,
        /// What the format needs.
        expected: String,
        /// Format name.
        format: String,
    },
    /// Files of one table that are in different formats.
    #[error("table '{table}': mixed formats: {first} is {first_format} but {other} is {other_format}; declare them as separate tables")]
    MixedFormats {
        /// Table name.
        table: String,
        /// A file of the first format.
        first: String,
        /// Its format.
        first_format: String,
        /// A file of another format.
        other: String,
        /// That format.
        other_format: String,
    },
    /// An option value that is not understood.
    #[error("{0}")]
    Config(String),
    /// A file that cannot be decoded (corrupt or truncated Parquet, bad CSV…).
    #[error("{file}: cannot read file: {reason}")]
    Corrupt {
        /// File path or URL.
        file: String,
        /// Decoder message.
        reason: String,
    },
    /// An error from DataFusion while registering a table.
    #[error(transparent)]
    DataFusion(Box<datafusion::error::DataFusionError>),
}

// Boxed: DataFusion's error is large, and results travel through every async call.
impl From<datafusion::error::DataFusionError> for IoError {
    fn from(e: datafusion::error::DataFusionError) -> Self {
        IoError::DataFusion(Box::new(e))
    }
}

/// Result alias for this crate.
pub type Result<T, E = IoError> = std::result::Result<T, E>;
