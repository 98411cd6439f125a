//! Supercluster guardrail. The classic failure of address clustering (BlockSci;
//! Harrigan & Fretter 2016) is wrong links welding many owners into a giant cluster:
//! one bad link between two large entities, or a hub (an airdropper taken for a
//! depositor, CoinJoin rounds taken for payments) that many owners touch.
//!
//! Size relative to the data: an *unlabelled* cluster holding more than
//! `supercluster_share` of its chain's addresses, or at least `supercluster_ratio` times
//! the next-largest unlabelled cluster on its chain (and at least
//! `supercluster_min_size` addresses), is a **supercluster**. Labelled clusters are
//! expected to be large (an exchange and its deposit addresses); two labelled entities
//! welded together are a label conflict, resolved elsewhere. A supercluster is reported
//! with its edges per heuristic and its **hubs**: addresses linked through at least
//! `hub_min_links` distinct pieces of evidence, and pieces of evidence (a transaction, a
//! deposit) linking at least as many addresses. With `supercluster_policy = "refuse"`
//! the hubs' links are dropped and components recomputed. The cluster-size distribution
//! per chain ([`SizeStats`]) goes into the manifest and the report.
//!
//! Every cluster above `max_cluster_size`, and every supercluster, is also examined
//! for *merge points*: single pieces of evidence (one transaction, one deposit, one
//! label source) without which the cluster falls apart into parts of at least
//! `bridge_min_side` addresses each. They are found as articulation points of the
//! bipartite address–evidence graph (Tarjan), so a multi-input transaction counts as one
//! link however many addresses it joins. They are reported as `merge_bridge` warnings;
//! with `supercluster_policy = "refuse"` their links are dropped and components
//! recomputed. This is a pass over the component output, not a decision taken mid-merge,
//! so both engines agree.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

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

/// The cluster-size distribution of one chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SizeStats {
    /// The chain.
    pub chain: String,
    /// Addresses.
    pub addresses: u64,
    /// Clusters (singletons included).
    pub clusters: u64,
    /// The largest clusters' sizes, largest first (at most ten).
    pub largest: Vec<u64>,
    /// The largest unlabelled cluster's size (0: none).
    pub largest_unlabelled: u64,
    /// Clusters of more than 1 000 addresses.
    pub over_1k: u64,
    /// Clusters of more than 10 000 addresses.
    pub over_10k: u64,
}

/// A cluster the guardrail flagged.
#[derive(Debug, Clone, PartialEq)]
pub struct Supercluster {
    /// Its root node id.
    pub root: i64,
    /// Its chain.
    pub chain: String,
    /// Addresses.
    pub size: u64,
    /// Why, in words (share of the chain, ratio to the next-largest unlabelled).
    pub reason: String,
}

/// The cluster sizes of `cc(id, root)`, with chain and whether a label is inside, as
/// the table `cl_sizes(root, chain, size, labelled)`; the size distribution per chain;
/// and the superclusters by `params`' relative tests.
pub async fn sizes(
    ctx: &SessionContext,
    params: &crate::params::ClusterParams,
    cc: &str,
    work_dir: &str,
) -> Result<(Vec<SizeStats>, Vec<Supercluster>)> {
    chainstat_engine::staging::write_and_register_plain(
        ctx,
        &format!(
            "SELECT c.root, min(n.chain) AS chain, count(*) AS size, count(l.id) > 0 AS labelled \
             FROM {cc} c JOIN cl_nodes n ON n.id = c.id \
             LEFT JOIN (SELECT DISTINCT id FROM cl_labelled) l ON l.id = c.id \
             GROUP BY c.root"
        ),
        &format!("{}/cl_sizes/", work_dir.trim_end_matches('/')),
        "cl_sizes",
    )
    .await?;
    let mut stats = size_stats(ctx).await?;
    let unlabelled = largest(ctx, &mut stats).await?;
    let mut flagged = Vec::new();
    for (chain, list) in &unlabelled {
        let total = stats.get(chain).map_or(0, |s| s.addresses);
        flagged.extend(superclusters(ctx, params, chain, total, list).await?);
    }
    Ok((stats.into_values().collect(), flagged))
}

