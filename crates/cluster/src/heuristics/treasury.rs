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

use crate::heuristics::deposit_reuse::exchange_wallets_sql;
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
