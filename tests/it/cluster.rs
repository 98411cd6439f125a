//! Clustering: each heuristic on small hand-built cases (a CoinJoin that must not merge,
//! a payment processor that must not merge its payers, a label conflict kept apart),
//! the real Bitcoin block 277647, `explain`, and the two components engines giving the
//! same clusters on a generated graph of more than 1M edges.

use std::sync::Arc;

use arrow::array::{
    ArrayRef, Decimal128Builder, Int64Array, ListBuilder, StringArray, StringBuilder,
    TimestampMicrosecondArray,
};
use arrow::datatypes::{DataType, Field, Schema, TimeUnit};
use arrow::record_batch::RecordBatch;
use chainstat_chain::base58check;
use chainstat_cluster::explain::{explain, Explanation};
use chainstat_cluster::{CcEngine, ClusterParams};
use chainstat_engine::Session;
use chainstat_job::ChainstatConfig;

use crate::common::*;

/// A valid P2PKH address made from `i` (a test identity, not a real wallet).
fn btc(i: u8) -> String {
    let mut payload = [i; 21];
    payload[0] = 0;
    base58check::encode(&payload)
}

/// A valid lowercase EVM address made from `i`.
fn evm(i: u8) -> String {
    format!("0x{}", format!("{i:02x}").repeat(20))
}

fn tx(i: u64) -> String {
    format!("{i:064x}")
}

fn write(path: &std::path::Path, batch: RecordBatch) {
    let f = std::fs::File::create(path).unwrap();
    let mut w = parquet::arrow::ArrowWriter::try_new(f, batch.schema(), None).unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();
}

fn list(addrs: &[&str]) -> ArrayRef {
    let mut b = ListBuilder::new(StringBuilder::new());
    for a in addrs {
        b.values().append_value(a);
        b.append(true);
    }
    Arc::new(b.finish())
}

fn sats(v: &[i64]) -> ArrayRef {
    let mut b = Decimal128Builder::new()
        .with_precision_and_scale(38, 9)
        .unwrap();
    for x in v {
        b.append_value(*x as i128 * 1_000_000_000);
    }
    Arc::new(b.finish())
}

/// Bitcoin inputs/outputs in the BigQuery schema: (tx, address, value) rows.
fn write_utxo(
    dir: &std::path::Path,
    inputs: &[(u64, String, i64)],
    outputs: &[(u64, String, i64)],
) {
    std::fs::create_dir_all(dir.join("inputs")).unwrap();
    std::fs::create_dir_all(dir.join("outputs")).unwrap();
    let idx = |rows: &[(u64, String, i64)]| -> Vec<i64> {
        let mut seen = std::collections::HashMap::new();
        rows.iter()
            .map(|(t, _, _)| {
                let e = seen.entry(*t).or_insert(-1i64);
                *e += 1;
                *e
            })
            .collect()
    };
    let strs = |v: Vec<String>| -> ArrayRef { Arc::new(StringArray::from(v)) };
    let ins_schema = Arc::new(Schema::new(vec![
        Field::new("transaction_hash", DataType::Utf8, true),
        Field::new("index", DataType::Int64, true),
        Field::new("spent_transaction_hash", DataType::Utf8, true),
        Field::new("spent_output_index", DataType::Int64, true),
        Field::new(
            "addresses",
            DataType::List(Arc::new(Field::new("item", DataType::Utf8, true))),
            true,
        ),
        Field::new("value", DataType::Decimal128(38, 9), true),
        Field::new("block_number", DataType::Int64, true),
        Field::new("type", DataType::Utf8, true),
    ]));
    let addrs: Vec<&str> = inputs.iter().map(|r| r.1.as_str()).collect();
    write(
        &dir.join("inputs/part-0.parquet"),
        RecordBatch::try_new(
            ins_schema,
            vec![
                strs(inputs.iter().map(|r| tx(r.0)).collect()),
                Arc::new(Int64Array::from(idx(inputs))),
                strs(
                    inputs
                        .iter()
                        .enumerate()
                        .map(|(i, _)| tx(1_000_000 + i as u64))
                        .collect(),
                ),
                Arc::new(Int64Array::from(vec![0; inputs.len()])),
                list(&addrs),
                sats(&inputs.iter().map(|r| r.2).collect::<Vec<_>>()),
                Arc::new(Int64Array::from(
                    inputs.iter().map(|r| r.0 as i64 + 100).collect::<Vec<_>>(),
                )),
                strs(vec!["pubkeyhash".into(); inputs.len()]),
            ],
        )
        .unwrap(),
    );
    let outs_schema = Arc::new(Schema::new(vec![
        Field::new("transaction_hash", DataType::Utf8, true),
        Field::new("index", DataType::Int64, true),
        Field::new(
            "addresses",
            DataType::List(Arc::new(Field::new("item", DataType::Utf8, true))),
            true,
        ),
        Field::new("value", DataType::Decimal128(38, 9), true),
        Field::new("block_number", DataType::Int64, true),
        Field::new("type", DataType::Utf8, true),
    ]));
    let addrs: Vec<&str> = outputs.iter().map(|r| r.1.as_str()).collect();
    write(
        &dir.join("outputs/part-0.parquet"),
        RecordBatch::try_new(
            outs_schema,
            vec![
                strs(outputs.iter().map(|r| tx(r.0)).collect()),
                Arc::new(Int64Array::from(idx(outputs))),
                list(&addrs),
                sats(&outputs.iter().map(|r| r.2).collect::<Vec<_>>()),
                Arc::new(Int64Array::from(
                    outputs.iter().map(|r| r.0 as i64 + 100).collect::<Vec<_>>(),
                )),
                strs(vec!["pubkeyhash".into(); outputs.len()]),
            ],
        )
        .unwrap(),
    );
}

/// Token transfers in the BigQuery schema: (tx, from, to, value, unix seconds).
const USDT: &str = "0xdac17f958d2ee523a2206206994597c13d831ec7";

fn write_transfers(path: &std::path::Path, rows: &[(u64, String, String, i64, i64)]) {
    let tokens = vec![USDT; rows.len()];
    write_token_transfers(path, rows, &tokens);
}

