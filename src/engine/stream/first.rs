//! The streamed preview's first reading: every row of the export normalised (a chunk at a
//! time, on every core, a chunk ahead of the index) and reduced to the facts that must see every
//! row ([`Index`]); the normalised rows kept for the second pass ([`Rows`]).

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use rayon::prelude::*;
use rustc_hash::{FxBuildHasher, FxHasher};

use crate::column_values::ColumnValues;
use crate::export::{self, RawRecord};
use crate::normalise::{self, Normalised};
use crate::optout::OptOuts;
use crate::select::{self, Duplicate, IdFacts};
use crate::settings::Settings;

use crate::engine::spill::Rows;

/// Rows read, normalised and planned at a time: enough to keep both cores busy, few enough
/// that a chunk's appointments and results are a small part of the memory.
pub(super) const CHUNK: usize = 8 * 1024;

/// An export up to this size keeps its normalised rows in memory between the passes (a few
/// times the file's size: about 40 MB for 100,000 rows of Open Dental's columns, 11 MB of CSV);
/// a larger one writes them to a temporary file and takes them back a chunk at a time, so
/// that the memory stays a few chunks whatever the export's size. Memory is faster than the
/// file when the rows fit.
const HOLD_BYTES: u64 = 16 << 20;

/// [`HOLD_BYTES`]; a debug build takes another limit from `ANNIE_DISPATCH_HOLD_BYTES`, so
/// that the tests keep small exports' rows in the temporary file too (`tests/it/preview.rs`).
pub(super) fn hold_bytes() -> u64 {
    #[cfg(debug_assertions)]
    if let Some(limit) = std::env::var("ANNIE_DISPATCH_HOLD_BYTES")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        return limit;
    }
    HOLD_BYTES
}

/// What the first reading keeps: the facts about the whole export that a row's verdict needs.
pub(super) struct Index {
    /// Rows in the export.
    pub(super) total: usize,
    /// By position in the export.
    pub(super) duplicates: HashMap<usize, Duplicate>,
    /// Shared with the thread that selects the second pass's rows.
    pub(super) opt_outs: Arc<OptOuts>,
    /// The [`number_key`]s of numbers more than one appointment has, each with the position of
    /// the last row that has it.
    pub(super) shared: Shared,
    /// What the export's flag columns hold that nothing recognises (see [`ColumnValues`]).
    pub(super) warnings: Vec<String>,
}

/// [`Index::shared`]: its keys are hashes already.
pub(super) type Shared = HashMap<u64, usize, FxBuildHasher>;

/// A phone number's key in the index. Two numbers that met by chance would only hold back a
/// few rows more (held-back rows are grouped by their full numbers), never change a result, so
/// a fast hash does (a number is hashed once a row in each pass).
pub(super) fn number_key(e164: &str) -> u64 {
    let mut h = FxHasher::default();
    e164.hash(&mut h);
    h.finish()
}

/// The first reading: every row normalised (a chunk at a time, on every core) and reduced to
/// its facts; the normalised rows are kept for the second pass (in memory or in a temporary
/// file, as `hold` says).
pub(super) fn index(
    rows: ReadAhead,
    s: &Settings,
    do_not_call: Vec<String>,
    hold: bool,
) -> anyhow::Result<(Index, Rows)> {
    let mut ids: Vec<IdFacts> = Vec::new();
    let mut numbers: Vec<(u64, usize)> = Vec::new();
    let mut opt_outs = OptOuts::of_list(do_not_call);
    let kept = Rows::new(hold)?;
    // The chunks are normalised on a thread of their own, a chunk ahead of this one, which
    // gathers their facts: the next chunk is on the cores while this one's facts are added up.
    let (kept, values, position) = std::thread::scope(|scope| {
        let (found, facts) = std::sync::mpsc::sync_channel(1);
        let normalising = scope.spawn(move || first_reading(rows, kept, s, found));
        for found in facts {
            for (facts, opted) in found {
                for (facts, number) in facts {
                    numbers.push((number, facts.index));
                    ids.push(facts);
                }
                for number in &opted {
                    opt_outs.note_number(number);
                }
            }
        }
        normalising
            .join()
            .map_err(|_| anyhow::anyhow!("internal error: the export's first reading stopped"))?
    })?;
    // Both sorts at once (each on every core too).
    let (duplicates, ()) = rayon::join(
        || select::duplicates_of(ids),
        || numbers.par_sort_unstable(),
    );
    let shared = numbers
        .chunk_by(|a, b| a.0 == b.0)
        .filter(|same| same.len() > 1)
        .filter_map(|same| same.last().copied())
        .collect();
    let index = Index {
        total: position,
        duplicates,
        opt_outs: Arc::new(opt_outs),
        shared,
        warnings: values.warnings(),
    };
    Ok((index, kept))
}

