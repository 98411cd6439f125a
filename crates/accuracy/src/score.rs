//! Scores a run against the ground truth: the clustering (pairwise, per chain and address
//! group), the labelled exchanges' turnover and the exchange candidates.

use std::collections::hash_map::Entry;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::compute::cast;
use arrow::datatypes::{DataType, Float64Type, Int64Type};
use datafusion::prelude::{ParquetReadOptions, SessionContext};
use serde::Serialize;

use crate::error::{AccuracyError, Result};
use crate::pairwise::{self, PairCounts};
use crate::truth::Truth;

/// Everything measured for one run.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// Per chain: address matching, pairwise scores, the largest cluster.
    pub chains: Vec<ChainScore>,
    /// Ground-truth rows whose address does not normalise (chain, address).
    pub invalid_truth_addresses: Vec<(String, String)>,
    /// Ground-truth addresses listed twice with different owners after normalisation.
    pub conflicting_truth_addresses: u64,
    /// Labelled exchanges' yearly turnover against the truth.
    pub turnover: Turnover,
    /// Unlabelled exchanges found as candidates, and candidate hubs that are not exchanges.
    pub candidates: Candidates,
}

/// Clustering scores of one chain.
#[derive(Debug, Clone, Serialize)]
pub struct ChainScore {
    /// Chain name as in the data (`ethereum`, `bitcoin`).
    pub chain: String,
    /// Addresses in the ground truth.
    pub truth_addresses: u64,
    /// Addresses in `address_clusters`.
    pub clustered_addresses: u64,
    /// Truth addresses the clustering does not contain: scored as singletons.
    pub unmatched_truth_addresses: u64,
    /// Clustered addresses the truth does not know: not scored (no true owner).
    pub unknown_clustered_addresses: u64,
    /// Pairwise scores for `all`, `exchange` and `user` addresses.
    pub groups: Vec<GroupScore>,
    /// The largest predicted cluster (a supercluster shows as many true owners).
    pub largest_cluster: Option<LargestCluster>,
}

/// Pairwise scores over one group of addresses.
#[derive(Debug, Clone, Serialize)]
pub struct GroupScore {
    /// `all`, `exchange` (owner's category is exchange) or `user` (owner is a user).
    pub group: String,
    /// Exact pair counts.
    pub counts: PairCounts,
    /// TP / predicted pairs (1.0 without predicted pairs).
    pub precision: f64,
    /// TP / true pairs (1.0 without true pairs).
    pub recall: f64,
    /// The same over the group's addresses that the clustering contains (that occur in
    /// the input): what the heuristics could have linked. Precision is the same by
    /// construction (a singleton adds no predicted pair).
    pub in_data: PairCounts,
    /// TP / true pairs over the addresses in the data.
    pub recall_in_data: f64,
}

/// The largest cluster of a chain.
#[derive(Debug, Clone, Serialize)]
pub struct LargestCluster {
    /// Its id in `address_clusters`.
    pub cluster_id: String,
    /// Member addresses.
    pub size: u64,
    /// Distinct true owners among the members the truth knows.
    pub true_owners: u64,
    /// Members the truth does not know.
    pub unknown_members: u64,
}

/// One labelled exchange and year.
#[derive(Debug, Clone, Serialize)]
pub struct TurnoverRow {
    /// Entity name.
    pub entity: String,
    /// Year.
    pub year: i32,
    /// Estimated inflow USD (`exchange_turnover_yearly.inflow_usd`, all assets).
    pub inflow_usd: f64,
    /// True inflow USD.
    pub true_inflow_usd: f64,
    /// |estimate − truth| / truth; None when the truth is 0.
    pub inflow_error: Option<f64>,
    /// Estimated turnover USD (inflow + outflow).
    pub turnover_usd: f64,
    /// True turnover USD.
    pub true_turnover_usd: f64,
    /// |estimate − truth| / truth; None when the truth is 0.
    pub turnover_error: Option<f64>,
}

/// Turnover errors of the labelled exchanges.
#[derive(Debug, Clone, Serialize)]
pub struct Turnover {
    /// Per labelled exchange and year.
    pub rows: Vec<TurnoverRow>,
    /// Median absolute relative error of inflow over the rows with a non-zero truth.
    pub inflow_median_error: Option<f64>,
    /// Worst absolute relative error of inflow.
    pub inflow_worst_error: Option<f64>,
    /// Median absolute relative error of turnover.
    pub turnover_median_error: Option<f64>,
    /// Worst absolute relative error of turnover.
    pub turnover_worst_error: Option<f64>,
    /// Error of the labelled exchanges' summed turnover.
    pub total_turnover_error: Option<f64>,
}