/// Clusters, addresses and clusters above 1k / 10k addresses per chain, from `cl_sizes`.
async fn size_stats(ctx: &SessionContext) -> Result<BTreeMap<String, SizeStats>> {
    let mut stats = BTreeMap::new();
    let rows = int_rows(
        ctx,
        "SELECT chain, count(*), sum(size), sum(CASE WHEN size > 1000 THEN 1 ELSE 0 END), \
                sum(CASE WHEN size > 10000 THEN 1 ELSE 0 END) \
         FROM cl_sizes GROUP BY chain ORDER BY chain",
    )
    .await?;
    for (chain, n) in rows {
        stats.insert(
            chain.clone(),
            SizeStats {
                chain,
                clusters: n[0] as u64,
                addresses: n[1] as u64,
                largest: Vec::new(),
                largest_unlabelled: 0,
                over_1k: n[2] as u64,
                over_10k: n[3] as u64,
            },
        );
    }
    Ok(stats)
}

/// Fills in the ten largest clusters per chain and the largest unlabelled one; returns
/// the two largest unlabelled clusters per chain as `(root, size)` (for the ratio test).
async fn largest(
    ctx: &SessionContext,
    stats: &mut BTreeMap<String, SizeStats>,
) -> Result<BTreeMap<String, Vec<(i64, u64)>>> {
    let top = int_rows(
        ctx,
        "SELECT chain, root, size, CAST(labelled AS BIGINT), rn, rl FROM ( \
           SELECT chain, root, size, labelled, \
                  row_number() OVER (PARTITION BY chain ORDER BY size DESC, root) AS rn, \
                  row_number() OVER (PARTITION BY chain, labelled ORDER BY size DESC, root) AS rl \
           FROM cl_sizes WHERE size > 1) \
         WHERE rn <= 10 OR (NOT labelled AND rl <= 2) ORDER BY chain, size DESC, root",
    )
    .await?;
    let mut unlabelled: BTreeMap<String, Vec<(i64, u64)>> = BTreeMap::new();
    for (chain, v) in &top {
        let (root, size, labelled, rn) = (v[0], v[1] as u64, v[2] != 0, v[3]);
        if let Some(s) = stats.get_mut(chain) {
            if rn <= 10 {
                s.largest.push(size);
            }
            if !labelled && s.largest_unlabelled == 0 {
                s.largest_unlabelled = size;
            }
        }
        if !labelled {
            unlabelled
                .entry(chain.clone())
                .or_default()
                .push((root, size));
        }
    }
    Ok(unlabelled)
}

/// The superclusters of one chain of `total` addresses: unlabelled clusters above the
/// share test, and the largest unlabelled one when it passes the ratio test against the
/// next (`list`: the two largest unlabelled, largest first).
async fn superclusters(
    ctx: &SessionContext,
    params: &crate::params::ClusterParams,
    chain: &str,
    total: u64,
    list: &[(i64, u64)],
) -> Result<Vec<Supercluster>> {
    let min_size = params.supercluster_min_size.max(1) as u64;
    // A cluster past the share test is among the largest unlabelled ones, but not
    // necessarily among the two fetched: fetch them by the share itself.
    let share_floor = (params.supercluster_share * total as f64).floor() as u64;
    let by_share = int_rows(
        ctx,
        &format!(
            "SELECT chain, root, size FROM cl_sizes WHERE NOT labelled AND chain = '{}' \
             AND size > {share_floor} AND size >= {min_size} ORDER BY size DESC, root",
            chain.replace('\'', "''")
        ),
    )
    .await?;
    let mut flagged: Vec<Supercluster> = by_share
        .iter()
        .map(|(_, v)| Supercluster {
            root: v[0],
            chain: chain.to_string(),
            size: v[1] as u64,
            reason: format!(
                "unlabelled, {:.1} % of the chain's {total} addresses (supercluster_share = {})",
                100.0 * v[1] as f64 / total.max(1) as f64,
                params.supercluster_share
            ),
        })
        .collect();
    let next = list.get(1).map_or(1, |x| x.1.max(1));
    if let Some(&(root, size)) = list.first() {
        let ratio = size as f64 / next as f64;
        if size >= min_size
            && ratio >= params.supercluster_ratio
            && !flagged.iter().any(|f| f.root == root)
        {
            flagged.push(Supercluster {
                root,
                chain: chain.to_string(),
                size,
                reason: format!(
                    "unlabelled, {ratio:.0}× the next-largest unlabelled cluster ({next} addresses; \
                     supercluster_ratio = {})",
                    params.supercluster_ratio
                ),
            });
        }
    }
    Ok(flagged)
}

