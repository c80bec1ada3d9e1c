//! Stage 2: raw records → typed appointments, or a reason the row cannot be used.
//!
//! Pure: no I/O. Every problem becomes a reason a person at the front desk can act on, naming
//! the export column. Reasons never repeat names, birth dates or phone numbers.

mod nanp;
#[rustfmt::skip]
mod nanp_metadata;
pub mod phone;
pub mod policy;
pub mod time;
mod wire;

use chrono::{DateTime, Duration, NaiveDate};
use chrono_tz::Tz;
use compact_str::{format_compact, CompactString};
use serde::{Deserialize, Serialize};

use crate::export::columns::Field;
use crate::export::record::{InputSettings, RawRecord};
use crate::locations::{self, Location};
use crate::practice::Practice;
use crate::reason::{Reason, ReasonCode};
pub use crate::settings::opt_out::{is_affirmative, same_opt_out_word};
pub use phone::Phone;

/// The API's cap on `patientInfo.firstName` / `lastName`.
pub const MAX_NAME_CHARS: usize = 100;

/// One appointment, every value checked and converted. Its texts are short (ids, names, E.164
/// numbers, statuses): as `CompactString`s they are held inline, without an allocation each to
/// make, clone into calls and results, and free, for every row of a large export. Serialised
/// only to be read back by this build (a large export's preview keeps its rows in a temporary
/// file, `engine/spill.rs`; its `Serialize` and `Deserialize` are in `wire/appointment.rs`).
#[derive(Debug, Clone, PartialEq)]
pub struct Appointment {
    pub id: CompactString,
    pub patient_id: Option<CompactString>,
    pub first_name: CompactString,
    pub last_name: Option<CompactString>,
    pub birth_date: Option<NaiveDate>,
    pub phone: Phone,
    /// The later phone columns that also hold a number the practice may call, in column order
    /// (column, number): tried when `phone` is resting (see [`crate::guard`]).
    pub other_phones: Vec<(CompactString, Phone)>,
    /// The phone columns holding a valid number the practice may not call (toll-free, a
    /// country or type it does not call), in column order (column, E.164): never called, but a
    /// request not to be called on one of them keeps the row from being called on any (see
    /// [`Appointment::other_numbers`]).
    pub uncallable_numbers: Vec<(CompactString, CompactString)>,
    pub start: DateTime<Tz>,
    pub end: Option<DateTime<Tz>>,
    pub appointment_type: Option<CompactString>,
    pub description: Option<CompactString>,
    pub status: Option<CompactString>,
    pub confirmed: Option<CompactString>,
    /// Set when an opt-out column says "do not call": which column and value.
    pub opt_out: Option<CompactString>,
    /// The language column's value, as exported.
    pub language: Option<CompactString>,
    /// When `phone` is not from the first phone column holding a value: which column it is
    /// from, and why each one before it cannot be called (never the numbers), for the row's
    /// reason: the office learns a record holds a number that cannot be called.
    pub phone_note: Option<CompactString>,
    /// Index of its location in the settings' list (0 for a single practice).
    pub location: usize,
}

impl Appointment {
    /// Every number of the row but the one it is called on, with its column, in column order:
    /// the other numbers the practice may call, then those it may not. An opt-out of any of
    /// them keeps the row from being called (see [`crate::optout`] and [`crate::guard`]).
    pub fn other_numbers(&self) -> impl Iterator<Item = (&str, &str)> {
        let callable = self
            .other_phones
            .iter()
            .map(|(column, phone)| (column.as_str(), phone.e164.as_str()));
        let uncallable = self
            .uncallable_numbers
            .iter()
            .map(|(column, e164)| (column.as_str(), e164.as_str()));
        callable.chain(uncallable)
    }

    /// Every valid number in the row's phone columns, E.164, the one it is called on first.
    pub fn numbers(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.phone.e164.as_str()).chain(self.other_numbers().map(|(_, n)| n))
    }
}

/// A row that cannot become an appointment. The id is kept when the row had one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Unusable {
    pub appointment_id: Option<CompactString>,
    pub reason: Reason,
    /// The numbers its opt-out column says not to call, when it has one (see
    /// [`opted_out_numbers`]): the row is not called, but its opt-out still covers them.
    pub opted_out: Vec<String>,
    /// Its opt-out column says its patient asked not to be called: the row is `skipped` for
    /// that, not `invalid` (nobody need mend a row no run would call), and the reason says
    /// what else is wrong with it.
    pub asked_not_to_be_called: bool,
    /// The location its location column names, when that is a configured one: a group's office
    /// counts the row under it, and finds it in its location's part of the report.
    pub location: Option<usize>,
    /// Its appointment's start (seconds since 1970, UTC), when its location and start time can
    /// be read (the row is unusable for another reason): it still says which day the export is
    /// about, for the check that the export is the right day's (see
    /// [`crate::select::days_seen`]).
    pub start: Option<i64>,
}

