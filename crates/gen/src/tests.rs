//! End-to-end tests on small data sets (2 000 transfers over 30 days spanning a month
//! boundary): determinism, scale, and that the ground truth really is the truth of the
//! generated rows — recomputed here from the Parquet files and `addresses.csv`.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::path::{Path, PathBuf};

use arrow::array::{
    Array, Decimal128Array, Int64Array, ListArray, StringArray, TimestampMicrosecondArray,
};
use arrow::record_batch::RecordBatch;
use chrono::NaiveDate;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use crate::{generate, GenParams, GenSummary};

const USDT: &str = "0xdac17f958d2ee523a2206206994597c13d831ec7";
const ZERO: &str = "0x0000000000000000000000000000000000000000";

fn params(seed: u64) -> GenParams {
    GenParams {
        transfers: 2_000,
        seed,
        start: NaiveDate::from_ymd_opt(2025, 1, 20).unwrap(),
        days: 30,
        ..GenParams::default()
    }
}

fn small(seed: u64) -> (tempfile::TempDir, GenSummary) {
    let dir = tempfile::tempdir().unwrap();
    let summary = generate(&params(seed), dir.path()).unwrap();
    (dir, summary)
}

// ----- readers --------------------------------------------------------------------

fn read(path: &Path) -> Vec<RecordBatch> {
    let file = File::open(path).unwrap();
    ParquetRecordBatchReaderBuilder::try_new(file)
        .unwrap()
        .build()
        .unwrap()
        .map(|b| b.unwrap())
        .collect()
}

fn parquet_files(dir: &Path, overlap: bool) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let name = p.to_string_lossy().to_string();
            name.ends_with(".parquet") && name.ends_with("-overlap.parquet") == overlap
        })
        .collect();
    files.sort();
    files
}

fn strs<'a>(b: &'a RecordBatch, name: &str) -> &'a StringArray {
    b.column_by_name(name)
        .unwrap()
        .as_any()
        .downcast_ref::<StringArray>()
        .unwrap()
}

fn ints<'a>(b: &'a RecordBatch, name: &str) -> &'a Int64Array {
    b.column_by_name(name)
        .unwrap()
        .as_any()
        .downcast_ref::<Int64Array>()
        .unwrap()
}

fn sats(b: &RecordBatch, i: usize) -> u64 {
    let v = b
        .column_by_name("value")
        .unwrap()
        .as_any()
        .downcast_ref::<Decimal128Array>()
        .unwrap()
        .value(i);
    assert_eq!(v % 1_000_000_000, 0, "value must be integral satoshi");
    u64::try_from(v / 1_000_000_000).unwrap()
}

fn address(b: &RecordBatch, i: usize) -> String {
    let lists = b
        .column_by_name("addresses")
        .unwrap()
        .as_any()
        .downcast_ref::<ListArray>()
        .unwrap();
    let items = lists.value(i);
    let items = items.as_any().downcast_ref::<StringArray>().unwrap();
    assert_eq!(items.len(), 1);
    items.value(0).to_string()
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Transfer {
    token: String,
    from: String,
    to: String,
    value: String,
    tx: String,
    log: i64,
    block: i64,
    ts: i64,
}

fn transfers(root: &Path, overlap: bool) -> Vec<Transfer> {
    let mut rows = Vec::new();
    for f in parquet_files(&root.join("ethereum/token_transfers"), overlap) {
        for b in read(&f) {
            let ts = b
                .column_by_name("block_timestamp")
                .unwrap()
                .as_any()
                .downcast_ref::<TimestampMicrosecondArray>()
                .unwrap();
            for i in 0..b.num_rows() {
                rows.push(Transfer {
                    token: strs(&b, "token_address").value(i).to_string(),
                    from: strs(&b, "from_address").value(i).to_string(),
                    to: strs(&b, "to_address").value(i).to_string(),
                    value: strs(&b, "value").value(i).to_string(),
                    tx: strs(&b, "transaction_hash").value(i).to_string(),
                    log: ints(&b, "log_index").value(i),
                    block: ints(&b, "block_number").value(i),
                    ts: ts.value(i),
                });
            }
        }
    }
    rows
}

/// (tx, index) → (block, address, sats) and per-tx lists, in file order.
struct Utxos {
    outputs: BTreeMap<(String, i64), (i64, String, u64)>,
    out_by_tx: BTreeMap<String, Vec<(String, u64)>>,
    in_by_tx: BTreeMap<String, Vec<(String, u64)>>,
    inputs: Vec<(String, i64, String, i64, String, u64)>,
}

fn utxos(root: &Path) -> Utxos {
    let mut u = Utxos {
        outputs: BTreeMap::new(),
        out_by_tx: BTreeMap::new(),
        in_by_tx: BTreeMap::new(),
        inputs: Vec::new(),
    };
    for f in parquet_files(&root.join("bitcoin/outputs"), false) {
        for b in read(&f) {
            for i in 0..b.num_rows() {
                let tx = strs(&b, "transaction_hash").value(i).to_string();
                let (a, v) = (address(&b, i), sats(&b, i));
                assert_eq!(strs(&b, "type").value(i), "pubkeyhash");
                u.outputs.insert(
                    (tx.clone(), ints(&b, "index").value(i)),
                    (ints(&b, "block_number").value(i), a.clone(), v),
                );
                u.out_by_tx.entry(tx).or_default().push((a, v));
            }
        }
    }
    for f in parquet_files(&root.join("bitcoin/inputs"), false) {
        for b in read(&f) {
            for i in 0..b.num_rows() {
                let tx = strs(&b, "transaction_hash").value(i).to_string();
                let (a, v) = (address(&b, i), sats(&b, i));
                u.inputs.push((
                    tx.clone(),
                    ints(&b, "block_number").value(i),
                    strs(&b, "spent_transaction_hash").value(i).to_string(),
                    ints(&b, "spent_output_index").value(i),
                    a.clone(),
                    v,
                ));
                u.in_by_tx.entry(tx).or_default().push((a, v));
            }
        }
    }
    u
}

fn csv(path: &Path) -> Vec<BTreeMap<String, String>> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    let header: Vec<String> = lines
        .next()
        .unwrap()
        .split(',')
        .map(str::to_string)
        .collect();
    lines
        .map(|l| {
            let fields: Vec<&str> = l.split(',').collect();
            assert_eq!(fields.len(), header.len(), "{l}");
            header
                .iter()
                .cloned()
                .zip(fields.into_iter().map(str::to_string))
                .collect()
        })
        .collect()
}

