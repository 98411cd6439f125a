//! The Ethereum side of the economy: ERC-20 transfers between users, exchanges, the
//! payment processor and spammers, generated in time order day by day and streamed into
//! monthly Parquet files (BigQuery `token_transfers` schema), with the ground truth of
//! every row recorded as it is written.
//!
//! Besides ordinary business it writes what real deposit addresses receive and that
//! breaks the assumption "everything paid into a deposit address comes from its
//! customer": spam airdrops, dust of real stablecoins from one duster, zero-value
//! address-poisoning transfers in three forms, and withdrawals from another exchange's
//! hot wallet by a customer of both. None of it is shaped to suit chainstat's
//! heuristics; each pattern follows public descriptions of how the actors behave.
//!
//! Every sender has the balance it sends: balances are tracked per address and token,
//! and events that would overdraw are shrunk or skipped. Consequences that happen later
//! (sweeps of deposits and invoices) and daily routines (hot/cold rebalancing, payhub's
//! cash-out) wait in a time-ordered queue, so rows still come out in block order.

mod issuer;

use std::collections::BTreeMap;
use std::path::Path;

use crate::calendar::{split_budget, Calendar, DAY_MS};
use crate::csv_monthly::MonthlyCsv;
use crate::error::GenError;
use crate::eth_rows::{EthBatch, EthRow};
use crate::ids::{self, domain};
use crate::log_rows::{LogBatch, LogRow};
use crate::model::{Chain, EntityId, Owner, Role, UserId};
use crate::net::Net;
use crate::overlap::Overlap;
use crate::parquet_out::MonthlyParquet;
use crate::plan::Plan;
use crate::prices::Prices;
use crate::rng::{mix64, stream, Rng};
use crate::tokens::{Asset, ERC20, ERC20_MIX};
use crate::truth::Truth;
use crate::world::{User, World};

/// Initial mints happen in the first hours of day 0, before anything else, so every
/// later sender can be funded and rows stay in time order.
const MINT_WINDOW_MS: i64 = 6 * 3_600_000;
/// Average rows per event (a deposit brings its sweep, airdrops many rows, most events
/// one), used to pace events so a day lands near its row budget.
const ROWS_PER_EVENT: f64 = 1.4;
/// An exchange sweeps a deposit 10 minutes to 6 hours after it arrives (well inside the
/// deposit-reuse heuristic's default one-day window).
const SWEEP_DELAY_MS: (u64, u64) = (600_000, 21_600_000);
/// The spam token's supply, minted to the spammer on day 0.
const SPAM_SUPPLY: u128 = 1_000_000_000_000 * 10u128.pow(18);

#[derive(Debug, Clone, Copy)]
enum Event {
    Deposit,
    Withdrawal,
    P2p,
    Payment,
    InterExchange,
    Airdrop,
    Poison,
    Dust,
    CrossWithdrawal,
}

const EVENTS: [Event; 9] = [
    Event::Deposit,
    Event::Withdrawal,
    Event::P2p,
    Event::Payment,
    Event::InterExchange,
    Event::Airdrop,
    Event::Poison,
    Event::Dust,
    Event::CrossWithdrawal,
];
/// Relative frequencies; an airdrop writes ~15 rows, so its small weight still makes
/// about 5% of rows spam. A dusting transaction writes ~11 rows: about 0.4% of rows are
/// dust (a few hundred recipients at 20 000 transfers). A withdrawal from one exchange
/// straight into the user's deposit address at another is common in reality: ~2% of
/// events.
const EVENT_WEIGHTS: [f64; 9] = [30.0, 27.0, 15.0, 7.0, 3.0, 0.45, 3.0, 0.3, 2.0];
/// What the duster holds of each stablecoin from day 0 (raw units, 6 decimals).
const DUST_FUNDS: u128 = 5_000_000 * 1_000_000;

/// Where a sweep takes funds from.
enum SweepFrom {
    /// A deposit address (persistent, balance tracked).
    Deposit(u32),
    /// A single-use payhub invoice address (text only).
    Invoice(String),
}

/// What a nested exchanger lets pile up in one token before cashing it out at its host.
const DESK_BATCH_USD: f64 = 2_000.0;

/// Something due at a later time.
enum Scheduled {
    Sweep {
        from: SweepFrom,
        to: u32,
        asset: Asset,
        amount: u128,
    },
    Rebalance(EntityId),
    Cashout,
    Enforce(issuer::Enforcement),
    /// A nested exchanger's customer pays it (index into `World::desks`).
    DeskIn(usize),
    /// A nested exchanger pays a customer out.
    DeskOut(usize),
    /// A nested exchanger cashes out through its deposit address at its host.
    DeskCashout(usize),
}

/// One end of a transfer.
struct Party {
    text: String,
    owner: Owner,
}

/// The transaction rows are being written for.
struct EthTx {
    day: usize,
    block: i64,
    ts_us: i64,
    hash: String,
}

/// What the Ethereum side wrote.
pub struct EthOutcome {
    /// Clean rows.
    pub rows: u64,
    /// Verbatim duplicates in the overlap files.
    pub duplicates: u64,
    /// Malformed rows in the overlap files.
    pub malformed: u64,
    /// Files written.
    pub files: Vec<String>,
    /// Every address an issuer froze, as its public blacklist shows them.
    pub blacklisted: Vec<crate::risk::Listed>,
}

