-- stage: coverage_days
-- set: optimizer.join_reordering = false
-- set: optimizer.hash_join_single_partition_threshold_rows = 4000000
-- set: optimizer.hash_join_single_partition_threshold = 536870912
-- strings: views
-- What `coverage` (80_coverage.sql) adds up, per year, chain, asset and day: transfers
-- (Bitcoin: transactions, with their output value), those with a USD price for their
-- day, those touching an attributed address (estimate) or a labelled one (lower bound),
-- and their USD volume. A price is per asset and day, so a day is priced or not.
-- Only attributed addresses matter here: joining with that (small) subset rather than
-- every address keeps the hash joins' build sides small at billions of transfers. Joins
-- run in the order written (`-- set:` above), the small side first: DataFusion's
-- estimates after filters would build on the transfers instead. As in `flows`, build
-- sides up to 4M rows / 512 MB are built once and shared, so the transfers are not
-- hash-partitioned (docs/performance.md#join-order-as-written).
-- Every count here comes from one transfer, so it runs in passes like `flows` (the
-- `slice:` placeholders; one pass unless memory is bounded): account transfers in slices of
-- their sender (whose lookup then builds on that slice of the attributed addresses),
-- Bitcoin transactions in slices of their hash; `coverage` sums the passes' rows
-- (docs/performance.md#sliced-stage-queries).
-- Each attributed address is in two build sides (from and to), so they hold only what the
-- flags need: the address key (joined as in `flows`, with the strings only in a run where
-- keys collide: `if:keys_collide:`) and whether its own label names it.
-- Only the years in scope are counted (as in `flows`): transfers and outputs are filtered
-- by year before the lookups, so an incremental run does not join the other years' rows
-- (a transaction's inputs are grouped whatever their time, as before; only the groups of
-- in-scope outputs are used).
WITH attr AS (
    SELECT chain, address, address_key, labelled_entity IS NOT NULL AS labelled
    FROM address_attribution WHERE entity IS NOT NULL
),
-- UTXO chains' addresses only, for the Bitcoin joins (as in `flows`; rows here start from
-- the outputs, so the chains with outputs are the ones that matter).
attr_u AS (
    SELECT a.* FROM (SELECT DISTINCT chain FROM utxo_outputs) c
    RIGHT SEMI JOIN attr a ON a.chain = c.chain
),
moves AS (
    SELECT t.chain, t.block_time, t.asset, t.symbol, t.amount,
           (t.from_attributed OR r.labelled IS NOT NULL) AS attributed,
           (t.from_labelled OR CASE WHEN r.labelled THEN true WHEN true THEN false END) AS labelled
    FROM attr r
    RIGHT JOIN (SELECT t.*, f.labelled IS NOT NULL AS from_attributed,
                       CASE WHEN f.labelled THEN true WHEN true THEN false END AS from_labelled
                FROM (SELECT * FROM attr WHERE ${slice:address_key}) f
                RIGHT JOIN (SELECT t.* FROM scope_years y
                            JOIN transfers t ON y.year = CAST(date_part('year', t.block_time) AS INT)
                            WHERE ${slice:t.from_key}) t
                  ON f.address_key = t.from_key
                 ${if:keys_collide: AND f.chain = t.chain AND f.address = t.from_address}) t
      ON r.address_key = t.to_key
     ${if:keys_collide: AND r.chain = t.chain AND r.address = t.to_address}
    UNION ALL
    SELECT o.chain, min(o.block_time), 'BTC', 'BTC',
           token_amount(CAST(sum(o.value_sat) AS DECIMAL(76, 0)), 8, 18),
           count(o.attr_labelled) > 0 OR bool_or(COALESCE(ia.attributed, false)),
           count(CASE WHEN o.attr_labelled THEN 1 END) > 0 OR bool_or(COALESCE(ia.labelled, false))
    FROM (
        SELECT i.chain, i.tx_hash, count(x.labelled) > 0 AS attributed,
               count(CASE WHEN x.labelled THEN 1 END) > 0 AS labelled
        FROM attr_u x RIGHT JOIN utxo_inputs i
          ON x.address_key = i.address_key
         ${if:keys_collide: AND x.chain = i.chain AND x.address = i.address}
        WHERE ${slice:i.tx_hash}
        GROUP BY i.chain, i.tx_hash
    ) ia
    RIGHT JOIN (SELECT o.*, a.labelled AS attr_labelled
                FROM attr_u a
                RIGHT JOIN (SELECT o.* FROM scope_years y
                            JOIN utxo_outputs o ON y.year = CAST(date_part('year', o.block_time) AS INT)
                            WHERE ${slice:o.tx_hash}) o
                  ON a.address_key = o.address_key
                 ${if:keys_collide: AND a.chain = o.chain AND a.address = o.address}) o
      ON ia.chain = o.chain AND ia.tx_hash = o.tx_hash
    GROUP BY o.chain, o.tx_hash
),
priced AS (
    SELECT m.*, CAST(date_part('year', m.block_time) AS INT) AS year,
           CAST(m.block_time AS DATE) AS day, p.price_usd
    FROM prices p
    RIGHT JOIN moves m
      ON p.chain = m.chain AND p.asset = m.asset AND p.day = CAST(m.block_time AS DATE)
)
SELECT year, chain, asset, symbol, day, price_usd IS NULL AS unpriced,
       count(*) AS transfers,
       count(price_usd) AS priced_transfers,
       count(CASE WHEN attributed THEN 1 END) AS attributed_transfers,
       count(CASE WHEN labelled THEN 1 END) AS labelled_transfers,
       sum(TRY_CAST(CAST(amount AS DOUBLE) * price_usd AS DECIMAL(38, 6))) AS volume_usd
FROM priced
GROUP BY year, chain, asset, symbol, day, price_usd IS NULL
