//! Internal wallets nobody labelled (account chains): an exchange's cold or treasury
//! wallet moves value (nearly) only to and from that exchange's own wallets. Counting
//! those round trips as the exchange's turnover over-states it (hot → cold looks like
//! an outflow, cold → hot like an inflow), so such an address joins the exchange.
//!
//! An unlabelled address T is a treasury wallet of exchange X when, over the whole
//! input, for every asset it moved, at least `treasury_min_share` of the value it
//! received came from X's labelled wallets (an exchange category) and at least that
//! share of the value it sent went to them, with at least `treasury_min_transfers`
//! non-zero transfers each way, and no other exchange's wallet on either side. A deposit
//! address fails (its value comes from customers), and so does a user who withdraws and
//! deposits (deposits go to deposit addresses, not to the exchange's own wallets).
//! Shares are compared in floating point: a threshold test, not an amount.
//!
//! On UTXO chains ([`utxo_sql`]) the same test reads transactions: value *from* X is an
//! output to T of a transaction whose every input is a labelled wallet of X; value *to* X
//! is an output to X's wallets of a transaction T spends from, its change back to T
//! left out. (Multi-input already joins T to X when they spend together.)

use crate::heuristics::deposit_reuse::exchange_wallets_sql;

/// The table the clustering pipeline materialises the treasury edges into (account and
/// UTXO chains), which the edges' union reads.
pub const TABLE: &str = "cl_treasury";
use crate::params::ClusterParams;

/// Edges: each treasury wallet to the smallest labelled wallet of its exchange it
/// traded with; `evidence` its smallest transaction with that exchange, `detail` the
/// entity. Labelled addresses and the chains' zero addresses are never treasury
/// wallets.
pub fn sql(p: &ClusterParams) -> String {
    let wallets = exchange_wallets_sql(p);
    let share = p.treasury_min_share.clamp(0.0, 1.0);
    let n = p.treasury_min_transfers.max(1);
    format!(
        "WITH x AS ({wallets}), \
         known AS (SELECT DISTINCT chain, address FROM labels), \
         touch AS ( \
           SELECT t.chain, t.to_address AS address, x.entity, x.address AS wallet, 'in' AS dir, \
                  t.asset, t.amount_raw, t.tx_hash \
           FROM x JOIN transfers t ON t.chain = x.chain AND t.from_address = x.address \
           WHERE t.amount_raw > 0 \
           UNION ALL \
           SELECT t.chain, t.from_address AS address, x.entity, x.address AS wallet, 'out' AS dir, \
                  t.asset, t.amount_raw, t.tx_hash \
           FROM x JOIN transfers t ON t.chain = x.chain AND t.to_address = x.address \
           WHERE t.amount_raw > 0), \
         cand AS ( \
           SELECT chain, address, min(entity) AS entity, min(wallet) AS wallet, min(tx_hash) AS tx \
           FROM touch \
           WHERE address NOT IN ('0x0000000000000000000000000000000000000000', \
                                 'T9yD14Nj9j7xAB4dbGeiX9h8unkKHxuWwb') \
           GROUP BY chain, address \
           HAVING count(DISTINCT entity) = 1 \
              AND sum(CASE WHEN dir = 'in' THEN 1 ELSE 0 END) >= {n} \
              AND sum(CASE WHEN dir = 'out' THEN 1 ELSE 0 END) >= {n}), \
         c AS (SELECT c.* FROM known k RIGHT ANTI JOIN cand c \
               ON k.chain = c.chain AND k.address = c.address), \
         mine AS ( \
           SELECT t.chain, t.address, t.asset, t.dir, sum(CAST(t.amount_raw AS DOUBLE)) AS v \
           FROM c JOIN touch t ON t.chain = c.chain AND t.address = c.address \
           GROUP BY t.chain, t.address, t.asset, t.dir), \
         every AS ( \
           SELECT c.chain, c.address, t.asset, 'in' AS dir, sum(CAST(t.amount_raw AS DOUBLE)) AS v \
           FROM c JOIN transfers t ON t.chain = c.chain AND t.to_address = c.address \
           WHERE t.amount_raw > 0 AND t.from_address <> t.to_address \
           GROUP BY c.chain, c.address, t.asset \
           UNION ALL \
           SELECT c.chain, c.address, t.asset, 'out' AS dir, sum(CAST(t.amount_raw AS DOUBLE)) AS v \
           FROM c JOIN transfers t ON t.chain = c.chain AND t.from_address = c.address \
           WHERE t.amount_raw > 0 AND t.from_address <> t.to_address \
           GROUP BY c.chain, c.address, t.asset), \
         shares AS ( \
           SELECT e.chain, e.address, min(COALESCE(m.v, 0) / e.v) AS worst \
           FROM every e LEFT JOIN mine m \
             ON m.chain = e.chain AND m.address = e.address AND m.asset = e.asset AND m.dir = e.dir \
           GROUP BY e.chain, e.address) \
         SELECT c.chain, c.wallet AS address_a, c.address AS address_b, 'treasury' AS heuristic, \
                c.tx AS evidence, c.entity AS detail \
         FROM c JOIN shares s ON s.chain = c.chain AND s.address = c.address \
         WHERE s.worst >= {share}"
    )
}

