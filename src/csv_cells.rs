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
///
/// A line is made in a buffer of its own and written whole. A cell the csv crate would not quote
/// (most cells) is copied as it is, which is what the crate writes for it; any other cell is
/// written by the crate's core writer, which quotes it.
pub(crate) struct Writer<W: Write> {
    out: std::io::BufWriter<W>,
    /// The line being made.
    line: Vec<u8>,
    /// The csv crate's core writer, as the crate's own writer builds it.
    core: csv_core::Writer,
    /// A neutralised cell, made here rather than in a new string: every masked number is one,
    /// so a line with a cell to quote has one too.
    quoted: Vec<u8>,
}

impl<W: Write> Writer<W> {
    pub(crate) fn new(sink: W) -> Self {
        Writer {
            out: std::io::BufWriter::with_capacity(1 << 16, sink),
            line: Vec::new(),
            core: csv_core::WriterBuilder::new().build(),
            quoted: Vec::new(),
        }
    }

    /// Writes one record, each cell neutralised (as [`neutralise`] gives it): the same bytes as
    /// the csv crate's `write_record`. (Every caller writes the same columns on every line, so
    /// the crate's check that each line has as many cells as the first is not made.)
    ///
    /// The cells are joined first, and the line looked at once: with only its own commas and no
    /// quote, carriage return or newline, every cell is plain and the line is written so (most
    /// lines). Otherwise it is made again cell by cell.
    pub(crate) fn write_row<const N: usize>(&mut self, cells: [&str; N]) -> csv::Result<()> {
        self.line.clear();
        for (i, cell) in cells.iter().enumerate() {
            if i > 0 {
                self.line.push(b',');
            }
            if needs_quote(cell) {
                self.line.push(b'\'');
            }
            self.line.extend_from_slice(cell.as_bytes());
        }
        // (A lone empty cell is quoted: left to the core writer.)
        let joined = N > 1
            && memchr::memchr3(b'"', b'\n', b'\r', &self.line).is_none()
            && memchr::memchr_iter(b',', &self.line).count() == N - 1;
        if !joined {
            self.line.clear();
            self.push_cells(cells)?;
        }
        self.line.push(b'\n');
        self.out.write_all(&self.line)?;
        Ok(())
    }

    /// Makes the line cell by cell: those the core writer would not quote as they are (its own
    /// test, a table lookup a byte), others through the core writer.
    fn push_cells<const N: usize>(&mut self, cells: [&str; N]) -> std::io::Result<()> {
        // A line of no cell is a line of one empty cell (`""`).
        if N == 0 {
            self.push_through_core(b"")?;
        }
        for (i, cell) in cells.into_iter().enumerate() {
            if i > 0 {
                self.line.push(b',');
            }
            let bytes = cell.as_bytes();
            let formula = needs_quote(cell);
            if N > 1 && !self.core.should_quote(bytes) {
                if formula {
                    self.line.push(b'\'');
                }
                self.line.extend_from_slice(bytes);
                continue;
            }
            let mut quoted = std::mem::take(&mut self.quoted);
            quoted.clear();
            if formula {
                quoted.push(b'\'');
            }
            quoted.extend_from_slice(bytes);
            let pushed = self.push_through_core(&quoted);
            self.quoted = quoted;
            pushed?;
        }
        Ok(())
    }

    /// Appends `cell` as the core writer writes a line of that one cell, without its newline.
    fn push_through_core(&mut self, cell: &[u8]) -> std::io::Result<()> {
        use csv_core::WriteResult::InputEmpty;
        let at = self.line.len();
        // Room for the worst case: every byte a quote, two quotes about it, the newline.
        self.line.resize(at + 2 * cell.len() + 3, 0);
        let (done, read, field) = self.core.field(cell, &mut self.line[at..]);
        let (ended, end) = match done {
            InputEmpty => self.core.terminator(&mut self.line[at + field..]),
            full => (full, 0),
        };
        if ended != InputEmpty || read != cell.len() || end == 0 {
            return Err(std::io::Error::other("a CSV cell did not fit its line"));
        }
        // Without the newline.
        self.line.truncate(at + field + end - 1);
        Ok(())
    }

    pub(crate) fn flush(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }

    /// Flushes and hands back the sink (to sync it to disk and rename it into place).
    pub(crate) fn into_inner(self) -> std::io::Result<W> {
        self.out.into_inner().map_err(|e| e.into_error())
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

    /// Every line is the csv crate's own line of the neutralised cells: cells with commas,
    /// quotes, carriage returns and newlines are quoted as the crate quotes them, every other
    /// character is written as it is.
    #[test]
    fn lines_are_those_the_csv_crate_writes() {
        fn ours<const N: usize>(cells: [&str; N]) -> String {
            let mut w = Writer::new(Vec::new());
            w.write_row(cells).unwrap();
            String::from_utf8(w.into_inner().unwrap()).unwrap()
        }
        fn crates<const N: usize>(cells: [&str; N]) -> String {
            let mut w = csv::WriterBuilder::new()
                .has_headers(false)
                .from_writer(Vec::new());
            w.write_record(cells.map(|c| neutralise(c).into_owned()))
                .unwrap();
            String::from_utf8(w.into_inner().unwrap()).unwrap()
        }
        let mut cells: Vec<String> = (0..0x80u8)
            .map(char::from)
            .chain(['é', '…', '\u{85}', '\u{2028}', '😀'])
            .flat_map(|c| [format!("{c}"), format!("a{c}b"), format!("{c}x{c}")])
            .collect();
        cells.extend(
            [
                "",
                "Smith, Jo",
                "say \"hi\"",
                "\"",
                "\"\"",
                "two\nlines",
                "cr\r",
                "\r\n",
                "=1,2",
                "-\"x\"",
                "+1312***0147",
                "'@a,b",
                "\t,",
                "plain",
            ]
            .map(String::from),
        );
        for a in &cells {
            for b in ["", "x", "Doe, \"J\"\n"] {
                assert_eq!(ours([a, b]), crates([a, b]), "{a:?} {b:?}");
                assert_eq!(ours([b, a, b]), crates([b, a, b]), "{a:?} {b:?}");
            }
            assert_eq!(ours([a]), crates([a]), "{a:?}");
        }
        assert_eq!(ours([]), crates([]));
        assert_eq!(ours(["", ""]), ",\n");
        assert_eq!(ours([""]), "\"\"\n");
        assert_eq!(ours(["a,b", "=c\"d"]), "\"a,b\",\"'=c\"\"d\"\n");
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
