//! Clustering parameters, with the published defaults. Every heuristic can be switched
//! off; the config file's `[cluster]` section maps onto [`ClusterParams`]. Settings with
//! a fixed set of values are enums, so a typo fails when the config is loaded.

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

/// A rule that recognises a CoinJoin (several owners signing one transaction), whose
/// inputs the multi-input heuristic must then not merge. See
/// `heuristics::multi_input` for each rule's exact test.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CoinJoinRule {
    /// Samourai Whirlpool: 5 inputs, 5 equal outputs at a pool denomination.
    Whirlpool,
    /// Wasabi 1.x (ZeroLink): many equal outputs plus change and a coordinator fee.
    Wasabi1,
    /// Wasabi 2 (WabiSabi): many inputs and outputs at standard denominations.
    Wabisabi,
    /// JoinMarket: n ≥ 3 equal outputs and n − 1 to n change outputs.
    Joinmarket,
    /// BlockSci / GraphSense: the most common output value occurs exactly
    /// (outputs + 1) / 2 times.
    Blocksci,
    /// Any transaction with ≥ k equal-value outputs and ≥ k distinct input addresses.
    Generic,
}

impl CoinJoinRule {
    /// Every rule, in the order a transaction is attributed to the first that matches.
    pub const ALL: [CoinJoinRule; 6] = [
        CoinJoinRule::Whirlpool,
        CoinJoinRule::Wasabi1,
        CoinJoinRule::Wabisabi,
        CoinJoinRule::Joinmarket,
        CoinJoinRule::Blocksci,
        CoinJoinRule::Generic,
    ];

    /// The name used in the config, the manifest and `cluster_warnings`.
    pub fn name(self) -> &'static str {
        match self {
            CoinJoinRule::Whirlpool => "whirlpool",
            CoinJoinRule::Wasabi1 => "wasabi1",
            CoinJoinRule::Wabisabi => "wabisabi",
            CoinJoinRule::Joinmarket => "joinmarket",
            CoinJoinRule::Blocksci => "blocksci",
            CoinJoinRule::Generic => "generic",
        }
    }
}

/// What to do with a supercluster the guardrail finds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum SuperclusterPolicy {
    /// Warn in `cluster_warnings`, the manifest and the report; keep the links.
    #[default]
    Report,
    /// Also drop the links found to weld it (merge bridges, hub evidence) and recompute.
    Refuse,
}

/// All clustering parameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ClusterParams {
    /// Common-input-ownership on UTXO chains.
    pub multi_input: bool,
    /// CoinJoin rules: a transaction any of them recognises merges nothing. Empty: none.
    pub coinjoin_rules: Vec<CoinJoinRule>,
    /// BlockSci rule: minimum inputs.
    pub coinjoin_min_inputs: i64,
    /// BlockSci rule: minimum outputs.
    pub coinjoin_min_outputs: i64,
    /// Output values that are dust markers, not mixing denominations (every rule).
    pub coinjoin_ignored_values: Vec<i64>,
    /// Generic and JoinMarket rules: at least this many equal-value outputs (k).
    pub coinjoin_min_equal: i64,
    /// Wasabi 1 rule: at least this many equal outputs.
    pub wasabi1_min_equal: i64,
    /// WabiSabi rule: at least this many inputs and this many outputs.
    pub wabisabi_min_inputs: i64,
    /// WabiSabi rule: at least this many outputs.
    pub wabisabi_min_outputs: i64,
    /// Whirlpool rule: the pools' denominations in satoshi.
    pub whirlpool_pools: Vec<i64>,
    /// Change-address heuristic (off by default: its precision depends on wallet
    /// software habits and is the classic source of false merges).
    pub change: bool,
    /// Change: values that are multiples of this many satoshi count as "round".
    pub change_round_sat: i64,
    /// Deposit-address reuse on account chains (Victor, FC 2020).
    pub deposit_reuse: bool,
    /// Deposit: forward must happen within this many seconds after the receipt.
    pub deposit_window_seconds: i64,
    /// No longer read: rows without a time use `deposit_window_seconds` turned into each
    /// chain's blocks (`chainstat_chain::window_blocks`); set, it is a config error that
    /// says so, rather than a window silently ignored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deposit_window_blocks: Option<i64>,
    /// Deposit: forwarded amount within (1 ± tolerance) × received amount.
    pub deposit_amount_tolerance: f64,
    /// Deposit: a receipt counts only when worth at least this many USD on its day
    /// (dust floor); needs the job's prices, see `heuristics::deposit_reuse`.
    pub deposit_min_usd: f64,
    /// A sender into deposit addresses of at least this many entities is a service
    /// (exchange hot wallet, payment processor, airdropper), never a co-depositor.
    pub service_min_entities: i64,
    /// … or into at least this many deposit addresses.
    pub service_min_deposits: i64,
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
    /// Unlabelled internal (treasury, cold) wallets of an exchange on account chains.
    pub treasury: bool,
    /// Treasury: at least this share of the address's value in and of its value out
    /// moves from and to one exchange's labelled wallets, per asset.
    pub treasury_min_share: f64,
    /// Treasury: at least this many transfers from, and as many to, those wallets. One
    /// round trip suffices by default: at 8,000 generated transfers a hidden Bitcoin cold
    /// wallet moved once each way, 27 times its exchange's customer inflow; a customer
    /// pays a deposit address, not the exchange's own wallets.
    pub treasury_min_transfers: i64,
    /// Seed labels: addresses with the same entity label are one entity.
    pub seed_labels: bool,
    /// Clusters larger than this are reported in `cluster_warnings`, and their
    /// bridges examined.
    pub max_cluster_size: i64,
    /// An unlabelled cluster holding more than this share of its chain's addresses is
    /// a supercluster.
    pub supercluster_share: f64,
    /// An unlabelled cluster at least this many times the next-largest unlabelled one
    /// on its chain is a supercluster.
    pub supercluster_ratio: f64,
    /// Clusters smaller than this are never superclusters (small data).
    pub supercluster_min_size: i64,
    /// In a supercluster, an address linked through at least this many distinct pieces
    /// of evidence, or a piece of evidence linking at least this many addresses, is a hub.
    pub hub_min_links: i64,
    /// A bridge in a big cluster is a `merge_bridge` when both sides have at least
    /// this many addresses.
    pub bridge_min_side: u64,
    /// What to do with superclusters and merge bridges.
    pub supercluster_policy: SuperclusterPolicy,
    /// Connected-components engine.
    pub engine: CcEngine,
    /// Safety stop for the iterative engine.
    pub max_iterations: usize,
}

