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

mod schema;

use std::fs::File;
use std::path::{Path, PathBuf};

use anyhow::Context;
use chrono::{DateTime, Utc};
use rusqlite::{params, Connection};
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
        let lock = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .with_context(|| {
                format!(
                    "cannot create the ledger lock file `{}`",
                    lock_path.display()
                )
            })?;
        if lock.try_lock().is_err() {
            anyhow::bail!(
                "another annie-dispatch run is using the ledger `{}` (lock `{}` is held); wait \
                 for it to finish: two runs at once could call the same patient twice",
                path.display(),
                lock_path.display()
            );
        }
        let conn = Connection::open(path)
            .with_context(|| format!("cannot open the ledger `{}`", path.display()))?;
        let salt = schema::prepare(&conn)
            .with_context(|| format!("cannot prepare the ledger `{}`", path.display()))?;
        Ok(Ledger {
            conn,
            salt,
            has_locations: true,
            path: path.to_path_buf(),
            _lock: Some(lock),
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
    /// since `since`, newest first, that the API may count. Each location is an organisation
    /// of its own, with its own per-number history.
    pub fn calls_to(
        &self,
        location: &str,
        number_key: &str,
        since: DateTime<Utc>,
    ) -> anyhow::Result<Vec<NumberAttempt>> {
        let mut stmt = self.conn.prepare_cached(if self.has_locations {
            "SELECT MAX(attempted_at), MIN(status) FROM attempts
             WHERE number_key = ?1 AND attempted_at >= ?2 AND counts = 1 AND location = ?3
             GROUP BY call_id ORDER BY MAX(attempted_at) DESC"
        } else {
            "SELECT MAX(attempted_at), MIN(status) FROM attempts
             WHERE number_key = ?1 AND attempted_at >= ?2 AND counts = 1 AND ?3 = ''
             GROUP BY call_id ORDER BY MAX(attempted_at) DESC"
        })?;
        let rows = stmt.query_map(params![number_key, stamp(since), location], |r| {
            Ok(NumberAttempt {
                attempted_at: parse_stamp(&r.get::<_, String>(0)?),
                outcome: Outcome::parse(&r.get::<_, String>(1)?),
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
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

fn parse_stamp(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests;