/// (chain, address) → true owner name.
fn owners(root: &Path) -> BTreeMap<(String, String), String> {
    csv(&root.join("ground_truth/addresses.csv"))
        .into_iter()
        .map(|r| {
            (
                (r["chain"].clone(), r["address"].clone()),
                r["entity"].clone(),
            )
        })
        .collect()
}

/// Entities whose turnover the ground truth reports.
fn tracked(root: &Path) -> BTreeSet<String> {
    csv(&root.join("ground_truth/entities.csv"))
        .into_iter()
        .filter(|r| r["category"] == "exchange" || r["category"] == "payment_processor")
        .map(|r| r["entity"].clone())
        .collect()
}

/// Ground-truth totals per entity for one chain and asset: (inflow, outflow, in, out).
fn truth_totals(root: &Path, chain: &str, asset: &str) -> BTreeMap<String, (u128, u128, u64, u64)> {
    let mut totals: BTreeMap<String, (u128, u128, u64, u64)> = BTreeMap::new();
    for r in csv(&root.join("ground_truth/turnover_daily.csv")) {
        if r["chain"] != chain || r["asset"] != asset {
            continue;
        }
        let t = totals.entry(r["entity"].clone()).or_default();
        t.0 += r["inflow_raw"].parse::<u128>().unwrap();
        t.1 += r["outflow_raw"].parse::<u128>().unwrap();
        t.2 += r["transfers_in"].parse::<u64>().unwrap();
        t.3 += r["transfers_out"].parse::<u64>().unwrap();
    }
    totals
}

// ----- tests ----------------------------------------------------------------------

#[test]
fn same_seed_gives_identical_bytes_other_seed_differs() {
    let (a, sa) = small(7);
    let (b, sb) = small(7);
    let (c, _) = small(8);
    assert_eq!(sa, sb);
    for f in &sa.files {
        let x = std::fs::read(a.path().join(f)).unwrap();
        let y = std::fs::read(b.path().join(f)).unwrap();
        assert!(x == y, "{f} differs between two runs with the same seed");
    }
    let f = "ethereum/token_transfers/2025-01.parquet";
    assert_ne!(
        std::fs::read(a.path().join(f)).unwrap(),
        std::fs::read(c.path().join(f)).unwrap()
    );
}

