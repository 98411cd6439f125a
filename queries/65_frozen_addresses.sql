-- publish: frozen_addresses
-- partition: none
-- set: execution.sort_spill_reservation_bytes = 1048576
-- (Freeze data is small: its sorts reserve 1 MB each, not the default 10 MB, so several
-- fit a tight --memory-limit together.)
-- One row per freeze period of an address and asset: a freeze opens one (a repeated freeze
-- of a frozen address does not), the first unfreeze after it closes it. frozen_at is NULL
-- for a period the logs only show the end of (frozen before the inputs' logs start).
-- The balance at freeze is the address's balance of the asset just before the freeze, exact,
-- rebuilt from the inputs' transfers before the freeze log (same block: lower log index)
-- minus earlier destroys (a destroy emits no Transfer). It is only as complete as the
-- inputs (history_from says where they start for that asset); a balance that comes out
-- negative (more sent than the inputs show received) is NULL with balance_note saying so.
-- The destroyed_* columns are the issuer's destroys (seizures) in the period. The
-- address's cluster, entity, category, jurisdictions and licence status come from the clustering and the
-- registry; top_exchange is the exchange it exchanged most transfers with (a deposit
-- address of it, or its customer), NULL when none.
WITH toggles AS (
    SELECT chain, asset, address, block_number, log_index, event,
           lag(event) OVER (PARTITION BY chain, asset, address
                            ORDER BY block_number, log_index) AS prev
    FROM freeze_event_rows WHERE event IN ('freeze', 'unfreeze')
),
numbered AS (
    SELECT e.*,
           sum(CASE WHEN o.opens THEN 1 ELSE 0 END)
               OVER (PARTITION BY e.chain, e.asset, e.address ORDER BY e.block_number, e.log_index
                     ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS period,
           COALESCE(o.opens, false) AS opens
    FROM (SELECT chain, asset, address, block_number, log_index,
                 event = 'freeze' AND (prev IS NULL OR prev = 'unfreeze') AS opens
          FROM toggles) o
    RIGHT JOIN freeze_event_rows e
      ON o.chain = e.chain AND o.asset = e.asset AND o.address = e.address
     AND o.block_number = e.block_number AND o.log_index = e.log_index
),
periods AS (
    SELECT chain, asset, min(symbol) AS symbol, address, period,
           min(CASE WHEN opens THEN block_time END) AS frozen_at,
           min(CASE WHEN opens THEN block_number END) AS freeze_block,
           min(CASE WHEN opens THEN log_index END) AS freeze_log_index,
           min(CASE WHEN opens THEN tx_hash END) AS freeze_tx_hash,
           min(CASE WHEN event = 'unfreeze' THEN block_time END) AS unfrozen_at,
           count(CASE WHEN event = 'destroy' THEN 1 END) AS destroys,
           min(CASE WHEN event = 'destroy' THEN block_time END) AS destroyed_at,
           sum(CASE WHEN event = 'destroy' THEN amount_raw END) AS destroyed_raw,
           sum(CASE WHEN event = 'destroy' THEN amount END) AS destroyed_amount,
           sum(CASE WHEN event = 'destroy' THEN amount_usd END) AS destroyed_usd,
           count(CASE WHEN event = 'destroy' AND amount_usd IS NULL THEN 1 END) AS unpriced_destroys
    FROM numbered
    GROUP BY chain, asset, address, period
),
-- Before the freeze: the period's own asset, earlier block, or same block and lower log.
moved AS (
    SELECT p.chain, p.asset, p.address, p.period,
           sum(CASE WHEN t.direction = 'in' THEN t.amount_raw ELSE -t.amount_raw END) AS net_raw
    FROM periods p
    JOIN frozen_transfers t ON t.chain = p.chain AND t.asset = p.asset AND t.address = p.address
    WHERE t.block_number < p.freeze_block
       OR (t.block_number = p.freeze_block AND t.log_index < p.freeze_log_index)
    GROUP BY p.chain, p.asset, p.address, p.period
),
destroyed_before AS (
    SELECT p.chain, p.asset, p.address, p.period, sum(e.amount_raw) AS raw
    FROM periods p
    JOIN freeze_event_rows e ON e.chain = p.chain AND e.asset = p.asset AND e.address = p.address
    WHERE e.event = 'destroy'
      AND (e.block_number < p.freeze_block
           OR (e.block_number = p.freeze_block AND e.log_index < p.freeze_log_index))
    GROUP BY p.chain, p.asset, p.address, p.period
),
history AS (
    SELECT chain, asset, min(block_time) AS history_from
    FROM transfers WHERE asset IN (SELECT contract FROM issuer_events)
    GROUP BY chain, asset
),
balances AS (
    SELECT p.*, h.history_from,
           CASE WHEN p.freeze_block IS NULL THEN NULL
                ELSE COALESCE(m.net_raw, 0) - COALESCE(d.raw, 0) END AS balance_raw
    FROM periods p
    LEFT JOIN moved m ON m.chain = p.chain AND m.asset = p.asset AND m.address = p.address
                     AND m.period = p.period
    LEFT JOIN destroyed_before d ON d.chain = p.chain AND d.asset = p.asset
                                AND d.address = p.address AND d.period = p.period
    LEFT JOIN history h ON h.chain = p.chain AND h.asset = p.asset
),
attribution AS (
    SELECT a.chain, a.address, a.cluster_id, a.entity, a.category,
           array_to_string(array_agg(DISTINCT e.jurisdiction ORDER BY e.jurisdiction), ', ')
               AS jurisdictions,
           CASE WHEN bool_or(e.licence_status = 'licensed') THEN 'licensed'
                WHEN bool_or(e.licence_status = 'unlicensed') THEN 'unlicensed'
                WHEN a.entity IS NOT NULL THEN 'unknown' END AS licence_status
    FROM (SELECT DISTINCT chain, address FROM freeze_event_rows) f
    JOIN address_attribution a ON a.chain = f.chain AND a.address = f.address
    LEFT JOIN entities e ON e.entity = a.entity
    GROUP BY a.chain, a.address, a.cluster_id, a.entity, a.category
),
exchange_contacts AS (
    SELECT t.chain, t.address, c.entity, count(*) AS transfers
    FROM frozen_transfers t
    JOIN address_attribution c ON c.chain = t.chain AND c.address = t.counterparty
    WHERE lower(c.category) IN (${exchange_categories})
    GROUP BY t.chain, t.address, c.entity
),
top_exchange AS (
    SELECT chain, address, entity FROM (
        SELECT *, row_number() OVER (PARTITION BY chain, address
                                     ORDER BY transfers DESC, entity) AS r
        FROM exchange_contacts)
    WHERE r = 1
)
SELECT b.chain, b.asset, b.symbol, b.address, b.frozen_at, b.unfrozen_at,
       b.freeze_block, b.freeze_tx_hash,
       CASE WHEN b.balance_raw >= 0 THEN b.balance_raw END AS balance_at_freeze_raw,
       CASE WHEN b.balance_raw >= 0 THEN token_amount(b.balance_raw, k.decimals, 18) END
           AS balance_at_freeze,
       CASE WHEN b.balance_raw >= 0
            THEN TRY_CAST(CAST(token_amount(b.balance_raw, k.decimals, 18) AS DOUBLE) * pr.price_usd
                          AS DECIMAL(38, 6)) END AS balance_at_freeze_usd,
       CASE WHEN b.freeze_block IS NULL THEN 'frozen before the inputs'' logs start: no balance'
            WHEN b.balance_raw < 0 THEN 'incomplete history: the inputs show more sent than received'
            WHEN k.decimals IS NULL THEN 'token decimals unknown: raw balance only'
            WHEN pr.price_usd IS NULL THEN 'no price on the freeze day'
            ELSE 'from the inputs'' transfers since ' || CAST(CAST(b.history_from AS DATE) AS VARCHAR)
       END AS balance_note,
       b.history_from,
       b.destroys, b.destroyed_at, b.destroyed_raw, b.destroyed_amount, b.destroyed_usd,
       b.unpriced_destroys,
       a.cluster_id, a.entity, a.category, a.jurisdictions, a.licence_status,
       x.entity AS top_exchange
FROM balances b
LEFT JOIN tokens k ON k.chain = b.chain AND k.asset = b.asset
LEFT JOIN prices pr ON pr.chain = b.chain AND pr.asset = b.asset
                   AND pr.day = CAST(b.frozen_at AS DATE)
LEFT JOIN attribution a ON a.chain = b.chain AND a.address = b.address
LEFT JOIN top_exchange x ON x.chain = b.chain AND x.address = b.address
ORDER BY b.chain, b.asset, b.address, b.period
