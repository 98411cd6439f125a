-- Every heuristic link with its evidence and whether the final components used it, in
-- slices of the cluster roots (placeholders r_pass, root_pass), from the edges with
-- their ids (`cl_int_edges`); cc and edges are the final components and their edges.
-- Written so no hash table holds the edges' strings: the slice's components, its
-- used-edge set (integers and two short strings) and its roots' node rows are the build
-- sides, the edges stream through (docs/performance-log.md: the other join order held
-- every string buffer in each output batch). The sort is on ids: ids follow
-- `chain:address` order and a cluster lies on one chain, so (root, a, b) orders as
-- (cluster_id, address_a, address_b).
SELECT x.chain, x.address_a, x.address_b, x.heuristic, x.evidence, x.detail,
       r.node AS cluster_id, x.used
FROM (SELECT id, node FROM cl_nodes WHERE true${r_pass}) r
JOIN (SELECT e.chain, e.address_a, e.address_b, e.heuristic, e.evidence, e.detail,
             c.root, e.a, e.b, (u.a IS NOT NULL) AS used
      FROM (SELECT DISTINCT u.a, u.b, u.heuristic, u.evidence
            FROM (SELECT id FROM ${cc} WHERE true${root_pass}) cu
            JOIN ${edges} u ON u.a = cu.id) u
      RIGHT JOIN ((SELECT id, root FROM ${cc} WHERE true${root_pass}) c
                  JOIN cl_int_edges e ON e.a = c.id)
      ON u.a = e.a AND u.b = e.b AND u.heuristic = e.heuristic
         AND u.evidence = e.evidence) x
  ON r.id = x.root
ORDER BY x.root, x.heuristic, x.a, x.b, x.evidence
