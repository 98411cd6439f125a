//! Event logs as an input: the real ethereum-etl exports (stream JSON of blocks
//! 17173049–17173050, the extract and receipts CSVs) through the `logs` view and the
//! decoding functions, the same logs in tronetl's and cryo's layouts, and malformed input.

use std::sync::Arc;

use arrow::array::{ArrayRef, BinaryArray, Int64Array, RecordBatch, StringArray, UInt32Array};
use arrow::datatypes::{DataType, Field, Schema};
use chainstat_engine::Session;

use crate::common::*;

const TRANSFER: &str = "event_topic('Transfer(address,address,uint256)')";

/// ERC-20 and ERC-721 `Transfer` logs decoded with chainstat's functions: the amount is
/// the data word, or for ERC-721 the third indexed topic (the token id).
const DECODED: &str = "SELECT tx_hash, log_index, contract, word_address(chain, topic1), \
     word_address(chain, topic2), \
     CAST(CASE WHEN topic3 IS NULL THEN uint256(log_word(data, 0)) ELSE uint256(topic3) END AS VARCHAR) \
     FROM logs WHERE topic0 = event_topic('Transfer(address,address,uint256)') \
     AND topic1 IS NOT NULL AND topic2 IS NOT NULL";

/// The real logs of two mainnet blocks decode to exactly the rows of ethereum-etl's own
/// token-transfer export of the same blocks (291 transfers, USDT among them).
#[tokio::test]
async fn real_logs_decode_to_the_token_transfer_export_of_the_same_blocks() {
    let s = session(&[
        &format!("l={}", fixture("ethereum/etl_logs_json/logs.json")),
        &format!("t={}", fixture("ethereum/etl/")),
    ])
    .await;
    assert_eq!(scalar(&s, "SELECT count(*) FROM logs").await, "681");
    assert_eq!(scalar(&s, "SELECT count(*) FROM rejects").await, "0");
    let mut decoded = rows(&s, DECODED).await;
    decoded.sort();
    let mut exported = rows(
        &s,
        "SELECT tx_hash, log_index, asset, from_address, to_address, CAST(amount_raw AS VARCHAR) \
         FROM transfers",
    )
    .await;
    exported.sort();
    assert_eq!(exported.len(), 291);
    assert_eq!(decoded, exported);
    // Tether's logs are among them, dated from the export's own timestamp.
    let usdt = scalar(
        &s,
        &format!(
            "SELECT count(*) FROM logs WHERE contract = '0xdac17f958d2ee523a2206206994597c13d831ec7' \
             AND topic0 = {TRANSFER} AND block_time IS NOT NULL"
        ),
    )
    .await;
    assert_ne!(usdt, "0");
}

/// ethereum-etl's CSV joins topics with commas: quoted when there are several, bare when
/// there is one. Both files of the folder are read, undated (no timestamp, no blocks).
#[tokio::test]
async fn etl_csv_topics_split_into_topic_columns() {
    let s = session(&[&format!("l={}", fixture("ethereum/etl_logs_csv/"))]).await;
    let got = rows(
        &s,
        "SELECT block_number, log_index, topic0 IS NOT NULL, topic1 IS NOT NULL, \
         topic2 IS NOT NULL, topic3 IS NULL, block_time IS NULL FROM logs \
         ORDER BY block_number, log_index",
    )
    .await;
    assert_eq!(
        got,
        [
            "483920|0|true|true|true|true|true",
            "483920|1|true|true|true|true|true",
            "1452581|3|true|true|true|true|true",
            "1452581|4|true|false|false|true|true",
            "1452581|5|true|true|true|true|true",
        ]
    );
    // 0x186a0 in the first receipt's data.
    assert_eq!(
        scalar(
            &s,
            "SELECT CAST(uint256(log_word(data, 0)) AS VARCHAR) FROM logs \
             WHERE block_number = 483920 AND log_index = 0"
        )
        .await,
        "100000"
    );
    assert_eq!(
        scalar(&s, "SELECT word_address(chain, topic1) FROM logs WHERE block_number = 483920 AND log_index = 0").await,
        "0x1b63142628311395ceafeea5667e7c9026c862ca"
    );
}

