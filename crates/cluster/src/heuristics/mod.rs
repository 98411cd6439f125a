//! Address-clustering heuristics, one file each. Every heuristic is a SQL query over
//! the canonical views (and `labels`) producing edges
//! `(chain, address_a, address_b, heuristic, evidence, detail)`: `evidence` is the
//! transaction (or label source) that justifies the link, so every merge can be
//! explained. Edges are stars (each address linked to one root) rather than cliques,
//! which keeps them linear in the number of addresses.

pub mod change;
pub mod deposit_reuse;
pub mod multi_input;
pub mod seed_labels;
pub mod treasury;

use crate::params::ClusterParams;

/// The SQL union of every enabled heuristic's edges (an empty typed select if none).
/// With `deposit_reuse` on, it reads the tables [`deposit_reuse::DEPOSITS_TABLE`] and
/// [`deposit_reuse::SENDERS_TABLE`], which the caller materialises first (see
/// [`deposit_reuse`]); with `multi_input` on and a CoinJoin rule enabled,
/// [`multi_input::COINJOINS_TABLE`]; with `treasury` on, [`treasury::TABLE`], materialised from
/// [`treasury::sql`] and [`treasury::utxo_sql`] (as part of one plan, the edges' plan
/// grew deep enough to overflow a thread's stack in DataFusion's optimizer).
///
/// With a `pass` (one of several whose union is all edges): the multi-input and change
/// edges of that pass's slice of transactions, the deposit senders' edges of its slice
/// of deposit addresses, and in the first pass the label and treasury edges (few: one
/// per labelled address or treasury wallet).
pub fn edges_sql(p: &ClusterParams, pass: Option<chainstat_engine::passes::Pass>) -> String {
    let first = pass.is_none_or(|pass| pass.index == 0);
    let mut parts = Vec::new();
    if p.multi_input {
        let coinjoins = multi_input::any_rule(p).then_some(multi_input::COINJOINS_TABLE);
        parts.push(multi_input::sql(pass, coinjoins));
    }
    if p.change {
        parts.push(change::sql(p, pass));
    }
    if p.deposit_reuse {
        parts.extend(deposit_reuse::sql(
            deposit_reuse::DEPOSITS_TABLE,
            deposit_reuse::SENDERS_TABLE,
            pass,
        ));
    }
    if p.seed_labels && first {
        parts.push(seed_labels::sql());
    }
    if p.treasury && first {
        parts.push(format!("SELECT * FROM {}", treasury::TABLE));
    }
    if parts.is_empty() {
        return "SELECT CAST(NULL AS VARCHAR) AS chain, CAST(NULL AS VARCHAR) AS address_a, \
                CAST(NULL AS VARCHAR) AS address_b, CAST(NULL AS VARCHAR) AS heuristic, \
                CAST(NULL AS VARCHAR) AS evidence, CAST(NULL AS VARCHAR) AS detail WHERE false"
            .into();
    }
    parts
        .into_iter()
        .map(|s| format!("({s})"))
        .collect::<Vec<_>>()
        .join(" UNION ALL ")
}

/// The CoinJoin-like transactions under `p` (chain, tx_hash, rule), or an empty select.
pub fn coinjoin_sql(p: &ClusterParams) -> String {
    multi_input::coinjoin_sql(p, None)
}
