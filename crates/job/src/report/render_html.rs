//! HTML rendering of the annual report: one self-contained page.
//!
//! Analysts open the page on machines that may have no internet access and print
//! it for case files, so everything is inline: CSS in a `<style>` element, charts
//! as inline SVG, no JavaScript, fonts, images or links to other origins. The
//! sections and wording come from `content`, shared with the Markdown memo; this
//! file adds the two monthly charts and the markup. Every string that comes from
//! the data is escaped with `escape_html`.

use super::content::{
    headline, monthly_by_status, monthly_series, report_title, sections, top_entities, Body,
    Section, Table,
};
use super::format::{escape_html as esc, MONTHS};
use super::model::ReportData;
use super::svg::{bar_chart, line_chart};

/// How many exchanges the monthly line chart shows; more lines become unreadable.
const TOP_N: usize = 5;

/// Readable on screen, compact in print. System fonts only (no downloads);
/// tabular figures keep right-aligned amounts lined up digit by digit.
const STYLE: &str = r#"
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0; background: #ffffff; color: #1a1a1a;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif;
  font-size: 15px; line-height: 1.5; }
main { max-width: 78rem; margin: 0 auto; padding: 1.5rem 1.25rem 3rem; }
h1 { font-size: 1.6rem; line-height: 1.25; margin: 0 0 .25rem; }
h2 { font-size: 1.2rem; margin: 2.25rem 0 .5rem; padding-bottom: .25rem; border-bottom: 1px solid #cccccc; }
p { max-width: 60rem; }
.meta { color: #555555; font-size: .875rem; margin: 0 0 1rem; }
.headline { font-size: 1.05rem; background: #f2f6fa; border-left: 4px solid #0072B2; padding: .75rem 1rem; }
nav ol { margin: .25rem 0 0; padding-left: 1.25rem; columns: 2; font-size: .9rem; }
nav a { color: #0060a0; }
.table-wrap { overflow-x: auto; margin: .5rem 0 1rem; }
table { border-collapse: collapse; font-size: .85rem; }
caption { text-align: left; }
th, td { padding: .3rem .6rem; border-bottom: 1px solid #dddddd; text-align: left; vertical-align: top; }
thead th { background: #f3f3f3; border-bottom: 2px solid #999999; font-weight: 600; vertical-align: bottom; }
tbody tr:nth-child(even) { background: #fafafa; }
tfoot td { font-weight: 700; border-top: 2px solid #999999; border-bottom: none; }
.num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
.empty { color: #555555; font-style: italic; }
figure { margin: 1rem 0 1.5rem; }
figure svg { display: block; width: 100%; max-width: 720px; height: auto; }
figcaption { color: #555555; font-size: .85rem; max-width: 720px; }
dl.fields { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; font-size: .9rem; }
dl.fields dt { font-weight: 600; }
dl.fields dd { margin: 0; font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; overflow-wrap: anywhere; }
@media print {
  @page { margin: 12mm; }
  body { font-size: 10pt; }
  main { max-width: none; padding: 0; }
  nav { display: none; }
  h2 { break-after: avoid; page-break-after: avoid; }
  .headline { border: 1px solid #999999; border-left: 4px solid #0072B2; }
  .table-wrap { overflow: visible; }
  /* Paper cannot scroll: every table takes the page's width and its cells wrap (numbers
     at their digit groups, hashes anywhere), so no column is cut on A4 portrait or
     landscape (tests/interop/report_print.py). */
  table { font-size: 7.5pt; width: 100%; table-layout: fixed; }
  th, td { padding: .15rem .25rem; overflow-wrap: anywhere; }
  .num { white-space: normal; }
  thead { display: table-header-group; }
  tr, figure, dl.fields { break-inside: avoid; page-break-inside: avoid; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
"#;

/// Renders the report as one self-contained HTML page: header, headline, contents,
/// the monthly charts, then the same sections as `render_markdown`.
pub fn render_html(d: &ReportData) -> String {
    let title = report_title(d);
    let sections = sections(d);
    let mut out = String::with_capacity(64 * 1024);
    out.push_str("<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    out.push_str(&format!("<title>{}</title>\n", esc(&title)));
    out.push_str(&format!(
        "<style>{STYLE}</style>\n</head>\n<body>\n<main>\n"
    ));

    out.push_str(&format!("<header>\n<h1>{}</h1>\n", esc(&title)));
    let meta = meta_line(d);
    if !meta.is_empty() {
        out.push_str(&format!("<p class=\"meta\">{}</p>\n", esc(&meta)));
    }
    out.push_str("</header>\n");
    out.push_str(&format!(
        "<p class=\"headline\">{}</p>\n",
        esc(&headline(d))
    ));

    push_contents(&mut out, &sections);
    push_charts(&mut out, d);
    for section in &sections {
        push_section(&mut out, section);
    }
    out.push_str("</main>\n</body>\n</html>\n");
    out
}

/// "Run … · generated … · chainstat …", leaving out what the caller did not set.
fn meta_line(d: &ReportData) -> String {
    let parts: Vec<String> = [
        ("Run", d.run_id.trim()),
        ("generated", d.generated_at.trim()),
        ("chainstat", d.version.trim()),
    ]
    .iter()
    .filter(|(_, v)| !v.is_empty())
    .map(|(k, v)| format!("{k} {v}"))
    .collect();
    parts.join(" · ")
}

/// In-page table of contents (hidden in print, where it is useless).
fn push_contents(out: &mut String, sections: &[Section]) {
    out.push_str("<nav aria-label=\"Contents\">\n<ol>\n");
    out.push_str("<li><a href=\"#monthly\">Monthly turnover</a></li>\n");
    for s in sections {
        out.push_str(&format!(
            "<li><a href=\"#{}\">{}</a></li>\n",
            s.id,
            esc(&s.heading)
        ));
    }
    out.push_str("</ol>\n</nav>\n");
}

/// The two monthly charts, computed from `ReportData::monthly`.
fn push_charts(out: &mut String, d: &ReportData) {
    let months: Vec<String> = MONTHS.iter().map(|m| m.to_string()).collect();
    let series: Vec<(String, Vec<f64>)> = top_entities(d, TOP_N)
        .into_iter()
        .map(|entity| {
            let values = monthly_series(d, &entity);
            (entity, values)
        })
        .collect();
    let lines = line_chart(
        &format!(
            "Monthly turnover (USD) of the top {TOP_N} exchanges, {}",
            d.year
        ),
        &series,
        &months,
    );
    let bars = bar_chart(
        &format!("Monthly turnover (USD) by licence status, {}", d.year),
        &monthly_by_status(d),
    );
    out.push_str("<section id=\"monthly\">\n<h2>Monthly turnover</h2>\n");
    out.push_str(&format!(
        "<figure>\n{lines}\n<figcaption>Turnover per month of the {TOP_N} exchanges with the highest yearly turnover. Months without activity count as zero.</figcaption>\n</figure>\n"
    ));
    out.push_str(&format!(
        "<figure>\n{bars}\n<figcaption>Turnover per month of all exchanges, stacked by licence status.</figcaption>\n</figure>\n"
    ));
    out.push_str("</section>\n");
}

fn push_section(out: &mut String, s: &Section) {
    out.push_str(&format!(
        "<section id=\"{}\">\n<h2>{}</h2>\n",
        s.id,
        esc(&s.heading)
    ));
    if let Some(intro) = &s.intro {
        out.push_str(&format!("<p>{}</p>\n", esc(intro)));
    }
    match &s.body {
        Body::Table(table) => push_table(out, table),
        Body::Bullets(items) => {
            out.push_str("<ul>\n");
            for item in items {
                out.push_str(&format!("<li>{}</li>\n", esc(item)));
            }
            out.push_str("</ul>\n");
        }
        Body::Fields(fields) => {
            out.push_str("<dl class=\"fields\">\n");
            for (label, value) in fields {
                out.push_str(&format!("<dt>{}</dt><dd>{}</dd>\n", esc(label), esc(value)));
            }
            out.push_str("</dl>\n");
        }
        Body::Message(message) => {
            out.push_str(&format!("<p class=\"empty\">{}</p>\n", esc(message)));
        }
    }
    out.push_str("</section>\n");
}

fn push_table(out: &mut String, table: &Table) {
    let class = |numeric: bool| if numeric { " class=\"num\"" } else { "" };
    out.push_str("<div class=\"table-wrap\">\n<table>\n<thead>\n<tr>");
    for c in &table.columns {
        out.push_str(&format!(
            "<th scope=\"col\"{}>{}</th>",
            class(c.numeric),
            esc(&c.label)
        ));
    }
    out.push_str("</tr>\n</thead>\n<tbody>\n");
    for row in &table.rows {
        push_row(out, table, row, &class);
    }
    out.push_str("</tbody>\n");
    if let Some(total) = &table.total {
        out.push_str("<tfoot>\n");
        push_row(out, table, total, &class);
        out.push_str("</tfoot>\n");
    }
    out.push_str("</table>\n</div>\n");
}

fn push_row(
    out: &mut String,
    table: &Table,
    cells: &[String],
    class: &dyn Fn(bool) -> &'static str,
) {
    out.push_str("<tr>");
    for (i, cell) in cells.iter().enumerate() {
        let numeric = table.columns.get(i).is_some_and(|c| c.numeric);
        out.push_str(&format!("<td{}>{}</td>", class(numeric), esc(cell)));
    }
    out.push_str("</tr>\n");
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::super::model::ExchangeRow;
    use super::super::test_support::sample;
    use super::*;

    #[test]
    fn is_a_complete_utf8_document() {
        let html = render_html(&sample());
        assert!(html.starts_with("<!doctype html>"));
        assert!(html.contains("<meta charset=\"utf-8\">"));
        assert!(html.contains("<style>"));
        assert!(html.contains("<title>Exchange turnover and enforcement statistics, 2025</title>"));
        assert!(html.trim_end().ends_with("</html>"));
        assert_eq!(
            html.matches("<section ").count(),
            html.matches("</section>").count()
        );
    }

    #[test]
    fn is_self_contained() {
        let html = render_html(&sample());
        assert!(!html.contains("http://"));
        assert!(!html.contains("https://"));
        assert!(!html.contains("<script"));
        assert!(!html.contains("<link"));
        assert!(!html.contains("<img"));
        assert!(!html.contains("url("));
        assert!(!html.contains("@import"));
        assert!(!html.contains(" src="));
    }

    #[test]
    fn has_headline_sections_and_two_charts() {
        let html = render_html(&sample());
        assert!(html.contains("<p class=\"headline\">In 2025, 5 exchanges were active"));
        assert!(html.contains(
            "2 unlicensed exchanges had a turnover of at least $1.0M; their combined turnover was $5.5M (lower bound $1.5M)."
        ));
        for id in [
            "monthly",
            "enforcement",
            "exchanges",
            "above-threshold",
            "candidates",
            "coverage",
            "notes",
            "provenance",
        ] {
            assert!(
                html.contains(&format!("<section id=\"{id}\">")),
                "missing {id}"
            );
            assert!(
                html.contains(&format!("href=\"#{id}\"")),
                "missing link to {id}"
            );
        }
        assert_eq!(html.matches("<svg ").count(), 2);
        assert!(html.contains("role=\"img\""));
        assert!(html.contains("<td class=\"num\">12,500,000</td>"));
        assert!(html.contains("<tfoot>"));
        assert!(html.contains("<th scope=\"col\" class=\"num\">Turnover (USD)</th>"));
        assert!(html.contains("<dt>Run ID</dt><dd>run-42</dd>"));
        assert!(html.contains("<li>Turnover is inflow plus outflow.</li>"));
    }

    #[test]
    fn line_chart_shows_the_top_five_and_status_chart_all_statuses() {
        let mut d = sample();
        d.exchanges.push(ExchangeRow {
            entity: "Foxtrot".to_string(),
            licence_status: "licensed".to_string(),
            turnover_usd: 10.0,
            lower_turnover_usd: 5.0,
            ..ExchangeRow::default()
        });
        let html = render_html(&d);
        for name in ["Alpha", "Bravo", "Charlie", "Echo", "Delta"] {
            assert!(html.contains(&format!("<title>{name}</title>")), "{name}");
        }
        assert!(!html.contains("<title>Foxtrot</title>"));
        for status in ["Licensed", "Unlicensed", "Unknown status"] {
            assert!(
                html.contains(&format!("<title>{status}</title>")),
                "{status}"
            );
        }
    }

    #[test]
    fn data_strings_are_escaped() {
        let mut d = sample();
        let evil = "<script>alert('x')</script>";
        d.exchanges[0].entity = evil.to_string();
        for m in d.monthly.iter_mut().filter(|m| m.entity == "Alpha") {
            m.entity = evil.to_string();
        }
        d.candidates[0].evidence = "a & b \"quoted\"".to_string();
        d.notes.push("<b>bold</b>".to_string());
        d.title = "Stats <i>".to_string();
        let html = render_html(&d);
        assert!(!html.contains("<script"));
        assert!(!html.contains("<b>"));
        assert!(!html.contains("<i>"));
        assert!(html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"));
        assert!(html.contains("a &amp; b &quot;quoted&quot;"));
        assert!(html.contains("<title>Stats &lt;i&gt;, 2025</title>"));
    }

    #[test]
    fn empty_report_renders_and_says_no_data() {
        let d = ReportData {
            year: 2025,
            ..ReportData::default()
        };
        let html = render_html(&d);
        assert!(html.contains("There is no data for 2025"));
        assert!(html.contains("<p class=\"empty\">No data for 2025.</p>"));
        assert!(!html.contains("<table>"));
        assert!(!html.contains("NaN"));
        assert!(!html.contains("http://"));
        assert_eq!(html.matches("<svg ").count(), 2);
    }

    #[test]
    fn nan_values_never_reach_the_page() {
        let mut d = sample();
        d.exchanges[0].turnover_usd = f64::NAN;
        d.monthly[0].turnover_usd = f64::NAN;
        d.coverage[0].priced_share = f64::INFINITY;
        d.threshold_usd = f64::NAN;
        let html = render_html(&d);
        assert!(!html.contains("NaN"));
        assert!(html.contains("n/a"));
    }
}
