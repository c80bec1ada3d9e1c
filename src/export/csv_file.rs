//! CSV exports (RFC 4180: quoted delimiters and newlines, CRLF), read as a stream of byte records
//! so that Windows-1252 files and stray bad bytes are handled per field, not per file.

use std::io::{self, BufRead, BufReader, Read};

use super::{decode, missing_column, Field, InputSettings, RawRecord};

pub(super) fn read<R: Read>(source: R, input: &InputSettings) -> anyhow::Result<Vec<RawRecord>> {
    // `flexible` so that a short or long row becomes an `invalid` row instead of a run error.
    // CRLF is turned into LF first: the csv crate reports the line *before* a record's start
    // when the previous record ended in CRLF, and the results file must name the right line.
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(input.delimiter)
        .flexible(true)
        .has_headers(true)
        .from_reader(CrlfToLf(BufReader::new(source)));
    let header_bytes = reader
        .byte_headers()
        .map_err(|e| anyhow::anyhow!("cannot read the header line: {e}"))?
        .clone();
    let headers = header_bytes
        .iter()
        .map(|h| decode(h, input.encoding).map(|s| s.trim().to_string()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| anyhow::anyhow!("header line: {e}"))?;

    let mut positions: Vec<(Field, usize)> = Vec::new();
    for (field, column) in input.columns.slots() {
        let exact = headers.iter().position(|h| h == column);
        let loose = || {
            headers
                .iter()
                .position(|h| h.eq_ignore_ascii_case(column.trim()))
        };
        match exact.or_else(loose) {
            Some(i) => positions.push((*field, i)),
            None => return Err(missing_column(*field, column, &headers, "column")),
        }
    }

    let mut records = Vec::new();
    let mut record = csv::ByteRecord::new();
    loop {
        let more = reader
            .read_byte_record(&mut record)
            .map_err(|e| anyhow::anyhow!("cannot read the file: {e}"))?;
        if !more {
            break;
        }
        let row = record.position().map_or(0, |p| p.line());
        let mut raw = RawRecord::new(row);
        if record.len() != headers.len() {
            raw.problem = Some(format!(
                "the row has {} fields but the header has {}; check for an unquoted delimiter",
                record.len(),
                headers.len()
            ));
        }
        for (field, index) in &positions {
            let Some(bytes) = record.get(*index) else {
                continue;
            };
            match decode(bytes, input.encoding) {
                Ok(text) => raw.push(*field, &text),
                Err(reason) => {
                    raw.problem.get_or_insert(reason);
                }
            }
        }
        records.push(raw);
    }
    Ok(records)
}

/// Passes bytes through, dropping every `\r` that is directly followed by `\n`.
struct CrlfToLf<R>(BufReader<R>);

impl<R: Read> Read for CrlfToLf<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let mut written = 0;
        while written < out.len() {
            let buf = self.0.fill_buf()?;
            let Some(&byte) = buf.first() else { break };
            if byte == b'\r' {
                if buf.len() == 1 {
                    // Need the next byte to decide; it is in the next buffer fill.
                    self.0.consume(1);
                    let next = self.0.fill_buf()?;
                    if next.first() != Some(&b'\n') {
                        out[written] = b'\r';
                        written += 1;
                    }
                    continue;
                }
                let followed_by_lf = buf[1] == b'\n';
                self.0.consume(1);
                if !followed_by_lf {
                    out[written] = b'\r';
                    written += 1;
                }
                continue;
            }
            out[written] = byte;
            written += 1;
            self.0.consume(1);
        }
        Ok(written)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crlf_becomes_lf_and_lone_cr_stays() {
        let mut text = String::new();
        CrlfToLf(BufReader::with_capacity(2, &b"a\r\nb\rc\r\n\r"[..]))
            .read_to_string(&mut text)
            .unwrap();
        assert_eq!(text, "a\nb\rc\n\r");
    }
}
