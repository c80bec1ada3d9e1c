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
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use backon::{BackoffBuilder, ExponentialBuilder};
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use tokio::sync::{mpsc, Notify, Semaphore};
use tokio::task::JoinSet;
use tokio::time::Instant;

use crate::api::{AnnieClient, ApiSettings, CallOutcome};
use crate::clock::{stamp, Clock};
use crate::hours::CallingHours;
use crate::ledger::{Finished, Ledger, NewAttempt, Outcome};
use crate::plan::{Call, Planned};
use crate::practice::Practice;
use crate::preview::CallDetails;
use crate::reconcile::{self, Lookup};
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
    /// Tries per call when the API answers 502, 503 or 504 (a gateway that did not pass the
    /// request on).
    pub server_error_attempts: u32,
    /// Consecutive failed calls after which the run stops sending.
    pub breaker_after: u32,
    /// Pages of `GET /conversations` read when looking for an ambiguous attempt's call.
    pub reconcile_pages: u32,
}

/// Preview sends nothing; Send talks to the API.
#[derive(Debug, Clone)]
pub enum Mode {
    Preview,
    Send(ApiSettings),
}

/// What the dispatcher works with, besides the calls.
pub struct Dispatcher {
    pub client: Option<Arc<AnnieClient>>,
    pub gate: Arc<Gate>,
    pub ledger: Option<Arc<Mutex<Ledger>>>,
    pub stop: Arc<Stop>,
    pub settings: DispatchSettings,
    pub hours: CallingHours,
    pub clock: Clock,
    pub limit: Option<usize>,
    pub from_number: String,
    pub run_id: String,
    /// How long to wait for requests in flight after an interruption.
    pub drain_timeout: Duration,
    /// Renders each call's texts just before it goes out.
    pub templates: Arc<Templates>,
    pub practice: Practice,
    pub languages: Arc<crate::languages::Languages>,
    /// In a preview: what the table shows about each rendered call.
    pub details: Option<Arc<Mutex<CallDetails>>>,
}

/// Calls rendered ahead of the pacer, in parallel.
const RENDER_CHUNK: usize = 512;

/// Where the results go and the optional copy of every request body.
pub struct Outputs {
    pub results: mpsc::UnboundedSender<RowResult>,
    pub requests: Option<Box<dyn Write + Send>>,
}

/// A call whose request has left, with its ledger rows.
#[derive(Clone)]
struct Started {
    call: Call,
    ledger_ids: Vec<i64>,
    attempted_at: chrono::DateTime<chrono::Utc>,
}

/// How a call's request ended.
enum Final {
    Sent(String),
    Failed {
        http_status: Option<u16>,
        reason: String,
        /// Whether the API saw the request (and may count it against the number).
        counts: bool,
    },
    /// A call may or may not have been placed; held for reconciliation.
    Ambiguous {
        http_status: Option<u16>,
        reason: String,
    },
    /// The run stopped before the request could be (re)sent; nothing was placed.
    NotAttempted(String),
}

struct Shared {
    d: Dispatcher,
    results: mpsc::UnboundedSender<RowResult>,
    in_flight: Mutex<HashMap<usize, Started>>,
    ambiguous: Mutex<Vec<(Started, Option<u16>, String)>>,
    failures_in_a_row: AtomicU32,
}

