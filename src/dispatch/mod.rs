//! Stage 5: start the calls, at the rate the API allows, recording each in the ledger.
//!
//! One pacer walks the calls: first those free now, in input order, then those held until a
//! later moment of this run's calling window ([`crate::schedule`]), each when its moment comes.
//! For each it checks the stop flag and calling hours, learns how another location's call to the
//! number earlier in this run ended (`earlier.rs`: a request not to be called skips this one),
//! takes an in-flight permit, waits for its turn at the [`Gate`] (rate limiter plus any
//! rate-limit pause), claims the number against the other locations' calls to it (the spacing),
//! records the attempt in the ledger as `in_flight`, and hands the call to a worker task. A call whose window or spacing is not open when its turn
//! comes goes back to wait, if it can still go before the window closes. Every input row leaves
//! here as exactly one [`RowResult`] on the results channel: when this function returns and its
//! senders drop, every call has a result.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::io::Write;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

use tokio::sync::{mpsc, Semaphore};
use tokio::task::JoinSet;

mod attempt;
mod dispatcher;
mod earlier;
pub(crate) mod gate;
mod kept;
mod peers;
mod shared;
mod stop;

use attempt::attempt;
pub use dispatcher::Dispatcher;
pub use gate::Gate;
pub use kept::KeptCalls;
pub(crate) use peers::{Peer, Peers};
use shared::{Paced, Shared};
pub use stop::Stop;

use crate::api::AnnieClient;
use crate::clock::Clock;
use crate::locations::Location;
use crate::plan::{Call, Planned};
use crate::reason::{Reason, ReasonCode};
use crate::results::{RowResult, Status};
use crate::schedule::{self, Hold, Schedule};
pub use crate::settings::Mode;

/// A call on its way through the pacer.
struct Item {
    index: usize,
    body: Body,
    /// Whether it is within `--limit`, once counted (a call back from waiting is not counted
    /// twice).
    within_limit: Option<bool>,
    hold: Option<Hold>,
}

enum Body {
    Planned(Planned),
    /// Boxed: a preview's call moves through several vectors on its way to its rows, and a
    /// pointer moves cheaper than the call.
    Rendered(Box<Call>),
}

/// Calls rendered ahead of the pacer, in parallel.
const RENDER_CHUNK: usize = 512;

/// Where the results go and the optional copy of every request body (shared by the locations).
#[derive(Clone)]
pub struct Outputs {
    /// A call's rows go as one message; a preview sends a chunk's rows as one.
    pub results: mpsc::UnboundedSender<Vec<RowResult>>,
    pub requests: Option<Arc<Mutex<Box<dyn Write + Send>>>>,
}

