//! What the first bytes of an export say about it, looked at once before any row is read:
//! an Excel workbook saved under a `.csv` name, a byte-order mark (Excel's "CSV UTF-8" and
//! "Unicode text"), and which delimiter the header line really uses.

use std::io::Read;

use super::record::TextEncoding;

/// How many bytes are looked at before parsing starts (the title, header and first rows).
pub(super) const PREFIX_BYTES: usize = 64 * 1024;

/// The lines searched for the header row (a report's title and subtitle come before it).
pub(super) const HEADER_SEARCH_LINES: usize = 20;

/// The start of a file, and the encoding its byte-order mark decided.
pub(super) struct Prefix {
    /// The bytes to parse first (a UTF-8 BOM removed; UTF-16 already decoded to UTF-8).
    pub bytes: Vec<u8>,
    /// `true` when `bytes` holds the whole file (UTF-16 is decoded in one go).
    pub whole: bool,
    pub encoding: TextEncoding,
}

/// Reads the first [`PREFIX_BYTES`] (or, for UTF-16, everything) and settles the encoding.
/// `Err` is a whole-file problem with what to do about it.
pub(super) fn prefix<R: Read>(source: &mut R, configured: TextEncoding) -> anyhow::Result<Prefix> {
    let mut bytes = Vec::with_capacity(PREFIX_BYTES);
    source
        .by_ref()
        .take(PREFIX_BYTES as u64)
        .read_to_end(&mut bytes)?;
    if bytes.is_empty() {
        anyhow::bail!(
            "the file is empty (0 bytes): the export did not finish or wrote nothing; export the \
             schedule again"
        );
    }
    if let Some(kind) = workbook(&bytes) {
        anyhow::bail!("{}", super::path::workbook_advice(kind));
    }
    let utf16 = match bytes.get(..2) {
        Some([0xFF, 0xFE]) => Some(encoding_rs::UTF_16LE),
        Some([0xFE, 0xFF]) => Some(encoding_rs::UTF_16BE),
        _ => None,
    };
    if let Some(encoding) = utf16 {
        // Excel's "Unicode text": decoded whole (such files come from a person, not a query
        // of millions of rows), then read like any UTF-8 file.
        source.read_to_end(&mut bytes)?;
        let (text, _) = encoding.decode_with_bom_removal(&bytes);
        tracing::info!(
            encoding = encoding.name(),
            "the export is UTF-16 (Excel's \"Unicode text\"); decoded as such"
        );
        return Ok(Prefix {
            bytes: text.into_owned().into_bytes(),
            whole: true,
            encoding: TextEncoding::Utf8,
        });
    }
    if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        // A UTF-8 byte-order mark settles the encoding, whatever the config says.
        return Ok(Prefix {
            bytes: rest.to_vec(),
            whole: false,
            encoding: TextEncoding::Utf8,
        });
    }
    if configured == TextEncoding::Windows1252 && reads_as_utf8(&bytes) {
        // Accented names in UTF-8 read as Windows-1252 become "JosÃ©": what Annie would say.
        // Text with such letters that is valid UTF-8 is UTF-8 (a PMS upgrade, a re-save).
        tracing::warn!(
            "[input] encoding is windows-1252 but the export is UTF-8 (its accented letters are \
             written as UTF-8); read as UTF-8. Set encoding = \"utf-8\" to silence this"
        );
        return Ok(Prefix {
            bytes,
            whole: false,
            encoding: TextEncoding::Utf8,
        });
    }
    Ok(Prefix {
        bytes,
        whole: false,
        encoding: configured,
    })
}

/// Whether bytes with letters beyond ASCII are valid UTF-8 (a multi-byte letter cut at the end
/// of the prefix allowed). Windows-1252 text with accented letters almost never is: its accented
/// letters are single bytes that UTF-8 only allows inside multi-byte sequences.
fn reads_as_utf8(bytes: &[u8]) -> bool {
    if bytes.is_ascii() {
        return false;
    }
    match std::str::from_utf8(bytes) {
        Ok(_) => true,
        Err(e) => e.error_len().is_none() && bytes.len() - e.valid_up_to() < 4,
    }
}

/// The kind of Excel workbook these bytes start, if they start one.
fn workbook(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"PK\x03\x04") {
        Some(".xlsx")
    } else if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) {
        Some(".xls")
    } else {
        None
    }
}

/// The delimiter the header line uses. The configured one wins when the header line holds it;
/// when it does not (European Excel writes `;`, "Text (Tab delimited)" writes tabs), the one of
/// `;`, tab and `,` the line holds most is used. The header line is the first of the first
/// lines that names `id_column`, else the first non-blank one.
pub(super) fn delimiter(prefix: &[u8], configured: u8, id_column: &str) -> u8 {
    // A lone `\r` ends a line too (classic Mac line ends); CRLF's empty pieces are not lines.
    let lines = || {
        prefix
            .split(|b| *b == b'\n' || *b == b'\r')
            .filter(|l| !l.is_empty())
            .take(HEADER_SEARCH_LINES)
            .filter(|l| !l.iter().all(u8::is_ascii_whitespace))
    };
    let needle = id_column.trim().as_bytes();
    let header = lines()
        .find(|l| contains_ignore_case(l, needle))
        .or_else(|| lines().next());
    let Some(header) = header else {
        return configured;
    };
    let count = |d: u8| header.iter().filter(|b| **b == d).count();
    if count(configured) > 0 {
        return configured;
    }
    [b';', b'\t', b',']
        .into_iter()
        .filter(|d| *d != configured)
        .map(|d| (count(d), d))
        .filter(|(n, _)| *n > 0)
        .max_by_key(|(n, _)| *n)
        .map_or(configured, |(_, d)| d)
}

fn contains_ignore_case(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty()
        && haystack
            .windows(needle.len())
            .any(|w| w.eq_ignore_ascii_case(needle))
}

/// How a delimiter is written in messages.
pub(super) fn show(delimiter: u8) -> String {
    match delimiter {
        b'\t' => "tab".to_string(),
        d => format!("`{}`", d as char),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_header_lines_delimiter_wins_when_the_configured_one_is_absent() {
        let semi = b"Report\nAptNum;PatNum;FName\n1;2;Ann\n";
        assert_eq!(delimiter(semi, b',', "AptNum"), b';');
        // A configured delimiter anywhere in the header line is kept.
        let tab = b"AptNum\tPatNum\tFName, Mrs\n";
        assert_eq!(delimiter(tab, b',', "AptNum"), b',');
        let tab = b"AptNum\tPatNum\tFName\n";
        assert_eq!(delimiter(tab, b',', "aptnum"), b'\t');
        assert_eq!(delimiter(b"AptNum,PatNum\n", b',', "AptNum"), b',');
        assert_eq!(delimiter(b"", b',', "AptNum"), b',');
        // Lone-CR line ends: the header line alone decides, not the rows' commas.
        let cr = b"AptNum;PatNum;FName\r1;2;Doe, Ann\r";
        assert_eq!(delimiter(cr, b',', "AptNum"), b';');
    }

    #[test]
    fn workbooks_are_recognised() {
        assert_eq!(workbook(b"PK\x03\x04rest"), Some(".xlsx"));
        assert_eq!(
            workbook(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, 0]),
            Some(".xls")
        );
        assert_eq!(workbook(b"AptNum,PatNum"), None);
    }
}
