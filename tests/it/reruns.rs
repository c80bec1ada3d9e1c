//! Reruns are safe: the ledger remembers what was sent, and anything that may have placed a
//! call is looked for in Annie and never resent automatically.

use std::time::Duration;

use serde_json::json;
use wiremock::matchers::{body_partial_json, method, path};
use wiremock::{Mock, Request, Respond, ResponseTemplate};

use crate::harness::{od_row, Test, CONFIG};
use crate::mock::{Annie, State};

fn rows(ids: &[&str]) -> Vec<String> {
    ids.iter().map(|id| od_row(id, &[])).collect()
}

/// A run on 2026-11-20 whose window reaches a few days ahead, for one appointment `A1` at `at`.
fn days_ahead(annie: &Annie, at: &str) -> Test {
    let config = format!("{CONFIG}[selection]\nwindow = \"1h-120h\"\n");
    Test::new()
        .server(&annie.base_url())
        .config(&config)
        .now(Some("2026-11-20T18:30:00-06:00"))
        .od_rows(&[&od_row("A1", &[("AptDateTime", at)])])
}

fn refs(rows: &[String]) -> Vec<&str> {
    rows.iter().map(String::as_str).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn running_the_same_command_twice_calls_nobody_twice() {
    let annie = Annie::start().await;
    let mut r = rows(&["A1", "A2"]);
    r.push(od_row("A3", &[("AptStatus", "5")]));
    let t = Test::new().server(&annie.base_url()).od_rows(&refs(&r));
    t.run_async().await.assert_status(0);
    let second = t.run_async().await;
    second.assert_status(0);

    let mut posted = annie.posted_ids().await;
    posted.sort();
    assert_eq!(posted, ["A1", "A2"], "nothing is sent the second time");
    let a1 = second.result_for("A1");
    assert_eq!(a1["status"], "skipped");
    assert_eq!(
        a1["reason"],
        "already sent Mon 2026-11-23 18:30 CST (conversation conv-A1)"
    );
    assert_eq!(a1["conversation_id"], "conv-A1");
    assert_eq!(
        second.result_for("A3")["reason"],
        "status is 5, which [selection] skip_statuses skips"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rescheduled_appointment_gets_a_new_call() {
    let annie = Annie::start_with("2026-11-20T18:30:00-06:00", Duration::ZERO).await;
    let first = days_ahead(&annie, "2026-11-21 09:00:00");
    first.run_async().await.assert_status(0);
    // Two days later the export shows A1 moved to another day.
    let moved = first
        .clone()
        .now(Some("2026-11-22T18:30:00-06:00"))
        .od_rows(&[&od_row("A1", &[("AptDateTime", "2026-11-24 10:30:00")])]);
    let out = moved.run_async().await;
    out.assert_status(0);
    let bodies = annie.bodies().await;
    assert_eq!(bodies.len(), 2);
    assert_eq!(
        bodies[1]["appointmentInfo"]["startTime"],
        "2026-11-24T10:30:00-06:00"
    );
    assert_eq!(out.result_for("A1")["status"], "sent");
    // And a rerun of the new schedule sends nothing more.
    let again = moved
        .clone()
        .now(Some("2026-11-22T19:00:00-06:00"))
        .run_async()
        .await;
    assert_eq!(again.result_for("A1")["status"], "skipped");
    assert_eq!(annie.posts().await.len(), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refused_request_placed_no_call_and_is_tried_again() {
    let annie = Annie::start().await;
    annie.fail_calls(400, "invalid toNumber", Some(1)).await;
    let t = Test::new()
        .server(&annie.base_url())
        .od_rows(&[&od_row("A1", &[])]);
    let first = t.run_async().await;
    first.assert_status(1);
    assert_eq!(first.result_for("A1")["status"], "failed");
    let second = t.run_async().await;
    second.assert_status(0);
    assert_eq!(second.result_for("A1")["status"], "sent");
    assert_eq!(annie.posts().await.len(), 2);
}

/// A 500 from the API: the call may have been placed (`placed`) or not.
struct ServerError {
    state: std::sync::Arc<State>,
    placed: bool,
}

impl Respond for ServerError {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        if self.placed {
            self.state.start_conversation(request);
        }
        ResponseTemplate::new(500)
            .set_body_json(json!({"success": false, "message": "internal error"}))
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_500_is_uncertain_not_resent_and_only_retry_uncertain_resends() {
    let annie = Annie::start_with("2026-11-20T18:30:00-06:00", Duration::ZERO).await;
    let placed = ServerError {
        state: annie.state.clone(),
        placed: false,
    };
    annie.answer_calls(placed, Some(1)).await;
    let t = days_ahead(&annie, "2026-11-23 09:00:00");
    let first = t.run_async().await;
    first.assert_status(1);
    let row = first.result_for("A1");
    assert_eq!(row["status"], "uncertain");
    assert_eq!(row["http_status"], "500");
    assert_eq!(
        row["reason"],
        "the API answered HTTP 500: internal error; Annie shows no call after it (complete \
         look-back). Not resent: rerun with --retry-uncertain to call"
    );

    // A plain rerun looks again, finds nothing, and still does not resend.
    let second = t.run_async().await;
    second.assert_status(1);
    assert_eq!(second.result_for("A1")["status"], "uncertain");
    assert_eq!(
        second.result_for("A1")["reason"],
        "an earlier attempt (Fri 2026-11-20 18:30 CST) got no clear answer, and Annie shows no \
         call after it (complete look-back), so none was placed. Not resent: rerun with \
         --retry-uncertain to call"
    );
    assert_eq!(annie.posts().await.len(), 1);

    // --retry-uncertain resends what the look proved absent, at once: an attempt that placed
    // no call does not count toward "24 hours between calls".
    let third = t.clone().args(["--retry-uncertain"]).run_async().await;
    third.assert_status(0);
    assert_eq!(third.result_for("A1")["status"], "sent");
    assert_eq!(annie.posts().await.len(), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_500_whose_call_shows_up_in_annie_is_sent() {
    let annie = Annie::start().await;
    let placed = ServerError {
        state: annie.state.clone(),
        placed: true,
    };
    annie.answer_calls(placed, None).await;
    let out = Test::new()
        .server(&annie.base_url())
        .od_rows(&[&od_row("A1", &[])])
        .run_async()
        .await;
    out.assert_status(0);
    let row = out.result_for("A1");
    assert_eq!(row["status"], "sent");
    assert_eq!(row["conversation_id"], "conv-A1");
    assert_eq!(
        row["reason"],
        "the API answered HTTP 500: internal error, but Annie shows the call"
    );
    let lists = annie
        .requests()
        .await
        .iter()
        .filter(|r| r.method.as_str() == "GET")
        .count();
    assert_eq!(
        lists, 2,
        "one page for the new ledger's history, one page to find the call"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_timeout_is_uncertain_and_not_retried() {
    let annie = Annie::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/calls"))
        .and(body_partial_json(
            json!({"appointmentInfo": {"appointmentId": "SLOW"}}),
        ))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(5)))
        .with_priority(1)
        .mount(&annie.server)
        .await;
    let out = Test::new()
        .server(&annie.base_url())
        .config(&CONFIG.replace("timeout = \"5s\"", "timeout = \"1s\""))
        .od_rows(&[&od_row("SLOW", &[]), &od_row("OK", &[])])
        .run_async()
        .await;
    out.assert_status(1);
    let slow = out.result_for("SLOW");
    assert_eq!(slow["status"], "uncertain");
    assert_eq!(
        slow["reason"],
        "no answer before the request timeout; Annie shows no call after it (complete \
         look-back). Not resent: rerun with --retry-uncertain to call"
    );
    assert_eq!(out.result_for("OK")["status"], "sent");
    let slow_posts = annie
        .bodies()
        .await
        .iter()
        .filter(|b| b["appointmentInfo"]["appointmentId"] == "SLOW")
        .count();
    assert_eq!(slow_posts, 1, "an ambiguous request is never retried");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_gateway_error_is_looked_for_and_never_resent_blindly() {
    let annie = Annie::start().await;
    annie.fail_calls(503, "unavailable", Some(1)).await;
    let out = Test::new()
        .server(&annie.base_url())
        .od_rows(&[&od_row("A1", &[])])
        .run_async()
        .await;
    out.assert_status(1);
    assert_eq!(out.result_for("A1")["status"], "uncertain");
    assert_eq!(
        annie.posts().await.len(),
        1,
        "a 503 may have placed the call"
    );
}

/// Six rows sent one at a time, with the breaker at three failures in a row; their statuses.
async fn six_calls_with_the_breaker_at_three(
    annie: &Annie,
) -> (crate::harness::Output, Vec<String>) {
    let r = rows(&["A1", "A2", "A3", "A4", "A5", "A6"]);
    let out = Test::new()
        .server(&annie.base_url())
        .config(&CONFIG.replace("max_in_flight = 4", "max_in_flight = 1\nbreaker_after = 3"))
        .od_rows(&refs(&r))
        .run_async()
        .await;
    out.assert_status(1);
    let statuses = out.statuses().into_iter().map(|s| s.2).collect();
    (out, statuses)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_run_of_failures_trips_the_breaker() {
    let annie = Annie::start().await;
    let failing = ServerError {
        state: annie.state.clone(),
        placed: false,
    };
    annie.answer_calls(failing, None).await;
    let (out, statuses) = six_calls_with_the_breaker_at_three(&annie).await;
    assert_eq!(
        statuses,
        [
            "uncertain",
            "uncertain",
            "uncertain",
            "not_attempted",
            "not_attempted",
            "not_attempted"
        ]
    );
    assert!(out.result_for("A4")["reason"]
        .starts_with("not attempted: stopped after 3 failed calls in a row"));
    assert_eq!(annie.posts().await.len(), 3);
}

#[tokio::test(flavor = "multi_thread")]
async fn refusals_about_single_calls_never_trip_the_breaker() {
    let annie = Annie::start().await;
    annie
        .fail_calls(422, "fromNumber is not configured", None)
        .await;
    let (out, statuses) = six_calls_with_the_breaker_at_three(&annie).await;
    assert_eq!(statuses, ["failed"; 6]);
    assert_eq!(
        out.result_for("A6")["reason"],
        "the API answered HTTP 422: fromNumber is not configured"
    );
    assert_eq!(annie.posts().await.len(), 6);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_connection_reset_mid_request_is_uncertain_and_resent_only_after_a_look() {
    use std::io::{Read, Write};
    use std::sync::{Arc, Mutex};
    // A server that hangs up on every call request without answering, and lists no
    // conversations: each call request may or may not have placed a call, and none shows up.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen: Arc<Mutex<Vec<&'static str>>> = Arc::default();
    let log = seen.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let mut buf = [0u8; 8192];
            let Ok(n) = stream.read(&mut buf) else {
                continue;
            };
            if buf[..n].starts_with(b"POST") {
                log.lock().unwrap().push("POST");
            } else {
                log.lock().unwrap().push("GET");
                let _ = stream.write_all(crate::mock::NO_CONVERSATIONS.as_bytes());
            }
            drop(stream);
        }
    });
    let t = Test::new()
        .server(&format!("http://127.0.0.1:{port}/v1"))
        .od_rows(&[&od_row("A1", &[])]);
    let out = t.run_async().await;
    out.assert_status(1);
    let row = out.result_for("A1");
    assert_eq!(row["status"], "uncertain");
    assert!(
        row["reason"].contains("Annie shows no call after it (complete look-back)"),
        "{row:?}"
    );
    let posts = |seen: &Mutex<Vec<&str>>| {
        seen.lock()
            .unwrap()
            .iter()
            .filter(|m| **m == "POST")
            .count()
    };
    assert_eq!(posts(&seen), 1, "never retried blindly");

    // --retry-uncertain looks first, then sends exactly once: the ledger checked against
    // Annie's recent conversations, the look for the earlier attempt, the call, and the look
    // for this one.
    seen.lock().unwrap().clear();
    let again = t.clone().args(["--retry-uncertain"]).run_async().await;
    again.assert_status(1);
    assert_eq!(again.result_for("A1")["status"], "uncertain");
    assert_eq!(*seen.lock().unwrap(), ["GET", "GET", "POST", "GET"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_preview_after_a_run_shows_what_was_already_sent() {
    let annie = Annie::start().await;
    let t = Test::new().server(&annie.base_url()).od_rows(&[
        &od_row("A1", &[]),
        &od_row("A2", &[("AptDateTime", "2026-11-24 11:00:00")]),
    ]);
    t.clone()
        .args(["--limit", "1"])
        .run_async()
        .await
        .assert_status(1);
    let preview = t.clone().args(["--dry-run"]).run_async().await;
    preview.assert_status(0);
    assert_eq!(preview.result_for("A1")["status"], "skipped");
    assert!(preview.result_for("A1")["reason"].starts_with("already sent"));
    assert_eq!(preview.result_for("A2")["status"], "dry_run");
    assert_eq!(annie.posts().await.len(), 1);
}

/// A rerun after the selection window moved on (the next morning) still reports the calls the
/// ledger shows were sent, with their conversation ids: the results file it replaces was the
/// only place `outcomes` finds them, and an opt-out heard in one must not be lost.
#[tokio::test(flavor = "multi_thread")]
async fn a_rerun_the_next_morning_keeps_every_sent_calls_conversation_id() {
    let annie = Annie::start().await;
    let r = rows(&["A1", "A2"]);
    let t = Test::new().server(&annie.base_url()).od_rows(&refs(&r));
    t.run_async().await.assert_status(0);
    let morning = t
        .clone()
        .now(Some("2026-11-24T09:30:00-06:00"))
        .args(["--allow-stale"])
        .run_async()
        .await;
    morning.assert_status(0);
    for id in ["A1", "A2"] {
        let row = morning.result_for(id);
        assert_eq!(
            (row["status"].as_str(), row["reason_code"].as_str()),
            ("skipped", "already_sent"),
            "{row:?}"
        );
        assert_eq!(row["conversation_id"], format!("conv-{id}"));
    }
    assert_eq!(annie.posted_ids().await.len(), 2, "nothing sent again");
}
