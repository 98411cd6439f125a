//! Builds [`ReportData`] from the published tables registered in a session (the run's
//! own session, or `chainstat report` over a committed run): small SQL aggregations,
//! then plain values for the renderers.

use arrow::array::{Array, ArrayRef, AsArray, RecordBatch};
use arrow::datatypes::{DataType, Float64Type, Int64Type};
use datafusion::prelude::SessionContext;

use super::model::{
    AssetRow, CandidateRow, CoverageRow, EnforcementRow, ExchangeRow, ExposureRow, FreezeRow,
    MonthlyRow, PreviousYear, RejectRow, ReportData, SourceRow, UnlicensedBounds,
};
use crate::error::{JobError, Result};

/// Facts about the run the tables do not hold.
#[derive(Debug, Clone, Default)]
pub struct Meta {
    /// Run id.
    pub run_id: String,
    /// When the run started.
    pub generated_at: String,
    /// Enforcement threshold (USD).
    pub threshold_usd: f64,
    /// The run's cluster-size distribution per chain (from its manifest).
    pub cluster_sizes: Vec<chainstat_cluster::guardrail::SizeStats>,
    /// Superclusters the run's guardrail flagged.
    pub superclusters: u64,
    /// The inputs the run read.
    pub sources: Vec<SourceRow>,
    /// The rows the run rejected or left out, per kind, source and reason.
    pub rejects: Vec<RejectRow>,
    /// The manifest's clustering figures (`label_conflicts`, `service_senders`,
    /// `coinjoin_<rule>`, …).
    pub clustering: std::collections::BTreeMap<String, u64>,
}

impl Meta {
    /// The facts of the run `manifest` describes, with the enforcement threshold.
    pub fn of_run(manifest: &crate::manifest::RunManifest, threshold_usd: f64) -> Self {
        Meta {
            run_id: manifest.run_id.clone(),
            generated_at: manifest.started_at.clone(),
            threshold_usd,
            cluster_sizes: manifest.cluster_sizes.clone(),
            sources: manifest
                .inputs
                .iter()
                .map(|set| SourceRow {
                    role: set.role.clone(),
                    name: set.name.clone(),
                    files: i64::try_from(set.objects.len()).unwrap_or(i64::MAX),
                    bytes: set
                        .objects
                        .iter()
                        .map(|o| i64::try_from(o.size).unwrap_or(i64::MAX))
                        .fold(0, i64::saturating_add),
                    newest: set
                        .objects
                        .iter()
                        .map(|o| o.last_modified.clone())
                        .max()
                        .unwrap_or_default(),
                })
                .collect(),
            superclusters: manifest
                .clustering
                .get("superclusters")
                .copied()
                .unwrap_or(0),
            rejects: manifest
                .rejects
                .iter()
                .map(|r| RejectRow {
                    kind: r.kind.clone(),
                    source: r.source.clone(),
                    reason: r.reason.clone(),
                    rows: i64::try_from(r.rows).unwrap_or(i64::MAX),
                })
                .collect(),
            clustering: manifest.clustering.clone(),
        }
    }
}

/// The cluster-size notes: a warning first when superclusters were flagged, then one
/// line per chain, so a reader sees a welded cluster before trusting a figure.
fn cluster_notes(meta: &Meta) -> Vec<String> {
    let mut notes = Vec::new();
    if meta.superclusters > 0 {
        notes.push(format!(
            "Warning: the clustering guardrail flagged {} supercluster(s) (cluster_warnings, kind 'supercluster'): figures that rest on those clusters may merge unrelated owners.",
            meta.superclusters
        ));
    }
    for s in &meta.cluster_sizes {
        let largest: Vec<String> = s.largest.iter().take(5).map(|n| group(*n)).collect();
        notes.push(format!(
            "Clusters ({}): {} addresses in {} clusters; largest {}; largest unlabelled {}; {} above 1,000 addresses, {} above 10,000.",
            s.chain,
            group(s.addresses),
            group(s.clusters),
            if largest.is_empty() { "none".to_string() } else { largest.join(", ") },
            group(s.largest_unlabelled),
            group(s.over_1k),
            group(s.over_10k)
        ));
    }
    notes
}

