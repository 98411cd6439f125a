//! The nightly job (`chainstat run`): turnover definitions on hand-built transfers,
//! atomic publish under a crash, reruns, incremental = full, and accuracy against the
//! ground truth of `chainstat gen`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::array::{Int64Array, RecordBatch, StringArray, TimestampMicrosecondArray};
use arrow::datatypes::{DataType, Field, Schema, TimeUnit};
use chainstat_job::manifest::{RunManifest, ScopeMode};
use chainstat_job::ChainstatConfig;
use chainstat_job::{publish, RunOptions};
use datafusion::prelude::SessionContext;

use crate::common::{chainstat_bin, rows, to_text};

const USDT: &str = "0xdac17f958d2ee523a2206206994597c13d831ec7";
const ALPHA_HOT: &str = "0x1111111111111111111111111111111111111111";
const ALPHA_COLD: &str = "0x1111111111111111111111111111111111112222";
const BETA_HOT: &str = "0x2222222222222222222222222222222222222222";
const USER1: &str = "0xaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa0001";
const USER2: &str = "0xaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa0002";
const DEPOSIT1: &str = "0xdddddddddddddddddddddddddddddddddddd0001";

/// One BigQuery-style token transfer: (from, to, USDT units, tx, log index, UTC time).
pub(crate) type Row<'a> = (&'a str, &'a str, u64, &'a str, i64, &'a str);

