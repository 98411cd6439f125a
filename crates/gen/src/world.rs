//! The cast of the economy: exchanges of Zipf-like sizes (some labelled, some
//! registered; about half of the labelled ones keep their cold wallets out of the
//! labels, and some run a second, unlabelled treasury wallet), users with their own
//! addresses and accounts at one or two exchanges, the payment processor, the miner,
//! spammers and a duster, two CoinJoin coordinators and the mint — and every address
//! they own. Built once from the setup stream; only customer deposit addresses of entities
//! (an exchange's account at another exchange, payhub's and the miner's accounts) are
//! created later, on first use.

use std::collections::BTreeMap;
use std::path::Path;

use crate::book::AddressBook;
use crate::error::GenError;
use crate::ids;
use crate::math;
use crate::model::{Category, Chain, EntityId, Owner, Role, UserId};
use crate::names::{
    EXCHANGE_NAMES, JURISDICTIONS, MINER, MINT, NESTED, PAYHUB, SPAM, WASABI, WHIRLPOOL,
};
use crate::plan::Plan;
use crate::rng::Rng;

/// An entity (not a user).
#[derive(Debug, Clone)]
pub struct Entity {
    /// Lowercase slug.
    pub name: String,
    /// Kind.
    pub category: Category,
    /// Whether its wallets appear in `labels.csv`.
    pub labelled: bool,
    /// Its `registry.csv` entry, if any.
    pub registration: Option<Registration>,
    /// Share of activity (exchanges only; sums to 1 over exchanges).
    pub weight: f64,
}

/// A licence register entry.
#[derive(Debug, Clone)]
pub struct Registration {
    /// Licensed or registered-but-unlicensed.
    pub licensed: bool,
    /// Fictional jurisdiction code.
    pub jurisdiction: &'static str,
    /// `XA-VASP-0007` for licensed entities, empty otherwise.
    pub licence_id: String,
}

/// An exchange's own wallets.
#[derive(Debug, Clone)]
pub struct Exchange {
    /// Ethereum hot wallets (1–2).
    pub eth_hot: Vec<u32>,
    /// Ethereum cold wallet.
    pub eth_cold: u32,
    /// Bitcoin hot wallet.
    pub btc_hot: u32,
    /// Bitcoin cold wallet.
    pub btc_cold: u32,
    /// Whether the cold wallets appear in `labels.csv` (exchanges often disclose only
    /// hot wallets; the cold ones are found, if at all, through the hot/cold moves).
    pub cold_labelled: bool,
    /// A second Ethereum reserve wallet, never labelled, that only moves funds to and
    /// from this exchange's hot wallets.
    pub eth_treasury: Option<u32>,
}

/// An exchanger nested in a host exchange (see [`Category::NestedExchange`]).
#[derive(Debug, Clone, Copy)]
pub struct Desk {
    /// Its entity.
    pub entity: EntityId,
    /// Its collecting (and paying) wallet, on the account chains.
    pub hub: u32,
    /// The labelled exchange it cashes out at.
    pub host: EntityId,
}

/// A user's account at an exchange: the deposit addresses the exchange assigned them.
#[derive(Debug, Clone, Copy, Default)]
pub struct Account {
    /// The exchange.
    pub exchange: EntityId,
    /// The user's Ethereum deposit address there (reused for every deposit).
    pub eth_deposit: u32,
    /// The Bitcoin deposit address, when the user uses Bitcoin.
    pub btc_deposit: Option<u32>,
}

/// A user. Fixed-size arrays instead of vectors keep a user at a few dozen bytes, which
/// matters with millions of them.
#[derive(Debug, Clone, Copy)]
pub struct User {
    eth: [u32; 2],
    n_eth: u8,
    /// The user's Bitcoin address, if any.
    pub btc: Option<u32>,
    accounts: [Account; 2],
    n_accounts: u8,
}

impl User {
    /// The user's Ethereum addresses (1–2).
    pub fn eth(&self) -> &[u32] {
        self.eth.get(..usize::from(self.n_eth)).unwrap_or(&[])
    }

    /// The user's exchange accounts (1–2).
    pub fn accounts(&self) -> &[Account] {
        self.accounts
            .get(..usize::from(self.n_accounts))
            .unwrap_or(&[])
    }
}