/// Exchange candidates against the truth.
#[derive(Debug, Clone, Serialize)]
pub struct Candidates {
    /// Rows in `exchange_candidates`.
    pub hubs: u64,
    /// Unlabelled exchanges with a hot wallet among the hubs.
    pub found: Vec<String>,
    /// Unlabelled exchanges without.
    pub missed: Vec<String>,
    /// Hubs whose true owner is not an exchange: (chain, hub, owner, category).
    pub false_hubs: Vec<(String, String, String, String)>,
    /// Hubs the truth does not know.
    pub unknown_hubs: u64,
    /// Per found unlabelled exchange, chain and year: candidate turnover against the truth.
    pub turnover: Vec<CandidateTurnoverRow>,
    /// Median |estimate − truth| / truth of candidate turnover over those rows.
    pub turnover_median_error: Option<f64>,
    /// Nested exchangers' hubs (chain, hub, entity, true host) and the host the run
    /// named for them (None: not flagged).
    pub nested: Vec<NestedRow>,
}

/// One nested exchanger's hub on one chain: flagged or not, with which host.
#[derive(Debug, Clone, Serialize)]
pub struct NestedRow {
    /// Chain.
    pub chain: String,
    /// The nested exchanger.
    pub entity: String,
    /// Its true host.
    pub host: String,
    /// The host `exchange_candidates` names, when it flagged the hub as nested.
    pub found_host: Option<String>,
}

/// One unlabelled exchange's turnover on one chain in one year, as its candidate
/// (`candidate_turnover_yearly`) has it and as the truth has it.
#[derive(Debug, Clone, Serialize)]
pub struct CandidateTurnoverRow {
    /// True owner of the hub.
    pub entity: String,
    /// Chain of the hub.
    pub chain: String,
    /// Year.
    pub year: i32,
    /// The candidate's confidence.
    pub confidence: f64,
    /// Estimated turnover, USD.
    pub estimate_usd: f64,
    /// True turnover, USD.
    pub truth_usd: f64,
    /// |estimate − truth| / truth; None when the truth is 0.
    pub error: Option<f64>,
}

/// Scores the clustering in `<clusters>/address_clusters/` and the run published under
/// `published` (an output root of `chainstat run`) against `truth`.
pub async fn score(
    ctx: &SessionContext,
    truth: &Truth,
    clusters: &str,
    published: &str,
) -> Result<Report> {
    let clustered = read_clusters(ctx, clusters).await?;
    let chains = score_clusters(truth, &clustered);
    chainstat_job::publish::register_published(ctx, published).await?;
    let turnover = score_turnover(ctx, truth).await?;
    let candidates = score_candidates(ctx, truth).await?;
    Ok(Report {
        chains,
        invalid_truth_addresses: truth.invalid.clone(),
        conflicting_truth_addresses: truth.conflicting,
        turnover,
        candidates,
    })
}

/// `address_clusters` in memory: (chain, address) → cluster index, and the ids by index.
pub struct Clustered {
    /// (chain, address) → index into `ids`.
    pub of: HashMap<(String, String), u32>,
    /// Cluster ids.
    pub ids: Vec<String>,
}

