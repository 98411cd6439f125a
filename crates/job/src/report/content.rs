//! What the report says, independent of markup.
//!
//! An analyst may quote the Markdown memo while a colleague checks the HTML page,
//! so both must carry the same sections, figures and wording. Both renderers walk
//! the `Section`s built here and differ only in markup and escaping. Cell text is
//! left unescaped on purpose: each renderer escapes for its own format.

use std::collections::BTreeMap;

use super::format::{count_noun, int, pct, usd_compact, usd_exact, was_were, MONTHS};
use super::model::{
    EnforcementRow, ExchangeRow, FreezeRow, LicenceStatus, ReportData, UnlicensedBounds,
};

/// Used when the caller leaves `ReportData::title` empty.
const DEFAULT_TITLE: &str = "Exchange turnover and enforcement statistics";

/// A table column; numeric columns are right-aligned by both renderers.
pub(crate) struct Column {
    pub(crate) label: String,
    pub(crate) numeric: bool,
}

/// Rows of unescaped cell text, one cell per column.
pub(crate) struct Table {
    pub(crate) columns: Vec<Column>,
    pub(crate) rows: Vec<Vec<String>>,
    /// Printed last and emphasised.
    pub(crate) total: Option<Vec<String>>,
}

/// The content of one section.
pub(crate) enum Body {
    Table(Table),
    Bullets(Vec<String>),
    /// Label/value pairs (provenance).
    Fields(Vec<(String, String)>),
    /// A sentence shown instead of an empty table.
    Message(String),
}

/// One report section.
pub(crate) struct Section {
    /// Stable anchor for the HTML table of contents.
    pub(crate) id: &'static str,
    pub(crate) heading: String,
    pub(crate) intro: Option<String>,
    pub(crate) body: Body,
}

/// The title with the year, e.g. "Exchange turnover and enforcement statistics, 2025".
pub(crate) fn report_title(d: &ReportData) -> String {
    let t = d.title.trim();
    let t = if t.is_empty() { DEFAULT_TITLE } else { t };
    format!("{t}, {}", d.year)
}

/// At or above, as the SQL counts it (`turnover_usd >= threshold`). A NaN
/// turnover or threshold is never above, so it cannot inflate enforcement counts.
pub(crate) fn above_threshold(turnover: f64, threshold: f64) -> bool {
    turnover.is_finite() && threshold.is_finite() && turnover >= threshold
}

/// The one-paragraph summary in plain words that opens the report.
///
/// It is computed from the per-exchange rows because only they give the combined
/// turnover of exactly the exchanges above the threshold; when the caller supplies
/// only the jurisdiction table, the jurisdiction totals are summarised instead.
pub(crate) fn headline(d: &ReportData) -> String {
    let mut s = if !d.exchanges.is_empty() {
        exchange_headline(d)
    } else if !d.enforcement.is_empty() {
        enforcement_headline(d)
    } else {
        format!(
            "There is no data for {}: no exchange activity was recorded for the year.",
            d.year
        )
    };
    for f in d.freezes.iter().flatten() {
        if f.addresses_frozen > 0 || f.addresses_destroyed > 0 || f.still_frozen_addresses > 0 {
            s.push(' ');
            s.push_str(&freeze_sentence(d.year, f));
        }
    }
    s
}

/// "USDT (ethereum) frozen in 2025: 10 addresses holding $509k at freeze; $139k destroyed;
/// 9 addresses holding $354k still frozen at year end." Parts with nothing in them are left out.
fn freeze_sentence(year: i32, f: &FreezeRow) -> String {
    let mut s = format!(
        "{} ({}) frozen in {year}: {} holding {} at freeze",
        f.asset,
        f.chain,
        count_noun(f.addresses_frozen, "address", "addresses"),
        usd_compact(f.frozen_usd),
    );
    if f.addresses_destroyed > 0 {
        s.push_str(&format!(
            "; {} destroyed at {}",
            usd_compact(f.destroyed_usd),
            count_noun(f.addresses_destroyed, "address", "addresses"),
        ));
    }
    if f.still_frozen_addresses > 0 {
        s.push_str(&format!(
            "; {} holding {} still frozen at year end",
            count_noun(f.still_frozen_addresses, "address", "addresses"),
            usd_compact(f.still_frozen_usd),
        ));
    }
    s.push('.');
    s
}

/// Running totals for one group of exchanges.
#[derive(Default)]
struct Tally {
    count: i64,
    turnover: f64,
    lower: f64,
}

impl Tally {
    fn add(&mut self, e: &ExchangeRow) {
        self.count = self.count.saturating_add(1);
        self.turnover += e.turnover_usd;
        self.lower += e.lower_turnover_usd;
    }
}

fn exchange_headline(d: &ReportData) -> String {
    let thr = usd_compact(d.threshold_usd);
    let mut all = Tally::default();
    let (mut licensed, mut unlicensed, mut unknown) = (0_i64, 0_i64, 0_i64);
    let mut unlicensed_above = Tally::default();
    let mut unknown_above = Tally::default();
    for e in &d.exchanges {
        all.add(e);
        let above = above_threshold(e.turnover_usd, d.threshold_usd);
        match e.status() {
            LicenceStatus::Licensed => licensed = licensed.saturating_add(1),
            LicenceStatus::Unlicensed => {
                unlicensed = unlicensed.saturating_add(1);
                if above {
                    unlicensed_above.add(e);
                }
            }
            LicenceStatus::Unknown => {
                unknown = unknown.saturating_add(1);
                if above {
                    unknown_above.add(e);
                }
            }
        }
    }
    let mut s = format!(
        "In {}, {} {} active, with a combined turnover of {} (lower bound {}). ",
        d.year,
        count_noun(all.count, "exchange", "exchanges"),
        was_were(all.count),
        usd_compact(all.turnover),
        usd_compact(all.lower),
    );
    s.push_str(&format!(
        "Of these, {} {} licensed, {} unlicensed and {} of unknown licence status. ",
        int(licensed),
        was_were(licensed),
        int(unlicensed),
        int(unknown),
    ));
    match unlicensed_above.count {
        0 => s.push_str(&format!(
            "No unlicensed exchange had a turnover of at least {thr}."
        )),
        1 => s.push_str(&format!(
            "1 unlicensed exchange had a turnover of at least {thr}; its turnover was {} (lower bound {}).",
            usd_compact(unlicensed_above.turnover),
            usd_compact(unlicensed_above.lower),
        )),
        n => s.push_str(&format!(
            "{} unlicensed exchanges had a turnover of at least {thr}; their combined turnover was {} (lower bound {}).",
            int(n),
            usd_compact(unlicensed_above.turnover),
            usd_compact(unlicensed_above.lower),
        )),
    }
    if unknown_above.count > 0 {
        let combined = if unknown_above.count == 1 {
            ""
        } else {
            "combined "
        };
        s.push_str(&format!(
            " {} of unknown licence status {} also above the threshold, with a {combined}turnover of {} (lower bound {}).",
            count_noun(unknown_above.count, "exchange", "exchanges"),
            was_were(unknown_above.count),
            usd_compact(unknown_above.turnover),
            usd_compact(unknown_above.lower),
        ));
    }
    s
}