#[test]
fn scale_matches_the_parameters() {
    let (dir, s) = small(7);
    let n = s.eth_rows as f64;
    assert!((n - 2_000.0).abs() <= 200.0, "eth rows {n}");
    let btc = s.btc_transactions as f64;
    assert!((btc - 200.0).abs() <= 50.0, "btc transactions {btc}");
    assert_eq!(s.exchanges, 4);
    assert_eq!(s.users, 133);
    assert_eq!(transfers(dir.path(), false).len() as u64, s.eth_rows);
    for f in [
        "ethereum/token_transfers/2025-01.parquet",
        "ethereum/token_transfers/2025-02.parquet",
        "ethereum/token_transfers/2025-01-overlap.parquet",
        "ethereum/token_transfers/2025-02-overlap.parquet",
        "bitcoin/inputs/2025-01.parquet",
        "bitcoin/outputs/2025-02.parquet",
        "tokens.csv",
        "prices.csv",
        "labels.csv",
        "registry.csv",
        "chainstat.toml",
        "GENERATED.md",
        "ground_truth/addresses.csv",
        "ground_truth/entities.csv",
        "ground_truth/turnover_daily.csv",
        "ground_truth/depositors_yearly.csv",
    ] {
        assert!(s.files.iter().any(|x| x == f), "missing {f}");
        assert!(dir.path().join(f).exists(), "{f}");
    }
    // The token mix is dominated by USDT, with a few percent of spam.
    let rows = transfers(dir.path(), false);
    let usdt = rows.iter().filter(|r| r.token == USDT).count() as f64 / n;
    assert!((0.4..0.8).contains(&usdt), "USDT share {usdt}");
}

#[test]
fn transfers_are_sorted_timed_and_funded() {
    let (dir, _) = small(7);
    let rows = transfers(dir.path(), false);
    let start = 1_737_331_200_i64; // 2025-01-20T00:00:00Z
    let mut keys = BTreeSet::new();
    let mut balances: BTreeMap<(String, String), i128> = BTreeMap::new();
    for (i, r) in rows.iter().enumerate() {
        if i > 0 {
            let p = &rows[i - 1];
            assert!((p.block, p.log) < (r.block, r.log), "not sorted at row {i}");
        }
        assert_eq!(r.ts, (start + (r.block - 21_525_000) * 12) * 1_000_000);
        assert!(keys.insert((r.tx.clone(), r.log)), "duplicate key");
        assert_eq!(r.from.len(), 42);
        assert_eq!(r.to.len(), 42);
        assert_eq!(r.tx.len(), 66);
        let v: i128 = r.value.parse().unwrap();
        if r.from != ZERO {
            let b = balances
                .entry((r.from.clone(), r.token.clone()))
                .or_default();
            *b -= v;
            assert!(*b >= 0, "{} overdraws {} at row {i}", r.from, r.token);
        }
        *balances.entry((r.to.clone(), r.token.clone())).or_default() += v;
    }
    // Every address in the rows is in the ground truth.
    let owners = owners(dir.path());
    for r in &rows {
        assert!(
            owners.contains_key(&("ethereum".to_string(), r.from.clone())),
            "{}",
            r.from
        );
        assert!(
            owners.contains_key(&("ethereum".to_string(), r.to.clone())),
            "{}",
            r.to
        );
    }
}

#[test]
fn ethereum_truth_matches_the_rows() {
    let (dir, _) = small(7);
    check_ethereum_truth(dir.path());
}

fn check_ethereum_truth(root: &Path) {
    let owners = owners(root);
    let tracked = tracked(root);
    let owner = |a: &str| {
        owners
            .get(&("ethereum".to_string(), a.to_string()))
            .cloned()
    };
    let mut expect: BTreeMap<String, (u128, u128, u64, u64)> = BTreeMap::new();
    for r in transfers(root, false) {
        if r.token != USDT {
            continue;
        }
        let v: u128 = r.value.parse().unwrap();
        let (from, to) = (owner(&r.from), owner(&r.to));
        if v == 0 || from == to {
            continue;
        }
        if let Some(e) = to.filter(|e| tracked.contains(e)) {
            let t = expect.entry(e).or_default();
            t.0 += v;
            t.2 += 1;
        }
        if let Some(e) = from.filter(|e| tracked.contains(e)) {
            let t = expect.entry(e).or_default();
            t.1 += v;
            t.3 += 1;
        }
    }
    assert!(
        expect.len() >= 3,
        "too few entities with USDT turnover: {expect:?}"
    );
    assert_eq!(truth_totals(root, "ethereum", "USDT"), expect);
}

#[test]
fn bitcoin_truth_matches_the_transactions() {
    let (dir, _) = small(7);
    check_bitcoin_truth(dir.path());
}

