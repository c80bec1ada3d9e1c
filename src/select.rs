//! Stage 3: decide which appointments get a call.
//!
//! Pure: the reference time comes in as a value (`--now` pins it), and the window is relative to
//! each location's calling day (see [`crate::calling_day`]), not to the start of the run. Every
//! appointment leaves with
//! a verdict: call it, skip it (with the rule that skipped it), or reject it. Duplicate ids are
//! settled here because only here are all rows seen together.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use compact_str::CompactString;

pub use crate::calling_day::window_bounds;
use crate::calling_day::{CallingDay, Window};
use crate::normalise::{Appointment, Normalised};
use crate::optout::OptOuts;
use crate::reason::{Reason, ReasonCode};
use crate::results::{DaysSeen, Status};
pub use crate::settings::Selection;

/// What happens to one row.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// Still to be called (later stages may yet settle it). Boxed, like every appointment
    /// between stages, so a million-row vector of verdicts stays small.
    Call(Box<Appointment>),
    /// An earlier run's attempt may have placed this call: look for it before deciding.
    Reconcile {
        appointment: Box<Appointment>,
        attempt: Box<crate::ledger::records::Attempt>,
    },
    /// Decided: the row's result is known without a request.
    Settled(Settled),
}

impl Verdict {
    /// The appointment the verdict is about, if the row became one.
    pub fn appointment(&self) -> Option<&Appointment> {
        match self {
            Verdict::Call(a) | Verdict::Reconcile { appointment: a, .. } => Some(a),
            Verdict::Settled(s) => s.appointment.as_deref(),
        }
    }

    /// The location the row belongs to: its appointment's, or, for a row that did not become
    /// one, the one its location column names (`None`: no configured location).
    pub fn location(&self) -> Option<usize> {
        match self {
            Verdict::Settled(Settled {
                appointment: None,
                location,
                ..
            }) => *location,
            _ => self.appointment().map(|a| a.location),
        }
    }
}

/// A row's final status, decided before dispatch.
#[derive(Debug, Clone, PartialEq)]
pub struct Settled {
    pub status: Status,
    pub reason: Reason,
    pub appointment_id: Option<CompactString>,
    pub appointment: Option<Box<Appointment>>,
    pub conversation_id: Option<String>,
    /// A row that did not become an appointment: the location its column names, if it is a
    /// configured one (see [`Verdict::location`]).
    pub location: Option<usize>,
}

impl Settled {
    /// A settled appointment (skipped, deferred, ...).
    pub fn of(appointment: Box<Appointment>, status: Status, reason: Reason) -> Settled {
        Settled {
            status,
            reason,
            appointment_id: Some(appointment.id.clone()),
            appointment: Some(appointment),
            conversation_id: None,
            location: None,
        }
    }
}

/// A row and its verdict.
#[derive(Debug, Clone, PartialEq)]
pub struct Selected {
    pub row: u64,
    pub verdict: Verdict,
}

/// Applies the selection rules to every row, keeping input order. `days` holds each location's
/// calling day, indexed like the settings' locations.
pub fn select(
    rows: Vec<Normalised>,
    rules: &Selection,
    opt_outs: &OptOuts,
    now: DateTime<Utc>,
    days: &[CallingDay],
) -> Vec<Selected> {
    let duplicates = duplicate_verdicts(&rows);
    select_with(rows, 0, &duplicates, rules, opt_outs, now, days)
}