/// Writes rows as a BigQuery `token_transfers` Parquet file.
pub(crate) fn write_transfers(path: &Path, rows: &[Row<'_>]) {
    let raw: Vec<RawRow<'_>> = rows
        .iter()
        .map(|r| (r.0, r.1, (r.2 * 1_000_000).to_string(), r.3, r.4, r.5))
        .collect();
    write_token_transfers(path, USDT, &raw);
}

/// A transfer with its raw uint256 value as text: (from, to, value, tx, log index, time).
pub(crate) type RawRow<'a> = (&'a str, &'a str, String, &'a str, i64, &'a str);

/// Writes transfers of `token` as a BigQuery `token_transfers` Parquet file.
pub(crate) fn write_token_transfers(path: &Path, token: &str, rows: &[RawRow<'_>]) {
    let schema = Arc::new(Schema::new(vec![
        Field::new("token_address", DataType::Utf8, false),
        Field::new("from_address", DataType::Utf8, false),
        Field::new("to_address", DataType::Utf8, false),
        Field::new("value", DataType::Utf8, false),
        Field::new("transaction_hash", DataType::Utf8, false),
        Field::new("log_index", DataType::Int64, false),
        Field::new(
            "block_timestamp",
            DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
            false,
        ),
        Field::new("block_number", DataType::Int64, false),
    ]));
    let micros: Vec<i64> = rows
        .iter()
        .map(|r| {
            chrono::NaiveDateTime::parse_from_str(r.5, "%Y-%m-%d %H:%M")
                .expect("time")
                .and_utc()
                .timestamp_micros()
        })
        .collect();
    let batch = RecordBatch::try_new(
        Arc::clone(&schema),
        vec![
            Arc::new(StringArray::from(vec![token; rows.len()])),
            Arc::new(StringArray::from_iter_values(rows.iter().map(|r| r.0))),
            Arc::new(StringArray::from_iter_values(rows.iter().map(|r| r.1))),
            Arc::new(StringArray::from_iter_values(rows.iter().map(|r| &r.2))),
            Arc::new(StringArray::from_iter_values(
                rows.iter().map(|r| format!("0x{:0>64}", r.3)),
            )),
            Arc::new(Int64Array::from_iter_values(rows.iter().map(|r| r.4))),
            Arc::new(TimestampMicrosecondArray::from(micros.clone()).with_timezone("UTC")),
            Arc::new(Int64Array::from_iter_values(
                micros
                    .iter()
                    .map(|m| 21_000_000 + m / 12_000_000 % 1_000_000),
            )),
        ],
    )
    .expect("batch");
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    let file = std::fs::File::create(path).expect("create");
    let mut w = parquet::arrow::ArrowWriter::try_new(file, schema, None).expect("writer");
    w.write(&batch).expect("write");
    w.close().expect("close");
}

/// The hand-built economy: two exchanges (alpha with a hot, a cold and one user's
/// deposit address; beta with a hot wallet), two users.
pub(crate) fn hand_built(dir: &Path) -> ChainstatConfig {
    write_transfers(
        &dir.join("transfers/part-1.parquet"),
        &[
            // user1 deposits 100 into their alpha deposit address, swept to the hot wallet
            (USER1, DEPOSIT1, 100, "a1", 0, "2025-03-01 10:00"),
            (DEPOSIT1, ALPHA_HOT, 100, "a2", 0, "2025-03-01 11:00"),
            // alpha rebalances hot → cold (internal)
            (ALPHA_HOT, ALPHA_COLD, 50, "a3", 0, "2025-03-01 12:00"),
            // alpha pays 30 to beta (inter-exchange), withdraws 20 to user2
            (ALPHA_HOT, BETA_HOT, 30, "a4", 0, "2025-03-01 13:00"),
            (ALPHA_HOT, USER2, 20, "a5", 1, "2025-03-01 14:00"),
            // a day without a USDT price
            (USER2, BETA_HOT, 10, "a6", 0, "2025-03-02 09:00"),
        ],
    );
    // An overlapping re-export: the inter-exchange transfer again.
    write_transfers(
        &dir.join("transfers/part-2-overlap.parquet"),
        &[(ALPHA_HOT, BETA_HOT, 30, "a4", 0, "2025-03-01 13:00")],
    );
    std::fs::write(
        dir.join("tokens.csv"),
        format!("address,symbol,name,decimals\n{USDT},USDT,Tether USD,6\n"),
    )
    .expect("tokens");
    std::fs::write(
        dir.join("labels.csv"),
        format!(
            "address,entity,category,source,confidence\n\
             {ALPHA_HOT},alpha,exchange,test,high\n{ALPHA_COLD},alpha,exchange,test,high\n\
             {BETA_HOT},beta,exchange,test,high\n"
        ),
    )
    .expect("labels");
    std::fs::write(
        dir.join("registry.csv"),
        "entity,name,licensed,jurisdiction,licence_id\nalpha,Alpha Ltd,true,XA,XA-1\n\
         beta,Beta,false,XA,\nbeta,Beta,maybe,XB,\n",
    )
    .expect("registry");
    std::fs::write(
        dir.join("prices.csv"),
        format!("date,chain,asset,symbol,price_usd\n2025-03-01,ethereum,{USDT},USDT,1.0\n"),
    )
    .expect("prices");
    let toml =
        "[job]\nregistry = \"registry.csv\"\nprices = \"prices.csv\"\nthreshold_usd = 25.0\n\
                [engine]\ntarget_partitions = 2\n\
                [[table]]\nname = \"eth_transfers\"\nurl = \"transfers/\"\n\
                [[table]]\nname = \"eth_tokens\"\nurl = \"tokens.csv\"\nchain = \"ethereum\"\n\
                [[labels]]\nurl = \"labels.csv\"\n";
    std::fs::write(dir.join("chainstat.toml"), toml).expect("toml");
    ChainstatConfig::load(&dir.join("chainstat.toml")).expect("config")
}

/// Runs the job on `config` into `out`, keeping its work folder (`<out>/_work/<run>`:
/// the clustering and the staged tables), for tests that read what a run derived.
pub(crate) async fn run_keeping_work(
    config: ChainstatConfig,
    out: &Path,
) -> chainstat_job::RunSummary {
    chainstat_job::run(
        config,
        &RunOptions {
            out: out.display().to_string(),
            quiet: true,
            keep_work: true,
            ..Default::default()
        },
    )
    .await
    .unwrap_or_else(|e| panic!("run failed: {e}"))
}

pub(crate) async fn run_job(
    config: ChainstatConfig,
    out: &Path,
    incremental: bool,
) -> chainstat_job::RunSummary {
    chainstat_job::run(
        config,
        &RunOptions {
            out: out.display().to_string(),
            incremental,
            quiet: true,
            ..Default::default()
        },
    )
    .await
    .unwrap_or_else(|e| panic!("run failed: {e}"))
}

/// Rows of a published table as sorted text, read through the pointer.
pub(crate) async fn published(out: &Path, sql: &str) -> Vec<String> {
    let ctx = SessionContext::new();
    publish::register_published(&ctx, &out.display().to_string())
        .await
        .expect("published");
    let batches = ctx.sql(sql).await.expect(sql).collect().await.expect(sql);
    let mut rows = to_text(&batches);
    rows.sort();
    rows
}

/// Every published table, sorted rows (for equality across runs).
pub(crate) async fn all_tables(out: &Path) -> BTreeMap<String, Vec<String>> {
    all_tables_at(&SessionContext::new(), &out.display().to_string()).await
}

/// Every table published under `out` (a path or URL the context's stores can read).
pub(crate) async fn all_tables_at(
    ctx: &SessionContext,
    out: &str,
) -> BTreeMap<String, Vec<String>> {
    let m = publish::register_published(ctx, out)
        .await
        .expect("published");
    let mut t = BTreeMap::new();
    for name in m.tables.keys() {
        let batches = ctx
            .sql(&format!("SELECT * FROM {name}"))
            .await
            .expect("sql")
            .collect()
            .await
            .expect("rows");
        let mut rows = to_text(&batches);
        rows.sort();
        t.insert(name.clone(), rows);
    }
    t
}

#[tokio::test]
async fn turnover_definitions_on_hand_built_transfers() {
    let dir = tempfile::tempdir().expect("tmp");
    let out = dir.path().join("out");
    let cfg = hand_built(dir.path());
    run_job(cfg, &out, false).await;

    let daily = published(
        &out,
        "SELECT entity, CAST(day AS VARCHAR), CAST(inflow_amount AS DOUBLE), CAST(outflow_amount AS DOUBLE), \
                CAST(inflow_usd AS DOUBLE), CAST(outflow_usd AS DOUBLE), CAST(lower_inflow_usd AS DOUBLE), \
                CAST(lower_outflow_usd AS DOUBLE), transfers_in, transfers_out, \
                unpriced_transfers, depositors, counterparties FROM exchange_turnover_daily",
    )
    .await;
    assert_eq!(
        daily,
        vec![
            // alpha: the deposit counts (not the sweep, not hot → cold); 30 + 20 out, the
            // duplicated export row once. Lower bound: the deposit address has no label.
            "alpha|2025-03-01|100.0|50.0|100.0|50.0|0.0|50.0|1|2|0|1|3",
            // beta: alpha's 30 is beta's inflow
            "beta|2025-03-01|30.0|NULL|30.0|0.0|30.0|0.0|1|0|0|1|1",
            // no price on 03-02: USD is missing, not zero, and the transfer is counted unpriced
            "beta|2025-03-02|10.0|NULL|NULL|0.0|NULL|0.0|1|0|1|1|1",
        ]
    );
    // The depositor is user1's cluster, not the deposit address (the sweep is internal).
    let cps = published(
        &out,
        "SELECT entity, counterparty, COALESCE(counterparty_entity, '-') FROM entity_counterparties WHERE entity = 'alpha'",
    )
    .await;
    assert_eq!(
        cps,
        vec![
            "alpha|entity:beta|beta".to_string(),
            format!("alpha|ethereum:{USER1}|-"),
            format!("alpha|ethereum:{USER2}|-"),
        ]
    );
    let enforcement = published(
        &out,
        "SELECT jurisdiction, exchanges, licensed, unlicensed, licensed_above_threshold, \
                unlicensed_above_threshold, CAST(turnover_usd AS DOUBLE) FROM enforcement_summary",
    )
    .await;
    // beta's 'maybe' licence row in XB is rejected (and counted), not guessed.
    assert_eq!(enforcement, vec!["XA|2|1|1|1|1|180.0"]);
    let coverage = published(
        &out,
        "SELECT symbol, transfers, priced_transfers, missing_price_days FROM coverage",
    )
    .await;
    assert_eq!(coverage, vec!["USDT|6|5|1"]);
    let rejects = published(&out, "SELECT kind, reason, rows FROM rejects_summary").await;
    assert_eq!(
        rejects,
        vec!["registry|licensed must be true/false/yes/no/1/0, got 'maybe'|1"]
    );
}

#[tokio::test]
async fn rerun_with_the_same_inputs_publishes_the_same_rows() {
    let dir = tempfile::tempdir().expect("tmp");
    let out = dir.path().join("out");
    let cfg = hand_built(dir.path());
    let first = run_job(cfg.clone(), &out, false).await;
    let a = all_tables(&out).await;
    let second = run_job(cfg, &out, false).await;
    let b = all_tables(&out).await;
    assert_ne!(first.manifest.run_id, second.manifest.run_id);
    assert_eq!(a.len(), 18, "{:?}", a.keys());
    assert_eq!(a, b);
    // Both runs kept (keep_runs = 3), the pointer names the second.
    assert!(out.join("runs").join(&first.manifest.run_id).exists());
    let pointer = std::fs::read_to_string(out.join("_published.json")).expect("pointer");
    assert!(pointer.contains(&second.manifest.run_id), "{pointer}");
}

/// The job's cluster tables are scratch: the evidence for every merge (`cluster_edges`)
/// is written only when the work folder is kept, and then it holds the label and
/// deposit-forward merges of the hand-built economy. Without `keep_work` the folder is gone.
#[tokio::test]
async fn a_kept_work_folder_holds_the_evidence_for_every_merge() {
    let dir = tempfile::tempdir().expect("tmp");
    let cfg = hand_built(dir.path());
    let (kept, scratch) = (dir.path().join("kept"), dir.path().join("scratch"));
    for (out, keep_work) in [(&kept, true), (&scratch, false)] {
        chainstat_job::run(
            cfg.clone(),
            &RunOptions {
                out: out.display().to_string(),
                quiet: true,
                keep_work,
                ..Default::default()
            },
        )
        .await
        .unwrap_or_else(|e| panic!("run failed: {e}"));
    }
    assert!(
        !scratch.join("_work").exists()
            || std::fs::read_dir(scratch.join("_work"))
                .expect("ls")
                .next()
                .is_none()
    );
    let run = std::fs::read_dir(kept.join("_work"))
        .expect("work folder kept")
        .next()
        .expect("one run")
        .expect("entry")
        .path();
    let ctx = SessionContext::new();
    let edges = run.join("cluster").join("cluster_edges");
    ctx.register_parquet("e", &format!("{}/", edges.display()), Default::default())
        .await
        .expect("cluster_edges written");
    let batches = ctx
        .sql("SELECT heuristic, address_a, address_b, used FROM e ORDER BY 1, 2, 3")
        .await
        .expect("sql")
        .collect()
        .await
        .expect("rows");
    assert_eq!(
        to_text(&batches),
        vec![
            format!("deposit_forward|{ALPHA_HOT}|{DEPOSIT1}|true"),
            format!("label|{ALPHA_HOT}|{ALPHA_COLD}|true"),
        ]
    );
}

/// A year of generated data (20k transfers) and an unbounded job over it, published
/// under `dir/out`: the baseline of the memory and rejects tests.
async fn generated_and_run(dir: &Path) -> (ChainstatConfig, PathBuf) {
    let cfg = generated(&dir.join("data"), 20_000, 365);
    let out = dir.join("out");
    run_job(cfg.clone(), &out, false).await;
    (cfg, out)
}

/// A run under a memory limit (chainstat_engine::memory's pool, hash joins, the deposit
/// heuristic and the sliced queries in passes) publishes the same rows as an unbounded
/// one. 64 MB is small for the job: at this size 24 MB is less than its sorts' fixed
/// reservations and fails with "Resources exhausted", 48 MB completes.
#[tokio::test]
async fn a_memory_bounded_run_publishes_the_same_rows() {
    let dir = tempfile::tempdir().expect("tmp");
    let (cfg, free) = generated_and_run(dir.path()).await;
    let mut bounded_cfg = cfg;
    bounded_cfg.engine.memory_limit = Some("64m".to_string());
    // The deposit heuristic and the sliced queries (flows, candidate deposits) in
    // slices, as under a limit too small for them at scale.
    bounded_cfg.cluster.deposit_passes = 3;
    bounded_cfg.cluster.node_passes = 3;
    bounded_cfg.engine.passes = 3;
    let bounded = dir.path().join("bounded");
    run_job(bounded_cfg, &bounded, false).await;
    let (a, b) = (all_tables(&free).await, all_tables(&bounded).await);
    assert_eq!(a.len(), 18, "{:?}", a.keys());
    assert_eq!(a, b);
}

/// Address joins on the 64-bit keys alone (the normal run: no two addresses share a
/// key) publish the same rows as joins that compare the address strings too (what a run
/// does when keys collide, forced here with `exact_address_joins`). Were the keys of the
/// staged transfers, the UTXO rows and the attribution computed differently, the key
/// joins would miss and the turnover differ.
#[tokio::test]
async fn key_joins_publish_the_same_rows_as_string_joins() {
    let dir = tempfile::tempdir().expect("tmp");
    let (cfg, keys) = generated_and_run(dir.path()).await;
    let mut exact_cfg = cfg;
    exact_cfg.job.exact_address_joins = true;
    let exact = dir.path().join("exact");
    let run = run_job(exact_cfg, &exact, false).await;
    assert_eq!(run.manifest.clustering.get("shared_address_keys"), Some(&0));
    let (a, b) = (all_tables(&keys).await, all_tables(&exact).await);
    assert_eq!(a.len(), 18, "{:?}", a.keys());
    assert!(
        a["exchange_turnover_daily"].len() > 100,
        "{}",
        a["exchange_turnover_daily"].len()
    );
    assert_eq!(a, b);
}

/// The job names its staged tables' rejects in its one validation pass (file and row
/// with the reason) instead of validating them again. The published input rejects must
/// still equal those of a session that validates every table, table by table and reason
/// by reason; the generated data has rejects in the token transfers and none in the
/// Bitcoin tables.
#[tokio::test]
async fn published_input_rejects_equal_a_full_validation() {
    let dir = tempfile::tempdir().expect("tmp");
    let (cfg, out) = generated_and_run(dir.path()).await;
    let job = published(
        &out,
        "SELECT source, reason, rows FROM rejects_summary WHERE kind = 'input'",
    )
    .await;
    let session = chainstat_engine::Session::open(cfg, None)
        .await
        .expect("session");
    let mut full = rows(
        &session,
        "SELECT source_table, reason, count(*) FROM rejects GROUP BY source_table, reason",
    )
    .await;
    full.sort();
    assert!(!full.is_empty(), "the generated data has input rejects");
    assert_eq!(job, full);
}

/// Every file under `dir` with its bytes.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("read_dir") {
            let p = e.expect("entry").path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.insert(p.clone(), std::fs::read(&p).expect("read"));
            }
        }
    }
    out
}

