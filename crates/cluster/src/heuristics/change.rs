//! Change address (Androulaki et al. 2013; Meiklejohn et al. 2013), conservative and
//! off by default. In a transaction with two or more outputs, an output is change only
//! when it is the *only* output that (a) goes to an address never seen as an output
//! before this transaction's block and not among its inputs, (b) has the same script
//! type as every input, (c) is smaller than every input, and (d) is not a round amount
//! (a multiple of `change_round_sat`). Precision risk: wallets that reuse addresses,
//! mix script types or pay exact round change defeat (a)–(d) in the safe direction
//! (no link); a payment to a fresh same-type address that happens to be the only
//! non-round output is a false merge — which is why it is off unless asked for.

use crate::params::ClusterParams;
use chainstat_engine::passes::Pass;

/// Edges: the change output's address to the transaction's smallest input address.
///
/// With a `pass`, the transactions in its slice of transaction hashes. The one test
/// that is not about one transaction — "never seen as an output before" — then counts
/// only the outputs to this slice's output addresses, so no pass builds a table of
/// every output address.
pub fn sql(p: &ClusterParams, pass: Option<Pass>) -> String {
    let ins = Pass::restrict(pass, "utxo_inputs", "tx_hash");
    let outs = Pass::restrict(pass, "utxo_outputs", "tx_hash");
    let seen_in = match pass {
        Some(_) => format!(
            "JOIN (SELECT DISTINCT chain, address FROM {outs} WHERE address IS NOT NULL) s \
               ON s.chain = u.chain AND s.address = u.address"
        ),
        None => String::new(),
    };
    format!(
        "WITH ins AS (SELECT chain, tx_hash, min(address) AS root, min(value_sat) AS min_in, \
                             min(script_type) = max(script_type) AS one_type, min(script_type) AS in_type, \
                             min(block_number) AS block \
                      FROM {ins} WHERE address IS NOT NULL GROUP BY chain, tx_hash), \
              first_seen AS (SELECT u.chain, u.address, min(u.block_number) AS first_block, count(*) AS n \
                             FROM utxo_outputs u {seen_in} \
                             WHERE u.address IS NOT NULL GROUP BY u.chain, u.address), \
              outs AS (SELECT o.chain, o.tx_hash, o.address, o.value_sat, o.script_type, k.n_out \
                       FROM {outs} o JOIN (SELECT chain, tx_hash, count(*) AS n_out \
                                                 FROM {outs} GROUP BY chain, tx_hash) k \
                         ON k.chain = o.chain AND k.tx_hash = o.tx_hash), \
              cand AS (SELECT outs.chain, outs.tx_hash, outs.address, ins.root \
                       FROM outs JOIN ins ON outs.chain = ins.chain AND outs.tx_hash = ins.tx_hash \
                       JOIN first_seen f ON f.chain = outs.chain AND f.address = outs.address \
                       LEFT JOIN (SELECT DISTINCT chain, tx_hash, address FROM {ins}) self \
                         ON self.chain = outs.chain AND self.tx_hash = outs.tx_hash AND self.address = outs.address \
                       WHERE outs.n_out >= 2 AND outs.address IS NOT NULL AND self.address IS NULL \
                         AND f.first_block = ins.block AND f.n = 1 \
                         AND ins.one_type AND outs.script_type = ins.in_type \
                         AND outs.value_sat < ins.min_in AND outs.value_sat % {round} <> 0) \
         SELECT chain, min(root) AS address_a, min(address) AS address_b, 'change' AS heuristic, \
                tx_hash AS evidence, CAST(NULL AS VARCHAR) AS detail \
         FROM cand GROUP BY chain, tx_hash HAVING count(*) = 1",
        round = p.change_round_sat.max(1)
    )
}