async fn read_clusters(ctx: &SessionContext, clusters: &str) -> Result<Clustered> {
    let path = format!("{}/address_clusters/", clusters.trim_end_matches('/'));
    ctx.register_parquet(
        "accuracy_address_clusters",
        &path,
        ParquetReadOptions::default(),
    )
    .await?;
    let batches = ctx
        .sql("SELECT chain, address, cluster_id FROM accuracy_address_clusters")
        .await?
        .collect()
        .await?;
    ctx.deregister_table("accuracy_address_clusters")?;
    let mut c = Clustered {
        of: HashMap::new(),
        ids: Vec::new(),
    };
    let mut index: HashMap<String, u32> = HashMap::new();
    for b in &batches {
        let (chain, address, id) = (text(b, 0)?, text(b, 1)?, text(b, 2)?);
        for ((ch, a), cid) in chain.into_iter().zip(address).zip(id) {
            // A null or a second row for an address is a broken clustering, not noise to skip.
            let (Some(ch), Some(a), Some(cid)) = (ch, a, cid) else {
                return Err(AccuracyError::Run(format!("{path}: a row with a null")));
            };
            let next = u32::try_from(c.ids.len())
                .map_err(|_| AccuracyError::Run("more than 2^32 clusters".into()))?;
            let k = *index.entry(cid).or_insert_with_key(|cid| {
                c.ids.push(cid.clone());
                next
            });
            match c.of.entry((ch, a)) {
                Entry::Occupied(e) if *e.get() != k => {
                    let (ch, a) = e.key();
                    return Err(AccuracyError::Run(format!(
                        "{path}: {ch}:{a} is in two clusters"
                    )));
                }
                Entry::Occupied(_) => {}
                Entry::Vacant(e) => {
                    e.insert(k);
                }
            }
        }
    }
    Ok(c)
}

/// Column `i` of `b` as optional strings, whatever string type the file has.
fn text(b: &RecordBatch, i: usize) -> Result<Vec<Option<String>>> {
    let col =
        cast(b.column(i), &DataType::Utf8).map_err(datafusion::error::DataFusionError::from)?;
    let s = col.as_string::<i32>();
    Ok((0..s.len())
        .map(|j| (!s.is_null(j)).then(|| s.value(j).to_string()))
        .collect())
}

/// Pairwise scores and matching counts per chain.
pub fn score_clusters(truth: &Truth, clustered: &Clustered) -> Vec<ChainScore> {
    let chains: BTreeSet<&String> = truth
        .addresses
        .keys()
        .map(|k| &k.0)
        .chain(clustered.of.keys().map(|k| &k.0))
        .collect();
    let mut out = Vec::new();
    for chain in chains {
        let in_truth: Vec<(&(String, String), &crate::truth::TrueAddress)> = truth
            .addresses
            .iter()
            .filter(|(k, _)| &k.0 == chain)
            .collect();
        let unmatched = in_truth
            .iter()
            .filter(|(k, _)| !clustered.of.contains_key(*k))
            .count() as u64;
        let clustered_here: Vec<(&(String, String), u32)> = clustered
            .of
            .iter()
            .filter(|(k, _)| &k.0 == chain)
            .map(|(k, &c)| (k, c))
            .collect();
        let unknown = clustered_here
            .iter()
            .filter(|(k, _)| !truth.addresses.contains_key(*k))
            .count() as u64;
        let group = |name: &str, keep: &dyn Fn(&str) -> bool| {
            let members = || {
                in_truth
                    .iter()
                    .filter(|(_, t)| keep(&t.owner))
                    .map(|(k, t)| (clustered.of.get(*k).copied(), t.owner.as_str()))
            };
            let counts = pairwise::score(members());
            let in_data = pairwise::score(members().filter(|(c, _)| c.is_some()));
            GroupScore {
                group: name.to_string(),
                counts,
                precision: counts.precision(),
                recall: counts.recall(),
                in_data,
                recall_in_data: in_data.recall(),
            }
        };
        let groups = vec![
            group("all", &|_| true),
            group("exchange", &|o| truth.is_exchange(o)),
            group("user", &|o| truth.is_user(o)),
        ];
        out.push(ChainScore {
            chain: chain.clone(),
            truth_addresses: in_truth.len() as u64,
            clustered_addresses: clustered_here.len() as u64,
            unmatched_truth_addresses: unmatched,
            unknown_clustered_addresses: unknown,
            groups,
            largest_cluster: largest(truth, clustered, &clustered_here),
        });
    }
    out
}

fn largest(
    truth: &Truth,
    clustered: &Clustered,
    members: &[(&(String, String), u32)],
) -> Option<LargestCluster> {
    let mut sizes: HashMap<u32, u64> = HashMap::new();
    for (_, c) in members {
        *sizes.entry(*c).or_default() += 1;
    }
    // Ties broken by the id, so the report is the same run to run.
    let (&top, &size) = sizes.iter().max_by(|a, b| {
        a.1.cmp(b.1).then_with(|| {
            let id = |c: &u32| clustered.ids.get(*c as usize).cloned().unwrap_or_default();
            id(b.0).cmp(&id(a.0))
        })
    })?;
    let mut owners: HashSet<&str> = HashSet::new();
    let mut unknown = 0;
    for (k, _) in members.iter().filter(|(_, c)| *c == top) {
        match truth.addresses.get(*k) {
            Some(t) => {
                owners.insert(t.owner.as_str());
            }
            None => unknown += 1,
        }
    }
    Some(LargestCluster {
        cluster_id: clustered.ids.get(top as usize).cloned().unwrap_or_default(),
        size,
        true_owners: owners.len() as u64,
        unknown_members: unknown,
    })
}

