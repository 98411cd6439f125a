//! The interactive prompt of `chainstat sql` (no `-c`, `-f` or piped input): statements
//! end with `;`, backslash commands inspect the session, Ctrl-C cancels the running query
//! (not the session), history persists, Tab completes. Reference: docs/queries.md#the-prompt.

use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::Result;
use chainstat_engine::Session;
use rustyline::completion::{Completer, Pair};
use rustyline::error::ReadlineError;
use rustyline::highlight::Highlighter;
use rustyline::hint::Hinter;
use rustyline::history::DefaultHistory;
use rustyline::validate::Validator;
use rustyline::{Editor, Helper};

use crate::cli::OutputFormat;
use crate::run_sql::{self, print_stream};

/// Rows a result shows by default (`\pset limit N` changes it; 0 shows all).
const DEFAULT_LIMIT: usize = 40;

const HELP: &str = "\
statements end with ';' and may span lines; Ctrl-C cancels a running query (or clears the line)
  \\q                 quit (also Ctrl-D)
  \\?                 this help
  \\d                 list tables: raw, canonical views, published
  \\dt                the same
  \\d NAME            columns and types of a table or view
  \\df [PATTERN]      functions (name contains PATTERN), with signature and description
  \\timing [on|off]   print each statement's time
  \\format FORMAT     table, csv or json
  \\pset limit N      rows a table shows (0: all)
Tab completes keywords, tables, columns and functions. History: ";

/// What the backslash commands set.
struct Settings {
    format: OutputFormat,
    limit: usize,
    timing: bool,
}

/// Runs the prompt until `\q` or end of input.
pub async fn run(session: &Session, format: OutputFormat, allow_writes: bool) -> Result<()> {
    let policy = session.config.engine.sql_policy(allow_writes);
    let mut rl: Editor<Completion, DefaultHistory> = Editor::new()?;
    rl.set_helper(Some(Completion::of(session).await));
    let history = history_path();
    if let Some(h) = &history {
        // No file yet on first use.
        let _ = rl.load_history(h);
    }
    let mut settings = Settings {
        format,
        limit: DEFAULT_LIMIT,
        timing: false,
    };
    eprintln!("chainstat SQL: end statements with ';'. \\? for help, \\q to quit.");
    let mut buf = String::new();
    loop {
        let prompt = if buf.is_empty() {
            "chainstat> "
        } else {
            "       ..> "
        };
        let line = match rl.readline(prompt) {
            Ok(line) => line,
            Err(ReadlineError::Interrupted) => {
                buf.clear();
                continue;
            }
            Err(ReadlineError::Eof) => return Ok(()),
            Err(e) => return Err(e.into()),
        };
        let t = line.trim();
        if buf.is_empty() && t.starts_with('\\') {
            if t != "\\q" {
                remember(&mut rl, t, history.as_ref());
            }
            match backslash(session, t, &mut settings).await {
                Ok(Flow::Quit) => return Ok(()),
                Ok(Flow::Continue) => {}
                Err(e) => eprintln!("error: {}", crate::error_text(&e)),
            }
            continue;
        }
        if buf.is_empty() && matches!(t, "quit" | "exit") {
            return Ok(());
        }
        buf.push_str(&line);
        buf.push('\n');
        if !t.ends_with(';') {
            continue;
        }
        remember(&mut rl, buf.trim(), history.as_ref());
        for sql in run_sql::split_statements(&buf) {
            let started = Instant::now();
            let statement = async {
                let df = chainstat_engine::guard::plan(&session.ctx, &sql, &policy).await?;
                print_stream(df, settings.format, settings.limit).await
            };
            // Dropping the statement's future stops its plan: DataFusion cancels by drop.
            let outcome = tokio::select! {
                r = statement => Some(r),
                _ = tokio::signal::ctrl_c() => None,
            };
            let elapsed = started.elapsed().as_secs_f64();
            match outcome {
                None => {
                    eprintln!("query cancelled after {elapsed:.1} s");
                    break;
                }
                Some(Err(e)) => {
                    eprintln!("error: {}", crate::error_text(&e));
                    break;
                }
                Some(Ok(printed)) => footer(&settings, printed, elapsed)?,
            }
        }
        buf.clear();
    }
}