fn enforcement_headline(d: &ReportData) -> String {
    let t = enforcement_total(&d.enforcement);
    let thr = usd_compact(d.threshold_usd);
    format!(
        "In {}, {} {} active, with a combined turnover of {} (lower bound {}). \
         Of these, {} {} licensed, {} unlicensed and {} of unknown licence status. \
         {} had a turnover of at least {thr}; unlicensed exchanges had a combined turnover of {} (lower bound {}).",
        d.year,
        count_noun(t.exchanges, "exchange", "exchanges"),
        was_were(t.exchanges),
        usd_compact(t.turnover_usd),
        usd_compact(t.lower_turnover_usd),
        int(t.licensed),
        was_were(t.licensed),
        int(t.unlicensed),
        int(t.unknown),
        count_noun(
            t.unlicensed_above_threshold,
            "unlicensed exchange",
            "unlicensed exchanges"
        ),
        usd_compact(t.unlicensed_turnover_usd),
        usd_compact(t.unlicensed_lower_turnover_usd),
    )
}

/// Sum of all jurisdiction rows, labelled "Total". Counts saturate rather than
/// overflow (an overflow would panic in debug builds).
pub(crate) fn enforcement_total(rows: &[EnforcementRow]) -> EnforcementRow {
    let mut t = EnforcementRow {
        jurisdiction: "Total".to_string(),
        ..EnforcementRow::default()
    };
    for r in rows {
        t.exchanges = t.exchanges.saturating_add(r.exchanges);
        t.licensed = t.licensed.saturating_add(r.licensed);
        t.unlicensed = t.unlicensed.saturating_add(r.unlicensed);
        t.unknown = t.unknown.saturating_add(r.unknown);
        t.licensed_above_threshold = t
            .licensed_above_threshold
            .saturating_add(r.licensed_above_threshold);
        t.unlicensed_above_threshold = t
            .unlicensed_above_threshold
            .saturating_add(r.unlicensed_above_threshold);
        t.unknown_above_threshold = t
            .unknown_above_threshold
            .saturating_add(r.unknown_above_threshold);
        t.turnover_usd += r.turnover_usd;
        t.lower_turnover_usd += r.lower_turnover_usd;
        t.unlicensed_turnover_usd += r.unlicensed_turnover_usd;
        t.unlicensed_lower_turnover_usd += r.unlicensed_lower_turnover_usd;
    }
    t
}

/// Exchanges not known to be licensed whose turnover is above the threshold, in
/// the caller's order (turnover descending).
pub(crate) fn flagged_exchanges(d: &ReportData) -> Vec<&ExchangeRow> {
    d.exchanges
        .iter()
        .filter(|e| {
            e.status() != LicenceStatus::Licensed
                && above_threshold(e.turnover_usd, d.threshold_usd)
        })
        .collect()
}

/// 0-based slot of a month, `None` outside 1..=12 (such rows are ignored).
fn month_slot(month: u32) -> Option<usize> {
    if (1..=12).contains(&month) {
        usize::try_from(month - 1).ok()
    } else {
        None
    }
}

/// Twelve monthly turnover values of one entity; missing months are zero (no
/// activity) and non-finite values are skipped because they cannot be drawn.
pub(crate) fn monthly_series(d: &ReportData, entity: &str) -> Vec<f64> {
    let mut v = vec![0.0_f64; 12];
    for m in d.monthly.iter().filter(|m| m.entity == entity) {
        if !m.turnover_usd.is_finite() {
            continue;
        }
        // Two steps rather than `and_then(|i| v.get_mut(i))`: a closure may not
        // hand out a borrow of what it captured mutably.
        if let Some(i) = month_slot(m.month) {
            if let Some(slot) = v.get_mut(i) {
                *slot += m.turnover_usd;
            }
        }
    }
    v
}

/// Per month, the turnover of all exchanges split by licence status, in the shape
/// the stacked bar chart takes: (month label, [(status label, USD)]).
pub(crate) fn monthly_by_status(d: &ReportData) -> Vec<(String, Vec<(String, f64)>)> {
    let mut sums = [[0.0_f64; 3]; 12];
    for m in &d.monthly {
        if !m.turnover_usd.is_finite() {
            continue;
        }
        let Some(i) = month_slot(m.month) else {
            continue;
        };
        let Some(row) = sums.get_mut(i) else {
            continue;
        };
        let status = m.status();
        let k = LicenceStatus::ALL
            .iter()
            .position(|s| *s == status)
            .unwrap_or(LicenceStatus::ALL.len() - 1);
        if let Some(cell) = row.get_mut(k) {
            *cell += m.turnover_usd;
        }
    }
    MONTHS
        .iter()
        .zip(sums.iter())
        .map(|(month, row)| {
            let segments = LicenceStatus::ALL
                .iter()
                .zip(row.iter())
                .map(|(s, v)| (s.label().to_string(), *v))
                .collect();
            (month.to_string(), segments)
        })
        .collect()
}

/// The `n` entities with the highest yearly turnover, highest first.
///
/// Ranked from the exchange rows (re-sorted here rather than trusting the caller's
/// order, since the chart title promises "top"); when there are none, from the sum
/// of the monthly rows. Ties break by name so the chart is reproducible.
pub(crate) fn top_entities(d: &ReportData, n: usize) -> Vec<String> {
    let mut totals: Vec<(String, f64)> = if d.exchanges.is_empty() {
        let mut acc: BTreeMap<&str, f64> = BTreeMap::new();
        for m in &d.monthly {
            if m.turnover_usd.is_finite() {
                *acc.entry(m.entity.as_str()).or_insert(0.0) += m.turnover_usd;
            }
        }
        acc.into_iter().map(|(e, v)| (e.to_string(), v)).collect()
    } else {
        d.exchanges
            .iter()
            .map(|e| (e.entity.clone(), e.turnover_usd))
            .collect()
    };
    let key = |v: f64| if v.is_finite() { v } else { f64::NEG_INFINITY };
    totals.sort_by(|a, b| key(b.1).total_cmp(&key(a.1)).then_with(|| a.0.cmp(&b.0)));
    let mut out: Vec<String> = Vec::with_capacity(n);
    for (entity, _) in totals {
        if out.len() >= n {
            break;
        }
        if !out.contains(&entity) {
            out.push(entity);
        }
    }
    out
}

