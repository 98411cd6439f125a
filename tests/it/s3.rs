//! Object storage against a real S3-compatible server on 127.0.0.1 (`s3s-fs`, which
//! checks SigV4 signatures): fixtures are uploaded through the S3 API, then the same
//! queries must give the same rows as on local files; wrong credentials and missing
//! objects must give clear errors that never show the secret.

use std::path::PathBuf;

use chainstat_engine::Session;
use chainstat_job::manifest::ScopeMode;
use chainstat_job::ChainstatConfig;
use object_store::aws::AmazonS3Builder;
use object_store::path::Path as ObjPath;
use object_store::{ObjectStoreExt, PutPayload};

use crate::common::*;

const KEY: &str = "chainstat-test";
const SECRET: &str = "chainstat-test-secret-9f2c";

/// Where the S3 server binary is: `CHAINSTAT_S3S_FS`, the cache `.ci/run` installs
/// into, or PATH.
pub fn s3s_fs_bin() -> PathBuf {
    if let Ok(p) = std::env::var("CHAINSTAT_S3S_FS") {
        return PathBuf::from(p);
    }
    let home = std::env::var("HOME").unwrap_or_default();
    let cached = PathBuf::from(home).join(".cache/chainstat/tools/bin/s3s-fs");
    if cached.exists() {
        return cached;
    }
    PathBuf::from("s3s-fs")
}

/// A running S3 server with the fixtures uploaded to bucket `fixtures`.
pub struct S3Server {
    _child: ChildGuard,
    _dir: tempfile::TempDir,
    /// `http://127.0.0.1:PORT`.
    pub endpoint: String,
}

impl S3Server {
    /// Starts the server and uploads `files` (paths relative to tests/fixtures).
    pub async fn start(files: &[&str]) -> S3Server {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("fixtures")).unwrap();
        let port = free_port();
        let child = std::process::Command::new(s3s_fs_bin())
            .args(["--host", "127.0.0.1", "--port", &port.to_string()])
            .args(["--access-key", KEY, "--secret-key", SECRET])
            .arg(dir.path())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot start the S3 test server {}: {e}. Run .ci/run (or \
                     `cargo install s3s-fs@0.14.1 --locked --features binary`).",
                    s3s_fs_bin().display()
                )
            });
        let guard = ChildGuard(child);
        assert!(
            wait_for_port(&format!("127.0.0.1:{port}"), 20),
            "S3 server did not start"
        );
        let endpoint = format!("http://127.0.0.1:{port}");
        let store = AmazonS3Builder::new()
            .with_endpoint(&endpoint)
            .with_allow_http(true)
            .with_virtual_hosted_style_request(false)
            .with_region("us-east-1")
            .with_bucket_name("fixtures")
            .with_access_key_id(KEY)
            .with_secret_access_key(SECRET)
            .build()
            .unwrap();
        for f in files {
            let data = std::fs::read(fixture(f)).unwrap();
            store
                .put(&ObjPath::from(*f), PutPayload::from(data))
                .await
                .unwrap_or_else(|e| panic!("upload {f}: {e}"));
        }
        S3Server {
            _child: guard,
            _dir: dir,
            endpoint,
        }
    }

    /// Where the server keeps the object `bucket/key` on disk.
    pub fn path_of(&self, bucket_key: &str) -> PathBuf {
        self._dir.path().join(bucket_key)
    }

    /// A config whose `[storage.s3]` points at this server with `secret`.
    pub fn config(&self, tables: &[&str], secret: &str) -> ChainstatConfig {
        let mut c = config(tables);
        c.storage
            .s3
            .insert("endpoint".into(), self.endpoint.clone());
        c.storage.s3.insert("access_key_id".into(), KEY.into());
        c.storage
            .s3
            .insert("secret_access_key".into(), secret.into());
        c.storage.s3.insert("region".into(), "us-east-1".into());
        c
    }
}

/// The query used to compare engines and stores: chainstat functions, exact sums.
pub const PROBE: &str = "SELECT evm_checksum(asset) AS asset, count(*) AS n, \
    CAST(sum(amount_raw) AS VARCHAR) AS total, uint256_to_hex(max(amount_raw)) AS max_hex, \
    count(DISTINCT from_address) AS senders \
    FROM transfers GROUP BY asset ORDER BY n DESC, asset LIMIT 20";