#[tokio::test]
async fn a_run_killed_mid_publish_leaves_the_previous_run_published() {
    let dir = tempfile::tempdir().expect("tmp");
    let out = dir.path().join("out");
    let cfg = hand_built(dir.path());
    let first = run_job(cfg, &out, false).await;
    let before = all_tables(&out).await;
    let run1 = out.join("runs").join(&first.manifest.run_id);
    let files_before = snapshot(&run1);
    let pointer_before = std::fs::read(out.join("_published.json")).expect("pointer");

    // New data arrives; the next run is killed after writing 3 tables, another just
    // before its commit, and one between its manifest and the pointer.
    write_transfers(
        &dir.path().join("transfers/part-3.parquet"),
        &[(USER2, BETA_HOT, 5, "b1", 0, "2025-03-03 09:00")],
    );
    for failpoint in ["publish:3", "commit", "pointer"] {
        let status = std::process::Command::new(chainstat_bin())
            .args(["run", "-q", "--config"])
            .arg(dir.path().join("chainstat.toml"))
            .arg("--out")
            .arg(&out)
            .env("CHAINSTAT_FAILPOINT", failpoint)
            .status()
            .expect("spawn");
        assert!(
            !status.success(),
            "{failpoint}: the run must have been killed"
        );
        assert_eq!(
            std::fs::read(out.join("_published.json")).expect("pointer"),
            pointer_before,
            "{failpoint}: pointer moved"
        );
        assert_eq!(snapshot(&run1), files_before, "{failpoint}: run 1 changed");
        assert_eq!(
            all_tables(&out).await,
            before,
            "{failpoint}: readers see other rows"
        );
    }
    // A complete run then publishes the new day.
    let status = std::process::Command::new(chainstat_bin())
        .args(["run", "-q", "--config"])
        .arg(dir.path().join("chainstat.toml"))
        .arg("--out")
        .arg(&out)
        .status()
        .expect("spawn");
    assert!(status.success());
    let days = published(
        &out,
        "SELECT DISTINCT CAST(day AS VARCHAR) FROM exchange_turnover_daily",
    )
    .await;
    assert_eq!(days, vec!["2025-03-01", "2025-03-02", "2025-03-03"]);
    // The killed runs never committed: their run and work folders are gone, and the
    // one that wrote a manifest did not take a place among the kept runs.
    let pointer: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("_published.json")).expect("pointer"))
            .expect("json");
    let last = pointer["run_id"].as_str().expect("run id").to_string();
    assert_eq!(pointer["previous"], first.manifest.run_id.as_str());
    let mut runs: Vec<String> = std::fs::read_dir(out.join("runs"))
        .expect("runs")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    runs.sort();
    assert_eq!(runs, vec![first.manifest.run_id.clone(), last]);
    let work = std::fs::read_dir(out.join("_work")).map_or(0, |d| d.count());
    assert_eq!(work, 0, "work folders of killed runs left behind");
}

/// A `chainstat gen` economy in `dir` (small: tests run in debug builds).
pub(crate) fn generated(dir: &Path, size: u64, days: u32) -> ChainstatConfig {
    let params = chainstat_gen::GenParams {
        transfers: size,
        days,
        exchanges: Some(5),
        ..Default::default()
    };
    chainstat_gen::generate(&params, dir).expect("gen");
    let mut cfg = ChainstatConfig::load(&dir.join("chainstat.toml")).expect("config");
    cfg.engine.target_partitions = Some(2);
    cfg
}

/// Moves the month files of `months` (e.g. "2025-02") out of every table folder into
/// `aside`, returning them so they can be put back as "new partitions".
fn set_aside(data: &Path, aside: &Path, months: &[&str]) -> Vec<(PathBuf, PathBuf)> {
    let mut moved = Vec::new();
    for table in [
        "ethereum/token_transfers",
        "bitcoin/inputs",
        "bitcoin/outputs",
    ] {
        for e in std::fs::read_dir(data.join(table)).expect("dir") {
            let p = e.expect("entry").path();
            let name = p.file_name().expect("name").to_string_lossy().to_string();
            if months.iter().any(|m| name.starts_with(m)) {
                let to = aside.join(table.replace('/', "_") + "_" + &name);
                std::fs::rename(&p, &to).expect("move");
                moved.push((p, to));
            }
        }
    }
    moved
}

#[tokio::test]
async fn incremental_run_equals_full_recomputation() {
    let dir = tempfile::tempdir().expect("tmp");
    let data = dir.path().join("data");
    let cfg = generated(&data, 4_000, 75); // 2025-01-01 .. 2025-03-16
    let aside = dir.path().join("aside");
    std::fs::create_dir_all(&aside).expect("aside");

    // Night 1: January and February are there.
    let moved = set_aside(&data, &aside, &["2025-03"]);
    assert!(moved.len() >= 4, "{moved:?}");
    let inc = dir.path().join("incremental");
    let first = run_job(cfg.clone(), &inc, true).await;
    assert_eq!(
        first.manifest.scope.mode,
        ScopeMode::Full,
        "no previous run: full"
    );

    // Night 2: March arrives (and, through the overlap file, a few February rows again).
    for (orig, tmp) in &moved {
        std::fs::rename(tmp, orig).expect("move back");
    }
    let second = run_job(cfg.clone(), &inc, true).await;
    let scope = &second.manifest.scope;
    assert_eq!(scope.mode, ScopeMode::Incremental, "{scope:?}");
    assert!(scope.months.contains(&"2025-03".to_string()), "{scope:?}");
    assert!(
        !scope.months.contains(&"2025-01".to_string()) || scope.reason.contains("attribution"),
        "{scope:?}"
    );
    let carried: usize = second
        .manifest
        .tables
        .values()
        .map(|t| t.carried_over.len())
        .sum();

    // The same inputs, computed from scratch.
    let full = dir.path().join("full");
    run_job(cfg, &full, false).await;
    let (a, b) = (all_tables(&inc).await, all_tables(&full).await);
    assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>());
    for (name, rows) in &a {
        assert_eq!(
            rows, &b[name],
            "table {name}: incremental differs from full"
        );
    }
    assert!(a["exchange_turnover_daily"].len() > 100);
    println!("incremental scope: {scope:?}; {carried} partition(s) carried over");

    // A third night with nothing new recomputes nothing and changes nothing.
    let third = run_job(
        ChainstatConfig::load(&data.join("chainstat.toml")).expect("cfg"),
        &inc,
        true,
    )
    .await;
    assert_eq!(
        third.manifest.scope.months,
        Vec::<String>::new(),
        "{:?}",
        third.manifest.scope
    );
    assert_eq!(all_tables(&inc).await, b);
}

