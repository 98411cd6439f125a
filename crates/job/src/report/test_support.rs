//! A small hand-made report shared by the unit tests, so every renderer is checked
//! against the same figures (whose headline values are worked out in `content`'s
//! tests).

use super::model::{
    CandidateRow, CoverageRow, EnforcementRow, ExchangeRow, ExposureRow, MonthlyRow, ReportData,
    UnlicensedBounds,
};

fn exchange(
    entity: &str,
    jurisdiction: Option<&str>,
    status: &str,
    turnover: f64,
    lower: f64,
) -> ExchangeRow {
    ExchangeRow {
        entity: entity.to_string(),
        jurisdiction: jurisdiction.map(str::to_string),
        licence_status: status.to_string(),
        inflow_usd: turnover / 2.0,
        outflow_usd: turnover / 2.0,
        turnover_usd: turnover,
        lower_turnover_usd: lower,
        depositors: 100,
        transfers: 1_000,
        unpriced_transfers: 3,
    }
}

fn jurisdiction(
    name: &str,
    counts: [i64; 6],
    turnover: f64,
    lower: f64,
    unlicensed_turnover: f64,
    unlicensed_lower: f64,
) -> EnforcementRow {
    let [exchanges, licensed, unlicensed, unknown, licensed_above, unlicensed_above] = counts;
    EnforcementRow {
        jurisdiction: name.to_string(),
        exchanges,
        licensed,
        unlicensed,
        unknown,
        licensed_above_threshold: licensed_above,
        unlicensed_above_threshold: unlicensed_above,
        unknown_above_threshold: 0,
        turnover_usd: turnover,
        lower_turnover_usd: lower,
        unlicensed_turnover_usd: unlicensed_turnover,
        unlicensed_lower_turnover_usd: unlicensed_lower,
    }
}

fn month(entity: &str, status: &str, month: u32, turnover: f64) -> MonthlyRow {
    MonthlyRow {
        entity: entity.to_string(),
        licence_status: status.to_string(),
        month,
        turnover_usd: turnover,
    }
}

/// Five exchanges, threshold $1M: Alpha licensed $5M; Bravo unlicensed $3M;
/// Charlie unlicensed $2.5M; Delta unlicensed $0.5M (below threshold); Echo
/// unknown $1.5M. Total $12.5M, lower bound $6.9M.
pub(crate) fn sample() -> ReportData {
    let mut monthly: Vec<MonthlyRow> = (1..=12)
        .map(|m| month("Alpha", "licensed", m, 5e6 / 12.0))
        .collect();
    monthly.extend((1..=6).map(|m| month("Bravo", "unlicensed", m, 0.5e6)));
    monthly.extend((1..=5).map(|m| month("Charlie", "unlicensed", m, 0.5e6)));
    monthly.push(month("Delta", "unlicensed", 12, 0.5e6));
    monthly.push(month("Echo", "unknown", 3, 1.5e6));
    ReportData {
        title: "Exchange turnover and enforcement statistics".to_string(),
        year: 2025,
        run_id: "run-42".to_string(),
        generated_at: "2026-01-15T08:00:00Z".to_string(),
        version: "0.1.0".to_string(),
        threshold_usd: 1_000_000.0,
        enforcement: vec![
            jurisdiction("DE", [2, 1, 1, 0, 1, 1], 8e6, 5e6, 3e6, 1e6),
            jurisdiction("FR", [2, 0, 1, 1, 0, 1], 4e6, 1.7e6, 2.5e6, 0.5e6),
            jurisdiction("", [1, 0, 1, 0, 0, 0], 0.5e6, 0.2e6, 0.5e6, 0.2e6),
        ],
        exchanges: vec![
            exchange("Alpha", Some("DE"), "licensed", 5e6, 4e6),
            exchange("Bravo", Some("DE"), "unlicensed", 3e6, 1e6),
            exchange("Charlie", Some("FR"), "unlicensed", 2.5e6, 0.5e6),
            exchange("Echo", Some("FR"), "unknown", 1.5e6, 1.2e6),
            exchange("Delta", None, "unlicensed", 0.5e6, 0.2e6),
        ],
        monthly,
        candidates: vec![
            CandidateRow {
                cluster_id: "cl_17".to_string(),
                chain: "bitcoin".to_string(),
                hub: "bc1qhubaddress".to_string(),
                deposit_addresses: 120,
                depositors: 95,
                inflow_usd: Some(2_100_000.0),
                evidence: "120 deposit addresses sweep to one hub within 24h".to_string(),
                confidence: Some(0.92),
                turnover_usd: Some(4_000_000.0),
                counted: true,
            },
            CandidateRow {
                cluster_id: "cl_23".to_string(),
                chain: "tron".to_string(),
                hub: "TXhub".to_string(),
                deposit_addresses: 40,
                depositors: 31,
                inflow_usd: None,
                evidence: "sweeps to hub; token without price".to_string(),
                confidence: Some(0.31),
                turnover_usd: None,
                counted: false,
            },
        ],
        coverage: vec![CoverageRow {
            chain: "bitcoin".to_string(),
            asset: "BTC".to_string(),
            transfers: 1_234_567,
            priced_share: 0.998,
            attributed_share: 0.42,
            missing_price_days: 0,
        }],
        notes: vec!["Turnover is inflow plus outflow.".to_string()],
        previous: None,
        by_asset: Vec::new(),
        sources: Vec::new(),
        limitations: Vec::new(),
        rejects: Vec::new(),
        freezes: None,
        bounds: Some(UnlicensedBounds {
            labelled_lower_usd: 0.7e6,
            labelled_estimate_usd: 3.0e6,
            unknown_status_usd: 1.5e6,
            candidates: 2,
            candidates_counted: 1,
            candidate_usd: 4.0e6,
            candidate_counted_usd: 4.0e6,
            lower_usd: 0.7e6,
            estimate_usd: 7.0e6,
            upper_usd: 8.5e6,
            min_confidence: 0.5,
        }),
        exposure: Some(vec![ExposureRow {
            jurisdiction: "FR".to_string(),
            entity: "Charlie".to_string(),
            category: "sanction".to_string(),
            received_usd: Some(125_000.0),
            sent_usd: None,
            transfers: 14,
            top_counterparties: "garantex (OFAC SDN (ETH)): 120000.000000 USD | 0xabc (OFAC SDN (USDT)): 5000.000000 USD".to_string(),
        }]),
    }
}
