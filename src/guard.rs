//! The last checks before a household's call is planned: a patient's request not to be called
//! again and the per-number rules (both from the ledger's history, including what `outcomes`
//! recorded), calling hours (for the recipient's zones) and the spacing between a group's
//! locations' calls to one number.
//!
//! A limit that lifts inside this run's calling window does not settle the row: the call gets a
//! "not before" moment ([`crate::schedule`]) and the dispatcher holds it until then. Only a row
//! that cannot go before the window closes is skipped (a per-number rule, with when it lifts) or
//! deferred (calling hours); one that no run can call before its appointment is also marked to
//! be flagged for a person.

use chrono::{DateTime, Duration, Utc};

use crate::hours::RecipientZones;
use crate::households::Household;
use crate::ledger::Ledger;
use crate::locations::Location;
use crate::number_rules;
use crate::reason::{Reason, ReasonCode};
use crate::results::Status;
use crate::schedule::{self, CallingWindow, Cause, Hold, Limits, Schedule, Spacing};
use crate::select::{Selected, Settled, Verdict};

/// What the checks made of one location's households.
#[derive(Debug)]
pub struct Checked {
    /// Rows settled here (skipped or deferred).
    pub settled: Vec<Selected>,
    /// Households to call, now or at their held moment.
    pub callable: Vec<Household>,
    pub schedule: Schedule,
}

/// Keeps the households one location may call in this run (now, or later in its window);
/// settles the rest (skipped or deferred).
pub fn check(
    households: Vec<Household>,
    ledger: Option<&Ledger>,
    location: &Location,
    now: DateTime<Utc>,
    spacing: &Spacing,
) -> anyhow::Result<Checked> {
    let window = CallingWindow::of(&location.hours, now);
    let mut checked = Checked {
        settled: Vec::new(),
        callable: Vec::new(),
        schedule: Schedule::new(window),
    };
    for h in households {
        let number = &h.lead().phone.e164;
        let tz = h.lead().start.timezone();
        let mut rules = None;
        let mut last_elsewhere = spacing.last_elsewhere(&location.id, number);
        if let Some(l) = ledger {
            let key = l.number_key(number);
            // A request not to be called holds for every location of a group, and never lifts.
            if let Some(d) = l.do_not_call(&key)? {
                let text = number_rules::do_not_call_reason(&d, tz);
                let reason = Reason::new(ReasonCode::OptedOut, text);
                settle_all(h, Status::Skipped, reason, &mut checked.settled);
                continue;
            }
            let since = now - Duration::days(number_rules::LOOKBACK_DAYS);
            rules = number_rules::check(&l.calls_to(&location.id, &key, since)?, now);
            let spaced_since = now - spacing.gap();
            let earlier = l.last_call_elsewhere(&location.id, &key, spaced_since)?;
            last_elsewhere = last_elsewhere.max(earlier);
        }
        let zones = RecipientZones::for_number(number);
        let limits = Limits {
            zones: &zones,
            rules_lift: rules.as_ref().map(|b| b.callable_from),
            last_elsewhere,
            spacing: spacing.gap(),
        };
        let moment = schedule::not_before(&location.hours, &limits, now);
        let rule_text = |b: &number_rules::Blocked| {
            let from = schedule::when(b.callable_from, tz);
            format!("{}; callable again from {from}", b.rule)
        };
        let spacing_text = |at: Option<DateTime<Utc>>| {
            let rule = schedule::spacing_rule(spacing.gap());
            match at {
                Some(at) => format!("{rule}; callable again from {}", schedule::when(at, tz)),
                None => rule,
            }
        };
        let hours_text = || match location.hours.may_call(&zones, now) {
            Err(closed) => closed.reason,
            Ok(()) => format!(
                "outside calling hours before this run's window closes; callable from {}",
                moment
                    .at
                    .map_or("a later day".to_string(), |t| schedule::when(t, tz))
            ),
        };
        if let Some(at) = moment.at.filter(|at| window.fits(*at)) {
            if at > now {
                let why = match moment.cause {
                    Cause::Rules => rules.as_ref().map(rule_text).unwrap_or_default(),
                    Cause::Hours => hours_text(),
                    Cause::Spacing | Cause::Free => spacing_text(None),
                };
                checked
                    .schedule
                    .held
                    .insert(h.members[0].0, Hold { at, why });
            }
            checked.callable.push(h);
            continue;
        }
        let (status, reason) = match &rules {
            Some(b) => (
                Status::Skipped,
                Reason::new(ReasonCode::PerNumberLimit, rule_text(b)),
            ),
            None if moment.cause == Cause::Spacing => (
                Status::Skipped,
                Reason::new(ReasonCode::PerNumberLimit, spacing_text(moment.at)),
            ),
            None => (
                Status::Deferred,
                Reason::new(ReasonCode::CallingHours, hours_text()),
            ),
        };
        for (row, appointment) in &h.members {
            let start = appointment.start.with_timezone(&Utc);
            if !window.covers(moment.at, start) {
                checked.schedule.uncovered.insert(*row);
            }
        }
        settle_all(h, status, reason, &mut checked.settled);
    }
    Ok(checked)
}

/// Settles every member of a household with the same status and reason.
pub fn settle_all(h: Household, status: Status, reason: Reason, out: &mut Vec<Selected>) {
    for (row, appointment) in h.members {
        out.push(Selected {
            row,
            verdict: Verdict::Settled(Settled::of(appointment, status, reason.clone())),
        });
    }
}
