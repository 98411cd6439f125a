-- The days whose prices differ from the previous run's, either way.
SELECT DISTINCT day FROM (
  (SELECT day, chain, asset, price_usd FROM prices
   EXCEPT SELECT day, chain, asset, price_usd FROM prev_prices)
  UNION ALL
  (SELECT day, chain, asset, price_usd FROM prev_prices
   EXCEPT SELECT day, chain, asset, price_usd FROM prices))
