-- publish: freeze_summary
-- partition: none
-- set: execution.sort_spill_reservation_bytes = 1048576
-- (Freeze data is small: its sorts reserve 1 MB each, not the default 10 MB, so several
-- fit a tight --memory-limit together.)
-- Freezes and seizures per year, chain, asset, and the frozen party's jurisdiction and
-- category ('(unattributed)' / 'unattributed' when chainstat could not attribute the
-- address; a party registered in two jurisdictions counts in both; exchange says whether
-- the category is an exchange one):
--   addresses_frozen / frozen_amount / frozen_usd, freeze periods that began in the year,
--     with the balance at freeze (frozen_unknown: periods whose balance the inputs cannot
--     give, see frozen_addresses.balance_note);
--   addresses_unfrozen, periods that ended in the year;
--   addresses_destroyed / destroyed_amount / destroyed_usd, the issuer's destroys in the
--     year (destroyed_unpriced: those without a price);
--   still_frozen_addresses / still_frozen_amount / still_frozen_usd, addresses frozen at the
--     end of the year, with their balance then (transfers and destroys up to the year end:
--     a destroyed balance is no longer held; still_frozen_unknown: balance not computable),
--     USD at the last price of the year.
-- Years run from the first to the last year of the freeze events and the exchange turnover.
WITH party AS (
    SELECT DISTINCT f.chain, f.address,
           COALESCE(f.category, 'unattributed') AS category,
           COALESCE(lower(f.category) IN (${exchange_categories}), false) AS exchange,
           COALESCE(e.jurisdiction,
                    CASE WHEN f.entity IS NULL THEN '(unattributed)' ELSE '(not in registry)' END)
               AS jurisdiction
    FROM frozen_addresses f LEFT JOIN entities e ON e.entity = f.entity
),
bounds AS (
    SELECT min(y) AS first_year, max(y) AS last_year FROM (
        SELECT CAST(date_part('year', block_time) AS INT) AS y FROM freeze_event_rows
        UNION ALL SELECT CAST(year AS INT) FROM exchange_turnover_yearly)
),
years AS (
    SELECT CAST(y AS INT) AS year,
           CAST(make_date(CAST(y AS INT) + 1, 1, 1) AS TIMESTAMP) AT TIME ZONE 'UTC' AS year_end
    FROM (SELECT unnest(range(first_year, last_year + 1)) AS y FROM bounds
          WHERE first_year IS NOT NULL AND EXISTS (SELECT 1 FROM freeze_event_rows))
),
first_event AS (
    SELECT chain, asset, address, min(block_time) AS at FROM freeze_event_rows
    GROUP BY chain, asset, address
),
periods AS (
    SELECT f.*, COALESCE(f.frozen_at, e.at) AS known_from
    FROM frozen_addresses f
    JOIN first_event e ON e.chain = f.chain AND e.asset = f.asset AND e.address = f.address
),
-- Periods that are open at the end of a year, with the balance held then.
open_at_end AS (
    SELECT p.chain, p.asset, p.address, p.freeze_block, p.balance_at_freeze_raw,
           y.year, y.year_end
    FROM periods p CROSS JOIN years y
    WHERE p.known_from < y.year_end AND (p.unfrozen_at IS NULL OR p.unfrozen_at >= y.year_end)
),
moved_by_end AS (
    SELECT o.chain, o.asset, o.address, o.year,
           sum(CASE WHEN t.direction = 'in' THEN t.amount_raw ELSE -t.amount_raw END) AS raw
    FROM open_at_end o
    JOIN frozen_transfers t ON t.chain = o.chain AND t.asset = o.asset AND t.address = o.address
    WHERE t.block_time < o.year_end
    GROUP BY o.chain, o.asset, o.address, o.year
),
destroyed_by_end AS (
    SELECT o.chain, o.asset, o.address, o.year, sum(e.amount_raw) AS raw
    FROM open_at_end o
    JOIN freeze_event_rows e ON e.chain = o.chain AND e.asset = o.asset AND e.address = o.address
    WHERE e.event = 'destroy' AND e.block_time < o.year_end
    GROUP BY o.chain, o.asset, o.address, o.year
),
-- Only where the balance at freeze is known: otherwise the inputs miss part of the history.
held AS (
    SELECT o.chain, o.asset, o.address, o.year,
           CASE WHEN o.freeze_block IS NULL OR o.balance_at_freeze_raw IS NULL THEN NULL
                ELSE COALESCE(m.raw, 0) - COALESCE(d.raw, 0) END AS raw
    FROM open_at_end o
    LEFT JOIN moved_by_end m ON m.chain = o.chain AND m.asset = o.asset
                            AND m.address = o.address AND m.year = o.year
    LEFT JOIN destroyed_by_end d ON d.chain = o.chain AND d.asset = o.asset
                                AND d.address = o.address AND d.year = o.year
),
last_price AS (
    SELECT chain, asset, CAST(date_part('year', day) AS INT) AS year,
           last_value(price_usd) OVER (PARTITION BY chain, asset, date_part('year', day)
               ORDER BY day ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS price_usd
    FROM prices
),
year_price AS (
    SELECT DISTINCT chain, asset, year, price_usd FROM last_price
),
-- Every branch casts to the same types: DataFusion 55 types a UNION by its first branch
-- while a wider branch's batches keep their own type.
rows AS (
    SELECT CAST(date_part('year', frozen_at) AS INT) AS year, chain, asset, symbol, address,
           'frozen' AS what, CAST(balance_at_freeze AS DECIMAL(76, 18)) AS amount,
           CAST(balance_at_freeze_usd AS DECIMAL(38, 6)) AS usd,
           balance_at_freeze IS NULL AS unknown
    FROM frozen_addresses WHERE frozen_at IS NOT NULL
    UNION ALL
    SELECT CAST(date_part('year', unfrozen_at) AS INT), chain, asset, symbol, address,
           'unfrozen', CAST(NULL AS DECIMAL(76, 18)), CAST(NULL AS DECIMAL(38, 6)), false
    FROM frozen_addresses WHERE unfrozen_at IS NOT NULL
    UNION ALL
    SELECT CAST(date_part('year', block_time) AS INT), chain, asset, symbol, address,
           'destroyed', CAST(amount AS DECIMAL(76, 18)), CAST(amount_usd AS DECIMAL(38, 6)),
           amount_usd IS NULL
    FROM freeze_event_rows WHERE event = 'destroy'
    UNION ALL
    SELECT h.year, h.chain, h.asset, k.symbol, h.address, 'held',
           CASE WHEN h.raw >= 0 THEN CAST(token_amount(h.raw, k.decimals, 18) AS DECIMAL(76, 18)) END,
           CASE WHEN h.raw >= 0 THEN TRY_CAST(CAST(token_amount(h.raw, k.decimals, 18) AS DOUBLE)
                                              * yp.price_usd AS DECIMAL(38, 6)) END,
           h.raw IS NULL OR h.raw < 0 OR k.decimals IS NULL
    FROM held h
    LEFT JOIN tokens k ON k.chain = h.chain AND k.asset = h.asset
    LEFT JOIN year_price yp ON yp.chain = h.chain AND yp.asset = h.asset AND yp.year = h.year
)
SELECT r.year, r.chain, r.asset, min(r.symbol) AS symbol, p.jurisdiction, p.category,
       bool_or(p.exchange) AS exchange,
       count(DISTINCT CASE WHEN r.what = 'frozen' THEN r.address END) AS addresses_frozen,
       -- a sum over no rows is 0; over rows without a value it stays NULL (unknown)
       COALESCE(sum(CASE WHEN r.what = 'frozen' THEN r.amount END),
                CASE WHEN count(CASE WHEN r.what = 'frozen' THEN 1 END) = 0 THEN 0 END)
           AS frozen_amount,
       COALESCE(sum(CASE WHEN r.what = 'frozen' THEN r.usd END),
                CASE WHEN count(CASE WHEN r.what = 'frozen' THEN 1 END) = 0 THEN 0 END)
           AS frozen_usd,
       count(CASE WHEN r.what = 'frozen' AND r.unknown THEN 1 END) AS frozen_unknown,
       count(DISTINCT CASE WHEN r.what = 'unfrozen' THEN r.address END) AS addresses_unfrozen,
       count(DISTINCT CASE WHEN r.what = 'destroyed' THEN r.address END) AS addresses_destroyed,
       COALESCE(sum(CASE WHEN r.what = 'destroyed' THEN r.amount END),
                CASE WHEN count(CASE WHEN r.what = 'destroyed' THEN 1 END) = 0 THEN 0 END)
           AS destroyed_amount,
       COALESCE(sum(CASE WHEN r.what = 'destroyed' THEN r.usd END),
                CASE WHEN count(CASE WHEN r.what = 'destroyed' THEN 1 END) = 0 THEN 0 END)
           AS destroyed_usd,
       count(CASE WHEN r.what = 'destroyed' AND r.unknown THEN 1 END) AS destroyed_unpriced,
       count(DISTINCT CASE WHEN r.what = 'held' THEN r.address END) AS still_frozen_addresses,
       COALESCE(sum(CASE WHEN r.what = 'held' THEN r.amount END),
                CASE WHEN count(CASE WHEN r.what = 'held' THEN 1 END) = 0 THEN 0 END)
           AS still_frozen_amount,
       COALESCE(sum(CASE WHEN r.what = 'held' THEN r.usd END),
                CASE WHEN count(CASE WHEN r.what = 'held' THEN 1 END) = 0 THEN 0 END)
           AS still_frozen_usd,
       count(CASE WHEN r.what = 'held' AND r.unknown THEN 1 END) AS still_frozen_unknown
FROM rows r JOIN party p ON p.chain = r.chain AND p.address = r.address
GROUP BY r.year, r.chain, r.asset, p.jurisdiction, p.category
ORDER BY r.year, r.chain, r.asset, p.jurisdiction, p.category
