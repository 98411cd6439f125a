//! Daily USD prices: stablecoins a hair off 1.00, WETH and BTC as mean-reverting random
//! walks around 3 000 and 60 000. The market price of every day drives amounts; the
//! published file leaves out WETH on three days, because missing prices are a condition
//! the job must detect and report rather than paper over.

use std::path::Path;

use crate::calendar::Calendar;
use crate::csv_out::CsvFile;
use crate::error::GenError;
use crate::math;
use crate::rng::Rng;
use crate::tokens::Asset;

#[derive(Debug, Clone, Copy)]
struct DayPrice {
    usdt: f64,
    usdc: f64,
    weth: f64,
    btc: f64,
    weth_published: bool,
}

/// Prices per day.
pub struct Prices {
    days: Vec<DayPrice>,
}

/// Days without a published WETH price.
const MISSING_WETH_DAYS: usize = 3;

/// Rounds to `1/scale`; the stored value is exactly what the CSV text parses back to,
/// so USD amounts in the ground truth can be recomputed from `prices.csv`.
fn round_to(x: f64, scale: f64) -> f64 {
    (x * scale).round() / scale
}

impl Prices {
    /// Price paths for `days` days.
    pub fn generate(rng: &mut Rng, days: usize) -> Self {
        let weth_centre = math::ln(3_000.0);
        let btc_centre = math::ln(60_000.0);
        let (mut weth, mut btc) = (weth_centre, btc_centre);
        let mut out = Vec::with_capacity(days);
        for _ in 0..days {
            let usdt = round_to(1.0 + (0.0007 * rng.normal()).clamp(-0.002, 0.002), 1e6);
            let usdc = round_to(1.0 + (0.0003 * rng.normal()).clamp(-0.001, 0.001), 1e6);
            // Log-price random walks with a weak pull back to the centre, so a year
            // wanders realistically without drifting off to absurd levels.
            weth += 0.05 * (weth_centre - weth) + 0.03 * rng.normal();
            btc += 0.05 * (btc_centre - btc) + 0.025 * rng.normal();
            out.push(DayPrice {
                usdt,
                usdc,
                weth: round_to(math::exp(weth), 100.0),
                btc: round_to(math::exp(btc), 100.0),
                weth_published: true,
            });
        }
        let missing = MISSING_WETH_DAYS.min(days);
        let mut dropped = 0;
        let mut tries = 0;
        while dropped < missing && tries < 10_000 {
            tries += 1;
            let d = rng.index(days);
            if let Some(p) = out.get_mut(d) {
                if p.weth_published {
                    p.weth_published = false;
                    dropped += 1;
                }
            }
        }
        Self { days: out }
    }

    fn day(&self, day: usize) -> Option<&DayPrice> {
        self.days.get(day).or(self.days.last())
    }

    /// The market price used to size amounts (always known; 1 for the spam token, which
    /// is never sized in dollars).
    pub fn market(&self, asset: Asset, day: usize) -> f64 {
        let Some(p) = self.day(day) else { return 1.0 };
        match asset {
            Asset::Usdt | Asset::TronUsdt => p.usdt,
            Asset::Usdc | Asset::TronUsdc => p.usdc,
            Asset::Weth | Asset::TronEth => p.weth,
            Asset::Btc => p.btc,
            Asset::Spam => 1.0,
        }
    }

    /// The price `prices.csv` publishes for the day, if any.
    pub fn published(&self, asset: Asset, day: usize) -> Option<f64> {
        let p = self.days.get(day)?;
        match asset {
            Asset::Usdt | Asset::TronUsdt => Some(p.usdt),
            Asset::Usdc | Asset::TronUsdc => Some(p.usdc),
            Asset::Weth | Asset::TronEth => p.weth_published.then_some(p.weth),
            Asset::Btc => Some(p.btc),
            Asset::Spam => None,
        }
    }

    /// `prices.csv`: `date,chain,asset,symbol,price_usd`; Ethereum tokens are keyed by
    /// contract address (what transfers carry), Bitcoin by `BTC`.
    pub fn write(&self, out: &Path, cal: &Calendar, tron: bool) -> Result<String, GenError> {
        let mut csv = CsvFile::create(
            out,
            "prices.csv",
            &["date", "chain", "asset", "symbol", "price_usd"],
        )?;
        for day in 0..self.days.len() {
            let date = cal.date_text(day);
            let tron_assets: &[Asset] = if tron {
                &[Asset::TronUsdt, Asset::TronUsdc, Asset::TronEth]
            } else {
                &[]
            };
            for &asset in [Asset::Usdt, Asset::Usdc, Asset::Weth, Asset::Btc]
                .iter()
                .chain(tron_assets)
            {
                let Some(price) = self.published(asset, day) else {
                    continue;
                };
                let text = match asset {
                    a if a.is_stable() => format!("{price:.6}"),
                    _ => format!("{price:.2}"),
                };
                let key = asset.contract().unwrap_or(asset.symbol());
                csv.row(&[&date, asset.chain().name(), key, asset.symbol(), &text])?;
            }
        }
        csv.finish()
    }
}
