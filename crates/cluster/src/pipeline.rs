//! The clustering run: heuristic edges → node dictionary (addresses to dense integer
//! ids, in address order so ids and cluster ids are deterministic) → connected
//! components → label-conflict resolution → output tables.
//!
//! Label conflicts: when a component carries two different entity labels, the merge is
//! not trusted. Every non-label edge touching a labelled address inside such a component
//! is dropped and components are recomputed, so labelled addresses stay with their own
//! entity and the conflict is reported. Because this is a pass over component outputs
//! (not a choice made while merging), both engines resolve it identically.
//!
//! Cluster id: `chain:address` of the cluster's smallest address — a function of the
//! members only, so reruns, engines and tomorrow's run agree wherever membership did
//! not change.

use datafusion::prelude::SessionContext;

use crate::components::{self, CcStats};
use crate::error::Result;
use crate::guardrail;
use crate::heuristics;
use chainstat_engine::input_strings::with_views_unless_bounded;
use chainstat_engine::passes::{self, Pass};
use chainstat_engine::staging::{self, count, Strings};

use crate::params::{ClusterParams, SuperclusterPolicy};

/// A SQL string literal.
fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// Registers `rows` (SQL literals, one per column) as the view `name` with `columns`
/// (`name TYPE`); an empty typed view without rows.
async fn register_values(
    ctx: &SessionContext,
    name: &str,
    columns: &[&str],
    rows: &[Vec<String>],
) -> Result<()> {
    let typed: Vec<(&str, &str)> = columns
        .iter()
        .map(|c| c.split_once(' ').unwrap_or((c, "VARCHAR")))
        .collect();
    let sql = if rows.is_empty() {
        let cols: Vec<String> = typed
            .iter()
            .map(|(n, t)| format!("CAST(NULL AS {t}) AS {n}"))
            .collect();
        format!("SELECT {} WHERE false", cols.join(", "))
    } else {
        let cols: Vec<String> = typed
            .iter()
            .enumerate()
            .map(|(i, (n, t))| format!("CAST(column{} AS {t}) AS {n}", i + 1))
            .collect();
        let values: Vec<String> = rows.iter().map(|r| format!("({})", r.join(", "))).collect();
        format!(
            "SELECT {} FROM (VALUES {})",
            cols.join(", "),
            values.join(", ")
        )
    };
    ctx.sql(&format!("CREATE OR REPLACE VIEW {name} AS {sql}"))
        .await?
        .collect()
        .await?;
    Ok(())
}

/// Each supercluster's warning text: why it was flagged, its edges per heuristic and its
/// largest hubs. Rows `(root, size, detail)` as SQL literals.
async fn supercluster_details(
    ctx: &SessionContext,
    cc: &str,
    edges: &str,
    flagged: &[guardrail::Supercluster],
) -> Result<Vec<Vec<String>>> {
    use std::collections::BTreeMap;
    if flagged.is_empty() {
        return Ok(Vec::new());
    }
    // (root, text) rows, grouped by root in the query's order.
    let grouped = |rows: Vec<Vec<Option<String>>>| {
        let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for row in rows {
            if let [Some(root), Some(text)] = row.as_slice() {
                out.entry(root.clone()).or_default().push(text.clone());
            }
        }
        out
    };
    let per_heuristic = grouped(
        crate::explain::strings(
            ctx,
            &format!(
                "SELECT CAST(root AS VARCHAR) AS r, heuristic || ' ' || CAST(n AS VARCHAR) AS t \
                 FROM (SELECT f.root, e.heuristic, count(*) AS n \
                       FROM cl_flagged f JOIN {cc} c ON c.root = f.root JOIN {edges} e ON e.a = c.id \
                       GROUP BY f.root, e.heuristic) \
                 ORDER BY root, n DESC, heuristic"
            ),
        )
        .await?,
    );
    let per_hub = grouped(
        crate::explain::strings(
            ctx,
            "SELECT CAST(root AS VARCHAR) AS r, \
               CASE WHEN kind = 'address' THEN 'address ' || address \
                    ELSE heuristic || ' ' || evidence END || ' (' || CAST(links AS VARCHAR) || ' links)' AS t \
             FROM (SELECT h.*, n.address, \
                          row_number() OVER (PARTITION BY h.root, h.kind \
                                             ORDER BY h.links DESC, h.evidence, n.address) AS rn \
                   FROM cl_hubs h JOIN cl_nodes n ON n.id = h.id) \
             WHERE rn <= 3 ORDER BY root, kind, rn",
        )
        .await?,
    );
    Ok(flagged
        .iter()
        .map(|f| {
            let key = f.root.to_string();
            let heuristics = per_heuristic
                .get(&key)
                .map_or(String::new(), |v| v.join(", "));
            let hubs = per_hub
                .get(&key)
                .map_or("none".to_string(), |v| v.join("; "));
            vec![
                key,
                f.size.to_string(),
                quote(&format!(
                    "supercluster: {} addresses, {}; edges: {heuristics}; hubs: {hubs}",
                    f.size, f.reason
                )),
            ]
        })
        .collect())
}

