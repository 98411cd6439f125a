-- publish: exchange_turnover_daily
-- partition: month
-- Exchange turnover per day and asset: value that crossed the exchange's boundary
-- (see 30_flows.sql), in token units (exact decimals) and USD, for the estimate and the
-- lower bound side by side. turnover_usd = inflow_usd + outflow_usd over priced legs;
-- unpriced_transfers counts transfers without a price that day (their USD is missing,
-- not zero). depositors = distinct counterparties (clusters) that sent value in;
-- counterparties = distinct clusters on either side.
-- symbol is a function of (chain, asset) (one token row per chain and asset), so it is
-- carried with min() rather than grouped and joined on; month is a function of day and is
-- derived at the end: fewer, narrower group keys.
WITH legs AS (
    SELECT * FROM flows
    WHERE category IN (${exchange_categories}) AND month IN (SELECT month FROM scope_months)
),
totals AS (
    SELECT
    day, entity, chain, asset, min(symbol) AS symbol,
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
    GROUP BY day, entity, chain, asset
),
-- distinct counterparties in two hash aggregations instead of count(DISTINCT …)
parties AS (
    SELECT day, entity, chain, asset, counterparty, max(CASE WHEN direction = 'in' THEN 1 ELSE 0 END) AS sent_in
    FROM legs
    WHERE counterparty IS NOT NULL
    GROUP BY day, entity, chain, asset, counterparty
),
party_counts AS (
    SELECT day, entity, chain, asset, CAST(sum(sent_in) AS BIGINT) AS depositors, CAST(count(counterparty) AS BIGINT) AS counterparties
    FROM parties
    GROUP BY day, entity, chain, asset
)
SELECT CAST(date_trunc('month', t.day) AS DATE) AS month, t.*, COALESCE(c.depositors, 0) AS depositors, COALESCE(c.counterparties, 0) AS counterparties
FROM totals t
LEFT JOIN party_counts c ON c.day = t.day AND c.entity = t.entity AND c.chain = t.chain AND c.asset = t.asset
ORDER BY t.day, t.entity, t.chain, t.asset
