-- publish: coverage
-- partition: year
-- How much of the volume the figures cover, per year, chain and asset: the share of
-- transfers with a USD price for their day, and the share touching an attributed
-- address (estimate) or a labelled one (lower bound). Bitcoin counts transactions
-- (with their output value; attributed when an input or output is).
-- missing_price_days = active days without a price. The counting is in
-- `coverage_days` (79_coverage_days.sql), which may have run in passes: one row per
-- day and pass, added up here.
SELECT year, chain, asset, symbol,
       sum(transfers) AS transfers,
       sum(priced_transfers) AS priced_transfers,
       CAST(sum(priced_transfers) AS DOUBLE) / sum(transfers) AS priced_share,
       sum(attributed_transfers) AS attributed_transfers,
       CAST(sum(attributed_transfers) AS DOUBLE) / sum(transfers) AS attributed_share,
       CAST(sum(labelled_transfers) AS DOUBLE) / sum(transfers) AS labelled_share,
       sum(volume_usd) AS volume_usd,
       count(DISTINCT day) AS active_days,
       count(DISTINCT CASE WHEN unpriced THEN day END) AS missing_price_days
FROM coverage_days
GROUP BY year, chain, asset, symbol
ORDER BY year, chain, asset