/// A row after this stage: its input line and what it became. The appointment is boxed here,
/// once, and stays in that box through every later stage: a large export is not copied again.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Normalised {
    pub row: u64,
    pub result: Result<Box<Appointment>, Unusable>,
}

impl Normalised {
    /// The numbers this row's opt-out column says not to call: every valid number in its phone
    /// columns, whether or not the row itself can be called (see [`opted_out_numbers`]). Empty
    /// for a row without an opt-out.
    pub fn opted_out_numbers(&self) -> Vec<&str> {
        match &self.result {
            Ok(a) if a.opt_out.is_some() => a.numbers().collect(),
            Ok(_) => Vec::new(),
            Err(unusable) => unusable.opted_out.iter().map(String::as_str).collect(),
        }
    }
}

/// Normalises every record, in order (rows are independent, so this runs on every core).
pub fn normalise_all(
    records: Vec<RawRecord>,
    input: &InputSettings,
    locations: &[Location],
) -> Vec<Normalised> {
    use rayon::prelude::*;
    records
        .into_par_iter()
        .map(|record| normalise_row(&record, input, locations))
        .collect()
}

/// One record, normalised: its appointment, or why it has none (with its id and its opt-out).
pub fn normalise_row(
    record: &RawRecord,
    input: &InputSettings,
    locations: &[Location],
) -> Normalised {
    Normalised {
        row: record.row,
        result: normalise(record, input, locations)
            .map(Box::new)
            .map_err(|reason| unusable(record, input, locations, reason)),
    }
}

/// A row that cannot become an appointment, and why. When its opt-out column says not to call,
/// the opt-out is the reason (see [`Unusable::asked_not_to_be_called`]).
fn unusable(
    record: &RawRecord,
    input: &InputSettings,
    locations: &[Location],
    reason: Reason,
) -> Unusable {
    let (reason, asked_not_to_be_called) = match opt_out(record, input) {
        Some(rule) => {
            let text = format!(
                "opted out ({rule}); the row could not have been called anyway: {}",
                reason.text
            );
            (Reason::new(ReasonCode::OptedOut, text), true)
        }
        None => (reason, false),
    };
    let label = |field: Field| label(input, field);
    let location = locate(record, locations, &label).ok();
    let start = location.and_then(|l| {
        let tz = locations[l].practice.timezone;
        start_time(record, input, tz, &label)
            .ok()
            .map(|t| t.timestamp())
    });
    Unusable {
        appointment_id: record.get(Field::AppointmentId).map(CompactString::from),
        reason,
        opted_out: opted_out_numbers(record, input, locations),
        asked_not_to_be_called,
        location,
        start,
    }
}

/// A field's column as the export names it (the key, when it has no column).
fn label(input: &InputSettings, field: Field) -> String {
    input
        .columns
        .column(field)
        .unwrap_or(field.key())
        .to_string()
}

/// For a row whose opt-out column says "do not call": every valid number in its phone columns
/// (E.164, in column order, each once), whatever its type or country. The request is the
/// patient's, and every number on the row is theirs: none of them is called, for this row or
/// any other that has it (a child's row with the mother's home line). Used for a row that
/// cannot be called (a time that is not one, an empty first name, ...): a row the office has
/// not cleaned up is no reason to call the numbers its patient asked us not to. A valid row's
/// numbers are the same ([`Appointment::numbers`]). When the row's location cannot be read,
/// its numbers are read in every location's region.
pub fn opted_out_numbers(
    record: &RawRecord,
    input: &InputSettings,
    locations: &[Location],
) -> Vec<String> {
    if opt_out(record, input).is_none() {
        return Vec::new();
    }
    let regions: Vec<_> = match locate(record, locations, &|field| label(input, field)) {
        Ok(i) => vec![locations[i].practice.phone_region],
        Err(_) => locations.iter().map(|l| l.practice.phone_region).collect(),
    };
    let mut numbers: Vec<String> = Vec::new();
    for (field, _) in input.columns.phones() {
        let Some(text) = record.get(field) else {
            continue;
        };
        for region in &regions {
            if let Ok(phone) = phone::parse(text, *region) {
                if !numbers.iter().any(|n| *n == phone.e164) {
                    numbers.push(phone.e164.into());
                }
            }
        }
    }
    numbers
}