/// What a run produced.
#[derive(Debug, Clone, Default)]
pub struct ClusterSummary {
    /// Heuristic edges (all, before conflict resolution).
    pub edges: u64,
    /// Addresses.
    pub nodes: u64,
    /// Clusters.
    pub clusters: u64,
    /// Components that carried conflicting labels.
    pub conflicts: u64,
    /// Rows of `cluster_warnings`.
    pub warnings: u64,
    /// The components run(s).
    pub cc: Vec<CcStats>,
    /// Transactions each CoinJoin rule kept from the multi-input heuristic.
    pub coinjoins: std::collections::BTreeMap<String, u64>,
    /// Senders into deposit addresses found to be services (never co-depositors).
    pub services: u64,
    /// Unlabelled wallets joined to an exchange as internal (treasury) wallets.
    pub treasury_wallets: u64,
    /// Clusters the guardrail flagged as superclusters.
    pub superclusters: u64,
    /// The cluster-size distribution, per chain.
    pub sizes: Vec<guardrail::SizeStats>,
}

/// Transactions each CoinJoin rule recognised, by rule name.
async fn coinjoin_counts(
    ctx: &SessionContext,
    params: &ClusterParams,
) -> Result<std::collections::BTreeMap<String, u64>> {
    use arrow::array::AsArray;
    let sql = format!(
        "SELECT rule, count(*) AS n FROM {} GROUP BY rule ORDER BY rule",
        heuristics::multi_input::COINJOINS_TABLE
    );
    let mut out: std::collections::BTreeMap<String, u64> = params
        .coinjoin_rules
        .iter()
        .map(|r| (r.name().to_string(), 0))
        .collect();
    for b in ctx.sql(&sql).await?.collect().await? {
        let rule = arrow::compute::cast(b.column(0), &arrow::datatypes::DataType::Utf8)?;
        let n = arrow::compute::cast(b.column(1), &arrow::datatypes::DataType::Int64)?;
        let (rule, n) = (
            rule.as_string::<i32>(),
            n.as_primitive::<arrow::datatypes::Int64Type>(),
        );
        for i in 0..b.num_rows() {
            out.insert(rule.value(i).to_string(), n.value(i) as u64);
        }
    }
    Ok(out)
}

/// Output tables of a run, registered in the session and written under `out_dir`.
pub const OUTPUTS: &[&str] = &[
    "address_clusters",
    "clusters",
    "cluster_edges",
    "cluster_warnings",
];

/// Bytes a forward row takes in the deposit self-join's hash table (its columns, the
/// hash map entry and batch overhead), with a margin over what DataFusion 55 was seen to
/// charge (docs/performance.md#pass-sizes). What [`deposit_passes`] sizes by.
const FORWARD_ROW_BYTES: u64 = 200;

/// In how many passes to build the deposit heuristic: as configured, else one without a
/// memory limit, or enough that each pass's hash table (two rows per forward into an
/// exchange wallet) takes at most a quarter of the limit — DataFusion 55's hash joins
/// cannot spill, and the rest of the pool is for the aggregation and sort after it
/// (which can).
async fn deposit_passes(ctx: &SessionContext, params: &ClusterParams) -> Result<usize> {
    if !params.deposit_reuse {
        return Ok(1);
    }
    if params.deposit_passes > 0 {
        return Ok(params.deposit_passes);
    }
    if !passes::bounded(ctx) {
        return Ok(1);
    }
    let forwards = count(ctx, &heuristics::deposit_reuse::forwards_count_sql(params)).await?;
    let n = passes::needed(ctx, forwards * 2 * FORWARD_ROW_BYTES);
    log::debug!("cl_deposits: {forwards} forwards, {n} pass(es)");
    Ok(n)
}

