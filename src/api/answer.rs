//! What an answer from the API proved, sorted from its status, headers and body. Pure, so every
//! branch is unit-tested; the HTTP is in [`super::client`].

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use reqwest::header::{HeaderMap, RETRY_AFTER};
use reqwest::StatusCode;
use serde::Deserialize;

use crate::placement::Placement;

/// What one `POST /calls` answer proved. [`CallOutcome::placement`] says whether a call may
/// exist; the variants say what the dispatcher does next.
#[derive(Debug, Clone, PartialEq)]
pub enum CallOutcome {
    /// The call was started (placed).
    Started { conversation_id: String },
    /// Organisation rate limit (429 with `X-RateLimit-*` headers): not processed, safe to resend
    /// after `wait`.
    RateLimited { wait: Duration },
    /// The credentials were refused (401, or a 403 whose message names the key or token):
    /// nothing else this organisation sends will work either. Not placed.
    Unauthorized { status: u16, message: String },
    /// A refusal about this one call: validation, allowlist, per-number limit, legal hours. Not
    /// placed; the row ends, the run goes on.
    Refused {
        status: u16,
        message: String,
        refusal: Refusal,
    },
    /// No connection could be made: the request never left, safe to resend.
    Unreachable { error: String },
    /// Anything that cannot prove the request never reached Annie (timeout, reset, 5xx, a 2xx
    /// that cannot be read): a call may or may not have been placed.
    Unknown { status: Option<u16>, reason: String },
}

/// What kind of refusal a 4xx was, read from its status and message (the API documents
/// neither, so this is a defensive reading: see docs/safety.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Validation, allowlist, per-number limit: this call, as it is, will not be placed.
    Call,
    /// Outside the legal calling hours: the call may go later.
    CallingHours,
    /// A 403 that names neither the call nor the credentials. It belongs to the row, but the
    /// same answer for several different numbers in a row means the credentials.
    Forbidden,
}

impl CallOutcome {
    /// Whether this answer could have placed a call.
    pub fn placement(&self) -> Placement {
        match self {
            CallOutcome::Started { conversation_id } => Placement::Placed(conversation_id.clone()),
            CallOutcome::Unknown { .. } => Placement::MaybePlaced,
            CallOutcome::RateLimited { .. }
            | CallOutcome::Unauthorized { .. }
            | CallOutcome::Refused { .. }
            | CallOutcome::Unreachable { .. } => Placement::NotPlaced,
        }
    }
}

/// One conversation from `GET /conversations`: what reconciliation matches on, and the whole
/// item as Annie sent it (a lost ledger's rebuild reads opt-outs from it).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConversationSummary {
    pub conversation_id: String,
    pub to_number: Option<String>,
    pub from_number: Option<String>,
    pub start_time: Option<String>,
    #[serde(skip)]
    pub raw: serde_json::Value,
}

/// What one `GET /conversations` page request gave.
#[derive(Debug, Clone, PartialEq)]
pub enum ListOutcome {
    Page {
        conversations: Vec<ConversationSummary>,
        total: Option<u64>,
    },
    RateLimited {
        wait: Duration,
    },
    /// A 4xx: asking again will not help.
    Refused {
        error: String,
    },
    /// A 401 or 403: the credentials were refused (`--accept-new-key` must not record them).
    Unauthorized {
        error: String,
    },
    /// Anything else (no connection, a 5xx, an unreadable page): worth another try.
    Failed {
        error: String,
    },
}

#[derive(Deserialize)]
pub(super) struct ListData {
    pub(super) conversations: Vec<serde_json::Value>,
    pub(super) pagination: Option<Pagination>,
}

