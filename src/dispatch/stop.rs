//! The stop flag: why the run stopped sending, and the signal that asked it to.

use std::sync::{Arc, OnceLock};

use tokio::sync::Notify;

use crate::reason::{Reason, ReasonCode};

/// Why the run stopped sending, if it did: set once, first reason wins. Also remembers an
/// interrupting signal's exit status (130 for SIGINT, 143 for SIGTERM).
///
/// Each location has a child of the run's flag: a signal (set on the run's flag) stops every
/// location, while a refused key or the failure breaker (set on a location's flag) stops that
/// location only.
#[derive(Default)]
pub struct Stop {
    reason: OnceLock<Reason>,
    signal: OnceLock<u8>,
    notify: Notify,
    parent: Option<Arc<Stop>>,
}

impl Stop {
    /// A flag that is also stopped whenever `parent` is.
    pub fn child(parent: &Arc<Stop>) -> Arc<Stop> {
        Arc::new(Stop {
            parent: Some(parent.clone()),
            ..Stop::default()
        })
    }

    pub fn set(&self, reason: Reason) {
        if self.reason.set(reason).is_ok() {
            self.notify.notify_waiters();
        }
    }

    /// Stops the run because of a signal; `code` becomes the exit status.
    pub fn interrupt(&self, code: u8, signal: &str) {
        let _ = self.signal.set(code);
        self.set(Reason::new(
            ReasonCode::Interrupted,
            format!("not attempted: the run was interrupted ({signal})"),
        ));
    }

    pub fn reason(&self) -> Option<Reason> {
        let parent = || self.parent.as_ref().and_then(|p| p.reason());
        self.reason.get().cloned().or_else(parent)
    }

    /// The exit status of the signal that interrupted the run, if one did.
    pub fn interrupted(&self) -> Option<u8> {
        let parent = || self.parent.as_ref().and_then(|p| p.interrupted());
        self.signal.get().copied().or_else(parent)
    }

    /// Resolves once this flag (or its parent) has been stopped.
    pub async fn wait(&self) {
        match &self.parent {
            None => self.wait_own().await,
            Some(parent) => {
                tokio::select! {
                    _ = self.wait_own() => {}
                    _ = parent.wait_own() => {}
                }
            }
        }
    }

    async fn wait_own(&self) {
        loop {
            let notified = self.notify.notified();
            if self.reason.get().is_some() {
                return;
            }
            notified.await;
        }
    }
}
