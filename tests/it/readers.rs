//! Each exporter format read from the real fixtures gives the numbers computed
//! independently (in Python, with exact integers) in `expected.json`.

use crate::common::*;

fn usdt_sum_sql() -> &'static str {
    "SELECT CAST(sum(amount_raw) AS VARCHAR) FROM transfers \
     WHERE asset = '0xdac17f958d2ee523a2206206994597c13d831ec7'"
}

#[tokio::test]
async fn ethereum_etl_parquet_usdt_sum_is_exact() {
    let e = expected();
    let s = session(&[&format!("eth={}", fixture("ethereum/etl/"))]).await;
    assert_eq!(s.tables[0].format.name(), "token-transfers");
    assert_eq!(s.tables[0].chain, "ethereum");
    assert_eq!(
        scalar(&s, usdt_sum_sql()).await,
        e["ethereum"]["usdt"]["raw_value_sum"].as_str().unwrap()
    );
    assert_eq!(
        scalar(&s, "SELECT count(*) FROM transfers").await,
        text(&e["ethereum"]["row_count"])
    );
    let addrs = scalar(
        &s,
        "SELECT count(DISTINCT a) FROM (SELECT from_address a FROM transfers UNION ALL SELECT to_address FROM transfers)",
    )
    .await;
    assert_eq!(
        addrs,
        text(&e["ethereum"]["distinct_addresses_from_union_to"])
    );
    assert_eq!(
        scalar(&s, "SELECT CAST(min(block_time) AS VARCHAR) FROM transfers").await,
        "2023-05-02T12:19:59Z"
    );
    assert_eq!(scalar(&s, "SELECT count(*) FROM rejects").await, "0");
}

#[tokio::test]
async fn token_units_come_from_token_metadata() {
    let s = session(&[
        &format!("eth={}", fixture("ethereum/etl/")),
        &format!(
            "tok={}",
            root().join("data/sample/tokens/tokens.csv").display()
        ),
    ])
    .await;
    // 1088121577531 raw USDT with 6 decimals.
    assert_eq!(
        scalar(
            &s,
            "SELECT CAST(sum(amount) AS VARCHAR) FROM transfers WHERE symbol = 'USDT'"
        )
        .await,
        "1088121.577531000000000000"
    );
    assert_eq!(
        scalar(&s, "SELECT count(*) FROM transfers WHERE amount IS NULL").await,
        scalar(&s, "SELECT count(*) FROM transfers WHERE symbol IS NULL").await
    );
}

#[tokio::test]
async fn csv_json_cryo_and_hive_give_the_same_transfers() {
    let e = expected();
    let want = e["ethereum"]["usdt"]["raw_value_sum"]
        .as_str()
        .unwrap()
        .to_string();
    for (table, rows_expected) in [
        (format!("t={}", fixture("ethereum/etl_csv/")), 291),
        (format!("t={}", fixture("ethereum/etl_json/")), 291),
        (format!("t={}", fixture("ethereum/hive/")), 291),
        (
            format!("t={}", fixture("ethereum/cryo/erc20_transfers.parquet")),
            282,
        ),
        (format!("t={}", fixture("ethereum/cryo_string_only/")), 282),
    ] {
        let s = session(&[&table]).await;
        assert_eq!(scalar(&s, usdt_sum_sql()).await, want, "{table}");
        assert_eq!(
            scalar(&s, "SELECT count(*) FROM transfers").await,
            rows_expected.to_string(),
            "{table}"
        );
        assert_eq!(
            scalar(&s, "SELECT count(*) FROM rejects").await,
            "0",
            "{table}"
        );
    }
    // cryo stores binary; the canonical rows equal the ethereum-etl ones.
    let etl = session(&[&format!("t={}", fixture("ethereum/etl/"))]).await;
    let cryo = session(&[&format!(
        "t={}",
        fixture("ethereum/cryo/erc20_transfers.parquet")
    )])
    .await;
    let q =
        "SELECT tx_hash, log_index, asset, from_address, to_address, CAST(amount_raw AS VARCHAR) \
             FROM transfers ORDER BY tx_hash, log_index";
    let cryo_rows = rows(&cryo, q).await;
    let etl_rows = rows(&etl, q).await;
    assert!(cryo_rows.iter().all(|r| etl_rows.contains(r)));
}

