//! What a run talks to: the ledger (locked when sending), the run's stop flag (signals), and per
//! location an [`Office`]: its API client (absent in a preview), its own rate gate and its own
//! stop flag, so one organisation's limit or refused key never touches another's calls.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::api::AnnieClient;
use crate::clock::{self, Clock};
use crate::collect;
use crate::dispatch::{Dispatcher, Gate, Mode, Peer, Peers, Stop};
use crate::exit::WindowClosed;
use crate::guard::OwnNumbers;
use crate::history;
use crate::languages::Languages;
use crate::ledger::{Identity, Ledger};
use crate::locations::Location;
use crate::preview::CallDetails;
use crate::recall;
use crate::reconcile::Finder;
use crate::render::Templates;
use crate::schedule::Spacing;
use crate::settings::Settings;
use crate::signals;

/// `[dispatch] same_number_spacing` (one for the run: it is about the phone, not the
/// organisation; the largest any location sets).
fn spacing_of(s: &Settings) -> chrono::Duration {
    let gap = s
        .locations
        .iter()
        .map(|l| l.dispatch.same_number_spacing)
        .max()
        .unwrap_or_default();
    chrono::Duration::from_std(gap).unwrap_or(chrono::Duration::MAX)
}

/// One location's connection to its Annie organisation.
pub struct Office {
    pub location: Arc<Location>,
    pub client: Option<Arc<AnnieClient>>,
    /// Every request this location makes (POSTs and reconciliation GETs) waits here.
    pub gate: Arc<Gate>,
    /// Stopped by a signal (through the run's flag), or by this location's own trouble.
    pub stop: Arc<Stop>,
    /// How long to wait for requests in flight after an interruption.
    pub drain_timeout: Duration,
    /// When sending: the API this location calls through, and whether the ledger must first
    /// rebuild its history from Annie (it has none for this location yet); if not, its history
    /// is checked against Annie's recent conversations instead.
    pub identity: Option<(Identity, bool)>,
    /// This location's "now": the run's, except in a preview with `--wait-for-window` of a
    /// location that opens later than the run starts: there it starts at the opening, as the
    /// run's location waits for its own window before it calls.
    pub clock: Clock,
    /// Its history was rebuilt from Annie in this run: not rebuilt again.
    pub rebuilt: AtomicBool,
    /// Its history was rebuilt or checked against Annie in this run, and it has not waited for
    /// its window since: not checked again before its first call.
    pub checked: AtomicBool,
    /// `--accept-new-key`, and the new key could not be checked with Annie (refused, or Annie
    /// could not be read): it was not recorded, and this location calls nobody.
    pub key_refused: Option<history::KeyNotRecorded>,
}

impl Office {
    pub fn finder(&self) -> Finder<'_> {
        Finder {
            client: self.client.as_deref(),
            gate: &self.gate,
            from_numbers: self.location.caller_numbers(),
        }
    }
}

/// Everything the per-location stages share.
pub struct Services {
    pub ledger: Option<Arc<Mutex<Ledger>>>,
    /// The run's stop flag: signals set it, and every office's flag follows it.
    pub stop: Arc<Stop>,
    /// One per location, in the settings' order.
    pub offices: Vec<Office>,
    pub clock: Clock,
    pub run_id: String,
    /// `--limit` counts calls over every location.
    pub calls_counted: Arc<AtomicUsize>,
    pub templates: Arc<Templates>,
    pub languages: Arc<Languages>,
    /// The latest call to each number over every location: the spacing between a group's
    /// calls to one phone.
    pub spacing: Arc<Spacing>,
    /// Every office's client, gate and stop flag, for reading a conversation one location's
    /// call started before another location calls the number (see [`Spacing`]).
    pub peers: Arc<Peers>,
    /// Every location's Annie and callback numbers: never a patient's, whichever location.
    pub own_numbers: Arc<OwnNumbers>,
}

