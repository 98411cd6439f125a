//! The ground truth written by `chainstat gen` (`ground_truth/*.csv`), read into memory
//! with addresses normalised the way the job stores them (`addr_norm`).

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use chainstat_chain::{normalize_text, ChainFamily};

use crate::error::{AccuracyError, Result};

/// One address of the ground truth.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrueAddress {
    /// True owner: an entity name, or `user-<id>` for a user.
    pub owner: String,
    /// Role (`hot`, `deposit`, `user`, …).
    pub role: String,
}

/// An entity of `entities.csv`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrueEntity {
    /// `exchange`, `payment_processor`, `miner`, …
    pub category: String,
    /// Whether the generated label file names it.
    pub labelled: bool,
}

/// The ground truth of one generated economy.
#[derive(Debug, Default)]
pub struct Truth {
    /// (chain, normalised address) → owner and role.
    pub addresses: HashMap<(String, String), TrueAddress>,
    /// Entity name → category and label status.
    pub entities: BTreeMap<String, TrueEntity>,
    /// (entity, year) → (inflow USD, outflow USD), from `turnover_daily.csv`.
    pub turnover: BTreeMap<(String, i32), (f64, f64)>,
    /// (entity, chain, year) → (inflow USD, outflow USD).
    pub turnover_by_chain: BTreeMap<(String, String, i32), (f64, f64)>,
    /// (chain, normalised hub) → (nested exchanger, its host), from `nested.csv` (absent
    /// in data sets generated before nested exchangers).
    pub nested: BTreeMap<(String, String), (String, String)>,
    /// Truth rows whose address does not normalise (chain, address): kept visible, not dropped.
    pub invalid: Vec<(String, String)>,
    /// Addresses listed twice with different owners after normalisation.
    pub conflicting: u64,
}

impl Truth {
    /// Reads `<dir>/ground_truth/` (or `dir` itself when it holds the CSV files).
    pub fn load(dir: &Path) -> Result<Self> {
        let gt = if dir.join("ground_truth").is_dir() {
            dir.join("ground_truth")
        } else {
            dir.to_path_buf()
        };
        let mut t = Truth::default();

        let (cols, rows) = read_csv(&gt.join("entities.csv"))?;
        let (ie, ic, il) = (
            col(&cols, "entity")?,
            col(&cols, "category")?,
            col(&cols, "labelled")?,
        );
        for r in &rows {
            t.entities.insert(
                field(r, ie).to_string(),
                TrueEntity {
                    category: field(r, ic).to_string(),
                    labelled: field(r, il) == "true",
                },
            );
        }

        let (cols, rows) = read_csv(&gt.join("addresses.csv"))?;
        let (ic, ia, ie, ir) = (
            col(&cols, "chain")?,
            col(&cols, "address")?,
            col(&cols, "entity")?,
            col(&cols, "role")?,
        );
        for r in rows {
            let chain = field(&r, ic).to_string();
            let raw = field(&r, ia);
            let Some(address) = normalise(&chain, raw) else {
                t.invalid.push((chain, raw.to_string()));
                continue;
            };
            let entry = TrueAddress {
                owner: field(&r, ie).to_string(),
                role: field(&r, ir).to_string(),
            };
            match t.addresses.get(&(chain.clone(), address.clone())) {
                Some(prev) if prev.owner != entry.owner => t.conflicting += 1,
                Some(_) => {}
                None => {
                    t.addresses.insert((chain, address), entry);
                }
            }
        }

        let (cols, rows) = read_csv(&gt.join("turnover_daily.csv"))?;
        let (ie, id, ii, io, ich) = (
            col(&cols, "entity")?,
            col(&cols, "day")?,
            col(&cols, "inflow_usd")?,
            col(&cols, "outflow_usd")?,
            col(&cols, "chain")?,
        );
        for r in &rows {
            let day = field(r, id);
            let year: i32 = day
                .get(..4)
                .and_then(|y| y.parse().ok())
                .ok_or_else(|| AccuracyError::Truth(format!("turnover_daily.csv: day '{day}'")))?;
            // Empty USD = no price that day: the job cannot price it either.
            let usd = |i: usize| field(r, i).parse::<f64>().unwrap_or(0.0);
            let e = t
                .turnover
                .entry((field(r, ie).to_string(), year))
                .or_default();
            e.0 += usd(ii);
            e.1 += usd(io);
            let c = t
                .turnover_by_chain
                .entry((field(r, ie).to_string(), field(r, ich).to_string(), year))
                .or_default();
            c.0 += usd(ii);
            c.1 += usd(io);
        }
        if gt.join("nested.csv").is_file() {
            let (cols, rows) = read_csv(&gt.join("nested.csv"))?;
            let (ie, ih, ic, ia) = (
                col(&cols, "entity")?,
                col(&cols, "host")?,
                col(&cols, "chain")?,
                col(&cols, "hub")?,
            );
            for r in &rows {
                let chain = field(r, ic).to_string();
                if let Some(hub) = normalise(&chain, field(r, ia)) {
                    t.nested.insert(
                        (chain, hub),
                        (field(r, ie).to_string(), field(r, ih).to_string()),
                    );
                }
            }
        }
        Ok(t)
    }

    /// Category of a true owner; `user` for users (not in `entities.csv`).
    pub fn category_of(&self, owner: &str) -> &str {
        self.entities
            .get(owner)
            .map_or("user", |e| e.category.as_str())
    }

    /// Whether the owner is an exchange.
    pub fn is_exchange(&self, owner: &str) -> bool {
        self.category_of(owner) == "exchange"
    }

    /// Whether the owner is a user (no entity of that name).
    pub fn is_user(&self, owner: &str) -> bool {
        !self.entities.contains_key(owner)
    }
}

/// The job's canonical text for `address` on `chain` (lower-case hex for EVM, Bitcoin
/// base58 as is, bech32 lower-case); None when the chain or the address is invalid.
pub fn normalise(chain: &str, address: &str) -> Option<String> {
    let family: ChainFamily = chain.parse().ok()?;
    normalize_text(family, address).ok()
}

type Rows = Vec<csv::StringRecord>;

fn read_csv(path: &Path) -> Result<(csv::StringRecord, Rows)> {
    let mut rdr = csv::Reader::from_path(path)
        .map_err(|e| AccuracyError::Truth(format!("{}: {e}", path.display())))?;
    let header = rdr
        .headers()
        .map_err(|e| AccuracyError::Truth(format!("{}: {e}", path.display())))?
        .clone();
    let rows = rdr
        .records()
        .collect::<std::result::Result<Rows, _>>()
        .map_err(|e| AccuracyError::Truth(format!("{}: {e}", path.display())))?;
    Ok((header, rows))
}

fn col(header: &csv::StringRecord, name: &str) -> Result<usize> {
    header
        .iter()
        .position(|h| h == name)
        .ok_or_else(|| AccuracyError::Truth(format!("no column '{name}' in the ground truth")))
}

fn field(r: &csv::StringRecord, i: usize) -> &str {
    r.get(i).unwrap_or("")
}