impl Dispatcher {
    /// Sends (or, in preview, pretends to send) every call: those free now in input order, then
    /// each held one when its moment in `schedule` comes. Returns when every call has a result.
    pub async fn run(
        self,
        calls: Vec<Planned>,
        mut schedule: Schedule,
        mut out: Outputs,
    ) -> anyhow::Result<()> {
        let permits = Arc::new(Semaphore::new(self.location.dispatch.max_in_flight.max(1)));
        let notes = std::mem::take(&mut schedule.notes);
        let shared = self.shared(schedule.window, notes, &out);
        let shared = Arc::new(shared);
        let d = &shared.d;
        let mut workers = JoinSet::new();

        let mut ready: VecDeque<Item> = VecDeque::new();
        let mut held: BTreeMap<(chrono::DateTime<chrono::Utc>, usize), Item> = BTreeMap::new();
        for (index, planned) in calls.into_iter().enumerate() {
            let lead = planned.household.members.first().map(|m| m.0);
            let hold = lead.and_then(|row| schedule.held.remove(&row));
            let item = |hold| Item {
                index,
                body: Body::Planned(planned),
                within_limit: None,
                hold,
            };
            match hold {
                Some(h) => {
                    held.insert((h.at, index), item(Some(h)));
                }
                None => ready.push_back(item(None)),
            }
        }

        loop {
            if ready.is_empty() && held.is_empty() {
                break;
            }
            if ready.is_empty() && d.limit_reached() {
                // Over `--limit`, a call not yet counted will not go: it is reported now, not
                // after waiting (perhaps hours, holding the ledger) for its moment.
                ready.extend(take_uncounted(&mut held));
            }
            if ready.is_empty() {
                let Some(((first, _), _)) = held.first_key_value() else {
                    break;
                };
                let first = *first;
                // A preview waits for nothing: it shows when each held call would go.
                if d.client.is_some() {
                    let wait = (first - d.clock.now()).to_std().unwrap_or_default();
                    note_wait(held.len(), first, wait);
                    tokio::select! {
                        _ = tokio::time::sleep(wait) => {}
                        _ = d.stop.wait() => {}
                    }
                }
                // Everything due by now (or, after a stop or in a preview, everything) goes next,
                // in time order.
                let all = d.client.is_none() || d.stop.reason().is_some();
                let due = d.clock.now().max(first);
                while let Some(entry) = held.first_entry() {
                    if !all && entry.key().0 > due {
                        break;
                    }
                    ready.push_back(entry.remove());
                }
            }
            // Render a chunk ahead on every core; only the chunk's bodies exist at once.
            let chunk: Vec<Item> = {
                let n = ready.len().min(RENDER_CHUNK);
                ready.drain(..n).collect()
            };
            let rendered: Vec<Option<Result<Call, Reason>>> = {
                use rayon::prelude::*;
                chunk
                    .par_iter()
                    .map(|item| match &item.body {
                        Body::Planned(p) => {
                            Some(p.render_with(&d.templates, &d.location, &d.languages, d.bodies))
                        }
                        Body::Rendered(_) => None,
                    })
                    .collect()
            };
            let Some(client) = &d.client else {
                preview_chunk(&shared, chunk, rendered, &mut out);
                continue;
            };
            for (item, rendered) in chunk.into_iter().zip(rendered) {
                let call = match rendered_call(item.body, rendered) {
                    Ok(call) => call,
                    Err(rows) => {
                        shared.report_rows(rows);
                        continue;
                    }
                };
                let within_limit = d.within_limit(&call, item.within_limit);
                let paced = pace(
                    &shared,
                    client,
                    item.index,
                    *call,
                    within_limit,
                    &permits,
                    &mut out,
                    &mut workers,
                )
                .await?;
                if let Paced::Later(at, call) = paced {
                    let item = Item {
                        index: item.index,
                        body: Body::Rendered(Box::new(call)),
                        within_limit: Some(within_limit),
                        hold: item.hold,
                    };
                    held.insert((at, item.index), item);
                }
            }
        }

        shared.drain(&mut workers).await?;
        shared.reconcile_ambiguous().await;
        if let Some(w) = &out.requests {
            w.lock()
                .unwrap_or_else(|p| p.into_inner())
                .flush()
                .map_err(|e| anyhow::anyhow!("cannot write the --emit-requests file: {e}"))?;
        }
        Ok(())
    }
}

impl Dispatcher {
    /// What the pacer and the workers share.
    fn shared(
        self,
        window: schedule::CallingWindow,
        notes: rustc_hash::FxHashMap<u64, String>,
        out: &Outputs,
    ) -> Shared {
        Shared {
            results: out.results.clone(),
            d: self,
            in_flight: Mutex::new(HashMap::new()),
            ambiguous: Mutex::new(Vec::new()),
            failures_in_a_row: AtomicU32::new(0),
            forbidden_in_a_row: Mutex::new(Vec::new()),
            window,
            notes: Mutex::new(notes),
        }
    }

