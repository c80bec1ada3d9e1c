//! Stage 1: read the practice-management export into raw records.
//!
//! This is the only stage that touches the export file. It maps columns to [`Field`]s and
//! decodes text, nothing more: whether a value makes sense is [`crate::normalise`]'s job. A
//! problem with the *file* (missing header, unreadable, not JSON) is a run error; a problem with
//! one *row* (wrong field count, bad bytes) travels on in [`RawRecord::problem`] so the row still
//! gets its own result.

mod columns;
mod csv_file;
mod json_file;
mod sniff;

use std::path::{Path, PathBuf};
use std::time::Duration;

pub use columns::{Columns, Field};

/// Export file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    /// A JSON array of objects, or JSON Lines (one object per line); told apart by the first byte.
    Json,
}

/// Character encodings we can read. CSV is parsed on bytes, so any ASCII-compatible single-byte
/// encoding works; these are the two that practice exports actually use. (A UTF-16 file, Excel's
/// "Unicode text", is recognised by its byte-order mark and decoded whatever this says.)
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextEncoding {
    /// UTF-8; a byte-order mark (Excel's "CSV UTF-8") is dropped.
    Utf8,
    /// Windows code page 1252, the default of Excel's plain "CSV" and of Windows tools.
    Windows1252,
}

/// Everything needed to read one export.
#[derive(Debug, Clone)]
pub struct InputSettings {
    pub path: PathBuf,
    pub format: Format,
    pub delimiter: u8,
    pub encoding: TextEncoding,
    pub columns: Columns,
    pub max_export_age: Duration,
    pub datetime_formats: Vec<String>,
    pub date_formats: Vec<String>,
    pub time_formats: Vec<String>,
    pub birth_date_formats: Vec<String>,
    /// JSON: the dotted path of the list of appointments when the file is one object wrapping
    /// it (`[input] records`).
    pub records: Option<String>,
    /// Values of the opt-out columns that mean "do not call" (compared without case).
    pub opt_out_values: Vec<String>,
}

/// One row of the export, with the mapped values that were present and non-blank.
///
/// The values share one string buffer (a large export is millions of rows; one allocation per
/// row instead of one per field keeps memory and time down).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RawRecord {
    /// The line the row starts on (CSV, JSON Lines, JSON array element), 1-based.
    pub row: u64,
    text: String,
    spans: Vec<(Field, u32, u32)>,
    /// Set when the row could not be read properly; the row becomes `invalid` with this reason.
    pub problem: Option<String>,
}

impl RawRecord {
    pub fn new(row: u64) -> RawRecord {
        RawRecord {
            row,
            ..RawRecord::default()
        }
    }

    /// A record whose values will take about `text` bytes in `fields` values: one allocation
    /// each instead of a string and a list grown value by value (a tenth of a large preview's
    /// time went to growing them).
    pub fn with_capacity(row: u64, text: usize, fields: usize) -> RawRecord {
        RawRecord {
            row,
            text: String::with_capacity(text),
            spans: Vec::with_capacity(fields),
            problem: None,
        }
    }

    /// Adds a value (trimmed; blank values are not stored).
    pub fn push(&mut self, field: Field, value: &str) {
        let value = value.trim();
        if value.is_empty() {
            return;
        }
        let start = self.text.len() as u32;
        self.text.push_str(value);
        self.spans.push((field, start, self.text.len() as u32));
    }

    /// The trimmed, non-empty value of `field`, if the row has one.
    pub fn get(&self, field: Field) -> Option<&str> {
        self.spans
            .iter()
            .find(|(f, _, _)| *f == field)
            .map(|(_, a, b)| &self.text[*a as usize..*b as usize])
    }
}

/// What reading the export produced: its rows, and the mapping as the file allowed it.
#[derive(Debug)]
pub struct Export {
    pub records: Vec<RawRecord>,
    /// The mapped columns the file has (a preset's columns it lacks are dropped).
    pub columns: Columns,
    /// A preset's columns the file lacks, each with its field: ignored.
    pub ignored: Vec<(Field, String)>,
}

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
    path: PathBuf,
}

/// Opens a CSV export to stream it. `notes`: log what was noticed about the file (the first
/// reading does; a second reading of the same file stays quiet).
pub fn stream(input: &InputSettings, notes: bool) -> anyhow::Result<Stream> {
    let file = open(&input.path)?;
    let (rows, columns, ignored) = csv_file::open(file, input, notes)
        .map_err(|e| anyhow::anyhow!("export `{}`: {e:#}", input.path.display()))?;
    if notes {
        note_ignored(&ignored);
    }
    Ok(Stream {
        rows,
        columns,
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

/// A preset's do-not-call columns are read when an export has them; most queries do not, and
/// a note every night about them would only teach people to ignore the log.
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

/// Checks that `path` can be an export: it exists, is a file, and is no Excel workbook by name.
pub(crate) fn check_path(path: &Path) -> anyhow::Result<()> {
    metadata(path)?;
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or_default();
    if ["xlsx", "xlsm", "xls"]
        .iter()
        .any(|x| ext.eq_ignore_ascii_case(x))
    {
        anyhow::bail!(
            "export `{}`: {}",
            path.display(),
            sniff::workbook_advice(&format!(".{}", ext.to_ascii_lowercase()))
        );
    }
    Ok(())
}

/// The export's metadata; a missing file or a directory is named as such.
fn metadata(path: &Path) -> anyhow::Result<std::fs::Metadata> {
    let meta = std::fs::metadata(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => anyhow::anyhow!(
            "export `{}` does not exist: check the --input path, and that tonight's export ran",
            path.display()
        ),
        _ => anyhow::anyhow!("cannot read export `{}`: {e}", path.display()),
    })?;
    if meta.is_dir() {
        anyhow::bail!(
            "`{}` is a directory, not an export: pass the export file itself to --input",
            path.display()
        );
    }
    Ok(meta)
}

/// Guesses the format from the file name; `None` when the extension says nothing.
pub fn format_from_extension(path: &Path) -> Option<Format> {
    let ext = path.extension()?.to_str()?.to_ascii_lowercase();
    match ext.as_str() {
        "csv" | "txt" | "tsv" => Some(Format::Csv),
        "json" | "jsonl" | "ndjson" => Some(Format::Json),
        _ => None,
    }
}

/// Decodes one field. `Err` carries a reason fit for the results file.
fn decode(bytes: &[u8], encoding: TextEncoding) -> Result<String, String> {
    match encoding {
        TextEncoding::Utf8 => std::str::from_utf8(bytes).map(str::to_owned).map_err(|_| {
            "the row is not valid UTF-8; if the export comes from Excel or another Windows \
             program, set [input] encoding = \"windows-1252\""
                .to_string()
        }),
        TextEncoding::Windows1252 => Ok(encoding_rs::WINDOWS_1252
            .decode_without_bom_handling(bytes)
            .0
            .into_owned()),
    }
}

/// The "column not found" error for every missing column at once, listing what the file does
/// have so the fix is obvious.
fn missing_columns(missing: &[(Field, String)], found: &[String], what: &str) -> anyhow::Error {
    let named: Vec<String> = missing
        .iter()
        .map(|(field, column)| format!("`{column}` (mapped by [input.columns] {})", field.key()))
        .collect();
    let (subject, verb) = match named.len() {
        1 => (format!("{what} {}", named[0]), "is"),
        _ => (format!("{what}s {}", named.join(", ")), "are"),
    };
    anyhow::anyhow!(
        "{subject} {verb} not in the file; {what}s found: {}",
        if found.is_empty() {
            "none".to_string()
        } else {
            found.join(", ")
        }
    )
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