/// Everyone and everything they own.
pub struct World {
    /// Exchanges first (index = exchange number), then payhub, miner, spam, mint and
    /// the two CoinJoin coordinators.
    pub entities: Vec<Entity>,
    /// Exchanges' wallets, by entity id.
    pub exchanges: Vec<Exchange>,
    ex_weights: Vec<f64>,
    /// Users, by id; lower ids are more active.
    pub users: Vec<User>,
    /// Ids of users with a Bitcoin address, ascending.
    pub btc_users: Vec<UserId>,
    /// The payment processor.
    pub payhub: EntityId,
    /// The miner.
    pub miner: EntityId,
    /// Spammers.
    pub spam: EntityId,
    /// The mint (zero address).
    pub mint: EntityId,
    /// payhub's collecting wallet (Ethereum).
    pub hub: u32,
    /// The miner's payout address (Bitcoin).
    pub miner_btc: u32,
    /// The spam airdropper (Ethereum).
    pub spam_sender: u32,
    /// The duster: sends tiny amounts of real stablecoins to many addresses (Ethereum).
    pub dust_sender: u32,
    /// The Wasabi coordinator.
    pub wasabi: EntityId,
    /// Its fee address (Bitcoin).
    pub wasabi_btc: u32,
    /// The Whirlpool coordinator.
    pub whirlpool: EntityId,
    /// Its pool-fee address (Bitcoin).
    pub whirlpool_btc: u32,
    /// The spam token's contract address.
    pub spam_token: String,
    /// Exchanges where payhub cashes out.
    pub payhub_banks: Vec<EntityId>,
    /// Exchanges where the miner sells.
    pub miner_banks: Vec<EntityId>,
    /// Exchangers nested in a host exchange.
    pub desks: Vec<Desk>,
    /// Every address.
    pub book: AddressBook,
    customer_deposits: BTreeMap<(Chain, EntityId, EntityId), u32>,
}