/// Relative error of `est` against `truth`.
fn rel(est: f64, truth: f64) -> f64 {
    if truth == 0.0 {
        if est == 0.0 {
            0.0
        } else {
            f64::INFINITY
        }
    } else {
        (est - truth).abs() / truth
    }
}

/// Stated accuracy bound (README): yearly USD turnover per labelled exchange and asset
/// within 1 % of the ground truth for tokens and 10 % for Bitcoin (deposits not yet
/// consolidated by the exchange at the end of the data cannot be linked by the
/// multi-input heuristic: 6.0 % of one exchange's Bitcoin inflow here, received in
/// December and never swept), in total within 2 %; Bitcoin transfer counts (one per
/// transaction, entity and direction) within 20 %; unlabelled exchanges are not in the
/// turnover tables but are found as candidates.
#[tokio::test]
async fn estimates_match_the_generated_ground_truth() {
    let dir = tempfile::tempdir().expect("tmp");
    let data = dir.path().join("data");
    let cfg = generated(&data, 8_000, 365);
    let out = dir.path().join("out");
    run_job(cfg, &out, false).await;

    let mut truth: BTreeMap<(String, String), f64> = BTreeMap::new();
    let mut rdr = csv_rows(&data.join("ground_truth/turnover_daily.csv"));
    let header = rdr.remove(0);
    let col = |n: &str| header.iter().position(|h| h == n).expect(n);
    let (ie, ia, ii, io) = (
        col("entity"),
        col("asset"),
        col("inflow_usd"),
        col("outflow_usd"),
    );
    for r in &rdr {
        let usd = r[ii].parse::<f64>().unwrap_or(0.0) + r[io].parse::<f64>().unwrap_or(0.0);
        *truth.entry((r[ie].clone(), r[ia].clone())).or_default() += usd;
    }
    let entities = csv_rows(&data.join("ground_truth/entities.csv"));
    let labelled: Vec<String> = entities[1..]
        .iter()
        .filter(|r| r[1] == "exchange" && r[2] == "true")
        .map(|r| r[0].clone())
        .collect();
    let unlabelled: Vec<String> = entities[1..]
        .iter()
        .filter(|r| r[1] == "exchange" && r[2] == "false")
        .map(|r| r[0].clone())
        .collect();
    assert!(labelled.len() >= 2 && !unlabelled.is_empty());

    let est = published(
        &out,
        "SELECT entity, COALESCE(symbol, asset), CAST(sum(turnover_usd) AS VARCHAR) FROM exchange_turnover_yearly \
         GROUP BY entity, COALESCE(symbol, asset)",
    )
    .await;
    let mut estimate: BTreeMap<(String, String), f64> = BTreeMap::new();
    for r in &est {
        let p: Vec<&str> = r.split('|').collect();
        estimate.insert((p[0].into(), p[1].into()), p[2].parse().unwrap_or(0.0));
    }
    let (mut t_sum, mut e_sum, mut worst) = (0.0, 0.0, 0.0f64);
    for ((entity, asset), t) in &truth {
        if !labelled.contains(entity) || *t < 1.0 {
            continue;
        }
        let e = estimate
            .get(&(entity.clone(), asset.clone()))
            .copied()
            .unwrap_or(0.0);
        let err = rel(e, *t);
        worst = worst.max(err);
        let bound = if asset == "BTC" { 0.10 } else { 0.01 };
        assert!(
            err <= bound,
            "{entity} {asset}: estimate {e:.0} vs truth {t:.0} ({:.2} %)",
            err * 100.0
        );
        t_sum += t;
        e_sum += e;
    }
    // Transfers are counted once per transaction, entity and direction: a Bitcoin
    // transaction paying an exchange from several input clusters is one incoming transfer,
    // not one per leg (`first_leg` in queries/30_flows.sql).
    let mut true_btc: BTreeMap<String, (f64, f64)> = BTreeMap::new();
    let (ti, to) = (col("transfers_in"), col("transfers_out"));
    for r in &rdr {
        if r[ia] == "BTC" {
            let e = true_btc.entry(r[ie].clone()).or_default();
            e.0 += r[ti].parse::<f64>().unwrap_or(0.0);
            e.1 += r[to].parse::<f64>().unwrap_or(0.0);
        }
    }
    let counted: BTreeMap<String, (f64, f64)> = published(
        &out,
        "SELECT entity, CAST(sum(transfers_in) AS VARCHAR), CAST(sum(transfers_out) AS VARCHAR) \
         FROM exchange_turnover_yearly WHERE asset = 'BTC' GROUP BY entity",
    )
    .await
    .iter()
    .map(|r| {
        let p: Vec<&str> = r.split('|').collect();
        let n = |s: &str| s.parse::<f64>().expect("a count");
        (p[0].to_string(), (n(p[1]), n(p[2])))
    })
    .collect();
    // Within 20 % where the truth has at least 10: deposits not yet consolidated are
    // missed (as for the USD above); counting legs instead would give several times more.
    // From the truth's side, like the USD, so an exchange missing from the table fails.
    let mut checked = 0;
    for (entity, (t_in, t_out)) in true_btc.iter().filter(|(e, _)| labelled.contains(e)) {
        let (e_in, e_out) = counted.get(entity).copied().unwrap_or_default();
        println!("BTC transfers {entity}: in {e_in} (truth {t_in}), out {e_out} (truth {t_out})");
        for (est, truth, dir) in [(e_in, *t_in, "in"), (e_out, *t_out, "out")] {
            if truth >= 10.0 {
                assert!(
                    rel(est, truth) <= 0.2,
                    "{entity} BTC transfers {dir}: {est} counted vs {truth} true"
                );
                checked += 1;
            }
        }
    }
    assert!(
        checked >= 2,
        "too few Bitcoin transfer counts to check: {counted:?}"
    );
    let total_err = rel(e_sum, t_sum);
    println!(
        "accuracy: labelled exchanges' yearly turnover {e_sum:.0} USD vs truth {t_sum:.0} ({:.3} %), worst entity×asset {:.3} %",
        total_err * 100.0,
        worst * 100.0
    );
    assert!(total_err <= 0.02);
    for u in &unlabelled {
        assert!(
            !estimate.keys().any(|(e, _)| e == u),
            "{u} has no label: it cannot be attributed"
        );
    }
    // Every unlabelled exchange's Ethereum hot wallet is found as a candidate.
    let hubs = published(&out, "SELECT hub FROM exchange_candidates").await;
    let addresses = csv_rows(&data.join("ground_truth/addresses.csv"));
    for u in &unlabelled {
        let hot: Vec<&String> = addresses
            .iter()
            .filter(|r| r[0] == "ethereum" && &r[2] == u && r[3] == "hot")
            .map(|r| &r[1])
            .collect();
        assert!(
            hot.iter().any(|h| hubs.contains(h)),
            "{u}: hot wallets {hot:?} not in candidates {hubs:?}"
        );
    }
}

