//! Clustering parameters, with the published defaults. Every heuristic can be switched
//! off; the config file's `[cluster]` section maps onto [`ClusterParams`].

use serde::{Deserialize, Serialize};

/// Which connected-components engine to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum CcEngine {
    /// In-process union-find over integer ids (fast path, one machine).
    #[default]
    UnionFind,
    /// Alternating large-star / small-star as DataFusion plans with Parquet
    /// checkpoints (runs on Ballista; data can exceed memory).
    Star,
}

/// All clustering parameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ClusterParams {
    /// Common-input-ownership on UTXO chains.
    pub multi_input: bool,
    /// CoinJoin exclusion rule: `blocksci` (BlockSci / GraphSense) or `off`.
    pub coinjoin_rule: String,
    /// CoinJoin: minimum inputs.
    pub coinjoin_min_inputs: i64,
    /// CoinJoin: minimum outputs.
    pub coinjoin_min_outputs: i64,
    /// CoinJoin: output values that are dust markers, not mixing denominations.
    pub coinjoin_ignored_values: Vec<i64>,
    /// Change-address heuristic (off by default: its precision depends on wallet
    /// software habits and is the classic source of false merges).
    pub change: bool,
    /// Change: values that are multiples of this many satoshi count as "round".
    pub change_round_sat: i64,
    /// Deposit-address reuse on account chains (Victor, FC 2020).
    pub deposit_reuse: bool,
    /// Deposit: forward must happen within this many seconds after the receipt.
    pub deposit_window_seconds: i64,
    /// Deposit: when times are unknown, within this many blocks.
    pub deposit_window_blocks: i64,
    /// Deposit: forwarded amount ≥ (1 − tolerance) × received amount.
    pub deposit_amount_tolerance: f64,
    /// Deposit: build the deposit self-join in this many passes (slices of the deposit
    /// addresses), bounding its hash table; 0 = one pass, or under a memory limit as
    /// many as keep it within a quarter of the limit.
    pub deposit_passes: usize,
    /// Build the joins of edges and cluster members with the node table (one row per
    /// address) in this many passes (slices of addresses or cluster roots); 0 = one
    /// pass, or under a memory limit as many as keep each within a quarter of the limit.
    pub node_passes: usize,
    /// Label categories that make an address an exchange wallet for deposits.
    pub exchange_categories: Vec<String>,
    /// Seed labels: addresses with the same entity label are one entity.
    pub seed_labels: bool,
    /// Clusters larger than this are reported in `cluster_warnings`, and their
    /// bridges examined.
    pub max_cluster_size: i64,
    /// A bridge in a big cluster is a `merge_bridge` when both sides have at least
    /// this many addresses.
    pub bridge_min_side: u64,
    /// `report` (warn only) or `refuse` (drop merge bridges and recompute).
    pub supercluster_policy: String,
    /// Connected-components engine.
    pub engine: CcEngine,
    /// Safety stop for the iterative engine.
    pub max_iterations: usize,
}

impl Default for ClusterParams {
    fn default() -> Self {
        Self {
            multi_input: true,
            coinjoin_rule: "blocksci".into(),
            coinjoin_min_inputs: 2,
            coinjoin_min_outputs: 3,
            coinjoin_ignored_values: vec![546, 2730],
            change: false,
            change_round_sat: 100_000,
            deposit_reuse: true,
            deposit_window_seconds: 86_400,
            deposit_window_blocks: 7_200,
            deposit_amount_tolerance: 0.05,
            deposit_passes: 0,
            node_passes: 0,
            exchange_categories: vec!["exchange".into()],
            seed_labels: true,
            max_cluster_size: 100_000,
            bridge_min_side: 1_000,
            supercluster_policy: "report".into(),
            engine: CcEngine::UnionFind,
            max_iterations: 100,
        }
    }
}
