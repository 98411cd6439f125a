-- stage: candidate_members
-- set: optimizer.join_reordering = false
-- The addresses of each exchange candidate, for candidate_turnover_yearly
-- (61_candidate_turnover_yearly.sql says which and why); one candidate per address. A
-- stage of its own so that neither query's plan nests deeper than Ballista's plan
-- decoder accepts.
-- Internal wallets: unattributed addresses that trade with nobody but candidate hubs (at
-- least 95 % of their incoming transfers from hubs and of their outgoing ones to hubs, at
-- least two each way) and send only to hubs that funded them (a reserve's round trips; an
-- exchange's account at another exchange receives from one hub and pays another, and
-- links nothing). An exchange with two hot wallets is two hubs sharing one cold
-- wallet, so hubs that share an internal wallet are one candidate (the smallest cluster
-- id of those it links) and its rebalancing is internal, not turnover twice.
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
    SELECT b.k, count(*) AS n FROM both_ways b JOIN transfers t ON t.to_key = b.k
    WHERE t.amount_raw > 0 GROUP BY b.k
),
sent AS (
    SELECT b.k, count(*) AS n FROM both_ways b JOIN transfers t ON t.from_key = b.k
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
),
-- each hub's candidate: the smallest cluster id among the hubs its internal wallets link
links AS (
    SELECT i.first_hub, f.cluster_id FROM internal i
    JOIN from_hub f ON f.k = i.k
    UNION
    SELECT i.first_hub, x.cluster_id FROM internal i
    JOIN to_hub x ON x.k = i.k
),
grouped AS (
    SELECT c.cluster_id, LEAST(c.cluster_id, COALESCE(min(l.first_hub), c.cluster_id)) AS candidate
    FROM cand c LEFT JOIN links l ON l.cluster_id = c.cluster_id
    GROUP BY c.cluster_id
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
    SELECT first_hub, chain, address FROM internal
),
-- one candidate per address (an address feeding two hubs belongs to the first)
members AS (
    SELECT m.chain, m.address, key_hash(m.chain, m.address) AS address_key,
           min(g.candidate) AS cluster_id
    FROM raw_members m JOIN grouped g ON g.cluster_id = m.cluster_id
    GROUP BY m.chain, m.address
)
SELECT chain, address, address_key, cluster_id FROM members
