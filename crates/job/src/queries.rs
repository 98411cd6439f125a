//! The SQL that defines every table of the job, from `queries/NN_name.sql` (compiled
//! into the binary; `[job] queries = "dir"` replaces the set). Each file starts with a
//! header saying what the query is:
//!
//! ```sql
//! -- publish: exchange_turnover_daily   -- a summary table (written to the output)
//! -- partition: month                   -- month | year | none
//! -- stage: flows                       -- an intermediate table (Parquet in the work dir)
//! -- view: registry                     -- a view (planned into its readers)
//! -- set: optimizer.join_reordering = false  -- a DataFusion setting for this query only
//! -- strings: views                     -- read the inputs' strings as views (see below)
//! ```
//!
//! and may use `${name}` placeholders for job parameters (threshold, top N, …), and
//! `${if:flag:text}` for text that only a run with the boolean parameter `flag` needs
//! (`keys_collide`: the string comparisons behind address-key joins). A stage
//! query whose rows each derive from one key (`flows`: one transaction) may mark its
//! scans with `${slice:expr}`: under a memory limit the job runs it in passes, each
//! over the rows whose `expr` hashes into that pass (`true` in a single pass), and the
//! staged table is their union. `-- strings: views` has a stage query read the inputs
//! (`transfers`, `utxo_inputs`, `utxo_outputs`) with Arrow string views when memory is
//! unbounded, for queries that stream them through joins
//! ([`chainstat_cluster::input_strings`] says when that pays). Files run in file-name
//! order.

use std::collections::BTreeMap;
use std::path::Path;

use sha2::{Digest, Sha256};

use chainstat_cluster::passes::Pass;

use crate::error::{JobError, Result};

/// The built-in queries, in run order.
const BUILTIN: &[(&str, &str)] = &[
    (
        "10_registry.sql",
        include_str!("../../../queries/10_registry.sql"),
    ),
    (
        "11_prices.sql",
        include_str!("../../../queries/11_prices.sql"),
    ),
    (
        "12_input_rejects.sql",
        include_str!("../../../queries/12_input_rejects.sql"),
    ),
    (
        "13_registry.sql",
        include_str!("../../../queries/13_registry.sql"),
    ),
    (
        "20_address_attribution.sql",
        include_str!("../../../queries/20_address_attribution.sql"),
    ),
    (
        "21_entities.sql",
        include_str!("../../../queries/21_entities.sql"),
    ),
    (
        "30_flows.sql",
        include_str!("../../../queries/30_flows.sql"),
    ),
    (
        "40_exchange_turnover_daily.sql",
        include_str!("../../../queries/40_exchange_turnover_daily.sql"),
    ),
    (
        "41_exchange_turnover_monthly.sql",
        include_str!("../../../queries/41_exchange_turnover_monthly.sql"),
    ),
    (
        "42_exchange_turnover_yearly.sql",
        include_str!("../../../queries/42_exchange_turnover_yearly.sql"),
    ),
    (
        "50_entity_counterparties.sql",
        include_str!("../../../queries/50_entity_counterparties.sql"),
    ),
    (
        "59_candidate_deposits.sql",
        include_str!("../../../queries/59_candidate_deposits.sql"),
    ),
    (
        "60_exchange_candidates.sql",
        include_str!("../../../queries/60_exchange_candidates.sql"),
    ),
    (
        "70_enforcement_summary.sql",
        include_str!("../../../queries/70_enforcement_summary.sql"),
    ),
    (
        "79_coverage_days.sql",
        include_str!("../../../queries/79_coverage_days.sql"),
    ),
    (
        "80_coverage.sql",
        include_str!("../../../queries/80_coverage.sql"),
    ),
    (
        "90_rejects_summary.sql",
        include_str!("../../../queries/90_rejects_summary.sql"),
    ),
];

/// What a query produces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueryKind {
    /// `CREATE VIEW`.
    View,
    /// Materialised as Parquet in the work dir and registered.
    Stage,
    /// A published summary table.
    Publish,
}

/// How a published table is split into folders.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Partition {
    /// One folder.
    None,
    /// `month=YYYY-MM/` by the DATE column `month`.
    Month,
    /// `year=YYYY/` by the INT column `year`.
    Year,
}

impl Partition {
    /// The column the partition is taken from.
    pub fn column(self) -> Option<&'static str> {
        match self {
            Partition::None => None,
            Partition::Month => Some("month"),
            Partition::Year => Some("year"),
        }
    }

    /// Name used in manifests.
    pub fn name(self) -> &'static str {
        match self {
            Partition::None => "none",
            Partition::Month => "month",
            Partition::Year => "year",
        }
    }
}

