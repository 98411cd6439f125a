//! `chainstat functions` and the prompt's `\df`: chainstat's functions with signature,
//! return type and description (`chainstat_functions::docs`), and DataFusion's built-ins
//! from their own documentation.

use std::io::Write;

use anyhow::Result;
use datafusion::execution::SessionState;
use datafusion::prelude::SessionContext;

/// Prints the functions whose name contains `pattern` (all chainstat functions without
/// one; DataFusion's built-ins too when `builtins`).
pub fn print(state: &SessionState, pattern: Option<&str>, builtins: bool) -> Result<()> {
    let matches = |name: &str| pattern.is_none_or(|p| name.contains(&p.to_lowercase()));
    let mut out = std::io::stdout().lock();
    let mut shown = 0;
    for f in chainstat_functions::docs::FUNCTIONS {
        if matches(f.name) {
            writeln!(out, "{} → {}\n    {}", f.signature, f.returns, f.summary)?;
            shown += 1;
        }
    }
    if builtins {
        let mut rows: Vec<(String, String, &str)> = Vec::new();
        let mut add =
            |name: &String, doc: Option<&datafusion::logical_expr::Documentation>, kind| {
                if matches(name) && chainstat_functions::docs::of(name).is_none() {
                    let (syntax, text) = doc.map_or((format!("{name}(…)"), String::new()), |d| {
                        (
                            d.syntax_example.clone(),
                            d.description.lines().next().unwrap_or_default().to_string(),
                        )
                    });
                    rows.push((syntax, text, kind));
                }
            };
        for (name, f) in state.scalar_functions() {
            add(name, f.documentation(), "scalar");
        }
        for (name, f) in state.aggregate_functions() {
            add(name, f.documentation(), "aggregate");
        }
        for (name, f) in state.window_functions() {
            add(name, f.documentation(), "window");
        }
        rows.sort();
        rows.dedup();
        for (syntax, text, kind) in &rows {
            writeln!(out, "{syntax}  [DataFusion {kind}]\n    {text}")?;
        }
        shown += rows.len();
    }
    if shown == 0 {
        writeln!(
            out,
            "no function name contains '{}'",
            pattern.unwrap_or_default()
        )?;
    }
    Ok(())
}

/// `chainstat functions`: a session of its own, with chainstat's functions registered.
pub fn command(pattern: Option<&str>, all: bool, markdown: bool) -> Result<()> {
    if markdown {
        print!("{}", chainstat_functions::docs::markdown_table());
        return Ok(());
    }
    let mut ctx = SessionContext::new();
    chainstat_functions::register_all(&mut ctx)?;
    print(&ctx.state(), pattern, all || pattern.is_some())
}
