//! Before a call to a number another location of the group called earlier in this run: how that
//! call ended. The patient may have told it not to call again, and a request not to be called
//! holds for every location at once, not from the next night on.
//!
//! So the earlier call's conversation is read (`GET /conversations/{id}`, through the location
//! that made it: its key, its rate gate). A request not to be called skips this call (`skipped`,
//! `opted_out`) and goes into the ledger, as the run's own check of Annie's conversations records
//! one, so reruns and later nights hold too. While nobody can say yet (the conversation still
//! open, the earlier request unanswered or uncertain, or the read failing), the call waits and
//! asks again; if its time runs out first it is `deferred` and flagged, never made on a guess. A
//! single practice never gets here: [`crate::schedule::Spacing`] records nothing for one location.

use chrono::{DateTime, Utc};

use super::peers::Peer;
use super::shared::{Paced, Shared};
use super::stop::Stop;
use crate::api::GetOutcome;
use crate::conversations::reading::{is_final, Reading};
use crate::ledger::records::DoNotCall;
use crate::ledger::ConversationRecord;
use crate::plan::Call;
use crate::reason::{Reason, ReasonCode};
use crate::results::Status;
use crate::schedule::{Earlier, EarlierCall};

/// The longest a read waits for its turn at the other location's rate gate. The read holds up
/// this location's pacer, and a rate-limit pause there can last minutes: past this, the call
/// waits and reads again later.
const TURN_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

/// How often a call waiting for an earlier call's end asks again: the spacing (a call's
/// conversation usually ends within it), but at least every minute and at most every second.
fn recheck(gap: chrono::Duration) -> chrono::Duration {
    gap.clamp(chrono::Duration::seconds(1), chrono::Duration::minutes(1))
}

/// What reading the earlier call's conversation showed.
enum Look {
    /// Closed without a request not to be called.
    Clear,
    /// The patient asked not to be called again.
    OptedOut(Box<Reading>),
    /// Not closed yet (its status).
    Open(String),
    /// Not read: why.
    Failed(String),
    /// The location's credentials were refused (the HTTP status and Annie's message).
    Refused(u16, String),
}

/// Reads conversation `id` through `peer`, waiting at most [`TURN_WAIT`] for its turn.
async fn look(peer: &Peer, id: &str, stop: &Stop) -> Look {
    let Some(client) = &peer.client else {
        return Look::Failed("not read in a preview".to_string());
    };
    tokio::select! {
        turn = tokio::time::timeout(TURN_WAIT, peer.gate.ready()) => {
            if turn.is_err() {
                return Look::Failed(format!(
                    "{}'s rate limit left no turn to read it",
                    peer.location.label()
                ));
            }
        }
        _ = stop.wait() => return Look::Failed("the run stopped".to_string()),
    }
    match client.get_conversation(id).await {
        GetOutcome::Found(c) => {
            let r = Reading::read(&c);
            match (r.do_not_call, is_final(&r.status)) {
                (true, _) => Look::OptedOut(Box::new(r)),
                (false, true) => Look::Clear,
                (false, false) => Look::Open(r.status),
            }
        }
        GetOutcome::RateLimited { wait } => {
            peer.gate.pause_for(wait);
            Look::Failed("Annie's rate limit (HTTP 429)".to_string())
        }
        GetOutcome::Failed {
            status: Some(status @ (401 | 403)),
            error,
        } => Look::Refused(status, error),
        GetOutcome::Failed {
            status: Some(status),
            error,
        } => Look::Failed(format!("HTTP {status}: {error}")),
        GetOutcome::Failed {
            status: None,
            error,
        } => Look::Failed(error),
    }
}

