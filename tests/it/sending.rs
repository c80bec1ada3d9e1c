//! Real sends against the mock API: exact bodies, headers, and one result per row.

use serde_json::json;
use wiremock::matchers::{body_partial_json, method, path};
use wiremock::{Mock, ResponseTemplate};

use crate::harness::{chicago_and_los_angeles, od_row, Test};
use crate::mock::Annie;

const SAMPLE: &str = include_str!("../../samples/opendental-appointments.csv");

const VOICEMAIL: &str =
    "Hello, this is Bright Smile Dental calling. Please call us back at (312) 555-0199. Thank you.";

#[tokio::test(flavor = "multi_thread")]
async fn sample_export_sends_the_documented_bodies_and_accounts_for_every_row() {
    let annie = Annie::start().await;
    let out = Test::new()
        .server(&annie.base_url())
        .input("appointments.csv", SAMPLE)
        .run_async()
        .await;
    out.assert_status(0);

    let requests = annie.posts().await;
    assert_eq!(requests.len(), 5, "five appointments are callable");
    for r in &requests {
        assert_eq!(r.url.path(), "/v1/calls");
        assert_eq!(r.headers["authorization"], "Bearer annie-sk-v1-test");
        assert_eq!(r.headers["content-type"], "application/json");
    }
    let mut bodies = annie.bodies().await;
    bodies.sort_by_key(|b| {
        b["appointmentInfo"]["appointmentId"]
            .as_str()
            .unwrap()
            .to_string()
    });

    assert_eq!(
        bodies[0],
        json!({
            "fromNumber": "+13125550100",
            "toNumber": "+13125550147",
            "patientInfo": {
                "firstName": "Sarah",
                "lastName": "Johnson",
                "dateOfBirth": "1988-03-22T00:00:00.000Z",
                "patientId": "10432"
            },
            "appointmentInfo": {
                "startTime": "2026-11-24T09:00:00-06:00",
                "endTime": "2026-11-24T09:40:00-06:00",
                "appointmentDescription": "PerEx, 4BW, Pro",
                "appointmentId": "81260683"
            },
            "context": "This call is from Bright Smile Dental to confirm Sarah's appointment on \
        Tuesday, November 24 at 9:00 AM (PerEx, 4BW, Pro). Ask whether they can attend. If they need to \
        reschedule, they can call the office at (312) 555-0199.",
            "voicemailMessage": VOICEMAIL
        })
    );
    // Home phone used when the wireless one is blank; 10 pattern characters = 50 minutes.
    assert_eq!(bodies[1]["toNumber"], "+17735550123");
    assert_eq!(bodies[1]["patientInfo"]["firstName"], "José");
    assert_eq!(bodies[1]["patientInfo"]["lastName"], "García");
    assert_eq!(
        bodies[1]["appointmentInfo"]["endTime"],
        "2026-11-24T10:30:00-06:00"
    );
    // A quoted newline inside the description survives.
    assert_eq!(bodies[2]["patientInfo"]["firstName"], "Zoë");
    assert_eq!(
        bodies[2]["appointmentInfo"]["appointmentDescription"],
        "Comp, 2 surf\n(patient asked for afternoon)"
    );
    // Work phone is the last resort.
    assert_eq!(bodies[3]["toNumber"], "+17735550199");
    // Birthdate 0001-01-01 means none: the key is left out, not sent empty.
    assert_eq!(
        bodies[4]["patientInfo"],
        json!({"firstName": "Olivia", "lastName": "Taylor", "patientId": "10441"})
    );

    let statuses = out.statuses();
    let expected = [
        (2, "81260683", "sent"),
        (3, "81260684", "sent"),
        (4, "81260685", "skipped"),
        (5, "81260686", "skipped"),
        (6, "81260687", "sent"),
        (8, "81260689", "skipped"),
        (9, "81260690", "skipped"),
        (10, "81260691", "sent"),
        (11, "81260683", "skipped"),
        (12, "81260692", "sent"),
    ];
    let got: Vec<(u64, &str, &str)> = statuses
        .iter()
        .map(|(r, a, s)| (*r, a.as_str(), s.as_str()))
        .collect();
    assert_eq!(got, expected);

    let first = out.result_for("81260683");
    assert_eq!(first["conversation_id"], "conv-81260683");
    assert_eq!(first["to_number"], "+1312***0147");
    assert_eq!(first["start_time"], "2026-11-24T09:00:00-06:00");
    assert!(first["attempted_at"].ends_with('Z'), "{first:?}");
    assert_eq!(first["reason"], "");
    let results = out.results();
    assert_eq!(results[8]["reason"], "duplicate of row 2");
    assert!(
        out.stderr.contains("10 rows: 5 sent, 5 skipped"),
        "{}",
        out.stderr
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn limit_sends_a_canary_and_reports_the_rest_not_attempted() {
    let annie = Annie::start().await;
    let rows: Vec<String> = (1..=4).map(|i| od_row(&format!("A{i}"), &[])).collect();
    let rows: Vec<&str> = rows.iter().map(String::as_str).collect();
    let out = Test::new()
        .server(&annie.base_url())
        .od_rows(&rows)
        .args(["--limit", "1"])
        .run_async()
        .await;
    out.assert_status(1);
    assert_eq!(annie.posts().await.len(), 1);
    let statuses: Vec<String> = out.statuses().into_iter().map(|s| s.2).collect();
    assert_eq!(
        statuses,
        ["sent", "not_attempted", "not_attempted", "not_attempted"]
    );
    assert_eq!(
        out.result_for("A2")["reason"],
        "not attempted: --limit 1 reached"
    );
}

/// Once the canary's `--limit` is reached, a call held for the patient's own hours (an hour
/// away here) is reported at once, not after waiting for its moment while holding the ledger
/// (the full run started right after the canary would be refused).
#[tokio::test(flavor = "multi_thread")]
async fn a_limit_reached_reports_held_calls_at_once_instead_of_waiting_for_them() {
    // 10:00 in Chicago: the clinic is open; Los Angeles opens at 09:00 there, 11:00 here.
    let now = "2026-11-24T10:00:00-06:00";
    let annie = Annie::start_with(now, std::time::Duration::ZERO).await;
    let started = std::time::Instant::now();
    let out = Test::new()
        .server(&annie.base_url())
        .now(Some(now))
        .od_rows(&chicago_and_los_angeles().each_ref().map(String::as_str))
        .args(["--limit", "1"])
        .run_async()
        .await;
    // Far below the hour the held call would have waited, far above any slow machine's run.
    assert!(started.elapsed() < std::time::Duration::from_secs(600));
    out.assert_status(1);
    assert_eq!(out.result_for("CHI")["status"], "sent");
    let la = out.result_for("LA");
    assert_eq!(la["status"], "not_attempted", "{la:?}");
    assert_eq!(la["reason"], "not attempted: --limit 1 reached");
    assert_eq!(annie.posted_ids().await, ["CHI"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_400_fails_that_row_with_the_api_message_and_the_run_goes_on() {
    let annie = Annie::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/calls"))
        .and(body_partial_json(
            json!({"appointmentInfo": {"appointmentId": "BAD"}}),
        ))
        .respond_with(ResponseTemplate::new(400).set_body_json(
            json!({"success": false, "data": {}, "message": "toNumber is not on the allowlist"}),
        ))
        .with_priority(1)
        .mount(&annie.server)
        .await;
    let out = Test::new()
        .server(&annie.base_url())
        .od_rows(&[
            &od_row("OK1", &[]),
            &od_row("BAD", &[]),
            &od_row("OK2", &[]),
        ])
        .run_async()
        .await;
    out.assert_status(1);
    let bad = out.result_for("BAD");
    assert_eq!(bad["status"], "failed");
    assert_eq!(bad["http_status"], "400");
    assert_eq!(
        bad["reason"],
        "the API answered HTTP 400: toNumber is not on the allowlist"
    );
    assert_eq!(out.result_for("OK1")["status"], "sent");
    assert_eq!(out.result_for("OK2")["status"], "sent");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_401_stops_the_run_and_the_rest_are_not_attempted() {
    let annie = Annie::start().await;
    annie.fail_calls(401, "invalid API key", None).await;
    let rows: Vec<String> = (1..=6).map(|i| od_row(&format!("A{i}"), &[])).collect();
    let rows: Vec<&str> = rows.iter().map(String::as_str).collect();
    let out = Test::new()
        .server(&annie.base_url())
        // One at a time, so exactly one request can be in flight when the 401 arrives.
        .od_rows(&rows)
        .config(&crate::harness::CONFIG.replace("max_in_flight = 4", "max_in_flight = 1"))
        .run_async()
        .await;
    out.assert_status(1);
    assert_eq!(annie.posts().await.len(), 1, "nothing is sent after a 401");
    let results = out.results();
    assert_eq!(results[0]["status"], "failed");
    assert_eq!(results[0]["http_status"], "401");
    assert_eq!(
        results[0]["reason"],
        "the API answered HTTP 401: invalid API key"
    );
    for r in &results[1..] {
        assert_eq!(r["status"], "not_attempted");
        assert_eq!(
            r["reason"],
            "not attempted: the API refused the API key (HTTP 401); check the key and rerun"
        );
    }
    assert_eq!(results.len(), 6);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unreachable_api_is_retried_then_reported() {
    use std::io::{Read, Write};
    // An API that answers the new ledger's look at its conversations, then goes away: its port
    // closes, so every call request finds nobody listening.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        let mut buf = [0u8; 8192];
        let _ = stream.read(&mut buf);
        let _ = stream.write_all(crate::mock::NO_CONVERSATIONS.as_bytes());
    });
    let out = Test::new()
        .server(&format!("http://127.0.0.1:{port}/v1"))
        .config(&crate::harness::CONFIG.replace(
            "max_in_flight = 4",
            "max_in_flight = 4\nconnect_attempts = 2",
        ))
        .od_rows(&[&od_row("A1", &[])])
        .run_async()
        .await;
    out.assert_status(1);
    let row = out.result_for("A1");
    assert_eq!(row["status"], "failed");
    assert!(
        row["reason"].starts_with("could not connect to the API (2 attempts)"),
        "{row:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_new_ledger_that_cannot_read_annie_calls_nobody() {
    // Bind and drop a listener: the port is then (almost certainly) closed.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let out = Test::new()
        .server(&format!("http://127.0.0.1:{port}/v1"))
        .od_rows(&[&od_row("A1", &[]), &od_row("A2", &[("AptStatus", "5")])])
        .run_async()
        .await;
    out.assert_status(1);
    let row = out.result_for("A1");
    assert_eq!(row["status"], "not_attempted");
    assert!(
        row["reason"].starts_with(
            "not attempted: the ledger has no call history for Bright Smile Dental yet, and it \
             could not be rebuilt from Annie (could not list Annie's conversations after reading 0"
        ),
        "{row:?}"
    );
    assert!(row["reason"].ends_with("nothing was sent, so nobody is called twice. Rerun when Annie's conversation list can be read"));
    assert_eq!(
        out.result_for("A2")["status"],
        "skipped",
        "settled rows keep their result"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn results_can_be_json_lines() {
    let annie = Annie::start().await;
    let out = Test::new()
        .server(&annie.base_url())
        .od_rows(&[&od_row("A1", &[]), &od_row("A2", &[("AptStatus", "5")])])
        .results_name("out.results.jsonl")
        .run_async()
        .await;
    out.assert_status(0);
    let lines: Vec<serde_json::Value> = out
        .file("out.results.jsonl")
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let skipped = lines.iter().find(|l| l["appointment_id"] == "A2").unwrap();
    assert_eq!(
        *skipped,
        json!({
            "row": 3, "appointment_id": "A2", "status": "skipped", "conversation_id": null,
            "reason": "status is 5, which [selection] skip_statuses skips", "http_status": null,
            "to_number": crate::harness::masked_for("A2"), "start_time": "2026-11-24T09:00:00-06:00",
            "attempted_at": null, "location": null, "reason_code": "not_scheduled",
            "needs_attention": false
        })
    );
    let sent = lines.iter().find(|l| l["appointment_id"] == "A1").unwrap();
    assert_eq!(sent["status"], "sent");
    assert_eq!(sent["conversation_id"], "conv-A1");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_key_comes_from_the_variable_the_config_names() {
    let annie = Annie::start().await;
    let config = crate::harness::CONFIG.replace(
        "timeout = \"5s\"",
        "timeout = \"5s\"\napi_key_env = \"BRIGHT_SMILE_KEY\"",
    );
    let out = Test::new()
        .server(&annie.base_url())
        .config(&config)
        .without_env("ANNIE_API_KEY")
        .env("BRIGHT_SMILE_KEY", "annie-sk-v2-practice")
        .od_rows(&[&od_row("A1", &[])])
        .run_async()
        .await;
    out.assert_status(0);
    let requests = annie.posts().await;
    assert_eq!(
        requests[0].headers["authorization"],
        "Bearer annie-sk-v2-practice"
    );
    assert!(
        !out.stderr.contains("annie-sk-v2-practice"),
        "the key must not be logged"
    );
}
