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
//!
//! A number resting after failed or unanswered calls (the cooldown) is not the patient's only
//! way to be reached: the next usable phone column of the export is tried instead, with the
//! reason in the results. A number whose patient asked not to be called never falls back: the
//! request is the patient's, not the number's. So a row with such a number in any of its phone
//! columns is not called on another ([`requests_not_to_call`], before households are formed).

use chrono::{DateTime, Duration, Utc};
use compact_str::CompactString;

use crate::hours::RecipientZones;
use crate::households::Household;
use crate::ledger::Ledger;
use crate::locations::Location;
use crate::normalise::phone::Phone;
use crate::normalise::Appointment;
use crate::number_rules;
use crate::optout::OptOuts;
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

/// What the ledger, the hours and the spacing say about calling one number now.
struct Assessed {
    /// The patient on this number asked not to be called: never called, never falls back.
    opted_out: Option<Reason>,
    rules: Option<number_rules::Blocked>,
    zones: RecipientZones,
    moment: schedule::Moment,
}

fn assess(
    ledger: Option<&Ledger>,
    location: &Location,
    number: &str,
    now: DateTime<Utc>,
    spacing: &Spacing,
    tz: chrono_tz::Tz,
) -> anyhow::Result<Assessed> {
    let mut rules = None;
    let mut last_elsewhere = spacing.last_elsewhere(&location.id, number);
    let zones = RecipientZones::for_number(number);
    if let Some(l) = ledger {
        let key = l.number_key(number);
        // A request not to be called holds for every location of a group, and never lifts.
        if let Some(d) = l.do_not_call(&key)? {
            let text = number_rules::do_not_call_reason(&d, tz);
            return Ok(Assessed {
                opted_out: Some(Reason::new(ReasonCode::OptedOut, text)),
                rules: None,
                moment: schedule::Moment {
                    at: None,
                    cause: Cause::Rules,
                },
                zones,
            });
        }
        let since = now - Duration::days(number_rules::LOOKBACK_DAYS);
        rules = number_rules::check(&l.calls_to(&location.id, &key, since)?, now);
        let spaced_since = now - spacing.gap();
        let earlier = l.last_call_elsewhere(&location.id, &key, spaced_since)?;
        last_elsewhere = last_elsewhere.max(earlier);
    }
    let limits = Limits {
        zones: &zones,
        rules_lift: rules.as_ref().map(|b| b.callable_from),
        last_elsewhere,
        spacing: spacing.gap(),
    };
    let moment = schedule::not_before(&location.hours, &limits, now);
    Ok(Assessed {
        opted_out: None,
        rules,
        zones,
        moment,
    })
}

/// A per-number rule's text, with when it lifts. When the call that holds the number is one
/// the ledger learned of from Annie (rebuilt or caught up after it was lost or restored), the
/// text names it: it may have been this appointment's reminder, and a person reminding the
/// patient another way should look at it first (round-8 finding 4).
fn rule_text(b: &number_rules::Blocked, tz: chrono_tz::Tz) -> String {
    let from = schedule::when(b.callable_from, tz);
    match &b.learned_from_annie {
        Some((id, at)) => format!(
            "{} (the last call to it, conversation {id} at {}, is one this ledger learned of \
             from Annie, not from its own record: if it was this appointment's reminder, the \
             patient has it; look at it in Annie before reminding the patient another way); \
             callable again from {from}",
            b.rule,
            schedule::when(*at, tz)
        ),
        None => format!("{}; callable again from {from}", b.rule),
    }
}

/// When the number of a one-appointment household rests (the cooldown after failed or
/// unanswered calls) past this run's window, the patient's next usable phone column that may be
/// called in the window: (column, number, its assessment). A number on the do-not-call list or
/// whose patient asked not to be called is never tried.
fn fall_back(
    h: &Household,
    first: &Assessed,
    window: &CallingWindow,
    opt_outs: &OptOuts,
    assess_number: &dyn Fn(&str) -> anyhow::Result<Assessed>,
) -> anyhow::Result<Option<(CompactString, Phone, Assessed)>> {
    let resting = first
        .rules
        .as_ref()
        .is_some_and(|b| b.rule == number_rules::COOLDOWN_RULE);
    let start = Some(h.lead().start.with_timezone(&Utc));
    let fits = |at: Option<DateTime<Utc>>| at.is_some_and(|at| window.fits_before(at, start));
    if !resting || h.members.len() != 1 || fits(first.moment.at) {
        return Ok(None);
    }
    for (column, phone) in &h.lead().other_phones {
        if opt_outs.number_opted_out(&phone.e164) {
            continue;
        }
        let assessed = assess_number(&phone.e164)?;
        if assessed.opted_out.is_none() && fits(assessed.moment.at) {
            return Ok(Some((column.clone(), phone.clone(), assessed)));
        }
    }
    Ok(None)
}