/// [`select`] for some of the export's rows, the first of them at position `first` in the
/// export, with the duplicates of the whole export known already (by position; see
/// [`duplicates_of`]). Rows are independent here, so this runs on every core, order kept.
pub fn select_with(
    rows: Vec<Normalised>,
    first: usize,
    duplicates: &HashMap<usize, Duplicate>,
    rules: &Selection,
    opt_outs: &OptOuts,
    now: DateTime<Utc>,
    days: &[CallingDay],
) -> Vec<Selected> {
    use rayon::prelude::*;
    rows.into_par_iter()
        .enumerate()
        .map(|(index, n)| {
            let index = first + index;
            let verdict = match n.result {
                Err(u) => Verdict::Settled(Settled {
                    status: match u.asked_not_to_be_called {
                        true => Status::Skipped,
                        false => Status::Invalid,
                    },
                    reason: u.reason,
                    appointment_id: u.appointment_id,
                    appointment: None,
                    conversation_id: None,
                    location: u.location,
                }),
                Ok(appointment) => {
                    match duplicates.get(&index) {
                        Some(Duplicate::Copy { first_row }) => Verdict::Settled(Settled::of(
                            appointment,
                            Status::Skipped,
                            Reason::new(
                                ReasonCode::DuplicateRow,
                                format!("duplicate of row {first_row}"),
                            ),
                        )),
                        Some(Duplicate::Conflict { rows }) => {
                            let reason = format!(
                                "appointment id {} appears on rows {} with different details; fix the export",
                                appointment.id,
                                join_rows(rows)
                            );
                            let reason = Reason::new(ReasonCode::ConflictingRows, reason);
                            Verdict::Settled(Settled::of(appointment, Status::Invalid, reason))
                        }
                        None => match opt_outs
                            .reason(&appointment)
                            .map(Reason::with(ReasonCode::OptedOut))
                            .or_else(|| {
                                let base = days.get(appointment.location).map(|d| d.base);
                                skip_reason(&appointment, rules, now, base.unwrap_or(now))
                            })
                        {
                            Some(reason) => {
                                Verdict::Settled(Settled::of(appointment, Status::Skipped, reason))
                            }
                            None => Verdict::Call(appointment),
                        },
                    }
                }
            };
            Selected { row: n.row, verdict }
        })
        .collect()
}

/// The first rule that excludes the appointment, as a reason for the results file. `base` is
/// when its location's calls can start (its calling day).
pub fn skip_reason(
    appointment: &Appointment,
    rules: &Selection,
    now: DateTime<Utc>,
    base: DateTime<Utc>,
) -> Option<Reason> {
    // "Tomorrow" is the day after the calling day where the appointment's practice is.
    let tz = appointment.start.timezone();
    // The listed word that matches, borrowed: it is only written into the reason.
    fn matches<'l>(value: &Option<CompactString>, list: &'l [String]) -> Option<&'l str> {
        let value = value.as_deref()?.trim();
        list.iter()
            .find(|l| l.eq_ignore_ascii_case(value))
            .map(String::as_str)
    }
    if appointment.start <= now {
        return Some(Reason::new(
            ReasonCode::AppointmentPassed,
            "appointment time has already passed",
        ));
    }
    if let Some(status) = matches(&appointment.status, &rules.skip_statuses) {
        return Some(Reason::new(
            ReasonCode::NotScheduled,
            format!("status is {status}, which [selection] skip_statuses skips"),
        ));
    }
    if let (Some(status), Some(call)) = (&appointment.status, &rules.call_statuses) {
        if !call.iter().any(|c| c.eq_ignore_ascii_case(status.trim())) {
            return Some(Reason::new(
                ReasonCode::NotScheduled,
                not_called_status(status, call),
            ));
        }
    }
    if let Some(value) = matches(&appointment.confirmed, &rules.confirmed_values) {
        return Some(Reason::new(
            ReasonCode::AlreadyConfirmed,
            format!("already confirmed ({value})"),
        ));
    }
    let window = window_of(rules.window, base, tz);
    let start = appointment.start.with_timezone(&Utc);
    if start < window.from || start >= window.to {
        return Some(Reason::new(
            ReasonCode::OutsideWindow,
            window.outside.clone(),
        ));
    }
    None
}

/// How many rows have an appointment start that can be read, and how many of those are on a day
/// this run calls about (in their location's window), whatever their status: an export whose
/// dated rows are all for another day is the wrong one, even when some of them are confirmed or
/// cancelled (see [`crate::results::Summary::none_on_the_day`]). A row whose location cannot be
/// read has no day to compare. Nor does an appointment already past at `now`: last night's
/// export, rerun in the morning or with `--allow-stale`, is not a wrong day's export (its rows
/// are `appointment_passed`, and nothing is left to call).
pub fn days_seen(
    rows: &[Normalised],
    window: Window,
    days: &[CallingDay],
    now: DateTime<Utc>,
) -> DaysSeen {
    let mut seen = DaysSeen::default();
    for n in rows {
        let (location, start) = match &n.result {
            Ok(a) => (a.location, a.start.timestamp()),
            Err(u) => match (u.location, u.start) {
                (Some(location), Some(start)) => (location, start),
                _ => continue,
            },
        };
        let Some(day) = days.get(location) else {
            continue;
        };
        if start <= now.timestamp() {
            continue;
        }
        seen.dated += 1;
        let facts = window_of(window, day.base, day.zone);
        if (facts.from.timestamp()..facts.to.timestamp()).contains(&start) {
            seen.on_the_day += 1;
        }
    }
    seen
}

