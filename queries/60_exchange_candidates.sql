-- publish: exchange_candidates
-- partition: none
-- Unlabelled clusters that behave like an exchange, for analysts to review: a hub that
-- at least ${candidate_min_deposits} deposit-like addresses feed, paid by at least
-- ${candidate_min_depositors} distinct senders (clusters). A deposit-like address
-- received value and forwarded at least (1 - deposit_amount_tolerance) of it, same asset,
-- to the hub within deposit_window_seconds — the pattern of exchange deposit addresses
-- being swept (Victor 2020), without needing a label on the hub. Only addresses that
-- send to a single destination count as deposits (payment processors forwarding to several
-- hubs do not); attributed hubs are left out.
-- Account chains only; over the whole input, not per period.
WITH attr AS (
    SELECT chain, address, cluster_id, party, entity FROM address_attribution
),
-- Deposit-like senders first: unattributed addresses whose outgoing transfers all go to
-- one address. Restricting the self-join to them keeps it linear (a busy wallet's
-- outgoing × incoming transfers would be quadratic).
single_destination AS (
    SELECT t.chain, t.from_address AS address
    -- anti-join with the attributed addresses only (a small build side, written first)
    FROM (SELECT chain, address FROM attr WHERE entity IS NOT NULL) a
    RIGHT ANTI JOIN transfers t ON a.chain = t.chain AND a.address = t.from_address
    WHERE t.amount_raw > 0
    GROUP BY t.chain, t.from_address
    -- one destination: compared as 64-bit key hashes, which keeps millions of groups to
    -- two integers each (count(DISTINCT) keeps a hash set per group; string min/max a
    -- copy); a collision would need two destinations of one sender to share a hash
    HAVING min(key_hash(t.to_address)) = max(key_hash(t.to_address))
),
-- The window self-join is bucketed by time (each outgoing transfer meets the incoming
-- ones of its own and the previous bucket: one equi-join over both buckets) so a deposit
-- address with thousands of deposits costs pairs per window, not per year.
outgoing AS (
    SELECT o.chain, o.from_address, o.to_address, o.tx_hash, o.asset, o.block_time, o.amount_raw,
           ${bucket_o} AS b, ${previous_bucket_o} AS pb
    FROM single_destination d
    JOIN transfers o ON d.chain = o.chain AND d.address = o.from_address
    WHERE o.amount_raw > 0 AND o.from_address <> o.to_address AND o.block_time IS NOT NULL
),
incoming AS (
    SELECT i.chain, i.to_address, i.from_address, i.tx_hash, i.log_index, i.asset, i.block_time,
           i.amount_raw, i.amount, ${bucket_i} AS b
    FROM transfers i
    WHERE i.from_address <> i.to_address AND i.block_time IS NOT NULL
),
pairs AS (
    SELECT o.chain, o.to_address AS hub, o.from_address AS deposit, i.from_address AS sender,
           o.tx_hash AS forward_tx, i.tx_hash || ':' || CAST(i.log_index AS VARCHAR) AS deposit_tx,
           i.amount, i.asset, i.block_time, o.block_time AS o_time, o.amount_raw AS o_amount,
           i.amount_raw AS i_amount
    FROM (SELECT *, unnest(make_array(b, pb)) AS bucket FROM outgoing) o
    JOIN incoming i
      ON i.chain = o.chain AND i.to_address = o.from_address AND i.asset = o.asset AND i.b = o.bucket
),
forwards AS (
    SELECT chain, hub, deposit, sender, forward_tx, deposit_tx, amount, asset, block_time
    FROM pairs
    WHERE o_time >= block_time
      AND o_time <= block_time + INTERVAL '${deposit_window_seconds} seconds'
      AND o_amount <= i_amount
      AND CAST(o_amount AS DOUBLE) >= CAST(i_amount AS DOUBLE) * ${deposit_keep}
),
fed AS (
    SELECT f.*, COALESCE(s.party, f.chain || ':' || f.sender) AS sender_cluster
    FROM forwards f
    LEFT JOIN attr h ON h.chain = f.chain AND h.address = f.hub
    LEFT JOIN attr s ON s.chain = f.chain AND s.address = f.sender
    WHERE h.entity IS NULL
),
-- One row per deposit (a deposit forwarded in several sweeps is one deposit), priced once.
deposits AS (
    SELECT chain, hub, deposit_tx, min(deposit) AS deposit, min(sender_cluster) AS sender_cluster,
           min(forward_tx) AS forward_tx, min(amount) AS amount, min(asset) AS asset,
           min(block_time) AS block_time
    FROM fed GROUP BY chain, hub, deposit_tx
),
priced AS (
    SELECT d.*, TRY_CAST(CAST(d.amount AS DOUBLE) * p.price_usd AS DECIMAL(38, 6)) AS usd,
           CASE WHEN p.price_usd IS NULL THEN 1 ELSE 0 END AS unpriced
    FROM prices p
    RIGHT JOIN deposits d
      ON p.chain = d.chain AND p.asset = d.asset AND p.day = CAST(d.block_time AS DATE)
),
hubs AS (
    SELECT chain, hub,
           count(DISTINCT deposit) AS deposit_addresses,
           count(DISTINCT sender_cluster) AS depositors,
           count(*) AS deposits,
           min(block_time) AS first_seen, max(block_time) AS last_seen,
           min(deposit) AS example_deposit, min(forward_tx) AS example_forward_tx,
           sum(usd) AS inflow_usd, CAST(sum(unpriced) AS BIGINT) AS unpriced_deposits
    FROM priced GROUP BY chain, hub
)
SELECT COALESCE(a.cluster_id, h.chain || ':' || h.hub) AS cluster_id, h.chain, h.hub,
       h.deposit_addresses, h.depositors, h.deposits, h.inflow_usd, h.unpriced_deposits,
       h.first_seen, h.last_seen,
       CAST(h.deposit_addresses AS VARCHAR) || ' deposit-like addresses received from ' ||
       CAST(h.depositors AS VARCHAR) || ' distinct senders and forwarded the amounts to ' || h.hub ||
       ' within ${deposit_window_seconds} s (e.g. ' || h.example_deposit || ', forward tx ' ||
       h.example_forward_tx || ')' AS evidence
FROM hubs h
LEFT JOIN attr a ON a.chain = h.chain AND a.address = h.hub
WHERE h.deposit_addresses >= ${candidate_min_deposits}
  AND h.depositors >= ${candidate_min_depositors}
ORDER BY h.depositors DESC, h.deposit_addresses DESC, h.chain, h.hub
