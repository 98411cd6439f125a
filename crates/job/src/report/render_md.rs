//! Markdown rendering of the annual report, for pasting into memos.
//!
//! GitHub-flavoured tables (numbers right-aligned) and plain bullets only, so the
//! text reads well both rendered and as plain text. Every value from the data is
//! escaped with `escape_md`; an entity name containing `|` must not split a
//! table row, and one containing `<script>` must not become HTML.

use super::content::{headline, report_title, sections, Body, Table};
use super::format::escape_md;
use super::model::ReportData;

/// Renders the report as Markdown: title, headline paragraph, then one section per
/// topic (enforcement, exchanges, exchanges above the threshold, candidates,
/// coverage, method notes, provenance). Sections without rows say "No data for
/// {year}." instead of printing an empty table.
pub fn render_markdown(d: &ReportData) -> String {
    let mut out = String::with_capacity(8 * 1024);
    out.push_str(&format!("# {}\n\n", escape_md(&report_title(d))));
    out.push_str(&escape_md(&headline(d)));
    out.push('\n');
    for section in sections(d) {
        out.push_str(&format!("\n## {}\n\n", escape_md(&section.heading)));
        if let Some(intro) = &section.intro {
            out.push_str(&format!("{}\n\n", escape_md(intro)));
        }
        match &section.body {
            Body::Table(table) => push_table(&mut out, table),
            Body::Bullets(items) => {
                for item in items {
                    out.push_str(&format!("- {}\n", escape_md(item)));
                }
            }
            Body::Fields(fields) => {
                for (label, value) in fields {
                    out.push_str(&format!(
                        "- **{}:** {}\n",
                        escape_md(label),
                        escape_md(value)
                    ));
                }
            }
            Body::Message(message) => {
                out.push_str(&escape_md(message));
                out.push('\n');
            }
        }
    }
    out
}

fn push_table(out: &mut String, table: &Table) {
    let header: Vec<String> = table.columns.iter().map(|c| escape_md(&c.label)).collect();
    out.push_str(&format!("| {} |\n", header.join(" | ")));
    let align: Vec<&str> = table
        .columns
        .iter()
        .map(|c| if c.numeric { "---:" } else { "---" })
        .collect();
    out.push_str(&format!("| {} |\n", align.join(" | ")));
    for row in &table.rows {
        push_row(out, row, false);
    }
    if let Some(total) = &table.total {
        push_row(out, total, true);
    }
}

