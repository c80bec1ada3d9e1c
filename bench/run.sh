#!/usr/bin/env bash
# Runs every benchmark and prints a Markdown table (record it in BENCHMARKS.md). Each preview row
# is the median of three runs (its peak memory the highest of the three).
#
#   bench/run.sh                 full sizes (100k and 1M-row previews, 500-call rate runs, ...)
#   bench/run.sh --smoke         tiny sizes, so the test suite can check the scripts still work
#   bench/run.sh --preview-only  the preview rows only (previews, memory per row, Python)
#
# Uses target/release binaries (built here) unless BIN and FLOOR point at others.
# Needs python3 (the export generator) and /usr/bin/time (peak RSS; reported n/a without it). The
# Python comparison (bench/reference.py) needs `phonenumbers` and `jinja2`: installed with pip
# (--user) when missing, else the row says why it was skipped.
set -euo pipefail
cd "$(dirname "$0")/.."

SMOKE=0
PREVIEW_ONLY=0
for arg in "$@"; do
  case "$arg" in
    --smoke) SMOKE=1 ;;
    --preview-only) PREVIEW_ONLY=1 ;;
    *) echo "usage: bench/run.sh [--smoke] [--preview-only]" >&2; exit 2 ;;
  esac
done
if [ -z "${BIN:-}" ]; then
  cargo build --release --quiet --bin annie-dispatch --example csv_floor
  BIN=target/release/annie-dispatch
  FLOOR=target/release/examples/csv_floor
