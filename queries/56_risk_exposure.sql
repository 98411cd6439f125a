-- publish: risk_exposure
-- partition: year
-- Direct counterparty exposure (one hop) of every attributed entity to risk-labelled
-- parties, per year and risk category: the USD and transfers the entity received from
-- and sent to a party that carries the category (risk_parties: a listed address, or a
-- cluster holding one). Legs are those of `flows`, so amounts, prices and the counting
-- of transfers are exactly the turnover tables'; a leg whose counterparty carries two
-- categories counts in both rows. A USD figure is 0 when there is no leg and NULL
-- (unknown) when none of its legs had a price, as in the turnover tables. `top_counterparties` names the largest parties by USD
-- (a listed address, the lists and names behind it). `listed_in_entity` counts the
-- entity's addresses on a list of the category that are not its known wallets (a
-- blacklisted deposit address; they make it no risk party, see 55_risk_parties.sql).
-- `indirect_*` is not computed (NULL): docs/job.md#risk-exposure says why.
WITH rp AS (
    SELECT counterparty, category, listed_addresses, example_address, lists, names
    FROM risk_parties WHERE NOT held
),
own AS (
    SELECT entity, category, sum(listed_addresses) AS listed_in_entity
    FROM risk_parties WHERE held GROUP BY entity, category
),
legs AS (
    SELECT f.year, f.entity, f.category AS entity_category, r.category AS risk_category,
           f.direction, f.usd, f.first_leg, f.counterparty,
           r.example_address, r.lists, r.names
    FROM rp r
    JOIN flows f ON f.counterparty = r.counterparty
    WHERE f.year IN (SELECT year FROM scope_years)
),
per_party AS (
    SELECT year, entity, min(entity_category) AS entity_category, risk_category, counterparty,
           min(example_address) AS example_address, min(lists) AS lists, min(names) AS names,
           -- 0 when there is no leg; NULL (unknown) when no leg had a price
           CASE WHEN sum(CASE WHEN direction = 'in' THEN 1 ELSE 0 END) = 0 THEN CAST(0 AS DECIMAL(38, 6))
                ELSE sum(CASE WHEN direction = 'in' THEN usd END) END AS received_usd,
           CASE WHEN sum(CASE WHEN direction = 'out' THEN 1 ELSE 0 END) = 0 THEN CAST(0 AS DECIMAL(38, 6))
                ELSE sum(CASE WHEN direction = 'out' THEN usd END) END AS sent_usd,
           CAST(sum(CASE WHEN direction = 'in' THEN first_leg ELSE 0 END) AS BIGINT) AS received_transfers,
           CAST(sum(CASE WHEN direction = 'out' THEN first_leg ELSE 0 END) AS BIGINT) AS sent_transfers,
           CAST(sum(CASE WHEN usd IS NULL THEN first_leg ELSE 0 END) AS BIGINT) AS unpriced_transfers
    FROM legs
    GROUP BY year, entity, risk_category, counterparty
),
ranked AS (
    SELECT p.*,
           row_number() OVER (PARTITION BY year, entity, risk_category
                              ORDER BY COALESCE(received_usd, 0) + COALESCE(sent_usd, 0) DESC,
                                       counterparty) AS rank
    FROM per_party p
)
SELECT r.year, r.entity, min(r.entity_category) AS entity_category,
       r.risk_category,
       CASE WHEN sum(r.received_transfers) = 0 THEN CAST(0 AS DECIMAL(38, 6))
            ELSE sum(CASE WHEN r.received_transfers > 0 THEN r.received_usd END) END AS received_usd,
       sum(r.received_transfers) AS received_transfers,
       CASE WHEN sum(r.sent_transfers) = 0 THEN CAST(0 AS DECIMAL(38, 6))
            ELSE sum(CASE WHEN r.sent_transfers > 0 THEN r.sent_usd END) END AS sent_usd,
       sum(r.sent_transfers) AS sent_transfers,
       sum(r.unpriced_transfers) AS unpriced_transfers,
       count(*) AS counterparties,
       array_to_string(array_agg(CASE WHEN r.rank <= ${top_counterparties}
                                      THEN CASE WHEN r.counterparty LIKE 'entity:%'
                                                THEN substr(r.counterparty, 8)
                                                ELSE r.example_address END
                                           || ' (' || r.lists
                                           || CASE WHEN lower(r.names) <> lower(r.lists) AND r.names <> 'ofac sdn'
                                                   THEN ': ' || r.names ELSE '' END
                                           || '): ' || CAST(COALESCE(r.received_usd, 0) + COALESCE(r.sent_usd, 0) AS VARCHAR)
                                           || ' USD' || CASE WHEN r.unpriced_transfers > 0
                                                             THEN ' + ' || CAST(r.unpriced_transfers AS VARCHAR)
                                                                  || ' unpriced' ELSE '' END END
                                 ORDER BY r.rank), ' | ') AS top_counterparties,
       CAST(COALESCE(min(o.listed_in_entity), 0) AS BIGINT) AS listed_in_entity,
       CAST(NULL AS DECIMAL(38, 6)) AS indirect_received_usd,
       CAST(NULL AS DECIMAL(38, 6)) AS indirect_sent_usd
FROM ranked r
LEFT JOIN own o ON o.entity = r.entity AND o.category = r.risk_category
GROUP BY r.year, r.entity, r.risk_category
ORDER BY r.year, r.entity, r.risk_category
