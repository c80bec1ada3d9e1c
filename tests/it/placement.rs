//! "Could this request have placed a call?": only an answer that proves it did not may be
//! resent; everything else is looked for in Annie and never sent again until a complete
//! look-back proves there is no call. A refusal about one call ends that row only.

use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use wiremock::matchers::{body_partial_json, method, path};
use wiremock::{Mock, Request, Respond, ResponseTemplate};

use crate::harness::{e164_for, od_row, Test};
use crate::mock::{Annie, State};

/// Answers one appointment's (first) call with `status` and a raw `body`, starting the call in Annie
/// first when `placed`.
struct Answer {
    state: Arc<State>,
    placed: bool,
    status: u16,
    body: &'static str,
}

impl Respond for Answer {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        if self.placed {
            self.state.start_conversation(request);
        }
        ResponseTemplate::new(self.status).set_body_raw(self.body, "application/json")
    }
}

async fn answer(annie: &Annie, id: &str, placed: bool, status: u16, body: &'static str) {
    Mock::given(method("POST"))
        .and(path("/v1/calls"))
        .and(body_partial_json(
            json!({"appointmentInfo": {"appointmentId": id}}),
        ))
        .respond_with(Answer {
            state: annie.state.clone(),
            placed,
            status,
            body,
        })
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&annie.server)
        .await;
}

const TRUNCATED: &str = r#"{"success":true,"data":{"convers"#;
const NO_ID: &str = r#"{"success":true,"data":{}}"#;
const BAD_GATEWAY: &str = r#"{"success":false,"data":{},"message":"bad gateway"}"#;
const TIMED_OUT: &str = r#"{"success":false,"data":{},"message":"upstream timed out"}"#;

#[tokio::test(flavor = "multi_thread")]
async fn answers_that_may_have_placed_a_call_are_never_failed_and_never_resent() {
    let annie = Annie::start().await;
    // Each answer twice over: once after Annie started the call, once without a call.
    let cases = [
        ("T1", true, 200, TRUNCATED),
        ("T2", false, 200, TRUNCATED),
        ("N1", true, 200, NO_ID),
        ("N2", false, 200, NO_ID),
        ("G1", true, 502, BAD_GATEWAY),
        ("G2", false, 502, BAD_GATEWAY),
        ("W1", true, 504, TIMED_OUT),
        ("W2", false, 504, TIMED_OUT),
    ];
    for (id, placed, status, body) in cases {
        answer(&annie, id, placed, status, body).await;
    }
    let rows: Vec<String> = cases.iter().map(|c| od_row(c.0, &[])).collect();
    let rows: Vec<&str> = rows.iter().map(String::as_str).collect();
    // Eight doubtful answers in a row would otherwise trip the breaker.
    let config = crate::harness::CONFIG
        .replace("max_in_flight = 4", "max_in_flight = 4\nbreaker_after = 20");
    let t = Test::new()
        .server(&annie.base_url())
        .config(&config)
        .od_rows(&rows);
    let first = t.run_async().await;
    first.assert_status(1);
    for (id, placed, status, _) in cases {
        let row = first.result_for(id);
        assert_ne!(row["status"], "failed", "{row:?}");
        assert_eq!(row["http_status"], status.to_string(), "{row:?}");
        if placed {
            assert_eq!(row["status"], "sent", "{row:?}");
            assert_eq!(row["conversation_id"], format!("conv-{id}"));
        } else {
            assert_eq!(row["status"], "uncertain", "{row:?}");
            assert_eq!(row["conversation_id"], "");
        }
    }
    assert_eq!(
        first.result_for("T2")["reason"],
        "HTTP 200 but the answer could not be read ({\"success\":true,\"data\":{\"convers); \
         Annie shows no call after it (complete look-back). Not resent: rerun with \
         --retry-uncertain to call"
    );
    assert_eq!(
        first.result_for("N1")["reason"],
        "HTTP 200 reported success but sent no conversationId, but Annie shows the call"
    );
    assert_eq!(
        first.result_for("G2")["reason"],
        "the API answered HTTP 502: bad gateway; Annie shows no call after it (complete \
         look-back). Not resent: rerun with --retry-uncertain to call"
    );
    assert_eq!(
        annie.posts().await.len(),
        8,
        "one request each, no blind retries"
    );

    let second = t.run_async().await;
    assert_eq!(
        annie.posts().await.len(),
        8,
        "a rerun sends none of them again"
    );
    for (id, placed, _, _) in cases {
        let expected = if placed { "skipped" } else { "uncertain" };
        assert_eq!(second.result_for(id)["status"], expected, "{id}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn retry_uncertain_sends_only_what_a_complete_look_back_proves_absent() {
    let annie = Annie::start().await;
    answer(
        &annie,
        "U500",
        false,
        500,
        r#"{"success":false,"message":"oops"}"#,
    )
    .await;
    answer(
        &annie,
        "LATE",
        false,
        500,
        r#"{"success":false,"message":"oops"}"#,
    )
    .await;
    Mock::given(method("POST"))
        .and(path("/v1/calls"))
        .and(body_partial_json(
            json!({"appointmentInfo": {"appointmentId": "SLOW"}}),
        ))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(3)))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&annie.server)
        .await;
    let t = Test::new()
        .server(&annie.base_url())
        .config(&crate::harness::CONFIG.replace("timeout = \"5s\"", "timeout = \"1s\""))
        .od_rows(&[
            &od_row("U500", &[]),
            &od_row("SLOW", &[]),
            &od_row("LATE", &[]),
        ]);
    let first = t.run_async().await;
    first.assert_status(1);
    for id in ["U500", "SLOW", "LATE"] {
        assert_eq!(first.result_for(id)["status"], "uncertain", "{id}");
    }
    // LATE's call did start: Annie lists it only after the first run looked.
    annie
        .state
        .add_conversation("conv-late", &e164_for("LATE"), "+13125550100");

    let before = annie.requests().await.len();
    let retry = t.clone().args(["--retry-uncertain"]).run_async().await;
    retry.assert_status(0);
    let requests: Vec<String> = annie.requests().await[before..]
        .iter()
        .map(|r| {
            let body: serde_json::Value = serde_json::from_slice(&r.body).unwrap_or_default();
            match r.method.as_str() {
                "POST" => format!(
                    "POST {}",
                    body["appointmentInfo"]["appointmentId"].as_str().unwrap()
                ),
                m => format!("{m} {}", r.url.path()),
            }
        })
        .collect();
    assert_eq!(requests[0], "GET /v1/conversations", "the look comes first");
    let mut posts: Vec<&str> = requests
        .iter()
        .filter_map(|r| r.strip_prefix("POST "))
        .collect();
    posts.sort();
    assert_eq!(posts, ["SLOW", "U500"], "exactly one request each");
    for id in ["U500", "SLOW"] {
        let row = retry.result_for(id);
        assert_eq!(row["status"], "sent", "{row:?}");
        assert_eq!(row["conversation_id"], format!("conv-{id}"));
    }
    let late = retry.result_for("LATE");
    assert_eq!(late["status"], "sent");
    assert_eq!(late["conversation_id"], "conv-late");
}

