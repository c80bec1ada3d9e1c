//! Exit statuses, in one place. Cron jobs and wrappers depend on these; the README lists them.

use crate::results::Summary;

/// Every row was sent, previewed or deliberately skipped.
pub const SUCCESS: u8 = 0;
/// At least one row is `invalid`, `failed` or `not_attempted`: a person should look.
pub const NEEDS_ATTENTION: u8 = 1;
/// Usage, config or unreadable-input error: nothing was sent.
pub const USAGE: u8 = 2;

/// An error that happened after calls may have been made, so "nothing was sent" (exit 2) would
/// be a lie. It maps to [`NEEDS_ATTENTION`].
#[derive(Debug, thiserror::Error)]
#[error("{0:#}")]
pub struct AfterCallsStarted(pub anyhow::Error);

/// The status for a finished run.
pub fn for_summary(summary: &Summary) -> u8 {
    if summary.needs_attention() {
        NEEDS_ATTENTION
    } else {
        SUCCESS
    }
}

/// The status for a run that ended in an error.
pub fn for_error(error: &anyhow::Error) -> u8 {
    if error.downcast_ref::<AfterCallsStarted>().is_some() {
        NEEDS_ATTENTION
    } else {
        USAGE
    }
}