/// The sections both renderers print, in order.
pub(crate) fn sections(d: &ReportData) -> Vec<Section> {
    vec![
        quoting_section(d),
        enforcement_section(d),
        unlicensed_section(d),
        exchanges_section(d),
        comparison_section(d),
        assets_section(d),
        freezes_section(d),
        exposure_section(d),
        flagged_section(d),
        candidates_section(d),
        coverage_section(d),
        notes_section(d),
        limitations_section(d),
        rejects_section(d),
        sources_section(d),
        provenance_section(d),
        evidence_appendix(d),
    ]
}

fn text(label: &str) -> Column {
    Column {
        label: label.to_string(),
        numeric: false,
    }
}

fn num(label: &str) -> Column {
    Column {
        label: label.to_string(),
        numeric: true,
    }
}

fn no_data(year: i32) -> Body {
    Body::Message(format!("No data for {year}."))
}

/// An empty or missing jurisdiction is shown as "(none)" rather than a blank cell,
/// which readers mistake for a rendering error.
fn jurisdiction_label(j: Option<&str>) -> String {
    match j.map(str::trim) {
        Some(s) if !s.is_empty() => s.to_string(),
        _ => "(none)".to_string(),
    }
}

fn threshold_phrase(d: &ReportData) -> String {
    format!(
        "{} ({} USD)",
        usd_compact(d.threshold_usd),
        usd_exact(d.threshold_usd)
    )
}

fn enforcement_cells(r: &EnforcementRow, first: String) -> Vec<String> {
    vec![
        first,
        int(r.exchanges),
        int(r.licensed),
        int(r.unlicensed),
        int(r.unknown),
        int(r.licensed_above_threshold),
        int(r.unlicensed_above_threshold),
        int(r.unknown_above_threshold),
        usd_exact(r.turnover_usd),
        usd_exact(r.lower_turnover_usd),
        usd_exact(r.unlicensed_turnover_usd),
        usd_exact(r.unlicensed_lower_turnover_usd),
    ]
}

/// Which figure to quote and what each one claims: the estimate is often three to four
/// times the lower bound, and a reader who mixes them misstates the case.
fn quoting_section(d: &ReportData) -> Section {
    let estimate: f64 = d.exchanges.iter().map(|e| e.turnover_usd).sum();
    let lower: f64 = d.exchanges.iter().map(|e| e.lower_turnover_usd).sum();
    let mut bullets = vec![
        "Turnover (the estimate) is the value that crossed each exchange's boundary: its labelled wallets plus the deposit and other addresses that clustering linked to them, with transfers between its own addresses left out. Quote it as the exchange's estimated turnover.".to_string(),
        "The lower bound counts only transfers to or from the seed-labelled addresses, so it does not rest on clustering and holds address by address. Quote it, as \"at least\", where a figure must withstand challenge.".to_string(),
    ];
    if estimate > 0.0 && lower.is_finite() {
        bullets.push(format!(
            "In {}, the lower bound was {} of the estimate across all exchanges ({} against {}).",
            d.year,
            pct(lower / estimate),
            usd_compact(lower),
            usd_compact(estimate)
        ));
    }
    bullets.push("Both are in US dollars at each transfer's daily price. Transfers without a price are counted as \"Unpriced\" and left out of both, so both understate the value moved when that count is not zero.".to_string());
    Section {
        id: "quoting",
        heading: "How to quote these figures".to_string(),
        intro: None,
        body: Body::Bullets(bullets),
    }
}

fn enforcement_section(d: &ReportData) -> Section {
    let body = if d.enforcement.is_empty() {
        no_data(d.year)
    } else {
        let rows = d
            .enforcement
            .iter()
            .map(|r| enforcement_cells(r, jurisdiction_label(Some(r.jurisdiction.as_str()))))
            .collect();
        let total = enforcement_total(&d.enforcement);
        Body::Table(Table {
            columns: vec![
                text("Jurisdiction"),
                num("Exchanges"),
                num("Licensed"),
                num("Unlicensed"),
                num("Unknown status"),
                num("Licensed above threshold"),
                num("Unlicensed above threshold"),
                num("Unknown status above threshold"),
                num("Turnover (USD)"),
                num("Lower bound (USD)"),
                num("Unlicensed turnover (USD)"),
                num("Unlicensed lower bound (USD)"),
            ],
            rows,
            total: Some(enforcement_cells(&total, "Total".to_string())),
        })
    };
    Section {
        id: "enforcement",
        heading: "Enforcement summary by jurisdiction".to_string(),
        intro: Some(format!(
            "Exchanges active in {} by jurisdiction and licence status. \"Above threshold\" counts exchanges whose yearly turnover was at least {}. Amounts are in US dollars; the lower bound is the conservative estimate of the same turnover.",
            d.year,
            threshold_phrase(d)
        )),
        body,
    }
}

/// Unlicensed activity three ways, labelled and unidentified kept apart: what the
/// registry proves, what the analysis estimates, and the most it could be.
fn unlicensed_section(d: &ReportData) -> Section {
    let body = match &d.bounds {
        None => Body::Message(
            "This run published no bounds of unlicensed activity (it was made before exchange candidates counted in them).".to_string(),
        ),
        Some(b) => {
            let zero = usd_exact(0.0);
            let row = |what: String, lower: String, estimate: f64, upper: f64| {
                vec![what, lower, usd_exact(estimate), usd_exact(upper)]
            };
            let UnlicensedBounds {
                labelled_lower_usd,
                labelled_estimate_usd,
                unknown_status_usd,
                candidates,
                candidates_counted,
                candidate_usd,
                candidate_counted_usd,
                lower_usd,
                estimate_usd,
                upper_usd,
                min_confidence,
            } = b;
            Body::Table(Table {
                columns: vec![
                    text("Who"),
                    num("Lower bound (USD)"),
                    num("Estimate (USD)"),
                    num("Upper bound (USD)"),
                ],
                rows: vec![
                    row(
                        "Labelled exchanges the registry lists as unlicensed".to_string(),
                        usd_exact(*labelled_lower_usd),
                        *labelled_estimate_usd,
                        *labelled_estimate_usd,
                    ),
                    row(
                        "Labelled exchanges in no registry (status unknown)".to_string(),
                        zero.clone(),
                        0.0,
                        *unknown_status_usd,
                    ),
                    row(
                        format!(
                            "Unidentified exchange-like services: {} candidate{}, {} with confidence at least {}",
                            int(*candidates),
                            if *candidates == 1 { "" } else { "s" },
                            int(*candidates_counted),
                            min_confidence
                        ),
                        zero,
                        *candidate_counted_usd,
                        *candidate_usd,
                    ),
                ],
                total: Some(row(
                    "Total".to_string(),
                    usd_exact(*lower_usd),
                    *estimate_usd,
                    *upper_usd,
                )),
            })
        }
    };
    Section {
        id: "unlicensed",
        heading: "Unlicensed activity: labelled, unidentified and total".to_string(),
        intro: Some(format!(
            "Turnover in {} of exchanges operating without a licence, three ways. Lower bound: exchanges the registry lists as unlicensed, counting only the addresses their labels name — what the data proves. Estimate: the same exchanges with every address clustering attributed to them, plus the unidentified exchange-like services (candidates nobody labelled) whose evidence reaches the confidence threshold. Upper bound: the estimate's exchanges, exchanges in no registry, and every candidate whatever its confidence. Exchanges nobody labelled and the analysis did not find are in none of them.",
            d.year
        )),
        body,
    }
}

