//! The `--dry-run` table on stdout: what each row would get, and why.
//!
//! Columns are measured in a first pass over the rows and written in a second, straight to
//! stdout: a million-row preview holds no table model and no copy of the table.

use std::borrow::Cow;
use std::collections::HashMap;
use std::io::Write;

use unicode_width::UnicodeWidthStr;

use crate::plan::Call;
use crate::results::RowResult;

/// Details only a planned call has (texts and type), keyed by input row.
pub struct CallDetails {
    by_row: HashMap<u64, (String, usize, usize)>,
}

impl CallDetails {
    pub fn new() -> Self {
        CallDetails {
            by_row: HashMap::new(),
        }
    }

    /// Notes a rendered call's type and text lengths for each of its rows.
    pub fn add(&mut self, call: &Call) {
        let s = &call.summary;
        for m in &call.members {
            let details = (
                s.appointment_type.clone(),
                s.context_chars,
                s.voicemail_chars,
            );
            self.by_row.insert(m.row, details);
        }
    }
}

impl Default for CallDetails {
    fn default() -> Self {
        Self::new()
    }
}

/// The column headings; every column but the last is padded to its widest cell.
const HEADINGS: [&str; 9] = [
    "ROW",
    "APPOINTMENT",
    "PHONE",
    "START (LOCAL)",
    "TYPE",
    "CONTEXT",
    "VOICEMAIL",
    "STATUS",
    "REASON",
];

/// Spaces between columns.
const GAP: usize = 2;

/// Writes the preview table for rows sorted by input row: one pass to measure the columns, one
/// to write the lines. Nothing but the column widths is held, so a million-row preview does not
/// build its whole table in memory first.
pub fn write_table(
    out: impl Write,
    rows: &[RowResult],
    details: &CallDetails,
) -> std::io::Result<()> {
    let mut widths: Vec<usize> = HEADINGS.iter().map(|h| h.width()).collect();
    for r in rows {
        for (w, cell) in widths.iter_mut().zip(cells(r, details)) {
            *w = (*w).max(cell.width());
        }
    }
    let mut out = std::io::BufWriter::new(out);
    write_line(&mut out, &widths, HEADINGS)?;
    for r in rows {
        write_line(&mut out, &widths, cells(r, details))?;
    }
    out.flush()
}

/// One line: every cell but the last padded to its column's width plus the gap.
fn write_line<S: AsRef<str>>(
    out: &mut impl Write,
    widths: &[usize],
    cells: [S; 9],
) -> std::io::Result<()> {
    let last = cells.len() - 1;
    for (i, cell) in cells.iter().enumerate() {
        let cell = cell.as_ref();
        out.write_all(cell.as_bytes())?;
        if i < last {
            let pad = widths[i] + GAP - cell.width();
            write!(out, "{:pad$}", "")?;
        }
    }
    out.write_all(b"\n")
}

/// A row's cells, in column order (borrowed where the row holds the text as shown).
fn cells<'a>(r: &'a RowResult, details: &'a CallDetails) -> [Cow<'a, str>; 9] {
    let (kind, context, voicemail) = match details.by_row.get(&r.row) {
        Some((k, c, v)) => (k.as_str(), c.to_string().into(), v.to_string().into()),
        None => ("", Cow::Borrowed(""), Cow::Borrowed("")),
    };
    let start = r
        .start_time
        .as_deref()
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
        .map_or(Cow::Borrowed(""), |t| {
            t.format("%a %Y-%m-%d %H:%M").to_string().into()
        });
    [
        r.row.to_string().into(),
        clean(r.appointment_id.as_deref().unwrap_or("")),
        Cow::Borrowed(r.to_number.as_deref().unwrap_or("")),
        start,
        clean(kind),
        context,
        voicemail,
        Cow::Borrowed(r.status.as_str()),
        clean(r.reason.as_deref().unwrap_or("")),
    ]
}

/// Tabs and newlines inside a value would break the columns.
fn clean(s: &str) -> Cow<'_, str> {
    match s.contains(['\t', '\n', '\r']) {
        true => s.replace(['\t', '\n', '\r'], " ").into(),
        false => Cow::Borrowed(s),
    }
}