/// The selection window's bounds for one zone and calling day, and the reason for a start
/// time outside them.
struct WindowFacts {
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    outside: String,
}

/// [`WindowFacts`] for a window, calling day and zone: the same for every row of a location,
/// so each thread keeps the last it made (each bound looks the zone's transitions up, and the
/// reason formats both in the zone; a large export's rows would do that a row at a time).
fn window_of(window: Window, base: DateTime<Utc>, tz: Tz) -> std::rc::Rc<WindowFacts> {
    type Key = (Window, DateTime<Utc>, Tz);
    thread_local! {
        static LAST: std::cell::RefCell<Option<(Key, std::rc::Rc<WindowFacts>)>> =
            const { std::cell::RefCell::new(None) };
    }
    let key = (window, base, tz);
    if let Some(facts) = LAST.with_borrow(|last| {
        last.as_ref()
            .filter(|(k, _)| *k == key)
            .map(|(_, f)| f.clone())
    }) {
        return facts;
    }
    let (from, to) = window_bounds(window, base, tz);
    let outside = format!(
        "outside the selection window ({}: {} to {})",
        window,
        from.with_timezone(&tz).format("%a %Y-%m-%d %H:%M"),
        to.with_timezone(&tz).format("%a %Y-%m-%d %H:%M %Z"),
    );
    let facts = std::rc::Rc::new(WindowFacts { from, to, outside });
    LAST.set(Some((key, facts.clone())));
    facts
}

/// A status quoted in a reason longer than this (in characters) reads like free text.
const STATUS_SHOWN_CHARS: usize = 24;
/// A status quoted in a reason with more digits than this could be a phone number or a date.
const STATUS_SHOWN_DIGITS: usize = 4;

/// The reason for a status the call list does not name. The value is quoted only when it looks
/// like a status (short, few digits): a notes column mapped as the status, or a note typed into
/// it, may name the patient or give a number, and reasons reach the results file, the preview
/// and the report.
fn not_called_status(status: &str, call: &[String]) -> String {
    let value = match status.trim() {
        "" => "empty".to_string(),
        v if v.chars().count() > STATUS_SHOWN_CHARS
            || v.chars().filter(char::is_ascii_digit).count() > STATUS_SHOWN_DIGITS =>
        {
            "a value that does not look like a status (not shown: it may be patient data)"
                .to_string()
        }
        v => format!("`{v}`"),
    };
    format!(
        "status is {value}, which is not a scheduled status ([selection] call_statuses: {}); \
         add it there if such appointments should be called",
        call.join(", ")
    )
}

/// A row whose appointment id another row has too.
#[derive(Debug)]
pub enum Duplicate {
    /// Same details as an earlier row: that row's call covers this one.
    Copy { first_row: u64 },
    /// Same id, different details: nobody can tell which is right.
    Conflict { rows: Vec<u64> },
}

fn duplicate_verdicts(rows: &[Normalised]) -> HashMap<usize, Duplicate> {
    // First index per id (an id is its location's, see [`IdFacts`]); a list only for the
    // (rare) ids seen more than once.
    let mut first: HashMap<(usize, &str), usize> = HashMap::with_capacity(rows.len());
    let mut repeated: HashMap<(usize, &str), Vec<usize>> = HashMap::new();
    for (i, n) in rows.iter().enumerate() {
        if let Ok(a) = &n.result {
            let key = (a.location, a.id.as_str());
            match first.get(&key) {
                None => {
                    first.insert(key, i);
                }
                Some(&f) => repeated.entry(key).or_insert_with(|| vec![f]).push(i),
            }
        }
    }
    let mut verdicts = HashMap::new();
    for indexes in repeated.into_values() {
        let appointment = |i: usize| rows[i].result.as_ref().ok();
        let first = indexes[0];
        let identical = indexes
            .iter()
            .all(|&i| appointment(i) == appointment(first));
        if identical {
            for &i in &indexes[1..] {
                verdicts.insert(
                    i,
                    Duplicate::Copy {
                        first_row: rows[first].row,
                    },
                );
            }
        } else {
            let numbers: Vec<u64> = indexes.iter().map(|&i| rows[i].row).collect();
            for &i in &indexes {
                verdicts.insert(
                    i,
                    Duplicate::Conflict {
                        rows: numbers.clone(),
                    },
                );
            }
        }
    }
    verdicts
}

