//! The nightly job (`chainstat run`): inputs → canonical views → clustering →
//! attribution → turnover → summary tables (the SQL in `queries/`) → atomic publish
//! with a run manifest → report. Incremental runs recompute only the periods whose
//! inputs or attributions changed and carry the rest over from the previous run.

#![cfg_attr(test, allow(unused_crate_dependencies))]

pub mod canonical;
pub mod config;
pub mod error;
pub mod freezes;
pub mod gate;
pub mod inputs;
pub mod lease;
pub mod manifest;
pub mod portable;
pub mod progress;
pub mod publish;
pub mod queries;
pub mod report;
pub mod run;
pub mod scope;

pub use config::{ChainstatConfig, JobParams};
pub use error::{JobError, Result};
pub use run::{run, RunOptions, RunSummary};