impl World {
    /// Builds the cast; writes their addresses to `out/ground_truth/addresses.csv`.
    pub fn build(plan: &Plan, rng: &mut Rng, out: &Path) -> Result<World, GenError> {
        let n = plan.exchanges.clamp(1, EXCHANGE_NAMES.len());
        let mut names: Vec<&'static str> = EXCHANGE_NAMES.to_vec();
        rng.shuffle(&mut names);

        // Zipf-like sizes (s = 1.1): the top exchange has several times the second's
        // activity and a long tail of small ones, like real exchange volumes.
        let raw: Vec<f64> = (0..n)
            .map(|i| 1.0 / math::powf((i + 1) as f64, 1.1))
            .collect();
        let total: f64 = raw.iter().sum();
        let ex_weights: Vec<f64> = raw.iter().map(|w| w / total).collect();

        // ~70% labelled, at least three (so the registry can hold a licensed and an
        // unlicensed one after leaving one out) and at least one unlabelled.
        let n_labelled = ((n as f64 * 0.7).round() as usize)
            .max(3)
            .min(n.saturating_sub(1));
        let mut order: Vec<usize> = (0..n).collect();
        rng.shuffle(&mut order);
        let mut labelled = vec![false; n];
        for &i in order.iter().take(n_labelled) {
            labelled[i] = true;
        }
        let mut entities: Vec<Entity> = (0..n)
            .map(|i| Entity {
                name: names.get(i).copied().unwrap_or("exchange").to_string(),
                category: Category::Exchange,
                labelled: labelled[i],
                registration: None,
                weight: ex_weights[i],
            })
            .collect();

        // The registry: every labelled exchange but one (whose licence status is then
        // unknown to the job), about half licensed, at least one of each.
        let mut registered: Vec<usize> = (0..n).filter(|&i| labelled[i]).collect();
        if !registered.is_empty() {
            let left_out = rng.index(registered.len());
            registered.remove(left_out);
        }
        rng.shuffle(&mut registered);
        let m = registered.len();
        let n_licensed = ((m as f64 * (0.35 + 0.3 * rng.f64())).round() as usize)
            .max(1)
            .min(m.saturating_sub(1).max(1));
        for (k, &i) in registered.iter().enumerate() {
            let licensed = k < n_licensed;
            let jurisdiction = JURISDICTIONS[rng.index(JURISDICTIONS.len())];
            let licence_id = if licensed {
                format!("{jurisdiction}-VASP-{:04}", rng.range(1, 9_999))
            } else {
                String::new()
            };
            entities[i].registration = Some(Registration {
                licensed,
                jurisdiction,
                licence_id,
            });
        }

        let special = |name: &str, category: Category, labelled: bool| Entity {
            name: name.to_string(),
            category,
            labelled,
            registration: None,
            weight: 0.0,
        };
        let payhub = n as EntityId;
        entities.push(special(PAYHUB, Category::PaymentProcessor, true));
        let miner = payhub + 1;
        entities.push(special(MINER, Category::Miner, false));
        let spam = payhub + 2;
        entities.push(special(SPAM, Category::Spam, false));
        let mint = payhub + 3;
        entities.push(special(MINT, Category::Mint, false));
        let wasabi = payhub + 4;
        entities.push(special(WASABI, Category::Coordinator, false));
        let whirlpool = payhub + 5;
        entities.push(special(WHIRLPOOL, Category::Coordinator, false));
        let first_desk = whirlpool + 1;
        for name in NESTED {
            entities.push(special(name, Category::NestedExchange, false));
        }

        let mut book = AddressBook::new(
            out,
            plan.seed,
            entities.iter().map(|e| e.name.clone()).collect(),
        )?;

        let mut exchanges = Vec::with_capacity(n);
        for i in 0..n {
            let owner = Owner::Entity(i as EntityId);
            let hots = 1 + usize::from(rng.chance(0.5));
            let mut eth_hot = Vec::with_capacity(hots);
            for _ in 0..hots {
                eth_hot.push(book.add_eth(owner, Role::Hot, None)?);
            }
            let eth_cold = book.add_eth(owner, Role::Cold, None)?;
            let btc_hot = book.add_btc(owner, Role::Hot, None)?;
            let btc_cold = book.add_btc(owner, Role::Cold, None)?;
            // Half the labelled exchanges disclose their cold wallets; 40% of all
            // exchanges run a treasury wallet besides.
            let cold_labelled = !labelled.get(i).copied().unwrap_or(false) || rng.chance(0.5);
            let eth_treasury = if rng.chance(0.4) {
                Some(book.add_eth(owner, Role::Treasury, None)?)
            } else {
                None
            };
            exchanges.push(Exchange {
                eth_hot,
                eth_cold,
                btc_hot,
                btc_cold,
                cold_labelled,
                eth_treasury,
            });
        }

        // At least one labelled exchange hides its cold wallets, so even the smallest
        // data set has the case.
        if !exchanges
            .iter()
            .zip(&labelled)
            .any(|(e, &l)| l && !e.cold_labelled)
        {
            if let Some((e, _)) = exchanges.iter_mut().zip(&labelled).find(|(_, &l)| l) {
                e.cold_labelled = false;
            }
        }

        let hub = book.add_eth(Owner::Entity(payhub), Role::ProcessorHub, None)?;
        let miner_btc = book.add_btc(Owner::Entity(miner), Role::Miner, None)?;
        let spam_sender = book.add_eth(Owner::Entity(spam), Role::Spam, None)?;
        let dust_sender = book.add_eth(Owner::Entity(spam), Role::Dust, None)?;
        let wasabi_btc = book.add_btc(Owner::Entity(wasabi), Role::Coordinator, None)?;
        let whirlpool_btc = book.add_btc(Owner::Entity(whirlpool), Role::Coordinator, None)?;
        let mut token = [0u8; 20];
        rng.fill(&mut token);
        let spam_token = ids::evm_text(&token);
        book.record_eth(&spam_token, Owner::Entity(spam), Role::Spam)?;
        book.record_eth(ids::ZERO_ADDRESS, Owner::Entity(mint), Role::Mint)?;

        let mut users = Vec::with_capacity(plan.users);
        let mut btc_users = Vec::new();
        for u in 0..plan.users {
            let uid = u as UserId;
            let owner = Owner::User(uid);
            let n_eth: u8 = if rng.chance(0.3) { 2 } else { 1 };
            let mut eth = [0u32; 2];
            for slot in eth.iter_mut().take(usize::from(n_eth)) {
                *slot = book.add_eth(owner, Role::User, Some(uid))?;
            }
            let btc = if rng.chance(0.4) {
                Some(book.add_btc(owner, Role::User, Some(uid))?)
            } else {
                None
            };
            let banks = pick_banks(rng, &ex_weights, 0.35);
            let mut accounts = [Account::default(); 2];
            for (slot, &x) in accounts.iter_mut().zip(&banks) {
                let exchange = Owner::Entity(x);
                let eth_deposit = book.add_eth(exchange, Role::Deposit, Some(uid))?;
                let btc_deposit = match btc {
                    Some(_) => Some(book.add_btc(exchange, Role::Deposit, Some(uid))?),
                    None => None,
                };
                *slot = Account {
                    exchange: x,
                    eth_deposit,
                    btc_deposit,
                };
            }
            if btc.is_some() {
                btc_users.push(uid);
            }
            users.push(User {
                eth,
                n_eth,
                btc,
                accounts,
                n_accounts: banks.len().min(2) as u8,
            });
        }

        let payhub_banks = pick_banks(rng, &ex_weights, 0.5);
        let miner_banks = pick_banks(rng, &ex_weights, 0.5);

        // The nested exchangers, last so that nothing above changes with them: each cashes
        // out at one of the largest labelled exchanges (where local desks hold accounts).
        let mut hosts: Vec<usize> = (0..n).filter(|&i| labelled[i]).collect();
        hosts.sort_by(|a, b| ex_weights[*b].total_cmp(&ex_weights[*a]));
        let mut desks = Vec::new();
        for (k, _) in NESTED.iter().enumerate() {
            let Some(&host) = hosts.get(k % hosts.len().max(1)) else {
                break;
            };
            let entity = first_desk + k as EntityId;
            let hub = book.add_eth(Owner::Entity(entity), Role::Hot, None)?;
            desks.push(Desk {
                entity,
                hub,
                host: host as EntityId,
            });
        }

        Ok(World {
            entities,
            exchanges,
            ex_weights,
            users,
            btc_users,
            payhub,
            miner,
            spam,
            mint,
            hub,
            miner_btc,
            spam_sender,
            dust_sender,
            wasabi,
            wasabi_btc,
            whirlpool,
            whirlpool_btc,
            spam_token,
            payhub_banks,
            miner_banks,
            desks,
            book,
            customer_deposits: BTreeMap::new(),
        })
    }

