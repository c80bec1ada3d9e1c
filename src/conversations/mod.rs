//! What one of Annie's conversations tells: read from `GET /conversations/{id}` ([`reading`]),
//! and sorted into the class the office sorts by ([`class`]). Pure: the `outcomes` command
//! ([`crate::cmd::outcomes`]) fetches and records, and a lost ledger's rebuild
//! ([`crate::history`]) reads opt-outs the same way.

pub(crate) mod class;
pub(crate) mod reading;
pub(crate) mod refusal;

pub use class::{Class, Rules};
pub use reading::Reading;
