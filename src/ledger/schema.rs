//! The ledger's tables and their versions. A new version adds a step to [`MIGRATIONS`]; a
//! ledger written by a newer version of this tool is refused rather than misread.

use rusqlite::{params, Connection, OptionalExtension};

pub(super) const MIGRATIONS: &[&str] = &[
    // Version 1.
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
     CREATE TABLE attempts (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        run_id TEXT NOT NULL,
        call_id TEXT NOT NULL,
        appointment_id TEXT NOT NULL,
        start_time TEXT NOT NULL,
        number_key TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('in_flight', 'sent', 'failed', 'uncertain')),
        counts INTEGER NOT NULL DEFAULT 1,
        conversation_id TEXT,
        http_status INTEGER,
        reason TEXT,
        attempted_at TEXT NOT NULL,
        finished_at TEXT,
        superseded_at TEXT
     );
     CREATE INDEX attempts_by_appointment ON attempts (appointment_id, start_time);
     CREATE INDEX attempts_by_number ON attempts (number_key, attempted_at);",
    // Version 2: the location (Annie organisation) that made the attempt; '' for a single
    // practice. Per-number history is kept per location, as each organisation's API counts it.
    "ALTER TABLE attempts ADD COLUMN location TEXT NOT NULL DEFAULT '';",
];

/// The first version whose attempts record their location.
pub(super) const LOCATION_VERSION: i64 = 2;

/// The ledger's schema version (a read-only ledger may be older than this tool).
pub(super) fn version(conn: &Connection) -> anyhow::Result<i64> {
    Ok(conn.pragma_query_value(None, "user_version", |r| r.get(0))?)
}

/// Sets durability pragmas, migrates to the current version, and returns the number-hash salt.
pub(super) fn prepare(conn: &Connection) -> anyhow::Result<String> {
    conn.pragma_update(None, "journal_mode", "WAL")?;
    // FULL: an `in_flight` row must survive a power cut, not only a crash.
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    let latest = MIGRATIONS.len() as i64;
    if version > latest {
        anyhow::bail!(
            "the ledger has schema version {version}, newer than this annie-dispatch understands \
             ({latest}); upgrade annie-dispatch"
        );
    }
    for (i, step) in MIGRATIONS.iter().enumerate().skip(version as usize) {
        let tx = conn.unchecked_transaction()?;
        tx.execute_batch(step)?;
        tx.pragma_update(None, "user_version", i as i64 + 1)?;
        tx.commit()?;
    }
    if read_salt(conn).is_err() {
        let mut bytes = [0u8; 16];
        getrandom::fill(&mut bytes)
            .map_err(|e| anyhow::anyhow!("no randomness for the salt: {e}"))?;
        let salt: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        conn.execute(
            "INSERT OR IGNORE INTO meta (key, value) VALUES ('number_salt', ?1)",
            params![salt],
        )?;
    }
    read_salt(conn)
}

/// The salt for number hashes.
pub(super) fn read_salt(conn: &Connection) -> anyhow::Result<String> {
    conn.query_row(
        "SELECT value FROM meta WHERE key = 'number_salt'",
        [],
        |r| r.get(0),
    )
    .optional()?
    .ok_or_else(|| anyhow::anyhow!("the ledger has no number salt"))
}
