//! One golden file per published query: the job runs over the hand-built economy (two
//! exchanges, two users, an overlapping re-export, a day without a price; `job.rs`) plus an
//! exchange nobody labelled (gamma: three customers' deposit addresses swept into one hot
//! wallet, so `exchange_candidates` has a row) and the issuers' logs (a freeze and a
//! destroy of user2's USDT, see `issuer_logs`), and every published table must equal
//! `tests/golden/<table>.txt` — its schema, then its rows sorted. The job renders and runs the queries exactly as in production, so a change to
//! a query, a template or a function shows up here as a diff to review.
//!
//! `CHAINSTAT_BLESS=1` rewrites the files after an intended change; review the diff
//! against the story in `job::hand_built` before committing it.

use std::collections::BTreeSet;
use std::path::Path;

use chainstat_job::{publish, RunOptions};
use datafusion::prelude::SessionContext;

use crate::common::to_text;
use crate::job::{hand_built, write_transfers};

/// Gamma, an exchange no label names: three customers each pay into their own deposit
/// address, which forwards the amount to gamma's hot wallet within the hour.
fn unlabelled_exchange(dir: &Path) {
    let hot = "0x3333333333333333333333333333333333333333";
    let deposits = [
        "0xdddddddddddddddddddddddddddddddddddd0003",
        "0xdddddddddddddddddddddddddddddddddddd0004",
        "0xdddddddddddddddddddddddddddddddddddd0005",
    ];
    let users = [
        "0xaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa0003",
        "0xaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa0004",
        "0xaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa0005",
    ];
    let txs = [("e1", "e2"), ("e3", "e4"), ("e5", "e6")];
    let mut rows = Vec::new();
    for (i, ((user, deposit), (pay, sweep))) in users.iter().zip(deposits).zip(txs).enumerate() {
        let amount = 40 + 10 * i as u64;
        rows.push((*user, deposit, amount, pay, 0, "2025-03-01 15:00"));
        rows.push((deposit, hot, amount, sweep, 0, "2025-03-01 15:30"));
    }
    write_transfers(&dir.join("transfers/part-3-gamma.parquet"), &rows);
}

/// The issuers' logs (ethereum-etl CSV with BigQuery's `block_timestamp` in seconds,
/// topics comma-joined): Tether freezes user2 after their last payment (balance 20 in −
/// 10 out = 10) and destroys those 10 a day later; Circle blacklists user1, who holds no
/// USDC (no token decimals either: raw balance only). Amounts are raw: 10 USDT = 10^7. Not issuer events: a look-alike
/// contract's `AddedBlackList`, a Tether log whose data is too short for an address
/// (rejects_summary kind 'events') and one with a topic that is not 32 bytes (kind 'input').
fn issuer_logs(dir: &Path) -> chainstat_io::TableSpec {
    let word = |a: &str| format!("{:0>64}", a.trim_start_matches("0x"));
    let (user1, user2) = (
        "0xaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa0001",
        "0xaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa0002",
    );
    let usdt = "0xdac17f958d2ee523a2206206994597c13d831ec7";
    let usdc = "0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48";
    let added = "0x42e160154868087d6bfdc0ca23d96a1c1cfa32f1b72ba9ba27b69b98a0d819dc";
    let destroyed = "0x61e6e66b0d6339b2980aecc6ccc0039736791f0ccde9ed512e789a7fbdd698c6";
    let blacklisted = "0xffa4e6181777692565cf28528fc88fd1516ea86b56da075235fa575af6a4b855";
    // 2025-03-02 10:00 and 2025-03-03 10:00 UTC, in the blocks `write_transfers` gives.
    let (t1, b1, t2, b2) = (1_740_909_600, 21_075_800, 1_740_996_000, 21_083_000);
    let tx = |n: u32| format!("0x{n:064x}");
    let rows = [
        format!(
            "0,{},0,{},{b1},{usdt},0x{},{added},{t1}",
            tx(0xf1),
            tx(b1),
            word(user2)
        ),
        format!(
            "0,{},0,{},{b2},{usdt},0x{}{:064x},{destroyed},{t2}",
            tx(0xf2),
            tx(b2),
            word(user2),
            10_000_000
        ),
        format!(
            "1,{},1,{},{b2},0x5555555555555555555555555555555555555555,0x{},{added},{t2}",
            tx(0xf3),
            tx(b2),
            word(user1)
        ),
        format!(
            "2,{},2,{},{b2},{usdt},0x1234,{added},{t2}",
            tx(0xf4),
            tx(b2)
        ),
        format!(
            "3,{},3,{},{b2},{usdt},0x,\"{added},0xzz\",{t2}",
            tx(0xf5),
            tx(b2)
        ),
        format!(
            "4,{},4,{},{b2},{usdc},0x,\"{blacklisted},0x{}\",{t2}",
            tx(0xf6),
            tx(b2),
            word(user1)
        ),
        // alpha's deposit address (an exchange's by clustering): frozen after its sweep,
        // with nothing left in it, for XA's exchange freeze counts
        format!(
            "5,{},5,{},{b1},{usdt},0x{},{added},{t1}",
            tx(0xf7),
            tx(b1),
            word("0xdddddddddddddddddddddddddddddddddddd0001")
        ),
    ];
    let path = dir.join("logs/logs.csv");
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    std::fs::write(
        &path,
        format!(
            "log_index,transaction_hash,transaction_index,block_hash,block_number,address,data,topics,block_timestamp\n{}\n",
            rows.join("\n")
        ),
    )
    .expect("logs");
    chainstat_io::TableSpec {
        name: "eth_logs".into(),
        url: path.display().to_string(),
        format: None,
        chain: Some("ethereum".into()),
        file_type: None,
    }
}