/// Exposure to sanctioned and blacklisted parties, by jurisdiction.
fn exposure_section(d: &ReportData) -> Section {
    let body = match &d.exposure {
        None => Body::Message(
            "This run published no exposure figures (it was made before chainstat computed them).".to_string(),
        ),
        Some(rows) if rows.is_empty() => Body::Message(format!(
            "No entity received from or sent to a risk-labelled party in {}, or the run loaded no risk list (sanctions lists, issuer blacklists; see the README's labels).",
            d.year
        )),
        Some(rows) => {
            let usd = |v: Option<f64>| v.map_or_else(|| "unpriced".to_string(), usd_exact);
            Body::Table(Table {
                columns: vec![
                    text("Jurisdiction"),
                    text("Entity"),
                    text("Risk"),
                    num("Received (USD)"),
                    num("Sent (USD)"),
                    num("Transfers"),
                    text("Largest risk counterparties"),
                ],
                rows: rows
                    .iter()
                    .map(|r| {
                        // the three largest: the table keeps more
                        let top: Vec<&str> = r.top_counterparties.split(" | ").take(3).collect();
                        vec![
                            jurisdiction_label(Some(r.jurisdiction.as_str())),
                            r.entity.clone(),
                            r.category.clone(),
                            usd(r.received_usd),
                            usd(r.sent_usd),
                            int(r.transfers),
                            top.join("; "),
                        ]
                    })
                    .collect(),
                total: None,
            })
        }
    };
    Section {
        id: "exposure",
        heading: "Exposure to sanctioned and blacklisted parties".to_string(),
        intro: Some(format!(
            "Direct (one-hop) counterparty exposure in {}: what each entity received from and sent to parties on a risk list — an address on it, every address clustered with it, or an entity whose own labelled wallet is on it. Per risk category; an entity registered in several jurisdictions is listed under all of them. Two-hop exposure is not computed. Per entity and year: the published risk_exposure table.",
            d.year
        )),
        body,
    }
}

fn exchanges_section(d: &ReportData) -> Section {
    let body = if d.exchanges.is_empty() {
        no_data(d.year)
    } else {
        let rows = d
            .exchanges
            .iter()
            .enumerate()
            .map(|(i, e)| {
                vec![
                    (i + 1).to_string(),
                    e.entity.clone(),
                    jurisdiction_label(e.jurisdiction.as_deref()),
                    e.status().as_str().to_string(),
                    usd_exact(e.inflow_usd),
                    usd_exact(e.outflow_usd),
                    usd_exact(e.turnover_usd),
                    usd_exact(e.lower_turnover_usd),
                    int(e.depositors),
                    int(e.transfers),
                    int(e.unpriced_transfers),
                ]
            })
            .collect();
        let sum = |f: fn(&ExchangeRow) -> f64| d.exchanges.iter().map(f).sum::<f64>();
        let count =
            |f: fn(&ExchangeRow) -> i64| d.exchanges.iter().map(f).fold(0_i64, i64::saturating_add);
        // Depositors are left blank in the total: one person may deposit at several
        // exchanges, so the column does not add up.
        let total = vec![
            String::new(),
            "Total".to_string(),
            String::new(),
            String::new(),
            usd_exact(sum(|e| e.inflow_usd)),
            usd_exact(sum(|e| e.outflow_usd)),
            usd_exact(sum(|e| e.turnover_usd)),
            usd_exact(sum(|e| e.lower_turnover_usd)),
            String::new(),
            int(count(|e| e.transfers)),
            int(count(|e| e.unpriced_transfers)),
        ];
        Body::Table(Table {
            columns: vec![
                num("Rank"),
                text("Exchange"),
                text("Jurisdiction"),
                text("Status"),
                num("Inflow (USD)"),
                num("Outflow (USD)"),
                num("Turnover (USD)"),
                num("Lower bound (USD)"),
                num("Depositors"),
                num("Transfers"),
                num("Unpriced"),
            ],
            rows,
            total: Some(total),
        })
    };
    Section {
        id: "exchanges",
        heading: "Exchanges".to_string(),
        intro: Some(format!(
            "Every exchange active in {}, ranked by yearly turnover. \"Unpriced\" counts transfers without a US-dollar price; they are not included in the amounts.",
            d.year
        )),
        body,
    }
}

