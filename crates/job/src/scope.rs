//! Which periods a run recomputes.
//!
//! A full run recomputes every month and year present in the data. An incremental run
//! starts from the committed run and recomputes only the periods something changed in:
//!
//! * months of the rows in **new input files** (transfers, UTXO tables, blocks);
//! * months in which an address whose **attribution changed** (entity, labelled
//!   entity, or the cluster of an unattributed address — new data can merge clusters) sent or received anything: their
//!   past turnover, depositor and counterparty counts change too;
//! * months whose **prices** changed.
//!
//! Anything the rule cannot bound — a changed or removed input file, a changed config,
//! query set, registry, token list or chainstat version, or rows that left a month no new
//! file touches (a re-dated transfer or block, seen in the canonical layer's counts) —
//! falls back to a full run, and the manifest says why. Yearly tables are recomputed for every year that contains a
//! recomputed month. The test suite checks that incremental equals full recomputation.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use arrow::array::{Date32Array, Int32Array, RecordBatch};
use arrow::datatypes::{DataType, Field, Schema};
use chainstat_engine::{Session, SessionSpec};
use chainstat_io::{InputObject, TableKind, TableSpec};
use chrono::{Datelike, NaiveDate};
use datafusion::prelude::SessionContext;

use crate::error::{JobError, Result};
use crate::inputs::InputSet;
use crate::manifest::{RunManifest, ScopeMode, ScopeRecord};

/// The periods to compute.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    /// First days of the months.
    pub months: BTreeSet<NaiveDate>,
    /// Years.
    pub years: BTreeSet<i32>,
    /// Full or incremental, and why.
    pub record: ScopeRecord,
}

impl Scope {
    fn new(
        months: BTreeSet<NaiveDate>,
        mode: ScopeMode,
        reason: String,
        previous: Option<String>,
    ) -> Scope {
        let years = months.iter().map(|m| m.year()).collect();
        let mut s = Scope {
            months,
            years,
            record: ScopeRecord {
                mode,
                reason,
                previous_run: previous,
                ..Default::default()
            },
        };
        s.record.months = s
            .months
            .iter()
            .map(|m| m.format("%Y-%m").to_string())
            .collect();
        s.record.years = s.years.iter().copied().collect();
        s
    }

    /// Whether a published partition value (`YYYY-MM` or `YYYY`) is recomputed.
    pub fn covers(&self, partition: &str) -> bool {
        if let Ok(y) = partition.parse::<i32>() {
            return self.years.contains(&y);
        }
        self.record.months.iter().any(|m| m == partition)
    }
}

/// The fingerprints that must match for an incremental run.
pub struct Fingerprints<'a> {
    /// Config digest.
    pub config: &'a str,
    /// Query set digest.
    pub queries: &'a str,
}

/// Months present in the data (full run).
pub async fn all_months(ctx: &SessionContext) -> Result<BTreeSet<NaiveDate>> {
    months_of(
        ctx,
        "SELECT DISTINCT CAST(block_time AS DATE) AS d FROM ( \
           SELECT block_time FROM transfers UNION ALL SELECT block_time FROM utxo_inputs \
           UNION ALL SELECT block_time FROM utxo_outputs) WHERE block_time IS NOT NULL",
    )
    .await
}

/// The months of the days `sql` returns (its first column, a date or a timestamp).
///
/// The queries return distinct UTC days and the months are taken here: a `date_trunc` of
/// every row costs several times the cast (docs/performance.md#months-from-utc-days).
async fn months_of(ctx: &SessionContext, sql: &str) -> Result<BTreeSet<NaiveDate>> {
    let batches = ctx.sql(sql).await?.collect().await?;
    let mut out = BTreeSet::new();
    for b in &batches {
        let col = arrow::compute::cast(b.column(0), &DataType::Date32)?;
        let Some(d) = col.as_any().downcast_ref::<Date32Array>() else {
            continue;
        };
        for v in d.iter().flatten() {
            if let Some(month) =
                NaiveDate::from_num_days_from_ce_opt(v + 719_163).and_then(|day| day.with_day(1))
            {
                out.insert(month);
            }
        }
    }
    Ok(out)
}

