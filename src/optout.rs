//! Opt-outs: numbers that must never be called, from a do-not-call list and from export columns
//! (e.g. Open Dental's `PreferConfirmMethod = DoNotCall`).
//!
//! An opt-out covers the whole number: when one patient on a shared family phone asks not to be
//! called, nobody on that phone is (as NexHealth does, citing the TCPA). Opted-out numbers never
//! reach the API, in any mode.
//!
//! An opt-out column speaks for the row's patient, so it opts out every valid number in the
//! row's phone columns, not only the one the row would be called on. And a row that has an
//! opted-out number in any of its phone columns is not called on another: the request may be
//! this patient's, given on that number (see [`OptOuts::reason`]; the ledger's requests from
//! calls are checked the same way in [`crate::guard`]).

use std::collections::HashMap;
use std::path::Path;

use phonenumber::country;

use crate::normalise::{phone, Appointment, Normalised};

#[derive(Debug, Clone, PartialEq)]
enum Source {
    List,
    Column,
}

/// Every opted-out number for this run.
#[derive(Debug, Default)]
pub struct OptOuts {
    numbers: HashMap<String, Source>,
}

impl OptOuts {
    /// The list's numbers plus the numbers of every row a column marks as opted out.
    pub fn build(list: Vec<String>, rows: &[Normalised]) -> OptOuts {
        let mut opt_outs = OptOuts::of_list(list);
        for row in rows {
            opt_outs.note_row(row);
        }
        opt_outs
    }

    /// The list's numbers; [`OptOuts::note`] adds the rows' (a streaming run sees them one by
    /// one).
    pub fn of_list(list: Vec<String>) -> OptOuts {
        OptOuts {
            numbers: list.into_iter().map(|n| (n, Source::List)).collect(),
        }
    }

    /// Adds every number of the row if a column marks it as opted out, whether or not the row
    /// itself could become an appointment.
    pub fn note_row(&mut self, row: &Normalised) {
        for number in row.opted_out_numbers() {
            self.note_number(number);
        }
    }

    /// Adds a number a row's column marks as opted out.
    pub fn note_number(&mut self, e164: &str) {
        if !self.numbers.contains_key(e164) {
            self.numbers.insert(e164.to_string(), Source::Column);
        }
    }

    /// Whether a number is on the do-not-call list or opted out by a row's column (for a number
    /// the row was not selected on: a fallback number).
    pub fn number_opted_out(&self, e164: &str) -> bool {
        self.numbers.contains_key(e164)
    }

    /// Why this appointment must not be called, if it must not: its own opt-out column, then
    /// the number it would be called on, then any other number of the row, naming its column
    /// (never the number: it is patient data).
    pub fn reason(&self, a: &Appointment) -> Option<String> {
        if let Some(rule) = &a.opt_out {
            return Some(format!("opted out ({rule})"));
        }
        if let Some(source) = self.numbers.get(a.phone.e164.as_str()) {
            return Some(match source {
                Source::List => "opted out (the number is on the do-not-call list)".to_string(),
                Source::Column => {
                    "opted out (another patient on this phone number asked not to be called)"
                        .to_string()
                }
            });
        }
        let (column, source) = a
            .other_numbers()
            .find_map(|(column, e164)| Some((column, self.numbers.get(e164)?)))?;
        let why = match source {
            Source::List => format!("the number in {column} is on the do-not-call list"),
            Source::Column => {
                format!("an opt-out column on another row covers the number in {column}")
            }
        };
        Some(format!("opted out ({why}; {NOT_ON_ANOTHER})"))
    }
}

/// Said of a row skipped for an opt-out of one of its other numbers. The row is not flagged
/// for a person: like every opt-out, it is honoured without asking (the office reads why).
pub const NOT_ON_ANOTHER: &str = "not called on another of the row's numbers either; if that \
                                  number is not this patient's, remind them another way";

