//! Which column of the export holds which of our fields.

use crate::config::{Column, ColumnsConfig};

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
    /// Per slot: a preset's guess that an export may lack (it is then ignored, with a note).
    optional: Vec<bool>,
}

/// The mapping checked against one file: the columns it has, and the optional ones it lacks.
#[derive(Debug)]
pub(crate) struct Resolved {
    pub columns: Columns,
    pub ignored: Vec<(Field, String)>,
}

impl Columns {
    /// Checks that the mapping names every required field and no contradictory pair.
    /// The error says which `[input.columns]` keys to set.
    /// `false` (switched off) counts as not mapped.
    pub fn from_config(c: &ColumnsConfig) -> Result<Columns, String> {
        let mut slots = Vec::new();
        let mut put = |field: Field, column: &Option<Column>| {
            if let Some(col) = column.as_ref().and_then(Column::name) {
                slots.push((field, col.to_string()));
            }
        };
        let on = |c: &Option<Column>| c.as_ref().and_then(Column::name).is_some();
        let need = |ok: bool, msg: &str| if ok { Ok(()) } else { Err(msg.to_string()) };

        need(
            on(&c.appointment_id),
            "`appointment_id` is not mapped: name the column that holds the appointment id",
        )?;
        need(
            on(&c.name) != on(&c.first_name),
            "map either `name` (one \"Last, First\" column) or `first_name` (with `last_name`), exactly one of them",
        )?;
        need(
            !(on(&c.name) && on(&c.last_name)),
            "`last_name` cannot be combined with `name`, which already holds \"Last, First\"",
        )?;
        need(
            on(&c.start) != (on(&c.start_date) || on(&c.start_time)),
            "map either `start` (one date-time column) or `start_date` with `start_time`, exactly one of them",
        )?;
        need(
            on(&c.start) || (on(&c.start_date) && on(&c.start_time)),
            "`start_date` and `start_time` go together: map both",
        )?;
        let ends = [&c.end, &c.length_minutes, &c.pattern]
            .iter()
            .filter(|v| on(v))
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
            put(Field::Phone(i.min(255) as u8), &Some(Column::Named(p.0)));
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
        let optional = vec![false; slots.len()];
        Ok(Columns { slots, optional })
    }

    /// Marks the slots an export may lack (a preset's columns the operator did not name). The
    /// fields without which no call can be made are never optional.
    pub(crate) fn mark_optional(&mut self, from_preset: impl Fn(Field) -> bool) {
        for (i, (field, _)) in self.slots.iter().enumerate() {
            let required = matches!(
                field,
                Field::AppointmentId
                    | Field::FirstName
                    | Field::FullName
                    | Field::Start
                    | Field::StartDate
                    | Field::StartTime
            );
            self.optional[i] = !required && from_preset(*field);
        }
    }

    /// Checks the mapping against what a file has (`present`). Optional columns it lacks are
    /// dropped; phones are optional one by one, but at least one must be there. `Err` lists
    /// every missing column at once, so one edit fixes the config.
    pub(crate) fn resolve(
        &self,
        present: impl Fn(&str) -> bool,
    ) -> Result<Resolved, Vec<(Field, String)>> {
        let mut kept = Columns {
            slots: Vec::with_capacity(self.slots.len()),
            optional: Vec::with_capacity(self.slots.len()),
        };
        let (mut ignored, mut missing) = (Vec::new(), Vec::new());
        for (i, (field, column)) in self.slots.iter().enumerate() {
            if present(column) {
                kept.slots.push((*field, column.clone()));
                kept.optional.push(self.optional[i]);
            } else if self.optional[i] {
                ignored.push((*field, column.clone()));
            } else {
                missing.push((*field, column.clone()));
            }
        }
        if kept.phones().next().is_none() {
            // No phone column at all: every call needs one, so the absent ones are the problem.
            let phones = ignored.iter().filter(|(f, _)| matches!(f, Field::Phone(_)));
            missing.extend(phones.cloned());
            ignored.retain(|(f, _)| !matches!(f, Field::Phone(_)));
            // Listed in mapping order, as the operator reads the config.
            let order = |(f, c): &(Field, String)| {
                self.slots.iter().position(|(sf, sc)| sf == f && sc == c)
            };
            missing.sort_by_key(order);
        }
        match missing.is_empty() {
            true => Ok(Resolved {
                columns: kept,
                ignored,
            }),
            false => Err(missing),
        }
    }

    /// Adds the opt-out columns (they come from `[optout]`, not `[input.columns]`).
    pub fn with_opt_out_columns(mut self, columns: &[String], optional: bool) -> Columns {
        for (i, c) in columns.iter().enumerate() {
            self.slots
                .push((Field::OptOut(i.min(255) as u8), c.clone()));
            self.optional.push(optional);
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
