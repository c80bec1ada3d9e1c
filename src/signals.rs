//! SIGINT and SIGTERM: the first stops the run gracefully (no new call starts, calls in flight
//! are waited for, a bounded time, and recorded; everything else is `not_attempted`); a second
//! exits at once. Results already written stay written (the file is flushed per row), and any
//! call still in flight stays `in_flight` in the ledger, which the next run treats as uncertain.

use std::sync::Arc;

use tokio::signal::unix::{signal, SignalKind};

use crate::dispatch::Stop;
use crate::exit;

/// Starts listening. Call from inside the runtime.
pub fn watch(stop: Arc<Stop>) -> anyhow::Result<()> {
    let mut interrupt = signal(SignalKind::interrupt())?;
    let mut terminate = signal(SignalKind::terminate())?;
    tokio::spawn(async move {
        loop {
            let (code, name) = tokio::select! {
                Some(()) = interrupt.recv() => (exit::INTERRUPTED, "SIGINT"),
                Some(()) = terminate.recv() => (exit::TERMINATED, "SIGTERM"),
                else => return,
            };
            if stop.interrupted().is_some() {
                crate::logging::line(&format!(
                    "{name} again: exiting now; calls in flight stay uncertain"
                ));
                std::process::exit(code.into());
            }
            tracing::warn!(signal = name, "stopping: no new calls; waiting for calls in flight (press Ctrl-C again to exit now)");
            stop.interrupt(code, name);
        }
    });
    Ok(())
}