fi
work=$(mktemp -d)
sandbox_pid=""
cleanup() { [ -n "$sandbox_pid" ] && kill "$sandbox_pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

if [ "$SMOKE" = 1 ]; then
  PREVIEW_SIZES="200 2000"; PYTHON_SIZE=2000; RATE_CALLS=12; RATE_RPM=1200; CEILING_CALLS=50
  JITTER_CALLS=8; JITTER_RPM=6000; JITTER="0ms..50ms"
else
  PREVIEW_SIZES="100000 1000000"; PYTHON_SIZE=100000; RATE_CALLS=500; RATE_RPM=1200; CEILING_CALLS=5000
  # 300 calls at 150/min take two minutes, so the sandbox's fixed one-minute windows include at
  # least one that is full from start to end: only a full window can hold one request too many.
  JITTER_CALLS=300; JITTER_RPM=150; JITTER="0ms..800ms"
fi
NOW="2026-11-23T10:00:00-06:00"   # the evening-before run; the generator's appointments are on 2026-11-24

# `measure CMD...`: runs CMD, prints "seconds peak_kb" (peak n/a without /usr/bin/time).
measure() {
  if [ -x /usr/bin/time ]; then
    /usr/bin/time -f "%e %M" -o "$work/time" "$@" >/dev/null 2>"$work/stderr" || true
    cat "$work/time" | tail -1
  else
    local start end
    start=$(date +%s.%N); "$@" >/dev/null 2>"$work/stderr" || true; end=$(date +%s.%N)
    echo "$(echo "$end - $start" | bc) n/a"
  fi
}

# `measure_median CMD...`: CMD run three times; the median time and the highest peak (one run on
# a shared machine can be 10 % off either way; the median of three is what the tables report).
measure_median() {
  local runs=() peak=0 secs kb
  for _ in 1 2 3; do
    read -r secs kb < <(measure "$@")
    runs+=("$secs")
    if [ "$kb" = n/a ] || [ "$peak" = n/a ]; then peak=n/a; elif [ "$kb" -gt "$peak" ]; then peak=$kb; fi
  done
  echo "$(printf '%s\n' "${runs[@]}" | sort -n | sed -n 2p) $peak"
}

config() { # config FILE BASE_URL RPM IN_FLIGHT
  cat > "$1" <<TOML
[api]
base_url = "$2"
timeout = "30s"
[practice]
name = "Bench Dental"
timezone = "America/Chicago"
from_number = "+13125550100"
[dispatch]
requests_per_minute = $3
max_in_flight = $4
[input]
preset = "opendental"
[state]
ledger = "$work/ledger-$RANDOM.sqlite3"
TOML
}

start_sandbox() { # start_sandbox RPM LATENCY [JITTER]
  local port
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  "$BIN" sandbox --listen "127.0.0.1:$port" --api-key bench --from-number +13125550100 \
    --timezone America/Chicago --rpm "$1" --latency "$2" --latency-jitter "${3:-0ms..0ms}" \
    --now "$NOW" --log "$work/sandbox.jsonl" 2>"$work/sandbox.err" &
  sandbox_pid=$!
  for _ in $(seq 100); do
    (echo > "/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
    sleep 0.05
  done
  SANDBOX_URL="http://127.0.0.1:$port/v1"
}

stop_sandbox() { kill "$sandbox_pid" 2>/dev/null || true; wait "$sandbox_pid" 2>/dev/null || true; sandbox_pid=""; }

# `dispatch_stats RESULTS`: achieved calls/minute from the attempted_at column, and sent count.
dispatch_stats() {
  python3 - "$1" <<'PY'
import csv, sys
from datetime import datetime
rows = list(csv.DictReader(open(sys.argv[1])))
times = sorted(datetime.fromisoformat(r["attempted_at"].replace("Z", "+00:00")) for r in rows if r["attempted_at"])
sent = sum(1 for r in rows if r["status"] == "sent")
span = (times[-1] - times[0]).total_seconds() if len(times) > 1 else 0
rate = (len(times) - 1) / span * 60 if span else 0
print(f"{rate:.1f} {sent} {len(rows)}")
PY
}

count_429() { grep -c '"status":429' "$work/sandbox.jsonl" 2>/dev/null || true; }

echo "| benchmark | result | target |"
echo "|---|---|---|"

# 1 and 4: preview throughput and memory, beside the bare csv floor.
for n in $PREVIEW_SIZES; do
  python3 bench/gen_export.py --rows "$n" > "$work/export-$n.csv"
  config "$work/preview.toml" "https://api.helloannie.com/v1" 60 4
  read -r secs kb < <(measure_median "$BIN" -q --no-progress run --config "$work/preview.toml" \
    --input "$work/export-$n.csv" --dry-run --now "$NOW" --results "$work/preview.csv")
  read -r floor_secs floor_kb < <(measure "$FLOOR" "$work/export-$n.csv")
  rows_s=$(python3 -c "print(f'{$n / max($secs, 0.001):,.0f}')")
  ratio=$(python3 -c "print(f'{$secs / max($floor_secs, 0.001):.1f}')")
  mb=$( [ "$kb" = n/a ] && echo n/a || python3 -c "print(f'{$kb / 1024:.0f} MB')")
  target=$( [ "$n" = 1000000 ] && echo "< 3 s, < 300 MB" || echo "-")
  echo "| preview, $n rows | ${secs} s, ${rows_s} rows/s, peak RSS ${mb}; csv floor ${floor_secs} s (preview = ${ratio}x floor) | $target |"
  sizes_kb="${sizes_kb:-} $n:$kb"
  [ "$n" = "$PYTHON_SIZE" ] && preview_secs=$secs
done

# 1a: memory per row: the peak's growth between the two preview sizes, per row.
read -r small big < <(echo $sizes_kb)
if [[ "$small" != *n/a && "$big" != *n/a ]]; then
  per_row=$(python3 -c "
n1, k1 = map(int, '$small'.split(':')); n2, k2 = map(int, '$big'.split(':'))
print(f'{(k2 - k1) * 1024 / (n2 - n1):.0f} bytes per row ({k1 / 1024:.0f} MB at {n1} rows, {k2 / 1024:.0f} MB at {n2})')")
  echo "| preview memory per row beyond a fixed base | $per_row | <= 150 bytes |"
fi

# 1b: the same preview in straightforward Python (bench/reference.py), side by side.
python_ready() { python3 -c "import phonenumbers, jinja2" 2>/dev/null; }
if ! python_ready; then
  pip install --quiet --user phonenumbers jinja2 >"$work/pip.log" 2>&1 || true
fi
if python_ready; then
  read -r py_secs _ < <(measure python3 bench/reference.py "$work/export-$PYTHON_SIZE.csv" \
    "$work/reference.csv" --now "$NOW")
  speedup=$(python3 -c "print(f'{$py_secs / max($preview_secs, 0.001):.1f}')")
  echo "| Python reference, $PYTHON_SIZE rows (csv, phonenumbers, zoneinfo, jinja2) | ${py_secs} s; the preview is ${speedup}x faster | >= 20x |"
else
  echo "| Python reference, $PYTHON_SIZE rows | skipped: phonenumbers and jinja2 are not installed and pip could not install them (see pip's message: no network?) | >= 20x |"
fi
[ "$PREVIEW_ONLY" = 1 ] && exit 0

# 2: rate precision against a sandbox with 300 ms latency.
python3 bench/gen_export.py --rows "$RATE_CALLS" --clean > "$work/calls.csv"
start_sandbox 100000 300ms
config "$work/rate.toml" "$SANDBOX_URL" "$RATE_RPM" 16
ANNIE_API_KEY=bench "$BIN" -q --no-progress run --config "$work/rate.toml" --input "$work/calls.csv" \
  --now "$NOW" --results "$work/rate.csv" 2>"$work/rate.err" || true
read -r rate sent total < <(dispatch_stats "$work/rate.csv")
precision=$(python3 -c "print(f'{$rate / $RATE_RPM:.3f}')")
echo "| rate precision: $RATE_CALLS calls at $RATE_RPM/min, 300 ms latency | $rate/min achieved (${precision} of configured), $sent/$total sent, $(count_429) 429s | >= 0.98, 0 429s |"
stop_sandbox

# 2a: configured exactly at the sandbox's limit, with network jitter on the way in: the client
# paces just under the limit, so no window at the sandbox ever holds one request too many.
python3 bench/gen_export.py --rows "$JITTER_CALLS" --clean --seed 4 > "$work/jitter.csv"
start_sandbox "$JITTER_RPM" 0ms "$JITTER"
config "$work/jitter.toml" "$SANDBOX_URL" "$JITTER_RPM" 16
ANNIE_API_KEY=bench "$BIN" -q --no-progress run --config "$work/jitter.toml" --input "$work/jitter.csv" \
  --now "$NOW" --results "$work/jitter-results.csv" 2>"$work/jitter.err" || true
read -r j_rate j_sent j_total < <(dispatch_stats "$work/jitter-results.csv")
j_ratio=$(python3 -c "print(f'{$j_rate / $JITTER_RPM:.3f}')")
echo "| at the limit with jitter: $JITTER_CALLS calls, sandbox and client both $JITTER_RPM/min, $JITTER inbound jitter | $(count_429) 429s, $j_rate/min achieved (${j_ratio} of configured), $j_sent/$j_total sent | 0 429s, >= 0.98 |"
stop_sandbox

# 2b: the sandbox allows less than configured: recovery through the rate-limit headers.
low_rpm=120
start_sandbox "$low_rpm" 0ms
config "$work/low.toml" "$SANDBOX_URL" "$RATE_RPM" 16
low_calls=$(( SMOKE == 1 ? 8 : low_rpm * 2 + 60 ))
python3 bench/gen_export.py --rows "$low_calls" --clean --seed 2 > "$work/low.csv"
read -r low_secs _ < <(ANNIE_API_KEY=bench measure "$BIN" -q --no-progress run --config "$work/low.toml" \
  --input "$work/low.csv" --now "$NOW" --results "$work/low-results.csv")
read -r _ low_sent low_total < <(dispatch_stats "$work/low-results.csv")
echo "| sandbox allows $low_rpm/min, client set to $RATE_RPM/min, $low_calls calls | $low_sent/$low_total sent in ${low_secs} s after $(count_429) 429s (paused until X-RateLimit-Reset) | every call sent |"
stop_sandbox

# 3: ceiling: no latency, limiter effectively off, ledger on (every attempt journaled).
python3 bench/gen_export.py --rows "$CEILING_CALLS" --clean --seed 3 > "$work/ceiling.csv"
start_sandbox 100000000 0ms
config "$work/ceiling.toml" "$SANDBOX_URL" 6000000 64
read -r c_secs _ < <(ANNIE_API_KEY=bench measure "$BIN" -q --no-progress run --config "$work/ceiling.toml" \
  --input "$work/ceiling.csv" --now "$NOW" --results "$work/ceiling-results.csv")
read -r c_rate c_sent c_total < <(dispatch_stats "$work/ceiling-results.csv")
c_per_s=$(python3 -c "print(f'{$c_rate / 60:,.0f}')")
oha_line="oha not installed (cargo install oha) : transport limit not measured"
if command -v oha >/dev/null 2>&1; then
  oha_rps=$(oha --no-tui -z 5s -c 64 -m POST -H "Authorization: Bearer bench" -H "Content-Type: application/json" \
    -d '{"fromNumber":"+13125550100","toNumber":"+13125550147"}' "$SANDBOX_URL/calls" 2>/dev/null \
    | awk '/Requests\/sec/ {print $2}')
  oha_line="oha against the same sandbox: ${oha_rps} requests/s"
fi
echo "| ceiling: $CEILING_CALLS calls, limiter off, ledger on | ${c_per_s} calls/s sustained ($c_sent/$c_total sent, ${c_secs} s wall); $oha_line | >= 1,000/s |"
stop_sandbox
