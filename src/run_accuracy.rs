//! `chainstat accuracy`: the scoring is in `chainstat_accuracy`; this prints it.

use anyhow::Result;
use datafusion::prelude::SessionContext;

use crate::cli::AccuracyArgs;

/// Scores the run and prints Markdown (or JSON with --json).
pub async fn run(args: AccuracyArgs) -> Result<()> {
    let ctx = SessionContext::new();
    let report =
        chainstat_accuracy::score_dir(&ctx, &args.truth, &args.clusters, &args.published).await?;
    if args.json {
        println!("{}", chainstat_accuracy::render::json(&report)?);
    } else {
        print!("{}", chainstat_accuracy::render::markdown(&report));
    }
    Ok(())
}
