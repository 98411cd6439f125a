-- stage: candidate_internal
-- set: optimizer.join_reordering = false
-- The exchange candidates' internal wallets, for candidate_members
-- (61_candidate_members.sql says what they are and why): each with the first hub
-- (smallest cluster id) that funded it. A stage of its own so that no plan nests deeper
-- than Ballista's plan decoder accepts.
WITH cand AS (
    SELECT cluster_id, chain, hub FROM exchange_candidates
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
-- per address, over all hubs: transfers from hubs and to hubs, and the hubs it links
both_ways AS (
    SELECT f.chain, f.k, min(f.address) AS address, sum(f.n) AS n_from_hubs,
           min(x.n_to_hubs) AS n_to_hubs, min(f.cluster_id) AS first_hub
    FROM from_hub f
    JOIN (SELECT k, sum(n) AS n_to_hubs FROM to_hub GROUP BY k) x ON x.k = f.k
    GROUP BY f.chain, f.k
    HAVING sum(f.n) >= 2 AND min(x.n_to_hubs) >= 2
),
received AS (
    SELECT b.k, count(*) AS n FROM both_ways b
    JOIN transfers t
      ON t.to_key = b.k ${if:keys_collide: AND t.chain = b.chain AND t.to_address = b.address}
    WHERE t.amount_raw > 0 GROUP BY b.k
),
sent AS (
    SELECT b.k, count(*) AS n FROM both_ways b
    JOIN transfers t
      ON t.from_key = b.k ${if:keys_collide: AND t.chain = b.chain AND t.from_address = b.address}
    WHERE t.amount_raw > 0 GROUP BY b.k
),
-- addresses that pay a hub they never received from
pays_a_stranger AS (
    SELECT DISTINCT x.k FROM from_hub f
    RIGHT ANTI JOIN to_hub x ON f.k = x.k AND f.cluster_id = x.cluster_id
),
internal AS (
    SELECT b.chain, b.k, b.address, b.first_hub
    FROM both_ways b
    JOIN received r ON r.k = b.k
    JOIN sent s ON s.k = b.k
    LEFT ANTI JOIN (SELECT address_key FROM address_attribution WHERE entity IS NOT NULL) a
      ON a.address_key = b.k
    LEFT ANTI JOIN pays_a_stranger p ON p.k = b.k
    WHERE CAST(b.n_from_hubs AS DOUBLE) >= 0.95 * r.n AND CAST(b.n_to_hubs AS DOUBLE) >= 0.95 * s.n
)
-- one row per internal wallet and hub it trades with: the hubs that funded it, which
-- (it pays no stranger) are all it trades with
SELECT i.chain, i.k, i.address, i.first_hub, f.cluster_id AS hub
FROM internal i JOIN from_hub f ON f.k = i.k