/// Runs the token economy over the whole calendar on `net`.
#[allow(clippy::too_many_arguments)]
pub fn simulate(
    net: Net,
    plan: &Plan,
    cal: &Calendar,
    day_weights: &[f64],
    prices: &Prices,
    world: &mut World,
    truth: &mut Truth,
    out: &Path,
) -> Result<EthOutcome, GenError> {
    let mints = world.users.len() as u64 + 1;
    let budgets = split_budget(plan.transfers.saturating_sub(mints), day_weights);
    let spam_token = net.evm_text_here(&world.spam_token);
    // Both TRON layouts run the same economy: only how it is written differs.
    let (economy, issuers, nested) = match net {
        Net::Ethereum => (stream::ETHEREUM, stream::ISSUER, stream::NESTED),
        Net::Tron | Net::TronHex => (stream::TRON, stream::TRON_ISSUER, stream::TRON_NESTED),
    };
    let out_files = match net {
        Net::Ethereum | Net::TronHex => Out::Bigquery {
            transfers: MonthlyParquet::new(out, net.transfers_dir(), ""),
            logs: MonthlyParquet::new(out, net.logs_dir(), ""),
            overlap: Overlap::new(out, net.transfers_dir(), plan.seed),
        },
        Net::Tron => Out::Tronetl {
            transfers: MonthlyCsv::new(out, net.transfers_dir(), TRONETL_TRANSFERS),
            blocks: MonthlyCsv::new(out, TRON_BLOCKS_DIR, TRONETL_BLOCKS),
            logs: MonthlyCsv::new(out, net.logs_dir(), TRONETL_LOGS),
        },
    };
    let mut sim = EthSim {
        world,
        prices,
        cal,
        rng: Rng::new(plan.seed, economy),
        issuer_rng: Rng::new(plan.seed, issuers),
        desk_rng: Rng::new(plan.seed, nested),
        issuers: issuer::Issuers::new(out, net.freezes_file())?,
        balances: Vec::new(),
        spam_left: 0,
        pending: BTreeMap::new(),
        seq: 0,
        sink: EthSink {
            net,
            cal,
            truth,
            out: out_files,
            spam_token,
            tx_salt: ids::salt(plan.seed, domain::ETH_TX),
            tx_count: 0,
            last_t: 0,
            block: -1,
            block_hash: String::new(),
            next_log: 0,
        },
    };
    sim.mint()?;
    sim.schedule_enforcement();
    // A day that falls short (or overshoots) passes the difference on to the next, so
    // the total lands on target even though single days cannot.
    let mut carry: i64 = 0;
    for (day, budget) in budgets.iter().enumerate() {
        let target = (*budget as i64 + carry).max(0) as u64;
        let produced = sim.day(day, target)?;
        carry = target as i64 - produced as i64;
    }
    sim.run_due(i64::MAX)?;
    sim.finish_enforcement()?;
    let net_c = sim.sink.net.canonical();
    let blacklisted = sim
        .issuers
        .ever_frozen
        .iter()
        .map(|&(id, asset)| crate::risk::Listed {
            chain: net_c.chain().name(),
            address: net_c.address(&sim.world.book, id),
            symbol: asset.symbol(),
            owner: sim.world.book.owner_name(sim.world.book.eth_owner(id)),
        })
        .collect();
    let truth = sim.issuers.finish()?;
    let mut outcome = sim.sink.finish()?;
    outcome.files.push(truth);
    outcome.blacklisted = blacklisted;
    Ok(outcome)
}

/// tronetl's `token_transfers` columns.
const TRONETL_TRANSFERS: &[&str] = &[
    "block_number",
    "transaction_hash",
    "log_index",
    "token_address",
    "from_address",
    "to_address",
    "value",
];
/// tronetl-style `blocks`: number, hash, unix seconds (every block a transfer is in).
const TRONETL_BLOCKS: &[&str] = &["number", "hash", "timestamp"];
/// tronetl's `--logs-output` columns (topics joined with `;`, hex without `0x`).
const TRONETL_LOGS: &[&str] = &[
    "block_number",
    "transaction_hash",
    "log_index",
    "address",
    "topics",
    "data",
];
/// Folder of the TRON blocks files.
const TRON_BLOCKS_DIR: &str = "tron/blocks";

/// Where a net's rows go. One per simulation, so the variants' sizes do not matter.
#[allow(clippy::large_enum_variant)]
enum Out {
    /// BigQuery's layouts (Ethereum), with the messy re-export.
    Bigquery {
        transfers: MonthlyParquet<EthBatch>,
        logs: MonthlyParquet<LogBatch>,
        overlap: Overlap,
    },
    /// tronetl's CSV layouts (TRON): no timestamp in transfers, a blocks table instead.
    Tronetl {
        transfers: MonthlyCsv,
        blocks: MonthlyCsv,
        logs: MonthlyCsv,
    },
}

/// Writes rows: assigns blocks, log indices and hashes, feeds the clean file, the
/// overlap file and the ground truth.
struct EthSink<'a> {
    net: Net,
    cal: &'a Calendar,
    truth: &'a mut Truth,
    out: Out,
    spam_token: String,
    tx_salt: u64,
    tx_count: u64,
    last_t: i64,
    block: i64,
    block_hash: String,
    next_log: i64,
}

