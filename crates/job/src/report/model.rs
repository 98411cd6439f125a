//! Input of `chainstat report`: figures already aggregated by the SQL stage.
//!
//! The renderers only present these values, so the model stays plain data that a
//! loader can fill from the published tables and a test can build by hand. The
//! one piece of behaviour, [`LicenceStatus::parse`], lives here because every
//! consumer must bucket the free-text status the same way.

/// Everything one annual report shows.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReportData {
    /// Report title without the year, e.g. "Exchange turnover and enforcement statistics".
    pub title: String,
    /// Reporting year.
    pub year: i32,
    /// Id of the job run that produced the figures.
    pub run_id: String,
    /// When the figures were produced (RFC 3339, UTC).
    pub generated_at: String,
    /// chainstat version that produced the figures.
    pub version: String,
    /// The "turnover above" threshold (USD) used in the enforcement counts.
    pub threshold_usd: f64,
    /// Enforcement counts, one row per jurisdiction.
    pub enforcement: Vec<EnforcementRow>,
    /// One row per exchange for the year, sorted by `turnover_usd` descending by the caller.
    pub exchanges: Vec<ExchangeRow>,
    /// Turnover per exchange and month (1..=12); a missing month means no activity.
    pub monthly: Vec<MonthlyRow>,
    /// Unlabelled clusters that look like exchanges.
    pub candidates: Vec<CandidateRow>,
    /// Pricing and attribution coverage per chain and asset.
    pub coverage: Vec<CoverageRow>,
    /// Method notes to print as bullets.
    pub notes: Vec<String>,
    /// The year before, when the run published it: the comparison section.
    pub previous: Option<PreviousYear>,
    /// Exchange turnover per chain and asset.
    pub by_asset: Vec<AssetRow>,
    /// The inputs the run read, from its manifest.
    pub sources: Vec<SourceRow>,
    /// What the figures leave out or may get wrong, from the run's manifest.
    pub limitations: Vec<String>,
    /// Input rows the run rejected or left out, from its manifest.
    pub rejects: Vec<RejectRow>,
    /// Issuer freezes and seizures per chain and asset; `None` when the run published no
    /// `freeze_summary` (a run made before it existed).
    pub freezes: Option<Vec<FreezeRow>>,
    /// Unlicensed activity, labelled and unidentified; `None` for a run made before
    /// candidates counted in it.
    pub bounds: Option<UnlicensedBounds>,
    /// Exposure to risk-labelled parties; `None` for a run made before `risk_exposure`.
    pub exposure: Option<Vec<ExposureRow>>,
}

/// Issuers' freezes and seizures of one chain and asset in the year (`freeze_summary`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FreezeRow {
    /// Chain.
    pub chain: String,
    /// Asset symbol (the contract when the token has none).
    pub asset: String,
    /// Addresses whose freeze began in the year.
    pub addresses_frozen: i64,
    /// Their balance at freeze (USD; NaN when unknown).
    pub frozen_usd: f64,
    /// Of them, exchange addresses.
    pub exchange_addresses_frozen: i64,
    /// Freezes lifted in the year.
    pub addresses_unfrozen: i64,
    /// Addresses whose balance the issuer destroyed in the year.
    pub addresses_destroyed: i64,
    /// What was destroyed (USD; NaN when unknown).
    pub destroyed_usd: f64,
    /// Addresses frozen at the end of the year.
    pub still_frozen_addresses: i64,
    /// What they held then (USD; NaN when unknown).
    pub still_frozen_usd: f64,
}

/// Rows the run rejected (or left out of turnover) for one reason in one source.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RejectRow {
    /// `input`, `labels`, `registry`, `prices`, `undated` or `excluded`.
    pub kind: String,
    /// Table or file.
    pub source: String,
    /// Why.
    pub reason: String,
    /// How many rows.
    pub rows: i64,
}

/// Exchange turnover in one chain and asset for the year.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AssetRow {
    /// Chain.
    pub chain: String,
    /// Asset symbol (the contract address when the token has none).
    pub asset: String,
    /// Exchanges with turnover in it.
    pub exchanges: i64,
    /// Turnover (USD; NaN when nothing was priced).
    pub turnover_usd: f64,
    /// Lower bound (USD).
    pub lower_turnover_usd: f64,
    /// Transfers without a price.
    pub unpriced_transfers: i64,
}

