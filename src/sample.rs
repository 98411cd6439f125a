//! The embedded sample (`data/sample/`, built into the binary by `build.rs`): what `run`,
//! `sql`, `tables` and `cluster` use when given no config and no `--table`. It is
//! extracted once into the user's cache folder, where its config finds its files.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/sample_files.rs"));
}

/// Marks a complete extraction (written last).
const COMPLETE: &str = ".complete";

/// The sample's config, extracted into the cache folder if it is not there yet.
pub fn config() -> Result<PathBuf> {
    let dir = cache_root()?.join(format!("sample-{}", embedded::DIGEST));
    if !dir.join(COMPLETE).exists() {
        extract(&dir).with_context(|| {
            format!("cannot extract the embedded sample into {}", dir.display())
        })?;
    }
    Ok(dir.join("chainstat.toml"))
}

/// `CHAINSTAT_CACHE_DIR`, else `$XDG_CACHE_HOME/chainstat`, else `~/.cache/chainstat`.
fn cache_root() -> Result<PathBuf> {
    let var = |name| std::env::var_os(name).filter(|v| !v.is_empty());
    if let Some(d) = var("CHAINSTAT_CACHE_DIR") {
        return Ok(PathBuf::from(d));
    }
    if let Some(d) = var("XDG_CACHE_HOME") {
        return Ok(PathBuf::from(d).join("chainstat"));
    }
    var("HOME")
        .map(|h| PathBuf::from(h).join(".cache/chainstat"))
        .context("no cache folder for the embedded sample: set CHAINSTAT_CACHE_DIR or HOME")
}

/// Writes every file into a private folder, then renames it into place: concurrent
/// first uses each extract, and one rename wins.
fn extract(dir: &Path) -> Result<()> {
    let parent = dir.parent().context("the sample folder has no parent")?;
    std::fs::create_dir_all(parent)?;
    let staging = parent.join(format!(
        ".{}.{}",
        dir.file_name().and_then(|n| n.to_str()).unwrap_or("sample"),
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&staging);
    for (rel, bytes) in embedded::FILES {
        let path = staging.join(rel);
        if let Some(p) = path.parent() {
            std::fs::create_dir_all(p)?;
        }
        std::fs::write(&path, bytes)?;
    }
    std::fs::write(staging.join(COMPLETE), embedded::DIGEST)?;
    if dir.exists() && !dir.join(COMPLETE).exists() {
        // An extraction that died half-way.
        std::fs::remove_dir_all(dir)?;
    }
    match std::fs::rename(&staging, dir) {
        Ok(()) => Ok(()),
        Err(_) if dir.join(COMPLETE).exists() => {
            // Another process got there first with the same content.
            let _ = std::fs::remove_dir_all(&staging);
            Ok(())
        }
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_sample_holds_its_config_and_provenance() {
        let names: Vec<&str> = embedded::FILES.iter().map(|(n, _)| *n).collect();
        for needed in ["chainstat.toml", "SOURCES.md", "synthetic/registry.csv"] {
            assert!(names.contains(&needed), "{needed} missing from {names:?}");
        }
    }

    #[test]
    fn extraction_writes_every_file_and_is_reused() {
        let tmp = tempfile::tempdir().expect("tmp");
        let dir = tmp.path().join("sample-x");
        extract(&dir).expect("extract");
        for (rel, bytes) in embedded::FILES {
            assert_eq!(&std::fs::read(dir.join(rel)).expect("file"), bytes, "{rel}");
        }
        // A second extraction (another process) finds it complete and keeps it.
        extract(&dir).expect("again");
        assert!(dir.join(COMPLETE).exists());
    }
}
