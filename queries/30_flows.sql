-- stage: flows
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
-- USD: amount × the price of the asset on the transfer's UTC day, as DECIMAL(38, 6) so sums
-- are exact and the same in every run and engine; NULL when there is
-- no price (see `coverage`). Only the years in scope are computed (all years in a full
-- run; the affected ones in an incremental run).
WITH attr AS (
    SELECT chain, address, party AS cluster_id, entity, category, labelled_entity FROM address_attribution
),
-- The labelled flags are written CASE … WHEN true THEN false rather than COALESCE(…, false):
-- never NULL either way, but DataFusion 55 then derives the same nullability for the
-- logical and the physical plan of the UNIONs below (with COALESCE it rejects the plan
-- once they are grouped by).
account AS (
    SELECT t.chain, t.block_time, t.asset, t.symbol, t.amount,
           t.tx_hash || ':' || CAST(t.log_index AS VARCHAR) AS transfer,
           t.from_address, t.to_address,
           f.cluster_id AS from_cluster, f.entity AS from_entity, f.category AS from_category,
           CASE WHEN f.labelled_entity = f.entity THEN true WHEN true THEN false END AS from_labelled,
           r.cluster_id AS to_cluster, r.entity AS to_entity, r.category AS to_category,
           CASE WHEN r.labelled_entity = r.entity THEN true WHEN true THEN false END AS to_labelled
    FROM transfers t
    LEFT JOIN attr f ON f.chain = t.chain AND f.address = t.from_address
    LEFT JOIN attr r ON r.chain = t.chain AND r.address = t.to_address
    WHERE t.block_time IS NOT NULL
      AND CAST(date_part('year', t.block_time) AS INT) IN (SELECT year FROM scope_years)
      AND (f.entity IS NOT NULL OR r.entity IS NOT NULL)
      -- zero-value transfers (address poisoning) move nothing; tokens without known
      -- decimals have no amount: both are left out and counted in rejects_summary
      AND t.amount_raw > 0 AND t.amount IS NOT NULL
),
utxo_in AS (
    SELECT i.chain, i.tx_hash, i.value_sat, i.address, a.cluster_id, a.entity, a.category,
           COALESCE(a.labelled_entity = a.entity, false) AS labelled
    FROM utxo_inputs i LEFT JOIN attr a ON a.chain = i.chain AND a.address = i.address
    WHERE i.block_time IS NOT NULL
      AND CAST(date_part('year', i.block_time) AS INT) IN (SELECT year FROM scope_years)
),
utxo_out AS (
    SELECT o.chain, o.tx_hash, o.block_time, o.value_sat, o.address, a.cluster_id, a.entity,
           a.category, COALESCE(a.labelled_entity = a.entity, false) AS labelled
    FROM utxo_outputs o LEFT JOIN attr a ON a.chain = o.chain AND a.address = o.address
    WHERE o.block_time IS NOT NULL
      AND CAST(date_part('year', o.block_time) AS INT) IN (SELECT year FROM scope_years)
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
           min(address) AS address, sum(value_sat) AS v
    FROM utxo_in GROUP BY chain, tx_hash, cluster_id, entity, category, labelled
),
out_group AS (
    SELECT chain, tx_hash, min(block_time) AS block_time, cluster_id, entity, category, labelled,
           min(address) AS address, sum(value_sat) AS v
    FROM utxo_out GROUP BY chain, tx_hash, cluster_id, entity, category, labelled
),
utxo AS (
    SELECT o.chain, o.block_time, 'BTC' AS asset, 'BTC' AS symbol,
           token_amount(CAST(CAST(CAST(o.v AS DECIMAL(38, 0)) * CAST(i.v AS DECIMAL(38, 0))
                                  / CAST(t.total AS DECIMAL(38, 0)) AS DECIMAL(38, 0)) AS DECIMAL(76, 0)),
                        8, 18) AS amount,
           o.tx_hash AS transfer,
           i.address AS from_address, o.address AS to_address,
           i.cluster_id AS from_cluster, i.entity AS from_entity, i.category AS from_category,
           CASE WHEN i.labelled THEN true WHEN true THEN false END AS from_labelled,
           o.cluster_id AS to_cluster, o.entity AS to_entity, o.category AS to_category,
           CASE WHEN o.labelled THEN true WHEN true THEN false END AS to_labelled
    FROM out_group o
    JOIN in_group i ON i.chain = o.chain AND i.tx_hash = o.tx_hash
    JOIN tx_total t ON t.chain = o.chain AND t.tx_hash = o.tx_hash
    WHERE o.entity IS NOT NULL OR i.entity IS NOT NULL
),
moves AS (
    SELECT * FROM account
    UNION ALL
    SELECT * FROM utxo
),
legs AS (
    SELECT chain, block_time, asset, symbol, amount, transfer,
           to_entity AS entity, to_category AS category, 'in' AS direction, to_address AS address,
           COALESCE(from_cluster, from_address) AS counterparty, from_entity AS counterparty_entity,
           to_labelled AS lower_bound
    FROM moves
    WHERE to_entity IS NOT NULL AND (from_entity IS NULL OR from_entity <> to_entity)
    UNION ALL
    SELECT chain, block_time, asset, symbol, amount, transfer,
           from_entity, from_category, 'out', from_address,
           COALESCE(to_cluster, to_address), to_entity,
           from_labelled
    FROM moves
    WHERE from_entity IS NOT NULL AND (to_entity IS NULL OR to_entity <> from_entity)
),
-- One row per (transfer, entity, direction, counterparty, lower_bound); first_leg = 1 on
-- exactly one row per (transfer, entity, direction), so counts are sums, not
-- count(DISTINCT …) (whose per-group hash sets cost gigabytes at millions of legs).
merged AS (
    SELECT chain, block_time, asset, min(symbol) AS symbol, transfer, entity, min(category) AS category,
           direction, counterparty, min(counterparty_entity) AS counterparty_entity, lower_bound,
           min(address) AS address, sum(amount) AS amount
    FROM legs
    GROUP BY chain, block_time, asset, transfer, entity, direction, counterparty, lower_bound
),
firsts AS (
    SELECT transfer, entity, direction,
           min(COALESCE(counterparty, '') || CASE WHEN lower_bound THEN '|1' ELSE '|0' END) AS pick
    FROM merged GROUP BY transfer, entity, direction
)
SELECT l.chain,
       CAST(l.block_time AS DATE) AS day,
       CAST(date_trunc('month', l.block_time) AS DATE) AS month,
       CAST(date_part('year', l.block_time) AS INT) AS year,
       l.entity, l.category, l.direction, l.asset, l.symbol, l.amount,
       TRY_CAST(CAST(l.amount AS DOUBLE) * p.price_usd AS DECIMAL(38, 6)) AS usd,
       l.lower_bound, l.counterparty, l.counterparty_entity, l.transfer, l.address,
       CASE WHEN f.pick = COALESCE(l.counterparty, '') || CASE WHEN l.lower_bound THEN '|1' ELSE '|0' END
            THEN 1 ELSE 0 END AS first_leg
FROM merged l
JOIN firsts f ON f.transfer = l.transfer AND f.entity = l.entity AND f.direction = l.direction
LEFT JOIN prices p
  ON p.chain = l.chain AND p.asset = l.asset AND p.day = CAST(l.block_time AS DATE)
