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
-- Unidentified exchange-like services (exchange_candidates: nobody labelled them, so no
-- registry names them) are one more row per year, jurisdiction '(unidentified)', with
-- `candidates` (all) and `candidates_counted` (confidence at least
-- ${candidate_min_confidence}) and their turnover (candidate_turnover_yearly).
-- Unlicensed activity, three figures on every row (a year's total is the sum of its rows):
--   unlicensed_lower_usd     the lower bound: registry-unlicensed exchanges, only the
--                            addresses their labels name (lower_turnover_usd);
--   unlicensed_estimate_usd  registry-unlicensed exchanges (estimate) + the counted
--                            candidates;
--   unlicensed_upper_usd     registry-unlicensed exchanges + exchanges in no registry
--                            (status unknown) + every candidate, whatever its confidence.
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
),
cand AS (
    SELECT year, count(*) AS candidates,
           count(CASE WHEN counted THEN 1 END) AS candidates_counted,
           COALESCE(sum(turnover_usd), 0) AS candidate_turnover_usd,
           COALESCE(sum(CASE WHEN counted THEN turnover_usd END), 0) AS candidate_counted_turnover_usd,
           sum(unpriced_transfers) AS unpriced_transfers
    FROM candidate_turnover_yearly
    WHERE year IN (SELECT year FROM scope_years)
    GROUP BY year
),
-- UNION types follow the first branch in DataFusion 55: every column cast explicitly
rows AS (
    SELECT s.year, s.jurisdiction, s.exchanges, s.licensed, s.unlicensed, s.unknown,
           s.licensed_above_threshold, s.unlicensed_above_threshold, s.unknown_above_threshold,
           s.unlicensed_above_threshold_lower, s.not_licensed_threshold_undetermined,
           s.turnover_usd, s.lower_turnover_usd, s.unlicensed_turnover_usd,
           s.unlicensed_lower_turnover_usd, s.unlicensed_above_threshold_turnover_usd,
           s.unpriced_transfers, s.threshold_usd,
           CAST(0 AS BIGINT) AS candidates, CAST(0 AS BIGINT) AS candidates_counted,
           CAST(0 AS DECIMAL(38, 6)) AS candidate_turnover_usd,
           CAST(0 AS DECIMAL(38, 6)) AS candidate_counted_turnover_usd,
           CAST(s.unlicensed_lower_turnover_usd AS DECIMAL(38, 6)) AS unlicensed_lower_usd,
           CAST(s.unlicensed_turnover_usd AS DECIMAL(38, 6)) AS unlicensed_estimate_usd,
           CAST(CASE WHEN s.jurisdiction = '(not in registry)' THEN s.turnover_usd
                     ELSE s.unlicensed_turnover_usd END AS DECIMAL(38, 6)) AS unlicensed_upper_usd
    FROM summary s
    UNION ALL
    SELECT c.year, '(unidentified)', CAST(0 AS BIGINT), CAST(0 AS BIGINT), CAST(0 AS BIGINT),
           CAST(0 AS BIGINT), CAST(0 AS BIGINT), CAST(0 AS BIGINT), CAST(0 AS BIGINT),
           CAST(0 AS BIGINT), CAST(0 AS BIGINT),
           CAST(c.candidate_turnover_usd AS DECIMAL(38, 6)), CAST(0 AS DECIMAL(38, 6)),
           CAST(0 AS DECIMAL(38, 6)), CAST(0 AS DECIMAL(38, 6)), CAST(0 AS DECIMAL(38, 6)),
           CAST(c.unpriced_transfers AS BIGINT), CAST(${threshold_usd} AS DOUBLE),
           CAST(c.candidates AS BIGINT), CAST(c.candidates_counted AS BIGINT),
           CAST(c.candidate_turnover_usd AS DECIMAL(38, 6)),
           CAST(c.candidate_counted_turnover_usd AS DECIMAL(38, 6)),
           CAST(0 AS DECIMAL(38, 6)),
           CAST(c.candidate_counted_turnover_usd AS DECIMAL(38, 6)),
           CAST(c.candidate_turnover_usd AS DECIMAL(38, 6))
    FROM cand c
)
SELECT s.*, CAST(${candidate_min_confidence} AS DOUBLE) AS candidate_min_confidence,
       CAST(COALESCE(f.addresses_frozen, 0) AS BIGINT) AS exchange_addresses_frozen,
       -- 0 when nothing was frozen; NULL (unknown) when what was frozen had no price
       CASE WHEN f.year IS NULL THEN 0 ELSE f.frozen_usd END AS exchange_frozen_usd,
       CASE WHEN f.year IS NULL THEN 0 ELSE f.destroyed_usd END AS exchange_destroyed_usd
FROM rows s
LEFT JOIN frozen f ON f.year = s.year AND f.jurisdiction = s.jurisdiction
ORDER BY s.year, s.jurisdiction
