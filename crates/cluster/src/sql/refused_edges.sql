-- Policy `refuse`: the edges of ${edges} without the bridges' links and, in
-- superclusters, without every non-label link of a hub.
SELECT e.a, e.b, e.heuristic, e.evidence FROM ${edges} e
LEFT JOIN cl_bridges k ON k.heuristic = e.heuristic AND k.evidence = e.evidence
LEFT JOIN (SELECT DISTINCT heuristic, evidence FROM cl_hubs WHERE kind = 'evidence') he
  ON he.heuristic = e.heuristic AND he.evidence = e.evidence
LEFT JOIN (SELECT DISTINCT id FROM cl_hubs WHERE kind = 'address') ha ON ha.id = e.a
LEFT JOIN (SELECT DISTINCT id FROM cl_hubs WHERE kind = 'address') hb ON hb.id = e.b
WHERE k.id IS NULL AND (e.heuristic = 'label'
      OR (he.evidence IS NULL AND ha.id IS NULL AND hb.id IS NULL))