fn check_bitcoin_truth(root: &Path) {
    let owners = owners(root);
    let tracked = tracked(root);
    let owner = |a: &str| owners[&("bitcoin".to_string(), a.to_string())].clone();
    let u = utxos(root);
    let mut expect: BTreeMap<String, (u128, u128, u64, u64)> = BTreeMap::new();
    for (tx, ins) in &u.in_by_tx {
        let outs = &u.out_by_tx[tx];
        let in_owners: Vec<String> = ins.iter().map(|(a, _)| owner(a)).collect();
        let mut ents: BTreeSet<String> = in_owners.iter().cloned().collect();
        ents.extend(outs.iter().map(|(a, _)| owner(a)));
        for e in ents.into_iter().filter(|e| tracked.contains(e)) {
            if in_owners.iter().all(|o| *o == e) {
                let out: u64 = outs
                    .iter()
                    .filter(|(a, _)| owner(a) != e)
                    .map(|x| x.1)
                    .sum();
                if out > 0 {
                    let t = expect.entry(e).or_default();
                    t.1 += u128::from(out);
                    t.3 += 1;
                }
            } else {
                let inn: u64 = outs
                    .iter()
                    .filter(|(a, _)| owner(a) == e)
                    .map(|x| x.1)
                    .sum();
                if inn > 0 {
                    let t = expect.entry(e).or_default();
                    t.0 += u128::from(inn);
                    t.2 += 1;
                }
            }
        }
    }
    assert!(!expect.is_empty());
    assert_eq!(truth_totals(root, "bitcoin", "BTC"), expect);
}

#[test]
fn bitcoin_spends_are_real_and_conserve_value() {
    let (dir, s) = small(7);
    check_spends(dir.path(), &s);
}

fn check_spends(root: &Path, s: &GenSummary) {
    let u = utxos(root);
    assert_eq!(u.inputs.len() as u64, s.btc_inputs);
    assert_eq!(u.outputs.len() as u64, s.btc_outputs);
    let mut spent = BTreeSet::new();
    for (tx, block, prev, vout, addr, value) in &u.inputs {
        let key = (prev.clone(), *vout);
        let (out_block, out_addr, out_value) = u
            .outputs
            .get(&key)
            .unwrap_or_else(|| panic!("{tx} spends unknown output {prev}:{vout}"));
        assert!(out_block <= block, "{tx} spends a later output");
        assert_eq!(out_addr, addr);
        assert_eq!(out_value, value);
        assert!(spent.insert(key), "{tx} double-spends {prev}:{vout}");
    }
    let mut coinbase = 0;
    for (tx, outs) in &u.out_by_tx {
        let out: u64 = outs.iter().map(|x| x.1).sum();
        match u.in_by_tx.get(tx) {
            None => coinbase += 1,
            Some(ins) => {
                let inn: u64 = ins.iter().map(|x| x.1).sum();
                assert!(inn >= out, "{tx} creates value");
                // 1 000–5 000 sat for ordinary payments; CoinJoin participants each pay
                // their share, and change below the dust limit is left to the miners.
                let fee = inn - out;
                let most = 10_000 + 13_000 * ins.len() as u64;
                assert!((1_000..=most).contains(&fee), "{tx} fee {fee}");
            }
        }
    }
    assert!(coinbase >= 30, "expected daily coinbases, got {coinbase}");
    assert_eq!(u.out_by_tx.len() as u64, s.btc_transactions);
}

/// Ground truth per address: (chain, address) → (owner, role, user_id).
fn address_truth(root: &Path) -> BTreeMap<(String, String), (String, String, String)> {
    csv(&root.join("ground_truth/addresses.csv"))
        .into_iter()
        .map(|r| {
            (
                (r["chain"].clone(), r["address"].clone()),
                (r["entity"].clone(), r["role"].clone(), r["user_id"].clone()),
            )
        })
        .collect()
}

/// WabiSabi's standard denominations (the test's own derivation).
fn is_standard(v: u64) -> bool {
    if v < 5_000 {
        return false;
    }
    let power_of = |mut x: u64, b: u64| {
        while x.is_multiple_of(b) {
            x /= b;
        }
        x == 1
    };
    power_of(v, 2)
        || power_of(v, 3)
        || (v.is_multiple_of(2) && power_of(v / 2, 3))
        || power_of(v, 10)
        || (v.is_multiple_of(2) && power_of(v / 2, 10))
        || (v.is_multiple_of(5) && power_of(v / 5, 10))
}

