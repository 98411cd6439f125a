//! `chainstat accuracy` end to end: a small generated economy, the job with its work
//! folder kept, and the scorer. Checks the score's structure only: the heuristics (and
//! with them the figures) change; the figures are printed for the log.

use datafusion::prelude::SessionContext;

use crate::job::generated;

#[tokio::test]
async fn a_generated_run_is_scored_against_its_ground_truth() {
    let dir = tempfile::tempdir().expect("tmp");
    let data = dir.path().join("data");
    let cfg = generated(&data, 8_000, 365);
    let out = dir.path().join("out");
    let summary = crate::job::run_keeping_work(cfg, &out).await;
    let clusters = out
        .join("_work")
        .join(&summary.manifest.run_id)
        .join("cluster");
    assert!(clusters.join("address_clusters").is_dir(), "{clusters:?}");

    let report = chainstat_accuracy::score_dir(
        &SessionContext::new(),
        &data,
        &clusters.display().to_string(),
        &out.display().to_string(),
    )
    .await
    .expect("scored");
    println!("{}", chainstat_accuracy::render::markdown(&report));

    assert!(
        report.invalid_truth_addresses.is_empty(),
        "{:?}",
        report.invalid_truth_addresses
    );
    assert_eq!(report.conflicting_truth_addresses, 0);
    let chains: Vec<&str> = report.chains.iter().map(|c| c.chain.as_str()).collect();
    assert_eq!(chains, vec!["bitcoin", "ethereum"]);
    for c in &report.chains {
        assert!(c.truth_addresses > 0 && c.clustered_addresses > 0, "{c:?}");
        // Every address the job clustered has a true owner: the truth's addresses normalise
        // to the job's text exactly. (Truth addresses never used in a transfer are not in
        // the clustering; they are counted, and scored as singletons.)
        assert_eq!(c.unknown_clustered_addresses, 0, "{c:?}");
        assert!(c.unmatched_truth_addresses < c.truth_addresses, "{c:?}");
        let groups: Vec<&str> = c.groups.iter().map(|g| g.group.as_str()).collect();
        assert_eq!(groups, vec!["all", "exchange", "user"], "{}", c.chain);
        for g in &c.groups {
            assert!(g.counts.items > 0, "{} {}: no addresses", c.chain, g.group);
            assert!((0.0..=1.0).contains(&g.precision), "{g:?}");
            assert!((0.0..=1.0).contains(&g.recall), "{g:?}");
            assert!((0.0..=1.0).contains(&g.recall_in_data), "{g:?}");
            assert!(g.recall <= g.recall_in_data, "{g:?}");
            assert!(
                g.counts.true_positive_pairs <= g.counts.predicted_pairs.min(g.counts.true_pairs)
            );
        }
        let l = c.largest_cluster.as_ref().expect("a largest cluster");
        assert!(
            l.size >= 1 && l.true_owners + l.unknown_members >= 1,
            "{l:?}"
        );
    }
    let t = &report.turnover;
    assert!(!t.rows.is_empty(), "labelled exchanges have turnover");
    for e in [t.inflow_median_error, t.turnover_median_error] {
        assert!(e.is_some_and(|e| e.is_finite() && e >= 0.0), "{t:?}");
    }
    let c = &report.candidates;
    assert!(
        !(c.found.is_empty() && c.missed.is_empty()),
        "unlabelled exchanges exist"
    );
    // Nested exchangers: every hub flagged, naming its true host.
    assert!(
        !c.nested.is_empty(),
        "the generator writes nested exchangers"
    );
    for n in &c.nested {
        assert_eq!(n.found_host.as_deref(), Some(n.host.as_str()), "{n:?}");
    }
    // Candidate turnover per year against the truth: within 10 % (median), as issue
    // 28 asks. (It was exact at 20 000 transfers on 2026-12-07: docs/accuracy.md.)
    assert!(!c.turnover.is_empty(), "{c:?}");
    let median = c.turnover_median_error.expect("a median");
    assert!(
        median <= 0.10,
        "median candidate turnover error {median}: {:?}",
        c.turnover
    );
    assert!(chainstat_accuracy::render::json(&report)
        .expect("json")
        .contains("\"precision\""));
}