/// Five nights on one output root, each checked against a full run over the same inputs,
/// every published table and the canonical layer row for row: night 1 full; night 2 a new
/// month of files; night 3 a late re-export of known transfers with another block number
/// (copies that compete in the deduplication); night 4 a new exchange label; night 5 a
/// changed price.
#[tokio::test]
async fn five_incremental_nights_publish_what_full_runs_do() {
    let dir = tempfile::tempdir().expect("tmp");
    let data = dir.path().join("data");
    let cfg = generated(&data, 3_000, 75); // 2025-01-01 .. 2025-03-16
    let aside = dir.path().join("aside");
    std::fs::create_dir_all(&aside).expect("aside");
    let moved = set_aside(&data, &aside, &["2025-03"]);
    assert!(!moved.is_empty());
    let nightly = dir.path().join("nightly");
    let mut modes = Vec::new();
    for night in 1..=5 {
        match night {
            2 => {
                for (orig, tmp) in &moved {
                    std::fs::rename(tmp, orig).expect("move back");
                }
            }
            3 => late_copies(&data.join("ethereum/token_transfers")),
            4 => {
                let labels = data.join("labels.csv");
                let mut text = std::fs::read_to_string(&labels).expect("labels");
                let address = first_unlabelled_receiver(&data, &text).await;
                text.push_str(&format!(
                    "{address},night-four-exchange,exchange,test,high,ethereum\n"
                ));
                std::fs::write(&labels, text).expect("labels");
            }
            5 => {
                let prices = data.join("prices.csv");
                let text = std::fs::read_to_string(&prices).expect("prices");
                let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
                let row = lines
                    .iter()
                    .position(|l| l.starts_with("2025-02-10,ethereum,"))
                    .expect("a February price");
                let mut cells: Vec<String> = lines[row].split(',').map(str::to_string).collect();
                let price: f64 = cells[4].parse().expect("price");
                cells[4] = format!("{}", price * 2.0);
                lines[row] = cells.join(",");
                std::fs::write(&prices, lines.join("\n") + "\n").expect("prices");
            }
            _ => {}
        }
        let config = ChainstatConfig::load(&data.join("chainstat.toml")).expect("config");
        let mut config = config;
        config.engine.target_partitions = cfg.engine.target_partitions;
        let inc = run_job(config.clone(), &nightly, true).await;
        let full = dir.path().join(format!("full-{night}"));
        run_job(config, &full, false).await;
        let (a, b) = (all_tables(&nightly).await, all_tables(&full).await);
        assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>());
        for (name, rows) in &a {
            assert!(
                rows == &b[name],
                "night {night}: {name} differs from a full run ({:?})",
                inc.manifest.scope
            );
        }
        modes.push((
            night,
            inc.manifest.scope.mode,
            inc.manifest.scope.reason.clone(),
        ));
    }
    // Nights 2 to 5 were incremental, each for its own reason.
    for (night, mode, reason) in &modes[1..] {
        assert_eq!(*mode, ScopeMode::Incremental, "night {night}: {reason}");
    }
    assert!(modes[1].2.contains("new file"), "{modes:?}");
    assert!(modes[2].2.contains("new file"), "{modes:?}");
    assert!(modes[3].2.contains("attribution"), "{modes:?}");
    assert!(modes[4].2.contains("price"), "{modes:?}");
}

/// A late re-export of the first 40 rows of the February file: the same transfers with
/// the block number one higher (the same day), as a new file.
fn late_copies(folder: &Path) {
    let file = std::fs::File::open(folder.join("2025-02.parquet")).expect("february");
    let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
        .expect("parquet")
        .build()
        .expect("reader");
    let batch = reader.map(|b| b.expect("batch")).next().expect("rows");
    let batch = batch.slice(0, batch.num_rows().min(40));
    let schema = batch.schema();
    let at = schema.index_of("block_number").expect("block_number");
    let numbers = arrow::compute::cast(batch.column(at), &DataType::Int64).expect("int");
    let numbers = numbers.as_any().downcast_ref::<Int64Array>().expect("i64");
    let bumped: Int64Array = numbers.iter().map(|n| n.map(|n| n + 1)).collect();
    let bumped = arrow::compute::cast(&bumped, schema.field(at).data_type()).expect("type");
    let mut columns = batch.columns().to_vec();
    columns[at] = bumped;
    let late = RecordBatch::try_new(Arc::clone(&schema), columns).expect("batch");
    let out = std::fs::File::create(folder.join("2025-02-late.parquet")).expect("create");
    let mut w = parquet::arrow::ArrowWriter::try_new(out, schema, None).expect("writer");
    w.write(&late).expect("write");
    w.close().expect("close");
}

/// A receiver of transfers in the generated economy that `labels` does not name.
async fn first_unlabelled_receiver(data: &Path, labels: &str) -> String {
    let ctx = SessionContext::new();
    let folder = data.join("ethereum/token_transfers/2025-03.parquet");
    ctx.register_parquet("t", &folder.display().to_string(), Default::default())
        .await
        .expect("march");
    let batches = ctx
        .sql("SELECT lower(to_address) FROM t GROUP BY 1 ORDER BY count(*) DESC, 1")
        .await
        .expect("sql")
        .collect()
        .await
        .expect("rows");
    to_text(&batches)
        .into_iter()
        .find(|a| !labels.to_lowercase().contains(a.as_str()))
        .expect("an unlabelled receiver")
}

/// A small CSV reader for ground-truth files (no quoting in them).
pub(crate) fn csv_rows(path: &Path) -> Vec<Vec<String>> {
    std::fs::read_to_string(path)
        .expect("csv")
        .lines()
        .map(|l| l.split(',').map(str::to_string).collect())
        .collect()
}

#[tokio::test]
async fn incremental_run_carries_unaffected_months_over() {
    let dir = tempfile::tempdir().expect("tmp");
    let cfg = hand_built(dir.path());
    let inc = dir.path().join("incremental");
    run_job(cfg.clone(), &inc, true).await;
    // April arrives: known addresses only, no new links — March is not affected.
    write_transfers(
        &dir.path().join("transfers/part-4.parquet"),
        &[
            (ALPHA_HOT, USER2, 7, "c1", 0, "2025-04-02 10:00"),
            (USER2, BETA_HOT, 3, "c2", 0, "2025-04-03 10:00"),
        ],
    );
    std::fs::write(
        dir.path().join("prices.csv"),
        format!(
            "date,chain,asset,symbol,price_usd\n2025-03-01,ethereum,{USDT},USDT,1.0\n\
             2025-04-02,ethereum,{USDT},USDT,1.0\n2025-04-03,ethereum,{USDT},USDT,1.0\n"
        ),
    )
    .expect("prices");
    let second = run_job(cfg.clone(), &inc, true).await;
    let scope = &second.manifest.scope;
    assert_eq!(scope.mode, ScopeMode::Incremental, "{scope:?}");
    assert_eq!(scope.months, vec!["2025-04"], "{scope:?}");
    let daily = &second.manifest.tables["exchange_turnover_daily"];
    assert_eq!(daily.carried_over, vec!["2025-03"], "{daily:?}");
    // The canonical layer: March copied, April written.
    let transfers = &second.manifest.tables["transfers"];
    assert_eq!(
        transfers.carried_over,
        vec!["ethereum/2025-03"],
        "{transfers:?}"
    );
    assert_eq!(transfers.rows, 8, "{transfers:?}");
    let full = dir.path().join("full");
    run_job(cfg, &full, false).await;
    assert_eq!(all_tables(&inc).await, all_tables(&full).await);
}

