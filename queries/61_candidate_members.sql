-- stage: candidate_members
-- set: optimizer.join_reordering = false
-- The addresses of each exchange candidate, for candidate_turnover_yearly
-- (61_candidate_turnover_yearly.sql says which and why); one candidate per address. A
-- stage of its own so that neither query's plan nests deeper than Ballista's plan
-- decoder accepts. Internal wallets (staged by 61_candidate_internal.sql): unattributed
-- addresses that trade with nobody but candidate hubs (at least 95 % of their incoming
-- transfers from hubs and of their outgoing ones to hubs, at least two each way) and
-- send only to hubs that funded them (a reserve's round trips; an exchange's account at
-- another exchange receives from one hub and pays another, and links nothing). An
-- exchange with two hot wallets is two hubs sharing one cold wallet, so hubs that share
-- an internal wallet are one candidate (the smallest cluster id of those it links) and
-- its rebalancing is internal, not turnover twice.
WITH cand AS (
    SELECT cluster_id, chain, hub FROM exchange_candidates
),
internal AS (
    SELECT DISTINCT chain, k, address, first_hub FROM candidate_internal
),
-- each hub's candidate: the smallest cluster id among the hubs its internal wallets link
links AS (
    SELECT first_hub, hub AS cluster_id FROM candidate_internal
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