/// Settles the rows still to be called that have, in any phone column, a number whose patient
/// asked on a call not to be called (recorded in the ledger by `outcomes`): `skipped`, opted
/// out. Not only the number the row would be called on: a patient who asked not to be called
/// on her home phone is not called two nights later on her mobile. The reason names the column,
/// never the number. Like every opt-out, the row is not flagged for a person: if that number
/// is another family member's, the reason tells the office to remind this patient another way.
/// Runs before households are formed, so such a row is not named in another's call either.
pub fn requests_not_to_call(
    selected: Vec<Selected>,
    ledger: Option<&Ledger>,
) -> anyhow::Result<Vec<Selected>> {
    let Some(l) = ledger else {
        return Ok(selected);
    };
    selected
        .into_iter()
        .map(|s| {
            let reason = match &s.verdict {
                Verdict::Call(a) => asked_not_to_call(l, a)?,
                _ => None,
            };
            Ok(match (reason, s.verdict) {
                (Some(reason), Verdict::Call(a)) => Selected {
                    row: s.row,
                    verdict: Verdict::Settled(Settled::of(a, Status::Skipped, reason)),
                },
                (_, verdict) => Selected {
                    row: s.row,
                    verdict,
                },
            })
        })
        .collect()
}

/// Why the ledger says this row must not be called, if it says so: a request on the number it
/// would be called on, then on any other of its numbers (naming the column).
fn asked_not_to_call(l: &Ledger, a: &Appointment) -> anyhow::Result<Option<Reason>> {
    let tz = a.start.timezone();
    if let Some(d) = l.do_not_call(&l.number_key(&a.phone.e164))? {
        let text = number_rules::do_not_call_reason(&d, tz);
        return Ok(Some(Reason::new(ReasonCode::OptedOut, text)));
    }
    for (column, e164) in a.other_numbers() {
        if let Some(d) = l.do_not_call(&l.number_key(e164))? {
            let text = number_rules::do_not_call_elsewhere_reason(&d, tz, column);
            return Ok(Some(Reason::new(ReasonCode::OptedOut, text)));
        }
    }
    Ok(None)
}

/// The location's own numbers, E.164: its Annie numbers and its callback number.
pub(crate) fn own_numbers(location: &Location) -> std::collections::HashSet<String> {
    location
        .caller_numbers()
        .into_iter()
        .chain(callback_e164(location))
        .collect()
}

/// The location's callback number, E.164 (configured, or its Annie number).
fn callback_e164(location: &Location) -> Option<String> {
    let practice = &location.practice;
    crate::normalise::phone::classify(&practice.callback_spoken, practice.phone_region)
        .ok()
        .map(|c| c.phone.e164.into())
}

/// Every number of the practice, over all its locations: each Annie number (language numbers
/// included) and each callback number, E.164, with whose it is ("the Annie number of location
/// 2, Bright Smile Dental West"). A patient's row with any of them is `invalid`, whichever
/// location the row belongs to: an export puts an office's number where a patient's is
/// missing, and in a group that office may be another location's. Built once per run, so a row
/// costs one set lookup.
#[derive(Debug, Default)]
pub struct OwnNumbers {
    whose: rustc_hash::FxHashMap<String, String>,
}

impl OwnNumbers {
    pub fn of(locations: &[Location]) -> OwnNumbers {
        let grouped = crate::locations::grouped(locations);
        let mut whose = rustc_hash::FxHashMap::default();
        for l in locations {
            let of = |what: String| match grouped {
                true => format!("the {what} of location {}, {}", l.id, l.label()),
                false => format!("its {what}"),
            };
            let numbers =
                std::iter::once((l.practice.from_number.clone(), of("Annie number".into())))
                    .chain(
                        l.language_numbers.iter().map(|(language, n)| {
                            (n.clone(), of(format!("{language} Annie number")))
                        }),
                    )
                    .chain(callback_e164(l).map(|n| (n, of("callback number".into()))));
            for (number, label) in numbers {
                // A callback number left unset is the Annie number: named as that.
                whose.entry(number).or_insert(label);
            }
        }
        OwnNumbers { whose }
    }

