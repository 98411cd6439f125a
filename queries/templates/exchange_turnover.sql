-- The one definition of exchange turnover, instantiated per day, month and year by
-- 40_exchange_turnover_daily.sql, 41_…_monthly.sql and 42_…_yearly.sql (`-- template:`,
-- docs/queries.md). Parameters: period (the group column: day, month or year), in_scope
-- (which legs this run recomputes), leading_columns (columns before the totals).
--
-- Exchange turnover per period and asset: value that crossed the exchange's boundary
-- (see 30_flows.sql), in token units (exact decimals) and USD, for the estimate and the
-- lower bound side by side. turnover_usd = inflow_usd + outflow_usd over priced legs;
-- unpriced_transfers counts transfers without a price in the period (their USD is
-- missing, not zero). depositors = distinct counterparties (clusters) that sent value in;
-- counterparties = distinct clusters on either side. Distinct counts do not add up, so
-- each period aggregates the legs itself rather than rolling up the daily table.
-- symbol is a function of (chain, asset) (one token row per chain and asset), so it is
-- carried with min() rather than grouped and joined on: fewer, narrower group keys.
WITH legs AS (
    SELECT * FROM flows
    WHERE category IN (${exchange_categories}) AND ${in_scope}
),
totals AS (
    SELECT
    ${period}, entity, chain, asset, min(symbol) AS symbol,
    -- estimate (heuristics applied)
    sum(CASE WHEN direction = 'in' THEN amount END) AS inflow_amount,
    sum(CASE WHEN direction = 'out' THEN amount END) AS outflow_amount,
    -- USD over priced legs; NULL when legs exist but none is priced, 0 when none exist
    COALESCE(sum(CASE WHEN direction = 'in' THEN usd END),
             CASE WHEN count(CASE WHEN direction = 'in' THEN 1 END) = 0 THEN 0 END) AS inflow_usd,
    COALESCE(sum(CASE WHEN direction = 'out' THEN usd END),
             CASE WHEN count(CASE WHEN direction = 'out' THEN 1 END) = 0 THEN 0 END) AS outflow_usd,
    sum(usd) AS turnover_usd,
    -- lower bound (seed-labelled addresses only)
    sum(CASE WHEN direction = 'in' AND lower_bound THEN amount END) AS lower_inflow_amount,
    sum(CASE WHEN direction = 'out' AND lower_bound THEN amount END) AS lower_outflow_amount,
    COALESCE(sum(CASE WHEN direction = 'in' AND lower_bound THEN usd END),
             CASE WHEN count(CASE WHEN direction = 'in' AND lower_bound THEN 1 END) = 0 THEN 0 END)
        AS lower_inflow_usd,
    COALESCE(sum(CASE WHEN direction = 'out' AND lower_bound THEN usd END),
             CASE WHEN count(CASE WHEN direction = 'out' AND lower_bound THEN 1 END) = 0 THEN 0 END)
        AS lower_outflow_usd,
    COALESCE(sum(CASE WHEN lower_bound THEN usd END),
             CASE WHEN count(CASE WHEN lower_bound THEN 1 END) = 0 THEN 0 END) AS lower_turnover_usd,
    -- activity (first_leg marks one row per transfer, entity and direction)
    CAST(COALESCE(sum(CASE WHEN direction = 'in' THEN first_leg END), 0) AS BIGINT) AS transfers_in,
    CAST(COALESCE(sum(CASE WHEN direction = 'out' THEN first_leg END), 0) AS BIGINT) AS transfers_out,
    CAST(COALESCE(sum(CASE WHEN usd IS NULL THEN first_leg END), 0) AS BIGINT) AS unpriced_transfers
    FROM legs
    GROUP BY ${period}, entity, chain, asset
),
-- distinct counterparties in two hash aggregations instead of count(DISTINCT …)
parties AS (
    SELECT ${period}, entity, chain, asset, counterparty, max(CASE WHEN direction = 'in' THEN 1 ELSE 0 END) AS sent_in
    FROM legs
    WHERE counterparty IS NOT NULL
    GROUP BY ${period}, entity, chain, asset, counterparty
),
party_counts AS (
    SELECT ${period}, entity, chain, asset, CAST(sum(sent_in) AS BIGINT) AS depositors, CAST(count(counterparty) AS BIGINT) AS counterparties
    FROM parties
    GROUP BY ${period}, entity, chain, asset
)
SELECT ${leading_columns}t.*, COALESCE(c.depositors, 0) AS depositors, COALESCE(c.counterparties, 0) AS counterparties
FROM totals t
LEFT JOIN party_counts c ON c.${period} = t.${period} AND c.entity = t.entity AND c.chain = t.chain AND c.asset = t.asset
ORDER BY t.${period}, t.entity, t.chain, t.asset
