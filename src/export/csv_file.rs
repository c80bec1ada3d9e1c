//! CSV exports (RFC 4180: quoted delimiters and newlines, CRLF), read as a stream of byte records
//! so that Windows-1252 files and stray bad bytes are handled per field, not per file.

use std::io::{self, BufRead, BufReader, Cursor, Read};

use super::columns::Field;
use super::record::{
    decode, duplicate_columns, missing_columns, Export, InputSettings, RawRecord, TextEncoding,
};
use super::sniff::{self, HEADER_SEARCH_LINES};

/// Reads every row (see [`CsvRows`], which does the work a chunk at a time).
pub(super) fn read<R: Read + Send + 'static>(
    source: R,
    input: &InputSettings,
) -> anyhow::Result<Export> {
    let (mut rows, columns, ignored, unread_opt_outs) = open(source, input, true)?;
    let mut records = Vec::new();
    loop {
        let chunk = rows.next_chunk(usize::MAX)?;
        if chunk.is_empty() {
            break;
        }
        records.extend(chunk);
    }
    Ok(Export {
        records,
        columns,
        ignored,
        unread_opt_outs,
    })
}

type Source = CrlfToLf<io::Chain<Cursor<Vec<u8>>, Box<dyn Read + Send>>>;

/// A CSV export read a chunk of rows at a time, so that a large export can be streamed through
/// the pipeline without holding every row (a streaming preview reads the file twice).
pub struct CsvRows {
    reader: csv::Reader<Source>,
    record: csv::ByteRecord,
    header_count: usize,
    delimiter: u8,
    positions: Vec<(Field, usize)>,
    id_index: usize,
    encoding: TextEncoding,
    /// Rows that look like a report's total line, held back until a real row follows them (then
    /// they are rows after all) or the file ends (then they are dropped).
    footer: Vec<RawRecord>,
    /// Whether to log what was noticed about the file (off when the file is read again).
    notes: bool,
    done: bool,
}

/// An opened export: its rows, the mapping the file allows, a preset's columns it lacks, and its
/// columns that look like do-not-call columns but are not read ([`super::opt_out_columns`]).
pub(super) type Opened = (
    CsvRows,
    super::columns::Columns,
    Vec<(Field, String)>,
    Vec<String>,
);