/// What the duplicate check needs of one appointment: its id and every value it holds, hashed.
/// The id is kept as it is when it is short (most are: a number of a few digits), else hashed to
/// 127 bits, so that two different ids of one export never meet by chance. An id is its
/// location's: in a group, each practice system numbers its own appointments, and the ledger
/// keeps them apart the same way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IdFacts {
    pub id: u128,
    /// Equal for equal appointments (see [`fingerprint`]).
    pub fingerprint: u64,
    /// The row's position in the export.
    pub index: usize,
    pub row: u64,
}

/// The longest id [`IdFacts`] keeps as it is: its bytes, its location and its length fill the
/// 16 bytes of the key.
const SHORT_ID: usize = 14;

impl IdFacts {
    pub fn of(a: &Appointment, index: usize, row: u64) -> IdFacts {
        IdFacts {
            id: id_key(a),
            fingerprint: fingerprint(a),
            index,
            row,
        }
    }
}

/// An appointment's id and location as one number, equal only for the same id at the same
/// location. A short id (at a location numbered below 256) is its own bytes, then the location,
/// then its length with the top bit set: nothing to hash, no chance meeting. A longer one is
/// two 64-bit hashes with the top bit clear, so the two kinds never meet either.
fn id_key(a: &Appointment) -> u128 {
    let id = a.id.as_bytes();
    if let (true, Ok(location)) = (id.len() <= SHORT_ID, u8::try_from(a.location)) {
        let mut key = [0; 16];
        key[..id.len()].copy_from_slice(id);
        key[14] = location;
        key[15] = 0x80 | id.len() as u8;
        return u128::from_le_bytes(key);
    }
    use std::hash::{Hash, Hasher};
    let half = |salt: u8| {
        let mut h = std::hash::DefaultHasher::new();
        salt.hash(&mut h);
        a.location.hash(&mut h);
        a.id.hash(&mut h);
        h.finish()
    };
    ((u128::from(half(1)) << 64) | u128::from(half(2))) & !(1 << 127)
}

/// A hash of every value of an appointment: equal appointments (`==`) hash equal. Every field
/// is named, so a new one cannot be forgotten here. Each value goes to one fast hasher
/// (`rustc_hash`), a text with its length and an optional value with a tag, so that different
/// values never write the same: writing them into a buffer to hash at once cost more than the
/// hash. It only tells apart rows that have the same id, so a chance meeting of two is not a
/// worry.
pub fn fingerprint(a: &Appointment) -> u64 {
    use std::hash::Hasher;
    let Appointment {
        id,
        patient_id,
        first_name,
        last_name,
        birth_date,
        phone,
        start,
        end,
        appointment_type,
        description,
        status,
        confirmed,
        opt_out,
        language,
        location,
        other_phones,
        uncallable_numbers,
        phone_note,
    } = a;
    let mut h = rustc_hash::FxHasher::default();
    for text in [id, first_name, &phone.e164, &phone.national] {
        write_text(&mut h, text);
    }
    // A date by its day number; a time by its instant (times compare equal by instant).
    let day = birth_date.map(|d| chrono::Datelike::num_days_from_ce(&d));
    write_maybe(&mut h, day, |h, day| h.write_i32(day));
    for time in std::iter::once(Some(start)).chain([end.as_ref()]) {
        write_maybe(&mut h, time, |h, t| {
            h.write_i64(t.timestamp());
            h.write_u32(t.timestamp_subsec_nanos());
        });
    }
    let optional = [patient_id, last_name, appointment_type, description];
    for text in optional
        .into_iter()
        .chain([status, confirmed, opt_out, language, phone_note])
    {
        write_maybe(&mut h, text.as_deref(), write_text);
    }
    h.write_usize(*location);
    h.write_usize(other_phones.len());
    for (column, p) in other_phones {
        for text in [column, &p.e164, &p.national] {
            write_text(&mut h, text);
        }
    }
    h.write_usize(uncallable_numbers.len());
    for (column, e164) in uncallable_numbers {
        for text in [column, e164] {
            write_text(&mut h, text);
        }
    }
    h.finish()
}

