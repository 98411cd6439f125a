#!/usr/bin/env bash
# Fault injection against real processes on 127.0.0.1: what chainstat promises on failure
# (docs/failure.md), tried as an operator would break it. Writes scripts/bench/FAULTS.md
# and prints it; exits 1 if any scenario gave a wrong answer or lost published data.
#   scripts/faults.sh                      # every scenario, default sizes
#   scripts/faults.sh --kills 12 --tries 6 # more kill -9 runs / executor kills
#   scripts/faults.sh --only kill,s3       # some scenarios (kill, s3, executor, concurrent)
#   scripts/faults.sh --work /tmp/faults   # keep data, outputs and logs there
# Binary: CHAINSTAT_BIN, default ${CARGO_TARGET_DIR:-target}/debug/chainstat (built if
# missing). The S3 scenario needs s3s-fs (scripts/test-env.sh installs it).
set -euo pipefail
cd "$(dirname "$0")/.."

KILLS=8
TRIES=4
ONLY="kill,s3,executor,concurrent"
WORK=""
OUT_MD="scripts/bench/FAULTS.md"
SIZE=20000
OUTAGE=30
while [ $# -gt 0 ]; do
    case "$1" in
        --kills) KILLS="$2"; shift 2 ;;
        --tries) TRIES="$2"; shift 2 ;;
        --only) ONLY="$2"; shift 2 ;;
        --work) WORK="$2"; shift 2 ;;
        --out) OUT_MD="$2"; shift 2 ;;
        --size) SIZE="$2"; shift 2 ;;
        --outage) OUTAGE="$2"; shift 2 ;;
        -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
        *) echo "unknown argument: $1" >&2; exit 2 ;;
    esac
done

BIN="${CHAINSTAT_BIN:-${CARGO_TARGET_DIR:-target}/debug/chainstat}"
[ -x "$BIN" ] || cargo build
BIN="$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")"
S3S="${CHAINSTAT_S3S_FS:-$HOME/.cache/chainstat/tools/bin/s3s-fs}"
command -v "$S3S" >/dev/null 2>&1 || S3S="$(command -v s3s-fs || true)"

if [ -z "$WORK" ]; then
    WORK="$(mktemp -d "${TMPDIR:-/tmp}/chainstat-faults.XXXXXX")"
    trap 'pkill -P $$ 2>/dev/null || true; rm -rf "$WORK"' EXIT
else
    trap 'pkill -P $$ 2>/dev/null || true' EXIT
fi
mkdir -p "$WORK"
LOG="$WORK/log"
mkdir -p "$LOG"
unset CHAINSTAT_CONFIG CHAINSTAT_CLUSTER
export RUST_LOG=warn

