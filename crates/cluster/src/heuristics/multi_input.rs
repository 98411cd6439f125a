//! Common-input-ownership (Nakamoto 2008; Meiklejohn et al. 2013): the input addresses
//! of one transaction are controlled by one entity — except in CoinJoins, where several
//! users sign one transaction on purpose.
//!
//! CoinJoin rule (`coinjoin_rule = "blocksci"`, as BlockSci and GraphSense use it): at
//! least 2 inputs and 3 outputs; with p = (outputs + 1) / 2 (integer division), p ≤
//! inputs and p ≤ distinct input addresses; the most common output value occurs exactly
//! p times and is not a dust marker (546 or 2730 sat). When several values tie for most
//! common, the smallest is taken (BlockSci takes an arbitrary one). Inputs without a
//! single standard address (bare multisig, non-standard) link nothing.

use crate::params::ClusterParams;
use crate::passes::Pass;

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

/// Per transaction with outputs: the outputs (`n_out`), how often its most common value
/// occurs (`mode_count`) and that value, the smallest on a tie (`mode_value`). One
/// grouping by (transaction, value), then one by transaction: the counts per value are
/// what the mode is taken over.
fn output_totals_sql(outs: &str) -> String {
    format!(
        "SELECT chain, tx_hash, sum(c) AS n_out, max(c) AS mode_count, \
                first_value(value_sat ORDER BY c DESC, value_sat ASC) AS mode_value \
         FROM (SELECT chain, tx_hash, value_sat, count(*) AS c FROM {outs} \
               GROUP BY chain, tx_hash, value_sat) \
         GROUP BY chain, tx_hash"
    )
}

/// The CoinJoin test over `i` (a row of [`input_totals_sql`]) and `o` (of
/// [`output_totals_sql`]); `None` when the rule is off. NULL (no outputs, or a mode
/// value that is NULL) is not a CoinJoin.
fn coinjoin_condition(p: &ClusterParams) -> Option<String> {
    if p.coinjoin_rule == "off" {
        return None;
    }
    let dust = if p.coinjoin_ignored_values.is_empty() {
        "-1".to_string()
    } else {
        p.coinjoin_ignored_values
            .iter()
            .map(|v| v.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    };
    Some(format!(
        "i.n_in >= {min_in} AND o.n_out >= {min_out} \
         AND (o.n_out + 1) / 2 <= i.n_in AND (o.n_out + 1) / 2 <= i.n_addr \
         AND o.mode_count = (o.n_out + 1) / 2 AND o.mode_value NOT IN ({dust})",
        min_in = p.coinjoin_min_inputs,
        min_out = p.coinjoin_min_outputs,
    ))
}

/// CoinJoin-like transactions: `(chain, tx_hash)`; with a `pass`, those in its slice of
/// transaction hashes (every test here is about one transaction).
pub fn coinjoin_sql(p: &ClusterParams, pass: Option<Pass>) -> String {
    let Some(cond) = coinjoin_condition(p) else {
        return "SELECT CAST(NULL AS VARCHAR) AS chain, CAST(NULL AS VARCHAR) AS tx_hash WHERE false"
            .into();
    };
    let ins = Pass::restrict(pass, "utxo_inputs", "tx_hash");
    let outs = Pass::restrict(pass, "utxo_outputs", "tx_hash");
    format!(
        "SELECT i.chain, i.tx_hash FROM ({}) i JOIN ({}) o \
           ON i.chain = o.chain AND i.tx_hash = o.tx_hash \
         WHERE {cond}",
        input_totals_sql(&ins),
        output_totals_sql(&outs)
    )
}

/// Edges: every input address of a non-CoinJoin transaction to the transaction's
/// smallest input address; with a `pass`, of the transactions in its slice.
///
/// The CoinJoin test is applied to the transactions with two or more input addresses
/// only, on the totals the edges need anyway: grouping the inputs once per use (the
/// edges' distinct addresses, their root, the test's counts) took 4.2 s of the 10M
/// benchmark's 7.2 s edge step; this takes 2.6 s.
pub fn sql(p: &ClusterParams, pass: Option<Pass>) -> String {
    let ins = Pass::restrict(pass, "utxo_inputs", "tx_hash");
    let outs = Pass::restrict(pass, "utxo_outputs", "tx_hash");
    let (outputs, not_coinjoin) = match coinjoin_condition(p) {
        Some(cond) => (
            format!(
                " LEFT JOIN ({}) o ON o.chain = i.chain AND o.tx_hash = i.tx_hash",
                output_totals_sql(&outs)
            ),
            format!(" AND NOT COALESCE({cond}, false)"),
        ),
        None => (String::new(), String::new()),
    };
    format!(
        "SELECT u.chain, i.root AS address_a, u.address AS address_b, 'multi_input' AS heuristic, \
                u.tx_hash AS evidence, CAST(NULL AS VARCHAR) AS detail \
         FROM ({}) u \
         JOIN (SELECT * FROM ({}) WHERE n_addr >= 2) i ON u.chain = i.chain AND u.tx_hash = i.tx_hash\
         {outputs} \
         WHERE u.address IS NOT NULL AND u.address <> i.root{not_coinjoin}",
        input_addresses_sql(&ins),
        input_totals_sql(&ins),
    )
}
