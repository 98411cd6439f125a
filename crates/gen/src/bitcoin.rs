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
//!   JoinMarket — whose inputs belong to many users (common-input-ownership must not
//!   merge them), only some of which a BlockSci-style equal-output rule recognises;
//! - peel chains: a user, or an unlabelled exchange paying out, hops its remainder
//!   through a new address of its own 5–30 times, paying a little at each hop;
//! - exchange batch payouts of several equal round amounts: legitimate single-owner
//!   transactions that look CoinJoin-like;
//! - withdrawals from one exchange straight into the user's deposit address at another.
//!
//! Ground truth: every address, including each new CoinJoin, peel and Whirlpool
//! address, is recorded with its true owner the moment it is created.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::path::Path;

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
/// Whirlpool's pool denominations in satoshi (0.001, 0.01, 0.05 and 0.5 BTC).
const WHIRLPOOL_POOLS: [u64; 4] = [100_000, 1_000_000, 5_000_000, 50_000_000];
/// How often each pool is chosen: the small pools ran most rounds.
const WHIRLPOOL_POOL_WEIGHTS: [f64; 4] = [3.0, 4.0, 2.0, 1.0];
/// Wallets give each user a fresh address per receive; past this many extra addresses
/// the generator reuses one, which bounds memory per user.
const MAX_EXTRA_ADDRESSES: usize = 6;
/// WabiSabi's smallest standard denomination.
const WABISABI_MIN: u64 = 5_000;

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

/// The CoinJoin implementations modelled.
#[derive(Debug, Clone, Copy)]
enum Shape {
    Wasabi1,
    WabiSabi,
    Whirlpool,
    JoinMarket,
}

const SHAPES: [Shape; 4] = [
    Shape::Wasabi1,
    Shape::WabiSabi,
    Shape::Whirlpool,
    Shape::JoinMarket,
];
/// Whirlpool rounds are small and frequent, Wasabi rounds large and rarer.
const SHAPE_WEIGHTS: [f64; 4] = [2.0, 2.0, 4.0, 3.0];

