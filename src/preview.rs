//! The `--dry-run` table on stdout: what each row would get, in words an office manager reads.
//!
//! Columns are measured in a first pass over the rows and written in a second, straight to
//! stdout: a million-row preview holds no table model and no copy of the table. The table fits
//! a width (100 columns, or a wider terminal; `--wide` lifts it): the last column, what will
//! happen, is cut with "…" to fit (the preview file keeps every reason whole).
//!
//! The patient column (first name and last initial, "Sarah J.") is shown here only: it is never
//! logged and never written to the preview or results file.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::io::Write;

use chrono_tz::Tz;
use rustc_hash::FxBuildHasher;
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

mod by_row;

use compact_str::CompactString;

use crate::plan::Call;
use crate::reason::ReasonCode;
use crate::results::{RowResult, Status};
use crate::select::Selected;

/// The width the table fits when stdout is not a wider terminal and `--wide` is not given.
pub const DEFAULT_WIDTH: usize = 100;

/// The longest patient cell ("Maximilian-Alexander J." is cut).
const MAX_PATIENT: usize = 16;
/// The longest location cell.
const MAX_LOCATION: usize = 18;
/// The longest cell of any other column but the last (an odd masked number, say).
const MAX_OTHER: usize = 20;

/// Who each row is about, for the patient column, and its location's time zone, for the start
/// time's abbreviation. Compact (one small entry per row and the short names in one string), as
/// a million-row preview keeps it until the table is written.
#[derive(Default)]
pub struct Patients {
    /// Sorted by row.
    entries: Vec<Entry>,
    names: String,
}

struct Entry {
    row: u64,
    start: u32,
    len: u8,
    tz: Tz,
}

impl Patients {
    /// The short name and zone of every row that became an appointment.
    pub fn of(selected: &[Selected]) -> Patients {
        let mut p = Patients::default();
        for s in selected {
            let Some(a) = s.verdict.appointment() else {
                continue;
            };
            let start = p.names.len();
            push_short_name(&mut p.names, &a.first_name, a.last_name.as_deref());
            let len = p.names.len() - start;
            p.entries.push(Entry {
                row: s.row,
                start: start as u32,
                len: len as u8,
                tz: a.start.timezone(),
            });
        }
        p.entries.sort_unstable_by_key(|e| e.row);
        p
    }

    fn get(&self, row: u64) -> Option<&Entry> {
        self.entries
            .binary_search_by_key(&row, |e| e.row)
            .ok()
            .map(|i| &self.entries[i])
    }

    fn name(&self, row: u64) -> &str {
        self.get(row).map_or("", |e| {
            &self.names[e.start as usize..e.start as usize + e.len as usize]
        })
    }

    fn zone(&self, row: u64) -> Option<Tz> {
        self.get(row).map(|e| e.tz)
    }
}

/// "Sarah J.": the first name (its first word) and the last name's initial, at most
/// [`MAX_PATIENT`] columns and 255 bytes.
fn push_short_name(out: &mut String, first: &str, last: Option<&str>) {
    out.push_str(&short_name(first, last));
}

/// [`push_short_name`]'s name, made without a new string for most names (a compact string holds
/// a name of up to 24 bytes in itself: a million-row preview makes one a row).
fn short_name(first: &str, last: Option<&str>) -> CompactString {
    plain_short_name(first, last).unwrap_or_else(|| any_short_name(first, last))
}

/// [`short_name`] of a name in printable ASCII that fits as it is (most names): no character
/// to clean, decode or measure, so none is (each byte is a column).
fn plain_short_name(first: &str, last: Option<&str>) -> Option<CompactString> {
    let plain = |s: &str| s.bytes().all(|b| (0x20..0x7f).contains(&b));
    if !plain(first) || !last.is_none_or(plain) {
        return None;
    }
    // The only whitespace in printable ASCII is the space.
    let first = first.split(' ').find(|w| !w.is_empty()).unwrap_or("");
    let initial = last.and_then(|l| l.bytes().find(u8::is_ascii_alphanumeric));
    let len = first.len() + initial.map_or(0, |_| 3);
    if len > MAX_PATIENT {
        return None;
    }
    let mut short = CompactString::new(first);
    if let Some(initial) = initial {
        short.push(' ');
        short.push(char::from(initial.to_ascii_uppercase()));
        short.push('.');
    }
    Some(short)
}

/// [`short_name`] of any name.
fn any_short_name(first: &str, last: Option<&str>) -> CompactString {
    let first = first.split_whitespace().next().unwrap_or("");
    let initial = last.and_then(|l| l.trim().chars().find(|c| c.is_alphanumeric()));
    let mut short = CompactString::new(first);
    if let Some(initial) = initial {
        short.push(' ');
        short.extend(initial.to_uppercase());
        short.push('.');
    }
    let fitted = match fit(&clean(&short), MAX_PATIENT) {
        Cow::Borrowed(same) if same == short => None,
        other => Some(CompactString::new(other)),
    };
    let mut short = fitted.unwrap_or(short);
    let mut end = short.len().min(255);
    while !short.is_char_boundary(end) {
        end -= 1;
    }
    short.truncate(end);
    short
}

/// The texts of the first calls (by input row), for `--show-texts N`.
pub struct CallDetails {
    limit: usize,
    /// Lead row → (rows of the call, context, voicemail).
    texts: BTreeMap<u64, (Vec<u64>, String, String)>,
}

impl CallDetails {
    /// Keeps the texts of the first `limit` calls (none for 0).
    pub fn new(limit: usize) -> Self {
        CallDetails {
            limit,
            texts: BTreeMap::new(),
        }
    }

    /// Notes a rendered call's texts, if it is among the first calls seen so far.
    pub fn add(&mut self, call: &Call) {
        let Some(lead) = call.members.iter().map(|m| m.row).min() else {
            return;
        };
        let full = self.texts.len() >= self.limit;
        if self.limit == 0 || (full && self.texts.keys().next_back().is_some_and(|&l| lead > l)) {
            return;
        }
        let body: serde_json::Value = serde_json::from_str(&call.body_json).unwrap_or_default();
        let text = |key: &str| body[key].as_str().unwrap_or("").to_string();
        let rows = call.members.iter().map(|m| m.row).collect();
        self.texts
            .insert(lead, (rows, text("context"), text("voicemailMessage")));
        if self.texts.len() > self.limit {
            self.texts.pop_last();
        }
    }
}