/// The tables [`utxo_sql`] reads, in the order to materialise them: `(name, sql)`. As
/// one query over the canonical views, its plan grew deep enough to overflow a thread's
/// stack in DataFusion's optimizer.
pub fn utxo_stages(p: &ClusterParams) -> Vec<(&'static str, String)> {
    let wallets = exchange_wallets_sql(p);
    vec![
        (
            "cl_treasury_ins",
            "SELECT DISTINCT chain, tx_hash, address FROM utxo_inputs WHERE address IS NOT NULL"
                .to_string(),
        ),
        // Transactions whose every input is a labelled wallet of one exchange.
        (
            "cl_treasury_funded",
            format!(
                "WITH x AS ({wallets}) \
                 SELECT i.chain, i.tx_hash, min(x.entity) AS entity, min(x.address) AS wallet \
                 FROM x RIGHT JOIN cl_treasury_ins i ON x.chain = i.chain AND x.address = i.address \
                 GROUP BY i.chain, i.tx_hash \
                 HAVING count(x.entity) = count(*) AND count(DISTINCT x.entity) = 1"
            ),
        ),
        // Every output, with the exchange that alone funded it (if one did).
        (
            "cl_treasury_got",
            "SELECT o.chain, o.address, o.tx_hash, CAST(o.value_sat AS DOUBLE) AS v, f.entity, f.wallet \
             FROM cl_treasury_funded f RIGHT JOIN utxo_outputs o \
               ON f.chain = o.chain AND f.tx_hash = o.tx_hash \
             WHERE o.address IS NOT NULL AND o.value_sat > 0"
                .to_string(),
        ),
    ]
}

/// [`sql`] for UTXO chains: edges from each treasury wallet to the smallest wallet of
/// its exchange that funded it, over the tables of [`utxo_stages`].
pub fn utxo_sql(p: &ClusterParams) -> String {
    let wallets = exchange_wallets_sql(p);
    let share = p.treasury_min_share.clamp(0.0, 1.0);
    let n = p.treasury_min_transfers.max(1);
    format!(
        "WITH x AS ({wallets}), \
         known AS (SELECT DISTINCT chain, address FROM labels), \
         cand AS ( \
           SELECT g.chain, g.address, min(g.entity) AS entity, min(g.wallet) AS wallet, \
                  min(g.tx_hash) AS tx \
           FROM cl_treasury_got g WHERE g.entity IS NOT NULL \
           GROUP BY g.chain, g.address \
           HAVING count(DISTINCT g.entity) = 1 AND count(DISTINCT g.tx_hash) >= {n}), \
         c AS (SELECT c.* FROM known k RIGHT ANTI JOIN cand c \
               ON k.chain = c.chain AND k.address = c.address), \
         received AS ( \
           SELECT g.* FROM c JOIN cl_treasury_got g ON g.chain = c.chain AND g.address = c.address), \
         inflow AS ( \
           SELECT r.chain, r.address, \
                  sum(CASE WHEN r.entity = c.entity THEN r.v ELSE 0 END) / sum(r.v) AS share \
           FROM (SELECT r.* FROM cl_treasury_ins i RIGHT ANTI JOIN received r \
                   ON i.chain = r.chain AND i.tx_hash = r.tx_hash AND i.address = r.address) r \
           JOIN (SELECT DISTINCT chain, tx_hash FROM cl_treasury_ins) t \
             ON t.chain = r.chain AND t.tx_hash = r.tx_hash \
           JOIN c ON c.chain = r.chain AND c.address = r.address \
           GROUP BY r.chain, r.address), \
         spends AS (SELECT DISTINCT i.chain, i.tx_hash, c.address, c.entity \
                    FROM c JOIN cl_treasury_ins i ON i.chain = c.chain AND i.address = c.address), \
         paid AS ( \
           SELECT s.chain, s.address, s.tx_hash, g.v, \
                  (x.entity IS NOT NULL AND x.entity = s.entity) AS to_x \
           FROM spends s JOIN cl_treasury_got g ON g.chain = s.chain AND g.tx_hash = s.tx_hash \
           LEFT JOIN x ON x.chain = g.chain AND x.address = g.address \
           WHERE g.address <> s.address), \
         outflow AS ( \
           SELECT chain, address, sum(CASE WHEN to_x THEN v ELSE 0 END) / sum(v) AS share, \
                  count(DISTINCT CASE WHEN to_x THEN tx_hash END) AS n_to_x \
           FROM paid GROUP BY chain, address) \
         SELECT c.chain, c.wallet AS address_a, c.address AS address_b, 'treasury' AS heuristic, \
                c.tx AS evidence, c.entity AS detail \
         FROM c JOIN inflow i ON i.chain = c.chain AND i.address = c.address \
         JOIN outflow o ON o.chain = c.chain AND o.address = c.address \
         WHERE i.share >= {share} AND o.share >= {share} AND o.n_to_x >= {n}"
    )
}
