//! Embeds `data/sample/` in the binary (`src/sample.rs` extracts it on first use), so an
//! installed chainstat runs on the sample without the source tree.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("cargo:rerun-if-changed=data/sample");
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR")?).join("data/sample");
    let mut files = Vec::new();
    walk(&root, &mut files)?;
    files.sort();
    // FNV-1a over names and contents: the extracted copy's folder name, so a binary with
    // another sample never reuses it.
    let mut digest: u64 = 0xcbf2_9ce4_8422_2325;
    let mut table = String::from("pub static FILES: &[(&str, &[u8])] = &[\n");
    for path in &files {
        let rel = path
            .strip_prefix(&root)?
            .to_str()
            .ok_or("a sample file name is not UTF-8")?
            .replace('\\', "/");
        for byte in rel.bytes().chain(std::fs::read(path)?) {
            digest = (digest ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
        }
        // Relative to the manifest dir at compile time, not this script's absolute path:
        // a checkout elsewhere that shares the target dir reuses this output unchanged.
        writeln!(
            table,
            "    ({rel:?}, include_bytes!(concat!(env!(\"CARGO_MANIFEST_DIR\"), {:?}))),",
            format!("/data/sample/{rel}")
        )?;
    }
    table.push_str("];\n");
    writeln!(table, "pub const DIGEST: &str = \"{digest:016x}\";")?;
    let out = PathBuf::from(std::env::var("OUT_DIR")?).join("sample_files.rs");
    std::fs::write(out, table)?;
    Ok(())
}

fn walk(dir: &Path, files: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            walk(&path, files)?;
        } else {
            files.push(path);
        }
    }
    Ok(())
}
