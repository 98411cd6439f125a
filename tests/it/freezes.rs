//! Freeze and seizure statistics against the generator's own ledger: the issuers in
//! `chainstat gen` freeze, lift, repeat and destroy on a live economy, and record each
//! address's balance from the simulation (ground_truth/freezes.csv). The expected figures
//! are replayed from that file here, not from the job's SQL.

use std::collections::BTreeMap;
use std::path::Path;

use crate::job::{csv_rows, generated, published, run_job};

/// One freeze period of (asset, address) as the issuers' ledger has it.
#[derive(Debug, Default, Clone, PartialEq)]
struct Period {
    freeze_block: String,
    balance_before: u128,
    destroyed: u128,
    unfrozen: bool,
}

#[tokio::test]
async fn freeze_statistics_equal_the_issuers_ledger() {
    let dir = tempfile::tempdir().expect("tmp");
    let data = dir.path().join("data");
    let cfg = generated(&data, 8_000, 365);
    let out = dir.path().join("out");
    run_job(cfg, &out, false).await;
    check_freezes(&out, &data.join("ground_truth/freezes.csv"), "ethereum").await;
    // The enforcement summary counts the same frozen exchange addresses.
    let sum = |sql: &str| {
        let out = out.clone();
        let sql = sql.to_string();
        async move { published(&out, &sql).await }
    };
    assert_eq!(
        sum("SELECT CAST(sum(exchange_addresses_frozen) AS VARCHAR) FROM enforcement_summary WHERE year = 2025").await,
        sum("SELECT CAST(COALESCE(sum(addresses_frozen), 0) AS VARCHAR) FROM freeze_summary WHERE year = 2025 AND exchange").await,
    );
}

