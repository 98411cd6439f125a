//! Supercluster guardrail. The classic failure of address clustering (BlockSci;
//! Harrigan & Fretter 2016) is one wrong link welding two large entities into a giant
//! one. After components are known, every cluster above `max_cluster_size` is examined
//! for *merge points*: single pieces of evidence (one transaction, one deposit, one
//! label source) without which the cluster falls apart into parts of at least
//! `bridge_min_side` addresses each. They are found as articulation points of the
//! bipartite address–evidence graph (Tarjan), so a multi-input transaction counts as one
//! link however many addresses it joins. They are reported as `merge_bridge` warnings;
//! with `supercluster_policy = "refuse"` their links are dropped and components
//! recomputed. This is a pass over the component output, not a decision taken mid-merge,
//! so both engines agree.

use std::collections::BTreeMap;

use arrow::array::AsArray;
use arrow::datatypes::{DataType, Int64Type};
use datafusion::prelude::SessionContext;
use futures::StreamExt;

use crate::error::Result;

/// A piece of evidence that alone merges two large parts of a cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MergePoint {
    /// Heuristic of the evidence.
    pub heuristic: String,
    /// The transaction / label source.
    pub evidence: String,
    /// An address the evidence links (to name the cluster).
    pub address_id: i64,
    /// Addresses in the largest part it joins.
    pub side_a: u64,
    /// Addresses in the second largest part.
    pub side_b: u64,
}

/// Articulation points of a connected-or-not graph over `0..n` (adjacency lists, no
/// duplicates), each with the sizes — counted in nodes `< n_addresses` — of the parts
/// its removal leaves (for a DFS-tree root, only its subtrees).
fn articulation_parts(adj: &[Vec<usize>], n_addresses: usize) -> BTreeMap<usize, Vec<u64>> {
    let n = adj.len();
    let unvisited = usize::MAX;
    let mut disc = vec![unvisited; n];
    let mut low = vec![0usize; n];
    let mut weight = vec![0u64; n];
    let mut parts: BTreeMap<usize, Vec<u64>> = BTreeMap::new();
    let mut time = 0;
    for root in 0..n {
        if disc[root] != unvisited {
            continue;
        }
        // Nodes of this DFS tree that separate at least one subtree.
        let mut found: Vec<usize> = Vec::new();
        let mut stack: Vec<(usize, usize, usize)> = vec![(root, usize::MAX, 0)];
        disc[root] = time;
        low[root] = time;
        weight[root] = u64::from(root < n_addresses);
        time += 1;
        while let Some(top) = stack.last_mut() {
            let (u, parent, i) = (top.0, top.1, top.2);
            if i < adj[u].len() {
                top.2 += 1;
                let v = adj[u][i];
                if v == parent {
                    continue;
                }
                if disc[v] == unvisited {
                    disc[v] = time;
                    low[v] = time;
                    weight[v] = u64::from(v < n_addresses);
                    time += 1;
                    stack.push((v, u, 0));
                } else {
                    low[u] = low[u].min(disc[v]);
                }
            } else {
                stack.pop();
                if parent != usize::MAX {
                    low[parent] = low[parent].min(low[u]);
                    weight[parent] += weight[u];
                    if low[u] >= disc[parent] {
                        let p = parts.entry(parent).or_default();
                        if p.is_empty() {
                            found.push(parent);
                        }
                        p.push(weight[u]);
                    }
                }
            }
        }
        let total = weight[root];
        for u in found {
            if u == root {
                // The DFS root separates its subtrees only when it has two or more.
                if parts.get(&root).is_some_and(|p| p.len() < 2) {
                    parts.remove(&root);
                }
                continue;
            }
            if let Some(p) = parts.get_mut(&u) {
                let separated: u64 = p.iter().sum();
                p.push(total.saturating_sub(separated + u64::from(u < n_addresses)));
            }
        }
    }
    parts
}