    /// Whose number this is, when it is one of the practice's own.
    pub(crate) fn whose(&self, e164: &str) -> Option<&str> {
        self.whose.get(e164).map(String::as_str)
    }
}

/// Keeps the households one location may call in this run (now, or later in its window);
/// settles the rest (skipped or deferred).
pub fn check(
    households: Vec<Household>,
    ledger: Option<&Ledger>,
    location: &Location,
    now: DateTime<Utc>,
    spacing: &Spacing,
    opt_outs: &OptOuts,
    own: &OwnNumbers,
) -> anyhow::Result<Checked> {
    let window = CallingWindow::of(&location.hours, now);
    let mut checked = Checked {
        settled: Vec::new(),
        // Most households are callable: room for all of them, so the vector does not grow.
        callable: Vec::with_capacity(households.len()),
        schedule: Schedule::new(window),
    };
    for mut h in households {
        if let Some(whose) = own.whose(&h.lead().phone.e164) {
            // A placeholder in the export (an office's own number where the patient's is
            // missing, this location's or another's): calling it rings the office, and groups
            // strangers into one "household".
            let reason = Reason::new(
                ReasonCode::NoValidPhone,
                format!(
                    "the phone number is the practice's own ({whose}), not the patient's; \
                     correct it in the practice system"
                ),
            );
            settle_all(h, Status::Invalid, reason, &mut checked.settled);
            continue;
        }
        let tz = h.lead().start.timezone();
        let assess_number = |number: &str| assess(ledger, location, number, now, spacing, tz);
        let mut a = assess_number(&h.lead().phone.e164)?;
        if let Some(reason) = a.opted_out.take() {
            settle_all(h, Status::Skipped, reason, &mut checked.settled);
            continue;
        }
        if let Some((column, phone, next)) = fall_back(&h, &a, &window, opt_outs, &assess_number)? {
            let rested = a
                .rules
                .as_ref()
                .map(|b| rule_text(b, tz))
                .unwrap_or_default();
            let note = format!(
                "the first number rests ({rested}): calling the next phone column, {column}, \
                 instead"
            );
            checked.schedule.notes.insert(h.members[0].0, note);
            h.members[0].1.phone = phone;
            a = next;
        }
        if let Some(passed) = &h.lead().phone_note {
            // The columns before the one called, and why they are not (the office may want
            // to correct the record), before any other note.
            let note = match checked.schedule.notes.remove(&h.members[0].0) {
                Some(other) => format!("{passed}; {other}"),
                None => passed.to_string(),
            };
            checked.schedule.notes.insert(h.members[0].0, note);
        }
        let moment = a.moment;
        let spacing_text = |at: Option<DateTime<Utc>>| {
            let rule = schedule::spacing_rule(spacing.gap());
            match at {
                Some(at) => format!("{rule}; callable again from {}", schedule::when(at, tz)),
                None => rule,
            }
        };
        let hours_text = || match location.hours.may_call(&a.zones, now) {
            Err(closed) => closed.reason,
            Ok(()) => format!(
                "outside calling hours before this run's window closes; callable from {}",
                moment
                    .at
                    .map_or("a later day".to_string(), |t| schedule::when(t, tz))
            ),
        };
        let first_start = h
            .members
            .iter()
            .map(|(_, a)| a.start.with_timezone(&Utc))
            .min();
        if let Some(at) = moment.at.filter(|at| window.fits_before(*at, first_start)) {
            // The numbers this call may fall back to if the API refuses its own for a
            // per-number limit: only those that may be called now, and never an opted-out one.
            if let [(_, only)] = h.members.as_mut_slice() {
                let candidates = std::mem::take(&mut only.other_phones);
                for (column, phone) in candidates {
                    if phone.e164 == only.phone.e164 || opt_outs.number_opted_out(&phone.e164) {
                        continue;
                    }
                    let next = assess_number(&phone.e164)?;
                    if next.opted_out.is_none() && next.moment.cause == Cause::Free {
                        only.other_phones.push((column, phone));
                    }
                }
            }
            if at > now {
                let why = match moment.cause {
                    Cause::Rules => a
                        .rules
                        .as_ref()
                        .map(|b| rule_text(b, tz))
                        .unwrap_or_default(),
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
        let (status, reason) = match &a.rules {
            Some(b) => (
                Status::Skipped,
                Reason::new(ReasonCode::PerNumberLimit, rule_text(b, tz)),
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
