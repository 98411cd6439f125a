//! Risk labels: real sanctions and blacklist lists (GraphSense's USDT blacklist and OFAC
//! TagPack, the OFAC per-asset lists, the SDN-named Ethereum list) load as attributes and
//! merge nothing, while a real exchange pack next to them still links its wallets.

use chainstat_engine::Session;
use chainstat_io::LabelsSpec;
use chainstat_job::ChainstatConfig;

use crate::common::*;

fn labels(rel: &str, kind: Option<&str>) -> LabelsSpec {
    LabelsSpec {
        kind: kind.map(str::to_string),
        // what a risk label without a risk category of its own is (the OFAC pack's `user`)
        risk_category: Some("sanction".into()),
        ..LabelsSpec::new(fixture(&format!("labels/{rel}")))
    }
}

/// Every risk list of `tests/fixtures/labels/` and the exchange pack.
fn risk_config() -> ChainstatConfig {
    let mut cfg = config(&[&format!(
        "eth={}",
        fixture("ethereum/etl/token_transfers.parquet")
    )]);
    cfg.labels.push(labels("usdt_blacklist.yaml", None));
    // INTERPOL's OFAC pack has no field that says it is a list: the config says so
    cfg.labels.push(labels("ofac.yaml", Some("risk")));
    cfg.labels.push(labels("lazarus.yaml", None));
    cfg.labels.push(labels("ofac-ethereum-addresses.csv", None));
    for asset in ["ETH", "USDT", "USDC", "TRX", "XBT", "LTC", "BSC"] {
        cfg.labels.push(labels(
            &format!("ofac-sanctioned/sanctioned_addresses_{asset}.txt"),
            None,
        ));
    }
    cfg.labels.push(labels("exchange-wallets-okx.yaml", None));
    cfg
}

async fn clustered(cfg: &ChainstatConfig, dir: &std::path::Path) -> Session {
    let s = Session::open(cfg.clone(), None).await.expect("session");
    let work = dir.join("work").display().to_string();
    let out = dir.join("out").display().to_string();
    chainstat_cluster::run(&s.ctx, &cfg.cluster, &work, &out)
        .await
        .expect("clustering runs");
    s
}

/// The largest number of risk-labelled addresses one cluster holds.
async fn most_risk_addresses_in_one_cluster(s: &Session) -> String {
    scalar(
        s,
        "SELECT COALESCE(max(n), 0) FROM (SELECT a.cluster_id, count(DISTINCT a.address) AS n \
         FROM address_clusters a JOIN (SELECT DISTINCT chain, address FROM risk_labels) r \
           ON r.chain = a.chain AND r.address = a.address GROUP BY a.cluster_id)",
    )
    .await
}

#[tokio::test]
async fn sanctions_and_blacklists_merge_nothing_and_exchanges_still_link() {
    let dir = tempfile::tempdir().unwrap();
    let s = clustered(&risk_config(), dir.path()).await;

    // Every list is in risk_labels, none in the ownership labels but okx's wallets.
    let by_list = rows(
        &s,
        "SELECT category, count(DISTINCT address) FROM risk_labels GROUP BY category ORDER BY 1",
    )
    .await;
    // 774 blacklisted less the zero address; the sanctions lists' 642 distinct addresses
    // on chainstat's chains less one TRON address both OFAC sources list under BTC
    // (rejected below, not guessed).
    assert_eq!(by_list, ["black_list|773", "sanction|641"], "{by_list:?}");
    assert_eq!(
        rows(&s, "SELECT DISTINCT entity FROM labels ORDER BY 1").await,
        ["okex"]
    );
    // The blacklist's zero address and the chains chainstat does not read are counted.
    let rejected = rows(
        &s,
        "SELECT reason, count(*) FROM label_rejects GROUP BY reason ORDER BY 1",
    )
    .await;
    assert!(
        rejected
            .iter()
            .any(|r| r.starts_with("the zero address (mints and burns) belongs to nobody|1")),
        "{rejected:?}"
    );
    assert!(
        rejected.iter().any(|r| r.starts_with("asset BSC")),
        "{rejected:?}"
    );
    assert_eq!(
        scalar(
            &s,
            "SELECT count(*) FROM label_rejects \
             WHERE address = 'TUCsTq7TofTCJRRoHk6RvhMoS2mJLm5Yzq' AND reason = 'address: bad prefix'"
        )
        .await,
        "2"
    );

    // Nothing merged: no cluster holds two listed addresses, no label edge names a list.
    assert_eq!(most_risk_addresses_in_one_cluster(&s).await, "0");
    assert_eq!(
        scalar(
            &s,
            "SELECT count(*) FROM cluster_edges WHERE heuristic = 'label' AND detail <> 'okex'"
        )
        .await,
        "0"
    );
    // okx's reserve wallets (an `actor` pack) are still one entity.
    let okx = rows(
        &s,
        "SELECT count(DISTINCT c.cluster_id), count(*) FROM labels l \
         JOIN address_clusters c ON c.chain = l.chain AND c.address = l.address \
         WHERE l.chain = 'ethereum'",
    )
    .await;
    assert_eq!(okx.len(), 1);
    assert!(okx[0].starts_with("1|"), "{okx:?}");

    // The same blacklist as an ownership CSV (what every label was before labels had
    // roles) welds its 773 addresses into one "entity": the check above can fail.
    let dir2 = tempfile::tempdir().unwrap();
    let csv = dir2.path().join("blacklist_as_owner.csv");
    let listed = rows(
        &s,
        "SELECT address FROM risk_labels WHERE category = 'black_list' ORDER BY 1",
    )
    .await;
    let mut text = String::from("address,entity,category\n");
    for a in &listed {
        text.push_str(&format!("{a},usdt_blacklisted,black_list,ownership\n"));
    }
    std::fs::write(&csv, text.replace("black_list,ownership", "exchange")).unwrap();
    let mut cfg = risk_config();
    cfg.labels.push(LabelsSpec::new(csv.display().to_string()));
    let welded = clustered(&cfg, dir2.path()).await;
    assert_eq!(most_risk_addresses_in_one_cluster(&welded).await, "773");
}

