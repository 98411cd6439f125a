//! The same SQL on a real Ballista cluster: a `chainstat scheduler` and two
//! `chainstat executor` processes on 127.0.0.1 must return exactly the rows of the
//! embedded engine, for queries using chainstat's functions and canonical views, from
//! local files and from S3.

use std::io::{Read, Write};
use std::process::{Command, Stdio};

use chainstat_engine::Session;

use crate::common::*;
use crate::s3::{S3Server, PROBE};

struct Cluster {
    _procs: Vec<ChildGuard>,
    url: String,
    _work: tempfile::TempDir,
}

fn ready(addr: &str) -> bool {
    let Ok(mut s) = std::net::TcpStream::connect(addr) else {
        return false;
    };
    if s.write_all(b"GET /readyz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .is_err()
    {
        return false;
    }
    let mut buf = Vec::new();
    let _ = s.read_to_end(&mut buf);
    buf.starts_with(b"HTTP/1.1 200")
}

fn start_cluster(config: Option<&std::path::Path>) -> Cluster {
    let work = tempfile::tempdir().unwrap();
    let sport = free_port();
    let mut procs = Vec::new();
    let mut sched = Command::new(chainstat_bin());
    sched.args(["scheduler", "--port", &sport.to_string()]);
    if let Some(c) = config {
        sched.arg("--config").arg(c);
    }
    let log = |name: &str| {
        std::fs::File::create(work.path().join(name))
            .map(Stdio::from)
            .unwrap_or_else(|_| Stdio::null())
    };
    procs.push(ChildGuard(
        sched
            .stdout(Stdio::null())
            .stderr(log("scheduler.log"))
            .spawn()
            .expect("scheduler"),
    ));
    assert!(
        wait_for_port(&format!("127.0.0.1:{sport}"), 30),
        "scheduler did not start"
    );
    for i in 0..2 {
        let eport = free_port();
        let mut ex = Command::new(chainstat_bin());
        ex.args(["executor", "--port", &eport.to_string()])
            .args(["--scheduler", &format!("127.0.0.1:{sport}")])
            .args(["--vcores", "2", "--memory", "1g"])
            .arg("--work-dir")
            .arg(work.path().join(format!("exec{i}")));
        if let Some(c) = config {
            ex.arg("--config").arg(c);
        }
        procs.push(ChildGuard(
            ex.stdout(Stdio::null())
                .stderr(log(&format!("executor{i}.log")))
                .spawn()
                .expect("executor"),
        ));
        assert!(
            wait_for_port(&format!("127.0.0.1:{eport}"), 30),
            "executor {i} did not start"
        );
    }
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !ready(&format!("127.0.0.1:{sport}")) {
        assert!(
            std::time::Instant::now() < deadline,
            "cluster never became ready"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    Cluster {
        _procs: procs,
        url: format!("df://127.0.0.1:{sport}"),
        _work: work,
    }
}

const UTXO_PROBE: &str = "SELECT btc_address_type(address) AS t, count(*) AS n, \
    CAST(sum(value_sat) AS VARCHAR) AS v FROM utxo_outputs GROUP BY 1 ORDER BY 1";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ballista_cluster_matches_embedded_engine() {
    let cluster = start_cluster(None);
    let tables = [
        format!("eth={}", fixture("ethereum/overlap/")),
        format!("bad={}", fixture("bad/bad_values/token_transfers.parquet")),
        format!("out={}", fixture("bitcoin/outputs/")),
        format!("tr={}", fixture("tron/parquet/")),
        // NDJSON is loaded by the client and staged as Parquet for the executors.
        format!("js={}", fixture("ethereum/etl_json/")),
    ];
    let refs: Vec<&str> = tables.iter().map(String::as_str).collect();
    let remote = Session::open(config(&refs), Some(&cluster.url))
        .await
        .expect("remote session");
    let local = session(&refs).await;
    for q in [
        PROBE,
        UTXO_PROBE,
        "SELECT file, reason, count(*) FROM rejects GROUP BY file, reason ORDER BY file, reason",
        "SELECT source_table, count(*) FROM transfers GROUP BY 1 ORDER BY 1",
        "SELECT tron_to_hex(asset) AS a, count(*) AS n FROM transfers WHERE chain = 'tron' \
         GROUP BY 1 ORDER BY n DESC, a LIMIT 5",
        "SELECT CAST(token_amount(sum(amount_raw), 6, 6) AS VARCHAR) FROM transfers \
         WHERE asset = '0xdac17f958d2ee523a2206206994597c13d831ec7'",
    ] {
        let r = rows(&remote, q).await;
        assert!(!r.is_empty(), "{q}");
        assert_eq!(r, rows(&local, q).await, "{q}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ballista_reads_s3_with_executor_side_credentials() {
    let server = S3Server::start(&["ethereum/etl/token_transfers.parquet"]).await;
    let cfg = server.config(
        &["eth=s3://fixtures/ethereum/etl/"],
        "chainstat-test-secret-9f2c",
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cluster.toml");
    std::fs::write(
        &path,
        format!(
            "[storage.s3]\n{}",
            cfg.storage
                .s3
                .iter()
                .map(|(k, v)| format!("{k} = \"{v}\"\n"))
                .collect::<String>()
        ),
    )
    .unwrap();
    let cluster = start_cluster(Some(&path));
    let remote = Session::open(cfg.clone(), Some(&cluster.url))
        .await
        .expect("remote");
    let local = Session::open(cfg, None).await.expect("local");
    let r = rows(&remote, PROBE).await;
    assert!(r.len() > 5);
    assert_eq!(r, rows(&local, PROBE).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clustering_on_ballista_matches_embedded() {
    let cluster = start_cluster(None);
    let tables = [
        format!("i={}", fixture("bitcoin/inputs/")),
        format!("o={}", fixture("bitcoin/outputs/")),
    ];
    let refs: Vec<&str> = tables.iter().map(String::as_str).collect();
    let dir = tempfile::tempdir().unwrap();
    let mut outputs = Vec::new();
    for (remote, engine) in [
        (false, chainstat_cluster::CcEngine::UnionFind),
        (true, chainstat_cluster::CcEngine::Star),
        (true, chainstat_cluster::CcEngine::UnionFind),
    ] {
        let mut cfg = config(&refs);
        cfg.cluster.engine = engine;
        let url = remote.then_some(cluster.url.as_str());
        let s = Session::open(cfg.clone(), url).await.expect("session");
        let tag = format!("{remote}-{engine:?}");
        let work = dir.path().join(format!("w-{tag}")).display().to_string();
        let out = dir.path().join(format!("o-{tag}")).display().to_string();
        chainstat_cluster::run(&s.ctx, &cfg.cluster, &work, &out)
            .await
            .unwrap_or_else(|e| panic!("{tag}: {e}"));
        outputs.push(
            rows(
                &s,
                "SELECT chain, address, cluster_id FROM address_clusters ORDER BY address",
            )
            .await,
        );
    }
    assert!(outputs[0].len() > 700);
    assert_eq!(
        outputs[0], outputs[1],
        "star on Ballista differs from embedded union-find"
    );
    assert_eq!(
        outputs[0], outputs[2],
        "union-find with a Ballista session differs"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nightly_job_on_ballista_matches_embedded() {
    let cluster = start_cluster(None);
    let dir = tempfile::tempdir().unwrap();
    let cfg = crate::job::generated(&dir.path().join("data"), 2_000, 45);
    let mut tables = Vec::new();
    for remote in [false, true] {
        let out = dir.path().join(format!("out-{remote}"));
        let opts = chainstat_job::RunOptions {
            out: out.display().to_string(),
            cluster: remote.then(|| cluster.url.clone()),
            quiet: true,
            ..Default::default()
        };
        let s = chainstat_job::run(cfg.clone(), &opts)
            .await
            .unwrap_or_else(|e| panic!("remote={remote}: {e}"));
        assert_eq!(
            s.manifest.engine,
            if remote {
                cluster.url.as_str()
            } else {
                "embedded"
            }
        );
        tables.push(crate::job::all_tables(&out).await);
    }
    assert!(tables[0]["exchange_turnover_daily"].len() > 20);
    for (name, rows) in &tables[0] {
        assert_eq!(
            rows, &tables[1][name],
            "table {name}: Ballista differs from embedded"
        );
    }
}