/// Bytes a row of the node table (or of the edges, with their strings) takes in a hash
/// join's build side, with a margin. What [`node_passes`] sizes by.
const NODE_ROW_BYTES: u64 = 160;

/// In how many passes to build the joins with the node table (`rows`: the larger of
/// nodes and edges): as configured, else one without a memory limit, or enough that a
/// pass's build side takes at most a quarter of the limit.
fn node_passes(ctx: &SessionContext, params: &ClusterParams, rows: u64) -> usize {
    if params.node_passes > 0 {
        return params.node_passes;
    }
    let n = passes::needed(ctx, rows * NODE_ROW_BYTES);
    log::debug!("node joins: {rows} rows, {n} pass(es)");
    n
}

/// Sets DataFusion's `optimizer.join_reordering` and returns its previous value.
///
/// Off for the deposit self-join, whose SQL names each join's small side first (the
/// exchange wallets, the labelled addresses, the forwards into wallets): with reordering
/// on, DataFusion 55 estimated the unnested forwards larger than the transfers and built
/// its hash table on all the transfers (docs/performance.md#join-order-as-written).
fn set_join_reordering(ctx: &SessionContext, on: bool) -> bool {
    let state = ctx.state_ref();
    let mut state = state.write();
    let optimizer = &mut state.config_mut().options_mut().optimizer;
    std::mem::replace(&mut optimizer.join_reordering, on)
}

/// [`materialize`] of a query in passes, see [`staging::write_sliced_and_register`].
async fn materialize_sliced(
    ctx: &SessionContext,
    render: &(dyn Fn(Option<Pass>) -> String + Sync),
    of: usize,
    dir: &str,
    name: &str,
) -> Result<u64> {
    let path = format!("{}/{name}/", dir.trim_end_matches('/'));
    staging::write_slices(ctx, render, Some(of), &path, name, Strings::Plain).await?;
    Ok(count(ctx, &format!("SELECT count(*) FROM {name}")).await?)
}

async fn materialize(ctx: &SessionContext, sql: &str, dir: &str, name: &str) -> Result<u64> {
    let path = format!("{}/{name}/", dir.trim_end_matches('/'));
    staging::write_and_register_plain(ctx, sql, &path, name).await?;
    Ok(count(ctx, &format!("SELECT count(*) FROM {name}")).await?)
}

/// Which of the [`OUTPUTS`] a run writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Outputs {
    /// `cluster_edges`, the evidence for every merge. The nightly job leaves it out when
    /// its cluster tables are scratch (deleted with the work folder): nothing in the job
    /// reads it, and it costs a sorted join of the edges with their strings
    /// (docs/performance.md#scratch-cluster-tables).
    pub cluster_edges: bool,
    /// Rows written in key order (`address_clusters` by address, `clusters` by id), so
    /// that files of equal tables are equal. The job's scratch copies skip the sorts: only
    /// queries read them (docs/performance.md#scratch-cluster-tables).
    pub sorted: bool,
}

impl Outputs {
    /// Every output table, sorted.
    pub const ALL: Outputs = Outputs {
        cluster_edges: true,
        sorted: true,
    };
    /// What a job needs of tables it deletes after the run: no evidence table, no order.
    pub const SCRATCH: Outputs = Outputs {
        cluster_edges: false,
        sorted: false,
    };
}

/// Runs clustering over the session's canonical views and `labels`; writes work files
/// under `work_dir` and the output tables under `out_dir` (local path or URL).
pub async fn run(
    ctx: &SessionContext,
    params: &ClusterParams,
    work_dir: &str,
    out_dir: &str,
) -> Result<ClusterSummary> {
    run_with(ctx, params, work_dir, out_dir, Outputs::ALL).await
}