impl Services {
    /// Opens the ledger, installs the signal handlers and, when sending, waits for (or refuses
    /// outside) calling hours: the run goes on once any location's window is open. `to_call`
    /// says, per location, whether it has rows to call: `--wait-for-window` waits only for
    /// those.
    pub async fn start(s: &Settings, clock: &Clock, to_call: &[bool]) -> anyhow::Result<Services> {
        let ledger = match s.mode {
            Mode::Send => {
                Ledger::check_writable(&s.ledger_path)?;
                Some(Ledger::open(&s.ledger_path)?)
            }
            Mode::Preview => Ledger::open_read_only(&s.ledger_path)?,
        };
        let recorded = match (&ledger, s.mode) {
            (Some(l), Mode::Send) => history::check(l, &s.locations, s.sandbox, s.accept_new_key)?,
            _ => vec![history::Recorded::Same; s.locations.len()],
        };
        if s.mode == Mode::Preview {
            note_unknown_history(ledger.as_ref(), &s.locations);
            note_unread_calls(ledger.as_ref(), &s.locations, clock.now());
            note_busy_ledger(&s.ledger_path);
        }
        let stop = Arc::new(Stop::default());
        signals::watch(stop.clone())?;
        let mut offices = Vec::new();
        for (location, recorded) in s.locations.iter().zip(&recorded) {
            let rebuild = *recorded == history::Recorded::Nothing;
            let identity = match (&location.api, s.mode) {
                (Some(api), Mode::Send) => Some((history::identity_of(api, s.sandbox), rebuild)),
                _ => None,
            };
            let client = match &location.api {
                Some(api) => Some(Arc::new(AnnieClient::new(api)?)),
                None => None,
            };
            offices.push(Office {
                gate: Arc::new(Gate::new(location.dispatch.requests_per_minute)),
                stop: Stop::child(&stop),
                drain_timeout: location
                    .api
                    .as_ref()
                    .map_or(Duration::ZERO, |api| api.timeout + Duration::from_secs(5)),
                clock: office_clock(s, location, clock),
                location: Arc::new(location.clone()),
                client,
                identity,
                rebuilt: AtomicBool::new(false),
                checked: AtomicBool::new(false),
                key_refused: None,
            });
        }
        if let Some(ledger) = ledger.as_ref().filter(|_| s.mode == Mode::Send) {
            let known = known_calls(ledger, &offices, &recorded, clock.now())?;
            let checked = check_new_keys(&offices, &recorded, &known).await;
            record_new_keys(ledger, &mut offices, &recorded, checked)?;
        }
        if s.mode == Mode::Send {
            wait_for_calling_hours(s, clock, &stop, to_call).await?;
        }
        if s.mode == Mode::Preview {
            // A sending run's first request at a location with calls to make is a look in
            // Annie (its history caught up, or rebuilt), which takes the first slot of the
            // location's rate: its first call goes a slot after its start. The preview's too.
            for (office, _) in offices.iter().zip(to_call).filter(|(_, to)| **to) {
                office.gate.preview_slot(office.clock.start());
            }
        }
        let peers = offices
            .iter()
            .map(|o| Peer {
                location: o.location.clone(),
                client: o.client.clone(),
                gate: o.gate.clone(),
                stop: o.stop.clone(),
            })
            .collect();
        Ok(Services {
            peers: Arc::new(Peers(peers)),
            ledger: ledger.map(|l| Arc::new(Mutex::new(l))),
            stop,
            offices,
            clock: *clock,
            run_id: format!("{}-{}", clock::stamp(clock.start()), std::process::id()),
            calls_counted: Arc::new(AtomicUsize::new(0)),
            templates: s.templates.clone(),
            languages: s.languages.clone(),
            spacing: Arc::new(Spacing::for_locations(spacing_of(s), s.locations.len())),
            own_numbers: Arc::new(OwnNumbers::of(&s.locations)),
        })
    }

    /// The dispatcher for one location's calls: its office's client, gate and stop flag, the
    /// shared ledger, `--limit` counter and templates.
    pub fn dispatcher(
        &self,
        office: &Office,
        limit: Option<usize>,
        details: Option<Arc<Mutex<CallDetails>>>,
    ) -> Dispatcher {
        Dispatcher {
            client: office.client.clone(),
            gate: office.gate.clone(),
            ledger: self.ledger.clone(),
            stop: office.stop.clone(),
            location: office.location.clone(),
            clock: office.clock,
            limit,
            calls_counted: self.calls_counted.clone(),
            run_id: self.run_id.clone(),
            templates: self.templates.clone(),
            languages: self.languages.clone(),
            details,
            drain_timeout: office.drain_timeout,
            spacing: self.spacing.clone(),
            peers: self.peers.clone(),
            bodies: true,
        }
    }