/// What the table needs beside the rows.
pub struct Layout<'a> {
    /// The width every line fits; `None` for `--wide`.
    pub width: Option<usize>,
    /// For a group: each location's results id and name (the location column). `None` for a
    /// single practice (no column).
    pub locations: Option<Vec<(String, String)>>,
    pub patients: &'a Patients,
}

impl<'a> Layout<'a> {
    /// The layout for `width` (`None`: `--wide`); `locations` (id, name) for a group, shown by
    /// the words that tell them apart ("Bright Smile Dental North" and "... West": "North" and
    /// "West").
    pub fn new(
        width: Option<usize>,
        locations: Option<Vec<(String, String)>>,
        patients: &'a Patients,
    ) -> Layout<'a> {
        Layout {
            width,
            locations: locations.map(distinct_names),
            patients,
        }
    }

    fn location<'b>(&'b self, id: Option<&'b str>) -> &'b str {
        let (Some(list), Some(id)) = (&self.locations, id) else {
            return "";
        };
        list.iter()
            .find(|(i, _)| i == id)
            .map_or(id, |(_, name)| name.as_str())
    }
}

/// Location names without the leading words they all share, when every one keeps a word.
fn distinct_names(mut list: Vec<(String, String)>) -> Vec<(String, String)> {
    let words: Vec<Vec<&str>> = list
        .iter()
        .map(|(_, n)| n.split_whitespace().collect())
        .collect();
    let shortest = words.iter().map(Vec::len).min().unwrap_or(0);
    let shared = (0..shortest)
        .take_while(|&i| words.iter().all(|w| w[i] == words[0][i]))
        .count();
    if list.len() < 2 || shared == 0 || shared == shortest {
        return list;
    }
    let short: Vec<String> = words.iter().map(|w| w[shared..].join(" ")).collect();
    for ((_, name), short) in list.iter_mut().zip(short) {
        *name = short;
    }
    list
}

const COLUMNS: usize = 6;
const LOCATION: usize = 4;

/// The column headings; every column but the last is padded to its widest cell.
const HEADINGS: [&str; COLUMNS] = [
    "ROW",
    "APPOINTMENT",
    "PATIENT",
    "PHONE",
    "LOCATION",
    "WHAT WILL HAPPEN",
];

/// Spaces between columns.
const GAP: usize = 2;

/// Writes the preview table for rows sorted by input row: one pass to measure the columns, one
/// to write the lines. Nothing but the column widths is held, so a million-row preview does not
/// build its whole table in memory first.
pub fn write_table(
    out: impl Write,
    rows: &[RowResult],
    layout: &Layout<'_>,
) -> std::io::Result<()> {
    let shown = shown(layout);
    let mut widths: Vec<usize> = HEADINGS.iter().map(|h| h.width()).collect();
    for r in rows {
        for (w, cell) in widths.iter_mut().zip(cells(r, layout)) {
            *w = (*w).max(cell.width());
        }
    }
    let last = last_width(layout, &widths, &shown);
    let mut out = std::io::BufWriter::new(out);
    write_line(&mut out, &widths, &shown, last, HEADINGS)?;
    for r in rows {
        write_line(&mut out, &widths, &shown, last, cells(r, layout))?;
    }
    out.flush()
}

/// Which columns the table shows (the location column only for a group).
fn shown(layout: &Layout<'_>) -> [bool; COLUMNS] {
    std::array::from_fn(|i| i != LOCATION || layout.locations.is_some())
}

/// Every column but the last is within its cap; the last gets what is left of the width.
fn last_width(layout: &Layout<'_>, widths: &[usize], shown: &[bool; COLUMNS]) -> Option<usize> {
    let fixed: usize = (0..COLUMNS - 1)
        .filter(|&i| shown[i])
        .map(|i| widths[i] + GAP)
        .sum();
    layout.width.map(|w| w.saturating_sub(fixed).max(1))
}

/// No patients: the table of a [`Spool`], which learns who each row is about as rows come.
static NO_PATIENTS: Patients = Patients {
    entries: Vec::new(),
    names: String::new(),
};

/// The preview table of a streaming run, spooled as result rows come, in any order: each
/// row's cells go to a temporary file (not memory: a million rows of cells is tens of
/// megabytes), the column widths are measured on the way, and [`Spool::write`] writes the
/// table in input order from the file. Only who each row is about is held, from when its
/// chunk is read until its result comes.
///
/// A row's record in the file is its six cells' lengths and display widths (see [`Record`]),
/// then the cells: written once as the row comes, measured once, so the table is written from
/// the file without finding, checking or measuring a cell again.
pub struct Spool {
    layout: Layout<'static>,
    file: std::io::BufWriter<std::fs::File>,
    written: u64,
    /// Each row's record in the file, indexed by input row (`u64::MAX`: no such row).
    offsets: Vec<u64>,
    widths: Vec<usize>,
    /// Who the rows whose results have not come yet are about.
    expected: Expected,
    /// What the collector's thread keeps between rows: the entries already moved out of
    /// `expected`, the start cells met so far and the buffers a record is made in.
    /// (Boxed: the spool is moved about in an enum beside small variants.)
    own: Box<Own>,
}

/// The spool's own state, on the collector's thread (see [`Spool`]).
#[derive(Default)]
struct Own {
    /// Entries moved out of [`Expected`] whose results have not come yet: the shared list is
    /// locked once for a chunk's rows, not once a row.
    waiting: by_row::ByRow<Patient>,
    /// The start column's cells (and widths) met so far, by zone and the result's start time:
    /// an export has a few hundred start times, so most rows' cells are found here instead of
    /// parsed back and formatted in the zone again.
    starts: Vec<(Option<Tz>, StartCells)>,
    /// A record's lengths and widths, and its cells.
    head: Vec<u8>,
    cells: Vec<u8>,
    /// The last cell, made here before it is measured, and its width; kept for the next row
    /// if it has the same status, reason code and reason (most rows have their neighbour's).
    what: String,
    what_width: usize,
    what_of: Option<(Status, Option<ReasonCode>)>,
    what_reason: String,
}

/// A zone's start cells and their widths, by start time (see [`Own`]). The spool's maps hash
/// with FxHash: their keys come from this run, not from anyone trying to make them collide.
type StartCells = HashMap<Box<str>, (Box<str>, usize), FxBuildHasher>;

/// How many start cells [`Spool`] keeps per zone before it starts again.
const STARTS_KEPT: usize = 4096;

/// Short name and zone of each row whose result has not come yet, shared between the pipeline
/// (which notes a chunk's rows before planning them) and the spool (which takes the entries
/// when the chunk's results come, on the collector's thread).
#[derive(Clone, Default)]
pub struct Expected(std::sync::Arc<std::sync::Mutex<by_row::Entries<Patient>>>);