/// [`run`], writing only the chosen `outputs`. Stages: the heuristics' work tables
/// (deposits, CoinJoins, treasury wallets) → heuristic edges → node ids → components
/// without label conflicts → the supercluster guardrail → output tables.
pub async fn run_with(
    ctx: &SessionContext,
    params: &ClusterParams,
    work_dir: &str,
    out_dir: &str,
    outputs: Outputs,
) -> Result<ClusterSummary> {
    // The deposit heuristic's joins in slices of the deposit addresses (one pass unless
    // memory is bounded): its self-join, then the payers' and senders' joins.
    let passes = deposit_passes(ctx, params).await?;
    let mut summary = ClusterSummary {
        services: deposit_stages(ctx, params, passes, work_dir).await?,
        ..Default::default()
    };
    if params.multi_input && heuristics::multi_input::any_rule(params) {
        use heuristics::multi_input::{coinjoin_sql, COINJOINS_TABLE};
        // In the deposit passes' slices (by transaction), like the multi-input edges.
        let render = |pass| coinjoin_sql(params, pass);
        materialize_sliced(ctx, &render, passes, work_dir, COINJOINS_TABLE).await?;
        summary.coinjoins = coinjoin_counts(ctx, params).await?;
    }
    if params.treasury {
        summary.treasury_wallets = treasury_stages(ctx, params, work_dir).await?;
    }
    let node_passes = edges_and_nodes(ctx, params, passes, work_dir, outputs, &mut summary).await?;
    let (cc, edges) =
        components_without_conflicts(ctx, params, node_passes, work_dir, &mut summary).await?;
    let result =
        guard_superclusters(ctx, params, cc, edges, outputs, work_dir, &mut summary).await?;
    write_outputs(ctx, params, &result, out_dir, node_passes, &mut summary).await?;
    Ok(summary)
}

/// The deposit heuristic's work tables (receipts, deposits, payers, services, senders);
/// returns the number of services. With the heuristic off, only an empty services table
/// (`cluster_warnings` lists services).
async fn deposit_stages(
    ctx: &SessionContext,
    params: &ClusterParams,
    passes: usize,
    work_dir: &str,
) -> Result<u64> {
    use heuristics::deposit_reuse as dr;
    if !params.deposit_reuse {
        return materialize(
            ctx,
            "SELECT CAST(NULL AS VARCHAR) AS chain, CAST(NULL AS VARCHAR) AS sender, \
             CAST(NULL AS BIGINT) AS n_deposits, CAST(NULL AS BIGINT) AS n_entities WHERE false",
            work_dir,
            dr::SERVICES_TABLE,
        )
        .await;
    }
    let prices = ctx.table_exist("prices")?.then_some("prices");
    if prices.is_none() {
        log::warn!(
            "the session has no `prices` table: the deposit heuristic's dust floor \
             (deposit_min_usd) is not applied; tokens without decimals still merge nothing"
        );
    }
    if !ctx.table_exist("tokens")? || count(ctx, "SELECT count(*) FROM tokens").await? == 0 {
        log::warn!(
            "no token decimals (a `tokens` table): the deposit heuristic counts receipts \
             of tokens with known decimals only, so it links nothing"
        );
    }
    let render = |pass| dr::receipts_sql(params, pass, prices);
    let reordering = set_join_reordering(ctx, false);
    // The self-join streams the transfers: string views (see `input_strings`).
    let receipts = materialize_sliced(ctx, &render, passes, work_dir, dr::RECEIPTS_TABLE);
    let written = with_views_unless_bounded(ctx, receipts).await;
    set_join_reordering(ctx, reordering);
    written?;
    let deposits = dr::deposits_sql(dr::RECEIPTS_TABLE);
    materialize(ctx, &deposits, work_dir, dr::DEPOSITS_TABLE).await?;
    let render = |pass| dr::payers_sql(dr::DEPOSITS_TABLE, pass);
    materialize_sliced(ctx, &render, passes, work_dir, dr::PAYERS_TABLE).await?;
    let services = dr::services_sql(params, dr::PAYERS_TABLE);
    let n = materialize(ctx, &services, work_dir, dr::SERVICES_TABLE).await?;
    let render = |pass| {
        dr::senders_sql(
            dr::RECEIPTS_TABLE,
            dr::DEPOSITS_TABLE,
            dr::SERVICES_TABLE,
            pass,
        )
    };
    materialize_sliced(ctx, &render, passes, work_dir, dr::SENDERS_TABLE).await?;
    Ok(n)
}

