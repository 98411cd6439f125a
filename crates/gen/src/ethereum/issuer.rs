//! Stablecoin issuers enforcing on their own tokens, as Tether and Circle do on request of
//! law enforcement: an address is frozen (blacklisted) while it holds the token; a frozen
//! USDT address can still receive but not send, a USDC one can do neither; some freezes
//! are lifted weeks later; Tether destroys the balance of some frozen addresses
//! (`destroyBlackFunds`), which emits no `Transfer`. Frozen parties are mostly users' own
//! wallets, sometimes an exchange's deposit address that received the funds. An admin
//! sometimes blacklists an address twice, and look-alike token contracts emit events with
//! Tether's names — neither is a new freeze.
//!
//! The events are written as BigQuery `logs` rows (Tether: address in the data; USDC:
//! address indexed) and recorded in `ground_truth/freezes.csv` with the balance the address
//! held just before each event, from the simulation's own ledger.

use std::collections::BTreeSet;

use super::{EthSim, Scheduled};
use crate::csv_out::CsvFile;
use crate::error::GenError;
use crate::model::Chain;
use crate::model::Owner;
use crate::tokens::Asset;

/// topic0 of Tether's `AddedBlackList(address)`.
const ADDED_BLACK_LIST: &str = "0x42e160154868087d6bfdc0ca23d96a1c1cfa32f1b72ba9ba27b69b98a0d819dc";
/// topic0 of Tether's `RemovedBlackList(address)`.
const REMOVED_BLACK_LIST: &str =
    "0xd7e9ec6e6ecd65492dce6bf513cd6867560d49544421d0783ddf06e76c24470c";
/// topic0 of Tether's `DestroyedBlackFunds(address,uint256)`.
const DESTROYED_BLACK_FUNDS: &str =
    "0x61e6e66b0d6339b2980aecc6ccc0039736791f0ccde9ed512e789a7fbdd698c6";
/// topic0 of Circle's `Blacklisted(address)`.
const BLACKLISTED: &str = "0xffa4e6181777692565cf28528fc88fd1516ea86b56da075235fa575af6a4b855";
/// topic0 of Circle's `UnBlacklisted(address)`.
const UN_BLACKLISTED: &str = "0x117e3210bb9aa7d9baff172026820255c6f6c30ba8999d1c2fd88e2848137c4e";

/// A day in ms.
const DAY_MS: u64 = 86_400_000;
/// An hour, for a freeze that waits for its target.
const HOUR_MS: i64 = 3_600_000;

/// What the issuer does at a scheduled time.
pub(super) enum Enforcement {
    /// Freeze an address of the kind given that holds `asset`.
    Freeze {
        asset: Asset,
        deposit: bool,
        follow: FollowUp,
    },
    /// Blacklist an already frozen address again (an admin's repeat).
    Repeat { asset: Asset, id: u32 },
    /// Lift a freeze.
    Unfreeze { asset: Asset, id: u32 },
    /// Destroy a frozen USDT balance.
    Destroy { id: u32 },
    /// A look-alike contract emits `AddedBlackList` for some address.
    Lookalike,
}

/// What happens to a freeze later.
#[derive(Clone, Copy)]
pub(super) enum FollowUp {
    Nothing,
    Destroy,
    Unfreeze,
    Repeat,
}

/// The issuers' state: frozen (address, token) pairs and the ground truth.
pub(super) struct Issuers {
    frozen: BTreeSet<(u32, Asset)>,
    /// Every (address, token) ever frozen: the issuer's public blacklist.
    pub(super) ever_frozen: BTreeSet<(u32, Asset)>,
    truth: CsvFile,
}

impl Issuers {
    pub(super) fn new(out: &std::path::Path, rel: &str) -> Result<Self, GenError> {
        Ok(Issuers {
            frozen: BTreeSet::new(),
            ever_frozen: BTreeSet::new(),
            truth: CsvFile::create(
                out,
                rel,
                &[
                    "chain",
                    "asset",
                    "symbol",
                    "address",
                    "owner",
                    "deposit_of",
                    "event",
                    "block_number",
                    "log_index",
                    "tx_hash",
                    "amount_raw",
                    "balance_before_raw",
                ],
            )?,
        })
    }

    /// Closes the ground truth; returns its path.
    pub(super) fn finish(self) -> Result<String, GenError> {
        self.truth.finish()
    }

    /// Whether `id` may not send `asset` (and, for USDC, not receive it).
    pub(super) fn is_frozen(&self, id: u32, asset: Asset) -> bool {
        self.frozen.contains(&(id, asset))
    }
}

/// A 32-byte ABI word holding a 20-byte address given as `0x` + 40 hex.
fn address_word(address: &str) -> String {
    format!("{:0>64}", address.trim_start_matches("0x"))
}

fn amount_word(amount: u128) -> String {
    format!("{amount:064x}")
}