/// The full scope.
pub async fn full(ctx: &SessionContext, reason: &str) -> Result<Scope> {
    Ok(Scope::new(
        all_months(ctx).await?,
        ScopeMode::Full,
        reason.to_string(),
        None,
    ))
}

/// Decides the scope of an incremental run. `session` is the run's session (clustering
/// and `address_attribution` done); `pm` is the committed run's manifest, whose state is
/// registered as `prev_attribution` / `prev_prices`.
pub async fn incremental(
    session: &Session,
    inputs: &[InputSet],
    pm: &RunManifest,
    now: &Fingerprints<'_>,
) -> Result<Scope> {
    let ctx = &session.ctx;
    if let Some(why) = incompatible(pm, now) {
        return full(ctx, &why).await;
    }
    let new_files = match new_period_files(session, inputs, pm) {
        Ok(files) => files,
        Err(why) => return full(ctx, &why).await,
    };
    let mut months = BTreeSet::new();
    let mut reasons = Vec::new();
    if !new_files.is_empty() {
        let m = months_of_new_files(&session.config, &session.tables, &new_files).await?;
        reasons.push(format!(
            "{} new file(s) touching {} month(s)",
            new_files.values().map(Vec::len).sum::<usize>(),
            m.len()
        ));
        months.extend(m);
    }
    let changed = months_of(ctx, include_str!("sql/attribution_changes.sql")).await?;
    if !changed.is_empty() {
        reasons.push(format!(
            "attribution changes touching {} month(s)",
            changed.len()
        ));
        months.extend(changed);
    }
    let priced = months_of(ctx, include_str!("sql/price_changes.sql")).await?;
    if !priced.is_empty() {
        reasons.push(format!("price changes in {} month(s)", priced.len()));
        months.extend(priced);
    }
    if let Some(why) = moved_rows(ctx, pm, &months).await? {
        return full(ctx, &why).await;
    }
    if reasons.is_empty() {
        reasons.push("no input changed".into());
    }
    Ok(Scope::new(
        months,
        ScopeMode::Incremental,
        reasons.join("; "),
        Some(pm.run_id.clone()),
    ))
}

/// Why the months outside `months` cannot be carried over after all: a canonical
/// table's rows per (chain, month) there differ from what the previous run published.
///
/// New files only add rows to the months of their rows, which are in `months`; a month
/// outside them changes only when rows leave it — a new copy of a known transfer, or a
/// new blocks file, that dates it in another month. Its old month's published rows would
/// then be stale (and the moved row counted twice), so the run is a full one instead.
async fn moved_rows(
    ctx: &SessionContext,
    pm: &RunManifest,
    months: &BTreeSet<NaiveDate>,
) -> Result<Option<String>> {
    let recomputed: BTreeSet<String> = months
        .iter()
        .map(|m| m.format("%Y-%m").to_string())
        .collect();
    for t in crate::canonical::LAYER {
        if !ctx.table_exist(t.view)? {
            continue;
        }
        let Some(published) = pm.tables.get(t.view) else {
            return Ok(Some(format!(
                "run {} published no canonical {} to carry over",
                pm.run_id, t.view
            )));
        };
        let before = crate::canonical::recorded_rows(published);
        let now = crate::canonical::partition_rows(ctx, t.view).await?;
        let keys: BTreeSet<&String> = before.keys().chain(now.keys()).collect();
        let moved: Vec<String> = keys
            .into_iter()
            .filter(|k| {
                let month = k.split_once('/').map_or(k.as_str(), |(_, m)| m);
                !recomputed.contains(month)
            })
            .filter_map(|k| {
                let (b, n) = (
                    before.get(k).copied().unwrap_or(0),
                    now.get(k).copied().unwrap_or(0),
                );
                (b != n).then(|| format!("{k} {b} → {n} rows"))
            })
            .collect();
        if !moved.is_empty() {
            let more = match moved.len() {
                n if n > 5 => format!(" and {} more", n - 5),
                _ => String::new(),
            };
            return Ok(Some(format!(
                "{} rows moved out of months with no new rows (a re-dated transfer or block): {}{more}",
                t.view,
                moved[..moved.len().min(5)].join(", ")
            )));
        }
    }
    Ok(None)
}