/// The treasury heuristic's work tables; returns the number of treasury wallets.
async fn treasury_stages(
    ctx: &SessionContext,
    params: &ClusterParams,
    work_dir: &str,
) -> Result<u64> {
    use heuristics::treasury;
    materialize(ctx, &treasury::sql(params), work_dir, "cl_treasury_account").await?;
    for (name, sql) in treasury::utxo_stages(params) {
        materialize(ctx, &sql, work_dir, name).await?;
    }
    materialize(
        ctx,
        &treasury::utxo_sql(params),
        work_dir,
        "cl_treasury_utxo",
    )
    .await?;
    materialize(
        ctx,
        "SELECT * FROM cl_treasury_account UNION ALL SELECT * FROM cl_treasury_utxo",
        work_dir,
        treasury::TABLE,
    )
    .await
}

/// The heuristic edges (`cl_edges`), the node dictionary (`cl_nodes`) and the edges as
/// node ids (`cl_int_edges`); returns how many passes the node joins take.
async fn edges_and_nodes(
    ctx: &SessionContext,
    params: &ClusterParams,
    passes: usize,
    work_dir: &str,
    outputs: Outputs,
    summary: &mut ClusterSummary,
) -> Result<usize> {
    let render = |pass| {
        format!(
            "SELECT chain, address_a, address_b, heuristic, evidence, detail FROM ({}) \
             WHERE address_a IS NOT NULL AND address_b IS NOT NULL AND address_a <> address_b",
            heuristics::edges_sql(params, pass)
        )
    };
    let edges = materialize_sliced(ctx, &render, passes, work_dir, "cl_edges").await?;
    summary.edges = edges;
    // Every address mention, grouped: string views (see `input_strings`;
    // docs/performance.md#input-strings-as-views-per-query).
    let nodes = materialize(ctx, crate::sql::NODES, work_dir, "cl_nodes");
    summary.nodes = with_views_unless_bounded(ctx, nodes).await?;
    // Node ids for the edges, one end at a time, each in slices of that end's address: a
    // pass holds its slice of the node table (one row per address), never all of it.
    // The edges keep their strings for `cluster_edges` (when it is written): the
    // components and their checks need only the ids, the heuristic and the evidence.
    let node_passes = node_passes(ctx, params, summary.nodes.max(edges));
    let (evidence_a, evidence_b) = if outputs.cluster_edges {
        (
            ", e.address_a, e.detail",
            ", e.chain, e.address_a, e.address_b, e.detail",
        )
    } else {
        ("", "")
    };
    let render = |pass| {
        format!(
            "SELECT e.chain, e.address_b, e.heuristic, e.evidence, na.id AS a{evidence_a} \
             FROM cl_edges e JOIN cl_nodes na ON na.chain = e.chain AND na.address = e.address_a \
             WHERE true{}{}",
            Pass::and(pass, "e.address_a"),
            Pass::and(pass, "na.address")
        )
    };
    materialize_sliced(ctx, &render, node_passes, work_dir, "cl_edges_a").await?;
    let render = |pass| {
        format!(
            "SELECT e.a, nb.id AS b, e.heuristic, e.evidence{evidence_b} \
             FROM cl_edges_a e JOIN cl_nodes nb ON nb.chain = e.chain AND nb.address = e.address_b \
             WHERE true{}{}",
            Pass::and(pass, "e.address_b"),
            Pass::and(pass, "nb.address")
        )
    };
    materialize_sliced(ctx, &render, node_passes, work_dir, "cl_int_edges").await?;
    ctx.sql("CREATE OR REPLACE VIEW cl_node_ids AS SELECT id FROM cl_nodes")
        .await?
        .collect()
        .await?;
    ctx.sql(
        "CREATE OR REPLACE VIEW cl_labelled AS SELECT DISTINCT n.id, l.entity \
             FROM labels l JOIN cl_nodes n ON n.chain = l.chain AND n.address = l.address",
    )
    .await?
    .collect()
    .await?;
    Ok(node_passes)
}

