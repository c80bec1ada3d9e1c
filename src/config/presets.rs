//! Column mappings and formats for the exports practices really produce.
//!
//! An operator writes `preset = "opendental"` and overrides only what differs in their export.
//! Everything here is a default: any key in the config file wins over the preset.

use super::{Column, ColumnName, ColumnsConfig};

/// Defaults a preset contributes. `None` means "the preset has no opinion".
#[derive(Debug, Default)]
pub struct Preset {
    pub columns: ColumnsConfig,
    pub datetime_formats: Vec<&'static str>,
    pub date_formats: Vec<&'static str>,
    pub time_formats: Vec<&'static str>,
    pub birth_date_formats: Vec<&'static str>,
    pub skip_statuses: Vec<&'static str>,
    /// The statuses that mean "scheduled": anything else is skipped, naming the value. `None`
    /// (no preset) calls every status that `skip_statuses` does not skip.
    pub call_statuses: Option<Vec<&'static str>>,
    pub confirmed_values: Vec<&'static str>,
    /// Columns that mark a patient who must not be called, read when the export has them and
    /// `[optout] columns` is not set, with the values that mean "do not call" there.
    pub opt_out_columns: Vec<&'static str>,
    pub opt_out_values: Vec<&'static str>,
    /// The values of those columns known to mean something else (another way to contact the
    /// patient): not warned about as values nothing recognises.
    pub opt_out_other_values: Vec<&'static str>,
}

/// The names accepted by `[input] preset`.
pub const NAMES: &[&str] = &["opendental", "dentrix"];

/// Looks a preset up by name; `None` for an unknown name (the caller lists [`NAMES`]).
pub fn by_name(name: &str) -> Option<Preset> {
    match name {
        "opendental" => Some(open_dental()),
        "dentrix" => Some(dentrix()),
        _ => None,
    }
}

/// Defaults used without a preset: common formats, no column mapping.
pub fn generic() -> Preset {
    Preset {
        datetime_formats: vec![
            "%Y-%m-%d %H:%M:%S",
            "%Y-%m-%d %H:%M",
            "%Y-%m-%dT%H:%M:%S",
            "%Y-%m-%dT%H:%M",
            "%m/%d/%Y %I:%M %p",
            "%m/%d/%Y %I:%M:%S %p",
            "%m/%d/%Y %H:%M",
            // Two-digit years, as Excel writes them (`11/24/26 3:00 PM`): 00–68 are 2000–2068.
            "%m/%d/%y %I:%M %p",
            "%m/%d/%y %I:%M:%S %p",
            "%m/%d/%y %H:%M",
        ],
        date_formats: vec!["%Y-%m-%d", "%m/%d/%Y", "%m/%d/%y"],
        time_formats: vec!["%H:%M:%S", "%H:%M", "%I:%M %p", "%I:%M:%S %p"],
        birth_date_formats: vec!["%Y-%m-%d", "%m/%d/%Y"],
        skip_statuses: vec![
            "Broken",
            "Cancelled",
            "Canceled",
            "Complete",
            "Completed",
            "No Show",
            "UnschedList",
        ],
        confirmed_values: vec!["Confirmed"],
        opt_out_columns: Vec::new(),
        opt_out_values: Vec::new(),
        ..Preset::default()
    }
}

fn cols(pairs: &[(&str, &str)], phones: &[&str]) -> ColumnsConfig {
    let mut c = ColumnsConfig {
        phones: Some(phones.iter().map(|s| ColumnName(s.to_string())).collect()),
        ..ColumnsConfig::default()
    };
    for (field, column) in pairs {
        let slot = match *field {
            "appointment_id" => &mut c.appointment_id,
            "patient_id" => &mut c.patient_id,
            "first_name" => &mut c.first_name,
            "last_name" => &mut c.last_name,
            "name" => &mut c.name,
            "birth_date" => &mut c.birth_date,
            "start" => &mut c.start,
            "start_date" => &mut c.start_date,
            "start_time" => &mut c.start_time,
            "length_minutes" => &mut c.length_minutes,
            "pattern" => &mut c.pattern,
            "appointment_type" => &mut c.appointment_type,
            "description" => &mut c.description,
            "status" => &mut c.status,
            "confirmed" => &mut c.confirmed,
            other => unreachable!("preset names unknown field {other}"),
        };
        *slot = Some(Column::Named(column.to_string()));
    }
    c
}

