#!/usr/bin/env bash
# Connected-components benchmark (chainstat union-find and star vs scipy); writes
# scripts/bench/RESULTS-cc.md. Needs a `--profile dist` build and a venv with numpy/scipy/pyarrow.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${CHAINSTAT_BENCH_VENV:-.venv}"
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
"$VENV/bin/pip" install -q numpy scipy pyarrow
BIN="${CHAINSTAT_BIN:-${CARGO_TARGET_DIR:-target}/dist/chainstat}"
[ -x "$BIN" ] || cargo build --profile dist
# scipy's sparse code is single-threaded; numpy's BLAS is not used here.
exec "$VENV/bin/python" scripts/bench_cc.py --bin "$BIN" "$@"