/// A text after its length, so that the next value cannot be taken as part of it.
fn write_text(h: &mut rustc_hash::FxHasher, text: &str) {
    use std::hash::Hasher;
    h.write_usize(text.len());
    h.write(text.as_bytes());
}

/// An optional value: a tag, then the value as `write` writes it.
fn write_maybe<T>(
    h: &mut rustc_hash::FxHasher,
    value: Option<T>,
    write: impl FnOnce(&mut rustc_hash::FxHasher, T),
) {
    use std::hash::Hasher;
    match value {
        None => h.write_u8(0),
        Some(value) => {
            h.write_u8(1);
            write(h, value);
        }
    }
}

/// The duplicate verdicts of a whole export from its appointments' [`IdFacts`] (in any order):
/// the same verdicts [`select`] finds, keyed by position in the export.
pub fn duplicates_of(mut facts: Vec<IdFacts>) -> HashMap<usize, Duplicate> {
    use rayon::slice::ParallelSliceMut;
    // On every core: a million rows' facts took a fifth of a second to sort on one.
    facts.par_sort_unstable_by_key(|f| (f.id, f.index));
    let mut verdicts = HashMap::new();
    for group in facts.chunk_by(|a, b| a.id == b.id) {
        let [first, rest @ ..] = group else { continue };
        if rest.is_empty() {
            continue;
        }
        if rest.iter().all(|f| f.fingerprint == first.fingerprint) {
            for f in rest {
                let first_row = first.row;
                verdicts.insert(f.index, Duplicate::Copy { first_row });
            }
        } else {
            let rows: Vec<u64> = group.iter().map(|f| f.row).collect();
            for f in group {
                let rows = rows.clone();
                verdicts.insert(f.index, Duplicate::Conflict { rows });
            }
        }
    }
    verdicts
}

