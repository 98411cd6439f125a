-- publish: enforcement_summary
-- partition: year
-- The annual enforcement statistics per jurisdiction of the licence registry: how many
-- exchanges were active, how many licensed / unlicensed (registry says not licensed) /
-- unknown (not in the registry; jurisdiction '(not in registry)'), how many had a
-- yearly turnover at or above the threshold (${threshold_usd} USD), and their combined
-- turnover — estimate and lower bound — over priced transfers (unpriced_transfers says
-- how many had no price; not_licensed_threshold_undetermined counts unlicensed/unknown
-- exchanges below the threshold only because some of their transfers had no price). An
-- exchange registered in two jurisdictions counts in both.
-- Freezes (freeze_summary has them all, by the frozen party): exchange_addresses_frozen,
-- exchange_frozen_usd and exchange_destroyed_usd are the issuer freezes begun, with the
-- balance at freeze, and the destroys in the year of addresses attributed to an exchange of
-- the jurisdiction (its deposit addresses and wallets).
WITH frozen AS (
    SELECT year, jurisdiction, sum(addresses_frozen) AS addresses_frozen,
           sum(frozen_usd) AS frozen_usd, sum(destroyed_usd) AS destroyed_usd
    FROM freeze_summary
    WHERE exchange
    GROUP BY year, jurisdiction
),
e AS (
    SELECT year, entity,
           COALESCE(sum(turnover_usd), 0) AS turnover_usd,
           COALESCE(sum(lower_turnover_usd), 0) AS lower_turnover_usd,
           sum(unpriced_transfers) AS unpriced_transfers
    FROM exchange_turnover_yearly
    GROUP BY year, entity
),
r AS (
    SELECT e.*, COALESCE(g.jurisdiction, '(not in registry)') AS jurisdiction,
           CASE WHEN g.entity IS NULL THEN 'unknown'
                WHEN g.licensed THEN 'licensed' ELSE 'unlicensed' END AS status,
           e.turnover_usd >= ${threshold_usd} AS above,
           e.lower_turnover_usd >= ${threshold_usd} AS lower_above,
           -- below the threshold on priced transfers, but with unpriced ones: undetermined
           (e.turnover_usd < ${threshold_usd} AND e.unpriced_transfers > 0) AS undetermined
    FROM e LEFT JOIN registry g ON g.entity = e.entity
)
, summary AS (
SELECT year, jurisdiction,
       count(*) AS exchanges,
       count(CASE WHEN status = 'licensed' THEN 1 END) AS licensed,
       count(CASE WHEN status = 'unlicensed' THEN 1 END) AS unlicensed,
       count(CASE WHEN status = 'unknown' THEN 1 END) AS unknown,
       count(CASE WHEN status = 'licensed' AND above THEN 1 END) AS licensed_above_threshold,
       count(CASE WHEN status = 'unlicensed' AND above THEN 1 END) AS unlicensed_above_threshold,
       count(CASE WHEN status = 'unknown' AND above THEN 1 END) AS unknown_above_threshold,
       count(CASE WHEN status = 'unlicensed' AND lower_above THEN 1 END)
           AS unlicensed_above_threshold_lower,
       count(CASE WHEN status <> 'licensed' AND undetermined THEN 1 END)
           AS not_licensed_threshold_undetermined,
       sum(turnover_usd) AS turnover_usd,
       sum(lower_turnover_usd) AS lower_turnover_usd,
       sum(CASE WHEN status = 'unlicensed' THEN turnover_usd ELSE 0 END) AS unlicensed_turnover_usd,
       sum(CASE WHEN status = 'unlicensed' THEN lower_turnover_usd ELSE 0 END)
           AS unlicensed_lower_turnover_usd,
       sum(CASE WHEN status = 'unlicensed' AND above THEN turnover_usd ELSE 0 END)
           AS unlicensed_above_threshold_turnover_usd,
       sum(unpriced_transfers) AS unpriced_transfers,
       CAST(${threshold_usd} AS DOUBLE) AS threshold_usd
FROM r
WHERE year IN (SELECT year FROM scope_years)
GROUP BY year, jurisdiction
)
SELECT s.*, CAST(COALESCE(f.addresses_frozen, 0) AS BIGINT) AS exchange_addresses_frozen,
       -- 0 when nothing was frozen; NULL (unknown) when what was frozen had no price
       CASE WHEN f.year IS NULL THEN 0 ELSE f.frozen_usd END AS exchange_frozen_usd,
       CASE WHEN f.year IS NULL THEN 0 ELSE f.destroyed_usd END AS exchange_destroyed_usd
FROM summary s
LEFT JOIN frozen f ON f.year = s.year AND f.jurisdiction = s.jurisdiction
ORDER BY s.year, s.jurisdiction
