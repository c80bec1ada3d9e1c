#!/usr/bin/env bash
# Field trial: two nights against a standalone sandbox with faults (reset, then timeout; half of
# the failed calls created anyway), a kill -9 mid-run, reruns, --retry-uncertain, outcomes (the
# sandbox opt-out recorded), the next night's preview, run and rerun, on an ugly Open Dental export
# (ugly_export.py). Prints what to look at: exit codes, result counts, numbers called more than
# once in the sandbox (must be none), file modes, names or numbers in the logs (must be 0).
# Usage: scripts/field_trial/two_nights.sh target/release/annie-dispatch   (WORK=DIR to keep the files)
set -u
BIN=$(realpath "${1:?usage: two_nights.sh BINARY}")
ROOT=$(cd "$(dirname "$0")/../.." && pwd); W=${WORK:-$(mktemp -d)}; mkdir -p "$W"; cd "$W"; echo "working in $W"
PORT=18787
cp "$ROOT/config.example.toml" practice.toml
python3 - <<'PY'
import re
s = open("practice.toml").read()
s = s.replace('base_url = "https://api.helloannie.com/v1"', 'base_url = "http://127.0.0.1:18787/v1"')
s = s.replace("[state]\n", '[state]\nledger = "trial.ledger.sqlite3"\n', 1)
s = s.replace('max_export_age = "24h"', 'max_export_age = "100000h"')
open("rehearsal.toml", "w").write(s)
PY
export ANNIE_API_KEY=annie-sk-sandbox
start_sandbox() {
  $BIN sandbox --config rehearsal.toml --listen 127.0.0.1:$PORT --rpm 60 --log sandbox.jsonl \
    --now "$1" --close-after 20s --fail-rate 0.25 --fail-kind "$2" --created-anyway 0.5 --seed "$3" \
    --hang 3s --opt-out +13125550105 > sandbox.out 2>&1 &
  SB=$!
  for i in $(seq 50); do curl -s -o /dev/null 127.0.0.1:$PORT/v1/conversations && break; sleep 0.1; done
}
sbnow() { curl -s -X POST -H "Authorization: Bearer $ANNIE_API_KEY" "http://127.0.0.1:$PORT/_sandbox/advance?by=0s" | python3 -c 'import sys,json; print(json.load(sys.stdin)["data"]["now"])'; }
advance() { curl -s -X POST -H "Authorization: Bearer $ANNIE_API_KEY" "http://127.0.0.1:$PORT/_sandbox/advance?by=$1"; echo; }
per_number() {  # conversations per toNumber: any number with more than one is a second call
  for off in 0 100 200; do
    curl -s -H "Authorization: Bearer $ANNIE_API_KEY" "http://127.0.0.1:$PORT/v1/conversations?offset=$off&limit=100"
  done | python3 -c '
import sys, json, collections
c = collections.Counter()
for line in sys.stdin.read().replace("}{", "}\n{").splitlines():
    d = json.loads(line)
    items = d.get("data", {})
    items = items.get("conversations", items.get("items", [])) if isinstance(items, dict) else items
    for x in items:
        c[x.get("toNumber") or x.get("to_number") or x.get("phoneNumber") or str(sorted(x))] += 1
print("conversations:", sum(c.values()), "numbers:", len(c), "numbers called more than once:", {k: v for k, v in c.items() if v > 1})
'
}
summary() { python3 -c '
import csv, sys, collections
rows = list(csv.DictReader(open(sys.argv[1], encoding="utf-8")))
print(len(rows), "rows;", dict(collections.Counter(r["status"] for r in rows)))
' "$1"; }

echo "== night 1 (export for 2026-11-24), sandbox resets half-created, kill -9 mid-run"
python3 "$ROOT/scripts/field_trial/ugly_export.py" 2026-11-24 1 > night1.csv
start_sandbox 2026-11-23T18:30:00-06:00 reset 7
$BIN run --config rehearsal.toml --input night1.csv --now "$(sbnow)" > run1.out 2> run1.err &
R=$!; sleep 8; kill -9 $R; wait $R; echo "killed: rc=$?"
ls -la night1.results.csv night1.results.csv.partial 2>&1 | sed 's/^/  /'
$BIN run --config rehearsal.toml --input night1.csv --now "$(sbnow)" > run2.out 2> run2.err; echo "rerun rc=$?"; tail -3 run2.err
summary night1.results.csv
$BIN run --config rehearsal.toml --input night1.csv --now "$(sbnow)" --retry-uncertain > run3.out 2> run3.err; echo "retry-uncertain rc=$?"; tail -2 run3.err
summary night1.results.csv
per_number
stat -c '%a %n' night1.results.csv trial.ledger.sqlite3
grep -c "555-01\|55501\|Sarah\|Johnson\|García" run*.err sandbox.out | sed 's/^/  PHI in log? /'
echo "== outcomes (after the calls close)"
advance 1h
$BIN outcomes --config rehearsal.toml --results night1.results.csv --report morning.html > out1.out 2> out1.err; echo "outcomes rc=$?"; tail -2 out1.err
echo "== night 2 (export for 2026-11-25), timeouts"
kill $SB; wait $SB 2>/dev/null
start_sandbox 2026-11-24T18:31:00-06:00 timeout 9
python3 "$ROOT/scripts/field_trial/ugly_export.py" 2026-11-25 2 > night2.csv
$BIN run --config rehearsal.toml --input night2.csv --dry-run --now "$(sbnow)" > pre2.out 2> pre2.err; echo "preview rc=$?"; tail -3 pre2.err
$BIN run --config rehearsal.toml --input night2.csv --now "$(sbnow)" > n2.out 2> n2.err; echo "night2 rc=$?"; tail -3 n2.err
summary night2.results.csv
$BIN run --config rehearsal.toml --input night2.csv --now "$(sbnow)" > n2b.out 2> n2b.err; echo "night2 rerun rc=$?"; tail -2 n2b.err
summary night2.results.csv
per_number
grep -c '"method":"POST"' sandbox.jsonl | sed 's/^/  posts logged by sandbox 2: /'
kill $SB; wait $SB 2>/dev/null
echo "== done"
