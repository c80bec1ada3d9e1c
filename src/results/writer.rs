//! Writing the results file: one row per input row, as it happens.
//!
//! Rows go to `NAME.partial` beside the results file, flushed after every row, and the file is
//! renamed over `NAME` when every row is written. So a crash or a kill leaves the previous run's
//! results whole, plus a `.partial` file with every result that was already known (the ledger,
//! not this file, is what makes the rerun safe). A device or pipe (`/dev/stdout`) is written
//! directly.
//!
//! A run's file is on the disk before it is renamed. A preview's is not made to wait for the
//! disk (a million rows' preview is a quarter of a gigabyte, a fifth of a second to sync): it is
//! made again by running the preview again, and it is still renamed only once it is whole.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::{RowResult, COLUMNS};
use crate::csv_cells::Writer as CsvWriter;
use crate::reason::ReasonCode;

impl RowResult {
    /// One CSV line, in [`COLUMNS`] order (an absent value is an empty cell).
    fn write_csv<W: Write>(&self, w: &mut CsvWriter<W>) -> csv::Result<()> {
        fn text<S: AsRef<str>>(v: &Option<S>) -> &str {
            v.as_ref().map_or("", AsRef::as_ref)
        }
        // Numbers written without a new string each (a line for every row of a large export).
        let (mut row, mut http_status) = (itoa::Buffer::new(), itoa::Buffer::new());
        let row = row.format(self.row);
        let http_status = match self.http_status {
            Some(s) => http_status.format(s),
            None => "",
        };
        w.write_row([
            row,
            text(&self.appointment_id),
            self.status.as_str(),
            text(&self.conversation_id),
            text(&self.reason),
            http_status,
            text(&self.to_number),
            text(&self.start_time),
            text(&self.attempted_at),
            text(&self.location),
            self.reason_code.map_or("", ReasonCode::as_str),
            if self.needs_attention() {
                "true"
            } else {
                "false"
            },
        ])
    }
}

/// A JSON Lines row: the fields, then `needs_attention` (as in the CSV's last column).
#[derive(Serialize)]
struct JsonLine<'a> {
    #[serde(flatten)]
    row: &'a RowResult,
    needs_attention: bool,
}

impl<'a> JsonLine<'a> {
    fn of(row: &'a RowResult) -> JsonLine<'a> {
        JsonLine {
            row,
            needs_attention: row.needs_attention(),
        }
    }
}

/// The results file's format, chosen by its extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResultsFormat {
    Csv,
    JsonLines,
}

impl ResultsFormat {
    pub fn for_path(path: &Path) -> ResultsFormat {
        match path.extension().and_then(|e| e.to_str()) {
            Some(ext) if ext.eq_ignore_ascii_case("jsonl") => ResultsFormat::JsonLines,
            _ => ResultsFormat::Csv,
        }
    }
}

/// Writes result rows, flushing each one.
pub struct ResultsWriter {
    path: PathBuf,
    /// The `.partial` file being written, renamed over `path` by [`ResultsWriter::finish`].
    partial: Option<PathBuf>,
    sink: Sink,
    /// Whether [`ResultsWriter::finish`] waits for the disk before the rename.
    synced: bool,
}

enum Sink {
    Csv(Box<CsvWriter<File>>),
    JsonLines(BufWriter<File>),
}

impl ResultsWriter {
    pub fn create(path: &Path) -> anyhow::Result<Self> {
        let partial = crate::settings::paths::partial_for(path);
        let target = partial.as_deref().unwrap_or(path);
        let file = crate::private_file::create(target).map_err(|e| {
            anyhow::anyhow!("cannot create results file `{}`: {e}", target.display())
        })?;
        let sink = match ResultsFormat::for_path(path) {
            ResultsFormat::Csv => {
                let mut w = CsvWriter::new(file);
                // Write the header now: an empty run still leaves a well-formed file.
                w.write_row(COLUMNS)?;
                w.flush()?;
                Sink::Csv(Box::new(w))
            }
            ResultsFormat::JsonLines => Sink::JsonLines(BufWriter::new(file)),
        };
        Ok(ResultsWriter {
            path: path.to_path_buf(),
            partial,
            sink,
            synced: true,
        })
    }

    /// A preview's results: not synced to the disk before the rename (see the module's notes).
    pub fn unsynced(mut self) -> Self {
        self.synced = false;
        self
    }

    /// Every row is written: flushes the `.partial` file to disk and renames it over the results
    /// file.
    pub fn finish(self) -> anyhow::Result<()> {
        let file = match self.sink {
            Sink::Csv(w) => w.into_inner(),
            Sink::JsonLines(w) => w.into_inner().map_err(|e| e.into_error()),
        };
        let Some(partial) = self.partial else {
            return Ok(());
        };
        let path = &self.path;
        let synced = self.synced;
        file.and_then(|f| if synced { f.sync_all() } else { Ok(()) })
            .and_then(|()| std::fs::rename(&partial, path))
            .map_err(|e| {
                anyhow::anyhow!(
                    "cannot move the finished results `{}` to `{}`: {e}; the results are in the \
                     first file",
                    partial.display(),
                    path.display()
                )
            })
    }

    /// Appends one row and flushes it to the operating system.
    pub fn write(&mut self, row: &RowResult) -> anyhow::Result<()> {
        self.write_unflushed(row)?;
        self.flush()
    }

    /// Appends one row without flushing it: a streaming preview writes thousands of rows a
    /// chunk and flushes once (see [`ResultsWriter::flush`]), not once per row.
    pub fn write_unflushed(&mut self, row: &RowResult) -> anyhow::Result<()> {
        let result: anyhow::Result<()> = match &mut self.sink {
            Sink::Csv(w) => row.write_csv(w).map_err(anyhow::Error::from),
            Sink::JsonLines(w) => serde_json::to_writer(&mut *w, &JsonLine::of(row))
                .map_err(anyhow::Error::from)
                .and_then(|_| w.write_all(b"\n").map_err(Into::into)),
        };
        result.map_err(|e| {
            anyhow::anyhow!("cannot write results file `{}`: {e}", self.path.display())
        })
    }

    /// Hands the rows written so far to the operating system.
    pub fn flush(&mut self) -> anyhow::Result<()> {
        let result = match &mut self.sink {
            Sink::Csv(w) => w.flush(),
            Sink::JsonLines(w) => w.flush(),
        };
        result.map_err(|e| {
            anyhow::anyhow!("cannot write results file `{}`: {e}", self.path.display())
        })
    }
}
