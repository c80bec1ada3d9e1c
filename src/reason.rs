//! Why a row got its status: a stable code for scripts and spreadsheet filters, beside the
//! sentence a person reads.
//!
//! The codes are a contract (the `reason_code` column, `--summary-json`'s `reason_codes`, the
//! report's counts): a code is never renamed or reused for another meaning, only added.
//! `docs/reason-codes.md` lists them all; a test keeps that table and [`ReasonCode::ALL`] equal.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The stable name of a reason. Grouped by the status they usually go with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReasonCode {
    // sent
    /// An earlier run's uncertain call was found in Annie: it was placed.
    FoundInAnnie,
    // dry_run
    /// `--dry-run`: this call would be made.
    WouldCall,
    // skipped
    /// A reminder for this appointment (at this time) was already sent.
    AlreadySent,
    /// The same appointment appears on an earlier row with the same details.
    DuplicateRow,
    /// The patient or number asked not to be called.
    OptedOut,
    /// The appointment time has already passed.
    AppointmentPassed,
    /// The appointment is not in the selection window (not tomorrow, say).
    OutsideWindow,
    /// The appointment's status is not one that is called (cancelled, broken, ...).
    NotScheduled,
    /// The appointment is already confirmed.
    AlreadyConfirmed,
    /// Another appointment on the same number is called in this run, and households are off.
    SharedNumber,
    /// A per-number rule (24 hours, 7 or 30 days, a cooldown) does not allow a call now.
    PerNumberLimit,
    // deferred
    /// Outside calling hours (the practice's or the recipient's, or as the API said).
    CallingHours,
    /// Another location called this number earlier in this run, and how that call ended (a
    /// request not to be called?) could not be known before this call's time ran out.
    EarlierCallUnsettled,
    // invalid
    /// The export row could not be read as a record (wrong number of fields, say).
    UnreadableRow,
    /// A required field (appointment id, patient name, location) is empty.
    MissingField,
    /// The patient name cannot be used (too long, not in the configured form).
    InvalidName,
    /// The birth date cannot be read.
    InvalidBirthDate,
    /// No phone column holds a number that may be called.
    NoValidPhone,
    /// The start or end time (or length) cannot be read.
    InvalidTime,
    /// The location column names no configured location.
    UnknownLocation,
    /// The same appointment id appears on several rows with different details.
    ConflictingRows,
    /// A rendered text is longer than the API accepts.
    TextTooLong,
    /// A template could not be rendered for this row.
    TemplateError,
    // failed
    /// The API refused this call (the number, the body, a rule of Annie's).
    RefusedByApi,
    /// The API could not be reached, or kept rate-limiting, so the call was never placed.
    ApiUnreachable,
    /// The API refused the location's credentials.
    CredentialsRefused,
    // not_attempted
    /// `--limit` was reached before this row.
    RunLimit,
    /// The run was interrupted (a signal) before this row.
    Interrupted,
    /// Too many failures in a row: the location stopped sending.
    TooManyFailures,
    /// The run could not record calls (results file or ledger), so it stopped sending.
    CannotRecord,
    /// The location's calls could not be planned or its history not read; nothing was sent.
    NotPlanned,
    // uncertain
    /// A call may or may not have been placed; never resent without a look in Annie.
    MaybePlaced,
    /// A bug: the row was not handled. Please report it.
    Internal,
}

impl ReasonCode {
    /// Every code, in the order of the documentation's table.
    pub const ALL: [ReasonCode; 33] = [
        ReasonCode::FoundInAnnie,
        ReasonCode::WouldCall,
        ReasonCode::AlreadySent,
        ReasonCode::DuplicateRow,
        ReasonCode::OptedOut,
        ReasonCode::AppointmentPassed,
        ReasonCode::OutsideWindow,
        ReasonCode::NotScheduled,
        ReasonCode::AlreadyConfirmed,
        ReasonCode::SharedNumber,
        ReasonCode::PerNumberLimit,
        ReasonCode::CallingHours,
        ReasonCode::EarlierCallUnsettled,
        ReasonCode::UnreadableRow,
        ReasonCode::MissingField,
        ReasonCode::InvalidName,
        ReasonCode::InvalidBirthDate,
        ReasonCode::NoValidPhone,
        ReasonCode::InvalidTime,
        ReasonCode::UnknownLocation,
        ReasonCode::ConflictingRows,
        ReasonCode::TextTooLong,
        ReasonCode::TemplateError,
        ReasonCode::RefusedByApi,
        ReasonCode::ApiUnreachable,
        ReasonCode::CredentialsRefused,
        ReasonCode::RunLimit,
        ReasonCode::Interrupted,
        ReasonCode::TooManyFailures,
        ReasonCode::CannotRecord,
        ReasonCode::NotPlanned,
        ReasonCode::MaybePlaced,
        ReasonCode::Internal,
    ];

