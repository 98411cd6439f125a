//! Deposit-address reuse (F. Victor, "Address Clustering Heuristics for Ethereum",
//! FC 2020), for account chains.
//!
//! An address D is a deposit address of exchange X when D forwards to one of X's known
//! wallets (a labelled address whose category is an exchange category) an amount that D
//! received shortly before: same asset, within `deposit_window_seconds` (or
//! `deposit_window_blocks` when a time is missing), and at least (1 − tolerance) of the
//! received amount. Then D belongs to X (edge D → the wallet), and the distinct senders
//! that paid into D are one entity (a user's deposit address is theirs alone).
//!
//! Guards: labelled addresses (exchange, service or any other) are never deposit
//! addresses and never merged as senders; an address that forwards to wallets of two or
//! more different entities behaves like a payment processor, not a deposit address,
//! and merges nothing; the chain's zero address (mints) is never a sender. The amount
//! tolerance is compared in floating point — it is a threshold test, not an amount.

use crate::params::ClusterParams;

/// Labelled senders are filtered out *before* the self-join: a hot wallet's outgoing
/// transfers joined with all its incoming ones would be quadratic in its activity.
fn deposits_sql(p: &ClusterParams) -> String {
    let cats = p
        .exchange_categories
        .iter()
        .map(|c| format!("'{}'", c.replace('\'', "''").to_ascii_lowercase()))
        .collect::<Vec<_>>()
        .join(", ");
    let keep = 1.0 - p.deposit_amount_tolerance.clamp(0.0, 1.0);
    format!(
        "WITH f AS ( \
         SELECT o.chain, o.from_address AS deposit, x.entity, min(o.to_address) AS wallet, \
                min(o.tx_hash) AS fwd_tx \
         FROM (SELECT o.* FROM transfers o \
               LEFT JOIN (SELECT DISTINCT chain, address FROM labels) known \
                 ON known.chain = o.chain AND known.address = o.from_address \
               WHERE known.address IS NULL) o \
         JOIN (SELECT DISTINCT chain, address, entity FROM labels WHERE lower(category) IN ({cats})) x \
           ON o.chain = x.chain AND o.to_address = x.address \
         JOIN transfers i ON i.chain = o.chain AND i.to_address = o.from_address AND i.asset = o.asset \
         WHERE ((o.block_time IS NOT NULL AND i.block_time IS NOT NULL \
                 AND o.block_time >= i.block_time \
                 AND o.block_time <= i.block_time + INTERVAL '{secs} seconds') \
             OR ((o.block_time IS NULL OR i.block_time IS NULL) \
                 AND o.block_number >= i.block_number AND o.block_number <= i.block_number + {blocks})) \
           AND o.amount_raw <= i.amount_raw \
           AND CAST(o.amount_raw AS DOUBLE) >= CAST(i.amount_raw AS DOUBLE) * {keep} \
         GROUP BY o.chain, o.from_address, x.entity) \
         SELECT f.chain, f.deposit, f.entity, f.wallet, f.fwd_tx, k.n_entities FROM f \
         JOIN (SELECT chain, deposit, count(*) AS n_entities FROM f GROUP BY chain, deposit) k \
           ON k.chain = f.chain AND k.deposit = f.deposit",
        secs = p.deposit_window_seconds.max(0),
        blocks = p.deposit_window_blocks.max(0),
    )
}

/// Edges: deposit → exchange wallet, and each sender of a deposit to its smallest sender.
pub fn sql(p: &ClusterParams) -> Vec<String> {
    let deposits = deposits_sql(p);
    let to_exchange = format!(
        "SELECT chain, wallet AS address_a, deposit AS address_b, 'deposit_forward' AS heuristic, \
                fwd_tx AS evidence, entity AS detail \
         FROM ({deposits}) WHERE n_entities = 1"
    );
    let senders = format!(
        "WITH d AS (SELECT chain, deposit FROM ({deposits}) WHERE n_entities = 1), \
              s AS (SELECT t.chain, t.to_address AS deposit, t.from_address AS sender, min(t.tx_hash) AS tx \
                    FROM transfers t JOIN d ON d.chain = t.chain AND d.deposit = t.to_address \
                    LEFT JOIN (SELECT DISTINCT chain, address FROM labels) known \
                      ON known.chain = t.chain AND known.address = t.from_address \
                    WHERE known.address IS NULL AND t.from_address <> t.to_address \
                      AND t.from_address NOT IN ('0x0000000000000000000000000000000000000000', \
                                                 'T9yD14Nj9j7xAB4dbGeiX9h8unkKHxuWwb') \
                    GROUP BY t.chain, t.to_address, t.from_address), \
              r AS (SELECT chain, deposit, min(sender) AS root, count(*) AS n FROM s GROUP BY chain, deposit) \
         SELECT s.chain, r.root AS address_a, s.sender AS address_b, 'deposit_reuse' AS heuristic, \
                s.tx AS evidence, s.deposit AS detail \
         FROM s JOIN r ON s.chain = r.chain AND s.deposit = r.deposit \
         WHERE r.n >= 2 AND s.sender <> r.root"
    );
    vec![to_exchange, senders]
}