/// Who a row is about: short name and zone.
type Patient = (CompactString, Tz);

impl Expected {
    /// Notes who the rows of a chunk are about, before their results come.
    pub fn note(&self, selected: &[Selected]) {
        use rayon::prelude::*;
        // Into a vector of the chunk's length (a filtered parallel collect gathers pieces and
        // copies them together), then the rows without an appointment are dropped.
        let mut entries = Vec::with_capacity(selected.len());
        selected
            .par_iter()
            .map(|s| {
                let patient = s.verdict.appointment().map(|a| {
                    let name = short_name(&a.first_name, a.last_name.as_deref());
                    (name, a.start.timezone())
                });
                (s.row, patient)
            })
            .collect_into_vec(&mut entries);
        entries.retain(|e| e.1.is_some());
        let mut noted = self.0.lock().unwrap_or_else(|p| p.into_inner());
        // Taken whole when nothing waits (the spool has just moved everything out).
        match noted.is_empty() {
            true => *noted = entries,
            false => noted.extend(entries),
        }
    }

    /// Moves every entry noted so far into `waiting`.
    fn move_into(&self, waiting: &mut by_row::ByRow<Patient>) {
        let mut shared = self.0.lock().unwrap_or_else(|p| p.into_inner());
        waiting.take_from(&mut shared);
    }
}

/// A row's record in a spool: for each of the [`COLUMNS`] cells its length in bytes and its
/// display width ([`columns`]), each a LEB128 number; then the cells' bytes.
struct Record;

/// A record's head: each cell's length and width, and where the cells start.
type Head = ([(usize, usize); COLUMNS], usize);

impl Record {
    fn push_number(out: &mut Vec<u8>, mut n: usize) {
        while n >= 0x80 {
            out.push(n as u8 | 0x80);
            n >>= 7;
        }
        out.push(n as u8);
    }

    fn number(bytes: &[u8], at: &mut usize) -> Option<usize> {
        let mut n = 0usize;
        let mut shift = 0;
        loop {
            let b = *bytes.get(*at)?;
            *at += 1;
            n |= usize::from(b & 0x7f).checked_shl(shift)?;
            if b < 0x80 {
                return Some(n);
            }
            shift += 7;
        }
    }

    /// Each cell's length and width, and where the cells start; `None` if `bytes` does not
    /// hold the whole head.
    fn head(bytes: &[u8]) -> Option<Head> {
        // Every number below 128 (nearly every record): a byte each, read at once.
        if let Some(short) = bytes
            .get(..2 * COLUMNS)
            .filter(|b| b.iter().all(|&b| b < 0x80))
        {
            let mut cells = [(0, 0); COLUMNS];
            for (cell, pair) in cells.iter_mut().zip(short.chunks_exact(2)) {
                *cell = (usize::from(pair[0]), usize::from(pair[1]));
            }
            return Some((cells, 2 * COLUMNS));
        }
        let mut at = 0;
        let mut cells = [(0, 0); COLUMNS];
        for cell in &mut cells {
            *cell = (Self::number(bytes, &mut at)?, Self::number(bytes, &mut at)?);
        }
        Some((cells, at))
    }

    /// The length of the record whose head this is.
    fn len_of((cells, at): &Head) -> usize {
        at + cells.iter().map(|c| c.0).sum::<usize>()
    }
}

impl Spool {
    /// A spool for a table of `width` (`None`: `--wide`) and, for a group, its locations.
    pub fn new(
        width: Option<usize>,
        locations: Option<Vec<(String, String)>>,
    ) -> std::io::Result<Spool> {
        Ok(Spool {
            layout: Layout::new(width, locations, &NO_PATIENTS),
            file: std::io::BufWriter::with_capacity(1 << 16, tempfile::tempfile()?),
            written: 0,
            offsets: Vec::new(),
            widths: HEADINGS.iter().map(|h| h.width()).collect(),
            expected: Expected::default(),
            own: Box::default(),
        })
    }

    /// Where the pipeline notes who each row is about.
    pub fn expected(&self) -> Expected {
        self.expected.clone()
    }

    /// Who a row is about, if it was noted: its entry is taken.
    fn take_expected(&mut self, row: u64) -> Option<Patient> {
        if let Some(found) = self.own.waiting.take(row) {
            return Some(found);
        }
        self.expected.move_into(&mut self.own.waiting);
        self.own.waiting.take(row)
    }

    /// Spools one row's cells: the same cells [`cells_of`] gives, measured once.
    pub fn add(&mut self, r: &RowResult) -> std::io::Result<()> {
        let patient = self.take_expected(r.row);
        let (name, zone) = patient
            .as_ref()
            .map_or(("", None), |(n, tz)| (n.as_str(), Some(*tz)));
        let Own {
            starts,
            head,
            cells,
            what,
            what_width,
            what_of,
            what_reason,
            ..
        } = &mut *self.own;
        head.clear();
        cells.clear();
        let widths = &mut self.widths;
        let mut push = |i: usize, cell: &str, width: usize| {
            widths[i] = widths[i].max(width);
            Record::push_number(head, cell.len());
            Record::push_number(head, width);
            cells.extend_from_slice(cell.as_bytes());
        };

        let mut digits = itoa::Buffer::new();
        let row = digits.format(r.row);
        push(0, row, row.len());

        match r.start_time.as_deref() {
            None => push(1, "", 0),
            Some(time) => {
                let i = match starts.iter().position(|(z, _)| *z == zone) {
                    Some(i) => i,
                    None => {
                        starts.push((zone, StartCells::default()));
                        starts.len() - 1
                    }
                };
                let known = &mut starts[i].1;
                match known.get(time) {
                    Some((cell, width)) => push(1, cell, *width),
                    None => {
                        if known.len() >= STARTS_KEPT {
                            known.clear();
                        }
                        let cell = start_cell(Some(time), zone);
                        let width = columns(&cell);
                        push(1, &cell, width);
                        known.insert(time.into(), (cell.into_owned().into_boxed_str(), width));
                    }
                }
            }
        }

        push(2, name, columns(name));

        let (phone, width) = clean_fit(r.to_number.as_deref().unwrap_or(""), MAX_OTHER);
        push(3, &phone, width);

        let location = self.layout.location(r.location.as_deref());
        let (location, width) = clean_fit(location, MAX_LOCATION);
        push(4, &location, width);

        // [`what`] reads nothing of the row but these.
        let reason = r.reason.as_deref();
        let key = Some((r.status, r.reason_code));
        // (No reason is the same as an empty one to [`what`].)
        if *what_of != key || reason.unwrap_or("") != what_reason {
            what.clear();
            push_what(what, r);
            *what_width = columns(what);
            *what_of = key;
            what_reason.clear();
            what_reason.push_str(reason.unwrap_or(""));
        }
        push(COLUMNS - 1, what, *what_width);

        let row = usize::try_from(r.row).unwrap_or(usize::MAX - 1);
        if self.offsets.len() <= row {
            self.offsets.resize(row + 1, u64::MAX);
        }
        self.offsets[row] = self.written;
        self.file.write_all(head)?;
        self.file.write_all(cells)?;
        self.written += (head.len() + cells.len()) as u64;
        Ok(())
    }

