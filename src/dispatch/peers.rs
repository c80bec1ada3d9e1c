//! Every location's way into its own Annie organisation, for another location's dispatcher:
//! before calling a number another location called earlier in the run, it reads that call's
//! conversation through them (see `earlier.rs`).

use std::sync::Arc;

use super::gate::Gate;
use super::stop::Stop;
use crate::api::AnnieClient;
use crate::locations::Location;

/// One location's way into its own Annie organisation, for another location's dispatcher that
/// must read a conversation this one's call started.
pub(crate) struct Peer {
    pub(crate) location: Arc<Location>,
    pub(crate) client: Option<Arc<AnnieClient>>,
    /// The location's rate gate: the read counts against its organisation's budget.
    pub(crate) gate: Arc<Gate>,
    /// The location's stop flag: a read refused for its key stops it, as a refused call would.
    pub(crate) stop: Arc<Stop>,
}

/// Every location of the run, by id ([`Peer`]).
pub(crate) struct Peers(pub(crate) Vec<Peer>);

impl Peers {
    pub(super) fn of(&self, id: &str) -> Option<&Peer> {
        self.0.iter().find(|p| p.location.id == id)
    }
}