impl EthSink<'_> {
    /// Starts a transaction at `t_ms`. Times never go backwards, so blocks and log
    /// indices only grow and files come out sorted by (block_number, log_index).
    fn begin(&mut self, t_ms: i64) -> Result<EthTx, GenError> {
        let t = t_ms.max(self.last_t);
        self.last_t = t;
        self.tx_count += 1;
        let clock = self.net.clock();
        let block = clock.block_at(t);
        let ts_us = self.cal.block_time_us(&clock, block);
        // Other contracts' logs sit between token transfers in a real block.
        let gap = (mix64(self.tx_count ^ self.tx_salt) % 3) as i64;
        if block != self.block {
            self.block = block;
            self.block_hash = self.net.block_hash(block);
            self.next_log = gap;
            if let Out::Tronetl { blocks, .. } = &mut self.out {
                blocks.push(
                    self.cal.month(self.cal.day_of(t)),
                    &[
                        &block.to_string(),
                        &self.block_hash,
                        &(ts_us / 1_000_000).to_string(),
                    ],
                )?;
            }
        } else {
            self.next_log += gap;
        }
        Ok(EthTx {
            day: self.cal.day_of(t),
            block,
            ts_us,
            hash: self.net.tx_hash(self.tx_salt, self.tx_count),
        })
    }

    /// Writes one `Transfer` log of `tx`.
    fn emit(
        &mut self,
        tx: &EthTx,
        asset: Asset,
        from: &Party,
        to: &Party,
        amount: u128,
    ) -> Result<(), GenError> {
        self.emit_for(tx, asset, from, to, amount, from.owner)
    }

    /// [`Self::emit`] with the depositor the ground truth credits an inflow to.
    fn emit_for(
        &mut self,
        tx: &EthTx,
        asset: Asset,
        from: &Party,
        to: &Party,
        amount: u128,
        payer: Owner,
    ) -> Result<(), GenError> {
        let token = self
            .net
            .contract(asset)
            .unwrap_or_else(|| self.spam_token.clone());
        let asset = self.net.asset(asset);
        let month = self.cal.month(tx.day);
        match &mut self.out {
            Out::Bigquery {
                transfers, overlap, ..
            } => {
                let row = EthRow {
                    token_address: token,
                    from_address: from.text.clone(),
                    to_address: to.text.clone(),
                    value: amount.to_string(),
                    transaction_hash: tx.hash.clone(),
                    log_index: self.next_log,
                    block_timestamp_us: tx.ts_us,
                    block_number: tx.block,
                    block_hash: self.block_hash.clone(),
                };
                transfers.push(month, &row)?;
                overlap.observe(&row, month, self.cal.is_month_end(tx.day))?;
            }
            Out::Tronetl { transfers, .. } => transfers.push(
                month,
                &[
                    &tx.block.to_string(),
                    &tx.hash,
                    &self.next_log.to_string(),
                    &token,
                    &from.text,
                    &to.text,
                    &amount.to_string(),
                ],
            )?,
        }
        self.next_log += 1;
        self.truth
            .eth(tx.day, asset, from.owner, to.owner, amount, payer);
        Ok(())
    }

    /// Writes one event log of `tx` (not a transfer: no ground-truth flow).
    fn emit_log(
        &mut self,
        tx: &EthTx,
        contract: &str,
        topics: Vec<String>,
        data: String,
    ) -> Result<(), GenError> {
        let month = self.cal.month(tx.day);
        match &mut self.out {
            Out::Bigquery { logs, .. } => logs.push(
                month,
                &LogRow {
                    log_index: self.next_log,
                    transaction_hash: tx.hash.clone(),
                    address: contract.to_string(),
                    data,
                    topics,
                    block_timestamp_us: tx.ts_us,
                    block_number: tx.block,
                    block_hash: self.block_hash.clone(),
                },
            )?,
            Out::Tronetl { logs, .. } => {
                let bare: Vec<&str> = topics.iter().map(|t| t.trim_start_matches("0x")).collect();
                logs.push(
                    month,
                    &[
                        &tx.block.to_string(),
                        &tx.hash,
                        &self.next_log.to_string(),
                        contract,
                        &bare.join(";"),
                        data.trim_start_matches("0x"),
                    ],
                )?
            }
        }
        self.next_log += 1;
        Ok(())
    }

    fn rows(&self) -> u64 {
        match &self.out {
            Out::Bigquery { transfers, .. } => transfers.rows(),
            Out::Tronetl { transfers, .. } => transfers.rows(),
        }
    }

    fn finish(self) -> Result<EthOutcome, GenError> {
        match self.out {
            Out::Bigquery {
                transfers,
                logs,
                overlap,
            } => {
                let (mut files, rows) = transfers.finish()?;
                let (logs, _) = logs.finish()?;
                files.extend(logs);
                let (more, duplicates, malformed) = overlap.finish()?;
                files.extend(more);
                Ok(EthOutcome {
                    rows,
                    duplicates,
                    malformed,
                    files,
                    blacklisted: Vec::new(),
                })
            }
            Out::Tronetl {
                transfers,
                blocks,
                logs,
            } => {
                let (mut files, rows) = transfers.finish()?;
                files.extend(blocks.finish()?.0);
                files.extend(logs.finish()?.0);
                Ok(EthOutcome {
                    rows,
                    duplicates: 0,
                    malformed: 0,
                    files,
                    blacklisted: Vec::new(),
                })
            }
        }
    }
}

/// The simulation state.
struct EthSim<'a> {
    world: &'a mut World,
    prices: &'a Prices,
    cal: &'a Calendar,
    rng: Rng,
    /// The issuers' own choices, apart from the economy's (see `issuer`).
    issuer_rng: Rng,
    /// The nested exchangers' choices, apart from the economy's (see `desk_event`).
    desk_rng: Rng,
    issuers: issuer::Issuers,
    /// Balance per persistent address, per priced token (see [`Asset::slot`]).
    balances: Vec<[u128; 3]>,
    /// What the spammer has left to airdrop.
    spam_left: u128,
    pending: BTreeMap<(i64, u64), Scheduled>,
    seq: u64,
    sink: EthSink<'a>,
}