/// The real logs, read back through the JSON export, as (key, contract, topics, data).
async fn reference(s: &Session) -> Vec<String> {
    let mut r = rows(
        s,
        "SELECT tx_hash, log_index, block_number, tron_to_hex(contract), topic0, topic1, topic2, topic3, data \
         FROM logs",
    )
    .await;
    r.sort();
    r
}

fn strip(s: &str) -> String {
    s.trim_start_matches("0x").to_string()
}

/// The same logs as tronetl writes them (`--logs-output`): base58 contract, topics joined
/// with `;`, hex without `0x`, no timestamp. Read as TRON (chain inferred from the
/// base58 contract), they are the same logs.
#[tokio::test]
async fn tronetl_and_cryo_layouts_give_the_same_logs() {
    let real = session(&[&format!(
        "l={},chain=tron",
        fixture("ethereum/etl_logs_json/logs.json")
    )])
    .await;
    let want = reference(&real).await;
    let plain = rows(
        &real,
        "SELECT block_number, tx_hash, log_index, tron_to_hex(contract), \
         concat_ws(',', topic0, topic1, topic2, topic3), data FROM logs",
    )
    .await;
    assert_eq!(plain.len(), 681);

    let dir = tempfile::tempdir().expect("tmp");
    let mut csv = String::from("block_number,transaction_hash,log_index,address,topics,data\n");
    let (mut blocks, mut hashes, mut indices, mut contracts, mut datas) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut topics: [Vec<Option<Vec<u8>>>; 4] = Default::default();
    for r in &plain {
        let p: Vec<&str> = r.split('|').collect();
        let hex41 = p[3];
        let mut bytes = [0u8; 21];
        assert!(chainstat_chain::hex::decode_into(
            hex41.as_bytes(),
            &mut bytes
        ));
        let base58 = chainstat_chain::tron::to_base58(&bytes);
        let joined: Vec<String> = p[4]
            .split(',')
            .filter(|t| !t.is_empty())
            .map(strip)
            .collect();
        csv.push_str(&format!(
            "{},{},{},{},{},{}\n",
            p[0],
            strip(p[1]),
            p[2],
            base58,
            joined.join(";"),
            strip(p[5])
        ));
        let decode = |h: &str| {
            let h = strip(h);
            let mut out = vec![0u8; h.len() / 2];
            assert!(chainstat_chain::hex::decode_into(h.as_bytes(), &mut out));
            out
        };
        blocks.push(p[0].parse::<u32>().expect("block"));
        hashes.push(decode(p[1]));
        indices.push(p[2].parse::<u32>().expect("index"));
        contracts.push(bytes[1..].to_vec());
        datas.push(decode(p[5]));
        for (k, t) in topics.iter_mut().enumerate() {
            t.push(joined.get(k).map(|h| decode(h)));
        }
    }
    std::fs::create_dir_all(dir.path().join("tronetl")).expect("mkdir");
    std::fs::write(dir.path().join("tronetl/logs.csv"), csv).expect("csv");
    let tronetl = session(&[&format!("tl={}/tronetl/", dir.path().display())]).await;
    assert_eq!(
        scalar(&tronetl, "SELECT min(chain) FROM logs").await,
        "tron"
    );
    assert_eq!(reference(&tronetl).await, want);

    // cryo `logs`: bytes everywhere, u32 positions, chain_id; no timestamp.
    let bin = |v: Vec<Vec<u8>>| -> ArrayRef {
        Arc::new(BinaryArray::from_iter_values(
            v.iter().map(|b| b.as_slice()),
        ))
    };
    let mut fields = vec![
        Field::new("block_number", DataType::UInt32, true),
        Field::new("log_index", DataType::UInt32, true),
        Field::new("transaction_hash", DataType::Binary, true),
        Field::new("address", DataType::Binary, true),
    ];
    let mut cols: Vec<ArrayRef> = vec![
        Arc::new(UInt32Array::from(blocks)),
        Arc::new(UInt32Array::from(indices)),
        bin(hashes),
        bin(contracts),
    ];
    for (k, t) in topics.into_iter().enumerate() {
        fields.push(Field::new(format!("topic{k}"), DataType::Binary, true));
        cols.push(Arc::new(BinaryArray::from_iter(t)));
    }
    fields.push(Field::new("data", DataType::Binary, true));
    cols.push(bin(datas));
    fields.push(Field::new("chain_id", DataType::Int64, true));
    cols.push(Arc::new(Int64Array::from(vec![1; cols[0].len()])));
    let batch = RecordBatch::try_new(Arc::new(Schema::new(fields)), cols).expect("batch");
    write_parquet(&dir.path().join("cryo/logs.parquet"), &batch);
    let cryo = session(&[&format!("c={}/cryo/,chain=tron", dir.path().display())]).await;
    assert_eq!(reference(&cryo).await, want);
}

