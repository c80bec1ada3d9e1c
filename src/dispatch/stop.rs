//! The stop flag: why the run stopped sending, and the signal that asked it to.

use std::sync::OnceLock;

use tokio::sync::Notify;

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
