//! CSV exports (RFC 4180: quoted delimiters and newlines, CRLF), read as a stream of byte records
//! so that Windows-1252 files and stray bad bytes are handled per field, not per file.

use std::io::{self, BufRead, BufReader, Cursor, Read};

use super::columns::Field;
use super::record::{decode, missing_columns, Export, InputSettings, RawRecord, TextEncoding};
use super::sniff::{self, HEADER_SEARCH_LINES};

/// Reads every row (see [`CsvRows`], which does the work a chunk at a time).
pub(super) fn read<R: Read + Send + 'static>(
    source: R,
    input: &InputSettings,
) -> anyhow::Result<Export> {
    let (mut rows, columns, ignored) = open(source, input, true)?;
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
    })
}

type Source = CrlfToLf<io::Chain<Cursor<Vec<u8>>, Box<dyn Read + Send>>>;

/// A CSV export read a chunk of rows at a time, so that a large export can be streamed through
/// the pipeline without holding every row (a streaming preview reads the file twice).
pub struct CsvRows {
    reader: csv::Reader<Source>,
    record: csv::ByteRecord,
    header_count: usize,
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

/// An opened export: its rows, the mapping the file allows, and a preset's columns it lacks.
pub(super) type Opened = (CsvRows, super::columns::Columns, Vec<(Field, String)>);

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
    // CRLF is turned into LF first: the csv crate reports the line *before* a record's start
    // when the previous record ended in CRLF, and the results file must name the right line.
    let source: Box<dyn Read + Send> = Box::new(source);
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .has_headers(false)
        .from_reader(CrlfToLf::new(BufReader::with_capacity(
            1 << 16,
            Cursor::new(prefix.bytes).chain(source),
        )));
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
        positions,
        id_index,
        encoding,
        footer: Vec::new(),
        notes,
        done: false,
    };
    Ok((rows, resolved.columns, resolved.ignored))
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
                .map_err(|e| anyhow::anyhow!("cannot read the file: {e}"))?;
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
            for (field, index) in &self.positions {
                let Some(bytes) = record.get(*index) else {
                    continue;
                };
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
            .map_err(|e| anyhow::anyhow!("cannot read the header line: {e}"))?;
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

/// Passes bytes through, dropping every `\r` that is directly followed by `\n`, and writing a
/// space on blank lines outside quoted fields. The csv crate skips blank lines but then reports
/// the *blank* line as the next record's start; with the space, a blank line is a record of its
/// own (dropped by the reader) and every row keeps the line it really starts on.
struct CrlfToLf<R> {
    inner: BufReader<R>,
    /// Inside a quoted field (a doubled quote toggles twice, so it needs no special case).
    quoted: bool,
    /// The last byte written ended a line (or nothing was written yet).
    line_start: bool,
    /// A byte owed to the caller when the buffer filled up.
    pending: Option<u8>,
}

impl<R: Read> CrlfToLf<R> {
    fn new(inner: BufReader<R>) -> CrlfToLf<R> {
        CrlfToLf {
            inner,
            quoted: false,
            line_start: true,
            pending: None,
        }
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
                break;
            }
            // The whole buffer in one loop (a call per byte was a few percent of a preview), and
            // the bytes between two that matter copied at once (a loop over every byte was the
            // reading's largest part).
            let mut used = 0;
            while used < buf.len() && written < out.len() {
                let plain = &buf[used..buf.len().min(used + out.len() - written)];
                let span = memchr::memchr3(b'\r', b'\n', b'"', plain).unwrap_or(plain.len());
                if span > 0 {
                    out[written..written + span].copy_from_slice(&plain[..span]);
                    written += span;
                    used += span;
                    self.line_start = false;
                    continue;
                }
                let byte = buf[used];
                if byte == b'\r' {
                    let Some(&next) = buf.get(used + 1) else {
                        break; // the next byte decides; it is in the next buffer fill
                    };
                    used += 1;
                    if next != b'\n' {
                        out[written] = b'\r';
                        written += 1;
                        self.line_start = false;
                    }
                    continue;
                }
                used += 1;
                if byte == b'"' {
                    self.quoted = !self.quoted;
                }
                if byte == b'\n' && self.line_start && !self.quoted {
                    out[written] = b' ';
                    written += 1;
                    self.pending = Some(b'\n');
                    break;
                }
                self.line_start = byte == b'\n';
                out[written] = byte;
                written += 1;
            }
            // (Not while a blank line's `\n` is owed: it comes first.)
            let lone_cr = self.pending.is_none()
                && used < buf.len()
                && buf[used] == b'\r'
                && used + 1 == buf.len();
            self.inner.consume(used);
            if lone_cr && written < out.len() {
                // A `\r` at the end of the buffer: the next byte decides.
                self.inner.consume(1);
                let next = self.inner.fill_buf()?;
                if next.first() != Some(&b'\n') {
                    out[written] = b'\r';
                    written += 1;
                    self.line_start = false;
                }
            }
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

    #[test]
    fn crlf_becomes_lf_and_lone_cr_stays() {
        let mut text = String::new();
        CrlfToLf::new(BufReader::with_capacity(2, &b"a\r\nb\rc\r\n\r"[..]))
            .read_to_string(&mut text)
            .unwrap();
        assert_eq!(text, "a\nb\rc\n\r");
    }

    #[test]
    fn the_output_does_not_depend_on_where_the_buffer_ends() {
        let source =
            &b"\r\nid,name\r\n\r\n1,\"Doe,\r\n\r\nAnn\"\r\n2,Bo\rb\n\n\n3,\"\"\"x\"\"\"\r\n\r"[..];
        let read = |capacity: usize| {
            let mut text = String::new();
            CrlfToLf::new(BufReader::with_capacity(capacity, source))
                .read_to_string(&mut text)
                .unwrap();
            text
        };
        let whole = read(1 << 16);
        assert_eq!(
            whole,
            " \nid,name\n \n1,\"Doe,\n\nAnn\"\n2,Bo\rb\n \n \n3,\"\"\"x\"\"\"\n\r"
        );
        for capacity in 1..source.len() {
            assert_eq!(read(capacity), whole, "capacity {capacity}");
        }
    }

    #[test]
    fn blank_lines_become_a_space_except_inside_quotes() {
        let mut text = String::new();
        let source = &b"\r\nh\r\n\r\n\"x\r\n\r\ny\"\n\n\nz"[..];
        CrlfToLf::new(BufReader::with_capacity(3, source))
            .read_to_string(&mut text)
            .unwrap();
        assert_eq!(text, " \nh\n \n\"x\n\ny\"\n \n \nz");
    }

    /// The rule of [`CrlfToLf`] over a whole input at once, a byte at a time.
    fn one_byte_at_a_time(input: &[u8]) -> Vec<u8> {
        let (mut out, mut quoted, mut line_start) = (Vec::new(), false, true);
        let mut i = 0;
        while i < input.len() {
            let byte = input[i];
            i += 1;
            if byte == b'\r' {
                if input.get(i) != Some(&b'\n') {
                    out.push(b'\r');
                    line_start = false;
                }
                continue;
            }
            if byte == b'"' {
                quoted = !quoted;
            }
            if byte == b'\n' && line_start && !quoted {
                out.extend_from_slice(b" \n");
                continue;
            }
            line_start = byte == b'\n';
            out.push(byte);
        }
        out
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
                    let mut reader = CrlfToLf::new(BufReader::with_capacity(capacity, &input[..]));
                    let mut got = Vec::new();
                    let mut buf = vec![0; read_size];
                    loop {
                        let n = reader.read(&mut buf).unwrap();
                        if n == 0 {
                            break;
                        }
                        got.extend_from_slice(&buf[..n]);
                    }
                    assert_eq!(
                        got, expected,
                        "input {input:?}, buffer {capacity}, reads of {read_size}"
                    );
                }
            }
        }
    }
}
