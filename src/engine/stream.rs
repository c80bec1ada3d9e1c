//! The streaming preview: a large export through the pipeline without holding its rows.
//!
//! The export (CSV) is read once, in two passes. The first reading normalises every row and
//! keeps only what must see every row in a compact [`Index`]: each appointment id's hash and
//! fingerprint (duplicates), the numbers an opt-out column marks (opt-outs: every number of its
//! row), and which phone numbers more than one appointment has (households). Its normalised rows
//! are kept for the second pass ([`Rows`]): in memory for an export up to [`HOLD_BYTES`], else in
//! a temporary file (about 120 bytes a row, about the export's size, in `TMPDIR`: see
//! [`super::spill`]). The second pass takes them back a chunk at a time through select → the
//! location stages ([`super::location::plan_location`]) → render, and the collector writes the
//! results file and spools the preview table as rows come (the table is written in input order
//! at the end, from the spool).
//!
//! A call's turn depends on every call the run makes before it, and the chunks meet calls out
//! of the run's order (a household completed late, a call held for the recipient's hours). So
//! a call takes its turn only once every call before it in the run's order is known; until
//! then it is kept ([`KeptCalls`], in a temporary file): a call that the window cannot hold is
//! `deferred` in the preview exactly when it would be in the run.
//!
//! Rows whose number another row shares are held back until the chunk that holds the last row
//! with that number has been read, and then go through the stages together, so a household is
//! grouped exactly as if every row were seen at once: every other row's number is its own, and
//! grouping a chunk of them finds what grouping the whole export would. (Families are usually
//! booked together, so few rows wait long; a number on the first and the last row keeps its
//! rows to the end.) Duplicates and opt-outs come from the index, whole-export facts.
//!
//! Only a preview with its table streams, and only one for a single practice, whose output
//! does not depend on the order calls are made in, or on keeping every row. A group's
//! locations check each number against the calls the locations before them made (the spacing
//! between locations), which a run knows location by location, so a group's preview takes the
//! whole export at once. So do `--limit` (counted in call order), `--emit-requests` (written
//! in call order), `--show-texts`, `--report` and `check` (which read every result row at the
//! end): they take the whole export at once, as a sending run does
//! ([`super::dispatch_with`]). So does a JSON export (read whole in any case; exports in JSON
//! are small).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use rayon::prelude::*;
use rustc_hash::{FxBuildHasher, FxHasher};
use tokio::sync::mpsc;

use crate::calling_day::CallingDay;
use crate::cli::GlobalArgs;
use crate::clock::Clock;
use crate::collect::Collector;
use crate::column_values::ColumnValues;
use crate::dispatch::{KeptCalls, Mode};
use crate::exit::RunOutcome;
use crate::export::{self, Format, RawRecord};
use crate::normalise::{self, Normalised};
use crate::optout::OptOuts;
use crate::outputs::{self, Reporter};
use crate::plan;
use crate::preview;
use crate::reason::{Reason, ReasonCode};
use crate::results::RowResult;
use crate::select::{self, Duplicate, IdFacts, Selected, Verdict};
use crate::services::{Office, Services};
use crate::settings::{Selection, Settings};

use super::spill::Rows;

/// Rows read, normalised and planned at a time: enough to keep both cores busy, few enough
/// that a chunk's appointments and results are a small part of the memory.
const CHUNK: usize = 8 * 1024;

/// Whether this run streams (see the module's notes for what does not).
pub(crate) fn applies(s: &Settings) -> bool {
    s.mode == Mode::Preview
        && s.show_table
        && s.locations.len() == 1
        && s.input.format == Format::Csv
        && s.limit.is_none()
        && s.emit_requests.is_none()
        && s.show_texts == 0
        && s.report.is_none()
}

/// An export up to this size keeps its normalised rows in memory between the passes (a few
/// times the file's size: about 40 MB for 100,000 rows of Open Dental's columns, 11 MB of CSV);
/// a larger one writes them to a temporary file and takes them back a chunk at a time, so
/// that the memory stays a few chunks whatever the export's size. Memory is faster than the
/// file when the rows fit.
const HOLD_BYTES: u64 = 16 << 20;

