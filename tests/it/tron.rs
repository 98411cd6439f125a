//! TRON through the whole job: tronetl's real TRC-20 export (blocks 12,345,678–12,347,890,
//! dated by the synthetic blocks table of the fixtures) runs like an Ethereum export, and
//! the same export without its blocks table is reported as undated, never silently empty.

use std::collections::BTreeMap;
use std::path::Path;

use chainstat_job::ChainstatConfig;

use crate::common::fixture;
use crate::freezes::check_freezes;
use crate::job::{csv_rows, published, run_job};

const USDT_TRON: &str = "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t";

/// A config over the tronetl export (with or without its blocks), USDT's decimals and
/// price, and one label: a USDT recipient of the export (twice) taken as an exchange wallet.
fn tron_config(dir: &Path, with_blocks: bool) -> ChainstatConfig {
    std::fs::write(
        dir.join("tokens.csv"),
        format!("address,symbol,name,decimals\n{USDT_TRON},USDT,Tether USD,6\n"),
    )
    .expect("tokens");
    std::fs::write(
        dir.join("prices.csv"),
        format!("date,chain,asset,symbol,price_usd\n2019-08-05,tron,{USDT_TRON},USDT,1.0\n"),
    )
    .expect("prices");
    std::fs::write(
        dir.join("labels.csv"),
        "address,entity,category,source,confidence\nTAzzJi5z9YPj1HcUBbmbKyF1cypkdL5t2z,tronx,exchange,test,high\n",
    )
    .expect("labels");
    let mut toml = format!(
        "[job]\nprices = \"prices.csv\"\nthreshold_usd = 1.0\n\
         [engine]\ntarget_partitions = 2\n\
         [[table]]\nname = \"tr\"\nurl = \"{}\"\n\
         [[table]]\nname = \"tron_tokens\"\nurl = \"tokens.csv\"\nchain = \"tron\"\n\
         [[labels]]\nurl = \"labels.csv\"\n",
        fixture("tron/token_transfer.csv")
    );
    if with_blocks {
        toml.push_str(&format!(
            "[[table]]\nname = \"tb\"\nurl = \"{}\"\nchain = \"tron\"\n",
            fixture("tron/blocks/")
        ));
    }
    std::fs::write(dir.join("chainstat.toml"), toml).expect("toml");
    ChainstatConfig::load(&dir.join("chainstat.toml")).expect("config")
}

#[tokio::test]
async fn the_real_tronetl_export_runs_through_the_whole_job() {
    let dir = tempfile::tempdir().expect("tmp");
    let out = dir.path().join("out");
    let run = run_job(tron_config(dir.path(), true), &out, false).await;
    assert!(
        !run.manifest
            .rejects
            .iter()
            .any(|r| r.kind == "undated" || r.kind == "input"),
        "{:?}",
        run.manifest.rejects
    );
    // Every USDT transfer of the export, dated and priced, in coverage.
    let coverage = published(
        &out,
        &format!(
            "SELECT CAST(year AS VARCHAR), chain, CAST(transfers AS VARCHAR), \
             CAST(priced_transfers AS VARCHAR) FROM coverage WHERE asset = '{USDT_TRON}'"
        ),
    )
    .await;
    assert_eq!(coverage, vec!["2019|tron|26|26".to_string()]);
    // The labelled wallet is an exchange with TRON turnover.
    let turnover = published(
        &out,
        "SELECT entity, chain, CAST(transfers_in + transfers_out > 0 AS VARCHAR) \
         FROM exchange_turnover_yearly",
    )
    .await;
    assert_eq!(turnover, vec!["tronx|tron|true".to_string()]);
}