/// Each listed item, with the item kept whole; `None` if any lacks the documented fields.
pub(super) fn summaries(items: Vec<serde_json::Value>) -> Option<Vec<ConversationSummary>> {
    items
        .into_iter()
        .map(|raw| {
            let summary = serde_json::from_value::<ConversationSummary>(raw.clone()).ok()?;
            Some(ConversationSummary { raw, ..summary })
        })
        .collect()
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Pagination {
    pub(super) total_count: Option<u64>,
}

/// What `GET /conversations/{id}` gave.
#[derive(Debug, Clone, PartialEq)]
pub enum GetOutcome {
    Found(serde_json::Value),
    RateLimited { wait: Duration },
    Failed { status: Option<u16>, error: String },
}

/// Longest rate-limit pause we accept from the server's headers before trying again anyway.
const MAX_RATE_LIMIT_WAIT: Duration = Duration::from_secs(300);
/// Pause used when a 429 carries rate-limit headers but no reset time.
const DEFAULT_RATE_LIMIT_WAIT: Duration = Duration::from_secs(60);

#[derive(Deserialize)]
pub(super) struct Envelope {
    pub(super) success: Option<bool>,
    pub(super) data: Option<serde_json::Value>,
    pub(super) message: Option<String>,
}

/// Sorts a response into an outcome. Separate from the I/O so every branch is unit-tested.
///
/// Only answers that prove the request was not processed are refusals: 401, a 429 with the
/// organisation's rate-limit headers, and the 4xx codes that mean "this request, as sent, is
/// refused" (400, 403, 404, 405, 406, 410, 411, 413, 414, 415, 422, 451, and a 429 without
/// rate-limit headers, which is a per-number limit). Every other answer, including any 5xx, a
/// 408 or 409, a redirect and a 2xx without a readable conversation id, may have placed a call.
pub fn classify(
    status: StatusCode,
    headers: &HeaderMap,
    body: &str,
    now: SystemTime,
) -> CallOutcome {
    let envelope: Option<Envelope> = serde_json::from_str(body).ok();
    let message = envelope
        .as_ref()
        .and_then(|e| e.message.clone())
        .unwrap_or_else(|| snippet(body));
    let code = status.as_u16();

    if status.is_success() {
        let id = envelope.as_ref().and_then(|e| {
            e.data
                .as_ref()?
                .get("conversationId")?
                .as_str()
                .filter(|s| !s.trim().is_empty())
                .map(str::to_string)
        });
        let reason = match (&envelope, envelope.as_ref().and_then(|e| e.success), id) {
            (_, Some(true), Some(conversation_id)) => {
                return CallOutcome::Started { conversation_id }
            }
            (None, _, _) => format!("HTTP {code} but the answer could not be read ({message})"),
            (Some(_), Some(true), None) => {
                format!("HTTP {code} reported success but sent no conversationId")
            }
            (Some(_), _, _) if message.is_empty() => {
                format!("HTTP {code} but the API did not report success")
            }
            (Some(_), _, _) => format!("HTTP {code} but the API did not report success: {message}"),
        };
        return CallOutcome::Unknown {
            status: Some(code),
            reason,
        };
    }
    let refused = |refusal| CallOutcome::Refused {
        status: code,
        message: message.clone(),
        refusal,
    };
    // A limit on calls to one number ("at least 24 hours between calls to a number") speaks
    // of hours too, but it is a refusal of this number, not of the time of day: the call goes to
    // the patient's next number, or fails for a person to see, never waits for tomorrow.
    let about_hours = || {
        let m = message.to_lowercase();
        let number_limit = [
            "per-number",
            "per number",
            "between calls",
            "calls to a number",
            "calls to this number",
        ]
        .iter()
        .any(|w| m.contains(w));
        let clock_times = m.contains("between") && (m.contains(" am") || m.contains(" pm"));
        clock_times
            || (!number_limit
                && ["hour", "legal", "calling window", "time of day"]
                    .iter()
                    .any(|w| m.contains(w)))
    };
    match code {
        401 => CallOutcome::Unauthorized {
            status: code,
            message,
        },
        429 if has_rate_limit_headers(headers) => CallOutcome::RateLimited {
            wait: rate_limit_wait(headers, now),
        },
        403 => {
            let m = message.to_lowercase();
            let names = |words: &[&str]| words.iter().any(|w| m.contains(w));
            if names(&["allowlist", "allow list", "whitelist", "number"]) {
                refused(Refusal::Call)
            } else if about_hours() {
                refused(Refusal::CallingHours)
            } else if names(&["key", "token", "credential", "auth", "permission", "scope"]) {
                CallOutcome::Unauthorized {
                    status: code,
                    message,
                }
            } else {
                refused(Refusal::Forbidden)
            }
        }
        400 | 404..=406 | 410 | 411 | 413..=415 | 422 | 429 | 451 => match about_hours() {
            true => refused(Refusal::CallingHours),
            false => refused(Refusal::Call),
        },
        _ => CallOutcome::Unknown {
            status: Some(code),
            reason: api_reason(code, &message),
        },
    }
}

/// "the API answered HTTP 500: internal error", for result rows.
pub fn api_reason(status: u16, message: &str) -> String {
    if message.is_empty() {
        format!("the API answered HTTP {status}")
    } else {
        format!("the API answered HTTP {status}: {message}")
    }
}

pub(super) fn has_rate_limit_headers(headers: &HeaderMap) -> bool {
    headers
        .keys()
        .any(|k| k.as_str().to_ascii_lowercase().starts_with("x-ratelimit-"))
}

/// How long to pause: the later of `Retry-After` and `X-RateLimit-Reset` (epoch seconds),
/// bounded by [`MAX_RATE_LIMIT_WAIT`].
pub(super) fn rate_limit_wait(headers: &HeaderMap, now: SystemTime) -> Duration {
    let text = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
    };
    let retry_after = text(RETRY_AFTER.as_str()).and_then(|v| {
        v.parse::<u64>().ok().map(Duration::from_secs).or_else(|| {
            let at = chrono::DateTime::parse_from_rfc2822(v).ok()?;
            let at = UNIX_EPOCH + Duration::from_secs(at.timestamp().max(0) as u64);
            Some(at.duration_since(now).unwrap_or_default())
        })
    });
    let reset = text("x-ratelimit-reset")
        .and_then(|v| v.parse::<f64>().ok())
        .map(|epoch| {
            let at = UNIX_EPOCH + Duration::from_secs_f64(epoch.max(0.0));
            at.duration_since(now).unwrap_or_default()
        });
    match (retry_after, reset) {
        (None, None) => DEFAULT_RATE_LIMIT_WAIT,
        (a, b) => a.max(b).unwrap_or_default().min(MAX_RATE_LIMIT_WAIT),
    }
}

