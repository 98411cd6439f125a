#!/usr/bin/env bash
# `cargo install --path .` then `chainstat run` in an empty folder, as the README tells a
# new user: the installed binary must run the embedded sample, say so on stderr and
# publish. Installs the dev-profile build (`--debug`) from the shared target dir, so it
# reuses the test build instead of compiling a release binary again.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/chainstat/target}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cargo install --path . --debug --locked --root "$work/root" --quiet
mkdir "$work/empty" "$work/cache"
cd "$work/empty"
# A fresh cache dir, so the sample is extracted from the binary, not found from an
# earlier run; no config in this folder or in the environment.
if ! env -u CHAINSTAT_CONFIG CHAINSTAT_CACHE_DIR="$work/cache" \
    "$work/root/bin/chainstat" run >"$work/stdout" 2>"$work/stderr"; then
    echo "check-install: the installed chainstat failed in an empty folder:" >&2
    cat "$work/stderr" >&2
    exit 1
fi
fail() {
    echo "check-install: $1" >&2
    echo "--- stdout" >&2; cat "$work/stdout" >&2
    echo "--- stderr" >&2; cat "$work/stderr" >&2
    exit 1
}
grep -q "using the embedded sample" "$work/stderr" || fail "no 'using the embedded sample' on stderr"
ls "$work/cache"/sample-*/chainstat.toml >/dev/null 2>&1 || fail "the sample was not extracted into CHAINSTAT_CACHE_DIR"
[ -f out/_published.json ] || fail "no out/_published.json: nothing was published"
[ -L out/latest ] && [ -f out/latest/report.html ] || fail "no report behind out/latest"
echo "check-install: installed chainstat ran the embedded sample in an empty folder"
