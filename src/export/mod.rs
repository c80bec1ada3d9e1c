//! Stage 1: read the practice-management export into raw records.
//!
//! This is the only stage that touches the export file. It maps columns to [`Field`]s and
//! decodes text, nothing more: whether a value makes sense is [`crate::normalise`]'s job. A
//! problem with the *file* (missing header, unreadable, not JSON) is a run error; a problem with
//! one *row* (wrong field count, bad bytes) travels on in [`RawRecord::problem`] so the row still
//! gets its own result.

pub(crate) mod columns;
mod csv_file;
mod json_file;
pub(crate) mod opt_out_columns;
pub(crate) mod path;
use path::metadata;
pub(crate) mod record;
mod sniff;

use std::path::{Path, PathBuf};
use std::time::Duration;

pub use columns::{Columns, Field};
pub(crate) use opt_out_columns::is_unread_warning as is_unread_opt_out_warning;
pub use opt_out_columns::OptOutNotes;
pub use record::{Export, Format, InputSettings, RawRecord};

/// Reads every row of the export. Fails only for problems that affect the whole file.
pub fn read(input: &InputSettings) -> anyhow::Result<Export> {
    let file = open(&input.path)?;
    let result = match input.format {
        Format::Csv => csv_file::read(file, input),
        Format::Json => json_file::read(file, input),
    };
    let export = result.map_err(|e| anyhow::anyhow!("export `{}`: {e:#}", input.path.display()))?;
    note_ignored(&export.ignored);
    if export.records.is_empty() {
        note_empty();
    }
    Ok(export)
}

/// A CSV export opened to be read a chunk of rows at a time (see [`Stream::next_chunk`]).
pub struct Stream {
    rows: csv_file::CsvRows,
    /// The mapped columns the file has (a preset's columns it lacks are dropped).
    pub columns: Columns,
    /// What to say about the export's opt-out columns ([`opt_out_notes`]).
    pub opt_outs: OptOutNotes,
    path: PathBuf,
}

/// Opens a CSV export to stream it. `notes`: log what was noticed about the file (the first
/// reading does; a second reading of the same file stays quiet).
pub fn stream(input: &InputSettings, notes: bool) -> anyhow::Result<Stream> {
    let file = open(&input.path)?;
    let (rows, columns, ignored, unread) = csv_file::open(file, input, notes)
        .map_err(|e| anyhow::anyhow!("export `{}`: {e:#}", input.path.display()))?;
    let opt_outs = opt_out_columns::notes(&unread, &ignored, &columns);
    if notes {
        note_ignored(&ignored);
    }
    Ok(Stream {
        rows,
        columns,
        opt_outs,
        path: input.path.clone(),
    })
}

impl Stream {
    /// The next rows, about `max` of them; empty at the end of the file.
    pub fn next_chunk(&mut self, max: usize) -> anyhow::Result<Vec<RawRecord>> {
        self.rows
            .next_chunk(max)
            .map_err(|e| anyhow::anyhow!("export `{}`: {e:#}", self.path.display()))
    }
}

/// A preset's columns this export lacks, in one note. Its do-not-call columns are left to
/// [`opt_out_notes`], which says what their absence means (no row is skipped for them).
fn note_ignored(ignored: &[(Field, String)]) {
    let noted: Vec<&(Field, String)> = ignored
        .iter()
        .filter(|(field, _)| !matches!(field, Field::OptOut(_)))
        .collect();
    if !noted.is_empty() {
        let list: Vec<String> = noted
            .iter()
            .map(|(field, column)| format!("{column} ({})", field.key()))
            .collect();
        tracing::info!(
            columns = %list.join(", "),
            "the preset's columns that this export does not have are ignored; map them in \
             [input.columns] if the export names them differently, or set them to false"
        );
    }
}

/// What to say about `export`'s opt-out columns: warnings for the run's list (a column that
/// looks like a do-not-call column, not read), notes for the log (a preset's opt-out columns
/// the export lacks); see [`opt_out_columns`].
pub fn opt_out_notes(export: &Export) -> OptOutNotes {
    opt_out_columns::notes(&export.unread_opt_outs, &export.ignored, &export.columns)
}

/// A closed day exports a header and nothing else; a nightly job must not fail on it.
pub(crate) fn note_empty() {
    tracing::warn!("the export has no appointment rows: nothing to call");
}

/// Opens the export, with messages that say what is wrong with the path.
fn open(path: &Path) -> anyhow::Result<std::fs::File> {
    metadata(path)?;
    std::fs::File::open(path)
        .map_err(|e| anyhow::anyhow!("cannot open export `{}`: {e}", path.display()))
}

/// Refuses an export last modified more than `max_export_age` before `now`. Calling patients
/// from an old schedule is how moved and cancelled appointments get reminder calls.
pub fn check_fresh(
    input: &InputSettings,
    now: chrono::DateTime<chrono::Utc>,
) -> anyhow::Result<()> {
    let modified = metadata(&input.path)?.modified().map_err(|e| {
        anyhow::anyhow!(
            "cannot read the modification time of `{}`: {e}",
            input.path.display()
        )
    })?;
    let modified: chrono::DateTime<chrono::Utc> = modified.into();
    let age = (now - modified).to_std().unwrap_or_default();
    if age > input.max_export_age {
        anyhow::bail!(
            "export `{}` was last modified {} ({} before the run time), more than [input] \
             max_export_age ({}); appointments may have moved or been cancelled since. Export \
             the schedule again, or pass --allow-stale to use it anyway",
            input.path.display(),
            modified.format("%Y-%m-%d %H:%M UTC"),
            rough(age),
            rough(input.max_export_age),
        );
    }
    Ok(())
}

/// "36h", "3 days": precise enough for an operator, short enough to read.
fn rough(d: Duration) -> String {
    let hours = d.as_secs() / 3600;
    match hours {
        0 => format!("{}m", d.as_secs() / 60),
        1..=72 => format!("{hours}h"),
        _ => format!("{} days", hours / 24),
    }
}