    /// Writes the table, in input order: the same lines [`write_table`] writes for these rows.
    /// The lines are made a block of rows at a time on every core (each block reads its own
    /// records), and written in order: a few blocks are in memory at once, never the table.
    pub fn write(self, out: impl Write) -> std::io::Result<()> {
        use rayon::prelude::*;
        let Spool {
            layout,
            file,
            offsets,
            widths,
            ..
        } = self;
        let file = file.into_inner().map_err(|e| e.into_error())?;
        let shown = shown(&layout);
        let last = last_width(&layout, &widths, &shown);
        let lines = Lines {
            widths: &widths,
            shown: &shown,
            last,
        };
        let mut out = std::io::BufWriter::with_capacity(1 << 16, out);
        write_line(&mut out, &widths, &shown, last, HEADINGS)?;
        let offsets: Vec<u64> = offsets.into_iter().filter(|&o| o != u64::MAX).collect();
        let batch = BLOCK * rayon::current_num_threads().max(1) * 2;
        for rows in offsets.chunks(batch) {
            let blocks: Vec<std::io::Result<Vec<u8>>> = rows
                .par_chunks(BLOCK)
                .map(|block| lines.block(&file, block))
                .collect();
            for block in blocks {
                out.write_all(&block?)?;
            }
        }
        out.flush()
    }
}

/// Rows whose table lines are made at once, on one core (a block's lines are about 100 bytes
/// each: a few hundred kilobytes a block).
const BLOCK: usize = 4096;

/// How a spooled row becomes its line: the table's widths, which columns show and the last
/// column's width.
struct Lines<'a> {
    widths: &'a [usize],
    shown: &'a [bool; COLUMNS],
    last: Option<usize>,
}

impl Lines<'_> {
    /// The lines of the rows spooled at `offsets`, in that order.
    fn block(&self, file: &std::fs::File, offsets: &[u64]) -> std::io::Result<Vec<u8>> {
        let mut records = Windows::new(file);
        let mut out = Vec::with_capacity(offsets.len() * 100);
        for &offset in offsets {
            let (head, record) = records.record(offset)?;
            self.line(&mut out, head, record)?;
        }
        Ok(out)
    }

    /// One row's line from its record and the record's head ([`Record::head`]; `None` when it is
    /// cut short).
    fn line(&self, out: &mut Vec<u8>, head: Option<Head>, record: &[u8]) -> std::io::Result<()> {
        let Lines {
            widths,
            shown,
            last,
        } = *self;
        // A record cut short (only if the spool was) gives empty cells.
        let (cells, mut at) = head.unwrap_or(([(0, 0); COLUMNS], 0));
        for (i, &(len, width)) in cells.iter().enumerate() {
            let cell = record.get(at..at + len).unwrap_or_default();
            at += len;
            if !shown[i] {
                continue;
            }
            if i < COLUMNS - 1 {
                out.write_all(cell)?;
                pad(out, widths[i] + GAP - width)?;
                continue;
            }
            match last {
                // Cut to the width, as in `write_line`.
                Some(w) if width > w => {
                    let cell = std::str::from_utf8(cell).unwrap_or_default();
                    out.write_all(cut(cell, w).as_bytes())?;
                    out.write_all("…".as_bytes())?;
                }
                // Whole: nothing to trim after a printable ASCII character (most cells).
                _ if cell.last().is_none_or(u8::is_ascii_graphic) => out.write_all(cell)?,
                _ => {
                    let cell = std::str::from_utf8(cell).unwrap_or_default();
                    out.write_all(cell.trim_end().as_bytes())?;
                }
            }
        }
        out.write_all(b"\n")
    }
}

/// What [`fit`] keeps of `s` before its "…" when `s` is wider than `width` (so with nothing
/// to trim after it: the "…" ends the cell).
fn cut(s: &str, width: usize) -> &str {
    let mut used = 0;
    for (at, c) in s.char_indices() {
        let w = match c {
            ' '..='~' => 1,
            _ => c.width().unwrap_or(0),
        };
        if used + w + 1 > width {
            return &s[..at];
        }
        used += w;
    }
    s
}

/// [`fit_measured`] of [`clean`]`(s)`: a cell of printable ASCII that fits as it is (most
/// cells) is found so in one look at its bytes (nothing to clean, and each byte is a column).
fn clean_fit(s: &str, width: usize) -> (Cow<'_, str>, usize) {
    if s.len() <= width && s.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        return (Cow::Borrowed(s), s.len());
    }
    fit_measured(clean(s), width)
}

/// `s` cut to `width` columns as [`fit`] cuts it, with its width.
fn fit_measured(s: Cow<'_, str>, width: usize) -> (Cow<'_, str>, usize) {
    let columns_of = columns(&s);
    if columns_of <= width {
        return (s, columns_of);
    }
    let cut = fit(&s, width).into_owned();
    let columns_of = columns(&cut);
    (Cow::Owned(cut), columns_of)
}

/// A spool's records read back by offset through a few windows onto the file, not the whole
/// file at once (tens of megabytes at a million rows). In input order, the records walk the
/// file as a few mostly rising sequences (within a chunk: the rows settled before planning, the
/// rows planned without a call, the calls; then the households planned with a later chunk), so
/// each window reads on almost sequentially. Two windows were too few for the three sequences
/// of a chunk: a 100k-row table refilled a window every five lines (19,600 reads of 64 KB); four
/// refill one about 130 times.
struct Windows<'a> {
    file: &'a std::fs::File,
    /// Each window's offset in the file and bytes.
    windows: [(u64, Vec<u8>); WINDOWS],
    /// When each window was last read from (the least recent one is refilled on a miss).
    used: [u64; WINDOWS],
    reads: u64,
}