/// The year against the one before, per exchange, when the run published both.
fn comparison_section(d: &ReportData) -> Section {
    let heading = format!("Compared with {}", d.year - 1);
    let Some(prev) = &d.previous else {
        return Section {
            id: "comparison",
            heading,
            intro: None,
            body: Body::Message(format!(
                "The run published no figures for {}, so there is no comparison.",
                d.year - 1
            )),
        };
    };
    let change = |before: f64, now: f64| -> String {
        if before > 0.0 && now.is_finite() {
            let p = pct((now - before) / before);
            if now >= before {
                format!("+{p}")
            } else {
                p
            }
        } else if now > 0.0 {
            "new".to_string()
        } else {
            "–".to_string()
        }
    };
    let before: BTreeMap<&str, &ExchangeRow> = prev
        .exchanges
        .iter()
        .map(|e| (e.entity.as_str(), e))
        .collect();
    let mut rows: Vec<Vec<String>> = Vec::new();
    for e in &d.exchanges {
        let b = before
            .get(e.entity.as_str())
            .map_or(0.0, |b| b.turnover_usd);
        rows.push(vec![
            e.entity.clone(),
            e.status().as_str().to_string(),
            usd_exact(b),
            usd_exact(e.turnover_usd),
            change(b, e.turnover_usd),
        ]);
    }
    for b in &prev.exchanges {
        if !d.exchanges.iter().any(|e| e.entity == b.entity) {
            rows.push(vec![
                b.entity.clone(),
                b.status().as_str().to_string(),
                usd_exact(b.turnover_usd),
                usd_exact(0.0),
                "not active".to_string(),
            ]);
        }
    }
    let (was, now) = (
        enforcement_total(&prev.enforcement),
        enforcement_total(&d.enforcement),
    );
    Section {
        id: "comparison",
        heading,
        intro: Some(format!(
            "Exchanges active: {} in {}, {} in {}. Unlicensed above the threshold: {} then, {} now. Unlicensed turnover: {} then, {} now ({}).",
            int(was.exchanges),
            prev.year,
            int(now.exchanges),
            d.year,
            int(was.unlicensed_above_threshold),
            int(now.unlicensed_above_threshold),
            usd_compact(was.unlicensed_turnover_usd),
            usd_compact(now.unlicensed_turnover_usd),
            change(was.unlicensed_turnover_usd, now.unlicensed_turnover_usd),
        )),
        body: Body::Table(Table {
            columns: vec![
                text("Exchange"),
                text("Status"),
                num(&format!("Turnover {} (USD)", prev.year)),
                num(&format!("Turnover {} (USD)", d.year)),
                num("Change"),
            ],
            total: Some(vec![
                "Total".to_string(),
                String::new(),
                usd_exact(prev.exchanges.iter().map(|e| e.turnover_usd).sum()),
                usd_exact(d.exchanges.iter().map(|e| e.turnover_usd).sum()),
                change(was.turnover_usd, now.turnover_usd),
            ]),
            rows,
        }),
    }
}

/// Turnover per chain and asset: which rails the exchanges used.
fn assets_section(d: &ReportData) -> Section {
    let body = if d.by_asset.is_empty() {
        no_data(d.year)
    } else {
        Body::Table(Table {
            columns: vec![
                text("Chain"),
                text("Asset"),
                num("Exchanges"),
                num("Turnover (USD)"),
                num("Lower bound (USD)"),
                num("Unpriced"),
            ],
            rows: d
                .by_asset
                .iter()
                .map(|a| {
                    vec![
                        a.chain.clone(),
                        a.asset.clone(),
                        int(a.exchanges),
                        usd_exact(a.turnover_usd),
                        usd_exact(a.lower_turnover_usd),
                        int(a.unpriced_transfers),
                    ]
                })
                .collect(),
            total: None,
        })
    };
    Section {
        id: "assets",
        heading: "Turnover by chain and asset".to_string(),
        intro: Some(format!(
            "Exchange turnover in {} per chain and asset. An exchange active in several assets is counted in each.",
            d.year
        )),
        body,
    }
}

/// Issuers' freezes and seizures per chain and asset, with their total.
fn freezes_section(d: &ReportData) -> Section {
    let body = match &d.freezes {
        None => Body::Message(
            "This run published no freeze statistics (it was made before chainstat computed them).".to_string(),
        ),
        Some(rows) if rows.is_empty() => Body::Message(format!(
            "No issuer freeze, unfreeze or seizure in {}: none is in the inputs' event logs, or the inputs have no event logs of the issuers' contracts (see Limitations).",
            d.year
        )),
        Some(rows) => {
            let cells = |f: &FreezeRow, chain: String, asset: String| {
                vec![
                    chain,
                    asset,
                    int(f.addresses_frozen),
                    usd_exact(f.frozen_usd),
                    int(f.exchange_addresses_frozen),
                    int(f.addresses_unfrozen),
                    int(f.addresses_destroyed),
                    usd_exact(f.destroyed_usd),
                    int(f.still_frozen_addresses),
                    usd_exact(f.still_frozen_usd),
                ]
            };
            let mut total = FreezeRow::default();
            for f in rows {
                total.addresses_frozen = total.addresses_frozen.saturating_add(f.addresses_frozen);
                total.frozen_usd += f.frozen_usd;
                total.exchange_addresses_frozen = total
                    .exchange_addresses_frozen
                    .saturating_add(f.exchange_addresses_frozen);
                total.addresses_unfrozen =
                    total.addresses_unfrozen.saturating_add(f.addresses_unfrozen);
                total.addresses_destroyed =
                    total.addresses_destroyed.saturating_add(f.addresses_destroyed);
                total.destroyed_usd += f.destroyed_usd;
                total.still_frozen_addresses = total
                    .still_frozen_addresses
                    .saturating_add(f.still_frozen_addresses);
                total.still_frozen_usd += f.still_frozen_usd;
            }
            Body::Table(Table {
                columns: vec![
                    text("Chain"),
                    text("Asset"),
                    num("Frozen"),
                    num("Held at freeze (USD)"),
                    num("Of which exchange addresses"),
                    num("Unfrozen"),
                    num("Destroyed"),
                    num("Destroyed (USD)"),
                    num("Frozen at year end"),
                    num("Held at year end (USD)"),
                ],
                rows: rows
                    .iter()
                    .map(|f| cells(f, f.chain.clone(), f.asset.clone()))
                    .collect(),
                total: Some(cells(&total, "Total".to_string(), String::new())),
            })
        }
    };
    Section {
        id: "freezes",
        heading: "Frozen and seized stablecoins".to_string(),
        intro: Some(format!(
            "Addresses the issuers froze (blacklisted) in {}, with the balance they held at the freeze, rebuilt exactly from the transfers in the inputs; destroyed balances are the issuer's seizures (no Transfer is emitted for them). Year-end figures exclude what was destroyed. Per address: the published frozen_addresses table.",
            d.year
        )),
        body,
    }
}