/// Pattern counts at the default scale (20 000 transfers over a year), each checked for
/// the structure the public descriptions give, plus the usual validity checks on the
/// same data. Run with `--nocapture` to see the counts.
#[test]
fn adversarial_patterns_at_default_scale() {
    let dir = tempfile::tempdir().unwrap();
    let s = generate(&GenParams::default(), dir.path()).unwrap();
    let root = dir.path();
    // Determinism with every pattern in play.
    let again = tempfile::tempdir().unwrap();
    assert_eq!(generate(&GenParams::default(), again.path()).unwrap(), s);
    for f in &s.files {
        let x = std::fs::read(root.join(f)).unwrap();
        assert!(
            x == std::fs::read(again.path().join(f)).unwrap(),
            "{f} differs"
        );
    }
    drop(again);
    check_spends(root, &s);
    check_bitcoin_truth(root);
    check_ethereum_truth(root);
    let truth = address_truth(root);
    let btc = |a: &str| truth[&("bitcoin".to_string(), a.to_string())].clone();
    let u = utxos(root);
    const POOLS: [u64; 4] = [100_000, 1_000_000, 5_000_000, 50_000_000];

    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    let mut whirlpool_txs = BTreeSet::new();
    let mut blocksci_misses_wasabi1 = 0;
    let (mut peel_hops, mut peel_starts) = (0, 0);
    for (tx, ins) in &u.in_by_tx {
        let outs = &u.out_by_tx[tx];
        let (n_in, n_out) = (ins.len(), outs.len());
        let in_owners: BTreeSet<String> = ins.iter().map(|(a, _)| btc(a).0).collect();
        let mut values: BTreeMap<u64, usize> = BTreeMap::new();
        for (_, v) in outs {
            *values.entry(*v).or_default() += 1;
        }
        let mode = values.values().copied().max().unwrap_or(0);
        let mode_value = values
            .iter()
            .filter(|(_, c)| **c == mode)
            .map(|(v, _)| *v)
            .max()
            .unwrap();
        let coordinator_outputs = outs
            .iter()
            .filter(|(a, _)| btc(a).0 == "wasabi_coordinator")
            .count();
        let users_only = in_owners.iter().all(|o| o.starts_with("user-"));
        let distinct_inputs = ins.iter().map(|x| &x.0).collect::<BTreeSet<_>>().len();

        // Peel hops: the new address is always the sender's own.
        let peel_outs: Vec<&(String, u64)> =
            outs.iter().filter(|(a, _)| btc(a).1 == "peel").collect();
        let peel_in = ins.iter().any(|(a, _)| btc(a).1 == "peel");
        // In a transaction of users only (CoinJoins, peel hops, payments), every output
        // belongs to one of the payers, to someone they pay, or to a coordinator; in a
        // CoinJoin (several payers) it is always a participant's own or their deposit.
        if users_only && in_owners.len() >= 3 {
            for (a, _) in outs {
                let (owner, role, user) = btc(a);
                let own = in_owners.contains(&owner)
                    || (role == "deposit" && in_owners.contains(&format!("user-{user}")))
                    || role == "coordinator";
                assert!(own, "{tx}: output {a} belongs to a non-participant {owner}");
            }
        }
        for (a, _) in &peel_outs {
            assert!(
                in_owners.contains(&btc(a).0),
                "{tx}: peel address of another"
            );
        }
        if in_owners.len() == 1 && (!peel_outs.is_empty() || peel_in) {
            peel_hops += 1;
            if !peel_in {
                peel_starts += 1;
                if !users_only {
                    *counts
                        .entry("peel_chains_by_unlabelled_exchanges")
                        .or_default() += 1;
                }
            }
        }

        if in_owners.len() == 1
            && !users_only
            && outs.iter().any(|(a, _)| {
                let (owner, role, user) = btc(a);
                role == "deposit" && !user.is_empty() && !in_owners.contains(&owner)
            })
        {
            *counts
                .entry("btc_withdrawals_into_other_exchange_deposit")
                .or_default() += 1;
        }
        if coordinator_outputs == 1 && (9_000_000..=11_000_000).contains(&mode_value) {
            // Wasabi 1: n equal outputs, one per participant, a fee output, change.
            *counts.entry("wasabi1").or_default() += 1;
            assert!(users_only);
            assert!((20..=100).contains(&mode), "{tx}: {mode} participants");
            assert_eq!(in_owners.len(), mode, "{tx}: one denomination output each");
            assert!(n_in >= mode && n_in <= 3 * mode);
            assert_ne!(mode_value % 100_000, 0, "denomination is not round");
            assert_ne!(mode, n_out.div_ceil(2), "{tx}: BlockSci's p would match");
            assert!(
                n_out > 2 * mode / 3 + mode,
                "{tx}: change for most participants"
            );
            assert_eq!(
                distinct_inputs, n_in,
                "{tx}: inputs from distinct addresses"
            );
            if values.contains_key(&(2 * mode_value)) {
                *counts.entry("wasabi1_with_second_level").or_default() += 1;
            }
            blocksci_misses_wasabi1 += 1;
        } else if n_in >= 50 && users_only {
            // WabiSabi: many inputs, standard denominations shared by participants.
            *counts.entry("wabisabi").or_default() += 1;
            assert!(n_in <= 300 + 2);
            assert!(coordinator_outputs <= 1);
            let standard = outs.iter().filter(|(_, v)| is_standard(*v)).count();
            assert!(
                standard * 10 >= n_out * 7,
                "{tx}: {standard}/{n_out} standard"
            );
            assert!(mode >= 3, "{tx}: no shared denomination");
        } else if n_in == 5 && n_out == 5 && mode == 5 && POOLS.contains(&mode_value) && users_only
        {
            // Whirlpool: 5 × 5 at a pool denomination, five distinct users.
            *counts.entry("whirlpool").or_default() += 1;
            assert_eq!(in_owners.len(), 5, "{tx}: participants not distinct");
            assert!(ins.iter().all(|(_, v)| *v >= mode_value));
            assert!(
                ins.iter().any(|(_, v)| *v > mode_value),
                "{tx}: no new entrant"
            );
            whirlpool_txs.insert(tx.clone());
        } else if users_only && in_owners.len() >= 3 && coordinator_outputs == 0 {
            // JoinMarket: n = makers + 1 equal outputs, n − 1 or n changes.
            *counts.entry("joinmarket").or_default() += 1;
            let n = in_owners.len();
            assert!((3..=10).contains(&n), "{tx}: {n} parties");
            assert_eq!(mode, n, "{tx}: equal outputs");
            assert!(
                n_out == 2 * n || n_out == 2 * n - 1,
                "{tx}: {n_out} outputs"
            );
            assert!(n_in >= n && n_in <= 3 * n);
            assert_eq!(
                distinct_inputs, n_in,
                "{tx}: inputs from distinct addresses"
            );
        } else if in_owners.len() == 1
            && !users_only
            && mode >= 3
            && n_out == mode + 1
            && values
                .keys()
                .any(|v| *v == mode_value && v.is_multiple_of(100_000))
        {
            *counts.entry("batch_payout").or_default() += 1;
        }
    }
    let remixes = u
        .inputs
        .iter()
        .filter(|i| whirlpool_txs.contains(&i.0) && whirlpool_txs.contains(&i.2))
        .count();
    counts.insert("whirlpool_remix_inputs", remixes);
    counts.insert("peel_hops", peel_hops);
    counts.insert("peel_chains", peel_starts);
    counts.insert("btc_transactions", s.btc_transactions as usize);

    // Ethereum.
    let eth = |a: &str| truth[&("ethereum".to_string(), a.to_string())].clone();
    let rows = transfers(root, false);
    let labels = csv(&root.join("labels.csv"));
    let labelled: BTreeSet<String> = labels.iter().map(|l| l["address"].clone()).collect();
    let spam_token = rows
        .iter()
        .find(|r| r.from == ZERO && eth(&r.to).1 == "spam")
        .map(|r| r.token.clone())
        .unwrap();
    let mut dust_recipients = BTreeSet::new();
    let mut cross_from_unlabelled = 0;
    for r in &rows {
        let (from, to) = (eth(&r.from), eth(&r.to));
        let zero = r.value == "0";
        if r.token == spam_token && to.1 == "deposit" {
            *counts.entry("airdrop_rows_into_deposits").or_default() += 1;
        }
        if from.1 == "dust" && r.from != ZERO && !zero {
            *counts.entry("dust_rows").or_default() += 1;
            let v: u128 = r.value.parse().unwrap();
            assert!(v <= 500_000, "dust of {v}");
            dust_recipients.insert(r.to.clone());
            if to.1 == "deposit" {
                *counts.entry("dust_rows_into_deposits").or_default() += 1;
            }
        }
        if zero && to.1 == "deposit" && from.1 == "spam" {
            *counts.entry("poison_into_deposits").or_default() += 1;
        }
        if zero && from.1 == "user" && to.1 == "spam" {
            *counts.entry("poison_from_victim").or_default() += 1;
        }
        if zero && from.1 == "spam" && to.1 == "user" {
            *counts.entry("poison_to_users").or_default() += 1;
        }
        if from.1 == "hot" && to.1 == "deposit" && !to.2.is_empty() && from.0 != to.0 {
            *counts
                .entry("hot_to_other_exchange_user_deposit")
                .or_default() += 1;
            if !labelled.contains(&r.from) {
                cross_from_unlabelled += 1;
            }
        }
        if from.1 == "treasury" || to.1 == "treasury" {
            *counts.entry("treasury_rows").or_default() += 1;
            let other = if from.1 == "treasury" { &to } else { &from };
            assert_eq!(other.1, "hot", "treasury trades only with hot wallets");
            assert_eq!(from.0, to.0, "treasury trades only inside its exchange");
        }
        if (from.1 == "cold" || to.1 == "cold") && from.0 == to.0 {
            let cold = if from.1 == "cold" { &r.from } else { &r.to };
            if !labelled.contains(cold) {
                *counts.entry("rows_with_unlabelled_cold").or_default() += 1;
            }
        }
    }
    counts.insert("dust_recipients", dust_recipients.len());
    counts.insert("cross_withdrawals_from_unlabelled", cross_from_unlabelled);
    counts.insert("eth_rows", s.eth_rows as usize);
    let labelled_exchanges: BTreeSet<String> = labels.iter().map(|l| l["entity"].clone()).collect();
    let cold_hidden = truth
        .iter()
        .filter(|((_, a), (owner, role, _))| {
            role == "cold" && labelled_exchanges.contains(owner) && !labelled.contains(a)
        })
        .count();
    counts.insert("labelled_exchanges_cold_wallets_unlabelled", cold_hidden);
    eprintln!("pattern counts at default scale: {counts:#?}");

    for (k, least) in [
        ("wasabi1", 3),
        ("wasabi1_with_second_level", 1),
        ("labelled_exchanges_cold_wallets_unlabelled", 2),
        ("wabisabi", 3),
        ("whirlpool", 3),
        ("joinmarket", 3),
        ("batch_payout", 10),
        ("whirlpool_remix_inputs", 1),
        ("peel_chains", 3),
        ("btc_withdrawals_into_other_exchange_deposit", 10),
        ("dust_recipients", 100),
        ("dust_rows_into_deposits", 20),
        ("airdrop_rows_into_deposits", 20),
        ("poison_into_deposits", 10),
        ("poison_from_victim", 10),
        ("hot_to_other_exchange_user_deposit", 24),
        ("cross_withdrawals_from_unlabelled", 1),
        ("treasury_rows", 10),
        ("rows_with_unlabelled_cold", 10),
    ] {
        let n = counts.get(k).copied().unwrap_or(0);
        assert!(n >= least, "{k}: {n} < {least}");
    }
    assert_eq!(blocksci_misses_wasabi1, counts["wasabi1"]);
}

