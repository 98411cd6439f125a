#!/usr/bin/env bash
# The row keys (`key_hash`, crates/chain/src/key.rs) must not depend on the CPU features
# a build targets: runs the golden-value tests of chainstat-chain, where the whole hash
# is computed, built with `-C target-cpu=native` (AES, AVX2 … where the CPU has them) in
# its own target folder. The default build runs the same tests in scripts/test.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
BASE="${CARGO_TARGET_DIR:-$HOME/.cache/chainstat/target}"
RUSTFLAGS='-C target-cpu=native' CARGO_TARGET_DIR="$BASE/native" \
    cargo test -p chainstat-chain --lib key:: -- --test-threads 2
