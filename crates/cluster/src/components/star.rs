//! The distributed path: alternating large-star / small-star (Kiveris, Lattanzi,
//! Mirrokni, Rastogi, Vassilvitskii, "Connected Components in MapReduce and Beyond",
//! SoCC 2014), the algorithm GraphFrames uses, written as DataFusion SQL so it runs on
//! Ballista unchanged. Each round's edge set is written to Parquet under `work_dir` and
//! read back, so the plan never grows and data may exceed memory; rounds stop when a
//! large-star + small-star pair leaves the edge set unchanged (then every component is
//! a star around its smallest id).
//!
//! Edges are kept oriented `(a, b)` with `a > b` (b is the smaller id).

use std::time::Instant;

use datafusion::prelude::SessionContext;

use super::CcStats;
use crate::error::{ClusterError, Result};
use chainstat_engine::staging::count;

/// Large-star: every node u links each larger neighbour to u's smallest neighbour
/// (or itself).
fn large_star(t: &str) -> String {
    format!(
        "WITH d AS (SELECT a AS u, b AS v FROM {t} UNION ALL SELECT b AS u, a AS v FROM {t}), \
              m AS (SELECT u, LEAST(u, MIN(v)) AS m FROM d GROUP BY u) \
         SELECT DISTINCT d.v AS a, m.m AS b FROM d JOIN m ON d.u = m.u WHERE d.v > d.u AND d.v <> m.m"
    )
}

/// Small-star: every node u links itself and each smaller neighbour to its smallest
/// neighbour.
fn small_star(t: &str) -> String {
    format!(
        "WITH lo AS (SELECT a AS u, b AS v FROM {t}), \
              m AS (SELECT u, MIN(v) AS m FROM lo GROUP BY u) \
         SELECT DISTINCT a, b FROM ( \
             SELECT lo.v AS a, m.m AS b FROM lo JOIN m ON lo.u = m.u WHERE lo.v <> m.m \
             UNION ALL SELECT m.u AS a, m.m AS b FROM m)"
    )
}

async fn checkpoint(ctx: &SessionContext, sql: &str, dir: &str, name: &str) -> Result<()> {
    let path = format!("{}/{name}/", dir.trim_end_matches('/'));
    Ok(chainstat_engine::staging::write_and_register(ctx, sql, &path, name).await?)
}

/// Runs the star iterations and registers `out_table(id, root)`.
pub async fn run(
    ctx: &SessionContext,
    nodes_table: &str,
    edges_table: &str,
    out_table: &str,
    work_dir: &str,
    max_iterations: usize,
) -> Result<CcStats> {
    if !work_dir.contains("://") {
        std::fs::create_dir_all(work_dir)
            .map_err(|e| ClusterError::Internal(format!("{work_dir}: {e}")))?;
    }
    // Edge rows read, counted as union-find counts them (duplicates and loops included).
    let edges = count(ctx, &format!("SELECT count(*) FROM {edges_table}")).await? as usize;
    checkpoint(
        ctx,
        &format!(
            "SELECT DISTINCT GREATEST(a, b) AS a, LEAST(a, b) AS b FROM {edges_table} WHERE a <> b"
        ),
        work_dir,
        "cc_star_0",
    )
    .await?;
    let mut current = "cc_star_0".to_string();
    let mut iterations = 0;
    loop {
        if iterations >= max_iterations {
            return Err(ClusterError::Internal(format!(
                "star connected components did not converge in {max_iterations} rounds"
            )));
        }
        iterations += 1;
        let started = Instant::now();
        let large = format!("cc_star_{iterations}_l");
        checkpoint(ctx, &large_star(&current), work_dir, &large).await?;
        let small = format!("cc_star_{iterations}_s");
        checkpoint(ctx, &small_star(&large), work_dir, &small).await?;
        let changed = count(
            ctx,
            &format!(
                "SELECT count(*) FROM ((SELECT a, b FROM {small} EXCEPT SELECT a, b FROM {current}) \
                 UNION ALL (SELECT a, b FROM {current} EXCEPT SELECT a, b FROM {small}))"
            ),
        )
        .await?;
        log::info!(
            "star round {iterations}: {changed} edge changes ({:.1?})",
            started.elapsed()
        );
        ctx.deregister_table(current.as_str())?;
        ctx.deregister_table(large.as_str())?;
        current = small;
        if changed == 0 {
            break;
        }
    }
    let sql = format!(
        "SELECT n.id, COALESCE(s.root, n.id) AS root FROM {nodes_table} n \
         LEFT JOIN (SELECT a, MIN(b) AS root FROM {current} GROUP BY a) s ON s.a = n.id"
    );
    checkpoint(ctx, &sql, work_dir, out_table).await?;
    let nodes = count(ctx, &format!("SELECT count(*) FROM {nodes_table}")).await? as usize;
    Ok(CcStats {
        nodes,
        edges,
        iterations,
    })
}
