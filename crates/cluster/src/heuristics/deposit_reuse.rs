//! Deposit-address reuse (F. Victor, "Address Clustering Heuristics for Ethereum",
//! FC 2020), for account chains.
//!
//! An address D is a deposit address of exchange X when D forwards to one of X's known
//! wallets (a labelled address whose category is an exchange category) an amount that D
//! received shortly before: same asset, within `deposit_window_seconds` (or
//! `deposit_window_blocks` when both lack a time), and at least (1 − tolerance) of the
//! received amount. Then D belongs to X (edge D → the wallet), and the distinct senders
//! that paid into D are one entity (a user's deposit address is theirs alone).
//!
//! Guards: labelled addresses (exchange, service or any other) are never deposit
//! addresses and never merged as senders; an address that forwards to wallets of two or
//! more different entities behaves like a payment processor, not a deposit address,
//! and merges nothing; the chain's zero address (mints) is never a sender. The amount
//! tolerance is compared in floating point — it is a threshold test, not an amount.

use crate::params::ClusterParams;
use crate::passes::Pass;

/// The time bucket of a transfer for window joins: `window`-second buckets of its time,
/// or (negative, so the two never meet) `blocks`-block buckets of its block number when
/// it has no time. A transfer received at most one window before another is in the same
/// bucket or the one before, so a window self-join becomes two equi-joins.
pub fn bucket_sql(t: &str, secs: i64, blocks: i64) -> (String, String) {
    let (secs, blocks) = (secs.max(1), blocks.max(1));
    let bucket = format!(
        "CASE WHEN {t}.block_time IS NOT NULL THEN CAST(to_unixtime({t}.block_time) AS BIGINT) / {secs} \
              ELSE -1 - {t}.block_number / {blocks} END"
    );
    let previous = format!(
        "CASE WHEN {t}.block_time IS NOT NULL THEN CAST(to_unixtime({t}.block_time) AS BIGINT) / {secs} - 1 \
              ELSE -1 - {t}.block_number / {blocks} + 1 END"
    );
    (bucket, previous)
}

/// Name of the table the clustering pipeline materialises [`deposits_sql`] into: both
/// edge kinds read it, and the self-join behind it is the heuristic's expensive part.
pub const DEPOSITS_TABLE: &str = "cl_deposits";

/// Forwards into exchange wallets (the build side of the deposit self-join, before
/// each is doubled for the current and previous time bucket): what sizes the passes.
pub fn forwards_count_sql(p: &ClusterParams) -> String {
    format!(
        "SELECT count(*) FROM ({}) x \
         JOIN transfers o ON o.chain = x.chain AND o.to_address = x.address",
        exchange_wallets_sql(p)
    )
}

/// Exchange wallets: labelled addresses whose category is an exchange category, with
/// their entity.
fn exchange_wallets_sql(p: &ClusterParams) -> String {
    let cats = p
        .exchange_categories
        .iter()
        .map(|c| format!("'{}'", c.replace('\'', "''").to_ascii_lowercase()))
        .collect::<Vec<_>>()
        .join(", ");
    format!("SELECT DISTINCT chain, address, entity FROM labels WHERE lower(category) IN ({cats})")
}