/// Finds merge points in clusters larger than `max_size` of `cc(id, root)` over
/// `edges(a, b, heuristic, evidence)`.
pub async fn find(
    ctx: &SessionContext,
    cc: &str,
    edges: &str,
    max_size: i64,
    min_side: u64,
) -> Result<Vec<MergePoint>> {
    let sql = format!(
        "WITH big AS (SELECT root FROM {cc} GROUP BY root HAVING count(*) > {max_size}) \
         SELECT DISTINCT c.root, e.a, e.b, e.heuristic, e.evidence \
         FROM big JOIN {cc} c ON c.root = big.root JOIN {edges} e ON e.a = c.id \
         ORDER BY c.root, e.heuristic, e.evidence, e.a, e.b"
    );
    type Evidence = (String, String);
    let mut per_root: BTreeMap<i64, Vec<(i64, i64, Evidence)>> = BTreeMap::new();
    let mut stream = ctx.sql(&sql).await?.execute_stream().await?;
    while let Some(batch) = stream.next().await {
        let batch = batch?;
        let r = batch.column(0).as_primitive::<Int64Type>();
        let a = batch.column(1).as_primitive::<Int64Type>();
        let b = batch.column(2).as_primitive::<Int64Type>();
        let h = arrow::compute::cast(batch.column(3), &DataType::Utf8)?;
        let ev = arrow::compute::cast(batch.column(4), &DataType::Utf8)?;
        let (h, ev) = (h.as_string::<i32>(), ev.as_string::<i32>());
        for i in 0..batch.num_rows() {
            per_root.entry(r.value(i)).or_default().push((
                a.value(i),
                b.value(i),
                (h.value(i).to_string(), ev.value(i).to_string()),
            ));
        }
    }
    let mut out = Vec::new();
    for links in per_root.values() {
        let mut addr_idx: BTreeMap<i64, usize> = BTreeMap::new();
        for (a, b, _) in links {
            let next = addr_idx.len();
            addr_idx.entry(*a).or_insert(next);
            let next = addr_idx.len();
            addr_idx.entry(*b).or_insert(next);
        }
        let n_addr = addr_idx.len();
        let mut ev_idx: BTreeMap<&Evidence, usize> = BTreeMap::new();
        for (_, _, e) in links {
            let next = n_addr + ev_idx.len();
            ev_idx.entry(e).or_insert(next);
        }
        let mut adj: Vec<Vec<usize>> = vec![Vec::new(); n_addr + ev_idx.len()];
        let mut first_addr: BTreeMap<usize, i64> = BTreeMap::new();
        for (a, b, e) in links {
            let ei = ev_idx[e];
            for x in [a, b] {
                let ai = addr_idx[x];
                adj[ai].push(ei);
                adj[ei].push(ai);
                first_addr.entry(ei).or_insert(*x);
            }
        }
        for l in &mut adj {
            l.sort_unstable();
            l.dedup();
        }
        let parts = articulation_parts(&adj, n_addr);
        for (e, ei) in &ev_idx {
            let Some(p) = parts.get(ei) else { continue };
            let mut sizes = p.clone();
            sizes.sort_unstable_by(|x, y| y.cmp(x));
            if sizes.len() >= 2 && sizes[1] >= min_side {
                out.push(MergePoint {
                    heuristic: e.0.clone(),
                    evidence: e.1.clone(),
                    address_id: first_addr.get(ei).copied().unwrap_or_default(),
                    side_a: sizes[0],
                    side_b: sizes[1],
                });
            }
        }
    }
    out.sort_by(|x, y| (&x.heuristic, &x.evidence).cmp(&(&y.heuristic, &y.evidence)));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn graph(n: usize, edges: &[(usize, usize)]) -> Vec<Vec<usize>> {
        let mut adj = vec![Vec::new(); n];
        for &(a, b) in edges {
            adj[a].push(b);
            adj[b].push(a);
        }
        adj
    }

    #[test]
    fn hub_joining_two_triangles() {
        // Addresses 0..6, evidence node 6 joins address 2 and address 3.
        let adj = graph(
            7,
            &[
                (0, 1),
                (1, 2),
                (2, 0),
                (3, 4),
                (4, 5),
                (5, 3),
                (2, 6),
                (6, 3),
            ],
        );
        let parts = articulation_parts(&adj, 6);
        let mut p6 = parts[&6].clone();
        p6.sort_unstable();
        assert_eq!(p6, vec![3, 3]);
    }

    #[test]
    fn cycle_has_no_articulation_point() {
        let adj = graph(4, &[(0, 1), (1, 2), (2, 3), (3, 0)]);
        assert!(articulation_parts(&adj, 4).is_empty());
    }
}
