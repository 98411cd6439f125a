//! Common-input-ownership (Nakamoto 2008; Meiklejohn et al. 2013): the input addresses
//! of one transaction are controlled by one entity — except in CoinJoins, where several
//! users sign one transaction on purpose.
//!
//! CoinJoins are recognised by named rules (`coinjoin_rules`), each from the published
//! shape of one implementation; a transaction any enabled rule recognises links nothing,
//! and is attributed to the first rule (in [`CoinJoinRule::ALL`]'s order) for the counts
//! in the manifest. Treating an equal-output batch payment as a CoinJoin loses recall,
//! never precision, so the rules err towards exclusion. With `n_in` inputs from `n_addr`
//! distinct addresses, `n_out` outputs whose most common value (`mode`, the smallest on a
//! tie, never a dust marker in `coinjoin_ignored_values`) occurs `m` times:
//!
//! | rule | test |
//! |---|---|
//! | `whirlpool` | `n_in` = `n_addr` = `n_out` = `m` = 5 and `mode` is a pool denomination (`whirlpool_pools`) |
//! | `wasabi1` | `m` ≥ `wasabi1_min_equal`, `n_addr` ≥ `m`, `n_out` > `m` (change, the coordinator fee) |
//! | `wabisabi` | `n_in` ≥ `wabisabi_min_inputs`, `n_out` ≥ `wabisabi_min_outputs`, at least half the outputs at standard denominations (2^k, 3^k, 2·3^k, 10^k, 2·10^k, 5·10^k sat, ≥ 5 000) |
//! | `joinmarket` | `m` ≥ `coinjoin_min_equal`, 2`m` − 1 ≤ `n_out` ≤ 2`m`, `n_addr` ≥ `m` |
//! | `blocksci` | `n_in` ≥ `coinjoin_min_inputs`, `n_out` ≥ `coinjoin_min_outputs`, p = (`n_out` + 1) / 2 ≤ `n_in` and ≤ `n_addr`, `m` = p (BlockSci, GraphSense) |
//! | `generic` | `m` ≥ `coinjoin_min_equal` and `n_addr` ≥ `coinjoin_min_equal` |
//!
//! BlockSci's exact count alone misses a Wasabi 1 round: n equal outputs, up to n change
//! outputs and one coordinator-fee output give p = n + 1 ≠ n. Inputs without a single
//! standard address (bare multisig, non-standard) link nothing.

use crate::params::{ClusterParams, CoinJoinRule};
use chainstat_engine::passes::Pass;

/// Per transaction and input address (NULL: inputs without a single standard address),
/// how many inputs: `(chain, tx_hash, address, n)`. Both the edges and the CoinJoin test
/// are about distinct input addresses, so the inputs are grouped once, here.
fn input_addresses_sql(ins: &str) -> String {
    format!(
        "SELECT chain, tx_hash, address, count(*) AS n FROM {ins} GROUP BY chain, tx_hash, address"
    )
}

/// Per transaction, from [`input_addresses_sql`]: the smallest input address (`root`),
/// the distinct input addresses (`n_addr`) and the inputs (`n_in`).
fn input_totals_sql(ins: &str) -> String {
    format!(
        "SELECT chain, tx_hash, min(address) AS root, count(address) AS n_addr, sum(n) AS n_in \
         FROM ({}) GROUP BY chain, tx_hash",
        input_addresses_sql(ins)
    )
}

/// WabiSabi's standard denominations from 5 000 sat up to 21M BTC: powers of 2 and of 3,
/// twice the powers of 3, and 1, 2 and 5 times the powers of 10 (Wasabi 2's
/// decomposition), ascending.
pub fn standard_denominations() -> Vec<i64> {
    const MAX: i64 = 2_100_000_000_000_000;
    let mut out = Vec::new();
    for (base, factors) in [(2i64, &[1i64][..]), (3, &[1, 2]), (10, &[1, 2, 5])] {
        let mut p: i64 = 1;
        while p <= MAX {
            for f in factors {
                let v = p.saturating_mul(*f);
                if (5_000..=MAX).contains(&v) {
                    out.push(v);
                }
            }
            p = p.saturating_mul(base);
        }
    }
    out.sort_unstable();
    out.dedup();
    out
}