/// Deposit addresses: `(chain, deposit, entity, wallet, fwd_tx, n_entities)`, one row per
/// deposit address. `n_entities` counts the entities it forwards to; only a deposit of
/// one entity merges anything (a payment processor forwarding to two exchanges does
/// not), and then `entity`, `wallet` and `fwd_tx` are that entity's (with more, the
/// smallest of each). Grouped rather than counted with a window over the forwards,
/// whose tiny partitions DataFusion 55 handles one at a time (0.2–0.5 s at 10M).
///
/// Labelled senders are filtered out *before* the self-join, and the self-join is
/// bucketed by time: a busy address's outgoing transfers joined with all its incoming
/// ones would be quadratic in its activity (a heavy user's deposit address swept
/// thousands of times a year). Each forward meets the receipts of its own and the
/// previous bucket in one equi-join; the small sides (labels, forwards) are written
/// first, as hash-join build sides, and the pipeline runs this query with DataFusion's
/// join reordering off so that order holds.
///
/// `pass` restricts the query to the deposit addresses of one [`Pass`] (both sides of
/// the self-join, which meet on the deposit address), so the forwards' hash table can be
/// built in slices under a memory limit: every output row belongs to exactly one pass.
pub fn deposits_sql(p: &ClusterParams, pass: Option<Pass>) -> String {
    let wallets = exchange_wallets_sql(p);
    let keep = 1.0 - p.deposit_amount_tolerance.clamp(0.0, 1.0);
    let (ob, opb) = bucket_sql("o", p.deposit_window_seconds, p.deposit_window_blocks);
    let (ib, _) = bucket_sql("i", p.deposit_window_seconds, p.deposit_window_blocks);
    let (o_pass, i_pass) = match pass {
        Some(pass) => (
            format!("AND {}", pass.predicate("o.from_address")),
            format!("WHERE {}", pass.predicate("i.to_address")),
        ),
        None => (String::new(), String::new()),
    };
    format!(
        "WITH x AS ({wallets}), \
         known AS (SELECT DISTINCT chain, address FROM labels), \
         fwd AS ( \
           SELECT o.chain, o.from_address, o.to_address, o.tx_hash, o.asset, o.block_time, \
                  o.block_number, o.amount_raw, x.entity, {ob} AS b0, {opb} AS pb0 \
           FROM x JOIN transfers o ON o.chain = x.chain AND o.to_address = x.address {o_pass}), \
         o AS (SELECT *, unnest(make_array(b0, pb0)) AS b FROM \
                 (SELECT f.* FROM known k RIGHT ANTI JOIN fwd f \
                    ON k.chain = f.chain AND k.address = f.from_address)), \
         i AS (SELECT i.chain, i.to_address, i.asset, i.block_time, i.block_number, i.amount_raw, {ib} AS b \
               FROM transfers i {i_pass}), \
         pairs AS ( \
           SELECT o.chain, o.from_address, o.to_address, o.tx_hash, o.entity, o.block_time, \
                  o.block_number, o.amount_raw, i.block_time AS i_time, i.block_number AS i_block, \
                  i.amount_raw AS i_amount \
           FROM o JOIN i ON i.chain = o.chain AND i.to_address = o.from_address \
                        AND i.asset = o.asset AND i.b = o.b), \
         f AS ( \
         SELECT chain, from_address AS deposit, entity, min(to_address) AS wallet, \
                min(tx_hash) AS fwd_tx \
         FROM pairs \
         WHERE ((block_time IS NOT NULL AND i_time IS NOT NULL \
                 AND block_time >= i_time \
                 AND block_time <= i_time + INTERVAL '{secs} seconds') \
             OR ((block_time IS NULL OR i_time IS NULL) \
                 AND block_number >= i_block AND block_number <= i_block + {blocks})) \
           AND amount_raw <= i_amount \
           AND CAST(amount_raw AS DOUBLE) >= CAST(i_amount AS DOUBLE) * {keep} \
         GROUP BY chain, from_address, entity) \
         SELECT chain, deposit, min(entity) AS entity, min(wallet) AS wallet, min(fwd_tx) AS fwd_tx, \
                count(*) AS n_entities \
         FROM f GROUP BY chain, deposit",
        secs = p.deposit_window_seconds.max(0),
        blocks = p.deposit_window_blocks.max(0),
    )
}

/// Name of the table the clustering pipeline materialises [`senders_sql`] into.
pub const SENDERS_TABLE: &str = "cl_deposit_senders";

