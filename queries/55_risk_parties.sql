-- stage: risk_parties
-- The counterparties that carry a risk attribute (risk_labels: sanctions lists, issuer
-- blacklists, abuse tags), one row per (party, risk category). A risk label rolls up
-- to its address's party (`flows.counterparty`): an unattributed address's cluster, so
-- every address clustered with a listed one counts; or an attributed entity when the
-- listed address is one its own seed labels name (a sanctioned exchange's known
-- wallets). A listed address attributed to an entity only by clustering (a customer's
-- deposit address an issuer blacklisted) does not make the entity a risk party: such
-- rows have `held` true and are counted in `risk_exposure.listed_in_entity`.
-- `listed_addresses`, `example_address`, `lists` and `names` say why the party is risky.
WITH listed AS (
    SELECT r.chain, r.address, r.category, r.list, r.name,
           COALESCE(a.party, r.chain || ':' || r.address) AS party,
           a.entity,
           COALESCE(a.entity IS NOT NULL AND (a.labelled_entity IS NULL OR a.labelled_entity <> a.entity),
                    false) AS held
    FROM address_attribution a
    RIGHT JOIN risk_labels r ON a.chain = r.chain AND a.address = r.address
)
SELECT party AS counterparty, category, held,
       count(DISTINCT address) AS listed_addresses,
       min(address) AS example_address,
       array_to_string(array_agg(DISTINCT list ORDER BY list), ', ') AS lists,
       array_to_string(array_agg(DISTINCT name ORDER BY name), ', ') AS names,
       min(entity) AS entity
FROM listed
GROUP BY party, category, held
