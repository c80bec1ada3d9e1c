//! The `--dry-run` table on stdout: what each row would get, and why.
//!
//! Written with `tabwriter` (elastic tab stops): a million-row preview is one pass over the
//! rows into a buffer, not a table model per cell.

use std::collections::HashMap;
use std::io::Write;

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

/// Writes the preview table for rows sorted by input row.
pub fn write_table(
    out: impl Write,
    rows: &[RowResult],
    details: &CallDetails,
) -> std::io::Result<()> {
    let mut tw = tabwriter::TabWriter::new(out).minwidth(2).padding(2);
    writeln!(
        tw,
        "ROW\tAPPOINTMENT\tPHONE\tSTART (LOCAL)\tTYPE\tCONTEXT\tVOICEMAIL\tSTATUS\tREASON"
    )?;
    for r in rows {
        let (kind, context, voicemail) = match details.by_row.get(&r.row) {
            Some((k, c, v)) => (k.as_str(), c.to_string(), v.to_string()),
            None => ("", String::new(), String::new()),
        };
        let start = r
            .start_time
            .as_deref()
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
            .map(|t| t.format("%a %Y-%m-%d %H:%M").to_string())
            .unwrap_or_default();
        // Tabs and newlines inside a value would break the columns.
        let clean = |s: &str| s.replace(['\t', '\n', '\r'], " ");
        writeln!(
            tw,
            "{}\t{}\t{}\t{start}\t{}\t{context}\t{voicemail}\t{}\t{}",
            r.row,
            clean(r.appointment_id.as_deref().unwrap_or("")),
            r.to_number.as_deref().unwrap_or(""),
            clean(kind),
            r.status.as_str(),
            clean(r.reason.as_deref().unwrap_or("")),
        )?;
    }
    tw.flush()
}
