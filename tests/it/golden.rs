//! One golden file per published query: the job runs over the hand-built economy (two
//! exchanges, two users, an overlapping re-export, a day without a price; `job.rs`) plus an
//! exchange nobody labelled (gamma: three customers' deposit addresses swept into one hot
//! wallet, so `exchange_candidates` has a row), and every published table must equal
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
    let config = hand_built(dir.path());
    unlabelled_exchange(dir.path());
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
        let got = table_text(&ctx, name).await;
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
