//! chainstat's address clustering: heuristics that link addresses (each with the
//! transaction that justifies the link), connected components with two engines that
//! give identical clusters (an in-process union-find, and large-star/small-star as
//! DataFusion plans for Ballista), label-conflict resolution, supercluster warnings, and
//! explanations of why two addresses are one entity.

#![cfg_attr(test, allow(unused_crate_dependencies))]

pub mod components;
pub mod error;
pub mod explain;
pub mod guardrail;
pub mod heuristics;
pub mod params;
pub mod pipeline;
mod sql;

pub use error::{ClusterError, Result};
pub use params::{CcEngine, ClusterParams};
pub use pipeline::{run, run_with, ClusterSummary, Outputs, OUTPUTS};