/// Open Dental user-query export of appointments joined with patients. Accepts both the raw
/// export (`2026-11-25 15:00:00`, numeric `AptStatus`) and the human-readable one (the PC's short
/// date such as `11/25/2026 3:00 PM`, status names). `Birthdate` `0001-01-01` means "none".
fn open_dental() -> Preset {
    Preset {
        columns: cols(
            &[
                ("appointment_id", "AptNum"),
                ("patient_id", "PatNum"),
                ("first_name", "FName"),
                ("last_name", "LName"),
                ("birth_date", "Birthdate"),
                ("start", "AptDateTime"),
                ("pattern", "Pattern"),
                ("description", "ProcDescript"),
                ("status", "AptStatus"),
                ("confirmed", "Confirmed"),
            ],
            &["WirelessPhone", "HmPhone", "WkPhone"],
        ),
        datetime_formats: vec![
            "%Y-%m-%d %H:%M:%S",
            "%m/%d/%Y %I:%M %p",
            "%m/%d/%Y %I:%M:%S %p",
            "%m/%d/%y %I:%M %p",
            "%m/%d/%y %I:%M:%S %p",
            // The export opened and saved again in Excel: `11/24/2026 9:00`, 24-hour, no seconds.
            "%m/%d/%Y %H:%M",
            "%m/%d/%y %H:%M",
        ],
        birth_date_formats: vec!["%Y-%m-%d", "%m/%d/%Y"],
        // AptStatus: 0 None, 1 Scheduled, 2 Complete, 3 UnschedList, 4 ASAP, 5 Broken, 6 Planned,
        // 7 PtNote, 8 PtNoteCompleted. Only Scheduled and ASAP are real upcoming visits.
        skip_statuses: vec![
            "None",
            "Complete",
            "UnschedList",
            "Broken",
            "Planned",
            "PtNote",
            "PtNoteCompleted",
            "0",
            "2",
            "3",
            "5",
            "6",
            "7",
            "8",
        ],
        // Only these are upcoming visits; a status the practice added (or a human-readable
        // "Cancelled") is skipped with its value rather than called.
        call_statuses: Some(vec!["Scheduled", "ASAP", "1", "4"]),
        // `Confirmed` names come from the practice's own definition list; these are the stock ones.
        confirmed_values: vec!["Appointment Confirmed", "Confirmed"],
        // patient.PreferConfirmMethod / PreferContactMethod (ContactMethod: 0 None, 1 DoNotCall,
        // 2 HmPhone, ...): Open Dental's own "do not call" mark, by name or number.
        opt_out_columns: vec!["PreferConfirmMethod", "PreferContactMethod"],
        opt_out_values: vec!["DoNotCall", "1"],
        // The rest of ContactMethod: 0 None, 2 HmPhone, 3 WkPhone, 4 WirelessPh, 5 Email,
        // 6 SeeNotes, 7 Mail, 8 TextMessage.
        opt_out_other_values: vec![
            "None",
            "HmPhone",
            "WkPhone",
            "WirelessPh",
            "Email",
            "SeeNotes",
            "Mail",
            "TextMessage",
            "0",
            "2",
            "3",
            "4",
            "5",
            "6",
            "7",
            "8",
        ],
        ..generic()
    }
}

/// A Dentrix-style appointment list report: one "Last, First" name column, date and time in
/// separate columns, length in minutes, Dentrix status codes (`FIRM` = confirmed).
fn dentrix() -> Preset {
    Preset {
        columns: cols(
            &[
                ("appointment_id", "Appt ID"),
                ("patient_id", "Patient ID"),
                ("name", "Patient Name"),
                ("birth_date", "Birth Date"),
                ("start_date", "Appt Date"),
                ("start_time", "Appt Time"),
                ("length_minutes", "Length"),
                ("appointment_type", "Appt Type"),
                ("description", "Reason"),
                ("status", "Status"),
                ("confirmed", "Status"),
            ],
            &["Mobile Phone", "Home Phone", "Work Phone"],
        ),
        date_formats: vec!["%m/%d/%Y", "%Y-%m-%d", "%m/%d/%y"],
        time_formats: vec!["%I:%M %p", "%H:%M"],
        birth_date_formats: vec!["%m/%d/%Y", "%Y-%m-%d"],
        skip_statuses: vec!["Broken", "Wait/Will Call", "Complete", "No Show"],
        // Dentrix's status column holds confirmation codes on scheduled visits (`??????`
        // unconfirmed, `FIRM` confirmed, `LMM`/`LMP` message left, ...) and Ascend's words for
        // them; `FIRM` (and Ascend's `Confirmed`) is then skipped as already confirmed. HERE, READY, Checkout, ... are
        // patients already in the office: not called.
        call_statuses: Some(vec![
            "??????",
            "FIRM",
            "FIRM-E",
            "LMM",
            "LMP",
            "MULTI",
            "NOFLEX",
            "EMERGENCY",
            "Unconfirmed",
            "Confirmed",
            "Left Message",
            "Scheduled",
        ]),
        confirmed_values: vec!["FIRM", "FIRM-E", "Confirmed"],
        opt_out_columns: Vec::new(),
        opt_out_values: Vec::new(),
        ..generic()
    }
}
