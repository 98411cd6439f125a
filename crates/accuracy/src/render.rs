//! The report as Markdown tables (for people and `scripts/bench/ACCURACY.md`).

use std::fmt::Write;

use crate::score::Report;

fn pct(v: Option<f64>) -> String {
    v.map_or_else(|| "–".to_string(), |v| format!("{:.2} %", v * 100.0))
}

/// Renders `r` as Markdown (headings at level 3, so it nests in a larger document).
pub fn markdown(r: &Report) -> String {
    let mut s = String::new();
    // Writing into a String cannot fail; the results are ignored on purpose.
    let _ = writeln!(s, "### Clustering (pairwise)\n");
    let _ = writeln!(
        s,
        "| chain | group | addresses | in the data | precision | recall | recall in the data | predicted pairs | true pairs | TP pairs |"
    );
    let _ = writeln!(s, "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    for c in &r.chains {
        for g in &c.groups {
            let k = g.counts;
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} | {:.4} | {:.4} | {:.4} | {} | {} | {} |",
                c.chain,
                g.group,
                k.items,
                g.in_data.items,
                g.precision,
                g.recall,
                g.recall_in_data,
                k.predicted_pairs,
                k.true_pairs,
                k.true_positive_pairs
            );
        }
    }
    let _ = writeln!(
        s,
        "\nRecall counts every truth address (one the clustering does not contain is a \
         singleton); \"recall in the data\" counts only the addresses that occur in the input, \
         which the heuristics could have linked. Precision is the same for both."
    );
    let _ = writeln!(s, "\n### Address matching and largest cluster\n");
    let _ = writeln!(
        s,
        "| chain | truth addresses | clustered | truth not in the clustering (singletons) | clustered not in truth | largest cluster | its true owners | its unknown members |"
    );
    let _ = writeln!(s, "|---|---:|---:|---:|---:|---:|---:|---:|");
    for c in &r.chains {
        let (size, owners, unknown) = c
            .largest_cluster
            .as_ref()
            .map_or((0, 0, 0), |l| (l.size, l.true_owners, l.unknown_members));
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} | {} | {} | {} |",
            c.chain,
            c.truth_addresses,
            c.clustered_addresses,
            c.unmatched_truth_addresses,
            c.unknown_clustered_addresses,
            size,
            owners,
            unknown
        );
    }
    let _ = writeln!(
        s,
        "\nTruth addresses that do not normalise: {}; listed twice with different owners: {}.",
        r.invalid_truth_addresses.len(),
        r.conflicting_truth_addresses
    );

    let t = &r.turnover;
    let _ = writeln!(s, "\n### Labelled exchanges' turnover\n");
    let _ = writeln!(
        s,
        "| measure | exchange-years | median error | worst error |"
    );
    let _ = writeln!(s, "|---|---:|---:|---:|");
    let defined = |f: fn(&crate::score::TurnoverRow) -> Option<f64>| {
        t.rows.iter().filter(|r| f(r).is_some()).count()
    };
    let _ = writeln!(
        s,
        "| yearly inflow USD | {} | {} | {} |",
        defined(|r| r.inflow_error),
        pct(t.inflow_median_error),
        pct(t.inflow_worst_error)
    );
    let _ = writeln!(
        s,
        "| yearly turnover USD | {} | {} | {} |",
        defined(|r| r.turnover_error),
        pct(t.turnover_median_error),
        pct(t.turnover_worst_error)
    );
    let _ = writeln!(
        s,
        "\nAll labelled exchanges' turnover together: error {}.\n",
        pct(t.total_turnover_error)
    );
    let _ = writeln!(
        s,
        "| exchange | year | inflow USD | true inflow | error | turnover USD | true turnover | error |"
    );
    let _ = writeln!(s, "|---|---:|---:|---:|---:|---:|---:|---:|");
    for row in &t.rows {
        let _ = writeln!(
            s,
            "| {} | {} | {:.0} | {:.0} | {} | {:.0} | {:.0} | {} |",
            row.entity,
            row.year,
            row.inflow_usd,
            row.true_inflow_usd,
            pct(row.inflow_error),
            row.turnover_usd,
            row.true_turnover_usd,
            pct(row.turnover_error)
        );
    }

    let c = &r.candidates;
    let _ = writeln!(s, "\n### Exchange candidates\n");
    let _ = writeln!(
        s,
        "| candidate hubs | unlabelled exchanges found | missed | false hubs (owner not an exchange) | hubs unknown to the truth |"
    );
    let _ = writeln!(s, "|---:|---:|---:|---:|---:|");
    let _ = writeln!(
        s,
        "| {} | {} of {} | {} | {} | {} |",
        c.hubs,
        c.found.len(),
        c.found.len() + c.missed.len(),
        list(&c.missed),
        c.false_hubs.len(),
        c.unknown_hubs
    );
    for (chain, hub, owner, category) in &c.false_hubs {
        let _ = writeln!(
            s,
            "\n- false hub {chain}:{hub} owned by {owner} ({category})"
        );
    }
    if !c.nested.is_empty() {
        let with_host = c
            .nested
            .iter()
            .filter(|n| n.found_host.as_deref() == Some(n.host.as_str()))
            .count();
        let _ = writeln!(
            s,
            "\nNested exchangers (hubs per chain) flagged with their true host: {with_host} of {}.\n",
            c.nested.len()
        );
        let _ = writeln!(
            s,
            "| nested exchanger | chain | true host | flagged with host |"
        );
        let _ = writeln!(s, "|---|---|---|---|");
        for n in &c.nested {
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} |",
                n.entity,
                n.chain,
                n.host,
                n.found_host.as_deref().unwrap_or("not flagged")
            );
        }
    }
    if !c.turnover.is_empty() {
        let _ = writeln!(
            s,
            "\nCandidate turnover per year against the truth (median error {}):\n",
            pct(c.turnover_median_error)
        );
        let _ = writeln!(
            s,
            "| unlabelled exchange | chain | year | confidence | estimate USD | truth USD | error |"
        );
        let _ = writeln!(s, "|---|---|---:|---:|---:|---:|---:|");
        for row in &c.turnover {
            let _ = writeln!(
                s,
                "| {} | {} | {} | {:.3} | {:.0} | {:.0} | {} |",
                row.entity,
                row.chain,
                row.year,
                row.confidence,
                row.estimate_usd,
                row.truth_usd,
                pct(row.error)
            );
        }
    }
    s
}

fn list(v: &[String]) -> String {
    if v.is_empty() {
        "none".to_string()
    } else {
        v.join(", ")
    }
}

/// Renders `r` as pretty JSON.
pub fn json(r: &Report) -> serde_json::Result<String> {
    serde_json::to_string_pretty(r)
}