/// Connected components (`cl_cc1`); where one carries two entities' labels
/// (`cl_conflicts`), the links that welded them are dropped and components run again
/// (`cl_cc2`). Returns the components and the edges they were computed from.
async fn components_without_conflicts(
    ctx: &SessionContext,
    params: &ClusterParams,
    node_passes: usize,
    work_dir: &str,
    summary: &mut ClusterSummary,
) -> Result<(&'static str, &'static str)> {
    let cc_dir = |n: u8| format!("{}/cc{n}", work_dir.trim_end_matches('/'));
    let (cc1_dir, cc2_dir) = (cc_dir(1), cc_dir(2));
    let cc1 = components::run(
        ctx,
        params,
        "cl_node_ids",
        "cl_int_edges",
        "cl_cc1",
        &cc1_dir,
    );
    summary.cc.push(cc1.await?);
    summary.conflicts = materialize(
        ctx,
        "SELECT c.root, array_to_string(array_agg(DISTINCT l.entity ORDER BY l.entity), ', ') AS entities \
         FROM cl_cc1 c JOIN cl_labelled l ON l.id = c.id GROUP BY c.root HAVING count(DISTINCT l.entity) > 1",
        work_dir,
        "cl_conflicts",
    )
    .await?;
    if summary.conflicts == 0 {
        return Ok(("cl_cc1", "cl_int_edges"));
    }
    let render = |pass| {
        crate::sql::substitute(
            crate::sql::CONFLICT_FREE_EDGES,
            &[
                ("slice_a", &Pass::and(pass, "e.a")),
                ("slice_c", &Pass::and(pass, "c.id")),
            ],
        )
    };
    materialize_sliced(ctx, &render, node_passes, work_dir, "cl_int_edges2").await?;
    let cc2 = components::run(
        ctx,
        params,
        "cl_node_ids",
        "cl_int_edges2",
        "cl_cc2",
        &cc2_dir,
    );
    summary.cc.push(cc2.await?);
    Ok(("cl_cc2", "cl_int_edges2"))
}

/// The supercluster guardrail over components `cc` (from `edges`): size statistics,
/// flagged clusters, their hubs and bridges as `cl_flagged`, `cl_hubs`,
/// `cl_supercluster_details` and `cl_bridges`; under policy `refuse` the bridges' and
/// hubs' links are dropped and components run once more (`cl_cc3`).
async fn guard_superclusters(
    ctx: &SessionContext,
    params: &ClusterParams,
    cc: &'static str,
    edges: &'static str,
    outputs: Outputs,
    work_dir: &str,
    summary: &mut ClusterSummary,
) -> Result<Components<'static>> {
    let (sizes, flagged) = guardrail::sizes(ctx, params, cc, work_dir).await?;
    summary.sizes = sizes;
    summary.superclusters = flagged.len() as u64;
    let flagged_rows: Vec<Vec<String>> = flagged
        .iter()
        .map(|f| {
            vec![
                f.root.to_string(),
                quote(&f.chain),
                f.size.to_string(),
                quote(&f.reason),
            ]
        })
        .collect();
    let flagged_columns = [
        "root BIGINT",
        "chain VARCHAR",
        "size BIGINT",
        "reason VARCHAR",
    ];
    register_values(ctx, "cl_flagged", &flagged_columns, &flagged_rows).await?;
    guardrail::hubs(ctx, cc, edges, params.hub_min_links, work_dir).await?;
    let details = supercluster_details(ctx, cc, edges, &flagged).await?;
    let details_columns = ["root BIGINT", "size BIGINT", "detail VARCHAR"];
    register_values(ctx, "cl_supercluster_details", &details_columns, &details).await?;
    let merges = guardrail::find(
        ctx,
        cc,
        edges,
        params.max_cluster_size,
        params.bridge_min_side,
    )
    .await?;
    let bridge_rows: Vec<Vec<String>> = merges
        .iter()
        .map(|m| {
            vec![
                quote(&m.heuristic),
                quote(&m.evidence),
                m.address_id.to_string(),
                m.side_a.to_string(),
                m.side_b.to_string(),
            ]
        })
        .collect();
    let bridge_columns = [
        "heuristic VARCHAR",
        "evidence VARCHAR",
        "id BIGINT",
        "side_a BIGINT",
        "side_b BIGINT",
    ];
    register_values(ctx, "cl_bridges", &bridge_columns, &bridge_rows).await?;
    let refuse = params.supercluster_policy == SuperclusterPolicy::Refuse;
    let mut result = Components {
        cc,
        edges,
        refused: refuse,
        outputs,
    };
    if refuse && (!merges.is_empty() || !flagged.is_empty()) {
        let sql = crate::sql::fill(crate::sql::REFUSED_EDGES, &[("edges", edges)])?;
        materialize(ctx, &sql, work_dir, "cl_int_edges3").await?;
        let cc_dir = format!("{}/cc3", work_dir.trim_end_matches('/'));
        let cc3 = components::run(
            ctx,
            params,
            "cl_node_ids",
            "cl_int_edges3",
            "cl_cc3",
            &cc_dir,
        );
        summary.cc.push(cc3.await?);
        result.cc = "cl_cc3";
        result.edges = "cl_int_edges3";
        // The distribution the published clusters have.
        summary.sizes = guardrail::sizes(ctx, params, result.cc, work_dir).await?.0;
    }
    Ok(result)
}

