//! The sandbox enforces what the API documents. Each rule is checked over real HTTP.

use std::time::Duration;

use annie_dispatch::sandbox::{FailKind, Faults, Sandbox, SandboxConfig};
use chrono::{DateTime, Utc};
use reqwest::header::HeaderMap;
use serde_json::{json, Value};

const KEY: &str = "annie-sk-test";
const FROM: &str = "+13125550100";

async fn start(now: &str, tweak: impl FnOnce(&mut SandboxConfig)) -> Sandbox {
    let mut config = SandboxConfig::local(KEY, FROM, chrono_tz::America::Chicago);
    config.now = Some(
        DateTime::parse_from_rfc3339(now)
            .unwrap()
            .with_timezone(&Utc),
    );
    config.rpm = 1000;
    tweak(&mut config);
    Sandbox::start(config, false).await.unwrap()
}

struct Reply {
    status: u16,
    headers: HeaderMap,
    body: Value,
}

async fn send(sb: &Sandbox, method: &str, path: &str, body: Option<Value>, key: &str) -> Reply {
    let client = reqwest::Client::new();
    let url = format!("http://{}{path}", sb.addr());
    let mut req = match method {
        "POST" => client.post(url),
        _ => client.get(url),
    }
    .bearer_auth(key);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let r = req.send().await.unwrap();
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    let body = serde_json::from_str(&r.text().await.unwrap()).unwrap_or(Value::Null);
    Reply {
        status,
        headers,
        body,
    }
}

async fn call(sb: &Sandbox, body: Value) -> Reply {
    send(sb, "POST", "/v1/calls", Some(body), KEY).await
}

async fn advance(sb: &Sandbox, by: &str) {
    let r = send(sb, "POST", &format!("/_sandbox/advance?by={by}"), None, KEY).await;
    assert_eq!(r.status, 200);
}

fn to(number: &str) -> Value {
    json!({"fromNumber": FROM, "toNumber": number})
}

const DAYTIME: &str = "2026-11-24T10:00:00-06:00";

#[tokio::test]
async fn a_valid_call_starts_a_conversation_that_can_be_read_back() {
    let sb = start(DAYTIME, |c| c.close_after = Duration::from_secs(3600)).await;
    let r = call(&sb, to("+13125550147")).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["success"], true);
    let id = r.body["data"]["conversationId"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(id.len(), 36, "a UUID");
    for h in [
        "x-ratelimit-limit",
        "x-ratelimit-remaining",
        "x-ratelimit-reset",
    ] {
        assert!(r.headers.contains_key(h), "{h} on every response");
    }
    let got = send(&sb, "GET", &format!("/v1/conversations/{id}"), None, KEY).await;
    assert_eq!(got.body["data"]["toNumber"], "+13125550147");
    assert_eq!(got.body["data"]["status"], "OPEN");
    let start = got.body["data"]["startTime"].as_str().unwrap();
    assert!(
        start.starts_with("2026-11-24T16:00:00."),
        "the virtual clock: {start}"
    );
    advance(&sb, "2h").await;
    let later = send(&sb, "GET", &format!("/v1/conversations/{id}"), None, KEY).await;
    assert_eq!(later.body["data"]["status"], "CLOSED");
    assert_eq!(
        later.body["data"]["summary"],
        "The patient confirmed the appointment."
    );
    let missing = send(&sb, "GET", "/v1/conversations/nope", None, KEY).await;
    assert_eq!(missing.status, 404);
    assert_eq!(
        missing.body,
        json!({"success": false, "data": {}, "message": "conversation not found"})
    );
}

#[tokio::test]
async fn conversations_are_listed_newest_first_in_pages() {
    let sb = start(DAYTIME, |_| {}).await;
    for n in ["+13125550141", "+13125550142", "+13125550143"] {
        assert_eq!(call(&sb, to(n)).await.status, 200);
    }
    let page = send(&sb, "GET", "/v1/conversations?offset=1&limit=1", None, KEY).await;
    assert_eq!(
        page.body["data"]["pagination"],
        json!({"offset": 1, "limit": 1, "totalCount": 3})
    );
    assert_eq!(
        page.body["data"]["conversations"][0]["toNumber"],
        "+13125550142"
    );
    let first = send(&sb, "GET", "/v1/conversations", None, KEY).await;
    assert_eq!(
        first.body["data"]["conversations"][0]["toNumber"],
        "+13125550143"
    );
    assert_eq!(
        send(&sb, "GET", "/v1/conversations?limit=101", None, KEY)
            .await
            .status,
        400
    );
}

#[tokio::test]
async fn requests_without_the_key_are_refused() {
    let sb = start(DAYTIME, |_| {}).await;
    let r = send(&sb, "POST", "/v1/calls", Some(to("+13125550147")), "wrong").await;
    assert_eq!(r.status, 401);
    assert_eq!(r.body["success"], false);
    assert_eq!(r.body["message"], "missing or invalid API key");
}

