//! What one of Annie's conversations tells: read from `GET /conversations/{id}` ([`reading`]),
//! and sorted into the class the office sorts by ([`class`]). Pure: the `outcomes` command
//! ([`crate::cmd::outcomes`]) fetches and records, and a lost ledger's rebuild
//! ([`crate::history`]) reads opt-outs the same way. A conversation that could not be read is
//! described by [`unread`].

pub(crate) mod class;
pub(crate) mod reading;
pub(crate) mod refusal;
pub(crate) mod unread;

pub use class::{Class, Rules};
pub use reading::Reading;
pub use unread::{Unread, NOT_READ};
