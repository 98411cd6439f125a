-- stage: candidate_deposits
-- set: optimizer.join_reordering = false
-- strings: views
-- The deposits behind `exchange_candidates` (60_exchange_candidates.sql says what makes
-- an address deposit-like and a hub a candidate): one row per deposit into a
-- deposit-like address that forwarded it to an unattributed hub. Account chains only;
-- over the whole input, not per period.
-- Every row here follows from one deposit-like address (its single destination, its
-- receipts and forwards), so the query can run in passes over slices of those addresses
-- (the `slice:` placeholders; one pass unless memory is bounded): the self-join's hash
-- table of forwards is then built a slice at a time
-- (docs/performance.md#sliced-stage-queries).
-- Addresses are compared by their 64-bit keys (as in `flows`), and by their strings as
-- well (`if:keys_collide:`) only in a run where two distinct addresses share a key.
WITH attr AS (
    SELECT chain, address, address_key, cluster_id, party, entity FROM address_attribution
),
-- Deposit-like senders first: unattributed addresses whose outgoing transfers all go to
-- one address. Restricting the self-join to them keeps it linear (a busy wallet's
-- outgoing × incoming transfers would be quadratic).
single_destination AS (
    SELECT t.from_key AS address_key ${if:keys_collide:, t.chain, t.from_address AS address}
    -- anti-join with the attributed addresses only (a small build side, written first),
    -- of this pass's slice
    FROM (SELECT * FROM attr WHERE entity IS NOT NULL AND ${slice:address_key}) a
    RIGHT ANTI JOIN transfers t
      ON a.address_key = t.from_key
     ${if:keys_collide: AND a.chain = t.chain AND a.address = t.from_address}
    WHERE t.amount_raw > 0 AND ${slice:t.from_key}
    GROUP BY t.from_key ${if:keys_collide:, t.chain, t.from_address}
    -- one destination: min = max of the keys keeps millions of groups to two integers
    -- each (count(DISTINCT) keeps a hash set per group; string min/max a copy)
    HAVING min(t.to_key) = max(t.to_key)
       ${if:keys_collide: AND min(t.to_address) = max(t.to_address)}
),
-- The window self-join is bucketed by time (each outgoing transfer meets the incoming
-- ones of its own and the previous bucket: one equi-join over both buckets) so a deposit
-- address with thousands of deposits costs pairs per window, not per year.
outgoing AS (
    SELECT o.chain, o.from_address, o.from_key, o.to_address, o.to_key, o.tx_hash, o.asset,
           o.block_time, o.amount_raw, ${bucket_o} AS b, ${previous_bucket_o} AS pb
    FROM single_destination d
    JOIN transfers o
      ON d.address_key = o.from_key
     ${if:keys_collide: AND d.chain = o.chain AND d.address = o.from_address}
    WHERE o.amount_raw > 0 AND o.block_time IS NOT NULL
      AND (o.from_key <> o.to_key ${if:keys_collide: OR o.from_address <> o.to_address})
      AND ${slice:o.from_key}
),
incoming AS (
    SELECT i.chain, i.to_address, i.to_key, i.from_address, i.from_key, i.tx_hash, i.log_index,
           i.asset, i.block_time, i.amount_raw, i.amount, ${bucket_i} AS b
    FROM transfers i
    WHERE (i.from_key <> i.to_key ${if:keys_collide: OR i.from_address <> i.to_address})
      AND i.block_time IS NOT NULL AND ${slice:i.to_key}
),
pairs AS (
    SELECT o.chain, o.to_address AS hub, o.to_key AS hub_key, o.from_address AS deposit,
           i.from_address AS sender, i.from_key AS sender_key,
           o.tx_hash AS forward_tx, i.tx_hash || ':' || CAST(i.log_index AS VARCHAR) AS deposit_tx,
           i.amount, i.asset, i.block_time, o.block_time AS o_time, o.amount_raw AS o_amount,
           i.amount_raw AS i_amount
    FROM (SELECT *, unnest(make_array(b, pb)) AS bucket FROM outgoing) o
    JOIN incoming i
      ON i.to_key = o.from_key AND i.asset = o.asset AND i.b = o.bucket
     ${if:keys_collide: AND i.chain = o.chain AND i.to_address = o.from_address}
),
forwards AS (
    SELECT chain, hub, hub_key, deposit, sender, sender_key, forward_tx, deposit_tx, amount,
           asset, block_time
    FROM pairs
    WHERE o_time >= block_time
      AND o_time <= block_time + INTERVAL '${deposit_window_seconds} seconds'
      AND o_amount <= i_amount
      AND CAST(o_amount AS DOUBLE) >= CAST(i_amount AS DOUBLE) * ${deposit_keep}
),
-- Hubs with an entity are left out; a sender's cluster is its party. The lookups run in
-- the order written (`-- set:` above): this pass's forwards are the build side and the
-- addresses stream through (hash joins cannot spill, and the attributed addresses do not
-- shrink with the slice; docs/performance.md#sliced-stage-queries). Only the addresses
-- that matter are read (docs/performance.md#lookups-build-on-the-addresses-that-matter):
-- the attributed ones, and those whose party is not their own node id `chain:address` (a
-- lone, unattributed address is its own cluster, and its id is computed instead).
fed AS (
    SELECT f.*, COALESCE(s.party, f.chain || ':' || f.sender) AS sender_cluster
    FROM (SELECT f.* FROM forwards f
          LEFT ANTI JOIN (SELECT * FROM attr WHERE entity IS NOT NULL) h
            ON h.address_key = f.hub_key
           ${if:keys_collide: AND h.chain = f.chain AND h.address = f.hub}) f
    LEFT JOIN (SELECT * FROM attr
               WHERE entity IS NOT NULL OR party <> chain || ':' || address) s
      ON s.address_key = f.sender_key
     ${if:keys_collide: AND s.chain = f.chain AND s.address = f.sender}
),
-- One row per deposit (a deposit forwarded in several sweeps is one deposit), priced once.
deposits AS (
    SELECT chain, hub, deposit_tx, min(deposit) AS deposit, min(sender_cluster) AS sender_cluster,
           min(forward_tx) AS forward_tx, min(amount) AS amount, min(asset) AS asset,
           min(block_time) AS block_time
    FROM fed GROUP BY chain, hub, deposit_tx
)
SELECT * FROM deposits