#[tokio::test]
async fn a_pack_that_names_no_actor_links_nothing() {
    // INTERPOL's OFAC pack loaded without `kind`: its one label covers 572 unrelated
    // addresses; GraphSense applies a tag that is no cluster definer to its address alone.
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(&[&format!(
        "eth={}",
        fixture("ethereum/etl/token_transfers.parquet")
    )]);
    cfg.labels.push(labels("ofac.yaml", None));
    let s = clustered(&cfg, dir.path()).await;
    assert_ne!(scalar(&s, "SELECT count(*) FROM labels").await, "0");
    assert_eq!(
        scalar(
            &s,
            "SELECT count(*) FROM cluster_edges WHERE heuristic = 'label'"
        )
        .await,
        "0"
    );
    assert_eq!(scalar(&s, "SELECT max(size) FROM clusters").await, "1");
}

/// One (year, entity, risk category) of `risk_exposure`: received USD and transfers,
/// sent USD and transfers.
type Exposure = std::collections::BTreeMap<(String, String, String), (f64, i64, f64, i64)>;

/// `risk_exposure` recomputed without the job's SQL: every validated account transfer
/// of the run, each side's entity and party from the run's attribution, the risk
/// parties by the documented rule, priced with `prices.csv`, summed in Rust.
async fn independent_exposure(s: &Session, data: &std::path::Path) -> Exposure {
    use std::collections::{BTreeMap, BTreeSet};
    // (chain, address) → (entity, party, labelled_entity)
    let mut attr: BTreeMap<(String, String), (String, String, String)> = BTreeMap::new();
    for r in rows(
        s,
        "SELECT chain, address, COALESCE(entity, ''), party, COALESCE(labelled_entity, '') \
         FROM attribution",
    )
    .await
    {
        let f: Vec<&str> = r.split('|').collect();
        attr.insert(
            (f[0].into(), f[1].into()),
            (f[2].into(), f[3].into(), f[4].into()),
        );
    }
    let party_of = |chain: &str, a: &str| -> (String, String) {
        match attr.get(&(chain.to_string(), a.to_string())) {
            Some((e, _, _)) if !e.is_empty() => (e.clone(), format!("entity:{e}")),
            Some((_, p, _)) => (String::new(), p.clone()),
            None => (String::new(), format!("{chain}:{a}")),
        }
    };
    // The risk parties: a listed address's cluster, or its entity when the entity's own
    // label names the address; held addresses of entities make no party.
    let mut risky: BTreeSet<(String, String)> = BTreeSet::new();
    for r in rows(s, "SELECT chain, address, category FROM risk_labels").await {
        let f: Vec<&str> = r.split('|').collect();
        match attr.get(&(f[0].to_string(), f[1].to_string())) {
            Some((e, _, own)) if !e.is_empty() && own != e => {}
            _ => {
                risky.insert((party_of(f[0], f[1]).1, f[2].to_string()));
            }
        }
    }
    let categories: BTreeSet<String> = risky.iter().map(|(_, c)| c.clone()).collect();
    let mut price: BTreeMap<(String, String, String), f64> = BTreeMap::new();
    let text = std::fs::read_to_string(data.join("prices.csv")).unwrap();
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        price.insert(
            (f[0].into(), f[1].into(), f[2].to_ascii_lowercase()),
            f[4].parse().unwrap(),
        );
    }
    let mut out = Exposure::new();
    for r in rows(
        s,
        "SELECT chain, from_address, to_address, asset, CAST(amount AS VARCHAR), \
                CAST(CAST(block_time AS DATE) AS VARCHAR), \
                CAST(date_part('year', block_time) AS INT) \
         FROM transfers WHERE amount_raw > 0 AND amount IS NOT NULL AND block_time IS NOT NULL",
    )
    .await
    {
        let f: Vec<&str> = r.split('|').collect();
        let (chain, from, to, asset, amount, day, year) =
            (f[0], f[1], f[2], f[3], f[4], f[5], f[6]);
        let (fe, fp) = party_of(chain, from);
        let (te, tp) = party_of(chain, to);
        let usd = price
            .get(&(
                day.to_string(),
                chain.to_string(),
                asset.to_ascii_lowercase(),
            ))
            .map(|p| (amount.parse::<f64>().unwrap() * p * 1e6).round() / 1e6)
            .unwrap_or(0.0);
        for c in &categories {
            if !te.is_empty() && fe != te && risky.contains(&(fp.clone(), c.clone())) {
                let e = out.entry((year.into(), te.clone(), c.clone())).or_default();
                e.0 += usd;
                e.1 += 1;
            }
            if !fe.is_empty() && fe != te && risky.contains(&(tp.clone(), c.clone())) {
                let e = out.entry((year.into(), fe.clone(), c.clone())).or_default();
                e.2 += usd;
                e.3 += 1;
            }
        }
    }
    out
}

