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
grep -F "grep -q '^[[:space:]]*ledger" contrib/install.sh \
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
# A --sandbox run writes its results under a name of its own, never the real run's.
results="$tmp/var/exports/appointments-$(date +%F).results.sandbox.csv"
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

echo "== contrib: the install block, run as written, under a temporary root"
# contrib/install.sh with its absolute paths moved under $root, `systemctl` recorded instead of
# run (CI has no systemd as PID 1), and a throwaway source folder holding a built binary as
# target/release/annie-dispatch and the sample config as practice.toml. The `annie` user is real
# (created by the block) and removed afterwards if this script's run created it.
root="$tmp/root"
src="$tmp/src"
mkdir -p "$root/etc/systemd/system" "$root/usr/local/bin" "$src/target/release" "$tmp/fakebin"
cp "$bin" "$src/target/release/annie-dispatch"
cp -r contrib "$src/contrib"
cp config.example.toml "$src/practice.toml"
printf '#!/bin/sh\necho "systemctl $*" >> "%s/systemctl.log"\n' "$tmp" > "$tmp/fakebin/systemctl"
chmod +x "$tmp/fakebin/systemctl"
had_annie=0
id annie >/dev/null 2>&1 && had_annie=1
trap 'crontab -u "$user" -r 2>/dev/null || true; userdel "$user" 2>/dev/null || true;
      [ "$had_annie" = 1 ] || userdel annie 2>/dev/null || true; rm -rf "$tmp"' EXIT
sed -e "s#/var/lib/annie-dispatch#$root/var/lib/annie-dispatch#g" \
    -e "s#/etc/#$root/etc/#g" \
    -e "s#/usr/local/bin/#$root/usr/local/bin/#g" contrib/install.sh \
  | (cd "$src" && PATH="$tmp/fakebin:$PATH" bash -e)
id annie >/dev/null 2>&1 || { echo "the install block did not create the annie user" >&2; exit 1; }
for f in "$root/usr/local/bin/annie-dispatch" "$root/etc/annie-dispatch/practice.toml" \
         "$root/etc/annie-dispatch/env" "$root/etc/systemd/system/annie-dispatch.timer" \
         "$root/etc/systemd/system/annie-dispatch-outcomes.timer"; do
  [ -e "$f" ] || { echo "the install block did not install $f" >&2; exit 1; }
done
[ "$(stat -c '%a %U' "$root/etc/annie-dispatch/env")" = "600 annie" ] \
  || { echo "the env file is not 0600 and the service user's" >&2; exit 1; }
grep -q "^ledger = \"$root/var/lib/annie-dispatch/annie-dispatch.ledger.sqlite3\"" \
  "$root/etc/annie-dispatch/practice.toml" \
  || { echo "the installed config has no [state] ledger under /var/lib" >&2; exit 1; }
grep -q '^systemctl enable --now annie-dispatch.timer annie-dispatch-outcomes.timer$' \
  "$tmp/systemctl.log" || { echo "the install block did not enable both timers" >&2; exit 1; }
"$root/usr/local/bin/annie-dispatch" check --config "$root/etc/annie-dispatch/practice.toml" \
  >/dev/null 2>&1 || [ $? -eq 2 ] # no key in CI: exit 2 is the run's own answer
echo "install block: ok (user, folders, binary, config with its ledger, env 0600, units, timers)"