impl EthSim<'_> {
    /// Schedules the year's enforcement: freezes spread over the calendar (about one per
    /// hundred users, at least six), every fifth by Circle on USDC, the rest by Tether on
    /// USDT. The first three are an exchange deposit address, a freeze later destroyed
    /// and one later lifted, so every data set has each; the others draw their fate.
    pub(super) fn schedule_enforcement(&mut self) {
        let days = self.cal.days() as u64;
        if days < 60 {
            return;
        }
        let n = (self.world.users.len() / 100).clamp(6, 500);
        for i in 0..n {
            let t = (self.issuer_rng.range(15, days - 30) * DAY_MS + self.issuer_rng.below(DAY_MS))
                as i64;
            // Circle's USDC on TRON is discontinued: Tether only there.
            let asset = if i % 5 == 4 && self.sink.net.chain() == Chain::Ethereum {
                Asset::Usdc
            } else {
                Asset::Usdt
            };
            let follow = match i {
                0 => FollowUp::Nothing,
                1 => FollowUp::Destroy,
                2 => FollowUp::Unfreeze,
                _ => {
                    let r = self.issuer_rng.below(100);
                    match r {
                        0..=24 if asset == Asset::Usdt => FollowUp::Destroy,
                        25..=34 => FollowUp::Unfreeze,
                        35..=44 => FollowUp::Repeat,
                        _ => FollowUp::Nothing,
                    }
                }
            };
            let deposit = i == 0 || (i > 2 && self.issuer_rng.chance(0.1));
            self.schedule(
                t,
                Scheduled::Enforce(Enforcement::Freeze {
                    asset,
                    deposit,
                    follow,
                }),
            );
            if self.issuer_rng.chance(0.5) {
                let t = (self.issuer_rng.range(1, days - 1) * DAY_MS) as i64;
                self.schedule(t, Scheduled::Enforce(Enforcement::Lookalike));
            }
        }
    }

    pub(super) fn enforce(&mut self, t: i64, what: Enforcement) -> Result<(), GenError> {
        match what {
            Enforcement::Freeze {
                asset,
                deposit,
                follow,
            } => {
                let Some(id) = self.freeze_target(asset, deposit) else {
                    // A deposit address holds funds only between a deposit and its sweep:
                    // when none does right now, the issuer acts on the next one.
                    let retry = t + HOUR_MS;
                    if deposit && retry < self.cal.end_ms() {
                        self.schedule(
                            retry,
                            Scheduled::Enforce(Enforcement::Freeze {
                                asset,
                                deposit,
                                follow,
                            }),
                        );
                    }
                    return Ok(());
                };
                self.issuer_log(t, asset, "freeze", id, 0)?;
                self.issuers.frozen.insert((id, asset));
                self.issuers.ever_frozen.insert((id, asset));
                let (lo, hi, next) = match follow {
                    FollowUp::Nothing => return Ok(()),
                    FollowUp::Destroy => (20, 90, Enforcement::Destroy { id }),
                    FollowUp::Unfreeze => (5, 45, Enforcement::Unfreeze { asset, id }),
                    FollowUp::Repeat => (1, 5, Enforcement::Repeat { asset, id }),
                };
                let when = t + (self.issuer_rng.range(lo, hi) * DAY_MS) as i64;
                if when < self.cal.end_ms() {
                    self.schedule(when, Scheduled::Enforce(next));
                }
            }
            Enforcement::Repeat { asset, id } if self.issuers.is_frozen(id, asset) => {
                self.issuer_log(t, asset, "freeze", id, 0)?;
            }
            Enforcement::Unfreeze { asset, id } if self.issuers.is_frozen(id, asset) => {
                self.issuer_log(t, asset, "unfreeze", id, 0)?;
                self.issuers.frozen.remove(&(id, asset));
            }
            Enforcement::Destroy { id } if self.issuers.is_frozen(id, Asset::Usdt) => {
                let amount = self.balance(id, Asset::Usdt);
                if amount > 0 {
                    self.issuer_log(t, Asset::Usdt, "destroy", id, amount)?;
                    if let Some(b) = self.balances.get_mut(id as usize) {
                        b[0] = 0;
                    }
                }
            }
            Enforcement::Lookalike => {
                let uid = self.world.pick_user(&mut self.issuer_rng);
                let Some(&id) = self
                    .world
                    .user(uid)
                    .and_then(|u| u.eth().first().copied())
                    .as_ref()
                else {
                    return Ok(());
                };
                let tx = self.sink.begin(t)?;
                let contract = self.sink.spam_token.clone();
                let word = address_word(&self.world.book.eth_text(id));
                let (topics, data) = match self.sink.net.chain() {
                    Chain::Tron => (
                        vec![ADDED_BLACK_LIST.to_string(), format!("0x{word}")],
                        "0x".to_string(),
                    ),
                    _ => (vec![ADDED_BLACK_LIST.to_string()], format!("0x{word}")),
                };
                self.sink.emit_log(&tx, &contract, topics, data)?;
            }
            Enforcement::Repeat { .. }
            | Enforcement::Unfreeze { .. }
            | Enforcement::Destroy { .. } => {}
        }
        Ok(())
    }

    /// An address to freeze, never one already frozen and always one that holds the
    /// token (issuers freeze funds, not empty wallets): the richest in `asset` of a few
    /// users' wallets, or a deposit address funds have just reached (one not swept yet:
    /// exchanges sweep within hours, so every user's is looked at).
    fn freeze_target(&mut self, asset: Asset, deposit: bool) -> Option<u32> {
        if deposit {
            let users = self.world.users.len() as u32;
            let holding: Vec<u32> = (0..users)
                .filter_map(|u| self.world.user(u))
                .flat_map(|u| {
                    u.accounts()
                        .iter()
                        .map(|a| a.eth_deposit)
                        .collect::<Vec<_>>()
                })
                .filter(|&id| self.balance(id, asset) > 0 && !self.issuers.is_frozen(id, asset))
                .collect();
            return self.issuer_rng.pick(&holding).copied();
        }
        let mut best: Option<(u32, u128)> = None;
        for _ in 0..30 {
            let uid = self.world.pick_user(&mut self.issuer_rng);
            let user = self.world.user(uid)?;
            for &id in user.eth() {
                let b = self.balance(id, asset);
                if b > 0 && !self.issuers.is_frozen(id, asset) && best.is_none_or(|(_, x)| b > x) {
                    best = Some((id, b));
                }
            }
        }
        best.map(|(id, _)| id)
    }

    /// Writes one issuer event of `asset` about `id` as a log, and its ground truth.
    fn issuer_log(
        &mut self,
        t: i64,
        asset: Asset,
        event: &str,
        id: u32,
        amount: u128,
    ) -> Result<(), GenError> {
        let tx = self.sink.begin(t)?;
        let net = self.sink.net;
        let address = net.canonical().address(&self.world.book, id);
        // ABI words hold the 20 bytes on either chain.
        let word = address_word(&self.world.book.eth_text(id));
        let contract = net.contract(asset).unwrap_or_default();
        let indexed = |topic0: &str| {
            (
                vec![topic0.to_string(), format!("0x{word}")],
                "0x".to_string(),
            )
        };
        let (topics, data) = match (net.chain(), asset, event) {
            (_, Asset::Usdc, "freeze") => indexed(BLACKLISTED),
            (_, Asset::Usdc, _) => indexed(UN_BLACKLISTED),
            // Tether on Ethereum: the address in the data.
            (Chain::Ethereum | Chain::Bitcoin, _, "freeze") => {
                (vec![ADDED_BLACK_LIST.to_string()], format!("0x{word}"))
            }
            (Chain::Ethereum | Chain::Bitcoin, _, "unfreeze") => {
                (vec![REMOVED_BLACK_LIST.to_string()], format!("0x{word}"))
            }
            (Chain::Ethereum | Chain::Bitcoin, _, _) => (
                vec![DESTROYED_BLACK_FUNDS.to_string()],
                format!("0x{word}{}", amount_word(amount)),
            ),
            // Tether on TRON: the address indexed, the amount in the data.
            (Chain::Tron, _, "freeze") => indexed(ADDED_BLACK_LIST),
            (Chain::Tron, _, "unfreeze") => indexed(REMOVED_BLACK_LIST),
            (Chain::Tron, _, _) => (
                vec![DESTROYED_BLACK_FUNDS.to_string(), format!("0x{word}")],
                format!("0x{}", amount_word(amount)),
            ),
        };
        let log_index = self.sink.next_log;
        self.sink.emit_log(&tx, &contract, topics, data)?;
        // The ground truth names the contract the canonical way (base58 on TRON).
        let contract = net.canonical().contract(asset).unwrap_or_default();
        let owner = self.world.book.eth_owner(id);
        let (owner_name, deposit_of) = match owner {
            Owner::Entity(e) => {
                let name = self.world.entity_name(e).to_string();
                (name.clone(), name)
            }
            Owner::User(_) => (self.world.book.owner_name(owner), String::new()),
        };
        let before = self.balance(id, asset);
        self.issuers.truth.row(&[
            net.chain().name(),
            &contract,
            asset.symbol(),
            &address,
            &owner_name,
            &deposit_of,
            event,
            &tx.block.to_string(),
            &log_index.to_string(),
            &tx.hash,
            &if event == "destroy" {
                amount.to_string()
            } else {
                String::new()
            },
            &before.to_string(),
        ])
    }

    /// Ground-truth rows for the addresses still frozen when the data set ends, with
    /// what they hold then; closes the file.
    pub(super) fn finish_enforcement(&mut self) -> Result<(), GenError> {
        let frozen: Vec<(u32, Asset)> = self.issuers.frozen.iter().copied().collect();
        let net = self.sink.net.canonical();
        for (id, asset) in frozen {
            let address = net.address(&self.world.book, id);
            let balance = self.balance(id, asset).to_string();
            let owner = self.world.book.owner_name(self.world.book.eth_owner(id));
            self.issuers.truth.row(&[
                net.chain().name(),
                &net.contract(asset).unwrap_or_default(),
                asset.symbol(),
                &address,
                &owner,
                "",
                "held_at_end",
                "",
                "",
                "",
                "",
                &balance,
            ])?;
        }
        Ok(())
    }
}