    /// A location the ledger has no history for (a new or lost ledger, a new location) first
    /// rebuilds it from Annie; until that succeeds it may not call.
    pub async fn rebuild_history(&self, office: &Office) -> anyhow::Result<()> {
        let (Some(client), Some((identity, true)), Some(ledger), false) = (
            &office.client,
            &office.identity,
            &self.ledger,
            office.rebuilt.load(Ordering::SeqCst),
        ) else {
            return Ok(());
        };
        let location = &office.location;
        let now = self.clock.now();
        history::rebuild(client, &office.gate, location, identity, ledger, now).await?;
        office.rebuilt.store(true, Ordering::SeqCst);
        office.checked.store(true, Ordering::SeqCst);
        Ok(())
    }

    /// Before the first call of a location whose history the ledger has, and only when it has
    /// anyone to call (`to_call`): checks that history against Annie's recent conversations,
    /// in case the ledger is behind (restored from an older backup, or calls made through
    /// another ledger), and adds what it lacks. Until that succeeds the location may not call.
    /// Not again once done in this run (a rebuild counts), unless the location has waited for
    /// its window since. A preview (no client) does nothing.
    pub async fn catch_up_history(&self, office: &Office, to_call: bool) -> anyhow::Result<()> {
        // A location whose history is rebuilt in this run has one to check only once it was.
        let known = |rebuild: bool| !rebuild || office.rebuilt.load(Ordering::SeqCst);
        let (Some(client), Some((_, rebuild)), Some(ledger), true, false) = (
            &office.client,
            &office.identity,
            &self.ledger,
            to_call,
            office.checked.load(Ordering::SeqCst),
        ) else {
            return Ok(());
        };
        if !known(*rebuild) {
            return Ok(());
        }
        let location = &office.location;
        let now = self.clock.now();
        history::catch_up(client, &office.gate, location, ledger, now).await?;
        office.checked.store(true, Ordering::SeqCst);
        Ok(())
    }

    /// A group's locations, when any has someone to call: each one's history is rebuilt or
    /// checked against Annie's recent conversations (as [`Services::rebuild_history`] and
    /// [`Services::catch_up_history`] do before a location's first call) before any location
    /// plans its calls. A request not to be called heard in any location's calls holds for
    /// every location, and the morning `outcomes` that would have recorded it may not have run:
    /// a location that planned while another's check was still reading would call the patient.
    /// A failure is a warning here: each location with someone to call checks again before its
    /// first call, and does not call until that succeeds; a location with nobody to call
    /// cannot be the reason the others' patients go without their reminders.
    pub async fn check_group_histories(&self, to_call: &[bool]) {
        if self.offices.len() < 2 || !to_call.iter().any(|c| *c) {
            return;
        }
        // A location whose new key was not recorded calls nobody, and says why in its rows.
        let offices = self.offices.iter().filter(|o| o.key_refused.is_none());
        let checks = offices.map(|office| async move {
            let checked = match self.rebuild_history(office).await {
                Ok(()) => self.catch_up_history(office, true).await,
                Err(e) => Err(e),
            };
            if let Err(e) = checked {
                tracing::warn!(
                    location = %office.location.label(),
                    "could not check this location's calls in Annie before the group's \
                     locations plan theirs: {e:#}; a request not to be called heard in them is \
                     not known to the other locations until the morning's outcomes records it"
                );
            }
        });
        futures_util::future::join_all(checks).await;
    }

    /// Marks the old attempts of moved appointments superseded (sending runs only).
    pub fn supersede(
        &self,
        office: &Office,
        moved: &[recall::Moved],
        now: chrono::DateTime<chrono::Utc>,
    ) -> anyhow::Result<()> {
        if let (Some(l), Some(_)) = (&self.ledger, &office.client) {
            let l = l.lock().unwrap_or_else(|p| p.into_inner());
            for m in moved {
                l.supersede(&office.location.id, &m.appointment_id, &m.start_time, now)?;
            }
        }
        Ok(())
    }
}

/// `--accept-new-key`: per location whose key changed, the calls the ledger recorded for it
/// that the new key must see ([`history::known_calls`]); read before any request is made.
fn known_calls(
    ledger: &Ledger,
    offices: &[Office],
    recorded: &[history::Recorded],
    now: chrono::DateTime<chrono::Utc>,
) -> anyhow::Result<Vec<Vec<history::KnownCall>>> {
    (offices.iter().zip(recorded))
        .map(|(office, recorded)| match recorded {
            history::Recorded::NewKey(_) => history::known_calls(ledger, &office.location, now),
            _ => Ok(Vec::new()),
        })
        .collect()
}