/// [`write_transfers`] with each row's token contract.
fn write_token_transfers(
    path: &std::path::Path,
    rows: &[(u64, String, String, i64, i64)],
    tokens: &[&str],
) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let schema = Arc::new(Schema::new(vec![
        Field::new("token_address", DataType::Utf8, true),
        Field::new("from_address", DataType::Utf8, true),
        Field::new("to_address", DataType::Utf8, true),
        Field::new("value", DataType::Utf8, true),
        Field::new("transaction_hash", DataType::Utf8, true),
        Field::new("log_index", DataType::Int64, true),
        Field::new(
            "block_timestamp",
            DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
            true,
        ),
        Field::new("block_number", DataType::Int64, true),
    ]));
    let n = rows.len();
    write(
        path,
        RecordBatch::try_new(
            schema,
            vec![
                Arc::new(StringArray::from(tokens.to_vec())),
                Arc::new(StringArray::from(
                    rows.iter().map(|r| r.1.clone()).collect::<Vec<_>>(),
                )),
                Arc::new(StringArray::from(
                    rows.iter().map(|r| r.2.clone()).collect::<Vec<_>>(),
                )),
                Arc::new(StringArray::from(
                    rows.iter().map(|r| r.3.to_string()).collect::<Vec<_>>(),
                )),
                Arc::new(StringArray::from(
                    rows.iter()
                        .map(|r| format!("0x{}", tx(r.0)))
                        .collect::<Vec<_>>(),
                )),
                Arc::new(Int64Array::from(vec![0; n])),
                Arc::new(
                    TimestampMicrosecondArray::from(
                        rows.iter().map(|r| r.4 * 1_000_000).collect::<Vec<_>>(),
                    )
                    .with_timezone("UTC"),
                ),
                Arc::new(Int64Array::from(
                    rows.iter().map(|r| r.4 / 12).collect::<Vec<_>>(),
                )),
            ],
        )
        .unwrap(),
    );
}

/// USDT's decimals (the token `write_transfers` uses), as a tokens table spec: the
/// deposit heuristic counts receipts of tokens with known decimals only.
fn usdt_tokens(dir: &std::path::Path) -> String {
    let path = dir.join("tokens.csv");
    std::fs::write(
        &path,
        "address,symbol,name,decimals\n0xdac17f958d2ee523a2206206994597c13d831ec7,USDT,Tether USD,6\n",
    )
    .unwrap();
    format!("k={},chain=ethereum", path.display())
}

fn write_labels(path: &std::path::Path, rows: &[(&str, &str)]) {
    let mut s = String::from("address,entity,category,source,confidence\n");
    for (a, e) in rows {
        s.push_str(&format!("{a},{e},exchange,test,100\n"));
    }
    std::fs::write(path, s).unwrap();
}

async fn clustered(
    dir: &std::path::Path,
    tables: &[String],
    labels: Option<&std::path::Path>,
    engine: CcEngine,
) -> Session {
    clustered_in(dir, tables, labels, engine, 0).await
}

/// [`clustered`] with the edges and node joins built in `passes` slices (0: as sized).
async fn clustered_in(
    dir: &std::path::Path,
    tables: &[String],
    labels: Option<&std::path::Path>,
    engine: CcEngine,
    passes: usize,
) -> Session {
    let mut cfg = config_of(tables, labels);
    cfg.cluster.engine = engine;
    cfg.cluster.deposit_passes = passes;
    cfg.cluster.node_passes = passes;
    let tag = match passes {
        0 => format!("{engine:?}"),
        n => format!("{engine:?}-{n}"),
    };
    cluster_into(&cfg, dir, &tag).await
}

/// A config over these tables (`name=URL[,…]` specs) and labels file.
fn config_of(tables: &[String], labels: Option<&std::path::Path>) -> ChainstatConfig {
    let refs: Vec<&str> = tables.iter().map(String::as_str).collect();
    let mut cfg: ChainstatConfig = config(&refs);
    if let Some(l) = labels {
        cfg.labels
            .push(chainstat_io::LabelsSpec::new(l.display().to_string()));
    }
    cfg
}

/// Opens a session on `cfg` and clusters into `dir/work-<tag>` and `dir/out-<tag>`.
async fn cluster_into(cfg: &ChainstatConfig, dir: &std::path::Path, tag: &str) -> Session {
    let s = Session::open(cfg.clone(), None).await.expect("session");
    let work = dir.join(format!("work-{tag}")).display().to_string();
    let out = dir.join(format!("out-{tag}")).display().to_string();
    chainstat_cluster::run(&s.ctx, &cfg.cluster, &work, &out)
        .await
        .expect("clustering runs");
    s
}

async fn cluster_of(s: &Session, chain: &str, a: &str) -> String {
    scalar(
        s,
        &format!(
            "SELECT cluster_id FROM address_clusters WHERE chain = '{chain}' AND address = '{a}'"
        ),
    )
    .await
}

async fn cid(s: &Session, n: u8) -> String {
    cluster_of(s, "bitcoin", &btc(n)).await
}

/// (transaction, address, satoshi) rows.
type UtxoRows = Vec<(u64, String, i64)>;

fn utxo_case() -> (UtxoRows, UtxoRows) {
    let (a, b, c, d, e, f, g, h, i) = (
        btc(1),
        btc(2),
        btc(3),
        btc(4),
        btc(5),
        btc(6),
        btc(7),
        btc(8),
        btc(9),
    );
    let x = btc(20);
    let inputs = vec![
        // t1: ordinary payment from A and B: one owner.
        (1, a.clone(), 1_000_000),
        (1, b.clone(), 2_000_000),
        // t2: CoinJoin: 3 participants, 5 outputs, 3 equal outputs of 0.01 BTC.
        (2, c.clone(), 1_100_000),
        (2, d.clone(), 1_200_000),
        (2, e.clone(), 1_300_000),
        // t3: B again with F: F joins A and B.
        (3, b.clone(), 500_000),
        (3, f.clone(), 500_000),
        // t4: looks like a CoinJoin but its equal outputs are 546-sat dust: not one.
        (4, g.clone(), 10_000),
        (4, h.clone(), 10_000),
        (4, i.clone(), 10_000),
    ];
    let outputs = vec![
        (1, x.clone(), 2_900_000),
        (2, btc(21), 1_000_000),
        (2, btc(22), 1_000_000),
        (2, btc(23), 1_000_000),
        (2, btc(24), 95_000),
        (2, btc(25), 190_000),
        (3, x.clone(), 990_000),
        (4, btc(26), 546),
        (4, btc(27), 546),
        (4, btc(28), 546),
        (4, btc(29), 20_000),
        (4, btc(30), 7_000),
    ];
    (inputs, outputs)
}

#[tokio::test]
async fn multi_input_merges_payments_but_not_coinjoins() {
    let dir = tempfile::tempdir().unwrap();
    let (ins, outs) = utxo_case();
    write_utxo(dir.path(), &ins, &outs);
    let tables = vec![
        format!("i={}/inputs/", dir.path().display()),
        format!("o={}/outputs/", dir.path().display()),
    ];
    for engine in [CcEngine::UnionFind, CcEngine::Star] {
        let s = clustered(dir.path(), &tables, None, engine).await;
        let c = |n: u8| cid(&s, n);
        assert_eq!(c(1).await, c(2).await, "{engine:?}: A~B");
        assert_eq!(c(1).await, c(6).await, "{engine:?}: A~F through B");
        assert_eq!(
            c(1).await,
            format!("bitcoin:{}", [btc(1), btc(2), btc(6)].iter().min().unwrap())
        );
        assert_ne!(
            c(3).await,
            c(4).await,
            "{engine:?}: CoinJoin merged C and D"
        );
        assert_ne!(
            c(4).await,
            c(5).await,
            "{engine:?}: CoinJoin merged D and E"
        );
        assert_eq!(
            c(7).await,
            c(8).await,
            "{engine:?}: dust outputs are no CoinJoin"
        );
        assert_eq!(c(8).await, c(9).await);
        assert_eq!(
            scalar(
                &s,
                &format!(
                    "SELECT size FROM clusters WHERE cluster_id = '{}'",
                    c(1).await
                )
            )
            .await,
            "3"
        );
    }
}

