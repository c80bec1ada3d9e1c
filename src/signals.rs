//! SIGINT and SIGTERM: the first stops the run gracefully (no new call starts, calls in flight
//! are waited for, a bounded time, and recorded; everything else is `not_attempted`); a second,
//! a second or more later, exits at once. Results already written stay written (the file is flushed per row), and any
//! call still in flight stays `in_flight` in the ledger, which the next run treats as uncertain.

use std::sync::Arc;

use tokio::signal::unix::{signal, SignalKind};

use crate::dispatch::Stop;
use crate::exit;

/// How soon after the first a signal counts as part of the same stop request.
const SAME_REQUEST: std::time::Duration = std::time::Duration::from_secs(1);

/// Starts listening. Call from inside the runtime.
pub fn watch(stop: Arc<Stop>) -> anyhow::Result<()> {
    let mut interrupt = signal(SignalKind::interrupt())?;
    let mut terminate = signal(SignalKind::terminate())?;
    tokio::spawn(async move {
        let mut first: Option<std::time::Instant> = None;
        loop {
            let (code, name) = tokio::select! {
                Some(()) = interrupt.recv() => (exit::INTERRUPTED, "SIGINT"),
                Some(()) = terminate.recv() => (exit::TERMINATED, "SIGTERM"),
                else => return,
            };
            // A signal right after the first is the same request, not a second one: coreutils'
            // `timeout` signals the run and then its process group, and a terminal's Ctrl-C
            // reaches every process of the job at once.
            if first.is_some_and(|at| at.elapsed() < SAME_REQUEST) {
                continue;
            }
            if stop.interrupted().is_some() {
                crate::logging::line(&format!(
                    "{name} again: exiting now; calls in flight stay uncertain"
                ));
                std::process::exit(code.into());
            }
            tracing::warn!(signal = name, "stopping: no new calls; waiting for calls in flight (press Ctrl-C again to exit now)");
            first = Some(std::time::Instant::now());
            stop.interrupt(code, name);
        }
    });
    Ok(())
}
