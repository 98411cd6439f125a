-- view: prices
-- Daily USD prices: one price per (chain, asset, UTC day). `asset` is the token contract
-- (normalised per chain like `transfers.asset`) or a native coin symbol such as BTC; an
-- address that fails its chain's check (a lower-cased TRON address) is rejected. Duplicate
-- rows for one day are averaged and counted in `rejects_summary`; unreadable rows (bad
-- date, unknown chain, a price that is not a positive number below 10^12) are counted
-- there too. A day without a price stays unpriced: turnover in USD is then NULL (or
-- partial, see `unpriced_transfers`), never zero.
SELECT day, chain, asset, min(symbol) AS symbol, avg(price_usd) AS price_usd
FROM (
    SELECT
        TRY_CAST(trim(date) AS DATE) AS day,
        lower(trim(chain)) AS chain,
        -- address functions only see known chains (they reject others as an error)
        CASE WHEN lower(trim(chain)) IN (${known_chains}) THEN
            CASE WHEN is_valid_address(lower(trim(chain)), trim(asset))
                 THEN addr_norm(lower(trim(chain)), trim(asset))
                 -- an address with a broken checksum (say, lower-cased base58) is a
                 -- reject, not a symbol that silently prices nothing
                 WHEN ${price_asset_is_bad_address} THEN NULL
                 ELSE upper(trim(asset)) END
        END AS asset,
        NULLIF(trim(symbol), '') AS symbol,
        TRY_CAST(trim(price_usd) AS DOUBLE) AS price_usd
    FROM prices_raw
)
WHERE day IS NOT NULL AND asset IS NOT NULL AND asset <> ''
  -- NaN compares above every number, so this also drops NaN and infinities
  AND price_usd > 0 AND price_usd < 1e12
GROUP BY day, chain, asset