/// A short, printable excerpt of a body that was not the documented JSON.
pub(super) fn snippet(body: &str) -> String {
    let clean: String = body
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let clean = clean.trim();
    match clean.char_indices().nth(200) {
        Some((i, _)) => format!("{}…", &clean[..i]),
        None => clean.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    const NOW: Duration = Duration::from_secs(1_800_000_000);

    #[test]
    fn success_needs_a_readable_conversation_id_else_a_call_may_exist() {
        let now = UNIX_EPOCH + NOW;
        let ok = r#"{"success":true,"data":{"conversationId":"c-1"}}"#;
        let started = classify(StatusCode::OK, &HeaderMap::new(), ok, now);
        assert_eq!(started.placement(), Placement::Placed("c-1".into()));
        for (body, reason) in [
            (
                r#"{"success":true,"data":{}}"#,
                "HTTP 200 reported success but sent no conversationId",
            ),
            (
                r#"{"success":true,"data":{"convers"#,
                r#"HTTP 200 but the answer could not be read ({"success":true,"data":{"convers)"#,
            ),
            (
                r#"{"success":false,"data":{},"message":"hmm"}"#,
                "HTTP 200 but the API did not report success: hmm",
            ),
        ] {
            let outcome = classify(StatusCode::OK, &HeaderMap::new(), body, now);
            assert_eq!(
                outcome,
                CallOutcome::Unknown {
                    status: Some(200),
                    reason: reason.into()
                }
            );
            assert_eq!(outcome.placement(), Placement::MaybePlaced);
        }
    }

    #[test]
    fn refusals_about_one_call_belong_to_the_row() {
        let now = UNIX_EPOCH + NOW;
        let body = |m: &str| format!(r#"{{"success":false,"data":{{}},"message":"{m}"}}"#);
        let cases = [
            (
                403,
                "toNumber is not on the organisation's allowlist",
                Refusal::Call,
            ),
            (400, "toNumber must be in E.164 format", Refusal::Call),
            (
                422,
                "calls are allowed only between 9 AM and 8 PM",
                Refusal::CallingHours,
            ),
            (403, "forbidden", Refusal::Forbidden),
            // The sandbox's per-number refusal: about the number, though it names hours.
            (
                429,
                "per-number limit: at least 24 hours between calls to a number",
                Refusal::Call,
            ),
            (
                422,
                "calls to this number are limited to 1 per 24 hours",
                Refusal::Call,
            ),
            (
                422,
                "calls to this number are allowed only between 9 AM and 8 PM local time",
                Refusal::CallingHours,
            ),
        ];
        for (status, message, refusal) in cases {
            let status = StatusCode::from_u16(status).unwrap();
            let outcome = classify(status, &HeaderMap::new(), &body(message), now);
            assert_eq!(
                outcome,
                CallOutcome::Refused {
                    status: status.as_u16(),
                    message: message.into(),
                    refusal
                }
            );
            assert_eq!(outcome.placement(), Placement::NotPlaced);
        }
        let key = classify(
            StatusCode::FORBIDDEN,
            &HeaderMap::new(),
            &body("invalid API key"),
            now,
        );
        assert!(matches!(key, CallOutcome::Unauthorized { status: 403, .. }));
    }

    #[test]
    fn org_rate_limit_waits_for_the_later_of_reset_and_retry_after() {
        let now = UNIX_EPOCH + NOW;
        let reset = (NOW.as_secs() + 7).to_string();
        let h = headers(&[
            ("x-ratelimit-limit", "60"),
            ("x-ratelimit-reset", &reset),
            ("retry-after", "3"),
        ]);
        assert_eq!(
            classify(StatusCode::TOO_MANY_REQUESTS, &h, "{}", now),
            CallOutcome::RateLimited {
                wait: Duration::from_secs(7)
            }
        );
        let far = (NOW.as_secs() + 86_400).to_string();
        let h = headers(&[("x-ratelimit-reset", &far)]);
        assert_eq!(
            classify(StatusCode::TOO_MANY_REQUESTS, &h, "{}", now),
            CallOutcome::RateLimited {
                wait: MAX_RATE_LIMIT_WAIT
            }
        );
    }

    #[test]
    fn a_429_without_rate_limit_headers_is_a_per_number_refusal() {
        let now = UNIX_EPOCH + NOW;
        let body = r#"{"success":false,"message":"too many calls to this number"}"#;
        assert_eq!(
            classify(StatusCode::TOO_MANY_REQUESTS, &HeaderMap::new(), body, now),
            CallOutcome::Refused {
                status: 429,
                message: "too many calls to this number".into(),
                refusal: Refusal::Call
            }
        );
    }

    #[test]
    fn server_errors_and_odd_answers_may_have_placed_the_call() {
        let now = UNIX_EPOCH + NOW;
        assert!(matches!(
            classify(StatusCode::UNAUTHORIZED, &HeaderMap::new(), "", now),
            CallOutcome::Unauthorized { status: 401, .. }
        ));
        for code in [500, 502, 503, 504, 408, 409, 307] {
            let outcome = classify(
                StatusCode::from_u16(code).unwrap(),
                &HeaderMap::new(),
                "<html>\nBad gateway</html>",
                now,
            );
            assert_eq!(
                outcome,
                CallOutcome::Unknown {
                    status: Some(code),
                    reason: format!("the API answered HTTP {code}: <html> Bad gateway</html>")
                }
            );
            assert_eq!(outcome.placement(), Placement::MaybePlaced);
        }
    }
}
