//! Whose ledger this is, checked before any call, and the per-number history rebuilt from Annie
//! when a location's history is missing, or caught up from Annie's recent conversations when it
//! is there but may be behind (a ledger restored from an older backup). See
//! [`crate::ledger::Identity`] for why.

use std::sync::Mutex;
use std::time::Instant;

use chrono::{DateTime, Duration, Utc};
use secrecy::ExposeSecret;
use sha2::{Digest, Sha256};

use crate::api::{AnnieClient, ApiSettings};
use crate::conversations::reading::Reading;
use crate::dispatch::gate::Gate;
use crate::ledger::{Answered, ConversationRecord, Identity, Ledger, RebuiltCall};
use crate::locations::Location;
use crate::normalise::phone;
use crate::number_rules::LOOKBACK_DAYS;
use crate::reconcile::{digits, look_back, start_of, Incomplete, LookedBack};

/// What an in-process sandbox run records as its API: its port changes every run.
const SANDBOX: &str = "in-process sandbox";

/// The identity of the API a location calls through.
pub fn identity_of(api: &ApiSettings, sandbox: bool) -> Identity {
    if sandbox {
        return Identity {
            base_url: SANDBOX.to_string(),
            organisation: "sandbox".to_string(),
        };
    }
    let organisation = match &api.oauth {
        Some(o) => format!("OAuth client {}", o.client_id),
        None => {
            let digest = Sha256::digest(api.api_key.expose_secret().as_bytes());
            let hex: String = digest.iter().take(6).map(|b| format!("{b:02x}")).collect();
            format!("API key sha256:{hex}")
        }
    };
    Identity {
        base_url: api.base_url.trim_end_matches('/').to_ascii_lowercase(),
        organisation,
    }
}

/// What the ledger records of a location's API, against the one this run calls through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recorded {
    /// The same API and organisation (or no API to compare, as in a preview).
    Same,
    /// Nothing yet: its history is rebuilt from Annie before it calls.
    Nothing,
    /// Another key (or OAuth client) for the same API, which the operator says is the same
    /// organisation's (`--accept-new-key`): this was the recorded one. Not recorded until Annie
    /// shows the new key sees this ledger's calls ([`verify_new_key`]).
    NewKey(Identity),
}

/// Checks each sending location's API against the ledger's record. A different API is
/// refused; a different key for the same API only with `--accept-new-key`, and then only once
/// [`verify_new_key`] has checked it with Annie: nothing is recorded here.
pub fn check(
    ledger: &Ledger,
    locations: &[Location],
    sandbox: bool,
    accept_new_key: bool,
) -> anyhow::Result<Vec<Recorded>> {
    let mut recorded = Vec::with_capacity(locations.len());
    for location in locations {
        let Some(api) = &location.api else {
            recorded.push(Recorded::Same);
            continue;
        };
        let now = identity_of(api, sandbox);
        let Some(was) = ledger.identity(&location.id)? else {
            recorded.push(Recorded::Nothing);
            continue;
        };
        if was == now {
            recorded.push(Recorded::Same);
            continue;
        }
        if was.base_url == now.base_url && accept_new_key {
            recorded.push(Recorded::NewKey(was));
            continue;
        }
        let same_api = was.base_url == now.base_url;
        anyhow::bail!(
            "the ledger `{}` holds the calls {} made through {} ({}), but this run would call \
             through {} ({}). A ledger must stay with its API and organisation, or it would skip \
             patients nobody called, or miss calls it never saw. {}",
            ledger.path().display(),
            location.label(),
            was.base_url,
            was.organisation,
            now.base_url,
            now.organisation,
            if same_api {
                "If the same organisation's API key (or OAuth client) was replaced, rerun once \
                 with --accept-new-key (the new key must see the calls this ledger recorded in \
                 Annie before it is recorded). Otherwise give this organisation its own ledger: \
                 set [state] ledger to a new file (its history is rebuilt from Annie on the \
                 first run)"
            } else {
                "Give this API its own ledger: set [state] ledger to a new file (its history is \
                 rebuilt from Annie on the first run), or point base_url back"
            }
        );
    }
    Ok(recorded)
}

