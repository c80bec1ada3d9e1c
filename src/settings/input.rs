//! `[input]` and `[selection]`: how to read the export, and which of its rows to call.

use std::path::Path;
use std::time::Duration;

use super::value::{bad, duration};
use crate::calling_day::Window;
use crate::config::presets::Preset;
use crate::config::{Column, ColumnsConfig, LoadedConfig};
use crate::export::columns::{Columns, Field};
use crate::export::path;
use crate::export::record::{Format, InputSettings, TextEncoding};

/// The `[selection]` rules.
#[derive(Debug, Clone)]
pub struct Selection {
    pub window: Window,
    /// Compared case-insensitively with the status column; always skipped.
    pub skip_statuses: Vec<String>,
    /// When set, only these statuses are called (compared case-insensitively); any other value,
    /// an empty one included, is skipped with the value named.
    pub call_statuses: Option<Vec<String>>,
    /// Compared case-insensitively with the confirmation column.
    pub confirmed_values: Vec<String>,
}

pub(super) fn selection(config: &LoadedConfig, preset: &Preset) -> anyhow::Result<Selection> {
    let s = &config.file.selection;
    let window = match &s.window {
        None => Window::Tomorrow,
        Some(v) => {
            Window::parse(v.get_ref()).map_err(|m| bad(config, v, "[selection] window", m))?
        }
    };
    let list = |given: &Option<Vec<String>>, default: &[&str]| {
        given
            .clone()
            .unwrap_or_else(|| default.iter().map(|s| s.to_string()).collect())
    };
    let call_statuses = s.call_statuses.clone().or_else(|| {
        let preset = preset.call_statuses.as_ref()?;
        Some(preset.iter().map(|s| s.to_string()).collect())
    });
    // The preset's skip list names the statuses its call list leaves out; an operator who
    // writes their own call list decides alone (it may widen the preset's).
    let skip_default: &[&str] = match s.call_statuses {
        Some(_) => &[],
        None => &preset.skip_statuses,
    };
    Ok(Selection {
        window,
        skip_statuses: list(&s.skip_statuses, skip_default),
        call_statuses,
        confirmed_values: list(&s.confirmed_values, &preset.confirmed_values),
    })
}

pub(super) fn input(
    config: &LoadedConfig,
    preset: &Preset,
    path: &Path,
) -> anyhow::Result<InputSettings> {
    let i = &config.file.input;
    // A directory, a missing file or a workbook are named as such, not as "an unknown format".
    if path.is_dir() || (i.format.is_none() && path::format_from_extension(path).is_none()) {
        path::check_path(path)?;
    }
    let format = match &i.format {
        None => path::format_from_extension(path).ok_or_else(|| {
            anyhow::anyhow!(
                "cannot tell the format of `{}` from its name; set [input] format = \"csv\" or \"json\" in {}",
                path.display(),
                config.path.display()
            )
        })?,
        Some(v) => match v.get_ref().trim().to_ascii_lowercase().as_str() {
            "csv" => Format::Csv,
            "json" | "jsonl" => Format::Json,
            _ => return Err(bad(config, v, "[input] format", format!("`{}` is not csv or json", v.get_ref()))),
        },
    };
    let is_tsv = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("tsv"));
    let delimiter = match &i.delimiter {
        None => {
            if is_tsv {
                b'\t'
            } else {
                b','
            }
        }
        Some(v) => match v.get_ref().as_str() {
            "\\t" | "tab" => b'\t',
            d if d.len() == 1 && d.is_ascii() => d.as_bytes()[0],
            _ => {
                return Err(bad(
                    config,
                    v,
                    "[input] delimiter",
                    format!("`{}` is not a single character", v.get_ref()),
                ))
            }
        },
    };
    let encoding = match &i.encoding {
        None => TextEncoding::Utf8,
        Some(v) => match encoding_rs::Encoding::for_label(v.get_ref().trim().as_bytes()) {
            Some(e) if e == encoding_rs::UTF_8 => TextEncoding::Utf8,
            Some(e) if e == encoding_rs::WINDOWS_1252 => TextEncoding::Windows1252,
            _ => {
                return Err(bad(
                    config,
                    v,
                    "[input] encoding",
                    format!(
                        "`{}` is not supported; use \"utf-8\" or \"windows-1252\"",
                        v.get_ref()
                    ),
                ))
            }
        },
    };
    let mut columns = Columns::from_config(&merge_columns(&preset.columns, &i.columns))
        .map_err(|m| anyhow::anyhow!("{}: [input.columns]: {m}", config.path.display()))?;
    columns.mark_optional(|field| !named_by_operator(&i.columns, field));
    let formats = |given: &Option<Vec<String>>, default: &[&str]| {
        given
            .clone()
            .unwrap_or_else(|| default.iter().map(|s| s.to_string()).collect())
    };
    Ok(InputSettings {
        path: path.to_path_buf(),
        format,
        delimiter,
        encoding,
        columns,
        max_export_age: duration(
            config,
            i.max_export_age.as_ref(),
            "[input] max_export_age",
            Duration::from_secs(24 * 3600),
        )?,
        datetime_formats: formats(&i.datetime_formats, &preset.datetime_formats),
        date_formats: formats(&i.date_formats, &preset.date_formats),
        time_formats: formats(&i.time_formats, &preset.time_formats),
        birth_date_formats: formats(&i.birth_date_formats, &preset.birth_date_formats),
        records: i.records.as_ref().map(|r| r.get_ref().trim().to_string()),
        opt_out_values: Vec::new(),
    })
}