/// One input of the run: a table, the labels, the registry or the prices.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SourceRow {
    /// `table`, `labels`, `registry` or `prices`.
    pub role: String,
    /// Table name or file URL.
    pub name: String,
    /// Files read.
    pub files: i64,
    /// Their bytes.
    pub bytes: i64,
    /// The newest file's last modification (RFC 3339).
    pub newest: String,
}

/// The figures of the year before the report's, for the year-on-year comparison.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PreviousYear {
    /// That year.
    pub year: i32,
    /// Its enforcement counts per jurisdiction.
    pub enforcement: Vec<EnforcementRow>,
    /// Its exchanges.
    pub exchanges: Vec<ExchangeRow>,
}

/// Enforcement counts and turnover for one jurisdiction.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EnforcementRow {
    /// Jurisdiction code or name; empty when the exchanges have none assigned.
    pub jurisdiction: String,
    /// Exchanges active in the year.
    pub exchanges: i64,
    /// Of which licensed.
    pub licensed: i64,
    /// Of which unlicensed.
    pub unlicensed: i64,
    /// Of which of unknown licence status.
    pub unknown: i64,
    /// Licensed exchanges with a turnover above the threshold.
    pub licensed_above_threshold: i64,
    /// Unlicensed exchanges with a turnover above the threshold.
    pub unlicensed_above_threshold: i64,
    /// Exchanges of unknown licence status with a turnover above the threshold.
    pub unknown_above_threshold: i64,
    /// Combined turnover (USD).
    pub turnover_usd: f64,
    /// Lower-bound estimate of the combined turnover (USD).
    pub lower_turnover_usd: f64,
    /// Combined turnover of the unlicensed exchanges (USD).
    pub unlicensed_turnover_usd: f64,
    /// Lower-bound estimate of the unlicensed turnover (USD).
    pub unlicensed_lower_turnover_usd: f64,
}

/// One exchange's figures for the year.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ExchangeRow {
    /// Entity name.
    pub entity: String,
    /// Jurisdiction, when known.
    pub jurisdiction: Option<String>,
    /// "licensed", "unlicensed" or "unknown"; see [`ExchangeRow::status`].
    pub licence_status: String,
    /// Value received (USD).
    pub inflow_usd: f64,
    /// Value sent (USD).
    pub outflow_usd: f64,
    /// Turnover (USD).
    pub turnover_usd: f64,
    /// Lower-bound estimate of the turnover (USD).
    pub lower_turnover_usd: f64,
    /// Distinct depositors.
    pub depositors: i64,
    /// Transfers counted.
    pub transfers: i64,
    /// Transfers without a USD price.
    pub unpriced_transfers: i64,
}

/// One exchange's turnover in one month.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MonthlyRow {
    /// Entity name (matches [`ExchangeRow::entity`]).
    pub entity: String,
    /// Licence status string, as in [`ExchangeRow::licence_status`].
    pub licence_status: String,
    /// Month, 1..=12.
    pub month: u32,
    /// Turnover in the month (USD).
    pub turnover_usd: f64,
}

/// An unlabelled cluster that behaves like an exchange.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CandidateRow {
    /// Cluster id.
    pub cluster_id: String,
    /// Chain the cluster lives on.
    pub chain: String,
    /// The hub address deposits are forwarded to.
    pub hub: String,
    /// Deposit addresses in the cluster.
    pub deposit_addresses: i64,
    /// Distinct depositors.
    pub depositors: i64,
    /// Value received (USD); `None` when it could not be priced.
    pub inflow_usd: Option<f64>,
    /// Why the cluster looks like an exchange.
    pub evidence: String,
    /// Confidence (0–1) from the evidence; `None` for a run made before it existed.
    pub confidence: Option<f64>,
    /// Turnover in the year (USD, `candidate_turnover_yearly`); `None` when unknown.
    pub turnover_usd: Option<f64>,
    /// Whether it counts in the estimate of unlicensed activity.
    pub counted: bool,
}