/// How many of a location's latest calls a new key is checked against: one seen is enough, and
/// the other organisation's conversations are read back only to the oldest of these.
const KNOWN_CALLS: usize = 20;

/// A call the ledger recorded: its conversation id, and when it was made.
pub(crate) type KnownCall = (String, DateTime<Utc>);

/// The calls a new key for `location` must see (at most [`KNOWN_CALLS`], newest first): those
/// the ledger recorded for it in the last [`LOOKBACK_DAYS`], which Annie's list surely still
/// holds (a rebuild reads them all, and a location may not call until it has). An older call
/// proves nothing by its absence: Annie may keep conversations for a limited time.
pub(crate) fn known_calls(
    ledger: &Ledger,
    location: &Location,
    now: DateTime<Utc>,
) -> anyhow::Result<Vec<KnownCall>> {
    ledger.conversations_of(
        &location.id,
        now - Duration::days(LOOKBACK_DAYS),
        KNOWN_CALLS,
    )
}

/// What checking a new key with Annie showed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum KeyChecked {
    /// Annie's conversations, listed with the new key, include this call the ledger recorded.
    Sees(String),
    /// The ledger recorded no call for the location to look for (see [`known_calls`]): the key
    /// works, but whose it is cannot be told.
    NothingToCompare,
}

/// Why a new key was not recorded.
#[derive(Debug, Clone, thiserror::Error)]
pub(crate) enum KeyNotRecorded {
    /// Annie listed the new key's conversations, and none of the ledger's calls is among them.
    #[error("{0}")]
    OtherOrganisation(String),
    /// Annie refused the new key (401 or 403).
    #[error("{0}")]
    Refused(String),
    /// Annie's conversations could not be read with it (network, 5xx, rate limits).
    #[error("{0}")]
    Unreachable(String),
}

/// Annie refused a location's key (401 or 403) when its calls were to be read before the first
/// call (a rebuild or the check against Annie): the location calls nobody, and its rows say
/// `credentials_refused` with what to fix, not "rerun when the list can be read" (a revoked or
/// rotated key does not come back by waiting).
#[derive(Debug, thiserror::Error)]
#[error(
    "Annie refused the API key of {location} (from ${variable}) when its calls were to be \
     checked before the first call ({error}); nothing was sent for it. Fix the key (rotated, \
     revoked or mistyped), then rerun"
)]
pub(crate) struct KeyRefused {
    location: String,
    variable: String,
    error: String,
}

impl KeyRefused {
    fn new(location: &Location, e: &crate::reconcile::Incomplete) -> KeyRefused {
        KeyRefused {
            location: location.label().to_string(),
            variable: location.api_key_env.clone(),
            error: e.error.clone(),
        }
    }
}

impl KeyNotRecorded {
    /// The reason code of the location's rows.
    pub(crate) fn code(&self) -> crate::reason::ReasonCode {
        match self {
            KeyNotRecorded::Refused(_) => crate::reason::ReasonCode::CredentialsRefused,
            _ => crate::reason::ReasonCode::NotPlanned,
        }
    }
}

