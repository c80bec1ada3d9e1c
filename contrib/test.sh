#!/usr/bin/env bash
# CI for contrib/: the install block the READMEs show is contrib/install.sh, systemd accepts the
# units, cron accepts the crontab, and the crontab's nightly command runs as cron would run it
# (a bare environment, the key from the env file) against a sandbox, exiting 0 quietly.
# Needs root (a throwaway user for `crontab -u`), systemd-analyze and crontab (.ci/run installs
# them), and a built binary (ANNIE_BIN, default target/debug/annie-dispatch).
set -euo pipefail
cd "$(dirname "$0")/.."
bin="${ANNIE_BIN:-$PWD/target/debug/annie-dispatch}"
[ -x "$bin" ] || { echo "contrib/test.sh: no binary at $bin; run cargo build first" >&2; exit 1; }

# The fenced block after `<!-- NAME -->` in a Markdown file.
block() {
  awk -v marker="<!-- $2 -->" '
    $0 == marker { state = 1; next }
    state == 1 && /^```/ { state = 2; next }
    state == 2 && /^```/ { exit }
    state == 2 { print }' "$1"
}

echo "== contrib: the READMEs show contrib/install.sh and contrib/crontab as they are"
for doc in README.md contrib/README.md; do
  if ! diff -u contrib/install.sh <(block "$doc" contrib/install.sh); then
    echo "$doc: its install block differs from contrib/install.sh; copy the file into it" >&2
    exit 1
  fi
done
if ! diff -u contrib/crontab <(block README.md contrib/crontab); then
  echo "README.md: its cron block differs from contrib/crontab; copy the file into it" >&2
  exit 1
fi
bash -n contrib/install.sh

echo "== contrib: systemd-analyze verify"
systemd-analyze verify contrib/systemd/*.service contrib/systemd/*.timer
echo "systemd-analyze verify: ok"

echo "== contrib: crontab accepts contrib/crontab"
user=annie-ci-crontab
id "$user" >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin "$user"
tmp="$(mktemp -d)"
trap 'crontab -u "$user" -r 2>/dev/null || true; userdel "$user" 2>/dev/null || true; rm -rf "$tmp"' EXIT
crontab -u "$user" contrib/crontab
crontab -u "$user" -l | grep -q '^0 2 \* \* \* ' || { echo "crontab lost the nightly line" >&2; exit 1; }
crontab -u "$user" -r
echo "crontab: ok"

echo "== contrib: the crontab's nightly command, against a sandbox"
mkdir -p "$tmp/etc" "$tmp/var/exports"
cp config.example.toml "$tmp/etc/practice.toml"
printf 'ANNIE_API_KEY=annie-sk-v1-ci-only\n' > "$tmp/etc/env"
chmod 600 "$tmp/etc/env"
# The install block's own lines set [state] ledger, here under the temporary /var/lib.
grep '^grep -q .^ledger' contrib/install.sh \
  | sed -e "s#/var/lib/annie-dispatch#$tmp/var#g" -e "s# practice.toml# $tmp/etc/practice.toml#g" \
  | sh -e
grep -q "^ledger = \"$tmp/var/annie-dispatch.ledger.sqlite3\"" "$tmp/etc/practice.toml"
cp samples/opendental-appointments.csv "$tmp/var/exports/appointments-$(date +%F).csv"
# The line as cron runs it: after the five time fields, `\%` is `%`; paths to the temporary
# folders; `--sandbox` and the evening before the sample's appointments.
line="$(grep '^0 2 ' contrib/crontab | sed -E 's/^([^ ]+ +){5}//')"
cmd="$(printf '%s' "$line" | sed \
  -e 's#\\%#%#g' \
  -e "s#/etc/annie-dispatch/env#$tmp/etc/env#g" \
  -e "s#/etc/annie-dispatch/practice.toml#$tmp/etc/practice.toml#g" \
  -e "s#/var/lib/annie-dispatch#$tmp/var#g" \
  -e "s#/usr/local/bin/annie-dispatch#$bin#g" \
  -e 's# run # run --sandbox --now 2026-11-23T18:30:00-06:00 #')"
status=0
out="$(env -i PATH=/usr/bin:/bin HOME="$tmp" SHELL=/bin/sh /bin/sh -c "$cmd")" || status=$?
if [ "$status" -ne 0 ] || [ -n "$out" ]; then
  echo "the cron command exited $status and printed: $out" >&2
  cat "$tmp/var/dispatch.log" >&2 || true
  exit 1
fi
results="$tmp/var/exports/appointments-$(date +%F).results.csv"
[ -f "$results" ] || { echo "no results file at $results" >&2; exit 1; }
[ "$(stat -c %a "$results")" = 600 ] || { echo "$results is not 0600" >&2; exit 1; }
[ ! -e "$results.partial" ] || { echo "$results.partial was left behind" >&2; exit 1; }
grep -q '"sent": 5' "$tmp/var/last-summary.json" \
  || { echo "the sandbox run did not send the sample's five calls" >&2; exit 1; }
# The key reaches the program (a child process), not just the shell: the env file is exported.
prefix="${cmd%%cd *}"
key="$(env -i PATH=/usr/bin:/bin /bin/sh -c "$prefix printenv ANNIE_API_KEY")" || true
[ "$key" = annie-sk-v1-ci-only ] \
  || { echo "the cron line does not export ANNIE_API_KEY from the env file" >&2; exit 1; }
echo "cron command: exit 0, results $(wc -l < "$results") lines, nothing printed"