#[tokio::test]
async fn invalid_requests_are_refused_with_a_message() {
    let sb = start(DAYTIME, |c| {
        c.allowlist = Some(["+13125550147".to_string()].into_iter().collect());
    })
    .await;
    let long = "x".repeat(501);
    let cases = [
        (
            json!({"toNumber": "+13125550147"}),
            400,
            "fromNumber is required",
        ),
        (
            json!({"fromNumber": FROM, "toNumber": "312-555-0147"}),
            400,
            "toNumber must be in E.164 format, e.g. +15559876543",
        ),
        (
            json!({"fromNumber": "+13125550999", "toNumber": "+13125550147"}),
            400,
            "fromNumber is not a phone number configured for this organisation",
        ),
        (
            json!({"fromNumber": FROM, "toNumber": "+13125550147", "context": long}),
            400,
            "context must be at most 500 characters",
        ),
        (
            json!({"fromNumber": FROM, "toNumber": "+13125550147", "patientInfo": {"firstName": "N".repeat(101)}}),
            400,
            "patientInfo.firstName must be at most 100 characters",
        ),
        (
            json!({"fromNumber": FROM, "toNumber": "+13125550147", "appointmentInfo": {"startTime": "tomorrow"}}),
            400,
            "appointmentInfo.startTime must be an ISO 8601 date-time",
        ),
        (
            json!({"fromNumber": FROM, "toNumber": "+13125550148"}),
            403,
            "toNumber is not on the allowlist",
        ),
    ];
    for (body, status, message) in cases {
        let r = call(&sb, body).await;
        assert_eq!(
            (r.status, r.body["message"].as_str().unwrap()),
            (status, message)
        );
        assert!(r.headers.contains_key("x-ratelimit-remaining"));
    }
}

#[tokio::test]
async fn calls_outside_legal_hours_are_refused() {
    let sb = start("2026-11-24T20:30:00-06:00", |_| {}).await;
    let r = call(&sb, to("+13125550147")).await;
    assert_eq!(r.status, 422);
    assert_eq!(
        r.body["message"],
        "calls are allowed only between 9 AM and 8 PM (America/Chicago)"
    );
}

#[tokio::test]
async fn per_number_rules_answer_429_without_rate_limit_headers() {
    let sb = start(DAYTIME, |_| {}).await;
    let number = "+13125550147";
    assert_eq!(call(&sb, to(number)).await.status, 200);
    let r = call(&sb, to(number)).await;
    assert_eq!(r.status, 429);
    assert_eq!(
        r.body["message"],
        "per-number limit: at least 24 hours between calls to a number"
    );
    assert!(
        !r.headers.contains_key("x-ratelimit-limit"),
        "a per-number 429 has no rate-limit headers"
    );
    // Two more on later days, then the fourth in a week is refused.
    for _ in 0..2 {
        advance(&sb, "25h").await;
        assert_eq!(call(&sb, to(number)).await.status, 200);
    }
    advance(&sb, "25h").await;
    let r = call(&sb, to(number)).await;
    assert_eq!(
        r.body["message"],
        "per-number limit: at most 3 calls to a number in 7 days"
    );
}

#[tokio::test]
async fn six_calls_in_thirty_days_and_the_cooldown_after_three_failures() {
    let sb = start(DAYTIME, |_| {}).await;
    let number = "+13125550147";
    for gap in ["0s", "25h", "25h", "6d", "25h", "25h"] {
        advance(&sb, gap).await;
        assert_eq!(call(&sb, to(number)).await.status, 200, "after {gap}");
    }
    advance(&sb, "6d").await;
    let r = call(&sb, to(number)).await;
    assert_eq!(
        r.body["message"],
        "per-number limit: at most 6 calls to a number in 30 days"
    );

    let other = "+13125550148";
    // Three refused attempts in a row (at night), then a daytime call is refused for 30 days.
    advance(&sb, "11h").await; // 21:00 or later
    for _ in 0..3 {
        assert_eq!(call(&sb, to(other)).await.status, 422);
    }
    advance(&sb, "13h").await;
    let r = call(&sb, to(other)).await;
    assert_eq!(
        r.body["message"],
        "per-number limit: 30 days' rest after 3 failed or unanswered calls in a row"
    );
}

#[tokio::test]
async fn the_organisation_rate_limit_answers_429_with_headers() {
    let sb = start(DAYTIME, |c| c.rpm = 3).await;
    let mut last = None;
    for i in 0..4 {
        last = Some(call(&sb, to(&format!("+1312555014{i}"))).await);
    }
    let r = last.unwrap();
    assert_eq!(r.status, 429);
    assert_eq!(r.body["message"], "organisation rate limit exceeded");
    assert_eq!(r.headers["x-ratelimit-limit"], "3");
    assert_eq!(r.headers["x-ratelimit-remaining"], "0");
    let retry: u64 = r.headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry));
}

