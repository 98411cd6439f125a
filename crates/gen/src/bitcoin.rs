//! The Bitcoin side of the economy: a UTXO set with real spends, streamed into monthly
//! `inputs` / `outputs` Parquet files (BigQuery `crypto_bitcoin` schemas).
//!
//! Every input spends an output created earlier and still unspent (it is removed from
//! the set when spent, so nothing is spent twice), and inputs = outputs + fee.
//!
//! The behaviours are modelled on public descriptions of how the actors transact, not
//! written to satisfy chainstat's heuristics; several are there precisely because they
//! break common ones:
//! - ordinary business: deposits into per-customer addresses, sweeps that consolidate
//!   deposit UTXOs with a hot-wallet UTXO, withdrawals, hot/cold moves, miner sales;
//! - CoinJoins of four shapes — Wasabi 1 (ZeroLink), WabiSabi (Wasabi 2), Whirlpool and
//!   JoinMarket (module `coinjoin`) — whose inputs belong to many users
//!   (common-input-ownership must not merge them), only some of which a BlockSci-style
//!   equal-output rule recognises;
//! - peel chains: a user, or an unlabelled exchange paying out, hops its remainder
//!   through a new address of its own 5–30 times, paying a little at each hop;
//! - exchange batch payouts of several equal round amounts: legitimate single-owner
//!   transactions that look CoinJoin-like;
//! - withdrawals from one exchange straight into the user's deposit address at another.
//!
//! Ground truth: every address, including each new CoinJoin, peel and Whirlpool
//! address, is recorded with its true owner the moment it is created.

use std::collections::{BTreeMap, VecDeque};
use std::path::Path;

mod coinjoin;

use crate::btc_rows::{InputBatch, InputRow, OutputBatch, OutputRow};
use crate::calendar::{split_budget, Calendar, BTC_CLOCK, DAY_MS};
use crate::error::GenError;
use crate::ids::{self, domain};
use crate::model::{Category, Chain, EntityId, Owner, Role, UserId};
use crate::parquet_out::MonthlyParquet;
use crate::plan::Plan;
use crate::prices::Prices;
use crate::rng::{stream, Rng};
use crate::tokens::Asset;
use crate::truth::Truth;
use crate::world::World;
use coinjoin::{wabisabi_denominations, Coin, WHIRLPOOL_POOLS};

const INPUTS_DIR: &str = "bitcoin/inputs";
const OUTPUTS_DIR: &str = "bitcoin/outputs";
/// Change below this is folded into the payment (no dust outputs).
const MIN_CHANGE: u64 = 10_000;
/// Block subsidy since the 2024 halving.
const COINBASE_REWARD: u64 = 312_500_000;
/// Outputs per initial-funding coinbase transaction.
const FUNDING_OUTPUTS_PER_TX: usize = 1_000;
/// Most inputs an ordinary payment uses.
const MAX_INPUTS: usize = 20;
/// A CoinJoin round is attempted at least every this many days.
const COINJOIN_EVERY_DAYS: usize = 5;
/// Wallets give each user a fresh address per receive; past this many extra addresses
/// the generator reuses one, which bounds memory per user.
const MAX_EXTRA_ADDRESSES: usize = 6;

#[derive(Debug, Clone, Copy)]
enum Event {
    Deposit,
    Withdrawal,
    Sweep,
    P2p,
    MinerSale,
    Custody,
    CoinJoin,
    Peel,
    BatchPayout,
}

const EVENTS: [Event; 9] = [
    Event::Deposit,
    Event::Withdrawal,
    Event::Sweep,
    Event::P2p,
    Event::MinerSale,
    Event::Custody,
    Event::CoinJoin,
    Event::Peel,
    Event::BatchPayout,
];
/// Relative frequencies. A peel chain writes 5–30 transactions, so its weight of 0.5
/// makes about a tenth of all transactions peel hops; CoinJoin rounds are also
/// attempted every [`COINJOIN_EVERY_DAYS`] days.
const EVENT_WEIGHTS: [f64; 9] = [30.0, 26.0, 12.0, 12.0, 5.0, 5.0, 3.0, 0.5, 3.0];

/// One participant's inputs in a CoinJoin: (address, UTXO) from distinct addresses.
type Picks = Vec<(u32, Utxo)>;

/// An unspent output, held under its address.
#[derive(Debug, Clone, Copy)]
struct Utxo {
    tx: u64,
    vout: u32,
    value: u64,
}

/// An output being spent.
struct Spend {
    addr: u32,
    utxo: Utxo,
}

