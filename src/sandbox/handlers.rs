//! The sandbox's routes. Every error body is `{"success": false, "data": {}, "message": ...}`;
//! every response but a per-number 429 carries the organisation's `X-RateLimit-*` headers.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

use super::faults::FailKind;
use super::state::{number_key, RateWindow, SandboxState};
use crate::hours;
use crate::ledger::Outcome;
use crate::number_rules;

type Shared = Arc<SandboxState>;

pub fn router(state: Shared) -> Router {
    Router::new()
        .route("/v1/calls", post(start_call))
        .route("/v1/conversations", get(list_conversations))
        .route("/v1/conversations/{id}", get(get_conversation))
        .route("/_sandbox/advance", post(advance_clock))
        .layer(middleware::from_fn_with_state(state.clone(), gatekeeper))
        .with_state(state)
}

fn error(status: StatusCode, message: &str) -> Response {
    (
        status,
        Json(json!({"success": false, "data": {}, "message": message})),
    )
        .into_response()
}

fn rate_headers(headers: &mut HeaderMap, w: &RateWindow) {
    let mut put = |name: &'static str, value: String| {
        if let Ok(v) = HeaderValue::from_str(&value) {
            headers.insert(name, v);
        }
    };
    put("x-ratelimit-limit", w.limit.to_string());
    put("x-ratelimit-remaining", w.remaining.to_string());
    put("x-ratelimit-reset", w.reset.to_string());
}

/// Authentication, the organisation rate limit, jitter and latency, for every route.
async fn gatekeeper(State(state): State<Shared>, request: Request, next: Next) -> Response {
    let (method, path) = (
        request.method().to_string(),
        request.uri().path().to_string(),
    );
    let authorised = request
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .is_some_and(|key| key == state.config.api_key);
    // Network jitter on the way in: the request reaches the rate-limit counter late.
    let jitter = state.jitter();
    if !jitter.is_zero() {
        tokio::time::sleep(jitter).await;
    }
    let window = state.take_rate_slot();
    let mut response = if !authorised {
        error(StatusCode::UNAUTHORIZED, "missing or invalid API key")
    } else if window.exceeded {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs();
        let mut r = error(
            StatusCode::TOO_MANY_REQUESTS,
            "organisation rate limit exceeded",
        );
        if let Ok(v) = HeaderValue::from_str(&window.reset.saturating_sub(now).max(1).to_string()) {
            r.headers_mut().insert("retry-after", v);
        }
        r
    } else {
        next.run(request).await
    };
    // Latency is added after the work is done, as on a slow network: the call has started, the
    // answer is still on its way (the window in which a client crash leaves a call uncertain).
    let latency = state.config.faults.latency;
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let per_number_429 = response.headers().contains_key("x-sandbox-per-number");
    if per_number_429 {
        response.headers_mut().remove("x-sandbox-per-number");
    } else {
        rate_headers(response.headers_mut(), &window);
    }
    if response.status() == StatusCode::UNAUTHORIZED || window.exceeded {
        state.log(json!({"method": method, "path": path, "status": response.status().as_u16()}));
    }
    response
}

/// Checks a call request the way the API documents it. `Err` is the refusal.
/// A refused request: its status and message.
type Refusal = (StatusCode, String);

