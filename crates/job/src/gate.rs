//! Sanity gates before a commit.
//!
//! A run whose inputs broke in a way no reader caught (labels without categories, a
//! truncated export, a price file from the wrong chain) still computes and would replace
//! a good published run with plausible-looking nonsense. The gates compare a few headline
//! figures with the published run's and refuse the commit when they look broken; the
//! operator re-runs with `--accept-change` when the change is real.

use datafusion::prelude::SessionContext;
use serde::{Deserialize, Serialize};

use crate::error::Result;

/// The headline figures of a run, recorded in its manifest for the next run's gates.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Figures {
    /// Exchanges with turnover (distinct entities of `exchange_turnover_yearly`); None
    /// when the query set publishes no such table.
    pub exchanges: Option<u64>,
    /// Their turnover in USD over every year (estimate, priced legs).
    pub turnover_usd: Option<f64>,
    /// Addresses clustered.
    pub addresses: u64,
    /// Whether the run has a report.
    pub report: bool,
}

/// The table the exchange figures come from.
const TURNOVER: &str = "exchange_turnover_yearly";

/// Reads the figures of the run being made from its registered tables.
pub async fn figures(ctx: &SessionContext, addresses: u64, report: bool) -> Result<Figures> {
    let mut f = Figures {
        addresses,
        report,
        ..Default::default()
    };
    if ctx.table_exist(TURNOVER)? {
        let batches = ctx
            .sql(&format!(
                "SELECT CAST(count(DISTINCT entity) AS BIGINT), \
                 CAST(COALESCE(sum(turnover_usd), 0) AS DOUBLE) FROM {TURNOVER}"
            ))
            .await?
            .collect()
            .await?;
        if let Some(b) = batches.iter().find(|b| b.num_rows() > 0) {
            use arrow::array::AsArray;
            use arrow::datatypes::{Float64Type, Int64Type};
            f.exchanges = Some(b.column(0).as_primitive::<Int64Type>().value(0).max(0) as u64);
            f.turnover_usd = Some(b.column(1).as_primitive::<Float64Type>().value(0));
        }
    }
    Ok(f)
}

/// What is wrong with `new` on its own and against the published run's figures
/// (`published`, if it recorded any): empty when the run may commit.
///
/// `max_factor` bounds how far a figure may move between two runs (either way);
/// `report_wanted` is false when the run was told not to make a report.
pub fn check(
    new: &Figures,
    published: Option<&Figures>,
    max_factor: f64,
    report_wanted: bool,
) -> Vec<String> {
    let mut reasons = Vec::new();
    if new.exchanges == Some(0) {
        reasons.push(format!(
            "it attributes no exchange ({TURNOVER} is empty): check the labels' categories \
             and [cluster] exchange_categories"
        ));
    }
    let Some(old) = published else {
        return reasons;
    };
    let moved = |what: &str, old: f64, new: f64, reasons: &mut Vec<String>| {
        if old.is_nan() || old <= 0.0 {
            return;
        }
        let ratio = if new > 0.0 {
            (new / old).max(old / new)
        } else {
            f64::INFINITY
        };
        if ratio > max_factor {
            reasons.push(format!(
                "{what} went from {} to {} (more than the allowed factor {max_factor} \
                 of [job] max_change_factor)",
                number(old),
                number(new)
            ));
        }
    };
    if let (Some(o), Some(n)) = (old.exchanges, new.exchanges) {
        if n > 0 {
            moved("exchanges with turnover", o as f64, n as f64, &mut reasons);
        }
    }
    if let (Some(o), Some(n)) = (old.turnover_usd, new.turnover_usd) {
        moved("exchange turnover (USD)", o, n, &mut reasons);
    }
    moved(
        "addresses clustered",
        old.addresses as f64,
        new.addresses as f64,
        &mut reasons,
    );
    if report_wanted && old.report && !new.report {
        reasons.push(
            "the published run has a report and this one has none (no yearly turnover)".into(),
        );
    }
    reasons
}

fn number(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{v:.0}")
    } else {
        format!("{v:.2}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn figures(exchanges: u64, turnover: f64, addresses: u64, report: bool) -> Figures {
        Figures {
            exchanges: Some(exchanges),
            turnover_usd: Some(turnover),
            addresses,
            report,
        }
    }

    #[test]
    fn a_first_run_passes_unless_it_attributes_no_exchange() {
        assert!(check(&figures(3, 10.0, 100, true), None, 10.0, true).is_empty());
        let r = check(&figures(0, 0.0, 100, false), None, 10.0, true);
        assert_eq!(r.len(), 1, "{r:?}");
        assert!(r[0].contains("no exchange"), "{r:?}");
    }

    #[test]
    fn figures_may_move_within_the_factor_either_way() {
        let old = figures(10, 1000.0, 5000, true);
        for new in [
            figures(10, 1000.0, 5000, true),
            figures(2, 101.0, 501, true),
            figures(99, 9999.0, 49_999, true),
        ] {
            assert!(check(&new, Some(&old), 10.0, true).is_empty(), "{new:?}");
        }
        let r = check(&figures(10, 99.0, 5000, true), Some(&old), 10.0, true);
        assert_eq!(r.len(), 1, "{r:?}");
        assert!(
            r[0].contains("turnover") && r[0].contains("from 1000 to 99"),
            "{r:?}"
        );
        let r = check(&figures(10, 1000.0, 50_001, true), Some(&old), 10.0, true);
        assert!(r[0].contains("addresses"), "{r:?}");
        // Dropping to nothing is always past the factor.
        let r = check(&figures(10, 0.0, 5000, true), Some(&old), 1e9, true);
        assert!(r[0].contains("to 0"), "{r:?}");
    }

    #[test]
    fn a_lost_report_is_refused_unless_none_was_asked_for() {
        let old = figures(10, 1000.0, 5000, true);
        let new = figures(10, 1000.0, 5000, false);
        assert_eq!(check(&new, Some(&old), 10.0, true).len(), 1);
        assert!(check(&new, Some(&old), 10.0, false).is_empty());
    }
}
