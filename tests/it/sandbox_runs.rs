//! The real binary against the sandbox with faults injected: the ledger's promises hold, and the
//! sandbox's own request log proves that no number received two calls.

use std::collections::HashMap;
use std::path::Path;
use std::time::{Duration, Instant};

use annie_dispatch::sandbox::{FailKind, Faults, Sandbox};

use crate::harness::{od_row, test_sandbox, Test, CONFIG};

const KEY: &str = "annie-sk-sandbox-test";

async fn sandbox(log: &Path, faults: Faults) -> Sandbox {
    test_sandbox(KEY, log, |c| c.faults = faults).await
}

/// Calls started per number, from the sandbox's request log.
fn calls_per_number(log: &Path) -> HashMap<String, usize> {
    let mut counts = HashMap::new();
    for entry in crate::harness::sandbox_log(log) {
        let result = entry["result"].as_str().unwrap_or("");
        if result == "created" || result.ends_with("(call started)") {
            *counts
                .entry(entry["number"].as_str().unwrap().to_string())
                .or_insert(0) += 1;
        }
    }
    counts
}

fn rows(n: usize) -> Vec<String> {
    (1..=n).map(|i| od_row(&format!("A{i}"), &[])).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn with_server_errors_injected_reruns_never_call_a_number_twice() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("sandbox.jsonl");
    let sb = sandbox(
        &log,
        Faults {
            seed: 3,
            fail_rate: 0.4,
            fail_kind: FailKind::ServerError,
            created_anyway: 0.5,
            ..Faults::default()
        },
    )
    .await;
    let rows = rows(12);
    let rows: Vec<&str> = rows.iter().map(String::as_str).collect();
    let t = Test::new()
        .server(&sb.base_url())
        .env("ANNIE_API_KEY", KEY)
        .od_rows(&rows);
    let mut seen = Vec::new();
    for _ in 0..3 {
        let out = t.run_async().await;
        let results = out.results();
        assert_eq!(results.len(), 12, "every row has a result");
        seen.extend(results.into_iter().map(|r| r["status"].clone()));
    }
    assert!(
        seen.iter().any(|s| s == "uncertain"),
        "the faults produced ambiguity: {seen:?}"
    );
    let counts = calls_per_number(&log);
    assert!(!counts.is_empty());
    assert!(
        counts.values().all(|n| *n == 1),
        "a number got two calls: {counts:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn after_a_crash_with_calls_in_flight_the_rerun_finds_them_in_the_sandbox() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("sandbox.jsonl");
    let sb = sandbox(
        &log,
        Faults {
            latency: Duration::from_millis(1500),
            ..Faults::default()
        },
    )
    .await;
    let rows = rows(6);
    let rows: Vec<&str> = rows.iter().map(String::as_str).collect();
    let t = Test::new()
        .server(&sb.base_url())
        .env("ANNIE_API_KEY", KEY)
        .config(&CONFIG.replace("max_in_flight = 4", "max_in_flight = 2"))
        .od_rows(&rows);
    let running = t.spawn();
    let deadline = Instant::now() + Duration::from_secs(30);
    while calls_per_number(&log).len() < 2 {
        assert!(Instant::now() < deadline, "no call reached the sandbox");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    running.signal("KILL");
    running.wait().await;

    let second = t.run_async().await;
    second.assert_status(0);
    let results = second.results();
    assert_eq!(results.len(), 6);
    assert!(results.iter().all(|r| r["status"] == "sent"), "{results:?}");
    let found = results
        .iter()
        .filter(|r| r["reason"].contains("placed this call: found in Annie"))
        .count();
    assert!(found >= 2, "{results:?}");
    let counts = calls_per_number(&log);
    assert_eq!(counts.len(), 6);
    assert!(
        counts.values().all(|n| *n == 1),
        "a number got two calls: {counts:?}"
    );
}

/// `requests` in `--summary-json` (and the summary line's rate) counts the POSTs the API
/// received: one for a household's rows, one for each request a fault answered.
#[tokio::test(flavor = "multi_thread")]
async fn requests_counts_the_posts_the_sandbox_received() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("sandbox.jsonl");
    let sb = sandbox(
        &log,
        Faults {
            seed: 5,
            fail_rate: 0.3,
            fail_kind: FailKind::ServerError,
            created_anyway: 0.5,
            ..Faults::default()
        },
    )
    .await;
    let mut rows = rows(8);
    // A household: two appointments on A1's phone, one call.
    let phone = crate::harness::phone_for("A1");
    rows.push(od_row("H2", &[("WirelessPhone", phone.as_str())]));
    let rows: Vec<&str> = rows.iter().map(String::as_str).collect();
    let out = Test::new()
        .server(&sb.base_url())
        .env("ANNIE_API_KEY", KEY)
        .od_rows(&rows)
        .args(["--summary-json", "summary.json"])
        .run_async()
        .await;
    sb.stop().await;
    let posts = crate::harness::sandbox_log(&log)
        .iter()
        .filter(|e| e["method"] == "POST" && e["path"] == "/v1/calls")
        .count();
    let summary: serde_json::Value = serde_json::from_str(&out.file("summary.json")).unwrap();
    assert_eq!(summary["rows"], 9, "{}", out.stderr);
    assert_eq!(summary["requests"], posts, "{}", out.stderr);
    assert_eq!(posts, 8, "eight calls, one of them for the household");
}