/// "N rows (M shown)" under a table, and the time when `\timing` is on.
fn footer(settings: &Settings, printed: run_sql::Printed, seconds: f64) -> Result<()> {
    let mut parts = Vec::new();
    if settings.format == OutputFormat::Table {
        let rows = match printed.rows {
            1 => "1 row".to_string(),
            n => format!("{n} rows"),
        };
        parts.push(if printed.shown < printed.rows {
            format!("{rows} ({} shown; \\pset limit 0 shows all)", printed.shown)
        } else {
            rows
        });
    }
    if settings.timing {
        parts.push(format!("{seconds:.3} s"));
    }
    if !parts.is_empty() {
        writeln!(std::io::stdout().lock(), "{}", parts.join(", "))?;
    }
    Ok(())
}

fn remember(rl: &mut Editor<Completion, DefaultHistory>, entry: &str, file: Option<&PathBuf>) {
    let _ = rl.add_history_entry(entry);
    if let Some(f) = file {
        static WARNED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
        if let Err(e) = rl.append_history(f) {
            if !WARNED.swap(true, std::sync::atomic::Ordering::Relaxed) {
                eprintln!("warning: history not saved to {}: {e}", f.display());
            }
        }
    }
}

/// `CHAINSTAT_HISTORY`, else `$XDG_DATA_HOME/chainstat/history`, else
/// `~/.local/share/chainstat/history`; its folder is created.
pub fn history_path() -> Option<PathBuf> {
    let var = |name| std::env::var_os(name).filter(|v| !v.is_empty());
    let path = match var("CHAINSTAT_HISTORY") {
        Some(p) => PathBuf::from(p),
        None => var("XDG_DATA_HOME")
            .map(PathBuf::from)
            .or_else(|| var("HOME").map(|h| PathBuf::from(h).join(".local/share")))?
            .join("chainstat/history"),
    };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).ok()?;
    }
    Some(path)
}

enum Flow {
    Continue,
    Quit,
}

async fn backslash(session: &Session, line: &str, settings: &mut Settings) -> Result<Flow> {
    let mut words = line.split_whitespace();
    let command = words.next().unwrap_or_default();
    let args: Vec<&str> = words.collect();
    match (command, args.as_slice()) {
        ("\\q", []) => return Ok(Flow::Quit),
        ("\\?" | "\\h" | "\\help", []) => {
            let file = history_path().map_or("off".into(), |p| p.display().to_string());
            println!("{HELP}{file}");
        }
        ("\\d" | "\\dt", []) => run_sql::print_tables(session).await?,
        ("\\d", [name]) => run_sql::describe(session, name).await?,
        ("\\df", pattern) => {
            let pattern = pattern.first().copied();
            crate::functions::print(&session.ctx.state(), pattern, pattern.is_some())?
        }
        ("\\timing", []) => settings.timing = !settings.timing,
        ("\\timing", ["on"]) => settings.timing = true,
        ("\\timing", ["off"]) => settings.timing = false,
        ("\\format", [f]) => {
            settings.format = match *f {
                "table" => OutputFormat::Table,
                "csv" => OutputFormat::Csv,
                "json" => OutputFormat::Json,
                other => anyhow::bail!("unknown format '{other}': table, csv or json"),
            }
        }
        ("\\pset", ["limit", n]) => {
            settings.limit = n
                .parse()
                .map_err(|_| anyhow::anyhow!("\\pset limit takes a number of rows (0: all)"))?
        }
        _ => anyhow::bail!("unknown command '{line}': \\? lists the commands"),
    }
    if command == "\\timing" {
        println!("timing {}", if settings.timing { "on" } else { "off" });
    }
    Ok(Flow::Continue)
}

/// SQL words the prompt completes besides the session's names.
const KEYWORDS: &[&str] = &[
    "SELECT",
    "FROM",
    "WHERE",
    "GROUP",
    "BY",
    "ORDER",
    "HAVING",
    "LIMIT",
    "OFFSET",
    "JOIN",
    "LEFT",
    "RIGHT",
    "INNER",
    "OUTER",
    "FULL",
    "CROSS",
    "ON",
    "USING",
    "AS",
    "AND",
    "OR",
    "NOT",
    "NULL",
    "IS",
    "IN",
    "EXISTS",
    "BETWEEN",
    "LIKE",
    "ILIKE",
    "CASE",
    "WHEN",
    "THEN",
    "ELSE",
    "END",
    "DISTINCT",
    "UNION",
    "ALL",
    "EXCEPT",
    "INTERSECT",
    "WITH",
    "CAST",
    "TRY_CAST",
    "ASC",
    "DESC",
    "NULLS",
    "FIRST",
    "LAST",
    "EXPLAIN",
    "ANALYZE",
    "DESCRIBE",
    "SHOW",
    "TABLES",
    "COLUMNS",
    "OVER",
    "PARTITION",
    "ROWS",
    "RANGE",
    "INTERVAL",
    "DATE",
    "TIMESTAMP",
    "DECIMAL",
    "VARCHAR",
    "BIGINT",
    "INT",
    "DOUBLE",
    "BOOLEAN",
    "TRUE",
    "FALSE",
    "VALUES",
    "CREATE",
    "VIEW",
    "REPLACE",
    "FILTER",
    "QUALIFY",
];

