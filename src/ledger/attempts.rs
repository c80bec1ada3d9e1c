//! Attempts: each call recorded before its request leaves and updated with how it ended, read
//! back per appointment (was it sent?) and per number (the per-number rules).

use anyhow::Context;
use chrono::{DateTime, Utc};
use rusqlite::params;

use super::records::{Attempt, NumberAttempt, Outcome};
use super::store::{parse_stamp, Ledger};
use crate::clock::stamp;

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

impl Ledger {
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

    /// Every attempt `location` made for this appointment id, newest first (every start time,
    /// but for the attempts superseded at another).
    /// Each location's ids are its own (a group's practices number their appointments apart):
    /// another location's appointment with the same id is another appointment. (A ledger from
    /// before locations were recorded, read by a preview, has one practice's attempts.)
    ///
    /// `start` is the appointment's start time now (RFC 3339): attempts at another start time
    /// that a later run superseded are left out, but not those at this one. An appointment
    /// moved away and back again is the appointment its old attempt was for: a call that
    /// attempt may have placed is looked for again, not forgotten.
    pub fn attempts_for(
        &self,
        location: &str,
        appointment_id: &str,
        start: &str,
    ) -> anyhow::Result<Vec<Attempt>> {
        Ok(self.attempts_and_moves(location, appointment_id, start)?.0)
    }

    /// [`Ledger::attempts_for`], and apart from them the attempts it leaves out (superseded at
    /// another start time): what the patient may have been told of the times the appointment
    /// moved from. A rerun after the first one that saw the move still says the patient was
    /// reminded of an old time.
    pub fn attempts_and_moves(
        &self,
        location: &str,
        appointment_id: &str,
        start: &str,
    ) -> anyhow::Result<(Vec<Attempt>, Vec<Attempt>)> {
        let mut stmt = self.conn.prepare_cached(if self.has_locations {
            "SELECT id, call_id, appointment_id, start_time, status, conversation_id, attempted_at, counts,
                    superseded_at IS NOT NULL AND start_time <> ?3
             FROM attempts WHERE appointment_id = ?1 AND location = ?2
             ORDER BY attempted_at DESC, id DESC"
        } else {
            "SELECT id, call_id, appointment_id, start_time, status, conversation_id, attempted_at, counts,
                    superseded_at IS NOT NULL AND start_time <> ?3
             FROM attempts WHERE appointment_id = ?1 AND ?2 = ?2
             ORDER BY attempted_at DESC, id DESC"
        })?;
        let rows = stmt.query_map(params![appointment_id, location, start], |r| {
            let attempt = Attempt {
                id: r.get(0)?,
                call_id: r.get(1)?,
                appointment_id: r.get(2)?,
                start_time: r.get(3)?,
                outcome: Outcome::parse(&r.get::<_, String>(4)?),
                conversation_id: r.get(5)?,
                attempted_at: parse_stamp(&r.get::<_, String>(6)?),
                counts: r.get(7)?,
            };
            Ok((attempt, r.get::<_, bool>(8)?))
        })?;
        let (mut current, mut moved_from) = (Vec::new(), Vec::new());
        for row in rows {
            match row? {
                (attempt, false) => current.push(attempt),
                (attempt, true) => moved_from.push(attempt),
            }
        }
        Ok((current, moved_from))
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
            "SELECT MAX(a.attempted_at), MIN(a.status), MAX(COALESCE(c.answered = 'no', 0)),
                    MAX(CASE WHEN a.run_id = ?4 THEN a.conversation_id END)
             FROM attempts a LEFT JOIN conversations c ON c.conversation_id = a.conversation_id
             WHERE a.number_key = ?1 AND a.attempted_at >= ?2 AND a.counts = 1 AND a.location = ?3
             GROUP BY a.call_id ORDER BY MAX(a.attempted_at) DESC"
        } else {
            "SELECT MAX(a.attempted_at), MIN(a.status), MAX(COALESCE(c.answered = 'no', 0)),
                    MAX(CASE WHEN a.run_id = ?4 THEN a.conversation_id END)
             FROM attempts a LEFT JOIN conversations c ON c.conversation_id = a.conversation_id
             WHERE a.number_key = ?1 AND a.attempted_at >= ?2 AND a.counts = 1 AND ?3 = ''
             GROUP BY a.call_id ORDER BY MAX(a.attempted_at) DESC"
        })?;
        let learned = super::identity::REBUILT;
        let rows = stmt.query_map(params![number_key, stamp(since), location, learned], |r| {
            Ok(NumberAttempt {
                attempted_at: parse_stamp(&r.get::<_, String>(0)?),
                outcome: Outcome::parse(&r.get::<_, String>(1)?),
                unanswered: r.get(2)?,
                learned_from_annie: r.get(3)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Whether one of the ledger's attempts had the call `conversation_id`: a results file
    /// naming it is a record of this ledger's calls.
    pub fn knows_conversation(&self, conversation_id: &str) -> anyhow::Result<bool> {
        Ok(self.conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM attempts WHERE conversation_id = ?1)",
            params![conversation_id],
            |r| r.get(0),
        )?)
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

    /// Marks `location`'s attempts for an appointment at an earlier start time as superseded
    /// (it moved). Only its own: another location's appointment with the same id did not move.
    pub fn supersede(
        &self,
        location: &str,
        appointment_id: &str,
        current_start: &str,
        at: DateTime<Utc>,
    ) -> anyhow::Result<usize> {
        Ok(self.conn.execute(
            "UPDATE attempts SET superseded_at = ?3
             WHERE appointment_id = ?1 AND start_time <> ?2 AND superseded_at IS NULL
               AND location = ?4",
            params![appointment_id, current_start, stamp(at), location],
        )?)
    }
}