/// The list's text, whatever a spreadsheet saved it as: UTF-8 (with or without a byte-order
/// mark), Excel's "Unicode text" (UTF-16 with its mark) or Excel's plain CSV (Windows-1252,
/// when the bytes are not UTF-8). Numbers are ASCII digits in all of them, so reading a note's
/// accented letters one way or another never changes a number; a list that is UTF-16 without
/// its mark (every other byte zero) is refused, since its digits cannot be read as they are.
pub fn decode_list(bytes: &[u8], path: &Path) -> anyhow::Result<String> {
    let utf16 = match bytes.get(..2) {
        Some([0xFF, 0xFE]) => Some(encoding_rs::UTF_16LE),
        Some([0xFE, 0xFF]) => Some(encoding_rs::UTF_16BE),
        _ => None,
    };
    if let Some(encoding) = utf16 {
        return Ok(encoding.decode_with_bom_removal(bytes).0.into_owned());
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if let Ok(text) = std::str::from_utf8(bytes) {
        if !text.contains('\0') {
            return Ok(text.to_string());
        }
    }
    if bytes.contains(&0) {
        anyhow::bail!(
            "the do-not-call list `{}` holds zero bytes: it looks like UTF-16 text without its \
             byte-order mark. Save it again as CSV (UTF-8), or as Excel's \"Unicode text\"",
            path.display()
        );
    }
    tracing::info!(
        list = %path.display(),
        "the do-not-call list is not UTF-8; read as Windows-1252 (Excel's plain CSV)"
    );
    Ok(encoding_rs::WINDOWS_1252
        .decode_without_bom_handling(bytes)
        .0
        .into_owned())
}

/// A do-not-call list's numbers (`text`, read from `path` by the engine). A line that is not a phone number is an error naming the line:
/// silently ignoring it could mean calling someone who asked not to be called. Every valid number
/// counts, whatever its type or country (an opt-out is never refused). Letters are never read as
/// keypad digits: `815-555-O158` (a letter O for a zero) would otherwise opt out a stranger's
/// number and leave the patient's callable, so such a line is an error too.
pub fn parse_list(text: &str, path: &Path, region: country::Id) -> anyhow::Result<Vec<String>> {
    let mut numbers = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let entry = line.split('#').next().unwrap_or("").trim();
        // A CSV export of a list: every field that reads as a number is on the list (a
        // spreadsheet's "phone, other phone" columns give two); the others are notes.
        let fields: Vec<&str> = entry.split([',', ';', '\t']).map(str::trim).collect();
        if entry.is_empty() {
            continue;
        }
        let parsed: Vec<_> = fields
            .iter()
            .map(|f| phone::parse(without_note(f), region))
            .collect();
        let mut found = parsed.iter().filter_map(|p| p.as_ref().ok()).peekable();
        match found.peek() {
            Some(_) => {
                for p in found {
                    if !numbers.iter().any(|n| *n == p.e164) {
                        numbers.push(p.e164.to_string());
                    }
                }
            }
            None if i == 0
                && fields
                    .iter()
                    .all(|f| !f.chars().any(|c| c.is_ascii_digit())) =>
            {
                // A header line such as "phone,name".
            }
            None => {
                let letters = parsed.contains(&Err(phone::PhoneProblem::Letters));
                anyhow::bail!(
                    "{}:{}: {}; fix or remove the line (the list is used as given)",
                    path.display(),
                    i + 1,
                    if letters {
                        "the number contains letters, which are never read as digits: write it \
                         in digits"
                    } else {
                        "not a phone number"
                    }
                )
            }
        }
    }
    Ok(numbers)
}

