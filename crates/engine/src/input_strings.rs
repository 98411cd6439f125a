//! How a job's staged inputs (`transfers`, `utxo_inputs`, `utxo_outputs`) hand their
//! strings to a query: as plain `Utf8` arrays or as Arrow string views (`Utf8View`).
//!
//! A query that streams the inputs through joins copies every string of every row into
//! each join output and repartition; with views only 16-byte views are copied.
//!
//! But a view keeps its whole page alive, and DataFusion 55's memory pool charges a batch
//! for every buffer its views point into: so views are opt-in per query, and under a
//! memory limit every query reads plain strings (as the staged work tables do, see
//! `staging`) (docs/performance.md#input-strings-as-views-per-query).
//!
//! The job defines each input view twice, `_plain_<view>` and `_views_<view>`, and
//! [`read_inputs_with`] points the view itself at one of them ([`with_views_unless_bounded`]
//! around one piece of work). A session without them
//! (`chainstat sql`, `chainstat cluster`, a job on Ballista, whose inputs are flattened into
//! tables) is left as it is.

use datafusion::prelude::SessionContext;

use crate::error::{EngineError, Result};

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
pub async fn with_views_unless_bounded<T, E: From<EngineError>>(
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
