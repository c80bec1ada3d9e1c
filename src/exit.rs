//! Exit statuses, in one place. Cron jobs and wrappers depend on these; the README and
//! docs/operations.md ("Exit status") list them.

use crate::results::{Status, Summary};

/// Every row was sent, previewed or deliberately skipped.
pub const SUCCESS: u8 = 0;
/// At least one row is `invalid`, `failed`, `not_attempted` or `uncertain`, or no run will call
/// it before its appointment (`needs_attention` in the results): a person should look.
pub const NEEDS_ATTENTION: u8 = 1;
/// Usage, config or unreadable-input error: nothing was sent.
pub const USAGE: u8 = 2;
/// EX_TEMPFAIL: calling hours are closed (nothing was sent), or some rows were deferred until
/// they open and a later run on their calling day will call them. Run again later.
pub const TEMPFAIL: u8 = 75;
/// Interrupted by SIGINT (128 + 2).
pub const INTERRUPTED: u8 = 130;
/// Interrupted by SIGTERM (128 + 15).
pub const TERMINATED: u8 = 143;

/// Calling hours are closed at the start of a run: nothing was sent.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct WindowClosed(pub String);

/// An error that happened after calls may have been made, so "nothing was sent" (exit 2) would
/// be a lie. It maps to [`NEEDS_ATTENTION`].
#[derive(Debug, thiserror::Error)]
#[error("{0:#}")]
pub struct AfterCallsStarted(pub anyhow::Error);

/// The status for a finished run: a signal wins, then rows needing a person, then deferred rows.
pub fn for_summary(summary: &Summary, interrupted: Option<u8>) -> u8 {
    if let Some(code) = interrupted {
        code
    } else if summary.needs_attention() {
        NEEDS_ATTENTION
    } else if summary.count(Status::Deferred) > 0 {
        TEMPFAIL
    } else {
        SUCCESS
    }
}

/// The status for a run that ended in an error.
pub fn for_error(error: &anyhow::Error) -> u8 {
    if error.downcast_ref::<AfterCallsStarted>().is_some() {
        NEEDS_ATTENTION
    } else if error.downcast_ref::<WindowClosed>().is_some() {
        TEMPFAIL
    } else {
        USAGE
    }
}

/// How a run ended, for the exit status.
#[derive(Debug)]
pub struct RunOutcome {
    pub summary: Summary,
    /// The exit status of the signal that interrupted the run, if one did.
    pub interrupted: Option<u8>,
    /// Every result row, in input order (kept in a preview only).
    pub rows: Vec<crate::results::RowResult>,
    /// A problem outside the rows that needs a person (`check`: no API key).
    pub other_problem: bool,
    /// What the run warned about the export as a whole (a flag column holding values nothing
    /// recognises), for `check` to repeat in its report.
    pub warnings: Vec<String>,
    /// What the run noted about the export without warning (a preset's opt-out columns it
    /// lacks), for `check` to show as notes.
    pub notes: Vec<String>,
}

impl RunOutcome {
    /// For commands that process no rows.
    pub(crate) fn nothing() -> RunOutcome {
        RunOutcome {
            summary: Summary::default(),
            interrupted: None,
            rows: Vec::new(),
            other_problem: false,
            warnings: Vec::new(),
            notes: Vec::new(),
        }
    }

    /// The process exit status (see this module).
    pub fn exit_status(&self) -> u8 {
        match for_summary(&self.summary, self.interrupted) {
            SUCCESS if self.other_problem => NEEDS_ATTENTION,
            code => code,
        }
    }
}
