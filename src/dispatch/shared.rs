//! What every worker shares, and how a finished request is recorded (ledger and results),
//! drained after a stop, and reconciled when it ended ambiguously.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Mutex;

use compact_str::CompactString;
use tokio::sync::mpsc;
use tokio::task::JoinSet;

use super::dispatcher::Dispatcher;
use crate::api::{CallOutcome, Refusal};
use crate::clock::stamp;
use crate::ledger::{Finished, NewAttempt, Outcome};
use crate::placement::Placement;
use crate::plan::Call;
use crate::reason::{Reason, ReasonCode};
use crate::reconcile::{self, Found, Lookup};
use crate::results::{RowResult, Status};
use crate::schedule::Earlier;

/// What became of a call at the pacer.
pub(super) enum Paced {
    /// It has its result (or is with a worker).
    Done,
    /// It may not go yet, but may at this moment of the window: wait for it again.
    Later(chrono::DateTime<chrono::Utc>, Call),
}

/// A call whose request has left, with its ledger rows.
#[derive(Clone)]
pub(super) struct Started {
    pub(super) call: Call,
    ledger_ids: Vec<i64>,
    attempted_at: chrono::DateTime<chrono::Utc>,
}

/// How a call's request ended. [`Final::placement`] is what the ledger and the per-number
/// rules go by.
pub(super) enum Final {
    Sent(String),
    /// Not placed, and not processed by the API: no connection, rate limit retries used up, the
    /// credentials refused.
    Failed {
        http_status: Option<u16>,
        reason: Reason,
        /// Whether the API saw the request (and may count it against the number).
        counts: bool,
    },
    /// Not placed: the API refused this one call (the row is `failed`, or `deferred` for
    /// calling hours). The run goes on.
    Refused {
        http_status: u16,
        reason: Reason,
        row: Status,
    },
    /// A call may or may not have been placed; held for a look in Annie.
    Ambiguous {
        http_status: Option<u16>,
        reason: String,
    },
    /// The run stopped before the request could be (re)sent; nothing was placed.
    NotAttempted(Reason),
}

impl Final {
    pub(super) fn failed(http_status: Option<u16>, reason: Reason, counts: bool) -> Final {
        Final::Failed {
            http_status,
            reason,
            counts,
        }
    }

    pub(super) fn placement(&self) -> Placement {
        match self {
            Final::Sent(id) => Placement::Placed(id.clone()),
            Final::Ambiguous { .. } => Placement::MaybePlaced,
            Final::Failed { .. } | Final::Refused { .. } | Final::NotAttempted(_) => {
                Placement::NotPlaced
            }
        }
    }
}

/// Different numbers that must draw the same unexplained 403 in a row before it is taken for a
/// refusal of the credentials rather than of the calls.
const FORBIDDEN_NUMBERS: usize = 3;

pub(super) struct Shared {
    pub(super) d: Dispatcher,
    pub(super) results: mpsc::UnboundedSender<Vec<RowResult>>,
    pub(super) in_flight: Mutex<HashMap<usize, Started>>,
    pub(super) ambiguous: Mutex<Vec<(Started, Option<u16>, String)>>,
    pub(super) failures_in_a_row: AtomicU32,
    /// The numbers of the unexplained 403s in a row (see [`FORBIDDEN_NUMBERS`]).
    pub(super) forbidden_in_a_row: Mutex<Vec<String>>,
    /// This location's calling window: calls wait within it, and rows deferred past it are
    /// flagged when no run can call them before their appointment.
    pub(super) window: crate::schedule::CallingWindow,
    /// Notes for a call's rows, by its lead row (the number it fell back to, say).
    pub(super) notes: Mutex<rustc_hash::FxHashMap<u64, String>>,
}

/// What to do about a row Annie refused for calling hours when this run took them for open.
pub(crate) const API_HOURS_DIFFER: &str = "Annie refused this call for calling hours although \
     this config's hours were open: check that [practice] timezone (or the location's) is the \
     Annie organisation's time zone, then rerun or remind the patient another way";

/// [`API_HOURS_DIFFER`] for a refusal in the last minute before this config's hours close: there
/// the likelier cause is that Annie's clock runs a little ahead of this machine's (it has closed
/// while this machine's has not).
pub(crate) const API_HOURS_AT_CLOSE: &str = "Annie refused this call for calling hours in the \
     last minute before this config's hours close: Annie's clock is probably a little ahead of \
     this machine's (keep this machine's synchronised, by NTP), or [practice] timezone (or the \
     location's) is not the Annie organisation's time zone; remind the patient another way";

/// How close to the window's end a calling-hours refusal is taken for a difference between the
/// clocks ([`API_HOURS_AT_CLOSE`]).
const CLOSING_MINUTE: chrono::TimeDelta = chrono::TimeDelta::seconds(60);