#[test]
fn overlap_files_hold_verbatim_duplicates_and_malformed_rows() {
    let (dir, s) = small(7);
    let clean: BTreeMap<(String, i64), Transfer> = transfers(dir.path(), false)
        .into_iter()
        .map(|r| ((r.tx.clone(), r.log), r))
        .collect();
    let (mut dups, mut bad) = (0u64, 0u64);
    for r in transfers(dir.path(), true) {
        match clean.get(&(r.tx.clone(), r.log)) {
            Some(c) => {
                assert_eq!(*c, r, "duplicate is not verbatim");
                dups += 1;
            }
            None => {
                let broken = r.to == "0x1234"
                    || r.from.starts_with("0xzzzz")
                    || ["-5", "1.5e3", ""].contains(&r.value.as_str());
                assert!(
                    broken,
                    "overlap row is neither a duplicate nor malformed: {r:?}"
                );
                bad += 1;
            }
        }
    }
    assert_eq!(dups, s.duplicate_rows);
    assert_eq!(bad, s.malformed_rows);
    assert!(bad >= 2, "at least one malformed row per month");
    // February's overlap file re-exports some of January 31st.
    let feb_start = 1_738_368_000_000_000_i64; // 2025-02-01T00:00:00Z in µs
    let feb = read(
        &dir.path()
            .join("ethereum/token_transfers/2025-02-overlap.parquet"),
    );
    let straddling = feb
        .iter()
        .flat_map(|b| {
            let ts = b
                .column_by_name("block_timestamp")
                .unwrap()
                .as_any()
                .downcast_ref::<TimestampMicrosecondArray>()
                .unwrap()
                .clone();
            (0..ts.len()).map(move |i| ts.value(i))
        })
        .filter(|t| *t < feb_start)
        .count();
    assert!(straddling >= 1);
}