/// An output being created; `payer` is the depositor the ground truth credits if this is
/// an entity's inflow.
#[derive(Debug, Clone, Copy)]
struct Pay {
    addr: u32,
    value: u64,
    payer: Owner,
}

/// What the Bitcoin side wrote.
pub struct BtcOutcome {
    /// Transactions (coinbase included).
    pub transactions: u64,
    /// Input rows.
    pub inputs: u64,
    /// Output rows.
    pub outputs: u64,
    /// Files written.
    pub files: Vec<String>,
}

/// Runs the Bitcoin economy over the whole calendar.
pub fn simulate(
    plan: &Plan,
    cal: &Calendar,
    day_weights: &[f64],
    prices: &Prices,
    world: &mut World,
    truth: &mut Truth,
    out: &Path,
) -> Result<BtcOutcome, GenError> {
    let n_exchanges = world.exchanges.len();
    let mut sim = BtcSim {
        world,
        prices,
        cal,
        truth,
        rng: Rng::new(plan.seed, stream::BITCOIN),
        utxos: Vec::new(),
        pending: vec![VecDeque::new(); n_exchanges],
        extras: BTreeMap::new(),
        premix: vec![Vec::new(); WHIRLPOOL_POOLS.len()],
        postmix: vec![Vec::new(); WHIRLPOOL_POOLS.len()],
        standard: wabisabi_denominations(),
        inputs: MonthlyParquet::new(out, INPUTS_DIR, ""),
        outputs: MonthlyParquet::new(out, OUTPUTS_DIR, ""),
        tx_salt: ids::salt(plan.seed, domain::BTC_TX),
        tx_count: 0,
        last_t: 0,
        block: -1,
        block_hash: String::new(),
        transactions: 0,
    };
    if plan.btc_transactions > 0 {
        sim.fund()?;
        let budgets = split_budget(
            plan.btc_transactions.saturating_sub(sim.transactions),
            day_weights,
        );
        let mut carry: i64 = 0;
        for (day, budget) in budgets.iter().enumerate() {
            let target = (*budget as i64 + carry).max(0) as u64;
            let produced = sim.day(day, target)?;
            carry = target as i64 - produced as i64;
        }
    }
    sim.finish()
}

struct BtcSim<'a> {
    world: &'a mut World,
    prices: &'a Prices,
    cal: &'a Calendar,
    truth: &'a mut Truth,
    rng: Rng,
    /// Unspent outputs per address id.
    utxos: Vec<Vec<Utxo>>,
    /// Per exchange: deposit addresses holding unswept funds (may repeat; empty ones are
    /// skipped when swept).
    pending: Vec<VecDeque<u32>>,
    /// Users' addresses beyond their first (CoinJoin outputs, change, savings).
    extras: BTreeMap<UserId, Vec<u32>>,
    /// Per Whirlpool pool: premix coins not yet mixed.
    premix: Vec<Vec<Coin>>,
    /// Per Whirlpool pool: postmix coins that may remix.
    postmix: Vec<Vec<Coin>>,
    /// WabiSabi's standard denominations, largest first.
    standard: Vec<u64>,
    inputs: MonthlyParquet<InputBatch>,
    outputs: MonthlyParquet<OutputBatch>,
    tx_salt: u64,
    tx_count: u64,
    last_t: i64,
    block: i64,
    block_hash: String,
    transactions: u64,
}