/// Opens the export: sniffs the encoding and delimiter, finds the header and maps the columns.
/// `notes`: log what was noticed (the delimiter, skipped title lines, a total line).
pub(super) fn open<R: Read + Send + 'static>(
    mut source: R,
    input: &InputSettings,
    notes: bool,
) -> anyhow::Result<Opened> {
    // Sniffing looks at the first bytes once; then the stream goes on as if never interrupted.
    let prefix = sniff::prefix(&mut source, input.encoding)?;
    let encoding = prefix.encoding;
    let id_column = input
        .columns
        .column(Field::AppointmentId)
        .unwrap_or_default();
    let delimiter = sniff::delimiter(&prefix.bytes, input.delimiter, id_column);
    if delimiter != input.delimiter && notes {
        tracing::info!(
            "the header line is separated by {}, not {} (European Excel writes `;`, Excel's \
             text export tabs): read with {}; set [input] delimiter to say so",
            sniff::show(delimiter),
            sniff::show(input.delimiter),
            sniff::show(delimiter),
        );
    }
    // `flexible` so that a short or long row becomes an `invalid` row instead of a run error.
    // Every line end is made `\n` first (see [`CrlfToLf`]): the results file must name the
    // line a row starts on.
    let source: Box<dyn Read + Send> = Box::new(source);
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .has_headers(false)
        .from_reader(CrlfToLf::new(
            BufReader::with_capacity(1 << 16, Cursor::new(prefix.bytes).chain(source)),
            delimiter,
        ));
    let (headers, header_line) = header(&mut reader, id_column, encoding)?;
    if header_line > 1 && notes {
        tracing::info!(
            header_line,
            skipped = header_line - 1,
            "the lines before the header row (a report's title, subtitle, blank lines) are not \
             appointments: skipped"
        );
    }

    let find = |column: &str| {
        let exact = headers.iter().position(|h| h == column);
        exact.or_else(|| {
            headers
                .iter()
                .position(|h| h.eq_ignore_ascii_case(column.trim()))
        })
    };
    let resolved = input
        .columns
        .resolve(|c| find(c).is_some())
        .map_err(|missing| {
            let error = missing_columns(&missing, &headers, "column");
            match missing.iter().any(|(f, _)| *f == Field::AppointmentId) {
                // Without the id column no header row was found: say where it was looked for.
                true => error.context(format!(
                    "no line among the first {HEADER_SEARCH_LINES} names the id column, so line \
                     {header_line} was read as the header"
                )),
                false => error,
            }
        })?;
    let copies = copies_of(resolved.columns.slots(), &headers);
    if !copies.is_empty() {
        return Err(duplicate_columns(&copies));
    }
    let positions: Vec<(Field, usize)> = resolved
        .columns
        .slots()
        .iter()
        .filter_map(|(field, column)| Some((*field, find(column)?)))
        .collect();
    let id_index = find(id_column).unwrap_or_default();
    let rows = CsvRows {
        reader,
        record: csv::ByteRecord::new(),
        header_count: headers.len(),
        delimiter,
        positions,
        id_index,
        encoding,
        footer: Vec::new(),
        notes,
        done: false,
    };
    let unread =
        super::opt_out_columns::unread(headers.iter().map(String::as_str), &resolved.columns);
    Ok((rows, resolved.columns, resolved.ignored, unread))
}

impl CsvRows {
    /// The next rows, at most `max` (a few more when a held-back total line turns out to be a
    /// row); empty at the end of the file.
    pub fn next_chunk(&mut self, max: usize) -> anyhow::Result<Vec<RawRecord>> {
        // Sized once: growing a chunk of thousands of records moved them again and again.
        let mut records = Vec::with_capacity(if max <= 1 << 16 { max } else { 0 });
        while records.len() < max && !self.done {
            let more = self
                .reader
                .read_byte_record(&mut self.record)
                .map_err(|e| read_error(e, "cannot read the file"))?;
            if !more {
                self.done = true;
                self.end_footer();
                break;
            }
            let record = &self.record;
            if blank(record) {
                continue;
            }
            let row = record.position().map_or(0, |p| p.line());
            if let Some(swallowed) = swallowed(record, row, self.delimiter, self.header_count) {
                anyhow::bail!("{swallowed}");
            }
            let footer = footer_like(record, self.id_index);
            let mapped: usize = self
                .positions
                .iter()
                .filter_map(|(_, index)| record.get(*index).map(<[u8]>::len))
                .sum();
            let mut raw = RawRecord::with_capacity(row, mapped, self.positions.len());
            if record.len() != self.header_count {
                raw.problem = Some(format!(
                    "the row has {} fields but the header has {}; check for an unquoted delimiter",
                    record.len(),
                    self.header_count
                ));
            }
            // A record that is UTF-8 as a whole (most are) is checked once, not field by field;
            // a field cut mid-character, or another encoding, is decoded on its own.
            let whole = match self.encoding {
                TextEncoding::Utf8 => std::str::from_utf8(record.as_slice()).ok(),
                TextEncoding::Windows1252 => None,
            };
            for (field, index) in &self.positions {
                let Some(bytes) = record.get(*index) else {
                    continue;
                };
                if let Some(text) = whole.and_then(|w| w.get(record.range(*index)?)) {
                    raw.push(*field, text);
                    continue;
                }
                match decode_into(bytes, self.encoding) {
                    Ok(text) => raw.push(*field, &text),
                    Err(reason) => {
                        raw.problem.get_or_insert(reason);
                    }
                }
            }
            match footer {
                true => self.footer.push(raw),
                false => {
                    records.append(&mut self.footer);
                    records.push(raw);
                }
            }
        }
        Ok(records)
    }