#[tokio::test]
async fn faults_are_deterministic_and_sometimes_start_the_call_anyway() {
    let faulty = |seed| {
        move |c: &mut SandboxConfig| {
            c.faults = Faults {
                seed,
                fail_rate: 0.5,
                fail_kind: FailKind::ServerError,
                created_anyway: 0.5,
                ..Faults::default()
            }
        }
    };
    let mut runs = Vec::new();
    for _ in 0..2 {
        let sb = start(DAYTIME, faulty(7)).await;
        let mut statuses = Vec::new();
        for i in 0..20 {
            statuses.push(call(&sb, to(&format!("+131255501{i:02}"))).await.status);
        }
        let listed = send(&sb, "GET", "/v1/conversations?limit=100", None, KEY).await;
        let created = listed.body["data"]["pagination"]["totalCount"]
            .as_u64()
            .unwrap();
        runs.push((statuses, created));
    }
    assert_eq!(runs[0], runs[1], "same seed, same faults");
    let (statuses, created) = &runs[0];
    let failed = statuses.iter().filter(|s| **s == 500).count() as u64;
    let ok = statuses.iter().filter(|s| **s == 200).count() as u64;
    assert!(failed > 0 && ok > 0, "{statuses:?}");
    assert!(
        *created > ok,
        "some failed requests started their call anyway"
    );
}

#[tokio::test]
async fn reset_and_garbage_faults_break_the_response() {
    for (kind, check) in [(FailKind::Reset, "reset"), (FailKind::Garbage, "garbage")] {
        let sb = start(DAYTIME, |c| {
            c.faults = Faults {
                fail_rate: 1.0,
                fail_kind: kind,
                created_anyway: 0.0,
                ..Faults::default()
            }
        })
        .await;
        let sent = reqwest::Client::new()
            .post(format!("{}/calls", sb.base_url()))
            .bearer_auth(KEY)
            .json(&to("+13125550147"))
            .send()
            .await;
        match check {
            // The response breaks off: either before or while the body is read.
            "reset" => match sent {
                Err(e) => assert!(!e.is_connect(), "{e}"),
                Ok(r) => assert!(r.text().await.is_err(), "the body breaks off"),
            },
            _ => assert_eq!(
                sent.unwrap().text().await.unwrap(),
                "<html>upstream error</html>"
            ),
        }
    }
}

#[tokio::test]
async fn the_sandbox_listens_on_loopback_only() {
    let mut config = SandboxConfig::local(KEY, FROM, chrono_tz::America::Chicago);
    config.listen = "0.0.0.0:0".parse().unwrap();
    let err = Sandbox::start(config, false)
        .await
        .err()
        .unwrap()
        .to_string();
    assert!(
        err.starts_with("the sandbox listens on loopback only"),
        "{err}"
    );
}

#[tokio::test]
async fn the_request_log_has_a_line_per_call() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("requests.jsonl");
    let sb = start(DAYTIME, |c| c.log = Some(log.clone())).await;
    call(&sb, to("+13125550147")).await;
    call(&sb, to("+13125550147")).await;
    let lines: Vec<Value> = std::fs::read_to_string(&log)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["result"], "created");
    assert_eq!(
        lines[1]["result"],
        "refused: at least 24 hours between calls to a number"
    );
    assert_eq!(lines[0]["number"], lines[1]["number"]);
    assert!(
        !std::fs::read_to_string(&log).unwrap().contains("5550147"),
        "numbers are keyed, not logged"
    );
}

#[tokio::test]
async fn gateway_and_timeout_faults() {
    for (kind, status) in [(FailKind::BadGateway, 502), (FailKind::Unavailable, 503)] {
        let sb = start(DAYTIME, |c| {
            c.faults = Faults {
                fail_rate: 1.0,
                fail_kind: kind,
                ..Faults::default()
            }
        })
        .await;
        let r = call(&sb, to("+13125550147")).await;
        assert_eq!(r.status, status);
        assert_eq!(r.body["success"], false);
        let listed = send(&sb, "GET", "/v1/conversations", None, KEY).await;
        assert_eq!(
            listed.body["data"]["pagination"]["totalCount"], 0,
            "a gateway error never starts a call"
        );
    }
    let sb = start(DAYTIME, |c| {
        c.faults = Faults {
            fail_rate: 1.0,
            fail_kind: FailKind::Timeout,
            created_anyway: 1.0,
            hang: Duration::from_secs(30),
            ..Faults::default()
        }
    })
    .await;
    let client = reqwest::Client::builder()
        .timeout(Duration::from_millis(500))
        .build()
        .unwrap();
    let err = client
        .post(format!("{}/calls", sb.base_url()))
        .bearer_auth(KEY)
        .json(&to("+13125550147"))
        .send()
        .await
        .unwrap_err();
    assert!(err.is_timeout(), "{err}");
    let listed = send(&sb, "GET", "/v1/conversations", None, KEY).await;
    assert_eq!(
        listed.body["data"]["pagination"]["totalCount"], 1,
        "the call started anyway"
    );
}