/// What the figures leave out or may get wrong: counted from the run's manifest first
/// (rejected rows, label conflicts, service senders, superclusters, CoinJoins), then
/// what chainstat does not compute at all, so a reader never takes a missing figure
/// for a zero.
fn limitations(meta: &Meta, freezes_found: bool) -> Vec<String> {
    let count = |k: &str| meta.clustering.get(k).copied().unwrap_or(0);
    let mut out = Vec::new();
    let mut by_kind: std::collections::BTreeMap<&str, i64> = std::collections::BTreeMap::new();
    for r in &meta.rejects {
        *by_kind.entry(r.kind.as_str()).or_default() += r.rows;
    }
    let rejected: i64 = by_kind
        .iter()
        .filter(|(k, _)| **k != "excluded")
        .map(|(_, n)| *n)
        .sum();
    if rejected > 0 {
        let kinds: Vec<String> = by_kind
            .iter()
            .filter(|(k, n)| **k != "excluded" && **n > 0)
            .map(|(k, n)| format!("{} {}", super::format::int(*n), reject_noun(k)))
            .collect();
        out.push(format!(
            "{} rows were rejected and are in no figure: {}. The table below lists them by source and reason; the published rejects_summary has an example of each.",
            super::format::int(rejected),
            kinds.join(", ")
        ));
    } else {
        out.push("No input row was rejected.".to_string());
    }
    if let Some(n) = by_kind.get("excluded").filter(|n| **n > 0) {
        out.push(format!(
            "{} transfers were read but left out of turnover (zero-value transfers, tokens without known decimals): kind 'excluded' below.",
            super::format::int(*n)
        ));
    }
    if let Some(n) = by_kind.get("undated").filter(|n| **n > 0) {
        out.push(format!(
            "{} rows had no block time: they are in no year, month or deposit window.",
            super::format::int(*n)
        ));
    }
    if meta.superclusters > 0 {
        out.push(format!(
            "{} supercluster(s) were flagged by the clustering guardrail: figures resting on them may merge unrelated owners (cluster_warnings, kind 'supercluster').",
            group(meta.superclusters)
        ));
    }
    if count("label_conflicts") > 0 {
        out.push(format!(
            "{} cluster(s) carried the labels of two different entities: the links that joined them were dropped, so those exchanges may be under-attributed (cluster_warnings).",
            group(count("label_conflicts"))
        ));
    }
    if count("service_senders") > 0 {
        out.push(format!(
            "{} senders into deposit addresses behaved like services (paying many deposit addresses) and were never joined to a depositor's cluster; a real customer among them stays unclustered (cluster_warnings, kind 'service').",
            group(count("service_senders"))
        ));
    }
    let coinjoins: u64 = meta
        .clustering
        .iter()
        .filter(|(k, _)| k.starts_with("coinjoin_"))
        .map(|(_, n)| *n)
        .sum();
    if coinjoins > 0 {
        out.push(format!(
            "{} Bitcoin transactions looked like CoinJoins and were kept out of the multi-input heuristic: their inputs are not joined, which can split one owner's wallet.",
            group(coinjoins)
        ));
    }
    if count("shared_address_keys") > 0 {
        out.push(format!(
            "{} address keys were shared by distinct addresses; joins compared the address strings too, so they were kept apart.",
            group(count("shared_address_keys"))
        ));
    }
    if !freezes_found {
        out.push("No issuer freeze or seizure events were found: freezes are only counted when the inputs include event logs of the issuers' contracts ([freezes]; Tether and USDC built in).".to_string());
    }
    out.extend(
        [
            "Not computed: indirect (two-hop) exposure to risk-listed parties; the exposure table is direct counterparty exposure only.",
            "Not counted in the enforcement table's exchange counts: exchange candidates nobody labelled. They have no jurisdiction; their turnover is in the unlicensed-activity bounds (the estimate counts those whose confidence reaches the threshold, the upper bound all of them).",
            "Bitcoin exchange-likeness is not scored: candidates come from account chains only.",
        ]
        .map(String::from),
    );
    out
}

/// What a reject kind's rows are, for a sentence.
fn reject_noun(kind: &str) -> String {
    match kind {
        "input" => "chain-export rows".to_string(),
        "labels" => "label rows".to_string(),
        "registry" => "licence-registry rows".to_string(),
        "prices" => "price rows".to_string(),
        "undated" => "rows without a block time".to_string(),
        other => format!("'{other}' rows"),
    }
}

