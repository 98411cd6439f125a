//! The clustering's longer SQL, kept in `src/sql/*.sql` next to the code that runs it,
//! with `${name}` placeholders filled by [`fill`].

use crate::error::{ClusterError, Result};

/// The node dictionary (`cl_nodes`).
pub const NODES: &str = include_str!("sql/nodes.sql");
/// The integer edges without conflicting labels' welds (`cl_int_edges2`);
/// placeholders `slice_a`, `slice_c`.
pub const CONFLICT_FREE_EDGES: &str = include_str!("sql/conflict_free_edges.sql");
/// Policy `refuse`: edges without bridges and hub links (`cl_int_edges3`); placeholder
/// `edges`.
pub const REFUSED_EDGES: &str = include_str!("sql/refused_edges.sql");

/// One row per cluster (`clusters`); placeholders `cc`, `order_by`.
pub const CLUSTERS: &str = include_str!("sql/clusters.sql");
/// Every link with its evidence (`cluster_edges`); placeholders `r_pass`, `root_pass`,
/// `cc`, `edges`.
pub const CLUSTER_EDGES: &str = include_str!("sql/cluster_edges.sql");
/// `cluster_warnings`; placeholders `max`, `cc`, `verdict`, `hub_verdict`.
pub const CLUSTER_WARNINGS: &str = include_str!("sql/cluster_warnings.sql");

/// `template` with each `${name}` replaced by its value, unchecked: for the per-pass
/// renderers, which cannot fail; the tests below check their templates' placeholders.
pub fn substitute(template: &str, values: &[(&str, &str)]) -> String {
    values
        .iter()
        .fold(template.to_string(), |sql, (name, value)| {
            sql.replace(&format!("${{{name}}}"), value)
        })
}

/// `template` with each `${name}` replaced by its value. Every value must be used and no
/// placeholder may remain: a mismatch is a bug, reported rather than run.
pub fn fill(template: &str, values: &[(&str, &str)]) -> Result<String> {
    if let Some((name, _)) = values
        .iter()
        .find(|(name, _)| !template.contains(&format!("${{{name}}}")))
    {
        return Err(ClusterError::Internal(format!(
            "SQL template has no placeholder ${{{name}}}"
        )));
    }
    let sql = substitute(template, values);
    if let Some(at) = sql.find("${") {
        let rest: String = sql[at..].chars().take(40).collect();
        return Err(ClusterError::Internal(format!(
            "SQL template placeholder left unfilled: {rest}"
        )));
    }
    Ok(sql)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fill_checks_its_placeholders() {
        assert_eq!(
            fill("SELECT ${a} FROM ${b}", &[("a", "x"), ("b", "t")]).unwrap(),
            "SELECT x FROM t"
        );
        assert!(fill("SELECT ${a}", &[("b", "x")]).is_err());
        assert!(fill("SELECT ${a}", &[]).is_err());
        assert!(fill(REFUSED_EDGES, &[("edges", "cl_int_edges")]).is_ok());
        assert!(fill(CONFLICT_FREE_EDGES, &[("slice_a", ""), ("slice_c", "")]).is_ok());
        assert!(fill(NODES, &[]).is_ok());
        assert!(fill(CLUSTERS, &[("cc", "c"), ("order_by", "")]).is_ok());
        let edges = [
            ("r_pass", ""),
            ("root_pass", ""),
            ("cc", "c"),
            ("edges", "e"),
        ];
        assert!(fill(CLUSTER_EDGES, &edges).is_ok());
        let warnings = [
            ("max", "1"),
            ("cc", "c"),
            ("verdict", ""),
            ("hub_verdict", ""),
        ];
        assert!(fill(CLUSTER_WARNINGS, &warnings).is_ok());
    }
}
