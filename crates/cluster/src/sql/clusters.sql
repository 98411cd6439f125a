-- One row per cluster: size, its single label (none when labels conflict), label
-- sources and confidence. One aggregation over the members, their labels and the
-- conflicts' clusters (a union, not joins: the only hash tables are the labels' and the
-- conflicts'). Placeholders: cc (the final components), order_by.
WITH l AS (SELECT a.cluster_id, lb.entity, lb.category, lb.source, lb.confidence
           FROM labels lb JOIN address_clusters a
             ON a.chain = lb.chain AND a.address = lb.address),
     la AS (SELECT cluster_id, count(DISTINCT entity) AS n_entities, min(entity) AS entity,
                   min(category) AS category,
                   array_to_string(array_agg(DISTINCT source ORDER BY source), ' | ') AS label_sources,
                   max(confidence) AS label_confidence, count(*) AS n_labels
            FROM l GROUP BY cluster_id),
     conflicted AS (SELECT DISTINCT r.node AS cluster_id FROM cl_conflicts k
                    JOIN cl_cc1 c1 ON c1.root = k.root JOIN ${cc} c ON c.id = c1.id
                    JOIN cl_nodes r ON r.id = c.root),
     u AS (SELECT cluster_id, chain, CAST(1 AS BIGINT) AS n, CAST(NULL AS BIGINT) AS n_entities,
                  CAST(NULL AS VARCHAR) AS entity, CAST(NULL AS VARCHAR) AS category,
                  CAST(NULL AS VARCHAR) AS label_sources, CAST(NULL AS VARCHAR) AS label_confidence,
                  CAST(NULL AS BIGINT) AS n_labels, false AS conflict
           FROM address_clusters
           UNION ALL
           SELECT cluster_id, CAST(NULL AS VARCHAR), CAST(0 AS BIGINT), n_entities, entity, category,
                  label_sources, label_confidence, n_labels, false FROM la
           UNION ALL
           SELECT cluster_id, CAST(NULL AS VARCHAR), CAST(0 AS BIGINT), CAST(NULL AS BIGINT),
                  CAST(NULL AS VARCHAR), CAST(NULL AS VARCHAR), CAST(NULL AS VARCHAR),
                  CAST(NULL AS VARCHAR), CAST(NULL AS BIGINT), true FROM conflicted)
SELECT cluster_id, min(chain) AS chain, sum(n) AS size,
       CASE WHEN max(n_entities) = 1 THEN max(entity) END AS label,
       CASE WHEN max(n_entities) = 1 THEN max(category) END AS category,
       max(label_sources) AS label_sources, max(label_confidence) AS label_confidence,
       COALESCE(max(n_labels), 0) AS labelled_addresses,
       (COALESCE(max(n_entities), 0) > 1 OR bool_or(conflict)) AS label_conflict
FROM u GROUP BY cluster_id${order_by}