/// One row per id, sent one request at a time (so "in a row" is the rows' order).
async fn one_at_a_time(annie: &Annie, ids: &[impl AsRef<str>]) -> crate::harness::Output {
    let rows: Vec<String> = ids.iter().map(|id| od_row(id.as_ref(), &[])).collect();
    let rows: Vec<&str> = rows.iter().map(String::as_str).collect();
    Test::new()
        .server(&annie.base_url())
        .config(&crate::harness::CONFIG.replace("max_in_flight = 4", "max_in_flight = 1"))
        .od_rows(&rows)
        .run_async()
        .await
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refused_number_fails_its_own_row_and_every_other_row_is_sent() {
    let annie = Annie::start().await;
    let refused = "toNumber is not on the organisation's allowlist";
    Mock::given(method("POST"))
        .and(path("/v1/calls"))
        .and(body_partial_json(json!({"toNumber": e164_for("A07")})))
        .respond_with(
            ResponseTemplate::new(403)
                .set_body_json(json!({"success": false, "data": {}, "message": refused})),
        )
        .with_priority(1)
        .mount(&annie.server)
        .await;
    let ids: Vec<String> = (1..=20).map(|i| format!("A{i:02}")).collect();
    let out = one_at_a_time(&annie, &ids).await;
    out.assert_status(1);
    let row = out.result_for("A07");
    assert_eq!(row["status"], "failed");
    assert_eq!(row["http_status"], "403");
    assert_eq!(
        row["reason"],
        format!("the API answered HTTP 403: {refused}")
    );
    for id in ids.iter().filter(|id| *id != "A07") {
        assert_eq!(out.result_for(id)["status"], "sent", "{id}");
    }
    assert_eq!(annie.posts().await.len(), 20);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_same_unexplained_403_for_three_numbers_stops_the_location() {
    let annie = Annie::start().await;
    annie.fail_calls(403, "Forbidden", None).await;
    let out = one_at_a_time(&annie, &["A1", "A2", "A3", "A4", "A5"]).await;
    out.assert_status(1);
    let statuses: Vec<String> = out.statuses().into_iter().map(|s| s.2).collect();
    assert_eq!(
        statuses,
        [
            "failed",
            "failed",
            "failed",
            "not_attempted",
            "not_attempted"
        ]
    );
    assert_eq!(
        out.result_for("A4")["reason"],
        "not attempted: the API refused the API key (HTTP 403); check the key and rerun"
    );
    assert_eq!(annie.posts().await.len(), 3);
}
