//! Small, dependency-free SVG chart builders for the HTML report.
//!
//! The page must open offline and print, so charts are drawn here as inline SVG
//! rather than by a JavaScript library. Design choices:
//! - No `xmlns` attribute: inline SVG in HTML5 does not need it, and leaving it
//!   out keeps the page free of any `http://` reference. (Embed the string in
//!   HTML; it is not meant to be saved as a standalone `.svg` file.)
//! - Colours follow the Okabe–Ito palette, which stays distinguishable for the
//!   common colour-vision deficiencies; lines also differ in dash pattern so the
//!   charts survive greyscale printing.
//! - `role="img"`, `aria-label`, `<title>` and `<desc>` let screen readers announce
//!   the chart; every point and bar segment carries a `<title>` tooltip with its
//!   value.
//! - Every coordinate goes through `px` and every scale through `YAxis::nice`,
//!   which refuses an empty range, so empty or all-zero data cannot divide by zero
//!   or print `NaN`.

use super::format::{escape_html, usd_compact};

/// Okabe–Ito colours, ordered so the first three (used for licensed, unlicensed,
/// unknown) contrast well on white; yellow, the weakest on white, comes last.
const PALETTE: [&str; 8] = [
    "#0072B2", "#D55E00", "#009E73", "#E69F00", "#56B4E9", "#CC79A7", "#000000", "#F0E442",
];

/// Dash patterns paired with the palette, so lines differ in print as well.
const DASHES: [&str; 6] = ["", "7 4", "2 3", "9 3 2 3", "4 2", "1 3"];

const WIDTH: f64 = 720.0;
const MARGIN_LEFT: f64 = 76.0;
const MARGIN_RIGHT: f64 = 16.0;
const PLOT_TOP: f64 = 44.0;
const PLOT_HEIGHT: f64 = 220.0;
/// Baseline of the x tick labels below the plot.
const X_LABEL_OFFSET: f64 = 18.0;
/// Centre of the first legend row below the plot.
const LEGEND_OFFSET: f64 = 42.0;
const LEGEND_ROW: f64 = 20.0;
/// Average advance of a 12px sans-serif glyph, for layout estimates only.
const CHAR_PX: f64 = 6.8;
/// Longer legend labels are shortened with "…"; the full text stays in a tooltip.
const MAX_LEGEND_CHARS: usize = 40;
const MAX_TICK_CHARS: usize = 12;
const FONT: &str = "system-ui, -apple-system, Segoe UI, Roboto, Helvetica, Arial, sans-serif";

/// The plotting area in SVG user units.
struct Frame {
    left: f64,
    top: f64,
    width: f64,
    height: f64,
}

impl Frame {
    fn standard() -> Self {
        Self {
            left: MARGIN_LEFT,
            top: PLOT_TOP,
            width: WIDTH - MARGIN_LEFT - MARGIN_RIGHT,
            height: PLOT_HEIGHT,
        }
    }

    fn bottom(&self) -> f64 {
        self.top + self.height
    }

    fn right(&self) -> f64 {
        self.left + self.width
    }
}

/// A y axis with round tick values and a strictly positive range; constructing
/// one is the only way to map values to pixels.
struct YAxis {
    lo: f64,
    hi: f64,
    step: f64,
}

impl YAxis {
    /// Rounds `[min, max]` out to multiples of a 1/2/5×10ⁿ step (about five
    /// ticks). `None` for an empty, inverted or non-finite range.
    fn nice(min: f64, max: f64) -> Option<Self> {
        if !(min.is_finite() && max.is_finite() && max > min) {
            return None;
        }
        let raw = (max - min) / 5.0;
        let magnitude = 10_f64.powf(raw.log10().floor());
        if !(magnitude.is_finite() && magnitude > 0.0) {
            return None;
        }
        let norm = raw / magnitude;
        let unit = if norm <= 1.0 {
            1.0
        } else if norm <= 2.0 {
            2.0
        } else if norm <= 5.0 {
            5.0
        } else {
            10.0
        };
        let step = unit * magnitude;
        let lo = (min / step).floor() * step;
        let hi = (max / step).ceil() * step;
        if step.is_finite() && step > 0.0 && lo.is_finite() && hi.is_finite() && hi > lo {
            Some(Self { lo, hi, step })
        } else {
            None
        }
    }

    fn y(&self, frame: &Frame, v: f64) -> f64 {
        frame.bottom() - (v - self.lo) / (self.hi - self.lo) * frame.height
    }

