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
//! ([`chainstat_engine::input_strings`] says when that pays). Files run in file-name
//! order.

use std::collections::BTreeMap;
use std::path::Path;

use sha2::{Digest, Sha256};

use chainstat_engine::passes::Pass;

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
        "55_risk_parties.sql",
        include_str!("../../../queries/55_risk_parties.sql"),
    ),
    (
        "56_risk_exposure.sql",
        include_str!("../../../queries/56_risk_exposure.sql"),
    ),
    (
        "57_nested_forwards.sql",
        include_str!("../../../queries/57_nested_forwards.sql"),
    ),
    (
        "58_nested_exchangers.sql",
        include_str!("../../../queries/58_nested_exchangers.sql"),
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
        "61_candidate_internal.sql",
        include_str!("../../../queries/61_candidate_internal.sql"),
    ),
    (
        "61_candidate_members.sql",
        include_str!("../../../queries/61_candidate_members.sql"),
    ),
    (
        "61_candidate_turnover_yearly.sql",
        include_str!("../../../queries/61_candidate_turnover_yearly.sql"),
    ),
    (
        "62_freeze_decoded.sql",
        include_str!("../../../queries/62_freeze_decoded.sql"),
    ),
    (
        "63_freeze_event_rows.sql",
        include_str!("../../../queries/63_freeze_event_rows.sql"),
    ),
    (
        "63_freeze_events.sql",
        include_str!("../../../queries/63_freeze_events.sql"),
    ),
    (
        "64_frozen_transfers.sql",
        include_str!("../../../queries/64_frozen_transfers.sql"),
    ),
    (
        "65_frozen_addresses.sql",
        include_str!("../../../queries/65_frozen_addresses.sql"),
    ),
    (
        "66_freeze_summary.sql",
        include_str!("../../../queries/66_freeze_summary.sql"),
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

/// The built-in templates (`queries/templates/NAME.sql`), which `-- template: NAME`
/// instantiates.
const BUILTIN_TEMPLATES: &[(&str, &str)] = &[(
    "exchange_turnover",
    include_str!("../../../queries/templates/exchange_turnover.sql"),
)];

/// A built-in template's text.
fn builtin_template(name: &str) -> Option<String> {
    BUILTIN_TEMPLATES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, t)| t.to_string())
}

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
    /// `month_YYYY-MM.parquet` by the DATE column `month`.
    Month,
    /// `year_YYYY.parquet` by the INT column `year`.
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

/// The header keys, in the order the docs list them (docs/queries.md).
const HEADER_KEYS: &[&str] = &[
    "publish",
    "stage",
    "view",
    "partition",
    "set",
    "strings",
    "template",
    "param",
];

/// The key of a comment line that has the form of a header line (`-- word: value`):
/// the word when it is an identifier directly followed by a colon, else `None` (prose).
fn header_key(comment: &str) -> Option<&str> {
    let c = comment.trim_start();
    let end = c
        .find(|ch: char| !(ch.is_ascii_alphanumeric() || ch == '_'))
        .unwrap_or(c.len());
    (end > 0 && c[end..].trim_start().starts_with(':')).then(|| &c[..end])
}

/// Parses one query file's header, with the built-in templates.
pub fn parse(file: &str, text: &str) -> Result<Query> {
    parse_with(file, text, &builtin_template)
}

/// Parses one query file's header; `templates` gives a template's text by name.
pub fn parse_with(
    file: &str,
    text: &str,
    templates: &dyn Fn(&str) -> Option<String>,
) -> Result<Query> {
    let bad = |m: String| JobError::Config(format!("query {file}: {m}"));
    let header = Header::read(file, text)?;
    let (kind, name) = header.kind.clone().ok_or_else(|| {
        bad(
            "the header must name it: `-- publish: NAME`, `-- stage: NAME` or `-- view: NAME`"
                .into(),
        )
    })?;
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(bad(format!("'{name}' is not a plain table name")));
    }
    header.check(kind).map_err(bad)?;
    let sql = match &header.template {
        Some(t) => instantiate(file, text, t, &header.params, templates)?,
        None if !header.params.is_empty() => {
            return Err(bad("`-- param:` needs a `-- template:`".into()))
        }
        None => text.to_string(),
    };
    let sliced = sql.contains(&format!("${{{SLICE}"));
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
        partition: header.partition.unwrap_or(Partition::None),
        settings: header.settings,
        sql,
        sliced,
        string_views: header.string_views,
    })
}

/// What a query file's header lines say, as read.
#[derive(Default)]
struct Header {
    kind: Option<(QueryKind, String)>,
    partition: Option<Partition>,
    settings: Vec<(String, String)>,
    string_views: bool,
    template: Option<String>,
    params: Vec<(String, String)>,
    seen: Vec<String>,
}

