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

use chrono::{DateTime, Duration, NaiveDate};
use chrono_tz::Tz;

use crate::export::columns::Field;
use crate::export::record::{InputSettings, RawRecord};
use crate::locations::{self, Location};
use crate::practice::Practice;
use crate::reason::{Reason, ReasonCode};
pub use crate::settings::opt_out::same_opt_out_word;
pub use phone::Phone;

/// The API's cap on `patientInfo.firstName` / `lastName`.
pub const MAX_NAME_CHARS: usize = 100;

/// One appointment, every value checked and converted.
#[derive(Debug, Clone, PartialEq)]
pub struct Appointment {
    pub id: String,
    pub patient_id: Option<String>,
    pub first_name: String,
    pub last_name: Option<String>,
    pub birth_date: Option<NaiveDate>,
    pub phone: Phone,
    /// The later phone columns that also hold a number the practice may call, in column order
    /// (column, number): tried when `phone` is resting (see [`crate::guard`]).
    pub other_phones: Vec<(String, Phone)>,
    pub start: DateTime<Tz>,
    pub end: Option<DateTime<Tz>>,
    pub appointment_type: Option<String>,
    pub description: Option<String>,
    pub status: Option<String>,
    pub confirmed: Option<String>,
    /// Set when an opt-out column says "do not call": which column and value.
    pub opt_out: Option<String>,
    /// The language column's value, as exported.
    pub language: Option<String>,
    /// Index of its location in the settings' list (0 for a single practice).
    pub location: usize,
}

/// A row that cannot become an appointment. The id is kept when the row had one.
#[derive(Debug, Clone, PartialEq)]
pub struct Unusable {
    pub appointment_id: Option<String>,
    pub reason: Reason,
    /// The number its opt-out column says not to call, when it has one (see
    /// [`opted_out_number`]): the row is not called, but its opt-out still covers the number.
    pub opted_out: Option<String>,
}

/// A row after this stage: its input line and what it became. The appointment is boxed here,
/// once, and stays in that box through every later stage: a large export is not copied again.
#[derive(Debug, Clone, PartialEq)]
pub struct Normalised {
    pub row: u64,
    pub result: Result<Box<Appointment>, Unusable>,
}

impl Normalised {
    /// The number this row's opt-out column says not to call, whether or not the row itself
    /// can be called (see [`opted_out_number`]).
    pub fn opted_out_number(&self) -> Option<&str> {
        match &self.result {
            Ok(a) => a.opt_out.as_ref().map(|_| a.phone.e164.as_str()),
            Err(unusable) => unusable.opted_out.as_deref(),
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
            .map_err(|reason| Unusable {
                appointment_id: record.get(Field::AppointmentId).map(str::to_string),
                reason,
                opted_out: opted_out_number(record, input, locations),
            }),
    }
}

/// For a row that cannot be called (a time that is not one, an empty first name, ...) but whose
/// opt-out column says "do not call": the number a valid row would have been called on (the
/// first one the practice may call), so that the opt-out still covers everyone sharing it. A row
/// the office has not cleaned up is no reason to call the number its patient asked us not to.
/// When the row's location cannot be read, the first location whose practice may call one of
/// its numbers decides.
pub fn opted_out_number(
    record: &RawRecord,
    input: &InputSettings,
    locations: &[Location],
) -> Option<String> {
    opt_out(record, input)?;
    let label = |field: Field| {
        input
            .columns
            .column(field)
            .unwrap_or(field.key())
            .to_string()
    };
    let practices: Vec<&Practice> = match locate(record, locations, &label) {
        Ok(i) => vec![&locations[i].practice],
        Err(_) => locations.iter().map(|l| &l.practice).collect(),
    };
    practices.into_iter().find_map(|practice| {
        usable_phones(record, input, practice)
            .ok()
            .map(|(phone, _)| phone.e164)
    })
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
            .map(str::to_string)
            .ok_or_else(|| format!("{what} ({}) is empty", label(field)))
    };
    let optional = |field: Field| record.get(field).map(str::to_string);

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

    let (phone, other_phones) =
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
        start,
        end,
        appointment_type: optional(Field::AppointmentType),
        description: optional(Field::Description),
        // A mapped status column left blank is an empty status (not "no status"), so that a
        // call list (`[selection] call_statuses`) skips it rather than calling it.
        status: optional(Field::Status)
            .or_else(|| columns.column(Field::Status).map(|_| String::new())),
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

fn opt_out(record: &RawRecord, input: &InputSettings) -> Option<String> {
    input.columns.opt_out_columns().find_map(|(field, column)| {
        let value = record.get(field)?;
        input
            .opt_out_values
            .iter()
            .any(|v| same_opt_out_word(v, value))
            .then(|| format!("{column} is {value}"))
    })
}

fn names(
    record: &RawRecord,
    full_name_mapped: bool,
    label: &dyn Fn(Field) -> String,
) -> Result<(String, Option<String>), Reason> {
    let missing = Reason::with(ReasonCode::MissingField);
    let invalid = Reason::with(ReasonCode::InvalidName);
    if !full_name_mapped {
        let first = record
            .get(Field::FirstName)
            .ok_or_else(|| missing(format!("first name ({}) is empty", label(Field::FirstName))))?;
        return Ok((
            first.to_string(),
            record.get(Field::LastName).map(str::to_string),
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
    Ok((
        first.to_string(),
        (!last.is_empty()).then(|| last.to_string()),
    ))
}

/// The first phone column holding a number the practice may call: valid, spelled in digits, of
/// a type a patient answers, in a country the practice calls; and the later columns that do too
/// (column, number). Each unusable column before the first says why.
fn usable_phones(
    record: &RawRecord,
    input: &InputSettings,
    practice: &Practice,
) -> Result<(Phone, Vec<(String, Phone)>), String> {
    let mut notes = Vec::new();
    let mut usable = input.columns.phones().filter_map(|(field, column)| {
        let number = phone::classify(record.get(field)?, practice.phone_region).ok()?;
        match practice.phone_policy.refusal(&number) {
            None => Some((column, number.phone)),
            Some(_) => None,
        }
    });
    let first = usable.next();
    // The column's name only for the later numbers (the first one's is not kept).
    let mut others: Vec<(String, Phone)> = usable
        .map(|(column, phone)| (column.to_string(), phone))
        .collect();
    if let Some((_, first)) = first {
        others.retain(|(_, p)| p.e164 != first.e164);
        others.dedup_by(|a, b| a.1.e164 == b.1.e164);
        return Ok((first, others));
    }
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
    Ok((minutes > 0).then(|| start + Duration::minutes(minutes)))
}

#[cfg(test)]
mod tests {
    use super::same_opt_out_word;

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
