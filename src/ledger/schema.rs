//! The ledger's tables and their versions. A new version adds a step to [`MIGRATIONS`]; a
//! ledger written by a newer version of this tool is refused rather than misread.

use rusqlite::{params, Connection, OptionalExtension};

/// The columns of the `conversations` table, shared by the migration and [`for_reading`].
///
/// One row per conversation id, written by `annie-dispatch outcomes`. Only what the per-number
/// rules need, never the summary or topic text (they may hold patient details):
/// - `number_key`: the keyed hash of the number called (from the attempt, or from Annie's
///   `toNumber` when the attempt is not in this ledger); NULL when neither is known.
/// - `called_at`: when the call was made (the attempt, else Annie's `startTime`, else the check).
/// - `status`: Annie's conversation status (`OPEN`, `CLOSED`, ...), or `OTHER` for anything that
///   does not look like an enum value.
/// - `duration`: as Annie reports it (the unit is not documented), NULL when absent.
/// - `answered`: `yes`, `no` (ended without a conversation) or `unknown` (still open).
/// - `needs_attention`, `do_not_call` (the patient asked not to be called again): 0 or 1.
/// - `checked_at`: when `outcomes` read the conversation.
macro_rules! conversations_columns {
    () => {
        "(
        conversation_id TEXT PRIMARY KEY,
        number_key TEXT,
        called_at TEXT NOT NULL,
        status TEXT NOT NULL,
        duration INTEGER,
        answered TEXT NOT NULL CHECK (answered IN ('yes', 'no', 'unknown')),
        needs_attention INTEGER NOT NULL CHECK (needs_attention IN (0, 1)),
        do_not_call INTEGER NOT NULL CHECK (do_not_call IN (0, 1)),
        checked_at TEXT NOT NULL
     )"
    };
}

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
    // Version 3: conversations, what `outcomes` learned about each call. Its own statements
    // (only a new table and index), so it can be reordered against other steps.
    concat!(
        "CREATE TABLE conversations ",
        conversations_columns!(),
        ";
     CREATE INDEX conversations_by_number ON conversations (number_key, do_not_call);"
    ),
    // Version 4: a history rebuilt from Annie skips the conversations the ledger already has.
    "CREATE INDEX attempts_by_conversation ON attempts (conversation_id);",
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

/// Makes a ledger opened read-only (a preview) answer every query this version asks, even if it
/// was written by an older version: tables added since are stood in for by empty temporary
/// tables (SQLite allows them on a read-only connection), so "no conversations recorded" reads
/// the same as an older ledger that could not have recorded any.
pub(super) fn for_reading(conn: &Connection) -> anyhow::Result<()> {
    let has: bool = conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'conversations')",
        [],
        |r| r.get(0),
    )?;
    if !has {
        conn.execute_batch(concat!(
            "CREATE TEMP TABLE conversations ",
            conversations_columns!()
        ))?;
    }
    Ok(())
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