/// Replays the issuers' ledger `truth` and compares it with what the run under `out`
/// published for `chain`.
pub(crate) async fn check_freezes(out: &Path, truth: &Path, chain: &str) {
    let out = out.to_path_buf();
    let rows = csv_rows(truth);
    let col = |n: &str| rows[0].iter().position(|h| h == n).expect(n);
    let (ia, iad, iev, ib, iamt, ibal, idep) = (
        col("asset"),
        col("address"),
        col("event"),
        col("block_number"),
        col("amount_raw"),
        col("balance_before_raw"),
        col("deposit_of"),
    );
    let num = |s: &str| s.parse::<u128>().unwrap_or(0);
    // Replay: a freeze of an address that is not frozen opens a period, an unfreeze
    // closes it, a destroy belongs to the open one.
    let mut periods: BTreeMap<(String, String), Vec<Period>> = BTreeMap::new();
    let mut open: BTreeMap<(String, String), bool> = BTreeMap::new();
    let (mut events, mut held_addresses, mut held) =
        (0usize, 0usize, BTreeMap::<String, u128>::new());
    let mut deposit_freezes = Vec::new();
    for r in &rows[1..] {
        let key = (r[ia].clone(), r[iad].clone());
        match r[iev].as_str() {
            "freeze" => {
                events += 1;
                if !open.get(&key).copied().unwrap_or(false) {
                    periods.entry(key.clone()).or_default().push(Period {
                        freeze_block: r[ib].clone(),
                        balance_before: num(&r[ibal]),
                        ..Default::default()
                    });
                    open.insert(key.clone(), true);
                }
                if !r[idep].is_empty() {
                    deposit_freezes.push((r[iad].clone(), r[idep].clone()));
                }
            }
            "unfreeze" => {
                events += 1;
                if let Some(p) = periods.get_mut(&key).and_then(|v| v.last_mut()) {
                    p.unfrozen = true;
                }
                open.insert(key, false);
            }
            "destroy" => {
                events += 1;
                if let Some(p) = periods.get_mut(&key).and_then(|v| v.last_mut()) {
                    p.destroyed += num(&r[iamt]);
                }
            }
            "held_at_end" => {
                held_addresses += 1;
                *held.entry(r[ia].clone()).or_default() += num(&r[ibal]);
            }
            other => panic!("unknown event {other}"),
        }
    }
    let all: Vec<&Period> = periods.values().flatten().collect();
    assert!(all.len() >= 4, "{periods:#?}");
    assert!(all.iter().any(|p| p.destroyed > 0) && all.iter().any(|p| p.unfrozen));
    assert!(!deposit_freezes.is_empty());

    // Every issuer event, and nothing from the look-alike contract.
    let n = published(
        &out,
        &format!("SELECT CAST(count(*) AS VARCHAR) FROM freeze_events WHERE chain = '{chain}'"),
    )
    .await;
    assert_eq!(n, vec![events.to_string()]);

    // Each period: the balance at freeze, destroyed amount and end, exactly.
    let got = published(
        &out,
        &format!(
            "SELECT asset, address, CAST(freeze_block AS VARCHAR), \
             CAST(balance_at_freeze_raw AS VARCHAR), CAST(COALESCE(destroyed_raw, 0) AS VARCHAR), \
             CAST(unfrozen_at IS NOT NULL AS VARCHAR) FROM frozen_addresses WHERE chain = '{chain}'"
        ),
    )
    .await;
    let mut want: Vec<String> = periods
        .iter()
        .flat_map(|((a, ad), ps)| {
            ps.iter().map(move |p| {
                format!(
                    "{a}|{ad}|{}|{}|{}|{}",
                    p.freeze_block, p.balance_before, p.destroyed, p.unfrozen
                )
            })
        })
        .collect();
    want.sort();
    assert_eq!(got, want);

    // The year's totals per asset, in raw units (both tokens have 6 decimals).
    let got = published(
        &out,
        &format!(
            "SELECT asset, CAST(sum(addresses_frozen) AS VARCHAR), \
         CAST(CAST(sum(frozen_amount) * 1000000 AS DECIMAL(38, 0)) AS VARCHAR), \
         CAST(CAST(sum(destroyed_amount) * 1000000 AS DECIMAL(38, 0)) AS VARCHAR), \
         CAST(sum(still_frozen_addresses) AS VARCHAR), \
         CAST(CAST(sum(still_frozen_amount) * 1000000 AS DECIMAL(38, 0)) AS VARCHAR) \
         FROM freeze_summary WHERE year = 2025 AND chain = '{chain}' GROUP BY asset"
        ),
    )
    .await;
    let mut want = Vec::new();
    for asset in held
        .keys()
        .chain(periods.keys().map(|(a, _)| a))
        .collect::<std::collections::BTreeSet<_>>()
    {
        let ps: Vec<&Period> = periods
            .iter()
            .filter(|((a, _), _)| a == asset)
            .flat_map(|(_, v)| v)
            .collect();
        let addresses = periods.keys().filter(|(a, _)| a == asset).count();
        want.push(format!(
            "{asset}|{addresses}|{}|{}|{}|{}",
            ps.iter().map(|p| p.balance_before).sum::<u128>(),
            ps.iter().map(|p| p.destroyed).sum::<u128>(),
            rows[1..]
                .iter()
                .filter(|r| r[iev] == "held_at_end" && &r[ia] == asset)
                .count(),
            held.get(asset).copied().unwrap_or(0),
        ));
    }
    want.sort();
    assert_eq!(got, want, "{held_addresses} still frozen");

    // A frozen deposit address of a labelled exchange is the exchange's, and counts for its
    // jurisdiction; one of an exchange nobody labelled is nobody's to the job.
    let entities = csv_rows(&truth.with_file_name("entities.csv"));
    let labelled = |e: &str| entities.iter().any(|r| r[0] == e && r[2] == "true");
    let mut at_labelled = 0;
    for (address, exchange) in &deposit_freezes {
        let got = published(
            &out,
            &format!(
                "SELECT DISTINCT entity, category FROM frozen_addresses \
                 WHERE chain = '{chain}' AND address = '{address}'"
            ),
        )
        .await;
        if labelled(exchange) {
            at_labelled += 1;
            assert_eq!(got, vec![format!("{exchange}|exchange")]);
        } else {
            assert_eq!(got, vec!["NULL|NULL".to_string()], "{exchange}");
        }
    }
    let frozen_at_exchanges = published(
        &out,
        &format!(
            "SELECT CAST(COALESCE(sum(addresses_frozen), 0) AS VARCHAR) FROM freeze_summary \
             WHERE year = 2025 AND chain = '{chain}' AND exchange"
        ),
    )
    .await;
    assert_eq!(frozen_at_exchanges, vec![at_labelled.to_string()]);
}
