//! Whose ledger this is, checked before any call, and the per-number history rebuilt from Annie
//! when a location's history is missing. See [`crate::ledger::Identity`] for why.

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
use crate::reconcile::{digits, look_back, start_of};

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

/// Checks each sending location's API against the ledger's record. `Ok` says, per location,
/// whether its history must be rebuilt from Annie first (nothing recorded yet). A different API
/// is refused; a different key for the same API only with `--accept-new-key`.
pub fn check(
    ledger: &Ledger,
    locations: &[Location],
    sandbox: bool,
    accept_new_key: bool,
) -> anyhow::Result<Vec<bool>> {
    let mut rebuild = Vec::with_capacity(locations.len());
    for location in locations {
        let Some(api) = &location.api else {
            rebuild.push(false);
            continue;
        };
        let now = identity_of(api, sandbox);
        let Some(was) = ledger.identity(&location.id)? else {
            rebuild.push(true);
            continue;
        };
        rebuild.push(false);
        if was == now {
            continue;
        }
        if was.base_url == now.base_url && accept_new_key {
            tracing::warn!(
                location = %location.label(),
                "--accept-new-key: the ledger now records {} instead of {}",
                now.organisation,
                was.organisation
            );
            ledger.set_identity(&location.id, &now)?;
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
                 with --accept-new-key. Otherwise give this organisation its own ledger: set \
                 [state] ledger to a new file (its history is rebuilt from Annie on the first run)"
            } else {
                "Give this API its own ledger: set [state] ledger to a new file (its history is \
                 rebuilt from Annie on the first run), or point base_url back"
            }
        );
    }
    Ok(rebuild)
}

/// How far back a rebuild looks for patients who asked not to be called: such a request does
/// not expire, so further than the per-number rules look. Reading this far is best effort: once
/// the last [`LOOKBACK_DAYS`] are read, a list that cannot be read further only costs a warning.
pub const OPT_OUT_DAYS: i64 = 400;

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
    let region = location.practice.phone_region;
    let mut calls = Vec::new();
    let mut opt_outs = Vec::new();
    let mut keep = |c: &crate::api::ConversationSummary| {
        let started_at = start_of(c);
        let to_number = c.to_number.as_deref().and_then(|n| match n.trim() {
            n if n.starts_with('+') => Some(format!("+{}", digits(n))),
            n => phone::parse(n, region).ok().map(|p| p.e164),
        });
        let (Some(started_at), Some(to_number)) = (started_at, to_number) else {
            return false;
        };
        let call = RebuiltCall {
            conversation_id: c.conversation_id.clone(),
            to_number,
            started_at,
        };
        if Reading::read(&c.raw).do_not_call {
            opt_outs.push(call.clone());
        }
        if started_at >= calls_since {
            calls.push(call);
        }
        false
    };
    let since = now - Duration::days(OPT_OUT_DAYS);
    let read = match look_back(client, gate, since, &mut keep).await {
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
        Err(e) => anyhow::bail!(
            "the ledger has no call history for {} yet, and it could not be rebuilt from Annie \
             ({}); nothing was sent, so nobody is called twice. Rerun when Annie's conversation \
             list can be read",
            location.label(),
            e.error
        ),
    };
    let ledger = ledger.lock().unwrap_or_else(|p| p.into_inner());
    let added = ledger.add_rebuilt(&location.id, &calls)?;
    for o in &opt_outs {
        ledger.record_conversation(&ConversationRecord {
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
    }
    ledger.set_identity(&location.id, identity)?;
    tracing::info!(
        location = %location.label(),
        "the ledger had no history for this organisation: rebuilt the per-number history from {} \
         Annie conversations ({added} calls in the last {LOOKBACK_DAYS} days added, {} requests \
         not to be called in the last {OPT_OUT_DAYS} days) in {:.1} s",
        read.conversations,
        opt_outs.len(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
