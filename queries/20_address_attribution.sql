-- stage: address_attribution
-- Every clustered address with its entity two ways:
--   entity          the estimate: the seed label of its cluster (heuristics applied), else
--                   its own label;
--   labelled_entity the lower bound: only a seed label naming this very address.
-- Addresses whose labels disagree have no labelled_entity (the conflict is reported in
-- cluster_warnings).
-- party is who the address is as a counterparty: `entity:<name>` when attributed, else its
-- cluster. Naming attributed parties by entity keeps them stable when a cluster's id
-- (its smallest address) changes as it grows, so tomorrow's run agrees with today's.
-- category is one per entity (an exchange in any label is an exchange), so all of an
-- entity's clusters land in the same tables.
WITH entity_category AS (
    SELECT entity,
           COALESCE(min(CASE WHEN lower(category) IN (${exchange_categories}) THEN lower(category) END),
                    min(lower(category))) AS category
    FROM labels GROUP BY entity
)
SELECT a.chain, a.address, a.cluster_id,
       COALESCE(c.label, l.entity) AS entity,
       ec.category AS category,
       l.entity AS labelled_entity,
       COALESCE('entity:' || COALESCE(c.label, l.entity), a.cluster_id) AS party
FROM address_clusters a
JOIN clusters c ON c.cluster_id = a.cluster_id
LEFT JOIN (
    SELECT chain, address, min(entity) AS entity, min(lower(category)) AS category
    FROM labels GROUP BY chain, address HAVING count(DISTINCT entity) = 1
) l ON l.chain = a.chain AND l.address = a.address
LEFT JOIN entity_category ec ON ec.entity = COALESCE(c.label, l.entity)
