#!/usr/bin/env bash
# The benchmark: chainstat vs DuckDB (turnover SQL) and scipy (connected components) on
# the same generated data, plus the end-to-end nightly job; writes scripts/bench/RESULTS.md.
#   scripts/bench.sh                       # 1M and 10M transfers, 3 runs each
#   scripts/bench.sh --sizes 100000000 --job-runs 1 --memory-limit 2g   # opt-in 100M (≈ 20 GB of input)
# Needs a `--profile dist` build (built here if missing) and a venv with duckdb, scipy, pyarrow.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${CHAINSTAT_BENCH_VENV:-.venv}"
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
"$VENV/bin/pip" install -q numpy scipy pyarrow duckdb
BIN="${CHAINSTAT_BIN:-${CARGO_TARGET_DIR:-target}/dist/chainstat}"
[ -x "$BIN" ] || cargo build --profile dist
exec "$VENV/bin/python" scripts/bench.py --bin "$BIN" "$@"