/// The canonical layer holds exactly the rows the canonical views of an independent
/// session give over the same exports (validated there), one file per chain and month
/// holding only that chain's and month's rows in the documented order, with Bloom
/// filters on the address columns; `chainstat sql --published` reads it under the view's
/// name without loading any input.
#[tokio::test]
async fn the_canonical_layer_holds_the_views_rows_by_chain_and_month_in_order() {
    let dir = tempfile::tempdir().expect("tmp");
    let cfg = generated(&dir.path().join("data"), 4_000, 75);
    let out = dir.path().join("out");
    let run = run_job(cfg.clone(), &out, false).await;
    let views = chainstat_engine::Session::open(cfg, None)
        .await
        .expect("session");
    let published = SessionContext::new();
    publish::register_published(&published, &out.display().to_string())
        .await
        .expect("published");
    for view in ["transfers", "utxo_inputs", "utxo_outputs", "logs"] {
        let df = views.ctx.table(view).await.expect("view");
        let cols: Vec<String> = df
            .schema()
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .collect();
        let sql = format!("SELECT {} FROM {view}", cols.join(", "));
        let mut want = to_text(&df.collect().await.expect("view rows"));
        let mut got = to_text(
            &published
                .sql(&sql)
                .await
                .expect(&sql)
                .collect()
                .await
                .expect(&sql),
        );
        want.sort();
        got.sort();
        assert!(!want.is_empty(), "{view}: the generated economy has rows");
        assert_eq!(got, want, "{view}: published layer differs from the view");
    }
    let run_dir = out.join("runs").join(&run.manifest.run_id);
    let transfers = &run.manifest.tables["transfers"];
    assert!(transfers.inputs_fingerprint.is_some());
    assert!(transfers.files.len() >= 3, "{:?}", transfers.files);
    for f in &transfers.files {
        let partition = f.partition.as_deref().expect("partition");
        let (chain, month) = partition.split_once('/').expect("chain/month");
        assert_eq!(f.path, format!("transfers/{chain}/month_{month}.parquet"));
        let file = std::fs::File::open(run_dir.join(&f.path)).expect("file");
        let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
            .expect("parquet");
        let meta = reader.metadata().clone();
        let rg = meta.row_group(0);
        for c in 0..rg.num_columns() {
            let col = rg.column(c);
            let name = col.column_path().string();
            let bloom = col.bloom_filter_offset().is_some();
            let want = ["from_address", "to_address", "tx_hash"].contains(&name.as_str());
            assert_eq!(bloom, want, "{}: Bloom filter on {name}", f.path);
        }
        let batches: Vec<RecordBatch> = reader
            .build()
            .expect("read")
            .map(|b| b.expect("batch"))
            .collect();
        let all = arrow::compute::concat_batches(&batches[0].schema(), &batches).expect("concat");
        let text = |name: &str| {
            let c = all.column_by_name(name).expect(name);
            let c = arrow::compute::cast(c, &DataType::Utf8).expect("text");
            (0..all.num_rows())
                .map(|i| {
                    c.as_any()
                        .downcast_ref::<StringArray>()
                        .expect("utf8")
                        .value(i)
                        .to_string()
                })
                .collect::<Vec<String>>()
        };
        let (chains, assets, times, hashes) = (
            text("chain"),
            text("asset"),
            text("block_time"),
            text("tx_hash"),
        );
        let int = |name: &str| {
            let c = all.column_by_name(name).expect(name);
            let c = arrow::compute::cast(c, &DataType::Int64).expect("int");
            let c = c.as_any().downcast_ref::<Int64Array>().expect("i64");
            c.values().to_vec()
        };
        let (micros, logs) = (int("block_time"), int("log_index"));
        let mut previous: Option<(String, i64, String, i64)> = None;
        for i in 0..all.num_rows() {
            assert_eq!(chains[i], chain, "{}", f.path);
            assert!(times[i].starts_with(month), "{}: {}", f.path, times[i]);
            let key = (assets[i].clone(), micros[i], hashes[i].clone(), logs[i]);
            if let Some(p) = &previous {
                assert!(
                    p < &key,
                    "{}: row {i} out of order: {p:?} then {key:?}",
                    f.path
                );
            }
            previous = Some(key);
        }
        assert_eq!(all.num_rows() as u64, f.rows);
    }
    let cli = std::process::Command::new(chainstat_bin())
        .args(["sql", "--published"])
        .arg(&out)
        .args([
            "--format",
            "csv",
            "-c",
            "SELECT count(*) AS n FROM transfers",
        ])
        .current_dir(dir.path())
        .output()
        .expect("chainstat sql");
    let stderr = String::from_utf8_lossy(&cli.stderr);
    assert!(cli.status.success(), "{stderr}");
    assert!(!stderr.contains("sample"), "{stderr}");
    assert_eq!(
        String::from_utf8_lossy(&cli.stdout).trim(),
        format!("n\n{}", transfers.rows)
    );
}

/// A new export that dates known transfers in another month (a re-org, a corrected
/// export) moves rows out of a month no new file touches: that month's published rows
/// would be stale, so the run is a full one that says why, and it publishes what a full
/// run does. Which copy of a key wins is decided by content, so several keys are re-dated
/// and the test checks that at least one copy won (the scope names the moved month).
#[tokio::test]
async fn a_re_dated_transfer_makes_the_incremental_run_a_full_one() {
    let dir = tempfile::tempdir().expect("tmp");
    let cfg = hand_built(dir.path());
    let inc = dir.path().join("incremental");
    let first = run_job(cfg.clone(), &inc, true).await;
    let transfers = &first.manifest.tables["transfers"];
    assert_eq!(transfers.partition, "chain/month");
    assert_eq!(
        transfers
            .files
            .iter()
            .map(|f| (f.path.as_str(), f.rows))
            .collect::<Vec<_>>(),
        vec![("transfers/ethereum/month_2025-03.parquet", 6)]
    );
    // March transfers again, dated in April: not the deposit and its sweep, which would
    // change attribution and so have March recomputed anyway.
    write_transfers(
        &dir.path().join("transfers/part-5-redated.parquet"),
        &[
            (ALPHA_HOT, ALPHA_COLD, 50, "a3", 0, "2025-04-07 12:00"),
            (ALPHA_HOT, BETA_HOT, 30, "a4", 0, "2025-04-08 13:00"),
            (ALPHA_HOT, USER2, 20, "a5", 1, "2025-04-09 14:00"),
            (USER2, BETA_HOT, 10, "a6", 0, "2025-04-10 09:00"),
        ],
    );
    let second = run_job(cfg.clone(), &inc, true).await;
    let scope = &second.manifest.scope;
    assert_eq!(scope.mode, ScopeMode::Full, "{scope:?}");
    assert!(
        scope
            .reason
            .contains("transfers rows moved out of months with no new rows")
            && scope.reason.contains("ethereum/2025-03 6 →"),
        "{scope:?}"
    );
    let full = dir.path().join("full");
    run_job(cfg, &full, false).await;
    let (a, b) = (all_tables(&inc).await, all_tables(&full).await);
    assert_eq!(a, b);
    assert_eq!(a["transfers"].len(), 6, "{:?}", a["transfers"]);
}

/// A published run whose state was keyed with another row-key scheme (older builds used
/// DataFusion's ahash) cannot be continued: the next incremental run recomputes all.
#[tokio::test]
async fn an_incremental_run_after_another_key_scheme_is_a_full_run() {
    let manifest = after_a_tampered_manifest("key_scheme", "ahash-datafusion-55").await;
    assert_eq!(manifest.key_scheme, chainstat_chain::key::KEY_SCHEME);
}

/// Partitions published in another layout (`month=…/` folders, DECIMAL(76,18) amounts)
/// are never carried into a run that writes the portable one.
#[tokio::test]
async fn an_incremental_run_after_another_table_layout_is_a_full_run() {
    let manifest = after_a_tampered_manifest("table_layout", "hive-decimal76").await;
    assert_eq!(manifest.table_layout, chainstat_job::publish::TABLE_LAYOUT);
}

/// Runs twice incrementally (the second must be incremental), sets `field` of the
/// published manifest to `value`, and checks that the third run is a full one that
/// names the value; returns its manifest.
async fn after_a_tampered_manifest(field: &str, value: &str) -> RunManifest {
    let dir = tempfile::tempdir().expect("tmp");
    let cfg = hand_built(dir.path());
    let out = dir.path().join("out");
    run_job(cfg.clone(), &out, true).await;
    let again = run_job(cfg.clone(), &out, true).await;
    assert_eq!(
        again.manifest.scope.mode,
        ScopeMode::Incremental,
        "nothing changed"
    );
    let manifest = out
        .join("runs")
        .join(&again.manifest.run_id)
        .join("manifest.json");
    let text = std::fs::read_to_string(&manifest).expect("manifest");
    let mut json: serde_json::Value = serde_json::from_str(&text).expect("json");
    json[field] = serde_json::Value::String(value.into());
    std::fs::write(
        &manifest,
        serde_json::to_string_pretty(&json).expect("json"),
    )
    .expect("write manifest");
    let third = run_job(cfg, &out, true).await;
    let scope = &third.manifest.scope;
    assert_eq!(scope.mode, ScopeMode::Full, "{scope:?}");
    assert!(scope.reason.contains(value), "{scope:?}");
    third.manifest
}