    /// A streamed preview's chunk of calls: each rendered on every core (a call that cannot be
    /// rendered has its rows now, `invalid`). Then every call free now whose household's first
    /// row comes before `free_before` (no household before it still waits for its last row)
    /// takes its turn, with those kept from earlier chunks, in the run's order; the rest are
    /// kept ([`KeptCalls`]) until they can ([`Dispatcher::preview_kept`] takes the last).
    pub fn preview_calls(
        self,
        calls: Vec<Planned>,
        mut schedule: Schedule,
        mut out: Outputs,
        kept: &mut KeptCalls,
        free_before: u64,
    ) -> anyhow::Result<()> {
        use rayon::prelude::*;
        kept.set_window(schedule.window);
        // A streamed preview neither shows nor writes bodies: the texts are checked only.
        // Each household is freed on the core that rendered it.
        // A call and its lead row, or the rows of a household that cannot be rendered.
        // Boxed at once: each call moves several times before its rows are made.
        type Rendered = Result<(Box<Call>, Option<u64>), Vec<RowResult>>;
        let rendered: Vec<Rendered> = calls
            .into_par_iter()
            .map(
                |p| match p.render_with(&self.templates, &self.location, &self.languages, false) {
                    Ok(call) => Ok((Box::new(call), p.household.members.first().map(|m| m.0))),
                    Err(reason) => Err(p.skeleton().results(Status::Invalid, Some(reason))),
                },
            )
            .collect();
        let mut invalid = Vec::new();
        let mut now = Vec::with_capacity(rendered.len());
        for rendered in rendered {
            let (call, lead) = match rendered {
                Ok(rendered) => rendered,
                Err(rows) => {
                    invalid.push(rows);
                    continue;
                }
            };
            let hold = lead.and_then(|row| schedule.held.remove(&row));
            if hold.is_none() && kept::first_row(&call) < free_before {
                now.push((call, None, None));
                continue;
            }
            let note = lead.and_then(|row| schedule.notes.get(&row));
            kept.keep(&call, hold.as_ref(), note.map(String::as_str))?;
        }
        now.extend(kept.take_free_before(free_before)?);
        // By their first rows (no two calls share one): the keys are sorted, then each call is
        // swapped into its place once (sorting the calls themselves moved each large tuple many
        // times, on this one thread).
        now.sort_by_cached_key(|(call, _, _)| kept::first_row(call));
        let shared = self.shared(schedule.window, schedule.notes, &out);
        for rows in invalid {
            shared.report_rows(rows);
        }
        take_turns(&shared, now.into_iter().map(Ok), &mut out)
    }

    /// A streamed preview's calls still kept once every row is read, each taking its turn in
    /// the order the run would make them ([`KeptCalls::in_turn_order`]). Returns when every
    /// kept call has its rows.
    pub fn preview_kept(self, kept: KeptCalls, mut out: Outputs) -> anyhow::Result<()> {
        let Some(window) = kept.window() else {
            return Ok(());
        };
        let shared = self.shared(window, Default::default(), &out);
        take_turns(&shared, kept.in_turn_order()?, &mut out)
    }
}

/// Calls of a streamed preview, in the order the run makes them: each takes its turn, a chunk at
/// a time as [`Dispatcher::run`] takes them ([`preview_chunk`]).
fn take_turns(
    shared: &Shared,
    calls: impl Iterator<Item = anyhow::Result<kept::Kept>>,
    out: &mut Outputs,
) -> anyhow::Result<()> {
    let mut calls = calls.enumerate().peekable();
    while calls.peek().is_some() {
        let mut chunk = Vec::with_capacity(RENDER_CHUNK);
        for (index, kept) in calls.by_ref().take(RENDER_CHUNK) {
            let (call, hold, note) = kept?;
            if let (Some(note), Some(lead)) = (note, call.members.first()) {
                let mut notes = shared.notes.lock().unwrap_or_else(|p| p.into_inner());
                notes.insert(lead.row, note);
            }
            chunk.push(Item {
                index,
                body: Body::Rendered(call),
                within_limit: None,
                hold,
            });
        }
        let rendered = chunk.iter().map(|_| None).collect();
        preview_chunk(shared, chunk, rendered, out);
    }
    Ok(())
}