/// `--accept-new-key`: checks each changed key with Annie ([`history::verify_new_key`]), the
/// locations at once, each through its own rate gate, before anything is recorded or sent.
/// `None` for a location whose key did not change.
async fn check_new_keys(
    offices: &[Office],
    recorded: &[history::Recorded],
    known: &[Vec<history::KnownCall>],
) -> Vec<Option<Result<history::KeyChecked, history::KeyNotRecorded>>> {
    let checks =
        offices
            .iter()
            .zip(recorded)
            .zip(known)
            .map(|((office, recorded), known)| async move {
                let (history::Recorded::NewKey(was), Some(client), Some((now, _))) =
                    (recorded, &office.client, &office.identity)
                else {
                    return None;
                };
                let location = &office.location;
                let checked =
                    history::verify_new_key(client, &office.gate, location, known, (was, now))
                        .await;
                Some(checked)
            });
    futures_util::future::join_all(checks).await
}

/// `--accept-new-key`, once each changed key was checked: a key that sees the ledger's calls is
/// recorded; one with no call to compare is recorded by the rebuild of the location's history
/// from Annie with it, before its first call (so whichever organisation it is, its calls and
/// requests not to be called are known); one refused, or not checked, is not recorded and its
/// location calls nobody. One that does not see them stops the run (exit 2) before any call.
fn record_new_keys(
    ledger: &Ledger,
    offices: &mut [Office],
    recorded: &[history::Recorded],
    checked: Vec<Option<Result<history::KeyChecked, history::KeyNotRecorded>>>,
) -> anyhow::Result<()> {
    let mut other_organisation = None;
    for ((office, recorded), checked) in offices.iter_mut().zip(recorded).zip(checked) {
        let (history::Recorded::NewKey(was), Some(checked), Some((now, rebuild))) =
            (recorded, checked, office.identity.as_mut())
        else {
            continue;
        };
        let location = office.location.label();
        match checked {
            Ok(history::KeyChecked::Sees(id)) => {
                tracing::warn!(
                    location = %location,
                    "--accept-new-key: the new key sees conversation {id} this ledger recorded; \
                     the ledger now records {} instead of {}",
                    now.organisation,
                    was.organisation
                );
                ledger.set_identity(&office.location.id, now)?;
            }
            Ok(history::KeyChecked::NothingToCompare) => {
                tracing::warn!(
                    location = %location,
                    "--accept-new-key: the ledger recorded no call for this location in the last \
                     {} days, so the new key ({}) could not be checked against one: Annie \
                     accepts it, but whose organisation it is cannot be told. Its history is \
                     rebuilt from Annie with the new key before any call (as for a new ledger: \
                     the calls and requests not to be called Annie lists for it count), and the \
                     new key is recorded once that is done. Make sure it is this location's \
                     organisation's key",
                    crate::number_rules::LOOKBACK_DAYS,
                    now.organisation,
                );
                *rebuild = true;
            }
            Err(e @ history::KeyNotRecorded::OtherOrganisation(_)) => {
                other_organisation.get_or_insert(e);
            }
            Err(e) => {
                tracing::error!(location = %location, "{e}");
                office.key_refused = Some(e);
            }
        }
    }
    match other_organisation {
        Some(e) => Err(e.into()),
        None => Ok(()),
    }
}

/// A location's clock ([`Office::clock`]): in a preview with `--wait-for-window`, a location
/// closed when the run starts starts at its opening (with the run's margin), as the run's
/// location waits for it; else the run's.
fn office_clock(s: &Settings, location: &Location, clock: &Clock) -> Clock {
    if s.mode != Mode::Preview || !s.wait_for_window {
        return *clock;
    }
    let Err(closed) = location.hours.org_open(clock.start()) else {
        return *clock;
    };
    let Some(opens_at) = closed.opens_at else {
        return *clock;
    };
    let opens_at = opens_at + crate::hours::OPENING_MARGIN;
    tracing::info!(
        location = %location.label(),
        "calling hours are closed there now; its part of the preview starts at {opens_at}, when \
         the run's location would start calling after waiting (--wait-for-window)"
    );
    Clock::starting_at(opens_at)
}

/// A preview reads the ledger as it is. While a sending run holds it, say so: the preview is a
/// snapshot of a ledger that run is writing (its rows "will call" may be called as the preview
/// runs), and a sending run started now would stop, as `check` says.
fn note_busy_ledger(path: &std::path::Path) {
    if Ledger::check_not_busy(path).is_err() {
        tracing::warn!(
            ledger = %path.display(),
            "another annie-dispatch run is using the ledger: this preview reads it as it is now, \
             while that run is still calling and recording; a sending run started now would stop \
             until that one ends. Preview again once it has ended"
        );
    }
}

