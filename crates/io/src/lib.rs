//! chainstat's reading layer: object stores for table URLs, the exporter formats it
//! recognises, and registration of input tables in a DataFusion session.

#![cfg_attr(test, allow(unused_crate_dependencies))]

pub mod error;
pub mod format;
pub mod labels;
pub mod location;
pub mod store;
pub mod table;

pub use error::{IoError, Result};
pub use format::{Format, TableKind};
pub use labels::LabelsSpec;
pub use store::{ChainstatObjectStores, StorageConfig};
pub use table::{
    encode_parquet, put_parquet, register, register_batches, FileType, InputObject,
    RegisteredTable, TableSpec,
};