/// [`HOLD_BYTES`]; a debug build takes another limit from `ANNIE_DISPATCH_HOLD_BYTES`, so
/// that the tests keep small exports' rows in the temporary file too (`tests/it/preview.rs`).
fn hold_bytes() -> u64 {
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
struct Index {
    /// Rows in the export.
    total: usize,
    /// By position in the export.
    duplicates: HashMap<usize, Duplicate>,
    /// Shared with the thread that selects the second pass's rows.
    opt_outs: Arc<OptOuts>,
    /// The [`number_key`]s of numbers more than one appointment has, each with the position of
    /// the last row that has it.
    shared: Shared,
    /// What the export's flag columns hold that nothing recognises (see [`ColumnValues`]).
    warnings: Vec<String>,
}

/// [`Index::shared`]: its keys are hashes already.
type Shared = HashMap<u64, usize, FxBuildHasher>;

/// A phone number's key in the index. Two numbers that met by chance would only hold back a
/// few rows more (held-back rows are grouped by their full numbers), never change a result, so
/// a fast hash does (a number is hashed once a row in each pass).
fn number_key(e164: &str) -> u64 {
    let mut h = FxHasher::default();
    e164.hash(&mut h);
    h.finish()
}

/// The first reading: every row normalised (a chunk at a time, on every core) and reduced to
/// its facts; the normalised rows are kept for the second pass (in memory or in a temporary
/// file, as `hold` says).
fn index(
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
    loop {
        let chunk = rows.next()?;
        if chunk.is_empty() {
            break;
        }
        values.add_all(&chunk, s);
        let first = position;
        position += chunk.len();
        // Each row normalised and reduced to its facts on the same core; an opted-out row
        // gives every one of its numbers (a row that cannot be called opts them out too).
        let facts = kept.keep(
            chunk,
            |record| normalise::normalise_row(record, &s.input, &s.locations),
            |at, rows| {
                let facts: Vec<_> = (rows.iter().enumerate())
                    .filter_map(|(i, n)| {
                        Some(facts_of(n.result.as_deref().ok()?, first + at + i, n.row))
                    })
                    .collect();
                let opted: Vec<String> = (rows.iter())
                    .flat_map(Normalised::opted_out_numbers)
                    .map(str::to_string)
                    .collect();
                (facts, opted)
            },
        )?;
        if found.send(facts).is_err() {
            anyhow::bail!("internal error: the export's index stopped");
        }
    }
    Ok((kept, values, position))
}

/// A usable row's facts in the index: its id's, and its number's key.
fn facts_of(a: &normalise::Appointment, position: usize, row: u64) -> (IdFacts, u64) {
    (IdFacts::of(a, position, row), number_key(&a.phone.e164))
}

/// An export's chunks, read on a thread of its own up to two chunks ahead of the pipeline, so
/// that parsing the CSV overlaps with the work on the chunk before.
struct ReadAhead(std::sync::mpsc::Receiver<anyhow::Result<Vec<RawRecord>>>);

impl ReadAhead {
    fn start(mut rows: export::Stream) -> ReadAhead {
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

/// A location's state across chunks.
#[derive(Default)]
struct LocationRun {
    /// Its history could not be rebuilt: none of its rows may be called (the reason).
    refused: Option<Reason>,
    /// Its plan failed: its later rows are not attempted (the error); the calls kept before
    /// still take their turns.
    failed: Option<String>,
    rows: usize,
    calls: usize,
    /// Its calls that wait to take their turns until every call before them is known.
    kept: Option<KeptCalls>,
    /// Its calls whose household's first row comes before this may take their turns: no
    /// household before them still waits for its last row.
    free_before: u64,
}

impl LocationRun {
    /// Rows whose calls are kept (they have no result yet).
    fn kept_rows(&self) -> usize {
        self.kept.as_ref().map_or(0, |k| k.rows())
    }
}

/// `run --dry-run` over a CSV export, streamed. Same results, table and summary as
/// [`super::dispatch_with`] would give, in bounded memory.
pub(crate) async fn preview(mut s: Settings, global: &GlobalArgs) -> anyhow::Result<RunOutcome> {
    let clock = Clock::starting_at(s.now);
    let first = export::stream(&s.input, true)?;
    // From here on, the mapping is the one this file allows (a preset's absent columns gone).
    s.input.columns = first.columns.clone();
    let first = ReadAhead::start(first);
    let hold = std::fs::metadata(&s.input.path).is_ok_and(|m| m.len() <= hold_bytes());
    let (mut index, rows) = index(first, &s, super::location::do_not_call_list(&s)?, hold)?;
    let warnings = std::mem::take(&mut index.warnings);
    super::location::warn_all(&warnings);
    if index.total == 0 {
        export::note_empty();
    }
    let days = CallingDay::for_locations(&s.locations, clock.now());

    // A preview never waits for a window, so whether a location has rows to call is moot.
    let to_call = vec![true; s.locations.len()];
    let services = Services::start(&s, &clock, &to_call).await?;
    let (output, collector, results) = outputs::start_streaming(&s, index.total, &days)?;
    let expected = collector.table().map(preview::Spool::expected);
    let taken = Arc::new(AtomicUsize::new(0));
    let collecting = spawn_collector(collector.flushing_in_batches(), results, taken.clone());
    let mut runs: Vec<LocationRun> = s.locations.iter().map(|_| LocationRun::default()).collect();
    for (office, run) in services.offices.iter().zip(&mut runs) {
        // A preview has no API client, so nothing waits for a window or rebuilds a history;
        // kept for the day one does.
        if let Err(e) = services.rebuild_history(office).await {
            let reason = format!("not attempted: {e:#}");
            run.refused = Some(Reason::new(ReasonCode::NotPlanned, reason));
            run.failed = Some(format!("{e:#}"));
        }
    }

    // The rows come back normalised as the first reading kept them, selected a chunk ahead.
    let mut selecting = SelectAhead {
        duplicates: std::mem::take(&mut index.duplicates),
        shared: std::mem::take(&mut index.shared),
        opt_outs: index.opt_outs.clone(),
        selection: s.selection.clone(),
        now: clock.now(),
        days: days.clone(),
        expected,
    }
    .start(rows.take_back()?);
    while let Some(batch) = selecting.next()? {
        if batch.last && batch.position != index.total {
            // The export is read once, so it cannot change between the passes; the rows taken
            // back are the first reading's, all of them unless their temporary file or its
            // reader failed (a reader that stops early ends the rows as the last chunk would).
            anyhow::bail!(
                "internal error: the preview's second pass took {} of the export's {} rows",
                batch.position,
                index.total
            );
        }
        runs.iter_mut()
            .for_each(|run| run.free_before = batch.free_before);
        let opt_outs = &index.opt_outs;
        if let Err(e) = stages(batch.now, &services, &s, &output, &mut runs, opt_outs).await {
            return Err(collector_error(collecting).unwrap_or(e));
        }
        // The collector may fall behind by a few chunks, not by the whole export (the kept
        // calls' rows come later).
        let kept: usize = runs.iter().map(LocationRun::kept_rows).sum();
        while batch.position - batch.held - kept > taken.load(Ordering::Relaxed) + 2 * CHUNK {
            if collecting.is_finished() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(1)).await;
        }
    }
    // Every call is known: each takes its turn, in the order the run would make them.
    for (office, run) in services.offices.iter().zip(&mut runs) {
        let Some(kept) = run.kept.take() else {
            continue;
        };
        let dispatcher = services.dispatcher(office, s.limit, output.details.clone());
        if let Err(e) = dispatcher.preview_kept(kept, output.outputs.clone()) {
            return Err(collector_error(collecting).unwrap_or(e));
        }
    }

    let finished = services
        .offices
        .iter()
        .zip(runs)
        .map(|(office, run)| {
            super::location::log_planned(&office.location, run.rows, run.calls);
            match run.failed {
                Some(e) => Err(anyhow::anyhow!(e)),
                None => Ok(()),
            }
        })
        .collect();
    // The last sender goes with `output`; the collector then takes what is left and ends.
    let collected = outputs::finish_streaming(
        collecting,
        output,
        index.total,
        finished,
        &s,
        &services,
        global,
    )?;
    Ok(RunOutcome {
        summary: collected.summary,
        interrupted: services.stop.interrupted(),
        rows: collected.rows,
        other_problem: false,
        warnings,
    })
}

/// What the second pass needs to select its rows ahead of the stages: the first reading's facts
/// about the whole export, and the rules.
struct SelectAhead {
    duplicates: HashMap<usize, Duplicate>,
    shared: Shared,
    opt_outs: Arc<OptOuts>,
    selection: Selection,
    now: DateTime<Utc>,
    days: Vec<CallingDay>,
    /// The preview table's: who each row is about, noted before its result comes.
    expected: Option<preview::Expected>,
}

/// Rows ready for the location stages, in the order the stages take them.
struct Batch {
    /// Rows that share no number with a row still to come, and the households whose last row
    /// has now been read.
    now: Vec<Selected>,
    /// Rows read so far.
    position: usize,
    /// Rows held back, waiting for their household's last row.
    held: usize,
    /// Calls whose household's first row comes before this may take their turns: no household
    /// before them still waits for its last row.
    free_before: u64,
    /// Every row has been read: `now` holds the households that waited to the end.
    last: bool,
}

/// The batches, made on a thread of their own a chunk ahead of the stages, so that selecting
/// the next chunk's rows (on every core) overlaps with the work on this one that takes one
/// core (a call's turn depends on the one before).
struct Selecting {
    batches: std::sync::mpsc::Receiver<anyhow::Result<Batch>>,
    /// The last batch was taken.
    ended: bool,
}

impl SelectAhead {
    fn start(self, mut rows: super::spill::TakeBack) -> Selecting {
        let (batches, receiver) = std::sync::mpsc::sync_channel(1);
        std::thread::spawn(move || {
            let mut held = Vec::new();
            let mut position = 0;
            loop {
                let batch = match rows.next() {
                    Ok(Some(normalised)) => Ok(self.batch(normalised, &mut position, &mut held)),
                    Ok(None) => Ok(Batch {
                        now: held.drain(..).map(|(_, r)| r).collect(),
                        position,
                        held: 0,
                        free_before: u64::MAX,
                        last: true,
                    }),
                    Err(e) => Err(e),
                };
                let end = !matches!(&batch, Ok(b) if !b.last);
                // A send fails only when the pipeline stopped early: nobody wants the rest.
                if batches.send(batch).is_err() || end {
                    break;
                }
            }
        });
        Selecting {
            batches: receiver,
            ended: false,
        }
    }

    /// A chunk's rows selected; those whose number a later row shares are held back until the
    /// chunk that holds that row.
    fn batch(
        &self,
        normalised: Vec<Normalised>,
        position: &mut usize,
        held: &mut Vec<(usize, Selected)>,
    ) -> Batch {
        let first = *position;
        *position += normalised.len();
        let selected = select::select_with(
            normalised,
            first,
            &self.duplicates,
            &self.selection,
            &self.opt_outs,
            self.now,
            &self.days,
        );
        if let Some(expected) = &self.expected {
            expected.note(&selected);
        }
        // Each row's last sharing row found once: households whose last row has been read are
        // complete and go with this chunk, the others wait.
        let mut now = Vec::with_capacity(selected.len() + held.len());
        let mut waiting = Vec::with_capacity(held.len());
        for r in selected {
            match last_sharing(&r, &self.shared) {
                None => now.push(r),
                Some(last) => waiting.push((last, r)),
            }
        }
        for (last, r) in std::mem::take(held).into_iter().chain(waiting) {
            match last < *position {
                true => now.push(r),
                false => held.push((last, r)),
            }
        }
        Batch {
            now,
            position: *position,
            held: held.len(),
            free_before: held.iter().map(|(_, r)| r.row).min().unwrap_or(u64::MAX),
            last: false,
        }
    }
}

impl Selecting {
    /// The next batch; none after the last.
    fn next(&mut self) -> anyhow::Result<Option<Batch>> {
        if self.ended {
            return Ok(None);
        }
        let batch = self.batches.recv().map_err(|_| {
            anyhow::anyhow!("internal error: the preview's second pass stopped before its last row")
        })??;
        self.ended = batch.last;
        Ok(Some(batch))
    }
}

/// For a row still to be called whose number another appointment of the export has: the
/// position of the last row with that number (its household is complete once that row is read).
fn last_sharing(r: &Selected, shared: &Shared) -> Option<usize> {
    match &r.verdict {
        Verdict::Call(a) | Verdict::Reconcile { appointment: a, .. } => {
            shared.get(&number_key(&a.phone.e164)).copied()
        }
        Verdict::Settled(_) => None,
    }
}

/// Some rows through the location stages: the rows without a location are settled, every
/// location plans and dispatches its own (as [`super::dispatch_with`] does for all rows).
async fn stages(
    rows: Vec<Selected>,
    services: &Services,
    s: &Settings,
    output: &Reporter,
    runs: &mut [LocationRun],
    opt_outs: &OptOuts,
) -> anyhow::Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let (unplaced, by_location) = super::location::split_by_location(rows, s.locations.len());
    output.send_settled(plan::plan(unplaced, Vec::new(), None).settled)?;
    for ((office, rows), run) in services.offices.iter().zip(by_location).zip(runs) {
        if !rows.is_empty() {
            location_stages(rows, office, services, s, output, run, opt_outs).await?;
        }
    }
    Ok(())
}

/// One location's rows of a chunk: planned and dispatched, or, once the location has failed,
/// reported with the reason (as [`super::dispatch_with`] reports a failed location's rows).
async fn location_stages(
    rows: Vec<Selected>,
    office: &Office,
    services: &Services,
    s: &Settings,
    output: &Reporter,
    run: &mut LocationRun,
    opt_outs: &OptOuts,
) -> anyhow::Result<()> {
    let location = office.location.results_id();
    if let Some(reason) = &run.refused {
        return output.send_settled(plan::none_called(rows, location, reason));
    }
    let row_numbers: Vec<u64> = rows.iter().map(|r| r.row).collect();
    if let Some(e) = &run.failed {
        let e = anyhow::anyhow!("{e}");
        return output.send_settled(plan::not_planned(&row_numbers, location, &e));
    }
    let (plan, schedule) =
        match super::location::plan_location(rows, office, services, s, opt_outs).await {
            Ok(planned) => planned,
            Err(e) => {
                output.send_settled(plan::not_planned(&row_numbers, location, &e))?;
                run.failed = Some(format!("{e:#}"));
                return Ok(());
            }
        };
    run.rows += plan.rows();
    run.calls += plan.calls.len();
    output.send_settled(plan.settled)?;
    let dispatcher = services.dispatcher(office, s.limit, output.details.clone());
    let kept = match &mut run.kept {
        Some(kept) => kept,
        None => run.kept.insert(KeptCalls::new()?),
    };
    // An error here is the temporary file's: the preview cannot go on.
    let outputs = output.outputs.clone();
    dispatcher.preview_calls(plan.calls, schedule, outputs, kept, run.free_before)
}

/// The collector, on a thread of its own so that writing the results and the table's spool
/// overlaps with the next chunk: it takes rows (a batch a message) until every sender is gone,
/// and flushes the results file whenever it has caught up. `taken` counts the rows it has
/// taken.
fn spawn_collector(
    mut collector: Collector,
    mut results: mpsc::UnboundedReceiver<Vec<RowResult>>,
    taken: Arc<AtomicUsize>,
) -> std::thread::JoinHandle<anyhow::Result<Collector>> {
    std::thread::spawn(move || {
        loop {
            let rows = match results.try_recv() {
                Ok(rows) => rows,
                Err(mpsc::error::TryRecvError::Empty) => {
                    collector.flush()?;
                    match results.blocking_recv() {
                        Some(rows) => rows,
                        None => break,
                    }
                }
                Err(mpsc::error::TryRecvError::Disconnected) => break,
            };
            let n = rows.len();
            collector.take_all(rows)?;
            taken.fetch_add(n, Ordering::Relaxed);
        }
        Ok(collector)
    })
}

/// The collector's own error, if it stopped with one (a results file that cannot be written):
/// the reason the pipeline could no longer hand it rows.
fn collector_error(
    collecting: std::thread::JoinHandle<anyhow::Result<Collector>>,
) -> Option<anyhow::Error> {
    if !collecting.is_finished() {
        return None;
    }
    match collecting.join() {
        Ok(Err(e)) => Some(e),
        _ => None,
    }
}