#[tokio::test]
async fn s3_gives_the_same_rows_as_local_files() {
    let server = S3Server::start(&[
        "ethereum/overlap/part-00000.parquet",
        "ethereum/overlap/part-00001.parquet",
        "ethereum/etl_csv/token_transfers.csv",
        "bad/bad_values/token_transfers.parquet",
    ])
    .await;
    let s3 = Session::open(
        server.config(
            &[
                "eth=s3://fixtures/ethereum/overlap/",
                "bad=s3://fixtures/bad/bad_values/token_transfers.parquet",
            ],
            SECRET,
        ),
        None,
    )
    .await
    .expect("s3 session");
    let local = session(&[
        &format!("eth={}", fixture("ethereum/overlap/")),
        &format!("bad={}", fixture("bad/bad_values/token_transfers.parquet")),
    ])
    .await;
    let a = rows(&s3, PROBE).await;
    assert!(a.len() > 5, "{a:?}");
    assert_eq!(a, rows(&local, PROBE).await);
    let rejects = "SELECT \"row\", reason FROM rejects ORDER BY \"row\"";
    assert_eq!(rows(&s3, rejects).await, rows(&local, rejects).await);
    assert_eq!(
        scalar(&s3, "SELECT min(file) FROM rejects").await,
        "s3://fixtures/bad/bad_values/token_transfers.parquet"
    );
    // A glob over the bucket, and CSV through S3.
    let glob = Session::open(
        server.config(
            &[
                "g=s3://fixtures/ethereum/overlap/part-*.parquet",
                "c=s3://fixtures/ethereum/etl_csv/",
            ],
            SECRET,
        ),
        None,
    )
    .await
    .expect("glob session");
    assert_eq!(scalar(&glob, "SELECT count(*) FROM g").await, "341");
    assert_eq!(scalar(&glob, "SELECT count(*) FROM transfers").await, "291");
}

#[tokio::test]
async fn wrong_credentials_and_missing_objects_are_clear_errors() {
    let server = S3Server::start(&["ethereum/etl/token_transfers.parquet"]).await;
    let wrong = "not-the-right-secret-7731";
    let err = match Session::open(
        server.config(&["eth=s3://fixtures/ethereum/etl/"], wrong),
        None,
    )
    .await
    {
        Ok(_) => panic!("wrong credentials were accepted"),
        Err(e) => e.to_string(),
    };
    assert!(
        err.contains("table 'eth': cannot read s3://fixtures/ethereum/etl/"),
        "{err}"
    );
    assert!(
        err.contains("access denied") || err.contains("403"),
        "{err}"
    );
    assert!(!err.contains(wrong), "the secret leaked into: {err}");
    let err = match Session::open(
        server.config(&["eth=s3://fixtures/ethereum/etl/nope.parquet"], SECRET),
        None,
    )
    .await
    {
        Ok(_) => panic!("missing object was accepted"),
        Err(e) => e.to_string(),
    };
    assert!(err.contains("nope.parquet"), "{err}");
    let err = match Session::open(server.config(&["eth=s3://nobucket/x/"], SECRET), None).await {
        Ok(_) => panic!("missing bucket was accepted"),
        Err(e) => e.to_string(),
    };
    assert!(err.contains("table 'eth'"), "{err}");
}

#[tokio::test]
async fn cluster_outputs_are_written_to_and_read_back_from_s3() {
    let server = S3Server::start(&[
        "bitcoin/inputs/inputs.parquet",
        "bitcoin/outputs/outputs.parquet",
    ])
    .await;
    let cfg = server.config(
        &[
            "i=s3://fixtures/bitcoin/inputs/",
            "o=s3://fixtures/bitcoin/outputs/",
        ],
        SECRET,
    );
    let s = Session::open(cfg.clone(), None).await.expect("s3 session");
    let work = tempfile::tempdir().unwrap();
    chainstat_cluster::run(
        &s.ctx,
        &cfg.cluster,
        &work.path().display().to_string(),
        "s3://fixtures/out",
    )
    .await
    .expect("clustering writes to S3");
    // A new session reads the published tables back through S3, the empty one included.
    let mut read = server.config(
        &[
            "ac=s3://fixtures/out/address_clusters/,format=raw",
            "w=s3://fixtures/out/cluster_warnings/,format=raw",
        ],
        SECRET,
    );
    read.tables.retain(|t| t.name == "ac" || t.name == "w");
    let r = Session::open(read, None).await.expect("read back");
    assert_eq!(scalar(&r, "SELECT count(*) FROM w").await, "0");
    let local = session(&[
        &format!("i={}", fixture("bitcoin/inputs/")),
        &format!("o={}", fixture("bitcoin/outputs/")),
    ])
    .await;
    let dir = tempfile::tempdir().unwrap();
    chainstat_cluster::run(
        &local.ctx,
        &chainstat_cluster::ClusterParams::default(),
        &dir.path().join("w").display().to_string(),
        &dir.path().join("o").display().to_string(),
    )
    .await
    .unwrap();
    let q = "SELECT address, cluster_id FROM address_clusters ORDER BY address";
    let from_s3 = rows(&r, "SELECT address, cluster_id FROM ac ORDER BY address").await;
    assert!(from_s3.len() > 700);
    assert_eq!(from_s3, rows(&local, q).await);
}

