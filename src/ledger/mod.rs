//! The ledger: what every run did, durably, so the next run knows.
//!
//! An embedded SQLite database (WAL, `synchronous = FULL`). Each POST is recorded as `in_flight`
//! and committed *before* the request leaves, then updated with its outcome. A row left
//! `in_flight` therefore means "the process died while a call may have been starting": the next
//! run treats it as uncertain, never as "not sent".
//!
//! Attempts are keyed by appointment id *and* start time, as Open Dental's own reminder table
//! is, so a rescheduled appointment gets a new confirmation while a rerun of the same schedule
//! does not. Phone numbers are stored only as a keyed hash: enough to count calls per number,
//! useless to anyone who copies the file.
//!
//! `annie-dispatch outcomes` adds what it learned about each conversation (answered or not, and
//! whether the patient asked not to be called again), so the per-number rules can use it. It
//! stores flags, never the summary text.

mod identity;
mod schema;

pub use identity::{Identity, RebuiltCall};

use std::fs::File;
use std::path::{Path, PathBuf};

use anyhow::Context;
use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension};
use sha2::{Digest, Sha256};

use crate::clock::stamp;

/// How an attempt ended (or that it has not yet).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Recorded before the POST; still so after a crash.
    InFlight,
    Sent,
    /// Failed in a way that proves no call was placed.
    Failed,
    /// The request may have placed a call; never resent automatically.
    Uncertain,
}

impl Outcome {
    fn as_str(self) -> &'static str {
        match self {
            Outcome::InFlight => "in_flight",
            Outcome::Sent => "sent",
            Outcome::Failed => "failed",
            Outcome::Uncertain => "uncertain",
        }
    }

    fn parse(text: &str) -> Outcome {
        match text {
            "sent" => Outcome::Sent,
            "failed" => Outcome::Failed,
            "uncertain" => Outcome::Uncertain,
            _ => Outcome::InFlight,
        }
    }
}

/// One recorded attempt for one appointment.
#[derive(Debug, Clone, PartialEq)]
pub struct Attempt {
    pub id: i64,
    pub call_id: String,
    pub appointment_id: String,
    pub start_time: String,
    pub outcome: Outcome,
    pub conversation_id: Option<String>,
    pub attempted_at: DateTime<Utc>,
    /// Whether the API may count it against the number (it reached the API, or may have).
    pub counts: bool,
}

/// An attempt to a number, for the per-number rules: one per call, not per appointment.
#[derive(Debug, Clone, PartialEq)]
pub struct NumberAttempt {
    pub attempted_at: DateTime<Utc>,
    pub outcome: Outcome,
    /// `outcomes` found the call's conversation ended without anyone answering.
    pub unanswered: bool,
}

/// Whether anyone answered a call, as far as its conversation tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answered {
    Yes,
    /// The conversation ended without one (no duration, or tagged as no answer or voicemail).
    No,
    /// Not known yet: the conversation is still open, or says nothing either way.
    Unknown,
}

impl Answered {
    fn as_str(self) -> &'static str {
        match self {
            Answered::Yes => "yes",
            Answered::No => "no",
            Answered::Unknown => "unknown",
        }
    }
}

/// What `outcomes` learned about one conversation, to record.
#[derive(Debug, Clone)]
pub struct ConversationRecord<'a> {
    pub conversation_id: &'a str,
    /// Annie's `toNumber` (E.164): hashed, and only used when no attempt of this ledger has the
    /// conversation id.
    pub to_number: Option<&'a str>,
    /// Annie's `startTime`, for the same case.
    pub started_at: Option<DateTime<Utc>>,
    /// Annie's status: anything but a short enum-like word is stored as `OTHER`.
    pub status: &'a str,
    pub duration: Option<i64>,
    pub answered: Answered,
    pub needs_attention: bool,
    pub do_not_call: bool,
    pub checked_at: DateTime<Utc>,
}

/// How a recorded conversation ties to the per-number rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tied {
    /// An attempt in this ledger has the conversation id.
    ToAttempt,
    /// No attempt has it, but Annie's `toNumber` gives the number.
    ToNumberOnly,
    /// Neither: recorded, but no rule can use it.
    Untied,
}