/// One query file.
#[derive(Debug, Clone)]
pub struct Query {
    /// File name (`40_exchange_turnover_daily.sql`).
    pub file: String,
    /// Table or view name.
    pub name: String,
    /// What it produces.
    pub kind: QueryKind,
    /// Folder layout (published tables).
    pub partition: Partition,
    /// DataFusion settings for this query only (`-- set: key = value`; full keys,
    /// `datafusion.` added when missing), e.g. to keep the join order as written.
    pub settings: Vec<(String, String)>,
    /// The SQL as written (placeholders not yet replaced).
    pub sql: String,
    /// It marks slices (`${slice:expr}`) and can run in passes.
    pub sliced: bool,
    /// It reads the inputs' strings as views (`-- strings: views`; a stage query only).
    pub string_views: bool,
}

const SLICE: &str = "slice:";
const IF: &str = "if:";

/// Parses one query file's header.
pub fn parse(file: &str, text: &str) -> Result<Query> {
    let bad = |m: String| JobError::Config(format!("query {file}: {m}"));
    let mut kind = None;
    let mut partition = None;
    let mut settings = Vec::new();
    let mut string_views = false;
    for line in text.lines() {
        let Some(comment) = line.trim().strip_prefix("--") else {
            if line.trim().is_empty() {
                continue;
            }
            break;
        };
        let Some((key, value)) = comment.split_once(':') else {
            continue;
        };
        let value = value.trim();
        match key.trim() {
            "publish" => kind = Some((QueryKind::Publish, value.to_string())),
            "stage" => kind = Some((QueryKind::Stage, value.to_string())),
            "view" => kind = Some((QueryKind::View, value.to_string())),
            "set" => {
                let (k, v) = value
                    .split_once('=')
                    .ok_or_else(|| bad(format!("`-- set: {value}`: expected `key = value`")))?;
                let (k, v) = (chainstat_engine::session::option_key(k.trim()), v.trim());
                chainstat_engine::session::check_option(&k, v)
                    .map_err(|e| bad(format!("`-- set: {value}`: {e}")))?;
                settings.push((k, v.to_string()));
            }
            "strings" => {
                string_views = match value {
                    "views" => true,
                    "plain" => false,
                    other => {
                        return Err(bad(format!(
                            "strings must be views or plain, got '{other}'"
                        )))
                    }
                }
            }
            "partition" => {
                partition = Some(match value {
                    "none" => Partition::None,
                    "month" => Partition::Month,
                    "year" => Partition::Year,
                    other => {
                        return Err(bad(format!(
                            "partition must be month, year or none, got '{other}'"
                        )))
                    }
                })
            }
            _ => {}
        }
    }
    let (kind, name) = kind.ok_or_else(|| {
        bad(
            "the header must name it: `-- publish: NAME`, `-- stage: NAME` or `-- view: NAME`"
                .into(),
        )
    })?;
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(bad(format!("'{name}' is not a plain table name")));
    }
    let partition = partition.unwrap_or(Partition::None);
    if kind != QueryKind::Publish && partition != Partition::None {
        return Err(bad("only published tables are partitioned".into()));
    }
    if kind == QueryKind::View && !settings.is_empty() {
        return Err(bad(
            "a view is planned into its readers: `-- set:` only applies to stage and publish queries"
                .into(),
        ));
    }
    if string_views && kind != QueryKind::Stage {
        return Err(bad(
            "`-- strings: views` only applies to stage queries: their strings are written \
             plain, never published as views"
                .into(),
        ));
    }
    let sliced = text.contains(&format!("${{{SLICE}"));
    if sliced && kind != QueryKind::Stage {
        return Err(bad(
            "`${slice:…}` runs a query in passes whose rows are unioned: only stage queries can"
                .into(),
        ));
    }
    Ok(Query {
        file: file.to_string(),
        name,
        kind,
        partition,
        settings,
        sql: text.to_string(),
        sliced,
        string_views,
    })
}

/// The built-in set.
pub fn builtin() -> Result<Vec<Query>> {
    BUILTIN.iter().map(|(f, t)| parse(f, t)).collect()
}

