-- view: input_rejects
-- Registry and price rows the job could not use, with the reason.
SELECT 'registry' AS source, COALESCE(entity, '') AS item,
       CASE WHEN NULLIF(trim(entity), '') IS NULL THEN 'entity is empty'
            ELSE 'licensed must be true/false/yes/no/1/0, got ''' || COALESCE(licensed, '') || '''' END AS reason
FROM registry_raw
WHERE NULLIF(trim(entity), '') IS NULL
   OR lower(trim(COALESCE(licensed, ''))) NOT IN ('true', 'yes', '1', 'false', 'no', '0')
UNION ALL
SELECT 'registry', entity || ' ' || jurisdiction,
       'conflicting licence rows for one jurisdiction: counted as unlicensed'
FROM registry_rows
GROUP BY entity, jurisdiction
HAVING count(DISTINCT licensed) > 1
UNION ALL
SELECT 'prices', COALESCE(date, '') || ' ' || COALESCE(chain, '') || ' ' || COALESCE(asset, ''),
       CASE WHEN TRY_CAST(trim(date) AS DATE) IS NULL THEN 'date is not YYYY-MM-DD'
            WHEN NULLIF(trim(chain), '') IS NULL OR NULLIF(trim(asset), '') IS NULL THEN 'chain or asset is empty'
            WHEN lower(trim(chain)) NOT IN (${known_chains}) THEN 'unknown chain ''' || trim(chain) || ''''
            WHEN ${price_asset_is_bad_address} THEN
                'asset looks like an address but is not a valid ' || lower(trim(chain)) ||
                ' address (TRON base58 and mixed-case EVM checksums are case-sensitive)'
            ELSE 'price_usd is not a positive number below 10^12' END
FROM prices_raw
WHERE TRY_CAST(trim(date) AS DATE) IS NULL
   OR NULLIF(trim(chain), '') IS NULL OR NULLIF(trim(asset), '') IS NULL
   OR lower(trim(chain)) NOT IN (${known_chains})
   OR ${price_asset_is_bad_address}
   OR NOT (COALESCE(TRY_CAST(trim(price_usd) AS DOUBLE), 0) > 0
           AND COALESCE(TRY_CAST(trim(price_usd) AS DOUBLE), 0) < 1e12)
UNION ALL
SELECT 'prices', CAST(day AS VARCHAR) || ' ' || chain || ' ' || asset,
       'duplicate price for one day: ' || CAST(n AS VARCHAR) || ' rows averaged'
FROM (
    SELECT TRY_CAST(trim(date) AS DATE) AS day, lower(trim(chain)) AS chain,
           upper(trim(asset)) AS asset, count(*) AS n
    FROM prices_raw
    WHERE COALESCE(TRY_CAST(trim(price_usd) AS DOUBLE), 0) > 0
      AND COALESCE(TRY_CAST(trim(price_usd) AS DOUBLE), 0) < 1e12
    GROUP BY TRY_CAST(trim(date) AS DATE), lower(trim(chain)), upper(trim(asset))
    HAVING count(*) > 1 AND TRY_CAST(trim(date) AS DATE) IS NOT NULL
)