/// `1234567` as `1,234,567`.
fn group(n: u64) -> String {
    super::format::int(i64::try_from(n).unwrap_or(i64::MAX))
}

/// Column accessors over collected batches (values cast to one type per use).
struct Rows {
    batches: Vec<RecordBatch>,
}

impl Rows {
    async fn query(ctx: &SessionContext, sql: &str) -> Result<Rows> {
        Ok(Rows {
            batches: ctx.sql(sql).await?.collect().await?,
        })
    }

    fn column(&self, i: usize, t: &DataType) -> Result<Vec<ArrayRef>> {
        self.batches
            .iter()
            .map(|b| Ok(arrow::compute::cast(b.column(i), t)?))
            .collect()
    }

    fn strings(&self, i: usize) -> Result<Vec<Option<String>>> {
        let mut out = Vec::new();
        for a in self.column(i, &DataType::Utf8)? {
            let s = a.as_string::<i32>();
            out.extend((0..s.len()).map(|j| s.is_valid(j).then(|| s.value(j).to_string())));
        }
        Ok(out)
    }

    fn floats(&self, i: usize) -> Result<Vec<Option<f64>>> {
        let mut out = Vec::new();
        for a in self.column(i, &DataType::Float64)? {
            let f = a.as_primitive::<Float64Type>();
            out.extend((0..f.len()).map(|j| f.is_valid(j).then(|| f.value(j))));
        }
        Ok(out)
    }

    fn ints(&self, i: usize) -> Result<Vec<Option<i64>>> {
        let mut out = Vec::new();
        for a in self.column(i, &DataType::Int64)? {
            let f = a.as_primitive::<Int64Type>();
            out.extend((0..f.len()).map(|j| f.is_valid(j).then(|| f.value(j))));
        }
        Ok(out)
    }
}

fn s(v: &[Option<String>], i: usize) -> String {
    v.get(i).cloned().flatten().unwrap_or_default()
}
/// A USD figure; NULL (nothing priced) becomes NaN, which the renderers print as
/// "n/a" — an unpriced figure must not read as $0.
fn f(v: &[Option<f64>], i: usize) -> f64 {
    v.get(i).copied().flatten().unwrap_or(f64::NAN)
}
fn n(v: &[Option<i64>], i: usize) -> i64 {
    v.get(i).copied().flatten().unwrap_or(0)
}

/// The report for `year` (default: the latest year with exchange turnover); None when
/// there is no yearly data at all.
pub async fn build(
    ctx: &SessionContext,
    meta: &Meta,
    year: Option<i32>,
) -> Result<Option<ReportData>> {
    let r = Rows::query(
        ctx,
        "SELECT DISTINCT CAST(year AS BIGINT) FROM exchange_turnover_yearly ORDER BY 1",
    )
    .await?;
    let years: Vec<i64> = r.ints(0)?.into_iter().flatten().collect();
    let year = match year {
        Some(y) if years.contains(&i64::from(y)) => y,
        Some(y) => {
            let have: Vec<String> = years.iter().map(i64::to_string).collect();
            return Err(JobError::Config(format!(
                "the published run has no exchange turnover in {y} (years with data: {}): no report",
                if have.is_empty() { "none".to_string() } else { have.join(", ") }
            )));
        }
        None => match years.last().and_then(|y| i32::try_from(*y).ok()) {
            Some(y) => y,
            None => return Ok(None),
        },
    };
    let previous = if years.contains(&(i64::from(year) - 1)) {
        Some(PreviousYear {
            year: year - 1,
            enforcement: enforcement(ctx, year - 1).await?,
            exchanges: exchanges(ctx, year - 1).await?,
        })
    } else {
        None
    };
    let mut d = ReportData {
        title: "Exchange turnover and enforcement statistics".into(),
        year,
        run_id: meta.run_id.clone(),
        generated_at: meta.generated_at.clone(),
        version: env!("CARGO_PKG_VERSION").into(),
        threshold_usd: meta.threshold_usd,
        enforcement: enforcement(ctx, year).await?,
        exchanges: exchanges(ctx, year).await?,
        monthly: monthly(ctx, year).await?,
        candidates: candidates(ctx, year).await?,
        coverage: coverage(ctx, year).await?,
        previous,
        by_asset: by_asset(ctx, year).await?,
        sources: meta.sources.clone(),
        rejects: meta.rejects.clone(),
        freezes: match ctx.table_exist("freeze_summary")? {
            true => Some(freezes(ctx, year).await?),
            false => None,
        },
        bounds: match ctx.table_exist("candidate_turnover_yearly")? {
            true => Some(bounds(ctx, year).await?),
            false => None,
        },
        exposure: match ctx.table_exist("risk_exposure")? {
            true => Some(exposure(ctx, year).await?),
            false => None,
        },
        ..Default::default()
    };
    d.notes = notes(meta);
    d.limitations = limitations(meta, d.freezes.as_ref().is_some_and(|f| !f.is_empty()));
    Ok(Some(d))
}

