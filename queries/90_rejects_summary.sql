-- publish: rejects_summary
-- partition: none
-- What the job could not use, counted: input rows failing a check (file and reason in
-- the `rejects` view), labels, registry and price rows, rows without a block time (kept
-- for clustering, left out of every per-period table), issuer events that could not be
-- decoded (kind 'events': see [freezes]), and transfers left out of turnover
-- (zero value, or a token whose decimals are unknown — add it to the tokens table).
SELECT kind, source, reason, rows, example FROM (
    SELECT 'input' AS kind, source_table AS source, reason, count(*) AS rows, min(file) AS example
    FROM rejects GROUP BY source_table, reason
    UNION ALL
    SELECT 'labels', file, reason, count(*), min(address)
    FROM label_rejects GROUP BY file, reason
    UNION ALL
    SELECT source AS k, source AS s, reason, count(*), min(item)
    FROM input_rejects GROUP BY source, reason
    UNION ALL
    SELECT 'undated', source_table, 'no block time: left out of per-period tables', count(*),
           min(tx_hash)
    FROM transfers WHERE block_time IS NULL GROUP BY source_table
    UNION ALL
    SELECT 'undated', source_table, 'no block time: left out of per-period tables', count(*),
           min(tx_hash)
    FROM (SELECT source_table, tx_hash, block_time FROM utxo_inputs
          UNION ALL SELECT source_table, tx_hash, block_time FROM utxo_outputs)
    WHERE block_time IS NULL GROUP BY source_table
    UNION ALL
    SELECT 'undated', source_table, 'no block time: left out of per-period tables', count(*),
           min(tx_hash)
    FROM logs WHERE block_time IS NULL GROUP BY source_table
    UNION ALL
    SELECT 'events', source_table, reason, count(*), min(tx_hash) FROM (
        SELECT source_table, tx_hash,
               signature || CASE WHEN address IS NULL THEN ': no address where [freezes] says it is'
                                 WHEN has_amount AND amount_raw IS NULL
                                     THEN ': no uint256 amount where [freezes] says it is'
                                 ELSE ': no block time' END AS reason
        FROM freeze_decoded
        WHERE address IS NULL OR (has_amount AND amount_raw IS NULL) OR block_time IS NULL)
    GROUP BY source_table, reason
    UNION ALL
    SELECT 'excluded', source_table, 'token without known decimals: no amount, left out of turnover',
           count(*), min(asset)
    FROM transfers WHERE amount IS NULL AND amount_raw > 0 GROUP BY source_table
    UNION ALL
    SELECT 'excluded', source_table, 'zero-value transfer: left out of turnover', count(*), min(tx_hash)
    FROM transfers WHERE amount_raw = 0 GROUP BY source_table
)
ORDER BY kind, source, reason
