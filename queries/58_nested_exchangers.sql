-- stage: nested_exchangers
-- set: optimizer.join_reordering = false
-- Exchangers nested in a host exchange (an OTC desk or P2P exchanger that cashes out
-- through its own deposit address at a large exchange): deposit_forward files that
-- deposit address under the host, and no hub of deposit addresses exists, so the
-- candidates of 60_exchange_candidates.sql never see them. Found here instead: an
-- unattributed address that
--   - sends value into deposit addresses of labelled exchanges (addresses clustering
--     attributed to an exchange that no label names: a customer's account there),
--   - on at least ${nested_min_forward_days} different days, in batches (at least
--     ${nested_min_batching} incoming transfers per forward),
--   - forwarding at least half the USD it received,
--   - and receives from at least ${nested_min_senders} distinct senders (clusters).
-- The host is the exchange it forwards the most to. Account chains; over the whole input.
-- The forwards are staged by 57_nested_forwards.sql.
WITH hubs AS (
    SELECT * FROM nested_forwards
),
incoming AS (
    SELECT t.chain, t.hub, t.from_address, t.from_key, t.block_time,
           TRY_CAST(CAST(t.amount AS DOUBLE) * p.price_usd AS DECIMAL(38, 6)) AS usd
    FROM prices p
    RIGHT JOIN (SELECT h.chain, h.hub, t.from_address, t.from_key, t.block_time, t.asset, t.amount
                FROM hubs h
                JOIN transfers t
                  ON t.to_key = h.hub_key
                 ${if:keys_collide: AND t.chain = h.chain AND t.to_address = h.hub}
                WHERE t.amount_raw > 0 AND t.amount IS NOT NULL AND t.block_time IS NOT NULL) t
      ON p.chain = t.chain AND p.asset = t.asset AND p.day = CAST(t.block_time AS DATE)
),
senders AS (
    SELECT i.chain, i.hub, count(*) AS incoming,
           count(DISTINCT COALESCE(a.party, i.chain || ':' || i.from_address)) AS senders,
           COALESCE(sum(i.usd), 0) AS inflow_usd,
           min(i.block_time) AS first_seen, max(i.block_time) AS last_seen
    FROM (SELECT address_key, chain, address, party FROM address_attribution
          WHERE entity IS NOT NULL OR party <> chain || ':' || address) a
    RIGHT JOIN incoming i
      ON a.address_key = i.from_key
     ${if:keys_collide: AND a.chain = i.chain AND a.address = i.from_address}
    GROUP BY i.chain, i.hub
)
SELECT h.chain, h.hub, h.host, h.hosts, h.forwards, h.forward_days, h.forwarded_usd,
       h.host_deposits, s.incoming, s.senders, s.inflow_usd, s.first_seen, s.last_seen
FROM hubs h
JOIN senders s ON s.chain = h.chain AND s.hub = h.hub
WHERE s.senders >= ${nested_min_senders}
  AND s.incoming >= h.forwards * ${nested_min_batching}
  AND h.forwarded_usd >= s.inflow_usd * 0.5
