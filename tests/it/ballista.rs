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
    procs: Vec<ChildGuard>,
    url: String,
    work: tempfile::TempDir,
    scheduler_port: u16,
    config: Option<std::path::PathBuf>,
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

fn log_file(work: &std::path::Path, name: &str) -> Stdio {
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(work.join(name))
        .map(Stdio::from)
        .unwrap_or_else(|_| Stdio::null())
}

fn start_cluster(config: Option<&std::path::Path>) -> Cluster {
    start_cluster_with(config, &[])
}

/// A scheduler (with `scheduler_args`) and two executors.
fn start_cluster_with(config: Option<&std::path::Path>, scheduler_args: &[&str]) -> Cluster {
    let work = tempfile::tempdir().unwrap();
    let sport = free_port();
    let mut sched = Command::new(chainstat_bin());
    sched
        .args(["scheduler", "--port", &sport.to_string()])
        .args(scheduler_args);
    if let Some(c) = config {
        sched.arg("--config").arg(c);
    }
    let procs = vec![ChildGuard(
        sched
            .stdout(Stdio::null())
            .stderr(log_file(work.path(), "scheduler.log"))
            .spawn()
            .expect("scheduler"),
    )];
    assert!(
        wait_for_port(&format!("127.0.0.1:{sport}"), 30),
        "scheduler did not start"
    );
    let mut cluster = Cluster {
        procs,
        url: format!("df://127.0.0.1:{sport}"),
        work,
        scheduler_port: sport,
        config: config.map(std::path::Path::to_path_buf),
    };
    for i in 0..2 {
        cluster.start_executor(i);
    }
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !ready(&format!("127.0.0.1:{sport}")) {
        assert!(
            std::time::Instant::now() < deadline,
            "cluster never became ready"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    cluster
}

impl Cluster {
    /// Starts executor `i` (a new process on a new port) and keeps it in `procs`.
    fn start_executor(&mut self, i: usize) {
        let eport = free_port();
        let mut ex = Command::new(chainstat_bin());
        ex.args(["executor", "--port", &eport.to_string()])
            .args(["--scheduler", &format!("127.0.0.1:{}", self.scheduler_port)])
            .args(["--vcores", "2", "--memory", "1g"])
            .arg("--work-dir")
            .arg(self.work.path().join(format!("exec{i}")));
        if let Some(c) = &self.config {
            ex.arg("--config").arg(c);
        }
        self.procs.push(ChildGuard(
            ex.stdout(Stdio::null())
                .stderr(log_file(self.work.path(), &format!("executor{i}.log")))
                .spawn()
                .expect("executor"),
        ));
        assert!(
            wait_for_port(&format!("127.0.0.1:{eport}"), 30),
            "executor {i} did not start"
        );
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

/// A query with a shuffle join and two aggregations: long enough (about 20 s on the
/// debug build) for an executor to be killed at different points of it.
const LONG_QUERY: &str = "SELECT count(*) AS n, CAST(sum(c) AS VARCHAR) AS s, \
    CAST(sum(v) AS VARCHAR) AS v FROM (SELECT a.from_address, count(*) AS c, \
    sum(a.amount_raw) AS v FROM transfers a JOIN (SELECT DISTINCT to_address FROM transfers) b \
    ON a.from_address = b.to_address GROUP BY 1)";

/// Ballista 55 answered wrongly after losing an executor: counts ×3.26 and ×1.30 and
/// 6.5 % extra rows with exit 0, or it hung. An executor killed at different points of
/// a query must now give exactly the embedded answer or exit 7 — never another answer,
/// never a hang — and the cluster answers right again once executors are back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn losing_an_executor_mid_query_fails_closed() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    chainstat_gen::generate(
        &chainstat_gen::GenParams {
            transfers: 200_000,
            ..Default::default()
        },
        &data,
    )
    .expect("gen");
    let table = format!("eth={}", data.join("ethereum/token_transfers/").display());
    let query = |cluster: Option<&str>| {
        let mut c = Command::new(chainstat_bin());
        c.args(["sql", "--format", "csv", "-t", &table, "-c", LONG_QUERY])
            .env_remove("CHAINSTAT_CONFIG")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if let Some(url) = cluster {
            c.args(["--cluster", url]);
        }
        c.spawn().expect("chainstat sql")
    };
    let embedded = query(None).wait_with_output().expect("embedded");
    assert!(
        embedded.status.success(),
        "{}",
        String::from_utf8_lossy(&embedded.stderr)
    );
    let timeout = 10;
    let mut cluster = start_cluster_with(None, &["--executor-timeout", &timeout.to_string()]);
    let (mut failed, mut answered) = (0, 0);
    for (i, delay_ms) in [1_500u64, 4_000, 8_000, 12_000].into_iter().enumerate() {
        let child = query(Some(&cluster.url));
        std::thread::sleep(std::time::Duration::from_millis(delay_ms));
        // procs: the scheduler, then executors; kill one of the two live ones.
        let victim = cluster.procs.len() - 1 - (i % 2);
        let mut killed = cluster.procs.remove(victim);
        killed.0.kill().expect("kill executor");
        let _ = killed.0.wait();
        let out = wait_at_most(child, 150, &format!("try {i} (kill after {delay_ms} ms)"));
        let stderr = String::from_utf8_lossy(&out.stderr);
        match out.status.code() {
            Some(0) => {
                assert_eq!(
                    out.stdout, embedded.stdout,
                    "try {i}: a different answer after losing an executor"
                );
                answered += 1;
            }
            Some(7) => {
                assert!(stderr.contains("lost an executor"), "try {i}: {stderr}");
                failed += 1;
            }
            other => panic!("try {i}: exit {other:?}: {stderr}"),
        }
        cluster.start_executor(2 + i);
    }
    assert!(
        failed > 0,
        "no kill landed while a query ran ({answered} answered): this proves nothing"
    );
    // The dead executors expire; the cluster then answers exactly again.
    std::thread::sleep(std::time::Duration::from_secs(timeout + 3));
    // The live executors' job folders, before the last query. Tasks of a cancelled job
    // may still write after its clean-up (cancelling is best-effort in pull mode): the
    // executors sweep those after an hour.
    let live: Vec<std::path::PathBuf> = (4..6)
        .map(|i| cluster.work.path().join(format!("exec{i}")))
        .collect();
    let job_folders = || -> std::collections::BTreeSet<std::path::PathBuf> {
        live.iter()
            .filter_map(|d| std::fs::read_dir(d).ok())
            .flatten()
            .filter_map(Result::ok)
            .map(|e| e.path())
            // DataFusion's own spill folders (`datafusion-…`) stay, empty.
            .filter(|p| {
                p.is_dir()
                    && !p
                        .file_name()
                        .is_some_and(|n| n.to_string_lossy().starts_with("datafusion-"))
            })
            .collect()
    };
    let before = job_folders();
    let out = wait_at_most(query(Some(&cluster.url)), 150, "after the kills");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.stdout, embedded.stdout);
    // Its shuffle files are deleted once it is over (the final stage's 30 s after it):
    // they used to pile up, 800 MB after 10 queries.
    assert!(
        job_folders().len() > before.len(),
        "the query left no shuffle folder to check"
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(90);
    while !job_folders().is_subset(&before) {
        assert!(
            std::time::Instant::now() < deadline,
            "shuffle files still on the executors 90 s after the query: {:?}",
            job_folders().difference(&before).collect::<Vec<_>>()
        );
        std::thread::sleep(std::time::Duration::from_secs(1));
    }
}

/// Waits for `child`, failing the test if it runs longer than `secs`.
fn wait_at_most(mut child: std::process::Child, secs: u64, what: &str) -> std::process::Output {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
    loop {
        if child.try_wait().expect("wait").is_some() {
            return child.wait_with_output().expect("output");
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("{what}: the query hung for more than {secs} s");
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}
