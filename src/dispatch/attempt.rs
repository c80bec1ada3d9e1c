//! One call's request, with the retries that are safe, sorted into a [`Final`] outcome.

use std::time::Duration;

use backon::{BackoffBuilder, ExponentialBuilder};

use super::shared::{Final, Shared};
use crate::api::{api_reason, AnnieClient, CallOutcome, Refusal};
use crate::plan::Call;
use crate::reason::{Reason, ReasonCode};
use crate::results::Status;

/// One call, with the only resends that are safe without looking first: after an organisation
/// rate limit (not processed) and after a failed connection (never sent). Everything else is
/// final: a refusal ends the row, an answer that cannot prove "not placed" is held for a look in
/// Annie ([`Final::Ambiguous`]), never resent.
pub(super) async fn attempt(call: &Call, client: &AnnieClient, shared: &Shared) -> Final {
    let settings = &shared.d.location.dispatch;
    let mut connect_backoff = ExponentialBuilder::default()
        .with_min_delay(Duration::from_millis(500))
        .with_max_delay(Duration::from_secs(30))
        .with_max_times(settings.connect_attempts.saturating_sub(1) as usize)
        .with_jitter()
        .build();
    let (mut rate_limited, mut connects) = (0, 0);
    loop {
        let outcome = client.start_call(&call.body_json).await;
        shared.note_forbidden(&outcome, &call.to_number);
        let placement = outcome.placement();
        match outcome {
            CallOutcome::Started { conversation_id } => return Final::Sent(conversation_id),
            CallOutcome::RateLimited { wait } => {
                rate_limited += 1;
                if rate_limited > settings.rate_limit_retries {
                    let reason = format!(
                        "still rate-limited by the API after {} retries",
                        settings.rate_limit_retries
                    );
                    let reason = Reason::new(ReasonCode::ApiUnreachable, reason);
                    return Final::failed(Some(429), reason, false);
                }
                tracing::warn!(
                    wait_secs = wait.as_secs_f64(),
                    "organisation rate limit reached (HTTP 429); pausing all sending"
                );
                shared.d.gate.pause_for(wait);
            }
            CallOutcome::Unreachable { error } => {
                connects += 1;
                let Some(delay) = connect_backoff.next() else {
                    let s = if connects == 1 { "" } else { "s" };
                    let reason =
                        format!("could not connect to the API ({connects} attempt{s}): {error}");
                    let reason = Reason::new(ReasonCode::ApiUnreachable, reason);
                    return Final::failed(None, reason, false);
                };
                tracing::warn!(error = %error, retry_in_ms = delay.as_millis() as u64, "cannot connect to the API");
                tokio::time::sleep(delay).await;
            }
            CallOutcome::Unauthorized { status, message } => {
                shared.stop_for_credentials(status);
                let reason =
                    Reason::new(ReasonCode::CredentialsRefused, api_reason(status, &message));
                return Final::failed(Some(status), reason, false);
            }
            CallOutcome::Refused {
                status,
                message,
                refusal,
            } => {
                let (row, code) = match refusal {
                    Refusal::CallingHours => (Status::Deferred, ReasonCode::CallingHours),
                    Refusal::Call | Refusal::Forbidden => {
                        (Status::Failed, ReasonCode::RefusedByApi)
                    }
                };
                let mut reason = api_reason(status, &message);
                if status == 429 {
                    // A per-number limit: Annie knows of a recent call to this number that this
                    // run did not make, perhaps about this very appointment (another run, another
                    // machine). The patient's other numbers are not tried.
                    reason.push_str(PER_NUMBER_REFUSAL);
                }
                return Final::Refused {
                    http_status: status,
                    reason: Reason::new(code, reason),
                    row,
                };
            }
            CallOutcome::Unknown { status, reason } => {
                return Final::Ambiguous {
                    http_status: status,
                    reason,
                };
            }
        }
        // Only the retry paths get here, and only after an answer that proves no call was placed
        // (a 429, no connection): the request may go again. Should a retry path ever be given
        // an answer that does not prove it, the call is held for a look in Annie instead.
        if placement.may_exist() {
            return Final::Ambiguous {
                http_status: None,
                reason: "the API's answer does not prove that no call was placed".to_string(),
            };
        }
        tokio::select! {
            _ = shared.d.gate.ready() => {}
            _ = shared.d.stop.wait() => {}
        }
        if let Some(reason) = shared.d.stop.reason() {
            return Final::NotAttempted(reason);
        }
    }
}

/// Added to the reason of a per-number refusal (HTTP 429 without rate-limit headers).
pub(crate) const PER_NUMBER_REFUSAL: &str = "; Annie limits calls to one number (at least 24 \
     hours apart, a few a week), so this number may have been called recently, perhaps about this \
     appointment by another run or machine: not tried on the patient's other numbers. Look in \
     Annie's conversations before reminding the patient another way";