/// One licence status per exchange: licensed anywhere wins, then unlicensed.
const STATUS_SQL: &str = "SELECT entity, \
       CASE WHEN bool_or(licence_status = 'licensed') THEN 'licensed' \
            WHEN bool_or(licence_status = 'unlicensed') THEN 'unlicensed' ELSE 'unknown' END AS status, \
       array_to_string(array_agg(DISTINCT jurisdiction ORDER BY jurisdiction), ', ') AS jurisdictions \
     FROM entities GROUP BY entity";

/// Issuer freezes and seizures of `year` per chain and asset (frozen parties of every
/// jurisdiction and category together); a USD figure with an unknown part is unknown.
async fn freezes(ctx: &SessionContext, year: i32) -> Result<Vec<FreezeRow>> {
    let r = Rows::query(
        ctx,
        &format!(
            "SELECT chain, COALESCE(min(symbol), asset) AS label, \
                    CAST(sum(addresses_frozen) AS BIGINT), CAST(CASE WHEN bool_or(frozen_usd IS NULL) THEN NULL ELSE sum(frozen_usd) END AS DOUBLE), \
                    CAST(sum(CASE WHEN exchange THEN addresses_frozen ELSE 0 END) AS BIGINT), \
                    CAST(sum(addresses_unfrozen) AS BIGINT), CAST(sum(addresses_destroyed) AS BIGINT), \
                    CAST(CASE WHEN bool_or(destroyed_usd IS NULL) THEN NULL ELSE sum(destroyed_usd) END AS DOUBLE), CAST(sum(still_frozen_addresses) AS BIGINT), \
                    CAST(CASE WHEN bool_or(still_frozen_usd IS NULL) THEN NULL ELSE sum(still_frozen_usd) END AS DOUBLE) \
             FROM freeze_summary WHERE year = {year} GROUP BY chain, asset ORDER BY chain, label"
        ),
    )
    .await?;
    let (c, a) = (r.strings(0)?, r.strings(1)?);
    let (fz, fu, fx, uf) = (r.ints(2)?, r.floats(3)?, r.ints(4)?, r.ints(5)?);
    let (dz, du, sz, su) = (r.ints(6)?, r.floats(7)?, r.ints(8)?, r.floats(9)?);
    Ok((0..c.len())
        .map(|i| FreezeRow {
            chain: s(&c, i),
            asset: s(&a, i),
            addresses_frozen: n(&fz, i),
            frozen_usd: f(&fu, i),
            exchange_addresses_frozen: n(&fx, i),
            addresses_unfrozen: n(&uf, i),
            addresses_destroyed: n(&dz, i),
            destroyed_usd: f(&du, i),
            still_frozen_addresses: n(&sz, i),
            still_frozen_usd: f(&su, i),
        })
        .collect())
}

