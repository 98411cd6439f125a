//! `chainstat run`, `chainstat report` and `chainstat gen`.

use anyhow::{Context, Result};
use chainstat_job::{publish, report, RunOptions};
use datafusion::prelude::{SessionConfig, SessionContext};

use crate::cli::{GenArgs, ReportArgs, RunArgs};

/// Runs the nightly job and prints where the results went.
pub async fn run(args: RunArgs) -> Result<()> {
    let cfg = crate::load_config(&args.input)?;
    let out = args
        .out
        .clone()
        .or_else(|| cfg.job.out.clone())
        .unwrap_or_else(|| "out".to_string());
    let opts = RunOptions {
        out,
        cluster: args.input.cluster.clone(),
        incremental: args.incremental,
        no_report: args.no_report,
        keep_work: args.keep_work,
        quiet: args.quiet,
        accept_change: args.accept_change,
    };
    let s = chainstat_job::run(cfg, &opts).await?;
    let m = &s.manifest;
    println!(
        "run {} committed ({}; {})",
        m.run_id, m.scope.mode, m.scope.reason
    );
    for (name, t) in &m.tables {
        println!(
            "  {name:<28} {:>9} rows  {:>3} file(s)",
            t.rows,
            t.files.len()
        );
    }
    let rejected: u64 = m.rejects.iter().map(|r| r.rows).sum();
    if rejected > 0 {
        println!("  {rejected} input row(s) rejected or left out: see rejects_summary");
    }
    println!("tables:   {}/", s.run_url);
    println!("manifest: {}/manifest.json", s.run_url);
    for r in &m.reports {
        println!("report:   {}/{r}", s.run_url);
    }
    println!("pointer:  {}{}", s.root_url, publish::POINTER);
    Ok(())
}

/// Renders the report of a committed run.
pub async fn report_cmd(args: ReportArgs) -> Result<()> {
    // Only the object-store settings matter here (the sample has none).
    let cfg = match std::env::var_os("CHAINSTAT_CONFIG").map(std::path::PathBuf::from) {
        Some(p) => chainstat_job::ChainstatConfig::load(&p)?,
        None if std::path::Path::new("chainstat.toml").exists() => {
            chainstat_job::ChainstatConfig::load(std::path::Path::new("chainstat.toml"))?
        }
        None => chainstat_job::ChainstatConfig::default(),
    };
    let state = chainstat_engine::session::chainstat_state(
        SessionConfig::new().with_information_schema(true),
        chainstat_engine::session::object_stores(&cfg.storage),
        false,
    )?;
    let ctx = SessionContext::new_with_state(state);
    let manifest = publish::register_published(&ctx, &args.out).await?;
    let threshold = args.threshold_usd.unwrap_or_else(|| {
        manifest
            .config
            .pointer("/job/threshold_usd")
            .and_then(|v| v.as_f64())
            .unwrap_or(1_000_000.0)
    });
    let meta = report::load::Meta::of_run(&manifest, threshold);
    let data = report::load::build(&ctx, &meta, args.year)
        .await?
        .context("the published run has no yearly turnover: nothing to report")?;
    std::fs::create_dir_all(&args.to).with_context(|| format!("creating {}", args.to.display()))?;
    for (ext, body) in [
        ("html", report::render_html(&data)),
        ("md", report::render_markdown(&data)),
    ] {
        let path = args.to.join(format!("report-{}.{ext}", data.year));
        std::fs::write(&path, body).with_context(|| format!("writing {}", path.display()))?;
        println!("{}", path.display());
    }
    Ok(())
}

/// Generates a synthetic economy.
pub fn gen(args: GenArgs) -> Result<()> {
    let start = chrono::NaiveDate::parse_from_str(&args.start, "%Y-%m-%d").map_err(|e| {
        chainstat_engine::EngineError::Config(format!("--start {}: {e}", args.start))
    })?;
    let mut chains = std::collections::BTreeSet::new();
    for c in &args.chains {
        match c.trim().to_ascii_lowercase().as_str() {
            name @ ("ethereum" | "bitcoin" | "tron") => {
                chains.insert(name.to_string());
            }
            other => {
                return Err(chainstat_engine::EngineError::Config(format!(
                    "--chains: unknown chain '{other}' (known: ethereum, bitcoin, tron)"
                ))
                .into())
            }
        }
    }
    if !chains.contains("ethereum") {
        return Err(chainstat_engine::EngineError::Config(
            "--chains must include ethereum: the economy's users and exchanges start there"
                .to_string(),
        )
        .into());
    }
    let defaults = chainstat_gen::GenParams::default();
    let params = chainstat_gen::GenParams {
        transfers: args.size,
        seed: args.seed,
        start,
        days: args.days,
        exchanges: args.exchanges,
        tron: chains.contains("tron").then_some(match args.tron_layout {
            crate::cli::TronLayoutArg::Tronetl => chainstat_gen::TronLayout::Tronetl,
            crate::cli::TronLayoutArg::Bigquery => chainstat_gen::TronLayout::Bigquery,
        }),
        btc_tx_per_transfer: if chains.contains("bitcoin") {
            defaults.btc_tx_per_transfer
        } else {
            0.0
        },
        ..defaults
    };
    let s = chainstat_gen::generate(&params, &args.out)
        .with_context(|| format!("generating into {}", args.out.display()))?;
    println!(
        "generated {} Ethereum transfer rows (+{} duplicates, {} malformed), {} TRON transfer rows, \
         {} Bitcoin transactions, {} exchanges, {} users into {}",
        s.eth_rows,
        s.duplicate_rows,
        s.malformed_rows,
        s.tron_rows,
        s.btc_transactions,
        s.exchanges,
        s.users,
        args.out.display()
    );
    println!(
        "run it: chainstat run --config {}/chainstat.toml --out <dir>",
        args.out.display()
    );
    Ok(())
}
