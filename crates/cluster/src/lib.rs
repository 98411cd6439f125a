//! chainstat's address clustering: heuristics that link addresses (each with the
//! transaction that justifies the link), connected components with two engines that
//! give identical clusters (an in-process union-find, and large-star/small-star as
//! DataFusion plans for Ballista), label-conflict resolution, supercluster warnings, and
//! explanations of why two addresses are one entity.

pub mod components;
pub mod error;
pub mod explain;
pub mod guardrail;
pub mod heuristics;
pub mod input_strings;
pub mod params;
pub mod passes;
pub mod pipeline;

pub use error::{ClusterError, Result};
pub use input_strings::{read_inputs_with, with_views_unless_bounded, InputStrings};
pub use params::{CcEngine, ClusterParams};
pub use pipeline::{
    count, run, run_with, write_and_register, write_and_register_plain, write_sliced_and_register,
    ClusterSummary, Outputs, OUTPUTS,
};