#[test]
fn reference_files_are_partial_like_real_ones() {
    let (dir, _) = small(7);
    let root = dir.path();
    let entities = csv(&root.join("ground_truth/entities.csv"));
    let labelled: BTreeSet<String> = entities
        .iter()
        .filter(|r| r["labelled"] == "true")
        .map(|r| r["entity"].clone())
        .collect();
    let exchanges: Vec<&BTreeMap<String, String>> = entities
        .iter()
        .filter(|r| r["category"] == "exchange")
        .collect();
    assert!(exchanges.iter().any(|r| r["labelled"] == "false"));
    assert!(exchanges.iter().filter(|r| r["labelled"] == "true").count() >= 3);

    let roles: BTreeMap<(String, String), String> = csv(&root.join("ground_truth/addresses.csv"))
        .into_iter()
        .map(|r| {
            (
                (r["chain"].clone(), r["address"].clone()),
                r["role"].clone(),
            )
        })
        .collect();
    let labels = csv(&root.join("labels.csv"));
    assert!(!labels.is_empty());
    for l in &labels {
        assert!(labelled.contains(&l["entity"]), "{l:?}");
        let role = &roles[&(l["chain"].clone(), l["address"].clone())];
        assert!(
            ["hot", "cold", "processor_hub"].contains(&role.as_str()),
            "{l:?}"
        );
    }

    let registry = csv(&root.join("registry.csv"));
    let labelled_exchanges = exchanges.iter().filter(|r| r["labelled"] == "true").count();
    assert_eq!(registry.len(), labelled_exchanges - 1);
    assert!(registry.iter().any(|r| r["licensed"] == "true"));
    assert!(registry.iter().any(|r| r["licensed"] == "false"));
    for r in &registry {
        assert!(["XA", "XB", "XC"].contains(&r["jurisdiction"].as_str()));
        if r["licensed"] == "true" {
            assert!(r["licence_id"].starts_with(&format!("{}-VASP-", r["jurisdiction"])));
        } else {
            assert!(r["licence_id"].is_empty());
        }
    }

    let tokens = csv(&root.join("tokens.csv"));
    assert_eq!(tokens.len(), 3);
    let prices = csv(&root.join("prices.csv"));
    assert_eq!(prices.len(), 4 * 30 - 3);
    assert_eq!(prices.iter().filter(|r| r["symbol"] == "WETH").count(), 27);

    let config = std::fs::read_to_string(root.join("chainstat.toml")).unwrap();
    assert!(config.starts_with("# Generated by `chainstat gen` (seed 7, 2000 transfers)"));
    assert!(config.contains("[job]\nregistry = \"registry.csv\""));
}