/// Unlicensed activity in the year, labelled and unidentified, lower / estimate / upper
/// (`enforcement_summary`'s bound columns, summed over its rows).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct UnlicensedBounds {
    /// Registry-unlicensed exchanges: lower bound (labelled addresses only).
    pub labelled_lower_usd: f64,
    /// Registry-unlicensed exchanges: estimate.
    pub labelled_estimate_usd: f64,
    /// Exchanges in no registry (status unknown): their turnover.
    pub unknown_status_usd: f64,
    /// Candidates in the year.
    pub candidates: i64,
    /// Of which at or above the confidence threshold.
    pub candidates_counted: i64,
    /// Turnover of every candidate.
    pub candidate_usd: f64,
    /// Turnover of the counted candidates.
    pub candidate_counted_usd: f64,
    /// Totals over all rows.
    pub lower_usd: f64,
    /// …
    pub estimate_usd: f64,
    /// …
    pub upper_usd: f64,
    /// The confidence threshold of the run.
    pub min_confidence: f64,
}

/// One entity's exposure to one risk category in the year (`risk_exposure`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ExposureRow {
    /// The entity's registry jurisdictions (`(not in registry)` when none).
    pub jurisdiction: String,
    /// Entity name.
    pub entity: String,
    /// Risk category (`sanction`, `black_list`, …).
    pub category: String,
    /// Received from risk parties (USD; `None`: unpriced).
    pub received_usd: Option<f64>,
    /// Sent to risk parties (USD; `None`: unpriced).
    pub sent_usd: Option<f64>,
    /// Transfers either way.
    pub transfers: i64,
    /// The largest risk counterparties, as published.
    pub top_counterparties: String,
}

/// How much of one chain/asset could be priced and attributed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CoverageRow {
    /// Chain.
    pub chain: String,
    /// Asset symbol.
    pub asset: String,
    /// Transfers seen.
    pub transfers: i64,
    /// Share of transfers with a USD price, 0..=1.
    pub priced_share: f64,
    /// Share of transfers attributed to a known entity, 0..=1.
    pub attributed_share: f64,
    /// Days in the year without a price for the asset.
    pub missing_price_days: i64,
}

/// Licence status, parsed from the published free-text field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum LicenceStatus {
    /// Holds a licence in its jurisdiction.
    Licensed,
    /// Known to operate without a licence.
    Unlicensed,
    /// Status not established.
    Unknown,
}

impl LicenceStatus {
    /// All statuses in display order (tables, chart stacks, legends).
    pub const ALL: [LicenceStatus; 3] = [Self::Licensed, Self::Unlicensed, Self::Unknown];

    /// Case- and whitespace-insensitive; anything other than licensed/unlicensed is
    /// `Unknown`, because a status we cannot read must not be counted as either.
    pub fn parse(s: &str) -> Self {
        let t = s.trim();
        if t.eq_ignore_ascii_case("licensed") {
            Self::Licensed
        } else if t.eq_ignore_ascii_case("unlicensed") {
            Self::Unlicensed
        } else {
            Self::Unknown
        }
    }

    /// Lower-case form used in table cells.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Licensed => "licensed",
            Self::Unlicensed => "unlicensed",
            Self::Unknown => "unknown",
        }
    }

    /// Capitalised form used in chart legends.
    pub fn label(self) -> &'static str {
        match self {
            Self::Licensed => "Licensed",
            Self::Unlicensed => "Unlicensed",
            Self::Unknown => "Unknown status",
        }
    }
}

impl ExchangeRow {
    /// The parsed licence status.
    pub fn status(&self) -> LicenceStatus {
        LicenceStatus::parse(&self.licence_status)
    }
}

impl MonthlyRow {
    /// The parsed licence status.
    pub fn status(&self) -> LicenceStatus {
        LicenceStatus::parse(&self.licence_status)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_status_is_lenient_and_defaults_to_unknown() {
        assert_eq!(LicenceStatus::parse(" Licensed "), LicenceStatus::Licensed);
        assert_eq!(
            LicenceStatus::parse("UNLICENSED"),
            LicenceStatus::Unlicensed
        );
        assert_eq!(LicenceStatus::parse("unknown"), LicenceStatus::Unknown);
        assert_eq!(LicenceStatus::parse(""), LicenceStatus::Unknown);
        assert_eq!(LicenceStatus::parse("pending"), LicenceStatus::Unknown);
    }
}
