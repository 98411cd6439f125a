-- publish: candidate_turnover_yearly
-- partition: year
-- set: optimizer.join_reordering = false
-- Each exchange candidate's turnover per year, computed like a labelled exchange's on
-- the candidate's addresses: its hub's cluster, the deposit-like addresses that feed the
-- hub (candidate_deposits), and its internal wallets — unattributed addresses that trade
-- with nobody but candidate hubs (at least 95% of their incoming transfers from them and
-- of their outgoing ones to them, at least two each way: a cold or treasury wallet; the
-- treasury rule of the clustering, for hubs nobody labelled). Hubs that share an
-- internal wallet (one exchange's two hot wallets and its cold wallet) are one
-- candidate, the row of the smallest cluster id (61_candidate_members.sql). A transfer
-- into those addresses from outside is inflow, one out of them is outflow, a sweep
-- deposit → hub is internal; depositors are the distinct counterparties (clusters;
-- `entity:<name>` when attributed) that sent value in. USD as in `flows` (amount × the
-- day's price, DECIMAL(38, 6); NULL when no leg had a price, 0 when there was no leg).
-- `counted` says whether the candidate's confidence reaches [job]
-- candidate_min_confidence, i.e. whether it counts in the estimate of unlicensed
-- activity (enforcement_summary); every candidate counts in the upper bound. Account
-- chains only, as the candidates. The candidates' addresses (staged by
-- 61_candidate_members.sql) are the hash joins' build side, written first (`-- set:`
-- above); the transfers stream through.
WITH cand AS (
    SELECT cluster_id, chain, hub, confidence FROM exchange_candidates
),
members AS (
    SELECT chain, address, address_key, cluster_id FROM candidate_members
),
sides AS (
    SELECT t.*, r.cluster_id AS to_cand
    FROM members r
    RIGHT JOIN (SELECT t.chain, t.block_time, t.asset, t.symbol, t.amount, t.from_address,
                       t.to_address, t.from_key, t.to_key, f.cluster_id AS from_cand
                FROM members f
                RIGHT JOIN (SELECT t.* FROM scope_years y
                            JOIN transfers t ON y.year = CAST(date_part('year', t.block_time) AS INT)) t
                  ON f.address_key = t.from_key
                 ${if:keys_collide: AND f.chain = t.chain AND f.address = t.from_address}
                WHERE t.block_time IS NOT NULL AND t.amount_raw > 0 AND t.amount IS NOT NULL) t
      ON r.address_key = t.to_key
     ${if:keys_collide: AND r.chain = t.chain AND r.address = t.to_address}
    WHERE t.from_cand IS NOT NULL OR r.cluster_id IS NOT NULL
),
directions AS (
    SELECT column1 AS dir FROM (VALUES ('in'), ('out'))
),
legs AS (
    SELECT s.chain, s.block_time, s.asset, s.amount, d.dir AS direction,
           CASE WHEN d.dir = 'in' THEN s.to_cand ELSE s.from_cand END AS candidate,
           CASE WHEN d.dir = 'in' THEN s.from_key ELSE s.to_key END AS other_key,
           CASE WHEN d.dir = 'in' THEN s.from_address ELSE s.to_address END AS other
    FROM directions d CROSS JOIN sides s
    WHERE CASE WHEN d.dir = 'in'
               THEN s.to_cand IS NOT NULL AND (s.from_cand IS NULL OR s.from_cand <> s.to_cand)
               ELSE s.from_cand IS NOT NULL AND (s.to_cand IS NULL OR s.to_cand <> s.from_cand)
          END
),
-- the counterparty's party, looked up on the addresses whose party is not their own id
named AS (
    SELECT l.*, COALESCE(a.party, l.chain || ':' || l.other) AS counterparty
    FROM (SELECT address_key, chain, address, party FROM address_attribution
          WHERE entity IS NOT NULL OR party <> chain || ':' || address) a
    RIGHT JOIN legs l
      ON a.address_key = l.other_key
     ${if:keys_collide: AND a.chain = l.chain AND a.address = l.other}
),
priced AS (
    SELECT n.*, CAST(date_part('year', n.block_time) AS INT) AS year,
           TRY_CAST(CAST(n.amount AS DOUBLE) * p.price_usd AS DECIMAL(38, 6)) AS usd
    FROM prices p
    RIGHT JOIN named n
      ON p.chain = n.chain AND p.asset = n.asset AND p.day = CAST(n.block_time AS DATE)
),
yearly AS (
    SELECT year, candidate,
           sum(CASE WHEN direction = 'in' THEN 1 ELSE 0 END) AS transfers_in,
           sum(CASE WHEN direction = 'out' THEN 1 ELSE 0 END) AS transfers_out,
           sum(CASE WHEN direction = 'in' THEN usd END) AS inflow_usd,
           sum(CASE WHEN direction = 'out' THEN usd END) AS outflow_usd,
           sum(usd) AS turnover_usd,
           sum(CASE WHEN usd IS NULL THEN 1 ELSE 0 END) AS unpriced_transfers,
           count(DISTINCT CASE WHEN direction = 'in' THEN counterparty END) AS depositors,
           count(DISTINCT counterparty) AS counterparties
    FROM priced GROUP BY year, candidate
)
SELECT y.year, c.cluster_id, c.chain, c.hub, c.confidence,
       c.confidence >= ${candidate_min_confidence} AS counted,
       CASE WHEN y.transfers_in = 0 THEN CAST(0 AS DECIMAL(38, 6)) ELSE y.inflow_usd END AS inflow_usd,
       CASE WHEN y.transfers_out = 0 THEN CAST(0 AS DECIMAL(38, 6)) ELSE y.outflow_usd END AS outflow_usd,
       y.turnover_usd,
       CAST(y.transfers_in AS BIGINT) AS transfers_in,
       CAST(y.transfers_out AS BIGINT) AS transfers_out,
       CAST(y.unpriced_transfers AS BIGINT) AS unpriced_transfers,
       y.depositors, y.counterparties
FROM cand c
JOIN yearly y ON y.candidate = c.cluster_id
ORDER BY y.year, y.turnover_usd DESC NULLS LAST, c.cluster_id