wants() { [[ ",$ONLY," == *",$1,"* ]]; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 1 300); do (echo >"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.1; done; return 1; }
ms() { date +%s%3N; }
rand_between() { python3 -c "import random; print(random.randint($1, $2))"; }

# The published run under $2 (config $1) as one digest over every table's sorted rows;
# "unreadable" when the pointer, a manifest or a file is missing or broken.
TABLES=$(grep -h '^-- publish:' queries/*.sql | awk '{print $3}')
digest() {
    local config="$1" out="$2" t sum=""
    for t in $TABLES; do
        local rows
        rows=$("$BIN" sql --config "$config" --published "$out" --format csv -c "SELECT * FROM $t" 2>/dev/null) \
            || { echo unreadable; return; }
        sum="$sum$t:$(printf '%s\n' "$rows" | sort | sha256sum | cut -c1-16) "
    done
    printf '%s' "$sum" | sha256sum | cut -c1-16
}

ROWS=""
row() { ROWS="$ROWS| $1 | $2 | $3 | $4 | $5 | $6 | $7 |"$'\n'; }
WRONG_TOTAL=0
LOST_TOTAL=0

echo "generating $SIZE transfers…" >&2
DATA="$WORK/data"
"$BIN" gen --out "$DATA" --size "$SIZE" >"$LOG/gen.txt"
CONFIG="$DATA/chainstat.toml"

echo "reference run…" >&2
REF_OUT="$WORK/reference"
t0=$(ms)
"$BIN" run -q --config "$CONFIG" --out "$REF_OUT" >"$LOG/reference.txt" 2>&1
RUN_MS=$(( $(ms) - t0 ))
REF=$(digest "$CONFIG" "$REF_OUT")
[ "$REF" != unreadable ] || { echo "the reference run is unreadable" >&2; exit 1; }

# --- kill -9 at random points of a run --------------------------------------------------
if wants kill; then
    OUT="$WORK/kill"
    "$BIN" run -q --config "$CONFIG" --out "$OUT" >"$LOG/kill-first.txt" 2>&1
    tried=0 clean=0 done_=0 wrong=0 lost=0
    for i in $(seq 1 "$KILLS"); do
        tried=$((tried + 1))
        delay=$(rand_between 200 "$RUN_MS")
        "$BIN" run -q --config "$CONFIG" --out "$OUT" >"$LOG/kill-$i.txt" 2>&1 &
        pid=$!
        sleep "$(python3 -c "print($delay/1000)")"
        if kill -9 "$pid" 2>/dev/null; then
            wait "$pid" 2>/dev/null || true
            clean=$((clean + 1))
        else
            wait "$pid" && done_=$((done_ + 1)) || clean=$((clean + 1))
        fi
        d=$(digest "$CONFIG" "$OUT")
        if [ "$d" = unreadable ]; then lost=$((lost + 1)); elif [ "$d" != "$REF" ]; then wrong=$((wrong + 1)); fi
    done
    # The next run after all the kills commits and leaves nothing behind.
    tried=$((tried + 1))
    if "$BIN" run -q --config "$CONFIG" --out "$OUT" >"$LOG/kill-after.txt" 2>&1; then
        done_=$((done_ + 1))
        [ "$(digest "$CONFIG" "$OUT")" = "$REF" ] || wrong=$((wrong + 1))
        left=$(find "$OUT/_work" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l)
        [ "$left" -eq 0 ] || lost=$((lost + 1))
    else
        lost=$((lost + 1))
    fi
    row "kill -9 at a random point of a run (0.2 s … ${RUN_MS} ms), then one clean run" \
        "$tried" "$clean" "$done_" "$wrong" "$lost" "work folders left: ${left:-?}"
    WRONG_TOTAL=$((WRONG_TOTAL + wrong)); LOST_TOTAL=$((LOST_TOTAL + lost))
fi

# --- two runs at once --------------------------------------------------------------------
if wants concurrent; then
    OUT="$WORK/concurrent"
    tried=0 clean=0 done_=0 wrong=0 lost=0 codes=""
    for i in 1 2 3; do
        stagger=$(rand_between 0 1500)
        "$BIN" run -q --config "$CONFIG" --out "$OUT" >"$LOG/conc-$i-a.txt" 2>&1 &
        a=$!
        sleep "$(python3 -c "print($stagger/1000)")"
        extra=""; [ $((i % 2)) -eq 0 ] && extra="--incremental"
        "$BIN" run -q --config "$CONFIG" --out "$OUT" $extra >"$LOG/conc-$i-b.txt" 2>&1 &
        b=$!
        for p in $a $b; do
            tried=$((tried + 1))
            if wait "$p"; then done_=$((done_ + 1)); codes="${codes}0 "; else
                c=$?; codes="${codes}$c "
                [ "$c" -eq 4 ] && clean=$((clean + 1)) || lost=$((lost + 1))
            fi
        done
        d=$(digest "$CONFIG" "$OUT")
        if [ "$d" = unreadable ]; then lost=$((lost + 1)); elif [ "$d" != "$REF" ]; then wrong=$((wrong + 1)); fi
    done
    row "two runs into one output root at once (stagger 0 … 1.5 s)" \
        "$tried" "$clean" "$done_" "$wrong" "$lost" "exit codes: $codes"
    WRONG_TOTAL=$((WRONG_TOTAL + wrong)); LOST_TOTAL=$((LOST_TOTAL + lost))
fi

# --- the S3 server down for a while during a run ---------------------------------------
if wants s3; then
    if [ -z "$S3S" ] || [ ! -x "$S3S" ]; then
        row "S3 server down ${OUTAGE} s during a run" 0 0 0 0 0 "skipped: no s3s-fs (scripts/test-env.sh)"
    else
        S3DIR="$WORK/s3"; mkdir -p "$S3DIR/faults"
        port=$(free_port)
        start_s3() {
            "$S3S" --host 127.0.0.1 --port "$port" --access-key faults --secret-key faults-secret-7 \
                "$S3DIR" >>"$LOG/s3s.txt" 2>&1 &
            S3PID=$!
            wait_port "$port"
        }
        start_s3
        S3CONFIG="$DATA/chainstat-s3.toml"
        { cat "$CONFIG"; printf '\n[storage.s3]\nendpoint = "http://127.0.0.1:%s"\naccess_key_id = "faults"\nsecret_access_key = "faults-secret-7"\nregion = "us-east-1"\n' "$port"; } >"$S3CONFIG"
        OUT="s3://faults/out"
        tried=0 clean=0 done_=0 wrong=0 lost=0 note=""
        "$BIN" run -q --config "$S3CONFIG" --out "$OUT" >"$LOG/s3-first.txt" 2>&1
        for i in 1 2; do
            tried=$((tried + 1))
            "$BIN" run -q --config "$S3CONFIG" --out "$OUT" >"$LOG/s3-$i.txt" 2>&1 &
            pid=$!
            sleep "$(python3 -c "print($(rand_between 500 3000)/1000)")"
            kill -9 "$S3PID"; wait "$S3PID" 2>/dev/null || true
            t0=$(ms)
            sleep "$OUTAGE"
            start_s3
            if wait "$pid"; then done_=$((done_ + 1)); else clean=$((clean + 1)); fi
            note="${note}run $i ended $(( ($(ms) - t0) / 1000 )) s after the outage began; "
            d=$(digest "$S3CONFIG" "$OUT")
            if [ "$d" = unreadable ]; then lost=$((lost + 1)); elif [ "$d" != "$REF" ]; then wrong=$((wrong + 1)); fi
        done
        kill "$S3PID" 2>/dev/null || true
        row "S3 server killed for ${OUTAGE} s during a run (output on S3)" \
            "$tried" "$clean" "$done_" "$wrong" "$lost" "$note"
        WRONG_TOTAL=$((WRONG_TOTAL + wrong)); LOST_TOTAL=$((LOST_TOTAL + lost))
    fi
fi

# --- an executor killed during a query ------------------------------------------------------
if wants executor; then
    BIG="$WORK/big"
    "$BIN" gen --out "$BIG" --size 200000 >"$LOG/gen-big.txt"
    TABLE="eth=$BIG/ethereum/token_transfers/"
    Q="SELECT count(*) AS n, CAST(sum(c) AS VARCHAR) AS s, CAST(sum(v) AS VARCHAR) AS v FROM (SELECT a.from_address, count(*) AS c, sum(a.amount_raw) AS v FROM transfers a JOIN (SELECT DISTINCT to_address FROM transfers) b ON a.from_address = b.to_address GROUP BY 1)"
    (cd "$WORK" && "$BIN" sql --format csv -t "$TABLE" -c "$Q") >"$WORK/embedded.csv" 2>"$LOG/embedded.txt"
    sport=$(free_port)
    (cd "$WORK" && "$BIN" scheduler --port "$sport" --executor-timeout 10 >"$LOG/scheduler.txt" 2>&1) &
    wait_port "$sport"
    declare -a EXEC=()
    start_exec() {
        local p; p=$(free_port)
        (cd "$WORK" && exec "$BIN" executor --port "$p" --scheduler "127.0.0.1:$sport" --vcores 2 \
            --memory 1g --work-dir "$WORK/exec-$1") >>"$LOG/executors.txt" 2>&1 &
        EXEC+=($!)
        wait_port "$p"
    }
    start_exec 0; start_exec 1; sleep 2
    tried=0 clean=0 done_=0 wrong=0 lost=0 codes=""
    for i in $(seq 1 "$TRIES"); do
        tried=$((tried + 1))
        (cd "$WORK" && "$BIN" sql --cluster "df://127.0.0.1:$sport" --format csv -t "$TABLE" -c "$Q") \
            >"$WORK/remote.csv" 2>"$LOG/remote-$i.txt" &
        q=$!
        sleep "$(python3 -c "print($(rand_between 1000 12000)/1000)")"
        victim=$(( ${#EXEC[@]} - 1 - (i % 2) ))
        kill -9 "${EXEC[$victim]}" 2>/dev/null || true
        unset 'EXEC[victim]'; EXEC=("${EXEC[@]}")
        if wait "$q"; then
            done_=$((done_ + 1)); codes="${codes}0 "
            cmp -s "$WORK/remote.csv" "$WORK/embedded.csv" || wrong=$((wrong + 1))
        else
            c=$?; codes="${codes}$c "
            [ "$c" -eq 7 ] && clean=$((clean + 1)) || lost=$((lost + 1))
        fi
        start_exec "r$i"
    done
    row "an executor killed at a random point of a query on a 2-executor cluster" \
        "$tried" "$clean" "$done_" "$wrong" "$lost" "exit codes: $codes"
    WRONG_TOTAL=$((WRONG_TOTAL + wrong)); LOST_TOTAL=$((LOST_TOTAL + lost))
fi

COMMIT="$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
if [ -n "$(git status --porcelain --untracked-files=no 2>/dev/null)" ]; then
    COMMIT="$COMMIT (with uncommitted changes)"
fi
case "$BIN" in */dist/*) PROFILE=dist ;; *release*) PROFILE=release ;; *) PROFILE=debug ;; esac
mkdir -p "$(dirname "$OUT_MD")"
{
    echo "# Fault injection"
    echo
    echo "$(date -u +%Y-%m-%d), commit $COMMIT, $PROFILE build, $(nproc) cores; written by \`scripts/faults.sh\`"
    echo "(see docs/failure.md). Data: \`chainstat gen --size $SIZE\` (the executor scenario: 200 000)."
    echo "A run's answer is the digest of every published table's sorted rows, compared with a"
    echo "reference run on the same inputs. *Failed cleanly*: a non-zero exit with the published run"
    echo "unchanged (killed, exit 4 for a held output, exit 7 for a lost executor). *Wrong*: a"
    echo "published or printed answer that differs from the reference (must be 0). *Lost*: the"
    echo "published run unreadable afterwards, a file missing, work folders left behind, or an"
    echo "unexpected exit code (must be 0)."
    echo
    echo "| scenario | runs tried | failed cleanly | completed | wrong answers | data lost | notes |"
    echo "|---|---:|---:|---:|---:|---:|---|"
    printf '%s' "$ROWS"
    echo
    echo "Total: $WRONG_TOTAL wrong answer(s), $LOST_TOTAL case(s) of lost data."
} >"$OUT_MD"
cat "$OUT_MD"
[ "$WRONG_TOTAL" -eq 0 ] && [ "$LOST_TOTAL" -eq 0 ]
