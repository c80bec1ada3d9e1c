//! The streamed preview's second pass: the kept rows selected a chunk ahead of the location
//! stages, on a thread of their own, and held back until their household is complete.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::calling_day::CallingDay;
use crate::normalise::Normalised;
use crate::optout::OptOuts;
use crate::preview;
use crate::results::DaysSeen;
use crate::select::{self, Duplicate, Selected, Verdict};
use crate::settings::Selection;

use super::first::{number_key, Shared};

/// What the second pass needs to select its rows ahead of the stages: the first reading's facts
/// about the whole export, and the rules.
pub(super) struct SelectAhead {
    pub(super) duplicates: HashMap<usize, Duplicate>,
    pub(super) shared: Shared,
    pub(super) opt_outs: Arc<OptOuts>,
    pub(super) selection: Selection,
    pub(super) now: DateTime<Utc>,
    pub(super) days: Vec<CallingDay>,
    /// The preview table's: who each row is about, noted before its result comes.
    pub(super) expected: Option<preview::Expected>,
}

/// Rows ready for the location stages, in the order the stages take them.
pub(super) struct Batch {
    /// Rows that share no number with a row still to come, and the households whose last row
    /// has now been read.
    pub(super) now: Vec<Selected>,
    /// Rows read so far.
    pub(super) position: usize,
    /// Rows held back, waiting for their household's last row.
    pub(super) held: usize,
    /// Calls whose household's first row comes before this may take their turns: no household
    /// before them still waits for its last row.
    pub(super) free_before: u64,
    /// Every row has been read: `now` holds the households that waited to the end.
    pub(super) last: bool,
    /// Which days this chunk's appointments are on (see [`select::days_seen`]).
    pub(super) seen: DaysSeen,
}

/// The batches, made on a thread of their own a chunk ahead of the stages, so that selecting
/// the next chunk's rows (on every core) overlaps with the work on this one that takes one
/// core (a call's turn depends on the one before).
pub(super) struct Selecting {
    batches: std::sync::mpsc::Receiver<anyhow::Result<Batch>>,
    /// The last batch was taken.
    ended: bool,
}

impl SelectAhead {
    pub(super) fn start(self, mut rows: crate::engine::spill::TakeBack) -> Selecting {
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
                        seen: DaysSeen::default(),
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
        let seen = select::days_seen(&normalised, self.selection.window, &self.days, self.now);
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
            seen,
        }
    }
}

impl Selecting {
    /// The next batch; none after the last.
    pub(super) fn next(&mut self) -> anyhow::Result<Option<Batch>> {
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
