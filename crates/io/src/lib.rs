//! chainstat's reading layer: object stores for table URLs, the exporter formats it
//! recognises, and registration of input tables in a DataFusion session.

pub mod error;
pub mod format;
pub mod location;
pub mod store;
pub mod table;

pub use error::{IoError, Result};
pub use format::{Format, TableKind};
pub use store::{ChainstatObjectStores, StorageConfig};
pub use table::{register, FileType, RegisteredTable, TableSpec};