/// Windows onto the spool.
const WINDOWS: usize = 4;

/// Bytes a window reads at a time (more when one record is longer).
const WINDOW: usize = 1 << 16;

impl<'a> Windows<'a> {
    fn new(file: &'a std::fs::File) -> Windows<'a> {
        Windows {
            file,
            windows: std::array::from_fn(|_| (0, Vec::new())),
            used: [0; WINDOWS],
            reads: 0,
        }
    }

    /// The record at `offset`, with its head (read once; `None` if even that is cut short).
    fn record(&mut self, offset: u64) -> std::io::Result<(Option<Head>, &[u8])> {
        let hit = (0..WINDOWS).find_map(|i| Some((i, self.end_in(i, offset)?)));
        let (i, (end, head)) = match hit {
            Some(found) => found,
            None => {
                let i = (0..WINDOWS).min_by_key(|&i| self.used[i]).unwrap_or(0);
                let mut size = WINDOW;
                loop {
                    let read = self.fill(i, offset, size)?;
                    match self.end_in(i, offset) {
                        Some(end) => break (i, end),
                        // The end of the file: a cut record (only if the spool was cut short).
                        None if read < size => {
                            let end = self.windows[i].1.len();
                            break (i, (end, None));
                        }
                        None => size *= 2,
                    }
                }
            }
        };
        self.reads += 1;
        self.used[i] = self.reads;
        let (start, bytes) = &self.windows[i];
        let record = &bytes[(offset - start) as usize..end];
        Ok((head.or_else(|| Record::head(record)), record))
    }

    /// Where the record at `offset` ends in window `i`, if the window holds all of it, and its
    /// head.
    fn end_in(&self, i: usize, offset: u64) -> Option<(usize, Option<Head>)> {
        let (start, bytes) = &self.windows[i];
        let from = usize::try_from(offset.checked_sub(*start)?).ok()?;
        let rest = bytes.get(from..)?;
        let head = Record::head(rest)?;
        let len = Record::len_of(&head);
        (len <= rest.len()).then_some((from + len, Some(head)))
    }

    /// Reads up to `size` bytes at `offset` into window `i`; returns how many there were.
    /// (By position: the blocks of a table read one file at once.)
    fn fill(&mut self, i: usize, offset: u64, size: usize) -> std::io::Result<usize> {
        use std::os::unix::fs::FileExt;
        let (start, bytes) = &mut self.windows[i];
        *start = offset;
        bytes.clear();
        bytes.resize(size, 0);
        let mut read = 0;
        while read < size {
            match self.file.read_at(&mut bytes[read..], offset + read as u64) {
                Ok(0) => break,
                Ok(n) => read += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        bytes.truncate(read);
        Ok(read)
    }
}

const SPACES: &[u8] = &[b' '; 64];

/// One line: every cell but the last padded to its column's width plus the gap; the last cut
/// to `last` columns.
fn write_line<S: AsRef<str>>(
    out: &mut impl Write,
    widths: &[usize],
    shown: &[bool; COLUMNS],
    last: Option<usize>,
    cells: [S; COLUMNS],
) -> std::io::Result<()> {
    for (i, cell) in cells.iter().enumerate() {
        if !shown[i] {
            continue;
        }
        let cell = cell.as_ref();
        if i == COLUMNS - 1 {
            let cell = match last {
                Some(w) => fit(cell, w),
                None => Cow::Borrowed(cell),
            };
            out.write_all(cell.trim_end().as_bytes())?;
        } else {
            out.write_all(cell.as_bytes())?;
            pad(out, widths[i] + GAP - columns(cell))?;
        }
    }
    out.write_all(b"\n")
}

/// `n` spaces, from a constant, not through the formatting machinery (a call per cell).
fn pad(out: &mut impl Write, mut n: usize) -> std::io::Result<()> {
    while n > 0 {
        let some = n.min(SPACES.len());
        out.write_all(&SPACES[..some])?;
        n -= some;
    }
    Ok(())
}

/// The start column's formats (in the row's zone, else with its offset), parsed once.
static WHEN: std::sync::LazyLock<Vec<chrono::format::Item<'static>>> =
    std::sync::LazyLock::new(|| crate::render::items("%a %b %-d %H:%M %Z"));
static WHEN_OFFSET: std::sync::LazyLock<Vec<chrono::format::Item<'static>>> =
    std::sync::LazyLock::new(|| crate::render::items("%a %b %-d %H:%M %:z"));

/// A row's cells, in column order (borrowed where the row holds the text as shown).
fn cells<'a>(r: &'a RowResult, layout: &'a Layout<'_>) -> [Cow<'a, str>; COLUMNS] {
    let patient = (layout.patients.name(r.row), layout.patients.zone(r.row));
    cells_of(r, patient, layout.location(r.location.as_deref()))
}

/// A row's cells, given who it is about (short name and zone) and its location's name.
fn cells_of<'a>(
    r: &'a RowResult,
    (name, zone): (&'a str, Option<Tz>),
    location: &'a str,
) -> [Cow<'a, str>; COLUMNS] {
    cells_with(r, start_cell(r.start_time.as_deref(), zone), name, location)
}

/// The start column's cell of a result's start time, in the row's zone if it has one.
fn start_cell(start_time: Option<&str>, zone: Option<Tz>) -> Cow<'static, str> {
    start_time
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
        .map_or(Cow::Borrowed(""), |t| {
            match zone {
                Some(tz) => t
                    .with_timezone(&tz)
                    .format_with_items(WHEN.iter())
                    .to_string(),
                None => t.format_with_items(WHEN_OFFSET.iter()).to_string(),
            }
            .into()
        })
}

/// [`cells_of`], given the start column's cell.
fn cells_with<'a>(
    r: &'a RowResult,
    start: Cow<'a, str>,
    name: &'a str,
    location: &'a str,
) -> [Cow<'a, str>; COLUMNS] {
    [
        r.row.to_string().into(),
        start,
        Cow::Borrowed(name),
        fit_owned(clean(r.to_number.as_deref().unwrap_or("")), MAX_OTHER),
        fit_owned(clean(location), MAX_LOCATION),
        what(r),
    ]
}

/// What will happen to a row, in plain words: "will call", "skipped: already confirmed",
/// "not called: no valid phone".
pub fn what(r: &RowResult) -> Cow<'static, str> {
    let mut out = String::new();
    push_what(&mut out, r);
    out.into()
}

