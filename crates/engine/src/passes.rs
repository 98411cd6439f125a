//! Running a query in passes over disjoint slices of its keys, so that each pass holds
//! a fraction of the query's hash tables: DataFusion 55's hash joins cannot spill, so
//! under a memory limit a join whose build side outgrows the pool must be cut up by
//! its key. A slice is the rows whose key hashes (`key_hash`, the same 64-bit hash in
//! every process) into it; the passes' results are disjoint and their union is the
//! whole result whenever every output row follows from a single key.

use datafusion::execution::memory_pool::MemoryLimit;
use datafusion::prelude::SessionContext;

/// One of `of` passes: `index` in `0..of`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pass {
    /// This pass.
    pub index: usize,
    /// Number of passes.
    pub of: usize,
}

impl Pass {
    /// SQL predicate: `key` (a column expression) falls in this pass's slice.
    pub fn predicate(&self, key: &str) -> String {
        format!("(abs(key_hash({key}) % {}) = {})", self.of, self.index)
    }

    /// `table` restricted to this pass's slice of `key`, as a derived table.
    pub fn restrict(pass: Option<Pass>, table: &str, key: &str) -> String {
        match pass {
            Some(pass) => format!("(SELECT * FROM {table} WHERE {})", pass.predicate(key)),
            None => table.to_string(),
        }
    }

    /// `AND` this pass's predicate on `key`, or nothing without a pass.
    pub fn and(pass: Option<Pass>, key: &str) -> String {
        pass.map(|p| format!(" AND {}", p.predicate(key)))
            .unwrap_or_default()
    }

    /// The passes of a run in `of` passes: `[None]` (no slicing) for one.
    pub fn all(of: usize) -> Vec<Option<Pass>> {
        match of {
            0 | 1 => vec![None],
            of => (0..of).map(|index| Some(Pass { index, of })).collect(),
        }
    }
}

/// The session has a memory limit (so passes may be needed).
pub fn bounded(ctx: &SessionContext) -> bool {
    matches!(
        ctx.runtime_env().memory_pool.memory_limit(),
        MemoryLimit::Finite(_)
    )
}

/// How many passes keep `bytes` of hash tables within a quarter of the session's memory
/// limit each (the rest is for the operators that spill and what runs beside them);
/// one without a limit.
pub fn needed(ctx: &SessionContext, bytes: u64) -> usize {
    match ctx.runtime_env().memory_pool.memory_limit() {
        MemoryLimit::Finite(limit) => {
            let budget = (limit as u64 / 4).max(1);
            bytes.div_ceil(budget).max(1) as usize
        }
        _ => 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passes_partition_by_hash_and_one_pass_is_no_slice() {
        assert_eq!(Pass::all(1), vec![None]);
        assert_eq!(Pass::all(3).len(), 3);
        assert_eq!(
            Pass { index: 2, of: 5 }.predicate("t.tx_hash"),
            "(abs(key_hash(t.tx_hash) % 5) = 2)"
        );
        let p = Some(Pass { index: 1, of: 2 });
        assert_eq!(
            Pass::restrict(p, "utxo_inputs", "tx_hash"),
            "(SELECT * FROM utxo_inputs WHERE (abs(key_hash(tx_hash) % 2) = 1))"
        );
        assert_eq!(
            Pass::restrict(None, "utxo_inputs", "tx_hash"),
            "utxo_inputs"
        );
        assert_eq!(
            Pass::and(p, "c.root"),
            " AND (abs(key_hash(c.root) % 2) = 1)"
        );
        assert_eq!(Pass::and(None, "c.root"), "");
        let ctx = SessionContext::new();
        assert!(!bounded(&ctx));
        assert_eq!(needed(&ctx, u64::MAX / 2), 1, "unbounded: one pass");
    }
}