/// Exchange turnover of `year` per chain and asset, largest first.
async fn by_asset(ctx: &SessionContext, year: i32) -> Result<Vec<AssetRow>> {
    let r = Rows::query(
        ctx,
        &format!(
            "SELECT chain, COALESCE(symbol, asset) AS asset, exchanges, turnover, lower, unpriced FROM ( \
               SELECT chain, asset, min(symbol) AS symbol, CAST(count(DISTINCT entity) AS BIGINT) AS exchanges, \
                      CAST(sum(turnover_usd) AS DOUBLE) AS turnover, \
                      CAST(sum(lower_turnover_usd) AS DOUBLE) AS lower, \
                      CAST(sum(unpriced_transfers) AS BIGINT) AS unpriced \
               FROM exchange_turnover_yearly WHERE year = {year} GROUP BY chain, asset) \
             ORDER BY turnover DESC NULLS LAST, chain, asset"
        ),
    )
    .await?;
    let (c, a, e, t, lo, u) = (
        r.strings(0)?,
        r.strings(1)?,
        r.ints(2)?,
        r.floats(3)?,
        r.floats(4)?,
        r.ints(5)?,
    );
    Ok((0..c.len())
        .map(|i| AssetRow {
            chain: s(&c, i),
            asset: s(&a, i),
            exchanges: n(&e, i),
            turnover_usd: f(&t, i),
            lower_turnover_usd: f(&lo, i),
            unpriced_transfers: n(&u, i),
        })
        .collect())
}

/// The enforcement statistics of `year`, per jurisdiction.
async fn enforcement(ctx: &SessionContext, year: i32) -> Result<Vec<EnforcementRow>> {
    let r = Rows::query(
        ctx,
        &format!(
            "SELECT jurisdiction, exchanges, licensed, unlicensed, unknown, licensed_above_threshold, \
                    unlicensed_above_threshold, unknown_above_threshold, turnover_usd, \
                    lower_turnover_usd, unlicensed_turnover_usd, unlicensed_lower_turnover_usd \
             FROM enforcement_summary WHERE year = {year} AND jurisdiction <> '(unidentified)' \
             ORDER BY jurisdiction"
        ),
    )
    .await?;
    let (j, ints, fl) = (
        r.strings(0)?,
        (1..=7).map(|i| r.ints(i)).collect::<Result<Vec<_>>>()?,
        (8..=11).map(|i| r.floats(i)).collect::<Result<Vec<_>>>()?,
    );
    Ok((0..j.len())
        .map(|i| EnforcementRow {
            jurisdiction: s(&j, i),
            exchanges: n(&ints[0], i),
            licensed: n(&ints[1], i),
            unlicensed: n(&ints[2], i),
            unknown: n(&ints[3], i),
            licensed_above_threshold: n(&ints[4], i),
            unlicensed_above_threshold: n(&ints[5], i),
            unknown_above_threshold: n(&ints[6], i),
            turnover_usd: f(&fl[0], i),
            lower_turnover_usd: f(&fl[1], i),
            unlicensed_turnover_usd: f(&fl[2], i),
            unlicensed_lower_turnover_usd: f(&fl[3], i),
        })
        .collect())
}

/// Unlicensed activity in `year`: the bound columns of `enforcement_summary` by kind of
/// row, and their totals.
async fn bounds(ctx: &SessionContext, year: i32) -> Result<UnlicensedBounds> {
    let r = Rows::query(
        ctx,
        &format!(
            "SELECT \
               CAST(COALESCE(sum(CASE WHEN jurisdiction NOT IN ('(unidentified)', '(not in registry)') THEN unlicensed_lower_usd END), 0) AS DOUBLE), \
               CAST(COALESCE(sum(CASE WHEN jurisdiction NOT IN ('(unidentified)', '(not in registry)') THEN unlicensed_estimate_usd END), 0) AS DOUBLE), \
               CAST(COALESCE(sum(CASE WHEN jurisdiction = '(not in registry)' THEN unlicensed_upper_usd END), 0) AS DOUBLE), \
               CAST(COALESCE(sum(candidates), 0) AS BIGINT), CAST(COALESCE(sum(candidates_counted), 0) AS BIGINT), \
               CAST(COALESCE(sum(candidate_turnover_usd), 0) AS DOUBLE), \
               CAST(COALESCE(sum(candidate_counted_turnover_usd), 0) AS DOUBLE), \
               CAST(COALESCE(sum(unlicensed_lower_usd), 0) AS DOUBLE), \
               CAST(COALESCE(sum(unlicensed_estimate_usd), 0) AS DOUBLE), \
               CAST(COALESCE(sum(unlicensed_upper_usd), 0) AS DOUBLE), \
               CAST(max(candidate_min_confidence) AS DOUBLE) \
             FROM enforcement_summary WHERE year = {year}"
        ),
    )
    .await?;
    let fl = |i: usize| -> Result<f64> { Ok(f(&r.floats(i)?, 0)) };
    let it = |i: usize| -> Result<i64> { Ok(n(&r.ints(i)?, 0)) };
    Ok(UnlicensedBounds {
        labelled_lower_usd: fl(0)?,
        labelled_estimate_usd: fl(1)?,
        unknown_status_usd: fl(2)?,
        candidates: it(3)?,
        candidates_counted: it(4)?,
        candidate_usd: fl(5)?,
        candidate_counted_usd: fl(6)?,
        lower_usd: fl(7)?,
        estimate_usd: fl(8)?,
        upper_usd: fl(9)?,
        min_confidence: fl(10)?,
    })
}