/// A chunk's facts, a block at a time: each usable row's id facts and number key, and the
/// numbers its opted-out rows give.
type Found = Vec<(Vec<(IdFacts, u64)>, Vec<String>)>;

/// [`index`]'s reading: every chunk normalised (on every core), its rows kept and its facts
/// handed to `found`. Returns the rows kept, what the flag columns held and the rows read.
fn first_reading(
    rows: ReadAhead,
    mut kept: Rows,
    s: &Settings,
    found: std::sync::mpsc::SyncSender<Found>,
) -> anyhow::Result<(Rows, ColumnValues, usize)> {
    let mut values = ColumnValues::new(s);
    let mut position = 0;
    let next = || {
        let chunk = rows.next()?;
        values.add_all(&chunk, s);
        position += chunk.len();
        Ok(chunk)
    };
    // Each row normalised and reduced to its facts on the same core; an opted-out row gives
    // every one of its numbers (a row that cannot be called opts them out too).
    let facts = |at: usize, rows: &[Normalised]| {
        // Sized for every row (most are usable): growing it would copy the facts.
        let mut facts = Vec::with_capacity(rows.len());
        facts.extend(
            (rows.iter().enumerate())
                .filter_map(|(i, n)| Some(facts_of(n.result.as_deref().ok()?, at + i, n.row))),
        );
        let opted: Vec<String> = (rows.iter())
            .flat_map(Normalised::opted_out_numbers)
            .map(str::to_string)
            .collect();
        (facts, opted)
    };
    let send = |facts| {
        found
            .send(facts)
            .map_err(|_| anyhow::anyhow!("internal error: the export's index stopped"))
    };
    let normalise = |record: &RawRecord| normalise::normalise_row(record, &s.input, &s.locations);
    kept.keep_all(next, normalise, facts, send)?;
    Ok((kept, values, position))
}

/// A usable row's facts in the index: its id's, and its number's key.
fn facts_of(a: &normalise::Appointment, position: usize, row: u64) -> (IdFacts, u64) {
    (IdFacts::of(a, position, row), number_key(&a.phone.e164))
}

/// An export's chunks, read on a thread of its own up to two chunks ahead of the pipeline, so
/// that parsing the CSV overlaps with the work on the chunk before.
pub(super) struct ReadAhead(std::sync::mpsc::Receiver<anyhow::Result<Vec<RawRecord>>>);

impl ReadAhead {
    pub(super) fn start(mut rows: export::Stream) -> ReadAhead {
        let (chunks, receiver) = std::sync::mpsc::sync_channel(2);
        std::thread::spawn(move || loop {
            let chunk = rows.next_chunk(CHUNK);
            let last = !matches!(&chunk, Ok(c) if !c.is_empty());
            // A send fails only when the pipeline stopped early: nobody wants the rest.
            if chunks.send(chunk).is_err() || last {
                break;
            }
        });
        ReadAhead(receiver)
    }

    /// The next chunk; empty at the end of the file.
    fn next(&self) -> anyhow::Result<Vec<RawRecord>> {
        self.0
            .recv()
            .map_err(|_| anyhow::anyhow!("internal error: the export's reader stopped"))?
    }
}