/// `-- strings: views` holds for its own query only: the stage query that asks reads the
/// inputs' strings as views, the next one (which does not ask) plain strings again, and
/// both see the same rows.
#[tokio::test]
async fn string_views_apply_to_the_query_that_asks_only() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut config = hand_built(dir.path());
    let queries = dir.path().join("queries");
    std::fs::create_dir_all(&queries).expect("queries dir");
    let typed = "SELECT arrow_typeof(from_address) AS t, count(*) AS n, \
                 count(DISTINCT from_address) AS senders FROM transfers GROUP BY 1";
    for (file, text) in [
        (
            "10_viewed.sql",
            format!("-- stage: viewed\n-- strings: views\n{typed}"),
        ),
        ("20_plain.sql", format!("-- stage: plain\n{typed}")),
        (
            "30_string_types.sql",
            "-- publish: string_types\n\
             SELECT 'viewed' AS q, t, n, senders FROM viewed \
             UNION ALL SELECT 'plain' AS q, t, n, senders FROM plain"
                .to_string(),
        ),
    ] {
        std::fs::write(queries.join(file), text).expect("query");
    }
    config.job.queries = Some(queries.display().to_string());
    let out = dir.path().join("out");
    chainstat_job::run(
        config,
        &RunOptions {
            out: out.display().to_string(),
            quiet: true,
            no_report: true,
            ..Default::default()
        },
    )
    .await
    .unwrap_or_else(|e| panic!("run failed: {e}"));
    let got = published(&out, "SELECT q, t, n, senders FROM string_types").await;
    assert_eq!(got.len(), 2, "{got:?}");
    assert!(got[0].starts_with("plain|Utf8|"), "{got:?}");
    assert!(got[1].starts_with("viewed|Utf8View|"), "{got:?}");
    // The same rows either way.
    assert_eq!(
        got[0]["plain|Utf8|".len()..],
        got[1]["viewed|Utf8View|".len()..]
    );
}

/// A query set that publishes a table under a canonical layer's name would have its rows
/// silently replaced by the layer (or, as a view, change what the layer holds): the run
/// refuses it before any work, naming the file.
#[tokio::test]
async fn a_query_named_like_a_canonical_layer_table_is_refused() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut config = hand_built(dir.path());
    let queries = dir.path().join("queries");
    std::fs::create_dir_all(&queries).expect("queries dir");
    std::fs::write(
        queries.join("10_transfers.sql"),
        "-- publish: transfers\nSELECT chain, count(*) AS n FROM transfers GROUP BY chain",
    )
    .expect("query");
    config.job.queries = Some(queries.display().to_string());
    let out = dir.path().join("out");
    let err = chainstat_job::run(
        config,
        &RunOptions {
            out: out.display().to_string(),
            quiet: true,
            ..Default::default()
        },
    )
    .await
    .expect_err("refused");
    let text = err.to_string();
    assert!(
        text.contains("10_transfers.sql") && text.contains("canonical layer"),
        "{text}"
    );
    assert!(!out.join("_published.json").exists());
}

/// A labels file with a misspelled `category` column used to be read without it: the run
/// attributed no exchange and published empty tables over a good run, exit 0. Now the
/// run fails before any work, naming the file, and the published run stays.
#[tokio::test]
async fn a_reference_file_with_a_misspelled_column_fails_and_keeps_the_published_run() {
    let dir = tempfile::tempdir().expect("tmp");
    let out = dir.path().join("out");
    let cfg = hand_built(dir.path());
    run_job(cfg.clone(), &out, false).await;
    let pointer = std::fs::read(out.join("_published.json")).expect("pointer");
    // A required column misspelled, and an optional one: both would read as empty.
    for (file, good, bad, problems) in [
        (
            "labels.csv",
            "category",
            "categroy",
            &["missing column(s) category", "unknown column(s) categroy"][..],
        ),
        (
            "registry.csv",
            "licence_id",
            "licence_no",
            &["unknown column(s) licence_no"][..],
        ),
        (
            "prices.csv",
            "price_usd",
            "price",
            &["missing column(s) price_usd", "unknown column(s) price"][..],
        ),
    ] {
        let path = dir.path().join(file);
        let text = std::fs::read_to_string(&path).expect("read");
        std::fs::write(&path, text.replacen(good, bad, 1)).expect("write");
        let result = chainstat_job::run(
            cfg.clone(),
            &RunOptions {
                out: out.display().to_string(),
                quiet: true,
                ..Default::default()
            },
        )
        .await;
        std::fs::write(&path, text).expect("restore");
        let Err(err) = result else {
            panic!("a run with a misspelled column in {file} must fail");
        };
        let err = err.to_string();
        assert!(err.contains(file), "{err}");
        for p in problems {
            assert!(err.contains(p), "{file}: {err}");
        }
        assert_eq!(
            std::fs::read(out.join("_published.json")).expect("pointer"),
            pointer
        );
    }
}

/// Labels whose exchanges lost their category: the run attributes no exchange. It used
/// to publish empty tables over the good run with exit 0; now it refuses to commit with
/// exit 5, the published run and its report stay, and `--accept-change` commits it.
#[tokio::test]
async fn a_run_that_attributes_no_exchange_is_refused_unless_accepted() {
    let dir = tempfile::tempdir().expect("tmp");
    let out = dir.path().join("out");
    let cfg = hand_built(dir.path());
    let first = run_job(cfg, &out, false).await;
    assert!(!first.manifest.reports.is_empty());
    let pointer = std::fs::read(out.join("_published.json")).expect("pointer");
    let labels = dir.path().join("labels.csv");
    let text = std::fs::read_to_string(&labels).expect("labels");
    std::fs::write(&labels, text.replace(",exchange,", ",wallet,")).expect("labels");
    let run = |extra: &[&str]| {
        std::process::Command::new(chainstat_bin())
            .args(["run", "-q", "--config"])
            .arg(dir.path().join("chainstat.toml"))
            .arg("--out")
            .arg(&out)
            .args(extra)
            .output()
            .expect("spawn")
    };
    let refused = run(&[]);
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(refused.status.code(), Some(5), "{stderr}");
    assert!(stderr.contains("attributes no exchange"), "{stderr}");
    assert!(stderr.contains("--accept-change"), "{stderr}");
    assert_eq!(
        std::fs::read(out.join("_published.json")).expect("pointer"),
        pointer
    );
    let accepted = run(&["--accept-change"]);
    assert!(
        accepted.status.success(),
        "{}",
        String::from_utf8_lossy(&accepted.stderr)
    );
    assert_ne!(
        std::fs::read(out.join("_published.json")).expect("pointer"),
        pointer
    );
}

/// `chainstat run` as a process.
pub(crate) fn spawn_run(config: &Path, out: &str, extra: &[&str]) -> std::process::Child {
    std::process::Command::new(chainstat_bin())
        .args(["run", "-q", "--config"])
        .arg(config)
        .args(["--out", out])
        .args(extra)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn")
}

