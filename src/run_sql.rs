//! `chainstat sql`, `tables` and `describe`: running statements, printing or writing
//! results, and the interactive prompt.

use std::io::{IsTerminal, Write};

use anyhow::{bail, Context, Result};
use arrow::record_batch::RecordBatch;
use chainstat_engine::Session;
use datafusion::dataframe::DataFrameWriteOptions;
use datafusion::prelude::DataFrame;

use crate::cli::{OutputFormat, SqlArgs};

/// Splits a script into statements on `;` outside quotes.
pub fn split_statements(sql: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quote: Option<char> = None;
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == '\'' || c == '"' => quote = Some(c),
            None if c == '-' && chars.peek() == Some(&'-') => {
                // Line comment: skip to end of line.
                for n in chars.by_ref() {
                    if n == '\n' {
                        break;
                    }
                }
                cur.push('\n');
                continue;
            }
            None if c == ';' => {
                if !cur.trim().is_empty() {
                    out.push(cur.trim().to_string());
                }
                cur.clear();
                continue;
            }
            None => {}
        }
        cur.push(c);
    }
    if !cur.trim().is_empty() {
        out.push(cur.trim().to_string());
    }
    out
}

/// Runs `chainstat sql`.
pub async fn run(session: &Session, args: &SqlArgs) -> Result<()> {
    let mut statements = Vec::new();
    for c in &args.commands {
        statements.extend(split_statements(c));
    }
    for f in &args.files {
        let text = std::fs::read_to_string(f).with_context(|| format!("{}", f.display()))?;
        statements.extend(split_statements(&text));
    }
    if statements.is_empty() {
        if !std::io::stdin().is_terminal() {
            let mut text = String::new();
            std::io::Read::read_to_string(&mut std::io::stdin(), &mut text)?;
            statements.extend(split_statements(&text));
        } else {
            let format = args.format.unwrap_or(OutputFormat::Table);
            return crate::prompt::run(session, format, args.allow_writes).await;
        }
    }
    if args.format == Some(OutputFormat::Parquet) && args.output.is_none() {
        bail!("--format parquet needs -o PATH_OR_URL");
    }
    let policy = session.config.engine.sql_policy(args.allow_writes);
    let last = statements.len().saturating_sub(1);
    for (i, sql) in statements.iter().enumerate() {
        let df = chainstat_engine::guard::plan(&session.ctx, sql, &policy)
            .await
            .with_context(|| format!("in statement: {}", short(sql)))?;
        match (&args.output, i == last) {
            (Some(out), true) => write_output(df, out, output_format(out, args.format)?).await?,
            _ => {
                let format = args.format.unwrap_or(OutputFormat::Table);
                let printed = print_stream(df, format, TABLE_ROWS).await?;
                if printed.rows > printed.shown {
                    let note = format!(
                        "{} more row(s) not shown ({} in all): use --format csv, or -o FILE",
                        printed.rows - printed.shown,
                        printed.rows
                    );
                    writeln!(std::io::stdout().lock(), "… {note}")?;
                    eprintln!("note: {note}");
                }
            }
        }
    }
    Ok(())
}

/// Rows a table printed by `-c`/`-f` shows; the rest are counted, not held in memory.
const TABLE_ROWS: usize = 10_000;

/// What a printed result held.
#[derive(Debug, Clone, Copy, Default)]
pub struct Printed {
    /// Rows in the result.
    pub rows: usize,
    /// Rows printed (a table shows at most its limit).
    pub shown: usize,
}