impl Default for ClusterParams {
    fn default() -> Self {
        Self {
            multi_input: true,
            coinjoin_rules: CoinJoinRule::ALL.to_vec(),
            coinjoin_min_inputs: 2,
            coinjoin_min_outputs: 3,
            coinjoin_ignored_values: vec![546, 2730],
            coinjoin_min_equal: 3,
            wasabi1_min_equal: 10,
            wabisabi_min_inputs: 50,
            wabisabi_min_outputs: 50,
            whirlpool_pools: vec![100_000, 1_000_000, 5_000_000, 50_000_000],
            change: false,
            change_round_sat: 100_000,
            deposit_reuse: true,
            deposit_window_seconds: 86_400,
            deposit_window_blocks: None,
            deposit_amount_tolerance: 0.05,
            deposit_min_usd: 1.0,
            service_min_entities: 3,
            service_min_deposits: 20,
            deposit_passes: 0,
            node_passes: 0,
            exchange_categories: vec!["exchange".into()],
            treasury: true,
            treasury_min_share: 0.95,
            treasury_min_transfers: 1,
            seed_labels: true,
            max_cluster_size: 100_000,
            supercluster_share: 0.01,
            supercluster_ratio: 10.0,
            supercluster_min_size: 100,
            hub_min_links: 20,
            bridge_min_side: 1_000,
            supercluster_policy: SuperclusterPolicy::Report,
            engine: CcEngine::UnionFind,
            max_iterations: 100,
        }
    }
}

impl ClusterParams {
    /// Checks values a type cannot: shares in 0..=1, positive counts. Called when the
    /// config is loaded, so a bad value fails before any work is done.
    pub fn validate(&self) -> Result<(), String> {
        let share = |name: &str, v: f64| {
            if (0.0..=1.0).contains(&v) {
                Ok(())
            } else {
                Err(format!("[cluster] {name} must be between 0 and 1, got {v}"))
            }
        };
        if let Some(b) = self.deposit_window_blocks {
            return Err(format!(
                "[cluster] deposit_window_blocks = {b} is no longer read: the deposit window is \
                 deposit_window_seconds, turned into blocks per chain (Ethereum 12 s, TRON 3 s, …) \
                 for rows without a time; remove the key"
            ));
        }
        share("deposit_amount_tolerance", self.deposit_amount_tolerance)?;
        share("treasury_min_share", self.treasury_min_share)?;
        share("supercluster_share", self.supercluster_share)?;
        let positive = |name: &str, v: i64| {
            if v >= 1 {
                Ok(())
            } else {
                Err(format!("[cluster] {name} must be at least 1, got {v}"))
            }
        };
        positive("coinjoin_min_equal", self.coinjoin_min_equal)?;
        positive("wasabi1_min_equal", self.wasabi1_min_equal)?;
        positive("service_min_entities", self.service_min_entities)?;
        positive("service_min_deposits", self.service_min_deposits)?;
        positive("treasury_min_transfers", self.treasury_min_transfers)?;
        positive("hub_min_links", self.hub_min_links)?;
        if !(self.deposit_min_usd.is_finite() && self.deposit_min_usd >= 0.0) {
            return Err(format!(
                "[cluster] deposit_min_usd must be a number ≥ 0, got {}",
                self.deposit_min_usd
            ));
        }
        if !(self.supercluster_ratio.is_finite() && self.supercluster_ratio > 1.0) {
            return Err(format!(
                "[cluster] supercluster_ratio must be above 1, got {}",
                self.supercluster_ratio
            ));
        }
        Ok(())
    }
}
