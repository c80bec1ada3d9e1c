# Run as root from the source folder after `cargo build --release`, with your config as practice.toml.
# contrib/test.sh checks that README.md and contrib/README.md show exactly these lines.
id annie >/dev/null 2>&1 || useradd --system --home-dir /var/lib/annie-dispatch --shell /usr/sbin/nologin annie
install -d -m 0750 -o annie -g annie /var/lib/annie-dispatch /var/lib/annie-dispatch/exports
install -d -m 0750 -o root -g annie /etc/annie-dispatch
install -m 0755 target/release/annie-dispatch /usr/local/bin/annie-dispatch
grep -q '^[[:space:]]*ledger[[:space:]]*=' practice.toml || sed -i '/^\[state\]/a ledger = "/var/lib/annie-dispatch/annie-dispatch.ledger.sqlite3"' practice.toml
grep -q '^[[:space:]]*ledger[[:space:]]*=' practice.toml || printf '\n[state]\nledger = "/var/lib/annie-dispatch/annie-dispatch.ledger.sqlite3"\n' >> practice.toml
install -m 0640 -o root -g annie practice.toml /etc/annie-dispatch/practice.toml
[ -e /etc/annie-dispatch/env ] || install -m 0600 -o annie -g annie contrib/systemd/env.example /etc/annie-dispatch/env
install -m 0644 contrib/systemd/annie-dispatch.service contrib/systemd/annie-dispatch.timer contrib/systemd/annie-dispatch-outcomes.service contrib/systemd/annie-dispatch-outcomes.timer /etc/systemd/system/
systemctl daemon-reload
systemctl enable --now annie-dispatch.timer annie-dispatch-outcomes.timer
