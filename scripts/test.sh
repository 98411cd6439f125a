#!/usr/bin/env bash
# The whole test suite, as the README and CI run it: checks formatting, the crates'
# layering (scripts/check-layers.py) and clippy's lints, installs the S3 test server and the
# Python readers if needed (scripts/test-env.sh), then runs every test (unit, .slt, golden
# files, CLI, S3 on 127.0.0.1, Ballista cluster, read-back in pyarrow/pandas/DuckDB), the
# `cargo install` check (scripts/check-install.sh) and the key-hash check under
# `-C target-cpu=native`.
# A reusable CARGO_TARGET_DIR (default ~/.cache/chainstat/target) keeps rebuilds short.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/chainstat/target}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
scripts/test-env.sh
export CHAINSTAT_S3S_FS="${CHAINSTAT_TOOLS:-$HOME/.cache/chainstat/tools}/bin/s3s-fs"
export CHAINSTAT_PYTHON="${CHAINSTAT_TOOLS:-$HOME/.cache/chainstat/tools}/py/bin/python3"
# Ballista tasks log at info level per task; keep test output readable.
export RUST_LOG="${RUST_LOG:-warn}"
cargo fmt --all --check
cargo clippy --workspace --all-targets -- -D warnings
scripts/check-layers.py
cargo test --workspace --all-targets -- --test-threads 2
scripts/check-install.sh
scripts/check-key-hash.sh
