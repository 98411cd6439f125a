//! Shared helpers: fixture paths, sessions over fixture tables, results as sorted text.

use std::path::{Path, PathBuf};

use arrow::util::display::{ArrayFormatter, FormatOptions};
use chainstat_engine::Session;
use chainstat_io::TableSpec;
use chainstat_job::ChainstatConfig;

/// Repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A path under `tests/fixtures/`.
pub fn fixture(rel: &str) -> String {
    root()
        .join("tests/fixtures")
        .join(rel)
        .display()
        .to_string()
}

/// `tests/fixtures/expected.json`.
pub fn expected() -> serde_json::Value {
    let text = std::fs::read_to_string(root().join("tests/fixtures/expected.json"))
        .expect("expected.json");
    serde_json::from_str(&text).expect("expected.json parses")
}

/// A table spec from `name=URL[,opts]`.
pub fn spec(arg: &str) -> TableSpec {
    TableSpec::parse_arg(arg).expect("table spec")
}

/// A config with these tables.
pub fn config(tables: &[&str]) -> ChainstatConfig {
    let mut c = ChainstatConfig::default();
    for t in tables {
        c.upsert_table(spec(t));
    }
    c.engine.target_partitions = Some(2);
    c
}

/// Opens an embedded session over these tables.
pub async fn session(tables: &[&str]) -> Session {
    Session::open(config(tables), None)
        .await
        .expect("session opens")
}

/// Runs `sql` and returns rows as `|`-joined text, in the query's order.
pub async fn rows(session: &Session, sql: &str) -> Vec<String> {
    let batches = session
        .ctx
        .sql(sql)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .collect()
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    to_text(&batches)
}

/// Rows of record batches as text.
pub fn to_text(batches: &[arrow::record_batch::RecordBatch]) -> Vec<String> {
    let opts = FormatOptions::default().with_null("NULL");
    let mut out = Vec::new();
    for b in batches {
        let fmts: Vec<ArrayFormatter> = b
            .columns()
            .iter()
            .map(|c| ArrayFormatter::try_new(c.as_ref(), &opts).expect("formatter"))
            .collect();
        for r in 0..b.num_rows() {
            out.push(
                fmts.iter()
                    .map(|f| f.value(r).to_string())
                    .collect::<Vec<_>>()
                    .join("|"),
            );
        }
    }
    out
}

/// The single value of a one-row, one-column query.
pub async fn scalar(session: &Session, sql: &str) -> String {
    let r = rows(session, sql).await;
    assert_eq!(r.len(), 1, "{sql}: {r:?}");
    r[0].clone()
}

/// A free TCP port on 127.0.0.1.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

/// Waits until `addr` accepts TCP connections.
pub fn wait_for_port(addr: &str, secs: u64) -> bool {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
    while std::time::Instant::now() < deadline {
        if std::net::TcpStream::connect(addr).is_ok() {
            return true;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    false
}

/// Kills a child process when dropped, so a failing test leaves nothing running.
pub struct ChildGuard(pub std::process::Child);

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The `chainstat` binary built for these tests.
pub fn chainstat_bin() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_chainstat"))
}

/// A JSON number or string as plain text (expected.json writes big ints as strings).
pub fn text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Writes `batch` as one Parquet file at `path` (folders created).
pub fn write_parquet(path: &Path, batch: &arrow::record_batch::RecordBatch) {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).expect("mkdir");
    }
    let f = std::fs::File::create(path).expect("create");
    let mut w = parquet::arrow::ArrowWriter::try_new(f, batch.schema(), None).expect("writer");
    w.write(batch).expect("write");
    w.close().expect("close");
}