impl Dispatcher {
    /// Sends (or, in preview, pretends to send) every call. Returns when every call has a result.
    pub async fn run(self, calls: Vec<Planned>, mut out: Outputs) -> anyhow::Result<()> {
        let permits = Arc::new(Semaphore::new(self.settings.max_in_flight.max(1)));
        let shared = Arc::new(Shared {
            results: out.results.clone(),
            d: self,
            in_flight: Mutex::new(HashMap::new()),
            ambiguous: Mutex::new(Vec::new()),
            failures_in_a_row: AtomicU32::new(0),
        });
        let d = &shared.d;
        let mut workers = JoinSet::new();

        let mut pending = calls.into_iter().enumerate();
        let mut rendered_so_far = 0;
        loop {
            // Render a chunk ahead on every core; only the chunk's bodies exist at once.
            let chunk: Vec<(usize, Planned)> = pending.by_ref().take(RENDER_CHUNK).collect();
            if chunk.is_empty() {
                break;
            }
            let rendered: Vec<Result<Call, String>> = {
                use rayon::prelude::*;
                chunk
                    .par_iter()
                    .map(|(_, p)| p.render(&d.templates, &d.practice, &d.languages))
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
                rendered_so_far += 1;
                let within_limit = d.limit.is_none_or(|l| rendered_so_far <= l);
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
        if let Some(w) = &mut out.requests {
            w.flush()
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
        shared.report(&call, Status::NotAttempted, Some(reason));
        return Ok(());
    }
    if let Some((status, reason)) = d.held_back(&call) {
        shared.report(&call, status, Some(reason));
        return Ok(());
    }
    let Some(client) = &d.client else {
        write_request(&mut out.requests, &call, &d.stop);
        shared.report(&call, Status::DryRun, None);
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
            d.stop.set(format!(
                "not attempted: the ledger could not be written ({e:#})"
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
    fn held_back(&self, call: &Call) -> Option<(Status, String)> {
        if let Some(reason) = self.stop.reason() {
            return Some((Status::NotAttempted, reason));
        }
        let closed = self.hours.may_call(&call.zones, self.clock.now()).err()?;
        Some((Status::Deferred, closed.reason))
    }
}

impl Shared {
    /// Hands result rows to the collector. If the collector is gone (the results file cannot be
    /// written), stop sending: a call whose result cannot be recorded must not be made.
    fn report_rows(&self, rows: Vec<RowResult>) {
        for row in rows {
            if self.results.send(row).is_err() {
                self.d
                    .stop
                    .set("not attempted: the results file could not be written".to_string());
            }
        }
    }

    fn report(&self, call: &Call, status: Status, reason: Option<String>) {
        self.report_rows(call.results(status, reason));
    }

    /// Records the call in the ledger as in flight (committed) and registers it as started.
    fn begin(&self, index: usize, call: Call) -> anyhow::Result<Started> {
        let attempted_at = self.d.clock.now();
        let call_id = format!("{}-{index}", self.d.run_id);
        let ledger_ids = match &self.d.ledger {
            None => Vec::new(),
            Some(ledger) => {
                let ledger = ledger.lock().unwrap_or_else(|p| p.into_inner());
                let number_key = ledger.number_key(&call.to_number);
                let attempts: Vec<NewAttempt<'_>> = call
                    .members
                    .iter()
                    .map(|m| NewAttempt {
                        run_id: &self.d.run_id,
                        call_id: &call_id,
                        appointment_id: &m.appointment_id,
                        start_time: &m.start_time,
                        number_key: &number_key,
                        attempted_at,
                    })
                    .collect();
                ledger.begin_call(&attempts)?
            }
        };
        let started = Started {
            call,
            ledger_ids,
            attempted_at,
        };
        self.in_flight
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(index, started.clone());
        Ok(started)
    }

    /// Records a finished request in the ledger and reports its rows (ambiguous ones wait for
    /// reconciliation).
    fn settle(&self, index: usize, started: Started, outcome: Final) {
        self.in_flight
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&index);
        self.count_for_breaker(&outcome);
        let (status, reason, http_status, conversation, ledger) = match outcome {
            Final::Ambiguous {
                http_status,
                reason,
            } => {
                self.ambiguous
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .push((started, http_status, reason));
                return;
            }
            Final::Sent(id) => (Status::Sent, None, None, Some(id), (Outcome::Sent, true)),
            Final::Failed {
                http_status,
                reason,
                counts,
            } => (
                Status::Failed,
                Some(reason),
                http_status,
                None,
                (Outcome::Failed, counts),
            ),
            Final::NotAttempted(reason) => (
                Status::NotAttempted,
                Some(reason),
                None,
                None,
                (Outcome::Failed, false),
            ),
        };
        self.record(
            &started,
            ledger.0,
            ledger.1,
            conversation.as_deref(),
            http_status,
            reason.as_deref(),
        );
        self.report_started(&started, status, reason, http_status, conversation);
    }

    fn report_started(
        &self,
        started: &Started,
        status: Status,
        reason: Option<String>,
        http_status: Option<u16>,
        conversation: Option<String>,
    ) {
        let mut rows = started.call.results(status, reason);
        for row in &mut rows {
            row.http_status = http_status;
            row.conversation_id = conversation.clone();
            row.attempted_at = Some(stamp(started.attempted_at));
        }
        self.report_rows(rows);
    }

    fn record(
        &self,
        started: &Started,
        outcome: Outcome,
        counts: bool,
        conversation: Option<&str>,
        http_status: Option<u16>,
        reason: Option<&str>,
    ) {
        let Some(ledger) = &self.d.ledger else { return };
        let finished = Finished {
            outcome,
            conversation_id: conversation,
            http_status,
            reason,
            counts,
            finished_at: self.d.clock.now(),
        };
        let written = ledger
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .finish_call(&started.ledger_ids, &finished);
        if let Err(e) = written {
            // The attempt stays `in_flight` in the ledger: the next run treats it as uncertain,
            // which is safe. Stop now rather than make calls we cannot record.
            tracing::error!(error = %format!("{e:#}"), "cannot record an outcome in the ledger");
            self.d.stop.set(format!(
                "not attempted: the ledger could not be written ({e:#})"
            ));
        }
    }

    fn count_for_breaker(&self, outcome: &Final) {
        match outcome {
            Final::Sent(_) => self.failures_in_a_row.store(0, Ordering::SeqCst),
            Final::Failed { .. } | Final::Ambiguous { .. } => {
                let n = self.failures_in_a_row.fetch_add(1, Ordering::SeqCst) + 1;
                if n >= self.d.settings.breaker_after {
                    tracing::error!(failures = n, "too many failed calls in a row; stopping");
                    self.d.stop.set(format!(
                        "not attempted: stopped after {n} failed calls in a row (the API or the                          network may be down); check the failed rows, then rerun"
                    ));
                }
            }
            Final::NotAttempted(_) => {}
        }
    }

    /// Waits for the workers. After an interruption the wait is bounded: requests still in
    /// flight then are reported `uncertain` (their ledger rows say so too).
    async fn drain(&self, workers: &mut JoinSet<()>) -> anyhow::Result<()> {
        let deadline = async {
            loop {
                self.d.stop.wait().await;
                if self.d.stop.interrupted().is_some() {
                    tokio::time::sleep(self.d.drain_timeout).await;
                    return;
                }
                // Stopped for another reason: wait for the workers without a deadline.
                std::future::pending::<()>().await;
            }
        };
        tokio::pin!(deadline);
        loop {
            tokio::select! {
                joined = workers.join_next() => match joined {
                    None => return Ok(()),
                    Some(r) => r.map_err(|e| anyhow::anyhow!("internal error: a dispatch worker failed: {e}"))?,
                },
                _ = &mut deadline => break,
            }
        }
        workers.abort_all();
        while workers.join_next().await.is_some() {}
        let left: Vec<Started> = self
            .in_flight
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .drain()
            .map(|(_, s)| s)
            .collect();
        for started in left {
            let reason = "interrupted while the request was in flight; the call may or may not                           have been placed. The next run looks for it in Annie before calling again";
            self.record(&started, Outcome::Uncertain, true, None, None, Some(reason));
            self.report_started(
                &started,
                Status::Uncertain,
                Some(reason.to_string()),
                None,
                None,
            );
        }
        Ok(())
    }

    /// Looks in Annie for the calls whose requests ended ambiguously; found → `sent`, else
    /// `uncertain`. Never resends.
    async fn reconcile_ambiguous(&self) {
        let held: Vec<_> =
            std::mem::take(&mut *self.ambiguous.lock().unwrap_or_else(|p| p.into_inner()));
        if held.is_empty() {
            return;
        }
        let lookups: Vec<Lookup> = held
            .iter()
            .map(|(s, _, _)| Lookup {
                to_number: s.call.to_number.clone(),
                attempted_at: s.attempted_at,
            })
            .collect();
        let finder = reconcile::Finder {
            client: self.d.client.as_deref(),
            gate: &self.d.gate,
            from_number: &self.d.from_number,
            max_pages: self.d.settings.reconcile_pages,
        };
        let found = match self.d.stop.interrupted() {
            None => finder.find(&lookups).await,
            Some(_) => Err("not checked: the run was interrupted".to_string()),
        };
        for (i, (started, http_status, reason)) in held.into_iter().enumerate() {
            match found.as_ref().map(|f| f[i].clone()) {
                Ok(Some(id)) => {
                    let note = format!("{reason}, but Annie shows the call");
                    self.record(
                        &started,
                        Outcome::Sent,
                        true,
                        Some(&id),
                        http_status,
                        Some(&note),
                    );
                    self.report_started(&started, Status::Sent, Some(note), http_status, Some(id));
                }
                other => {
                    let why = match other {
                        Err(e) => format!("Annie's conversations could not be checked: {e}"),
                        _ => "no matching conversation in Annie yet".to_string(),
                    };
                    let note = format!(
                        "{reason}; the call may or may not have been placed ({why}). Not resent: \
                         check Annie, then rerun with --retry-uncertain to call again"
                    );
                    self.record(
                        &started,
                        Outcome::Uncertain,
                        true,
                        None,
                        http_status,
                        Some(&note),
                    );
                    self.report_started(&started, Status::Uncertain, Some(note), http_status, None);
                }
            }
        }
    }
}

/// One call, with the retries that are safe: after an organisation rate limit (not processed),
/// after a failed connection (never sent), and after 502/503/504 (a gateway that did not pass
/// the request on). Everything else is final.
async fn attempt(call: &Call, client: &AnnieClient, shared: &Shared) -> Final {
    let settings = &shared.d.settings;
    let backoff = |tries: u32| {
        ExponentialBuilder::default()
            .with_min_delay(Duration::from_millis(500))
            .with_max_delay(Duration::from_secs(30))
            .with_max_times(tries.saturating_sub(1) as usize)
            .with_jitter()
            .build()
    };
    let mut connect_backoff = backoff(settings.connect_attempts);
    let mut server_backoff = backoff(settings.server_error_attempts);
    let (mut rate_limited, mut connects, mut server_errors) = (0, 0, 0);
    loop {
        match client.start_call(&call.body_json).await {
            CallOutcome::Started { conversation_id } => return Final::Sent(conversation_id),
            CallOutcome::RateLimited { wait } => {
                rate_limited += 1;
                if rate_limited > settings.rate_limit_retries {
                    return Final::Failed {
                        http_status: Some(429),
                        reason: format!(
                            "still rate-limited by the API after {} retries",
                            settings.rate_limit_retries
                        ),
                        counts: false,
                    };
                }
                tracing::warn!(
                    wait_secs = wait.as_secs_f64(),
                    "organisation rate limit reached (HTTP 429); pausing all sending"
                );
                shared.d.gate.pause_for(wait);
            }
            CallOutcome::Unreachable { error } => {
                connects += 1;
                let Some(delay) = connect_backoff.next() else {
                    return Final::Failed {
                        http_status: None,
                        reason: format!(
                            "could not connect to the API ({connects} attempt{}): {error}",
                            if connects == 1 { "" } else { "s" }
                        ),
                        counts: false,
                    };
                };
                tracing::warn!(error = %error, retry_in_ms = delay.as_millis() as u64, "cannot connect to the API");
                tokio::time::sleep(delay).await;
            }
            CallOutcome::Rejected {
                status: status @ (502..=504),
                message,
            } => {
                server_errors += 1;
                let Some(delay) = server_backoff.next() else {
                    return Final::Failed {
                        http_status: Some(status),
                        reason: format!(
                            "{} ({server_errors} attempts)",
                            api_reason(status, &message)
                        ),
                        counts: true,
                    };
                };
                tracing::warn!(
                    status,
                    retry_in_ms = delay.as_millis() as u64,
                    "API gateway error; retrying"
                );
                tokio::time::sleep(delay).await;
            }
            CallOutcome::Rejected {
                status: status @ 500..=599,
                message,
            } => {
                return Final::Ambiguous {
                    http_status: Some(status),
                    reason: api_reason(status, &message),
                };
            }
            CallOutcome::Unauthorized { status, message } => {
                shared.d.stop.set(format!(
                    "not attempted: the API refused the API key (HTTP {status}); check the key and rerun"
                ));
                tracing::error!(status, "the API refused the API key; stopping the run");
                return Final::Failed {
                    http_status: Some(status),
                    reason: api_reason(status, &message),
                    counts: false,
                };
            }
            CallOutcome::Rejected { status, message } => {
                return Final::Failed {
                    http_status: Some(status),
                    reason: api_reason(status, &message),
                    counts: true,
                };
            }
            CallOutcome::NoAnswer { error } => {
                return Final::Ambiguous {
                    http_status: None,
                    reason: error,
                };
            }
        }
        // Only the retry paths get here.
        tokio::select! {
            _ = shared.d.gate.ready() => {}
            _ = shared.d.stop.wait() => {}
        }
        if let Some(reason) = shared.d.stop.reason() {
            return Final::NotAttempted(reason);
        }
    }
}

fn api_reason(status: u16, message: &str) -> String {
    if message.is_empty() {
        format!("the API answered HTTP {status}")
    } else {
        format!("the API answered HTTP {status}: {message}")
    }
}

fn write_request(sink: &mut Option<Box<dyn Write + Send>>, call: &Call, stop: &Stop) {
    let Some(w) = sink else { return };
    let written = w
        .write_all(call.body_json.as_bytes())
        .and_then(|_| w.write_all(b"\n"));
    if let Err(e) = written {
        stop.set(format!(
            "not attempted: cannot write the --emit-requests file: {e}"
        ));
        *sink = None;
    }
}

/// Why the run stopped sending, if it did: set once, first reason wins. Also remembers an
/// interrupting signal's exit status (130 for SIGINT, 143 for SIGTERM).
#[derive(Default)]
pub struct Stop {
    reason: OnceLock<String>,
    signal: OnceLock<u8>,
    notify: Notify,
}

impl Stop {
    pub fn set(&self, reason: String) {
        if self.reason.set(reason).is_ok() {
            self.notify.notify_waiters();
        }
    }

    /// Stops the run because of a signal; `code` becomes the exit status.
    pub fn interrupt(&self, code: u8, signal: &str) {
        let _ = self.signal.set(code);
        self.set(format!("not attempted: the run was interrupted ({signal})"));
    }

    pub fn reason(&self) -> Option<String> {
        self.reason.get().cloned()
    }

    /// The exit status of the signal that interrupted the run, if one did.
    pub fn interrupted(&self) -> Option<u8> {
        self.signal.get().copied()
    }

    /// Resolves once the run has been stopped.
    pub async fn wait(&self) {
        loop {
            let notified = self.notify.notified();
            if self.reason.get().is_some() {
                return;
            }
            notified.await;
        }
    }
}

/// The rate limiter, plus a pause that a rate-limit 429 imposes on every sender at once.
pub struct Gate {
    limiter: DefaultDirectRateLimiter,
    paused_until: Mutex<Option<Instant>>,
}

impl Gate {
    pub fn new(requests_per_minute: NonZeroU32) -> Gate {
        Gate {
            limiter: RateLimiter::direct(quota(requests_per_minute)),
            paused_until: Mutex::new(None),
        }
    }

    /// Waits until a request may leave: any pause is over and the limiter has a slot.
    pub async fn ready(&self) {
        loop {
            if let Some(until) = self.paused() {
                tokio::time::sleep_until(until).await;
                continue;
            }
            self.limiter.until_ready().await;
            // A 429 may have paused everything while we waited for the slot.
            if self.paused().is_none() {
                return;
            }
        }
    }

    /// Stops every sender for `wait` (or longer, if a longer pause is already set).
    pub fn pause_for(&self, wait: Duration) {
        let until = Instant::now() + wait;
        let mut paused = self.paused_until.lock().unwrap_or_else(|p| p.into_inner());
        *paused = Some(paused.map_or(until, |p| p.max(until)));
    }

    fn paused(&self) -> Option<Instant> {
        let paused = self.paused_until.lock().unwrap_or_else(|p| p.into_inner());
        paused.filter(|until| *until > Instant::now())
    }
}

/// The quota for `n` requests per minute, with a burst of one.
///
/// `Quota::per_minute(n)` would also allow a burst of `n`: 60 requests at once, then one a
/// second. Right after a previous run (or another client of the same organisation) used its
/// budget, such a burst is exactly what earns a 429. A burst of one spaces requests evenly,
/// `60 / n` seconds apart, so no 60-second window ever holds more than `n` of them.
pub fn quota(requests_per_minute: NonZeroU32) -> Quota {
    let period = Duration::from_secs(60) / requests_per_minute.get();
    Quota::with_period(period.max(Duration::from_nanos(1)))
        .expect("a non-zero period")
        .allow_burst(NonZeroU32::MIN)
}

#[cfg(test)]
mod tests {
    use super::*;
    use governor::clock::FakeRelativeClock;

    #[test]
    fn sixty_per_minute_allows_one_request_per_second_and_no_burst() {
        let clock = FakeRelativeClock::default();
        let limiter =
            RateLimiter::direct_with_clock(quota(NonZeroU32::new(60).unwrap()), clock.clone());
        assert!(limiter.check().is_ok(), "the first request goes at once");
        assert!(limiter.check().is_err(), "no burst: the second must wait");
        clock.advance(Duration::from_millis(999));
        assert!(limiter.check().is_err(), "not before a full second");
        clock.advance(Duration::from_millis(1));
        assert!(limiter.check().is_ok());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_pause_holds_back_every_waiting_sender() {
        let gate = Arc::new(Gate::new(NonZeroU32::new(60_000).unwrap()));
        gate.pause_for(Duration::from_millis(300));
        let started = Instant::now();
        let waiters: Vec<_> = (0..4)
            .map(|_| {
                let gate = gate.clone();
                tokio::spawn(async move {
                    gate.ready().await;
                    Instant::now()
                })
            })
            .collect();
        for w in waiters {
            let passed = w.await.unwrap();
            assert!(passed - started >= Duration::from_millis(300));
        }
        // A later, shorter pause does not shorten a longer one already in force.
        gate.pause_for(Duration::from_millis(400));
        gate.pause_for(Duration::from_millis(10));
        let before = Instant::now();
        gate.ready().await;
        assert!(before.elapsed() >= Duration::from_millis(390));
    }

    #[test]
    fn no_sixty_second_window_holds_more_than_the_quota() {
        let clock = FakeRelativeClock::default();
        let limiter =
            RateLimiter::direct_with_clock(quota(NonZeroU32::new(60).unwrap()), clock.clone());
        // Ask every 100 ms for five minutes and note when requests were allowed.
        let mut allowed = Vec::new();
        for tick in 0..3000u64 {
            if limiter.check().is_ok() {
                allowed.push(tick * 100);
            }
            clock.advance(Duration::from_millis(100));
        }
        for (i, start) in allowed.iter().enumerate() {
            let in_window = allowed[i..]
                .iter()
                .take_while(|t| **t < start + 60_000)
                .count();
            assert!(
                in_window <= 60,
                "{in_window} requests in the minute from {start} ms"
            );
        }
        assert!(
            allowed.len() >= 299,
            "the limiter should not be stricter than needed"
        );
    }
}
