//! `http(s)://` tables: a minimal static file server on 127.0.0.1 that honours HEAD and
//! byte-range GET (as S3, GCS, nginx do; Parquet readers need ranges) serves the sample,
//! and the same query must give the same rows as local files.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::PathBuf;

use crate::common::*;

/// Serves files under `root` until the process ends; returns the base URL.
fn serve(root: PathBuf) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let root = root.clone();
            std::thread::spawn(move || {
                let _ = handle(stream, &root);
            });
        }
    });
    format!("http://{addr}")
}

fn handle(stream: std::net::TcpStream, root: &std::path::Path) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut out = stream;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let mut parts = line.split_whitespace();
        let (method, path) = (parts.next().unwrap_or(""), parts.next().unwrap_or("/"));
        let mut range: Option<(u64, Option<u64>)> = None;
        loop {
            let mut h = String::new();
            reader.read_line(&mut h)?;
            if h.trim().is_empty() {
                break;
            }
            if let Some(v) = h.to_ascii_lowercase().strip_prefix("range: bytes=") {
                let v = v.trim();
                let (a, b) = v.split_once('-').unwrap_or((v, ""));
                range = Some((a.parse().unwrap_or(0), b.parse().ok()));
            }
        }
        let file = root.join(path.trim_start_matches('/'));
        let Ok(mut f) = std::fs::File::open(&file) else {
            out.write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")?;
            continue;
        };
        let mut data = Vec::new();
        f.read_to_end(&mut data)?;
        let len = data.len() as u64;
        let common = "Last-Modified: Wed, 25 Nov 2026 00:00:00 GMT\r\nETag: \"v1\"\r\nAccept-Ranges: bytes\r\n";
        match (method, range) {
            ("HEAD", _) => write!(
                out,
                "HTTP/1.1 200 OK\r\n{common}Content-Length: {len}\r\n\r\n"
            )?,
            ("GET", Some((a, b))) => {
                let end = b.unwrap_or(len - 1).min(len - 1);
                let body = &data[a as usize..=end as usize];
                write!(
                    out,
                    "HTTP/1.1 206 Partial Content\r\n{common}Content-Range: bytes {a}-{end}/{len}\r\nContent-Length: {}\r\n\r\n",
                    body.len()
                )?;
                out.write_all(body)?;
            }
            _ => {
                write!(
                    out,
                    "HTTP/1.1 200 OK\r\n{common}Content-Length: {len}\r\n\r\n"
                )?;
                out.write_all(&data)?;
            }
        }
        out.flush()?;
    }
}

#[tokio::test]
async fn http_tables_give_the_same_rows_as_local_files() {
    let base = serve(root().join("data/sample"));
    let remote = session(&[
        &format!("e={base}/ethereum/token_transfers/part-00000.parquet"),
        &format!("tok={base}/tokens/tokens.csv,chain=ethereum"),
    ])
    .await;
    let local = session(&[
        &format!(
            "e={}",
            root()
                .join("data/sample/ethereum/token_transfers/part-00000.parquet")
                .display()
        ),
        &format!(
            "tok={},chain=ethereum",
            root().join("data/sample/tokens/tokens.csv").display()
        ),
    ])
    .await;
    let q = "SELECT symbol, count(*), CAST(sum(amount) AS VARCHAR) FROM transfers GROUP BY symbol ORDER BY symbol";
    let r = rows(&remote, q).await;
    assert!(r.len() >= 4, "{r:?}");
    assert_eq!(r, rows(&local, q).await);
    let missing =
        chainstat_engine::Session::open(config(&[&format!("m={base}/nope.parquet")]), None).await;
    let e = missing.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(e.contains("table 'm'") && e.contains("nope.parquet"), "{e}");
}
