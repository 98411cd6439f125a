//! Bad input never panics and never vanishes: a clear error naming the file / column,
//! or a counted row in `rejects` with file, row and reason.

use std::sync::Arc;

use arrow::array::{Float64Array, Int64Array, StringArray};
use arrow::datatypes::{DataType, Field, Schema};
use arrow::record_batch::RecordBatch;
use chainstat_engine::Session;

use crate::common::*;

async fn open_err(tables: &[&str]) -> String {
    match Session::open(config(tables), None).await {
        Ok(_) => panic!("expected an error for {tables:?}"),
        Err(e) => e.to_string(),
    }
}

#[tokio::test]
async fn bad_values_are_counted_rejects_with_file_row_and_reason() {
    let s = session(&[&format!("bad={}", fixture("bad/bad_values/"))]).await;
    let got = rows(
        &s,
        "SELECT \"row\", reason, file FROM rejects ORDER BY \"row\"",
    )
    .await;
    let want = [
        (1, "from_address: bad characters"),
        (2, "to_address: bad length"),
        (3, "value not numeric"),
        (4, "value negative"),
        (5, "value >= 10^76 (beyond DECIMAL(76,0))"),
        (6, "value overflows uint256"),
        (7, "value overflows uint256"),
        (8, "value missing"),
        (9, "from_address missing"),
    ];
    assert_eq!(got.len(), want.len(), "{got:?}");
    for (g, (row, reason)) in got.iter().zip(want) {
        let parts: Vec<&str> = g.splitn(3, '|').collect();
        assert_eq!(parts[0], row.to_string(), "{g}");
        assert_eq!(parts[1], reason, "{g}");
        assert!(
            parts[2].starts_with("file:///") && parts[2].ends_with("token_transfers.parquet"),
            "{g}"
        );
    }
    // Row 0 is the only good one; nothing else disappeared.
    assert_eq!(scalar(&s, "SELECT count(*) FROM transfers").await, "1");
    assert_eq!(scalar(&s, "SELECT count(*) FROM bad").await, "10");
}

/// The job validates its large inputs once, staging every row with its reason and, for
/// rejects, the file and row; `rejects` then reads them instead of validating again. It
/// must name the same rows as the views that validate the export directly.
#[tokio::test]
async fn staged_rejects_name_the_same_file_row_and_reason() {
    let s = session(&[&format!("bad={}", fixture("bad/bad_values/"))]).await;
    let query = "SELECT source_table, chain, file, \"row\", reason FROM rejects ORDER BY \"row\"";
    let direct = rows(&s, query).await;
    assert_eq!(direct.len(), 9, "{direct:?}");
    let work = tempfile::tempdir().expect("tmp");
    let dir = work.path().to_str().expect("utf-8 path");
    chainstat_engine::views::stage_canonical(&s.ctx, &s.tables, None, dir, true, true)
        .await
        .expect("staging");
    let staged = rows(&s, query).await;
    assert_eq!(staged, direct);
    // The good row is the one the views keep.
    assert_eq!(scalar(&s, "SELECT count(*) FROM transfers").await, "1");
}

#[tokio::test]
async fn wrong_schema_names_file_and_expected_columns() {
    let e = open_err(&[&format!("w={}", fixture("bad/wrong_schema/"))]).await;
    assert!(e.contains("wrong.parquet"), "{e}");
    assert!(e.contains("matches no known export format"), "{e}");
    assert!(e.contains("columns found: foo"), "{e}");
    assert!(
        e.contains("expected for token-transfers: token_address, from_address"),
        "{e}"
    );
}

#[tokio::test]
async fn corrupt_and_truncated_parquet_name_the_file() {
    for rel in ["bad/corrupt/", "bad/truncated/"] {
        let e = open_err(&[&format!("c={}", fixture(rel))]).await;
        assert!(e.contains(".parquet: cannot read file"), "{e}");
    }
}