async fn score_turnover(ctx: &SessionContext, truth: &Truth) -> Result<Turnover> {
    let batches = ctx
        .sql(
            "SELECT entity, CAST(year AS BIGINT), CAST(sum(inflow_usd) AS DOUBLE), \
             CAST(sum(turnover_usd) AS DOUBLE) FROM exchange_turnover_yearly GROUP BY entity, year",
        )
        .await?
        .collect()
        .await?;
    let mut est: BTreeMap<(String, i32), (f64, f64)> = BTreeMap::new();
    for b in &batches {
        let entity = text(b, 0)?;
        let year = cast(b.column(1), &DataType::Int64)
            .map_err(datafusion::error::DataFusionError::from)?;
        let (inflow, total) = (float(b, 2)?, float(b, 3)?);
        let year = year.as_primitive::<Int64Type>();
        for i in 0..b.num_rows() {
            let (Some(e), false) = (entity.get(i).cloned().flatten(), year.is_null(i)) else {
                continue;
            };
            let y = i32::try_from(year.value(i)).unwrap_or_default();
            let v = est.entry((e, y)).or_default();
            v.0 += inflow.get(i).copied().flatten().unwrap_or(0.0);
            v.1 += total.get(i).copied().flatten().unwrap_or(0.0);
        }
    }
    let labelled = |e: &str| {
        truth
            .entities
            .get(e)
            .is_some_and(|t| t.category == "exchange" && t.labelled)
    };
    let keys: BTreeSet<(String, i32)> = truth
        .turnover
        .keys()
        .chain(est.keys())
        .filter(|(e, _)| labelled(e))
        .cloned()
        .collect();
    let mut rows = Vec::new();
    let (mut sum_est, mut sum_true) = (0.0, 0.0);
    for k in keys {
        let (ti, to) = truth.turnover.get(&k).copied().unwrap_or_default();
        let (ei, et) = est.get(&k).copied().unwrap_or_default();
        sum_est += et;
        sum_true += ti + to;
        rows.push(TurnoverRow {
            entity: k.0,
            year: k.1,
            inflow_usd: ei,
            true_inflow_usd: ti,
            inflow_error: rel(ei, ti),
            turnover_usd: et,
            true_turnover_usd: ti + to,
            turnover_error: rel(et, ti + to),
        });
    }
    let inflow: Vec<f64> = rows.iter().filter_map(|r| r.inflow_error).collect();
    let total: Vec<f64> = rows.iter().filter_map(|r| r.turnover_error).collect();
    Ok(Turnover {
        inflow_median_error: median(&inflow),
        inflow_worst_error: inflow.iter().copied().reduce(f64::max),
        turnover_median_error: median(&total),
        turnover_worst_error: total.iter().copied().reduce(f64::max),
        total_turnover_error: rel(sum_est, sum_true),
        rows,
    })
}

fn float(b: &RecordBatch, i: usize) -> Result<Vec<Option<f64>>> {
    let col =
        cast(b.column(i), &DataType::Float64).map_err(datafusion::error::DataFusionError::from)?;
    let a = col.as_primitive::<Float64Type>();
    Ok((0..a.len())
        .map(|j| (!a.is_null(j)).then(|| a.value(j)))
        .collect())
}

/// |estimate − truth| / truth; None for a zero truth (undefined, not infinite, so the JSON
/// stays valid and the median is over defined errors).
pub fn rel(est: f64, truth: f64) -> Option<f64> {
    (truth != 0.0).then(|| (est - truth).abs() / truth.abs())
}

/// Median (mean of the middle two for an even count); None when empty.
pub fn median(values: &[f64]) -> Option<f64> {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => v.get(n / 2).copied(),
        _ => Some((v.get(n / 2 - 1)? + v.get(n / 2)?) / 2.0),
    }
}