/// Without its blocks table the export has no time: nothing is in any period, so the run
/// attributes no turnover and the sanity gate refuses to commit it, naming the undated
/// rows as the cause; forced through (`--accept-change`), the manifest and the report say
/// how many rows had no time.
#[tokio::test]
async fn an_undated_tron_export_is_refused_then_reported_not_silent() {
    let dir = tempfile::tempdir().expect("tmp");
    let out = dir.path().join("out");
    let cfg = tron_config(dir.path(), false);
    let e = chainstat_job::run(
        cfg.clone(),
        &chainstat_job::RunOptions {
            out: out.display().to_string(),
            quiet: true,
            ..Default::default()
        },
    )
    .await
    .err()
    .map(|e| e.to_string())
    .unwrap_or_default();
    assert!(e.contains("refusing to commit"), "{e}");
    assert!(
        e.contains("table tr has 8072 rows without a block time"),
        "{e}"
    );
    let run = chainstat_job::run(
        cfg,
        &chainstat_job::RunOptions {
            out: out.display().to_string(),
            quiet: true,
            accept_change: true,
            ..Default::default()
        },
    )
    .await
    .expect("forced run");
    let undated: u64 = run
        .manifest
        .rejects
        .iter()
        .filter(|r| r.kind == "undated" && r.source == "tr")
        .map(|r| r.rows)
        .sum();
    assert_eq!(undated, 8_072);
}

/// The generated economy on TRON (tronetl's layouts, dated by its blocks table) meets the
/// Ethereum bounds: each labelled exchange's yearly turnover per asset within 1 % of the
/// ground truth, every unlabelled exchange's hot wallet a candidate, and Tether's TRON
/// freezes (address indexed) equal to the issuer's ledger.
#[tokio::test]
async fn the_generated_tron_economy_meets_the_ethereum_accuracy_bounds() {
    let dir = tempfile::tempdir().expect("tmp");
    let data = dir.path().join("data");
    let params = chainstat_gen::GenParams {
        transfers: 8_000,
        days: 365,
        exchanges: Some(5),
        tron: Some(chainstat_gen::TronLayout::Tronetl),
        ..Default::default()
    };
    chainstat_gen::generate(&params, &data).expect("gen");
    let mut cfg = ChainstatConfig::load(&data.join("chainstat.toml")).expect("config");
    cfg.engine.target_partitions = Some(2);
    let out = dir.path().join("out");
    let run = run_job(cfg, &out, false).await;
    assert!(
        !run.manifest.rejects.iter().any(|r| r.kind == "undated"),
        "{:?}",
        run.manifest.rejects
    );

    let rows = csv_rows(&data.join("ground_truth/turnover_daily.csv"));
    let col = |n: &str| rows[0].iter().position(|h| h == n).expect(n);
    let (ie, ic, ia, ii, io) = (
        col("entity"),
        col("chain"),
        col("asset"),
        col("inflow_usd"),
        col("outflow_usd"),
    );
    let mut truth: BTreeMap<(String, String), f64> = BTreeMap::new();
    for r in rows[1..].iter().filter(|r| r[ic] == "tron") {
        let usd = r[ii].parse::<f64>().unwrap_or(0.0) + r[io].parse::<f64>().unwrap_or(0.0);
        *truth.entry((r[ie].clone(), r[ia].clone())).or_default() += usd;
    }
    assert!(!truth.is_empty(), "the ground truth has TRON turnover");
    let entities = csv_rows(&data.join("ground_truth/entities.csv"));
    let of = |labelled: &str| -> Vec<String> {
        entities[1..]
            .iter()
            .filter(|r| r[1] == "exchange" && r[2] == labelled)
            .map(|r| r[0].clone())
            .collect()
    };
    let (labelled, unlabelled) = (of("true"), of("false"));
    let estimate: BTreeMap<(String, String), f64> = published(
        &out,
        "SELECT entity, COALESCE(symbol, asset), CAST(sum(turnover_usd) AS VARCHAR) \
         FROM exchange_turnover_yearly WHERE chain = 'tron' GROUP BY entity, COALESCE(symbol, asset)",
    )
    .await
    .iter()
    .map(|r| {
        let p: Vec<&str> = r.split('|').collect();
        ((p[0].to_string(), p[1].to_string()), p[2].parse().unwrap_or(0.0))
    })
    .collect();
    let mut checked = 0;
    for ((entity, asset), t) in &truth {
        if !labelled.contains(entity) || *t < 1.0 {
            continue;
        }
        let e = estimate
            .get(&(entity.clone(), asset.clone()))
            .copied()
            .unwrap_or(0.0);
        let err = (e - t).abs() / t;
        println!(
            "TRON {entity} {asset}: estimate {e:.0} vs truth {t:.0} ({:.3} %)",
            err * 100.0
        );
        assert!(
            err <= 0.01,
            "TRON {entity} {asset}: estimate {e:.0} vs truth {t:.0}"
        );
        checked += 1;
    }
    assert!(checked >= 3, "{truth:?}");
    for u in &unlabelled {
        assert!(!estimate.keys().any(|(e, _)| e == u), "{u} has no label");
    }
    // Every unlabelled exchange's hot wallet, in TRON's form, is a TRON candidate.
    let hubs = published(
        &out,
        "SELECT hub FROM exchange_candidates WHERE chain = 'tron'",
    )
    .await;
    let addresses = csv_rows(&data.join("ground_truth/addresses.csv"));
    assert!(!unlabelled.is_empty());
    for u in &unlabelled {
        let hot: Vec<String> = addresses
            .iter()
            .filter(|r| r[0] == "ethereum" && &r[2] == u && r[3] == "hot")
            .filter_map(|r| chainstat_chain::evm::normalize(&r[1]).ok())
            .map(|b| {
                let mut t = [0x41u8; 21];
                t[1..].copy_from_slice(&b);
                chainstat_chain::tron::to_base58(&t)
            })
            .collect();
        assert!(
            hot.iter().any(|h| hubs.contains(h)),
            "{u}: TRON hot wallets {hot:?} not in candidates {hubs:?}"
        );
    }
    check_freezes(&out, &data.join("ground_truth/freezes_tron.csv"), "tron").await;
}