/// The components a run ends with.
struct Components<'a> {
    /// `(id, root)`.
    cc: &'a str,
    /// The edges `cc` was computed from: `(a, b, heuristic, evidence)`.
    edges: &'a str,
    /// Bridges found by the guardrail were dropped (policy `refuse`).
    refused: bool,
    /// Which tables to write.
    outputs: Outputs,
}

/// The output tables: `address_clusters`, `clusters`, `cluster_edges` (when asked for)
/// and `cluster_warnings`.
async fn write_outputs(
    ctx: &SessionContext,
    params: &ClusterParams,
    result: &Components<'_>,
    out_dir: &str,
    passes: usize,
    summary: &mut ClusterSummary,
) -> Result<()> {
    let cc = result.cc;
    let order_by = |keys: &str| match result.outputs.sorted {
        true => format!(" ORDER BY {keys}"),
        false => String::new(),
    };
    // In slices of the cluster roots: a pass builds its slice of the components and of
    // the roots' node rows, while the node table streams through.
    let render = |pass| {
        format!(
            "SELECT n.chain, n.address, r.node AS cluster_id FROM cl_nodes n \
             JOIN {cc} c ON c.id = n.id JOIN cl_nodes r ON r.id = c.root \
             WHERE true{}{}{}",
            Pass::and(pass, "c.root"),
            Pass::and(pass, "r.id"),
            order_by("n.chain, n.address")
        )
    };
    materialize_sliced(ctx, &render, passes, out_dir, "address_clusters").await?;
    let order = order_by("cluster_id");
    let clusters = crate::sql::fill(crate::sql::CLUSTERS, &[("cc", cc), ("order_by", &order)])?;
    summary.clusters = materialize(ctx, &clusters, out_dir, "clusters").await?;
    if result.outputs.cluster_edges {
        let render = |pass| {
            crate::sql::substitute(
                crate::sql::CLUSTER_EDGES,
                &[
                    ("r_pass", &Pass::and(pass, "id")),
                    ("root_pass", &Pass::and(pass, "root")),
                    ("cc", cc),
                    ("edges", result.edges),
                ],
            )
        };
        materialize_sliced(ctx, &render, passes, out_dir, "cluster_edges").await?;
    }
    let max = params.max_cluster_size.to_string();
    let (verdict, hub_verdict) = match result.refused {
        true => (
            " (refused: link dropped)",
            " || ' (refused: hub links dropped)'",
        ),
        false => ("", ""),
    };
    let warnings = crate::sql::fill(
        crate::sql::CLUSTER_WARNINGS,
        &[
            ("max", &max),
            ("cc", cc),
            ("verdict", verdict),
            ("hub_verdict", hub_verdict),
        ],
    )?;
    summary.warnings = materialize(ctx, &warnings, out_dir, "cluster_warnings").await?;
    for w in warnings_text(ctx).await? {
        log::warn!("{w}");
    }
    Ok(())
}

async fn warnings_text(ctx: &SessionContext) -> Result<Vec<String>> {
    use arrow::array::AsArray;
    let batches = ctx
        .sql(
            "SELECT cluster_id || ': ' || detail FROM cluster_warnings WHERE kind <> 'service_sender' \
             UNION ALL SELECT CAST(count(*) AS VARCHAR) || ' service sender(s) into deposit addresses \
             (never merged as depositors; listed in cluster_warnings)' FROM cluster_warnings \
             WHERE kind = 'service_sender' HAVING count(*) > 0",
        )
        .await?
        .collect()
        .await?;
    let mut out = Vec::new();
    for b in &batches {
        let c = arrow::compute::cast(b.column(0), &arrow::datatypes::DataType::Utf8)?;
        for v in c.as_string::<i32>().iter().flatten() {
            out.push(v.to_string());
        }
    }
    Ok(out)
}
