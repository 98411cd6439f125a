//! Number and text formatting shared by the Markdown, HTML and SVG renderers.
//!
//! One place decides how money, counts and shares look, so the memo, the page and
//! the charts never show the same figure two ways. Every formatter maps non-finite
//! input to `n/a`: a bad upstream value must never leak `NaN` or `inf` into a
//! document that goes to a regulator.

/// Shown instead of a value that is missing or not a finite number.
pub(crate) const NOT_AVAILABLE: &str = "n/a";

/// Month abbreviations for chart axes, January first.
pub(crate) const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// Compact USD for prose and chart ticks: `$1.23B`, `$45.6M`, `$7.8k`, `$950`.
///
/// Headlines are read, quoted and compared, and three significant figures are what
/// a reader retains; exact figures live in the tables (`usd_exact`).
pub(crate) fn usd_compact(v: f64) -> String {
    // (scale, suffix, decimals, 10^decimals), smallest first.
    const UNITS: [(f64, &str, usize, f64); 4] = [
        (1e3, "k", 1, 10.0),
        (1e6, "M", 1, 10.0),
        (1e9, "B", 2, 100.0),
        (1e12, "T", 2, 100.0),
    ];
    if !v.is_finite() {
        return NOT_AVAILABLE.to_string();
    }
    let sign = if v < 0.0 { "-" } else { "" };
    let a = v.abs();
    let plain = a.round();
    if plain < 0.5 {
        // No "-$0" for tiny negatives.
        return "$0".to_string();
    }
    if plain < 1000.0 {
        return format!("{sign}${plain:.0}");
    }
    // Round within a unit first and move up when rounding reaches 1000, so
    // 999,960 reads "$1.0M" rather than "$1000.0k".
    for (i, &(scale, suffix, decimals, factor)) in UNITS.iter().enumerate() {
        let rounded = (a / scale * factor).round() / factor;
        if rounded < 1000.0 || i + 1 == UNITS.len() {
            return format!("{sign}${rounded:.decimals$}{suffix}");
        }
    }
    format!("{sign}${plain:.0}")
}

/// Whole US dollars with thousands separators (`12,345,678`), for table cells where
/// an analyst may need to reconcile the figure exactly.
pub(crate) fn usd_exact(v: f64) -> String {
    if !v.is_finite() {
        return NOT_AVAILABLE.to_string();
    }
    let r = v.round();
    let grouped = group_digits(&format!("{:.0}", r.abs()));
    // `r < 0.0` is false for -0.0, so small negatives print as "0".
    if r < 0.0 {
        format!("-{grouped}")
    } else {
        grouped
    }
}

/// A count with thousands separators.
pub(crate) fn int(v: i64) -> String {
    let grouped = group_digits(&v.unsigned_abs().to_string());
    if v < 0 {
        format!("-{grouped}")
    } else {
        grouped
    }
}

/// A share in 0..=1 as a percentage with one decimal (`97.3%`).
pub(crate) fn pct(share: f64) -> String {
    if !share.is_finite() {
        return NOT_AVAILABLE.to_string();
    }
    let p = share * 100.0;
    if p.abs() < 0.05 {
        return "0.0%".to_string();
    }
    format!("{p:.1}%")
}

/// "1 exchange" / "3 exchanges", with the count formatted by `int`.
pub(crate) fn count_noun(n: i64, singular: &str, plural: &str) -> String {
    let noun = if n == 1 { singular } else { plural };
    format!("{} {noun}", int(n))
}

/// The verb agreeing with a count.
pub(crate) fn was_were(n: i64) -> &'static str {
    if n == 1 {
        "was"
    } else {
        "were"
    }
}

/// Inserts a comma every three digits from the right of a plain digit string.
fn group_digits(digits: &str) -> String {
    let n = digits.chars().count();
    let mut out = String::with_capacity(n + n / 3);
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (n - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

/// Escapes text for HTML element content and quoted attribute values (inline SVG
/// included). All five characters are escaped everywhere so one function is safe
/// in every position the renderers use.
pub(crate) fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Escapes text for Markdown prose and table cells.
///
/// `|` would split a table cell; `\`, `` ` ``, `*`, `[`, `]` would start escapes,
/// code, emphasis or links; `<`/`>` would let a data value such as an entity named
/// `<script>` become raw HTML in renderers that allow it. Line breaks would end a
/// table row or a bullet, so they become spaces. `_` is left alone: CommonMark does
/// not treat it as emphasis inside words, and escaping it would garble the cluster
/// ids and addresses analysts copy out of the memo.
pub(crate) fn escape_md(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '\\' | '|' | '`' | '*' | '<' | '>' | '[' | ']' => {
                out.push('\\');
                out.push(ch);
            }
            '\r' | '\n' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn compact_usd_uses_three_significant_figures_and_units() {
        assert_eq!(usd_compact(1_234_567_890.0), "$1.23B");
        assert_eq!(usd_compact(45_600_000.0), "$45.6M");
        assert_eq!(usd_compact(7_800.0), "$7.8k");
        assert_eq!(usd_compact(950.0), "$950");
        assert_eq!(usd_compact(1_000_000.0), "$1.0M");
        assert_eq!(usd_compact(0.0), "$0");
        assert_eq!(usd_compact(-0.2), "$0");
        assert_eq!(usd_compact(-1_500.0), "-$1.5k");
        assert_eq!(usd_compact(2.5e12), "$2.50T");
    }

    #[test]
    fn compact_usd_rounding_moves_to_the_next_unit() {
        assert_eq!(usd_compact(999.6), "$1.0k");
        assert_eq!(usd_compact(999_960.0), "$1.0M");
        assert_eq!(usd_compact(999_999_999.0), "$1.00B");
    }

    #[test]
    fn non_finite_values_print_as_not_available() {
        for v in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            assert_eq!(usd_compact(v), "n/a");
            assert_eq!(usd_exact(v), "n/a");
            assert_eq!(pct(v), "n/a");
        }
    }

    #[test]
    fn exact_usd_groups_thousands() {
        assert_eq!(usd_exact(12_345_678.4), "12,345,678");
        assert_eq!(usd_exact(-1_234.6), "-1,235");
        assert_eq!(usd_exact(999.0), "999");
        assert_eq!(usd_exact(-0.3), "0");
        assert_eq!(usd_exact(100_000.0), "100,000");
    }

    #[test]
    fn counts_and_shares() {
        assert_eq!(int(1_234_567), "1,234,567");
        assert_eq!(int(-5), "-5");
        assert_eq!(int(0), "0");
        assert_eq!(int(i64::MIN), "-9,223,372,036,854,775,808");
        assert_eq!(pct(0.973), "97.3%");
        assert_eq!(pct(-0.0001), "0.0%");
        assert_eq!(count_noun(1, "exchange", "exchanges"), "1 exchange");
        assert_eq!(count_noun(1200, "exchange", "exchanges"), "1,200 exchanges");
    }

    #[test]
    fn html_escapes_all_five_characters() {
        assert_eq!(
            escape_html(r#"<a href="x">'&'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
    }

    #[test]
    fn markdown_escapes_pipes_markup_and_newlines() {
        assert_eq!(escape_md("a|b"), r"a\|b");
        assert_eq!(escape_md("<script>"), r"\<script\>");
        assert_eq!(escape_md("line1\nline2"), "line1 line2");
        assert_eq!(escape_md("cl_17"), "cl_17");
    }
}