#[tokio::test]
async fn exposure_on_a_generated_economy_equals_an_independent_computation() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let params = chainstat_gen::GenParams {
        transfers: 20_000,
        days: 365,
        exchanges: Some(6),
        tron: Some(chainstat_gen::TronLayout::Tronetl),
        ..Default::default()
    };
    chainstat_gen::generate(&params, &data).expect("gen");
    let mut cfg = ChainstatConfig::load(&data.join("chainstat.toml")).expect("config");
    cfg.engine.target_partitions = Some(2);
    // Account chains only: the independent sum reads transfers, not Bitcoin's inputs
    // and outputs.
    cfg.tables.retain(|t| !t.name.starts_with("btc_"));
    let out = dir.path().join("out");
    let summary = crate::job::run_keeping_work(cfg.clone(), &out).await;

    let s = Session::open(cfg, None).await.expect("session");
    let stage = out
        .join("_work")
        .join(&summary.manifest.run_id)
        .join("stage/address_attribution");
    s.ctx
        .register_parquet(
            "attribution",
            stage.display().to_string(),
            Default::default(),
        )
        .await
        .unwrap();
    let published = out.join("latest/risk_exposure");
    s.ctx
        .register_parquet(
            "published",
            published.display().to_string(),
            Default::default(),
        )
        .await
        .unwrap();
    let mut got = Exposure::new();
    for r in rows(
        &s,
        "SELECT CAST(year AS VARCHAR), entity, risk_category, CAST(received_usd AS VARCHAR), \
                received_transfers, CAST(sent_usd AS VARCHAR), sent_transfers FROM published",
    )
    .await
    {
        let f: Vec<&str> = r.split('|').collect();
        got.insert(
            (f[0].into(), f[1].into(), f[2].into()),
            (
                f[3].parse().unwrap(),
                f[4].parse().unwrap(),
                f[5].parse().unwrap(),
                f[6].parse().unwrap(),
            ),
        );
    }
    let want = independent_exposure(&s, &data).await;
    println!("{got:#?}");
    let keys = |m: &Exposure| m.keys().cloned().collect::<Vec<_>>();
    assert_eq!(keys(&got), keys(&want));
    // Not vacuous: the sanctioned exchange and the issuers' blacklists both show up.
    for cat in ["sanction", "black_list"] {
        assert!(
            got.keys().any(|k| k.2 == cat),
            "no {cat} exposure: {got:#?}"
        );
    }
    for (k, g) in &got {
        let w = &want[k];
        assert_eq!((g.1, g.3), (w.1, w.3), "{k:?} transfers");
        // each leg's USD is rounded to the micro-dollar on both sides
        let tol = 1e-6 * (g.1 + g.3 + 1) as f64;
        assert!(
            (g.0 - w.0).abs() <= tol,
            "{k:?} received {} vs {}",
            g.0,
            w.0
        );
        assert!((g.2 - w.2).abs() <= tol, "{k:?} sent {} vs {}", g.2, w.2);
    }
}