/// A conversation in which the patient asked not to be called again.
#[derive(Debug, Clone, PartialEq)]
pub struct DoNotCall {
    pub conversation_id: String,
    pub called_at: DateTime<Utc>,
}

/// Another process holds the ledger's run lock.
#[derive(Debug, thiserror::Error)]
#[error(
    "another annie-dispatch run is using the ledger `{}` (lock `{}` is held); wait for it to \
     finish: two runs at once could call the same patient twice",
    ledger.display(),
    lock.display()
)]
pub struct LedgerBusy {
    pub ledger: PathBuf,
    pub lock: PathBuf,
}

/// What a new attempt records up front.
#[derive(Debug, Clone)]
pub struct NewAttempt<'a> {
    pub run_id: &'a str,
    pub call_id: &'a str,
    pub appointment_id: &'a str,
    pub start_time: &'a str,
    pub number_key: &'a str,
    /// The location's id ('' for a single practice).
    pub location: &'a str,
    pub attempted_at: DateTime<Utc>,
}

/// The outcome to record for an attempt.
#[derive(Debug, Clone)]
pub struct Finished<'a> {
    pub outcome: Outcome,
    pub conversation_id: Option<&'a str>,
    pub http_status: Option<u16>,
    pub reason: Option<&'a str>,
    /// False for failures the API never saw (no connection, organisation rate limit).
    pub counts: bool,
    pub finished_at: DateTime<Utc>,
}

/// An open ledger. Writable ledgers hold an exclusive lock for the whole run.
pub struct Ledger {
    conn: Connection,
    salt: String,
    /// False for a ledger older than [`schema::LOCATION_VERSION`] opened read-only (a preview):
    /// its attempts all belong to the single practice.
    has_locations: bool,
    path: PathBuf,
    _lock: Option<File>,
}

impl std::fmt::Debug for Ledger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ledger").field("path", &self.path).finish()
    }
}

impl Ledger {
    /// Opens (creating if needed) the ledger for a sending run, and takes its lock: a second
    /// run on the same ledger refuses to start instead of calling the same patients.
    pub fn open(path: &Path) -> anyhow::Result<Ledger> {
        let lock_path = lock_path(path);
        let lock = crate::private_file::open_or_create(&lock_path).with_context(|| {
            format!(
                "cannot create the ledger lock file `{}`",
                lock_path.display()
            )
        })?;
        if lock.try_lock().is_err() {
            return Err(LedgerBusy {
                ledger: path.to_path_buf(),
                lock: lock_path,
            }
            .into());
        }
        let mut ledger = Ledger::connect(path)?;
        ledger._lock = Some(lock);
        Ok(ledger)
    }

    /// Whether a sending run could open (or create) the ledger at `path`, without creating or
    /// locking anything: `run` asks before it opens it, and `check` asks the same question, so
    /// both say the same thing.
    pub fn check_writable(path: &Path) -> anyhow::Result<()> {
        let fail = |why: String| {
            anyhow::anyhow!(
                "cannot write the ledger `{}` ({why}); set [state] ledger to a writable path",
                path.display()
            )
        };
        if path.exists() {
            File::options()
                .append(true)
                .open(path)
                .map_err(|e| fail(e.kind().to_string()))?;
            return Ok(());
        }
        let folder = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        if !folder.is_dir() {
            return Err(fail(format!(
                "its folder `{}` does not exist",
                folder.display()
            )));
        }
        tempfile::Builder::new()
            .prefix(".annie-dispatch-probe")
            .tempfile_in(folder)
            .map_err(|e| fail(format!("its folder `{}`: {}", folder.display(), e.kind())))?;
        Ok(())
    }