impl Header {
    /// Reads the leading comment block of `text`. Prose comments are free; a line of the
    /// form `-- word: …` is a header line and its key must be known (a typo such as
    /// `partiton` must not publish unpartitioned).
    fn read(file: &str, text: &str) -> Result<Header> {
        let mut header = Header::default();
        for (i, line) in text.lines().enumerate() {
            let Some(comment) = line.trim().strip_prefix("--") else {
                if line.trim().is_empty() {
                    continue;
                }
                break;
            };
            let Some(key) = header_key(comment) else {
                continue;
            };
            let value = comment
                .split_once(':')
                .map(|(_, v)| v.trim())
                .unwrap_or_default();
            header
                .line(key, value)
                .map_err(|m| JobError::Config(format!("query {file}: line {}: {m}", i + 1)))?;
        }
        Ok(header)
    }

    /// Takes one `-- key: value` line.
    fn line(&mut self, key: &str, value: &str) -> std::result::Result<(), String> {
        if !HEADER_KEYS.contains(&key) {
            let lower = key.to_ascii_lowercase();
            return match key.chars().any(|c| c.is_ascii_uppercase()) {
                true if HEADER_KEYS.contains(&lower.as_str()) => {
                    Err(format!("header keys are lowercase: `{key}`"))
                }
                // Prose that starts with a capitalised word and a colon.
                true => Ok(()),
                false => Err(format!(
                    "unknown header key '{key}' (known: {})",
                    HEADER_KEYS.join(", ")
                )),
            };
        }
        if !["set", "param"].contains(&key) && self.seen.iter().any(|k| k == key) {
            return Err(format!("`-- {key}:` appears twice"));
        }
        self.seen.push(key.to_string());
        let pair = |what: &str| {
            value
                .split_once('=')
                .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
                .ok_or_else(|| format!("`-- {key}: {value}`: expected `{what} = value`"))
        };
        match key {
            "publish" | "stage" | "view" if self.kind.is_some() => {
                return Err(
                    "a file defines one table: only one of `publish`, `stage`, `view`".into(),
                )
            }
            "publish" => self.kind = Some((QueryKind::Publish, value.to_string())),
            "stage" => self.kind = Some((QueryKind::Stage, value.to_string())),
            "view" => self.kind = Some((QueryKind::View, value.to_string())),
            "set" => {
                let (k, v) = pair("key")?;
                let k = chainstat_engine::session::option_key(&k);
                chainstat_engine::session::check_option(&k, &v)
                    .map_err(|e| format!("`-- set: {value}`: {e}"))?;
                self.settings.push((k, v));
            }
            "template" => self.template = Some(value.to_string()),
            "param" => {
                let (k, v) = pair("name")?;
                if self.params.iter().any(|(p, _)| *p == k) {
                    return Err(format!("parameter `{k}` is set twice"));
                }
                self.params.push((k, v));
            }
            "strings" => {
                self.string_views = match value {
                    "views" => true,
                    "plain" => false,
                    other => return Err(format!("strings must be views or plain, got '{other}'")),
                }
            }
            "partition" => {
                self.partition = Some(match value {
                    "none" => Partition::None,
                    "month" => Partition::Month,
                    "year" => Partition::Year,
                    other => {
                        return Err(format!(
                            "partition must be month, year or none, got '{other}'"
                        ))
                    }
                })
            }
            _ => return Err(format!("unhandled header key '{key}'")),
        }
        Ok(())
    }

    /// The combinations that make no sense for a query of `kind`.
    fn check(&self, kind: QueryKind) -> std::result::Result<(), String> {
        let partitioned = self.partition.is_some_and(|p| p != Partition::None);
        if kind != QueryKind::Publish && partitioned {
            return Err("only published tables are partitioned".into());
        }
        if kind == QueryKind::View && !self.settings.is_empty() {
            return Err(
                "a view is planned into its readers: `-- set:` only applies to stage \
                        and publish queries"
                    .into(),
            );
        }
        if self.string_views && kind != QueryKind::Stage {
            return Err(
                "`-- strings: views` only applies to stage queries: their strings are \
                        written plain, never published as views"
                    .into(),
            );
        }
        Ok(())
    }
}

