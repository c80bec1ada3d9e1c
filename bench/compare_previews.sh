#!/usr/bin/env bash
# Checks that two builds write the same previews, byte for byte: the table, the results file and
# the messages, for four previews of generated exports (100k and 1M rows with the bench config,
# the 100k export through a two-location group, and `--wide`). Then that the new build's streamed
# previews (plain `--dry-run`, the two single-practice exports) say what its preview of the whole
# export at once says (`--emit-requests` takes that path, as a sending run does): the same table
# and the same result rows (in any order: the results file is written as rows finish). For
# performance work: build the old binary first, then
#
#   bench/compare_previews.sh OLD_BINARY NEW_BINARY [ROWS_SMALL ROWS_LARGE]
#
# Prints one line per check and exits 1 if any differs. Needs python3 (the generator).
set -euo pipefail
cd "$(dirname "$0")/.."
old=$1 new=$2 small=${3:-100000} large=${4:-1000000}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
NOW="2026-11-23T10:00:00-06:00"

python3 bench/gen_export.py --rows "$small" > "$work/small.csv"
python3 bench/gen_export.py --rows "$large" > "$work/large.csv"
# The small export with a ClinicNum column: rows alternate between clinics 1 and 2, and every
# 97th names clinic 3, which the config does not list.
python3 - "$work/small.csv" "$work/group.csv" <<'PY'
import csv, sys
rows = list(csv.reader(open(sys.argv[1], newline="")))
out = csv.writer(open(sys.argv[2], "w", newline=""), lineterminator="\n")
out.writerow(rows[0] + ["ClinicNum"])
for i, row in enumerate(rows[1:]):
    out.writerow(row + [str(1 + i % 2) if i % 97 else "3"])
PY
cat > "$work/one.toml" <<TOML
[api]
base_url = "https://api.helloannie.com/v1"
[practice]
name = "Bench Dental"
timezone = "America/Chicago"
from_number = "+13125550100"
[dispatch]
requests_per_minute = 60
[input]
preset = "opendental"
[state]
ledger = "$work/ledger.sqlite3"
TOML
cat > "$work/group.toml" <<TOML
[api]
base_url = "https://api.helloannie.com/v1"
[practice]
name = "Bench Group"
[input]
preset = "opendental"
[input.columns]
location = "ClinicNum"
[dispatch]
requests_per_minute = 600
[state]
ledger = "$work/ledger-group.sqlite3"
[[locations]]
id = "1"
name = "North"
timezone = "America/Chicago"
from_number = "+1 312 555 0100"
[[locations]]
id = "2"
name = "West"
timezone = "America/Denver"
from_number = "+1 303 555 0100"
TOML

preview() { # preview BINARY NAME CONFIG EXPORT [ARGS...]
  local bin=$1 name=$2 config=$3 export=$4
  shift 4
  local status=0
  "$bin" -q --no-progress run --config "$config" --input "$export" --dry-run --now "$NOW" \
    --results "$work/$name.csv" "$@" > "$work/$name.table" 2> "$work/$name.err" || status=$?
  echo "exit $status" >> "$work/$name.err"
}

differ=0
for case in "small one small" "large one large" "group group group" "wide one small --wide"; do
  set -- $case
  name=$1 config=$2 export=$3
  shift 3
  preview "$old" "old-$name" "$work/$config.toml" "$work/$export.csv" "$@"
  preview "$new" "new-$name" "$work/$config.toml" "$work/$export.csv" "$@"
  same=yes
  for part in preview.csv table err; do
    cmp -s "$work/old-$name.$part" "$work/new-$name.$part" || same="no ($part differs)"
  done
  echo "$name: same: $same"
  [ "$same" = yes ] || differ=1
done
for name in small large; do
  preview "$new" "whole-$name" "$work/one.toml" "$work/$name.csv" \
    --emit-requests "$work/whole-$name.jsonl"
  rm -f "$work/whole-$name.jsonl"
  same=yes
  cmp -s "$work/new-$name.table" "$work/whole-$name.table" || same="no (table differs)"
  cmp -s <(sort "$work/new-$name.preview.csv") <(sort "$work/whole-$name.preview.csv") \
    || same="no (results differ)"
  echo "$name streamed = whole export: $same"
  [ "$same" = yes ] || differ=1
done
exit $differ
