#!/usr/bin/env bash
# Installs what the test suite needs besides cargo into ~/.cache/chainstat/tools: the
# S3-compatible server `s3s-fs` (disk-backed, checks SigV4 signatures), a Python venv
# with pyarrow, pandas and DuckDB (tests/interop/requirements.txt) that reads the published
# tables back, pexpect for the prompt and playwright for the report in print, and Debian's
# Chromium (apt) when the machine has none. Idempotent. The Ballista scheduler and executors are chainstat itself,
# started by the tests.
set -euo pipefail
TOOLS="${CHAINSTAT_TOOLS:-$HOME/.cache/chainstat/tools}"
if [ ! -x "$TOOLS/bin/s3s-fs" ]; then
  echo "installing s3s-fs 0.14.1 into $TOOLS (about 1.5 min)…"
  cargo install s3s-fs@0.14.1 --locked --features binary --root "$TOOLS"
fi
echo "s3s-fs: $TOOLS/bin/s3s-fs"
PY="$TOOLS/py"
REQ=tests/interop/requirements.txt
if ! cmp -s "$REQ" "$PY/requirements.txt"; then
  echo "installing pyarrow, pandas and DuckDB into $PY (about 1 min)…"
  rm -rf "$PY"
  python3 -m venv "$PY"
  "$PY/bin/pip" install --quiet --disable-pip-version-check -r "$REQ"
  cp "$REQ" "$PY/requirements.txt"
fi
echo "python: $PY/bin/python3"
CHROMIUM="${CHAINSTAT_CHROMIUM:-/usr/bin/chromium}"
if [ ! -x "$CHROMIUM" ]; then
  echo "installing Debian's chromium (about 1 min)…"
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo -n"
  $SUDO apt-get install -y -q chromium >/dev/null || {
    $SUDO apt-get update -q >/dev/null && $SUDO apt-get install -y -q chromium >/dev/null
  }
fi
echo "chromium: $CHROMIUM"