impl Shared {
    /// Whether `call` may go as far as another location's earlier call to its number is
    /// concerned: `Ok` with the start of the earlier call it looked at (`None`: there was none),
    /// for the spacing claim; `Err` with what became of it otherwise (skipped, waiting again, or
    /// deferred).
    pub(super) async fn after_earlier(
        &self,
        call: Call,
    ) -> Result<(Call, Option<DateTime<Utc>>), Paced> {
        let d = &self.d;
        let Some(earlier) = d.spacing.earlier_call(&d.location.id, &call.to_number) else {
            return Ok((call, None));
        };
        let spaced_until = earlier.started + d.spacing.gap();
        if spaced_until > d.clock.now() {
            return Err(self.spaced(call, spaced_until));
        }
        let peer = d.peers.of(&earlier.location);
        let label = peer.map_or(earlier.location.as_str(), |p| p.location.label());
        let id = match &earlier.call {
            Earlier::Clear => return Ok((call, Some(earlier.started))),
            Earlier::OptedOut(id) => return Err(self.asked_not_to_call(call, &earlier, id, label)),
            Earlier::Unsettled => {
                let why = "has had no answer from Annie yet, or may or may not have placed a call";
                return Err(self.wait_for_earlier(call, label, why));
            }
            Earlier::Placed(id) => id,
        };
        let Some(peer) = peer else {
            return Err(self.wait_for_earlier(call, label, "cannot be read (internal error)"));
        };
        let why = match look(peer, id, &d.stop).await {
            Look::Clear => {
                d.spacing.read(&call.to_number, id, Earlier::Clear);
                return Ok((call, Some(earlier.started)));
            }
            Look::OptedOut(reading) => {
                d.spacing
                    .read(&call.to_number, id, Earlier::OptedOut(id.clone()));
                self.record_request(&call, &earlier, id, &reading);
                return Err(self.asked_not_to_call(call, &earlier, id, label));
            }
            Look::Open(status) => format!("is still open in Annie (status `{status}`)"),
            Look::Failed(error) if d.stop.reason().is_some() => error,
            Look::Failed(error) => {
                tracing::warn!(
                    location = %label,
                    error = %error,
                    "cannot read this location's earlier call to a number another location is \
                     about to call; that call waits and reads it again"
                );
                format!("could not be read in Annie ({error})")
            }
            Look::Refused(status, error) => {
                return Err(self.refused_for_earlier(call, peer, status, &error));
            }
        };
        Err(self.wait_for_earlier(call, label, &why))
    }

    /// A call whose patient asked another location's call, earlier in this run, not to be
    /// called again: `skipped`, `opted_out`, the reason naming that conversation as later
    /// nights' rows do.
    fn asked_not_to_call(&self, call: Call, earlier: &EarlierCall, id: &str, label: &str) -> Paced {
        let request = DoNotCall {
            conversation_id: id.to_string(),
            called_at: earlier.started,
        };
        let tz = self.d.location.practice.timezone;
        let text = format!(
            "{}, in {label}'s call earlier in this run",
            crate::number_rules::do_not_call_reason(&request, tz)
        );
        self.report(
            &call,
            Status::Skipped,
            Some(Reason::new(ReasonCode::OptedOut, text)),
        );
        Paced::Done
    }

    /// Records the request heard in `id` in the ledger, as the run's check of Annie's
    /// conversations does ([`crate::history`]): reruns and later nights skip the number. A
    /// ledger that cannot be written stops this location, as elsewhere.
    fn record_request(&self, call: &Call, earlier: &EarlierCall, id: &str, r: &Reading) {
        let Some(ledger) = &self.d.ledger else { return };
        let record = ConversationRecord {
            conversation_id: id,
            to_number: Some(&call.to_number),
            started_at: Some(earlier.started),
            status: &r.status,
            duration: r.duration_number(),
            answered: r.answered,
            needs_attention: true,
            do_not_call: true,
            checked_at: self.d.clock.now(),
        };
        let written = ledger
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .add_opt_out(&record);
        if let Err(e) = written {
            tracing::error!(
                error = %format!("{e:#}"),
                "cannot record a request not to be called in the ledger"
            );
            self.d.stop.set(Reason::new(
                ReasonCode::CannotRecord,
                format!("not attempted: the ledger could not be written ({e:#})"),
            ));
        }
    }