/// The `*.sql` files of a local folder, in name order.
pub fn from_dir(dir: &Path) -> Result<Vec<Query>> {
    let read = |p: &Path, e: std::io::Error| JobError::Config(format!("{}: {e}", p.display()));
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .map_err(|e| read(dir, e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "sql"))
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(JobError::Config(format!(
            "{}: no .sql files",
            dir.display()
        )));
    }
    files
        .iter()
        .map(|p| {
            let text = std::fs::read_to_string(p).map_err(|e| read(p, e))?;
            let name = p
                .file_name()
                .map(|n| n.to_string_lossy().to_string())
                .unwrap_or_default();
            parse(&name, &text)
        })
        .collect()
}

/// Replaces `${name}` placeholders; an unknown name is a config error (a typo must not
/// become silently different SQL). `${slice:expr}` becomes `true` (one pass).
pub fn render(q: &Query, params: &BTreeMap<String, String>) -> Result<String> {
    Ok(slice(&render_params(q, params)?, None))
}

/// [`render`] except that `${slice:expr}` placeholders stay, for [`slice`] to fill in
/// once per pass (that step cannot fail: every other placeholder is checked here).
pub fn render_params(q: &Query, params: &BTreeMap<String, String>) -> Result<String> {
    let mut out = String::with_capacity(q.sql.len());
    let mut rest = q.sql.as_str();
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after.find('}').ok_or_else(|| {
            JobError::Config(format!("query {}: unclosed ${{ placeholder", q.file))
        })?;
        let name = &after[..end];
        if name.starts_with(SLICE) {
            out.push_str(&rest[start..start + 2 + end + 1]);
        } else if let Some(cond) = name.strip_prefix(IF) {
            out.push_str(conditional(q, params, cond)?);
        } else {
            let value = params.get(name).ok_or_else(|| {
                JobError::Config(format!(
                    "query {}: unknown placeholder ${{{name}}} (known: {})",
                    q.file,
                    params.keys().cloned().collect::<Vec<_>>().join(", ")
                ))
            })?;
            out.push_str(value);
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// `${if:flag:text}`: `text` when the parameter `flag` is `true`, nothing when it is
/// `false` (e.g. the string comparisons an address join needs only when address keys
/// collide). `text` cannot contain `}`.
fn conditional<'a>(q: &Query, params: &BTreeMap<String, String>, cond: &'a str) -> Result<&'a str> {
    let bad = |m: String| JobError::Config(format!("query {}: ${{{IF}{cond}}}: {m}", q.file));
    let (flag, text) = cond
        .split_once(':')
        .ok_or_else(|| bad("expected `${if:flag:text}`".into()))?;
    match params.get(flag.trim()).map(String::as_str) {
        Some("true") => Ok(text),
        Some("false") => Ok(""),
        Some(other) => Err(bad(format!("`{flag}` is `{other}`, not true or false"))),
        None => Err(bad(format!("unknown flag `{flag}`"))),
    }
}