/// The text of a `-- template:` query: its own header, then the template with the
/// file's `-- param:` values in place of their `${name}` placeholders (the job's
/// parameters are filled in later, by [`render`]). The file holds no SQL of its own, and
/// every parameter it sets must be used.
fn instantiate(
    file: &str,
    text: &str,
    name: &str,
    params: &[(String, String)],
    templates: &dyn Fn(&str) -> Option<String>,
) -> Result<String> {
    let bad = |m: String| JobError::Config(format!("query {file}: {m}"));
    let own_sql = text
        .lines()
        .map(str::trim)
        .any(|l| !l.is_empty() && !l.starts_with("--"));
    if own_sql {
        return Err(bad(format!(
            "a query made from template '{name}' holds no SQL of its own"
        )));
    }
    let mut body = templates(name).ok_or_else(|| bad(format!("no template '{name}'")))?;
    for (k, v) in params {
        let placeholder = format!("${{{k}}}");
        if !body.contains(&placeholder) {
            return Err(bad(format!("template '{name}' has no parameter `{k}`")));
        }
        body = body.replace(&placeholder, v);
    }
    Ok(format!("{text}\n{body}"))
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
    // `templates/NAME.sql` next to the queries, else the built-in one of that name.
    let templates = |name: &str| {
        std::fs::read_to_string(dir.join("templates").join(format!("{name}.sql")))
            .ok()
            .or_else(|| builtin_template(name))
    };
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
            parse_with(&name, &text, &templates)
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
    chainstat_chain::hex::encode(&h.finalize())
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
        let sql = |v: &[Query]| v.iter().map(|q| q.sql.clone()).collect::<Vec<_>>();
        assert_eq!(
            sql(&on_disk),
            sql(&built),
            "templates/ and BUILTIN_TEMPLATES"
        );
    }

    /// Turnover per day, month and year is one definition: the three files hold only
    /// their parameters, and what they produce differs only where the period does.
    #[test]
    fn turnover_is_one_template_for_three_periods() {
        let all = builtin().unwrap();
        let turnover: Vec<&Query> = all
            .iter()
            .filter(|q| q.name.starts_with("exchange_turnover_"))
            .collect();
        assert_eq!(turnover.len(), 3);
        for q in &turnover {
            assert!(q
                .sql
                .contains("sum(CASE WHEN direction = 'in' THEN amount END)"));
            assert!(!q.sql.contains("${period}") && !q.sql.contains("${in_scope}"));
        }
        let period = |q: &Query| {
            ["day", "month", "year"].into_iter().find(|p| {
                q.sql
                    .contains(&format!("GROUP BY {p}, entity, chain, asset"))
            })
        };
        let found: Vec<_> = turnover.iter().map(|q| period(q)).collect();
        assert_eq!(found, vec![Some("day"), Some("month"), Some("year")]);
        assert!(turnover[2]
            .sql
            .contains("year IN (SELECT year FROM scope_years)"));
    }

    #[test]
    fn templates_are_checked() {
        let templates = |name: &str| (name == "t").then(|| "SELECT ${a} FROM ${b}".to_string());
        let q = parse_with(
            "q.sql",
            "-- publish: q\n-- template: t\n-- param: a = x, y\n",
            &templates,
        )
        .unwrap();
        assert!(q.sql.ends_with("SELECT x, y FROM ${b}"), "{}", q.sql);
        let err = |text: &str| {
            parse_with("q.sql", text, &templates)
                .unwrap_err()
                .to_string()
        };
        assert!(err("-- publish: q\n-- template: u\n").contains("no template 'u'"));
        assert!(err("-- publish: q\n-- template: t\n-- param: c = 1\n")
            .contains("template 't' has no parameter `c`"));
        assert!(err("-- publish: q\n-- template: t\nSELECT 1\n").contains("no SQL of its own"));
        assert!(err("-- publish: q\n-- param: a = 1\nSELECT 1").contains("needs a `-- template:`"));
        assert!(
            err("-- publish: q\n-- template: t\n-- param: a = 1\n-- param: a = 2\n")
                .contains("`a` is set twice")
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

    /// A misspelled or repeated header key is an error naming the file and line; prose
    /// comments (capitalised, or with words before the colon) are not header lines.
    #[test]
    fn header_keys_are_strict() {
        let err = |text: &str| parse("q.sql", text).unwrap_err().to_string();
        let e = err("-- publish: t\n-- partiton: month\nSELECT 1");
        assert!(
            e.contains("query q.sql: line 2: unknown header key 'partiton'"),
            "{e}"
        );
        let e = err("-- publish: t\n-- Partition: month\nSELECT 1");
        assert!(e.contains("line 2: header keys are lowercase"), "{e}");
        let e = err("-- publish: t\n-- partition: month\n-- partition: year\nSELECT 1");
        assert!(e.contains("line 3: `-- partition:` appears twice"), "{e}");
        let e = err("-- publish: t\n-- stage: u\nSELECT 1");
        assert!(e.contains("line 2: a file defines one table"), "{e}");
        let e = err("-- stage: s\n-- strings: view\nSELECT 1");
        assert!(e.contains("line 2: strings must be views or plain"), "{e}");
        let q = parse(
            "p.sql",
            "-- publish: t\n-- partition: month\n-- Columns: a, b\n-- the USD value: x\nSELECT 1",
        )
        .unwrap();
        assert_eq!(q.partition, Partition::Month);
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
