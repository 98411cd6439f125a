//! Table locations: a URL (`s3://bucket/prefix/`, `gs://…`, `az://…`, `https://…`,
//! `file:///…`) or a local path, naming one file, a folder, or a glob
//! (`s3://b/transfers/*/part-*.parquet`).

use datafusion::datasource::listing::ListingTableUrl;
use url::Url;

use crate::error::{IoError, Result};

const GLOB_CHARS: [char; 3] = ['*', '?', '['];

/// Parses `location` for table `table` into a DataFusion listing URL. DataFusion only
/// splits globs off local paths, so for URLs we split at the first segment holding a
/// glob character ourselves.
pub fn parse(table: &str, location: &str) -> Result<ListingTableUrl> {
    let bad = |reason: String| IoError::BadLocation {
        table: table.to_string(),
        location: location.to_string(),
        reason,
    };
    let has_scheme = location.contains("://");
    if !has_scheme {
        return ListingTableUrl::parse(location).map_err(|e| bad(e.to_string()));
    }
    let url = Url::parse(location).map_err(|e| bad(e.to_string()))?;
    let path = url.path();
    match path.find(GLOB_CHARS) {
        None => ListingTableUrl::parse(location).map_err(|e| bad(e.to_string())),
        Some(at) => {
            let cut = path[..at].rfind('/').map(|i| i + 1).unwrap_or(0);
            let (base_path, pattern) = path.split_at(cut);
            let mut base = url.clone();
            base.set_path(base_path);
            let pattern = glob::Pattern::new(pattern).map_err(|e| bad(e.to_string()))?;
            ListingTableUrl::try_new(base, Some(pattern)).map_err(|e| bad(e.to_string()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_glob_split() {
        let u = parse("t", "s3://bucket/data/*/part-*.parquet").unwrap();
        assert_eq!(u.as_str(), "s3://bucket/data/");
        assert!(u.get_glob().is_some());
        let u = parse("t", "s3://bucket/data/").unwrap();
        assert!(u.get_glob().is_none());
        assert!(u.is_collection());
        assert!(parse("t", "s3://bu cket/x").is_err());
    }
}
