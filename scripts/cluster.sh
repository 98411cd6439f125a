#!/usr/bin/env bash
# Starts a local Ballista cluster of chainstat processes on 127.0.0.1: one scheduler and
# N executors (default 2). Ctrl-C stops them all.
# Usage: scripts/cluster.sh [N] [--config chainstat.toml]
set -euo pipefail
cd "$(dirname "$0")/.."
N="${1:-2}"; shift || true
BIN="${CHAINSTAT_BIN:-${CARGO_TARGET_DIR:-target}/dist/chainstat}"
[ -x "$BIN" ] || cargo build --profile dist
PORT="${CHAINSTAT_SCHEDULER_PORT:-50050}"
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true' EXIT INT TERM
"$BIN" scheduler --port "$PORT" "$@" & pids+=($!)
sleep 1
for i in $(seq 1 "$N"); do
  "$BIN" executor --scheduler "127.0.0.1:$PORT" --port $((PORT + i)) \
    --work-dir "${TMPDIR:-/tmp}/chainstat-exec-$i" "$@" & pids+=($!)
done
echo "cluster: df://127.0.0.1:$PORT with $N executor(s); Ctrl-C to stop"
wait
