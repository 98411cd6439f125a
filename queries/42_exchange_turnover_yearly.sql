-- publish: exchange_turnover_yearly
-- partition: year
-- Exchange turnover per year and asset: value that crossed the exchange's boundary
-- (see 30_flows.sql), in token units (exact decimals) and USD, for the estimate and the
-- lower bound side by side. turnover_usd = inflow_usd + outflow_usd over priced legs;
-- unpriced_transfers counts transfers without a price that day (their USD is missing,
-- not zero). depositors = distinct counterparties (clusters) that sent value in;
-- counterparties = distinct clusters on either side.
SELECT
    year, entity, chain, asset, symbol,
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
    -- activity
    count(DISTINCT CASE WHEN direction = 'in' THEN transfer END) AS transfers_in,
    count(DISTINCT CASE WHEN direction = 'out' THEN transfer END) AS transfers_out,
    count(DISTINCT CASE WHEN usd IS NULL THEN transfer END) AS unpriced_transfers,
    count(DISTINCT CASE WHEN direction = 'in' THEN counterparty END) AS depositors,
    count(DISTINCT counterparty) AS counterparties
FROM flows
WHERE category IN (${exchange_categories}) AND year IN (SELECT year FROM scope_years)
GROUP BY year, entity, chain, asset, symbol
ORDER BY year, entity, chain, asset