impl EthSim<'_> {
    // ----- time -----------------------------------------------------------------

    /// Day 0: the spam token's supply to the spammer, stablecoins to the duster, then
    /// one mint to every user's first address. Mints go to users and spammers only, so
    /// they are nobody's turnover.
    fn mint(&mut self) -> Result<(), GenError> {
        let zero = Party {
            text: self.sink.net.text(&[0u8; 20]),
            owner: Owner::Entity(self.world.mint),
        };
        let tx = self.sink.begin(0)?;
        let spammer = self.party(self.world.spam_sender);
        self.sink
            .emit(&tx, Asset::Spam, &zero, &spammer, SPAM_SUPPLY)?;
        self.spam_left = SPAM_SUPPLY;
        let duster = self.world.dust_sender;
        for asset in [Asset::Usdt, Asset::Usdc] {
            let tx = self.sink.begin(0)?;
            self.credit(duster, asset, DUST_FUNDS);
            let to = self.party(duster);
            self.sink.emit(&tx, asset, &zero, &to, DUST_FUNDS)?;
        }
        let n = self.world.users.len() as i64;
        for i in 0..n {
            let Some(user) = self.world.user(i as UserId) else {
                continue;
            };
            let Some(&to) = user.eth().first() else {
                continue;
            };
            let t = 1 + i * (MINT_WINDOW_MS - 2) / n.max(1);
            let asset = self.pick_token();
            let amount = self.usd_amount(asset, 0, 5_000.0, 1.3);
            if amount == 0 {
                continue;
            }
            let tx = self.sink.begin(t)?;
            self.credit(to, asset, amount);
            let recipient = self.party(to);
            self.sink.emit(&tx, asset, &zero, &recipient, amount)?;
        }
        Ok(())
    }

    /// One day: events at exponential gaps, paced so the day's rows approach `budget`,
    /// interleaved with whatever is due. Returns the rows written.
    fn day(&mut self, day: usize, budget: u64) -> Result<u64, GenError> {
        let start = day as i64 * DAY_MS;
        let open = if day == 0 { MINT_WINDOW_MS } else { start };
        let end = start + DAY_MS;
        self.schedule_daily(open, end);
        self.schedule_desks(open, end, budget);
        let before = self.sink.rows();
        let max_attempts = budget.saturating_mul(4).saturating_add(1_000);
        let mut attempts = 0u64;
        let mut t = open;
        loop {
            let done = self.sink.rows().saturating_sub(before);
            if done >= budget || attempts >= max_attempts {
                break;
            }
            let events_left = ((budget - done) as f64 / ROWS_PER_EVENT).max(1.0);
            let mean_gap = (end - t) as f64 / events_left;
            t += (self.rng.exponential(mean_gap) as i64).max(1);
            if t >= end {
                break;
            }
            self.run_due(t)?;
            self.event(t)?;
            attempts += 1;
        }
        self.run_due(end - 1)?;
        Ok(self.sink.rows().saturating_sub(before))
    }

    /// Each exchange rebalances hot and cold about once a day; payhub cashes out daily.
    fn schedule_daily(&mut self, open: i64, end: i64) {
        let span = (end - open).max(1) as u64;
        for x in 0..self.world.exchanges.len() {
            if self.rng.chance(0.9) {
                let t = open + self.rng.below(span) as i64;
                self.schedule(t, Scheduled::Rebalance(x as EntityId));
            }
        }
        let t = open + self.rng.below(span) as i64;
        self.schedule(t, Scheduled::Cashout);
    }

    fn schedule(&mut self, t: i64, what: Scheduled) {
        self.pending.insert((t, self.seq), what);
        self.seq += 1;
    }

    /// Exchange `x` sweeps what its deposit address `deposit` received at `t` to one of
    /// its hot wallets later.
    fn sweep_later(&mut self, t: i64, deposit: u32, x: EntityId, asset: Asset, amount: u128) {
        let to = self.hot_wallet(x);
        let when = self.sweep_time(t);
        self.schedule(
            when,
            Scheduled::Sweep {
                from: SweepFrom::Deposit(deposit),
                to,
                asset,
                amount,
            },
        );
    }

    /// When a sweep of something received at `t` happens; never after the data set ends
    /// (and never before `t`).
    fn sweep_time(&mut self, t: i64) -> i64 {
        let delay = self.rng.range(SWEEP_DELAY_MS.0, SWEEP_DELAY_MS.1) as i64;
        (t + delay).min(self.cal.end_ms() - 1).max(t)
    }

    /// Runs everything due at or before `t`, in time order.
    fn run_due(&mut self, t: i64) -> Result<(), GenError> {
        loop {
            let due = matches!(self.pending.first_key_value(), Some((k, _)) if k.0 <= t);
            if !due {
                return Ok(());
            }
            let Some(((when, _), what)) = self.pending.pop_first() else {
                return Ok(());
            };
            self.scheduled(when, what)?;
        }
    }

    fn scheduled(&mut self, t: i64, what: Scheduled) -> Result<(), GenError> {
        match what {
            Scheduled::Sweep {
                from: SweepFrom::Deposit(deposit),
                to,
                asset,
                amount,
            } => {
                let tx = self.sink.begin(t)?;
                self.transfer(&tx, asset, deposit, to, amount)?;
            }
            Scheduled::Sweep {
                from: SweepFrom::Invoice(text),
                to,
                asset,
                amount,
            } => {
                let tx = self.sink.begin(t)?;
                self.credit(to, asset, amount);
                let invoice = Party {
                    text,
                    owner: Owner::Entity(self.world.payhub),
                };
                let hub = self.party(to);
                self.sink.emit(&tx, asset, &invoice, &hub, amount)?;
            }
            Scheduled::Rebalance(x) => self.rebalance(t, x)?,
            Scheduled::Cashout => self.cashout(t)?,
            Scheduled::Enforce(e) => self.enforce(t, e)?,
            desk @ (Scheduled::DeskIn(_) | Scheduled::DeskOut(_) | Scheduled::DeskCashout(_)) => {
                // The desks draw from their own stream, so the rest of the economy's
                // random choices are the same with or without them.
                std::mem::swap(&mut self.rng, &mut self.desk_rng);
                let r = self.desk_event(t, desk);
                std::mem::swap(&mut self.rng, &mut self.desk_rng);
                r?;
            }
        }
        Ok(())
    }

    /// A day of the nested exchangers: about 2% of the day's rows each in customer
    /// payments, on some days a quarter as many payouts, and late in the day a cash-out
    /// of whatever has piled up beyond a batch.
    fn schedule_desks(&mut self, open: i64, end: i64, budget: u64) {
        let span = (end - open).max(1) as u64;
        for d in 0..self.world.desks.len() {
            let n_in = ((budget as f64 * 0.02).round() as u64).max(1);
            let n_in = self.desk_rng.range(n_in / 2, n_in + n_in / 2 + 1);
            for _ in 0..n_in {
                let t = open + self.desk_rng.below(span) as i64;
                self.schedule(t, Scheduled::DeskIn(d));
            }
            // Customers selling local currency are fewer than those buying: the desk
            // ends most weeks with stablecoins to cash out.
            if self.desk_rng.chance(0.4) {
                for _ in 0..(n_in / 4).max(1) {
                    let t = open + self.desk_rng.below(span) as i64;
                    self.schedule(t, Scheduled::DeskOut(d));
                }
            }
            let t = end - 1 - self.desk_rng.below(span / 4 + 1) as i64;
            self.schedule(t.max(open), Scheduled::DeskCashout(d));
        }
    }

    /// One move of a nested exchanger (run with the desks' random stream).
    fn desk_event(&mut self, t: i64, what: Scheduled) -> Result<(), GenError> {
        let day = self.cal.day_of(t);
        let (d, what) = match what {
            Scheduled::DeskIn(d) => (d, 0),
            Scheduled::DeskOut(d) => (d, 1),
            Scheduled::DeskCashout(d) => (d, 2),
            _ => return Ok(()),
        };
        let Some(desk) = self.world.desks.get(d).copied() else {
            return Ok(());
        };
        match what {
            // A customer buys local currency: pays the desk in stablecoins.
            0 => {
                let uid = self.world.pick_user(&mut self.rng);
                let Some(user) = self.world.user(uid) else {
                    return Ok(());
                };
                let Some((from, asset, available)) = self.funded(&user, Asset::Usdt) else {
                    return Ok(());
                };
                let amount = self.usd_amount(asset, day, 300.0, 1.2).min(available);
                let tx = self.sink.begin(t)?;
                self.transfer(&tx, asset, from, desk.hub, amount)?;
            }
            // A customer sells local currency: the desk pays out, topping up from its
            // account at the host when it runs short.
            1 => {
                let uid = self.world.pick_user(&mut self.rng);
                let Some(user) = self.world.user(uid) else {
                    return Ok(());
                };
                let Some(&to) = user.eth().first() else {
                    return Ok(());
                };
                let asset = Asset::Usdt;
                let amount = self.usd_amount(asset, day, 400.0, 1.2);
                if self.balance(desk.hub, asset) < amount {
                    if let Some((hot, a, available)) = self.funded_hot(desk.host, asset) {
                        if a == asset {
                            let top_up = amount.saturating_mul(3).min(available);
                            let tx = self.sink.begin(t)?;
                            self.transfer(&tx, asset, hot, desk.hub, top_up)?;
                        }
                    }
                }
                let amount = amount.min(self.balance(desk.hub, asset));
                let tx = self.sink.begin(t + 1)?;
                self.transfer(&tx, asset, desk.hub, to, amount)?;
            }
            // The batch: once a token's pile is worth a batch, most of it goes to the
            // desk's own deposit address at the host, which the host sweeps like any
            // customer's.
            _ => {
                let deposit =
                    self.world
                        .customer_deposit(Chain::Ethereum, desk.entity, desk.host)?;
                for asset in ERC20 {
                    let held = self.balance(desk.hub, asset);
                    let usd = held as f64 / asset.scale() * self.prices.market(asset, day);
                    if usd < DESK_BATCH_USD {
                        continue;
                    }
                    let amount = held - held / 5;
                    let tx = self.sink.begin(t)?;
                    if self.transfer(&tx, asset, desk.hub, deposit, amount)? {
                        self.sweep_later(t, deposit, desk.host, asset, amount);
                    }
                }
            }
        }
        Ok(())
    }

    // ----- events ---------------------------------------------------------------

    fn event(&mut self, t: i64) -> Result<(), GenError> {
        let kind = EVENTS
            .get(self.rng.weighted(&EVENT_WEIGHTS))
            .copied()
            .unwrap_or(Event::P2p);
        match kind {
            Event::Deposit => self.deposit(t),
            Event::Withdrawal => self.withdrawal(t),
            Event::P2p => self.p2p(t),
            Event::Payment => self.payment(t),
            Event::InterExchange => self.inter_exchange(t),
            Event::Airdrop => self.airdrop(t),
            Event::Poison => self.poison(t),
            Event::Dust => self.dust(t),
            Event::CrossWithdrawal => self.cross_withdrawal(t),
        }
    }

    /// A user pays into their deposit address at one of their exchanges; the exchange
    /// sweeps the full amount to a hot wallet later. The reused deposit address is what
    /// the deposit-reuse heuristic keys on.
    fn deposit(&mut self, t: i64) -> Result<(), GenError> {
        let day = self.cal.day_of(t);
        let uid = self.world.pick_user(&mut self.rng);
        let Some(user) = self.world.user(uid) else {
            return Ok(());
        };
        let Some(account) = self.rng.pick(user.accounts()).copied() else {
            return Ok(());
        };
        let prefer = self.pick_token();
        let Some((from, asset, available)) = self.funded(&user, prefer) else {
            return Ok(());
        };
        let amount = self.usd_amount(asset, day, 500.0, 1.5).min(available);
        let tx = self.sink.begin(t)?;
        if !self.transfer(&tx, asset, from, account.eth_deposit, amount)? {
            return Ok(());
        }
        self.sweep_later(t, account.eth_deposit, account.exchange, asset, amount);
        Ok(())
    }

    /// An exchange pays a user from a hot wallet; a quarter of withdrawals are batched
    /// with other customers' into one transaction (several logs, one hash).
    fn withdrawal(&mut self, t: i64) -> Result<(), GenError> {
        let day = self.cal.day_of(t);
        let uid = self.world.pick_user(&mut self.rng);
        let Some(user) = self.world.user(uid) else {
            return Ok(());
        };
        let Some(account) = self.rng.pick(user.accounts()).copied() else {
            return Ok(());
        };
        let x = account.exchange;
        let prefer = self.pick_token();
        let Some((hot, asset, available)) = self.funded_hot(x, prefer) else {
            return Ok(());
        };
        let Some(&dest) = self.rng.pick(user.eth()) else {
            return Ok(());
        };
        let amount = self.usd_amount(asset, day, 600.0, 1.5).min(available);
        let tx = self.sink.begin(t)?;
        if !self.transfer(&tx, asset, hot, dest, amount)? {
            return Ok(());
        }
        if self.rng.chance(0.25) {
            let extra = 1 + self.rng.below(4);
            for _ in 0..extra {
                let Some(other) = self.customer_of(x) else {
                    break;
                };
                let Some(&dest) = self.rng.pick(other.eth()) else {
                    break;
                };
                let available = self.balance(hot, asset);
                let amount = self.usd_amount(asset, day, 600.0, 1.5).min(available);
                if !self.transfer(&tx, asset, hot, dest, amount)? {
                    break;
                }
            }
        }
        Ok(())
    }

    /// User to user.
    fn p2p(&mut self, t: i64) -> Result<(), GenError> {
        let day = self.cal.day_of(t);
        let uid = self.world.pick_user(&mut self.rng);
        let vid = self.world.pick_user(&mut self.rng);
        if uid == vid {
            return Ok(());
        }
        let (Some(user), Some(peer)) = (self.world.user(uid), self.world.user(vid)) else {
            return Ok(());
        };
        let prefer = self.pick_token();
        let Some((from, asset, available)) = self.funded(&user, prefer) else {
            return Ok(());
        };
        let Some(&to) = self.rng.pick(peer.eth()) else {
            return Ok(());
        };
        let amount = self.usd_amount(asset, day, 200.0, 1.4).min(available);
        let tx = self.sink.begin(t)?;
        self.transfer(&tx, asset, from, to, amount)?;
        Ok(())
    }

    /// A user pays a payhub invoice: a fresh single-use address, swept to payhub's hub.
    fn payment(&mut self, t: i64) -> Result<(), GenError> {
        let day = self.cal.day_of(t);
        let uid = self.world.pick_user(&mut self.rng);
        let Some(user) = self.world.user(uid) else {
            return Ok(());
        };
        let prefer = self.pick_token();
        let Some((from, asset, available)) = self.funded(&user, prefer) else {
            return Ok(());
        };
        let amount = self.usd_amount(asset, day, 120.0, 1.2).min(available);
        if amount == 0 || !self.debit(from, asset, amount) {
            return Ok(());
        }
        let mut bytes = [0u8; 20];
        self.rng.fill(&mut bytes);
        let invoice = Party {
            text: self.sink.net.text(&bytes),
            owner: Owner::Entity(self.world.payhub),
        };
        // The address ground truth lists Ethereum's book; TRON's reuses its bytes.
        if self.sink.net == Net::Ethereum {
            self.world
                .book
                .record_eth(&invoice.text, invoice.owner, Role::Invoice)?;
        }
        let payer = self.party(from);
        let tx = self.sink.begin(t)?;
        self.sink.emit(&tx, asset, &payer, &invoice, amount)?;
        let when = self.sweep_time(t);
        let hub = self.world.hub;
        self.schedule(
            when,
            Scheduled::Sweep {
                from: SweepFrom::Invoice(invoice.text),
                to: hub,
                asset,
                amount,
            },
        );
        Ok(())
    }

    /// Exchange X moves funds to its own deposit address at exchange Y (X is Y's
    /// customer); Y sweeps it. Truth: X's outflow, Y's inflow.
    fn inter_exchange(&mut self, t: i64) -> Result<(), GenError> {
        let day = self.cal.day_of(t);
        let x = self.world.pick_exchange(&mut self.rng);
        let mut y = x;
        for _ in 0..3 {
            y = self.world.pick_exchange(&mut self.rng);
            if y != x {
                break;
            }
        }
        if y == x {
            return Ok(());
        }
        let prefer = self.pick_token();
        let Some((hot, asset, available)) = self.funded_hot(x, prefer) else {
            return Ok(());
        };
        let amount = self
            .usd_amount(asset, day, 50_000.0, 1.0)
            .min(available / 2);
        if amount == 0 {
            return Ok(());
        }
        let deposit = self.world.customer_deposit(Chain::Ethereum, x, y)?;
        let tx = self.sink.begin(t)?;
        if !self.transfer(&tx, asset, hot, deposit, amount)? {
            return Ok(());
        }
        self.sweep_later(t, deposit, y, asset, amount);
        Ok(())
    }

    /// The spammer airdrops the unlisted token to many addresses in one transaction —
    /// users, deposit addresses and hot wallets alike. Deposit addresses never sweep it,
    /// and it has no price: inflow the job must show as unpriced.
    fn airdrop(&mut self, t: i64) -> Result<(), GenError> {
        let recipients = 5 + self.rng.below(21);
        let sender = self.party(self.world.spam_sender);
        let tx = self.sink.begin(t)?;
        for _ in 0..recipients {
            let amount = u128::from(1 + self.rng.below(1_000)) * 10u128.pow(18);
            if amount > self.spam_left {
                break;
            }
            let Some(to) = self.spam_target() else {
                continue;
            };
            self.spam_left -= amount;
            let to = self.party(to);
            self.sink.emit(&tx, Asset::Spam, &sender, &to, amount)?;
        }
        Ok(())
    }

    fn spam_target(&mut self) -> Option<u32> {
        let r = self.rng.f64();
        if r < 0.9 {
            let uid = self.world.pick_user(&mut self.rng);
            let user = self.world.user(uid)?;
            // Airdrop lists are scraped from past transfers, so deposit addresses — the
            // busiest receivers — are a large share of them: 40% of recipients here.
            if r < 0.5 {
                self.rng.pick(user.eth()).copied()
            } else {
                self.rng.pick(user.accounts()).map(|a| a.eth_deposit)
            }
        } else {
            let x = self.world.pick_exchange(&mut self.rng);
            Some(self.hot_wallet(x))
        }
    }

    /// Address poisoning: zero-value USDT transfers from (or, like a `transferFrom` any
    /// contract can call, apparently by) look-alike addresses that share the first and
    /// last four hex digits of an address the victim uses. Three forms, seen in the wild:
    /// a look-alike of the user's deposit address pays the user (50%); a look-alike of
    /// the user's own address pays their deposit address, which gains an extra "sender"
    /// (30%); the user appears to pay a look-alike of their deposit address (20%).
    fn poison(&mut self, t: i64) -> Result<(), GenError> {
        let uid = self.world.pick_user(&mut self.rng);
        let Some(user) = self.world.user(uid) else {
            return Ok(());
        };
        let Some(account) = self.rng.pick(user.accounts()).copied() else {
            return Ok(());
        };
        let Some(&victim) = self.rng.pick(user.eth()) else {
            return Ok(());
        };
        let form = self.rng.weighted(&[0.5, 0.3, 0.2]);
        let imitated = if form == 1 {
            victim
        } else {
            account.eth_deposit
        };
        let target = self.world.book.eth_bytes(imitated);
        let mut fake = [0u8; 20];
        self.rng.fill(&mut fake);
        fake[..2].copy_from_slice(&target[..2]);
        fake[18..].copy_from_slice(&target[18..]);
        let look_alike = Party {
            text: self.sink.net.text(&fake),
            owner: Owner::Entity(self.world.spam),
        };
        if self.sink.net == Net::Ethereum {
            self.world
                .book
                .record_eth(&look_alike.text, look_alike.owner, Role::Spam)?;
        }
        let tx = self.sink.begin(t)?;
        match form {
            0 => {
                let to = self.party(victim);
                self.sink.emit(&tx, Asset::Usdt, &look_alike, &to, 0)
            }
            1 => {
                let to = self.party(account.eth_deposit);
                self.sink.emit(&tx, Asset::Usdt, &look_alike, &to, 0)
            }
            _ => {
                let from = self.party(victim);
                self.sink.emit(&tx, Asset::Usdt, &from, &look_alike, 0)
            }
        }
    }

    /// Dusting: one duster sends tiny amounts (0.0001–0.5 USD, log-uniform) of a real
    /// stablecoin to 3–20 addresses per transaction, users' and deposit addresses alike.
    /// Deposit addresses never sweep dust (below the exchanges' thresholds), yet the
    /// duster becomes one more "sender" of each deposit address it touches.
    fn dust(&mut self, t: i64) -> Result<(), GenError> {
        let asset = if self.rng.chance(0.7) {
            Asset::Usdt
        } else {
            Asset::Usdc
        };
        let recipients = 3 + self.rng.below(18);
        let duster = self.world.dust_sender;
        let tx = self.sink.begin(t)?;
        for _ in 0..recipients {
            let uid = self.world.pick_user(&mut self.rng);
            let Some(user) = self.world.user(uid) else {
                continue;
            };
            let to = if self.rng.chance(0.5) {
                self.rng.pick(user.accounts()).map(|a| a.eth_deposit)
            } else {
                self.rng.pick(user.eth()).copied()
            };
            let Some(to) = to else {
                continue;
            };
            // 10^-4 · 5000^u USD: log-uniform between 0.0001 and 0.5.
            let usd = 1e-4 * crate::math::exp(self.rng.f64() * crate::math::ln(5_000.0));
            let raw = ((usd * asset.scale()) as u128).max(1);
            if !self.transfer(&tx, asset, duster, to, raw)? {
                break;
            }
        }
        Ok(())
    }

    /// A user with accounts at two exchanges withdraws from one (labelled or not)
    /// straight into their deposit address at the other, which sweeps it: the deposit
    /// address's sender is the first exchange's hot wallet. Truth: the first exchange's
    /// outflow, the second's inflow with the user as depositor.
    fn cross_withdrawal(&mut self, t: i64) -> Result<(), GenError> {
        let day = self.cal.day_of(t);
        let mut found = None;
        for _ in 0..8 {
            let uid = self.world.pick_user(&mut self.rng);
            if let Some(user) = self.world.user(uid) {
                if let [a, b] = user.accounts() {
                    found = Some((uid, *a, *b));
                    break;
                }
            }
        }
        let Some((uid, a, b)) = found else {
            return Ok(());
        };
        let (from_ex, to_acc) = if self.rng.chance(0.5) {
            (a.exchange, b)
        } else {
            (b.exchange, a)
        };
        let prefer = self.pick_token();
        let Some((hot, asset, available)) = self.funded_hot(from_ex, prefer) else {
            return Ok(());
        };
        let amount = self.usd_amount(asset, day, 800.0, 1.5).min(available);
        if amount == 0 || !self.debit(hot, asset, amount) {
            return Ok(());
        }
        let deposit = to_acc.eth_deposit;
        self.credit(deposit, asset, amount);
        let (payer, payee) = (self.party(hot), self.party(deposit));
        let tx = self.sink.begin(t)?;
        self.sink
            .emit_for(&tx, asset, &payer, &payee, amount, Owner::User(uid))?;
        self.sweep_later(t, deposit, to_acc.exchange, asset, amount);
        Ok(())
    }

    /// Hot/cold rebalancing inside one exchange (internal, never turnover): excess hot
    /// funds go to cold storage (or the treasury wallet), a depleted hot wallet is
    /// refilled from it. Round trips hot → reserve → hot are the same entity's.
    fn rebalance(&mut self, t: i64, x: EntityId) -> Result<(), GenError> {
        let asset = self.pick_token();
        let Some(ex) = self.world.exchanges.get(usize::from(x)) else {
            return Ok(());
        };
        // An exchange with a treasury wallet uses it for about a third of its moves.
        let cold = match ex.eth_treasury {
            Some(treasury) if self.rng.chance(0.35) => treasury,
            _ => ex.eth_cold,
        };
        let hot_total = ex
            .eth_hot
            .iter()
            .fold(0u128, |acc, &h| acc.saturating_add(self.balance(h, asset)));
        let cold_balance = self.balance(cold, asset);
        let (from, to, amount) = if hot_total > 0 && cold_balance < hot_total.saturating_mul(3) {
            let Some((hot, b)) = self.richest_hot(x, asset) else {
                return Ok(());
            };
            (hot, cold, b / 2)
        } else if cold_balance > 0 {
            let Some((hot, _)) = self.poorest_hot(x, asset) else {
                return Ok(());
            };
            (cold, hot, cold_balance / 5)
        } else {
            return Ok(());
        };
        let tx = self.sink.begin(t)?;
        self.transfer(&tx, asset, from, to, amount)?;
        Ok(())
    }

    /// payhub cashes out 90% of each token to its deposit address at an exchange, which
    /// sweeps it: payhub's outflow, the exchange's inflow.
    fn cashout(&mut self, t: i64) -> Result<(), GenError> {
        let hub = self.world.hub;
        let payhub = self.world.payhub;
        for asset in ERC20 {
            let held = self.balance(hub, asset);
            let amount = held - held / 10;
            if amount == 0 {
                continue;
            }
            let Some(&bank) = self.rng.pick(&self.world.payhub_banks) else {
                return Ok(());
            };
            let deposit = self.world.customer_deposit(Chain::Ethereum, payhub, bank)?;
            let tx = self.sink.begin(t)?;
            if self.transfer(&tx, asset, hub, deposit, amount)? {
                self.sweep_later(t, deposit, bank, asset, amount);
            }
        }
        Ok(())
    }

    // ----- helpers --------------------------------------------------------------

    /// Moves `amount` between persistent addresses and writes the row; false (and no
    /// row) when `from` cannot pay it.
    fn transfer(
        &mut self,
        tx: &EthTx,
        asset: Asset,
        from: u32,
        to: u32,
        amount: u128,
    ) -> Result<bool, GenError> {
        // A USDC-blacklisted address cannot receive either.
        if asset == Asset::Usdc && self.issuers.is_frozen(to, asset) {
            return Ok(false);
        }
        if amount == 0 || !self.debit(from, asset, amount) {
            return Ok(false);
        }
        self.credit(to, asset, amount);
        let (payer, payee) = (self.party(from), self.party(to));
        self.sink.emit(tx, asset, &payer, &payee, amount)?;
        Ok(true)
    }

    fn party(&self, id: u32) -> Party {
        Party {
            text: self.sink.net.address(&self.world.book, id),
            owner: self.world.book.eth_owner(id),
        }
    }

    fn balance(&self, id: u32, asset: Asset) -> u128 {
        match asset.slot() {
            Some(s) => self.balances.get(id as usize).map_or(0, |b| b[s]),
            None => 0,
        }
    }

    fn credit(&mut self, id: u32, asset: Asset, amount: u128) {
        let Some(s) = asset.slot() else {
            return;
        };
        let i = id as usize;
        if self.balances.len() <= i {
            self.balances.resize(i + 1, [0; 3]);
        }
        if let Some(b) = self.balances.get_mut(i) {
            b[s] = b[s].saturating_add(amount);
        }
    }

    fn debit(&mut self, id: u32, asset: Asset, amount: u128) -> bool {
        let Some(s) = asset.slot() else {
            return false;
        };
        // A frozen address cannot send the token.
        if self.issuers.is_frozen(id, asset) {
            return false;
        }
        match self.balances.get_mut(id as usize) {
            Some(b) if b[s] >= amount => {
                b[s] -= amount;
                true
            }
            _ => false,
        }
    }

    fn pick_token(&mut self) -> Asset {
        ERC20
            .get(self.rng.weighted(&ERC20_MIX))
            .copied()
            .unwrap_or(Asset::Usdt)
    }

    /// A lognormal dollar amount in `asset`'s raw units at the day's price; stablecoin
    /// amounts are often round, as people type them.
    fn usd_amount(&mut self, asset: Asset, day: usize, median: f64, sigma: f64) -> u128 {
        let usd = self.rng.lognormal(median, sigma).min(median * 10_000.0);
        let mut units = usd / self.prices.market(asset, day);
        if asset.is_stable() && self.rng.chance(0.3) {
            units = units.round().max(1.0);
        }
        (units * asset.scale()) as u128
    }

    /// The user's address with the most of `prefer` (or, failing that, of another
    /// priced token): (address, token, balance).
    fn funded(&self, user: &User, prefer: Asset) -> Option<(u32, Asset, u128)> {
        let order = std::iter::once(prefer).chain(ERC20.into_iter().filter(move |a| *a != prefer));
        for asset in order {
            let best = user
                .eth()
                .iter()
                .map(|&id| (id, self.balance(id, asset)))
                .max_by_key(|&(_, b)| b);
            if let Some((id, b)) = best {
                if b > 0 {
                    return Some((id, asset, b));
                }
            }
        }
        None
    }

    /// Exchange `x`'s richest hot wallet in `prefer` (or another priced token).
    fn funded_hot(&self, x: EntityId, prefer: Asset) -> Option<(u32, Asset, u128)> {
        let order = std::iter::once(prefer).chain(ERC20.into_iter().filter(move |a| *a != prefer));
        for asset in order {
            if let Some((hot, b)) = self.richest_hot(x, asset) {
                if b > 0 {
                    return Some((hot, asset, b));
                }
            }
        }
        None
    }

    fn richest_hot(&self, x: EntityId, asset: Asset) -> Option<(u32, u128)> {
        self.world
            .exchanges
            .get(usize::from(x))?
            .eth_hot
            .iter()
            .map(|&id| (id, self.balance(id, asset)))
            .max_by_key(|&(_, b)| b)
    }

    fn poorest_hot(&self, x: EntityId, asset: Asset) -> Option<(u32, u128)> {
        self.world
            .exchanges
            .get(usize::from(x))?
            .eth_hot
            .iter()
            .map(|&id| (id, self.balance(id, asset)))
            .min_by_key(|&(_, b)| b)
    }

    /// One of exchange `x`'s hot wallets, at random.
    fn hot_wallet(&mut self, x: EntityId) -> u32 {
        let hots = self
            .world
            .exchanges
            .get(usize::from(x))
            .map_or(&[][..], |e| e.eth_hot.as_slice());
        let i = self.rng.index(hots.len());
        hots.get(i).copied().unwrap_or(0)
    }

    /// A (random, activity-weighted) user with an account at `x`.
    fn customer_of(&mut self, x: EntityId) -> Option<User> {
        for _ in 0..8 {
            let uid = self.world.pick_user(&mut self.rng);
            if let Some(user) = self.world.user(uid) {
                if user.accounts().iter().any(|a| a.exchange == x) {
                    return Some(user);
                }
            }
        }
        None
    }
}
