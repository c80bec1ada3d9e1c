//! Stage 5: start the calls, at the rate the API allows.
//!
//! One pacer walks the calls in input order. For each it takes an in-flight permit, waits for
//! its turn at the [`Gate`] (the rate limiter plus any rate-limit pause), and hands the call to a
//! worker task. Every row, sent or not, leaves here as exactly one [`RowResult`] on the results
//! channel; when this function returns and its senders drop, every call has a result.

use std::io::Write;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use backon::{BackoffBuilder, ExponentialBuilder};
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use tokio::sync::{mpsc, Semaphore};
use tokio::task::JoinSet;
use tokio::time::Instant;

use crate::api::{AnnieClient, ApiSettings, CallOutcome};
use crate::plan::Call;
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
}

/// Preview sends nothing; Send talks to the API.
#[derive(Debug, Clone)]
pub enum Mode {
    Preview,
    Send(ApiSettings),
}

/// Where the results go and the optional copy of every request body.
pub struct Outputs {
    pub results: mpsc::UnboundedSender<RowResult>,
    pub requests: Option<Box<dyn Write + Send>>,
}

/// Sends (or, in preview, pretends to send) every call. Returns when every call has a result.
pub async fn dispatch(
    calls: Vec<Call>,
    mode: &Mode,
    settings: &DispatchSettings,
    limit: Option<usize>,
    mut out: Outputs,
) -> anyhow::Result<()> {
    let client = match mode {
        Mode::Preview => None,
        Mode::Send(api) => Some(Arc::new(AnnieClient::new(api)?)),
    };
    let shared = Arc::new(Shared {
        gate: Gate::new(settings.requests_per_minute),
        stop: Stop::default(),
        settings: settings.clone(),
        results: out.results.clone(),
    });
    let permits = Arc::new(Semaphore::new(settings.max_in_flight.max(1)));
    let mut workers = JoinSet::new();

    for (index, call) in calls.into_iter().enumerate() {
        if let Some(limit) = limit.filter(|l| index >= *l) {
            shared.report(call.result(
                Status::NotAttempted,
                Some(format!("not attempted: --limit {limit} reached")),
            ));
            continue;
        }
        let Some(client) = &client else {
            write_request(&mut out.requests, &call, &shared.stop);
            shared.report(call.result(Status::DryRun, None));
            continue;
        };
        let permit = permits.clone().acquire_owned().await?;
        if shared.stop.reason().is_none() {
            shared.gate.ready().await;
        }
        if let Some(reason) = shared.stop.reason() {
            shared.report(call.result(Status::NotAttempted, Some(reason)));
            continue;
        }
        write_request(&mut out.requests, &call, &shared.stop);
        let (client, shared) = (client.clone(), shared.clone());
        workers.spawn(async move {
            let result = attempt(&call, &client, &shared).await;
            shared.report(result);
            drop(permit);
        });
    }
    while let Some(joined) = workers.join_next().await {
        joined.map_err(|e| anyhow::anyhow!("internal error: a dispatch worker failed: {e}"))?;
    }
    if let Some(w) = &mut out.requests {
        w.flush()
            .map_err(|e| anyhow::anyhow!("cannot write the --emit-requests file: {e}"))?;
    }
    Ok(())
}

/// State every worker shares.
struct Shared {
    gate: Gate,
    stop: Stop,
    settings: DispatchSettings,
    results: mpsc::UnboundedSender<RowResult>,
}

impl Shared {
    /// Hands a result to the collector. If the collector is gone (the results file cannot be
    /// written), stop sending: a call whose result cannot be recorded must not be made.
    fn report(&self, row: RowResult) {
        if self.results.send(row).is_err() {
            self.stop
                .set("not attempted: the results file could not be written".to_string());
        }
    }
}

/// One call, with the retries that are safe: after an organisation rate limit (not processed)
/// and after a failed connection (never sent). Nothing else is retried.
async fn attempt(call: &Call, client: &AnnieClient, shared: &Shared) -> RowResult {
    let settings = &shared.settings;
    let mut connect_backoff = ExponentialBuilder::default()
        .with_min_delay(Duration::from_millis(500))
        .with_max_delay(Duration::from_secs(30))
        .with_max_times(settings.connect_attempts.saturating_sub(1) as usize)
        .with_jitter()
        .build();
    let mut rate_limited = 0;
    let mut connects = 0;
    loop {
        let attempted_at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        let outcome = client.start_call(&call.body).await;
        let mut row = call.result(Status::Failed, None);
        row.attempted_at = Some(attempted_at);
        match outcome {
            CallOutcome::Started { conversation_id } => {
                row.status = Status::Sent;
                row.conversation_id = Some(conversation_id);
                tracing::debug!(row = call.row, appointment = %call.appointment_id, "call started");
                return row;
            }
            CallOutcome::RateLimited { wait } => {
                rate_limited += 1;
                if rate_limited > settings.rate_limit_retries {
                    row.http_status = Some(429);
                    row.reason = Some(format!(
                        "still rate-limited by the API after {} retries",
                        settings.rate_limit_retries
                    ));
                    return row;
                }
                tracing::warn!(
                    wait_secs = wait.as_secs_f64(),
                    "organisation rate limit reached (HTTP 429); pausing all sending"
                );
                shared.gate.pause_for(wait);
            }
            CallOutcome::Unreachable { error } => {
                connects += 1;
                match connect_backoff.next() {
                    Some(delay) => {
                        tracing::warn!(error = %error, retry_in_ms = delay.as_millis() as u64, "cannot connect to the API");
                        tokio::time::sleep(delay).await;
                    }
                    None => {
                        row.reason = Some(format!(
                            "could not connect to the API ({connects} attempt{}): {error}",
                            if connects == 1 { "" } else { "s" }
                        ));
                        return row;
                    }
                }
            }
            CallOutcome::Unauthorized { status, message } => {
                shared.stop.set(format!(
                    "not attempted: the API refused the API key (HTTP {status}); check the key and rerun"
                ));
                tracing::error!(status, "the API refused the API key; stopping the run");
                row.http_status = Some(status);
                row.reason = Some(api_reason(status, &message));
                return row;
            }
            CallOutcome::Rejected { status, message } => {
                row.http_status = Some(status);
                row.reason = Some(api_reason(status, &message));
                return row;
            }
            CallOutcome::NoAnswer { error } => {
                row.reason = Some(format!(
                    "{error}; the call may or may not have been placed, so check Annie's \
                     conversations before calling this patient again"
                ));
                return row;
            }
        }
        // Only the retry paths get here.
        if shared.stop.reason().is_none() {
            shared.gate.ready().await;
        }
        if let Some(reason) = shared.stop.reason() {
            return call.result(Status::NotAttempted, Some(reason));
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
    let written = serde_json::to_writer(&mut *w, &call.body)
        .map_err(std::io::Error::from)
        .and_then(|_| w.write_all(b"\n"));
    if let Err(e) = written {
        stop.set(format!(
            "not attempted: cannot write the --emit-requests file: {e}"
        ));
        *sink = None;
    }
}

/// The first reason the run stopped, if it did. Set once; later reasons are ignored.
#[derive(Default)]
struct Stop(OnceLock<String>);

impl Stop {
    fn set(&self, reason: String) {
        let _ = self.0.set(reason);
    }
    fn reason(&self) -> Option<String> {
        self.0.get().cloned()
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