    /// A call whose calling hours (the practice's or the recipient's) stay closed for the rest
    /// of this run's window: `deferred`, `calling_hours`, unless another location called its
    /// number earlier in this run. A request not to be called heard there skips it (`opted_out`);
    /// a call whose end this run has not seen (still open, unanswered, not read) makes the row
    /// `earlier_call_unsettled` with both facts, since "remind the patient another way" alone
    /// would miss that the patient may have asked that call not to call again (round-9 F6).
    pub(super) fn closed_for_the_window(&self, call: Call, closed: crate::hours::Closed) -> Paced {
        let d = &self.d;
        let earlier = d.spacing.earlier_call(&d.location.id, &call.to_number);
        let label = |e: &EarlierCall| {
            let peer = d.peers.of(&e.location);
            peer.map_or(e.location.clone(), |p| p.location.label().to_string())
        };
        let (code, text) = match &earlier {
            None => (ReasonCode::CallingHours, closed.reason),
            Some(e) => match &e.call {
                Earlier::Clear => (ReasonCode::CallingHours, closed.reason),
                Earlier::OptedOut(id) => return self.asked_not_to_call(call, e, id, &label(e)),
                Earlier::Unsettled | Earlier::Placed(_) => (
                    ReasonCode::EarlierCallUnsettled,
                    format!(
                        "not called: {}; and {}'s call to this number earlier in this run had \
                         not been seen to end in Annie by then, so whether the patient asked it \
                         not to call again is not known",
                        closed.reason,
                        label(e)
                    ),
                ),
            },
        };
        let reason = Reason::new(code, text);
        self.report_unless_covered(&call, Status::Deferred, reason, closed.opens_at);
        Paced::Done
    }

    /// A call that cannot know yet how the earlier call to its number ended (`why`): it waits
    /// and asks again if the window allows, else it is `deferred` and flagged (no run can call
    /// it on its calling day knowing more).
    fn wait_for_earlier(&self, call: Call, label: &str, why: &str) -> Paced {
        let at = self.d.clock.now() + recheck(self.d.spacing.gap());
        if self.window.fits_before(at, call.first_start()) {
            return Paced::Later(at, call);
        }
        let text = format!(
            "not called: {label}'s call to this number earlier in this run {why}, so whether the \
             patient asked it not to call again is not known"
        );
        let reason = Reason::new(ReasonCode::EarlierCallUnsettled, text);
        self.report_unless_covered(&call, Status::Deferred, reason, None);
        Paced::Done
    }

    /// The earlier call's location refused its own key when asked for the conversation: that
    /// location stops if the key itself was refused (HTTP 401), as a refused call stops it; this
    /// call is not made (`not_attempted`), since what the patient said cannot be known.
    fn refused_for_earlier(&self, call: Call, peer: &Peer, status: u16, error: &str) -> Paced {
        let label = peer.location.label();
        tracing::error!(
            status,
            location = %label,
            key_variable = %peer.location.api_key_env,
            error,
            "the API refused this location's credentials when reading one of its conversations"
        );
        if status == 401 {
            peer.stop.set(Reason::new(
                ReasonCode::CredentialsRefused,
                format!(
                    "not attempted: the API refused the API key (HTTP {status}); check the key \
                     and rerun"
                ),
            ));
        }
        let text = format!(
            "not attempted: {label}'s API key was refused (HTTP {status}) when reading its call \
             to this number earlier in this run, so whether the patient asked not to be called \
             again is not known; check that key and rerun"
        );
        let reason = Reason::new(ReasonCode::CredentialsRefused, text);
        self.report(&call, Status::NotAttempted, Some(reason));
        Paced::Done
    }
}