/// [`what`], written at the end of `out`.
fn push_what(out: &mut String, r: &RowResult) {
    // A call held for a later moment of the window: "will call at 11:00 CST".
    if let Some(at) = crate::schedule::held_time(r) {
        out.push_str("will call at ");
        out.push_str(&at);
        return;
    }
    let reason = clean(r.reason.as_deref().unwrap_or("").trim());
    let reason = plain(r.reason_code, &reason);
    let lead = match r.status {
        Status::DryRun => "will call",
        Status::Sent => "called",
        Status::Skipped => "skipped",
        Status::Deferred => "not now",
        Status::Invalid | Status::Failed | Status::NotAttempted | Status::Uncertain => "not called",
    };
    out.push_str(lead);
    if !reason.is_empty() {
        out.push_str(": ");
        out.push_str(&reason);
    }
}

/// A reason as the office reads it: the rule's own words give way to what they mean (by its code
/// where the code says it all, else by the words that name the row or value); anything not
/// recognised is kept as written (the preview file has it whole in any case).
fn plain(code: Option<ReasonCode>, reason: &str) -> Cow<'_, str> {
    let reason = reason.strip_prefix("not attempted: ").unwrap_or(reason);
    // A household's note, alone or after another reason. (Its first words looked for first: a
    // short pattern is found much faster, and most reasons have neither.)
    if let Some((before, note)) = reason
        .contains("one household call")
        .then(|| reason.split_once("one household call for appointments "))
        .flatten()
    {
        let rows = note
            .rsplit_once("(rows ")
            .map_or(note, |(_, r)| r.trim_end_matches(')'));
        let note = format!("one call for rows {rows} (same phone)");
        let before = before.trim_end_matches([';', ' ']);
        return match before.is_empty() {
            true => note.into(),
            false => format!("{}; {note}", plain(code, before)).into(),
        };
    }
    let starts = |p: &str| reason.starts_with(p);
    if let Some(words) = match code {
        Some(ReasonCode::AlreadyConfirmed) => Some("already confirmed"),
        Some(ReasonCode::AppointmentPassed) => Some("appointment already passed"),
        Some(ReasonCode::NoValidPhone) => Some("no valid phone"),
        Some(ReasonCode::OutsideWindow) => Some("not on the day this run calls about"),
        _ => None,
    } {
        words.into()
    } else if starts("location (") && reason.contains("is not a configured location") {
        let value = reason.split('`').nth(1).unwrap_or("");
        format!("location `{value}` is not in the config").into()
    } else if starts("calling hours") && reason.contains("are closed") {
        "calling hours are closed now".into()
    } else if starts("outside calling hours") {
        "outside calling hours".into()
    } else if let Some(row) = reason.strip_prefix("duplicate of row ") {
        format!("same appointment as row {row}").into()
    } else if let Some(rest) = reason.strip_prefix("another appointment on this phone number (row ")
    {
        let row = rest.split(')').next().unwrap_or("");
        format!("same phone as row {row}, which is called").into()
    } else if let Some(rest) = reason.strip_prefix("status is ") {
        let status = rest.split(", which").next().unwrap_or(rest);
        match rest.contains("not a scheduled status") {
            true => format!("status {status} is not a scheduled status").into(),
            false => format!("status is {status}").into(),
        }
    } else {
        Cow::Borrowed(reason)
    }
}

/// Writes the texts kept for `--show-texts`, after the table: each call labelled with its row,
/// patient and start as in the table, its texts wrapped to the width.
pub fn write_texts(
    out: impl Write,
    details: &CallDetails,
    rows: &[RowResult],
    layout: &Layout<'_>,
) -> std::io::Result<()> {
    let mut out = std::io::BufWriter::new(out);
    let width = layout.width.unwrap_or(DEFAULT_WIDTH);
    let calls = details.texts.len();
    let rule = |title: &str| {
        let line = format!("── {title} ");
        let pad = width.saturating_sub(line.width());
        format!("{line}{}", "─".repeat(pad))
    };
    let title = match calls {
        0 => "no call would be made: no texts to show".to_string(),
        1 => "what Annie would get for the first call".to_string(),
        n => format!("what Annie would get for the first {n} calls"),
    };
    writeln!(out)?;
    writeln!(out, "{}", rule(&title))?;
    for (lead, (members, context, voicemail)) in &details.texts {
        let row = rows
            .binary_search_by_key(lead, |r| r.row)
            .ok()
            .map(|i| &rows[i]);
        let cells = row.map(|r| cells(r, layout));
        let (start, name) = cells
            .as_ref()
            .map_or(("", ""), |c| (c[1].as_ref(), c[2].as_ref()));
        let rows_label = match members.len() {
            1 => format!("row {lead}"),
            _ => {
                let all: Vec<String> = members.iter().map(u64::to_string).collect();
                format!("rows {}", all.join(", "))
            }
        };
        writeln!(out)?;
        writeln!(
            out,
            "{}",
            fit(&format!("{rows_label}  {name}  {start}"), width)
        )?;
        write_wrapped(&mut out, "  context:   ", context, width)?;
        write_wrapped(&mut out, "  voicemail: ", voicemail, width)?;
    }
    writeln!(out)?;
    writeln!(out, "{}", rule("end of texts"))?;
    out.flush()
}

