-- publish: entity_counterparties
-- partition: year
-- The top ${top_counterparties} counterparties (clusters) of every attributed entity per
-- year, by USD moved in both directions; counterparty_entity names the other side when
-- it is attributed (e.g. another exchange).
WITH c AS (
    SELECT year, entity, min(category) AS category, counterparty,
           min(counterparty_entity) AS counterparty_entity,
           COALESCE(sum(CASE WHEN direction = 'in' THEN usd END), 0) AS inflow_usd,
           COALESCE(sum(CASE WHEN direction = 'out' THEN usd END), 0) AS outflow_usd,
           CAST(sum(first_leg) AS BIGINT) AS transfers,
           CAST(sum(CASE WHEN usd IS NULL THEN first_leg ELSE 0 END) AS BIGINT) AS unpriced_transfers
    FROM flows
    WHERE year IN (SELECT year FROM scope_years)
    GROUP BY year, entity, counterparty
),
ranked AS (
    SELECT c.*, inflow_usd + outflow_usd AS total_usd,
           row_number() OVER (PARTITION BY year, entity
                              ORDER BY inflow_usd + outflow_usd DESC, transfers DESC, counterparty)
               AS rank
    FROM c
)
SELECT year, entity, category, CAST(rank AS BIGINT) AS rank, counterparty, counterparty_entity,
       inflow_usd, outflow_usd, total_usd, transfers, unpriced_transfers
FROM ranked
WHERE rank <= ${top_counterparties}
ORDER BY year, entity, rank
