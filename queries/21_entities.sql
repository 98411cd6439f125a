-- publish: entities
-- partition: none
-- Every attributed entity with its size and registry status, one row per
-- (entity, jurisdiction); entities missing from the registry have status 'unknown'.
WITH e AS (
    SELECT entity, min(category) AS category, count(DISTINCT cluster_id) AS clusters,
           count(*) AS addresses, count(labelled_entity) AS labelled_addresses,
           array_to_string(array_agg(DISTINCT chain ORDER BY chain), ',') AS chains
    FROM address_attribution WHERE entity IS NOT NULL GROUP BY entity
)
SELECT e.entity, e.category, e.chains, e.clusters, e.addresses, e.labelled_addresses,
       r.jurisdiction, r.name AS registry_name, r.licence_id,
       CASE WHEN r.entity IS NULL THEN 'unknown' WHEN r.licensed THEN 'licensed' ELSE 'unlicensed' END
           AS licence_status
FROM e LEFT JOIN registry r ON r.entity = e.entity
ORDER BY e.entity, r.jurisdiction