/// Turns one record into an appointment; `Err` is the reason for the `invalid` result.
pub fn normalise(
    record: &RawRecord,
    input: &InputSettings,
    locations: &[Location],
) -> Result<Appointment, Reason> {
    use ReasonCode::*;
    if let Some(problem) = &record.problem {
        return Err(Reason::new(UnreadableRow, problem.clone()));
    }
    let columns = &input.columns;
    let label = |field: Field| columns.column(field).unwrap_or(field.key()).to_string();
    let required = |field: Field, what: &str| {
        record
            .get(field)
            .map(CompactString::from)
            .ok_or_else(|| format!("{what} ({}) is empty", label(field)))
    };
    let optional = |field: Field| record.get(field).map(CompactString::from);

    let id =
        required(Field::AppointmentId, "appointment id").map_err(Reason::with(MissingField))?;
    let location = locate(record, locations, &label)?;
    let practice = &locations[location].practice;
    let full_name_mapped = columns.column(Field::FullName).is_some();
    let (first_name, last_name) = names(record, full_name_mapped, &label)?;
    for (name, field) in [
        (Some(&first_name), Field::FirstName),
        (last_name.as_ref(), Field::LastName),
    ] {
        let length = name.map_or(0, |n| n.chars().count());
        if length > MAX_NAME_CHARS {
            let field = if full_name_mapped {
                Field::FullName
            } else {
                field
            };
            return Err(Reason::new(
                InvalidName,
                format!(
                    "{} ({}) is {length} characters; the API accepts at most {MAX_NAME_CHARS}",
                    if field == Field::LastName {
                        "last name"
                    } else {
                        "first name"
                    },
                    label(field)
                ),
            ));
        }
    }

    let birth_date = match record.get(Field::BirthDate) {
        None => None,
        Some(text) => time::parse_birth_date(text, &input.birth_date_formats).map_err(|e| {
            Reason::new(
                InvalidBirthDate,
                format!("birth date ({}) {e}", label(Field::BirthDate)),
            )
        })?,
    };

    let (phone, other_phones, uncallable_numbers, phone_note) =
        usable_phones(record, input, practice).map_err(Reason::with(NoValidPhone))?;
    let start =
        start_time(record, input, practice.timezone, &label).map_err(Reason::with(InvalidTime))?;
    let end = end_time(record, input, practice.timezone, start, &label)
        .map_err(Reason::with(InvalidTime))?;

    Ok(Appointment {
        id,
        patient_id: optional(Field::PatientId),
        first_name,
        last_name,
        birth_date,
        phone,
        other_phones,
        uncallable_numbers,
        phone_note,
        start,
        end,
        appointment_type: optional(Field::AppointmentType),
        description: optional(Field::Description),
        // A mapped status column left blank is an empty status (not "no status"), so that a
        // call list (`[selection] call_statuses`) skips it rather than calling it.
        status: optional(Field::Status).or_else(|| {
            columns
                .column(Field::Status)
                .map(|_| CompactString::default())
        }),
        confirmed: optional(Field::Confirmed),
        opt_out: opt_out(record, input),
        language: optional(Field::Language),
        location,
    })
}

/// The row's location: always the one practice without `[[locations]]`; otherwise the entry whose
/// id is in the location column.
fn locate(
    record: &RawRecord,
    locations: &[Location],
    label: &dyn Fn(Field) -> String,
) -> Result<usize, Reason> {
    if !locations::grouped(locations) {
        return Ok(0);
    }
    let column = label(Field::Location);
    let value = record.get(Field::Location).ok_or_else(|| {
        Reason::new(
            ReasonCode::MissingField,
            format!("location ({column}) is empty"),
        )
    })?;
    locations::find(locations, value).ok_or_else(|| {
        let ids: Vec<&str> = locations.iter().map(|l| l.id.as_str()).collect();
        let text = format!(
            "location ({column}) `{value}` is not a configured location ({}); add a [[locations]] \
             entry with id = \"{value}\" or correct the export",
            ids.join(", ")
        );
        Reason::new(ReasonCode::UnknownLocation, text)
    })
}