#[tokio::test]
async fn label_conflicts_keep_labelled_addresses_apart() {
    let dir = tempfile::tempdir().unwrap();
    let (ins, outs) = utxo_case();
    write_utxo(dir.path(), &ins, &outs);
    let labels = dir.path().join("labels.csv");
    write_labels(
        &labels,
        &[
            (&btc(1), "binance"),
            (&btc(6), "okx"),
            (&btc(7), "kraken"),
            (&btc(9), "kraken"),
        ],
    );
    let tables = vec![
        format!("i={}/inputs/", dir.path().display()),
        format!("o={}/outputs/", dir.path().display()),
    ];
    let mut results = Vec::new();
    // Union-find, star, and union-find with the edges and node joins in 3 passes.
    for (engine, passes) in [
        (CcEngine::UnionFind, 0),
        (CcEngine::Star, 0),
        (CcEngine::UnionFind, 3),
    ] {
        let s = clustered_in(dir.path(), &tables, Some(&labels), engine, passes).await;
        let c = |n: u8| cid(&s, n);
        // A (binance) and F (okx) were one component through B: kept apart, reported.
        assert_ne!(c(1).await, c(6).await, "{engine:?}");
        assert_ne!(c(1).await, c(2).await, "{engine:?}");
        let warn = rows(
            &s,
            "SELECT kind, detail FROM cluster_warnings WHERE kind = 'label_conflict'",
        )
        .await;
        assert_eq!(warn.len(), 1, "{warn:?}");
        assert!(warn[0].contains("binance, okx"), "{warn:?}");
        // G, H, I share kraken's label on G and I: no conflict, one labelled cluster.
        assert_eq!(c(7).await, c(8).await);
        assert_eq!(
            scalar(
                &s,
                &format!(
                    "SELECT label FROM clusters WHERE cluster_id = '{}'",
                    c(7).await
                )
            )
            .await,
            "kraken"
        );
        assert_eq!(
            scalar(
                &s,
                &format!(
                    "SELECT label_conflict FROM clusters WHERE cluster_id = '{}'",
                    c(1).await
                )
            )
            .await,
            "true"
        );
        results.push(
            rows(
                &s,
                "SELECT chain, address, cluster_id FROM address_clusters ORDER BY address",
            )
            .await,
        );
    }
    assert_eq!(results[0], results[1]);
    assert_eq!(results[0], results[2]);
}

#[tokio::test]
async fn deposit_reuse_merges_depositors_but_not_payment_processor_payers() {
    let dir = tempfile::tempdir().unwrap();
    let (w1, w2) = (evm(0xa1), evm(0xa2));
    let (s1, s2, d1) = (evm(1), evm(2), evm(0xd1));
    let (s3, s4, p) = (evm(3), evm(4), evm(0xee));
    let (s5, d2, s6, d3) = (evm(5), evm(0xd2), evm(6), evm(0xd3));
    let data = vec![
        (1, s1.clone(), d1.clone(), 100_000_000, 1_000_000),
        (2, d1.clone(), w1.clone(), 100_000_000, 1_000_100),
        (3, s2.clone(), d1.clone(), 50_000_000, 1_002_000),
        (4, d1.clone(), w1.clone(), 49_900_000, 1_002_100),
        // A payment processor: forwards to two different exchanges.
        (5, s3.clone(), p.clone(), 70_000_000, 1_003_000),
        (6, s4.clone(), p.clone(), 80_000_000, 1_003_000),
        (7, p.clone(), w1.clone(), 70_000_000, 1_003_050),
        (8, p.clone(), w2.clone(), 80_000_000, 1_003_060),
        // Forward outside the time window, and a partial forward: no deposit.
        (9, s5.clone(), d2.clone(), 10_000_000, 1_004_000),
        (10, s1.clone(), d2.clone(), 10_000_000, 1_004_000),
        (
            11,
            d2.clone(),
            w1.clone(),
            10_000_000,
            1_004_000 + 3 * 86_400,
        ),
        (12, s6.clone(), d3.clone(), 100_000_000, 1_005_000),
        (13, s2.clone(), d3.clone(), 100_000_000, 1_005_000),
        (14, d3.clone(), w1.clone(), 50_000_000, 1_005_010),
    ];
    write_transfers(&dir.path().join("t/part-0.parquet"), &data);
    let labels = dir.path().join("labels.csv");
    write_labels(&labels, &[(&w1, "binance"), (&w2, "okx")]);
    let tables = vec![
        format!("t={}/t/", dir.path().display()),
        usdt_tokens(dir.path()),
    ];
    let mut all = Vec::new();
    for engine in [CcEngine::UnionFind, CcEngine::Star] {
        let s = clustered(dir.path(), &tables, Some(&labels), engine).await;
        let c = |a: String| {
            let s = &s;
            async move { cluster_of(s, "ethereum", &a).await }
        };
        assert_eq!(
            c(s1.clone()).await,
            c(s2.clone()).await,
            "{engine:?}: depositors of D1"
        );
        assert_eq!(
            c(d1.clone()).await,
            c(w1.clone()).await,
            "{engine:?}: D1 belongs to binance"
        );
        assert_ne!(
            c(s3.clone()).await,
            c(s4.clone()).await,
            "{engine:?}: payment processor payers merged"
        );
        assert_ne!(c(p.clone()).await, c(w1.clone()).await, "{engine:?}");
        assert_ne!(
            c(d2.clone()).await,
            c(w1.clone()).await,
            "{engine:?}: outside window"
        );
        assert_ne!(
            c(d3.clone()).await,
            c(w1.clone()).await,
            "{engine:?}: partial forward"
        );
        assert_ne!(c(s5.clone()).await, c(s1.clone()).await, "{engine:?}");
        assert_ne!(c(s6.clone()).await, c(s2.clone()).await, "{engine:?}");
        assert_eq!(
            scalar(
                &s,
                &format!(
                    "SELECT label FROM clusters WHERE cluster_id = '{}'",
                    c(d1.clone()).await
                )
            )
            .await,
            "binance"
        );
        let ev = rows(
            &s,
            "SELECT heuristic, detail FROM cluster_edges WHERE heuristic = 'deposit_reuse'",
        )
        .await;
        assert_eq!(ev, vec![format!("deposit_reuse|{d1}")]);
        all.push(
            rows(
                &s,
                "SELECT address, cluster_id FROM address_clusters ORDER BY address",
            )
            .await,
        );
    }
    assert_eq!(all[0], all[1]);
}

