//! Deposit-address reuse (F. Victor, "Address Clustering Heuristics for Ethereum",
//! FC 2020), for account chains.
//!
//! An address D is a deposit address of exchange X when D forwards to one of X's known
//! wallets (a labelled address whose category is an exchange category) an amount that D
//! received shortly before: same asset, within `deposit_window_seconds` (when both lack a
//! time, that window in the chain's blocks: 7,200 on Ethereum, 28,800 on TRON), and within (1 ± tolerance) of the
//! received amount (a sweep may carry dust that arrived beside the deposit). Then D belongs to X (edge D → the wallet), and the senders of the
//! receipts D forwarded are one entity (a user's deposit address is theirs alone).
//!
//! Only *real deposits* make a co-depositor: a receipt that D actually forwarded, with a
//! non-zero amount of a token with known decimals (a `tokens` row), worth at least
//! `deposit_min_usd` when the session has `prices` — at the day's price, else the
//! token's average price (a token never priced counts as spam). Zero-value "address poisoning" transfers, spam tokens and dust are
//! never forwarded as such, so they merge nothing.
//!
//! Guards: labelled addresses (exchange, service or any other) are never deposit
//! addresses and never merged as senders; an address that forwards to wallets of two or
//! more different entities behaves like a payment processor, not a deposit address,
//! and merges nothing; the chain's zero address (mints) is never a sender; and a
//! **service** — a sender of non-zero value into the deposit addresses of at least
//! `service_min_entities` entities or into at least `service_min_deposits` deposit
//! addresses (an airdropper, an exchange hot wallet paying withdrawals, a payment
//! processor, a bot) — is never merged as a user: it is listed in `cluster_warnings`.
//! The amount tolerance and the dust floor are compared in floating point — they are
//! threshold tests, not amounts.

use crate::params::ClusterParams;
use chainstat_engine::passes::Pass;

/// The window in blocks of the chain in `chain_expr` (SQL), `secs` turned into blocks at
/// each chain's block time: a day is 7,200 blocks on Ethereum, 28,800 on TRON.
pub fn window_blocks_sql(chain_expr: &str, secs: i64) -> String {
    let mut s = format!("CASE lower({chain_expr})");
    for (name, _) in chainstat_chain::BLOCK_SECONDS {
        s.push_str(&format!(
            " WHEN '{name}' THEN {}",
            chainstat_chain::window_blocks(name, secs)
        ));
    }
    s.push_str(&format!(
        " ELSE {} END",
        chainstat_chain::window_blocks("ethereum", secs)
    ));
    s
}