/// One call through the pacer: the limit, the stop flag and calling hours, another location's
/// earlier call to the number, an in-flight permit, the rate gate, the spacing claim, the ledger
/// record, then a worker. Every path reports the
/// call's rows, except a call that must wait for a later moment of the window
/// ([`Paced::Later`]).
#[allow(clippy::too_many_arguments)]
async fn pace(
    shared: &Arc<Shared>,
    client: &Arc<AnnieClient>,
    index: usize,
    call: Call,
    within_limit: bool,
    permits: &Arc<Semaphore>,
    out: &mut Outputs,
    workers: &mut JoinSet<()>,
) -> anyhow::Result<Paced> {
    let d = &shared.d;
    if !within_limit {
        shared.report(&call, Status::NotAttempted, Some(d.limit_reason()));
        return Ok(Paced::Done);
    }
    if let Some(reason) = d.stop.reason() {
        shared.report(&call, Status::NotAttempted, Some(reason));
        return Ok(Paced::Done);
    }
    if let Some(held) = d.held_back(&call) {
        return Ok(shared.hold_back(call, held));
    }
    // Another location of the group may have called this number earlier in this run: how that
    // call ended (a request not to be called?) is known before this one takes a turn.
    let (call, checked) = match shared.after_earlier(call).await {
        Ok(go) => go,
        Err(paced) => return Ok(paced),
    };
    let permit = tokio::select! {
        p = permits.clone().acquire_owned() => p?,
        _ = d.stop.wait() => {
            shared.report(&call, Status::NotAttempted, d.stop.reason());
            return Ok(Paced::Done);
        }
    };
    tokio::select! {
        _ = d.gate.ready() => {}
        _ = d.stop.wait() => {}
    }
    // The run may have stopped, or the window closed, while we waited for our turn.
    if let Some(held) = d.held_back(&call) {
        return Ok(shared.hold_back(call, held));
    }
    // Another location may have called this number moments ago (its dispatcher runs beside
    // this one): claimed here, right before the request, so the spacing holds between starts.
    // A call another location started since the look above is looked at first.
    if let Err(at) =
        d.spacing
            .claim_checked(&d.location.id, &call.to_number, d.clock.now(), checked)
    {
        drop(permit);
        return Ok(shared.spaced(call, at));
    }
    let started = match shared.begin(index, call.clone()) {
        Ok(s) => s,
        Err(e) => {
            d.stop.set(Reason::new(
                ReasonCode::CannotRecord,
                format!("not attempted: the ledger could not be written ({e:#})"),
            ));
            // Nothing was placed: another location's call to the number need not wait for it.
            let number = &call.to_number;
            d.spacing
                .settled(&d.location.id, number, schedule::Earlier::Clear);
            shared.report(&call, Status::NotAttempted, d.stop.reason());
            return Ok(Paced::Done);
        }
    };
    write_request(&mut out.requests, &call, &d.stop);
    let (client, shared) = (client.clone(), shared.clone());
    workers.spawn(async move {
        let outcome = attempt(&started.call, &client, &shared).await;
        shared.settle(index, started, outcome);
        drop(permit);
    });
    Ok(Paced::Done)
}

/// A chunk's call as rendered, or, when it could not be, its rows (`invalid` with the reason).
fn rendered_call(
    body: Body,
    rendered: Option<Result<Call, Reason>>,
) -> Result<Box<Call>, Vec<RowResult>> {
    match (body, rendered) {
        (Body::Rendered(call), _) => Ok(call),
        (Body::Planned(_), Some(Ok(call))) => Ok(Box::new(call)),
        (Body::Planned(planned), Some(Err(reason))) => {
            Err(planned.skeleton().results(Status::Invalid, Some(reason)))
        }
        (Body::Planned(planned), None) => {
            let reason = Reason::new(
                ReasonCode::Internal,
                "internal error: the call was not rendered; please report this",
            );
            Err(planned
                .skeleton()
                .results(Status::NotAttempted, Some(reason)))
        }
    }
}

impl Dispatcher {
    /// Whether a call is within `--limit`: counted (and noted for the preview's details) the
    /// first time it comes; a call back from waiting keeps its first answer.
    fn within_limit(&self, call: &Call, counted_before: Option<bool>) -> bool {
        counted_before.unwrap_or_else(|| {
            if let Some(details) = &self.details {
                details.lock().unwrap_or_else(|p| p.into_inner()).add(call);
            }
            let counted = self.calls_counted.fetch_add(1, Ordering::SeqCst) + 1;
            self.limit.is_none_or(|l| counted <= l)
        })
    }

    /// Whether `--limit` calls have been counted: no call counted from now on may go.
    fn limit_reached(&self) -> bool {
        self.limit
            .is_some_and(|l| self.calls_counted.load(Ordering::SeqCst) >= l)
    }

    /// Why a call over `--limit` was not attempted.
    fn limit_reason(&self) -> Reason {
        let limit = self.limit.unwrap_or_default();
        Reason::new(
            ReasonCode::RunLimit,
            format!("not attempted: --limit {limit} reached"),
        )
    }
}

/// The held calls not yet counted toward `--limit`, in time order, taken out of `held`.
fn take_uncounted(held: &mut BTreeMap<(chrono::DateTime<chrono::Utc>, usize), Item>) -> Vec<Item> {
    let keys: Vec<_> = held
        .iter()
        .filter(|(_, item)| item.within_limit.is_none())
        .map(|(key, _)| *key)
        .collect();
    keys.into_iter()
        .filter_map(|key| held.remove(&key))
        .collect()
}