#[tokio::test]
async fn explain_prints_the_chain_of_evidence() {
    let dir = tempfile::tempdir().unwrap();
    let (ins, outs) = utxo_case();
    write_utxo(dir.path(), &ins, &outs);
    let tables = vec![
        format!("i={}/inputs/", dir.path().display()),
        format!("o={}/outputs/", dir.path().display()),
    ];
    let s = clustered(dir.path(), &tables, None, CcEngine::UnionFind).await;
    match explain(&s.ctx, "bitcoin", &btc(1), &btc(6)).await.unwrap() {
        Explanation::Linked { hops, .. } => {
            assert!(!hops.is_empty() && hops.len() <= 3, "{hops:?}");
            assert_eq!(hops.first().unwrap().from, btc(1));
            assert_eq!(hops.last().unwrap().to, btc(6));
            assert!(hops.iter().all(|h| h.heuristic == "multi_input"));
            let evidence: Vec<&str> = hops.iter().map(|h| h.evidence.as_str()).collect();
            assert!(evidence.contains(&tx(3).as_str()), "{evidence:?}");
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        explain(&s.ctx, "bitcoin", &btc(1), &btc(3)).await.unwrap(),
        Explanation::NotLinked { .. }
    ));
    // The CLI says the same.
    let out = std::process::Command::new(chainstat_bin())
        .args(["cluster", "--out"])
        .arg(dir.path().join("out-UnionFind"))
        .args(["explain", &btc(1), &btc(3)])
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&out.stdout).starts_with("not linked"),
        "{out:?}"
    );
}

