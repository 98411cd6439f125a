-- view: registry_rows
-- The licence registry as read: entity names are matched to label entities
-- case-insensitively; `licensed` accepts true/false, yes/no, 1/0. Rows that cannot be
-- read this way are counted in `rejects_summary` (12_input_rejects).
SELECT
    lower(trim(entity)) AS entity,
    NULLIF(trim(name), '') AS name,
    CASE lower(trim(licensed))
        WHEN 'true' THEN true WHEN 'yes' THEN true WHEN '1' THEN true
        WHEN 'false' THEN false WHEN 'no' THEN false WHEN '0' THEN false
    END AS licensed,
    COALESCE(NULLIF(upper(trim(jurisdiction)), ''), '(none)') AS jurisdiction,
    NULLIF(trim(licence_id), '') AS licence_id
FROM registry_raw
WHERE NULLIF(trim(entity), '') IS NOT NULL
  AND lower(trim(licensed)) IN ('true', 'yes', '1', 'false', 'no', '0')
