-- view: prices
-- Daily USD prices: one price per (chain, asset, UTC day). `asset` is the token contract
-- (normalised like `transfers.asset`) or a native coin symbol such as BTC. Duplicate
-- rows for one day are averaged and counted in `rejects_summary`; unreadable rows are
-- counted there too. A day without a price stays unpriced: turnover in USD is then
-- NULL (or partial, see `unpriced_transfers`), never zero.
SELECT day, chain, asset, min(symbol) AS symbol, avg(price_usd) AS price_usd
FROM (
    SELECT
        TRY_CAST(trim(date) AS DATE) AS day,
        lower(trim(chain)) AS chain,
        CASE WHEN is_valid_address(lower(trim(chain)), trim(asset))
             THEN addr_norm(lower(trim(chain)), trim(asset))
             ELSE upper(trim(asset)) END AS asset,
        NULLIF(trim(symbol), '') AS symbol,
        TRY_CAST(trim(price_usd) AS DOUBLE) AS price_usd
    FROM prices_raw
)
WHERE day IS NOT NULL AND chain <> '' AND asset <> '' AND price_usd > 0
GROUP BY day, chain, asset
