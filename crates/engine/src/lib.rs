//! chainstat's engine: sessions (embedded or on Ballista) and their settings, the
//! canonical views over input tables, staged tables written in passes, SQL guards, and
//! the Ballista scheduler/executor processes. It knows nothing of address clustering
//! or of the job: `chainstat-cluster` and `chainstat-job` build on it.

#![cfg_attr(test, allow(unused_crate_dependencies))]

pub mod ballista;
pub mod config;
pub mod error;
pub mod fail_closed;
pub mod guard;
pub mod input_strings;
pub mod memory;
pub mod passes;
pub mod session;
pub mod staging;
pub mod views;

pub use config::{EngineConfig, SessionSpec};
pub use error::{EngineError, Result};
pub use session::Session;