/// What one rendered call of a preview's chunk comes to, in the order the calls came.
enum Step {
    /// Its rows are known (not rendered, over `--limit`, the run stopped).
    Rows(Vec<RowResult>),
    /// It has taken its turn; its rows are made on every core ([`preview_rows`]).
    Call(Box<Call>, Turn),
}

/// A preview's chunk of rendered calls. Each call takes its turn in order (the rate slots and
/// the spacing between locations go by the order calls would go in), then every call's rows
/// are made on every core, and the rows go to the collector in the order the calls came: the
/// same rows, in the same order, as one call at a time.
fn preview_chunk(
    shared: &Shared,
    chunk: Vec<Item>,
    rendered: Vec<Option<Result<Call, Reason>>>,
    out: &mut Outputs,
) {
    use rayon::prelude::*;
    let d = &shared.d;
    let mut steps = Vec::with_capacity(chunk.len());
    for (item, rendered) in chunk.into_iter().zip(rendered) {
        let call = match rendered_call(item.body, rendered) {
            Ok(call) => call,
            Err(rows) => {
                steps.push(Step::Rows(rows));
                continue;
            }
        };
        if !d.within_limit(&call, item.within_limit) {
            let rows = call.results(Status::NotAttempted, Some(d.limit_reason()));
            steps.push(Step::Rows(rows));
            continue;
        }
        if let Some(reason) = d.stop.reason() {
            steps.push(Step::Rows(call.results(Status::NotAttempted, Some(reason))));
            continue;
        }
        let turn = preview_turn(shared, &call, item.hold.as_ref());
        steps.push(Step::Call(call, turn));
    }
    // Each step's rows, and its call with whether it would go.
    type Done = (Vec<RowResult>, Option<(Box<Call>, bool)>);
    let done: Vec<Done> = steps
        .into_par_iter()
        .map(|step| match step {
            Step::Rows(rows) => (shared.finish_rows(rows), None),
            Step::Call(call, turn) => {
                let (rows, goes) = preview_rows(shared, &call, turn);
                (shared.finish_rows(rows), Some((call, goes)))
            }
        })
        .collect();
    // The chunk's rows go to the collector as one message, in the order the calls came (not
    // one message a row: a million-row preview would wake the collector for each). The calls
    // are freed on another core once their rows are sent.
    let mut calls = Vec::with_capacity(done.len());
    let mut all = Vec::with_capacity(done.iter().map(|(rows, _)| rows.len()).sum());
    for (rows, call) in done {
        let call = match (call, d.stop.reason()) {
            // The run stopped (an `--emit-requests` file that cannot be written) after this
            // chunk's turns were taken: the calls after it are not attempted, as one at a time.
            (Some((call, _)), Some(reason)) => {
                let rows = call.results(Status::NotAttempted, Some(reason));
                all.extend(shared.finish_rows(rows));
                call
            }
            (Some((call, true)), None) => {
                write_request(&mut out.requests, &call, &d.stop);
                all.extend(rows);
                call
            }
            (call, _) => {
                all.extend(rows);
                match call {
                    Some((call, _)) => call,
                    None => continue,
                }
            }
        };
        calls.push(call);
    }
    shared.send_rows(all);
    rayon::spawn(move || drop(calls));
}

/// A preview call's turn: the slot the rate gate would give it on the run's clock (from its
/// hold, if it has one), moved for the spacing from another location's call to the number.
enum Turn {
    /// Another location's call comes too close, and the number is free again only after the
    /// window: skipped (from this moment).
    Spaced(chrono::DateTime<chrono::Utc>),
    /// It would go at `turn`, waiting until then for `why` (if it waits).
    At {
        turn: chrono::DateTime<chrono::Utc>,
        why: Option<String>,
    },
}

