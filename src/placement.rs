//! The one answer to "could this request have placed a call?".
//!
//! Decided once, from the HTTP answer ([`crate::api::classify`]), and used everywhere a call's
//! fate matters: the dispatcher (resend or not), the ledger (what the next run may do), the
//! per-number rules (does it count) and the results (`sent`, `failed`, `uncertain`). Only an
//! answer that proves the request never reached Annie's application is [`Placement::NotPlaced`];
//! anything that cannot prove it is [`Placement::MaybePlaced`], which is recorded first, looked
//! for in `GET /conversations`, and never sent again until a complete look-back proves there is
//! no call. The table of answers is in docs/safety.md ("Could a call have been placed?").

/// Whether a request placed a call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Placement {
    /// Proven not placed: no connection, an organisation rate limit, a refusal about the call
    /// (validation, allowlist, per-number limit, legal hours) or about the credentials.
    NotPlaced,
    /// Unknown: a timeout, a reset after sending, a 5xx, a 2xx that could not be read.
    MaybePlaced,
    /// Annie answered with this conversation id.
    Placed(String),
}

impl Placement {
    /// Whether a call may exist, so the per-number rules must count it and nothing may be sent
    /// again without looking first.
    pub fn may_exist(&self) -> bool {
        !matches!(self, Placement::NotPlaced)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_proven_refusal_may_not_exist() {
        assert!(!Placement::NotPlaced.may_exist());
        assert!(Placement::MaybePlaced.may_exist());
        assert!(Placement::Placed("c-1".into()).may_exist());
    }
}
