#!/usr/bin/env bash
# Accuracy as a measured figure: generates economies with ground truth, runs the nightly
# job on each (work folder kept, for address_clusters) and scores it with the hidden
# `chainstat accuracy`; writes scripts/bench/ACCURACY.md and prints it (docs/accuracy.md).
#   scripts/accuracy.sh                          # 20 000 and 200 000 transfers, seed 7
#   scripts/accuracy.sh --sizes 8000 --seed 11   # other sizes / seed
#   scripts/accuracy.sh --work /tmp/acc          # keep the generated data and runs there
# Binary: CHAINSTAT_BIN, default ${CARGO_TARGET_DIR:-target}/debug/chainstat (built if
# missing). Local files only: nothing here opens a network connection.
set -euo pipefail
cd "$(dirname "$0")/.."

SIZES="20000,200000"
SEED=7
WORK=""
OUT_MD="scripts/bench/ACCURACY.md"
while [ $# -gt 0 ]; do
    case "$1" in
        --sizes) SIZES="$2"; shift 2 ;;
        --seed) SEED="$2"; shift 2 ;;
        --work) WORK="$2"; shift 2 ;;
        --out) OUT_MD="$2"; shift 2 ;;
        -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
        *) echo "unknown argument: $1" >&2; exit 2 ;;
    esac
done

BIN="${CHAINSTAT_BIN:-${CARGO_TARGET_DIR:-target}/debug/chainstat}"
if [ ! -x "$BIN" ]; then
    cargo build
fi

if [ -z "$WORK" ]; then
    WORK="$(mktemp -d "${TMPDIR:-/tmp}/chainstat-accuracy.XXXXXX")"
    trap 'rm -rf "$WORK"' EXIT
fi
mkdir -p "$WORK"

COMMIT="$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
if [ -n "$(git status --porcelain --untracked-files=no 2>/dev/null)" ]; then
    COMMIT="$COMMIT (with uncommitted changes)"
fi
case "$BIN" in
    */dist/*) PROFILE=dist ;;
    *release*) PROFILE=release ;;
    *) PROFILE=debug ;;
esac

BODY="$WORK/body.md"
: > "$BODY"
for SIZE in ${SIZES//,/ }; do
    DIR="$WORK/gen-$SIZE"
    rm -rf "$DIR"
    echo "== $SIZE transfers (seed $SEED): generating" >&2
    "$BIN" gen --out "$DIR" --size "$SIZE" --seed "$SEED" >&2
    echo "== $SIZE transfers: running the job" >&2
    START=$(date +%s)
    "$BIN" run --config "$DIR/chainstat.toml" --out "$DIR/out" --keep-work --no-report --quiet >&2
    SECS=$(( $(date +%s) - START ))
    # One run under out/: its kept work folder holds the clustering.
    CLUSTERS="$(ls -d "$DIR"/out/_work/*/cluster | tail -n 1)"
    echo "== $SIZE transfers: scoring" >&2
    {
        echo "## $SIZE transfers (seed $SEED)"
        echo
        echo "Job: ${SECS} s ($PROFILE binary)."
        echo
        "$BIN" accuracy --truth "$DIR" --clusters "$CLUSTERS" --published "$DIR/out"
        "$BIN" accuracy --truth "$DIR" --clusters "$CLUSTERS" --published "$DIR/out" --json \
            > "$WORK/accuracy-$SIZE.json"
        echo
    } >> "$BODY"
done

mkdir -p "$(dirname "$OUT_MD")"
{
    echo "# Accuracy against the generated ground truth"
    echo
    echo "- Date: $(date -u +%Y-%m-%dT%H:%MZ)"
    echo "- Commit: $COMMIT"
    echo "- Sizes: ${SIZES//,/, } Ethereum transfers (\`chainstat gen --size\`), seed $SEED"
    echo "- Reproduce: \`scripts/accuracy.sh --sizes $SIZES --seed $SEED\`"
    echo "- Definitions: docs/accuracy.md"
    echo
    cat "$BODY"
} > "$OUT_MD"
cat "$OUT_MD"
echo "written: $OUT_MD" >&2
