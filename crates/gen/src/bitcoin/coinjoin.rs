//! The four CoinJoin shapes, as their public documentation describes them: Wasabi 1
//! (ZeroLink), WabiSabi (Wasabi 2), Whirlpool (with its Tx0 entry transactions and
//! free remixes) and JoinMarket. Every participant owns all of their inputs and
//! outputs; the coordinators own only their fee outputs.

use std::collections::BTreeSet;

use super::{BtcSim, Pay, Picks, Utxo, MIN_CHANGE};
use crate::error::GenError;
use crate::model::{Owner, Role, UserId};

/// Whirlpool's pool denominations in satoshi (0.001, 0.01, 0.05 and 0.5 BTC).
pub(super) const WHIRLPOOL_POOLS: [u64; 4] = [100_000, 1_000_000, 5_000_000, 50_000_000];
/// How often each pool is chosen: the small pools ran most rounds.
const WHIRLPOOL_POOL_WEIGHTS: [f64; 4] = [3.0, 4.0, 2.0, 1.0];

/// WabiSabi's smallest standard denomination.
const WABISABI_MIN: u64 = 5_000;

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
pub(super) struct Coin {
    uid: UserId,
    addr: u32,
    utxo: Utxo,
}

impl BtcSim<'_> {
    /// One CoinJoin round of a shape chosen by [`SHAPE_WEIGHTS`]. A round that cannot
    /// gather enough funded participants writes nothing.
    pub(super) fn coinjoin(&mut self, t: i64) -> Result<(), GenError> {
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
}

/// WabiSabi's standard denominations in satoshi, largest first: powers of 2 and 3,
/// 2 × 3^k, 10^k, 2 × 10^k and 5 × 10^k, from 5 000 up to 1 374 BTC.
pub(super) fn wabisabi_denominations() -> Vec<u64> {
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
