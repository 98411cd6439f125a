//! The account chains the token economy runs on: Ethereum (BigQuery `token_transfers` and
//! `logs` as Parquet) and TRON (tronetl's CSV layouts: `token_transfers`, `blocks`, `logs`,
//! base58 `T…` addresses, hashes without `0x`, 3-second blocks). The same actors trade
//! on both; each net writes its own addresses, contracts, blocks and files.

use chainstat_chain::{hex, tron};

use crate::book::AddressBook;
use crate::calendar::{BlockClock, ETH_CLOCK};
use crate::ids;
use crate::model::Chain;
use crate::tokens::Asset;

/// TRON's clock: a block every 3 s from block 68,000,000 (early 2025 on mainnet).
pub const TRON_CLOCK: BlockClock = BlockClock {
    first: 68_000_000,
    seconds: 3,
};

/// An account chain of the token economy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Net {
    /// Ethereum.
    Ethereum,
    /// TRON in tronetl's CSV layouts (base58 addresses, no timestamps, a blocks table).
    Tron,
    /// TRON as Google's BigQuery dataset has it: BigQuery's layouts, addresses as `0x` hex
    /// (the 20 bytes without TRON's `41`), a timestamp on every row. Nothing in the data says
    /// TRON: the config must.
    TronHex,
}

impl Net {
    /// The chain.
    pub fn chain(self) -> Chain {
        match self {
            Net::Ethereum => Chain::Ethereum,
            Net::Tron | Net::TronHex => Chain::Tron,
        }
    }

    /// The block clock.
    pub fn clock(self) -> BlockClock {
        match self {
            Net::Ethereum => ETH_CLOCK,
            Net::Tron | Net::TronHex => TRON_CLOCK,
        }
    }

    /// This net's token for an Ethereum one (the simulation thinks in Ethereum's).
    pub fn asset(self, a: Asset) -> Asset {
        match (self.chain(), a) {
            (Chain::Tron, Asset::Usdt) => Asset::TronUsdt,
            (Chain::Tron, Asset::Usdc) => Asset::TronUsdc,
            (Chain::Tron, Asset::Weth) => Asset::TronEth,
            (_, a) => a,
        }
    }

    /// The net whose text forms the ground truth and the reference files use: TRON's
    /// canonical base58 for both TRON layouts.
    pub fn canonical(self) -> Net {
        match self {
            Net::TronHex => Net::Tron,
            n => n,
        }
    }

    /// A token's contract as this net's files write it (`None` for the spam token).
    pub fn contract(self, a: Asset) -> Option<String> {
        let c = self.asset(a).contract()?;
        Some(match self {
            Net::TronHex => tron::from_base58(c)
                .map(|b| ids::evm_text(&b[1..].try_into().unwrap_or([0u8; 20])))
                .unwrap_or_else(|_| c.to_string()),
            _ => c.to_string(),
        })
    }

    /// 20 address bytes in this net's text form.
    pub fn text(self, bytes: &[u8; 20]) -> String {
        match self {
            Net::Ethereum | Net::TronHex => ids::evm_text(bytes),
            Net::Tron => {
                let mut b = [0x41u8; 21];
                b[1..].copy_from_slice(bytes);
                tron::to_base58(&b)
            }
        }
    }

    /// A persistent address of the book in this net's form.
    pub fn address(self, book: &AddressBook, id: u32) -> String {
        match self {
            Net::Ethereum | Net::TronHex => book.eth_text(id),
            Net::Tron => self.text(&book.eth_bytes(id)),
        }
    }

    /// An EVM `0x…` text (the spam token, invoice addresses) in this net's form.
    pub fn evm_text_here(self, evm: &str) -> String {
        match self {
            Net::Ethereum | Net::TronHex => evm.to_string(),
            Net::Tron => {
                let mut b = [0u8; 20];
                if hex::decode_into(hex::strip_0x(evm).as_bytes(), &mut b) {
                    self.text(&b)
                } else {
                    evm.to_string()
                }
            }
        }
    }

    /// Transaction hash number `n`: TRON writes it without `0x`.
    pub fn tx_hash(self, salt: u64, n: u64) -> String {
        let h = ids::eth_tx_hash(salt, n);
        match self {
            Net::Ethereum | Net::TronHex => h,
            Net::Tron => h.trim_start_matches("0x").to_string(),
        }
    }

    /// Block hash of `block`.
    pub fn block_hash(self, block: i64) -> String {
        let h = ids::eth_block_hash(block);
        match self {
            Net::Ethereum | Net::TronHex => h,
            Net::Tron => h.trim_start_matches("0x").to_string(),
        }
    }

    /// Folder of the transfer files.
    pub fn transfers_dir(self) -> &'static str {
        match self {
            Net::Ethereum => "ethereum/token_transfers",
            Net::Tron | Net::TronHex => "tron/token_transfers",
        }
    }

    /// Folder of the log files.
    pub fn logs_dir(self) -> &'static str {
        match self {
            Net::Ethereum => "ethereum/logs",
            Net::Tron | Net::TronHex => "tron/logs",
        }
    }

    /// The issuers' ground truth.
    pub fn freezes_file(self) -> &'static str {
        match self {
            Net::Ethereum => "ground_truth/freezes.csv",
            Net::Tron | Net::TronHex => "ground_truth/freezes_tron.csv",
        }
    }
}
