//! Ground truth: the turnover and depositors that a perfect attribution would find,
//! accumulated while the rows are generated (so it needs no second pass over 100M rows)
//! and written as CSV at the end.
//!
//! Turnover counts value crossing an entity's boundary only. A row (or Bitcoin
//! transaction) whose both ends belong to the same entity is internal: sweeps, hot/cold
//! moves and change are not turnover. Exchange → exchange is the sender's outflow and the
//! receiver's inflow. Coinbase outputs (new coins) are neither.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use crate::calendar::Calendar;
use crate::csv_out::CsvFile;
use crate::error::GenError;
use crate::model::{EntityId, Owner};
use crate::prices::Prices;
use crate::tokens::Asset;
use crate::world::World;

#[derive(Debug, Default, Clone, Copy)]
struct Flow {
    in_raw: u128,
    out_raw: u128,
    transfers_in: u64,
    transfers_out: u64,
}

/// Accumulated ground truth.
pub struct Truth {
    tracked: Vec<bool>,
    years: Vec<i32>,
    flows: BTreeMap<(EntityId, u32, Asset), Flow>,
    depositors: BTreeMap<(EntityId, i32, Asset), BTreeSet<Owner>>,
}

impl Truth {
    /// Empty truth for the entities of `world` over the days of `cal`.
    pub fn new(world: &World, cal: &Calendar) -> Self {
        Self {
            tracked: world
                .entities
                .iter()
                .map(|e| e.category.has_turnover())
                .collect(),
            years: (0..cal.days()).map(|d| cal.year(d)).collect(),
            flows: BTreeMap::new(),
            depositors: BTreeMap::new(),
        }
    }

    fn tracked(&self, owner: Owner) -> Option<EntityId> {
        match owner {
            Owner::Entity(e) if self.tracked.get(usize::from(e)).copied().unwrap_or(false) => {
                Some(e)
            }
            _ => None,
        }
    }

    fn inflow(
        &mut self,
        e: EntityId,
        day: usize,
        asset: Asset,
        raw: u128,
        payers: impl IntoIterator<Item = Owner>,
    ) {
        let year = self.years.get(day).copied().unwrap_or_default();
        let f = self.flows.entry((e, day as u32, asset)).or_default();
        f.in_raw = f.in_raw.saturating_add(raw);
        f.transfers_in += 1;
        self.depositors
            .entry((e, year, asset))
            .or_default()
            .extend(payers);
    }

    fn outflow(&mut self, e: EntityId, day: usize, asset: Asset, raw: u128) {
        let f = self.flows.entry((e, day as u32, asset)).or_default();
        f.out_raw = f.out_raw.saturating_add(raw);
        f.transfers_out += 1;
    }

    /// One valid Ethereum transfer row; `payer` is the depositor an inflow is credited
    /// to (the sender, except when an exchange pays a user's deposit address at another
    /// exchange: then the user is the depositor there).
    pub fn eth(
        &mut self,
        day: usize,
        asset: Asset,
        from: Owner,
        to: Owner,
        raw: u128,
        payer: Owner,
    ) {
        if raw == 0 || from == to {
            return;
        }
        if let Some(e) = self.tracked(to) {
            self.inflow(e, day, asset, raw, [payer]);
        }
        if let Some(e) = self.tracked(from) {
            self.outflow(e, day, asset, raw);
        }
    }

    /// One Bitcoin transaction: owners of its inputs, and per output (owner, satoshi,
    /// payer) where payer is who the depositor is for an inflow (the customer of a
    /// deposit address; in a CoinJoin, the participant the output is for).
    ///
    /// For entity E: if E owns every input, E's outflow is what goes to others; otherwise
    /// E's inflow is what comes to E. Fees are neither.
    pub fn btc(&mut self, day: usize, inputs: &[Owner], outputs: &[(Owner, u64, Owner)]) {
        if inputs.is_empty() {
            return;
        }
        let mut entities: Vec<EntityId> = inputs
            .iter()
            .copied()
            .chain(outputs.iter().map(|o| o.0))
            .filter_map(|o| self.tracked(o))
            .collect();
        entities.sort_unstable();
        entities.dedup();
        for e in entities {
            let me = Owner::Entity(e);
            if inputs.iter().all(|o| *o == me) {
                let out: u64 = outputs.iter().filter(|o| o.0 != me).map(|o| o.1).sum();
                if out > 0 {
                    self.outflow(e, day, Asset::Btc, u128::from(out));
                }
            } else {
                let mine: Vec<&(Owner, u64, Owner)> =
                    outputs.iter().filter(|o| o.0 == me).collect();
                let inn: u64 = mine.iter().map(|o| o.1).sum();
                if inn > 0 {
                    let payers: Vec<Owner> = mine.iter().map(|o| o.2).collect();
                    self.inflow(e, day, Asset::Btc, u128::from(inn), payers);
                }
            }
        }
    }

    /// Writes `ground_truth/turnover_daily.csv`, `depositors_yearly.csv` and
    /// `entities.csv`; returns their relative paths.
    pub fn write(
        &self,
        out: &Path,
        world: &World,
        prices: &Prices,
        cal: &Calendar,
    ) -> Result<Vec<String>, GenError> {
        let mut files = Vec::new();

        let mut csv = CsvFile::create(
            out,
            "ground_truth/turnover_daily.csv",
            &[
                "entity",
                "day",
                "chain",
                "asset",
                "inflow_raw",
                "outflow_raw",
                "inflow_usd",
                "outflow_usd",
                "transfers_in",
                "transfers_out",
            ],
        )?;
        for (&(e, day, asset), f) in &self.flows {
            let day = day as usize;
            let price = prices.published(asset, day);
            let usd = |raw: u128| -> String {
                price
                    .map(|p| format!("{:.6}", raw as f64 / asset.scale() * p))
                    .unwrap_or_default()
            };
            csv.row(&[
                world.entity_name(e),
                &cal.date_text(day),
                asset.chain().name(),
                &asset_text(asset, world),
                &f.in_raw.to_string(),
                &f.out_raw.to_string(),
                &usd(f.in_raw),
                &usd(f.out_raw),
                &f.transfers_in.to_string(),
                &f.transfers_out.to_string(),
            ])?;
        }
        files.push(csv.finish()?);

        let mut csv = CsvFile::create(
            out,
            "ground_truth/depositors_yearly.csv",
            &["entity", "year", "chain", "asset", "depositors"],
        )?;
        for (&(e, year, asset), payers) in &self.depositors {
            csv.row(&[
                world.entity_name(e),
                &year.to_string(),
                asset.chain().name(),
                &asset_text(asset, world),
                &payers.len().to_string(),
            ])?;
        }
        files.push(csv.finish()?);

        let mut csv = CsvFile::create(
            out,
            "ground_truth/entities.csv",
            &["entity", "category", "labelled", "licensed", "jurisdiction"],
        )?;
        for e in &world.entities {
            let (licensed, jurisdiction) = match &e.registration {
                Some(r) => (r.licensed.to_string(), r.jurisdiction),
                None => (String::new(), ""),
            };
            csv.row(&[
                &e.name,
                e.category.name(),
                &e.labelled.to_string(),
                &licensed,
                jurisdiction,
            ])?;
        }
        files.push(csv.finish()?);

        Ok(files)
    }
}

/// The ground truth's asset column: the symbol of a listed token, the contract of an
/// unlisted one, `BTC` for bitcoin.
fn asset_text(asset: Asset, world: &World) -> String {
    match asset {
        Asset::Spam => world.spam_token.clone(),
        other => other.symbol().to_string(),
    }
}
