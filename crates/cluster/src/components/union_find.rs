//! The embedded fast path: union-find (disjoint-set forest) with union by size and path
//! halving over dense `u32` indices — 8 bytes per node (parent + size) — reading the
//! edge list once. Roots are then relabelled to the smallest node id of each
//! component, which is what makes the result identical to the star engine's.

use std::sync::Arc;

use arrow::array::{Array, AsArray, Int64Array, RecordBatch};
use arrow::datatypes::{DataType, Field, Int64Type, Schema};
use datafusion::prelude::SessionContext;
use futures::StreamExt;

use super::CcStats;
use crate::error::{ClusterError, Result};

/// A disjoint-set forest over `0..n`.
#[derive(Debug, Clone)]
pub struct UnionFind {
    parent: Vec<u32>,
    size: Vec<u32>,
}

impl UnionFind {
    /// `n` singletons.
    pub fn new(n: usize) -> Self {
        Self {
            parent: (0..n as u32).collect(),
            size: vec![1; n],
        }
    }

    /// The representative of `x`, halving the path on the way.
    pub fn find(&mut self, mut x: u32) -> u32 {
        while self.parent[x as usize] != x {
            let p = self.parent[x as usize];
            self.parent[x as usize] = self.parent[p as usize];
            x = self.parent[x as usize];
        }
        x
    }

    /// Merges the sets of `a` and `b`; false if they already were one.
    pub fn union(&mut self, a: u32, b: u32) -> bool {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra == rb {
            return false;
        }
        let (big, small) = if self.size[ra as usize] >= self.size[rb as usize] {
            (ra, rb)
        } else {
            (rb, ra)
        };
        self.parent[small as usize] = big;
        self.size[big as usize] += self.size[small as usize];
        true
    }

    /// For every element, the smallest element of its set.
    pub fn min_labels(&mut self) -> Vec<u32> {
        let n = self.parent.len();
        let mut min_of_root = vec![u32::MAX; n];
        for x in 0..n as u32 {
            let r = self.find(x) as usize;
            if x < min_of_root[r] {
                min_of_root[r] = x;
            }
        }
        (0..n as u32)
            .map(|x| {
                let r = self.find(x) as usize;
                min_of_root[r]
            })
            .collect()
    }
}

/// Labels components with union-find: nodes must be dense ids `0..n`.
pub async fn run(
    ctx: &SessionContext,
    nodes_table: &str,
    edges_table: &str,
    out_table: &str,
    work_dir: &str,
) -> Result<CcStats> {
    let n: usize = {
        let batches = ctx
            .sql(&format!(
                "SELECT count(*) AS n, max(id) AS m FROM {nodes_table}"
            ))
            .await?
            .collect()
            .await?;
        let b = batches
            .first()
            .ok_or_else(|| ClusterError::Internal("no node count".into()))?;
        let count = b.column(0).as_primitive::<Int64Type>().value(0) as usize;
        let max = b.column(1).as_primitive::<Int64Type>();
        if count > 0 && (max.is_null(0) || max.value(0) as usize != count - 1) {
            return Err(ClusterError::Internal(format!(
                "{nodes_table}: ids are not dense 0..{count}"
            )));
        }
        if count > u32::MAX as usize {
            return Err(ClusterError::Internal(format!(
                "{count} nodes exceed the union-find's u32 ids; use engine = \"star\""
            )));
        }
        count
    };
    let mut uf = UnionFind::new(n);
    let mut edges = 0usize;
    let mut stream = ctx
        .sql(&format!("SELECT a, b FROM {edges_table}"))
        .await?
        .execute_stream()
        .await?;
    while let Some(batch) = stream.next().await {
        let batch = batch?;
        let a = batch.column(0).as_primitive::<Int64Type>();
        let b = batch.column(1).as_primitive::<Int64Type>();
        for i in 0..batch.num_rows() {
            let (x, y) = (a.value(i), b.value(i));
            if x < 0 || y < 0 || x as usize >= n || y as usize >= n {
                return Err(ClusterError::Internal(format!(
                    "{edges_table}: edge ({x}, {y}) names a node outside 0..{n}"
                )));
            }
            uf.union(x as u32, y as u32);
            edges += 1;
        }
    }
    let labels = uf.min_labels();
    let schema = Arc::new(Schema::new(vec![
        Field::new("id", DataType::Int64, false),
        Field::new("root", DataType::Int64, false),
    ]));
    let batch = RecordBatch::try_new(
        Arc::clone(&schema),
        vec![
            Arc::new(Int64Array::from_iter_values(0..n as i64)),
            Arc::new(Int64Array::from_iter_values(
                labels.iter().map(|x| *x as i64),
            )),
        ],
    )?;
    // Written as Parquet (not kept as a memory table) so that later steps also run when
    // the session is a Ballista client.
    chainstat_io::register_batches(ctx, out_table, schema, vec![batch], Some(work_dir))
        .await
        .map_err(|e| ClusterError::Internal(format!("{out_table}: {e}")))?;
    Ok(CcStats {
        nodes: n,
        edges,
        iterations: 1,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn min_labels() {
        let mut uf = UnionFind::new(6);
        uf.union(5, 3);
        uf.union(3, 4);
        uf.union(1, 2);
        assert_eq!(uf.min_labels(), vec![0, 1, 1, 3, 3, 3]);
        assert!(!uf.union(4, 5));
    }
}
