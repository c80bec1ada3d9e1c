//! The outcomes file: one row per results row, kept whole.
//!
//! A conversation first read while still open must be read again later (an opt-out heard at the
//! end of the call must reach the ledger), and the office must still see one row per results row,
//! not an old `OPEN` row and a newer `CLOSED` one. So the file is not appended to: its rows are
//! held here, updated in place, and the whole file is replaced (a private temporary file in the
//! same folder, renamed over it) at most once a second while conversations are being read, and
//! once at the end. A reader never sees half a file; an interruption loses at most the last
//! second's rows, which are already in the ledger and are simply read again by the next run.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::Context;
use serde::Deserialize;

use crate::conversations::reading::is_final;
use crate::conversations::unread::NOT_READ;
use crate::csv_cells;

/// The outcomes file's columns, in order.
pub(super) const COLUMNS: [&str; 11] = [
    "row",
    "appointment_id",
    "conversation_id",
    "status",
    "topic",
    "summary",
    "duration",
    "needs_attention",
    "reason",
    "location",
    "class",
];

/// How often, at most, the file is replaced while conversations are being read.
const SAVE_EVERY: Duration = Duration::from_secs(1);

/// One line of the outcomes file. Field order is column order.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub(super) struct OutcomeLine {
    pub row: u64,
    pub appointment_id: String,
    pub conversation_id: String,
    /// The conversation's status (`OPEN`, `CLOSED`), `not_read` when it could not be read, or
    /// the results status when no call was made.
    pub status: String,
    pub topic: String,
    pub summary: String,
    pub duration: String,
    /// Whether the office should follow up: a failed or uncertain row, an unanswered call, a
    /// request not to be called again, or a summary that asks for a reschedule or a call back.
    pub needs_attention: bool,
    pub reason: String,
    /// The `[[locations]]` id, as in the results file.
    #[serde(default)]
    pub location: String,
    /// What happened on the call ([`super::Class`]); empty when no call was made (and in files
    /// written before the column existed). Last, so positional readers keep working.
    #[serde(default)]
    pub class: String,
}

impl OutcomeLine {
    /// Whether a later run must read this row's conversation again: it has one, and it was not
    /// final when read (or could not be read).
    pub fn still_open(&self) -> bool {
        !self.conversation_id.is_empty() && !is_final(&self.status)
    }

    /// Whether this row's call was made but its conversation could not be read (the next run
    /// reads it again: its status is not final).
    pub fn not_read(&self) -> bool {
        !self.conversation_id.is_empty() && self.status == NOT_READ
    }

    fn write_csv<W: Write>(&self, w: &mut csv_cells::Writer<W>) -> csv::Result<()> {
        let row = self.row.to_string();
        w.write_row([
            row.as_str(),
            &self.appointment_id,
            &self.conversation_id,
            &self.status,
            &self.topic,
            &self.summary,
            &self.duration,
            if self.needs_attention {
                "true"
            } else {
                "false"
            },
            &self.reason,
            &self.location,
            &self.class,
        ])
    }
}

/// The outcomes file's rows, in file order, and where it lives.
pub(super) struct OutcomesFile {
    path: PathBuf,
    rows: Vec<OutcomeLine>,
    /// Input row → index in `rows`.
    index: HashMap<u64, usize>,
    last_saved: Option<Instant>,
    changed: bool,
}

impl OutcomesFile {
    /// The rows already in the file at `path` (none if it does not exist yet).
    pub fn load(path: &Path) -> anyhow::Result<OutcomesFile> {
        let mut file = OutcomesFile {
            path: path.to_path_buf(),
            rows: Vec::new(),
            index: HashMap::new(),
            last_saved: None,
            changed: false,
        };
        if path.exists() {
            let rows: Vec<OutcomeLine> = csv_cells::read(path, "outcomes file")?;
            for row in rows {
                file.put(row);
            }
            file.changed = false;
        }
        Ok(file)
    }

    pub fn rows(&self) -> &[OutcomeLine] {
        &self.rows
    }

    /// The row for the results row `row`, if there is one yet.
    pub fn get(&self, row: u64) -> Option<&OutcomeLine> {
        self.index.get(&row).map(|&i| &self.rows[i])
    }

    /// Whether the results row `row` still needs reading: it has no outcome yet, or its
    /// conversation was not final when last read.
    pub fn needs_reading(&self, row: u64) -> bool {
        match self.index.get(&row) {
            None => true,
            Some(&i) => self.rows[i].still_open(),
        }
    }

    /// Adds a row, or replaces the one for the same results row where it stands.
    pub fn put(&mut self, line: OutcomeLine) {
        match self.index.get(&line.row) {
            Some(&i) => self.rows[i] = line,
            None => {
                self.index.insert(line.row, self.rows.len());
                self.rows.push(line);
            }
        }
        self.changed = true;
    }

    /// Saves when a second has passed since the last save (or there was none).
    pub fn save_if_due(&mut self) -> anyhow::Result<()> {
        match self.last_saved {
            Some(at) if at.elapsed() < SAVE_EVERY => Ok(()),
            _ => self.save(),
        }
    }

    /// Replaces the file with the rows (if anything changed, or it does not exist yet).
    pub fn save(&mut self) -> anyhow::Result<()> {
        if !self.changed && self.path.exists() {
            return Ok(());
        }
        crate::private_file::replace(&self.path, |out| {
            let mut w = csv_cells::Writer::new(out);
            w.write_row(COLUMNS)?;
            // Locations are read at once, so rows arrive interleaved: the file keeps the
            // results file's order, which is what the office compares it with.
            let mut rows: Vec<&OutcomeLine> = self.rows.iter().collect();
            rows.sort_by_key(|r| r.row);
            for row in rows {
                row.write_csv(&mut w)?;
            }
            w.flush()
        })
        .with_context(|| {
            format!(
                "cannot write the outcomes file `{}` (it is as the last save left it; rerun \
                 `annie-dispatch outcomes` with the same arguments to finish)",
                self.path.display()
            )
        })?;
        self.last_saved = Some(Instant::now());
        self.changed = false;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(row: u64, status: &str) -> OutcomeLine {
        OutcomeLine {
            row,
            appointment_id: format!("=A{row}"),
            conversation_id: format!("conv-{row}"),
            status: status.to_string(),
            topic: String::new(),
            summary: "-ok".to_string(),
            duration: String::new(),
            needs_attention: false,
            reason: String::new(),
            location: String::new(),
            class: "confirmed".to_string(),
        }
    }

    #[test]
    fn an_open_row_is_replaced_in_place_and_read_back_whole() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.outcomes.csv");
        let mut file = OutcomesFile::load(&path).unwrap();
        file.put(line(2, "OPEN"));
        file.put(line(3, "CLOSED"));
        file.save().unwrap();
        let mut again = OutcomesFile::load(&path).unwrap();
        assert!(again.needs_reading(2) && !again.needs_reading(3) && again.needs_reading(4));
        again.put(line(2, "CLOSED"));
        again.save().unwrap();
        let last = OutcomesFile::load(&path).unwrap();
        assert_eq!(last.rows(), [line(2, "CLOSED"), line(3, "CLOSED")]);
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text.lines().count(), 3, "{text}");
        assert!(text.contains("'=A2,conv-2,CLOSED,,'-ok,"), "{text}");
    }
}