    /// At the end of the file: total lines held back are dropped, and said so.
    fn end_footer(&mut self) {
        if self.footer.is_empty() {
            return;
        }
        let lines: Vec<String> = self.footer.iter().map(|r| r.row.to_string()).collect();
        self.footer.clear();
        if self.notes {
            tracing::info!(
                lines = %lines.join(", "),
                "the lines after the table have no appointment id and at most two cells (a report's \
                 total line, say): not appointments, skipped"
            );
        }
    }
}

/// The mapped columns the header has more than once, each with the positions of its copies:
/// every header equal to the mapped name but for case and surrounding spaces (a column the
/// mapping finds by its exact name has a copy in `preferconfirmmethod` as much as in a second
/// `PreferConfirmMethod`: the export holds two values, and the mapping would read one silently).
fn copies_of(slots: &[(Field, String)], headers: &[String]) -> Vec<(Field, String, Vec<usize>)> {
    let mut copies: Vec<(Field, String, Vec<usize>)> = Vec::new();
    for (field, column) in slots {
        if copies.iter().any(|(_, c, _)| c == column) {
            continue;
        }
        let at = |same: &dyn Fn(&str) -> bool| -> Vec<usize> {
            (headers.iter().enumerate())
                .filter(|(_, h)| same(h))
                .map(|(i, _)| i)
                .collect()
        };
        let positions = at(&|h| h.trim().eq_ignore_ascii_case(column.trim()));
        if positions.len() > 1 {
            copies.push((*field, column.clone(), positions));
        }
    }
    copies
}

/// A reading error; a file that ends inside a quoted field says so without `what`.
fn read_error(error: csv::Error, what: &str) -> anyhow::Error {
    if let csv::ErrorKind::Io(e) = error.kind() {
        if let Some(unclosed) = e.get_ref().and_then(|e| e.downcast_ref::<UnclosedQuote>()) {
            return anyhow::anyhow!("{unclosed}");
        }
    }
    anyhow::anyhow!("{what}: {error}")
}

/// A quoted field that took in lines which look like rows of their own: a stray opening quote
/// (or one never closed) swallows the rows after it, until the next `"` closes it by chance.
/// Their appointments would get no result, and their text (another patient's name and number)
/// would be read out in this row's call; the file is refused instead of guessing a repair.
///
/// The rule: a line after a line break inside a field value that holds, in that value, at
/// least as many delimiters as the header has fields minus one (a whole row's worth); or a
/// row with the wrong number of fields whose last line, taken whole, holds that many (the
/// swallowing field closed early on the row it took in). A note that really spans lines has
/// a few ordinary lines and is read as always; a line of a note with a row's worth of
/// delimiters is taken for a row. (A file that ends inside a quoted field is [`UnclosedQuote`].)
struct Swallowed {
    /// The line the quoted field opens on, the one it closes on, and the lines that look like
    /// rows.
    opens: u64,
    closes: u64,
    rows: Vec<u64>,
    need: usize,
    delimiter: u8,
}

