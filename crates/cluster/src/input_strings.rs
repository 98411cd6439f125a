//! How a job's staged inputs (`transfers`, `utxo_inputs`, `utxo_outputs`) hand their
//! strings to a query: as plain `Utf8` arrays or as Arrow string views (`Utf8View`).
//!
//! A query that streams the inputs through joins copies every address, hash and asset
//! string of every row into each join's output, repartition and coalesced batch; with
//! views only 16-byte views are copied and the bytes stay in the pages they were
//! decoded into. Measured at 10M transfers (each query alone, on the same staged files,
//! plain against views): `flows` 9.6 / 8.8 s against 8.0 / 8.3 s, `candidate_deposits`
//! 7.9 / 7.6 s against 6.7 / 6.5 s, `coverage_days` 3.4 / 3.6 s against 3.0 / 3.1 s, the
//! deposit self-join 4.9 / 4.7 s against 4.3 / 4.4 s, the node dictionary 4.2 / 4.5 s
//! against 4.0 / 4.0 s, at the same peak memory.
//!
//! But a view keeps its whole page alive, and DataFusion 55's memory pool charges a batch
//! for every buffer its views point into. So views are opt-in per query: the deposits'
//! senders, grouped from a join of the transfers, held 2.9 GB instead of 0.9 GB with
//! them, and took longer. And under a memory limit every query reads plain strings (as
//! the staged work tables do, see [`crate::pipeline`]): there the over-counting made
//! passes run out of memory.
//!
//! The job defines each input view twice, `_plain_<view>` and `_views_<view>`, and
//! [`read_inputs_with`] points the view itself at one of them ([`with_views_unless_bounded`]
//! around one piece of work). A session without them
//! (`chainstat sql`, `chainstat cluster`, a job on Ballista, whose inputs are flattened into
//! tables) is left as it is.

use datafusion::prelude::SessionContext;

use crate::error::{ClusterError, Result};

/// The input views whose strings can be read either way.
pub const INPUT_VIEWS: &[&str] = &["transfers", "utxo_inputs", "utxo_outputs"];

/// How the input views' strings reach a query.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InputStrings {
    /// `Utf8`: each batch owns its strings.
    Plain,
    /// `Utf8View` when the memory pool is unbounded, else plain.
    ViewsUnlessBounded,
}

/// Name of the plain-strings definition of input view `view`.
pub fn plain_name(view: &str) -> String {
    format!("_plain_{view}")
}

/// Name of the string-views definition of input view `view`.
pub fn views_name(view: &str) -> String {
    format!("_views_{view}")
}

/// Points each input view at its plain or string-view definition (see the module
/// docs); a view without both definitions is left alone.
pub async fn read_inputs_with(ctx: &SessionContext, strings: InputStrings) -> Result<()> {
    let views = strings == InputStrings::ViewsUnlessBounded && !crate::passes::bounded(ctx);
    for view in INPUT_VIEWS {
        let (plain, viewed) = (plain_name(view), views_name(view));
        if !(ctx.table_exist(plain.as_str())? && ctx.table_exist(viewed.as_str())?) {
            continue;
        }
        let target = if views { viewed } else { plain };
        ctx.sql(&format!(
            "CREATE OR REPLACE VIEW {view} AS SELECT * FROM {target}"
        ))
        .await?
        .collect()
        .await?;
    }
    Ok(())
}

/// Runs `work` (not yet started: futures are lazy) with the input views' strings as
/// views ([`InputStrings::ViewsUnlessBounded`]), then points them back at plain strings
/// whatever `work` returned; `work`'s own error is returned first.
pub async fn with_views_unless_bounded<T, E: From<ClusterError>>(
    ctx: &SessionContext,
    work: impl std::future::Future<Output = std::result::Result<T, E>>,
) -> std::result::Result<T, E> {
    read_inputs_with(ctx, InputStrings::ViewsUnlessBounded).await?;
    let done = work.await;
    let restored = read_inputs_with(ctx, InputStrings::Plain).await;
    let done = done?;
    restored?;
    Ok(done)
}