/// Which opt-out column says "do not call", and with what: one of `[optout] values`, or a plain
/// affirmative (`Y`, `TRUE`, ...), which in a column named as an opt-out column can only mean
/// that (erring toward not calling).
fn opt_out(record: &RawRecord, input: &InputSettings) -> Option<CompactString> {
    input.columns.opt_out_columns().find_map(|(field, column)| {
        let value = record.get(field)?;
        let listed = input
            .opt_out_values
            .iter()
            .any(|v| same_opt_out_word(v, value));
        (listed || is_affirmative(value)).then(|| format_compact!("{column} is {value}"))
    })
}

fn names(
    record: &RawRecord,
    full_name_mapped: bool,
    label: &dyn Fn(Field) -> String,
) -> Result<(CompactString, Option<CompactString>), Reason> {
    let missing = Reason::with(ReasonCode::MissingField);
    let invalid = Reason::with(ReasonCode::InvalidName);
    if !full_name_mapped {
        let first = record
            .get(Field::FirstName)
            .ok_or_else(|| missing(format!("first name ({}) is empty", label(Field::FirstName))))?;
        return Ok((
            first.into(),
            record.get(Field::LastName).map(CompactString::from),
        ));
    }
    let column = label(Field::FullName);
    let full = record
        .get(Field::FullName)
        .ok_or_else(|| missing(format!("patient name ({column}) is empty")))?;
    let (last, first) = full.split_once(',').ok_or_else(|| {
        invalid(format!(
            "patient name ({column}) is not in \"Last, First\" form"
        ))
    })?;
    let (first, last) = (first.trim(), last.trim());
    if first.is_empty() {
        return Err(invalid(format!(
            "patient name ({column}) has no first name after the comma"
        )));
    }
    Ok((first.into(), (!last.is_empty()).then(|| last.into())))
}

/// A row's numbers: the one to call, the others the practice may call (column, number), those
/// it may not (column, E.164), and why the columns before the one called were passed over; see
/// [`usable_phones`].
type RowPhones = (
    Phone,
    Vec<(CompactString, Phone)>,
    Vec<(CompactString, CompactString)>,
    Option<CompactString>,
);

/// The first phone column holding a number the practice may call: valid, spelled in digits, of
/// a type a patient answers, in a country the practice calls; the later columns that do too
/// (column, number); and the columns holding a valid number it may not call (column, E.164),
/// each number once. Each unusable column before the first says why.
fn usable_phones(
    record: &RawRecord,
    input: &InputSettings,
    practice: &Practice,
) -> Result<RowPhones, String> {
    let mut first: Option<Phone> = None;
    // The column's name only for the later numbers (the first one's is not kept).
    let mut others: Vec<(CompactString, Phone)> = Vec::new();
    let mut uncallable: Vec<(CompactString, CompactString)> = Vec::new();
    // Why each column with a value before the first usable one cannot be called (rare: the
    // texts are made only then).
    let mut passed_over: Vec<String> = Vec::new();
    let mut note = None;
    for (field, column) in input.columns.phones() {
        let Some(text) = record.get(field) else {
            continue;
        };
        let number = match phone::classify(text, practice.phone_region) {
            Ok(number) => number,
            Err(problem) => {
                if first.is_none() {
                    passed_over.push(format!("{column} {}", problem.describe()));
                }
                continue;
            }
        };
        match (practice.phone_policy.refusal(&number), &first) {
            (None, None) => {
                first = Some(number.phone);
                if !passed_over.is_empty() {
                    let why = passed_over.join(", ");
                    note = Some(format!("{why}; called on {column} instead").into());
                }
            }
            (None, Some(f)) => {
                let seen = f.e164 == number.phone.e164
                    || others.iter().any(|(_, p)| p.e164 == number.phone.e164);
                if !seen {
                    others.push((column.into(), number.phone));
                }
            }
            (Some(problem), _) => {
                if first.is_none() {
                    passed_over.push(format!("{column} {}", problem.describe()));
                }
                // Refused by the policy, so never the same number as a usable one.
                if !uncallable.iter().any(|(_, n)| *n == number.phone.e164) {
                    uncallable.push((column.into(), number.phone.e164));
                }
            }
        }
    }
    if let Some(first) = first {
        return Ok((first, others, uncallable, note));
    }
    let mut notes = Vec::new();
    for (field, column) in input.columns.phones() {
        let Some(text) = record.get(field) else {
            notes.push(format!("{column} is empty"));
            continue;
        };
        let problem = match phone::classify(text, practice.phone_region) {
            Ok(number) => match practice.phone_policy.refusal(&number) {
                // Usable: returned above (not reached; nothing to note).
                None => continue,
                Some(problem) => problem,
            },
            Err(problem) => problem,
        };
        notes.push(format!("{column} {}", problem.describe()));
    }
    Err(format!("no usable phone number: {}", notes.join(", ")))
}

