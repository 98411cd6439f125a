-- stage: freeze_event_rows
-- Every decoded issuer event, at full precision (`63_freeze_events.sql` publishes it; the
-- freeze tables read this, so an amount too wide for the published DECIMAL(38, s) is
-- never dropped from their sums): chain, asset (the token contract) and its symbol, the
-- address, the event (`freeze`, `unfreeze`, `destroy`), for a destroy the amount destroyed
-- (exact, in token units, and in USD at that day's price), and where it happened. Events
-- whose address or amount could not be decoded, and undated ones, are not here: they are
-- counted in rejects_summary (kind 'events').
SELECT d.chain, d.asset, k.symbol, d.address, d.event, d.amount_raw,
       token_amount(d.amount_raw, k.decimals, 18) AS amount,
       TRY_CAST(CAST(token_amount(d.amount_raw, k.decimals, 18) AS DOUBLE) * p.price_usd
                AS DECIMAL(38, 6)) AS amount_usd,
       d.block_time, d.block_number, d.log_index, d.tx_hash
FROM freeze_decoded d
LEFT JOIN tokens k ON k.chain = d.chain AND k.asset = d.asset
LEFT JOIN prices p ON p.chain = d.chain AND p.asset = d.asset AND p.day = CAST(d.block_time AS DATE)
WHERE d.address IS NOT NULL AND d.block_time IS NOT NULL
  AND (NOT d.has_amount OR d.amount_raw IS NOT NULL)
