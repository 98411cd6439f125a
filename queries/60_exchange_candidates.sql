-- publish: exchange_candidates
-- partition: none
-- Unlabelled clusters that behave like an exchange, for analysts to review. Two kinds:
-- `deposit_sweeps`, a hub that
-- at least ${candidate_min_deposits} deposit-like addresses feed, paid by at least
-- ${candidate_min_depositors} distinct senders (clusters). A deposit-like address
-- received value and forwarded at least (1 - deposit_amount_tolerance) of it, same asset,
-- to the hub within deposit_window_seconds — the pattern of exchange deposit addresses
-- being swept (Victor 2020), without needing a label on the hub. Only addresses that
-- send to a single destination count as deposits (payment processors forwarding to several
-- hubs do not); attributed hubs are left out. And `nested`, an exchanger that cashes out
-- through its own deposit addresses at a host exchange (58_nested_exchangers.sql), with
-- the host in `host`.
-- Account chains only; over the whole input, not per period. The deposits are staged by
-- 59_candidate_deposits.sql.
-- confidence (0–1) weighs the evidence, each part saturating where an exchange is
-- beyond doubt: 0.3 × deposit addresses (log scale, full at 50), 0.3 × distinct senders
-- (log scale, full at 50), 0.2 × sweep regularity (share of the weeks between the first
-- and the last deposit with a forward to the hub), 0.2 × lifetime (full at 90 days).
-- Candidates at or above [job] candidate_min_confidence (${candidate_min_confidence})
-- count in the estimate of unlicensed activity (enforcement_summary).
WITH attr AS (
    SELECT chain, address, cluster_id FROM address_attribution
),
priced AS (
    SELECT d.*, TRY_CAST(CAST(d.amount AS DOUBLE) * p.price_usd AS DECIMAL(38, 6)) AS usd,
           CASE WHEN p.price_usd IS NULL THEN 1 ELSE 0 END AS unpriced
    FROM prices p
    RIGHT JOIN candidate_deposits d
      ON p.chain = d.chain AND p.asset = d.asset AND p.day = CAST(d.block_time AS DATE)
),
hubs AS (
    SELECT chain, hub,
           count(DISTINCT deposit) AS deposit_addresses,
           count(DISTINCT sender_cluster) AS depositors,
           count(*) AS deposits,
           min(block_time) AS first_seen, max(block_time) AS last_seen,
           min(deposit) AS example_deposit, min(forward_tx) AS example_forward_tx,
           count(DISTINCT date_trunc('week', block_time)) AS active_weeks,
           sum(usd) AS inflow_usd, CAST(sum(unpriced) AS BIGINT) AS unpriced_deposits
    FROM priced GROUP BY chain, hub
),
-- The two kinds side by side with the evidence the confidence weighs; `active` is the
-- weeks with a forward to the hub (deposit hubs) or the days with a batch to the host
-- (nested: their deposit addresses are their accounts at the host, whose turnover keeps
-- them), so a regularity of at least one per week scores in full.
kinds AS (
    SELECT COALESCE(a.cluster_id, h.chain || ':' || h.hub) AS cluster_id, h.chain, h.hub,
           CAST('deposit_sweeps' AS VARCHAR) AS kind, CAST(NULL AS VARCHAR) AS host,
           h.deposit_addresses, h.depositors, h.deposits, h.inflow_usd, h.unpriced_deposits,
           h.first_seen, h.last_seen, h.active_weeks AS active,
           CAST(h.deposit_addresses AS VARCHAR) || ' deposit-like addresses received from ' ||
           CAST(h.depositors AS VARCHAR) || ' distinct senders and forwarded the amounts to ' || h.hub ||
           ' within ${deposit_window_seconds} s (e.g. ' || h.example_deposit || ', forward tx ' ||
           h.example_forward_tx || '); forwards in ' || CAST(h.active_weeks AS VARCHAR) || ' weeks over ' ||
           CAST(CAST(floor((to_unixtime(h.last_seen) - to_unixtime(h.first_seen)) / 86400) AS BIGINT) AS VARCHAR) || ' days'
               AS evidence
    FROM hubs h
    LEFT JOIN attr a ON a.chain = h.chain AND a.address = h.hub
    WHERE h.deposit_addresses >= ${candidate_min_deposits}
      AND h.depositors >= ${candidate_min_depositors}
    UNION ALL
    -- Nested exchangers (58_nested_exchangers.sql) that are no deposit hub already; the
    -- deposit hubs' keys come from the deposits directly: a shallower plan, which
    -- Ballista's plan decoder needs, than reading the branch above again.
    SELECT COALESCE(a.cluster_id, n.chain || ':' || n.hub), n.chain, n.hub,
           CAST('nested' AS VARCHAR), CAST(n.host AS VARCHAR),
           CAST(n.host_deposits AS BIGINT), CAST(n.senders AS BIGINT),
           CAST(n.incoming AS BIGINT), CAST(n.inflow_usd AS DECIMAL(38, 6)),
           CAST(0 AS BIGINT), n.first_seen, n.last_seen, CAST(n.forward_days AS BIGINT),
           'nested in ' || n.host || ': ' || CAST(n.senders AS VARCHAR) || ' distinct senders paid ' || n.hub ||
           ' in ' || CAST(n.incoming AS VARCHAR) || ' transfers; it forwarded ' ||
           CAST(CAST(n.forwarded_usd AS BIGINT) AS VARCHAR) || ' USD of its ' ||
           CAST(CAST(n.inflow_usd AS BIGINT) AS VARCHAR) || ' USD inflow in ' || CAST(n.forwards AS VARCHAR) ||
           ' batches on ' || CAST(n.forward_days AS VARCHAR) || ' days into ' ||
           CAST(n.host_deposits AS VARCHAR) || ' deposit address(es) at ' || n.host
    FROM nested_exchangers n
    LEFT ANTI JOIN (SELECT chain, hub FROM candidate_deposits GROUP BY chain, hub
                    HAVING count(DISTINCT deposit) >= ${candidate_min_deposits}
                       AND count(DISTINCT sender_cluster) >= ${candidate_min_depositors}) d
      ON d.chain = n.chain AND d.hub = n.hub
    LEFT JOIN attr a ON a.chain = n.chain AND a.address = n.hub
)
SELECT cluster_id, chain, hub, kind, host, deposit_addresses, depositors, deposits, inflow_usd,
       unpriced_deposits, first_seen, last_seen,
       round(0.3 * LEAST(1.0, ln(1.0 + deposit_addresses) / ln(51.0))
             + 0.3 * LEAST(1.0, ln(1.0 + depositors) / ln(51.0))
             + 0.2 * LEAST(1.0, CAST(active AS DOUBLE)
                                / GREATEST(1.0, ceil((to_unixtime(last_seen) - to_unixtime(first_seen)) / 604800.0)))
             + 0.2 * LEAST(1.0, (to_unixtime(last_seen) - to_unixtime(first_seen)) / (90.0 * 86400.0)),
             3) AS confidence,
       evidence
FROM kinds
ORDER BY depositors DESC, deposit_addresses DESC, chain, hub
