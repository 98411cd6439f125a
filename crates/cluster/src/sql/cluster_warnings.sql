-- What an analyst must read before trusting a cluster: clusters above max_cluster_size,
-- label conflicts, single links that bridge two large parts, superclusters, and service
-- senders kept out of deposit merges. Placeholders: max, cc, verdict and hub_verdict
-- (what policy `refuse` did).
SELECT cluster_id, size, 'size_above_threshold' AS kind,
       'cluster has ' || CAST(size AS VARCHAR) || ' addresses (max_cluster_size = ${max})' AS detail
FROM clusters WHERE size > ${max}
UNION ALL
SELECT n.node AS cluster_id, CAST(NULL AS BIGINT) AS size, 'label_conflict' AS kind,
       'one component carried labels ' || k.entities || '; labelled addresses kept apart' AS detail
FROM cl_conflicts k JOIN cl_nodes n ON n.id = k.root
UNION ALL
SELECT r.node AS cluster_id, k.side_a + k.side_b AS size, 'merge_bridge' AS kind,
       'the single ' || k.heuristic || ' link ' || k.evidence || ' joins parts of ' ||
       CAST(k.side_a AS VARCHAR) || ' and ' || CAST(k.side_b AS VARCHAR) || ' addresses${verdict}' AS detail
FROM cl_bridges k JOIN ${cc} c ON c.id = k.id JOIN cl_nodes r ON r.id = c.root
UNION ALL
SELECT n.node AS cluster_id, d.size, 'supercluster' AS kind, d.detail${hub_verdict} AS detail
FROM cl_supercluster_details d JOIN cl_nodes n ON n.id = d.root
UNION ALL
SELECT r.node AS cluster_id, CAST(NULL AS BIGINT) AS size, 'service_sender' AS kind,
       s.sender || ' paid into ' || CAST(s.n_deposits AS VARCHAR) || ' deposit address(es) of ' ||
       CAST(s.n_entities AS VARCHAR) || ' entit(ies): a service, never merged as a depositor' AS detail
FROM cl_services s JOIN cl_nodes x ON x.chain = s.chain AND x.address = s.sender
JOIN ${cc} c ON c.id = x.id JOIN cl_nodes r ON r.id = c.root
ORDER BY kind, cluster_id, detail