/// Takes a preview call's turn (in the order calls would go). It waits for nothing: slots
/// count from the run's start, not from how long the preview has taken so far, so the same
/// export and `--now` give the same preview on any machine.
fn preview_turn(shared: &Shared, call: &Call, hold: Option<&Hold>) -> Turn {
    let d = &shared.d;
    let earliest = hold.map_or(d.clock.start(), |h| h.at);
    let turn = d.gate.preview_slot(earliest);
    let why = hold.map(|h| h.why.clone());
    let Err(at) = d.spacing.claim(&d.location.id, &call.to_number, turn) else {
        return Turn::At { turn, why };
    };
    if !shared.window.fits_before(at, call.first_start()) {
        return Turn::Spaced(at);
    }
    // At `at` the other location's gap has just passed, so this claim holds (it records this
    // call's start for the calls after it); its answer adds nothing.
    let _ = d.spacing.claim(&d.location.id, &call.to_number, at);
    Turn::At {
        turn: at,
        why: Some(schedule::spacing_rule(d.spacing.gap())),
    }
}

/// A preview's verdict on one call at its turn, and whether it would go: a call whose turn
/// comes after the window closes or after its appointment starts is deferred (or skipped for
/// the spacing) as the run would, and flagged when no run can reach it; the rest would go,
/// with the time shown when it waits.
fn preview_rows(shared: &Shared, call: &Call, turn: Turn) -> (Vec<RowResult>, bool) {
    let d = &shared.d;
    let tz = d.location.practice.timezone;
    let (turn, why) = match turn {
        Turn::Spaced(at) => {
            let text = format!(
                "{}; callable again from {}",
                schedule::spacing_rule(d.spacing.gap()),
                schedule::when(at, tz)
            );
            let reason = Reason::new(ReasonCode::PerNumberLimit, text);
            let rows = shared.uncovered_rows(call, Status::Skipped, reason, Some(at));
            return (rows, false);
        }
        Turn::At { turn, why } => (turn, why),
    };
    // At its turn, the practice's window may have closed (or the appointment come), or the
    // patient's own hours (a New York number of a Hawaii practice, after 20:00 in New York):
    // the run then defers it, unless those hours open again within the window (the run would
    // wait for them; the preview shows when).
    let hours = d.location.hours.may_call(&call.zones, turn);
    let reopens = hours.as_ref().err().and_then(|c| shared.reopens(c, call));
    if !shared.window.fits_before(turn, call.first_start()) || (hours.is_err() && reopens.is_none())
    {
        let (closed, next) = match hours {
            Err(closed) => (closed.reason, closed.opens_at),
            Ok(()) => ("the appointment starts first".to_string(), None),
        };
        let text = format!(
            "its turn at {} calls a minute would come at {}: {closed}",
            d.location.dispatch.requests_per_minute,
            schedule::when(turn, tz)
        );
        let reason = Reason::new(ReasonCode::CallingHours, text);
        let rows = shared.uncovered_rows(call, Status::Deferred, reason, next);
        return (rows, false);
    }
    // When a held call would go, and why it waits until then.
    let (turn, why) = match (reopens, hours) {
        (Some(at), Err(closed)) => (at, Some(closed.reason)),
        _ => (turn, why),
    };
    let note = why.map_or(String::new(), |why| {
        format!("at {} (until then: {why})", schedule::when(turn, tz))
    });
    let preview = Reason::new(ReasonCode::WouldCall, note);
    (call.results(Status::DryRun, Some(preview)), true)
}

/// Why a call may not start now.
enum Held {
    /// The run (or this location) stopped.
    Stopped(Reason),
    /// Calling hours are closed now (the practice's, or the recipient's).
    Closed(crate::hours::Closed),
}

impl Dispatcher {
    /// Why a call must not start now, if it must not: the run stopped, or calling hours closed.
    fn held_back(&self, call: &Call) -> Option<Held> {
        if let Some(reason) = self.stop.reason() {
            return Some(Held::Stopped(reason));
        }
        let closed = self
            .location
            .hours
            .may_call(&call.zones, self.clock.now())
            .err()?;
        Some(Held::Closed(closed))
    }
}

impl Shared {
    /// A call that may not start now: `not_attempted` after a stop; back to wait if the hours
    /// open again within this run's window, else `deferred` (flagged when no run can call it
    /// before the appointment; see [`Shared::closed_for_the_window`]).
    fn hold_back(&self, call: Call, held: Held) -> Paced {
        match held {
            Held::Stopped(reason) => {
                self.report(&call, Status::NotAttempted, Some(reason));
                Paced::Done
            }
            Held::Closed(closed) => match self.reopens(&closed, &call) {
                Some(at) => Paced::Later(at, call),
                None => self.closed_for_the_window(call, closed),
            },
        }
    }

