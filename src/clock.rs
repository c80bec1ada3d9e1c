//! The run's notion of "now": `--now` (or the real clock at start-up), moving forward in real
//! time. Every decision that depends on the time (selection, calling hours, per-number rules,
//! ledger timestamps) reads this one clock, so tests pin it with `--now` and stay deterministic.

use chrono::{DateTime, Utc};
use std::time::Instant;

#[derive(Debug, Clone, Copy)]
pub struct Clock {
    reference: DateTime<Utc>,
    started: Instant,
}

impl Clock {
    pub fn starting_at(reference: DateTime<Utc>) -> Clock {
        Clock {
            reference,
            started: Instant::now(),
        }
    }

    /// The reference time plus the real time elapsed since the run started.
    pub fn now(&self) -> DateTime<Utc> {
        let elapsed = chrono::Duration::from_std(self.started.elapsed()).unwrap_or_default();
        self.reference + elapsed
    }

    /// The moment the run started.
    pub fn start(&self) -> DateTime<Utc> {
        self.reference
    }
}

/// Timestamps as stored and written: UTC, millisecond precision, sortable as text.
pub fn stamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}