#[tokio::test]
async fn real_block_277647_same_clusters_from_both_engines() {
    let dir = tempfile::tempdir().unwrap();
    let tables = vec![
        format!("i={}", fixture("bitcoin/inputs/")),
        format!("o={}", fixture("bitcoin/outputs/")),
    ];
    let uf = clustered(dir.path(), &tables, None, CcEngine::UnionFind).await;
    let st = clustered(dir.path(), &tables, None, CcEngine::Star).await;
    let q = "SELECT chain, address, cluster_id FROM address_clusters ORDER BY address";
    let a = rows(&uf, q).await;
    assert!(a.len() > 700, "{}", a.len());
    assert_eq!(a, rows(&st, q).await);
    // Every input address of each non-CoinJoin transaction ends in one cluster.
    let cj = chainstat_cluster::heuristics::coinjoin_sql(&ClusterParams::default());
    assert_eq!(
        scalar(
            &uf,
            &format!(
                "SELECT count(*) FROM (SELECT i.tx_hash FROM utxo_inputs i \
                 JOIN address_clusters c ON c.address = i.address \
                 LEFT JOIN ({cj}) cj ON cj.tx_hash = i.tx_hash WHERE cj.tx_hash IS NULL \
                 GROUP BY i.tx_hash HAVING count(DISTINCT c.cluster_id) > 1)"
            )
        )
        .await,
        "0"
    );
    // 115 multi-input transactions in the block; their links are the only merges.
    assert_eq!(
        scalar(&uf, "SELECT count(DISTINCT evidence) FROM cluster_edges WHERE heuristic = 'multi_input'").await,
        scalar(
            &uf,
            &format!(
                "SELECT count(*) FROM (SELECT tx_hash FROM utxo_inputs GROUP BY tx_hash \
                 HAVING count(DISTINCT address) > 1) t LEFT JOIN ({cj}) cj ON cj.tx_hash = t.tx_hash \
                 WHERE cj.tx_hash IS NULL"
            )
        )
        .await
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn engines_agree_on_a_generated_graph_of_1m_edges() {
    let dir = tempfile::tempdir().unwrap();
    let ctx = datafusion::prelude::SessionContext::new();
    // 1.2M pseudo-random edges over 1M nodes plus a 20k-long path (deep for the star
    // engine), deterministic.
    let edges = dir.path().join("edges");
    ctx.sql(
        "SELECT CAST((value * 2654435761) % 1000003 % 1000000 AS BIGINT) AS a, \
                CAST((value * 40503 + 12345) % 999983 % 1000000 AS BIGINT) AS b \
         FROM range(0, 1200000) \
         UNION ALL SELECT CAST(value AS BIGINT) AS a, CAST(value + 1 AS BIGINT) AS b FROM range(0, 20000)",
    )
    .await
    .unwrap()
    .write_parquet(&edges.display().to_string(), datafusion::dataframe::DataFrameWriteOptions::new(), None)
    .await
    .unwrap();
    let mut results = Vec::new();
    for engine in [CcEngine::UnionFind, CcEngine::Star] {
        let ctx = datafusion::prelude::SessionContext::new();
        ctx.register_parquet("e", &edges.display().to_string(), Default::default())
            .await
            .unwrap();
        ctx.sql("CREATE VIEW n AS SELECT CAST(value AS BIGINT) AS id FROM range(0, 1000000)")
            .await
            .unwrap()
            .collect()
            .await
            .unwrap();
        let params = ClusterParams {
            engine,
            ..Default::default()
        };
        let work = dir
            .path()
            .join(format!("w-{engine:?}"))
            .display()
            .to_string();
        let stats = chainstat_cluster::components::run(&ctx, &params, "n", "e", "labels", &work)
            .await
            .unwrap();
        assert!(stats.edges >= 1_000_000, "{stats:?}");
        let out = dir
            .path()
            .join(format!("labels-{engine:?}"))
            .display()
            .to_string();
        ctx.sql("SELECT id, root FROM labels")
            .await
            .unwrap()
            .write_parquet(
                &out,
                datafusion::dataframe::DataFrameWriteOptions::new(),
                None,
            )
            .await
            .unwrap();
        results.push(out);
    }
    let ctx = datafusion::prelude::SessionContext::new();
    ctx.register_parquet("u", &results[0], Default::default())
        .await
        .unwrap();
    ctx.register_parquet("s", &results[1], Default::default())
        .await
        .unwrap();
    let diff = ctx
        .sql("SELECT count(*) FROM u FULL JOIN s ON u.id = s.id WHERE u.root IS DISTINCT FROM s.root")
        .await
        .unwrap()
        .collect()
        .await
        .unwrap();
    assert_eq!(to_text(&diff), vec!["0"]);
    let n = ctx
        .sql("SELECT count(*), count(DISTINCT root) FROM u")
        .await
        .unwrap()
        .collect()
        .await
        .unwrap();
    let t = to_text(&n);
    assert!(t[0].starts_with("1000000|"), "{t:?}");
}

#[tokio::test]
async fn a_single_link_between_two_large_clusters_is_reported_and_can_be_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut ins = Vec::new();
    for i in 40..50u8 {
        ins.push((50, btc(i), 1_000));
    }
    for i in 50..60u8 {
        ins.push((51, btc(i), 1_000));
    }
    // One transaction spends from both groups: the only link between them.
    ins.push((52, btc(45), 1_000));
    ins.push((52, btc(55), 1_000));
    let outs = vec![
        (50, btc(70), 9_000),
        (51, btc(71), 9_000),
        (52, btc(72), 1_500),
    ];
    write_utxo(dir.path(), &ins, &outs);
    let tables = [
        format!("i={}/inputs/", dir.path().display()),
        format!("o={}/outputs/", dir.path().display()),
    ];
    for (policy, engine) in [
        ("report", CcEngine::UnionFind),
        ("refuse", CcEngine::Star),
        ("refuse", CcEngine::UnionFind),
    ] {
        let refs: Vec<&str> = tables.iter().map(String::as_str).collect();
        let mut cfg = config(&refs);
        cfg.cluster.engine = engine;
        cfg.cluster.max_cluster_size = 15;
        cfg.cluster.bridge_min_side = 5;
        cfg.cluster.supercluster_policy = match policy {
            "refuse" => chainstat_cluster::params::SuperclusterPolicy::Refuse,
            _ => chainstat_cluster::params::SuperclusterPolicy::Report,
        };
        let s = cluster_into(&cfg, dir.path(), &format!("{policy}-{engine:?}")).await;
        let w = rows(
            &s,
            "SELECT detail FROM cluster_warnings WHERE kind = 'merge_bridge'",
        )
        .await;
        assert_eq!(w.len(), 1, "{policy} {engine:?}: {w:?}");
        assert!(
            w[0].contains(&format!(
                "multi_input link {} joins parts of 10 and 10 addresses",
                tx(52)
            )),
            "{w:?}"
        );
        let same =
            cluster_of(&s, "bitcoin", &btc(41)).await == cluster_of(&s, "bitcoin", &btc(51)).await;
        assert_eq!(same, policy == "report", "{policy} {engine:?}");
        if policy == "refuse" {
            assert!(w[0].contains("refused"), "{w:?}");
        } else {
            assert_eq!(
                scalar(
                    &s,
                    "SELECT count(*) FROM cluster_warnings WHERE kind = 'size_above_threshold'"
                )
                .await,
                "1"
            );
        }
    }
}

#[tokio::test]
async fn change_heuristic_links_only_unambiguous_change_and_is_off_by_default() {
    let dir = tempfile::tempdir().unwrap();
    let (a, c, e, p, z) = (btc(80), btc(81), btc(82), btc(83), btc(84));
    let ins = vec![
        (59, z.clone(), 3_000_000),
        // A pays P (seen before, round amount) and gets change on a fresh address C.
        (60, a.clone(), 2_000_000),
        // E pays two fresh, non-round outputs: ambiguous, no change.
        (61, e.clone(), 2_000_000),
    ];
    let outs = vec![
        (59, p.clone(), 500_000),
        (59, btc(85), 2_400_000),
        (60, p.clone(), 1_000_000),
        (60, c.clone(), 987_654),
        (61, btc(86), 123_457),
        (61, btc(87), 234_567),
    ];
    write_utxo(dir.path(), &ins, &outs);
    let tables = [
        format!("i={}/inputs/", dir.path().display()),
        format!("o={}/outputs/", dir.path().display()),
    ];
    let refs: Vec<&str> = tables.iter().map(String::as_str).collect();
    // The last run builds the edges (change included, by transaction) and the node joins
    // in 3 passes: the outputs an address had before counts outputs of every slice.
    for (change, passes) in [(false, 0), (true, 0), (true, 3)] {
        let mut cfg = config(&refs);
        cfg.cluster.change = change;
        cfg.cluster.deposit_passes = passes;
        cfg.cluster.node_passes = passes;
        let s = cluster_into(&cfg, dir.path(), &format!("{change}-{passes}")).await;
        let linked = cid(&s, 80).await == cid(&s, 81).await;
        assert_eq!(linked, change, "change = {change}");
        assert_ne!(cid(&s, 86).await, cid(&s, 87).await);
        assert_ne!(cid(&s, 82).await, cid(&s, 86).await);
        assert_ne!(
            cid(&s, 80).await,
            cid(&s, 83).await,
            "the payee is not change"
        );
        if change {
            assert_eq!(
                rows(
                    &s,
                    "SELECT heuristic, evidence FROM cluster_edges WHERE heuristic = 'change'"
                )
                .await,
                vec![format!("change|{}", tx(60))]
            );
        }
    }
}

/// A valid P2PKH address made from `i` (more of them than [`btc`] has).
fn btc2(i: u16) -> String {
    let mut payload = [7u8; 21];
    payload[0] = 0;
    payload[1..3].copy_from_slice(&i.to_be_bytes());
    base58check::encode(&payload)
}

/// Clusters with `change` applied to the default parameters; the session and summary.
async fn cluster_with(
    dir: &std::path::Path,
    tables: &[String],
    labels: Option<&std::path::Path>,
    tag: &str,
    change: impl FnOnce(&mut ClusterParams),
) -> (Session, chainstat_cluster::ClusterSummary) {
    let mut cfg = config_of(tables, labels);
    change(&mut cfg.cluster);
    let s = Session::open(cfg.clone(), None).await.expect("session");
    // USDT at $1 on the first 30 days of 1970, where the hand-built times fall: what the
    // deposit heuristic's dust floor reads (the job defines `prices` from its file).
    s.ctx
        .sql(&format!(
            "CREATE VIEW prices AS SELECT CAST(to_timestamp(value * 86400) AS DATE) AS day, \
             'ethereum' AS chain, '{USDT}' AS asset, 1.0 AS price_usd FROM range(0, 30)"
        ))
        .await
        .unwrap()
        .collect()
        .await
        .unwrap();
    let work = dir.join(format!("work-{tag}")).display().to_string();
    let out = dir.join(format!("out-{tag}")).display().to_string();
    let summary = chainstat_cluster::run(&s.ctx, &cfg.cluster, &work, &out)
        .await
        .expect("clustering runs");
    (s, summary)
}

/// Deposit reuse counts only real deposits and never merges a service: a spammer sends
/// every deposit address zero-value "poisoning" transfers, dust, an unpriced spam token
/// that the deposits even forward, and real USDT that they forward; an unlabelled
/// exchange's hot wallet pays withdrawals into deposits of three exchanges; below the
/// service thresholds, a forwarded spam token, a forwarded zero-value pair and
/// forwarded dust. None of it merges two customers. With the service thresholds out of reach, the same data welds
/// the customers together: the rule is what keeps them apart.
#[tokio::test]
async fn spam_dust_poisoning_and_services_into_deposits_merge_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let spam_token = "0x5555555555555555555555555555555555555555";
    let wallets = [evm(0xa1), evm(0xa2), evm(0xa3)];
    let (spammer, hot, second) = (evm(0x5a), evm(0x6b), evm(0x7c));
    let user = |i: u8| evm(0x10 + i);
    let deposit = |i: u8| evm(0x40 + i);
    let mut data = Vec::new();
    let mut tokens = Vec::new();
    let mut tx = 0u64;
    let mut push = |from: &str, to: &str, raw: i64, t: i64, token: &'static str| {
        tx += 1;
        data.push((tx, from.to_string(), to.to_string(), raw, t));
        tokens.push(token);
    };
    for i in 0..24u8 {
        let (u, d, w) = (user(i), deposit(i), &wallets[usize::from(i % 3)]);
        let t0 = 1_000_000 + i64::from(i) * 10_000;
        push(&u, &d, 100_000_000, t0, USDT);
        push(&d, w, 100_000_000, t0 + 100, USDT);
        push(&spammer, &d, 0, t0 + 10, USDT);
        push(&spammer, &d, 10_000, t0 + 20, USDT);
        push(&spammer, &d, 1_000, t0 + 30, spam_token);
        push(&d, w, 1_000, t0 + 40, spam_token);
        push(&spammer, &d, 5_000_000, t0 + 200, USDT);
        push(&d, w, 5_000_000, t0 + 300, USDT);
        if i < 3 {
            push(&hot, &d, 50_000_000, t0 + 400, USDT);
            push(&d, w, 50_000_000, t0 + 500, USDT);
        }
    }
    // Below the service thresholds, the receipts themselves must not count: a spam
    // token the deposits forward, a zero-value pair, and forwarded dust (0.02 USDT).
    let (spam2, zero, duster) = (evm(0x5b), evm(0x5c), evm(0x5d));
    for (i, t) in [(3u8, 1_030_050), (6, 1_060_050)] {
        push(&spam2, &deposit(i), 777, t, spam_token);
        push(&deposit(i), &wallets[0], 777, t + 10, spam_token);
    }
    for (i, t) in [(4u8, 1_040_070), (7, 1_070_070)] {
        push(&zero, &deposit(i), 0, t, USDT);
        push(&deposit(i), &wallets[1], 0, t + 10, USDT);
    }
    for (i, t) in [(9u8, 1_090_090), (12, 1_120_090)] {
        push(&duster, &deposit(i), 20_000, t, USDT);
        push(&deposit(i), &wallets[0], 20_000, t + 10, USDT);
    }
    // A real co-depositor: the first user's second address pays the same deposit.
    push(&second, &deposit(0), 70_000_000, 1_000_600, USDT);
    push(&deposit(0), &wallets[0], 70_000_000, 1_000_700, USDT);
    write_token_transfers(&dir.path().join("t/part-0.parquet"), &data, &tokens);
    let labels = dir.path().join("labels.csv");
    write_labels(
        &labels,
        &[
            (&wallets[0], "binance"),
            (&wallets[1], "okx"),
            (&wallets[2], "kraken"),
        ],
    );
    let tables = vec![
        format!("t={}/t/", dir.path().display()),
        usdt_tokens(dir.path()),
    ];
    let (s, summary) = cluster_with(dir.path(), &tables, Some(&labels), "default", |_| {}).await;
    let users: Vec<String> = (0..24u8).map(user).collect();
    let mut clusters = std::collections::BTreeSet::new();
    for u in &users {
        clusters.insert(cluster_of(&s, "ethereum", u).await);
    }
    assert_eq!(clusters.len(), 24, "customers merged: {clusters:?}");
    for x in [&spammer, &hot, &spam2, &zero, &duster] {
        let c = cluster_of(&s, "ethereum", x).await;
        assert!(!clusters.contains(&c), "{x} merged with a customer");
    }
    assert_eq!(
        cluster_of(&s, "ethereum", &second).await,
        cluster_of(&s, "ethereum", &users[0]).await,
        "a real co-depositor still merges"
    );
    for i in 0..24u8 {
        let w = &wallets[usize::from(i % 3)];
        assert_eq!(
            cluster_of(&s, "ethereum", &deposit(i)).await,
            cluster_of(&s, "ethereum", w).await,
            "deposit {i} still joins its exchange"
        );
    }
    assert_eq!(summary.services, 2, "{summary:?}");
    let services = rows(
        &s,
        "SELECT detail FROM cluster_warnings WHERE kind = 'service_sender' ORDER BY detail",
    )
    .await;
    assert_eq!(services.len(), 2, "{services:?}");
    assert!(
        services[0].starts_with(&format!("{spammer} paid into 24 deposit")),
        "{services:?}"
    );
    assert!(
        services[1].starts_with(&format!("{hot} paid into 3 deposit")),
        "{services:?}"
    );
    // `cluster explain` says why the spammer is not anyone's co-depositor.
    let out = std::process::Command::new(chainstat_bin())
        .args(["cluster", "--out"])
        .arg(dir.path().join("out-default"))
        .args(["explain", &spammer, &users[0]])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains(&format!(
            "note on {spammer}: service_sender: {spammer} paid into 24 deposit"
        )),
        "{out:?}"
    );
    assert!(stdout.contains("not linked"), "{out:?}");

    // Without the service rule the spammer's forwarded USDT welds every customer.
    let (s, _) = cluster_with(dir.path(), &tables, Some(&labels), "no-services", |p| {
        p.service_min_entities = 1_000;
        p.service_min_deposits = 1_000;
    })
    .await;
    assert_eq!(
        cluster_of(&s, "ethereum", &users[1]).await,
        cluster_of(&s, "ethereum", &users[2]).await,
        "the data must exercise the service rule"
    );
}

