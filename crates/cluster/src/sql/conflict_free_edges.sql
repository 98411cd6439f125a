-- The integer edges without the links that welded two labelled entities: in a component
-- with conflicting labels, every non-label edge that touches a labelled address is
-- dropped. In slices of the edges' first ends (both sides of their one large join).
SELECT e.a, e.b, e.heuristic, e.evidence FROM cl_int_edges e
JOIN cl_cc1 c ON c.id = e.a
LEFT JOIN cl_conflicts k ON k.root = c.root
LEFT JOIN (SELECT DISTINCT id FROM cl_labelled) la ON la.id = e.a
LEFT JOIN (SELECT DISTINCT id FROM cl_labelled) lb ON lb.id = e.b
WHERE (k.root IS NULL OR e.heuristic = 'label' OR (la.id IS NULL AND lb.id IS NULL))${slice_a}${slice_c}
