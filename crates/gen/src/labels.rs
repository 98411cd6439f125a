//! What an analyst would know going in: seed labels for the wallets exchanges disclose
//! (hot and cold wallets of the labelled exchanges, payhub's hub) and a licence register.
//! Deliberately incomplete, like the real thing: unlabelled exchanges, every deposit
//! address, about half the labelled exchanges' cold wallets and every treasury wallet
//! are absent, and one labelled exchange is missing from the register.

use std::path::Path;

use crate::csv_out::CsvFile;
use crate::error::GenError;
use crate::model::{Category, Chain};
use crate::names::display_name;
use crate::net::Net;
use crate::world::World;

/// The `source` of generated labels.
const SOURCE: &str = "chainstat-gen";
/// Their `confidence`.
const CONFIDENCE: &str = "high";

/// `labels.csv`: `address,entity,category,source,confidence,chain`.
pub fn write_labels(out: &Path, world: &World, tron: bool) -> Result<String, GenError> {
    let mut csv = CsvFile::create(
        out,
        "labels.csv",
        &[
            "address",
            "entity",
            "category",
            "source",
            "confidence",
            "chain",
        ],
    )?;
    let exchange = Category::Exchange.name();
    for (entity, ex) in world.entities.iter().zip(&world.exchanges) {
        if !entity.labelled {
            continue;
        }
        let eth = Chain::Ethereum.name();
        let btc = Chain::Bitcoin.name();
        let trx = Chain::Tron.name();
        for &hot in &ex.eth_hot {
            let a = world.book.eth_text(hot);
            csv.row(&[&a, &entity.name, exchange, SOURCE, CONFIDENCE, eth])?;
            if tron {
                let a = Net::Tron.address(&world.book, hot);
                csv.row(&[&a, &entity.name, exchange, SOURCE, CONFIDENCE, trx])?;
            }
        }
        let a = world.book.btc_text(ex.btc_hot);
        csv.row(&[&a, &entity.name, exchange, SOURCE, CONFIDENCE, btc])?;
        if ex.cold_labelled {
            let a = world.book.eth_text(ex.eth_cold);
            csv.row(&[&a, &entity.name, exchange, SOURCE, CONFIDENCE, eth])?;
            if tron {
                let a = Net::Tron.address(&world.book, ex.eth_cold);
                csv.row(&[&a, &entity.name, exchange, SOURCE, CONFIDENCE, trx])?;
            }
            let a = world.book.btc_text(ex.btc_cold);
            csv.row(&[&a, &entity.name, exchange, SOURCE, CONFIDENCE, btc])?;
        }
    }
    let hub = world.book.eth_text(world.hub);
    csv.row(&[
        &hub,
        world.entity_name(world.payhub),
        Category::PaymentProcessor.name(),
        SOURCE,
        CONFIDENCE,
        Chain::Ethereum.name(),
    ])?;
    if tron {
        csv.row(&[
            &Net::Tron.address(&world.book, world.hub),
            world.entity_name(world.payhub),
            Category::PaymentProcessor.name(),
            SOURCE,
            CONFIDENCE,
            Chain::Tron.name(),
        ])?;
    }
    csv.finish()
}

/// `registry.csv`: `entity,name,licensed,jurisdiction,licence_id`.
pub fn write_registry(out: &Path, world: &World) -> Result<String, GenError> {
    let mut csv = CsvFile::create(
        out,
        "registry.csv",
        &["entity", "name", "licensed", "jurisdiction", "licence_id"],
    )?;
    for e in &world.entities {
        let Some(r) = &e.registration else {
            continue;
        };
        csv.row(&[
            &e.name,
            &display_name(&e.name),
            &r.licensed.to_string(),
            r.jurisdiction,
            &r.licence_id,
        ])?;
    }
    csv.finish()
}
