//! What the export's readers share: the settings they read by, the rows they produce, and the
//! decoding and missing-column errors they report the same way (a file of its own, so the
//! readers need not import the module that uses them).

use std::path::PathBuf;
use std::time::Duration;

use super::columns::{Columns, Field};

/// Export file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    /// A JSON array of objects, or JSON Lines (one object per line); told apart by the first byte.
    Json,
}

/// Character encodings we can read. CSV is parsed on bytes, so any ASCII-compatible single-byte
/// encoding works; these are the two that practice exports actually use. (A UTF-16 file, Excel's
/// "Unicode text", is recognised by its byte-order mark and decoded whatever this says.)
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextEncoding {
    /// UTF-8; a byte-order mark (Excel's "CSV UTF-8") is dropped.
    Utf8,
    /// Windows code page 1252, the default of Excel's plain "CSV" and of Windows tools.
    Windows1252,
}

/// Everything needed to read one export.
#[derive(Debug, Clone)]
pub struct InputSettings {
    pub path: PathBuf,
    pub format: Format,
    pub delimiter: u8,
    pub encoding: TextEncoding,
    pub columns: Columns,
    pub max_export_age: Duration,
    pub datetime_formats: Vec<String>,
    pub date_formats: Vec<String>,
    pub time_formats: Vec<String>,
    pub birth_date_formats: Vec<String>,
    /// JSON: the dotted path of the list of appointments when the file is one object wrapping
    /// it (`[input] records`).
    pub records: Option<String>,
    /// Values of the opt-out columns that mean "do not call" (compared without case).
    pub opt_out_values: Vec<String>,
}

/// One row of the export, with the mapped values that were present and non-blank.
///
/// The values share one string buffer (a large export is millions of rows; one allocation per
/// row instead of one per field keeps memory and time down).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RawRecord {
    /// The line the row starts on (CSV, JSON Lines, JSON array element), 1-based; for a JSON
    /// list that puts several appointments on one line, its place in the list (so no two rows
    /// share a number).
    pub row: u64,
    text: String,
    spans: Vec<(Field, u32, u32)>,
    /// Set when the row could not be read properly; the row becomes `invalid` with this reason.
    pub problem: Option<String>,
}

impl RawRecord {
    pub fn new(row: u64) -> RawRecord {
        RawRecord {
            row,
            ..RawRecord::default()
        }
    }

    /// A record whose values will take about `text` bytes in `fields` values: one allocation
    /// each instead of a string and a list grown value by value (a tenth of a large preview's
    /// time went to growing them).
    pub fn with_capacity(row: u64, text: usize, fields: usize) -> RawRecord {
        RawRecord {
            row,
            text: String::with_capacity(text),
            spans: Vec::with_capacity(fields),
            problem: None,
        }
    }

    /// Adds a value (trimmed; blank values are not stored).
    pub fn push(&mut self, field: Field, value: &str) {
        let value = value.trim();
        if value.is_empty() {
            return;
        }
        let start = self.text.len() as u32;
        self.text.push_str(value);
        self.spans.push((field, start, self.text.len() as u32));
    }

    /// The trimmed, non-empty value of `field`, if the row has one.
    pub fn get(&self, field: Field) -> Option<&str> {
        self.spans
            .iter()
            .find(|(f, _, _)| *f == field)
            .map(|(_, a, b)| &self.text[*a as usize..*b as usize])
    }
}

/// What reading the export produced: its rows, and the mapping as the file allowed it.
#[derive(Debug)]
pub struct Export {
    pub records: Vec<RawRecord>,
    /// The mapped columns the file has (a preset's columns it lacks are dropped).
    pub columns: Columns,
    /// A preset's columns the file lacks, each with its field: ignored.
    pub ignored: Vec<(Field, String)>,
    /// Columns that look like do-not-call columns and that the mapping does not read (see
    /// [`super::opt_out_columns`]).
    pub unread_opt_outs: Vec<String>,
}

/// Decodes one field. `Err` carries a reason fit for the results file.
pub(super) fn decode(bytes: &[u8], encoding: TextEncoding) -> Result<String, String> {
    match encoding {
        TextEncoding::Utf8 => std::str::from_utf8(bytes).map(str::to_owned).map_err(|_| {
            "the row is not valid UTF-8; if the export comes from Excel or another Windows \
             program, set [input] encoding = \"windows-1252\""
                .to_string()
        }),
        TextEncoding::Windows1252 => Ok(encoding_rs::WINDOWS_1252
            .decode_without_bom_handling(bytes)
            .0
            .into_owned()),
    }
}

/// The "column not found" error for every missing column at once, listing what the file does
/// have so the fix is obvious.
pub(super) fn missing_columns(
    missing: &[(Field, String)],
    found: &[String],
    what: &str,
) -> anyhow::Error {
    let named: Vec<String> = missing
        .iter()
        .map(|(field, column)| format!("`{column}` (mapped by {})", mapped_by(*field)))
        .collect();
    let (subject, verb) = match named.len() {
        1 => (format!("{what} {}", named[0]), "is"),
        _ => (format!("{what}s {}", named.join(", ")), "are"),
    };
    anyhow::anyhow!(
        "{subject} {verb} not in the file; {what}s found: {}",
        if found.is_empty() {
            "none".to_string()
        } else {
            found.join(", ")
        }
    )
}

/// The "column is in the header more than once" error for every such mapped column at once:
/// only the first copy would be read, and the other may be the one that matters (a guarantor's
/// `DoNotCall` next to the patient's own column of the same name). `copies`: each column with
/// its field and the 0-based positions of its copies.
pub(super) fn duplicate_columns(copies: &[(Field, String, Vec<usize>)]) -> anyhow::Error {
    let named: Vec<String> = copies
        .iter()
        .map(|(field, column, positions)| {
            let at: Vec<String> = positions
                .iter()
                .map(|p| format!("{} ({})", p + 1, column_letter(*p)))
                .collect();
            let at = match at.split_last() {
                Some((last, [])) => last.clone(),
                Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
                None => String::new(),
            };
            format!("`{column}` (mapped by {}; columns {at})", mapped_by(*field))
        })
        .collect();
    let (subject, verb, which) = match named.len() {
        1 => (format!("column {}", named[0]), "is", "the first"),
        _ => (
            format!("columns {}", named.join(", ")),
            "are",
            "the first of each",
        ),
    };
    anyhow::anyhow!(
        "{subject} {verb} in the header more than once, and only {which} would be read: give \
         each copy its own name in the export query (e.g. `... AS Guarantor{}`) and map the one \
         you mean (for a do-not-call column, list every copy in [optout] columns)",
        copies.first().map_or("", |(_, column, _)| column.as_str())
    )
}

/// Where the mapping of `field` is written, for messages.
fn mapped_by(field: Field) -> String {
    match field {
        Field::OptOut(_) => field.key().to_string(),
        _ => format!("[input.columns] {}", field.key()),
    }
}

/// A spreadsheet's letter for a 0-based column: A..Z, AA..
fn column_letter(index: usize) -> String {
    let mut n = index + 1;
    let mut letters = Vec::new();
    while n > 0 {
        letters.push(b'A' + ((n - 1) % 26) as u8);
        n = (n - 1) / 26;
    }
    letters.iter().rev().map(|b| *b as char).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_letters_are_the_spreadsheets() {
        let letters: Vec<String> = [0, 13, 25, 26, 51, 52, 701, 702]
            .into_iter()
            .map(column_letter)
            .collect();
        assert_eq!(letters, ["A", "N", "Z", "AA", "AZ", "BA", "ZZ", "AAA"]);
    }
}
