//! Stage 5: start the calls, at the rate the API allows, recording each in the ledger.
//!
//! One pacer walks the calls in input order. For each it checks the stop flag and calling hours,
//! takes an in-flight permit, waits for its turn at the [`Gate`] (rate limiter plus any
//! rate-limit pause), records the attempt in the ledger as `in_flight`, and hands the call to a
//! worker task. Every input row leaves here as exactly one [`RowResult`] on the results channel:
//! when this function returns and its senders drop, every call has a result.

use std::collections::HashMap;
use std::io::Write;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{mpsc, Semaphore};
use tokio::task::JoinSet;

mod attempt;
mod gate;
mod shared;
mod stop;

use attempt::attempt;
pub use gate::{period, Gate, JITTER_MARGIN};
use shared::{Final, Shared};
pub use stop::Stop;

use crate::api::AnnieClient;
use crate::clock::Clock;
use crate::ledger::Ledger;
use crate::locations::Location;
use crate::plan::{Call, Planned};
use crate::preview::CallDetails;
use crate::reason::{Reason, ReasonCode};
use crate::render::Templates;
use crate::results::{RowResult, Status};

/// `[dispatch]` settings.
#[derive(Debug, Clone)]
pub struct DispatchSettings {
    pub requests_per_minute: NonZeroU32,
    pub max_in_flight: usize,
    /// Tries per call when no connection can be made (the request never left).
    pub connect_attempts: u32,
    /// Resends per call after an organisation rate-limit 429.
    pub rate_limit_retries: u32,
    /// Consecutive failed calls after which the run stops sending.
    pub breaker_after: u32,
}

/// Preview sends nothing; Send talks to the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Preview,
    Send,
}

/// What one location's dispatcher works with, besides the calls. Each location has its own
/// client, gate and stop flag, so a refused key or a slow API stops only that location.
pub struct Dispatcher {
    pub client: Option<Arc<AnnieClient>>,
    pub gate: Arc<Gate>,
    pub ledger: Option<Arc<Mutex<Ledger>>>,
    /// This location's stop flag (a child of the run's: a signal stops every location).
    pub stop: Arc<Stop>,
    /// Who calls, from which numbers, at what rate and when.
    pub location: Arc<Location>,
    pub clock: Clock,
    /// `--limit`, counted over every location's calls.
    pub limit: Option<usize>,
    pub calls_counted: Arc<AtomicUsize>,
    pub run_id: String,
    /// How long to wait for requests in flight after an interruption.
    pub drain_timeout: Duration,
    /// Renders each call's texts just before it goes out.
    pub templates: Arc<Templates>,
    pub languages: Arc<crate::languages::Languages>,
    /// In a preview: what the table shows about each rendered call.
    pub details: Option<Arc<Mutex<CallDetails>>>,
    /// Whether each call's JSON body is made: always when sending; a streaming preview that
    /// neither writes (`--emit-requests`) nor shows (`--show-texts`) bodies skips it.
    pub bodies: bool,
}

/// Calls rendered ahead of the pacer, in parallel.
const RENDER_CHUNK: usize = 512;

/// Where the results go and the optional copy of every request body (shared by the locations).
#[derive(Clone)]
pub struct Outputs {
    pub results: mpsc::UnboundedSender<RowResult>,
    pub requests: Option<Arc<Mutex<Box<dyn Write + Send>>>>,
}