fn flagged_section(d: &ReportData) -> Section {
    let thr = usd_compact(d.threshold_usd);
    let flagged = flagged_exchanges(d);
    let body = if d.exchanges.is_empty() {
        no_data(d.year)
    } else if flagged.is_empty() {
        Body::Message(format!(
            "No unlicensed or unknown-status exchange had a turnover of at least {thr} in {}.",
            d.year
        ))
    } else {
        let rows = flagged
            .iter()
            .map(|e| {
                vec![
                    e.entity.clone(),
                    jurisdiction_label(e.jurisdiction.as_deref()),
                    e.status().as_str().to_string(),
                    usd_exact(e.turnover_usd),
                    usd_exact(e.lower_turnover_usd),
                    int(e.depositors),
                    int(e.transfers),
                    int(e.unpriced_transfers),
                ]
            })
            .collect();
        Body::Table(Table {
            columns: vec![
                text("Exchange"),
                text("Jurisdiction"),
                text("Status"),
                num("Turnover (USD)"),
                num("Lower bound (USD)"),
                num("Depositors"),
                num("Transfers"),
                num("Unpriced"),
            ],
            rows,
            total: None,
        })
    };
    Section {
        id: "above-threshold",
        heading: format!("Unlicensed and unknown-status exchanges at or above {thr}"),
        intro: Some(format!(
            "Exchanges not known to be licensed whose yearly turnover was at least {}.",
            threshold_phrase(d)
        )),
        body,
    }
}

fn candidates_section(d: &ReportData) -> Section {
    let body = if d.candidates.is_empty() {
        no_data(d.year)
    } else {
        let rows = d
            .candidates
            .iter()
            .enumerate()
            .map(|(i, c)| {
                vec![
                    c.cluster_id.clone(),
                    c.chain.clone(),
                    c.hub.clone(),
                    int(c.deposit_addresses),
                    int(c.depositors),
                    c.confidence
                        .map_or_else(|| "-".to_string(), |v| format!("{v:.2}")),
                    if c.counted { "yes" } else { "no" }.to_string(),
                    c.turnover_usd
                        .map_or_else(|| "unpriced".to_string(), usd_exact),
                    evidence_ref(i),
                ]
            })
            .collect();
        Body::Table(Table {
            columns: vec![
                text("Cluster"),
                text("Chain"),
                text("Hub address"),
                num("Deposit addresses"),
                num("Depositors"),
                num("Confidence"),
                text("In the estimate"),
                num("Turnover in the year (USD)"),
                text("Evidence"),
            ],
            rows,
            total: None,
        })
    };
    Section {
        id: "candidates",
        heading: "Candidate exchanges (unlabelled clusters)".to_string(),
        intro: Some(
            "Address clusters that behave like exchanges but carry no exchange label. They are not in the per-exchange tables; their turnover counts in the bounds of unlicensed activity above (in the estimate when their confidence reaches the threshold, in the upper bound always). Why each was flagged is in the appendix, under the reference in the evidence column."
                .to_string(),
        ),
        body,
    }
}

/// The appendix reference of the `i`-th candidate's evidence.
fn evidence_ref(i: usize) -> String {
    format!("E{}", i + 1)
}

/// The candidates' evidence, too wide for their table on paper.
fn evidence_appendix(d: &ReportData) -> Section {
    let body = if d.candidates.is_empty() {
        Body::Message("No candidate exchanges, so no evidence.".to_string())
    } else {
        Body::Table(Table {
            columns: vec![text("Ref"), text("Cluster"), text("Evidence")],
            rows: d
                .candidates
                .iter()
                .enumerate()
                .map(|(i, c)| vec![evidence_ref(i), c.cluster_id.clone(), c.evidence.clone()])
                .collect(),
            total: None,
        })
    };
    Section {
        id: "appendix-evidence",
        heading: "Appendix: evidence for the candidate exchanges".to_string(),
        intro: None,
        body,
    }
}

fn coverage_section(d: &ReportData) -> Section {
    let body = if d.coverage.is_empty() {
        no_data(d.year)
    } else {
        let rows = d
            .coverage
            .iter()
            .map(|c| {
                vec![
                    c.chain.clone(),
                    c.asset.clone(),
                    int(c.transfers),
                    pct(c.priced_share),
                    pct(c.attributed_share),
                    int(c.missing_price_days),
                ]
            })
            .collect();
        Body::Table(Table {
            columns: vec![
                text("Chain"),
                text("Asset"),
                num("Transfers"),
                num("Priced"),
                num("Attributed"),
                num("Days without price"),
            ],
            rows,
            total: None,
        })
    };
    Section {
        id: "coverage",
        heading: "Data coverage".to_string(),
        intro: Some(
            "Share of transfers with a US-dollar price and share attributed to a known entity, by chain and asset. Low shares mean the amounts above understate activity."
                .to_string(),
        ),
        body,
    }
}

fn notes_section(d: &ReportData) -> Section {
    let notes: Vec<String> = d
        .notes
        .iter()
        .map(|n| n.trim().to_string())
        .filter(|n| !n.is_empty())
        .collect();
    let body = if notes.is_empty() {
        Body::Message("No method notes were supplied.".to_string())
    } else {
        Body::Bullets(notes)
    };
    Section {
        id: "notes",
        heading: "Method notes".to_string(),
        intro: None,
        body,
    }
}

/// What the figures leave out, from the run's manifest (built by the loader).
fn limitations_section(d: &ReportData) -> Section {
    let body = if d.limitations.is_empty() {
        Body::Message("The run recorded no limitations.".to_string())
    } else {
        Body::Bullets(d.limitations.clone())
    };
    Section {
        id: "limitations",
        heading: "Limitations".to_string(),
        intro: Some(
            "What these figures leave out or may get wrong, from this run's manifest; the README's known limitations cover the method in general.".to_string(),
        ),
        body,
    }
}

/// At most this many reject rows print; the published `rejects_summary` has them all.
const MAX_REJECT_ROWS: usize = 20;

/// A file's name without its folder (a table name stays as it is): full paths would
/// widen the table past the page, and the data sources section has them.
fn file_name(source: &str) -> String {
    source
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or(source)
        .to_string()
}

/// The rows the run rejected or left out, largest first, with their total.
fn rejects_section(d: &ReportData) -> Section {
    let mut rows = d.rejects.clone();
    rows.sort_by(|a, b| {
        b.rows
            .cmp(&a.rows)
            .then_with(|| (&a.kind, &a.source, &a.reason).cmp(&(&b.kind, &b.source, &b.reason)))
    });
    let total = rows.iter().map(|r| r.rows).fold(0i64, i64::saturating_add);
    let shown = rows.len().min(MAX_REJECT_ROWS);
    let body = if rows.is_empty() {
        Body::Message("No input row was rejected or left out.".to_string())
    } else {
        Body::Table(Table {
            columns: vec![text("Kind"), text("Source"), text("Reason"), num("Rows")],
            rows: rows[..shown]
                .iter()
                .map(|r| {
                    vec![
                        r.kind.clone(),
                        file_name(&r.source),
                        r.reason.clone(),
                        int(r.rows),
                    ]
                })
                .collect(),
            total: Some(vec![
                "Total".to_string(),
                String::new(),
                String::new(),
                int(total),
            ]),
        })
    };
    let more = if rows.len() > shown {
        format!(
            "The {shown} largest of {} reasons are shown; the published rejects_summary has every one, with an example row.",
            rows.len()
        )
    } else {
        "The published rejects_summary has an example row of each.".to_string()
    };
    let intro = format!(
        "Kind 'excluded' rows were read but left out of turnover on purpose; every other kind is bad input. {more}"
    );
    Section {
        id: "rejects",
        heading: "Rejected input rows".to_string(),
        intro: Some(intro),
        body,
    }
}