impl BtcSim<'_> {
    /// Day 0: coinbase outputs fund the exchanges' wallets and half the Bitcoin users.
    /// Coinbase is new money, so none of it is turnover.
    fn fund(&mut self) -> Result<(), GenError> {
        let price = self.prices.market(Asset::Btc, 0);
        let mut pays = Vec::new();
        for (i, ex) in self.world.exchanges.iter().enumerate() {
            let share = self.world.entities.get(i).map_or(0.0, |e| e.weight);
            let hot = ((10.0 + 500.0 * share) * 1e8) as u64;
            let owner = Owner::Entity(i as EntityId);
            pays.push(Pay {
                addr: ex.btc_hot,
                value: hot,
                payer: owner,
            });
            pays.push(Pay {
                addr: ex.btc_cold,
                value: hot * 3,
                payer: owner,
            });
        }
        let btc_users = self.world.btc_users.clone();
        for uid in btc_users {
            if self.rng.chance(0.5) {
                let Some(addr) = self.world.users.get(uid as usize).and_then(|u| u.btc) else {
                    continue;
                };
                let usd = self.rng.lognormal(3_000.0, 1.2).min(3e7);
                let value = ((usd / price * 1e8) as u64).max(50_000);
                pays.push(Pay {
                    addr,
                    value,
                    payer: Owner::User(uid),
                });
            }
            // Some users keep savings on a second address: the coins privacy-minded
            // holders later bring to CoinJoins, often several inputs at once.
            if self.rng.chance(0.25) {
                let addr = self.own_address(uid)?;
                let usd = self.rng.lognormal(12_000.0, 1.0).min(3e7);
                let value = ((usd / price * 1e8) as u64).max(50_000);
                pays.push(Pay {
                    addr,
                    value,
                    payer: Owner::User(uid),
                });
            }
        }
        for (k, chunk) in pays.chunks(FUNDING_OUTPUTS_PER_TX).enumerate() {
            self.commit(k as i64, Vec::new(), chunk.to_vec())?;
        }
        Ok(())
    }

    /// One day: the day's coinbase, a CoinJoin round every few days, then events at
    /// exponential gaps paced to the day's transaction budget. Returns the transactions
    /// written.
    fn day(&mut self, day: usize, budget: u64) -> Result<u64, GenError> {
        if budget == 0 {
            return Ok(0);
        }
        let start = day as i64 * DAY_MS;
        let end = start + DAY_MS;
        let before = self.transactions;
        let mut t = start.max(self.last_t + 1) + self.rng.below(600_000) as i64;
        self.coinbase(t)?;
        if day % COINJOIN_EVERY_DAYS == 2 {
            t += 1;
            self.coinjoin(t)?;
        }
        let max_attempts = budget.saturating_mul(6).saturating_add(1_000);
        let mut attempts = 0u64;
        loop {
            let done = self.transactions.saturating_sub(before);
            if done >= budget || attempts >= max_attempts {
                break;
            }
            let mean_gap = (end - t) as f64 / (budget - done) as f64;
            t += (self.rng.exponential(mean_gap) as i64).max(1);
            if t >= end {
                break;
            }
            self.event(t)?;
            attempts += 1;
        }
        Ok(self.transactions.saturating_sub(before))
    }

    fn event(&mut self, t: i64) -> Result<(), GenError> {
        let kind = EVENTS
            .get(self.rng.weighted(&EVENT_WEIGHTS))
            .copied()
            .unwrap_or(Event::P2p);
        match kind {
            Event::Deposit => self.deposit(t),
            Event::Withdrawal => self.withdrawal(t),
            Event::Sweep => self.sweep(t),
            Event::P2p => self.p2p(t),
            Event::MinerSale => self.miner_sale(t),
            Event::Custody => {
                let x = self.world.pick_exchange(&mut self.rng);
                self.custody(t, x)
            }
            Event::CoinJoin => self.coinjoin(t),
            Event::Peel => self.peel_chain(t),
            Event::BatchPayout => self.batch_payout(t),
        }
    }

    // ----- events ---------------------------------------------------------------

    fn coinbase(&mut self, t: i64) -> Result<(), GenError> {
        let value = COINBASE_REWARD + self.rng.below(30_000_000);
        let pay = Pay {
            addr: self.world.miner_btc,
            value,
            payer: Owner::Entity(self.world.miner),
        };
        self.commit(t, Vec::new(), vec![pay])
    }

    /// A user pays into their deposit address at one of their exchanges, change back to
    /// their own address.
    fn deposit(&mut self, t: i64) -> Result<(), GenError> {
        let day = self.cal.day_of(t);
        let Some(uid) = self.world.pick_btc_user(&mut self.rng) else {
            return Ok(());
        };
        let Some(user) = self.world.user(uid) else {
            return Ok(());
        };
        let Some(addr) = user.btc else {
            return Ok(());
        };
        let Some(account) = self.rng.pick(user.accounts()).copied() else {
            return Ok(());
        };
        let Some(deposit) = account.btc_deposit else {
            return Ok(());
        };
        let want = self.sats(day, 1_000.0, 1.5);
        if self.pay(t, addr, Owner::User(uid), deposit, want)? {
            self.queue_sweep(account.exchange, deposit);
        }
        Ok(())
    }

    /// An exchange pays a customer from its hot wallet, change back to the hot wallet;
    /// when the hot wallet runs low it is refilled from cold storage instead.
    fn withdrawal(&mut self, t: i64) -> Result<(), GenError> {
        let day = self.cal.day_of(t);
        let Some(uid) = self.world.pick_btc_user(&mut self.rng) else {
            return Ok(());
        };
        let Some(user) = self.world.user(uid) else {
            return Ok(());
        };
        let Some(addr) = user.btc else {
            return Ok(());
        };
        let Some(account) = self.rng.pick(user.accounts()).copied() else {
            return Ok(());
        };
        let x = account.exchange;
        let Some(hot) = self.world.exchanges.get(usize::from(x)).map(|e| e.btc_hot) else {
            return Ok(());
        };
        let want = self.sats(day, 800.0, 1.5);
        if self.balance(hot) < want + 5_000 + 2 * MIN_CHANGE {
            return self.custody(t, x);
        }
        // A customer of two exchanges often withdraws straight into their deposit
        // address at the other one, which sweeps it with its own deposits.
        let other = user
            .accounts()
            .iter()
            .find(|a| a.exchange != x)
            .and_then(|a| a.btc_deposit.map(|d| (a.exchange, d)));
        if let Some((y, deposit)) = other {
            if self.rng.chance(0.2) {
                if self.pay(t, hot, Owner::User(uid), deposit, want)? {
                    self.queue_sweep(y, deposit);
                }
                return Ok(());
            }
        }
        self.pay(t, hot, Owner::Entity(x), addr, want)?;
        Ok(())
    }

    /// An exchange consolidates up to 20 deposit addresses' UTXOs together with one of
    /// its hot wallet's UTXOs into the hot wallet (internal, not turnover).
    fn sweep(&mut self, t: i64) -> Result<(), GenError> {
        let n = self.pending.len();
        if n == 0 {
            return Ok(());
        }
        let start = usize::from(self.world.pick_exchange(&mut self.rng));
        let Some(x) = (0..n)
            .map(|i| (start + i) % n)
            .find(|&x| self.pending.get(x).is_some_and(|q| !q.is_empty()))
        else {
            return Ok(());
        };
        let Some(hot) = self.world.exchanges.get(x).map(|e| e.btc_hot) else {
            return Ok(());
        };
        let addresses = 1 + self.rng.below(20) as usize;
        let mut spends = Vec::new();
        let mut taken = 0;
        while taken < addresses {
            let Some(deposit) = self.pending.get_mut(x).and_then(|q| q.pop_front()) else {
                break;
            };
            let list = std::mem::take(self.utxo_list(deposit));
            if list.is_empty() {
                continue;
            }
            taken += 1;
            spends.extend(list.into_iter().map(|utxo| Spend {
                addr: deposit,
                utxo,
            }));
        }
        if spends.is_empty() {
            return Ok(());
        }
        if let Some(own) = self.take(hot, 1, 1) {
            spends.extend(own);
        }
        let total: u64 = spends.iter().map(|s| s.utxo.value).sum();
        let fee = self.fee();
        if total <= fee + MIN_CHANGE {
            for s in spends {
                self.utxo_list(s.addr).push(s.utxo);
            }
            return Ok(());
        }
        let pay = Pay {
            addr: hot,
            value: total - fee,
            payer: Owner::Entity(x as EntityId),
        };
        self.commit(t, spends, vec![pay])
    }

    /// User to user.
    fn p2p(&mut self, t: i64) -> Result<(), GenError> {
        let day = self.cal.day_of(t);
        let (Some(a), Some(b)) = (
            self.world.pick_btc_user(&mut self.rng),
            self.world.pick_btc_user(&mut self.rng),
        ) else {
            return Ok(());
        };
        if a == b {
            return Ok(());
        }
        let (Some(from), Some(to)) = (
            self.world.user(a).and_then(|u| u.btc),
            self.world.user(b).and_then(|u| u.btc),
        ) else {
            return Ok(());
        };
        let want = self.sats(day, 300.0, 1.4);
        self.pay(t, from, Owner::User(a), to, want)?;
        Ok(())
    }

    /// The miner sells mined coins into its deposit address at an exchange: the
    /// exchange's inflow, with the miner as depositor.
    fn miner_sale(&mut self, t: i64) -> Result<(), GenError> {
        let day = self.cal.day_of(t);
        let miner = self.world.miner;
        let addr = self.world.miner_btc;
        let Some(&bank) = self.rng.pick(&self.world.miner_banks) else {
            return Ok(());
        };
        let deposit = self.world.customer_deposit(Chain::Bitcoin, miner, bank)?;
        let want = self.sats(day, 40_000.0, 0.8);
        if self.pay(t, addr, Owner::Entity(miner), deposit, want)? {
            self.queue_sweep(bank, deposit);
        }
        Ok(())
    }

    /// Hot/cold custody inside exchange `x`: keep about three quarters in cold storage.
    fn custody(&mut self, t: i64, x: EntityId) -> Result<(), GenError> {
        let Some((hot, cold)) = self
            .world
            .exchanges
            .get(usize::from(x))
            .map(|e| (e.btc_hot, e.btc_cold))
        else {
            return Ok(());
        };
        let (hot_balance, cold_balance) = (self.balance(hot), self.balance(cold));
        let owner = Owner::Entity(x);
        let (from, to, amount) = if cold_balance < hot_balance.saturating_mul(3) {
            (hot, cold, hot_balance / 10 * 4)
        } else {
            (cold, hot, cold_balance / 4)
        };
        if amount >= MIN_CHANGE {
            self.pay(t, from, owner, to, amount)?;
        }
        Ok(())
    }

    /// A peel chain: the sender spends a coin, pays a small part to someone and the large
    /// remainder to a new address of its own, and repeats from that address 5–30 times,
    /// minutes apart. Usually a user; a quarter of the time an unlabelled exchange paying
    /// withdrawals this way (its last remainder returns to its hot wallet).
    fn peel_chain(&mut self, t: i64) -> Result<(), GenError> {
        let hops = self.rng.range(5, 30);
        let services: Vec<EntityId> = self
            .world
            .entities
            .iter()
            .enumerate()
            .filter(|(_, e)| e.category == Category::Exchange && !e.labelled)
            .map(|(i, _)| i as EntityId)
            .collect();
        let service = if self.rng.chance(0.25) {
            self.rng.pick(&services).copied()
        } else {
            None
        };
        let (owner, start, first) = match service {
            Some(x) => {
                let Some(hot) = self.world.exchanges.get(usize::from(x)).map(|e| e.btc_hot) else {
                    return Ok(());
                };
                let amount = self.balance(hot) / 5;
                if amount < 100 * MIN_CHANGE {
                    return Ok(());
                }
                let Some(spends) = self.take(hot, amount, MAX_INPUTS) else {
                    return Ok(());
                };
                (Owner::Entity(x), hot, spends)
            }
            None => {
                let Some(uid) = self.world.pick_btc_user(&mut self.rng) else {
                    return Ok(());
                };
                let Some(addr) = self
                    .user_addresses(uid)
                    .into_iter()
                    .max_by_key(|&a| (self.balance(a), std::cmp::Reverse(a)))
                else {
                    return Ok(());
                };
                let list = self.utxo_list(addr);
                list.sort_by(|a, b| {
                    b.value
                        .cmp(&a.value)
                        .then(a.tx.cmp(&b.tx))
                        .then(a.vout.cmp(&b.vout))
                });
                let top: u64 = list.iter().take(MAX_INPUTS).map(|u| u.value).sum();
                if top < 40 * MIN_CHANGE {
                    return Ok(());
                }
                let Some(spends) = self.take(addr, top, MAX_INPUTS) else {
                    return Ok(());
                };
                (Owner::User(uid), addr, spends)
            }
        };
        let user = match owner {
            Owner::User(u) => Some(u),
            Owner::Entity(_) => None,
        };
        let mut spends = first;
        let mut at = t;
        let end = self.cal.end_ms() - 1;
        for hop in 0..hops {
            let total: u64 = spends.iter().map(|s| s.utxo.value).sum();
            let fee = self.fee();
            let Some(value) = total.checked_sub(fee) else {
                break;
            };
            let share = 0.01 + 0.14 * self.rng.f64();
            let payment = ((value as f64 * share) as u64).max(MIN_CHANGE);
            let (to, payer) = self.peel_recipient(owner)?;
            let remainder = value.saturating_sub(payment);
            let last = hop + 1 == hops || remainder < 4 * MIN_CHANGE;
            let mut pays = vec![Pay {
                addr: to,
                value: if remainder < MIN_CHANGE {
                    value
                } else {
                    payment
                },
                payer,
            }];
            let mut next = None;
            if remainder >= MIN_CHANGE {
                let addr = match (last, user) {
                    (true, None) => start,
                    _ => {
                        let a = self.world.book.add_btc(owner, Role::Peel, user)?;
                        if let (true, Some(u)) = (last, user) {
                            // The final remainder is an ordinary coin of the user's.
                            self.extras.entry(u).or_default().push(a);
                        }
                        a
                    }
                };
                pays.push(Pay {
                    addr,
                    value: remainder,
                    payer: owner,
                });
                next = Some(addr);
            }
            // Wallets randomise the change position.
            if self.rng.chance(0.5) {
                pays.reverse();
            }
            let tx_pays = pays.clone();
            self.commit(at, spends, pays)?;
            at = (at + self.rng.range(60_000, 600_000) as i64).min(end);
            let (Some(addr), false) = (next, last) else {
                break;
            };
            let tx = self.tx_count;
            let Some(vout) = tx_pays.iter().position(|p| p.addr == addr) else {
                break;
            };
            let utxo = Utxo {
                tx,
                vout: vout as u32,
                value: remainder,
            };
            let Some(s) = self.spend_exact(addr, utxo) else {
                break;
            };
            spends = vec![s];
        }
        Ok(())
    }

    /// Who a peel hop pays: for a user, another user or their own deposit address; for
    /// an exchange, a customer's address or that customer's deposit at another exchange.
    fn peel_recipient(&mut self, owner: Owner) -> Result<(u32, Owner), GenError> {
        let other = self.world.pick_btc_user(&mut self.rng).unwrap_or(0);
        let (uid, to_deposit) = match owner {
            Owner::User(u) => {
                if self.rng.chance(0.3) {
                    (u, true)
                } else {
                    (other, false)
                }
            }
            Owner::Entity(_) => (other, self.rng.chance(0.2)),
        };
        let Some(user) = self.world.user(uid) else {
            return Ok((self.world.miner_btc, owner));
        };
        if to_deposit {
            let account = self.rng.pick(user.accounts()).copied();
            if let Some(a) = account {
                let mine = Owner::Entity(a.exchange) == owner;
                if let (Some(d), false) = (a.btc_deposit, mine) {
                    self.queue_sweep(a.exchange, d);
                    return Ok((d, Owner::User(uid)));
                }
            }
        }
        match user.btc {
            Some(a) => Ok((a, Owner::User(uid))),
            None => Ok((self.own_address(uid)?, Owner::User(uid))),
        }
    }

    /// An exchange pays 3–10 withdrawals of the same round amount in one transaction,
    /// change back to its hot wallet: one owner, yet equal outputs like a CoinJoin.
    fn batch_payout(&mut self, t: i64) -> Result<(), GenError> {
        const ROUND: [u64; 7] = [
            100_000, 200_000, 500_000, 1_000_000, 2_000_000, 5_000_000, 10_000_000,
        ];
        let x = self.world.pick_exchange(&mut self.rng);
        let Some(hot) = self.world.exchanges.get(usize::from(x)).map(|e| e.btc_hot) else {
            return Ok(());
        };
        let amount = ROUND
            .get(self.rng.index(ROUND.len()))
            .copied()
            .unwrap_or(100_000);
        let k = self.rng.range(3, 10) as usize;
        let mut to: Vec<u32> = Vec::with_capacity(k);
        for _ in 0..4 * k {
            if to.len() >= k {
                break;
            }
            let Some(uid) = self.world.pick_btc_user(&mut self.rng) else {
                break;
            };
            if let Some(a) = self.world.user(uid).and_then(|u| u.btc) {
                if !to.contains(&a) {
                    to.push(a);
                }
            }
        }
        if to.len() < 3 {
            return Ok(());
        }
        let total = amount * to.len() as u64;
        let fee = self.fee();
        if self.balance(hot) < total + fee + 2 * MIN_CHANGE {
            return self.custody(t, x);
        }
        let Some(spends) = self.take(hot, total + fee + MIN_CHANGE, MAX_INPUTS) else {
            return Ok(());
        };
        let sum: u64 = spends.iter().map(|s| s.utxo.value).sum();
        let owner = Owner::Entity(x);
        let mut pays: Vec<Pay> = to
            .into_iter()
            .map(|addr| Pay {
                addr,
                value: amount,
                payer: owner,
            })
            .collect();
        pays.push(Pay {
            addr: hot,
            value: sum - total - fee,
            payer: owner,
        });
        self.rng.shuffle(&mut pays);
        self.commit(t, spends, pays)
    }

    // ----- CoinJoin helpers -----------------------------------------------------

    /// The user's first address, then their others.
    fn user_addresses(&self, uid: UserId) -> Vec<u32> {
        let mut v: Vec<u32> = self
            .world
            .user(uid)
            .and_then(|u| u.btc)
            .into_iter()
            .collect();
        if let Some(x) = self.extras.get(&uid) {
            v.extend(x.iter().copied());
        }
        v
    }

    /// A receiving address of the user's own: a fresh one (recorded in the ground
    /// truth) until they have [`MAX_EXTRA_ADDRESSES`], then one of those.
    fn own_address(&mut self, uid: UserId) -> Result<u32, GenError> {
        let n = self.extras.get(&uid).map_or(0, Vec::len);
        if n >= MAX_EXTRA_ADDRESSES {
            let i = self.rng.index(n);
            if let Some(&a) = self.extras.get(&uid).and_then(|v| v.get(i)) {
                return Ok(a);
            }
        }
        let a = self
            .world
            .book
            .add_btc(Owner::User(uid), Role::User, Some(uid))?;
        self.extras.entry(uid).or_default().push(a);
        Ok(a)
    }

    /// Where a mixed output goes: with probability `deposit`, the user's deposit
    /// address at one of their exchanges (queued for its sweep), else an own address.
    fn mixed_destination(&mut self, uid: UserId, deposit: f64) -> Result<u32, GenError> {
        if self.rng.chance(deposit) {
            let account = self
                .world
                .user(uid)
                .and_then(|u| self.rng.pick(u.accounts()).copied());
            if let Some(a) = account {
                if let Some(d) = a.btc_deposit {
                    self.queue_sweep(a.exchange, d);
                    return Ok(d);
                }
            }
        }
        self.own_address(uid)
    }

    /// The largest UTXO of each of the user's addresses, largest first; the first `want`
    /// of them (up to three while short of `need`). `None` if three do not reach it.
    /// Nothing is removed.
    fn pick_inputs(&self, uid: UserId, need: u64, want: usize) -> Option<Picks> {
        let mut cands: Picks = self
            .user_addresses(uid)
            .into_iter()
            .filter_map(|a| {
                let best = self.utxos.get(a as usize)?.iter().max_by_key(|u| {
                    (u.value, std::cmp::Reverse(u.tx), std::cmp::Reverse(u.vout))
                })?;
                Some((a, *best))
            })
            .collect();
        cands.sort_by(|a, b| b.1.value.cmp(&a.1.value).then(a.0.cmp(&b.0)));
        let mut picks = Vec::new();
        let mut sum = 0u64;
        for c in cands {
            if picks.len() >= 3 || (sum >= need && picks.len() >= want) {
                break;
            }
            sum += c.1.value;
            picks.push(c);
        }
        (sum >= need).then_some(picks)
    }

    /// Removes one specific UTXO from its address.
    fn spend_exact(&mut self, addr: u32, utxo: Utxo) -> Option<Spend> {
        let list = self.utxo_list(addr);
        let pos = list
            .iter()
            .position(|u| u.tx == utxo.tx && u.vout == utxo.vout)?;
        let utxo = list.remove(pos);
        Some(Spend { addr, utxo })
    }

    /// Removes all of `picks`, or none (`None`) if one is no longer there.
    fn spend_all(&mut self, picks: &[(u32, Utxo)]) -> Option<Vec<Spend>> {
        let mut out = Vec::with_capacity(picks.len());
        for &(addr, utxo) in picks {
            match self.spend_exact(addr, utxo) {
                Some(s) => out.push(s),
                None => {
                    for s in out {
                        self.utxo_list(s.addr).push(s.utxo);
                    }
                    return None;
                }
            }
        }
        Some(out)
    }

    /// A participant's share of a CoinJoin's miner fee for `items` inputs and outputs.
    fn fee_per(&mut self, items: usize) -> u64 {
        self.rng.range(250, 400) * items.max(4) as u64
    }

    // ----- helpers --------------------------------------------------------------

    /// Pays about `want` from `from` to `to` with change back to `from`; false when
    /// `from` cannot afford it.
    fn pay(
        &mut self,
        t: i64,
        from: u32,
        payer: Owner,
        to: u32,
        want: u64,
    ) -> Result<bool, GenError> {
        let fee = self.fee();
        let balance = self.balance(from);
        if balance < fee + 2 * MIN_CHANGE {
            return Ok(false);
        }
        let want = want.max(MIN_CHANGE).min(balance - fee);
        let Some(spends) = self.take(from, want + fee, MAX_INPUTS) else {
            return Ok(false);
        };
        let total: u64 = spends.iter().map(|s| s.utxo.value).sum();
        let mut amount = want;
        let mut change = total - want - fee;
        if change < MIN_CHANGE {
            amount += change;
            change = 0;
        }
        let mut pays = vec![Pay {
            addr: to,
            value: amount,
            payer,
        }];
        if change > 0 {
            let back = Pay {
                addr: from,
                value: change,
                payer,
            };
            // Wallets randomise the change position.
            if self.rng.chance(0.5) {
                pays.push(back);
            } else {
                pays.insert(0, back);
            }
        }
        self.commit(t, spends, pays)?;
        Ok(true)
    }

    fn fee(&mut self) -> u64 {
        self.rng.range(1_000, 5_000)
    }

    /// A lognormal dollar amount in satoshi at the day's price.
    fn sats(&mut self, day: usize, median_usd: f64, sigma: f64) -> u64 {
        let usd = self
            .rng
            .lognormal(median_usd, sigma)
            .min(median_usd * 10_000.0);
        ((usd / self.prices.market(Asset::Btc, day) * 1e8) as u64).max(MIN_CHANGE)
    }

    fn queue_sweep(&mut self, x: EntityId, deposit: u32) {
        if let Some(q) = self.pending.get_mut(usize::from(x)) {
            q.push_back(deposit);
        }
    }

    fn utxo_list(&mut self, addr: u32) -> &mut Vec<Utxo> {
        let i = addr as usize;
        if self.utxos.len() <= i {
            self.utxos.resize_with(i + 1, Vec::new);
        }
        &mut self.utxos[i]
    }

    fn balance(&self, addr: u32) -> u64 {
        self.utxos
            .get(addr as usize)
            .map_or(0, |list| list.iter().map(|u| u.value).sum())
    }

    /// Removes largest-first UTXOs of `addr` worth at least `target` (at most
    /// `max_inputs` of them); `None`, and nothing removed, if they do not reach it.
    fn take(&mut self, addr: u32, target: u64, max_inputs: usize) -> Option<Vec<Spend>> {
        let list = self.utxo_list(addr);
        list.sort_by(|a, b| {
            b.value
                .cmp(&a.value)
                .then(a.tx.cmp(&b.tx))
                .then(a.vout.cmp(&b.vout))
        });
        let mut sum = 0u64;
        let mut n = 0usize;
        for u in list.iter().take(max_inputs) {
            sum += u.value;
            n += 1;
            if sum >= target {
                break;
            }
        }
        if n == 0 || sum < target {
            return None;
        }
        Some(list.drain(..n).map(|utxo| Spend { addr, utxo }).collect())
    }

    /// Writes one transaction: its input and output rows, the new UTXOs, and its ground
    /// truth (coinbase excluded).
    fn commit(&mut self, t: i64, spends: Vec<Spend>, pays: Vec<Pay>) -> Result<(), GenError> {
        let t = t.max(self.last_t);
        self.last_t = t;
        self.tx_count += 1;
        let tx = self.tx_count;
        let hash = ids::btc_tx_hash(self.tx_salt, tx);
        let block = BTC_CLOCK.block_at(t);
        if block != self.block {
            self.block = block;
            self.block_hash = ids::btc_block_hash(block);
        }
        let day = self.cal.day_of(t);
        let month = self.cal.month(day);
        let ts = self.cal.block_time_us(&BTC_CLOCK, block);

        let mut input_owners = Vec::with_capacity(spends.len());
        for (i, s) in spends.iter().enumerate() {
            let row = InputRow {
                transaction_hash: hash.clone(),
                block_hash: self.block_hash.clone(),
                block_number: block,
                block_timestamp_us: ts,
                index: i as i64,
                spent_transaction_hash: ids::btc_tx_hash(self.tx_salt, s.utxo.tx),
                spent_output_index: i64::from(s.utxo.vout),
                address: self.world.book.btc_text(s.addr),
                sats: s.utxo.value,
            };
            self.inputs.push(month, &row)?;
            input_owners.push(self.world.book.btc_owner(s.addr));
        }

        let mut flows = Vec::with_capacity(pays.len());
        for (i, p) in pays.iter().enumerate() {
            let row = OutputRow {
                transaction_hash: hash.clone(),
                block_hash: self.block_hash.clone(),
                block_number: block,
                block_timestamp_us: ts,
                index: i as i64,
                address: self.world.book.btc_text(p.addr),
                sats: p.value,
            };
            self.outputs.push(month, &row)?;
            let vout = u32::try_from(i).unwrap_or(u32::MAX);
            self.utxo_list(p.addr).push(Utxo {
                tx,
                vout,
                value: p.value,
            });
            flows.push((self.world.book.btc_owner(p.addr), p.value, p.payer));
        }

        if !spends.is_empty() {
            self.truth.btc(day, &input_owners, &flows);
        }
        self.transactions += 1;
        Ok(())
    }

    fn finish(self) -> Result<BtcOutcome, GenError> {
        let transactions = self.transactions;
        let (mut files, inputs) = self.inputs.finish()?;
        let (more, outputs) = self.outputs.finish()?;
        files.extend(more);
        Ok(BtcOutcome {
            transactions,
            inputs,
            outputs,
            files,
        })
    }
}
