//! The ledger: what every run did, durably, so the next run knows.
//!
//! An embedded SQLite database (WAL, `synchronous = FULL`). Each POST is recorded as `in_flight`
//! and committed *before* the request leaves, then updated with its outcome. A row left
//! `in_flight` therefore means "the process died while a call may have been starting": the next
//! run treats it as uncertain, never as "not sent".
//!
//! Attempts are keyed by appointment id *and* start time, as Open Dental's own reminder table
//! is, so a rescheduled appointment gets a new confirmation while a rerun of the same schedule
//! does not. Phone numbers are stored only as a keyed hash: enough to count calls per number,
//! useless to anyone who copies the file.
//!
//! `annie-dispatch outcomes` adds what it learned about each conversation (answered or not, and
//! whether the patient asked not to be called again), so the per-number rules can use it. It
//! stores flags, never the summary text.

mod attempts;
mod conversations;
mod identity;
pub mod records;
mod schema;
mod store;

pub use attempts::{Finished, NewAttempt};
pub use conversations::{ConversationRecord, Tied};
pub use identity::{Identity, RebuiltCall};
pub use records::{Answered, Attempt, DoNotCall, NumberAttempt, Outcome};
pub use store::{lock_path, Ledger, LedgerBusy};

#[cfg(test)]
mod tests;
