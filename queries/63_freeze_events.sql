-- publish: freeze_events
-- partition: none
-- set: execution.sort_spill_reservation_bytes = 1048576
-- (Freeze data is small: its sorts reserve 1 MB each, not the default 10 MB, so several
-- fit a tight --memory-limit together.)
-- Every decoded issuer event (staged by 63_freeze_event_rows.sql): chain, asset and symbol,
-- address, event, for a destroy the amount (raw, token units, USD), block time, block,
-- log index and transaction.
SELECT * FROM freeze_event_rows
ORDER BY chain, asset, address, block_number, log_index