/// Why the previous run's results cannot be carried over whatever the inputs: another
/// chainstat version, key scheme, config or query set.
fn incompatible(pm: &RunManifest, now: &Fingerprints<'_>) -> Option<String> {
    let key_scheme = chainstat_chain::key::KEY_SCHEME;
    if pm.chainstat_version != env!("CARGO_PKG_VERSION") {
        Some(format!(
            "previous run {} was made by chainstat {}",
            pm.run_id, pm.chainstat_version
        ))
    } else if pm.key_scheme != key_scheme {
        Some(format!(
            "previous run {} keyed its state with scheme '{}', this build uses '{key_scheme}'",
            pm.run_id, pm.key_scheme
        ))
    } else if pm.table_layout != crate::publish::TABLE_LAYOUT {
        Some(format!(
            "previous run {} published its tables in layout '{}', this build writes '{}'",
            pm.run_id,
            pm.table_layout,
            crate::publish::TABLE_LAYOUT
        ))
    } else if pm.config_fingerprint != now.config {
        Some(format!("config changed since run {}", pm.run_id))
    } else if pm.queries_fingerprint != now.queries {
        Some(format!("queries changed since run {}", pm.run_id))
    } else {
        None
    }
}

/// The input files new since `pm` in tables whose rows are dated (transfers, UTXO
/// inputs and outputs, blocks), by table; `Err(why)` when a change cannot be bounded
/// to periods (a file removed or rewritten, a new file in another table, a new
/// registry), which makes a full run.
fn new_period_files(
    session: &Session,
    inputs: &[InputSet],
    pm: &RunManifest,
) -> std::result::Result<BTreeMap<String, Vec<InputObject>>, String> {
    let key = |s: &InputSet| (s.role.clone(), s.name.clone());
    let before: BTreeMap<_, _> = pm.inputs.iter().map(|s| (key(s), s)).collect();
    let kinds: BTreeMap<&str, TableKind> = session
        .tables
        .iter()
        .map(|t| (t.spec.name.as_str(), t.format.kind()))
        .collect();
    let dated = |name: &str| {
        matches!(
            kinds.get(name),
            Some(
                TableKind::Transfers
                    | TableKind::UtxoInputs
                    | TableKind::UtxoOutputs
                    | TableKind::Blocks
            )
        )
    };
    let mut new_files: BTreeMap<String, Vec<InputObject>> = BTreeMap::new();
    for set in inputs {
        let old = before
            .get(&key(set))
            .map(|s| s.objects.as_slice())
            .unwrap_or(&[]);
        let old_by_url: BTreeMap<&str, &InputObject> =
            old.iter().map(|o| (o.url.as_str(), o)).collect();
        let now_urls: BTreeSet<&str> = set.objects.iter().map(|o| o.url.as_str()).collect();
        if let Some(gone) = old.iter().find(|o| !now_urls.contains(o.url.as_str())) {
            return Err(format!("input {} was removed", gone.url));
        }
        let period_table = set.role == "table" && dated(&set.name);
        for o in &set.objects {
            match old_by_url.get(o.url.as_str()) {
                Some(p) if same_content(p, o) => {}
                // Prices and labels are compared row by row; anything else is unbounded.
                Some(_) if set.role == "prices" || set.role == "labels" => {}
                Some(_) => return Err(format!("input {} changed", o.url)),
                None if set.role == "table" && !period_table => {
                    return Err(format!("new input {} in table {}", o.url, set.name))
                }
                None if set.role == "registry" => {
                    return Err(format!("registry {} changed", o.url))
                }
                None if period_table => new_files
                    .entry(set.name.clone())
                    .or_default()
                    .push(o.clone()),
                None => {}
            }
        }
    }
    Ok(new_files)
}

