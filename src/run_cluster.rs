//! `chainstat cluster`, `cluster explain` and the hidden `components` benchmark command.

use std::time::Instant;

use anyhow::{Context, Result};
use chainstat_cluster::explain::{explain, Explanation};
use chainstat_cluster::{CcEngine, ClusterParams};
use chainstat_engine::session::{chainstat_state, object_stores, tune};
use datafusion::prelude::{ParquetReadOptions, SessionConfig, SessionContext};

use crate::cli::{CcEngineArg, ClusterAction, ClusterArgs, ComponentsArgs};

fn engine(e: CcEngineArg) -> CcEngine {
    match e {
        CcEngineArg::UnionFind => CcEngine::UnionFind,
        CcEngineArg::Star => CcEngine::Star,
    }
}

/// Runs `chainstat cluster [explain …]`.
pub async fn run(args: ClusterArgs) -> Result<()> {
    let mut cfg = crate::load_config(&args.input)?;
    if let Some(e) = args.engine {
        cfg.cluster.engine = engine(e);
    }
    let out = args.out.trim_end_matches('/').to_string();
    if let Some(ClusterAction::Explain { a, b, chain }) = &args.action {
        return explain_cmd(&cfg, &out, a, b, chain.as_deref()).await;
    }
    let params: ClusterParams = cfg.cluster.clone();
    let work = args
        .work_dir
        .clone()
        .unwrap_or_else(|| format!("{out}/_work"));
    let session = crate::open_with(&args.input, cfg).await?;
    let started = Instant::now();
    let s = chainstat_cluster::run(&session.ctx, &params, &work, &out).await?;
    println!(
        "clustered {} addresses into {} clusters from {} edges in {:.1?} ({:?} engine, {} components run(s), {} label conflict(s), {} warning(s))",
        s.nodes,
        s.clusters,
        s.edges,
        started.elapsed(),
        params.engine,
        s.cc.len(),
        s.conflicts,
        s.warnings
    );
    println!(
        "tables written under {out}/: {}",
        chainstat_cluster::OUTPUTS.join(", ")
    );
    Ok(())
}

async fn explain_cmd(
    cfg: &chainstat_job::ChainstatConfig,
    out: &str,
    a: &str,
    b: &str,
    chain: Option<&str>,
) -> Result<()> {
    let state = chainstat_state(
        tune(SessionConfig::new(), &cfg.engine),
        object_stores(&cfg.storage),
        false,
    )?;
    let ctx = SessionContext::new_with_state(state);
    for t in ["address_clusters", "cluster_edges"] {
        ctx.register_parquet(t, &format!("{out}/{t}/"), ParquetReadOptions::default())
            .await
            .with_context(|| {
                format!("reading {out}/{t}/ (run `chainstat cluster --out {out}` first)")
            })?;
    }
    let chain = match chain {
        Some(c) => c.to_string(),
        None => chainstat_io::labels::chain_of_address(a)
            .map(str::to_string)
            .ok_or_else(|| {
                chainstat_cluster::ClusterError::Usage(format!(
                    "cannot tell the chain of {a}; pass --chain"
                ))
            })?,
    };
    let canon = |x: &str| {
        chainstat_io::labels::canonical(&chain, x)
            .map_err(|e| chainstat_cluster::ClusterError::Usage(format!("{x}: {e}")))
    };
    let (ca, cb) = (canon(a)?, canon(b)?);
    // Services and superclusters are part of the answer; a folder written before
    // `cluster_warnings` existed has none to tell.
    let warnings = ctx
        .register_parquet(
            "cluster_warnings",
            &format!("{out}/cluster_warnings/"),
            ParquetReadOptions::default(),
        )
        .await
        .is_ok();
    let explanation = explain(&ctx, &chain, &ca, &cb).await?;
    if warnings {
        for x in [&ca, &cb] {
            for w in chainstat_cluster::explain::warnings_about(&ctx, &chain, x).await? {
                println!("note on {x}: {w}");
            }
        }
    }
    match explanation {
        Explanation::NotLinked {
            a_cluster,
            b_cluster,
        } => {
            println!("not linked: {ca} is in cluster {a_cluster}, {cb} is in cluster {b_cluster}");
        }
        Explanation::Linked { cluster_id, hops } => {
            println!("linked in cluster {cluster_id} by {} step(s):", hops.len());
            for (i, h) in hops.iter().enumerate() {
                let detail = h
                    .detail
                    .as_deref()
                    .map(|d| format!(" [{d}]"))
                    .unwrap_or_default();
                println!(
                    "  {}. {} — {}  via {} (evidence {}){detail}",
                    i + 1,
                    h.from,
                    h.to,
                    h.heuristic,
                    h.evidence
                );
            }
        }
    }
    Ok(())
}

/// Runs `chainstat components` (benchmark harness) and prints a JSON line of figures.
pub async fn components(args: ComponentsArgs) -> Result<()> {
    let mut cfg = SessionConfig::new();
    if let Some(p) = args.partitions {
        cfg = cfg.with_target_partitions(p.max(1));
    }
    let state = chainstat_state(cfg, object_stores(&Default::default()), false)?;
    let ctx = SessionContext::new_with_state(state);
    ctx.register_parquet("bench_edges", &args.edges, ParquetReadOptions::default())
        .await
        .with_context(|| format!("reading {}", args.edges))?;
    let n = match args.nodes {
        Some(n) => n,
        None => {
            let b = ctx
                .sql("SELECT max(GREATEST(a, b)) + 1 FROM bench_edges")
                .await?
                .collect()
                .await?;
            let v =
                arrow::array::AsArray::as_primitive::<arrow::datatypes::Int64Type>(b[0].column(0));
            v.value(0) as u64
        }
    };
    ctx.sql(&format!(
        "CREATE VIEW bench_nodes AS SELECT CAST(value AS BIGINT) AS id FROM range(0, {n})"
    ))
    .await?
    .collect()
    .await?;
    let params = ClusterParams {
        engine: engine(args.engine),
        ..Default::default()
    };
    let work = args.work_dir.unwrap_or_else(|| {
        std::env::temp_dir()
            .join("chainstat-cc-bench")
            .display()
            .to_string()
    });
    let started = Instant::now();
    let stats = chainstat_cluster::components::run(
        &ctx,
        &params,
        "bench_nodes",
        "bench_edges",
        "bench_labels",
        &work,
    )
    .await?;
    let secs = started.elapsed().as_secs_f64();
    let comps = ctx
        .sql("SELECT count(DISTINCT root) FROM bench_labels")
        .await?
        .collect()
        .await?;
    let c = arrow::array::AsArray::as_primitive::<arrow::datatypes::Int64Type>(comps[0].column(0))
        .value(0);
    if let Some(out) = args.out {
        ctx.sql("SELECT id, root FROM bench_labels ORDER BY id")
            .await?
            .write_parquet(
                &out,
                datafusion::dataframe::DataFrameWriteOptions::new(),
                None,
            )
            .await?;
    }
    println!(
        "{{\"engine\":\"{:?}\",\"nodes\":{},\"edges\":{},\"components\":{c},\"iterations\":{},\"seconds\":{secs:.3}}}",
        params.engine, stats.nodes, stats.edges, stats.iterations
    );
    Ok(())
}