#[tokio::test]
async fn hive_partitions_are_columns() {
    let s = session(&[&format!("h={}", fixture("ethereum/hive/"))]).await;
    assert_eq!(
        rows(&s, "SELECT DISTINCT block_number_bucket FROM h ORDER BY 1").await,
        vec!["17173049", "17173050"]
    );
}

#[tokio::test]
async fn overlapping_exports_are_deduplicated() {
    let s = session(&[&format!("o={}", fixture("ethereum/overlap/"))]).await;
    assert_eq!(scalar(&s, "SELECT count(*) FROM o").await, "341");
    assert_eq!(scalar(&s, "SELECT count(*) FROM transfers").await, "291");
    assert_eq!(
        scalar(&s, usdt_sum_sql()).await,
        expected()["ethereum"]["usdt"]["raw_value_sum"]
            .as_str()
            .unwrap()
    );
    // The same rows registered twice as two tables also collapse.
    let s = session(&[
        &format!("a={}", fixture("ethereum/etl/")),
        &format!("b={}", fixture("ethereum/overlap/")),
    ])
    .await;
    assert_eq!(scalar(&s, "SELECT count(*) FROM transfers").await, "291");
}

#[tokio::test]
async fn tron_addresses_are_base58check_and_dated_from_blocks() {
    let e = expected();
    let s = session(&[&format!("tr={}", fixture("tron/parquet/"))]).await;
    assert_eq!(s.tables[0].chain, "tron");
    assert_eq!(
        scalar(&s, "SELECT count(*) FROM transfers").await,
        text(&e["tron"]["row_count"])
    );
    assert_eq!(
        scalar(
            &s,
            "SELECT CAST(sum(amount_raw) AS VARCHAR) FROM transfers WHERE asset = 'TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t'"
        )
        .await,
        e["tron"]["usdt"]["raw_value_sum"].as_str().unwrap()
    );
    // No timestamp column and no blocks table: time is NULL, not invented.
    assert_eq!(
        scalar(
            &s,
            "SELECT count(*) FROM transfers WHERE block_time IS NOT NULL"
        )
        .await,
        "0"
    );
    let s = session(&[
        &format!("tr={}", fixture("tron/token_transfer.csv")),
        &format!("tb={},chain=tron", fixture("tron/blocks/")),
    ])
    .await;
    assert_eq!(
        scalar(
            &s,
            "SELECT count(*) FROM transfers WHERE block_time IS NULL"
        )
        .await,
        "0"
    );
    assert_eq!(
        scalar(
            &s,
            "SELECT CAST(block_time AS VARCHAR) FROM transfers WHERE block_number = 12345678 LIMIT 1"
        )
        .await,
        "2019-08-05T10:13:20Z"
    );
}

#[tokio::test]
async fn bitcoin_inputs_and_outputs() {
    let e = expected();
    let s = session(&[
        &format!("i={}", fixture("bitcoin/inputs/")),
        &format!("o={}", fixture("bitcoin/outputs/")),
    ])
    .await;
    assert_eq!(
        scalar(&s, "SELECT count(*) FROM utxo_inputs").await,
        text(&e["bitcoin"]["input_rows"])
    );
    assert_eq!(
        scalar(
            &s,
            "SELECT CAST(sum(value_sat) AS VARCHAR) FROM utxo_outputs"
        )
        .await,
        text(&e["bitcoin"]["total_output_value_sat"])
    );
    assert_eq!(
        scalar(
            &s,
            "SELECT count(*) FROM (SELECT tx_hash FROM utxo_inputs GROUP BY tx_hash HAVING count(*) > 1)"
        )
        .await,
        text(&e["bitcoin"]["transactions_with_more_than_one_input"])
    );
    // Fees are never negative: inputs cover outputs for every non-coinbase tx.
    assert_eq!(
        scalar(
            &s,
            "SELECT count(*) FROM (SELECT i.tx_hash, sum(i.value_sat) AS vin FROM utxo_inputs i GROUP BY i.tx_hash) a \
             JOIN (SELECT tx_hash, sum(value_sat) AS vout FROM utxo_outputs GROUP BY tx_hash) b \
             ON a.tx_hash = b.tx_hash WHERE a.vin < b.vout"
        )
        .await,
        "0"
    );
    assert_eq!(scalar(&s, "SELECT count(*) FROM rejects").await, "0");
}

