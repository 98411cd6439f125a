//! Runs every `tests/slt/**/*.slt` file (sqllogictest format, as DataFusion uses), each
//! in a fresh session over the embedded sample with all chainstat functions.
//! Regenerate expected results with `CHAINSTAT_SLT_COMPLETE=1 cargo test --test it slt`
//! and review the diff.

use std::path::{Path, PathBuf};

use arrow::datatypes::DataType;
use async_trait::async_trait;
use chainstat_engine::Session;
use chainstat_job::ChainstatConfig;
use sqllogictest::{ColumnType, DBOutput};

use crate::common::*;

/// Column types as DataFusion's own .slt files write them.
#[derive(Debug, Clone, PartialEq, Eq)]
enum SltType {
    Text,
    Integer,
    Float,
    Bool,
    Any,
}

impl ColumnType for SltType {
    fn from_char(c: char) -> Option<Self> {
        Some(match c {
            'T' => SltType::Text,
            'I' => SltType::Integer,
            'R' => SltType::Float,
            'B' => SltType::Bool,
            _ => SltType::Any,
        })
    }

    fn to_char(&self) -> char {
        match self {
            SltType::Text => 'T',
            SltType::Integer => 'I',
            SltType::Float => 'R',
            SltType::Bool => 'B',
            SltType::Any => '?',
        }
    }
}

fn slt_type(t: &DataType) -> SltType {
    match t {
        t if t.is_integer() => SltType::Integer,
        DataType::Float16
        | DataType::Float32
        | DataType::Float64
        | DataType::Decimal128(_, _)
        | DataType::Decimal256(_, _) => SltType::Float,
        DataType::Boolean => SltType::Bool,
        _ => SltType::Text,
    }
}

#[derive(Debug)]
struct SltError(String);

impl std::fmt::Display for SltError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for SltError {}

struct ChainstatDb {
    session: Session,
}

#[async_trait]
impl sqllogictest::AsyncDB for ChainstatDb {
    type Error = SltError;
    type ColumnType = SltType;

    async fn run(&mut self, sql: &str) -> Result<DBOutput<SltType>, SltError> {
        let df = self
            .session
            .ctx
            .sql(sql)
            .await
            .map_err(|e| SltError(e.to_string()))?;
        let types: Vec<SltType> = df
            .schema()
            .fields()
            .iter()
            .map(|f| slt_type(f.data_type()))
            .collect();
        let is_query = !types.is_empty();
        let batches = df.collect().await.map_err(|e| SltError(e.to_string()))?;
        if !is_query {
            return Ok(DBOutput::StatementComplete(0));
        }
        let rows = to_text(&batches)
            .into_iter()
            .map(|r| {
                r.split('|')
                    .map(|c| {
                        if c.is_empty() {
                            "(empty)".to_string()
                        } else {
                            c.to_string()
                        }
                    })
                    .collect()
            })
            .collect();
        Ok(DBOutput::Rows { types, rows })
    }

    async fn shutdown(&mut self) {}

    fn engine_name(&self) -> &str {
        "chainstat"
    }

    async fn sleep(dur: std::time::Duration) {
        tokio::time::sleep(dur).await;
    }
}

fn slt_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.flatten().map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            slt_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "slt") {
            out.push(p);
        }
    }
}

async fn make_db() -> Result<ChainstatDb, SltError> {
    let path = root().join("data/sample/chainstat.toml");
    let mut cfg = ChainstatConfig::load(&path).map_err(|e| SltError(e.to_string()))?;
    cfg.engine.target_partitions = Some(2);
    let session = Session::open(cfg, None)
        .await
        .map_err(|e| SltError(e.to_string()))?;
    Ok(ChainstatDb { session })
}

#[tokio::test]
async fn slt_files_pass() {
    let mut files = Vec::new();
    slt_files(&root().join("tests/slt"), &mut files);
    assert!(!files.is_empty(), "no .slt files found");
    let complete = std::env::var("CHAINSTAT_SLT_COMPLETE").is_ok();
    let mut failures = Vec::new();
    for f in &files {
        let mut runner = sqllogictest::Runner::new(|| async { make_db().await });
        if complete {
            runner
                .update_test_file(
                    f,
                    " ",
                    sqllogictest::default_validator,
                    sqllogictest::default_normalizer,
                    sqllogictest::strict_column_validator,
                )
                .await
                .unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        } else if let Err(e) = runner.run_file_async(f).await {
            failures.push(format!("{}: {e}", f.display()));
        }
    }
    assert!(
        failures.is_empty(),
        "{} .slt file(s) failed (regenerate with CHAINSTAT_SLT_COMPLETE=1 and review):\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}
