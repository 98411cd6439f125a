//! The assets of the economy: three real ERC-20 contracts (so token metadata and prices
//! join exactly as they would on real exports), one spam token nobody lists, and bitcoin.

use std::path::Path;

use crate::csv_out::CsvFile;
use crate::error::GenError;
use crate::model::Chain;

/// An asset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Asset {
    /// Tether USD (6 decimals).
    Usdt,
    /// USD Coin (6 decimals).
    Usdc,
    /// Wrapped Ether (18 decimals).
    Weth,
    /// The airdropped spam token (18 decimals, random contract, no price, not listed).
    Spam,
    /// Bitcoin (8 decimals: satoshi).
    Btc,
    /// Tether USD on TRON (TRC-20, 6 decimals).
    TronUsdt,
    /// USD Coin on TRON (6 decimals).
    TronUsdc,
    /// Ether bridged to TRON (BitTorrent Chain's TRC-20 ETH, 18 decimals), priced as WETH.
    TronEth,
}

/// The priced ERC-20 tokens, in balance-slot order.
pub const ERC20: [Asset; 3] = [Asset::Usdt, Asset::Usdc, Asset::Weth];

/// How often each priced token is chosen for ordinary activity. With airdrops adding
/// about 5% spam rows, rows come out near USDT 60% / USDC 20% / WETH 15% / spam 5%.
pub const ERC20_MIX: [f64; 3] = [63.0, 21.0, 16.0];

impl Asset {
    /// Index into a per-address balance array; only the priced ERC-20s have one (spam is
    /// never spent by its recipients, bitcoin lives in UTXOs).
    pub fn slot(self) -> Option<usize> {
        match self {
            Asset::Usdt | Asset::TronUsdt => Some(0),
            Asset::Usdc | Asset::TronUsdc => Some(1),
            Asset::Weth | Asset::TronEth => Some(2),
            Asset::Spam | Asset::Btc => None,
        }
    }

    /// Decimals of the raw integer amounts.
    pub fn decimals(self) -> u32 {
        match self {
            Asset::Usdt | Asset::Usdc | Asset::TronUsdt | Asset::TronUsdc => 6,
            Asset::Btc => 8,
            Asset::Weth | Asset::Spam | Asset::TronEth => 18,
        }
    }

    /// 10^decimals, exact in f64 for all of these.
    pub fn scale(self) -> f64 {
        match self.decimals() {
            6 => 1e6,
            8 => 1e8,
            _ => 1e18,
        }
    }

    /// The real contract address of a listed token.
    pub fn contract(self) -> Option<&'static str> {
        match self {
            Asset::Usdt => Some("0xdac17f958d2ee523a2206206994597c13d831ec7"),
            Asset::Usdc => Some("0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48"),
            Asset::Weth => Some("0xc02aaa39b223fe8d0a0e5c4f27ead9083c756cc2"),
            Asset::TronUsdt => Some("TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"),
            Asset::TronUsdc => Some("TEkxiTehnzSmSe2XqrBj4w32RUN966rdz8"),
            Asset::TronEth => Some("THb4CqiFdwNHsWsQCs4JhzwjMWys4aqCbF"),
            Asset::Spam | Asset::Btc => None,
        }
    }

    /// Ticker symbol.
    pub fn symbol(self) -> &'static str {
        match self {
            Asset::Usdt | Asset::TronUsdt => "USDT",
            Asset::Usdc | Asset::TronUsdc => "USDC",
            Asset::Weth => "WETH",
            Asset::TronEth => "ETH",
            Asset::Spam => "SPAM",
            Asset::Btc => "BTC",
        }
    }

    fn name(self) -> &'static str {
        match self {
            Asset::Usdt | Asset::TronUsdt => "Tether USD",
            Asset::Usdc | Asset::TronUsdc => "USD Coin",
            Asset::Weth => "Wrapped Ether",
            Asset::TronEth => "Ethereum (BTTC)",
            Asset::Spam => "Airdrop Claim",
            Asset::Btc => "Bitcoin",
        }
    }

    /// The chain the asset lives on.
    pub fn chain(self) -> Chain {
        match self {
            Asset::Btc => Chain::Bitcoin,
            Asset::TronUsdt | Asset::TronUsdc | Asset::TronEth => Chain::Tron,
            _ => Chain::Ethereum,
        }
    }

    /// Stablecoins: people often send round amounts of them.
    pub fn is_stable(self) -> bool {
        matches!(
            self,
            Asset::Usdt | Asset::Usdc | Asset::TronUsdt | Asset::TronUsdc
        )
    }
}

/// The TRC-20 tokens of the TRON economy, slot for slot with [`ERC20`].
pub const TRC20: [Asset; 3] = [Asset::TronUsdt, Asset::TronUsdc, Asset::TronEth];

/// `tokens.csv` (ethereum-etl `tokens` columns): the listed tokens only — the spam token
/// is missing on purpose, as unknown tokens are in real metadata.
pub fn write_tokens(out: &Path) -> Result<String, GenError> {
    write_token_list(out, "tokens.csv", &ERC20)
}

/// `tron_tokens.csv`: the same for the TRON economy.
pub fn write_tron_tokens(out: &Path) -> Result<String, GenError> {
    write_token_list(out, "tron_tokens.csv", &TRC20)
}

fn write_token_list(out: &Path, rel: &str, assets: &[Asset]) -> Result<String, GenError> {
    let mut csv = CsvFile::create(out, rel, &["address", "symbol", "name", "decimals"])?;
    for &asset in assets {
        let decimals = asset.decimals().to_string();
        csv.row(&[
            asset.contract().unwrap_or_default(),
            asset.symbol(),
            asset.name(),
            &decimals,
        ])?;
    }
    csv.finish()
}