/// The time bucket of a transfer for window joins: `window`-second buckets of its time,
/// or (negative, so the two never meet) buckets of its block number of the window's
/// length in the chain's blocks when it has no time. A transfer received at most one
/// window before another is in the same bucket or the one before, so a window self-join
/// becomes two equi-joins.
pub fn bucket_sql(t: &str, secs: i64) -> (String, String) {
    let secs = secs.max(1);
    let blocks = format!("({})", window_blocks_sql(&format!("{t}.chain"), secs));
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

/// Name of the table the clustering pipeline materialises [`receipts_sql`] into: the
/// deposit self-join, the heuristic's expensive part.
pub const RECEIPTS_TABLE: &str = "cl_deposit_receipts";
/// … [`deposits_sql`] into: one row per deposit address.
pub const DEPOSITS_TABLE: &str = "cl_deposits";
/// … [`payers_sql`] into: who paid anything into a deposit address.
pub const PAYERS_TABLE: &str = "cl_deposit_payers";
/// … [`services_sql`] into: senders that are services, never co-depositors.
pub const SERVICES_TABLE: &str = "cl_services";
/// … [`senders_sql`] into: the co-depositors of each deposit address.
pub const SENDERS_TABLE: &str = "cl_deposit_senders";

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
pub fn exchange_wallets_sql(p: &ClusterParams) -> String {
    let cats = p
        .exchange_categories
        .iter()
        .map(|c| format!("'{}'", c.replace('\'', "''").to_ascii_lowercase()))
        .collect::<Vec<_>>()
        .join(", ");
    format!("SELECT DISTINCT chain, address, entity FROM labels WHERE lower(category) IN ({cats})")
}

/// The receipts each deposit address forwarded: `(chain, deposit, entity, sender,
/// wallet, fwd_tx, rx_tx, genuine)`, one row per (deposit, entity, sender): `wallet` and
/// `fwd_tx` the smallest exchange wallet and forwarding transaction; `genuine` whether any
/// of the sender's forwarded receipts is a real deposit (see the module docs) — with
/// `prices` (a table `(day, chain, asset, price_usd)`), worth at least
/// `deposit_min_usd` at its UTC day's price, or the token's average price when that day
/// has none — and `rx_tx` the smallest such receipt's transaction. Any forwarded
/// receipt of a non-zero amount of a token with known decimals makes the address a
/// deposit address; only real ones make co-depositors.
///
/// Labelled forwarders are filtered out *before* the self-join, and the self-join is
/// bucketed by time: a busy address's outgoing transfers joined with all its incoming
/// ones would be quadratic in its activity (a heavy user's deposit address swept
/// thousands of times a year). Each forward meets the receipts of its own and the
/// previous bucket in one equi-join; the small sides (labels, forwards, prices) are
/// written first, as hash-join build sides, and the pipeline runs this query with
/// DataFusion's join reordering off so that order holds.
///
/// `pass` restricts the query to the deposit addresses of one [`Pass`] (both sides of
/// the self-join, which meet on the deposit address), so the forwards' hash table can be
/// built in slices under a memory limit: every output row belongs to exactly one pass.
pub fn receipts_sql(p: &ClusterParams, pass: Option<Pass>, prices: Option<&str>) -> String {
    let wallets = exchange_wallets_sql(p);
    let tolerance = p.deposit_amount_tolerance.clamp(0.0, 1.0);
    // A sweep may carry dust that arrived beside the deposit: within the tolerance
    // either way.
    let (keep, over) = (1.0 - tolerance, 1.0 + tolerance);
    let (ob, opb) = bucket_sql("o", p.deposit_window_seconds);
    let (ib, _) = bucket_sql("i", p.deposit_window_seconds);
    let (o_pass, i_pass) = match pass {
        Some(pass) => (
            format!("AND {}", pass.predicate("o.from_address")),
            format!("AND {}", pass.predicate("i.to_address")),
        ),
        None => (String::new(), String::new()),
    };
    // `genuine`: worth the dust floor at the day's price, else at the token's average (a
    // listed token on a day the price file misses is still no spam token); a token never
    // priced is spam. Every receipt a deposit forwards shows it is a deposit address;
    // only real ones make their sender a co-depositor.
    let valued = match prices {
        Some(prices) => format!(
            "SELECT g.*, COALESCE(CAST(g.i_units AS DOUBLE) * COALESCE(pd.price_usd, g.avg_usd) \
                                  >= {min}, false) AS genuine \
             FROM {prices} pd RIGHT JOIN ( \
               SELECT f.*, pa.price_usd AS avg_usd \
               FROM (SELECT chain, asset, avg(price_usd) AS price_usd FROM {prices} \
                     GROUP BY chain, asset) pa \
               RIGHT JOIN f ON pa.chain = f.chain AND pa.asset = f.asset) g \
             ON pd.chain = g.chain AND pd.asset = g.asset AND pd.day = CAST(g.i_time AS DATE)",
            min = p.deposit_min_usd.max(0.0)
        ),
        None => "SELECT *, true AS genuine FROM f".to_string(),
    };
    format!(
        "WITH x AS ({wallets}), \
         known AS (SELECT DISTINCT chain, address FROM labels), \
         fwd AS ( \
           SELECT o.chain, o.from_address, o.to_address, o.tx_hash, o.asset, o.block_time, \
                  o.block_number, o.amount_raw, x.entity, {ob} AS b0, {opb} AS pb0 \
           FROM x JOIN transfers o ON o.chain = x.chain AND o.to_address = x.address \
           WHERE o.amount_raw > 0 {o_pass}), \
         o AS (SELECT *, unnest(make_array(b0, pb0)) AS b FROM \
                 (SELECT f.* FROM known k RIGHT ANTI JOIN fwd f \
                    ON k.chain = f.chain AND k.address = f.from_address)), \
         i AS (SELECT i.chain, i.to_address, i.from_address, i.tx_hash, i.asset, i.block_time, \
                      i.block_number, i.amount_raw, i.amount, {ib} AS b \
               FROM transfers i WHERE i.amount_raw > 0 AND i.amount IS NOT NULL {i_pass}), \
         pairs AS ( \
           SELECT o.chain, o.from_address, o.to_address, o.tx_hash, o.entity, o.asset, o.block_time, \
                  o.block_number, o.amount_raw, i.block_time AS i_time, i.block_number AS i_block, \
                  i.amount_raw AS i_amount, i.amount AS i_units, i.from_address AS sender, \
                  i.tx_hash AS rx_tx \
           FROM o JOIN i ON i.chain = o.chain AND i.to_address = o.from_address \
                        AND i.asset = o.asset AND i.b = o.b), \
         f AS ( \
           SELECT * FROM pairs \
           WHERE ((block_time IS NOT NULL AND i_time IS NOT NULL \
                   AND block_time >= i_time \
                   AND block_time <= i_time + INTERVAL '{secs} seconds') \
               OR ((block_time IS NULL OR i_time IS NULL) \
                   AND block_number >= i_block \
                   AND block_number <= i_block + ({blocks}))) \
             AND CAST(amount_raw AS DOUBLE) <= CAST(i_amount AS DOUBLE) * {over} \
             AND CAST(amount_raw AS DOUBLE) >= CAST(i_amount AS DOUBLE) * {keep}), \
         v AS ({valued}) \
         SELECT chain, from_address AS deposit, entity, sender, min(to_address) AS wallet, \
                min(tx_hash) AS fwd_tx, min(CASE WHEN genuine THEN rx_tx END) AS rx_tx, \
                bool_or(genuine) AS genuine \
         FROM v GROUP BY chain, from_address, entity, sender",
        secs = p.deposit_window_seconds.max(0),
        blocks = window_blocks_sql("chain", p.deposit_window_seconds),
    )
}

/// Deposit addresses: `(chain, deposit, entity, wallet, fwd_tx, n_entities)`, one row per
/// deposit address, from `receipts` ([`receipts_sql`]). `n_entities` counts the entities
/// it forwards to; only a deposit of one entity merges anything (a payment processor
/// forwarding to two exchanges does not), and then `entity`, `wallet` and `fwd_tx` are
/// that entity's (with more, the smallest of each).
pub fn deposits_sql(receipts: &str) -> String {
    format!(
        "SELECT chain, deposit, min(entity) AS entity, min(wallet) AS wallet, min(fwd_tx) AS fwd_tx, \
                count(DISTINCT entity) AS n_entities \
         FROM {receipts} GROUP BY chain, deposit"
    )
}

/// Everyone who paid non-zero value (any token) into a deposit address of one entity:
/// `(chain, deposit, entity, sender)`, labelled senders, self-transfers and the chain's
/// zero address left out. What tells a service from a user ([`services_sql`]). With a
/// `pass`, the payers of that pass's deposit addresses (their join with the transfers
/// into them is the expensive part).
pub fn payers_sql(deposits: &str, pass: Option<Pass>) -> String {
    let (d_pass, t_pass) = match pass {
        Some(pass) => (
            format!("AND {}", pass.predicate("deposit")),
            format!("AND {}", pass.predicate("t.to_address")),
        ),
        None => (String::new(), String::new()),
    };
    format!(
        "WITH d AS (SELECT chain, deposit, entity FROM {deposits} WHERE n_entities = 1 {d_pass}), \
              known AS (SELECT DISTINCT chain, address FROM labels), \
              paid AS (SELECT DISTINCT t.chain, t.to_address AS deposit, d.entity, t.from_address AS sender \
                       FROM d JOIN transfers t ON d.chain = t.chain AND d.deposit = t.to_address \
                       WHERE t.from_address <> t.to_address AND t.amount_raw > 0 {t_pass} \
                         AND t.from_address NOT IN ({zero})) \
         SELECT p.chain, p.deposit, p.entity, p.sender \
         FROM known k RIGHT ANTI JOIN paid p ON k.chain = p.chain AND k.address = p.sender",
        zero = ZERO_ADDRESSES
    )
}

/// The chains' zero addresses (mints and burns), never a sender.
const ZERO_ADDRESSES: &str =
    "'0x0000000000000000000000000000000000000000', 'T9yD14Nj9j7xAB4dbGeiX9h8unkKHxuWwb'";

/// Services: `(chain, sender, n_deposits, n_entities)` for every payer ([`payers_sql`])
/// into the deposit addresses of at least `service_min_entities` entities or into at
/// least `service_min_deposits` deposit addresses.
pub fn services_sql(p: &ClusterParams, payers: &str) -> String {
    format!(
        "SELECT chain, sender, count(DISTINCT deposit) AS n_deposits, \
                count(DISTINCT entity) AS n_entities \
         FROM {payers} GROUP BY chain, sender \
         HAVING count(DISTINCT entity) >= {e} OR count(DISTINCT deposit) >= {d}",
        e = p.service_min_entities,
        d = p.service_min_deposits
    )
}

/// The co-depositors of each deposit address of one entity: `(chain, deposit, sender,
/// tx)`, one row per (deposit, sender), `tx` the smallest of the sender's forwarded
/// receipts. Labelled senders, self-transfers, the chain's zero address and services
/// are left out. With a `pass`, the senders of that pass's deposit addresses.
///
/// Materialised because the sender edges ([`sql`]) read it twice — once to find each
/// deposit's smallest sender (the root of its star), once for the edges. Windows over
/// one partition per deposit cost more in DataFusion 55, and grouping into an array of
/// structs does not decode on Ballista 55 (measured; README, Performance).
pub fn senders_sql(receipts: &str, deposits: &str, services: &str, pass: Option<Pass>) -> String {
    let r_pass = match pass {
        Some(pass) => format!("AND {}", pass.predicate("r.deposit")),
        None => String::new(),
    };
    format!(
        "WITH d AS (SELECT chain, deposit FROM {deposits} WHERE n_entities = 1), \
              known AS (SELECT DISTINCT chain, address FROM labels \
                        UNION SELECT chain, sender FROM {services}), \
              paid AS (SELECT r.chain, r.deposit, r.sender, r.rx_tx \
                       FROM d JOIN {receipts} r ON d.chain = r.chain AND d.deposit = r.deposit \
                       WHERE r.genuine AND r.sender <> r.deposit {r_pass} \
                         AND r.sender NOT IN ({zero})) \
         SELECT p.chain, p.deposit, p.sender, min(p.rx_tx) AS tx \
         FROM known k RIGHT ANTI JOIN paid p ON k.chain = p.chain AND k.address = p.sender \
         GROUP BY p.chain, p.deposit, p.sender",
        zero = ZERO_ADDRESSES
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