#[test]
fn refuses_a_non_empty_folder_and_bad_parameters() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("x"), "").unwrap();
    assert!(generate(&params(1), dir.path()).is_err());
    let empty = tempfile::tempdir().unwrap();
    let bad = GenParams {
        exchanges: Some(41),
        ..params(1)
    };
    assert!(generate(&bad, empty.path()).is_err());
    let bad = GenParams {
        days: 0,
        ..params(1)
    };
    assert!(generate(&bad, empty.path()).is_err());
}

/// Every file under `root` with its bytes, by relative path.
fn tree(root: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(root).unwrap().to_string_lossy().to_string();
                out.insert(rel, std::fs::read(&p).unwrap());
            }
        }
    }
    out
}

/// TRON is its own stream: the same seed gives the same TRON files, and turning TRON on
/// leaves the Ethereum and Bitcoin files byte for byte as they were. Its transfers are
/// tronetl's: base58 addresses, hashes without `0x`, every block in the blocks files, and
/// the ground truth has TRON turnover.
#[test]
fn tron_is_deterministic_and_leaves_the_other_chains_unchanged() {
    let with = |tron: bool| {
        let dir = tempfile::tempdir().unwrap();
        let tron = tron.then_some(crate::TronLayout::Tronetl);
        let s = generate(&GenParams { tron, ..params(3) }, dir.path()).unwrap();
        (dir, s)
    };
    let (a, sa) = with(true);
    let (b, _) = with(true);
    let (c, sc) = with(false);
    let (ta, tb, tc) = (tree(a.path()), tree(b.path()), tree(c.path()));
    assert_eq!(ta, tb);
    assert!(sa.tron_rows > 1_000, "{sa:?}");
    assert_eq!(sc.tron_rows, 0);
    for (rel, bytes) in &tc {
        if rel.starts_with("ethereum/") || rel.starts_with("bitcoin/") {
            assert_eq!(ta.get(rel), Some(bytes), "{rel} changed with TRON on");
        }
    }
    let transfers: Vec<String> = ta
        .iter()
        .filter(|(rel, _)| rel.starts_with("tron/token_transfers/"))
        .flat_map(|(_, b)| {
            String::from_utf8_lossy(b)
                .lines()
                .skip(1)
                .map(str::to_string)
                .collect::<Vec<_>>()
        })
        .collect();
    let blocks: BTreeSet<String> = ta
        .iter()
        .filter(|(rel, _)| rel.starts_with("tron/blocks/"))
        .flat_map(|(_, b)| {
            String::from_utf8_lossy(b)
                .lines()
                .skip(1)
                .map(|l| l.split(',').next().unwrap_or_default().to_string())
                .collect::<Vec<_>>()
        })
        .collect();
    assert_eq!(transfers.len() as u64, sa.tron_rows);
    for line in &transfers {
        let f: Vec<&str> = line.split(',').collect();
        assert_eq!(f.len(), 7, "{line}");
        assert!(blocks.contains(f[0]), "block {} has no blocks row", f[0]);
        assert_eq!(f[1].len(), 64, "{line}");
        for a in [f[3], f[4], f[5]] {
            assert!(
                chainstat_chain::tron::from_base58(a).is_ok(),
                "{a} is not a TRON address"
            );
        }
    }
    let usdt = truth_totals(a.path(), "tron", "USDT");
    assert!(!usdt.is_empty());
}