/// BlockSci's exact count misses a Wasabi 1 round (12 equal outputs, 12 changes and a
/// coordinator fee: p = 13, the mode occurs 12 times) and a Whirlpool round (5 × 5: p =
/// 3); the named rules exclude both and count them, while an ordinary payment still
/// merges its inputs.
#[tokio::test]
async fn coinjoins_with_a_coordinator_fee_or_pool_shape_merge_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut ins = Vec::new();
    let mut outs = Vec::new();
    for i in 0..12u16 {
        ins.push((1, btc2(200 + i), 11_000_000 + i64::from(i) * 7_919));
        outs.push((1, btc2(300 + i), 10_000_000));
        outs.push((1, btc2(320 + i), 900_000 + i64::from(i) * 7_919));
    }
    outs.push((1, btc2(400), 36_000));
    for i in 0..5u16 {
        ins.push((2, btc2(500 + i), 1_000_000 + 5_000 + i64::from(i)));
        outs.push((2, btc2(520 + i), 1_000_000));
    }
    // An ordinary payment: two inputs of one owner, a payment and change.
    ins.push((3, btc2(600), 400_000));
    ins.push((3, btc2(601), 300_000));
    outs.push((3, btc2(602), 500_000));
    outs.push((3, btc2(603), 199_000));
    write_utxo(&dir.path().join("u"), &ins, &outs);
    let tables = vec![
        format!("i={}/u/inputs/", dir.path().display()),
        format!("o={}/u/outputs/", dir.path().display()),
    ];
    let (s, summary) = cluster_with(dir.path(), &tables, None, "default", |_| {}).await;
    let c = |a: String| {
        let s = &s;
        async move { cluster_of(s, "bitcoin", &a).await }
    };
    assert_ne!(
        c(btc2(200)).await,
        c(btc2(201)).await,
        "Wasabi 1 round merged"
    );
    assert_ne!(
        c(btc2(500)).await,
        c(btc2(501)).await,
        "Whirlpool round merged"
    );
    assert_eq!(
        c(btc2(600)).await,
        c(btc2(601)).await,
        "a payment still merges"
    );
    assert_eq!(summary.coinjoins.get("wasabi1"), Some(&1), "{summary:?}");
    assert_eq!(summary.coinjoins.get("whirlpool"), Some(&1), "{summary:?}");
    assert_eq!(summary.coinjoins.values().sum::<u64>(), 2, "{summary:?}");

    let (s, summary) = cluster_with(dir.path(), &tables, None, "blocksci", |p| {
        p.coinjoin_rules = vec![chainstat_cluster::params::CoinJoinRule::Blocksci];
    })
    .await;
    assert_eq!(
        cluster_of(&s, "bitcoin", &btc2(200)).await,
        cluster_of(&s, "bitcoin", &btc2(211)).await,
        "BlockSci's rule alone misses the Wasabi 1 round"
    );
    assert_eq!(summary.coinjoins.get("blocksci"), Some(&0), "{summary:?}");
}