    fn ticks(&self) -> Vec<f64> {
        let count = ((self.hi - self.lo) / self.step).round();
        let count = if count.is_finite() {
            // At most 20 ticks even if rounding went odd; at least the two ends.
            count.clamp(1.0, 20.0) as usize
        } else {
            1
        };
        (0..=count)
            .map(|i| {
                let v = self.lo + self.step * i as f64;
                // Snap float noise (e.g. 1e-10) to a clean zero label.
                if v.abs() < self.step * 1e-6 {
                    0.0
                } else {
                    v
                }
            })
            .collect()
    }
}

/// A coordinate with at most one decimal; never `NaN`, `inf` or `-0`.
fn px(v: f64) -> String {
    if !v.is_finite() {
        return "0".to_string();
    }
    let s = format!("{v:.1}");
    let t = s.strip_suffix(".0").unwrap_or(&s);
    if t == "-0" {
        "0".to_string()
    } else {
        t.to_string()
    }
}

/// Tick label in compact USD; sub-dollar steps get cents so ticks stay distinct.
fn tick_label(v: f64, step: f64) -> String {
    if step >= 1.0 {
        usd_compact(v)
    } else {
        let s = format!("{:.2}", v.abs());
        if v < 0.0 {
            format!("-${s}")
        } else {
            format!("${s}")
        }
    }
}

/// Shortens to `max` characters (by `char`, never splitting UTF-8) with "…".
fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(max.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

/// Smallest and largest finite value, always including 0 so bars and lines are
/// measured from a zero baseline.
fn finite_range(values: impl Iterator<Item = f64>) -> (f64, f64) {
    values
        .filter(|v| v.is_finite())
        .fold((0.0_f64, 0.0_f64), |(lo, hi), v| (lo.min(v), hi.max(v)))
}

fn draw_y_axis(body: &mut String, frame: &Frame, axis: &YAxis) {
    for t in axis.ticks() {
        let y = px(axis.y(frame, t));
        // Ticks snap zero to exactly 0.0, so this picks out the baseline.
        let stroke = if t.abs() < axis.step * 1e-6 {
            "#777777"
        } else {
            "#dddddd"
        };
        body.push_str(&format!(
            "<line x1=\"{}\" y1=\"{y}\" x2=\"{}\" y2=\"{y}\" stroke=\"{stroke}\" stroke-width=\"1\"/>",
            px(frame.left),
            px(frame.right()),
        ));
        body.push_str(&format!(
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\" fill=\"#444444\">{}</text>",
            px(frame.left - 8.0),
            px(axis.y(frame, t) + 4.0),
            escape_html(&tick_label(t, axis.step)),
        ));
    }
    draw_left_axis(body, frame);
}

/// Used when there is nothing to scale: a zero baseline with a "$0" label.
fn draw_flat_axis(body: &mut String, frame: &Frame) {
    let y = px(frame.bottom());
    body.push_str(&format!(
        "<line x1=\"{}\" y1=\"{y}\" x2=\"{}\" y2=\"{y}\" stroke=\"#777777\" stroke-width=\"1\"/>",
        px(frame.left),
        px(frame.right()),
    ));
    body.push_str(&format!(
        "<text x=\"{}\" y=\"{}\" text-anchor=\"end\" fill=\"#444444\">$0</text>",
        px(frame.left - 8.0),
        px(frame.bottom() + 4.0),
    ));
    draw_left_axis(body, frame);
}

fn draw_left_axis(body: &mut String, frame: &Frame) {
    let x = px(frame.left);
    body.push_str(&format!(
        "<line x1=\"{x}\" y1=\"{}\" x2=\"{x}\" y2=\"{}\" stroke=\"#777777\" stroke-width=\"1\"/>",
        px(frame.top),
        px(frame.bottom()),
    ));
}

/// Centred message in the plot area (empty or all-zero data).
fn draw_message(body: &mut String, frame: &Frame, message: &str) {
    body.push_str(&format!(
        "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" fill=\"#555555\" font-style=\"italic\">{}</text>",
        px(frame.left + frame.width / 2.0),
        px(frame.top + frame.height / 2.0),
        escape_html(message),
    ));
}

/// X tick labels, thinned so that they do not overlap on long axes.
fn draw_x_labels(body: &mut String, frame: &Frame, labels: &[String], x_of: impl Fn(usize) -> f64) {
    if labels.is_empty() {
        return;
    }
    let fit = (frame.width / 44.0).floor().max(1.0) as usize;
    let every = labels.len().div_ceil(fit).max(1);
    for (i, label) in labels.iter().enumerate().filter(|(i, _)| i % every == 0) {
        body.push_str(&format!(
            "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" fill=\"#444444\">{}</text>",
            px(x_of(i)),
            px(frame.bottom() + X_LABEL_OFFSET),
            escape_html(&truncate(label, MAX_TICK_CHARS)),
        ));
    }
}

/// One legend entry: a line sample (with dash pattern) or a filled swatch.
struct LegendItem<'a> {
    label: &'a str,
    colour: &'static str,
    dash: Option<&'static str>,
}