/// Prints a result as it streams: CSV and JSON batch by batch, a table from its first
/// `limit` rows (0: all; the rest are counted). Holding the whole result would put it
/// outside the memory pool.
pub async fn print_stream(df: DataFrame, format: OutputFormat, limit: usize) -> Result<Printed> {
    use futures::StreamExt;
    let mut stream = df.execute_stream().await?;
    let stdout = std::io::stdout();
    let mut printed = Printed::default();
    match format {
        OutputFormat::Table | OutputFormat::Parquet => {
            let limit = if limit == 0 { usize::MAX } else { limit };
            let mut kept = Vec::new();
            while let Some(batch) = stream.next().await {
                let batch = batch?;
                let room = limit - printed.shown;
                let take = batch.num_rows().min(room);
                if take > 0 {
                    kept.push(batch.slice(0, take));
                }
                printed.shown += take;
                printed.rows += batch.num_rows();
            }
            let schema = stream.schema();
            print_table(&kept, &schema)?;
        }
        OutputFormat::Csv => {
            let mut out = stdout.lock();
            let mut w = arrow::csv::WriterBuilder::new()
                .with_header(true)
                .build(&mut out);
            let mut any = false;
            while let Some(batch) = stream.next().await {
                let batch = batch?;
                printed.rows += batch.num_rows();
                w.write(&batch)?;
                any = true;
            }
            if !any {
                // The header alone, for an empty result.
                let empty = RecordBatch::new_empty(stream.schema());
                w.write(&empty)?;
            }
            printed.shown = printed.rows;
        }
        OutputFormat::Json => {
            let mut out = stdout.lock();
            let mut w = arrow::json::LineDelimitedWriter::new(&mut out);
            while let Some(batch) = stream.next().await {
                let batch = batch?;
                printed.rows += batch.num_rows();
                w.write(&batch)?;
            }
            w.finish()?;
            printed.shown = printed.rows;
        }
    }
    Ok(printed)
}

/// An aligned text table with NULL spelled out (a blank would read as an empty string).
fn print_table(batches: &[RecordBatch], schema: &arrow::datatypes::SchemaRef) -> Result<()> {
    let options = arrow::util::display::FormatOptions::default().with_null("NULL");
    let table = if batches.is_empty() {
        arrow::util::pretty::pretty_format_batches_with_schema(std::sync::Arc::clone(schema), &[])?
            .to_string()
    } else {
        arrow::util::pretty::pretty_format_batches_with_options(batches, &options)?.to_string()
    };
    writeln!(std::io::stdout().lock(), "{table}")?;
    Ok(())
}

fn short(sql: &str) -> String {
    let one: String = sql.split_whitespace().collect::<Vec<_>>().join(" ");
    if one.len() > 120 {
        format!(
            "{}…",
            &one[..one
                .char_indices()
                .nth(117)
                .map(|(i, _)| i)
                .unwrap_or(one.len())]
        )
    } else {
        one
    }
}

async fn write_output(df: DataFrame, out: &str, format: OutputFormat) -> Result<()> {
    let opts = DataFrameWriteOptions::new().with_single_file_output(!out.ends_with('/'));
    match format {
        OutputFormat::Csv => {
            df.write_csv(out, opts, None).await?;
        }
        OutputFormat::Json => {
            df.write_json(out, opts, None).await?;
        }
        OutputFormat::Parquet => {
            df.write_parquet(out, opts, None).await?;
        }
        OutputFormat::Table => {
            bail!("a table is for the terminal: write {out} with --format csv, json or parquet")
        }
    }
    eprintln!("wrote {out}");
    Ok(())
}

/// The format `-o PATH` is written in: the one its extension names (`.csv`, `.json` /
/// `.ndjson` / `.jsonl`, `.parquet`), which an explicit `--format` must agree with; a
/// path without one needs `--format`.
pub fn output_format(out: &str, explicit: Option<OutputFormat>) -> Result<OutputFormat> {
    let name = out.rsplit('/').next().unwrap_or(out).to_ascii_lowercase();
    let by_extension = match name.rsplit_once('.').map(|(_, e)| e) {
        Some("csv") => Some(OutputFormat::Csv),
        Some("json" | "ndjson" | "jsonl") => Some(OutputFormat::Json),
        Some("parquet" | "pq") => Some(OutputFormat::Parquet),
        _ => None,
    };
    match (explicit, by_extension) {
        (Some(OutputFormat::Table), _) => {
            bail!("--format table is for the terminal; write {out} as csv, json or parquet")
        }
        (Some(f), Some(e)) if f != e => bail!(
            "-o {out} names a {} file but --format is {}: change one of them",
            e.name(),
            f.name()
        ),
        (Some(f), _) | (None, Some(f)) => Ok(f),
        (None, None) => bail!(
            "cannot tell which format to write {out} in: give --format csv|json|parquet, or a \
             name ending in .csv, .json or .parquet"
        ),
    }
}

