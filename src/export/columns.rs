//! Which column of the export holds which of our fields.

use crate::config::ColumnsConfig;

/// A field the pipeline understands. Several export columns may feed one kind of field
/// (phones, in order of preference), hence the index on [`Field::Phone`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    AppointmentId,
    PatientId,
    FirstName,
    LastName,
    /// One "Last, First" column instead of two.
    FullName,
    BirthDate,
    Phone(u8),
    Start,
    StartDate,
    StartTime,
    End,
    LengthMinutes,
    /// Open Dental's time pattern: one character per 5 minutes.
    Pattern,
    AppointmentType,
    Description,
    Status,
    Confirmed,
    /// A column that can mark the patient "do not call" (`[optout] columns`).
    OptOut(u8),
    Language,
    Location,
}

impl Field {
    /// The `[input.columns]` key that maps this field, for error messages.
    pub fn key(self) -> &'static str {
        match self {
            Field::AppointmentId => "appointment_id",
            Field::PatientId => "patient_id",
            Field::FirstName => "first_name",
            Field::LastName => "last_name",
            Field::FullName => "name",
            Field::BirthDate => "birth_date",
            Field::Phone(_) => "phones",
            Field::Start => "start",
            Field::StartDate => "start_date",
            Field::StartTime => "start_time",
            Field::End => "end",
            Field::LengthMinutes => "length_minutes",
            Field::Pattern => "pattern",
            Field::AppointmentType => "appointment_type",
            Field::Description => "description",
            Field::Status => "status",
            Field::Confirmed => "confirmed",
            Field::OptOut(_) => "[optout] columns",
            Field::Language => "language",
            Field::Location => "location",
        }
    }
}

/// The complete, checked mapping from fields to export columns (CSV headers or dotted JSON paths).
#[derive(Debug, Clone)]
pub struct Columns {
    slots: Vec<(Field, String)>,
}

impl Columns {
    /// Checks that the mapping names every required field and no contradictory pair.
    /// The error says which `[input.columns]` keys to set.
    pub fn from_config(c: &ColumnsConfig) -> Result<Columns, String> {
        let mut slots = Vec::new();
        let mut put = |field: Field, column: &Option<String>| {
            if let Some(col) = column {
                slots.push((field, col.clone()));
            }
        };
        let need = |ok: bool, msg: &str| if ok { Ok(()) } else { Err(msg.to_string()) };

        need(
            c.appointment_id.is_some(),
            "`appointment_id` is not mapped: name the column that holds the appointment id",
        )?;
        need(
            c.name.is_some() != c.first_name.is_some(),
            "map either `name` (one \"Last, First\" column) or `first_name` (with `last_name`), exactly one of them",
        )?;
        need(
            !(c.name.is_some() && c.last_name.is_some()),
            "`last_name` cannot be combined with `name`, which already holds \"Last, First\"",
        )?;
        need(
            c.start.is_some() != (c.start_date.is_some() || c.start_time.is_some()),
            "map either `start` (one date-time column) or `start_date` with `start_time`, exactly one of them",
        )?;
        need(
            c.start.is_some() || (c.start_date.is_some() && c.start_time.is_some()),
            "`start_date` and `start_time` go together: map both",
        )?;
        let ends = [&c.end, &c.length_minutes, &c.pattern]
            .iter()
            .filter(|v| v.is_some())
            .count();
        need(
            ends <= 1,
            "map at most one of `end`, `length_minutes` and `pattern`",
        )?;
        let phones = c.phones.clone().unwrap_or_default();
        need(
            !phones.is_empty(),
            "`phones` is empty: list the phone columns in order of preference, e.g. [\"WirelessPhone\", \"HmPhone\"]",
        )?;

        put(Field::AppointmentId, &c.appointment_id);
        put(Field::PatientId, &c.patient_id);
        put(Field::FirstName, &c.first_name);
        put(Field::LastName, &c.last_name);
        put(Field::FullName, &c.name);
        put(Field::BirthDate, &c.birth_date);
        for (i, p) in phones.into_iter().enumerate() {
            put(Field::Phone(i.min(255) as u8), &Some(p));
        }
        put(Field::Start, &c.start);
        put(Field::StartDate, &c.start_date);
        put(Field::StartTime, &c.start_time);
        put(Field::End, &c.end);
        put(Field::LengthMinutes, &c.length_minutes);
        put(Field::Pattern, &c.pattern);
        put(Field::AppointmentType, &c.appointment_type);
        put(Field::Description, &c.description);
        put(Field::Status, &c.status);
        put(Field::Confirmed, &c.confirmed);
        put(Field::Language, &c.language);
        put(Field::Location, &c.location);
        Ok(Columns { slots })
    }

    /// Adds the opt-out columns (they come from `[optout]`, not `[input.columns]`).
    pub fn with_opt_out_columns(mut self, columns: &[String]) -> Columns {
        for (i, c) in columns.iter().enumerate() {
            self.slots
                .push((Field::OptOut(i.min(255) as u8), c.clone()));
        }
        self
    }

    /// The opt-out columns, in order.
    pub fn opt_out_columns(&self) -> impl Iterator<Item = (Field, &str)> {
        self.slots
            .iter()
            .filter(|(f, _)| matches!(f, Field::OptOut(_)))
            .map(|(f, c)| (*f, c.as_str()))
    }

    /// Every mapped field with its column, in a fixed order.
    pub fn slots(&self) -> &[(Field, String)] {
        &self.slots
    }

    /// The export column that holds `field`, if it is mapped.
    pub fn column(&self, field: Field) -> Option<&str> {
        self.slots
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, c)| c.as_str())
    }

    /// The phone fields, in order of preference.
    pub fn phones(&self) -> impl Iterator<Item = (Field, &str)> {
        self.slots
            .iter()
            .filter(|(f, _)| matches!(f, Field::Phone(_)))
            .map(|(f, c)| (*f, c.as_str()))
    }
}