fn validate(state: &SandboxState, body: &Value) -> Result<(String, String), Refusal> {
    let bad = |m: String| (StatusCode::BAD_REQUEST, m);
    let text = |v: &Value, name: &str| -> Result<Option<String>, Refusal> {
        match v.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(bad(format!("{name} must be a string"))),
        }
    };
    if !body.is_object() {
        return Err(bad("the body must be a JSON object".into()));
    }
    let e164 = |n: &str| {
        n.len() >= 8
            && n.len() <= 16
            && n.starts_with('+')
            && n[1..].chars().all(|c| c.is_ascii_digit())
            && !n[1..].starts_with('0')
    };
    let from = text(body, "fromNumber")?.ok_or_else(|| bad("fromNumber is required".into()))?;
    let to = text(body, "toNumber")?.ok_or_else(|| bad("toNumber is required".into()))?;
    for (name, n) in [("fromNumber", &from), ("toNumber", &to)] {
        if !e164(n) {
            return Err(bad(format!(
                "{name} must be in E.164 format, e.g. +15559876543"
            )));
        }
    }
    if !state.config.from_numbers.contains(&from) {
        return Err(bad(
            "fromNumber is not a phone number configured for this organisation".into(),
        ));
    }
    for (object, fields, limit) in [
        (
            "patientInfo",
            &["firstName", "lastName", "dateOfBirth", "patientId"][..],
            100,
        ),
        (
            "appointmentInfo",
            &[
                "startTime",
                "endTime",
                "appointmentTypeId",
                "appointmentDescription",
                "appointmentId",
            ][..],
            usize::MAX,
        ),
    ] {
        match body.get(object) {
            None | Some(Value::Null) => {}
            Some(Value::Object(o)) => {
                let inner = Value::Object(o.clone());
                for f in fields {
                    if let Some(s) = text(&inner, f)? {
                        if (*f == "firstName" || *f == "lastName") && s.chars().count() > limit {
                            return Err(bad(format!(
                                "{object}.{f} must be at most {limit} characters"
                            )));
                        }
                        let is_time = ["startTime", "endTime", "dateOfBirth"].contains(f);
                        if is_time && chrono::DateTime::parse_from_rfc3339(&s).is_err() {
                            return Err(bad(format!("{object}.{f} must be an ISO 8601 date-time")));
                        }
                    }
                }
            }
            Some(_) => return Err(bad(format!("{object} must be an object"))),
        }
    }
    for name in ["context", "voicemailMessage"] {
        if let Some(s) = text(body, name)? {
            if s.chars().count() > 500 {
                return Err(bad(format!("{name} must be at most 500 characters")));
            }
        }
    }
    if let Some(allow) = &state.config.allowlist {
        if !allow.contains(&to) {
            return Err((
                StatusCode::FORBIDDEN,
                "toNumber is not on the allowlist".into(),
            ));
        }
    }
    Ok((from, to))
}

async fn start_call(State(state): State<Shared>, body: axum::body::Bytes) -> Response {
    let parsed: Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(_) => return error(StatusCode::BAD_REQUEST, "the body is not valid JSON"),
    };
    let appointment = parsed["appointmentInfo"]["appointmentId"].clone();
    let log = |status: u16, to: &str, result: &str| {
        state.log(json!({
            "method": "POST", "path": "/v1/calls", "status": status,
            "number": if to.is_empty() { Value::Null } else { Value::from(number_key(to)) },
            "appointmentId": appointment, "result": result
        }))
    };
    let (from, to) = match validate(&state, &parsed) {
        Ok(pair) => pair,
        Err((status, message)) => {
            log(status.as_u16(), "", "refused: invalid request");
            return error(status, &message);
        }
    };
    let now = state.now();
    let hours = hours::CallingHours {
        org_zone: state.config.timezone,
        org: hours::api_window(),
        recipient: hours::legal_window(),
    };
    if hours.org_open(now).is_err() {
        state.note_attempt(&to, Outcome::Failed);
        log(422, &to, "refused: outside legal hours");
        let message = format!(
            "calls are allowed only between 9 AM and 8 PM ({})",
            state.config.timezone
        );
        return error(StatusCode::UNPROCESSABLE_ENTITY, &message);
    }
    if let Some(blocked) = number_rules::check(&state.history(&to), now) {
        log(429, &to, &format!("refused: {}", blocked.rule));
        let mut r = error(
            StatusCode::TOO_MANY_REQUESTS,
            &format!("per-number limit: {}", blocked.rule),
        );
        r.headers_mut()
            .insert("x-sandbox-per-number", HeaderValue::from_static("1"));
        return r;
    }
    let faults = &state.config.faults;
    if faults.fail_rate > 0.0 && state.roll() < faults.fail_rate {
        let kind = faults.fail_kind;
        let created = kind.ambiguous() && state.roll() < faults.created_anyway;
        if created {
            state.start_conversation(&to, &from);
            state.note_attempt(&to, Outcome::Sent);
        }
        let result = format!(
            "fault: {}{}",
            kind.name(),
            if created { " (call started)" } else { "" }
        );
        return fault(kind, faults.hang, &log, &to, &result).await;
    }
    let id = state.start_conversation(&to, &from);
    state.note_attempt(&to, Outcome::Sent);
    log(200, &to, "created");
    Json(json!({"success": true, "data": {"conversationId": id}})).into_response()
}