/// A preview reads the ledger as it is; a sending run first rebuilds a location's history from
/// Annie when the ledger has none (a new or lost ledger). Say so, since that rebuild may skip
/// patients this preview shows as called (an opt-out heard last month, a call made yesterday).
fn note_unknown_history(ledger: Option<&Ledger>, locations: &[crate::locations::Location]) {
    for l in locations {
        let known = ledger.is_some_and(|ledger| matches!(ledger.identity(&l.id), Ok(Some(_))));
        if !known {
            tracing::warn!(
                location = %l.label(),
                "the ledger has no history for this location: a real run first rebuilds it from \
                 Annie's conversations, and may then skip patients this preview shows as called"
            );
        }
    }
}

/// A sending run first checks a location's calls in Annie (see [`Services::catch_up_history`]),
/// and records a request not to be called heard in a call the morning's `outcomes` has not read
/// to its end (it did not run yet, or the call was still open): the run then skips that
/// patient. A preview does not look in Annie, so it shows the call. Say so, once per location
/// (how many calls, nothing about whom), when the ledger holds such calls that a run's check
/// would read.
fn note_unread_calls(
    ledger: Option<&Ledger>,
    locations: &[crate::locations::Location],
    now: chrono::DateTime<chrono::Utc>,
) {
    let Some(ledger) = ledger else {
        return;
    };
    let since = now - chrono::Duration::days(crate::number_rules::LOOKBACK_DAYS);
    for l in locations {
        if !matches!(ledger.identity(&l.id), Ok(Some(_))) {
            continue;
        }
        match ledger.calls_unread(&l.id, since) {
            Ok(0) => {}
            Ok(n) => tracing::warn!(
                location = %l.label(),
                "the ledger holds {n} call{} made since it last checked Annie's conversations \
                 whose outcome it has not recorded: a real run first looks in Annie, and may skip \
                 patients this preview shows as called (a request not to be called heard in \
                 those calls). Run `annie-dispatch outcomes` first to make this preview exact",
                if n == 1 { "" } else { "s" }
            ),
            Err(e) => tracing::debug!(
                location = %l.label(),
                "could not count the calls whose outcome the ledger has not recorded: {e:#}"
            ),
        }
    }
}

/// Outside every location's calling hours: exit 75 (EX_TEMPFAIL) having sent nothing, or, with
/// `--wait-for-window`, wait until the first location opens (a signal ends the wait).
async fn wait_for_calling_hours(
    s: &Settings,
    clock: &Clock,
    stop: &Stop,
    to_call: &[bool],
) -> anyhow::Result<()> {
    // With --wait-for-window, a location with nobody to call is not waited for; with none to
    // call anywhere, nothing is.
    let waits_for = |i: usize| !s.wait_for_window || to_call.get(i).copied().unwrap_or(true);
    if s.wait_for_window && !to_call.iter().any(|c| *c) {
        return Ok(());
    }
    loop {
        let considered: Vec<_> = s
            .locations
            .iter()
            .enumerate()
            .filter(|(i, _)| waits_for(*i))
            .map(|(_, l)| l)
            .collect();
        let closed: Vec<_> = considered
            .iter()
            .filter_map(|l| l.hours.org_open(clock.now()).err().map(|c| (*l, c)))
            .collect();
        if closed.len() < considered.len() {
            return Ok(());
        }
        let reason = match closed.as_slice() {
            [(_, only)] => only.reason.clone(),
            all => {
                let each: Vec<String> = all
                    .iter()
                    .map(|(l, c)| format!("{}: {}", l.label(), c.reason))
                    .collect();
                format!(
                    "calling hours are closed at every location ({})",
                    each.join("; ")
                )
            }
        };
        let opens_at = closed.iter().filter_map(|(_, c)| c.opens_at).min();
        let Some(opens_at) = opens_at.filter(|_| s.wait_for_window) else {
            let hint = "nothing was sent. Run again then, or pass --wait-for-window";
            return Err(WindowClosed(format!("{reason}; {hint}")).into());
        };
        let opens_at = opens_at + crate::hours::OPENING_MARGIN;
        let wait = (opens_at - clock.now()).to_std().unwrap_or_default();
        tracing::info!(wait_secs = wait.as_secs(), "{reason}; waiting");
        let countdown = collect::countdown(wait, s.show_progress);
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = stop.wait() => return Ok(()),
        }
        drop(countdown);
    }
}