/// Two runs into one output root at once, in both orders (full then incremental,
/// incremental then full): the second finds the first's lease, fails with exit 4 before
/// writing anything, and the first commits a complete run that readers and the next
/// incremental run can use. `lease` is where the lease object shows up on disk.
pub(crate) async fn two_runs_at_once(config: &Path, out: &str, lease: &Path) {
    let full: &[&str] = &[];
    let incremental: &[&str] = &["--incremental"];
    for (first, second) in [(full, incremental), (incremental, full)] {
        let mut a = spawn_run(config, out, first);
        let since = std::time::Instant::now();
        while !lease.exists() {
            assert!(
                since.elapsed().as_secs() < 120,
                "the first run never took the lease"
            );
            if let Some(status) = a.try_wait().expect("wait") {
                panic!("the first run ended ({status}) before it was seen holding the lease");
            }
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        let b = spawn_run(config, out, second)
            .wait_with_output()
            .expect("second run");
        let stderr = String::from_utf8_lossy(&b.stderr);
        assert_eq!(b.status.code(), Some(4), "second run {second:?}: {stderr}");
        assert!(stderr.contains("is in use"), "{stderr}");
        let a = a.wait_with_output().expect("first run");
        assert!(
            a.status.success(),
            "first run {first:?}: {}",
            String::from_utf8_lossy(&a.stderr)
        );
        assert!(!lease.exists(), "the lease was not released");
    }
    // The published run is whole: readers and the next incremental run use it.
    let sql = std::process::Command::new(chainstat_bin())
        .args(["sql", "--config"])
        .arg(config)
        .args(["--published", out, "--format", "csv", "-c"])
        .arg("SELECT count(*) AS n FROM exchange_turnover_daily")
        .output()
        .expect("sql");
    assert!(
        sql.status.success(),
        "{}",
        String::from_utf8_lossy(&sql.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&sql.stdout), "n\n3\n");
    let next = spawn_run(config, out, incremental)
        .wait_with_output()
        .expect("next run");
    assert!(
        next.status.success(),
        "{}",
        String::from_utf8_lossy(&next.stderr)
    );
}

#[tokio::test]
async fn two_runs_at_once_on_disk_one_commits_the_other_is_refused() {
    let dir = tempfile::tempdir().expect("tmp");
    hand_built(dir.path());
    let out = dir.path().join("out");
    two_runs_at_once(
        &dir.path().join("chainstat.toml"),
        &out.display().to_string(),
        &out.join(chainstat_job::lease::LEASE),
    )
    .await;
}

/// A `latest` that chainstat did not make (a folder someone copied there) is never
/// replaced: the run says so and fails, instead of leaving outside tools on old figures.
#[tokio::test]
async fn a_latest_folder_that_is_not_the_link_fails_the_run() {
    let dir = tempfile::tempdir().expect("tmp");
    let out = dir.path().join("out");
    std::fs::create_dir_all(out.join(publish::LATEST)).expect("mkdir");
    let Err(err) = chainstat_job::run(
        hand_built(dir.path()),
        &RunOptions {
            out: out.display().to_string(),
            quiet: true,
            ..Default::default()
        },
    )
    .await
    else {
        panic!("the run must fail");
    };
    let text = err.to_string();
    assert!(
        text.contains("latest") && text.contains("not the link"),
        "{text}"
    );
    assert!(
        out.join(publish::LATEST).is_dir(),
        "the folder is left alone"
    );
}

/// With the year before published too, the report compares the two years per exchange.
#[tokio::test]
async fn the_report_compares_with_the_year_before_when_it_is_published() {
    let dir = tempfile::tempdir().expect("tmp");
    let config = hand_built(dir.path());
    write_transfers(
        &dir.path().join("transfers/part-0-2024.parquet"),
        &[(USER2, ALPHA_HOT, 40, "e1", 0, "2024-06-01 10:00")],
    );
    let prices = dir.path().join("prices.csv");
    let mut text = std::fs::read_to_string(&prices).expect("prices");
    text.push_str(&format!("2024-06-01,ethereum,{USDT},USDT,1.0\n"));
    std::fs::write(&prices, text).expect("prices");
    let out = dir.path().join("out");
    let done = run_job(config, &out, false).await;
    let md = std::fs::read_to_string(
        out.join("runs")
            .join(&done.manifest.run_id)
            .join("report.md"),
    )
    .expect("report.md");
    let section = md
        .split("## Compared with 2024")
        .nth(1)
        .expect("a comparison section")
        .split("\n## ")
        .next()
        .unwrap_or_default()
        .to_string();
    assert!(
        section.contains("Exchanges active: 1 in 2024, 2 in 2025"),
        "{section}"
    );
    let alpha = section
        .lines()
        .find(|l| l.contains("alpha"))
        .expect("alpha's row");
    // 40 in 2024; 150 in 2025 (inflow 100, outflow 50).
    assert!(
        alpha.contains("| 40 |") && alpha.contains("| 150 |") && alpha.contains("+275.0%"),
        "{alpha}"
    );
    assert!(md.contains("## How to quote these figures"), "{md}");
    // Per chain and asset, and what the figures were computed from.
    let assets = md
        .split("## Turnover by chain and asset")
        .nth(1)
        .expect("an asset section");
    assert!(assets.contains("| ethereum | USDT | 2 | 180 |"), "{assets}");
    let sources = md
        .split("## Data sources")
        .nth(1)
        .expect("a sources section");
    for input in ["| table | eth_transfers | 3 |", "| prices |", "| labels |"] {
        assert!(sources.contains(input), "{input}: {sources}");
    }
}

const SPAM: &str = "0x5555555555555555555555555555555555555555";

/// The hand-built economy plus a token that mints absurd amounts (spam tokens do): user1
/// sends 3 * 10^20 of it to alpha's hot wallet, which pays 5 back out.
pub(crate) fn with_an_absurd_token(dir: &Path) -> ChainstatConfig {
    let config = hand_built(dir);
    write_token_transfers(
        &dir.join("transfers/part-3-spam.parquet"),
        SPAM,
        &[
            (
                USER1,
                ALPHA_HOT,
                "3".to_string() + &"0".repeat(20),
                "c1",
                0,
                "2025-03-05 10:00",
            ),
            (
                ALPHA_HOT,
                USER2,
                "5".to_string(),
                "c2",
                0,
                "2025-03-05 11:00",
            ),
        ],
    );
    let tokens = dir.join("tokens.csv");
    let mut text = std::fs::read_to_string(&tokens).expect("tokens");
    text.push_str(&format!("{SPAM},SPAM,Spam,0\n"));
    std::fs::write(&tokens, text).expect("tokens");
    config
}

/// A token amount wider than DECIMAL(38, 18) is published as NULL in the decimal column
/// (which DuckDB and Spark read exactly) and exactly, as text, in `<column>_overflow`.
#[tokio::test]
async fn an_amount_beyond_38_digits_is_published_as_exact_text() {
    let dir = tempfile::tempdir().expect("tmp");
    let out = dir.path().join("out");
    let done = run_job(with_an_absurd_token(dir.path()), &out, false).await;
    let yearly = &done.manifest.tables["exchange_turnover_yearly"].schema;
    assert!(
        yearly.contains(&"inflow_amount: Decimal128(38, 18)".to_string())
            && yearly.contains(&"inflow_amount_overflow: Utf8".to_string()),
        "{yearly:?}"
    );
    let rows = published(
        &out,
        "SELECT symbol, inflow_amount, inflow_amount_overflow, outflow_amount, \
         outflow_amount_overflow FROM exchange_turnover_yearly WHERE entity = 'alpha'",
    )
    .await;
    assert_eq!(
        rows,
        vec![
            "SPAM|NULL|300000000000000000000.000000000000000000|5.000000000000000000|NULL",
            "USDT|100.000000000000000000|NULL|50.000000000000000000|NULL",
        ]
    );
}

/// A published table's folder, read with `-t` through the `latest` link, gives the rows
/// `--published` gives (it once failed with "duplicate field month", when the month was
/// both a `month=` folder and a column of the files), and the link follows each commit.
#[tokio::test]
async fn a_published_table_folder_reads_back_through_the_latest_link() {
    let dir = tempfile::tempdir().expect("tmp");
    let out = dir.path().join("out");
    let config = hand_built(dir.path());
    let first = run_job(config.clone(), &out, false).await;
    let done = run_job(config, &out, false).await;
    assert_ne!(first.manifest.run_id, done.manifest.run_id);
    assert_eq!(
        std::fs::read_link(out.join(publish::LATEST)).expect("latest is a link"),
        Path::new("runs").join(&done.manifest.run_id)
    );
    let folder = out.join(publish::LATEST).join("exchange_turnover_monthly");
    let sql = "SELECT CAST(month AS VARCHAR) AS month, entity, count(*) AS n FROM m \
               GROUP BY 1, 2 ORDER BY 1, 2";
    let read = std::process::Command::new(chainstat_bin())
        .args(["sql", "--format", "csv", "-t"])
        .arg(format!("m={}/,format=raw", folder.display()))
        .args(["-c", sql])
        .env_remove("CHAINSTAT_CONFIG")
        .current_dir(dir.path())
        .output()
        .expect("sql");
    assert!(
        read.status.success(),
        "{}",
        String::from_utf8_lossy(&read.stderr)
    );
    let mut via_folder: Vec<String> = String::from_utf8_lossy(&read.stdout)
        .lines()
        .skip(1)
        .map(str::to_string)
        .collect();
    via_folder.sort();
    let via_pointer = published(
        &out,
        &sql.replace(" FROM m ", " FROM exchange_turnover_monthly "),
    )
    .await;
    assert!(!via_pointer.is_empty());
    assert_eq!(
        via_folder,
        via_pointer
            .iter()
            .map(|r| r.replace('|', ","))
            .collect::<Vec<_>>()
    );
}