#[tokio::test]
async fn the_job_publishes_to_s3_and_carries_partitions_over_there() {
    let server = S3Server::start(&[]).await;
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = crate::job::hand_built(dir.path());
    let s3 = server.config(&[], SECRET);
    cfg.storage = s3.storage.clone();
    let run = |incremental: bool, out: String| {
        let cfg = cfg.clone();
        async move {
            chainstat_job::run(
                cfg,
                &chainstat_job::RunOptions {
                    out,
                    incremental,
                    quiet: true,
                    ..Default::default()
                },
            )
            .await
            .unwrap_or_else(|e| panic!("run: {e}"))
        }
    };
    let first = run(true, "s3://fixtures/published".into()).await;
    assert_eq!(first.manifest.scope.mode, ScopeMode::Full);
    let second = run(true, "s3://fixtures/published".into()).await;
    assert_eq!(
        second.manifest.scope.mode,
        ScopeMode::Incremental,
        "{:?}",
        second.manifest.scope
    );
    let local = dir.path().join("local");
    run(false, local.display().to_string()).await;
    // Read back through S3 with chainstat's object stores.
    let state = chainstat_engine::session::chainstat_state(
        datafusion::prelude::SessionConfig::new(),
        chainstat_engine::session::object_stores(&cfg.storage),
        false,
    )
    .unwrap();
    let ctx = datafusion::prelude::SessionContext::new_with_state(state);
    let from_s3 = crate::job::all_tables_at(&ctx, "s3://fixtures/published").await;
    assert_eq!(from_s3, crate::job::all_tables(&local).await);
    assert!(from_s3["exchange_turnover_daily"].len() == 3);
}

#[tokio::test]
async fn two_runs_at_once_on_s3_one_commits_the_other_is_refused() {
    let server = S3Server::start(&[]).await;
    let dir = tempfile::tempdir().unwrap();
    crate::job::hand_built(dir.path());
    let config = dir.path().join("chainstat.toml");
    let mut toml = std::fs::read_to_string(&config).unwrap();
    toml.push_str(&format!(
        "[storage.s3]\nendpoint = \"{}\"\naccess_key_id = \"{KEY}\"\n\
         secret_access_key = \"{SECRET}\"\nregion = \"us-east-1\"\n",
        server.endpoint
    ));
    std::fs::write(&config, toml).unwrap();
    crate::job::two_runs_at_once(
        &config,
        "s3://fixtures/published",
        &server.path_of("fixtures/published/_lease.json"),
    )
    .await;
}

/// A lease left by a run that died is taken over once it expired; a live one is not.
#[tokio::test]
async fn an_expired_lease_on_s3_is_taken_over_and_a_live_one_is_not() {
    let server = S3Server::start(&[]).await;
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = crate::job::hand_built(dir.path());
    cfg.storage = server.config(&[], SECRET).storage;
    let store = AmazonS3Builder::new()
        .with_endpoint(&server.endpoint)
        .with_allow_http(true)
        .with_virtual_hosted_style_request(false)
        .with_region("us-east-1")
        .with_bucket_name("fixtures")
        .with_access_key_id(KEY)
        .with_secret_access_key(SECRET)
        .build()
        .unwrap();
    let lease = |expires: chrono::DateTime<chrono::Utc>| {
        serde_json::to_vec(&chainstat_job::lease::LeaseRecord {
            run_id: "20250101T000000000Z-deadbeef".into(),
            holder: "elsewhere:1".into(),
            token: "t".into(),
            acquired_at: "2025-01-01T00:00:00Z".into(),
            expires_at: expires.to_rfc3339(),
        })
        .unwrap()
    };
    let path = ObjPath::from("published/_lease.json");
    let opts = chainstat_job::RunOptions {
        out: "s3://fixtures/published".into(),
        quiet: true,
        ..Default::default()
    };
    let run = || chainstat_job::run(cfg.clone(), &opts);
    let live = chrono::Utc::now() + chrono::TimeDelta::seconds(600);
    store
        .put(&path, PutPayload::from(lease(live)))
        .await
        .unwrap();
    let Err(err) = run().await else {
        panic!("a run must not take a live lease");
    };
    assert!(
        matches!(err, chainstat_job::JobError::Locked { .. }),
        "{err}"
    );
    assert!(
        err.to_string().contains("20250101T000000000Z-deadbeef"),
        "{err}"
    );
    let dead = chrono::Utc::now() - chrono::TimeDelta::seconds(1);
    store
        .put(&path, PutPayload::from(lease(dead)))
        .await
        .unwrap();
    let done = run().await.unwrap_or_else(|e| panic!("{e}"));
    assert!(!done.manifest.run_id.is_empty());
    assert!(
        matches!(
            store.get(&path).await,
            Err(object_store::Error::NotFound { .. })
        ),
        "the lease was not released"
    );
}
