//! Small CSV and text file writers. The generator controls every value it writes, so a
//! full CSV library is not needed; fields are still quoted when they would need it.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::error::{io_error, GenError};

/// A CSV file being written, row by row (so large files stream).
pub struct CsvFile {
    rel: String,
    path: PathBuf,
    w: BufWriter<File>,
}

impl CsvFile {
    /// Creates `out/rel` (and its folder) and writes the header.
    pub fn create(out: &Path, rel: &str, header: &[&str]) -> Result<Self, GenError> {
        let path = out.join(rel);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| io_error(dir, e))?;
        }
        let file = File::create(&path).map_err(|e| io_error(&path, e))?;
        let mut csv = Self {
            rel: rel.to_string(),
            path,
            w: BufWriter::new(file),
        };
        csv.row(header)?;
        Ok(csv)
    }

    /// Appends one row.
    pub fn row(&mut self, fields: &[&str]) -> Result<(), GenError> {
        let mut line = String::with_capacity(128);
        for (i, f) in fields.iter().enumerate() {
            if i > 0 {
                line.push(',');
            }
            push_field(&mut line, f);
        }
        line.push('\n');
        self.w
            .write_all(line.as_bytes())
            .map_err(|e| io_error(&self.path, e))
    }

    /// Flushes and closes; returns the path relative to the output folder.
    pub fn finish(mut self) -> Result<String, GenError> {
        self.w.flush().map_err(|e| io_error(&self.path, e))?;
        Ok(self.rel)
    }
}

fn push_field(line: &mut String, f: &str) {
    if f.contains([',', '"', '\n', '\r']) {
        line.push('"');
        line.push_str(&f.replace('"', "\"\""));
        line.push('"');
    } else {
        line.push_str(f);
    }
}

/// Writes a whole text file `out/rel`; returns `rel`.
pub fn write_text(out: &Path, rel: &str, text: &str) -> Result<String, GenError> {
    let path = out.join(rel);
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| io_error(dir, e))?;
    }
    std::fs::write(&path, text).map_err(|e| io_error(&path, e))?;
    Ok(rel.to_string())
}
