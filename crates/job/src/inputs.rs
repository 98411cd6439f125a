//! The job's reference inputs besides transfers and labels: the licence registry and
//! daily USD prices (CSV, read as text and validated in SQL: `queries/1x_*.sql`), and
//! the inventory of every input object (size, ETag, mtime) for the run manifest and for
//! deciding what an incremental run must recompute.

use crate::config::{ChainstatConfig, JobParams};
use chainstat_io::{InputObject, TableSpec};
use datafusion::prelude::SessionContext;
use futures::TryStreamExt;
use serde::{Deserialize, Serialize};

use crate::error::{JobError, Result};

/// A reference CSV: its raw table, the view the queries read, and its columns
/// (required ones first).
struct Reference {
    raw: &'static str,
    view: &'static str,
    required: &'static [&'static str],
    optional: &'static [&'static str],
}

const REGISTRY: Reference = Reference {
    raw: "registry_file",
    view: "registry_raw",
    required: &["entity", "licensed", "jurisdiction"],
    optional: &["name", "licence_id"],
};

const PRICES: Reference = Reference {
    raw: "prices_file",
    view: "prices_raw",
    required: &["date", "chain", "asset", "price_usd"],
    optional: &["symbol"],
};

/// One input of the run as the manifest records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InputSet {
    /// `table`, `labels`, `registry` or `prices`.
    pub role: String,
    /// Table name, or the configured URL for labels/registry/prices.
    pub name: String,
    /// The objects read.
    pub objects: Vec<InputObject>,
}

/// Registers `registry_raw` and `prices_raw` (all text): from `[job] registry` /
/// `[job] prices`, or empty when not configured. Returns their inventory.
pub async fn register_reference(
    ctx: &SessionContext,
    job: &JobParams,
    staging: Option<&str>,
) -> Result<Vec<InputSet>> {
    let mut sets = Vec::new();
    for (r, url, role) in [
        (&REGISTRY, &job.registry, "registry"),
        (&PRICES, &job.prices, "prices"),
    ] {
        let columns: Vec<&str> = r.required.iter().chain(r.optional).copied().collect();
        let Some(url) = url else {
            let empty: Vec<String> = columns
                .iter()
                .map(|c| format!("CAST(NULL AS VARCHAR) AS {c}"))
                .collect();
            create_view(
                ctx,
                r.view,
                &format!("SELECT {} WHERE false", empty.join(", ")),
            )
            .await?;
            continue;
        };
        let spec = TableSpec {
            name: r.raw.to_string(),
            url: url.clone(),
            format: Some("raw".into()),
            chain: None,
            file_type: Some("csv".into()),
        };
        let t = chainstat_io::register(ctx, &spec, staging).await?;
        let has = |c: &str| t.schema.field_with_name(c).is_ok();
        let missing: Vec<&str> = r.required.iter().copied().filter(|c| !has(c)).collect();
        // Strict both ways: a misspelled optional column would silently read as empty.
        let unknown: Vec<&str> = t
            .schema
            .fields()
            .iter()
            .map(|f| f.name().as_str())
            .filter(|n| !columns.contains(n))
            .collect();
        if !missing.is_empty() || !unknown.is_empty() {
            let mut problems = Vec::new();
            if !missing.is_empty() {
                problems.push(format!("missing column(s) {}", missing.join(",")));
            }
            if !unknown.is_empty() {
                problems.push(format!("unknown column(s) {}", unknown.join(",")));
            }
            return Err(JobError::Config(format!(
                "{role} {url}: {}; the columns are {}[,{}]",
                problems.join(", "),
                r.required.join(","),
                r.optional.join(",")
            )));
        }
        let select: Vec<String> = columns
            .iter()
            .map(|c| {
                if has(c) {
                    format!("CAST(\"{c}\" AS VARCHAR) AS {c}")
                } else {
                    format!("CAST(NULL AS VARCHAR) AS {c}")
                }
            })
            .collect();
        create_view(
            ctx,
            r.view,
            &format!("SELECT {} FROM {}", select.join(", "), r.raw),
        )
        .await?;
        sets.push(InputSet {
            role: role.to_string(),
            name: url.clone(),
            objects: t.objects.clone(),
        });
    }
    Ok(sets)
}

async fn create_view(ctx: &SessionContext, name: &str, sql: &str) -> Result<()> {
    ctx.sql(&format!("CREATE OR REPLACE VIEW {name} AS {sql}"))
        .await?
        .collect()
        .await?;
    Ok(())
}

/// The objects behind a URL (a file, a folder or a glob), sorted.
pub async fn list_objects(ctx: &SessionContext, url: &str) -> Result<Vec<InputObject>> {
    let parsed = chainstat_io::location::parse("input", url)?;
    let store = ctx
        .runtime_env()
        .object_store(parsed.object_store())
        .map_err(|e| JobError::publish(url, e))?;
    let state = ctx.state();
    let metas: Vec<_> = parsed
        .list_all_files(&state, store.as_ref(), "")
        .await
        .map_err(|e| JobError::publish(url, e))?
        .try_collect()
        .await
        .map_err(|e| JobError::publish(url, e))?;
    let mut out: Vec<InputObject> = metas
        .iter()
        .map(|m| InputObject::from_meta(&parsed, m))
        .collect();
    out.sort_by(|a, b| a.url.cmp(&b.url));
    Ok(out)
}

/// The inventory of every configured input: tables (as registered), labels files and the
/// reference CSVs (`reference`, from [`register_reference`]).
pub async fn inventory(
    ctx: &SessionContext,
    config: &ChainstatConfig,
    tables: &[chainstat_io::RegisteredTable],
    reference: Vec<InputSet>,
) -> Result<Vec<InputSet>> {
    let mut sets: Vec<InputSet> = tables
        .iter()
        .map(|t| InputSet {
            role: "table".into(),
            name: t.spec.name.clone(),
            objects: t.objects.clone(),
        })
        .collect();
    for l in &config.labels {
        sets.push(InputSet {
            role: "labels".into(),
            name: l.url.clone(),
            objects: list_objects(ctx, &l.url).await?,
        });
    }
    sets.extend(reference);
    Ok(sets)
}