/// Rows of a query whose first column is a string and the rest integers.
async fn int_rows(ctx: &SessionContext, sql: &str) -> Result<Vec<(String, Vec<i64>)>> {
    let mut out = Vec::new();
    for b in ctx.sql(sql).await?.collect().await? {
        let first = arrow::compute::cast(b.column(0), &DataType::Utf8)?;
        let first = first.as_string::<i32>();
        let rest: Vec<_> = (1..b.num_columns())
            .map(|c| arrow::compute::cast(b.column(c), &DataType::Int64))
            .collect::<std::result::Result<_, _>>()?;
        for r in 0..b.num_rows() {
            let v = rest
                .iter()
                .map(|c| c.as_primitive::<Int64Type>().value(r))
                .collect();
            out.push((first.value(r).to_string(), v));
        }
    }
    Ok(out)
}

/// The hubs of the flagged clusters (`cl_flagged(root)`) over `edges(a, b, heuristic,
/// evidence)` of `cc(id, root)`, as the table `cl_hubs(root, kind, heuristic, evidence,
/// id, links)`: `kind` is `address` (an address `id` linked through `links` distinct
/// pieces of evidence) or `evidence` (a piece of evidence linking `links` addresses).
pub async fn hubs(
    ctx: &SessionContext,
    cc: &str,
    edges: &str,
    min_links: i64,
    work_dir: &str,
) -> Result<u64> {
    let sql = format!(
        "WITH e AS (SELECT c.root, e.a, e.b, e.heuristic, e.evidence \
                    FROM cl_flagged f JOIN {cc} c ON c.root = f.root JOIN {edges} e ON e.a = c.id \
                    WHERE e.heuristic <> 'label'), \
              ends AS (SELECT root, a AS id, heuristic, evidence FROM e \
                       UNION SELECT root, b AS id, heuristic, evidence FROM e) \
         SELECT root, 'address' AS kind, CAST(NULL AS VARCHAR) AS heuristic, \
                CAST(NULL AS VARCHAR) AS evidence, id, count(*) AS links \
         FROM ends GROUP BY root, id HAVING count(*) >= {min_links} \
         UNION ALL \
         SELECT root, 'evidence', heuristic, evidence, min(id), count(*) \
         FROM ends GROUP BY root, heuristic, evidence HAVING count(*) >= {min_links}"
    );
    chainstat_engine::staging::write_and_register_plain(
        ctx,
        &sql,
        &format!("{}/cl_hubs/", work_dir.trim_end_matches('/')),
        "cl_hubs",
    )
    .await?;
    Ok(chainstat_engine::staging::count(ctx, "SELECT count(*) FROM cl_hubs").await?)
}

/// Finds merge points in clusters larger than `max_size`, or flagged (`cl_flagged`), of
/// `cc(id, root)` over `edges(a, b, heuristic, evidence)`.
pub async fn find(
    ctx: &SessionContext,
    cc: &str,
    edges: &str,
    max_size: i64,
    min_side: u64,
) -> Result<Vec<MergePoint>> {
    let sql = format!(
        "WITH big AS (SELECT root FROM {cc} GROUP BY root HAVING count(*) > {max_size} \
                      UNION SELECT root FROM cl_flagged) \
         SELECT DISTINCT c.root, e.a, e.b, e.heuristic, e.evidence \
         FROM big JOIN {cc} c ON c.root = big.root JOIN {edges} e ON e.a = c.id \
         ORDER BY c.root, e.heuristic, e.evidence, e.a, e.b"
    );
    let per_root = links_per_root(ctx, &sql).await?;
    let mut out: Vec<MergePoint> = per_root
        .values()
        .flat_map(|links| bridges_of(links, min_side))
        .collect();
    out.sort_by(|x, y| (&x.heuristic, &x.evidence).cmp(&(&y.heuristic, &y.evidence)));
    Ok(out)
}

/// A link's `(heuristic, evidence)`.
type Evidence = (String, String);

/// The links `(a, b, evidence)` of each large cluster, by root, from `sql`'s rows
/// `(root, a, b, heuristic, evidence)`.
async fn links_per_root(
    ctx: &SessionContext,
    sql: &str,
) -> Result<BTreeMap<i64, Vec<(i64, i64, Evidence)>>> {
    let mut per_root: BTreeMap<i64, Vec<(i64, i64, Evidence)>> = BTreeMap::new();
    let mut stream = ctx.sql(sql).await?.execute_stream().await?;
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
    Ok(per_root)
}

/// The links of one cluster whose removal splits it into parts of at least `min_side`
/// addresses each: articulation points of the graph of addresses and evidence nodes.
fn bridges_of(links: &[(i64, i64, Evidence)], min_side: u64) -> Vec<MergePoint> {
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
    let mut out = Vec::new();
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
    out
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