/// Tab completion over keywords, tables, columns and functions, read once at start.
struct Completion {
    /// Sorted, deduplicated.
    words: Vec<String>,
}

impl Completion {
    async fn of(session: &Session) -> Completion {
        let mut words: Vec<String> = KEYWORDS.iter().map(|k| k.to_string()).collect();
        for name in run_sql::table_names(session) {
            if let Ok(provider) = session.ctx.table_provider(name.as_str()).await {
                words.extend(provider.schema().fields().iter().map(|f| f.name().clone()));
            }
            words.push(name);
        }
        let state = session.ctx.state();
        words.extend(state.scalar_functions().keys().cloned());
        words.extend(state.aggregate_functions().keys().cloned());
        words.extend(state.window_functions().keys().cloned());
        words.sort();
        words.dedup();
        Completion { words }
    }

    /// Candidates for the word that ends at `pos`: its start and the completions.
    fn candidates(&self, line: &str, pos: usize) -> (usize, Vec<Pair>) {
        let head = &line[..pos];
        let start = head
            .rfind(|c: char| !(c.is_alphanumeric() || c == '_'))
            .map_or(0, |i| {
                i + head[i..].chars().next().map_or(1, char::len_utf8)
            });
        let prefix = &head[start..];
        if prefix.is_empty() {
            return (start, Vec::new());
        }
        let lower = prefix.to_lowercase();
        let upper_case = prefix.chars().all(|c| !c.is_lowercase());
        let pairs = self
            .words
            .iter()
            .filter(|w| w.to_lowercase().starts_with(&lower) && w.as_str() != prefix)
            .map(|w| {
                // Keywords follow the case being typed; names keep their own.
                let replacement = if KEYWORDS.contains(&w.as_str()) && !upper_case {
                    w.to_lowercase()
                } else {
                    w.clone()
                };
                Pair {
                    display: w.clone(),
                    replacement,
                }
            })
            .collect();
        (start, pairs)
    }
}

impl Completer for Completion {
    type Candidate = Pair;

    fn complete(
        &self,
        line: &str,
        pos: usize,
        _: &rustyline::Context<'_>,
    ) -> rustyline::Result<(usize, Vec<Pair>)> {
        Ok(self.candidates(line, pos))
    }
}

impl Hinter for Completion {
    type Hint = String;
}
impl Highlighter for Completion {}
impl Validator for Completion {}
impl Helper for Completion {}

#[cfg(test)]
mod tests {
    use super::*;

    fn completion(words: &[&str]) -> Completion {
        let mut words: Vec<String> = words.iter().map(|w| w.to_string()).collect();
        words.sort();
        Completion { words }
    }

    fn replacements(c: &Completion, line: &str) -> (usize, Vec<String>) {
        let (start, pairs) = c.candidates(line, line.len());
        (start, pairs.into_iter().map(|p| p.replacement).collect())
    }

    #[test]
    fn completes_the_word_under_the_cursor_in_the_case_typed() {
        let c = completion(&["SELECT", "SET", "transfers", "token_amount", "to_address"]);
        assert_eq!(replacements(&c, "sel"), (0, vec!["select".to_string()]));
        assert_eq!(replacements(&c, "SEL"), (0, vec!["SELECT".to_string()]));
        assert_eq!(
            replacements(&c, "SELECT * FROM tr"),
            (14, vec!["transfers".to_string()])
        );
        assert_eq!(
            replacements(&c, "SELECT to"),
            (
                7,
                vec!["to_address".to_string(), "token_amount".to_string()]
            )
        );
        assert_eq!(replacements(&c, "SELECT "), (7, Vec::<String>::new()));
        assert_eq!(
            replacements(&c, "\\d tr"),
            (3, vec!["transfers".to_string()])
        );
    }
}
