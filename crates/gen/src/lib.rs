//! `chainstat-gen`: a deterministic generator of a realistic synthetic crypto economy,
//! written in the schemas real exporters produce (BigQuery / ethereum-etl token
//! transfers, bitcoin-etl inputs and outputs), together with the ground truth an ideal
//! analysis would recover.
//!
//! It exists because real chain data has no answer key: to test that chainstat's
//! clustering, attribution and turnover estimates are *right* — not just that they run —
//! we need data whose truth we know, with the same shapes and the same mess as the real
//! thing. It feeds the embedded sample, the accuracy tests and the benchmarks.
//!
//! The generator is NOT written to satisfy chainstat's heuristics. Its behaviours come
//! from public descriptions of how real actors transact, including the ones known to
//! break clustering: dust, spam airdrops and address poisoning into deposit addresses,
//! withdrawals from one exchange into a customer's deposit address at another, cold and
//! treasury wallets missing from the labels, four CoinJoin implementations (Wasabi 1,
//! WabiSabi, Whirlpool, JoinMarket), peel chains, and equal-amount exchange batch
//! payouts. Each is documented, with its frequency, where it is generated
//! (modules `ethereum`, `bitcoin`); the ground truth records who really owns every address.
//!
//! Same [`GenParams`] ⇒ byte-identical files: all randomness comes from the crate's own
//! seeded PRNG ([`rng`]), floating-point math avoids the platform's libm, iteration is
//! only over vectors and B-tree maps, and the Parquet writer settings are fixed.
//!
//! Output is streamed month by month, so memory is O(users + UTXOs), never O(transfers):
//! 100M transfers fit on an ordinary machine.

#![cfg_attr(test, allow(unused_crate_dependencies))]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

mod bitcoin;
mod book;
mod btc_rows;
mod calendar;
mod csv_monthly;
mod csv_out;
mod error;
mod eth_rows;
mod ethereum;
mod ids;
mod job;
mod labels;
mod log_rows;
mod math;
mod model;
mod names;
mod net;
mod overlap;
mod parquet_out;
mod plan;
mod prices;
mod risk;
pub mod rng;
mod tokens;
mod truth;
mod world;

#[cfg(test)]
mod tests;

use std::path::Path;

use chrono::NaiveDate;

pub use error::GenError;

use calendar::Calendar;
use plan::Plan;
use prices::Prices;
use rng::{stream, Rng};
use truth::Truth;
use world::World;

/// What to generate.
#[derive(Debug, Clone, PartialEq)]
pub struct GenParams {
    /// Target number of Ethereum token-transfer rows (the result is within a few percent).
    pub transfers: u64,
    /// Seed of every random choice.
    pub seed: u64,
    /// First day (UTC).
    pub start: NaiveDate,
    /// Number of days.
    pub days: u32,
    /// Number of exchanges (4–40); default `clamp(transfers / 4000, 4, 40)`.
    pub exchanges: Option<usize>,
    /// Number of users; default `max(transfers / 15, 50)`.
    pub users: Option<usize>,
    /// Bitcoin transactions per Ethereum transfer.
    pub btc_tx_per_transfer: f64,
    /// Also run the token economy on TRON (as many transfers as on Ethereum), in this
    /// layout.
    pub tron: Option<TronLayout>,
}

/// How the TRON economy is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TronLayout {
    /// tronetl's CSVs: base58 addresses, no timestamp in transfers, a blocks table.
    Tronetl,
    /// Google's BigQuery TRON dataset: Parquet, `0x` hex addresses, timestamps; only the
    /// config says the chain.
    Bigquery,
}

impl Default for GenParams {
    fn default() -> Self {
        Self {
            transfers: 20_000,
            seed: 7,
            start: NaiveDate::from_ymd_opt(2025, 1, 1).unwrap_or_default(),
            days: 365,
            exchanges: None,
            users: None,
            btc_tx_per_transfer: 0.1,
            tron: None,
        }
    }
}

