//! CSV cells a spreadsheet cannot run as formulas.
//!
//! The results and outcomes files are opened in Excel or LibreOffice by the office. A cell that
//! starts with `=`, `+`, `-` or `@` (or a tab or carriage return, which some spreadsheets skip
//! before reading one of those) is evaluated as a formula, and its text comes from the export,
//! from Annie's conversation summary or from the API's error messages: a hostile appointment id
//! such as `=HYPERLINK(...)` would run on the office manager's machine ("CSV injection"). So every
//! CSV cell the tool writes goes through [`Writer`], which prefixes such a cell with a single
//! quote, as OWASP recommends: `=1+2` is written `'=1+2`, and a spreadsheet shows it as text.
//!
//! The masked numbers start with `+` (`+1312***0147`), so they are written `'+1312***0147`: a
//! spreadsheet would otherwise read them as a (broken) formula too.
//!
//! The prefix is reversible: a cell that already starts with quotes before a trigger character
//! gets one more, so [`restore`] (removing one quote from such a cell) gives back exactly what was
//! written. Our own readers (`outcomes` reading the results file and its own outcomes file) use
//! [`read`], so conversation ids, locations and appointment ids come back as the run saw them.
//! JSON Lines files are not spreadsheets and are written as they are.

use std::borrow::Cow;
use std::io::Write;
use std::path::Path;

use anyhow::Context;
use serde::de::DeserializeOwned;

/// First characters that make a spreadsheet read a cell as a formula.
pub const TRIGGERS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// Whether the cell, after any leading quotes, starts with a trigger character. (Bytes, not
/// characters: the quote and every trigger are ASCII, and this runs for every cell written.)
fn needs_quote(cell: &str) -> bool {
    cell.bytes()
        .find(|&b| b != b'\'')
        .is_some_and(|b| TRIGGERS.iter().any(|&t| t as u32 == u32::from(b)))
}

/// The cell as written: a quote before a cell that would be a formula.
pub fn neutralise(cell: &str) -> Cow<'_, str> {
    match needs_quote(cell) {
        true => Cow::Owned(format!("'{cell}")),
        false => Cow::Borrowed(cell),
    }
}

/// The cell as it was before [`neutralise`].
pub fn restore(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if needs_quote(rest) => rest,
        _ => cell,
    }
}

/// A CSV writer whose every cell is neutralised. (With a 64 KB buffer: the results file gets a
/// line for every row of a million-row preview.)
pub(crate) struct Writer<W: Write> {
    inner: csv::Writer<W>,
    /// A quoted cell, made here rather than in a new string: every masked number is one, so a
    /// results file has one for nearly every line.
    quoted: Vec<u8>,
}

impl<W: Write> Writer<W> {
    pub(crate) fn new(sink: W) -> Self {
        Writer {
            inner: csv::WriterBuilder::new()
                .has_headers(false)
                .buffer_capacity(1 << 16)
                .from_writer(sink),
            quoted: Vec::new(),
        }
    }

    /// Writes one record, each cell neutralised (as [`neutralise`] gives it), field by field:
    /// the same bytes as `write_record`.
    pub(crate) fn write_row<'a>(
        &mut self,
        cells: impl IntoIterator<Item = &'a str>,
    ) -> csv::Result<()> {
        for cell in cells {
            if needs_quote(cell) {
                self.quoted.clear();
                self.quoted.push(b'\'');
                self.quoted.extend_from_slice(cell.as_bytes());
                self.inner.write_field(&self.quoted)?;
            } else {
                self.inner.write_field(cell)?;
            }
        }
        self.inner.write_record(None::<&[u8]>)
    }

    pub(crate) fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }

    /// Flushes and hands back the sink (to sync it to disk and rename it into place).
    pub(crate) fn into_inner(self) -> std::io::Result<W> {
        self.inner.into_inner().map_err(|e| e.into_error())
    }
}

/// Reads one of our CSV files (header first), restoring every cell, into `T`s.
pub(crate) fn read<T: DeserializeOwned>(path: &Path, what: &str) -> anyhow::Result<Vec<T>> {
    let context = || format!("cannot read the {what} `{}`", path.display());
    let mut reader = csv::Reader::from_path(path).with_context(context)?;
    let headers = reader.headers().with_context(context)?.clone();
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.with_context(context)?;
        let restored: csv::StringRecord = record.iter().map(restore).collect();
        rows.push(restored.deserialize(Some(&headers)).with_context(context)?);
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_cells_get_a_quote_and_come_back_unchanged() {
        for (cell, written) in [
            ("=1+2", "'=1+2"),
            ("+1312***0147", "'+1312***0147"),
            ("-5", "'-5"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\t=x", "'\t=x"),
            ("\r=x", "'\r=x"),
            ("'=x", "''=x"),
            ("A1", "A1"),
            ("'quoted'", "'quoted'"),
            ("'", "'"),
            ("", ""),
            ("a=b", "a=b"),
        ] {
            assert_eq!(neutralise(cell), written, "{cell:?}");
            assert_eq!(restore(written), cell, "{written:?}");
        }
    }

    #[test]
    fn a_written_file_reads_back_as_it_was() {
        #[derive(serde::Deserialize, Debug, PartialEq)]
        struct Row {
            id: String,
            number: Option<String>,
            row: u64,
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.csv");
        let mut w = Writer::new(std::fs::File::create(&path).unwrap());
        w.write_row(["id", "number", "row"]).unwrap();
        w.write_row(["=1+2", "+1312***0147", "2"]).unwrap();
        w.write_row(["''@x", "", "3"]).unwrap();
        w.flush().unwrap();
        drop(w);
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text, "id,number,row\n'=1+2,'+1312***0147,2\n'''@x,,3\n");
        let rows: Vec<Row> = read(&path, "test file").unwrap();
        assert_eq!(
            rows,
            [
                Row {
                    id: "=1+2".into(),
                    number: Some("+1312***0147".into()),
                    row: 2
                },
                Row {
                    id: "''@x".into(),
                    number: None,
                    row: 3
                },
            ]
        );
    }
}
