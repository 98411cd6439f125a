//! The address book: creates every address, remembers who owns the persistent ones and
//! streams each new address to `ground_truth/addresses.csv` the moment it exists.
//!
//! Persistent addresses are numbered per chain and their text is derived from the
//! number ([`crate::ids::fill`]), so the book stores only an owner per address. Single-use
//! addresses (invoices, look-alikes) are recorded in the ground truth but not kept.

use std::path::Path;

use crate::csv_out::CsvFile;
use crate::error::GenError;
use crate::ids::{self, domain};
use crate::model::{Chain, EntityId, Owner, Role, UserId};

/// Every generated address.
pub struct AddressBook {
    eth_salt: u64,
    btc_salt: u64,
    eth_owner: Vec<Owner>,
    btc_owner: Vec<Owner>,
    names: Vec<String>,
    csv: CsvFile,
}

impl AddressBook {
    /// An empty book for `seed`; `names` are the entity names by id.
    pub fn new(out: &Path, seed: u64, names: Vec<String>) -> Result<Self, GenError> {
        let csv = CsvFile::create(
            out,
            "ground_truth/addresses.csv",
            &["chain", "address", "entity", "role", "user_id"],
        )?;
        Ok(Self {
            eth_salt: ids::salt(seed, domain::ETH_ADDRESS),
            btc_salt: ids::salt(seed, domain::BTC_ADDRESS),
            eth_owner: Vec::new(),
            btc_owner: Vec::new(),
            names,
            csv,
        })
    }

    /// A new persistent Ethereum address. `user` is the user it belongs to, or whose
    /// deposit address it is.
    pub fn add_eth(
        &mut self,
        owner: Owner,
        role: Role,
        user: Option<UserId>,
    ) -> Result<u32, GenError> {
        let id = u32::try_from(self.eth_owner.len())
            .map_err(|_| GenError::Invalid("more than 2^32 Ethereum addresses".into()))?;
        self.eth_owner.push(owner);
        let text = self.eth_text(id);
        self.write(Chain::Ethereum, &text, owner, role, user)?;
        Ok(id)
    }

    /// A new Bitcoin address.
    pub fn add_btc(
        &mut self,
        owner: Owner,
        role: Role,
        user: Option<UserId>,
    ) -> Result<u32, GenError> {
        let id = u32::try_from(self.btc_owner.len())
            .map_err(|_| GenError::Invalid("more than 2^32 Bitcoin addresses".into()))?;
        self.btc_owner.push(owner);
        let text = self.btc_text(id);
        self.write(Chain::Bitcoin, &text, owner, role, user)?;
        Ok(id)
    }

    /// Records a single-use (or fixed) Ethereum address in the ground truth only.
    pub fn record_eth(&mut self, text: &str, owner: Owner, role: Role) -> Result<(), GenError> {
        self.write(Chain::Ethereum, text, owner, role, None)
    }

    /// The 20 bytes of persistent Ethereum address `id`.
    pub fn eth_bytes(&self, id: u32) -> [u8; 20] {
        let mut b = [0u8; 20];
        ids::fill(self.eth_salt, u64::from(id), &mut b);
        b
    }

    /// Text of persistent Ethereum address `id`.
    pub fn eth_text(&self, id: u32) -> String {
        ids::evm_text(&self.eth_bytes(id))
    }

    /// Text of Bitcoin address `id`.
    pub fn btc_text(&self, id: u32) -> String {
        let mut b = [0u8; 20];
        ids::fill(self.btc_salt, u64::from(id), &mut b);
        ids::p2pkh_text(&b)
    }

    /// Owner of persistent Ethereum address `id`.
    pub fn eth_owner(&self, id: u32) -> Owner {
        self.eth_owner
            .get(id as usize)
            .copied()
            .unwrap_or(Owner::Entity(EntityId::MAX))
    }

    /// Owner of Bitcoin address `id`.
    pub fn btc_owner(&self, id: u32) -> Owner {
        self.btc_owner
            .get(id as usize)
            .copied()
            .unwrap_or(Owner::Entity(EntityId::MAX))
    }

    /// Name of entity `e`.
    pub fn entity_name(&self, e: EntityId) -> &str {
        self.names.get(usize::from(e)).map_or("", String::as_str)
    }

    /// The name the ground truth uses for `owner`: the entity, or `user-<id>` so every
    /// address has a non-empty true owner to score clusters against.
    pub fn owner_name(&self, owner: Owner) -> String {
        match owner {
            Owner::Entity(e) => self.entity_name(e).to_string(),
            Owner::User(u) => format!("user-{u}"),
        }
    }

    fn write(
        &mut self,
        chain: Chain,
        text: &str,
        owner: Owner,
        role: Role,
        user: Option<UserId>,
    ) -> Result<(), GenError> {
        let entity = self.owner_name(owner);
        let user = user.map(|u| u.to_string()).unwrap_or_default();
        self.csv
            .row(&[chain.name(), text, &entity, role.name(), &user])
    }

    /// Closes `addresses.csv`; returns its relative path.
    pub fn finish(self) -> Result<String, GenError> {
        self.csv.finish()
    }
}
