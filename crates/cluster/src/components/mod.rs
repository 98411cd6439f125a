//! Connected components over integer node ids, two engines with identical results:
//! every node is labelled with the smallest id in its component.
//!
//! Input tables: `cc_nodes(id BIGINT)` and `cc_edges(a BIGINT, b BIGINT)`. Output: a
//! table `(id BIGINT, root BIGINT)` for every node.

pub mod star;
pub mod union_find;

use datafusion::prelude::SessionContext;

use crate::error::Result;
use crate::params::{CcEngine, ClusterParams};

/// Statistics of one components run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CcStats {
    /// Nodes labelled.
    pub nodes: usize,
    /// Edges read.
    pub edges: usize,
    /// Iterations (1 for union-find).
    pub iterations: usize,
}

/// Runs the configured engine over `nodes_table` / `edges_table` and registers the
/// result as `out_table(id, root)`. `work_dir` holds the star engine's checkpoints.
pub async fn run(
    ctx: &SessionContext,
    params: &ClusterParams,
    nodes_table: &str,
    edges_table: &str,
    out_table: &str,
    work_dir: &str,
) -> Result<CcStats> {
    match params.engine {
        CcEngine::UnionFind => {
            union_find::run(ctx, nodes_table, edges_table, out_table, work_dir).await
        }
        CcEngine::Star => {
            star::run(
                ctx,
                nodes_table,
                edges_table,
                out_table,
                work_dir,
                params.max_iterations,
            )
            .await
        }
    }
}