/// `--accept-new-key`: before the new key replaces the ledger's record (and before any call),
/// lists Annie's conversations with it (through the location's rate gate), newest first, back
/// to the oldest of the ledger's `known` calls for the location, looking for any of them. The
/// same organisation's key sees them; another organisation's does not, and recording it would
/// apply this ledger's history to the wrong account while the new account's calls stay unknown.
/// With no call to look for, one page is read, to check the key works.
pub(crate) async fn verify_new_key(
    client: &AnnieClient,
    gate: &Gate,
    location: &Location,
    known: &[KnownCall],
    (was, now): (&Identity, &Identity),
) -> Result<KeyChecked, KeyNotRecorded> {
    let since = known
        .iter()
        .map(|(_, at)| *at - CHECK_MARGIN)
        .min()
        .unwrap_or(DateTime::<Utc>::MAX_UTC);
    let mut seen: Option<String> = None;
    // Stops at the first known call (or, with none to look for, at the first conversation).
    let mut visit = |c: &crate::api::ConversationSummary| {
        if known.iter().any(|(id, _)| *id == c.conversation_id) {
            seen = Some(c.conversation_id.clone());
        }
        seen.is_some() || known.is_empty()
    };
    let read = look_back(client, gate, since, &mut visit).await;
    let label = location.label();
    let not_recorded = format!(
        "the new key ({}) was not recorded (the ledger still records {}) and nothing was sent \
         for {label}",
        now.organisation, was.organisation
    );
    match (seen, read) {
        (Some(id), _) => Ok(KeyChecked::Sees(id)),
        (None, Ok(_)) => match known.first() {
            None => Ok(KeyChecked::NothingToCompare),
            Some((id, at)) => Err(KeyNotRecorded::OtherOrganisation(format!(
                "--accept-new-key: the new key does not see the calls this ledger recorded for \
                 {label} (e.g. conversation {id} at {}): it is probably another organisation's \
                 key; {not_recorded}. Check the key (or OAuth client) set for {label}; if it really \
                 is a new organisation, give it its own ledger: set [state] ledger to a new file \
                 (its history is rebuilt from Annie on the first run)",
                at.format("%Y-%m-%d %H:%M UTC")
            ))),
        },
        (None, Err(e)) if e.credentials_refused => Err(KeyNotRecorded::Refused(format!(
            "--accept-new-key: Annie refused the new key for {label} ({}); {not_recorded}. \
             Fix the key, then rerun with --accept-new-key",
            e.error
        ))),
        (None, Err(e)) => Err(KeyNotRecorded::Unreachable(format!(
            "--accept-new-key: the new key for {label} could not be checked against the calls \
             this ledger recorded in Annie ({}); {not_recorded}. Rerun later with \
             --accept-new-key",
            e.error
        ))),
    }
}

/// How far back a rebuild looks for patients who asked not to be called: such a request does
/// not expire, so further than the per-number rules look. Reading this far is best effort: once
/// the last [`LOOKBACK_DAYS`] are read, a list that cannot be read further only costs a warning.
pub const OPT_OUT_DAYS: i64 = 400;

/// How far before the time a ledger last knew Annie's conversations ([`Ledger::known_until`])
/// a check reads: clock skew between this machine and Annie, and a conversation Annie lists a
/// little late.
const CHECK_MARGIN: Duration = Duration::hours(1);

/// A check reads at least this far back: the API's per-number window (24 hours between calls
/// to a number), so a call made through another ledger tonight is always seen.
const CHECK_AT_LEAST: Duration = Duration::hours(24);

/// What reading Annie's conversations heard: calls (in E.164, with when they started) and
/// requests not to be called.
#[derive(Default)]
struct Heard {
    calls: Vec<RebuiltCall>,
    opt_outs: Vec<RebuiltCall>,
}

/// Reads the organisation's conversations back to `since` (through the location's rate gate),
/// keeping the calls that started after `calls_since` and every request not to be called.
/// Conversations to the location's own numbers (a patient calling the office, say) are left
/// out: no patient is called on them, so no rule needs them.
async fn hear(
    client: &AnnieClient,
    gate: &Gate,
    location: &Location,
    calls_since: DateTime<Utc>,
    since: DateTime<Utc>,
) -> (Heard, Result<LookedBack, Incomplete>) {
    let region = location.practice.phone_region;
    let own = crate::guard::own_numbers(location);
    let mut heard = Heard::default();
    let mut keep = |c: &crate::api::ConversationSummary| {
        let started_at = start_of(c);
        let to_number = c.to_number.as_deref().and_then(|n| match n.trim() {
            n if n.starts_with('+') => Some(format!("+{}", digits(n))),
            n => phone::parse(n, region).ok().map(|p| p.e164.into()),
        });
        let (Some(started_at), Some(to_number)) = (started_at, to_number) else {
            return false;
        };
        if own.contains(&to_number) {
            return false;
        }
        let call = RebuiltCall {
            conversation_id: c.conversation_id.clone(),
            to_number,
            started_at,
        };
        if Reading::read(&c.raw).do_not_call {
            heard.opt_outs.push(call.clone());
        }
        if started_at >= calls_since {
            heard.calls.push(call);
        }
        false
    };
    let read = look_back(client, gate, since, &mut keep).await;
    (heard, read)
}