/// A topic that is not 32 bytes, data that is not hex, a missing log index: counted
/// rejects naming the file, row and reason; the good row stays.
#[tokio::test]
async fn malformed_logs_are_counted_rejects() {
    let dir = tempfile::tempdir().expect("tmp");
    let t0 = format!("0x{}", "dd".repeat(32));
    let h = |n: u8| format!("0x{}", format!("{n:02x}").repeat(32));
    let csv = format!(
        "log_index,transaction_hash,block_number,address,data,topics\n\
         0,{},1,0xdac17f958d2ee523a2206206994597c13d831ec7,0x,{t0}\n\
         1,{},1,0xdac17f958d2ee523a2206206994597c13d831ec7,0x,\"{t0},0x1234\"\n\
         2,{},1,0xdac17f958d2ee523a2206206994597c13d831ec7,0xzz,{t0}\n\
         ,{},1,0xdac17f958d2ee523a2206206994597c13d831ec7,0x,{t0}\n\
         4,{},1,0xdac17f958d2ee523a2206206994597c13d831ec7,0x,\"{t0},{t0},{t0},{t0},{t0}\"\n\
         5,{},1,0xnotanaddress,0x,{t0}\n",
        h(1),
        h(2),
        h(3),
        h(4),
        h(5),
        h(6)
    );
    std::fs::write(dir.path().join("logs.csv"), csv).expect("csv");
    let s = session(&[&format!("bad={}", dir.path().join("logs.csv").display())]).await;
    let mut got = rows(&s, "SELECT \"row\", reason FROM rejects").await;
    got.sort();
    assert_eq!(
        got,
        [
            "NULL|address: bad length",
            "NULL|data: not hex",
            "NULL|log_index missing",
            "NULL|topic1: not a 32-byte word",
            "NULL|topics: more than 4",
        ]
    );
    assert_eq!(scalar(&s, "SELECT count(*) FROM logs").await, "1");
    assert_eq!(
        scalar(&s, "SELECT min(file) FROM rejects").await,
        format!("file://{}", dir.path().join("logs.csv").display())
    );
}

