-- view: registry
-- One row per (entity, jurisdiction). An entity listed twice for one jurisdiction counts
-- as licensed only if every row says so (conflicts are reported in rejects_summary).
SELECT entity, jurisdiction, min(name) AS name, bool_and(licensed) AS licensed,
       min(licence_id) AS licence_id
FROM registry_rows
GROUP BY entity, jurisdiction
