//! The streamed preview's calls take their turns on a thread of their own, a chunk behind the
//! planning: rendering a chunk's calls (on every core) and giving each its turn (on one, in the
//! run's order) overlap with planning the next chunk (on one: recall, households, the guard), so
//! neither leaves a core waiting for the other.
//!
//! Every row of a chunk, settled or called, reaches the collector through this thread, in the
//! order the planning made them, as if the stages ran one after the other on one thread.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::Arc;
use std::thread::JoinHandle;

use crate::dispatch::{Dispatcher, KeptCalls, Outputs};
use crate::plan::Planned;
use crate::results::RowResult;
use crate::schedule::Schedule;

/// What the planning hands over, in order.
pub(super) enum Job {
    /// Rows settled before dispatch (or not planned), for the collector as they are.
    Settled(Vec<RowResult>),
    /// A location's planned calls of a chunk (boxed: a job waits in a channel).
    Calls(Box<Calls>),
}

/// A location's planned calls of a chunk, to render and take their turns
/// ([`Dispatcher::preview_calls`]).
pub(super) struct Calls {
    pub(super) location: usize,
    pub(super) dispatcher: Dispatcher,
    pub(super) calls: Vec<Planned>,
    pub(super) schedule: Schedule,
    pub(super) free_before: u64,
}

/// The thread the calls take their turns on, and what it tells the planning.
pub(super) struct Turns {
    jobs: SyncSender<Job>,
    thread: JoinHandle<anyhow::Result<Vec<Option<KeptCalls>>>>,
    /// Rows whose calls are kept (no result yet), over every location.
    kept: Arc<AtomicUsize>,
}

impl Turns {
    /// The thread, for `locations` locations; the rows go to the collector through `outputs`.
    pub(super) fn start(locations: usize, outputs: Outputs) -> Turns {
        // A chunk's jobs (its settled rows, its calls) wait while the chunk before is worked
        // on: the planning is at most a chunk ahead.
        let (jobs, receiver) = sync_channel::<Job>(2);
        let kept = Arc::new(AtomicUsize::new(0));
        let counted = kept.clone();
        let thread = std::thread::spawn(move || take_turns(receiver, locations, outputs, counted));
        Turns { jobs, thread, kept }
    }

    /// Hands a job over, in order; waits while two wait already. An error is the thread's
    /// (it stopped early: the kept calls' temporary file, or the collector gone).
    pub(super) fn send(&self, job: Job) -> anyhow::Result<()> {
        if self.jobs.send(job).is_ok() {
            return Ok(());
        }
        Err(anyhow::anyhow!(
            "internal error: the preview's calls stopped taking their turns"
        ))
    }

    /// Rows whose calls are kept so far (they have no result yet).
    pub(super) fn kept_rows(&self) -> usize {
        self.kept.load(Ordering::Relaxed)
    }

    /// Whether the thread has stopped (it stops early only on an error).
    pub(super) fn stopped(&self) -> bool {
        self.thread.is_finished()
    }

    /// Every job done: each location's kept calls (none where it planned no call), or the
    /// thread's error.
    pub(super) fn finish(self) -> anyhow::Result<Vec<Option<KeptCalls>>> {
        drop(self.jobs);
        match self.thread.join() {
            Ok(kept) => kept,
            Err(_) => Err(anyhow::anyhow!(
                "internal error: the preview's calls stopped taking their turns"
            )),
        }
    }
}

/// The thread's work: every job, in order, until the planning hangs up; then each location's
/// kept calls. `counted` is kept up to date with the rows whose calls are kept.
fn take_turns(
    jobs: Receiver<Job>,
    locations: usize,
    outputs: Outputs,
    counted: Arc<AtomicUsize>,
) -> anyhow::Result<Vec<Option<KeptCalls>>> {
    let mut kept: Vec<Option<KeptCalls>> = (0..locations).map(|_| None).collect();
    for job in jobs {
        let Calls {
            location,
            dispatcher,
            calls,
            schedule,
            free_before,
        } = match job {
            Job::Settled(rows) => {
                send(&outputs, rows)?;
                continue;
            }
            Job::Calls(calls) => *calls,
        };
        let calls_kept = match &mut kept[location] {
            Some(calls_kept) => calls_kept,
            None => kept[location].insert(KeptCalls::new()?),
        };
        let out = outputs.clone();
        dispatcher.preview_calls(calls, schedule, out, calls_kept, free_before)?;
        let rows = kept.iter().flatten().map(KeptCalls::rows).sum();
        counted.store(rows, Ordering::Relaxed);
    }
    Ok(kept)
}

/// Rows for the collector, as one message.
fn send(outputs: &Outputs, rows: Vec<RowResult>) -> anyhow::Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    outputs
        .results
        .send(rows)
        .map_err(|_| anyhow::anyhow!("internal error: results channel closed early"))
}
