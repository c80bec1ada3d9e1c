//! What earlier runs did, from the ledger: the reason a rerun is safe.
//!
//! Per appointment (id *and* start time): already sent → skipped; an earlier attempt that may
//! have placed a call (uncertain, or left `in_flight` by a crash) → looked for in Annie before
//! anything else happens, `--retry-uncertain` or not ([`crate::reconcile`]); failed in a way that proves no call → called
//! again. An appointment whose start time changed gets a new call; its old attempts are marked
//! superseded. If the rules keep that new call from going before the appointment (the 24-hour
//! rule after last night's reminder, say), the patient has only a reminder for the old time: the
//! row is flagged for a person ([`flag_uncovered`]).

use crate::ledger::{Ledger, Outcome};
use crate::reason::{Reason, ReasonCode};
use crate::results::{RowResult, Status};
use crate::select::{Selected, Settled, Verdict};

/// An appointment that moved since an earlier attempt.
#[derive(Debug, Clone, PartialEq)]
pub struct Moved {
    pub appointment_id: String,
    pub start_time: String,
    /// A reminder was sent for another start time: the patient was told the old time.
    pub reminded: bool,
    /// A request for another start time got no clear answer (uncertain, or left in flight by a
    /// run that stopped): it may have placed a call, and the patient may have been told the old
    /// time.
    pub maybe_reminded: bool,
}

/// Applies the ledger's history of `location`'s calls to every row still to be called.
pub fn recall(
    selected: Vec<Selected>,
    ledger: Option<&Ledger>,
    location: &str,
) -> anyhow::Result<(Vec<Selected>, Vec<Moved>)> {
    let Some(ledger) = ledger else {
        return Ok((selected, Vec::new()));
    };
    let mut moved = Vec::new();
    let mut out = Vec::with_capacity(selected.len());
    for Selected { row, verdict } in selected {
        let verdict = already_sent_instead(verdict, ledger, location)?;
        let Verdict::Call(appointment) = verdict else {
            out.push(Selected { row, verdict });
            continue;
        };
        let start = appointment.start.to_rfc3339();
        let (attempts, moved_from) =
            ledger.attempts_and_moves(location, &appointment.id, &start)?;
        // Attempts at other start times: those a run before this one superseded too, so that
        // every rerun says the patient was told an old time, not only the first after the move.
        let elsewhere = || (attempts.iter().chain(&moved_from)).filter(|a| a.start_time != start);
        if elsewhere().next().is_some() {
            let before = |outcomes: &[Outcome]| elsewhere().any(|a| outcomes.contains(&a.outcome));
            moved.push(Moved {
                appointment_id: appointment.id.to_string(),
                start_time: start.clone(),
                reminded: before(&[Outcome::Sent]),
                maybe_reminded: before(&[Outcome::Uncertain, Outcome::InFlight]),
            });
        }
        let verdict = match attempts.into_iter().find(|a| a.start_time == start) {
            Some(a) if a.outcome == Outcome::Sent => Verdict::Settled(already_sent(appointment, a)),
            // Even with --retry-uncertain: nothing is resent before a look in Annie.
            Some(a) if matches!(a.outcome, Outcome::Uncertain | Outcome::InFlight) => {
                Verdict::Reconcile {
                    appointment,
                    attempt: Box::new(a),
                }
            }
            _ => Verdict::Call(appointment),
        };
        out.push(Selected { row, verdict });
    }
    Ok((out, moved))
}

/// Whether the ledger shows `location`'s reminder for this appointment, at this start time, was
/// sent (the row would be `already_sent`, as [`recall`] finds it).
pub fn sent_before(
    ledger: &Ledger,
    location: &str,
    appointment: &crate::normalise::Appointment,
) -> anyhow::Result<bool> {
    let start = appointment.start.to_rfc3339();
    let attempts = ledger.attempts_for(location, &appointment.id, &start)?;
    Ok(attempts
        .iter()
        .find(|a| a.start_time == start)
        .is_some_and(|a| a.outcome == Outcome::Sent))
}

/// A row skipped only because its day has passed (`outside_window`, `appointment_passed`) whose
/// call the ledger shows was sent: reported as already sent, with its conversation id. A rerun
/// after the window moved on (the next morning, say) replaces the results file; without the id,
/// `outcomes` would never read that call, and an opt-out heard in it would be lost.
fn already_sent_instead(
    verdict: Verdict,
    ledger: &Ledger,
    location: &str,
) -> anyhow::Result<Verdict> {
    let Verdict::Settled(settled) = verdict else {
        return Ok(verdict);
    };
    let day_passed = matches!(
        settled.reason.code,
        ReasonCode::OutsideWindow | ReasonCode::AppointmentPassed
    );
    let Some(appointment) = settled.appointment.as_ref().filter(|_| day_passed) else {
        return Ok(Verdict::Settled(settled));
    };
    let start = appointment.start.to_rfc3339();
    let sent = ledger
        .attempts_for(location, &appointment.id, &start)?
        .into_iter()
        .find(|a| a.start_time == start && a.outcome == Outcome::Sent);
    Ok(match (sent, settled.appointment) {
        (Some(a), Some(appointment)) => Verdict::Settled(already_sent(appointment, a)),
        (_, appointment) => Verdict::Settled(Settled {
            appointment,
            ..settled
        }),
    })
}

/// The settled row of an appointment whose reminder the ledger shows was sent.
fn already_sent(
    appointment: Box<crate::normalise::Appointment>,
    a: crate::ledger::Attempt,
) -> Settled {
    let when = a
        .attempted_at
        .with_timezone(&appointment.start.timezone())
        .format("%a %Y-%m-%d %H:%M %Z");
    let reason = format!(
        "already sent {when} (conversation {})",
        a.conversation_id.as_deref().unwrap_or("unknown")
    );
    let reason = Reason::new(ReasonCode::AlreadySent, reason);
    let mut settled = Settled::of(appointment, Status::Skipped, reason);
    settled.conversation_id = a.conversation_id;
    settled
}

/// What a person must do about a moved appointment that gets no new reminder.
pub const MOVED: &str = "the appointment moved after its reminder was sent for the old time";

/// The same when the request for the old time got no clear answer: it may have placed a call.
pub const MOVED_MAYBE: &str = "the appointment moved after a request to remind the patient of \
                               the old time, which may have placed a call (Annie gave no clear \
                               answer to it)";

/// Flags the settled rows no run will call before their appointment (`uncovered`, by input row),
/// and says so on those whose appointment moved after its reminder (or after a request that may
/// have placed one): that patient was (or may have been) reminded of the wrong time.
pub fn flag_uncovered(
    rows: &mut [RowResult],
    uncovered: &rustc_hash::FxHashSet<u64>,
    moved: &[Moved],
) {
    if uncovered.is_empty() {
        return;
    }
    for row in rows.iter_mut().filter(|r| uncovered.contains(&r.row)) {
        let moved = moved.iter().find(|m| {
            Some(m.appointment_id.as_str()) == row.appointment_id.as_deref()
                && Some(m.start_time.as_str()) == row.start_time.as_deref()
        });
        let why = match moved {
            Some(m) if m.reminded => Some(MOVED),
            Some(m) if m.maybe_reminded => Some(MOVED_MAYBE),
            _ => None,
        };
        match why {
            Some(why) => row.flag_uncovered(&format!("{why}; {}", crate::schedule::UNCOVERED)),
            None => row.flag_uncovered(crate::schedule::UNCOVERED),
        }
    }
}