/// The [`Swallowed`] check of a record that starts on line `row` (`None`: nothing swallowed).
/// Every line end is a `\n` here (see [`CrlfToLf`]).
fn swallowed(
    record: &csv::ByteRecord,
    row: u64,
    delimiter: u8,
    header_count: usize,
) -> Option<Swallowed> {
    memchr::memchr(b'\n', record.as_slice())?;
    let need = header_count.saturating_sub(1).max(1);
    let count = |bytes: &[u8]| memchr::memchr_iter(delimiter, bytes).count();
    let mut line = row;
    let mut found: Option<Swallowed> = None;
    // The last field with a line break: the line it opens on, and the delimiters of the
    // record's last line from its last line break on.
    let mut last: Option<(u64, usize)> = None;
    for field in record.iter() {
        let breaks = memchr::memchr_iter(b'\n', field).count() as u64;
        if breaks == 0 {
            if let Some((_, delimiters)) = &mut last {
                *delimiters += count(field) + 1; // and the one before the field
            }
            continue;
        }
        let opens = line;
        line += breaks;
        for (i, piece) in field.split(|b| *b == b'\n').enumerate().skip(1) {
            if count(piece) >= need {
                let s = found.get_or_insert_with(|| Swallowed {
                    opens,
                    closes: line,
                    rows: Vec::new(),
                    need,
                    delimiter,
                });
                s.closes = line;
                s.rows.push(opens + i as u64);
            }
        }
        let tail = field.rsplit(|b| *b == b'\n').next().unwrap_or_default();
        last = Some((opens, count(tail)));
    }
    match (found, last) {
        (Some(found), _) => Some(found),
        (None, Some((opens, delimiters))) if record.len() != header_count && delimiters >= need => {
            Some(Swallowed {
                opens,
                closes: line,
                rows: vec![line],
                need,
                delimiter,
            })
        }
        _ => None,
    }
}

impl std::fmt::Display for Swallowed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let taken = match self.rows.len() {
            1 => format!("line {}, which looks like a row of its own", self.rows[0]),
            _ => format!(
                "lines {}, which look like rows of their own",
                ranges(&self.rows)
            ),
        };
        write!(
            f,
            "a quoted field opens on line {} (with `\"`) and runs on to line {}, taking in \
             {taken} ({} or more {} separators): their appointments would be lost, or read out \
             in another patient's call. The `\"` on line {} is probably never closed: close or \
             remove it in the export (or in the query that writes it) and export again",
            self.opens,
            self.closes,
            self.need,
            sniff::show(self.delimiter),
            self.opens,
        )
    }
}

/// Line numbers in order, runs written as ranges: "5–9, 12" (the first ten runs).
fn ranges(lines: &[u64]) -> String {
    let mut runs: Vec<(u64, u64)> = Vec::new();
    for &line in lines {
        match runs.last_mut() {
            Some((_, end)) if *end + 1 == line => *end = line,
            _ => runs.push((line, line)),
        }
    }
    // Enough to find the place; the rest go unsaid.
    const SHOWN: usize = 10;
    let mut shown: Vec<String> = runs
        .iter()
        .take(SHOWN)
        .map(|(a, b)| match a == b {
            true => a.to_string(),
            false => format!("{a}\u{2013}{b}"),
        })
        .collect();
    if runs.len() > SHOWN {
        shown.push("\u{2026}".to_string());
    }
    shown.join(", ")
}

/// Decodes a field, borrowing it when it is valid UTF-8 already (most are).
fn decode_into(bytes: &[u8], encoding: TextEncoding) -> Result<std::borrow::Cow<'_, str>, String> {
    match encoding {
        TextEncoding::Utf8 => match std::str::from_utf8(bytes) {
            Ok(text) => Ok(std::borrow::Cow::Borrowed(text)),
            Err(_) => decode(bytes, encoding).map(std::borrow::Cow::Owned),
        },
        TextEncoding::Windows1252 => decode(bytes, encoding).map(std::borrow::Cow::Owned),
    }
}

