//! What the export's flag columns hold that nothing recognises, for a warning in the log and in
//! `check`.
//!
//! An opt-out column whose values match neither `[optout] values` nor a plain yes or no (an
//! Eaglesoft-style `Do Not Call` = `DNC`, say) marks nobody: every such patient would be called
//! without a word. A confirmation column none of whose values is in `confirmed_values` (Open
//! Dental's raw export writes practice-specific numbers) skips nobody as already confirmed. Both
//! are settings the operator forgot, found the night they matter.
//!
//! The values named are practice settings, not patient data, but a column can be mapped by
//! mistake or hold free text (a notes column may name a patient). So values are shown only for a
//! flag-like column: at most [`FLAG_VALUES`] different values, each short with few digits (a
//! name or a note tends to be long or one of many; a phone number or a date has more digits).
//! Otherwise the warning gives counts only.

use crate::export::columns::Field;
use crate::export::record::RawRecord;
use crate::settings::opt_out::{is_affirmative, is_negative, same_opt_out_word};
use crate::settings::Settings;

/// A column with more different values than this reads like free text: none is shown.
const FLAG_VALUES: usize = 8;
/// A value longer than this (in characters) reads like free text.
const SHORT: usize = 16;
/// A value with more digits than this could be a phone number or a date.
const DIGITS: usize = 4;
/// Values named in one warning, at most.
const SHOWN: usize = 5;
/// Values of a confirmation column that plainly say "not confirmed yet" (besides a plain no): a
/// night on which nobody has confirmed yet is no reason to warn.
const NOT_CONFIRMED: &[&str] = &[
    "Unconfirmed",
    "Not Confirmed",
    "Not Called",
    "Left Message",
    "Left Msg",
];

/// What a column is checked for.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    OptOut,
    Confirmed,
}

/// One column's values, counted.
#[derive(Debug, Clone)]
struct Column {
    field: Field,
    name: String,
    kind: Kind,
    /// Rows whose value is recognised (an opt-out column: a listed value, a plain yes or no, a
    /// preset's known value; a confirmation column: a `confirmed_values` value, a plain no or
    /// [`NOT_CONFIRMED`]).
    recognised: usize,
    /// A confirmation column's rows whose value is in `confirmed_values`.
    confirmed: usize,
    /// The values nothing recognises, each with its rows, up to `FLAG_VALUES + 1` of them.
    unknown: Vec<(String, usize)>,
    /// Rows with an unrecognised value beyond those in `unknown`.
    unknown_more: usize,
    /// The column's different values, recognised or not, up to `FLAG_VALUES + 1` of them.
    distinct: Vec<String>,
    /// A value too long, or with too many digits, to be a flag's.
    free_text: bool,
    /// Opt-out columns: the values of `[optout] values` and the preset's known values.
    known: Vec<String>,
}

/// The checked columns of one export, counted row by row.
#[derive(Debug, Clone)]
pub(crate) struct ColumnValues {
    columns: Vec<Column>,
    confirmed_values: Vec<String>,
}

impl ColumnValues {
    /// The columns to check under `s` (its mapping as the export allows it): every opt-out
    /// column, and the confirmation column unless it is the status column (whose values are
    /// checked as statuses: an unknown one is skipped, naming it).
    pub(crate) fn new(s: &Settings) -> ColumnValues {
        let columns = &s.input.columns;
        let mut checked = Vec::new();
        for (field, name) in columns.opt_out_columns() {
            let mut known = s.input.opt_out_values.clone();
            for (column, values) in &s.opt_out.known_values {
                if column == name {
                    known.extend(values.iter().cloned());
                }
            }
            checked.push(Column::new(field, name, Kind::OptOut, known));
        }
        if let Some(name) = columns.column(Field::Confirmed) {
            if columns.column(Field::Status) != Some(name) {
                checked.push(Column::new(
                    Field::Confirmed,
                    name,
                    Kind::Confirmed,
                    Vec::new(),
                ));
            }
        }
        ColumnValues {
            columns: checked,
            confirmed_values: s.selection.confirmed_values.clone(),
        }
    }

