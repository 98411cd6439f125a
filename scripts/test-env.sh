#!/usr/bin/env bash
# Installs what the test suite needs besides cargo: the S3-compatible server `s3s-fs`
# (disk-backed, checks SigV4 signatures) into ~/.cache/chainstat/tools. Idempotent.
# The Ballista scheduler and executors are chainstat itself, started by the tests.
set -euo pipefail
TOOLS="${CHAINSTAT_TOOLS:-$HOME/.cache/chainstat/tools}"
if [ ! -x "$TOOLS/bin/s3s-fs" ]; then
  echo "installing s3s-fs 0.14.1 into $TOOLS (about 1.5 min)…"
  cargo install s3s-fs@0.14.1 --locked --features binary --root "$TOOLS"
fi
echo "s3s-fs: $TOOLS/bin/s3s-fs"
