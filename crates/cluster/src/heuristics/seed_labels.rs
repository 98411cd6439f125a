//! Seed labels: addresses that carry the same entity label are one entity. An address
//! labelled with two different entities links to neither (it is reported as a label
//! conflict instead), so one bad tag cannot weld two exchanges together. Only ownership
//! labels that link (`labels.links`) count: risk labels are in another table
//! (`risk_labels`) and a GraphSense tag that is no cluster definer names its address
//! alone.

/// Edges: each labelled address to its entity's smallest address; `evidence` is the
/// label's source, `detail` the entity.
pub fn sql() -> String {
    "WITH l AS (SELECT chain, address, entity, min(source) AS source FROM labels \
                WHERE links GROUP BY chain, address, entity), \
          single AS (SELECT chain, address FROM l GROUP BY chain, address HAVING count(*) = 1), \
          ok AS (SELECT l.* FROM l JOIN single s ON s.chain = l.chain AND s.address = l.address), \
          r AS (SELECT chain, entity, min(address) AS root FROM ok GROUP BY chain, entity) \
     SELECT ok.chain, r.root AS address_a, ok.address AS address_b, 'label' AS heuristic, \
            ok.source AS evidence, ok.entity AS detail \
     FROM ok JOIN r ON ok.chain = r.chain AND ok.entity = r.entity WHERE ok.address <> r.root"
        .into()
}