/// `label` then the text, word-wrapped to `width`, continuation lines indented under the text.
fn write_wrapped(
    out: &mut impl Write,
    label: &str,
    text: &str,
    width: usize,
) -> std::io::Result<()> {
    let indent = label.width();
    let room = width.saturating_sub(indent).max(20);
    let text = clean(text);
    let mut line = String::new();
    let mut first = true;
    let mut flush = |line: &mut String, first: &mut bool| -> std::io::Result<()> {
        let lead = match *first {
            true => label.to_string(),
            false => " ".repeat(indent),
        };
        writeln!(out, "{lead}{line}")?;
        line.clear();
        *first = false;
        Ok(())
    };
    if text.trim().is_empty() {
        line.push_str("(none)");
    }
    for word in text.split_whitespace() {
        let word = fit(word, room);
        if !line.is_empty() && line.width() + 1 + word.width() > room {
            flush(&mut line, &mut first)?;
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(&word);
    }
    flush(&mut line, &mut first)
}

/// `s`'s display width: its length when every character is printable ASCII (one column each:
/// most cells of a table), else what `unicode-width` says.
///
/// A string with other characters is measured the same way piece by piece, cut at the printable
/// ASCII characters that cannot start a sequence (see [`resets`]): such a character is one
/// column whatever follows it, and what comes before it is measured as if the string ended
/// there (`unicode-width` measures a string from its end, each character by the one after it).
/// So a long reason with one en dash is measured at the dash, not character by character.
fn columns(s: &str) -> usize {
    let b = s.as_bytes();
    let mut total = 0;
    let mut from = 0;
    // Each other character, with the characters about it up to the nearest ones that cut.
    while let Some(at) = b[from..].iter().position(|c| !(0x20..0x7f).contains(c)) {
        let mut start = from + at;
        while start > from && !resets(b[start - 1]) {
            start -= 1;
        }
        let mut end = from + at + 1;
        while end < b.len() && !resets(b[end]) {
            end += 1;
        }
        total += (start - from) + s[start..end].width();
        from = end;
    }
    total + (b.len() - from)
}

/// A printable ASCII character that no sequence starts with: not a digit, `#` or `*`, which
/// start keycap emoji ("1\u{fe0f}\u{20e3}").
fn resets(b: u8) -> bool {
    (0x20..0x7f).contains(&b) && !b.is_ascii_digit() && b != b'#' && b != b'*'
}

/// `s` cut to `width` display columns, ending in "…" when cut.
fn fit(s: &str, width: usize) -> Cow<'_, str> {
    if columns(s) <= width {
        return Cow::Borrowed(s);
    }
    let mut out = String::new();
    let mut used = 0;
    for c in s.chars() {
        let w = c.width().unwrap_or(0);
        if used + w + 1 > width {
            break;
        }
        out.push(c);
        used += w;
    }
    out.push('…');
    out.into()
}

