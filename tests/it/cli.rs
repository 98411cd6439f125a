//! The `chainstat` binary end to end: the README's sample command, output formats,
//! `-o`, `tables`/`describe`, and exit codes.

use std::process::Command;

use crate::common::*;

fn run(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(chainstat_bin())
        .args(args)
        .current_dir(root())
        .env_remove("CHAINSTAT_CONFIG")
        .output()
        .expect("run chainstat");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn sample_query_runs_with_no_setup() {
    let (code, out, err) = run(&[
        "sql",
        "-c",
        "SELECT symbol, count(*) AS n, CAST(sum(amount) AS VARCHAR) AS total FROM transfers \
         WHERE symbol = 'USDT' AND source_table = 'eth_token_transfers' GROUP BY symbol",
        "--format",
        "csv",
    ]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, "symbol,n,total\nUSDT,41,1088121.577531000000000000\n");
}

#[test]
fn tables_and_describe() {
    let (code, out, err) = run(&["tables"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("eth_token_transfers") && out.contains("token-transfers"),
        "{out}"
    );
    assert!(out.contains("bitcoin-inputs"), "{out}");
    let (code, out, err) = run(&["describe", "transfers"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("amount_raw") && out.contains("Decimal256(76, 0)"),
        "{out}"
    );
}

#[test]
fn json_output_and_file_output() {
    let (code, out, err) = run(&[
        "sql",
        "-c",
        "SELECT evm_checksum('0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed') AS a",
        "--format",
        "json",
    ]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        out.trim(),
        r#"{"a":"0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"}"#
    );
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("usdt.parquet");
    let (code, _, err) = run(&[
        "sql",
        "-c",
        "SELECT tx_hash, amount_raw FROM transfers WHERE symbol = 'USDT'",
        "--format",
        "parquet",
        "-o",
        target.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let (code, out, err) = run(&[
        "sql",
        "-t",
        &format!("u={}", target.display()),
        "-c",
        "SELECT count(*) FROM u",
        "--format",
        "csv",
    ]);
    // A table that is no known export format is still refused with a clear message.
    assert_eq!(code, 3, "{out}{err}");
    assert!(err.contains("matches no known export format"), "{err}");
}

#[test]
fn exit_codes_distinguish_config_input_and_query_errors() {
    let (code, _, err) = run(&["sql", "-t", "bad", "-c", "SELECT 1"]);
    assert_eq!(code, 2, "{err}");
    let (code, _, err) = run(&[
        "sql",
        "-t",
        &format!("w={}", fixture("bad/wrong_schema/")),
        "-c",
        "SELECT 1",
    ]);
    assert_eq!(code, 3, "{err}");
    let (code, _, err) = run(&["sql", "-c", "SELECT nosuchcolumn FROM transfers"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("nosuchcolumn"), "{err}");
}

#[test]
fn run_on_the_sample_then_report_and_query_the_published_tables() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let out_s = out.display().to_string();
    let (code, stdout, err) = run(&["run", "--out", &out_s]);
    assert_eq!(code, 0, "{err}");
    assert!(stdout.contains("committed (full"), "{stdout}");
    // Not a terminal: one JSON line per stage on stderr.
    let stages: Vec<serde_json::Value> = err
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    assert!(
        stages.iter().any(|s| s["stage"] == "cluster") && stages.len() > 10,
        "{err}"
    );
    let (code, csv, err) = run(&[
        "sql",
        "--published",
        &out_s,
        "--format",
        "csv",
        "-c",
        "SELECT count(*) AS n FROM exchange_turnover_yearly WHERE year = 2025",
    ]);
    assert_eq!(code, 0, "{err}");
    let n: i64 = csv.lines().nth(1).unwrap().parse().unwrap();
    assert!(n > 5, "{csv}");
    let to = dir.path().join("reports");
    let (code, stdout, err) = run(&[
        "report",
        "--out",
        &out_s,
        "--year",
        "2025",
        "--to",
        &to.display().to_string(),
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(stdout.contains("report-2025.html"), "{stdout}");
    let html = std::fs::read_to_string(to.join("report-2025.html")).unwrap();
    assert!(html.contains("<svg") && !html.contains("http://") && !html.contains("https://"));
    let md = std::fs::read_to_string(to.join("report-2025.md")).unwrap();
    assert!(md.starts_with("# Exchange turnover"), "{md}");
}

#[test]
fn run_exit_codes_tell_config_from_input_errors() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("c.toml");
    // Bad config: an unknown [job] key.
    std::fs::write(&cfg, "[job]\nthreshold = 5\n").unwrap();
    let (code, _, err) = run(&["run", "-q", "--config", &cfg.display().to_string()]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("threshold"), "{err}");
    // Bad config: a registry without its required columns.
    std::fs::write(dir.path().join("r.csv"), "entity,status\nx,ok\n").unwrap();
    std::fs::write(&cfg, "[job]\nregistry = \"r.csv\"\n").unwrap();
    let (code, _, err) = run(&[
        "run",
        "-q",
        "--config",
        &cfg.display().to_string(),
        "--out",
        &dir.path().join("o").display().to_string(),
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("licensed") && err.contains("r.csv"), "{err}");
    // Bad input: a transfers file that is not Parquet.
    std::fs::create_dir_all(dir.path().join("t")).unwrap();
    std::fs::write(dir.path().join("t/x.parquet"), b"not parquet").unwrap();
    std::fs::write(&cfg, "[[table]]\nname = \"t\"\nurl = \"t/\"\n").unwrap();
    let (code, _, err) = run(&[
        "run",
        "-q",
        "--config",
        &cfg.display().to_string(),
        "--out",
        &dir.path().join("o").display().to_string(),
    ]);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("x.parquet"), "{err}");
    // Nothing published yet.
    let (code, _, err) = run(&[
        "report",
        "--out",
        &dir.path().join("none").display().to_string(),
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("nothing published"), "{err}");
    // An output root that cannot be written (a folder under a file): exit 4 with a hint,
    // where it used to be exit 1 with none.
    let blocker = dir.path().join("a-file");
    std::fs::write(&blocker, b"x").unwrap();
    let (code, _, err) = run(&[
        "run",
        "-q",
        "--out",
        &blocker.join("out").display().to_string(),
    ]);
    assert_eq!(code, 4, "{err}");
    assert!(
        err.contains("a-file") && err.contains("hint: check that the output"),
        "{err}"
    );
}

/// `chainstat sql` is read-only by default: COPY, INSERT, CREATE EXTERNAL TABLE and SET
/// of runtime limits are refused with exit 6 and write nothing; `--allow-writes` lets
/// them through; in-memory views stay allowed.
#[test]
fn sql_is_read_only_unless_writes_are_allowed() {
    let dir = tempfile::tempdir().expect("tmp");
    let target = dir.path().join("copied.csv");
    let copy = format!("COPY (SELECT 1 AS a) TO '{}'", target.display());
    let create = format!(
        "CREATE EXTERNAL TABLE x STORED AS CSV LOCATION '{}'",
        dir.path().display()
    );
    for (sql, what) in [
        (copy.as_str(), "COPY writes files"),
        (create.as_str(), "CREATE EXTERNAL TABLE x"),
        (
            "CREATE TABLE m AS SELECT 1 AS a; INSERT INTO m VALUES (2)",
            "Insert Into writes to table m",
        ),
        (
            "SET datafusion.runtime.memory_limit = '100G'",
            "changes the session's memory",
        ),
    ] {
        let (code, _, err) = run(&["sql", "-c", sql]);
        assert_eq!(code, 6, "{sql}: {err}");
        assert!(
            err.contains(what) && err.contains("--allow-writes"),
            "{err}"
        );
    }
    assert!(!target.exists(), "a refused COPY wrote its file");
    let (code, out, err) = run(&[
        "sql",
        "-c",
        "CREATE VIEW v AS SELECT 7 AS a; SELECT a FROM v",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains('7'), "{out}");
    let (code, _, err) = run(&["sql", "--allow-writes", "-c", &copy]);
    assert_eq!(code, 0, "{err}");
    assert!(target.exists());
}

/// A cross join of the transfers with themselves under a 256 MB limit grew to 22 GB
/// before the kernel killed it; a 50k-term expression overflowed the stack (rc 134).
/// Both are now refused with exit 6 and a message that says what to do instead.
#[test]
fn unbounded_joins_and_deep_expressions_are_refused() {
    let (code, _, err) = run(&[
        "sql",
        "--memory-limit",
        "256m",
        "-c",
        "SELECT * FROM transfers a CROSS JOIN transfers b",
    ]);
    assert_eq!(code, 6, "{err}");
    assert!(
        err.contains("CrossJoinExec") && err.contains("LIMIT"),
        "{err}"
    );
    // Bounded forms still run: under a LIMIT, and against a one-row side.
    let (code, out, err) = run(&[
        "sql",
        "--memory-limit",
        "256m",
        "--format",
        "csv",
        "-c",
        "SELECT a.block_number FROM transfers a CROSS JOIN transfers b LIMIT 3",
    ]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.lines().count(), 4, "{out}");
    let (code, out, err) = run(&[
        "sql",
        "--format",
        "csv",
        "-c",
        "SELECT count(*) AS n FROM transfers a, (SELECT max(block_number) AS m FROM transfers) b \
         WHERE a.block_number <= b.m",
    ]);
    assert_eq!(code, 0, "{err}");
    let (_, all, _) = run(&[
        "sql",
        "--format",
        "csv",
        "-c",
        "SELECT count(*) AS n FROM transfers",
    ]);
    assert_eq!(out, all);

    let deep = format!("SELECT {}", vec!["1"; 50_000].join("+"));
    let (code, _, err) = run(&["sql", "-c", &deep]);
    assert_eq!(code, 6, "{err}");
    assert!(err.contains("nested more than 1000 deep"), "{err}");
    let fine = format!("SELECT {} AS n", vec!["1"; 200].join("+"));
    let (code, out, err) = run(&["sql", "--format", "csv", "-c", &fine]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, "n\n200\n");
}