    /// When calling hours closed to a call open again within this run's window, if they do
    /// (the call then waits for that moment; else it is deferred). The run and the preview ask
    /// the same question.
    fn reopens(
        &self,
        closed: &crate::hours::Closed,
        call: &Call,
    ) -> Option<chrono::DateTime<chrono::Utc>> {
        closed
            .opens_at
            .filter(|t| self.window.fits_before(*t, call.first_start()))
    }

    /// A call that must wait for another location's call to the same number: again at `at` if
    /// that is within the window, else `skipped` with the rule.
    fn spaced(&self, call: Call, at: chrono::DateTime<chrono::Utc>) -> Paced {
        if self.window.fits_before(at, call.first_start()) {
            return Paced::Later(at, call);
        }
        let zone = self.d.location.practice.timezone;
        let text = format!(
            "{}; callable again from {}",
            schedule::spacing_rule(self.d.spacing.gap()),
            schedule::when(at, zone)
        );
        let reason = Reason::new(ReasonCode::PerNumberLimit, text);
        self.report_unless_covered(&call, Status::Skipped, reason, Some(at));
        Paced::Done
    }

    /// Reports a call's rows that were not called now, flagging those that no run can call
    /// before their appointment when the number is callable again from `next`.
    fn report_unless_covered(
        &self,
        call: &Call,
        status: Status,
        reason: Reason,
        next: Option<chrono::DateTime<chrono::Utc>>,
    ) {
        self.report_rows(self.uncovered_rows(call, status, reason, next));
    }

    /// The rows of [`Shared::report_unless_covered`], not yet reported.
    fn uncovered_rows(
        &self,
        call: &Call,
        status: Status,
        reason: Reason,
        next: Option<chrono::DateTime<chrono::Utc>>,
    ) -> Vec<RowResult> {
        let mut rows = call.results(status, Some(reason));
        for (row, member) in rows.iter_mut().zip(&call.members) {
            if !self.window.covers(next, member.start) {
                row.flag_uncovered(schedule::UNCOVERED);
            }
        }
        rows
    }
}

/// A wait for a held call long enough to look like a hang in a cron log says what it waits for
/// (how many calls, until when; nothing about whom: the results rows say why each waits).
fn note_wait(held: usize, until: chrono::DateTime<chrono::Utc>, wait: std::time::Duration) {
    if wait < std::time::Duration::from_secs(30) {
        return;
    }
    tracing::info!(
        held,
        wait_secs = wait.as_secs(),
        "waiting until {} for the next held call ({held} {} for their moment: the rules \
         for a number, such as 24 hours between calls to it, or the recipient's calling hours); \
         the run goes on by itself",
        until.format("%Y-%m-%d %H:%M:%S UTC"),
        if held == 1 {
            "call waits"
        } else {
            "calls wait"
        }
    );
}

/// With `--wait-for-window`, a location whose calling window opens later waits for it before
/// its checks and first call (the run itself waited only for the earliest location to open). A
/// stop ends the wait. Whether it waited.
pub async fn wait_for_window(location: &Location, clock: &Clock, stop: &Stop) -> bool {
    let Err(closed) = location.hours.org_open(clock.now()) else {
        return false;
    };
    let Some(opens_at) = closed.opens_at else {
        return false;
    };
    let opens_at = opens_at + crate::hours::OPENING_MARGIN;
    let wait = (opens_at - clock.now()).to_std().unwrap_or_default();
    tracing::info!(
        location = %location.id,
        wait_secs = wait.as_secs(),
        "{}; waiting",
        closed.reason
    );
    tokio::select! {
        _ = tokio::time::sleep(wait) => {}
        _ = stop.wait() => {}
    }
    true
}

fn write_request(sink: &mut Option<Arc<Mutex<Box<dyn Write + Send>>>>, call: &Call, stop: &Stop) {
    let Some(w) = sink else { return };
    let written = {
        let mut w = w.lock().unwrap_or_else(|p| p.into_inner());
        w.write_all(call.body_json.as_bytes())
            .and_then(|_| w.write_all(b"\n"))
    };
    if let Err(e) = written {
        stop.set(Reason::new(
            ReasonCode::CannotRecord,
            format!("not attempted: cannot write the --emit-requests file: {e}"),
        ));
        *sink = None;
    }
}
