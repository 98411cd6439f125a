-- stage: candidate_members
-- set: optimizer.join_reordering = false
-- The addresses of each exchange candidate, for candidate_turnover_yearly
-- (61_candidate_turnover_yearly.sql says which and why); one candidate per address. A
-- stage of its own so that neither query's plan nests deeper than Ballista's plan
-- decoder accepts.
WITH cand AS (
    SELECT cluster_id, chain, hub, confidence FROM exchange_candidates
),
hubk AS (
    SELECT cluster_id, chain, hub, key_hash(chain, hub) AS hub_key FROM cand
),
from_hub AS (
    SELECT h.cluster_id, t.chain, t.to_key AS k, min(t.to_address) AS address, count(*) AS n
    FROM hubk h JOIN transfers t ON t.from_key = h.hub_key
     ${if:keys_collide: AND t.chain = h.chain AND t.from_address = h.hub}
    WHERE t.amount_raw > 0 AND t.to_key <> h.hub_key
    GROUP BY h.cluster_id, t.chain, t.to_key
),
to_hub AS (
    SELECT h.cluster_id, t.from_key AS k, count(*) AS n
    FROM hubk h JOIN transfers t ON t.to_key = h.hub_key
     ${if:keys_collide: AND t.chain = h.chain AND t.to_address = h.hub}
    WHERE t.amount_raw > 0
    GROUP BY h.cluster_id, t.from_key
),
both_ways AS (
    SELECT f.cluster_id, f.chain, f.k, f.address, f.n AS n_from_hub, x.n AS n_to_hub
    FROM from_hub f JOIN to_hub x ON x.cluster_id = f.cluster_id AND x.k = f.k
    WHERE f.n >= 2 AND x.n >= 2
),
received AS (
    SELECT b.k, count(*) AS n FROM both_ways b JOIN transfers t ON t.to_key = b.k
    WHERE t.amount_raw > 0 GROUP BY b.k
),
sent AS (
    SELECT b.k, count(*) AS n FROM both_ways b JOIN transfers t ON t.from_key = b.k
    WHERE t.amount_raw > 0 GROUP BY b.k
),
internal AS (
    SELECT b.cluster_id, b.chain, b.address
    FROM both_ways b
    JOIN received r ON r.k = b.k
    JOIN sent s ON s.k = b.k
    LEFT ANTI JOIN (SELECT address_key FROM address_attribution WHERE entity IS NOT NULL) a
      ON a.address_key = b.k
    WHERE CAST(b.n_from_hub AS DOUBLE) >= 0.95 * r.n AND CAST(b.n_to_hub AS DOUBLE) >= 0.95 * s.n
),
raw_members AS (
    SELECT c.cluster_id, a.chain, a.address FROM cand c
    JOIN address_attribution a ON a.cluster_id = c.cluster_id AND a.chain = c.chain
    UNION ALL
    SELECT cluster_id, chain, hub FROM cand
    UNION ALL
    SELECT c.cluster_id, d.chain, d.deposit FROM cand c
    JOIN candidate_deposits d ON d.chain = c.chain AND d.hub = c.hub
    UNION ALL
    SELECT cluster_id, chain, address FROM internal
),
-- one candidate per address (an address feeding two hubs belongs to the first)
members AS (
    SELECT chain, address, key_hash(chain, address) AS address_key, min(cluster_id) AS cluster_id
    FROM raw_members GROUP BY chain, address
)
SELECT chain, address, address_key, cluster_id FROM members
