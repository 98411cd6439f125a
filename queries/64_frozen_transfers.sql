-- stage: frozen_transfers
-- Every transfer into or out of an address an issuer froze (any asset), from that
-- address's side: direction 'in' or 'out', the counterparty, the exact amount. A few
-- addresses against all transfers: the frozen set is the hash joins' build side, so
-- the transfers stream through once per direction.
WITH frozen AS (
    SELECT DISTINCT chain, address FROM freeze_event_rows
)
SELECT 'in' AS direction, t.chain, t.asset, t.to_address AS address,
       t.from_address AS counterparty, t.amount_raw, t.block_number, t.log_index, t.block_time
FROM frozen f JOIN transfers t ON t.chain = f.chain AND t.to_address = f.address
UNION ALL
SELECT 'out', t.chain, t.asset, t.from_address, t.to_address, t.amount_raw, t.block_number,
       t.log_index, t.block_time
FROM frozen f JOIN transfers t ON t.chain = f.chain AND t.from_address = f.address
