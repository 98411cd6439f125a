//! `chainstat report`: the annual enforcement statistics as Markdown (pasted into
//! memos) and as one self-contained HTML page (opened in a browser, printed).
//!
//! The figures arrive already aggregated by SQL ([`ReportData`]); this module only
//! presents them. Both renderers walk the same list of sections built in `content`,
//! so the memo and the page can never disagree on a figure or its wording. The
//! HTML carries its CSS and its SVG charts inline and references nothing outside
//! the file, because analysts at a financial-intelligence unit often work on
//! machines without internet access.

mod content;
mod format;
pub mod load;
mod model;
mod render_html;
mod render_md;
mod svg;
#[cfg(test)]
mod test_support;

pub use model::*;
pub use render_html::render_html;
pub use render_md::render_markdown;