/// The preset's mapping with the operator's keys on top. Setting one side of an either/or pair
/// (`name` vs `first_name`, `start` vs `start_date`, one of the end columns) drops the preset's
/// other side, so overriding a preset never produces a contradiction.
fn merge_columns(preset: &ColumnsConfig, given: &ColumnsConfig) -> ColumnsConfig {
    let mut base = preset.clone();
    if given.name.is_some() {
        (base.first_name, base.last_name) = (None, None);
    }
    if given.first_name.is_some() {
        base.name = None;
    }
    if given.start.is_some() {
        (base.start_date, base.start_time) = (None, None);
    }
    if given.start_date.is_some() || given.start_time.is_some() {
        base.start = None;
    }
    if given.end.is_some() || given.length_minutes.is_some() || given.pattern.is_some() {
        (base.end, base.length_minutes, base.pattern) = (None, None, None);
    }
    let pick = |g: &Option<Column>, b: &Option<Column>| g.clone().or_else(|| b.clone());
    ColumnsConfig {
        appointment_id: pick(&given.appointment_id, &base.appointment_id),
        patient_id: pick(&given.patient_id, &base.patient_id),
        first_name: pick(&given.first_name, &base.first_name),
        last_name: pick(&given.last_name, &base.last_name),
        name: pick(&given.name, &base.name),
        birth_date: pick(&given.birth_date, &base.birth_date),
        phones: given.phones.clone().or(base.phones),
        start: pick(&given.start, &base.start),
        start_date: pick(&given.start_date, &base.start_date),
        start_time: pick(&given.start_time, &base.start_time),
        end: pick(&given.end, &base.end),
        length_minutes: pick(&given.length_minutes, &base.length_minutes),
        pattern: pick(&given.pattern, &base.pattern),
        appointment_type: pick(&given.appointment_type, &base.appointment_type),
        description: pick(&given.description, &base.description),
        status: pick(&given.status, &base.status),
        confirmed: pick(&given.confirmed, &base.confirmed),
        language: pick(&given.language, &base.language),
        location: pick(&given.location, &base.location),
    }
}

/// Whether the operator's `[input.columns]` sets the key of `field` (a column they named must
/// be in the export; a preset's guess need not be).
fn named_by_operator(given: &ColumnsConfig, field: Field) -> bool {
    let key = match field {
        Field::AppointmentId => &given.appointment_id,
        Field::PatientId => &given.patient_id,
        Field::FirstName => &given.first_name,
        Field::LastName => &given.last_name,
        Field::FullName => &given.name,
        Field::BirthDate => &given.birth_date,
        Field::Phone(_) => return given.phones.is_some(),
        Field::Start => &given.start,
        Field::StartDate => &given.start_date,
        Field::StartTime => &given.start_time,
        Field::End => &given.end,
        Field::LengthMinutes => &given.length_minutes,
        Field::Pattern => &given.pattern,
        Field::AppointmentType => &given.appointment_type,
        Field::Description => &given.description,
        Field::Status => &given.status,
        Field::Confirmed => &given.confirmed,
        Field::OptOut(_) => return true,
        Field::Language => &given.language,
        Field::Location => &given.location,
    };
    key.is_some()
}
