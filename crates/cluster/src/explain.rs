//! `cluster explain A B`: the shortest chain of evidence linking two addresses, found by
//! breadth-first search over the edges of their cluster that survived conflict
//! resolution.

use std::collections::{BTreeMap, VecDeque};

use arrow::array::{Array, AsArray};
use datafusion::prelude::SessionContext;

use crate::error::{ClusterError, Result};

/// One hop of an explanation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hop {
    /// From.
    pub from: String,
    /// To.
    pub to: String,
    /// Heuristic that linked them.
    pub heuristic: String,
    /// Transaction or label source.
    pub evidence: String,
    /// Extra context (deposit address, entity).
    pub detail: Option<String>,
}

/// The answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Explanation {
    /// Linked, through these hops (empty when A = B).
    Linked {
        /// The cluster.
        cluster_id: String,
        /// Path from A to B.
        hops: Vec<Hop>,
    },
    /// In different clusters.
    NotLinked {
        /// A's cluster.
        a_cluster: String,
        /// B's cluster.
        b_cluster: String,
    },
}

fn lit(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// The rows of `sql`, every value as text (NULL as `None`).
pub(crate) async fn strings(ctx: &SessionContext, sql: &str) -> Result<Vec<Vec<Option<String>>>> {
    let batches = ctx.sql(sql).await?.collect().await?;
    let mut rows = Vec::new();
    for b in &batches {
        let cols: Vec<_> = b
            .columns()
            .iter()
            .map(|c| arrow::compute::cast(c, &arrow::datatypes::DataType::Utf8))
            .collect::<std::result::Result<_, _>>()?;
        for r in 0..b.num_rows() {
            rows.push(
                cols.iter()
                    .map(|c| {
                        let a = c.as_string::<i32>();
                        (!a.is_null(r)).then(|| a.value(r).to_string())
                    })
                    .collect(),
            );
        }
    }
    Ok(rows)
}

async fn cluster_of(ctx: &SessionContext, chain: &str, address: &str) -> Result<String> {
    let rows = strings(
        ctx,
        &format!(
            "SELECT cluster_id FROM address_clusters WHERE chain = {} AND address = {}",
            lit(chain),
            lit(address)
        ),
    )
    .await?;
    rows.first()
        .and_then(|r| r.first().cloned().flatten())
        .ok_or_else(|| {
            ClusterError::Usage(format!(
                "address {address} ({chain}) is not in address_clusters"
            ))
        })
}

/// Explains how `a` and `b` (canonical addresses of `chain`) are linked.
pub async fn explain(ctx: &SessionContext, chain: &str, a: &str, b: &str) -> Result<Explanation> {
    let ca = cluster_of(ctx, chain, a).await?;
    let cb = cluster_of(ctx, chain, b).await?;
    if ca != cb {
        return Ok(Explanation::NotLinked {
            a_cluster: ca,
            b_cluster: cb,
        });
    }
    let rows = strings(
        ctx,
        &format!(
            "SELECT address_a, address_b, heuristic, evidence, detail FROM cluster_edges \
             WHERE cluster_id = {} AND used ORDER BY heuristic, evidence",
            lit(&ca)
        ),
    )
    .await?;
    let mut adj: BTreeMap<String, Vec<Hop>> = BTreeMap::new();
    for r in rows {
        let get = |i: usize| r.get(i).cloned().flatten().unwrap_or_default();
        let hop = Hop {
            from: get(0),
            to: get(1),
            heuristic: get(2),
            evidence: get(3),
            detail: r.get(4).cloned().flatten(),
        };
        let back = Hop {
            from: hop.to.clone(),
            to: hop.from.clone(),
            ..hop.clone()
        };
        adj.entry(hop.from.clone()).or_default().push(hop);
        adj.entry(back.from.clone()).or_default().push(back);
    }
    let mut prev: BTreeMap<String, Hop> = BTreeMap::new();
    let mut queue = VecDeque::from([a.to_string()]);
    let mut seen = std::collections::BTreeSet::from([a.to_string()]);
    while let Some(x) = queue.pop_front() {
        if x == b {
            break;
        }
        for h in adj.get(&x).into_iter().flatten() {
            if seen.insert(h.to.clone()) {
                prev.insert(h.to.clone(), h.clone());
                queue.push_back(h.to.clone());
            }
        }
    }
    let mut hops = Vec::new();
    let mut at = b.to_string();
    while at != a {
        let h = prev.get(&at).ok_or_else(|| {
            ClusterError::Internal(format!(
                "{a} and {b} share cluster {ca} but no edge path links them"
            ))
        })?;
        at = h.from.clone();
        hops.push(h.clone());
    }
    hops.reverse();
    Ok(Explanation::Linked {
        cluster_id: ca,
        hops,
    })
}

/// What `cluster_warnings` says about `address` (a canonical address of `chain`): that
/// it is a service sender (never merged as a depositor), or that its cluster is a
/// supercluster, conflicted or bridged. Empty when the table has nothing on it.
pub async fn warnings_about(
    ctx: &SessionContext,
    chain: &str,
    address: &str,
) -> Result<Vec<String>> {
    let cluster = cluster_of(ctx, chain, address).await?;
    let rows = strings(
        ctx,
        &format!(
            "SELECT kind || ': ' || detail FROM cluster_warnings \
             WHERE (kind = 'service_sender' AND starts_with(detail, {addr} || ' ')) \
                OR (kind <> 'service_sender' AND cluster_id = {cluster}) \
             ORDER BY kind, detail",
            addr = lit(address),
            cluster = lit(&cluster)
        ),
    )
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(|r| r.into_iter().next().flatten())
        .collect())
}