/// One table row; the total row is bold (empty cells stay empty, since `****`
/// would render literally).
fn push_row(out: &mut String, cells: &[String], bold: bool) {
    let cells: Vec<String> = cells
        .iter()
        .map(|c| {
            let e = escape_md(c);
            if bold && !e.is_empty() {
                format!("**{e}**")
            } else {
                e
            }
        })
        .collect();
    out.push_str(&format!("| {} |\n", cells.join(" | ")));
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::super::test_support::sample;
    use super::*;

    #[test]
    fn starts_with_title_and_headline() {
        let md = render_markdown(&sample());
        assert!(md.starts_with("# Exchange turnover and enforcement statistics, 2025\n\nIn 2025, 5 exchanges were active"));
        assert!(md.contains(
            "2 unlicensed exchanges had a turnover of at least $1.0M; their combined turnover was $5.5M (lower bound $1.5M)."
        ));
    }

    #[test]
    fn has_every_section() {
        let md = render_markdown(&sample());
        for heading in [
            "## Enforcement summary by jurisdiction",
            "## Exchanges",
            "## Unlicensed and unknown-status exchanges at or above $1.0M",
            "## Candidate exchanges (unlabelled clusters)",
            "## Data coverage",
            "## Method notes",
            "## Provenance",
        ] {
            assert!(md.contains(heading), "missing {heading}\n{md}");
        }
        assert!(md.contains("- Turnover is inflow plus outflow."));
        assert!(md.contains("- **Run ID:** run-42"));
        assert!(md.contains("- **chainstat version:** 0.1.0"));
        assert!(md.contains("- **Generated at (UTC):** 2026-01-15T08:00:00Z"));
    }

    #[test]
    fn tables_have_exact_figures_total_row_and_alignment() {
        let md = render_markdown(&sample());
        assert!(md.contains("| --- | ---: | ---: |"));
        assert!(md.contains(
            "| **Total** | **5** | **1** | **3** | **1** | **1** | **2** | **0** | **12,500,000** | **6,900,000** | **6,000,000** | **1,700,000** |"
        ));
        assert!(md.contains(
            "| DE | 2 | 1 | 1 | 0 | 1 | 1 | 0 | 8,000,000 | 5,000,000 | 3,000,000 | 1,000,000 |"
        ));
        assert!(md.contains("| (none) | 1 |"));
        assert!(md.contains("| 1 | Alpha | DE | licensed | 2,500,000 | 2,500,000 | 5,000,000 | 4,000,000 | 100 | 1,000 | 3 |"));
        assert!(md.contains("| Bravo | DE | unlicensed | 3,000,000 |"));
        assert!(md.contains("| cl_23 | tron | TXhub | 40 | 31 | 0.31 | no | unpriced |"));
        // labelled, unidentified and total kept apart, lower / estimate / upper
        assert!(md.contains(
            "| Unidentified exchange-like services: 2 candidates, 1 with confidence at least 0.5 | 0 | 4,000,000 | 4,000,000 |"
        ), "{md}");
        assert!(md.contains("| **Total** | **700,000** | **7,000,000** | **8,500,000** |"));
        assert!(md.contains("| FR | Charlie | sanction | 125,000 | unpriced | 14 | garantex (OFAC SDN (ETH)): 120000.000000 USD; 0xabc (OFAC SDN (USDT)): 5000.000000 USD |"));
        assert!(md.contains("| bitcoin | BTC | 1,234,567 | 99.8% | 42.0% | 0 |"));
    }

    #[test]
    fn every_table_row_has_the_header_cell_count() {
        let md = render_markdown(&sample());
        let mut expected: Option<usize> = None;
        for line in md.lines() {
            if line.starts_with('|') {
                let cells = line.replace("\\|", "").matches('|').count();
                match expected {
                    None => expected = Some(cells),
                    Some(n) => assert_eq!(n, cells, "{line}"),
                }
            } else {
                expected = None;
            }
        }
    }

    #[test]
    fn pipes_and_markup_in_data_are_escaped() {
        let mut d = sample();
        d.exchanges[0].entity = "Foo|Bar".to_string();
        d.exchanges[1].entity = "<script>alert(1)</script>".to_string();
        d.candidates[0].evidence = "multi\nline | evidence".to_string();
        let md = render_markdown(&d);
        assert!(md.contains(r"Foo\|Bar"));
        assert!(!md.contains("Foo|Bar"));
        assert!(!md.contains("<script>"));
        assert!(md.contains(r"\<script\>alert(1)\</script\>"));
        assert!(md.contains(r"multi line \| evidence"));
    }

    #[test]
    fn empty_report_says_no_data_for_the_year() {
        let d = ReportData {
            year: 2025,
            ..ReportData::default()
        };
        let md = render_markdown(&d);
        assert!(md.contains("There is no data for 2025"));
        assert!(md.contains("No data for 2025."));
        assert!(!md.contains("| ---"));
        assert!(md.contains("- **Run ID:** not recorded"));
        assert!(!md.contains("NaN"));
    }

    #[test]
    fn nan_amounts_print_as_not_available() {
        let mut d = sample();
        d.exchanges[0].turnover_usd = f64::NAN;
        let md = render_markdown(&d);
        assert!(!md.contains("NaN"));
        assert!(md.contains("n/a"));
    }
}