/// The senders of each deposit address of one entity: `(chain, deposit, sender, tx)`, one
/// row per (deposit, sender), `tx` the smallest transaction of theirs that paid it.
/// Labelled senders, self-transfers and the chain's zero address are left out. With a
/// `pass`, the senders of that pass's deposit addresses (their join with the transfers
/// into them is the expensive part).
///
/// Materialised because the sender edges ([`sql`]) read it twice — once to find each
/// deposit's smallest sender (the root of its star), once for the edges — and as a
/// query it would be computed twice. The alternatives cost more: `min(sender) OVER
/// (PARTITION BY chain, deposit)`, which DataFusion 55 evaluates one window partition
/// at a time (0.56M senders of 0.46M deposits at 10M transfers: 1.7 s in the window
/// alone; the edges took 2.9–3.2 s, against 2.1 s to write this table and 0.4 s for the
/// edges from it), or over peer groups of a few buckets (`RANGE` frames: 1.1 s in the
/// window, its sliding string `min`); grouping the senders into an array of structs and
/// unnesting it again does not decode on Ballista 55 ("No field named
/// __unnest_placeholder(…)"), nor does an `unnest` of an expression over the array.
pub fn senders_sql(deposits: &str, pass: Option<Pass>) -> String {
    let (d_pass, t_pass) = match pass {
        Some(pass) => (
            format!("AND {}", pass.predicate("deposit")),
            format!("AND {}", pass.predicate("t.to_address")),
        ),
        None => (String::new(), String::new()),
    };
    format!(
        "WITH d AS (SELECT chain, deposit FROM {deposits} WHERE n_entities = 1 {d_pass}), \
              known AS (SELECT DISTINCT chain, address FROM labels), \
              paid AS (SELECT t.chain, t.to_address, t.from_address, t.tx_hash \
                       FROM d JOIN transfers t ON d.chain = t.chain AND d.deposit = t.to_address \
                       WHERE t.from_address <> t.to_address {t_pass} \
                         AND t.from_address NOT IN ('0x0000000000000000000000000000000000000000', \
                                                    'T9yD14Nj9j7xAB4dbGeiX9h8unkKHxuWwb')) \
         SELECT p.chain, p.to_address AS deposit, p.from_address AS sender, min(p.tx_hash) AS tx \
         FROM known k RIGHT ANTI JOIN paid p ON k.chain = p.chain AND k.address = p.from_address \
         GROUP BY p.chain, p.to_address, p.from_address"
    )
}

/// Edges: deposit → exchange wallet, from the deposits in `deposits` (a table or
/// parenthesised query with the columns of [`deposits_sql`]); and each sender of a
/// deposit with two or more senders to its smallest sender, from `senders` (with the
/// columns of [`senders_sql`]). With a `pass`, the sender edges of that pass's deposit
/// addresses only.
pub fn sql(deposits: &str, senders: &str, pass: Option<Pass>) -> Vec<String> {
    let d_pass = match pass {
        Some(pass) => format!("WHERE {}", pass.predicate("deposit")),
        None => String::new(),
    };
    let to_exchange = format!(
        "SELECT chain, wallet AS address_a, deposit AS address_b, 'deposit_forward' AS heuristic, \
                fwd_tx AS evidence, entity AS detail \
         FROM {deposits} WHERE n_entities = 1"
    );
    let senders = format!(
        "SELECT s.chain, r.root AS address_a, s.sender AS address_b, 'deposit_reuse' AS heuristic, \
                s.tx AS evidence, s.deposit AS detail \
         FROM (SELECT chain, deposit, min(sender) AS root FROM {senders} {d_pass} \
               GROUP BY chain, deposit HAVING count(*) >= 2) r \
         JOIN (SELECT * FROM {senders} {d_pass}) s ON s.chain = r.chain AND s.deposit = r.deposit \
         WHERE s.sender <> r.root"
    );
    match pass {
        Some(p) if p.index > 0 => vec![senders],
        _ => vec![to_exchange, senders],
    }
}