#[tokio::test]
async fn missing_object_and_empty_folder_are_clear() {
    let e = open_err(&[&format!("m={}", fixture("ethereum/etl/nope.parquet"))]).await;
    assert!(e.contains("table 'm': cannot read"), "{e}");
    let dir = tempfile::tempdir().unwrap();
    let e = open_err(&[&format!("m={}/", dir.path().display())]).await;
    assert!(e.contains("table 'm': no data files found"), "{e}");
}

fn transfers_batch(value: Arc<dyn arrow::array::Array>, value_type: DataType) -> RecordBatch {
    let s = |v: &str| Arc::new(StringArray::from(vec![v])) as Arc<dyn arrow::array::Array>;
    let schema = Arc::new(Schema::new(vec![
        Field::new("token_address", DataType::Utf8, true),
        Field::new("from_address", DataType::Utf8, true),
        Field::new("to_address", DataType::Utf8, true),
        Field::new("value", value_type, true),
        Field::new("transaction_hash", DataType::Utf8, true),
        Field::new("log_index", DataType::Int64, true),
        Field::new("block_number", DataType::Int64, true),
    ]));
    RecordBatch::try_new(
        schema,
        vec![
            s("0xdac17f958d2ee523a2206206994597c13d831ec7"),
            s("0x6b75d8af000000e20b7a7ddf000ba900b4009a80"),
            s("0x7054b0f980a7eb5b3a6b3446f3c947d80162775c"),
            value,
            s(&format!("0x{}", "ab".repeat(32))),
            Arc::new(Int64Array::from(vec![0])),
            Arc::new(Int64Array::from(vec![1])),
        ],
    )
    .unwrap()
}

#[tokio::test]
async fn float_amounts_are_refused_naming_file_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("floaty.parquet");
    write_parquet(
        &p,
        &transfers_batch(Arc::new(Float64Array::from(vec![1e18])), DataType::Float64),
    );
    let e = open_err(&[&format!("f={}", p.display())]).await;
    assert!(
        e.contains("floaty.parquet: column `value` is Float64"),
        "{e}"
    );
    assert!(e.contains("not a float"), "{e}");
}

#[tokio::test]
async fn integer_amounts_are_exact_and_mixed_formats_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    write_parquet(
        &dir.path().join("a.parquet"),
        &transfers_batch(Arc::new(Int64Array::from(vec![5])), DataType::Int64),
    );
    let s = session(&[&format!("i={}/", dir.path().display())]).await;
    assert_eq!(
        scalar(&s, "SELECT CAST(amount_raw AS VARCHAR) FROM transfers").await,
        "5"
    );
    std::fs::copy(
        fixture("bitcoin/outputs/outputs.parquet"),
        dir.path().join("b.parquet"),
    )
    .unwrap();
    let e = open_err(&[&format!("i={}/", dir.path().display())]).await;
    assert!(e.contains("mixed formats"), "{e}");
    assert!(e.contains("bitcoin-outputs"), "{e}");
}

#[tokio::test]
async fn bad_table_options_are_config_errors() {
    assert!(chainstat_io::TableSpec::parse_arg("noequals").is_err());
    let e = chainstat_io::TableSpec::parse_arg("t=x,colour=red")
        .unwrap_err()
        .to_string();
    assert!(e.contains("unknown option 'colour'"), "{e}");
    // Closed-set options fail when the flag is parsed, before any file is opened.
    for (opts, want) in [
        ("format=nosuch", "table 't': unknown format 'nosuch'"),
        ("chain=dogecoin", "table 't': unknown chain 'dogecoin'"),
        ("type=parkay", "table 't': unknown file type 'parkay'"),
    ] {
        let arg = format!("t={},{opts}", fixture("ethereum/etl/"));
        let e = chainstat_io::TableSpec::parse_arg(&arg)
            .unwrap_err()
            .to_string();
        assert!(e.contains(want), "{e}");
    }
}
