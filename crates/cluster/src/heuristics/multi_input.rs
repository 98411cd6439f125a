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

/// CoinJoin-like transactions: `(chain, tx_hash)`; with a `pass`, those in its slice of
/// transaction hashes (every test here is about one transaction).
pub fn coinjoin_sql(p: &ClusterParams, pass: Option<Pass>) -> String {
    if p.coinjoin_rule == "off" {
        return "SELECT CAST(NULL AS VARCHAR) AS chain, CAST(NULL AS VARCHAR) AS tx_hash WHERE false"
            .into();
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
    let ins = Pass::restrict(pass, "utxo_inputs", "tx_hash");
    let outs = Pass::restrict(pass, "utxo_outputs", "tx_hash");
    format!(
        "SELECT i.chain, i.tx_hash FROM \
           (SELECT chain, tx_hash, sum(n) AS n_in, count(address) AS n_addr \
            FROM (SELECT chain, tx_hash, address, count(*) AS n FROM {ins} \
                  GROUP BY chain, tx_hash, address) \
            GROUP BY chain, tx_hash) i \
         JOIN (SELECT chain, tx_hash, count(*) AS n_out FROM {outs} GROUP BY chain, tx_hash) o \
           ON i.chain = o.chain AND i.tx_hash = o.tx_hash \
         JOIN (SELECT v.chain, v.tx_hash, mc.mode_count, min(v.value_sat) AS mode_value \
               FROM (SELECT chain, tx_hash, value_sat, count(*) AS c FROM {outs} \
                     GROUP BY chain, tx_hash, value_sat) v \
               JOIN (SELECT chain, tx_hash, max(c) AS mode_count FROM \
                       (SELECT chain, tx_hash, value_sat, count(*) AS c FROM {outs} \
                        GROUP BY chain, tx_hash, value_sat) GROUP BY chain, tx_hash) mc \
                 ON mc.chain = v.chain AND mc.tx_hash = v.tx_hash AND mc.mode_count = v.c \
               GROUP BY v.chain, v.tx_hash, mc.mode_count) m \
           ON i.chain = m.chain AND i.tx_hash = m.tx_hash \
         WHERE i.n_in >= {min_in} AND o.n_out >= {min_out} \
           AND (o.n_out + 1) / 2 <= i.n_in AND (o.n_out + 1) / 2 <= i.n_addr \
           AND m.mode_count = (o.n_out + 1) / 2 AND m.mode_value NOT IN ({dust})",
        min_in = p.coinjoin_min_inputs,
        min_out = p.coinjoin_min_outputs,
    )
}

/// Edges: every input address of a non-CoinJoin transaction to the transaction's
/// smallest input address; with a `pass`, of the transactions in its slice.
pub fn sql(p: &ClusterParams, pass: Option<Pass>) -> String {
    let ins = Pass::restrict(pass, "utxo_inputs", "tx_hash");
    format!(
        "SELECT u.chain, r.root AS address_a, u.address AS address_b, 'multi_input' AS heuristic, \
                u.tx_hash AS evidence, CAST(NULL AS VARCHAR) AS detail \
         FROM (SELECT DISTINCT chain, tx_hash, address FROM {ins} WHERE address IS NOT NULL) u \
         JOIN (SELECT chain, tx_hash, min(address) AS root, count(DISTINCT address) AS n_addr \
               FROM {ins} WHERE address IS NOT NULL GROUP BY chain, tx_hash) r \
           ON u.chain = r.chain AND u.tx_hash = r.tx_hash \
         LEFT JOIN ({cj}) cj ON cj.chain = u.chain AND cj.tx_hash = u.tx_hash \
         WHERE r.n_addr >= 2 AND u.address <> r.root AND cj.tx_hash IS NULL",
        cj = coinjoin_sql(p, pass)
    )
}