fn fit_owned(s: Cow<'_, str>, width: usize) -> Cow<'_, str> {
    match s {
        Cow::Borrowed(b) => fit(b, width),
        Cow::Owned(o) => Cow::Owned(fit(&o, width).into_owned()),
    }
}

/// Whether `s` holds a control character (`char::is_control`: U+0000 to U+001F and U+007F to
/// U+009F), looked for in its bytes: U+0080 to U+009F are 0xC2 then 0x80 to 0x9F in UTF-8.
fn has_control(s: &str) -> bool {
    let b = s.as_bytes();
    // Each byte looked at without stopping at the first one found, 16 at a time (a reason is
    // tens of bytes, and nearly never holds one).
    let odd = |c: u8| (c < 0x20) | (c == 0x7f) | (c == 0xc2);
    let mut blocks = b.chunks_exact(16);
    let in_blocks = blocks.by_ref().any(|block| {
        <&[u8; 16]>::try_from(block)
            .is_ok_and(|block| block.iter().fold(false, |any, &c| any | odd(c)))
    });
    if !in_blocks && !blocks.remainder().iter().any(|&c| odd(c)) {
        return false;
    }
    b.iter().enumerate().any(|(i, &c)| {
        c < 0x20
            || c == 0x7f
            || (c == 0xc2 && b.get(i + 1).is_some_and(|n| (0x80..0xa0).contains(n)))
    })
}

/// Control characters inside a value would break the columns.
fn clean(s: &str) -> Cow<'_, str> {
    match has_control(s) {
        true => s.replace(char::is_control, " ").into(),
        false => Cow::Borrowed(s),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(row: u64, status: Status, reason: &str, to: &str) -> RowResult {
        RowResult {
            row,
            appointment_id: Some(compact_str::format_compact!("A{row}")),
            status,
            conversation_id: None,
            reason: (!reason.is_empty()).then(|| reason.to_string()),
            http_status: None,
            to_number: (!to.is_empty()).then(|| to.into()),
            start_time: Some("2026-11-24T09:00:00-06:00".into()),
            attempted_at: None,
            location: None,
            reason_code: None,
            uncovered: false,
        }
    }

    #[test]
    fn a_spooled_table_in_any_order_is_the_table_of_the_sorted_rows() {
        let long = "a reason long enough to be cut at the width the table fits, ".repeat(4);
        // Enough rows for several blocks and batches of lines (see [`Spool::write`]).
        let rows: Vec<RowResult> = (2..5 * BLOCK as u64 * rayon::current_num_threads() as u64)
            .map(|row| match row % 3 {
                0 => result(row, Status::DryRun, "", "+1312***0147"),
                1 => result(
                    row,
                    Status::Skipped,
                    "already confirmed (FIRM)",
                    "+1773***99",
                ),
                _ => result(row, Status::Invalid, &long, ""),
            })
            .collect();
        let patients = Patients::default();
        let mut expected = Vec::new();
        write_table(
            &mut expected,
            &rows,
            &Layout::new(Some(100), None, &patients),
        )
        .unwrap();

        let mut spool = Spool::new(Some(100), None).unwrap();
        // Households come after the rest of their chunk: rows arrive out of order.
        for r in rows
            .iter()
            .filter(|r| r.row % 5 != 0)
            .chain(rows.iter().filter(|r| r.row % 5 == 0))
        {
            spool.add(r).unwrap();
        }
        let mut written = Vec::new();
        spool.write(&mut written).unwrap();
        assert_eq!(
            String::from_utf8(written).unwrap(),
            String::from_utf8(expected).unwrap()
        );
    }

    #[test]
    fn record_heads_read_back_as_written() {
        for cells in [
            [(1, 1), (23, 23), (0, 0), (12, 12), (127, 127), (44, 40)],
            [
                (1, 1),
                (128, 127),
                (0, 0),
                (300, 200),
                (5, 5),
                (70_000, 69_999),
            ],
        ] {
            let mut bytes = Vec::new();
            for (len, width) in cells {
                Record::push_number(&mut bytes, len);
                Record::push_number(&mut bytes, width);
            }
            let at = bytes.len();
            bytes.extend_from_slice(b"cells");
            assert_eq!(Record::head(&bytes), Some((cells, at)));
            assert_eq!(Record::head(&bytes[..at - 1]), None);
        }
    }

    #[test]
    fn printable_ascii_is_measured_as_unicode_width_measures_it() {
        let ascii: String = (0x20u8..0x7f).map(char::from).collect();
        for s in [
            ascii.as_str(),
            "",
            "Tue Nov 24 09:00 CST",
            "Zoë Ø.",
            "\u{1f}x",
            "日本",
            "a\tb",
        ] {
            assert_eq!(columns(s), s.width(), "{s:?}");
        }
    }

    #[test]
    fn mixed_text_is_measured_as_unicode_width_measures_it() {
        // Sequences whose width depends on their neighbours, and plain pieces between them.
        let pieces = [
            "a",
            " ",
            "1",
            "#",
            "*",
            ":",
            "–",
            "é",
            "e\u{301}",
            "\u{fe0f}",
            "\u{fe0e}",
            "\u{fe01}",
            "\u{20e3}",
            "\u{200d}",
            "\u{1f600}",
            "\u{2764}",
            "\u{2018}",
            "\u{627}",
            "\u{644}",
            "\u{17d2}",
            "\u{1780}",
            "\u{5d0}",
            "\u{5dc}",
            "\u{338}",
            "日",
            "\n",
            "\r",
            "\u{85}",
            "\u{ad}",
        ];
        let mut seed = 7u64;
        for _ in 0..20_000 {
            let mut s = String::new();
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let mut x = seed;
            for _ in 0..(x % 9) {
                x /= 9;
                s.push_str(pieces[(x % pieces.len() as u64) as usize]);
                x /= pieces.len() as u64;
                if x == 0 {
                    x = seed.rotate_left(17);
                }
            }
            assert_eq!(columns(&s), s.width(), "{s:?}");
        }
        // Every character that cuts a string into pieces is one column, whatever surrounds it.
        for b in (0x20u8..0x7f).filter(|&b| resets(b)) {
            let c = char::from(b);
            for p in pieces {
                for q in pieces {
                    let s = format!("{p}{c}{q}");
                    assert_eq!(s.width(), p.width() + 1 + q.width(), "{s:?}");
                }
            }
        }
    }

    #[test]
    fn control_characters_are_found_in_the_bytes() {
        for c in (0..=0x10ffff).filter_map(char::from_u32) {
            let s = format!("a{c}b");
            assert_eq!(has_control(&s), s.contains(char::is_control), "{c:?}");
        }
    }

    /// In a long text too, wherever the character is (the bytes are looked at 16 at a time).
    #[test]
    fn control_characters_are_found_anywhere_in_a_long_text() {
        for c in (0..0x800).chain(0xfff0..0x10000).filter_map(char::from_u32) {
            for before in [0, 1, 15, 16, 17, 31, 40] {
                let s = format!("{}{c}{}", "a".repeat(before), "b".repeat(20));
                assert_eq!(
                    has_control(&s),
                    s.contains(char::is_control),
                    "{c:?} {before}"
                );
            }
        }
    }

    #[test]
    fn short_names_and_fitting() {
        let mut s = String::new();
        push_short_name(&mut s, "Sarah Ann", Some("johnson"));
        assert_eq!(s, "Sarah J.");
        assert_eq!(fit("abcdef", 4), "abc…");
        assert_eq!(fit("日本語", 4), "日…");
        assert_eq!(fit("abc", 3), "abc");
    }

    #[test]
    fn short_names_are_those_a_formatted_string_gave() {
        // The way the short name was made before it was made in a compact string.
        fn formatted(first: &str, last: Option<&str>) -> String {
            let first = first.split_whitespace().next().unwrap_or("");
            let initial = last
                .and_then(|l| l.trim().chars().find(|c| c.is_alphanumeric()))
                .map(|c| c.to_uppercase().collect::<String>());
            let short = match initial {
                Some(i) => format!("{first} {i}."),
                None => first.to_string(),
            };
            let short = fit(&clean(&short), MAX_PATIENT).into_owned();
            let mut end = short.len().min(255);
            while !short.is_char_boundary(end) {
                end -= 1;
            }
            short[..end].to_string()
        }
        let long = format!("A{}", "\u{301}".repeat(300));
        for (first, last) in [
            ("Sarah Ann", Some("johnson")),
            ("", None),
            ("  ", Some("  ")),
            ("Maximilian-Alexander", Some("Jones")),
            ("Zoë", Some("ßmith")),
            ("Jo\u{1}e", Some("\u{85}x")),
            ("Ann\u{7f}", None),
            ("日本語の名前です", Some("山田")),
            ("Éva", Some("-'ǆ")),
            (long.as_str(), Some("b")),
            ("👩‍👩‍👧", Some("1\u{fe0f}\u{20e3}")),
        ] {
            assert_eq!(
                short_name(first, last),
                formatted(first, last),
                "{first:?} {last:?}"
            );
        }
    }

    #[test]
    fn plain_names_are_shortened_as_any_name() {
        for (first, last) in [
            ("Sarah Ann", Some("johnson")),
            ("  Mary  Jo ", Some("  o'brien")),
            ("Ann", Some("  ")),
            ("Bob", Some("--")),
            ("Jo~e", Some("9x")),
            ("", Some("x")),
            (" ", None),
            ("ABCDEFGHIJKLM", Some("x")),
            ("ABCDEFGHIJKLMN", Some("x")),
            ("ABCDEFGHIJKLMNOP", None),
            ("ABCDEFGHIJKLMNOPQ", None),
            ("A\tB", Some("c")),
            ("Zoë", Some("x")),
            ("Al", Some("\u{7f}b")),
        ] {
            assert_eq!(
                short_name(first, last),
                any_short_name(first, last),
                "{first:?} {last:?}"
            );
        }
        assert!(plain_short_name("Sarah Ann", Some("johnson")).is_some());
    }

    #[test]
    fn cells_are_cleaned_and_fitted_as_before() {
        let long = "x".repeat(MAX_LOCATION + 1);
        for cell in [
            "",
            "+1312***0147",
            "North Clinic",
            long.as_str(),
            &long[1..],
            "a\tb",
            "Zoë",
            "\u{85}x",
            "x\u{7f}",
            "日本語の名前です日本語の名前です日本語の名前です",
        ] {
            for width in [MAX_OTHER, MAX_LOCATION] {
                assert_eq!(
                    clean_fit(cell, width),
                    fit_measured(clean(cell), width),
                    "{cell:?}"
                );
            }
        }
    }

    #[test]
    fn reasons_in_plain_words() {
        use ReasonCode::*;
        assert_eq!(
            plain(Some(AlreadyConfirmed), "already confirmed (FIRM)"),
            "already confirmed"
        );
        assert_eq!(
            plain(
                Some(NoValidPhone),
                "no usable phone number: WirelessPhone is empty"
            ),
            "no valid phone"
        );
        assert_eq!(
            plain(
                Some(WouldCall),
                "one household call for appointments A1, A2 (rows 2, 3)"
            ),
            "one call for rows 2, 3 (same phone)"
        );
        assert_eq!(
            plain(Some(MissingField), "first name (FName) is empty"),
            "first name (FName) is empty"
        );
        assert_eq!(
            plain(Some(DuplicateRow), "duplicate of row 4"),
            "same appointment as row 4"
        );
    }
}
