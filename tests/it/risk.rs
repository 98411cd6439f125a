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
fn risk_config(usdt_kind: Option<&str>) -> ChainstatConfig {
    let mut cfg = config(&[&format!(
        "eth={}",
        fixture("ethereum/etl/token_transfers.parquet")
    )]);
    cfg.labels.push(labels("usdt_blacklist.yaml", usdt_kind));
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
    let s = clustered(&risk_config(None), dir.path()).await;

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
    let mut cfg = risk_config(None);
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