impl Dispatcher {
    /// Sends (or, in preview, pretends to send) every call. Returns when every call has a result.
    pub async fn run(self, calls: Vec<Planned>, mut out: Outputs) -> anyhow::Result<()> {
        let permits = Arc::new(Semaphore::new(self.location.dispatch.max_in_flight.max(1)));
        let shared = Arc::new(Shared {
            results: out.results.clone(),
            d: self,
            in_flight: Mutex::new(HashMap::new()),
            ambiguous: Mutex::new(Vec::new()),
            failures_in_a_row: AtomicU32::new(0),
            forbidden_in_a_row: Mutex::new(Vec::new()),
        });
        let d = &shared.d;
        let mut workers = JoinSet::new();

        let mut pending = calls.into_iter().enumerate();
        loop {
            // Render a chunk ahead on every core; only the chunk's bodies exist at once.
            let chunk: Vec<(usize, Planned)> = pending.by_ref().take(RENDER_CHUNK).collect();
            if chunk.is_empty() {
                break;
            }
            let rendered: Vec<Result<Call, Reason>> = {
                use rayon::prelude::*;
                chunk
                    .par_iter()
                    .map(|(_, p)| p.render_with(&d.templates, &d.location, &d.languages, d.bodies))
                    .collect()
            };
            for ((index, planned), rendered) in chunk.into_iter().zip(rendered) {
                let call = match rendered {
                    Ok(call) => call,
                    Err(reason) => {
                        shared.report(&planned.skeleton(), Status::Invalid, Some(reason));
                        continue;
                    }
                };
                drop(planned);
                if let Some(details) = &d.details {
                    details.lock().unwrap_or_else(|p| p.into_inner()).add(&call);
                }
                let counted = d.calls_counted.fetch_add(1, Ordering::SeqCst) + 1;
                let within_limit = d.limit.is_none_or(|l| counted <= l);
                pace(
                    &shared,
                    index,
                    call,
                    within_limit,
                    &permits,
                    &mut out,
                    &mut workers,
                )
                .await?;
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

/// One call through the pacer: the limit, the stop flag and calling hours, an in-flight permit,
/// the rate gate, the ledger record, then a worker. Every path reports the call's rows.
async fn pace(
    shared: &Arc<Shared>,
    index: usize,
    call: Call,
    within_limit: bool,
    permits: &Arc<Semaphore>,
    out: &mut Outputs,
    workers: &mut JoinSet<()>,
) -> anyhow::Result<()> {
    let d = &shared.d;
    if !within_limit {
        let limit = d.limit.unwrap_or_default();
        let reason = format!("not attempted: --limit {limit} reached");
        let reason = Reason::new(ReasonCode::RunLimit, reason);
        shared.report(&call, Status::NotAttempted, Some(reason));
        return Ok(());
    }
    if let Some((status, reason)) = d.held_back(&call) {
        shared.report(&call, status, Some(reason));
        return Ok(());
    }
    let Some(client) = &d.client else {
        write_request(&mut out.requests, &call, &d.stop);
        let preview = Reason::new(ReasonCode::WouldCall, "");
        shared.report(&call, Status::DryRun, Some(preview));
        return Ok(());
    };
    let permit = tokio::select! {
        p = permits.clone().acquire_owned() => p?,
        _ = d.stop.wait() => {
            shared.report(&call, Status::NotAttempted, d.stop.reason());
            return Ok(());
        }
    };
    tokio::select! {
        _ = d.gate.ready() => {}
        _ = d.stop.wait() => {}
    }
    // The run may have stopped, or the window closed, while we waited for our turn.
    if let Some((status, reason)) = d.held_back(&call) {
        shared.report(&call, status, Some(reason));
        return Ok(());
    }
    let started = match shared.begin(index, call.clone()) {
        Ok(s) => s,
        Err(e) => {
            d.stop.set(Reason::new(
                ReasonCode::CannotRecord,
                format!("not attempted: the ledger could not be written ({e:#})"),
            ));
            shared.report(&call, Status::NotAttempted, d.stop.reason());
            return Ok(());
        }
    };
    write_request(&mut out.requests, &call, &d.stop);
    let (client, shared) = (client.clone(), shared.clone());
    workers.spawn(async move {
        let outcome = attempt(&started.call, &client, &shared).await;
        shared.settle(index, started, outcome);
        drop(permit);
    });
    Ok(())
}

impl Dispatcher {
    /// Why a call must not start now, if it must not: the run stopped, or calling hours closed.
    fn held_back(&self, call: &Call) -> Option<(Status, Reason)> {
        if let Some(reason) = self.stop.reason() {
            return Some((Status::NotAttempted, reason));
        }
        let closed = self
            .location
            .hours
            .may_call(&call.zones, self.clock.now())
            .err()?;
        Some((
            Status::Deferred,
            Reason::new(ReasonCode::CallingHours, closed.reason),
        ))
    }
}

/// With `--wait-for-window`, a location whose calling window opens later waits for it before
/// its checks and first call (the run itself waited only for the earliest location to open). A
/// stop ends the wait.
pub async fn wait_for_window(location: &Location, clock: &Clock, stop: &Stop) {
    let Err(closed) = location.hours.org_open(clock.now()) else {
        return;
    };
    let Some(opens_at) = closed.opens_at else {
        return;
    };
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