/// `chainstat tables` and the prompt's `\d`: raw tables, canonical views, and the other
/// tables registered (a published run's, with `--published`).
pub async fn print_tables(session: &Session) -> Result<()> {
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "{:<24} {:<18} {:<9} {:<8} {:>6} {:>12}  location",
        "table", "format", "chain", "type", "files", "bytes"
    )?;
    for t in &session.tables {
        writeln!(
            out,
            "{:<24} {:<18} {:<9} {:<8} {:>6} {:>12}  {}",
            t.spec.name,
            t.format.name(),
            t.chain,
            format!("{:?}", t.file_type).to_lowercase(),
            t.files,
            t.bytes,
            t.spec.url
        )?;
    }
    writeln!(out)?;
    writeln!(out, "views: {}", chainstat_engine::views::VIEWS.join(", "))?;
    let published = other_tables(session);
    if !published.is_empty() {
        writeln!(out, "published: {}", published.join(", "))?;
    }
    Ok(())
}

/// Registered tables that are neither raw inputs nor canonical views (a published run's).
pub fn other_tables(session: &Session) -> Vec<String> {
    let mut names: Vec<String> = table_names(session)
        .into_iter()
        .filter(|n| {
            !session.tables.iter().any(|t| &t.spec.name == n)
                && !chainstat_engine::views::VIEWS.contains(&n.as_str())
        })
        .collect();
    names.sort();
    names
}

/// Every table and view of the default schema.
pub fn table_names(session: &Session) -> Vec<String> {
    let ctx = &session.ctx;
    let state = ctx.state();
    let defaults = &state.config().options().catalog;
    ctx.catalog(&defaults.default_catalog)
        .and_then(|c| c.schema(&defaults.default_schema))
        .map(|s| s.table_names())
        .unwrap_or_default()
}

/// `chainstat describe NAME` and the prompt's `\d NAME`.
pub async fn describe(session: &Session, name: &str) -> Result<()> {
    let mut out = std::io::stdout().lock();
    if let Some(t) = session.tables.iter().find(|t| t.spec.name == name) {
        writeln!(
            out,
            "table {name}: format {} (feeds `{}`), chain {}, {} {:?} file(s), {} bytes at {}",
            t.format.name(),
            t.format.kind().view(),
            t.chain,
            t.files,
            t.file_type,
            t.bytes,
            t.spec.url
        )?;
    } else if chainstat_engine::views::VIEWS.contains(&name) {
        writeln!(
            out,
            "view {name}: canonical view over the registered tables"
        )?;
    } else {
        writeln!(out, "table {name}")?;
    }
    let df = session
        .ctx
        .table(name)
        .await
        .with_context(|| format!("no table or view named '{name}'"))?;
    writeln!(
        out,
        "  {:<26} {:<34} {:<9} arrow type",
        "column", "type", "null"
    )?;
    for f in df.schema().fields() {
        writeln!(
            out,
            "  {:<26} {:<34} {:<9} {}",
            f.name(),
            sql_type(f.data_type()),
            if f.is_nullable() { "NULL" } else { "NOT NULL" },
            f.data_type()
        )?;
    }
    Ok(())
}

/// The SQL name of an Arrow type, as a CAST would spell it.
pub fn sql_type(t: &arrow::datatypes::DataType) -> String {
    use arrow::datatypes::DataType as D;
    match t {
        D::Utf8 | D::Utf8View | D::LargeUtf8 => "VARCHAR".into(),
        D::Boolean => "BOOLEAN".into(),
        D::Int8 => "TINYINT".into(),
        D::Int16 => "SMALLINT".into(),
        D::Int32 => "INT".into(),
        D::Int64 => "BIGINT".into(),
        D::UInt8 => "TINYINT UNSIGNED".into(),
        D::UInt16 => "SMALLINT UNSIGNED".into(),
        D::UInt32 => "INT UNSIGNED".into(),
        D::UInt64 => "BIGINT UNSIGNED".into(),
        D::Float16 | D::Float32 => "REAL".into(),
        D::Float64 => "DOUBLE".into(),
        D::Decimal128(p, s) | D::Decimal256(p, s) => format!("DECIMAL({p}, {s})"),
        D::Date32 | D::Date64 => "DATE".into(),
        D::Timestamp(_, Some(tz)) => format!("TIMESTAMP WITH TIME ZONE ({tz})"),
        D::Timestamp(_, None) => "TIMESTAMP".into(),
        D::Binary | D::BinaryView | D::LargeBinary | D::FixedSizeBinary(_) => "BYTEA".into(),
        D::List(f) | D::LargeList(f) | D::ListView(f) => format!("{}[]", sql_type(f.data_type())),
        D::Dictionary(_, v) => sql_type(v),
        other => other.to_string(),
    }
}
