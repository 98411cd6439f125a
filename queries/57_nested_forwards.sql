-- stage: nested_forwards
-- set: optimizer.join_reordering = false
-- The forwards behind `nested_exchangers` (58_nested_exchangers.sql says what they are
-- for): per unattributed sender into deposit addresses of labelled exchanges, on how many
-- days it forwarded, how much and to which host (the exchange it forwards the most USD
-- to), kept when it forwarded on at least ${nested_min_forward_days} days. A stage of its
-- own so that neither query's plan nests deeper than Ballista's plan decoder accepts.
WITH attr_e AS (
    SELECT chain, address, address_key, entity, labelled_entity FROM address_attribution
    WHERE entity IS NOT NULL
),
exchanges AS (
    SELECT DISTINCT entity FROM entities WHERE lower(category) IN (${exchange_categories})
),
host_deposits AS (
    SELECT a.chain, a.address, a.address_key, a.entity AS host
    FROM exchanges x JOIN attr_e a ON a.entity = x.entity
    WHERE a.labelled_entity IS NULL
),
fwd AS (
    SELECT t.chain, t.from_address AS hub, t.from_key AS hub_key, d.host, t.to_address AS deposit,
           t.block_time, t.asset, t.amount
    FROM host_deposits d
    JOIN transfers t
      ON t.to_key = d.address_key
     ${if:keys_collide: AND t.chain = d.chain AND t.to_address = d.address}
    WHERE t.amount_raw > 0 AND t.amount IS NOT NULL AND t.block_time IS NOT NULL
),
-- senders that are themselves attributed (the host's own wallets, other exchanges) are
-- no nested service
fwd_u AS (
    SELECT f.* FROM (SELECT chain, address, address_key FROM attr_e) a
    RIGHT ANTI JOIN fwd f
      ON a.address_key = f.hub_key
     ${if:keys_collide: AND a.chain = f.chain AND a.address = f.hub}
),
fwd_priced AS (
    SELECT f.*, TRY_CAST(CAST(f.amount AS DOUBLE) * p.price_usd AS DECIMAL(38, 6)) AS usd
    FROM prices p
    RIGHT JOIN fwd_u f ON p.chain = f.chain AND p.asset = f.asset AND p.day = CAST(f.block_time AS DATE)
),
per_host AS (
    SELECT chain, hub, hub_key, host, count(*) AS forwards, COALESCE(sum(usd), 0) AS usd,
           count(DISTINCT deposit) AS deposits,
           count(DISTINCT CAST(block_time AS DATE)) AS days
    FROM fwd_priced GROUP BY chain, hub, hub_key, host
),
hubs AS (
    SELECT chain, hub, hub_key,
           -- the host: the exchange it forwards the most USD to
           min(host) FILTER (WHERE rk = 1) AS host,
           count(*) AS hosts, sum(forwards) AS forwards, sum(usd) AS forwarded_usd,
           sum(deposits) AS host_deposits, max(days) AS forward_days
    FROM (SELECT p.*, row_number() OVER (PARTITION BY chain, hub ORDER BY usd DESC, host) AS rk
          FROM per_host p) r
    GROUP BY chain, hub, hub_key
    HAVING max(days) >= ${nested_min_forward_days}
)
SELECT * FROM hubs