fn join_rows(rows: &[u64]) -> String {
    let text: Vec<String> = rows.iter().map(u64::to_string).collect();
    match text.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
        _ => text.join(""),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::normalise::Phone;
    use chrono::TimeZone;

    /// A status that reads like a status is quoted; a note typed into the column (a name, a
    /// number, a birth date) is not (round-9 finding 9).
    #[test]
    fn a_status_is_quoted_only_when_it_looks_like_one() {
        let call = ["1".to_string()];
        assert!(not_called_status("Broken/Missed", &call).starts_with("status is `Broken/Missed`"));
        assert!(not_called_status("2026", &call).starts_with("status is `2026`"));
        assert!(not_called_status(" ", &call).starts_with("status is empty"));
        for note in [
            "pt Sarah Johnson 312-555-0147 DOB 3/22/88",
            "312-555-0147",
            "03/22/1988",
        ] {
            let reason = not_called_status(note, &call);
            assert!(
                reason.starts_with(
                    "status is a value that does not look like a status (not shown: it may be \
                     patient data), which is not a scheduled status"
                ),
                "{reason}"
            );
        }
    }

    fn appointment(id: &str, first: &str) -> Box<Appointment> {
        let tz: chrono_tz::Tz = "America/Chicago".parse().unwrap();
        Box::new(Appointment {
            id: id.into(),
            patient_id: None,
            first_name: first.into(),
            last_name: None,
            birth_date: None,
            phone: Phone {
                e164: "+13125550147".into(),
                national: "(312) 555-0147".into(),
            },
            start: tz.with_ymd_and_hms(2026, 11, 24, 9, 0, 0).unwrap(),
            end: None,
            appointment_type: None,
            description: None,
            status: None,
            confirmed: None,
            opt_out: None,
            language: None,
            location: 0,
            other_phones: Vec::new(),
            uncallable_numbers: Vec::new(),
            phone_note: None,
        })
    }

    #[test]
    fn fingerprints_are_equal_for_equal_appointments_only() {
        let base = appointment("A1", "Ann");
        let utc = chrono_tz::UTC;
        let mut same = base.clone();
        // The same instant in another zone is the same appointment.
        same.start = base
            .start
            .with_timezone(&utc)
            .with_timezone(&chrono_tz::America::Denver);
        assert_eq!(*same, *base);
        assert_eq!(fingerprint(&same), fingerprint(&base));
        let changes: Vec<fn(&mut Appointment)> = vec![
            |a| a.id = "A2".into(),
            |a| a.first_name = "Ann ".into(),
            |a| a.last_name = Some(CompactString::default()),
            |a| a.patient_id = Some(CompactString::default()),
            |a| a.birth_date = chrono::NaiveDate::from_ymd_opt(1990, 1, 1),
            |a| a.phone.national = "312-555-0147".into(),
            |a| a.start += chrono::Duration::seconds(1),
            |a| a.end = Some(a.start),
            |a| a.appointment_type = Some("x".into()),
            |a| a.description = Some("x".into()),
            |a| a.status = Some(CompactString::default()),
            |a| a.confirmed = Some("x".into()),
            |a| a.opt_out = Some("x".into()),
            |a| a.language = Some("x".into()),
            |a| a.location = 1,
            |a| a.other_phones.push(("Home".into(), a.phone.clone())),
            |a| {
                let number = ("Home".into(), a.phone.e164.clone());
                a.uncallable_numbers.push(number)
            },
            // A value moved from one field to the next is another appointment.
            |a| {
                a.first_name = "An".into();
                a.last_name = Some("n".into());
            },
            |a| {
                a.appointment_type = Some("x".into());
                a.description = None;
                a.status = Some(CompactString::default());
            },
        ];
        let mut seen = vec![fingerprint(&base)];
        for change in changes {
            let mut other = base.clone();
            change(&mut other);
            assert_ne!(*other, *base);
            let print = fingerprint(&other);
            assert!(!seen.contains(&print), "{other:?}");
            seen.push(print);
        }
    }

    #[test]
    fn the_streaming_index_finds_the_duplicates_select_finds() {
        let rows: Vec<Normalised> = [
            ("A1", "Ann"),
            ("A2", "Bo"),
            ("A1", "Ann"),
            ("A3", "Cy"),
            ("A3", "Di"),
            ("A1", "Ann"),
            ("A3", "Cy"),
        ]
        .iter()
        .enumerate()
        .map(|(i, (id, name))| Normalised {
            row: i as u64 + 2,
            result: Ok(appointment(id, name)),
        })
        .collect();
        let show = |m: &HashMap<usize, Duplicate>| {
            let mut v: Vec<String> = m.iter().map(|(i, d)| format!("{i}: {d:?}")).collect();
            v.sort();
            v
        };
        // In any order: the index sees chunks.
        let facts = rows
            .iter()
            .enumerate()
            .rev()
            .filter_map(|(i, n)| Some(IdFacts::of(n.result.as_ref().ok()?, i, n.row)))
            .collect();
        let found = duplicates_of(facts);
        assert_eq!(show(&found), show(&duplicate_verdicts(&rows)));
        // Two copies of A1; the three A3 rows conflict.
        assert_eq!(found.len(), 5);
    }

    #[test]
    fn an_id_key_is_the_same_only_for_the_same_id_at_the_same_location() {
        let key = |id: &str, location: usize| {
            let mut a = appointment(id, "Ann");
            a.location = location;
            IdFacts::of(&a, 0, 2).id
        };
        let long = "A-2026-11-24-000001";
        let keys = [
            key("A1", 0),
            key("A1", 1),
            key("A1\0", 0),
            key("A10", 0),
            key("A1", 300),
            key("12345678901234", 0),
            key("123456789012345", 0),
            key(long, 0),
            key(long, 1),
        ];
        for (i, k) in keys.iter().enumerate() {
            assert!(!keys[..i].contains(k), "key {i}");
        }
        assert_eq!(key("A1", 1), key("A1", 1));
        assert_eq!(key(long, 1), key(long, 1));
    }
}
