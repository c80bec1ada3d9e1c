//! The streaming preview: a large export through the pipeline without holding its rows.
//!
//! The export (CSV) is read once, in two passes. The first reading normalises every row and
//! keeps only what must see every row in a compact [`Index`]: each appointment id's hash and
//! fingerprint (duplicates), the numbers an opt-out column marks (opt-outs: every number of its
//! row), and which phone numbers more than one appointment has (households). Its normalised rows
//! are kept for the second pass ([`Rows`]): in memory for an export up to [`HOLD_BYTES`], else in
//! a temporary file (about 120 bytes a row, about the export's size, in `TMPDIR`: see
//! [`super::spill`]). The second pass takes them back a chunk at a time through select (a chunk
//! ahead, [`ahead`]) → the location stages ([`super::location::plan_location`]) → render and
//! turns (a chunk behind, [`turns`]), and the collector writes the results file and spools the
//! preview table as rows come (the table is written in input order at the end, from the spool).
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

mod ahead;
mod first;
mod turns;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use tokio::sync::mpsc;

use crate::calling_day::CallingDay;
use crate::cli::GlobalArgs;
use crate::clock::Clock;
use crate::collect::Collector;
use crate::dispatch::Mode;
use crate::exit::RunOutcome;
use crate::export::{self, Format};
use crate::optout::OptOuts;
use crate::outputs::{self, Reporter};
use crate::plan;
use crate::preview;
use crate::reason::{Reason, ReasonCode};
use crate::results::RowResult;
use crate::select::Selected;
use crate::services::{Office, Services};
use crate::settings::Settings;

use ahead::SelectAhead;
use first::{hold_bytes, index, ReadAhead, CHUNK};
use turns::{Calls, Job, Turns};

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
    /// Its calls whose household's first row comes before this may take their turns: no
    /// household before them still waits for its last row.
    free_before: u64,
}

/// `run --dry-run` over a CSV export, streamed. Same results, table and summary as
/// [`super::dispatch_with`] would give, in bounded memory.
pub(crate) async fn preview(mut s: Settings, global: &GlobalArgs) -> anyhow::Result<RunOutcome> {
    let clock = Clock::starting_at(s.now);
    let first = export::stream(&s.input, true)?;
    // From here on, the mapping is the one this file allows (a preset's absent columns gone).
    s.input.columns = first.columns.clone();
    let export::OptOutNotes {
        mut warnings,
        notes,
    } = first.opt_outs.clone();
    let first = ReadAhead::start(first);
    let hold = std::fs::metadata(&s.input.path).is_ok_and(|m| m.len() <= hold_bytes());
    let (mut index, rows) = index(first, &s, super::location::do_not_call_list(&s)?, hold)?;
    warnings.append(&mut index.warnings);
    super::location::warn_all(&warnings);
    super::location::note_all(&notes, s.mode);
    if index.total == 0 {
        export::note_empty();
    }
    let days = CallingDay::for_locations(&s.locations, clock.now());

    // A preview never waits for a window, so whether a location has rows to call is moot.
    let to_call = vec![true; s.locations.len()];
    let services = Services::start(&s, &clock, &to_call).await?;
    let (mut output, collector, results) = outputs::start_streaming(&s, index.total, &days)?;
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
    // A chunk's calls take their turns while the next chunk is planned.
    let turns = Turns::start(s.locations.len(), output.outputs.clone());
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
        output.seen += batch.seen;
        runs.iter_mut()
            .for_each(|run| run.free_before = batch.free_before);
        let opt_outs = &index.opt_outs;
        if let Err(e) = stages(
            batch.now, &services, &s, &output, &mut runs, opt_outs, &turns,
        )
        .await
        {
            let e = turns.finish().err().unwrap_or(e);
            return Err(collector_error(collecting).unwrap_or(e));
        }
        // The turns and the collector may fall behind by a few chunks, not by the whole export
        // (the kept calls' rows come later).
        loop {
            let done = taken.load(Ordering::Relaxed) + turns.kept_rows();
            if batch.position - batch.held <= done + 3 * CHUNK
                || collecting.is_finished()
                || turns.stopped()
            {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(1)).await;
        }
    }
    let kept = match turns.finish() {
        Ok(kept) => kept,
        Err(e) => return Err(collector_error(collecting).unwrap_or(e)),
    };
    // Every call is known: each takes its turn, in the order the run would make them.
    for (office, kept) in services.offices.iter().zip(kept) {
        let Some(kept) = kept else {
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
    Ok(outputs::outcome(collected, &services, warnings, notes))
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
    turns: &Turns,
) -> anyhow::Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let (unplaced, by_location) = super::location::split_by_location(rows, s.locations.len());
    turns.send(Job::Settled(plan::plan(unplaced, Vec::new(), None).settled))?;
    let places = services
        .offices
        .iter()
        .enumerate()
        .zip(by_location)
        .zip(runs);
    for ((office, rows), run) in places {
        if !rows.is_empty() {
            for job in location_stages(rows, office, services, s, output, run, opt_outs).await {
                turns.send(job)?;
            }
        }
    }
    Ok(())
}

/// One location's rows of a chunk, planned: its settled rows, and its calls to take their turns
/// (on the [`Turns`] thread). Once the location has failed, its rows are reported with the
/// reason (as [`super::dispatch_with`] reports a failed location's rows).
async fn location_stages(
    rows: Vec<Selected>,
    (place, office): (usize, &Office),
    services: &Services,
    s: &Settings,
    output: &Reporter,
    run: &mut LocationRun,
    opt_outs: &OptOuts,
) -> Vec<Job> {
    let location = office.location.results_id();
    if let Some(reason) = &run.refused {
        return vec![Job::Settled(plan::none_called(rows, location, reason))];
    }
    let row_numbers: Vec<u64> = rows.iter().map(|r| r.row).collect();
    if let Some(e) = &run.failed {
        let e = anyhow::anyhow!("{e}");
        return vec![Job::Settled(plan::not_planned(&row_numbers, location, &e))];
    }
    let (plan, schedule) =
        match super::location::plan_location(rows, office, services, s, opt_outs).await {
            Ok(planned) => planned,
            Err(e) => {
                run.failed = Some(format!("{e:#}"));
                return vec![Job::Settled(plan::not_planned(&row_numbers, location, &e))];
            }
        };
    run.rows += plan.rows();
    run.calls += plan.calls.len();
    let calls = Job::Calls(Box::new(Calls {
        location: place,
        dispatcher: services.dispatcher(office, s.limit, output.details.clone()),
        calls: plan.calls,
        schedule,
        free_before: run.free_before,
    }));
    vec![Job::Settled(plan.settled), calls]
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