/// Wrong types and a missing column are errors naming the file and the column.
#[tokio::test]
async fn wrong_types_and_missing_columns_are_clear_errors() {
    let dir = tempfile::tempdir().expect("tmp");
    let schema = Arc::new(Schema::new(vec![
        Field::new("address", DataType::Utf8, true),
        Field::new("topics", DataType::Int64, true),
        Field::new("data", DataType::Utf8, true),
        Field::new("transaction_hash", DataType::Utf8, true),
        Field::new("log_index", DataType::Int64, true),
        Field::new("block_number", DataType::Int64, true),
    ]));
    let batch = RecordBatch::try_new(
        schema,
        vec![
            Arc::new(StringArray::from(vec![
                "0xdac17f958d2ee523a2206206994597c13d831ec7",
            ])),
            Arc::new(Int64Array::from(vec![1])),
            Arc::new(StringArray::from(vec!["0x"])),
            Arc::new(StringArray::from(vec![format!("0x{}", "11".repeat(32))])),
            Arc::new(Int64Array::from(vec![0])),
            Arc::new(Int64Array::from(vec![1])),
        ],
    )
    .expect("batch");
    write_parquet(&dir.path().join("typed/logs.parquet"), &batch);
    let e = match Session::open(
        config(&[&format!("t={}/typed/", dir.path().display())]),
        None,
    )
    .await
    {
        Ok(_) => panic!("a topics column of integers must be refused"),
        Err(e) => e.to_string(),
    };
    assert!(e.contains("logs.parquet: column `topics` is Int64"), "{e}");
    assert!(
        e.contains("a LIST of strings or one comma-separated string"),
        "{e}"
    );

    std::fs::create_dir_all(dir.path().join("missing")).expect("mkdir");
    std::fs::write(
        dir.path().join("missing/logs.csv"),
        "log_index,transaction_hash,block_number,address,data\n0,0x11,1,0xdac17f958d2ee523a2206206994597c13d831ec7,0x\n",
    )
    .expect("csv");
    let e = match Session::open(
        config(&[&format!("m={}/missing/,format=logs", dir.path().display())]),
        None,
    )
    .await
    {
        Ok(_) => panic!("a logs file without topics must be refused"),
        Err(e) => e.to_string(),
    };
    assert!(e.contains("logs.csv"), "{e}");
    assert!(e.contains("topics"), "{e}");
}

/// cryo's binary layout: a topic that is not 32 bytes is a counted reject; a topic
/// column of integers is an error naming the file and the column.
#[tokio::test]
async fn malformed_cryo_logs_are_rejected_or_refused() {
    let dir = tempfile::tempdir().expect("tmp");
    let batch = |topic0: ArrayRef, t: DataType| {
        let schema = Arc::new(Schema::new(vec![
            Field::new("block_number", DataType::UInt32, true),
            Field::new("log_index", DataType::UInt32, true),
            Field::new("transaction_hash", DataType::Binary, true),
            Field::new("address", DataType::Binary, true),
            Field::new("topic0", t, true),
            Field::new("data", DataType::Binary, true),
        ]));
        RecordBatch::try_new(
            schema,
            vec![
                Arc::new(UInt32Array::from(vec![1, 1])),
                Arc::new(UInt32Array::from(vec![0, 1])),
                Arc::new(BinaryArray::from_iter_values([[0x11u8; 32], [0x12u8; 32]])),
                Arc::new(BinaryArray::from_iter_values([[0xdau8; 20], [0xdau8; 20]])),
                topic0,
                Arc::new(BinaryArray::from_iter_values([[0u8; 32], [0u8; 32]])),
            ],
        )
        .expect("batch")
    };
    let good_and_short: ArrayRef = Arc::new(BinaryArray::from_iter_values([
        vec![0xddu8; 32],
        vec![0xddu8; 31],
    ]));
    write_parquet(
        &dir.path().join("short/logs.parquet"),
        &batch(good_and_short, DataType::Binary),
    );
    let s = session(&[&format!("c={}/short/", dir.path().display())]).await;
    assert_eq!(
        rows(&s, "SELECT \"row\", reason FROM rejects").await,
        ["1|topic0: not a 32-byte word"]
    );
    assert_eq!(scalar(&s, "SELECT count(*) FROM logs").await, "1");

    write_parquet(
        &dir.path().join("ints/logs.parquet"),
        &batch(Arc::new(Int64Array::from(vec![1, 2])), DataType::Int64),
    );
    let e = match Session::open(
        config(&[&format!("c={}/ints/", dir.path().display())]),
        None,
    )
    .await
    {
        Ok(_) => panic!("an integer topic0 must be refused"),
        Err(e) => e.to_string(),
    };
    assert!(e.contains("column `topic0` is Int64"), "{e}");
}