fn same_content(a: &InputObject, b: &InputObject) -> bool {
    a.size == b.size
        && match (&a.etag, &b.etag) {
            (Some(x), Some(y)) => x == y,
            _ => a.last_modified == b.last_modified,
        }
}

/// Months of the rows in `new_files`: an embedded session over just those files (plus
/// every blocks and tokens table, which give rows their time), so the cost is the new
/// data's, not the history's.
async fn months_of_new_files(
    config: &SessionSpec,
    tables: &[chainstat_io::RegisteredTable],
    new_files: &BTreeMap<String, Vec<InputObject>>,
) -> Result<BTreeSet<NaiveDate>> {
    let mut months = BTreeSet::new();
    // New rows of transfer/UTXO tables, dated through the (complete) blocks tables.
    let mut rows_cfg = SessionSpec {
        tables: Vec::new(),
        labels: Vec::new(),
        ..config.clone()
    };
    let mut blocks_cfg = rows_cfg.clone();
    for t in tables {
        let kind = t.format.kind();
        match (kind, new_files.get(&t.spec.name)) {
            (TableKind::Blocks, Some(files)) => {
                rows_cfg.tables.push(t.spec.clone());
                blocks_cfg.tables.extend(file_specs(&t.spec, files));
            }
            (TableKind::Blocks | TableKind::Tokens, None) => rows_cfg.tables.push(t.spec.clone()),
            (_, Some(files)) => rows_cfg.tables.extend(file_specs(&t.spec, files)),
            _ => {}
        }
    }
    if rows_cfg.tables.iter().any(|s| s.name.contains("__new")) {
        let s = Session::open(rows_cfg, None).await?;
        months.extend(all_months(&s.ctx).await?);
    }
    if !blocks_cfg.tables.is_empty() {
        let s = Session::open(blocks_cfg, None).await?;
        months.extend(
            months_of(
                &s.ctx,
                "SELECT DISTINCT CAST(block_time AS DATE) FROM blocks \
                 WHERE block_time IS NOT NULL",
            )
            .await?,
        );
    }
    Ok(months)
}

fn file_specs(spec: &TableSpec, files: &[InputObject]) -> Vec<TableSpec> {
    files
        .iter()
        .enumerate()
        .map(|(i, f)| TableSpec {
            name: format!("{}__new{i}", spec.name),
            url: f.url.clone(),
            ..spec.clone()
        })
        .collect()
}

/// Registers `scope_months(month DATE)` and `scope_years(year INT)` for the queries.
pub async fn register(ctx: &SessionContext, scope: &Scope, staging: Option<&str>) -> Result<()> {
    let epoch =
        NaiveDate::from_ymd_opt(1970, 1, 1).ok_or_else(|| JobError::Config("epoch".into()))?;
    let months: Vec<i32> = scope
        .months
        .iter()
        .map(|m| (*m - epoch).num_days() as i32)
        .collect();
    let schema = Arc::new(Schema::new(vec![Field::new(
        "month",
        DataType::Date32,
        false,
    )]));
    let batch = RecordBatch::try_new(
        Arc::clone(&schema),
        vec![Arc::new(Date32Array::from(months))],
    )
    .map_err(datafusion::error::DataFusionError::from)?;
    chainstat_io::register_batches(ctx, "scope_months", schema, vec![batch], staging).await?;
    let years: Vec<i32> = scope.years.iter().copied().collect();
    let schema = Arc::new(Schema::new(vec![Field::new(
        "year",
        DataType::Int32,
        false,
    )]));
    let batch = RecordBatch::try_new(Arc::clone(&schema), vec![Arc::new(Int32Array::from(years))])
        .map_err(datafusion::error::DataFusionError::from)?;
    chainstat_io::register_batches(ctx, "scope_years", schema, vec![batch], staging).await?;
    Ok(())
}
