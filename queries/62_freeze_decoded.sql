-- stage: freeze_decoded
-- The issuers' freeze, unfreeze and destroy (seizure) logs, decoded: the `logs` rows whose
-- contract and topic0 are in `issuer_events` (the `[freezes]` config: Tether on Ethereum
-- and TRON, USDC on Ethereum built in), with the address and the destroyed amount taken
-- from the topic or data word the event keeps them in. `reason` names why a row could not
-- be decoded (counted in rejects_summary, kind 'events'); decoded rows have none.
SELECT l.chain, l.contract AS asset, e.event, e.signature,
       CASE e.address_topic
            WHEN 1 THEN word_address(l.chain, l.topic1)
            WHEN 2 THEN word_address(l.chain, l.topic2)
            WHEN 3 THEN word_address(l.chain, l.topic3)
            ELSE word_address(l.chain, log_word(l.data, e.address_word)) END AS address,
       CASE WHEN e.amount_word IS NOT NULL THEN uint256(log_word(l.data, e.amount_word))
            WHEN e.amount_topic = 1 THEN uint256(l.topic1)
            WHEN e.amount_topic = 2 THEN uint256(l.topic2)
            WHEN e.amount_topic = 3 THEN uint256(l.topic3) END AS amount_raw,
       e.amount_word IS NOT NULL OR e.amount_topic IS NOT NULL AS has_amount,
       l.block_number, l.log_index, l.block_time, l.tx_hash, l.source_table
FROM issuer_events e
JOIN logs l ON l.chain = e.chain AND l.contract = e.contract AND l.topic0 = e.topic0
