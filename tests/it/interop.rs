//! What analysts touch, driven by the tools they use: pyarrow, pandas and DuckDB must read
//! every published table back exactly (tests/interop/read_back.py), the prompt must behave
//! on a terminal (prompt.py), and the report must print on A4 (report_print.py).

use std::path::{Path, PathBuf};

use crate::common::chainstat_bin;

/// The interpreter with pyarrow, pandas and DuckDB: `CHAINSTAT_PYTHON`, or the one
/// scripts/test-env.sh installs.
fn python() -> PathBuf {
    if let Ok(p) = std::env::var("CHAINSTAT_PYTHON") {
        return PathBuf::from(p);
    }
    let home = std::env::var("HOME").unwrap_or_default();
    PathBuf::from(home).join(".cache/chainstat/tools/py/bin/python3")
}

/// Runs `tests/interop/<script>` with the chainstat binary and `arg`; returns its stdout,
/// failing the test with both outputs when the script fails.
fn python_script(script: &str, arg: &Path) -> String {
    python_script_with(script, &[chainstat_bin(), arg])
}

/// Runs `tests/interop/<script>` with `args`; as [`python_script`].
fn python_script_with(script: &str, args: &[&Path]) -> String {
    let script = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/interop")
        .join(script);
    let python = python();
    let done = std::process::Command::new(&python)
        .arg(&script)
        .args(args)
        .env_remove("CHAINSTAT_CONFIG")
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "cannot start {} ({e}): run scripts/test-env.sh, or set CHAINSTAT_PYTHON",
                python.display()
            )
        });
    let stdout = String::from_utf8_lossy(&done.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&done.stderr);
    assert!(done.status.success(), "{stdout}\n{stderr}");
    stdout
}

/// `chainstat run` on the embedded sample, in `dir`, into `out`.
fn run_the_sample(dir: &Path, out: &Path) {
    let run = std::process::Command::new(chainstat_bin())
        .args(["run", "-q", "--out"])
        .arg(out)
        .env_remove("CHAINSTAT_CONFIG")
        .current_dir(dir)
        .output()
        .expect("run");
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
}

fn read_back(out: &Path) {
    let stdout = python_script("read_back.py", out);
    assert!(stdout.contains("exchange_turnover_yearly: "), "{stdout}");
}

#[test]
fn every_table_published_from_the_sample_reads_back_exactly_in_pyarrow_pandas_and_duckdb() {
    let dir = tempfile::tempdir().expect("tmp");
    let out = dir.path().join("out");
    run_the_sample(dir.path(), &out);
    read_back(&out);
}

#[tokio::test]
async fn amounts_beyond_38_digits_read_back_exactly_as_text() {
    let dir = tempfile::tempdir().expect("tmp");
    let out = dir.path().join("out");
    crate::job::run_job(crate::job::with_an_absurd_token(dir.path()), &out, false).await;
    read_back(&out);
}

/// The SQL prompt on a pseudo-terminal (tests/interop/prompt.py): `\d transfers`,
/// `\df addr`, Tab completion, NULL and the row footer, Ctrl-C cancelling a long query
/// with the prompt surviving, and history across two sessions.
#[test]
fn the_prompt_cancels_a_query_on_ctrl_c_and_keeps_history_across_sessions() {
    let dir = tempfile::tempdir().expect("tmp");
    let stdout = python_script("prompt.py", dir.path());
    assert!(stdout.contains("prompt: all checks passed"), "{stdout}");
}

/// The sample's report printed on A4, portrait and landscape, in headless Chromium
/// (tests/interop/report_print.py): no table wider than the printable page.
#[test]
fn the_sample_report_prints_on_a4_without_a_cut_table() {
    let dir = tempfile::tempdir().expect("tmp");
    let out = dir.path().join("out");
    run_the_sample(dir.path(), &out);
    let report = std::fs::read_dir(out.join("runs"))
        .expect("runs")
        .filter_map(|e| e.ok())
        .map(|e| e.path().join("report.html"))
        .find(|p| p.exists())
        .expect("report.html");
    let printed = dir.path().join("printed");
    let stdout = python_script_with("report_print.py", &[&report, &printed]);
    assert!(stdout.contains("report print: no table cut"), "{stdout}");
    assert!(printed.join("report-portrait.pdf").exists());
}
