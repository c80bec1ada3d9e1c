//! One call's request, with the retries that are safe, sorted into a [`Final`] outcome.

use std::time::Duration;

use backon::{BackoffBuilder, ExponentialBuilder};

use super::{Final, Shared};
use crate::api::{AnnieClient, CallOutcome};
use crate::plan::Call;

/// One call, with the retries that are safe: after an organisation rate limit (not processed),
/// after a failed connection (never sent), and after 502/503/504 (a gateway that did not pass
/// the request on). Everything else is final.
pub(super) async fn attempt(call: &Call, client: &AnnieClient, shared: &Shared) -> Final {
    let settings = &shared.d.location.dispatch;
    let backoff = |tries: u32| {
        ExponentialBuilder::default()
            .with_min_delay(Duration::from_millis(500))
            .with_max_delay(Duration::from_secs(30))
            .with_max_times(tries.saturating_sub(1) as usize)
            .with_jitter()
            .build()
    };
    let mut connect_backoff = backoff(settings.connect_attempts);
    let mut server_backoff = backoff(settings.server_error_attempts);
    let (mut rate_limited, mut connects, mut server_errors) = (0, 0, 0);
    loop {
        match client.start_call(&call.body_json).await {
            CallOutcome::Started { conversation_id } => return Final::Sent(conversation_id),
            CallOutcome::RateLimited { wait } => {
                rate_limited += 1;
                if rate_limited > settings.rate_limit_retries {
                    return Final::Failed {
                        http_status: Some(429),
                        reason: format!(
                            "still rate-limited by the API after {} retries",
                            settings.rate_limit_retries
                        ),
                        counts: false,
                    };
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
                    return Final::Failed {
                        http_status: None,
                        reason: format!(
                            "could not connect to the API ({connects} attempt{}): {error}",
                            if connects == 1 { "" } else { "s" }
                        ),
                        counts: false,
                    };
                };
                tracing::warn!(error = %error, retry_in_ms = delay.as_millis() as u64, "cannot connect to the API");
                tokio::time::sleep(delay).await;
            }
            CallOutcome::Rejected {
                status: status @ (502..=504),
                message,
            } => {
                server_errors += 1;
                let Some(delay) = server_backoff.next() else {
                    return Final::Failed {
                        http_status: Some(status),
                        reason: format!(
                            "{} ({server_errors} attempts)",
                            api_reason(status, &message)
                        ),
                        counts: true,
                    };
                };
                tracing::warn!(
                    status,
                    retry_in_ms = delay.as_millis() as u64,
                    "API gateway error; retrying"
                );
                tokio::time::sleep(delay).await;
            }
            CallOutcome::Rejected {
                status: status @ 500..=599,
                message,
            } => {
                return Final::Ambiguous {
                    http_status: Some(status),
                    reason: api_reason(status, &message),
                };
            }
            CallOutcome::Unauthorized { status, message } => {
                shared.d.stop.set(format!(
                    "not attempted: the API refused the API key (HTTP {status}); check the key and rerun"
                ));
                tracing::error!(status, "the API refused the API key; stopping the run");
                return Final::Failed {
                    http_status: Some(status),
                    reason: api_reason(status, &message),
                    counts: false,
                };
            }
            CallOutcome::Rejected { status, message } => {
                return Final::Failed {
                    http_status: Some(status),
                    reason: api_reason(status, &message),
                    counts: true,
                };
            }
            CallOutcome::NoAnswer { error } => {
                return Final::Ambiguous {
                    http_status: None,
                    reason: error,
                };
            }
        }
        // Only the retry paths get here.
        tokio::select! {
            _ = shared.d.gate.ready() => {}
            _ = shared.d.stop.wait() => {}
        }
        if let Some(reason) = shared.d.stop.reason() {
            return Final::NotAttempted(reason);
        }
    }
}

fn api_reason(status: u16, message: &str) -> String {
    if message.is_empty() {
        format!("the API answered HTTP {status}")
    } else {
        format!("the API answered HTTP {status}: {message}")
    }
}