/// What was generated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GenSummary {
    /// Clean Ethereum token-transfer rows (ground truth is over these).
    pub eth_rows: u64,
    /// Verbatim duplicate rows in the overlap files.
    pub duplicate_rows: u64,
    /// Malformed rows in the overlap files (must be rejected by readers).
    pub malformed_rows: u64,
    /// Bitcoin transactions, coinbase included.
    pub btc_transactions: u64,
    /// Bitcoin input rows.
    pub btc_inputs: u64,
    /// Bitcoin output rows.
    pub btc_outputs: u64,
    /// TRON token-transfer rows (0 without TRON).
    pub tron_rows: u64,
    /// Exchanges.
    pub exchanges: usize,
    /// Users.
    pub users: usize,
    /// Every file written, relative to the output folder, sorted.
    pub files: Vec<String>,
}

/// Generates a data set into `out`, which must be empty or not exist yet (the generator
/// writes a complete, self-consistent set and will not mix it with other files).
pub fn generate(params: &GenParams, out: &Path) -> Result<GenSummary, GenError> {
    let plan = Plan::resolve(params)?;
    prepare_out(out)?;
    let cal = Calendar::new(plan.start, plan.days)?;
    let day_weights = cal.day_weights(&mut Rng::new(plan.seed, stream::CALENDAR));
    let prices = Prices::generate(&mut Rng::new(plan.seed, stream::PRICES), cal.days());
    let mut world = World::build(&plan, &mut Rng::new(plan.seed, stream::SETUP), out)?;
    let mut truth = Truth::new(&world, &cal);

    let eth = ethereum::simulate(
        net::Net::Ethereum,
        &plan,
        &cal,
        &day_weights,
        &prices,
        &mut world,
        &mut truth,
        out,
    )?;
    let btc = bitcoin::simulate(
        &plan,
        &cal,
        &day_weights,
        &prices,
        &mut world,
        &mut truth,
        out,
    )?;

    let mut files = eth.files;
    let mut blacklisted = eth.blacklisted;
    files.extend(btc.files);
    // After Bitcoin, so that the Ethereum and Bitcoin files are the same with or without it.
    let tron_rows = if let Some(layout) = params.tron {
        let net = match layout {
            TronLayout::Tronetl => net::Net::Tron,
            TronLayout::Bigquery => net::Net::TronHex,
        };
        let tron = ethereum::simulate(
            net,
            &plan,
            &cal,
            &day_weights,
            &prices,
            &mut world,
            &mut truth,
            out,
        )?;
        files.extend(tron.files);
        blacklisted.extend(tron.blacklisted);
        files.push(tokens::write_tron_tokens(out)?);
        tron.rows
    } else {
        0
    };
    files.extend(truth.write(out, &world, &prices, &cal)?);
    files.push(tokens::write_tokens(out)?);
    files.push(prices.write(out, &cal, params.tron.is_some())?);
    files.push(labels::write_labels(out, &world, params.tron.is_some())?);
    files.push(labels::write_registry(out, &world)?);
    files.extend(risk::write(
        out,
        &world,
        &blacklisted,
        params.tron.is_some(),
    )?);
    files.push(risk::write_nested(out, &world, params.tron.is_some())?);
    files.push(job::write_config(out, &plan)?);
    let exchanges = world.exchanges.len();
    let users = world.users.len();
    files.push(world.finish()?);

    let mut summary = GenSummary {
        eth_rows: eth.rows,
        duplicate_rows: eth.duplicates,
        malformed_rows: eth.malformed,
        btc_transactions: btc.transactions,
        btc_inputs: btc.inputs,
        btc_outputs: btc.outputs,
        tron_rows,
        exchanges,
        users,
        files,
    };
    let readme = job::write_readme(out, &plan, &summary)?;
    summary.files.push(readme);
    summary.files.sort();
    Ok(summary)
}

/// Creates `out`, refusing a folder that already has something in it: stale files from
/// an earlier run (say, a month the new parameters do not cover) would silently join
/// the data set and break its ground truth.
fn prepare_out(out: &Path) -> Result<(), GenError> {
    if out.exists() {
        let mut entries = std::fs::read_dir(out).map_err(|e| error::io_error(out, e))?;
        if entries.next().is_some() {
            return Err(GenError::Invalid(format!(
                "output folder {} is not empty",
                out.display()
            )));
        }
        return Ok(());
    }
    std::fs::create_dir_all(out).map_err(|e| error::io_error(out, e))
}