/// Finds the header row: the first of the first [`HEADER_SEARCH_LINES`] lines that names the
/// appointment id column (a report saved as CSV has a title, a subtitle and a blank line
/// first). Without one, the first line is taken, so the "not in the file" message lists it.
/// Returns the trimmed names and the header's line.
fn header<R: Read>(
    reader: &mut csv::Reader<R>,
    id_column: &str,
    encoding: TextEncoding,
) -> anyhow::Result<(Vec<String>, u64)> {
    let mut record = csv::ByteRecord::new();
    let mut first: Option<(Vec<String>, u64)> = None;
    loop {
        let more = reader
            .read_byte_record(&mut record)
            .map_err(|e| read_error(e, "cannot read the header line"))?;
        let line = record.position().map_or(0, |p| p.line());
        if !more || line > HEADER_SEARCH_LINES as u64 {
            break;
        }
        if blank(&record) {
            continue;
        }
        let names = record
            .iter()
            .map(|h| decode(h, encoding).map(|s| s.trim().to_string()))
            .collect::<Result<Vec<_>, _>>();
        let is_header = |names: &[String]| {
            names
                .iter()
                .any(|n| n.eq_ignore_ascii_case(id_column.trim()))
        };
        match names {
            Ok(names) if is_header(&names) => return Ok((names, line)),
            Ok(names) => {
                first.get_or_insert((names, line));
            }
            // A title line in another encoding is no reason to stop; a header line is.
            Err(e) => {
                let lossy: Vec<String> = record
                    .iter()
                    .map(|h| String::from_utf8_lossy(h).trim().to_string())
                    .collect();
                if is_header(&lossy) {
                    anyhow::bail!("header line {line}: {e}");
                }
            }
        }
    }
    first.ok_or_else(|| {
        anyhow::anyhow!(
            "the file has no header line (only blank or unreadable lines): the export did not \
             finish or wrote nothing; export the schedule again"
        )
    })
}

/// A blank line (see [`CrlfToLf`]), one of spaces, or one of empty cells (`;;;;;;`, as Excel
/// writes an empty row of a sheet): not a row.
fn blank(record: &csv::ByteRecord) -> bool {
    record.iter().all(|cell| cell.trim_ascii().is_empty())
}

/// A row that reads as a label rather than an appointment: no id (or an id cell holding words,
/// such as "Total Appointments: 46") and at most two non-blank cells. Checked on every row, so
/// an ordinary row (an id without spaces) is settled by its first cell alone.
fn footer_like(record: &csv::ByteRecord, id_index: usize) -> bool {
    let id = record.get(id_index).map_or(&b""[..], <[u8]>::trim_ascii);
    let labelled = id.is_empty() || id.iter().any(|b| b.is_ascii_whitespace() || *b == b':');
    labelled && record.iter().filter(|f| !f.trim_ascii().is_empty()).count() <= 2
}

/// Passes bytes through with every line end made `\n` (CRLF, and a lone `\r` as classic Mac
/// and some report tools write), and a space written on blank lines outside quoted fields.
/// The csv crate ends a record at a lone `\r` but counts lines by `\n` only, so a lone-CR file
/// had every row on "line 1"; and it reports the line *before* a record's start when the
/// previous record ended in CRLF, or when blank lines came before it. With every line end a
/// `\n`, and a blank line a record of its own (dropped by the reader), every row keeps the line
/// it really starts on (a `\r` inside a note counts as a line end, as in the reader and in
/// most editors).
///
/// It follows quoting as the csv crate does (a `"` opens a quoted field only at the start of a
/// field; a doubled `"` inside one is a quote), so that a file which ends inside a quoted field
/// is an error ([`UnclosedQuote`]) instead of one last row that silently took in the rest.
struct CrlfToLf<R> {
    inner: BufReader<R>,
    delimiter: u8,
    quote: Quote,
    /// The last byte read (a line end as `\n`); `\n` before the first.
    prev: u8,
    /// The last byte was a `\r`, written as `\n`: a `\n` right after it is the same line end.
    after_cr: bool,
    /// The last byte written ended a line (or nothing was written yet).
    line_start: bool,
    /// A byte owed to the caller when the buffer filled up.
    pending: Option<u8>,
    /// The line being read (1-based), and the one the open quoted field started on.
    line: u64,
    opened: u64,
}

/// Where the bytes are in the csv crate's terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Quote {
    Outside,
    /// Inside a quoted field.
    Inside,
    /// Just after a `"` inside a quoted field: another `"` makes it a quote, anything else
    /// has closed the field.
    Closing,
}

