-- The node dictionary: every address the clustering has seen (edge ends, labels, the
-- inputs' senders and receivers), with a dense id in `chain:address` order, so ids and
-- cluster ids are deterministic. `node` is built after the DISTINCT: once per address,
-- not once per mention.
SELECT chain, address, node, CAST(row_number() OVER (ORDER BY node) - 1 AS BIGINT) AS id FROM (
  SELECT chain, address, chain || ':' || address AS node FROM (SELECT DISTINCT chain, address FROM (
    SELECT chain, address_a AS address FROM cl_edges
    UNION ALL SELECT chain, address_b FROM cl_edges
    UNION ALL SELECT chain, address FROM labels
    UNION ALL SELECT chain, from_address FROM transfers
    UNION ALL SELECT chain, to_address FROM transfers
    UNION ALL SELECT chain, address FROM utxo_inputs WHERE address IS NOT NULL
    UNION ALL SELECT chain, address FROM utxo_outputs WHERE address IS NOT NULL)))
