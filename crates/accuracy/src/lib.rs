//! Accuracy as a measured figure: a run's clustering, turnover and exchange candidates
//! scored against the ground truth of `chainstat gen` (docs/accuracy.md).

#![cfg_attr(test, allow(unused_crate_dependencies))]

pub mod error;
pub mod pairwise;
pub mod render;
pub mod score;
pub mod truth;

pub use error::{AccuracyError, Result};
pub use pairwise::PairCounts;
pub use score::{score, Report};
pub use truth::Truth;

/// Loads the truth under `truth_dir` and scores the run (see [`score::score`]).
pub async fn score_dir(
    ctx: &datafusion::prelude::SessionContext,
    truth_dir: &std::path::Path,
    clusters: &str,
    published: &str,
) -> Result<Report> {
    let truth = Truth::load(truth_dir)?;
    score::score(ctx, &truth, clusters, published).await
}
