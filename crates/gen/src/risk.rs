//! The risk lists an analyst would load next to the labels: a sanctions designation and
//! the stablecoin issuers' blacklists. Like OFAC's designation of Garantex, the
//! sanctioned party is a working exchange whose known wallets are listed, and whose
//! customers and counterparties keep dealing with it; the blacklists are the addresses
//! the issuers froze during the year (a user's wallet, an exchange deposit address), as
//! Tether's and Circle's public blacklists show them. Written in the formats the
//! analysts get them in: OFAC's per-asset address lists and a risk CSV.

use std::path::Path;

use crate::csv_out::{write_text, CsvFile};
use crate::error::GenError;
use crate::model::{Category, EntityId};
use crate::net::Net;
use crate::world::World;

/// An address on an issuer's blacklist.
#[derive(Debug, Clone)]
pub struct Listed {
    /// Chain name.
    pub chain: &'static str,
    /// The address as the chain's exports write it.
    pub address: String,
    /// The token it was frozen in.
    pub symbol: &'static str,
    /// Its true owner (ground truth).
    pub owner: String,
}

/// The exchange the sanctions designate: the largest labelled exchange without a
/// licence (sanctioned exchanges are known ones that served a region nobody licensed
/// them in). None when every labelled exchange is licensed.
pub fn sanctioned_exchange(world: &World) -> Option<EntityId> {
    world
        .entities
        .iter()
        .enumerate()
        .filter(|(_, e)| {
            e.category == Category::Exchange
                && e.labelled
                && !e.registration.as_ref().is_some_and(|r| r.licensed)
        })
        .max_by(|a, b| a.1.weight.total_cmp(&b.1.weight))
        .map(|(i, _)| i as EntityId)
}

/// Writes `risk/sanctioned_addresses_<ASSET>.txt` (the sanctioned exchange's hot
/// wallets), `risk/blacklist.csv` (the issuers' blacklists) and
/// `ground_truth/risk.csv` (every listed address with its owner); returns the files.
pub fn write(
    out: &Path,
    world: &World,
    blacklisted: &[Listed],
    tron: bool,
) -> Result<Vec<String>, GenError> {
    let mut files = Vec::new();
    let mut truth = CsvFile::create(
        out,
        "ground_truth/risk.csv",
        &["chain", "address", "owner", "category", "list"],
    )?;
    if let Some(x) = sanctioned_exchange(world) {
        let ex = &world.exchanges[usize::from(x)];
        let name = world.entity_name(x).to_string();
        let mut eth = String::new();
        let mut trx = String::new();
        for &hot in &ex.eth_hot {
            let a = world.book.eth_text(hot);
            eth.push_str(&a);
            eth.push('\n');
            truth.row(&["ethereum", &a, &name, "sanction", "OFAC SDN (ETH)"])?;
            if tron {
                let a = Net::Tron.address(&world.book, hot);
                trx.push_str(&a);
                trx.push('\n');
                truth.row(&["tron", &a, &name, "sanction", "OFAC SDN (TRX)"])?;
            }
        }
        let btc = world.book.btc_text(ex.btc_hot);
        truth.row(&["bitcoin", &btc, &name, "sanction", "OFAC SDN (XBT)"])?;
        files.push(write_text(out, "risk/sanctioned_addresses_ETH.txt", &eth)?);
        if tron {
            files.push(write_text(out, "risk/sanctioned_addresses_TRX.txt", &trx)?);
        }
        files.push(write_text(
            out,
            "risk/sanctioned_addresses_XBT.txt",
            &format!("{btc}\n"),
        )?);
    }
    let mut csv = CsvFile::create(
        out,
        "risk/blacklist.csv",
        &["address", "entity", "category", "source", "chain", "kind"],
    )?;
    for l in blacklisted {
        let list = format!("{}_blacklisted", l.symbol.to_ascii_lowercase());
        csv.row(&[
            &l.address,
            &list,
            "black_list",
            "issuer events",
            l.chain,
            "risk",
        ])?;
        truth.row(&[l.chain, &l.address, &l.owner, "black_list", &list])?;
    }
    files.push(csv.finish()?);
    files.push(truth.finish()?);
    Ok(files)
}

/// `ground_truth/nested.csv`: each nested exchanger's hub on each account chain and its
/// host exchange.
pub fn write_nested(out: &Path, world: &World, tron: bool) -> Result<String, GenError> {
    let mut csv = CsvFile::create(
        out,
        "ground_truth/nested.csv",
        &["entity", "host", "chain", "hub"],
    )?;
    for d in &world.desks {
        let (name, host) = (world.entity_name(d.entity), world.entity_name(d.host));
        csv.row(&[name, host, "ethereum", &world.book.eth_text(d.hub)])?;
        if tron {
            csv.row(&[name, host, "tron", &Net::Tron.address(&world.book, d.hub)])?;
        }
    }
    csv.finish()
}
