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
            return interactive(session, args.format, args.allow_writes).await;
        }
    }
    if args.format == OutputFormat::Parquet && args.output.is_none() {
        bail!("--format parquet needs -o PATH_OR_URL");
    }
    let policy = session.config.engine.sql_policy(args.allow_writes);
    let last = statements.len().saturating_sub(1);
    for (i, sql) in statements.iter().enumerate() {
        let df = chainstat_engine::guard::plan(&session.ctx, sql, &policy)
            .await
            .with_context(|| format!("in statement: {}", short(sql)))?;
        match (&args.output, i == last) {
            (Some(out), true) => write_output(df, out, args.format).await?,
            _ => print_stream(df, args.format).await?,
        }
    }
    Ok(())
}

/// Rows a table printed to the terminal shows; the rest are counted, not held in memory.
const TABLE_ROWS: usize = 10_000;

/// Prints a result as it streams: CSV and JSON batch by batch, a table from its first
/// [`TABLE_ROWS`] rows (the rest are counted and named). Holding the whole result would
/// put it outside the memory pool.
async fn print_stream(df: DataFrame, format: OutputFormat) -> Result<()> {
    use futures::StreamExt;
    let mut stream = df.execute_stream().await?;
    let stdout = std::io::stdout();
    match format {
        OutputFormat::Table | OutputFormat::Parquet => {
            let mut kept = Vec::new();
            let (mut shown, mut more) = (0usize, 0usize);
            while let Some(batch) = stream.next().await {
                let batch = batch?;
                let room = TABLE_ROWS - shown;
                if batch.num_rows() <= room {
                    shown += batch.num_rows();
                    kept.push(batch);
                } else {
                    if room > 0 {
                        kept.push(batch.slice(0, room));
                    }
                    shown += room;
                    more += batch.num_rows() - room;
                }
            }
            print_batches(&kept, format)?;
            if more > 0 {
                let note = format!(
                    "{more} more row(s) not shown ({} in all): use --format csv, or -o FILE",
                    shown + more
                );
                writeln!(stdout.lock(), "… {note}")?;
                eprintln!("note: {note}");
            }
        }
        OutputFormat::Csv => {
            let mut out = stdout.lock();
            let mut w = arrow::csv::WriterBuilder::new()
                .with_header(true)
                .build(&mut out);
            let mut any = false;
            while let Some(batch) = stream.next().await {
                w.write(&batch?)?;
                any = true;
            }
            if !any {
                // The header alone, for an empty result.
                let empty = RecordBatch::new_empty(stream.schema());
                w.write(&empty)?;
            }
        }
        OutputFormat::Json => {
            let mut out = stdout.lock();
            let mut w = arrow::json::LineDelimitedWriter::new(&mut out);
            while let Some(batch) = stream.next().await {
                w.write(&batch?)?;
            }
            w.finish()?;
        }
    }
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
        OutputFormat::Parquet | OutputFormat::Table => {
            df.write_parquet(out, opts, None).await?;
        }
    }
    eprintln!("wrote {out}");
    Ok(())
}

/// Prints batches in `format` to stdout.
pub fn print_batches(batches: &[RecordBatch], format: OutputFormat) -> Result<()> {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match format {
        OutputFormat::Table | OutputFormat::Parquet => {
            if batches.iter().all(|b| b.num_rows() == 0) && batches.is_empty() {
                writeln!(out, "0 rows")?;
            } else {
                writeln!(
                    out,
                    "{}",
                    arrow::util::pretty::pretty_format_batches(batches)?
                )?;
            }
        }
        OutputFormat::Csv => {
            let mut w = arrow::csv::WriterBuilder::new()
                .with_header(true)
                .build(&mut out);
            for b in batches {
                w.write(b)?;
            }
        }
        OutputFormat::Json => {
            let mut w = arrow::json::LineDelimitedWriter::new(&mut out);
            for b in batches {
                w.write(b)?;
            }
            w.finish()?;
        }
    }
    Ok(())
}

async fn interactive(session: &Session, format: OutputFormat, allow_writes: bool) -> Result<()> {
    let policy = session.config.engine.sql_policy(allow_writes);
    let mut rl = rustyline::DefaultEditor::new()?;
    let mut buf = String::new();
    eprintln!("chainstat SQL: end statements with ';', \\q to quit, `\\d` lists tables.");
    loop {
        let prompt = if buf.is_empty() {
            "chainstat> "
        } else {
            "       ..> "
        };
        match rl.readline(prompt) {
            Ok(line) => {
                let t = line.trim();
                if buf.is_empty() && (t == "\\q" || t == "quit" || t == "exit") {
                    return Ok(());
                }
                if buf.is_empty() && t == "\\d" {
                    print_tables(session).await?;
                    continue;
                }
                buf.push_str(&line);
                buf.push('\n');
                if t.ends_with(';') {
                    let _ = rl.add_history_entry(buf.trim());
                    for sql in split_statements(&buf) {
                        match chainstat_engine::guard::plan(&session.ctx, &sql, &policy).await {
                            Ok(df) => {
                                if let Err(e) = print_stream(df, format).await {
                                    eprintln!("error: {e:#}");
                                }
                            }
                            Err(e) => eprintln!("error: {e}"),
                        }
                    }
                    buf.clear();
                }
            }
            Err(rustyline::error::ReadlineError::Interrupted) => buf.clear(),
            Err(_) => return Ok(()),
        }
    }
}

/// `chainstat tables`.
pub async fn print_tables(session: &Session) -> Result<()> {
    println!(
        "{:<24} {:<18} {:<9} {:<8} {:>6} {:>12}  location",
        "table", "format", "chain", "type", "files", "bytes"
    );
    for t in &session.tables {
        println!(
            "{:<24} {:<18} {:<9} {:<8} {:>6} {:>12}  {}",
            t.spec.name,
            t.format.name(),
            t.chain,
            format!("{:?}", t.file_type).to_lowercase(),
            t.files,
            t.bytes,
            t.spec.url
        );
    }
    println!();
    println!("views: {}", chainstat_engine::views::VIEWS.join(", "));
    Ok(())
}

/// `chainstat describe NAME`.
pub async fn describe(session: &Session, name: &str) -> Result<()> {
    if let Some(t) = session.tables.iter().find(|t| t.spec.name == name) {
        println!(
            "table {name}: format {} (feeds `{}`), chain {}, {} {:?} file(s), {} bytes at {}",
            t.format.name(),
            t.format.kind().view(),
            t.chain,
            t.files,
            t.file_type,
            t.bytes,
            t.spec.url
        );
    } else if chainstat_engine::views::VIEWS.contains(&name) {
        println!("view {name}: canonical view over the registered tables");
    }
    let df = session
        .ctx
        .table(name)
        .await
        .with_context(|| format!("no table or view named '{name}'"))?;
    for f in df.schema().fields() {
        println!(
            "  {:<22} {:<32} {}",
            f.name(),
            f.data_type().to_string(),
            if f.is_nullable() { "NULL" } else { "NOT NULL" }
        );
    }
    Ok(())
}