/// A Whirlpool coin waiting in a pool: a premix output (denomination plus its miner-fee
/// contribution) or a postmix output (exactly the denomination) that may remix.
#[derive(Debug, Clone, Copy)]
struct Coin {
    uid: UserId,
    addr: u32,
    utxo: Utxo,
}

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

    /// One CoinJoin round of a shape chosen by [`SHAPE_WEIGHTS`]. A round that cannot
    /// gather enough funded participants writes nothing.
    fn coinjoin(&mut self, t: i64) -> Result<(), GenError> {
        let shape = SHAPES
            .get(self.rng.weighted(&SHAPE_WEIGHTS))
            .copied()
            .unwrap_or(Shape::JoinMarket);
        match shape {
            Shape::Wasabi1 => self.wasabi1(t),
            Shape::WabiSabi => self.wabisabi(t),
            Shape::Whirlpool => self.whirlpool(t),
            Shape::JoinMarket => self.joinmarket(t),
        }
    }

    /// Up to `max` distinct users (uniformly chosen Bitcoin users, `tries` draws) whose
    /// inputs reach `need`, each bringing 1–3 UTXOs from distinct addresses of their own.
    fn gather(
        &mut self,
        max: usize,
        tries: usize,
        need: u64,
        seen: &mut BTreeSet<UserId>,
    ) -> Vec<(UserId, Picks)> {
        let mut parts = Vec::new();
        for _ in 0..tries {
            if parts.len() >= max {
                break;
            }
            let Some(&uid) = self.rng.pick(&self.world.btc_users) else {
                break;
            };
            if !seen.insert(uid) {
                continue;
            }
            let want = self.rng.range(1, 3) as usize;
            if let Some(picks) = self.pick_inputs(uid, need, want) {
                parts.push((uid, picks));
            }
        }
        parts
    }

    /// Wasabi 1.x (ZeroLink): 20–100 participants, one output each at a round-specific
    /// denomination near 0.1 BTC (some also one at twice it, the second mixing level),
    /// change to a fresh address for nearly everyone, and one coordinator-fee output of
    /// about 0.003% × denomination × anonymity set per participant. The denomination
    /// occurs n times among 2n + levels + 1 outputs, so BlockSci's p = (outputs + 1) / 2
    /// exceeds it and that rule misses the round.
    fn wasabi1(&mut self, t: i64) -> Result<(), GenError> {
        let wanted = self.rng.range(20, 100) as usize;
        // Odd, so never a round number.
        let d = self.rng.range(9_000_000, 11_000_000) | 1;
        let rate = 3e-5 * (0.8 + 0.4 * self.rng.f64());
        let fee_max = (d as f64 * rate * wanted as f64) as u64;
        let need = d + fee_max + 2 * MIN_CHANGE + 2_400;
        let mut seen = BTreeSet::new();
        let parts = self.gather(wanted, wanted * 6, need, &mut seen);
        if parts.len() < 20 {
            return Ok(());
        }
        let coord_each = (d as f64 * rate * parts.len() as f64) as u64;
        let mut plan = Vec::with_capacity(parts.len());
        for (uid, picks) in parts {
            let sum: u64 = picks.iter().map(|p| p.1.value).sum();
            let miner = self.fee_per(picks.len() + 3);
            let double = sum >= 3 * d + 3 * coord_each + miner + MIN_CHANGE && self.rng.chance(0.4);
            let (mixed, coord) = if double {
                (3 * d, 3 * coord_each)
            } else {
                (d, coord_each)
            };
            let Some(change) = sum.checked_sub(mixed + coord + miner) else {
                continue;
            };
            plan.push((uid, picks, double, coord, change));
        }
        if plan.len() < 20 {
            return Ok(());
        }
        let mut spends = Vec::new();
        let mut pays = Vec::new();
        let mut coord_total = 0;
        let wasabi = Owner::Entity(self.world.wasabi);
        for (uid, picks, double, coord, change) in plan {
            let Some(taken) = self.spend_all(&picks) else {
                continue;
            };
            spends.extend(taken);
            coord_total += coord;
            let payer = Owner::User(uid);
            let dest = self.mixed_destination(uid, 0.15)?;
            pays.push(Pay {
                addr: dest,
                value: d,
                payer,
            });
            if double {
                let addr = self.own_address(uid)?;
                pays.push(Pay {
                    addr,
                    value: 2 * d,
                    payer,
                });
            }
            // Change below the dust limit is left to the miners.
            if change >= MIN_CHANGE {
                let addr = self.own_address(uid)?;
                pays.push(Pay {
                    addr,
                    value: change,
                    payer,
                });
            }
        }
        pays.push(Pay {
            addr: self.world.wasabi_btc,
            value: coord_total,
            payer: wasabi,
        });
        self.rng.shuffle(&mut spends);
        self.rng.shuffle(&mut pays);
        self.commit(t, spends, pays)
    }

    /// WabiSabi (Wasabi 2): 50–300 inputs from many participants, each participant's
    /// amount decomposed greedily into standard denominations (powers of 2 and 3, 2 × 3^k,
    /// 10^k, 2 × 10^k, 5 × 10^k satoshi, at least 5 000), so many participants share each
    /// value and the outputs are many; a remainder too big for the miners becomes a change
    /// output. Since 2024 most coordinators take no fee; 30% of rounds here still pay one.
    fn wabisabi(&mut self, t: i64) -> Result<(), GenError> {
        let target = self.rng.range(50, 300) as usize;
        let with_fee = self.rng.chance(0.3);
        let mut seen = BTreeSet::new();
        let mut parts: Vec<(UserId, Picks)> = Vec::new();
        let mut inputs = 0;
        for _ in 0..8 {
            if inputs >= target {
                break;
            }
            let more = self.gather(target, target, 100_000, &mut seen);
            if more.is_empty() {
                break;
            }
            for part in more {
                if inputs >= target {
                    break;
                }
                inputs += part.1.len();
                parts.push(part);
            }
        }
        if inputs < 50 {
            return Ok(());
        }
        let mut spends = Vec::new();
        let mut pays = Vec::new();
        let mut coord_total = 0;
        for (uid, picks) in parts {
            let sum: u64 = picks.iter().map(|p| p.1.value).sum();
            let coord = if with_fee && sum > 1_000_000 {
                sum * 3 / 1_000
            } else {
                0
            };
            let miner = self.fee_per(picks.len() + 4);
            let Some(mut left) = sum.checked_sub(coord + miner) else {
                continue;
            };
            let Some(taken) = self.spend_all(&picks) else {
                continue;
            };
            spends.extend(taken);
            coord_total += coord;
            let payer = Owner::User(uid);
            for _ in 0..8 {
                let Some(&v) = self.standard.iter().find(|&&v| v <= left) else {
                    break;
                };
                left -= v;
                let addr = self.mixed_destination(uid, 0.05)?;
                pays.push(Pay {
                    addr,
                    value: v,
                    payer,
                });
            }
            if left >= MIN_CHANGE {
                let addr = self.own_address(uid)?;
                pays.push(Pay {
                    addr,
                    value: left,
                    payer,
                });
            }
        }
        if spends.is_empty() {
            return Ok(());
        }
        if coord_total > 0 {
            pays.push(Pay {
                addr: self.world.wasabi_btc,
                value: coord_total,
                payer: Owner::Entity(self.world.wasabi),
            });
        }
        self.rng.shuffle(&mut spends);
        self.rng.shuffle(&mut pays);
        self.commit(t, spends, pays)
    }

    /// Whirlpool (Samourai): exactly five inputs and five outputs of exactly the pool
    /// denomination, five distinct users. 1–3 are new entrants spending a premix output
    /// (denomination + their share of the miner fee, made by a Tx0); the others remix a
    /// postmix output for free. Postmix outputs stay in the pool for later remixes,
    /// unless the user takes them out (to their wallet or an exchange).
    fn whirlpool(&mut self, t: i64) -> Result<(), GenError> {
        let pool = self.rng.weighted(&WHIRLPOOL_POOL_WEIGHTS);
        let Some(&denom) = WHIRLPOOL_POOLS.get(pool) else {
            return Ok(());
        };
        let new_entrants = self.rng.range(1, 3) as usize;
        let mut users: Vec<UserId> = Vec::with_capacity(5);
        let mut remix: Vec<usize> = Vec::new();
        let n_post = self.postmix.get(pool).map_or(0, Vec::len);
        for _ in 0..20 {
            if remix.len() + new_entrants >= 5 || n_post == 0 {
                break;
            }
            let i = self.rng.index(n_post);
            let Some(c) = self.postmix.get(pool).and_then(|v| v.get(i)).copied() else {
                continue;
            };
            if users.contains(&c.uid) {
                continue;
            }
            users.push(c.uid);
            remix.push(i);
        }
        let mut fresh: Vec<usize> = Vec::new();
        for _ in 0..30 {
            if users.len() >= 5 {
                break;
            }
            let waiting = self
                .premix
                .get(pool)
                .and_then(|v| v.iter().position(|c| !users.contains(&c.uid)));
            match waiting {
                Some(i) => {
                    if let Some(c) = self.premix.get(pool).and_then(|v| v.get(i)) {
                        users.push(c.uid);
                        fresh.push(i);
                    }
                    // The rest of this user's premix waits for later rounds.
                }
                None => {
                    let Some(&uid) = self.rng.pick(&self.world.btc_users) else {
                        break;
                    };
                    if !users.contains(&uid) {
                        self.tx0(t, uid, pool)?;
                    }
                }
            }
        }
        if users.len() < 5 || fresh.is_empty() {
            return Ok(());
        }
        let mut coins = take_indices(self.postmix.get_mut(pool), remix);
        coins.extend(take_indices(self.premix.get_mut(pool), fresh));
        let mut spends = Vec::with_capacity(5);
        for c in &coins {
            if let Some(s) = self.spend_exact(c.addr, c.utxo) {
                spends.push(s);
            }
        }
        if spends.len() != 5 {
            // Cannot happen (pool coins are spent nowhere else); keep the set valid.
            for s in spends {
                self.utxo_list(s.addr).push(s.utxo);
            }
            return Ok(());
        }
        let mut pays = Vec::with_capacity(5);
        let mut stays = Vec::with_capacity(5);
        for c in &coins {
            let r = self.rng.f64();
            let (addr, stay) = if r < 0.1 {
                (self.mixed_destination(c.uid, 1.0)?, false)
            } else if r < 0.25 {
                (self.own_address(c.uid)?, false)
            } else {
                let owner = Owner::User(c.uid);
                (
                    self.world.book.add_btc(owner, Role::User, Some(c.uid))?,
                    true,
                )
            };
            pays.push(Pay {
                addr,
                value: denom,
                payer: Owner::User(c.uid),
            });
            stays.push((c.uid, stay));
        }
        self.rng.shuffle(&mut spends);
        self.commit(t, spends, pays.clone())?;
        let tx = self.tx_count;
        for (vout, (p, (uid, stay))) in pays.iter().zip(stays).enumerate() {
            if stay {
                if let Some(v) = self.postmix.get_mut(pool) {
                    v.push(Coin {
                        uid,
                        addr: p.addr,
                        utxo: Utxo {
                            tx,
                            vout: vout as u32,
                            value: denom,
                        },
                    });
                }
            }
        }
        Ok(())
    }

    /// Whirlpool's entry transaction (Tx0): the user splits 1–3 own UTXOs into 1–4
    /// premix outputs of denomination + a miner-fee contribution on fresh addresses, pays
    /// the pool fee (5% of the denomination) to the coordinator and keeps the change.
    fn tx0(&mut self, t: i64, uid: UserId, pool: usize) -> Result<(), GenError> {
        let Some(&denom) = WHIRLPOOL_POOLS.get(pool) else {
            return Ok(());
        };
        let m = self.rng.range(1, 4);
        let extra = self.rng.range(1_000, 2_500);
        let pool_fee = denom / 20;
        let miner = self.fee_per(m as usize + 4);
        let need = m * (denom + extra) + pool_fee + miner + MIN_CHANGE;
        let want = self.rng.range(1, 3) as usize;
        let Some(picks) = self.pick_inputs(uid, need, want) else {
            return Ok(());
        };
        let sum: u64 = picks.iter().map(|p| p.1.value).sum();
        let Some(spends) = self.spend_all(&picks) else {
            return Ok(());
        };
        let payer = Owner::User(uid);
        let mut pays = Vec::new();
        for _ in 0..m {
            let addr = self.world.book.add_btc(payer, Role::User, Some(uid))?;
            pays.push(Pay {
                addr,
                value: denom + extra,
                payer,
            });
        }
        pays.push(Pay {
            addr: self.world.whirlpool_btc,
            value: pool_fee,
            payer: Owner::Entity(self.world.whirlpool),
        });
        let change = sum - m * (denom + extra) - pool_fee - miner;
        let back = self.own_address(uid)?;
        pays.push(Pay {
            addr: back,
            value: change,
            payer,
        });
        self.commit(t, spends, pays.clone())?;
        let tx = self.tx_count;
        if let Some(v) = self.premix.get_mut(pool) {
            for (vout, p) in pays.iter().enumerate().take(m as usize) {
                v.push(Coin {
                    uid,
                    addr: p.addr,
                    utxo: Utxo {
                        tx,
                        vout: vout as u32,
                        value: p.value,
                    },
                });
            }
        }
        Ok(())
    }

    /// JoinMarket: one taker and 2–9 makers; n = makers + 1 outputs of the taker's
    /// amount, a change for every maker (their inputs less the amount plus their fee)
    /// and one for the taker unless they sweep a whole coin; each party brings 1–3
    /// inputs. The taker pays the makers' fees and the miner.
    fn joinmarket(&mut self, t: i64) -> Result<(), GenError> {
        let mut seen = BTreeSet::new();
        let takers = self.gather(1, 20, 300_000, &mut seen);
        let Some((taker, tpicks)) = takers.into_iter().next() else {
            return Ok(());
        };
        let taker_in: u64 = tpicks.iter().map(|p| p.1.value).sum();
        let sweep = self.rng.chance(0.25);
        let estimate = if sweep {
            taker_in
        } else {
            (taker_in as f64 * (0.3 + 0.6 * self.rng.f64())) as u64
        };
        let n_makers = self.rng.range(2, 9) as usize;
        let makers = self.gather(n_makers, n_makers * 8, estimate + MIN_CHANGE, &mut seen);
        if makers.len() < 2 {
            return Ok(());
        }
        let fees: Vec<u64> = makers
            .iter()
            .map(|_| {
                let rel = self.rng.range(2, 30) as f64 / 100_000.0;
                (estimate as f64 * rel) as u64 + self.rng.below(500)
            })
            .collect();
        let fee_sum: u64 = fees.iter().sum();
        let n_inputs = tpicks.len() + makers.iter().map(|m| m.1.len()).sum::<usize>();
        let miner = self.fee_per(n_inputs + 2 * (makers.len() + 1));
        let Some(rest) = taker_in.checked_sub(fee_sum + miner) else {
            return Ok(());
        };
        let (amount, taker_change) = if sweep {
            (rest, 0)
        } else {
            (estimate, rest.saturating_sub(estimate))
        };
        if amount < MIN_CHANGE || (!sweep && rest < estimate) {
            return Ok(());
        }
        let Some(mut spends) = self.spend_all(&tpicks) else {
            return Ok(());
        };
        let mut pays = Vec::new();
        let tp = Owner::User(taker);
        let dest = self.mixed_destination(taker, 0.2)?;
        pays.push(Pay {
            addr: dest,
            value: amount,
            payer: tp,
        });
        // A taker change below the dust limit goes to the miners.
        if taker_change >= MIN_CHANGE {
            let addr = self.own_address(taker)?;
            pays.push(Pay {
                addr,
                value: taker_change,
                payer: tp,
            });
        }
        for ((uid, picks), fee) in makers.into_iter().zip(fees) {
            let sum: u64 = picks.iter().map(|p| p.1.value).sum();
            let Some(taken) = self.spend_all(&picks) else {
                continue;
            };
            spends.extend(taken);
            let payer = Owner::User(uid);
            let addr = self.own_address(uid)?;
            pays.push(Pay {
                addr,
                value: amount,
                payer,
            });
            let addr = self.own_address(uid)?;
            pays.push(Pay {
                addr,
                value: sum - amount + fee,
                payer,
            });
        }
        let total_in: u64 = spends.iter().map(|s| s.utxo.value).sum();
        let total_out: u64 = pays.iter().map(|p| p.value).sum();
        if total_out > total_in {
            // Only if a maker dropped out after the fees were set; undo.
            for s in spends {
                self.utxo_list(s.addr).push(s.utxo);
            }
            return Ok(());
        }
        self.rng.shuffle(&mut spends);
        self.rng.shuffle(&mut pays);
        self.commit(t, spends, pays)
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

/// WabiSabi's standard denominations in satoshi, largest first: powers of 2 and 3,
/// 2 × 3^k, 10^k, 2 × 10^k and 5 × 10^k, from 5 000 up to 1 374 BTC.
fn wabisabi_denominations() -> Vec<u64> {
    const TOP: u64 = 137_438_953_472;
    let mut v = Vec::new();
    let mut p = 1u64;
    while p <= TOP {
        v.push(p);
        p *= 2;
    }
    let mut p = 1u64;
    while p <= TOP {
        v.push(p);
        v.push(2 * p);
        p *= 3;
    }
    let mut p = 1u64;
    while p <= TOP {
        v.extend([p, 2 * p, 5 * p]);
        p *= 10;
    }
    v.retain(|&x| (WABISABI_MIN..=TOP).contains(&x));
    v.sort_unstable_by(|a, b| b.cmp(a));
    v.dedup();
    v
}

/// Removes the items at `indices` (distinct) from `items` and returns them.
fn take_indices(items: Option<&mut Vec<Coin>>, mut indices: Vec<usize>) -> Vec<Coin> {
    let Some(items) = items else {
        return Vec::new();
    };
    indices.sort_unstable_by(|a, b| b.cmp(a));
    indices.dedup();
    let mut out = Vec::with_capacity(indices.len());
    for i in indices {
        if i < items.len() {
            out.push(items.swap_remove(i));
        }
    }
    out
}