    /// Counts one row's values.
    pub(crate) fn add(&mut self, record: &RawRecord) {
        for column in &mut self.columns {
            let Some(value) = record.get(column.field) else {
                continue;
            };
            let recognised = match column.kind {
                Kind::OptOut => {
                    is_affirmative(value)
                        || is_negative(value)
                        || column.known.iter().any(|k| same_opt_out_word(k, value))
                }
                Kind::Confirmed => {
                    let confirmed = self
                        .confirmed_values
                        .iter()
                        .any(|c| c.trim().eq_ignore_ascii_case(value));
                    column.confirmed += usize::from(confirmed);
                    confirmed
                        || is_negative(value)
                        || NOT_CONFIRMED.iter().any(|n| n.eq_ignore_ascii_case(value))
                }
            };
            column.count(value, recognised);
        }
    }

    /// Counts rows on every core.
    pub(crate) fn of(records: &[RawRecord], s: &Settings) -> ColumnValues {
        use rayon::prelude::*;
        let empty = ColumnValues::new(s);
        if empty.columns.is_empty() {
            return empty;
        }
        records
            .par_iter()
            .fold(
                || empty.clone(),
                |mut tally, record| {
                    tally.add(record);
                    tally
                },
            )
            .reduce(
                || empty.clone(),
                |mut tally, other| {
                    tally.merge(other);
                    tally
                },
            )
    }

    /// Counts a chunk of rows on every core, adding them to these counts.
    pub(crate) fn add_all(&mut self, records: &[RawRecord], s: &Settings) {
        if !self.columns.is_empty() {
            self.merge(ColumnValues::of(records, s));
        }
    }

    /// Adds other counts (of the same settings) to these.
    fn merge(&mut self, other: ColumnValues) {
        for (mine, theirs) in self.columns.iter_mut().zip(other.columns) {
            mine.merge(theirs);
        }
    }

    /// One warning per column holding values nothing recognises (a confirmation column: when
    /// none of its values is in `confirmed_values` either).
    pub(crate) fn warnings(&self) -> Vec<String> {
        self.columns.iter().filter_map(Column::warning).collect()
    }
}

impl Column {
    fn new(field: Field, name: &str, kind: Kind, known: Vec<String>) -> Column {
        Column {
            field,
            name: name.to_string(),
            kind,
            recognised: 0,
            confirmed: 0,
            unknown: Vec::new(),
            unknown_more: 0,
            distinct: Vec::new(),
            free_text: false,
            known,
        }
    }

    fn count(&mut self, value: &str, recognised: bool) {
        self.note_distinct(value);
        if recognised {
            self.recognised += 1;
        } else {
            self.note_unknown(value, 1);
        }
    }

    fn note_distinct(&mut self, value: &str) {
        let digits = value.chars().filter(char::is_ascii_digit).count();
        if value.chars().count() > SHORT || digits > DIGITS {
            self.free_text = true;
        }
        let seen = self.distinct.iter().any(|d| d.eq_ignore_ascii_case(value));
        if !seen && self.distinct.len() <= FLAG_VALUES {
            self.distinct.push(value.to_string());
        }
    }

    fn note_unknown(&mut self, value: &str, rows: usize) {
        let full = self.unknown.len() > FLAG_VALUES;
        match self
            .unknown
            .iter_mut()
            .find(|(v, _)| v.eq_ignore_ascii_case(value))
        {
            Some((_, n)) => *n += rows,
            None if full => self.unknown_more += rows,
            None => self.unknown.push((value.to_string(), rows)),
        }
    }

    fn merge(&mut self, other: Column) {
        self.recognised += other.recognised;
        self.confirmed += other.confirmed;
        self.unknown_more += other.unknown_more;
        self.free_text |= other.free_text;
        for value in &other.distinct {
            self.note_distinct(value);
        }
        for (value, rows) in &other.unknown {
            self.note_unknown(value, *rows);
        }
    }

    /// Whether the column's values may be shown: few, short, without a number's digits.
    fn flag_like(&self) -> bool {
        !self.free_text && self.distinct.len() <= FLAG_VALUES
    }