async fn score_candidates(ctx: &SessionContext, truth: &Truth) -> Result<Candidates> {
    let batches = ctx
        .sql("SELECT chain, hub FROM exchange_candidates")
        .await?
        .collect()
        .await?;
    let mut hubs: BTreeSet<(String, String)> = BTreeSet::new();
    for b in &batches {
        let (chain, hub) = (text(b, 0)?, text(b, 1)?);
        for (c, h) in chain.into_iter().zip(hub) {
            if let (Some(c), Some(h)) = (c, h) {
                hubs.insert((c, h));
            }
        }
    }
    let (mut found, mut missed) = (Vec::new(), Vec::new());
    for (name, e) in &truth.entities {
        if e.category != "exchange" || e.labelled {
            continue;
        }
        let hit = truth
            .addresses
            .iter()
            .any(|(k, t)| &t.owner == name && t.role == "hot" && hubs.contains(k));
        if hit {
            found.push(name.clone());
        } else {
            missed.push(name.clone());
        }
    }
    let mut false_hubs = Vec::new();
    let mut unknown_hubs = 0;
    for k in &hubs {
        match truth.addresses.get(k) {
            Some(t) if !truth.is_exchange(&t.owner) => false_hubs.push((
                k.0.clone(),
                k.1.clone(),
                t.owner.clone(),
                truth.category_of(&t.owner).to_string(),
            )),
            Some(_) => {}
            None => unknown_hubs += 1,
        }
    }
    let turnover = candidate_turnover(ctx, truth).await?;
    let nested = score_nested(ctx, truth).await?;
    let errors: Vec<f64> = turnover.iter().filter_map(|r| r.error).collect();
    Ok(Candidates {
        hubs: hubs.len() as u64,
        found,
        missed,
        false_hubs,
        unknown_hubs,
        turnover_median_error: median(&errors),
        turnover,
        nested,
    })
}

/// Every nested exchanger hub of the truth against `exchange_candidates`' nested rows.
async fn score_nested(ctx: &SessionContext, truth: &Truth) -> Result<Vec<NestedRow>> {
    let batches = ctx
        .sql("SELECT chain, hub, host FROM exchange_candidates WHERE kind = 'nested'")
        .await?
        .collect()
        .await?;
    let mut flagged: BTreeMap<(String, String), String> = BTreeMap::new();
    for b in &batches {
        let (chain, hub, host) = (text(b, 0)?, text(b, 1)?, text(b, 2)?);
        for ((c, h), x) in chain.into_iter().zip(hub).zip(host) {
            if let (Some(c), Some(h)) = (c, h) {
                flagged.insert((c, h), x.unwrap_or_default());
            }
        }
    }
    Ok(truth
        .nested
        .iter()
        .map(|((chain, hub), (entity, host))| NestedRow {
            chain: chain.clone(),
            entity: entity.clone(),
            host: host.clone(),
            found_host: flagged.get(&(chain.clone(), hub.clone())).cloned(),
        })
        .collect())
}