fn start_time(
    record: &RawRecord,
    input: &InputSettings,
    tz: Tz,
    label: &dyn Fn(Field) -> String,
) -> Result<DateTime<Tz>, String> {
    if input.columns.column(Field::Start).is_some() {
        let text = record
            .get(Field::Start)
            .ok_or_else(|| format!("start time ({}) is empty", label(Field::Start)))?;
        return time::parse_datetime(text, &input.datetime_formats, tz)
            .map_err(|e| format!("start time ({}) {e}", label(Field::Start)));
    }
    let date = record
        .get(Field::StartDate)
        .ok_or_else(|| format!("start date ({}) is empty", label(Field::StartDate)))?;
    let clock = record
        .get(Field::StartTime)
        .ok_or_else(|| format!("start time ({}) is empty", label(Field::StartTime)))?;
    time::parse_date_and_time(date, clock, &input.date_formats, &input.time_formats, tz).map_err(
        |e| {
            format!(
                "start ({} + {}) {e}",
                label(Field::StartDate),
                label(Field::StartTime)
            )
        },
    )
}

fn end_time(
    record: &RawRecord,
    input: &InputSettings,
    tz: Tz,
    start: DateTime<Tz>,
    label: &dyn Fn(Field) -> String,
) -> Result<Option<DateTime<Tz>>, String> {
    let minutes = if let Some(text) = record.get(Field::End) {
        let end = time::parse_datetime(text, &input.datetime_formats, tz)
            .map_err(|e| format!("end time ({}) {e}", label(Field::End)))?;
        if end <= start {
            return Err(format!(
                "end time ({}) is not after the start time",
                label(Field::End)
            ));
        }
        return Ok(Some(end));
    } else if let Some(text) = record.get(Field::LengthMinutes) {
        time::length_minutes(text)
            .map_err(|e| format!("length ({}) {e}", label(Field::LengthMinutes)))?
    } else if let Some(text) = record.get(Field::Pattern) {
        time::pattern_minutes(text)
            .map_err(|e| format!("time pattern ({}) {e}", label(Field::Pattern)))?
    } else {
        return Ok(None);
    };
    Ok((minutes > 0).then(|| later(start, minutes)))
}

/// `start + minutes`, placed in its zone as a row read back from a file is ([`wire::placed`]):
/// an export has a few hundred distinct end times, and placing one in its zone (a search of
/// the zone's changes) was a third of working out the end.
fn later(start: DateTime<Tz>, minutes: i64) -> DateTime<Tz> {
    (minutes.checked_mul(60))
        .and_then(|seconds| start.timestamp().checked_add(seconds))
        .and_then(|seconds| wire::placed(seconds, start.timestamp_subsec_nanos(), start.timezone()))
        .unwrap_or_else(|| start + Duration::minutes(minutes))
}

#[cfg(test)]
mod tests {
    use super::same_opt_out_word;

    #[test]
    fn an_end_is_its_start_and_minutes_later_in_the_start_s_zone() {
        use chrono::TimeZone;
        let zone = chrono_tz::America::Chicago;
        // The night clocks fall back (the first 01:30 and the second), the next day, and the
        // same end again (remembered by then).
        let start = zone
            .with_ymd_and_hms(2026, 11, 1, 0, 45, 0)
            .single()
            .unwrap();
        for minutes in [30, 75, 135, 24 * 60, 75] {
            let end = super::later(start, minutes);
            let expected = start + chrono::Duration::minutes(minutes);
            assert_eq!(end, expected);
            assert_eq!(end.timezone(), zone);
            assert_eq!(end.to_rfc3339(), expected.to_rfc3339());
        }
    }

    #[test]
    fn opt_out_words_compare_without_case_spaces_or_punctuation() {
        assert!(same_opt_out_word("DoNotCall", "Do Not Call"));
        assert!(same_opt_out_word("do_not_call", "DONOTCALL"));
        assert!(same_opt_out_word("1", " 1 "));
        assert!(!same_opt_out_word("DoNotCall", "DoNotCall2"));
        assert!(
            !same_opt_out_word("", ""),
            "an empty value is never an opt-out"
        );
        assert!(!same_opt_out_word("--", "  "));
    }
}