/// The file ends inside a quoted field: a stray opening quote, or an export cut short.
#[derive(Debug)]
struct UnclosedQuote {
    opened: u64,
    last: u64,
}

impl std::fmt::Display for UnclosedQuote {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let taken = match self.last > self.opened {
            true => format!("lines {}–{} are", self.opened, self.last),
            false => format!("line {} is", self.opened),
        };
        write!(
            f,
            "the file ends inside a quoted field: the `\"` on line {} is never closed, so {taken} \
             read as one value and the appointments there would be lost. The export was cut \
             short, or the quote is a stray one: export the schedule again, or close or remove \
             that quote",
            self.opened
        )
    }
}

impl std::error::Error for UnclosedQuote {}

impl<R: Read> CrlfToLf<R> {
    fn new(inner: BufReader<R>, delimiter: u8) -> CrlfToLf<R> {
        CrlfToLf {
            inner,
            delimiter,
            quote: Quote::Outside,
            prev: b'\n',
            after_cr: false,
            line_start: true,
            pending: None,
            line: 1,
            opened: 0,
        }
    }

    /// At the end of the input: an error if a quoted field is still open.
    fn at_end(&self) -> io::Result<()> {
        if self.quote != Quote::Inside {
            return Ok(());
        }
        let last = match self.prev {
            b'\n' => self.line - 1,
            _ => self.line,
        };
        Err(io::Error::new(
            io::ErrorKind::InvalidData,
            UnclosedQuote {
                opened: self.opened,
                last: last.max(self.opened),
            },
        ))
    }
}