/// `candidate_turnover_yearly` against the truth, for the hubs whose true owner is an
/// unlabelled exchange (a candidate per chain; two hubs of one owner add up).
async fn candidate_turnover(
    ctx: &SessionContext,
    truth: &Truth,
) -> Result<Vec<CandidateTurnoverRow>> {
    let batches = ctx
        .sql(
            "SELECT chain, hub, CAST(year AS BIGINT), CAST(confidence AS DOUBLE), \
             CAST(turnover_usd AS DOUBLE) FROM candidate_turnover_yearly",
        )
        .await?
        .collect()
        .await?;
    let mut est: BTreeMap<(String, String, i32), (f64, f64)> = BTreeMap::new();
    for b in &batches {
        let (chain, hub) = (text(b, 0)?, text(b, 1)?);
        let year = cast(b.column(2), &DataType::Int64)
            .map_err(datafusion::error::DataFusionError::from)?;
        let year = year.as_primitive::<Int64Type>();
        let (conf, usd) = (float(b, 3)?, float(b, 4)?);
        for i in 0..b.num_rows() {
            let (Some(Some(c)), Some(Some(h))) = (chain.get(i).cloned(), hub.get(i).cloned())
            else {
                continue;
            };
            let Some(t) = truth.addresses.get(&(c.clone(), h)) else {
                continue;
            };
            let unlabelled_exchange = truth.is_exchange(&t.owner)
                && !truth.entities.get(&t.owner).is_some_and(|e| e.labelled);
            if !unlabelled_exchange {
                continue;
            }
            let y = i32::try_from(year.value(i)).unwrap_or_default();
            let v = est.entry((t.owner.clone(), c, y)).or_default();
            v.0 = v.0.max(conf.get(i).copied().flatten().unwrap_or(0.0));
            v.1 += usd.get(i).copied().flatten().unwrap_or(0.0);
        }
    }
    Ok(est
        .into_iter()
        .map(|((entity, chain, year), (confidence, estimate_usd))| {
            let truth_usd = truth
                .turnover_by_chain
                .get(&(entity.clone(), chain.clone(), year))
                .map_or(0.0, |(i, o)| i + o);
            CandidateTurnoverRow {
                error: rel(estimate_usd, truth_usd),
                entity,
                chain,
                year,
                confidence,
                estimate_usd,
                truth_usd,
            }
        })
        .collect())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use crate::truth::{TrueAddress, TrueEntity};

    #[test]
    fn median_and_relative_error() {
        assert_eq!(median(&[]), None);
        assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), Some(2.5));
        assert_eq!(rel(90.0, 100.0), Some(0.1));
        assert_eq!(rel(5.0, 0.0), None);
    }

    #[test]
    fn groups_and_unmatched_addresses() {
        let mut t = Truth::default();
        t.entities.insert(
            "ex".into(),
            TrueEntity {
                category: "exchange".into(),
                labelled: true,
            },
        );
        let mut add = |a: &str, owner: &str| {
            t.addresses.insert(
                ("ethereum".into(), a.into()),
                TrueAddress {
                    owner: owner.into(),
                    role: "x".into(),
                },
            );
        };
        // ex owns e1, e2, e3; user-1 owns u1, u2; u3 (user-2) is not clustered.
        for (a, o) in [
            ("e1", "ex"),
            ("e2", "ex"),
            ("e3", "ex"),
            ("u1", "user-1"),
            ("u2", "user-1"),
            ("u3", "user-2"),
        ] {
            add(a, o);
        }
        // Clusters: {e1, e2}, {e3, u1, u2}, and x1 unknown to the truth.
        let ids = vec!["A".to_string(), "B".to_string()];
        let of: HashMap<(String, String), u32> = [
            ("e1", 0),
            ("e2", 0),
            ("e3", 1),
            ("u1", 1),
            ("u2", 1),
            ("x1", 1),
        ]
        .into_iter()
        .map(|(a, c)| (("ethereum".to_string(), a.to_string()), c))
        .collect();
        let s = score_clusters(&t, &Clustered { of, ids });
        assert_eq!(s.len(), 1);
        let c = &s[0];
        assert_eq!(
            (
                c.truth_addresses,
                c.clustered_addresses,
                c.unmatched_truth_addresses,
                c.unknown_clustered_addresses
            ),
            (6, 6, 1, 1)
        );
        let g: BTreeMap<&str, (u128, u128, u128)> = c
            .groups
            .iter()
            .map(|g| {
                let k = g.counts;
                (
                    g.group.as_str(),
                    (k.predicted_pairs, k.true_pairs, k.true_positive_pairs),
                )
            })
            .collect();
        // all: predicted 1 + C(3,2) = 4 (x1 not scored); true 3 + 1 = 4; TP {e1,e2} + {u1,u2} = 2.
        assert_eq!(g["all"], (4, 4, 2));
        // exchange: {e1,e2} {e3}: predicted 1, true 3, TP 1.
        assert_eq!(g["exchange"], (1, 3, 1));
        // user: {u1,u2} {u3 alone}: predicted 1, true 1, TP 1.
        assert_eq!(g["user"], (1, 1, 1));
        // Over the addresses in the data (u3 is not): the same pairs here, u3 shares no owner.
        let all = &c.groups[0];
        assert_eq!((all.in_data.items, all.counts.items), (5, 6));
        assert_eq!(all.in_data.true_pairs, 4);
        let l = c.largest_cluster.as_ref().unwrap();
        assert_eq!(
            (
                l.cluster_id.as_str(),
                l.size,
                l.true_owners,
                l.unknown_members
            ),
            ("B", 4, 2, 1)
        );
    }
}
