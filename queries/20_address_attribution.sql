-- stage: address_attribution
-- set: optimizer.join_reordering = false
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
-- One row per address (billions at scale), so the address table only streams through
-- hash joins whose build sides are small, written first (`-- set:` above): the labelled
-- clusters, the addresses with one entity label, the entities' categories.
WITH entity_category AS (
    SELECT entity,
           COALESCE(min(CASE WHEN lower(category) IN (${exchange_categories}) THEN lower(category) END),
                    min(lower(category))) AS category
    FROM labels GROUP BY entity
),
labelled_clusters AS (
    SELECT cluster_id, label FROM clusters WHERE label IS NOT NULL
),
own_label AS (
    SELECT chain, address, min(entity) AS entity
    FROM labels GROUP BY chain, address HAVING count(DISTINCT entity) = 1
),
-- Each address with its cluster's label and its own, and the entity they give.
labelled AS (
    SELECT x.chain, x.address, x.cluster_id, l.entity AS own_entity,
           COALESCE(x.cluster_label, l.entity) AS entity
    FROM own_label l
    RIGHT JOIN (SELECT a.chain, a.address, a.cluster_id, c.label AS cluster_label
                FROM labelled_clusters c
                RIGHT JOIN address_clusters a ON c.cluster_id = a.cluster_id) x
      ON l.chain = x.chain AND l.address = x.address
)
SELECT a.chain, a.address, key_hash(a.chain, a.address) AS address_key, a.cluster_id, a.entity,
       ec.category AS category,
       a.own_entity AS labelled_entity,
       COALESCE('entity:' || a.entity, a.cluster_id) AS party
FROM entity_category ec
RIGHT JOIN labelled a ON ec.entity = a.entity