/// Lays the legend out in rows below the plot; returns the y just below it.
fn draw_legend(body: &mut String, items: &[LegendItem<'_>], top: f64) -> f64 {
    let mut x = MARGIN_LEFT;
    let mut row = 0_u32;
    for item in items {
        let shown = truncate(item.label, MAX_LEGEND_CHARS);
        let width = 26.0 + shown.chars().count() as f64 * CHAR_PX + 18.0;
        if x + width > WIDTH - MARGIN_RIGHT && x > MARGIN_LEFT {
            row += 1;
            x = MARGIN_LEFT;
        }
        let y = top + f64::from(row) * LEGEND_ROW;
        match item.dash {
            Some(dash) => {
                let dash_attr = if dash.is_empty() {
                    String::new()
                } else {
                    format!(" stroke-dasharray=\"{dash}\"")
                };
                body.push_str(&format!(
                    "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"{}\" stroke-width=\"2.5\"{dash_attr}/>",
                    px(x),
                    px(y),
                    px(x + 20.0),
                    px(y),
                    item.colour,
                ));
            }
            None => body.push_str(&format!(
                "<rect x=\"{}\" y=\"{}\" width=\"14\" height=\"12\" fill=\"{}\"/>",
                px(x + 3.0),
                px(y - 6.0),
                item.colour,
            )),
        }
        body.push_str(&format!(
            "<text x=\"{}\" y=\"{}\"><title>{}</title>{}</text>",
            px(x + 26.0),
            px(y + 4.0),
            escape_html(item.label),
            escape_html(&shown),
        ));
        x += width;
    }
    if items.is_empty() {
        top
    } else {
        top + f64::from(row + 1) * LEGEND_ROW
    }
}

/// Wraps a drawn body into the `<svg>` element with its accessible name.
fn finish(title: &str, desc: &str, height: f64, body: &str) -> String {
    let t = escape_html(title);
    let w = px(WIDTH);
    let h = px(height);
    format!(
        "<svg class=\"chart\" viewBox=\"0 0 {w} {h}\" width=\"{w}\" height=\"{h}\" role=\"img\" aria-label=\"{t}\" font-family=\"{FONT}\" font-size=\"12\" fill=\"#1a1a1a\"><title>{t}</title><desc>{}</desc><text x=\"{}\" y=\"24\" font-size=\"15\" font-weight=\"600\">{t}</text>{body}</svg>",
        escape_html(desc),
        px(MARGIN_LEFT),
    )
}

/// Line chart: one line per series over the x labels (12 months in the report),
/// y axis in compact USD, legend below. Non-finite values leave a gap in the line.
///
/// The number of points is the longer of the series and `x_labels`; a series
/// shorter than that simply ends early.
pub(crate) fn line_chart(
    title: &str,
    series: &[(String, Vec<f64>)],
    x_labels: &[String],
) -> String {
    let frame = Frame::standard();
    let points = series
        .iter()
        .map(|(_, v)| v.len())
        .max()
        .unwrap_or(0)
        .max(x_labels.len());
    // Inset so the first and last points do not sit on the axis line.
    let inset = 14.0;
    let x_of = |i: usize| -> f64 {
        if points <= 1 {
            frame.left + frame.width / 2.0
        } else {
            frame.left + inset + (frame.width - 2.0 * inset) * i as f64 / (points - 1) as f64
        }
    };
    let has_series = !series.is_empty() && points > 0;
    let (min, max) = finite_range(series.iter().flat_map(|(_, v)| v.iter().copied()));
    let axis = if has_series {
        YAxis::nice(min, max)
    } else {
        None
    };

    let mut body = String::new();
    match &axis {
        Some(axis) => draw_y_axis(&mut body, &frame, axis),
        None => draw_flat_axis(&mut body, &frame),
    }
    draw_x_labels(&mut body, &frame, x_labels, x_of);

    let desc = match &axis {
        None => nothing_to_draw(
            &mut body,
            &frame,
            has_series,
            "Line chart",
            "series",
            series.len(),
        ),
        Some(axis) => {
            for (k, (label, values)) in series.iter().enumerate() {
                let colour = PALETTE[k % PALETTE.len()];
                let dash = DASHES[k % DASHES.len()];
                draw_line(
                    &mut body, &frame, axis, label, values, x_labels, colour, dash, &x_of,
                );
            }
            let names: Vec<&str> = series.iter().map(|(l, _)| l.as_str()).collect();
            format!(
                "Line chart of {} series over {points} points: {}. Highest value {}.",
                series.len(),
                names.join(", "),
                usd_compact(max),
            )
        }
    };

    let legend: Vec<LegendItem<'_>> = series
        .iter()
        .enumerate()
        .map(|(k, (label, _))| LegendItem {
            label: label.as_str(),
            colour: PALETTE[k % PALETTE.len()],
            dash: Some(DASHES[k % DASHES.len()]),
        })
        .collect();
    finish_with_legend(title, &desc, &frame, &legend, body)
}

/// The message of a chart with no axis: "No data" when there is nothing to draw
/// (`any` false), else every value was zero. Returns the chart's description.
fn nothing_to_draw(
    body: &mut String,
    frame: &Frame,
    any: bool,
    chart: &str,
    what: &str,
    n: usize,
) -> String {
    if !any {
        draw_message(body, frame, "No data");
        return "No data.".to_string();
    }
    draw_message(body, frame, "No activity recorded (all values are zero)");
    format!("{chart} of {n} {what}; all values are zero.")
}

/// The legend below the plot, then the whole SVG.
fn finish_with_legend(
    title: &str,
    desc: &str,
    frame: &Frame,
    legend: &[LegendItem<'_>],
    mut body: String,
) -> String {
    let bottom = draw_legend(&mut body, legend, frame.bottom() + LEGEND_OFFSET);
    let height = if legend.is_empty() {
        frame.bottom() + X_LABEL_OFFSET + 12.0
    } else {
        bottom + 4.0
    };
    finish(title, desc, height, &body)
}

/// One series: a path broken at non-finite values, plus a marker with a tooltip
/// at every finite point.
#[allow(clippy::too_many_arguments)]
fn draw_line(
    body: &mut String,
    frame: &Frame,
    axis: &YAxis,
    label: &str,
    values: &[f64],
    x_labels: &[String],
    colour: &str,
    dash: &str,
    x_of: &dyn Fn(usize) -> f64,
) {
    let mut d = String::new();
    let mut markers = String::new();
    let mut pen_down = false;
    for (i, v) in values.iter().enumerate() {
        if !v.is_finite() {
            pen_down = false;
            continue;
        }
        let (x, y) = (px(x_of(i)), px(axis.y(frame, *v)));
        d.push_str(&format!("{}{x} {y} ", if pen_down { 'L' } else { 'M' }));
        pen_down = true;
        let at = x_labels
            .get(i)
            .cloned()
            .unwrap_or_else(|| (i + 1).to_string());
        markers.push_str(&format!(
            "<circle cx=\"{x}\" cy=\"{y}\" r=\"3\" fill=\"{colour}\"><title>{}</title></circle>",
            escape_html(&format!("{label} — {at}: {}", usd_compact(*v))),
        ));
    }
    if d.is_empty() {
        return;
    }
    let dash_attr = if dash.is_empty() {
        String::new()
    } else {
        format!(" stroke-dasharray=\"{dash}\"")
    };
    body.push_str(&format!(
        "<path d=\"{}\" fill=\"none\" stroke=\"{colour}\" stroke-width=\"2\" stroke-linejoin=\"round\"{dash_attr}><title>{}</title></path>",
        d.trim_end(),
        escape_html(label),
    ));
    body.push_str(&markers);
}

/// Stacked bar chart: one bar per entry, stacked from its (segment label, value)
/// pairs in order. Segments with the same label share a colour across bars, in
/// order of first appearance, and form the legend. Negative and non-finite
/// values are drawn as zero: a stack cannot show them honestly.
pub(crate) fn bar_chart(title: &str, bars: &[(String, Vec<(String, f64)>)]) -> String {
    let frame = Frame::standard();
    let mut keys: Vec<&str> = Vec::new();
    for (key, _) in bars.iter().flat_map(|(_, segments)| segments) {
        if !keys.contains(&key.as_str()) {
            keys.push(key.as_str());
        }
    }
    let colour_of = |key: &str| -> &'static str {
        let i = keys.iter().position(|k| *k == key).unwrap_or(0);
        PALETTE[i % PALETTE.len()]
    };
    let clean = |v: f64| if v.is_finite() && v > 0.0 { v } else { 0.0 };
    let totals: Vec<f64> = bars
        .iter()
        .map(|(_, segments)| segments.iter().map(|(_, v)| clean(*v)).sum::<f64>())
        .collect();
    let max = totals.iter().copied().fold(0.0_f64, f64::max);
    let axis = if bars.is_empty() {
        None
    } else {
        YAxis::nice(0.0, max)
    };

    let n = bars.len().max(1);
    let band = frame.width / n as f64;
    let bar_width = (band * 0.7).min(56.0);
    let centre = |i: usize| -> f64 { frame.left + band * (i as f64 + 0.5) };

    let mut body = String::new();
    match &axis {
        Some(axis) => draw_y_axis(&mut body, &frame, axis),
        None => draw_flat_axis(&mut body, &frame),
    }
    let labels: Vec<String> = bars.iter().map(|(l, _)| l.clone()).collect();
    draw_x_labels(&mut body, &frame, &labels, centre);

    let desc = match &axis {
        None => nothing_to_draw(
            &mut body,
            &frame,
            !bars.is_empty(),
            "Stacked bar chart",
            "bars",
            bars.len(),
        ),
        Some(axis) => {
            for (i, ((bar_label, segments), total)) in bars.iter().zip(&totals).enumerate() {
                let x = px(centre(i) - bar_width / 2.0);
                let mut cumulative = 0.0;
                for (key, v) in segments {
                    let v = clean(*v);
                    if v <= 0.0 {
                        continue;
                    }
                    let top = axis.y(&frame, cumulative + v);
                    let bottom = axis.y(&frame, cumulative);
                    body.push_str(&format!(
                        "<rect x=\"{x}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{}\"><title>{}</title></rect>",
                        px(top),
                        px(bar_width),
                        px((bottom - top).max(0.0)),
                        colour_of(key.as_str()),
                        escape_html(&format!(
                            "{bar_label} — {key}: {} of {}",
                            usd_compact(v),
                            usd_compact(*total)
                        )),
                    ));
                    cumulative += v;
                }
            }
            format!(
                "Stacked bar chart of {} bars, segments: {}. Highest bar total {}.",
                bars.len(),
                keys.join(", "),
                usd_compact(max),
            )
        }
    };

    let legend: Vec<LegendItem<'_>> = keys
        .iter()
        .map(|&k| LegendItem {
            label: k,
            colour: colour_of(k),
            dash: None,
        })
        .collect();
    finish_with_legend(title, &desc, &frame, &legend, body)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn months() -> Vec<String> {
        super::super::format::MONTHS
            .iter()
            .map(|m| m.to_string())
            .collect()
    }

    fn assert_clean(svg: &str) {
        assert!(!svg.contains("NaN"), "{svg}");
        assert!(!svg.contains("inf"), "{svg}");
        assert!(!svg.contains("http"), "{svg}");
        assert!(svg.starts_with("<svg "), "{svg}");
        assert!(svg.ends_with("</svg>"), "{svg}");
        assert!(svg.contains("role=\"img\""), "{svg}");
    }

    #[test]
    fn empty_line_chart_says_no_data() {
        let s = line_chart("Empty", &[], &[]);
        assert_clean(&s);
        assert!(s.contains("No data"));
        let s = line_chart("Empty", &[], &months());
        assert_clean(&s);
        let s = line_chart("Empty", &[("A".to_string(), Vec::new())], &[]);
        assert_clean(&s);
    }

    #[test]
    fn all_zero_line_chart_has_no_nan() {
        let s = line_chart("Zero", &[("A".to_string(), vec![0.0; 12])], &months());
        assert_clean(&s);
        assert!(s.contains("all values are zero"));
    }

    #[test]
    fn non_finite_values_are_skipped() {
        let mut v = vec![1_000.0; 12];
        v[2] = f64::NAN;
        v[5] = f64::INFINITY;
        v[7] = f64::NEG_INFINITY;
        let s = line_chart("Gaps", &[("A".to_string(), v)], &months());
        assert_clean(&s);
        assert_eq!(s.matches("<circle").count(), 9);
        let all_nan = line_chart("Nan", &[("A".to_string(), vec![f64::NAN; 12])], &months());
        assert_clean(&all_nan);
    }

    #[test]
    fn single_point_is_centred() {
        let s = line_chart("One", &[("A".to_string(), vec![5.0])], &["Jan".to_string()]);
        assert_clean(&s);
        assert_eq!(s.matches("<circle").count(), 1);
    }

    #[test]
    fn line_chart_draws_each_series_with_legend() {
        let series = vec![
            (
                "Alpha".to_string(),
                (1..=12_u32)
                    .map(|m| f64::from(m) * 1e6)
                    .collect::<Vec<f64>>(),
            ),
            ("Bravo".to_string(), vec![2e6; 12]),
        ];
        let s = line_chart("Monthly turnover", &series, &months());
        assert_clean(&s);
        assert_eq!(s.matches("<path ").count(), 2);
        assert!(s.contains(">Alpha</text>"));
        assert!(s.contains("stroke-dasharray"));
        assert!(s.contains("$12.0M") || s.contains("$14.0M") || s.contains("$15.0M"));
        assert!(s.contains("aria-label=\"Monthly turnover\""));
        assert!(s.contains("<title>Monthly turnover</title>"));
    }

    #[test]
    fn labels_and_titles_are_escaped() {
        let s = line_chart(
            "A <b> & \"c\"",
            &[("<script>x</script>".to_string(), vec![1.0, 2.0])],
            &["<i>".to_string()],
        );
        assert_clean(&s);
        assert!(!s.contains("<script>"));
        assert!(!s.contains("<b>"));
        assert!(!s.contains("<i>"));
        assert!(s.contains("&lt;script&gt;x&lt;/script&gt;"));
        assert!(s.contains("A &lt;b&gt; &amp; &quot;c&quot;"));
    }

    #[test]
    fn empty_and_zero_bar_charts_have_no_nan() {
        let s = bar_chart("Empty", &[]);
        assert_clean(&s);
        assert!(s.contains("No data"));
        let zero: Vec<(String, Vec<(String, f64)>)> = months()
            .into_iter()
            .map(|m| {
                (
                    m,
                    vec![
                        ("Licensed".to_string(), 0.0),
                        ("Unlicensed".to_string(), 0.0),
                    ],
                )
            })
            .collect();
        let s = bar_chart("Zero", &zero);
        assert_clean(&s);
        assert!(s.contains("all values are zero"));
        let bad = vec![(
            "Jan".to_string(),
            vec![("A".to_string(), f64::NAN), ("B".to_string(), -5.0)],
        )];
        assert_clean(&bar_chart("Bad", &bad));
        assert_clean(&bar_chart(
            "No segments",
            &[("Jan".to_string(), Vec::new())],
        ));
    }

    #[test]
    fn bar_chart_stacks_segments_with_consistent_colours() {
        let bars = vec![
            (
                "Jan".to_string(),
                vec![
                    ("Licensed".to_string(), 3e6),
                    ("Unlicensed".to_string(), 1e6),
                ],
            ),
            (
                "Feb".to_string(),
                vec![
                    ("Unlicensed".to_string(), 2e6),
                    ("Licensed".to_string(), 1e6),
                ],
            ),
        ];
        let s = bar_chart("Stacked", &bars);
        assert_clean(&s);
        assert_eq!(s.matches("<rect").count(), 4 + 2);
        assert_eq!(
            s.matches(&format!("fill=\"{}\"><title>", PALETTE[0]))
                .count(),
            2
        );
        assert_eq!(
            s.matches(&format!("fill=\"{}\"><title>", PALETTE[1]))
                .count(),
            2
        );
        assert!(s.contains("Jan — Licensed: $3.0M of $4.0M"));
    }

    #[test]
    fn nice_axis_rounds_out_and_rejects_empty_ranges() {
        let a = YAxis::nice(0.0, 12.3e6).unwrap();
        assert!((a.step - 5e6).abs() < 1e-6);
        assert!((a.hi - 15e6).abs() < 1e-6);
        assert!(a.lo.abs() < 1e-9);
        assert_eq!(a.ticks().len(), 4);
        assert!(YAxis::nice(0.0, 0.0).is_none());
        assert!(YAxis::nice(0.0, f64::NAN).is_none());
        assert!(YAxis::nice(5.0, 1.0).is_none());
    }

    #[test]
    fn coordinates_never_print_negative_zero_or_nan() {
        assert_eq!(px(-0.01), "0");
        assert_eq!(px(12.0), "12");
        assert_eq!(px(12.34), "12.3");
        assert_eq!(px(f64::NAN), "0");
        assert_eq!(truncate("abcdef", 4), "abc…");
        assert_eq!(truncate("abc", 4), "abc");
    }
}