/// A cluster large relative to the data is flagged even far below `max_cluster_size`:
/// 51 unlabelled addresses (30 of them through one 30-input transaction, a hub) against
/// clusters of 2. It is reported with its hub; `refuse` drops the hub's links.
#[tokio::test]
async fn a_cluster_large_relative_to_the_data_is_flagged_with_its_hub() {
    let dir = tempfile::tempdir().unwrap();
    let mut ins = Vec::new();
    let mut outs = Vec::new();
    for i in 0..30u16 {
        ins.push((1, btc2(100 + i), 100_000));
    }
    outs.push((1, btc2(900), 2_900_000));
    for k in 0..21u16 {
        let tx = 10 + u64::from(k);
        ins.push((tx, btc2(129 + k), 50_000));
        ins.push((tx, btc2(130 + k), 50_000));
        outs.push((tx, btc2(901 + k), 99_000));
    }
    for k in 0..3u16 {
        let tx = 50 + u64::from(k);
        ins.push((tx, btc2(500 + 2 * k), 50_000));
        ins.push((tx, btc2(501 + 2 * k), 50_000));
        outs.push((tx, btc2(950 + k), 99_000));
    }
    write_utxo(&dir.path().join("u"), &ins, &outs);
    let tables = vec![
        format!("i={}/u/inputs/", dir.path().display()),
        format!("o={}/u/outputs/", dir.path().display()),
    ];
    let small = |p: &mut ClusterParams| {
        p.supercluster_min_size = 20;
        p.hub_min_links = 10;
    };
    let (s, summary) = cluster_with(dir.path(), &tables, None, "report", small).await;
    assert_eq!(summary.superclusters, 1, "{summary:?}");
    let btc_sizes = summary.sizes.iter().find(|x| x.chain == "bitcoin").unwrap();
    assert_eq!(btc_sizes.largest.first(), Some(&51), "{btc_sizes:?}");
    assert_eq!(btc_sizes.largest_unlabelled, 51, "{btc_sizes:?}");
    let big = cluster_of(&s, "bitcoin", &btc2(100)).await;
    let w = rows(
        &s,
        "SELECT cluster_id, size, detail FROM cluster_warnings WHERE kind = 'supercluster'",
    )
    .await;
    assert_eq!(w.len(), 1, "{w:?}");
    assert!(w[0].starts_with(&format!("{big}|51|")), "{w:?}");
    assert!(
        w[0].contains("supercluster: 51 addresses, unlabelled"),
        "{w:?}"
    );
    assert!(
        w[0].contains(&format!("multi_input {} (30 links)", tx(1))),
        "{w:?}"
    );

    // Not flagged when the relative tests are out of reach: the flag is theirs.
    let (_, summary) = cluster_with(dir.path(), &tables, None, "lenient", |p| {
        small(p);
        p.supercluster_ratio = 1_000.0;
        p.supercluster_share = 1.0;
    })
    .await;
    assert_eq!(summary.superclusters, 0, "{summary:?}");

    let (s, _) = cluster_with(dir.path(), &tables, None, "refuse", |p| {
        small(p);
        p.supercluster_policy = chainstat_cluster::params::SuperclusterPolicy::Refuse;
    })
    .await;
    assert_ne!(
        cluster_of(&s, "bitcoin", &btc2(100)).await,
        cluster_of(&s, "bitcoin", &btc2(101)).await,
        "refuse drops the hub transaction's links"
    );
}

