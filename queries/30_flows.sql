-- stage: flows
-- set: optimizer.join_reordering = false
-- set: optimizer.hash_join_single_partition_threshold_rows = 4000000
-- set: optimizer.hash_join_single_partition_threshold = 536870912
-- strings: views
-- One row ("leg") per value that crosses an entity's boundary, the base of every
-- turnover table. A transfer from A to B gives
--   an 'in' leg for entity(B) when entity(A) differs (or is unknown), and
--   an 'out' leg for entity(A) when entity(B) differs (or is unknown);
-- so a sweep deposit → hot wallet inside one exchange gives no leg (internal), and a
-- transfer between two exchanges gives one leg on each side.
--
-- lower_bound marks the legs whose entity-side address carries a seed label itself:
-- the lower bound is the estimate restricted to labelled addresses, so it never
-- exceeds the estimate.
--
-- Bitcoin: a transaction moves value from its inputs to its outputs without saying
-- which input paid which output. Value is attributed with the proportional rule
-- (GraphSense's estimated_value): input group i pays output group o
--     value(o) × value(i) / Σ inputs,
-- rounded to whole satoshi; fees go to miners and are nobody's turnover.
--
-- Joins are planned in the order written (`-- set:` above): each names the smaller side
-- first, so it is the hash join's build side (DataFusion's estimates put the transfers
-- there). Build sides up to 4M rows / 512 MB are built once and shared by all partitions,
-- so the transfers stream through without being copied into partitions
-- (docs/performance.md#join-order-as-written).
--
-- Every leg comes from one transfer, so the query can run in passes (the `slice:`
-- placeholders; one pass unless memory is bounded): account transfers in slices of their
-- sender, whose entity lookup then builds on that slice of the entity addresses only
-- (the receiver's lookup still holds all of them), and Bitcoin transactions in slices of
-- their hash, whose groups' hash tables are built a slice at a time
-- (docs/performance.md#sliced-stage-queries).
--
-- Addresses are joined on their 64-bit keys (`from_key`, `to_key`, `address_key`:
-- integers hash and compare in a fraction of the time of 42-byte strings), and on the
-- strings as well (`if:keys_collide:` placeholders) only in a run where two distinct
-- addresses share a key, which the job checks over all addresses after clustering: the
-- joins are exact either way.
--
-- Columns: only those the turnover and counterparty tables read. A leg's transfer id
-- (`tx_hash:log_index`) and its entity-side address are not, and are left out for speed
-- (docs/performance.md#narrow-flows).
--
-- USD: amount × the price of the asset on the transfer's UTC day, as DECIMAL(38, 6) so sums
-- are exact and the same in every run and engine; NULL when there is
-- no price (see `coverage`). Only the years in scope are computed (all years in a full
-- run; the affected ones in an incremental run).
WITH attr AS (
    SELECT chain, address, address_key, party AS cluster_id, entity, category, labelled_entity
    FROM address_attribution
),
-- The entity addresses, as narrow as the two joins that build on them allow (each holds
-- all of them, docs/performance.md#sliced-stage-queries): an entity address's party is
-- its entity (`entity:<name>`), and its category is its entity's, looked up once per leg.
attr_e AS (
    SELECT chain, address, address_key, entity, labelled_entity = entity AS labelled
    FROM address_attribution WHERE entity IS NOT NULL
),
entity_category AS (
    SELECT entity, min(category) AS category FROM entities GROUP BY entity
),
-- Most addresses are their own cluster, and a lone address's party is its own node id
-- `chain:address` (its cluster id): the joins that look up parties build only on the
-- other addresses, those with an entity or in a cluster with others (a small part of the
-- table; hash joins cannot spill), and compute the node id for an address they do not
-- find (docs/performance.md#lookups-build-on-the-addresses-that-matter).
attr_c AS (
    SELECT chain, address, address_key, cluster_id FROM attr
    WHERE entity IS NULL AND cluster_id <> chain || ':' || address
),
-- The addresses of UTXO chains only, for the Bitcoin joins: an account chain's address
-- never meets a Bitcoin input or output, and as a build side it only costs memory
-- (docs/performance.md#lookups-build-on-the-addresses-that-matter). The chains
-- come from the outputs: a Bitcoin leg needs an output, so a chain without outputs has none.
attr_u AS (
    SELECT a.* FROM (SELECT DISTINCT chain FROM utxo_outputs) c
    RIGHT SEMI JOIN (SELECT * FROM attr
                     WHERE entity IS NOT NULL OR cluster_id <> chain || ':' || address) a
      ON a.chain = c.chain
),
-- Account chains. Only transfers with an entity on at least one side make legs. Every
-- join below names the attribution first so that it, not the transfers, is the hash
-- join's build side (the entity addresses are a small part of all addresses; the
-- transfers are the largest table of all).
-- The labelled flags are written CASE … WHEN true THEN false rather than COALESCE(…, false):
-- never NULL either way, but DataFusion 55 then derives the same nullability for the
-- logical and the physical plan of the UNIONs below (with COALESCE it rejects the plan
-- once they are grouped by).
account_from AS (
    SELECT t.chain, t.block_time, t.asset, t.symbol, t.amount, t.tx_hash, t.log_index,
           t.from_address, t.to_address, t.from_key, t.to_key,
           f.entity AS from_entity, 'entity:' || f.entity AS from_party,
           CASE WHEN f.labelled THEN true WHEN true THEN false END AS from_labelled
    FROM (SELECT * FROM attr_e WHERE ${slice:address_key}) f
    RIGHT JOIN (SELECT t.* FROM scope_years y
                JOIN transfers t ON y.year = CAST(date_part('year', t.block_time) AS INT)
                WHERE ${slice:t.from_key}) t
      ON f.address_key = t.from_key
     ${if:keys_collide: AND f.chain = t.chain AND f.address = t.from_address}
    WHERE t.block_time IS NOT NULL
      -- zero-value transfers (address poisoning) move nothing; tokens without known
      -- decimals have no amount: both are left out and counted in rejects_summary
      AND t.amount_raw > 0 AND t.amount IS NOT NULL
),
account_both AS (
    SELECT a.*, r.entity AS to_entity, 'entity:' || r.entity AS to_party,
           CASE WHEN r.labelled THEN true WHEN true THEN false END AS to_labelled
    FROM attr_e r
    RIGHT JOIN account_from a
      ON r.address_key = a.to_key
     ${if:keys_collide: AND r.chain = a.chain AND r.address = a.to_address}
    WHERE a.from_entity IS NOT NULL OR r.entity IS NOT NULL
),
-- The side without an entity is a counterparty, identified by its cluster; a side with
-- an entity already has its party.
account AS (
    SELECT a.chain, a.block_time, a.asset, a.symbol, a.amount,
           CASE WHEN a.from_entity IS NOT NULL THEN a.from_party
                ELSE COALESCE(c.cluster_id, a.chain || ':' || a.from_address) END AS from_cluster,
           a.from_entity, a.from_labelled,
           CASE WHEN a.to_entity IS NOT NULL THEN a.to_party
                ELSE COALESCE(c.cluster_id, a.chain || ':' || a.to_address) END AS to_cluster,
           a.to_entity, a.to_labelled
    FROM attr_c c
    RIGHT JOIN account_both a
      ON c.address_key = CASE WHEN a.from_entity IS NULL THEN a.from_key
                              WHEN a.to_entity IS NULL THEN a.to_key END
     ${if:keys_collide: AND c.chain = a.chain
                        AND c.address = CASE WHEN a.from_entity IS NULL THEN a.from_address
                                             WHEN a.to_entity IS NULL THEN a.to_address END}
),
directions AS (
    SELECT column1 AS dir FROM (VALUES ('in'), ('out'))
),
-- One leg per side that has an entity and differs from the other side's. A transfer is
-- one value between two addresses, so (transfer, entity, direction) is unique here:
-- every account leg is its transfer's first.
account_sides AS (
    SELECT a.chain, a.block_time, a.asset, a.symbol, a.amount,
           CASE WHEN d.dir = 'in' THEN a.to_entity ELSE a.from_entity END AS entity,
           d.dir AS direction,
           -- a side's cluster is NULL only when its address is
           CASE WHEN d.dir = 'in' THEN a.from_cluster ELSE a.to_cluster END AS counterparty,
           CASE WHEN d.dir = 'in' THEN a.from_entity ELSE a.to_entity END AS counterparty_entity,
           CASE WHEN d.dir = 'in' THEN a.to_labelled ELSE a.from_labelled END AS lower_bound,
           1 AS first_leg
    FROM directions d CROSS JOIN account a
    WHERE CASE WHEN d.dir = 'in'
               THEN a.to_entity IS NOT NULL AND (a.from_entity IS NULL OR a.from_entity <> a.to_entity)
               ELSE a.from_entity IS NOT NULL AND (a.to_entity IS NULL OR a.to_entity <> a.from_entity)
          END
),
account_legs AS (
    SELECT l.chain, l.block_time, l.asset, l.symbol, l.amount, l.entity, c.category,
           l.direction, l.counterparty, l.counterparty_entity, l.lower_bound, l.first_leg
    FROM entity_category c
    RIGHT JOIN account_sides l ON c.entity = l.entity
),
utxo_in AS (
    SELECT i.chain, i.tx_hash, i.value_sat, i.address,
           COALESCE(a.cluster_id, i.chain || ':' || i.address) AS cluster_id, a.entity, a.category,
           COALESCE(a.labelled_entity = a.entity, false) AS labelled
    FROM attr_u a
    RIGHT JOIN (SELECT i.* FROM scope_years y
                JOIN utxo_inputs i ON y.year = CAST(date_part('year', i.block_time) AS INT)
                WHERE ${slice:i.tx_hash}) i
      ON a.address_key = i.address_key
     ${if:keys_collide: AND a.chain = i.chain AND a.address = i.address}
    WHERE i.block_time IS NOT NULL
),
utxo_out AS (
    SELECT o.chain, o.tx_hash, o.block_time, o.value_sat, o.address,
           COALESCE(a.cluster_id, o.chain || ':' || o.address) AS cluster_id, a.entity,
           a.category, COALESCE(a.labelled_entity = a.entity, false) AS labelled
    FROM attr_u a
    RIGHT JOIN (SELECT o.* FROM scope_years y
                JOIN utxo_outputs o ON y.year = CAST(date_part('year', o.block_time) AS INT)
                WHERE ${slice:o.tx_hash}) o
      ON a.address_key = o.address_key
     ${if:keys_collide: AND a.chain = o.chain AND a.address = o.address}
    WHERE o.block_time IS NOT NULL
),
-- The denominator is the larger of the inputs and outputs present: if some input rows
-- are missing (rejected, or not exported yet) the present inputs are not credited with
-- more than they hold.
tx_total AS (
    SELECT i.chain, i.tx_hash, GREATEST(i.total, COALESCE(o.total, 0)) AS total
    FROM (SELECT chain, tx_hash, sum(value_sat) AS total FROM utxo_in
          GROUP BY chain, tx_hash HAVING sum(value_sat) > 0) i
    LEFT JOIN (SELECT chain, tx_hash, sum(value_sat) AS total FROM utxo_out GROUP BY chain, tx_hash) o
      ON o.chain = i.chain AND o.tx_hash = i.tx_hash
),
in_group AS (
    SELECT chain, tx_hash, cluster_id, entity, category, labelled,
           sum(value_sat) AS v
    FROM utxo_in GROUP BY chain, tx_hash, cluster_id, entity, category, labelled
),
out_group AS (
    SELECT chain, tx_hash, min(block_time) AS block_time, cluster_id, entity, category, labelled,
           sum(value_sat) AS v
    FROM utxo_out GROUP BY chain, tx_hash, cluster_id, entity, category, labelled
),
utxo AS (
    SELECT o.chain, o.block_time, 'BTC' AS asset, 'BTC' AS symbol,
           token_amount(CAST(CAST(CAST(o.v AS DECIMAL(38, 0)) * CAST(i.v AS DECIMAL(38, 0))
                                  / CAST(t.total AS DECIMAL(38, 0)) AS DECIMAL(38, 0)) AS DECIMAL(76, 0)),
                        8, 18) AS amount,
           o.tx_hash AS transfer,
           i.cluster_id AS from_cluster, i.entity AS from_entity, i.category AS from_category,
           CASE WHEN i.labelled THEN true WHEN true THEN false END AS from_labelled,
           o.cluster_id AS to_cluster, o.entity AS to_entity, o.category AS to_category,
           CASE WHEN o.labelled THEN true WHEN true THEN false END AS to_labelled
    FROM out_group o
    JOIN in_group i ON i.chain = o.chain AND i.tx_hash = o.tx_hash
    JOIN tx_total t ON t.chain = o.chain AND t.tx_hash = o.tx_hash
    WHERE o.entity IS NOT NULL OR i.entity IS NOT NULL
),
utxo_legs AS (
    SELECT u.chain, u.block_time, u.asset, u.symbol, u.amount, u.transfer,
           CASE WHEN d.dir = 'in' THEN u.to_entity ELSE u.from_entity END AS entity,
           CASE WHEN d.dir = 'in' THEN u.to_category ELSE u.from_category END AS category,
           d.dir AS direction,
           -- a group's cluster id is NULL only when its addresses are (no address in
           -- the script), so the counterparty is NULL exactly then, as for accounts
           CASE WHEN d.dir = 'in' THEN u.from_cluster ELSE u.to_cluster END AS counterparty,
           CASE WHEN d.dir = 'in' THEN u.from_entity ELSE u.to_entity END AS counterparty_entity,
           CASE WHEN d.dir = 'in' THEN u.to_labelled ELSE u.from_labelled END AS lower_bound
    FROM directions d CROSS JOIN utxo u
    WHERE CASE WHEN d.dir = 'in'
               THEN u.to_entity IS NOT NULL AND (u.from_entity IS NULL OR u.from_entity <> u.to_entity)
               ELSE u.from_entity IS NOT NULL AND (u.to_entity IS NULL OR u.to_entity <> u.from_entity)
          END
),
-- A Bitcoin transaction gives one leg per (input group, output group): merge them to one
-- row per (transaction, entity, direction, counterparty, lower_bound); first_leg = 1 on
-- exactly one row per (transaction, entity, direction), so counts are sums, not
-- count(DISTINCT …) (whose per-group hash sets cost gigabytes at millions of legs).
-- The first row of a (transaction, entity, direction) is the one whose predecessor in
-- that order belongs to another: `lag` over a few hundred buckets of the transaction
-- hash (its last two characters, so a transaction's rows share a bucket), not
-- `row_number()` over one window partition per group. DataFusion 55 handles window
-- partitions one at a time; unlike one unpartitioned window, the buckets still run in
-- parallel (and on Ballista in several tasks;
-- docs/performance.md#windows-over-hash-buckets). The order ends in every grouped
-- column, so ties cannot make the choice depend on the run.
merged AS (
    SELECT chain, block_time, asset, min(symbol) AS symbol, transfer, entity, min(category) AS category,
           direction, counterparty, min(counterparty_entity) AS counterparty_entity, lower_bound,
           sum(amount) AS amount
    FROM utxo_legs
    GROUP BY chain, block_time, asset, transfer, entity, direction, counterparty, lower_bound
),
legs AS (
    SELECT chain, block_time, asset, symbol, amount, entity, category, direction,
           counterparty, counterparty_entity, lower_bound, first_leg
    FROM account_legs
    UNION ALL
    SELECT l.chain, l.block_time, l.asset, l.symbol, l.amount, l.entity, l.category,
           l.direction, l.counterparty, l.counterparty_entity, l.lower_bound,
           CASE WHEN lag(l.transfer) OVER w = l.transfer AND lag(l.entity) OVER w = l.entity
                     AND lag(l.direction) OVER w = l.direction
                THEN 0 ELSE 1 END AS first_leg
    FROM merged l
    WINDOW w AS (PARTITION BY right(l.transfer, 2)
                 ORDER BY l.transfer, l.entity, l.direction,
                          COALESCE(l.counterparty, '') || CASE WHEN l.lower_bound THEN '|1' ELSE '|0' END,
                          l.chain, l.block_time, l.asset)
)
SELECT l.chain,
       CAST(l.block_time AS DATE) AS day,
       -- the month of the UTC day: date_trunc on the timestamp itself costs more
       -- (docs/performance.md#months-from-utc-days)
       CAST(date_trunc('month', CAST(l.block_time AS DATE)) AS DATE) AS month,
       CAST(date_part('year', l.block_time) AS INT) AS year,
       l.entity, l.category, l.direction, l.asset, l.symbol, l.amount,
       TRY_CAST(CAST(l.amount AS DOUBLE) * p.price_usd AS DECIMAL(38, 6)) AS usd,
       l.lower_bound, l.counterparty, l.counterparty_entity, l.first_leg
FROM prices p
RIGHT JOIN legs l
  ON p.chain = l.chain AND p.asset = l.asset AND p.day = CAST(l.block_time AS DATE)
