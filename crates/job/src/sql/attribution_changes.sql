-- The UTC days of every transfer or UTXO row that touches an address whose attribution
-- (party, entity, category, labelled entity) differs from the previous run's, or that
-- one of the two runs does not know: those days' months must be recomputed.
WITH changed AS (
  SELECT COALESCE(a.chain, b.chain) AS chain, COALESCE(a.address, b.address) AS address
  FROM address_attribution a FULL OUTER JOIN prev_attribution b
    ON a.chain = b.chain AND a.address = b.address
  WHERE a.address IS NULL OR b.address IS NULL
     OR (a.party IS DISTINCT FROM b.party) OR (a.entity IS DISTINCT FROM b.entity)
     OR (a.category IS DISTINCT FROM b.category)
     OR (a.labelled_entity IS DISTINCT FROM b.labelled_entity))
SELECT DISTINCT CAST(block_time AS DATE) FROM (
  SELECT t.block_time FROM transfers t JOIN changed c ON c.chain = t.chain AND c.address = t.from_address
  UNION ALL SELECT t.block_time FROM transfers t JOIN changed c ON c.chain = t.chain AND c.address = t.to_address
  UNION ALL SELECT i.block_time FROM utxo_inputs i JOIN changed c ON c.chain = i.chain AND c.address = i.address
  UNION ALL SELECT o.block_time FROM utxo_outputs o JOIN changed c ON c.chain = o.chain AND c.address = o.address)
WHERE block_time IS NOT NULL
