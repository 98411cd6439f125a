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
    // A year without data is no report at all, said so, not an empty one with exit 0.
    let (code, _, err) = run(&[
        "report",
        "--out",
        &out_s,
        "--year",
        "2019",
        "--to",
        &to.display().to_string(),
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("no exchange turnover in 2019") && err.contains("2025"),
        "{err}"
    );
    assert!(!to.join("report-2019.html").exists());
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

/// An installed binary (copied away from the source tree, as `cargo install --path .`
/// leaves it) run in an empty folder with no config uses the sample built into it, and
/// says so.
#[test]
fn an_installed_binary_runs_the_embedded_sample_in_an_empty_folder_and_says_so() {
    let tmp = tempfile::tempdir().unwrap();
    let bin = tmp.path().join("bin/chainstat");
    std::fs::create_dir_all(bin.parent().unwrap()).unwrap();
    std::fs::copy(chainstat_bin(), &bin).unwrap();
    let empty = tmp.path().join("work");
    std::fs::create_dir_all(&empty).unwrap();
    let done = Command::new(&bin)
        .args(["run", "-q"])
        .current_dir(&empty)
        .env_remove("CHAINSTAT_CONFIG")
        .env("CHAINSTAT_CACHE_DIR", tmp.path().join("cache"))
        .output()
        .unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&done.stdout),
        String::from_utf8_lossy(&done.stderr),
    );
    assert!(done.status.success(), "{stdout}\n{stderr}");
    assert!(stderr.contains("using the embedded sample"), "{stderr}");
    assert!(stdout.contains("committed (full"), "{stdout}");
    assert!(empty.join("out/latest/exchange_turnover_yearly").is_dir());
    let sample = std::fs::read_dir(tmp.path().join("cache"))
        .unwrap()
        .filter_map(|e| e.ok())
        .find(|e| e.file_name().to_string_lossy().starts_with("sample-"))
        .expect("the sample was extracted into the cache folder");
    assert!(sample.path().join("SOURCES.md").is_file());
}

/// `--published` belongs to the commands that read tables; `run` does not offer it.
#[test]
fn run_does_not_offer_published() {
    let (code, _, err) = run(&["run", "--published", "out"]);
    assert_eq!(code, 2, "{err}");
    let (code, help, _) = run(&["run", "--help"]);
    assert_eq!(code, 0);
    assert!(!help.contains("--published"), "{help}");
}

/// docs/functions.md holds exactly what `chainstat functions --markdown` prints.
#[test]
fn the_functions_page_is_what_the_binary_prints() {
    let (code, table, err) = run(&["functions", "--markdown"]);
    assert_eq!(code, 0, "{err}");
    let page = std::fs::read_to_string(root().join("docs/functions.md")).unwrap();
    let begin = "<!-- chainstat functions --markdown -->\n";
    let start = page.find(begin).expect("the page marks the table") + begin.len();
    let end = page[start..].find("<!-- end -->").expect("end marker") + start;
    assert_eq!(
        &page[start..end],
        table,
        "regenerate docs/functions.md with `chainstat functions --markdown`"
    );
    let (code, listing, err) = run(&["functions", "addr"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        listing.contains("addr_norm(chain, address) → VARCHAR")
            && listing.contains("address_error(chain, address)"),
        "{listing}"
    );
}

/// `-o` writes the format its name says, and refuses a contradiction or a guess.
#[test]
fn output_files_take_their_format_from_the_name() {
    let tmp = tempfile::tempdir().unwrap();
    let csv = tmp.path().join("t.csv");
    let q = "SELECT 1 AS a, 'x' AS b";
    let (code, _, err) = run(&["sql", "-c", q, "-o", &csv.display().to_string()]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(std::fs::read_to_string(&csv).unwrap(), "a,b\n1,x\n");
    let (code, _, err) = run(&[
        "sql",
        "-c",
        q,
        "--format",
        "parquet",
        "-o",
        &csv.display().to_string(),
    ]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("names a csv file but --format is parquet"),
        "{err}"
    );
    let bare = tmp.path().join("result");
    let (code, _, err) = run(&["sql", "-c", q, "-o", &bare.display().to_string()]);
    assert_ne!(code, 0);
    assert!(err.contains("cannot tell which format"), "{err}");
}

/// An error prints once, and a closed pipe (`| head`) ends quietly with exit 0.
#[test]
fn errors_print_once_and_a_closed_pipe_is_not_an_error() {
    let (code, _, err) = run(&["sql", "-c", "SELECT nosuchcolumn FROM transfers"]);
    assert_eq!(code, 1);
    let errors = err.lines().filter(|l| l.starts_with("error:")).count();
    assert_eq!(errors, 1, "{err}");
    assert_eq!(
        err.matches("No field named nosuchcolumn").count(),
        1,
        "{err}"
    );
    let mut child = Command::new(chainstat_bin())
        .args([
            "sql",
            "--format",
            "csv",
            "-c",
            "SELECT value FROM range(2000000)",
        ])
        .current_dir(root())
        .env_remove("CHAINSTAT_CONFIG")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Read one line, then hang up, as `head -1` does.
    let mut stdout = child.stdout.take().unwrap();
    let mut first = [0u8; 64];
    std::io::Read::read(&mut stdout, &mut first).unwrap();
    drop(stdout);
    let done = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&done.stderr);
    assert_eq!(done.status.code(), Some(0), "{err}");
    assert!(!err.contains("error"), "{err}");
}
