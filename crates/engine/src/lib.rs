//! chainstat's engine: the job config, sessions (embedded or on Ballista), the
//! canonical views over input tables, and the Ballista scheduler/executor processes.

pub mod cluster;
pub mod config;
pub mod error;
pub mod fail_closed;
pub mod guard;
pub mod memory;
pub mod session;
pub mod views;

pub use config::{ChainstatConfig, EngineConfig, JobParams};
pub use error::{EngineError, Result};
pub use session::Session;