/// Each entity's exposure to risk parties in `year`, by jurisdiction, entity and category.
async fn exposure(ctx: &SessionContext, year: i32) -> Result<Vec<ExposureRow>> {
    let r = Rows::query(
        ctx,
        &format!(
            "WITH j AS (SELECT entity, array_to_string(array_agg(DISTINCT jurisdiction ORDER BY jurisdiction), ', ') AS jurisdictions \
                        FROM entities WHERE jurisdiction IS NOT NULL GROUP BY entity) \
             SELECT COALESCE(j.jurisdictions, '(not in registry)') AS jurisdiction, x.entity AS entity, \
                    x.risk_category AS category, CAST(x.received_usd AS DOUBLE) AS received, \
                    CAST(x.sent_usd AS DOUBLE) AS sent, \
                    CAST(x.received_transfers + x.sent_transfers AS BIGINT) AS transfers, \
                    x.top_counterparties AS top, \
                    CAST(COALESCE(x.received_usd, 0) + COALESCE(x.sent_usd, 0) AS DOUBLE) AS total \
             FROM risk_exposure x LEFT JOIN j ON j.entity = x.entity \
             WHERE x.year = {year} \
             ORDER BY jurisdiction, total DESC, entity, category"
        ),
    )
    .await?;
    let (j, e, c, rx, sx, t, top) = (
        r.strings(0)?,
        r.strings(1)?,
        r.strings(2)?,
        r.floats(3)?,
        r.floats(4)?,
        r.ints(5)?,
        r.strings(6)?,
    );
    Ok((0..e.len())
        .map(|i| ExposureRow {
            jurisdiction: s(&j, i),
            entity: s(&e, i),
            category: s(&c, i),
            received_usd: rx.get(i).copied().flatten(),
            sent_usd: sx.get(i).copied().flatten(),
            transfers: n(&t, i),
            top_counterparties: s(&top, i),
        })
        .collect())
}

/// Every exchange's figures for `year`, largest turnover first.
async fn exchanges(ctx: &SessionContext, year: i32) -> Result<Vec<ExchangeRow>> {
    let r = Rows::query(
        ctx,
        &format!(
            "WITH st AS ({STATUS_SQL}) \
             SELECT y.entity, st.jurisdictions, COALESCE(st.status, 'unknown'), \
                    sum(y.inflow_usd), sum(y.outflow_usd), \
                    sum(y.turnover_usd) AS turnover, sum(y.lower_turnover_usd), \
                    CAST(sum(y.depositors) AS BIGINT), CAST(sum(y.transfers_in + y.transfers_out) AS BIGINT), \
                    CAST(sum(y.unpriced_transfers) AS BIGINT) \
             FROM exchange_turnover_yearly y LEFT JOIN st ON st.entity = y.entity \
             WHERE y.year = {year} \
             GROUP BY y.entity, st.jurisdictions, st.status \
             ORDER BY turnover DESC NULLS LAST, y.entity"
        ),
    )
    .await?;
    let (e, jur, st) = (r.strings(0)?, r.strings(1)?, r.strings(2)?);
    let fl = (3..=6).map(|i| r.floats(i)).collect::<Result<Vec<_>>>()?;
    let ints = (7..=9).map(|i| r.ints(i)).collect::<Result<Vec<_>>>()?;
    Ok((0..e.len())
        .map(|i| ExchangeRow {
            entity: s(&e, i),
            jurisdiction: jur.get(i).cloned().flatten().filter(|x| !x.is_empty()),
            licence_status: s(&st, i),
            inflow_usd: f(&fl[0], i),
            outflow_usd: f(&fl[1], i),
            turnover_usd: f(&fl[2], i),
            lower_turnover_usd: f(&fl[3], i),
            depositors: n(&ints[0], i),
            transfers: n(&ints[1], i),
            unpriced_transfers: n(&ints[2], i),
        })
        .collect())
}