impl<R: Read> Read for CrlfToLf<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let mut written = 0;
        while written < out.len() {
            if let Some(byte) = self.pending.take() {
                out[written] = byte;
                written += 1;
                continue;
            }
            let buf = self.inner.fill_buf()?;
            if buf.is_empty() {
                if written == 0 {
                    self.at_end()?;
                }
                break;
            }
            // The whole buffer in one loop (a call per byte was a few percent of a preview), and
            // the bytes between two that matter copied at once (a loop over every byte was the
            // reading's largest part).
            let mut used = 0;
            while used < buf.len() && written < out.len() {
                if std::mem::take(&mut self.after_cr) && buf[used] == b'\n' {
                    used += 1; // the `\n` of a CRLF: its `\r` ended the line
                    continue;
                }
                let plain = &buf[used..buf.len().min(used + out.len() - written)];
                let span = memchr::memchr3(b'\r', b'\n', b'"', plain).unwrap_or(plain.len());
                if span > 0 {
                    out[written..written + span].copy_from_slice(&plain[..span]);
                    written += span;
                    used += span;
                    self.line_start = false;
                    self.prev = plain[span - 1];
                    if self.quote == Quote::Closing {
                        self.quote = Quote::Outside;
                    }
                    continue;
                }
                let mut byte = buf[used];
                used += 1;
                if byte == b'\r' {
                    byte = b'\n';
                    self.after_cr = true;
                }
                if byte == b'"' {
                    // As the csv crate reads it: a quote inside an unquoted field is text.
                    self.quote = match self.quote {
                        Quote::Inside => Quote::Closing,
                        Quote::Closing => Quote::Inside,
                        Quote::Outside if self.prev == self.delimiter || self.prev == b'\n' => {
                            self.opened = self.line;
                            Quote::Inside
                        }
                        Quote::Outside => Quote::Outside,
                    };
                } else {
                    // A line end.
                    if self.quote == Quote::Closing {
                        self.quote = Quote::Outside;
                    }
                    self.line += 1;
                }
                self.prev = byte;
                if byte == b'\n' && self.line_start && self.quote == Quote::Outside {
                    out[written] = b' ';
                    written += 1;
                    self.pending = Some(b'\n');
                    break;
                }
                self.line_start = byte == b'\n';
                out[written] = byte;
                written += 1;
            }
            self.inner.consume(used);
        }
        Ok(written)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn total_lines_are_footers_and_rows_are_not() {
        let rec = |fields: &[&str]| csv::ByteRecord::from(fields.to_vec());
        assert!(footer_like(&rec(&["Total Appointments: 46"]), 0));
        assert!(footer_like(&rec(&["", "", "Total", "46", ""]), 0));
        assert!(
            !footer_like(&rec(&["A-1", "P-1"]), 0),
            "a short row is a row"
        );
        assert!(!footer_like(&rec(&["", "P-1", "Doe, Ann", "555"]), 0));
        assert!(!footer_like(&rec(&["SHORT", "1", "Doe"]), 0));
    }

    /// The [`swallowed`] verdict on the first record after the header of `text`, as (opens,
    /// closes, rows).
    fn swallowed_in(text: &str) -> Option<(u64, u64, Vec<u64>)> {
        let mut reader = csv::ReaderBuilder::new()
            .flexible(true)
            .has_headers(false)
            .from_reader(text.as_bytes());
        let mut record = csv::ByteRecord::new();
        reader.read_byte_record(&mut record).unwrap();
        let fields = record.len();
        reader.read_byte_record(&mut record).unwrap();
        let row = record.position().unwrap().line();
        swallowed(&record, row, b',', fields).map(|s| (s.opens, s.closes, s.rows))
    }

    #[test]
    fn a_quoted_field_that_took_in_rows_is_told_from_a_note() {
        // A note over a few lines, even as the first column, with a comma or two.
        assert_eq!(swallowed_in("n,a,b,c,d\n\"x\ny, z\",1,2,3,4\n"), None);
        assert_eq!(swallowed_in("a,b,c,d,n\n1,2,3,4,\"x,\n\ny\nz\"\n"), None);
        // A stray quote that the next quoted field closes: the lines between are rows.
        let text = "a,b,c,n\n1,2,3,\"Crown\n2,2,3,x\n3,2,3,x\n4,2,3,\"y\"\n";
        assert_eq!(swallowed_in(text), Some((2, 5, vec![3, 4, 5])));
        // Closed early on the row it took in: that line, taken whole, is a row.
        let text = "a,b,c,n\n1,2,3,\"Crown\n\"2\",2,3,x\n";
        assert_eq!(swallowed_in(text), Some((2, 3, vec![3])));
        // Several lines, numbered from where the record starts.
        let text = "a,b,c,n\n\"1\n\",2,\"x\n1,2,3,4\n\"\n";
        assert_eq!(swallowed_in(text), Some((3, 5, vec![4])));
        assert_eq!(ranges(&[5, 6, 7, 9, 11, 12]), "5\u{2013}7, 9, 11\u{2013}12");
    }

    #[test]
    fn crlf_and_lone_cr_become_lf() {
        let mut text = String::new();
        CrlfToLf::new(BufReader::with_capacity(2, &b"a\r\nb\rc\r\n\r"[..]), b',')
            .read_to_string(&mut text)
            .unwrap();
        assert_eq!(text, "a\nb\nc\n \n");
    }

    #[test]
    fn a_file_that_ends_inside_a_quoted_field_is_an_error() {
        let read = |source: &[u8]| {
            let mut text = String::new();
            CrlfToLf::new(BufReader::with_capacity(3, source), b',')
                .read_to_string(&mut text)
                .map(|_| text)
                .map_err(|e| e.to_string())
        };
        let error = read(b"id,note\n1,ok\n2,\"Crown\n3,x\n").unwrap_err();
        assert!(
            error.starts_with(
                "the file ends inside a quoted field: the `\"` on line 3 is never closed, so \
                 lines 3\u{2013}4 are read as one value"
            ),
            "{error}"
        );
        let error = read(b"id,note\r1,\"Cro").unwrap_err();
        assert!(
            error.contains("on line 2 is never closed, so line 2 is"),
            "{error}"
        );
        // A quote inside an unquoted field is text; closed and doubled quotes are fine.
        assert_eq!(
            read(b"1,5\" tall\n\n2,\"a \"\"b\"\"\"\n").unwrap(),
            "1,5\" tall\n \n2,\"a \"\"b\"\"\"\n"
        );
    }

    #[test]
    fn the_output_does_not_depend_on_where_the_buffer_ends() {
        let source =
            &b"\r\nid,name\r\n\r\n1,\"Doe,\r\n\r\nAnn\"\r\n2,Bo\rb\n\n\n3,\"\"\"x\"\"\"\r\n\r"[..];
        let read = |capacity: usize| {
            let mut text = String::new();
            CrlfToLf::new(BufReader::with_capacity(capacity, source), b',')
                .read_to_string(&mut text)
                .unwrap();
            text
        };
        let whole = read(1 << 16);
        assert_eq!(
            whole,
            " \nid,name\n \n1,\"Doe,\n\nAnn\"\n2,Bo\nb\n \n \n3,\"\"\"x\"\"\"\n \n"
        );
        for capacity in 1..source.len() {
            assert_eq!(read(capacity), whole, "capacity {capacity}");
        }
    }

    #[test]
    fn blank_lines_become_a_space_except_inside_quotes() {
        let mut text = String::new();
        let source = &b"\r\nh\r\n\r\n\"x\r\n\r\ny\"\n\n\nz"[..];
        CrlfToLf::new(BufReader::with_capacity(3, source), b',')
            .read_to_string(&mut text)
            .unwrap();
        assert_eq!(text, " \nh\n \n\"x\n\ny\"\n \n \nz");
    }

    /// The rule of [`CrlfToLf`] over a whole input at once, a byte at a time (`,` delimits),
    /// and whether it ends inside a quoted field.
    fn one_byte_at_a_time(input: &[u8]) -> (Vec<u8>, bool) {
        let (mut out, mut quote, mut line_start, mut prev) =
            (Vec::new(), Quote::Outside, true, b'\n');
        let mut i = 0;
        while i < input.len() {
            let mut byte = input[i];
            i += 1;
            if byte == b'\r' {
                byte = b'\n';
                if input.get(i) == Some(&b'\n') {
                    i += 1;
                }
            }
            quote = match (quote, byte) {
                (Quote::Inside, b'"') => Quote::Closing,
                (Quote::Closing, b'"') => Quote::Inside,
                (Quote::Outside, b'"') if prev == b',' || prev == b'\n' => Quote::Inside,
                (Quote::Closing, _) => Quote::Outside,
                (q, _) => q,
            };
            prev = byte;
            if byte == b'\n' && line_start && quote == Quote::Outside {
                out.extend_from_slice(b" \n");
                continue;
            }
            line_start = byte == b'\n';
            out.push(byte);
        }
        (out, quote == Quote::Inside)
    }

    #[test]
    fn any_buffer_and_read_sizes_give_the_same_bytes() {
        // Inputs of every kind of byte that matters, mixed with text, from a fixed seed.
        let mut seed = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for _ in 0..400 {
            let len = (next() % 40) as usize;
            let input: Vec<u8> = (0..len)
                .map(|_| b"\r\n\"ab,;"[(next() % 7) as usize])
                .collect();
            let expected = one_byte_at_a_time(&input);
            for capacity in [1, 2, 3, 5, 64] {
                for read_size in [1, 2, 4, 7, 100] {
                    let mut reader =
                        CrlfToLf::new(BufReader::with_capacity(capacity, &input[..]), b',');
                    let mut got = Vec::new();
                    let mut buf = vec![0; read_size];
                    let unclosed = loop {
                        match reader.read(&mut buf) {
                            Ok(0) => break false,
                            Ok(n) => got.extend_from_slice(&buf[..n]),
                            Err(_) => break true,
                        }
                    };
                    assert_eq!(
                        (got, unclosed),
                        expected,
                        "input {input:?}, buffer {capacity}, reads of {read_size}"
                    );
                }
            }
        }
    }
}