    /// The rows with a value nothing recognises.
    fn unknown_rows(&self) -> usize {
        self.unknown.iter().map(|(_, n)| n).sum::<usize>() + self.unknown_more
    }

    /// `` `DNC` (3 rows), `Maybe` (1 row) ``, or why the values are not shown.
    fn values(&self) -> String {
        if !self.flag_like() {
            return "values not shown: the column holds long or many different values, like \
                    free text, which may name patients"
                .to_string();
        }
        let mut unknown = self.unknown.clone();
        unknown.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        let shown: Vec<String> = unknown
            .iter()
            .take(SHOWN)
            .map(|(v, n)| format!("`{v}` ({})", rows(*n)))
            .collect();
        match unknown.len().saturating_sub(SHOWN) {
            0 => shown.join(", "),
            more => format!("{} and {more} more", shown.join(", ")),
        }
    }

    fn warning(&self) -> Option<String> {
        let unknown = self.unknown_rows();
        match self.kind {
            Kind::OptOut if unknown > 0 => Some(format!(
                "the opt-out column `{}` ([optout] columns): {} a value that is neither in \
                 [optout] values nor a plain yes or no ({}); those patients are called. If a \
                 value means \"do not call\", add it to [optout] values",
                self.name,
                have(unknown),
                self.values()
            )),
            Kind::Confirmed if unknown > 0 && self.confirmed == 0 => Some(format!(
                "the confirmation column `{}` ([input.columns] confirmed): none of its values is \
                 in [selection] confirmed_values ({}), so no row is skipped as already \
                 confirmed. If some of them mean \"already confirmed\", list them in \
                 [selection] confirmed_values",
                self.name,
                self.values()
            )),
            _ => None,
        }
    }
}

/// "1 row", "3 rows".
fn rows(n: usize) -> String {
    match n {
        1 => "1 row".to_string(),
        n => format!("{n} rows"),
    }
}

/// "1 row has", "3 rows have".
fn have(n: usize) -> String {
    match n {
        1 => "1 row has".to_string(),
        n => format!("{n} rows have"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn column(kind: Kind) -> Column {
        Column::new(
            Field::OptOut(0),
            "Do Not Call",
            kind,
            vec!["DoNotCall".into()],
        )
    }

    #[test]
    fn flag_values_are_named_with_their_rows() {
        let mut c = column(Kind::OptOut);
        for v in ["DNC", "Y", "N", "dnc", "Maybe", "DoNotCall"] {
            let recognised = is_affirmative(v)
                || is_negative(v)
                || c.known.iter().any(|k| same_opt_out_word(k, v));
            c.count(v, recognised);
        }
        assert_eq!(
            c.warning().unwrap(),
            "the opt-out column `Do Not Call` ([optout] columns): 3 rows have a value that is \
             neither in [optout] values nor a plain yes or no (`DNC` (2 rows), `Maybe` (1 row)); \
             those patients are called. If a value means \"do not call\", add it to [optout] values"
        );
    }

    /// A notes column may name a patient or hold a phone number: only counts are given.
    #[test]
    fn free_text_values_are_never_shown() {
        for values in [
            vec!["call her husband Robert first"],
            vec!["ok 312 555 0147"],
            vec!["a", "b", "c", "d", "e", "f", "g", "h", "i"],
        ] {
            let (mut one, mut other) = (column(Kind::OptOut), column(Kind::OptOut));
            for (i, v) in values.iter().enumerate() {
                // Counted in two halves, as on two cores.
                match i % 2 {
                    0 => one.count(v, false),
                    _ => other.count(v, false),
                }
            }
            one.merge(other);
            let warning = one.warning().unwrap();
            assert!(warning.contains("values not shown"), "{warning}");
            for v in values {
                assert!(!warning.contains(&format!("`{v}`")), "{warning}");
            }
        }
    }

    #[test]
    fn a_confirmation_column_is_named_only_when_nothing_in_it_is_recognised() {
        let mut c = column(Kind::Confirmed);
        c.count("19", false);
        assert!(c.warning().is_some());
        c.confirmed += 1;
        c.count("Confirmed", true);
        assert_eq!(c.warning(), None);
    }
}