/// Turnover per exchange and month of `year`.
async fn monthly(ctx: &SessionContext, year: i32) -> Result<Vec<MonthlyRow>> {
    let r = Rows::query(
        ctx,
        &format!(
            "WITH st AS ({STATUS_SQL}) \
             SELECT m.entity, COALESCE(st.status, 'unknown'), CAST(date_part('month', m.month) AS BIGINT) AS mo, \
                    COALESCE(sum(m.turnover_usd), 0) \
             FROM exchange_turnover_monthly m LEFT JOIN st ON st.entity = m.entity \
             WHERE CAST(date_part('year', m.month) AS INT) = {year} \
             GROUP BY m.entity, st.status, CAST(date_part('month', m.month) AS BIGINT) ORDER BY m.entity, mo"
        ),
    )
    .await?;
    let (e, st, mo, t) = (r.strings(0)?, r.strings(1)?, r.ints(2)?, r.floats(3)?);
    Ok((0..e.len())
        .map(|i| MonthlyRow {
            entity: s(&e, i),
            licence_status: s(&st, i),
            month: n(&mo, i).clamp(1, 12) as u32,
            turnover_usd: f(&t, i),
        })
        .collect())
}

/// Unlabelled clusters that behave like exchanges.
/// Candidates active in `year` (seen first before its end and last after its start).
async fn candidates(ctx: &SessionContext, year: i32) -> Result<Vec<CandidateRow>> {
    // runs made before candidates had a confidence and a yearly turnover
    let (confidence, turnover, counted, join) = if ctx.table_exist("candidate_turnover_yearly")? {
        (
            "CAST(c.confidence AS DOUBLE)",
            "CAST(t.turnover_usd AS DOUBLE)",
            "CAST(COALESCE(t.counted, false) AS BIGINT)",
            format!("LEFT JOIN candidate_turnover_yearly t ON t.cluster_id = c.cluster_id AND t.chain = c.chain AND t.hub = c.hub AND t.year = {year}"),
        )
    } else {
        (
            "CAST(NULL AS DOUBLE)",
            "CAST(NULL AS DOUBLE)",
            "CAST(0 AS BIGINT)",
            String::new(),
        )
    };
    let r = Rows::query(
        ctx,
        &format!(
            "SELECT c.cluster_id, c.chain, c.hub, c.deposit_addresses, c.depositors, c.inflow_usd, \
                    c.evidence, {confidence}, {turnover}, {counted} \
             FROM exchange_candidates c {join} \
             WHERE date_part('year', c.first_seen) <= {year} AND date_part('year', c.last_seen) >= {year} \
             ORDER BY c.depositors DESC, c.deposit_addresses DESC, c.hub"
        ),
    )
    .await?;
    let (c, ch, h, da, dp, iu, ev) = (
        r.strings(0)?,
        r.strings(1)?,
        r.strings(2)?,
        r.ints(3)?,
        r.ints(4)?,
        r.floats(5)?,
        r.strings(6)?,
    );
    let (conf, tu, ct) = (r.floats(7)?, r.floats(8)?, r.ints(9)?);
    Ok((0..c.len())
        .map(|i| CandidateRow {
            cluster_id: s(&c, i),
            chain: s(&ch, i),
            hub: s(&h, i),
            deposit_addresses: n(&da, i),
            depositors: n(&dp, i),
            inflow_usd: iu.get(i).copied().flatten(),
            evidence: s(&ev, i),
            confidence: conf.get(i).copied().flatten(),
            turnover_usd: tu.get(i).copied().flatten(),
            counted: n(&ct, i) == 1,
        })
        .collect())
}

/// Price and attribution coverage of the 25 assets with most transfers in `year`.
async fn coverage(ctx: &SessionContext, year: i32) -> Result<Vec<CoverageRow>> {
    let r = Rows::query(
        ctx,
        &format!(
            "SELECT chain, COALESCE(symbol, asset), transfers, priced_share, attributed_share, missing_price_days \
             FROM coverage WHERE year = {year} ORDER BY transfers DESC, chain, asset LIMIT 25"
        ),
    )
    .await?;
    let (ch, a, t, ps, at, mp) = (
        r.strings(0)?,
        r.strings(1)?,
        r.ints(2)?,
        r.floats(3)?,
        r.floats(4)?,
        r.ints(5)?,
    );
    Ok((0..ch.len())
        .map(|i| CoverageRow {
            chain: s(&ch, i),
            asset: s(&a, i),
            transfers: n(&t, i),
            priced_share: f(&ps, i),
            attributed_share: f(&at, i),
            missing_price_days: n(&mp, i),
        })
        .collect())
}