    /// Opens an existing ledger to record conversations (`outcomes`), without the run lock and
    /// without creating it.
    ///
    /// The lock keeps two *sending* runs from calling one patient twice; `outcomes` places no
    /// calls and writes only the `conversations` table, in short transactions that SQLite
    /// serialises with a running `run`'s (WAL, busy timeout). So it may run while a nightly run
    /// waits for calling hours with the lock held. A missing ledger is an error, not a new file:
    /// it means the config or results file is not the run's, and a fresh ledger there would
    /// hold opt-outs that no run reads.
    pub fn open_existing(path: &Path) -> anyhow::Result<Ledger> {
        if !path.exists() {
            anyhow::bail!(
                "the ledger `{}` does not exist, so what the calls showed (opt-outs, unanswered \
                 calls) cannot be recorded for the next run. Pass the --config and --results of \
                 the run that made the calls (the ledger is `[state] ledger` in the config, or \
                 annie-dispatch.ledger.sqlite3 beside the config file)",
                path.display()
            );
        }
        Ledger::connect(path)
    }

    /// Opens (creating if needed) and migrates the database, without the run lock.
    fn connect(path: &Path) -> anyhow::Result<Ledger> {
        // Private before SQLite opens it: its journal files take the database's permissions.
        crate::private_file::prepare_database(path)
            .with_context(|| format!("cannot create the ledger `{}`", path.display()))?;
        let conn = Connection::open(path)
            .with_context(|| format!("cannot open the ledger `{}`", path.display()))?;
        let salt = schema::prepare(&conn)
            .with_context(|| format!("cannot prepare the ledger `{}`", path.display()))?;
        Ok(Ledger {
            conn,
            salt,
            has_locations: true,
            path: path.to_path_buf(),
            _lock: None,
        })
    }