fn golden_dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden")
}

/// A table as text: `column: type` lines, a blank line, then the rows sorted.
async fn table_text(ctx: &SessionContext, name: &str) -> String {
    let df = ctx
        .sql(&format!("SELECT * FROM {name}"))
        .await
        .expect("sql");
    let schema: Vec<String> = df
        .schema()
        .fields()
        .iter()
        .map(|f| format!("{}: {}", f.name(), f.data_type()))
        .collect();
    let mut rows = to_text(&df.collect().await.expect("rows"));
    rows.sort();
    format!("{}\n\n{}\n", schema.join("\n"), rows.join("\n"))
}

#[tokio::test]
async fn every_published_query_matches_its_golden_file() {
    let dir = tempfile::tempdir().expect("tmp");
    let out = dir.path().join("out");
    let mut config = hand_built(dir.path());
    unlabelled_exchange(dir.path());
    config.tables.push(issuer_logs(dir.path()));
    // Price rows whose asset has an address's shape but fails its chain's check: Tether's
    // TRON contract lower-cased (base58 is case-sensitive) and a wrong EIP-55 mixed case.
    // Both are rejects, not symbols that price nothing.
    let prices = dir.path().join("prices.csv");
    let mut text = std::fs::read_to_string(&prices).expect("prices");
    text.push_str(
        "2025-03-01,tron,tr7nhqjekqxgtci8q8zy4pl8otszgjlj6t,USDT,1.0\n\
         2025-03-01,ethereum,0xDAC17F958D2ee523a2206206994597C13D831ec8,USDT,1.0\n\
         2025-03-01,tron,TRX,TRX,0.25\n",
    );
    std::fs::write(&prices, text).expect("prices");
    // A sanctions list naming user2 (whom alpha paid 20 and who paid beta 10 on an
    // unpriced day), and a blacklist naming alpha's labelled hot wallet.
    let sanctions = dir.path().join("sanctioned_addresses_ETH.txt");
    std::fs::write(&sanctions, "0xAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA0002\n").expect("list");
    config.labels.push(chainstat_io::LabelsSpec::new(
        sanctions.display().to_string(),
    ));
    let blacklist = dir.path().join("blacklist.csv");
    std::fs::write(
        &blacklist,
        "address,entity,category,kind\n0x1111111111111111111111111111111111111111,usdt_blacklisted,black_list,risk\n",
    )
    .expect("blacklist");
    config.labels.push(chainstat_io::LabelsSpec::new(
        blacklist.display().to_string(),
    ));
    chainstat_job::run(
        config,
        &RunOptions {
            out: out.display().to_string(),
            quiet: true,
            ..Default::default()
        },
    )
    .await
    .unwrap_or_else(|e| panic!("run failed: {e}"));
    let ctx = SessionContext::new();
    let manifest = publish::register_published(&ctx, &out.display().to_string())
        .await
        .expect("published");
    let bless = std::env::var("CHAINSTAT_BLESS").is_ok_and(|v| v == "1");
    let mut failures = Vec::new();
    for name in manifest.tables.keys() {
        // Reject examples name the input file, which sits in this test's temp folder.
        let got = table_text(&ctx, name)
            .await
            .replace(&dir.path().display().to_string(), "<tmp>");
        let path = golden_dir().join(format!("{name}.txt"));
        if bless {
            std::fs::create_dir_all(golden_dir()).expect("golden dir");
            std::fs::write(&path, &got).expect("write golden");
            continue;
        }
        match std::fs::read_to_string(&path) {
            Ok(want) if want == got => {}
            Ok(want) => failures.push(format!(
                "{name}: differs from {}\n--- golden\n{want}--- now\n{got}",
                path.display()
            )),
            Err(_) => failures.push(format!(
                "{name}: no golden file {} (CHAINSTAT_BLESS=1 writes it)",
                path.display()
            )),
        }
    }
    // Every golden file belongs to a published table (a renamed table must not leave a
    // stale file that nothing checks).
    let published: BTreeSet<String> = manifest.tables.keys().map(|n| format!("{n}.txt")).collect();
    for entry in std::fs::read_dir(golden_dir()).expect("golden dir") {
        let file = entry
            .expect("entry")
            .file_name()
            .to_string_lossy()
            .to_string();
        if !published.contains(&file) {
            failures.push(format!(
                "tests/golden/{file}: no published table of that name"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