/// The method notes, with the clustering's warnings (a supercluster warning first).
fn notes(meta: &Meta) -> Vec<String> {
    let mut notes: Vec<String> = vec![
        "Turnover = inflow + outflow in USD of value crossing an exchange's boundary; transfers inside one exchange (deposit sweeps, hot/cold rebalancing) are excluded, transfers between two exchanges count for both.".into(),
        "Estimate: addresses attributed through clustering (multi-input with CoinJoin exclusion, deposit-address reuse, seed labels). Lower bound: only addresses named by a seed label.".into(),
        "USD: the asset's price on the transfer's UTC day; transfers without a price are counted as unpriced, not as zero.".into(),
        "Bitcoin value is attributed from inputs to outputs with the proportional rule (GraphSense estimated_value); fees are not turnover.".into(),
        "Depositors are distinct sending clusters, an upper bound on distinct customers where clustering is incomplete.".into(),
        "Coverage lists the 25 assets with most transfers; the published `coverage` table has all.".into(),
    ];
    let mut clusters = cluster_notes(meta);
    if meta.superclusters > 0 {
        // The warning goes first: before the method, before any figure is read.
        notes.insert(0, clusters.remove(0));
    }
    notes.extend(clusters);
    notes
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn reject(kind: &str, rows: i64) -> RejectRow {
        RejectRow {
            kind: kind.to_string(),
            source: "transfers".to_string(),
            reason: "why".to_string(),
            rows,
        }
    }

    #[test]
    fn limitations_count_the_manifest_and_name_what_is_not_computed() {
        let meta = Meta {
            rejects: vec![
                reject("input", 1200),
                reject("input", 34),
                reject("prices", 2),
                reject("excluded", 7),
                reject("undated", 5),
            ],
            superclusters: 1,
            clustering: [
                ("label_conflicts", 3),
                ("service_senders", 41),
                ("coinjoin_equal_outputs", 9),
                ("coinjoin_coordinator_fee", 1),
                ("shared_address_keys", 0),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect(),
            ..Default::default()
        };
        let l = limitations(&meta, false);
        let has = |needle: &str| l.iter().any(|s| s.contains(needle));
        // Excluded rows are left out on purpose, not rejected: 1,200 + 34 + 2 + 5.
        assert!(
            has("1,241 rows were rejected and are in no figure: 1,234 chain-export rows, 2 price rows, 5 rows without a block time."),
            "{l:#?}"
        );
        assert!(
            has("7 transfers were read but left out of turnover"),
            "{l:#?}"
        );
        assert!(has("5 rows had no block time"), "{l:#?}");
        assert!(has("1 supercluster(s)"), "{l:#?}");
        assert!(has("3 cluster(s) carried the labels of two"), "{l:#?}");
        assert!(has("41 senders into deposit addresses"), "{l:#?}");
        assert!(
            has("10 Bitcoin transactions looked like CoinJoins"),
            "{l:#?}"
        );
        assert!(!has("address keys were shared"), "{l:#?}");
        assert!(
            has("No issuer freeze or seizure events were found"),
            "{l:#?}"
        );
        assert!(
            has("Not counted in the enforcement table's exchange counts"),
            "{l:#?}"
        );
        assert!(has("Not computed: indirect (two-hop) exposure"), "{l:#?}");
    }

    #[test]
    fn a_clean_run_says_so_and_still_lists_what_is_not_computed() {
        let l = limitations(&Meta::default(), true);
        assert_eq!(l[0], "No input row was rejected.");
        assert!(!l.iter().any(|s| s.contains("supercluster")), "{l:#?}");
        assert!(!l.iter().any(|s| s.contains("freeze")), "{l:#?}");
        assert!(
            l.iter().any(|s| s.contains("Not computed: indirect")),
            "{l:#?}"
        );
    }
}