fn list(values: &[i64]) -> String {
    if values.is_empty() {
        return "-1".into();
    }
    values
        .iter()
        .map(|v| v.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Per transaction with outputs: the outputs (`n_out`), how often its most common value
/// occurs (`mode_count`) and that value, the smallest on a tie (`mode_value`), and the
/// outputs at WabiSabi's standard denominations (`n_std`). Dust-marker values are not
/// candidates for the mode. One grouping by (transaction, value), then one by
/// transaction: the counts per value are what the mode is taken over.
fn output_totals_sql(p: &ClusterParams, outs: &str) -> String {
    let dust = list(&p.coinjoin_ignored_values);
    let std = list(&standard_denominations());
    format!(
        "SELECT chain, tx_hash, sum(c) AS n_out, \
                COALESCE(max(CASE WHEN NOT dust THEN c END), 0) AS mode_count, \
                first_value(CASE WHEN NOT dust THEN value_sat END \
                            ORDER BY dust ASC, c DESC, value_sat ASC) AS mode_value, \
                sum(CASE WHEN value_sat IN ({std}) THEN c ELSE 0 END) AS n_std \
         FROM (SELECT chain, tx_hash, value_sat, count(*) AS c, \
                      COALESCE(value_sat IN ({dust}), false) AS dust FROM {outs} \
               GROUP BY chain, tx_hash, value_sat) \
         GROUP BY chain, tx_hash"
    )
}

/// One rule's test over `i` (a row of [`input_totals_sql`]) and `o` (of
/// [`output_totals_sql`]).
fn rule_condition(p: &ClusterParams, rule: CoinJoinRule) -> String {
    let k = p.coinjoin_min_equal;
    match rule {
        CoinJoinRule::Whirlpool => format!(
            "i.n_in = 5 AND i.n_addr = 5 AND o.n_out = 5 AND o.mode_count = 5 \
             AND o.mode_value IN ({})",
            list(&p.whirlpool_pools)
        ),
        CoinJoinRule::Wasabi1 => format!(
            "o.mode_count >= {} AND i.n_addr >= o.mode_count AND o.n_out > o.mode_count",
            p.wasabi1_min_equal
        ),
        CoinJoinRule::Wabisabi => format!(
            "i.n_in >= {} AND o.n_out >= {} AND 2 * o.n_std >= o.n_out",
            p.wabisabi_min_inputs, p.wabisabi_min_outputs
        ),
        CoinJoinRule::Joinmarket => format!(
            "o.mode_count >= {k} AND o.n_out >= 2 * o.mode_count - 1 \
             AND o.n_out <= 2 * o.mode_count AND i.n_addr >= o.mode_count"
        ),
        CoinJoinRule::Blocksci => format!(
            "i.n_in >= {min_in} AND o.n_out >= {min_out} \
             AND (o.n_out + 1) / 2 <= i.n_in AND (o.n_out + 1) / 2 <= i.n_addr \
             AND o.mode_count = (o.n_out + 1) / 2",
            min_in = p.coinjoin_min_inputs,
            min_out = p.coinjoin_min_outputs,
        ),
        CoinJoinRule::Generic => format!("o.mode_count >= {k} AND i.n_addr >= {k}"),
    }
}

/// The enabled rules in attribution order.
fn enabled(p: &ClusterParams) -> Vec<CoinJoinRule> {
    CoinJoinRule::ALL
        .into_iter()
        .filter(|r| p.coinjoin_rules.contains(r))
        .collect()
}

/// The name of the first enabled rule that recognises the transaction, else NULL;
/// `None` when no rule is enabled. NULL inputs (no outputs) recognise nothing.
fn rule_case(p: &ClusterParams) -> Option<String> {
    let rules = enabled(p);
    if rules.is_empty() {
        return None;
    }
    let whens: Vec<String> = rules
        .iter()
        .map(|r| {
            format!(
                "WHEN COALESCE({}, false) THEN '{}'",
                rule_condition(p, *r),
                r.name()
            )
        })
        .collect();
    Some(format!("CASE {} END", whens.join(" ")))
}

/// CoinJoin-like transactions: `(chain, tx_hash, rule)`, `rule` the first enabled rule
/// that recognises it, among the transactions with two or more input addresses (the only
/// ones that link anything); with a `pass`, those in its slice of transaction hashes
/// (every test here is about one transaction).
pub fn coinjoin_sql(p: &ClusterParams, pass: Option<Pass>) -> String {
    let Some(case) = rule_case(p) else {
        return "SELECT CAST(NULL AS VARCHAR) AS chain, CAST(NULL AS VARCHAR) AS tx_hash, \
                CAST(NULL AS VARCHAR) AS rule WHERE false"
            .into();
    };
    let ins = Pass::restrict(pass, "utxo_inputs", "tx_hash");
    let outs = Pass::restrict(pass, "utxo_outputs", "tx_hash");
    format!(
        "SELECT chain, tx_hash, rule FROM (SELECT i.chain, i.tx_hash, {case} AS rule \
         FROM (SELECT * FROM ({}) WHERE n_addr >= 2) i \
         JOIN ({}) o ON i.chain = o.chain AND i.tx_hash = o.tx_hash) \
         WHERE rule IS NOT NULL",
        input_totals_sql(&ins),
        output_totals_sql(p, &outs)
    )
}

/// The table the clustering pipeline materialises [`coinjoin_sql`] into: the edges
/// leave its transactions out, and the manifest counts it per rule. (Evaluated inside
/// the edges' plan, the rules' expressions overflowed a thread's stack in DataFusion's
/// optimizer in debug builds.)
pub const COINJOINS_TABLE: &str = "cl_coinjoins";

/// Edges: every input address of a transaction with two or more input addresses to the
/// transaction's smallest input address, except the CoinJoins in `coinjoins` (a table
/// of [`coinjoin_sql`]'s columns; `None` when no rule is enabled); with a `pass`, of the
/// transactions in its slice.
pub fn sql(pass: Option<Pass>, coinjoins: Option<&str>) -> String {
    let ins = Pass::restrict(pass, "utxo_inputs", "tx_hash");
    let edges = format!(
        "SELECT u.chain, i.root AS address_a, u.address AS address_b, 'multi_input' AS heuristic, \
                u.tx_hash AS evidence, CAST(NULL AS VARCHAR) AS detail \
         FROM ({}) u \
         JOIN (SELECT * FROM ({}) WHERE n_addr >= 2) i ON u.chain = i.chain AND u.tx_hash = i.tx_hash \
         WHERE u.address IS NOT NULL AND u.address <> i.root",
        input_addresses_sql(&ins),
        input_totals_sql(&ins),
    );
    match coinjoins {
        Some(cj) => format!(
            "SELECT e.* FROM {cj} cj RIGHT ANTI JOIN ({edges}) e \
             ON cj.chain = e.chain AND cj.tx_hash = e.evidence"
        ),
        None => edges,
    }
}

/// Whether any CoinJoin rule is enabled (else [`COINJOINS_TABLE`] is not needed).
pub fn any_rule(p: &ClusterParams) -> bool {
    !enabled(p).is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standard_denominations_are_the_wabisabi_series() {
        let d = standard_denominations();
        for v in [
            5_000,
            8_192,
            6_561,
            13_122,
            10_000,
            20_000,
            50_000,
            100_000_000,
        ] {
            assert!(d.contains(&v), "{v}");
        }
        for v in [4_096, 7_000, 30_000, 99_999] {
            assert!(!d.contains(&v), "{v}");
        }
        assert!(d.windows(2).all(|w| w[0] < w[1]));
    }
}