/// The job stages its inputs once and defines each input view twice: with plain strings,
/// and with string views for the queries that stream the inputs through joins
/// (`-- strings: views`). Both must hold the same rows — the deduplicated ones, winners
/// of repeated keys and every chain included — and switching must change only the string
/// type. Under a memory limit the switch keeps plain strings.
#[tokio::test]
async fn staged_inputs_hold_the_same_rows_with_string_views() {
    use arrow::datatypes::DataType;
    use chainstat_engine::input_strings::{self, read_inputs_with, InputStrings};
    use chainstat_engine::Session;

    let tables = [
        format!("a={}", fixture("ethereum/etl/")),
        format!("b={}", fixture("ethereum/overlap/")),
        format!("tr={}", fixture("tron/parquet/")),
        format!("i={}", fixture("bitcoin/inputs/")),
        format!("o={}", fixture("bitcoin/outputs/")),
    ];
    let tables: Vec<&str> = tables.iter().map(|t| t.as_str()).collect();
    let queries = [
        (
            "transfers",
            "from_address",
            "SELECT * FROM transfers ORDER BY chain, tx_hash, log_index",
        ),
        (
            "utxo_inputs",
            "address",
            "SELECT * FROM utxo_inputs ORDER BY chain, tx_hash, input_index",
        ),
        (
            "utxo_outputs",
            "address",
            "SELECT * FROM utxo_outputs ORDER BY chain, tx_hash, output_index",
        ),
    ];
    let string_type = |s: &Session, view: &'static str, column: &'static str| {
        let ctx = s.ctx.clone();
        async move {
            let df = ctx.table(view).await.expect("view");
            df.schema()
                .field_with_unqualified_name(column)
                .expect("column")
                .data_type()
                .clone()
        }
    };

    let s = session(&tables).await;
    let mut direct = Vec::new();
    for (_, _, sql) in queries {
        direct.push(rows(&s, sql).await);
    }
    assert_eq!(
        direct[0].len(),
        291 + text(&expected()["tron"]["row_count"])
            .parse::<usize>()
            .unwrap()
    );
    let work = tempfile::tempdir().expect("tmp");
    let dir = work.path().to_str().expect("utf-8 path");
    chainstat_engine::views::stage_canonical(&s.ctx, &s.tables, None, dir, true, true)
        .await
        .expect("staging");
    for (strings, want) in [
        (InputStrings::Plain, DataType::Utf8),
        (InputStrings::ViewsUnlessBounded, DataType::Utf8View),
        (InputStrings::Plain, DataType::Utf8),
    ] {
        read_inputs_with(&s.ctx, strings).await.expect("switch");
        for ((view, column, sql), direct) in queries.iter().zip(&direct) {
            assert_eq!(
                string_type(&s, view, column).await,
                want,
                "{view} {strings:?}"
            );
            // Every string column switches with it; every other column keeps its type.
            let plain = s
                .ctx
                .table(input_strings::plain_name(view))
                .await
                .expect("plain");
            let now = s.ctx.table(*view).await.expect("view");
            for (p, n) in plain.schema().fields().iter().zip(now.schema().fields()) {
                let expect = match p.data_type() {
                    DataType::Utf8 => want.clone(),
                    other => other.clone(),
                };
                assert_eq!(n.data_type(), &expect, "{view}.{} {strings:?}", p.name());
            }
            let got = rows(&s, sql).await;
            assert_eq!(got.len(), direct.len(), "{view} {strings:?}");
            assert!(&got == direct, "{view} {strings:?}: other rows");
        }
    }

    // Bounded memory: plain strings whatever the query asks for.
    let mut cfg = config(&tables);
    cfg.engine.memory_limit = Some("1g".to_string());
    let s = Session::open(cfg, None).await.expect("session opens");
    let work = tempfile::tempdir().expect("tmp");
    let dir = work.path().to_str().expect("utf-8 path");
    chainstat_engine::views::stage_canonical(&s.ctx, &s.tables, None, dir, true, true)
        .await
        .expect("staging");
    read_inputs_with(&s.ctx, InputStrings::ViewsUnlessBounded)
        .await
        .expect("switch");
    assert_eq!(
        string_type(&s, "transfers", "from_address").await,
        DataType::Utf8
    );
    assert!(
        rows(&s, queries[0].2).await == direct[0],
        "bounded: other rows"
    );
}