/// An unlabelled cold wallet that only trades with one exchange's labelled wallet joins
/// that exchange, so its round trips are internal; a customer who also pays others
/// does not.
#[tokio::test]
async fn a_cold_wallets_round_trips_make_it_the_exchanges() {
    let dir = tempfile::tempdir().unwrap();
    let (w, cold, customer, friend) = (evm(0xa1), evm(0xc0), evm(0x11), evm(0x12));
    let data = vec![
        (1, w.clone(), cold.clone(), 1_000_000_000, 1_000_000),
        (2, w.clone(), cold.clone(), 500_000_000, 1_100_000),
        (3, cold.clone(), w.clone(), 300_000_000, 1_200_000),
        (4, cold.clone(), w.clone(), 200_000_000, 1_300_000),
        (5, w.clone(), customer.clone(), 100_000_000, 1_000_000),
        (6, w.clone(), customer.clone(), 100_000_000, 1_100_000),
        (7, customer.clone(), w.clone(), 50_000_000, 1_200_000),
        (8, customer.clone(), w.clone(), 50_000_000, 1_300_000),
        (9, customer.clone(), friend.clone(), 100_000_000, 1_400_000),
    ];
    write_transfers(&dir.path().join("t/part-0.parquet"), &data);
    // The same on Bitcoin: hot → cold with change, cold → hot with change; a customer
    // who is paid twice by the hot wallet and pays it back once, but pays others more.
    let (hot, vault, payee) = (btc2(1), btc2(2), btc2(3));
    let (btc_customer, other) = (btc2(4), btc2(5));
    let ins = vec![
        (1, hot.clone(), 1_000_000_000),
        (2, hot.clone(), 590_000_000),
        (3, vault.clone(), 400_000_000),
        (4, vault.clone(), 300_000_000),
        (5, hot.clone(), 280_000_000),
        (6, hot.clone(), 179_000_000),
        (7, btc_customer.clone(), 100_000_000),
        (8, btc_customer.clone(), 100_000_000),
    ];
    let outs = vec![
        (1, vault.clone(), 400_000_000),
        (1, hot.clone(), 590_000_000),
        (2, vault.clone(), 300_000_000),
        (2, hot.clone(), 289_000_000),
        (3, hot.clone(), 200_000_000),
        (3, vault.clone(), 199_000_000),
        (4, hot.clone(), 299_000_000),
        (5, btc_customer.clone(), 100_000_000),
        (5, hot.clone(), 179_000_000),
        (6, btc_customer.clone(), 100_000_000),
        (6, payee.clone(), 78_000_000),
        (7, hot.clone(), 20_000_000),
        (7, other.clone(), 79_000_000),
        (8, hot.clone(), 20_000_000),
        (8, other.clone(), 79_000_000),
    ];
    write_utxo(&dir.path().join("u"), &ins, &outs);
    let labels = dir.path().join("labels.csv");
    write_labels(&labels, &[(&w, "binance"), (&hot, "binance")]);
    let tables = vec![
        format!("t={}/t/", dir.path().display()),
        usdt_tokens(dir.path()),
        format!("i={}/u/inputs/", dir.path().display()),
        format!("o={}/u/outputs/", dir.path().display()),
    ];
    let (s, summary) = cluster_with(dir.path(), &tables, Some(&labels), "default", |_| {}).await;
    assert_eq!(
        cluster_of(&s, "ethereum", &cold).await,
        cluster_of(&s, "ethereum", &w).await
    );
    assert_ne!(
        cluster_of(&s, "ethereum", &customer).await,
        cluster_of(&s, "ethereum", &w).await
    );
    assert_eq!(
        cluster_of(&s, "bitcoin", &vault).await,
        cluster_of(&s, "bitcoin", &hot).await
    );
    assert_ne!(
        cluster_of(&s, "bitcoin", &btc_customer).await,
        cluster_of(&s, "bitcoin", &hot).await
    );
    assert_eq!(summary.treasury_wallets, 2, "{summary:?}");
    assert_eq!(
        rows(
            &s,
            "SELECT address_b, detail FROM cluster_edges WHERE heuristic = 'treasury' \
             ORDER BY chain"
        )
        .await,
        vec![format!("{vault}|binance"), format!("{cold}|binance")]
    );
    let (s, _) = cluster_with(dir.path(), &tables, Some(&labels), "off", |p| {
        p.treasury = false;
    })
    .await;
    assert_ne!(
        cluster_of(&s, "ethereum", &cold).await,
        cluster_of(&s, "ethereum", &w).await
    );
    assert_ne!(
        cluster_of(&s, "bitcoin", &vault).await,
        cluster_of(&s, "bitcoin", &hot).await
    );
}

/// Undated exports (tronetl without a blocks table) fall back to the deposit window in
/// the chain's blocks: a day is 28,800 TRON blocks but 7,200 Ethereum ones. The same
/// sweep 10,000 blocks after the deposit (8.3 h on TRON, 33 h on Ethereum) makes a
/// deposit address on TRON and none on Ethereum.
#[tokio::test]
async fn undated_deposit_windows_are_counted_in_each_chains_blocks() {
    let dir = tempfile::tempdir().unwrap();
    let tron = |i: u8| {
        let mut b = [0x41u8; 21];
        b[1..].copy_from_slice(&[i; 20]);
        chainstat_chain::tron::to_base58(&b)
    };
    let usdt_tron = "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t";
    // (tx, from, to, value, block): two customers pay D, which D sweeps to W.
    let rows = |a: &dyn Fn(u8) -> String| {
        vec![
            (1u64, a(1), a(0xd1), 100_000_000u64, 1_000i64),
            (2, a(0xd1), a(0xa1), 100_000_000, 11_000),
            (3, a(2), a(0xd1), 50_000_000, 2_000),
            (4, a(0xd1), a(0xa1), 50_000_000, 12_000),
        ]
    };
    let csv = |token: &str, rows: &[(u64, String, String, u64, i64)]| {
        let mut s = String::from(
            "block_number,transaction_hash,log_index,token_address,from_address,to_address,value\n",
        );
        for r in rows {
            s.push_str(&format!(
                "{},{},0,{token},{},{},{}\n",
                r.4,
                tx(r.0),
                r.1,
                r.2,
                r.3
            ));
        }
        s
    };
    std::fs::create_dir_all(dir.path().join("tron")).unwrap();
    std::fs::create_dir_all(dir.path().join("eth")).unwrap();
    std::fs::write(
        dir.path().join("tron/token_transfer.csv"),
        csv(usdt_tron, &rows(&tron)),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("eth/token_transfer.csv"),
        csv(USDT, &rows(&evm)),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("tokens.csv"),
        format!(
            "address,symbol,name,decimals\n{usdt_tron},USDT,Tether USD,6\n{USDT},USDT,Tether USD,6\n"
        ),
    )
    .unwrap();
    let labels = dir.path().join("labels.csv");
    std::fs::write(
        &labels,
        format!(
            "address,entity,category,source,confidence,chain\n{},binance,exchange,test,100,tron\n{},binance,exchange,test,100,ethereum\n",
            tron(0xa1),
            evm(0xa1)
        ),
    )
    .unwrap();
    let tables = vec![
        format!("tr={}/tron/", dir.path().display()),
        format!("et={}/eth/,chain=ethereum", dir.path().display()),
        format!("k={}/tokens.csv,chain=tron", dir.path().display()),
        format!("k2={}/tokens.csv,chain=ethereum", dir.path().display()),
    ];
    let s = clustered(dir.path(), &tables, Some(&labels), CcEngine::UnionFind).await;
    assert_eq!(
        scalar(
            &s,
            "SELECT count(*) FROM transfers WHERE block_time IS NULL"
        )
        .await,
        "8"
    );
    assert_eq!(
        cluster_of(&s, "tron", &tron(0xd1)).await,
        cluster_of(&s, "tron", &tron(0xa1)).await,
        "TRON: swept within a day of blocks"
    );
    assert_eq!(
        cluster_of(&s, "tron", &tron(1)).await,
        cluster_of(&s, "tron", &tron(2)).await,
        "TRON: co-depositors"
    );
    assert_ne!(
        cluster_of(&s, "ethereum", &evm(0xd1)).await,
        cluster_of(&s, "ethereum", &evm(0xa1)).await,
        "Ethereum: 10,000 blocks is more than a day"
    );
}