impl Shared {
    /// What to tell a person about a row Annie refused for calling hours at `attempted_at`,
    /// which this run took for open.
    fn hours_refused_hint(&self, attempted_at: chrono::DateTime<chrono::Utc>) -> &'static str {
        match self.window.run_end {
            Some(end) if end - attempted_at <= CLOSING_MINUTE => API_HOURS_AT_CLOSE,
            _ => API_HOURS_DIFFER,
        }
    }

    /// Hands result rows to the collector. If the collector is gone (the results file cannot be
    /// written), stop sending: a call whose result cannot be recorded must not be made.
    pub(super) fn report_rows(&self, rows: Vec<RowResult>) {
        self.send_rows(self.finish_rows(rows));
    }

    /// A call's rows as the results file takes them: with the location, and the note the call
    /// has (a household's rows share its lead's).
    pub(super) fn finish_rows(&self, mut rows: Vec<RowResult>) -> Vec<RowResult> {
        let location = self.d.location.results_id();
        let note = rows.first().and_then(|r| {
            let notes = self.notes.lock().unwrap_or_else(|p| p.into_inner());
            notes.get(&r.row).cloned()
        });
        for row in &mut rows {
            row.location = location.map(CompactString::from);
            if let Some(note) = &note {
                row.reason = Some(match row.reason.take().filter(|r| !r.is_empty()) {
                    Some(reason) => format!("{note}; {reason}"),
                    None => note.clone(),
                });
            }
        }
        rows
    }

    /// Hands finished rows to the collector, as one message (it writes them in this order; a
    /// run's collector writes and flushes each as it takes it).
    pub(super) fn send_rows(&self, rows: Vec<RowResult>) {
        if rows.is_empty() {
            return;
        }
        if self.results.send(rows).is_err() {
            self.d.stop.set(Reason::new(
                ReasonCode::CannotRecord,
                "not attempted: the results file could not be written",
            ));
        }
    }

    pub(super) fn report(&self, call: &Call, status: Status, reason: Option<Reason>) {
        self.report_rows(call.results(status, reason));
    }

    /// Records the call in the ledger as in flight (committed) and registers it as started.
    pub(super) fn begin(&self, index: usize, call: Call) -> anyhow::Result<Started> {
        let attempted_at = self.d.clock.now();
        let call_id = match self.d.location.id.as_str() {
            "" => format!("{}-{index}", self.d.run_id),
            location => format!("{}-{location}-{index}", self.d.run_id),
        };
        let ledger_ids = match &self.d.ledger {
            None => Vec::new(),
            Some(ledger) => {
                let ledger = ledger.lock().unwrap_or_else(|p| p.into_inner());
                let number_key = ledger.number_key(&call.to_number);
                let attempts: Vec<NewAttempt<'_>> = call
                    .members
                    .iter()
                    .map(|m| NewAttempt {
                        run_id: &self.d.run_id,
                        call_id: &call_id,
                        appointment_id: &m.appointment_id,
                        start_time: &m.start_time,
                        number_key: &number_key,
                        location: &self.d.location.id,
                        attempted_at,
                    })
                    .collect();
                ledger.begin_call(&attempts)?
            }
        };
        let started = Started {
            call,
            ledger_ids,
            attempted_at,
        };
        self.in_flight
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(index, started.clone());
        Ok(started)
    }

    /// Records a finished request in the ledger and reports its rows (ambiguous ones wait for
    /// reconciliation).
    pub(super) fn settle(&self, index: usize, started: Started, outcome: Final) {
        self.in_flight
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&index);
        self.count_for_breaker(&outcome);
        let placement = outcome.placement();
        self.note_for_spacing(&started, &placement);
        let (status, reason, http_status, counts) = match outcome {
            Final::Ambiguous {
                http_status,
                reason,
            } => {
                self.ambiguous
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .push((started, http_status, reason));
                return;
            }
            Final::Sent(_) => (Status::Sent, None, None, true),
            Final::Failed {
                http_status,
                reason,
                counts,
            } => (Status::Failed, Some(reason), http_status, counts),
            // A refusal about the organisation (calling hours, its allowlist, a 403) says
            // nothing about the number: it does not count toward the number's rest, which
            // would otherwise outlast the fix of the organisation's settings by 30 days.
            Final::Refused {
                http_status,
                reason,
                row,
            } => (
                row,
                Some(reason),
                Some(http_status),
                row != Status::Deferred && http_status != 403,
            ),
            Final::NotAttempted(reason) => (Status::NotAttempted, Some(reason), None, false),
        };
        let conversation = match placement {
            Placement::Placed(id) => Some(id),
            _ => None,
        };
        let outcome = match conversation {
            Some(_) => Outcome::Sent,
            None => Outcome::Failed,
        };
        self.record(
            &started,
            outcome,
            counts,
            conversation.as_deref(),
            http_status,
            reason.as_ref().map(|r| r.text.as_str()),
        );
        if status == Status::Deferred {
            // Annie refused for calling hours at a moment this run took for open: its picture of
            // the hours is wrong (the Annie organisation's time zone differs from the config's,
            // say), so no later run can be trusted to call these rows. A person is told.
            let mut rows = started.call.results(status, reason);
            let hint = self.hours_refused_hint(started.attempted_at);
            for row in &mut rows {
                row.http_status = http_status;
                row.attempted_at = Some(stamp(started.attempted_at));
                row.flag_uncovered(hint);
            }
            return self.report_rows(rows);
        }
        self.report_started(&started, status, reason, http_status, conversation);
    }

    /// Tells the other locations how this call ended ([`crate::schedule::Earlier`]): one about
    /// to call the same number reads its conversation first, and waits while it may or may not
    /// have been placed.
    fn note_for_spacing(&self, started: &Started, placement: &Placement) {
        let call = match placement {
            Placement::Placed(id) => Earlier::Placed(id.clone()),
            Placement::NotPlaced => Earlier::Clear,
            Placement::MaybePlaced => return,
        };
        let number = &started.call.to_number;
        self.d.spacing.settled(&self.d.location.id, number, call);
    }

    pub(super) fn report_started(
        &self,
        started: &Started,
        status: Status,
        reason: Option<Reason>,
        http_status: Option<u16>,
        conversation: Option<String>,
    ) {
        let mut rows = started.call.results(status, reason);
        for row in &mut rows {
            row.http_status = http_status;
            row.conversation_id = conversation.clone();
            row.attempted_at = Some(stamp(started.attempted_at));
        }
        self.report_rows(rows);
    }

    pub(super) fn record(
        &self,
        started: &Started,
        outcome: Outcome,
        counts: bool,
        conversation: Option<&str>,
        http_status: Option<u16>,
        reason: Option<&str>,
    ) {
        let Some(ledger) = &self.d.ledger else { return };
        let finished = Finished {
            outcome,
            conversation_id: conversation,
            http_status,
            reason,
            counts,
            finished_at: self.d.clock.now(),
        };
        let written = ledger
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .finish_call(&started.ledger_ids, &finished);
        if let Err(e) = written {
            // The attempt stays `in_flight` in the ledger: the next run treats it as uncertain,
            // which is safe. Stop now rather than make calls we cannot record.
            tracing::error!(error = %format!("{e:#}"), "cannot record an outcome in the ledger");
            self.d.stop.set(Reason::new(
                ReasonCode::CannotRecord,
                format!("not attempted: the ledger could not be written ({e:#})"),
            ));
        }
    }

    /// Stops this location: its credentials were refused, so nothing else it sends will work.
    pub(super) fn stop_for_credentials(&self, status: u16) {
        let location = &self.d.location;
        self.d.stop.set(Reason::new(
            ReasonCode::CredentialsRefused,
            format!(
                "not attempted: the API refused the API key (HTTP {status}); check the key and \
                 rerun"
            ),
        ));
        tracing::error!(
            status,
            location = %location.label(),
            key_variable = %location.api_key_env,
            "the API refused this location's credentials; stopping its calls (other locations go on)"
        );
    }

    /// Tracks unexplained 403s: the same answer for [`FORBIDDEN_NUMBERS`] different numbers in
    /// a row is a refusal of the credentials, whatever its wording. Any other answer from the
    /// API breaks the run of them.
    pub(super) fn note_forbidden(&self, outcome: &CallOutcome, number: &str) {
        let mut numbers = self
            .forbidden_in_a_row
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        match outcome {
            CallOutcome::Refused {
                refusal: Refusal::Forbidden,
                ..
            } => {
                if !numbers.iter().any(|n| n == number) {
                    numbers.push(number.to_string());
                }
                if numbers.len() >= FORBIDDEN_NUMBERS {
                    numbers.clear();
                    drop(numbers);
                    self.stop_for_credentials(403);
                }
            }
            CallOutcome::Unreachable { .. } | CallOutcome::RateLimited { .. } => {}
            _ => numbers.clear(),
        }
    }

    pub(super) fn count_for_breaker(&self, outcome: &Final) {
        match outcome {
            // A refusal is the API working: about that row, not a sign of an outage.
            Final::Sent(_) | Final::Refused { .. } => {
                self.failures_in_a_row.store(0, Ordering::SeqCst)
            }
            Final::Failed { .. } | Final::Ambiguous { .. } => {
                let n = self.failures_in_a_row.fetch_add(1, Ordering::SeqCst) + 1;
                if n >= self.d.location.dispatch.breaker_after {
                    tracing::error!(failures = n, "too many failed calls in a row; stopping");
                    self.d.stop.set(Reason::new(
                        ReasonCode::TooManyFailures,
                        format!(
                            "not attempted: stopped after {n} failed calls in a row (the API or \
                             the network may be down); check the failed rows, then rerun"
                        ),
                    ));
                }
            }
            Final::NotAttempted(_) => {}
        }
    }

    /// Waits for the workers. After an interruption the wait is bounded: requests still in
    /// flight then are reported `uncertain` (their ledger rows say so too).
    pub(super) async fn drain(&self, workers: &mut JoinSet<()>) -> anyhow::Result<()> {
        let deadline = async {
            loop {
                self.d.stop.wait().await;
                if self.d.stop.interrupted().is_some() {
                    tokio::time::sleep(self.d.drain_timeout).await;
                    return;
                }
                // Stopped for another reason: wait for the workers without a deadline.
                std::future::pending::<()>().await;
            }
        };
        tokio::pin!(deadline);
        loop {
            tokio::select! {
                joined = workers.join_next() => match joined {
                    None => return Ok(()),
                    Some(r) => r.map_err(|e| anyhow::anyhow!("internal error: a dispatch worker failed: {e}"))?,
                },
                _ = &mut deadline => break,
            }
        }
        workers.abort_all();
        while workers.join_next().await.is_some() {}
        let left: Vec<Started> = self
            .in_flight
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .drain()
            .map(|(_, s)| s)
            .collect();
        for started in left {
            let reason = "interrupted while the request was in flight; the call may or may not \
                          have been placed. The next run looks for it in Annie before calling again";
            self.record(&started, Outcome::Uncertain, true, None, None, Some(reason));
            let reason = Reason::new(ReasonCode::MaybePlaced, reason);
            self.report_started(&started, Status::Uncertain, Some(reason), None, None);
        }
        Ok(())
    }

    /// Looks in Annie for the calls whose requests ended ambiguously: found → `sent`; proven
    /// absent by a complete look-back → `uncertain`, no longer counted by the per-number rules,
    /// for `--retry-uncertain` to send; otherwise `uncertain` with the reason. Never resends.
    pub(super) async fn reconcile_ambiguous(&self) {
        let held: Vec<_> =
            std::mem::take(&mut *self.ambiguous.lock().unwrap_or_else(|p| p.into_inner()));
        if held.is_empty() {
            return;
        }
        let lookups: Vec<Lookup> = held
            .iter()
            .map(|(s, _, _)| Lookup {
                to_number: s.call.to_number.to_string(),
                attempted_at: s.attempted_at,
            })
            .collect();
        let finder = reconcile::Finder {
            client: self.d.client.as_deref(),
            gate: &self.d.gate,
            from_numbers: self.d.location.caller_numbers(),
        };
        let found = match self.d.stop.interrupted() {
            None => finder.find(&lookups).await,
            Some(_) => {
                let why = "not checked: the run was interrupted".to_string();
                vec![Found::Unknown(why); lookups.len()]
            }
        };
        for ((started, http_status, reason), found) in held.into_iter().zip(found) {
            let placement = match &found {
                Found::Call(id) => Placement::Placed(id.clone()),
                Found::Absent => Placement::NotPlaced,
                Found::Unknown(_) => Placement::MaybePlaced,
            };
            self.note_for_spacing(&started, &placement);
            let (status, outcome, counts, note, id) = match found {
                Found::Call(id) => (
                    Status::Sent,
                    Outcome::Sent,
                    true,
                    format!("{reason}, but Annie shows the call"),
                    Some(id),
                ),
                Found::Absent => (
                    Status::Uncertain,
                    Outcome::Uncertain,
                    false,
                    format!(
                        "{reason}; Annie shows no call after it (complete look-back). Not resent: \
                         rerun with --retry-uncertain to call"
                    ),
                    None,
                ),
                Found::Unknown(why) => (
                    Status::Uncertain,
                    Outcome::Uncertain,
                    true,
                    format!(
                        "{reason}; the call may or may not have been placed (Annie's \
                         conversations could not be checked: {why}). Not resent: rerun later to \
                         look again"
                    ),
                    None,
                ),
            };
            self.record(
                &started,
                outcome,
                counts,
                id.as_deref(),
                http_status,
                Some(&note),
            );
            let code = match status {
                Status::Sent => ReasonCode::FoundInAnnie,
                _ => ReasonCode::MaybePlaced,
            };
            let note = Reason::new(code, note);
            self.report_started(&started, status, Some(note), http_status, id);
        }
    }
}