    /// A user, chosen with heavy-tailed activity: user id ⌊n·u^2.5⌋ for uniform u, so
    /// the most active 1% of users make ~16% of the moves and most users are occasional.
    pub fn pick_user(&self, rng: &mut Rng) -> UserId {
        pick_active(rng, self.users.len()) as UserId
    }

    /// A user with a Bitcoin address, with the same activity skew.
    pub fn pick_btc_user(&self, rng: &mut Rng) -> Option<UserId> {
        let i = pick_active(rng, self.btc_users.len());
        self.btc_users.get(i).copied()
    }

    /// An exchange, weighted by size.
    pub fn pick_exchange(&self, rng: &mut Rng) -> EntityId {
        rng.weighted(&self.ex_weights) as EntityId
    }

    /// User `id`.
    pub fn user(&self, id: UserId) -> Option<User> {
        self.users.get(id as usize).copied()
    }

    /// Name of entity `e`.
    pub fn entity_name(&self, e: EntityId) -> &str {
        self.entities
            .get(usize::from(e))
            .map_or("", |x| x.name.as_str())
    }

    /// The deposit address `exchange` gave its customer `customer` (another entity) on
    /// `chain`, created on first use.
    pub fn customer_deposit(
        &mut self,
        chain: Chain,
        customer: EntityId,
        exchange: EntityId,
    ) -> Result<u32, GenError> {
        if let Some(&id) = self.customer_deposits.get(&(chain, customer, exchange)) {
            return Ok(id);
        }
        let owner = Owner::Entity(exchange);
        let id = match chain {
            // TRON addresses are the same 20 bytes written the TRON way.
            Chain::Ethereum | Chain::Tron => self.book.add_eth(owner, Role::Deposit, None)?,
            Chain::Bitcoin => self.book.add_btc(owner, Role::Deposit, None)?,
        };
        self.customer_deposits
            .insert((chain, customer, exchange), id);
        Ok(id)
    }

    /// Closes the address ground truth; returns its relative path.
    pub fn finish(self) -> Result<String, GenError> {
        self.book.finish()
    }
}

/// Index in `0..n` skewed towards 0 (density ∝ x^-0.6).
fn pick_active(rng: &mut Rng, n: usize) -> usize {
    let u = rng.f64();
    let x = u * u * u.sqrt();
    ((x * n as f64) as usize).min(n.saturating_sub(1))
}

/// One exchange by size, and with probability `second` another, different one.
fn pick_banks(rng: &mut Rng, weights: &[f64], second: f64) -> Vec<EntityId> {
    let first = rng.weighted(weights) as EntityId;
    let mut banks = vec![first];
    if weights.len() > 1 && rng.chance(second) {
        for _ in 0..8 {
            let other = rng.weighted(weights) as EntityId;
            if other != first {
                banks.push(other);
                break;
            }
        }
    }
    banks
}