/// What the figures were computed from: every input of the run, from its manifest.
fn sources_section(d: &ReportData) -> Section {
    let body = if d.sources.is_empty() {
        Body::Message("The run's manifest lists no inputs.".to_string())
    } else {
        Body::Table(Table {
            columns: vec![
                text("Role"),
                text("Input"),
                num("Files"),
                num("Bytes"),
                text("Newest file (UTC)"),
            ],
            rows: d
                .sources
                .iter()
                .map(|s| {
                    vec![
                        s.role.clone(),
                        s.name.clone(),
                        int(s.files),
                        int(s.bytes),
                        s.newest.clone(),
                    ]
                })
                .collect(),
            total: None,
        })
    };
    Section {
        id: "sources",
        heading: "Data sources".to_string(),
        intro: Some(
            "The inputs this run read: chain exports, labels, the licence registry and prices."
                .to_string(),
        ),
        body,
    }
}

fn provenance_section(d: &ReportData) -> Section {
    fn or_missing(s: &str) -> String {
        let t = s.trim();
        if t.is_empty() {
            "not recorded".to_string()
        } else {
            t.to_string()
        }
    }
    Section {
        id: "provenance",
        heading: "Provenance".to_string(),
        intro: None,
        body: Body::Fields(vec![
            ("Reporting year".to_string(), d.year.to_string()),
            ("Run ID".to_string(), or_missing(&d.run_id)),
            (
                "Generated at (UTC)".to_string(),
                or_missing(&d.generated_at),
            ),
            ("chainstat version".to_string(), or_missing(&d.version)),
            ("Turnover threshold".to_string(), threshold_phrase(d)),
        ]),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::super::model::{MonthlyRow, RejectRow};
    use super::super::test_support::sample;
    use super::*;

    #[test]
    fn headline_numbers_match_hand_computed_values() {
        let h = headline(&sample());
        assert!(h.starts_with("In 2025, 5 exchanges were active"), "{h}");
        assert!(
            h.contains("combined turnover of $12.5M (lower bound $6.9M)"),
            "{h}"
        );
        assert!(
            h.contains("Of these, 1 was licensed, 3 unlicensed and 1 of unknown licence status."),
            "{h}"
        );
        assert!(
            h.contains("2 unlicensed exchanges had a turnover of at least $1.0M; their combined turnover was $5.5M (lower bound $1.5M)."),
            "{h}"
        );
        assert!(
            h.contains("1 exchange of unknown licence status was also above the threshold, with a turnover of $1.5M (lower bound $1.2M)."),
            "{h}"
        );
    }

    #[test]
    fn freezes_get_a_sentence_and_a_table_with_a_total() {
        let mut d = sample();
        let row = |asset: &str, frozen: i64, usd: f64| FreezeRow {
            chain: "tron".to_string(),
            asset: asset.to_string(),
            addresses_frozen: frozen,
            frozen_usd: usd,
            exchange_addresses_frozen: 1,
            addresses_unfrozen: 0,
            addresses_destroyed: 1,
            destroyed_usd: 120_000.0,
            still_frozen_addresses: frozen - 1,
            still_frozen_usd: usd - 120_000.0,
        };
        d.freezes = Some(vec![row("USDT", 12, 4_800_000.0), row("USDC", 2, f64::NAN)]);
        let h = headline(&d);
        assert!(
            h.contains("USDT (tron) frozen in 2025: 12 addresses holding $4.8M at freeze; $120.0k destroyed at 1 address; 11 addresses holding $4.7M still frozen at year end."),
            "{h}"
        );
        let Body::Table(t) = freezes_section(&d).body else {
            panic!("a table")
        };
        assert_eq!(t.rows.len(), 2);
        let total = t.total.unwrap();
        assert_eq!(total[2], "14");
        // An unknown USD part makes the total unknown, never a smaller number.
        assert!(!total[3].chars().any(|c| c.is_ascii_digit()), "{total:?}");
        assert_eq!(total[7], "240,000");
        d.freezes = Some(Vec::new());
        assert!(matches!(freezes_section(&d).body, Body::Message(_)));
        assert!(!headline(&d).contains("frozen in"));
    }

    #[test]
    fn rejects_print_largest_first_with_a_total_and_a_cap() {
        let mut d = sample();
        d.rejects = (0..25)
            .map(|i| RejectRow {
                kind: "input".to_string(),
                source: format!("t{i:02}"),
                reason: "bad address".to_string(),
                rows: i,
            })
            .collect();
        let s = rejects_section(&d);
        let Body::Table(t) = s.body else {
            panic!("a table")
        };
        assert_eq!(t.rows.len(), MAX_REJECT_ROWS);
        assert_eq!(t.rows[0][1], "t24");
        assert_eq!(file_name("file:///x/labels/a.yaml"), "a.yaml");
        assert_eq!(t.rows[19][1], "t05");
        // The total covers every reason, not only the printed ones: 0 + 1 + … + 24.
        assert_eq!(t.total.unwrap()[3], "300");
        assert!(s
            .intro
            .unwrap()
            .contains("The 20 largest of 25 reasons are shown"));
        d.rejects.clear();
        assert!(matches!(rejects_section(&d).body, Body::Message(_)));
    }

    #[test]
    fn limitations_come_after_the_notes_and_before_the_sources() {
        let mut d = sample();
        d.limitations = vec!["Not computed: USDT frozen.".to_string()];
        let ids: Vec<&str> = sections(&d).iter().map(|s| s.id).collect();
        let at = |id: &str| ids.iter().position(|x| *x == id).unwrap();
        assert!(
            at("notes") < at("limitations") && at("limitations") < at("sources"),
            "{ids:?}"
        );
        let Body::Bullets(b) = limitations_section(&d).body else {
            panic!("bullets")
        };
        assert_eq!(b, d.limitations);
    }

    #[test]
    fn the_quoting_box_explains_both_figures_and_their_ratio() {
        let d = sample();
        let Body::Bullets(lines) = quoting_section(&d).body else {
            panic!("bullets expected")
        };
        let estimate: f64 = d.exchanges.iter().map(|e| e.turnover_usd).sum();
        let lower: f64 = d.exchanges.iter().map(|e| e.lower_turnover_usd).sum();
        let ratio = format!(
            "the lower bound was {} of the estimate",
            pct(lower / estimate)
        );
        assert!(lines.iter().any(|l| l.contains(&ratio)), "{lines:?}");
        assert!(lines[0].starts_with("Turnover (the estimate)"), "{lines:?}");
        assert!(lines[1].contains("\"at least\""), "{lines:?}");
    }

    #[test]
    fn a_previous_year_gives_a_comparison_per_exchange() {
        let mut d = sample();
        let none = comparison_section(&d);
        assert!(matches!(none.body, Body::Message(ref m) if m.contains("no figures for 2024")));
        let mut before = sample().exchanges;
        let gone = before.pop().unwrap();
        before[0].turnover_usd = d.exchanges[0].turnover_usd / 2.0;
        d.exchanges.pop();
        d.previous = Some(super::super::model::PreviousYear {
            year: 2024,
            enforcement: sample().enforcement,
            exchanges: [before, vec![gone.clone()]].concat(),
        });
        let s = comparison_section(&d);
        assert_eq!(s.heading, "Compared with 2024");
        let Body::Table(t) = s.body else {
            panic!("table expected")
        };
        assert_eq!(t.rows[0][0], d.exchanges[0].entity);
        assert_eq!(t.rows[0][4], "+100.0%");
        let last = t.rows.last().unwrap();
        assert_eq!(
            (last[0].as_str(), last[4].as_str()),
            (gone.entity.as_str(), "not active")
        );
    }

    #[test]
    fn candidate_evidence_sits_in_the_appendix_under_its_reference() {
        let d = sample();
        let Body::Table(t) = candidates_section(&d).body else {
            panic!("table expected")
        };
        let Body::Table(a) = evidence_appendix(&d).body else {
            panic!("table expected")
        };
        for (i, c) in d.candidates.iter().enumerate() {
            assert_eq!(t.rows[i].last(), Some(&format!("E{}", i + 1)));
            assert!(!t.rows[i].contains(&c.evidence));
            assert_eq!(
                a.rows[i],
                vec![
                    format!("E{}", i + 1),
                    c.cluster_id.clone(),
                    c.evidence.clone()
                ]
            );
        }
        let ids: Vec<&str> = sections(&d).iter().map(|s| s.id).collect();
        assert_eq!(ids.last(), Some(&"appendix-evidence"));
    }

    #[test]
    fn every_enforcement_count_of_the_headline_has_a_column() {
        let mut d = sample();
        for r in d.enforcement.iter_mut() {
            r.unknown_above_threshold = 2;
        }
        let Body::Table(t) = enforcement_section(&d).body else {
            panic!("table expected")
        };
        let col = t
            .columns
            .iter()
            .position(|c| c.label == "Unknown status above threshold")
            .expect("column");
        let total = t.total.expect("total row");
        assert_eq!(total[col], int(2 * d.enforcement.len() as i64));
    }

    #[test]
    fn headline_without_unlicensed_above_threshold() {
        let mut d = sample();
        d.threshold_usd = 1e9;
        let h = headline(&d);
        assert!(
            h.contains("No unlicensed exchange had a turnover of at least $1.00B."),
            "{h}"
        );
        assert!(!h.contains("unknown licence status was also"), "{h}");
    }

    #[test]
    fn headline_falls_back_to_jurisdiction_totals() {
        let mut d = sample();
        d.exchanges.clear();
        let h = headline(&d);
        assert!(h.starts_with("In 2025, 5 exchanges were active"), "{h}");
        assert!(
            h.contains("2 unlicensed exchanges had a turnover of at least $1.0M"),
            "{h}"
        );
    }

    #[test]
    fn empty_report_says_there_is_no_data() {
        let d = ReportData {
            year: 2025,
            ..ReportData::default()
        };
        assert!(headline(&d).contains("There is no data for 2025"));
        for s in sections(&d) {
            assert!(
                !matches!(s.body, Body::Table(_)),
                "section {} has a table without data",
                s.id
            );
        }
    }

    #[test]
    fn enforcement_total_adds_every_row() {
        let t = enforcement_total(&sample().enforcement);
        assert_eq!(t.exchanges, 5);
        assert_eq!(t.unlicensed_above_threshold, 2);
        assert!((t.turnover_usd - 12.5e6).abs() < 1e-3);
    }

    #[test]
    fn threshold_is_inclusive_like_the_sql_and_ignores_nan() {
        assert!(above_threshold(1e6, 1e6));
        assert!(!above_threshold(1e6 - 1.0, 1e6));
        assert!(!above_threshold(f64::NAN, 1e6));
        assert!(!above_threshold(5.0, f64::NAN));
    }

    #[test]
    fn flagged_are_unlicensed_or_unknown_above_threshold() {
        let d = sample();
        let names: Vec<&str> = flagged_exchanges(&d)
            .iter()
            .map(|e| e.entity.as_str())
            .collect();
        assert_eq!(names, vec!["Bravo", "Charlie", "Echo"]);
    }

    #[test]
    fn monthly_aggregates_ignore_bad_months_and_nan() {
        let mut d = sample();
        d.monthly.push(MonthlyRow {
            entity: "Alpha".into(),
            licence_status: "licensed".into(),
            month: 13,
            turnover_usd: 1e9,
        });
        d.monthly.push(MonthlyRow {
            entity: "Alpha".into(),
            licence_status: "licensed".into(),
            month: 0,
            turnover_usd: f64::NAN,
        });
        let alpha = monthly_series(&d, "Alpha");
        assert_eq!(alpha.len(), 12);
        assert!(alpha.iter().all(|v| v.is_finite()));
        let by_status = monthly_by_status(&d);
        assert_eq!(by_status.len(), 12);
        let (march, segs) = &by_status[2];
        assert_eq!(march, "Mar");
        let unknown = segs.iter().find(|(k, _)| k == "Unknown status").unwrap();
        assert!((unknown.1 - 1.5e6).abs() < 1e-6);
    }

    #[test]
    fn top_entities_ranks_by_turnover() {
        let d = sample();
        assert_eq!(top_entities(&d, 2), vec!["Alpha", "Bravo"]);
        assert_eq!(top_entities(&d, 10).len(), 5);
        let mut only_monthly = d.clone();
        only_monthly.exchanges.clear();
        assert_eq!(top_entities(&only_monthly, 1), vec!["Alpha"]);
    }
}