async fn fault(
    kind: FailKind,
    hang: std::time::Duration,
    log: &impl Fn(u16, &str, &str),
    to: &str,
    result: &str,
) -> Response {
    match kind {
        FailKind::ServerError => {
            log(500, to, result);
            error(StatusCode::INTERNAL_SERVER_ERROR, "internal error")
        }
        FailKind::BadGateway => {
            log(502, to, result);
            error(StatusCode::BAD_GATEWAY, "bad gateway")
        }
        FailKind::Unavailable => {
            log(503, to, result);
            error(StatusCode::SERVICE_UNAVAILABLE, "service unavailable")
        }
        FailKind::Garbage => {
            log(200, to, result);
            (StatusCode::OK, "<html>upstream error</html>").into_response()
        }
        FailKind::Reset => {
            log(200, to, result);
            // Headers go out, then the body breaks off: the client sees a reset mid-response.
            let broken = futures_util::stream::iter([
                Ok(bytes::Bytes::from_static(b"{\"success\": tr")),
                Err(std::io::Error::new(
                    std::io::ErrorKind::ConnectionReset,
                    "reset",
                )),
            ]);
            Response::builder()
                .status(StatusCode::OK)
                .header("content-type", "application/json")
                .body(Body::from_stream(broken))
                .unwrap_or_else(|_| error(StatusCode::INTERNAL_SERVER_ERROR, "internal error"))
        }
        FailKind::Timeout => {
            log(0, to, result);
            tokio::time::sleep(hang).await;
            error(StatusCode::GATEWAY_TIMEOUT, "timed out")
        }
    }
}

#[derive(Deserialize)]
struct Page {
    offset: Option<String>,
    limit: Option<String>,
}

async fn list_conversations(State(state): State<Shared>, Query(page): Query<Page>) -> Response {
    let number = |v: Option<String>, default: usize| match v {
        None => Some(default),
        Some(s) => s.parse::<usize>().ok(),
    };
    let (Some(offset), Some(limit)) = (number(page.offset, 0), number(page.limit, 20)) else {
        return error(
            StatusCode::BAD_REQUEST,
            "offset and limit must be whole numbers",
        );
    };
    if !(1..=100).contains(&limit) {
        return error(StatusCode::BAD_REQUEST, "limit must be between 1 and 100");
    }
    let all = state.conversations();
    let page: Vec<Value> = all
        .iter()
        .skip(offset)
        .take(limit)
        .map(|c| state.describe(c))
        .collect();
    state.log(json!({"method": "GET", "path": "/v1/conversations", "status": 200, "offset": offset, "limit": limit}));
    Json(json!({
        "success": true,
        "data": {
            "conversations": page,
            "pagination": {"offset": offset, "limit": limit, "totalCount": all.len()}
        }
    }))
    .into_response()
}

async fn get_conversation(State(state): State<Shared>, Path(id): Path<String>) -> Response {
    state.log(json!({"method": "GET", "path": "/v1/conversations/{id}", "conversationId": id}));
    match state.conversation(&id) {
        Some(c) => Json(json!({"success": true, "data": state.describe(&c)})).into_response(),
        None => error(StatusCode::NOT_FOUND, "conversation not found"),
    }
}

#[derive(Deserialize)]
struct Advance {
    by: String,
}

/// `POST /_sandbox/advance?by=25h`: not part of the Annie API. Moves the sandbox's clock forward
/// so a rehearsal (or a test) can see per-number rules and conversation states change.
async fn advance_clock(State(state): State<Shared>, Query(a): Query<Advance>) -> Response {
    let Ok(by) = humantime::parse_duration(&a.by) else {
        return error(StatusCode::BAD_REQUEST, "by must be a duration such as 25h");
    };
    state.advance(chrono::Duration::from_std(by).unwrap_or_default());
    Json(json!({"success": true, "data": {"now": state.now().to_rfc3339()}})).into_response()
}