/// Google's BigQuery TRON layout (Parquet, `0x` hex addresses, timestamps, and the messy
/// re-export) and tronetl's (CSV, base58, a blocks table) carry the same economy: with the
/// chain given in the config, the job publishes the same TRON turnover, candidates and
/// freezes from either.
#[tokio::test]
async fn both_tron_layouts_publish_the_same_tron_figures() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut results = Vec::new();
    for (name, layout) in [
        ("tronetl", chainstat_gen::TronLayout::Tronetl),
        ("bigquery", chainstat_gen::TronLayout::Bigquery),
    ] {
        let data = dir.path().join(name);
        let params = chainstat_gen::GenParams {
            transfers: 3_000,
            days: 120,
            exchanges: Some(4),
            tron: Some(layout),
            ..Default::default()
        };
        chainstat_gen::generate(&params, &data).expect("gen");
        let mut cfg = ChainstatConfig::load(&data.join("chainstat.toml")).expect("config");
        cfg.engine.target_partitions = Some(2);
        let out = dir.path().join(format!("out-{name}"));
        run_job(cfg, &out, false).await;
        let mut got = Vec::new();
        for sql in [
            "SELECT entity, asset, CAST(inflow_amount AS VARCHAR), CAST(outflow_amount AS VARCHAR), \
             CAST(turnover_usd AS VARCHAR), CAST(depositors AS VARCHAR) \
             FROM exchange_turnover_yearly WHERE chain = 'tron'",
            "SELECT hub, CAST(deposit_addresses AS VARCHAR), CAST(depositors AS VARCHAR) \
             FROM exchange_candidates WHERE chain = 'tron'",
            "SELECT asset, address, CAST(balance_at_freeze_raw AS VARCHAR), \
             CAST(destroyed_raw AS VARCHAR) FROM frozen_addresses WHERE chain = 'tron'",
        ] {
            got.push(published(&out, sql).await);
        }
        results.push(got);
    }
    assert!(!results[0][0].is_empty(), "TRON turnover published");
    assert!(!results[0][2].is_empty(), "TRON freezes published");
    assert_eq!(results[0], results[1]);
}