    /// Opens the ledger for reading only (a preview): no lock, nothing created. `None` when there
    /// is no ledger yet.
    pub fn open_read_only(path: &Path) -> anyhow::Result<Option<Ledger>> {
        if !path.exists() {
            return Ok(None);
        }
        let conn = Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .with_context(|| format!("cannot open the ledger `{}`", path.display()))?;
        let salt = schema::read_salt(&conn)
            .and_then(|salt| schema::for_reading(&conn).map(|()| salt))
            .with_context(|| format!("cannot read the ledger `{}`", path.display()))?;
        let has_locations = schema::version(&conn)? >= schema::LOCATION_VERSION;
        Ok(Some(Ledger {
            conn,
            salt,
            has_locations,
            path: path.to_path_buf(),
            _lock: None,
        }))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The keyed hash that stands for a phone number in the ledger.
    pub fn number_key(&self, e164: &str) -> String {
        let digest = Sha256::digest(format!("{}:{e164}", self.salt).as_bytes());
        digest.iter().take(16).map(|b| format!("{b:02x}")).collect()
    }

    /// Every attempt for this appointment id, newest first (all start times).
    pub fn attempts_for(&self, appointment_id: &str) -> anyhow::Result<Vec<Attempt>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, call_id, appointment_id, start_time, status, conversation_id, attempted_at, counts
             FROM attempts WHERE appointment_id = ?1 AND superseded_at IS NULL
             ORDER BY attempted_at DESC, id DESC",
        )?;
        let rows = stmt.query_map(params![appointment_id], |r| {
            Ok(Attempt {
                id: r.get(0)?,
                call_id: r.get(1)?,
                appointment_id: r.get(2)?,
                start_time: r.get(3)?,
                outcome: Outcome::parse(&r.get::<_, String>(4)?),
                conversation_id: r.get(5)?,
                attempted_at: parse_stamp(&r.get::<_, String>(6)?),
                counts: r.get(7)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Calls a location made to a number (one per call, however many appointments it covered)
    /// since `since`, newest first, that the API may count, with whether `outcomes` found them
    /// unanswered. Each location is an organisation of its own, with its own per-number history.
    pub fn calls_to(
        &self,
        location: &str,
        number_key: &str,
        since: DateTime<Utc>,
    ) -> anyhow::Result<Vec<NumberAttempt>> {
        let mut stmt = self.conn.prepare_cached(if self.has_locations {
            "SELECT MAX(a.attempted_at), MIN(a.status), MAX(COALESCE(c.answered = 'no', 0))
             FROM attempts a LEFT JOIN conversations c ON c.conversation_id = a.conversation_id
             WHERE a.number_key = ?1 AND a.attempted_at >= ?2 AND a.counts = 1 AND a.location = ?3
             GROUP BY a.call_id ORDER BY MAX(a.attempted_at) DESC"
        } else {
            "SELECT MAX(a.attempted_at), MIN(a.status), MAX(COALESCE(c.answered = 'no', 0))
             FROM attempts a LEFT JOIN conversations c ON c.conversation_id = a.conversation_id
             WHERE a.number_key = ?1 AND a.attempted_at >= ?2 AND a.counts = 1 AND ?3 = ''
             GROUP BY a.call_id ORDER BY MAX(a.attempted_at) DESC"
        })?;
        let rows = stmt.query_map(params![number_key, stamp(since), location], |r| {
            Ok(NumberAttempt {
                attempted_at: parse_stamp(&r.get::<_, String>(0)?),
                outcome: Outcome::parse(&r.get::<_, String>(1)?),
                unanswered: r.get(2)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The latest call to this number that was, or may have been, placed by *another* location
    /// of a group since `since`: a second organisation ringing one phone soon after the first
    /// waits for the spacing between them (see [`crate::schedule`]). Always `None` for a single
    /// practice, whose calls the per-number rules already space.
    pub fn last_call_elsewhere(
        &self,
        location: &str,
        number_key: &str,
        since: DateTime<Utc>,
    ) -> anyhow::Result<Option<DateTime<Utc>>> {
        if !self.has_locations || location.is_empty() {
            return Ok(None);
        }
        let mut stmt = self.conn.prepare_cached(
            "SELECT MAX(attempted_at) FROM attempts
             WHERE number_key = ?1 AND attempted_at >= ?2 AND counts = 1 AND status != 'failed'
               AND location != ?3",
        )?;
        let last: Option<String> =
            stmt.query_row(params![number_key, stamp(since), location], |r| r.get(0))?;
        Ok(last.map(|t| parse_stamp(&t)))
    }

    /// The latest conversation in which the patient on this number asked not to be called
    /// again, however long ago: a revocation of consent does not expire.
    pub fn do_not_call(&self, number_key: &str) -> anyhow::Result<Option<DoNotCall>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT conversation_id, called_at FROM conversations
             WHERE number_key = ?1 AND do_not_call = 1
             ORDER BY called_at DESC, conversation_id LIMIT 1",
        )?;
        let found = stmt
            .query_row(params![number_key], |r| {
                Ok(DoNotCall {
                    conversation_id: r.get(0)?,
                    called_at: parse_stamp(&r.get::<_, String>(1)?),
                })
            })
            .optional()?;
        Ok(found)
    }

    /// Records (or updates, on a rerun) what `outcomes` learned about a conversation, tied to
    /// the number its attempt called. Committed before `outcomes` writes the row to its file,
    /// so a crash between the two only means the conversation is read and recorded again.
    pub fn record_conversation(&self, r: &ConversationRecord<'_>) -> anyhow::Result<Tied> {
        let attempt: Option<(String, String)> = self
            .conn
            .query_row(
                "SELECT number_key, MIN(attempted_at) FROM attempts
                 WHERE conversation_id = ?1 GROUP BY number_key LIMIT 1",
                params![r.conversation_id],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .optional()?;
        let (number_key, called_at, tied) = match attempt {
            Some((key, at)) => (Some(key), at, Tied::ToAttempt),
            None => {
                let at = stamp(r.started_at.unwrap_or(r.checked_at));
                match r.to_number.filter(|n| !n.trim().is_empty()) {
                    Some(n) => (Some(self.number_key(n.trim())), at, Tied::ToNumberOnly),
                    None => (None, at, Tied::Untied),
                }
            }
        };
        self.conn
            .execute(
                "INSERT INTO conversations (conversation_id, number_key, called_at, status,
                    duration, answered, needs_attention, do_not_call, checked_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
                 ON CONFLICT (conversation_id) DO UPDATE SET number_key = excluded.number_key,
                    called_at = excluded.called_at, status = excluded.status,
                    duration = excluded.duration, answered = excluded.answered,
                    needs_attention = excluded.needs_attention,
                    do_not_call = MAX(do_not_call, excluded.do_not_call),
                    checked_at = excluded.checked_at",
                params![
                    r.conversation_id,
                    number_key,
                    called_at,
                    enum_like(r.status),
                    r.duration,
                    r.answered.as_str(),
                    r.needs_attention,
                    r.do_not_call,
                    stamp(r.checked_at)
                ],
            )
            .with_context(|| {
                format!(
                    "cannot record conversation {} in the ledger `{}`",
                    r.conversation_id,
                    self.path.display()
                )
            })?;
        Ok(tied)
    }

    /// Records every appointment of one call as in flight, in one transaction, committed before
    /// the request leaves.
    pub fn begin_call(&self, attempts: &[NewAttempt<'_>]) -> anyhow::Result<Vec<i64>> {
        let tx = self.conn.unchecked_transaction()?;
        let ids = attempts
            .iter()
            .map(|a| self.begin(a))
            .collect::<anyhow::Result<Vec<i64>>>()?;
        tx.commit()
            .context("cannot commit the attempt to the ledger")?;
        Ok(ids)
    }

    /// Records how every appointment of one call ended, in one transaction.
    pub fn finish_call(&self, ids: &[i64], f: &Finished<'_>) -> anyhow::Result<()> {
        let tx = self.conn.unchecked_transaction()?;
        for id in ids {
            self.finish(*id, f)?;
        }
        tx.commit()
            .context("cannot commit the outcome to the ledger")?;
        Ok(())
    }

    /// Records an attempt as in flight and commits it before the request leaves.
    pub fn begin(&self, a: &NewAttempt<'_>) -> anyhow::Result<i64> {
        self.conn
            .execute(
                "INSERT INTO attempts (run_id, call_id, appointment_id, start_time, number_key, status, attempted_at, counts, location)
                 VALUES (?1, ?2, ?3, ?4, ?5, 'in_flight', ?6, 1, ?7)",
                params![a.run_id, a.call_id, a.appointment_id, a.start_time, a.number_key, stamp(a.attempted_at), a.location],
            )
            .context("cannot record the attempt in the ledger")?;
        Ok(self.conn.last_insert_rowid())
    }

    /// Records how an attempt ended.
    pub fn finish(&self, id: i64, f: &Finished<'_>) -> anyhow::Result<()> {
        self.conn
            .execute(
                "UPDATE attempts SET status = ?2, conversation_id = ?3, http_status = ?4, reason = ?5,
                 counts = ?6, finished_at = ?7 WHERE id = ?1",
                params![
                    id,
                    f.outcome.as_str(),
                    f.conversation_id,
                    f.http_status,
                    f.reason,
                    f.counts,
                    stamp(f.finished_at)
                ],
            )
            .context("cannot record the outcome in the ledger")?;
        Ok(())
    }

    /// Marks an appointment's attempts for an earlier start time as superseded (it moved).
    pub fn supersede(
        &self,
        appointment_id: &str,
        current_start: &str,
        at: DateTime<Utc>,
    ) -> anyhow::Result<usize> {
        Ok(self.conn.execute(
            "UPDATE attempts SET superseded_at = ?3
             WHERE appointment_id = ?1 AND start_time <> ?2 AND superseded_at IS NULL",
            params![appointment_id, current_start, stamp(at)],
        )?)
    }
}

/// The lock file beside the ledger.
pub fn lock_path(ledger: &Path) -> PathBuf {
    let mut name = ledger.file_name().unwrap_or_default().to_os_string();
    name.push(".lock");
    ledger.with_file_name(name)
}

/// Annie's status if it looks like an enum value (`CLOSED`), else `OTHER`: the ledger keeps no
/// free text from the API.
fn enum_like(status: &str) -> &str {
    let ok = !status.is_empty()
        && status.len() <= 32
        && status
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
    if ok {
        status
    } else {
        "OTHER"
    }
}

fn parse_stamp(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests;
