//! What one location's dispatcher works with (a file of its own, so the dispatcher's parts need
//! not import the module that runs them).

use std::sync::atomic::AtomicUsize;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::gate::Gate;
use super::peers::Peers;
use super::stop::Stop;

use crate::api::AnnieClient;
use crate::clock::Clock;
use crate::ledger::Ledger;
use crate::locations::Location;
use crate::preview::CallDetails;
use crate::render::Templates;
use crate::schedule::Spacing;

/// What one location's dispatcher works with, besides the calls. Each location has its own
/// client, gate and stop flag, so a refused key or a slow API stops only that location.
pub struct Dispatcher {
    pub client: Option<Arc<AnnieClient>>,
    pub gate: Arc<Gate>,
    pub ledger: Option<Arc<Mutex<Ledger>>>,
    /// This location's stop flag (a child of the run's: a signal stops every location).
    pub stop: Arc<Stop>,
    /// Who calls, from which numbers, at what rate and when.
    pub location: Arc<Location>,
    pub clock: Clock,
    /// `--limit`, counted over every location's calls.
    pub limit: Option<usize>,
    pub calls_counted: Arc<AtomicUsize>,
    pub run_id: String,
    /// How long to wait for requests in flight after an interruption.
    pub drain_timeout: Duration,
    /// Renders each call's texts just before it goes out.
    pub templates: Arc<Templates>,
    pub languages: Arc<crate::languages::Languages>,
    /// In a preview: what the table shows about each rendered call.
    pub details: Option<Arc<Mutex<CallDetails>>>,
    /// The run's latest call to each number, over every location.
    pub spacing: Arc<Spacing>,
    /// Every location's client and gate: a call to a number another location called earlier
    /// in this run first reads that call's conversation through them.
    pub peers: Arc<Peers>,
    /// Whether each call's JSON body is made: always when sending; a streaming preview that
    /// neither writes (`--emit-requests`) nor shows (`--show-texts`) bodies skips it.
    pub bodies: bool,
}