/// A field's number without an office's note written after it (`(312) 555-0147 (cell)`): the
/// text after its last digit, when it is set off by a space (it holds no digit, by its place).
/// Letters among the digits stay, and make the number an error.
fn without_note(field: &str) -> &str {
    let Some(last) = field.rfind(|c: char| c.is_ascii_digit()) else {
        return field;
    };
    let (number, rest) = field.split_at(last + 1);
    match rest.starts_with(char::is_whitespace) {
        true => number,
        false => field,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A note after a number, in the same cell, is a note (round-7 note: "(cell)" stopped the
    /// run); letters among the digits are still an error.
    #[test]
    fn a_note_after_a_number_is_a_note() {
        let path = Path::new("dnc.txt");
        let list = "(312) 555-0147 (cell)\n+1 773 555 0123 mobile, asked 2026-10-01\n";
        assert_eq!(
            parse_list(list, path, country::Id::US).unwrap(),
            ["+13125550147", "+17735550123"]
        );
        for bad in ["815-555-O158 (cell)", "815-555-O158", "3125550147x (cell)"] {
            let err = parse_list(bad, path, country::Id::US)
                .unwrap_err()
                .to_string();
            assert!(err.starts_with("dnc.txt:1: "), "{bad}: {err}");
        }
    }

    /// The list at `path`, as the engine reads it.
    fn load_list(path: &Path, region: country::Id) -> anyhow::Result<Vec<String>> {
        parse_list(&decode_list(&std::fs::read(path)?, path)?, path, region)
    }

    /// A list saved by Excel (plain CSV, Windows-1252, an accented note; "Unicode text", UTF-16
    /// with its mark) is read, its notes decoded and its numbers the same; UTF-16 without a mark
    /// is refused, naming the file and what to do.
    #[test]
    fn a_list_saved_by_excel_is_read_in_its_encoding() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("dnc.csv");
        let text = "phone,note\r\n(312) 555-0147,José asked 2026-10-01\r\n+1 773 555 0123,\r\n";
        let want = ["+13125550147", "+17735550123"];
        let (cp1252, _, _) = encoding_rs::WINDOWS_1252.encode(text);
        let mut utf16le = vec![0xFF, 0xFE];
        utf16le.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
        let mut utf16be = vec![0xFE, 0xFF];
        utf16be.extend(text.encode_utf16().flat_map(u16::to_be_bytes));
        let mut utf8_bom = b"\xEF\xBB\xBF".to_vec();
        utf8_bom.extend(text.as_bytes());
        for bytes in [
            cp1252.to_vec(),
            utf16le,
            utf16be,
            utf8_bom,
            text.as_bytes().to_vec(),
        ] {
            std::fs::write(&path, &bytes).unwrap();
            assert_eq!(load_list(&path, country::Id::US).unwrap(), want);
            assert!(decode_list(&bytes, &path).unwrap().contains("José asked"));
        }
        let bare: Vec<u8> = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
        let err = decode_list(&bare, Path::new("dnc.csv"))
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with(
                "the do-not-call list `dnc.csv` holds zero bytes: it looks like UTF-16"
            ),
            "{err}"
        );
    }

    #[test]
    fn any_common_format_is_read_and_bad_lines_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("dnc.txt");
        std::fs::write(
            &path,
            "phone,note\n(312) 555-0147, asked 2026-10-01\n+1 773 555 0123\n\n# comment\n312.555.0188 # front desk\n",
        )
        .unwrap();
        assert_eq!(
            load_list(&path, country::Id::US).unwrap(),
            ["+13125550147", "+17735550123", "+13125550188"]
        );
        // Every number on a line is on the list, however the columns are separated.
        std::fs::write(
            &path,
            "3125550141,3125550142\n3125550143;3125550144\n(312) 555-0145\t(312) 555-0146\n",
        )
        .unwrap();
        let all: Vec<String> = (141..=146).map(|n| format!("+13125550{n}")).collect();
        assert_eq!(load_list(&path, country::Id::US).unwrap(), all);
        std::fs::write(&path, "+13125550147\nnot a number\n").unwrap();
        let err = load_list(&path, country::Id::US).unwrap_err().to_string();
        assert!(
            err.ends_with(
                "dnc.txt:2: not a phone number; fix or remove the line (the list is used as given)"
            ),
            "{err}"
        );
    }

    /// A letter O for a zero must not opt out a different number (libphonenumber would read
    /// 815-555-O158 as 815-555-6158) and leave the patient's callable.
    #[test]
    fn a_number_with_letters_is_an_error_not_another_number() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("dnc.txt");
        for line in ["815-555-O158", "815-555-O158, asked 2026-10-01"] {
            std::fs::write(&path, format!("+13125550147\n{line}\n")).unwrap();
            let err = load_list(&path, country::Id::US).unwrap_err().to_string();
            assert!(
                err.ends_with(
                    "dnc.txt:2: the number contains letters, which are never read as digits: \
                     write it in digits; fix or remove the line (the list is used as given)"
                ),
                "{err}"
            );
            assert!(
                !err.contains("555-O158"),
                "the error never repeats the number"
            );
        }
        // Opt-outs are never refused for their type or country: they only stop calls.
        std::fs::write(&path, "(800) 555-0147\n+44 20 7946 0958\n").unwrap();
        assert_eq!(
            load_list(&path, country::Id::US).unwrap(),
            ["+18005550147", "+442079460958"]
        );
    }
}