/// Records what was heard as a location's history: the calls the ledger does not know (see
/// [`Ledger::add_rebuilt`]) and the requests not to be called. Returns how many of each were
/// new to it.
fn record(
    ledger: &Ledger,
    location: &Location,
    heard: &Heard,
    now: DateTime<Utc>,
) -> anyhow::Result<(usize, usize)> {
    let added = ledger.add_rebuilt(&location.id, &heard.calls)?;
    let mut opt_outs = 0;
    for o in &heard.opt_outs {
        let new = ledger.add_opt_out(&ConversationRecord {
            conversation_id: &o.conversation_id,
            to_number: Some(&o.to_number),
            started_at: Some(o.started_at),
            status: "OTHER",
            duration: None,
            answered: Answered::Unknown,
            needs_attention: true,
            do_not_call: true,
            checked_at: now,
        })?;
        opt_outs += usize::from(new);
    }
    Ok((added, opt_outs))
}

/// Rebuilds a location's per-number history from Annie's conversations: calls of the last
/// [`LOOKBACK_DAYS`] and opt-outs heard in the last [`OPT_OUT_DAYS`] (read through the
/// location's rate gate), then records its identity. Until the calls are rebuilt the location
/// may not call: a ledger that forgot who was called must not call them again.
pub async fn rebuild(
    client: &AnnieClient,
    gate: &Gate,
    location: &Location,
    identity: &Identity,
    ledger: &Mutex<Ledger>,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    let started = Instant::now();
    let calls_since = now - Duration::days(LOOKBACK_DAYS);
    let since = now - Duration::days(OPT_OUT_DAYS);
    let (heard, read) = hear(client, gate, location, calls_since, since).await;
    let read = match read {
        Ok(read) => read,
        // The last LOOKBACK_DAYS were read whole: only older opt-outs may be missing.
        Err(e) if e.read.whole_since.is_some_and(|t| t < calls_since) => {
            tracing::warn!(
                location = %location.label(),
                "rebuilding the ledger: Annie's conversations could be read back to {} only \
                 ({}); a request not to be called heard before then is not known to this \
                 ledger. Add such patients to the do-not-call list",
                e.read
                    .whole_since
                    .map(|o| o.format("%Y-%m-%d").to_string())
                    .unwrap_or_default(),
                e.error
            );
            e.read
        }
        Err(e) if e.credentials_refused => return Err(KeyRefused::new(location, &e).into()),
        Err(e) => anyhow::bail!(
            "the ledger has no call history for {} yet, and it could not be rebuilt from Annie \
             ({}); nothing was sent, so nobody is called twice. Rerun when Annie's conversation \
             list can be read",
            location.label(),
            e.error
        ),
    };
    let ledger = ledger.lock().unwrap_or_else(|p| p.into_inner());
    let (added, _) = record(&ledger, location, &heard, now)?;
    ledger.set_identity(&location.id, identity)?;
    ledger.set_known_until(&location.id, now)?;
    tracing::info!(
        location = %location.label(),
        "the ledger had no history for this organisation: rebuilt the per-number history from {} \
         Annie conversations ({added} calls in the last {LOOKBACK_DAYS} days added, {} requests \
         not to be called in the last {OPT_OUT_DAYS} days) in {:.1} s",
        read.conversations,
        heard.opt_outs.len(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// From when a check reads Annie's conversations: [`CHECK_MARGIN`] before the ledger last knew
/// them (`known_until`), and at least [`CHECK_AT_LEAST`], but never further than the per-number
/// rules look ([`LOOKBACK_DAYS`]; also as far as a ledger that knows nothing is read).
fn check_since(known_until: Option<DateTime<Utc>>, now: DateTime<Utc>) -> DateTime<Utc> {
    let furthest = now - Duration::days(LOOKBACK_DAYS);
    let Some(known) = known_until else {
        return furthest;
    };
    (known - CHECK_MARGIN)
        .min(now - CHECK_AT_LEAST)
        .max(furthest)
}

/// Checks a location's history, which the ledger has, against Annie's recent conversations
/// before its first call of a sending run: a ledger restored from an older backup (or one
/// that another machine's ledger called around) is behind Annie, and would call again the
/// patients called since. Reads the conversations since the ledger last knew them (see
/// [`check_since`]) in one paged listing, as a rebuild does, and adds the calls and requests not
/// to be called it does not know, as a rebuild does. If the conversations cannot be read, the
/// location may not call.
pub async fn catch_up(
    client: &AnnieClient,
    gate: &Gate,
    location: &Location,
    ledger: &Mutex<Ledger>,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    let started = Instant::now();
    let known_until = {
        let ledger = ledger.lock().unwrap_or_else(|p| p.into_inner());
        ledger.known_until(&location.id)?
    };
    let since = check_since(known_until, now);
    let calls_since = now - Duration::days(LOOKBACK_DAYS);
    let (heard, read) = hear(client, gate, location, calls_since, since).await;
    let read = read.map_err(|e| {
        if e.credentials_refused {
            return KeyRefused::new(location, &e).into();
        }
        anyhow::anyhow!(
            "the ledger's call history for {} could not be checked against Annie's recent \
             conversations ({}); nothing was sent for it, so nobody is called twice (a ledger \
             restored from a backup, or calls made through another ledger, would go unseen). \
             Rerun when Annie's conversation list can be read",
            location.label(),
            e.error
        )
    })?;
    let ledger = ledger.lock().unwrap_or_else(|p| p.into_inner());
    let (added, opt_outs) = record(&ledger, location, &heard, now)?;
    ledger.set_known_until(&location.id, now)?;
    let since_text = since.format("%Y-%m-%d %H:%M UTC");
    if added > 0 {
        tracing::warn!(
            location = %location.label(),
            "the ledger was behind Annie: {added} calls (and {opt_outs} requests not to be \
             called) in Annie's conversations since {since_text} were not in it. It was restored \
             from an older backup, or calls were made through this organisation outside this \
             ledger (another machine or config, or Annie used directly). Added them to the \
             ledger, so the per-number rules count those numbers as called and nobody is called \
             twice; keep one ledger per organisation"
        );
    } else {
        // A request not to be called that `outcomes` has not recorded yet is no sign of a
        // ledger gone wrong: said, not warned.
        tracing::info!(
            location = %location.label(),
            "checked the ledger against {} Annie conversations since {since_text}: no call \
             missing{} ({:.1} s)",
            read.conversations,
            match opt_outs {
                0 => String::new(),
                n => format!("; recorded {n} requests not to be called it did not have yet"),
            },
            started.elapsed().as_secs_f64()
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn a_check_reads_from_before_the_ledger_last_knew_annie_at_least_a_day_at_most_the_rules() {
        let now = Utc.with_ymd_and_hms(2026, 11, 24, 0, 30, 0).unwrap();
        let hours = Duration::hours;
        // Nothing known: as far as the per-number rules look.
        assert_eq!(check_since(None, now), now - Duration::days(LOOKBACK_DAYS));
        // Known until minutes ago (last night's run): the API's 24-hour window.
        assert_eq!(check_since(Some(now - hours(1)), now), now - hours(24));
        // A backup from three days ago: from then, less the margin.
        assert_eq!(
            check_since(Some(now - hours(72)), now),
            now - hours(72) - CHECK_MARGIN
        );
        // Never further than the rules look, nor later than a day (a clock set back).
        let furthest = now - Duration::days(LOOKBACK_DAYS);
        assert_eq!(check_since(Some(now - Duration::days(90)), now), furthest);
        assert_eq!(check_since(Some(now + hours(5)), now), now - hours(24));
    }
}