    /// The code as written in the results file.
    pub fn as_str(self) -> &'static str {
        match self {
            ReasonCode::FoundInAnnie => "found_in_annie",
            ReasonCode::WouldCall => "would_call",
            ReasonCode::AlreadySent => "already_sent",
            ReasonCode::DuplicateRow => "duplicate_row",
            ReasonCode::OptedOut => "opted_out",
            ReasonCode::AppointmentPassed => "appointment_passed",
            ReasonCode::OutsideWindow => "outside_window",
            ReasonCode::NotScheduled => "not_scheduled",
            ReasonCode::AlreadyConfirmed => "already_confirmed",
            ReasonCode::SharedNumber => "shared_number",
            ReasonCode::PerNumberLimit => "per_number_limit",
            ReasonCode::CallingHours => "calling_hours",
            ReasonCode::EarlierCallUnsettled => "earlier_call_unsettled",
            ReasonCode::UnreadableRow => "unreadable_row",
            ReasonCode::MissingField => "missing_field",
            ReasonCode::InvalidName => "invalid_name",
            ReasonCode::InvalidBirthDate => "invalid_birth_date",
            ReasonCode::NoValidPhone => "no_valid_phone",
            ReasonCode::InvalidTime => "invalid_time",
            ReasonCode::UnknownLocation => "unknown_location",
            ReasonCode::ConflictingRows => "conflicting_rows",
            ReasonCode::TextTooLong => "text_too_long",
            ReasonCode::TemplateError => "template_error",
            ReasonCode::RefusedByApi => "refused_by_api",
            ReasonCode::ApiUnreachable => "api_unreachable",
            ReasonCode::CredentialsRefused => "credentials_refused",
            ReasonCode::RunLimit => "run_limit",
            ReasonCode::Interrupted => "interrupted",
            ReasonCode::TooManyFailures => "too_many_failures",
            ReasonCode::CannotRecord => "cannot_record",
            ReasonCode::NotPlanned => "not_planned",
            ReasonCode::MaybePlaced => "maybe_placed",
            ReasonCode::Internal => "internal",
        }
    }

    /// The code a `reason_code` cell names; `None` for an empty or unknown one.
    pub fn parse(text: &str) -> Option<ReasonCode> {
        ReasonCode::ALL.into_iter().find(|c| c.as_str() == text)
    }

    /// The code in plain words, for a summary or a report ("already confirmed").
    pub fn describe(self) -> &'static str {
        match self {
            ReasonCode::FoundInAnnie => "found in Annie (an earlier run's call)",
            ReasonCode::WouldCall => "would be called",
            ReasonCode::AlreadySent => "reminder already sent",
            ReasonCode::DuplicateRow => "same appointment on an earlier row",
            ReasonCode::OptedOut => "asked not to be called",
            ReasonCode::AppointmentPassed => "appointment already passed",
            ReasonCode::OutsideWindow => "not in the days being called",
            ReasonCode::NotScheduled => "not a scheduled appointment (cancelled, broken, ...)",
            ReasonCode::AlreadyConfirmed => "already confirmed",
            ReasonCode::SharedNumber => "number shared with another appointment called tonight",
            ReasonCode::PerNumberLimit => "number called too recently",
            ReasonCode::CallingHours => "outside calling hours",
            ReasonCode::EarlierCallUnsettled => {
                "another location's call to the number tonight had not ended"
            }
            ReasonCode::UnreadableRow => "row of the export could not be read",
            ReasonCode::MissingField => "required field is empty",
            ReasonCode::InvalidName => "patient name cannot be used",
            ReasonCode::InvalidBirthDate => "birth date cannot be read",
            ReasonCode::NoValidPhone => "no phone number that may be called",
            ReasonCode::InvalidTime => "appointment time cannot be read",
            ReasonCode::UnknownLocation => "unknown location",
            ReasonCode::ConflictingRows => "same appointment id with different details",
            ReasonCode::TextTooLong => "message text too long",
            ReasonCode::TemplateError => "message template failed",
            ReasonCode::RefusedByApi => "refused by Annie",
            ReasonCode::ApiUnreachable => "Annie could not be reached",
            ReasonCode::CredentialsRefused => "API key refused",
            ReasonCode::RunLimit => "run's --limit reached",
            ReasonCode::Interrupted => "run interrupted",
            ReasonCode::TooManyFailures => "too many failures in a row",
            ReasonCode::CannotRecord => "results or ledger could not be written",
            ReasonCode::NotPlanned => "location could not be prepared",
            ReasonCode::MaybePlaced => "call may have been placed",
            ReasonCode::Internal => "internal error",
        }
    }
}

impl fmt::Display for ReasonCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A row's reason: its code and the sentence that explains this row (which rule, which column,
/// when it lifts, what to do).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reason {
    pub code: ReasonCode,
    pub text: String,
}

impl Reason {
    pub fn new(code: ReasonCode, text: impl Into<String>) -> Reason {
        Reason {
            code,
            text: text.into(),
        }
    }

    /// A closure for `map_err`: the error text becomes a reason with this code.
    pub fn with(code: ReasonCode) -> impl Fn(String) -> Reason {
        move |text| Reason::new(code, text)
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_is_listed_once_and_serialises_as_written_in_the_results() {
        let mut names: Vec<&str> = ReasonCode::ALL.iter().map(|c| c.as_str()).collect();
        for code in ReasonCode::ALL {
            assert_eq!(
                serde_json::to_value(code).unwrap(),
                serde_json::Value::String(code.as_str().to_string())
            );
        }
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), ReasonCode::ALL.len());
    }
}