/// `sql` (from [`render_params`]) for one pass: each `${slice:expr}` becomes a
/// predicate that holds for the rows whose `expr` falls in this pass (by `key_hash`,
/// the same 64-bit hash in every process, so the passes partition the rows), or
/// `true` for all rows (`None`).
pub fn slice(sql: &str, pass: Option<Pass>) -> String {
    let open = format!("${{{SLICE}");
    let mut out = String::with_capacity(sql.len());
    let mut rest = sql;
    while let Some(start) = rest.find(&open) {
        let after = &rest[start + open.len()..];
        let Some(end) = after.find('}') else { break };
        out.push_str(&rest[..start]);
        match pass {
            Some(p) => out.push_str(&p.predicate(after[..end].trim())),
            None => out.push_str("true"),
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out
}

/// A digest of the query set: a run whose queries differ from the previous run's
/// cannot reuse its partitions.
pub fn fingerprint(queries: &[Query]) -> String {
    let mut h = Sha256::new();
    for q in queries {
        h.update(q.file.as_bytes());
        h.update([0]);
        h.update(q.sql.as_bytes());
        h.update([0]);
    }
    chainstat_functions::chain::hex::encode(&h.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_set_matches_the_folder() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../queries");
        let on_disk = from_dir(&dir).unwrap();
        let built = builtin().unwrap();
        let names = |v: &[Query]| v.iter().map(|q| q.file.clone()).collect::<Vec<_>>();
        assert_eq!(
            names(&on_disk),
            names(&built),
            "add new query files to BUILTIN"
        );
    }

    #[test]
    fn slices_render_per_pass_and_only_stage_queries_have_them() {
        let q = parse(
            "f.sql",
            "-- stage: f\nSELECT * FROM t WHERE ${slice:t.tx_hash} AND x > ${a}",
        )
        .unwrap();
        assert!(q.sliced);
        let p = BTreeMap::from([("a".to_string(), "1".to_string())]);
        let last = |s: String| s.lines().last().unwrap().to_string();
        assert_eq!(
            last(render(&q, &p).unwrap()),
            "SELECT * FROM t WHERE true AND x > 1"
        );
        assert_eq!(
            last(slice(
                &render_params(&q, &p).unwrap(),
                Some(Pass { index: 2, of: 5 })
            )),
            "SELECT * FROM t WHERE (abs(key_hash(t.tx_hash) % 5) = 2) AND x > 1"
        );
        assert!(!parse("g.sql", "-- stage: g\nSELECT 1").unwrap().sliced);
        let e = parse("h.sql", "-- publish: h\nSELECT 1 WHERE ${slice:a}").unwrap_err();
        assert!(e.to_string().contains("only stage queries"), "{e}");
    }

    #[test]
    fn headers_and_placeholders() {
        let q = parse(
            "x.sql",
            "-- publish: t\n-- partition: year\nSELECT ${a} AS v",
        )
        .unwrap();
        assert_eq!(q.kind, QueryKind::Publish);
        assert_eq!(q.partition, Partition::Year);
        let mut p = BTreeMap::new();
        p.insert("a".to_string(), "42".to_string());
        assert_eq!(
            render(&q, &p).unwrap().lines().last().unwrap(),
            "SELECT 42 AS v"
        );
        let e = render(&parse("y.sql", "-- view: v\nSELECT ${b}").unwrap(), &p).unwrap_err();
        assert!(e.to_string().contains("${b}"), "{e}");
        assert!(parse("z.sql", "SELECT 1").is_err());
        assert!(parse("z.sql", "-- view: v\n-- partition: month\nSELECT 1").is_err());
        let q = parse(
            "s.sql",
            "-- stage: s\n-- set: optimizer.join_reordering = false\nSELECT 1",
        )
        .unwrap();
        assert_eq!(
            q.settings,
            vec![(
                "datafusion.optimizer.join_reordering".to_string(),
                "false".to_string()
            )]
        );
        assert!(parse(
            "s.sql",
            "-- stage: s\n-- set: optimizer.no_such = 1\nSELECT 1"
        )
        .is_err());
        assert!(parse(
            "s.sql",
            "-- stage: s\n-- set: optimizer.join_reordering\nSELECT 1"
        )
        .is_err());
        assert!(parse(
            "v.sql",
            "-- view: v\n-- set: optimizer.join_reordering = false\nSELECT 1"
        )
        .is_err());
    }

    #[test]
    fn conditional_text_renders_only_when_its_flag_is_true() {
        let q = parse(
            "c.sql",
            "-- view: c\nSELECT 1 ON a = b${if:f: AND x = y} -- end",
        )
        .unwrap();
        let mut p = BTreeMap::new();
        p.insert("f".to_string(), "true".to_string());
        assert!(render(&q, &p)
            .unwrap()
            .ends_with("ON a = b AND x = y -- end"));
        p.insert("f".to_string(), "false".to_string());
        assert!(render(&q, &p).unwrap().ends_with("ON a = b -- end"));
        p.insert("f".to_string(), "maybe".to_string());
        let e = render(&q, &p).unwrap_err();
        assert!(e.to_string().contains("not true or false"), "{e}");
        let e = render(&q, &BTreeMap::new()).unwrap_err();
        assert!(e.to_string().contains("unknown flag `f`"), "{e}");
        let q = parse("d.sql", "-- view: d\nSELECT ${if:f}").unwrap();
        assert!(render(&q, &p).is_err());
    }

    #[test]
    fn strings_views_is_a_stage_query_option() {
        let q = parse("s.sql", "-- stage: s\n-- strings: views\nSELECT 1").unwrap();
        assert!(q.string_views);
        assert!(
            !parse("s.sql", "-- stage: s\nSELECT 1")
                .unwrap()
                .string_views
        );
        let plain = parse("s.sql", "-- stage: s\n-- strings: plain\nSELECT 1").unwrap();
        assert!(!plain.string_views);
        let e = parse("s.sql", "-- stage: s\n-- strings: fast\nSELECT 1").unwrap_err();
        assert!(e.to_string().contains("views or plain"), "{e}");
        for head in ["-- publish: p", "-- view: v"] {
            let e = parse("p.sql", &format!("{head}\n-- strings: views\nSELECT 1")).unwrap_err();
            assert!(
                e.to_string().contains("only applies to stage queries"),
                "{e}"
            );
        }
    }
}
