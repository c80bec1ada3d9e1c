//! `--dry-run`: nothing leaves the machine, and the operator sees what would.

use crate::harness::{od_row, Test};
use crate::mock::Annie;

#[tokio::test(flavor = "multi_thread")]
async fn dry_run_sends_nothing_and_prints_the_preview() {
    let annie = Annie::start().await;
    let out = Test::new()
        .server(&annie.base_url())
        .without_env("ANNIE_API_KEY")
        .od_rows(&[
            &od_row(
                "A1",
                &[
                    ("ProcDescript", "PerEx, 4BW"),
                    ("WirelessPhone", "(312) 555-0147"),
                ],
            ),
            &od_row(
                "A2",
                &[
                    ("Confirmed", "Appointment Confirmed"),
                    ("WirelessPhone", "312-555-0148"),
                ],
            ),
        ])
        .args(["--dry-run", "--emit-requests", "requests.jsonl"])
        .run_async()
        .await;
    out.assert_status(0);
    assert!(
        annie.requests().await.is_empty(),
        "a dry run must not send anything"
    );

    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(
        lines,
        [
            "ROW  APPOINTMENT  PHONE         START (LOCAL)         TYPE  CONTEXT  VOICEMAIL  STATUS   REASON",
            "2    A1           +1312***0147  Tue 2026-11-24 09:00        218      93         dry_run  ",
            "3    A2           +1312***0148  Tue 2026-11-24 09:00                            skipped  already confirmed (Appointment Confirmed)",
        ]
    );
    // The preview never shows names.
    assert!(!out.stdout.contains("Sarah") && !out.stderr.contains("Sarah"));

    assert_eq!(out.result_for("A1")["status"], "dry_run");
    assert_eq!(out.result_for("A1")["conversation_id"], "");
    let emitted: Vec<serde_json::Value> = out
        .file("requests.jsonl")
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(emitted.len(), 1);
    assert_eq!(emitted[0]["appointmentInfo"]["appointmentId"], "A1");
    assert_eq!(emitted[0]["toNumber"], "+13125550147");
}

#[tokio::test(flavor = "multi_thread")]
async fn emitted_requests_are_exactly_what_a_real_run_sends() {
    let annie = Annie::start().await;
    let rows: Vec<String> = (1..=3).map(|i| od_row(&format!("A{i}"), &[])).collect();
    let rows: Vec<&str> = rows.iter().map(String::as_str).collect();
    let sent = Test::new()
        .server(&annie.base_url())
        .od_rows(&rows)
        .args(["--emit-requests", "requests.jsonl"])
        .run_async()
        .await;
    sent.assert_status(0);
    let emitted: Vec<serde_json::Value> = sent
        .file("requests.jsonl")
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let mut received = annie.bodies().await;
    received.sort_by_key(|b| b["appointmentInfo"]["appointmentId"].to_string());
    assert_eq!(emitted, received);

    let previewed = Test::new()
        .od_rows(&rows)
        .args(["--dry-run", "--emit-requests", "requests.jsonl"])
        .run_async()
        .await;
    previewed.assert_status(0);
    assert_eq!(
        previewed.file("requests.jsonl"),
        sent.file("requests.jsonl")
    );
}

#[test]
fn json_logs_are_one_object_per_line_without_patient_data() {
    let out = Test::new()
        .od_rows(&[&od_row("A1", &[])])
        .args(["--dry-run", "--log-format", "json", "-v"])
        .run();
    out.assert_status(0);
    let logs: Vec<serde_json::Value> = out
        .stderr
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let planned = logs
        .iter()
        .find(|l| l["fields"]["message"] == "export read and planned")
        .expect("the planning log line");
    assert_eq!(planned["fields"]["rows"], 1);
    assert_eq!(planned["level"], "INFO");
    let number = crate::harness::e164_for("A1");
    assert!(!out.stderr.contains("Sarah") && !out.stderr.contains(&number[2..]));
}
