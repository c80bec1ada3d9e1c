//! `outcomes` against the sandbox: every sent row gets its conversation's outcome, and a rerun
//! after an interruption resumes instead of starting over.

use std::time::Duration;

use crate::harness::{od_row, read_results, test_sandbox, Test};

const KEY: &str = "annie-sk-outcomes";

fn outcomes(config: &std::path::Path, results: &std::path::Path) -> (i32, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_annie-dispatch"))
        .env("ANNIE_API_KEY", KEY)
        .args(["outcomes", "--config"])
        .arg(config)
        .arg("--results")
        .arg(results)
        .arg("--summary-json")
        .arg(results.with_file_name("outcomes-summary.json"))
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn outcomes_fill_every_sent_row_and_resume() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("sandbox.jsonl");
    let sb = test_sandbox(KEY, &log, |c| c.close_after = Duration::ZERO).await;

    let out = Test::new()
        .server(&sb.base_url())
        .env("ANNIE_API_KEY", KEY)
        .od_rows(&[
            &od_row("A1", &[]),
            &od_row("A2", &[]),
            &od_row("BAD", &[("WirelessPhone", "555-0100")]),
        ])
        .run_async()
        .await;
    out.assert_status(1);
    let config_path = out.dir.join("config.toml");
    let results = out.results_path.clone();
    let outcomes_path = out.dir.join("appointments.outcomes.csv");

    let (code, stderr) = tokio::task::spawn_blocking({
        let (c, r) = (config_path.clone(), results.clone());
        move || outcomes(&c, &r)
    })
    .await
    .unwrap();
    assert_eq!(code, 1, "the invalid row needs attention: {stderr}");
    let rows = read_results(&outcomes_path);
    assert_eq!(rows.len(), 3);
    for id in ["A1", "A2"] {
        let r = rows.iter().find(|r| r["appointment_id"] == id).unwrap();
        assert_eq!(r["status"], "CLOSED");
        assert_eq!(r["topic"], "Appointment confirmation");
        assert_eq!(r["summary"], "The patient confirmed the appointment.");
        assert_eq!(r["needs_attention"], "false");
        assert_eq!(r["conversation_id"].len(), 36);
    }
    let summary: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(out.dir.join("outcomes-summary.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(summary["conversations_read"], 2);
    assert_eq!(summary["needs_attention"], 1);
    assert_eq!(summary["exit_status"], 1);
    let bad = rows.iter().find(|r| r["appointment_id"] == "BAD").unwrap();
    assert_eq!(
        (bad["status"].as_str(), bad["needs_attention"].as_str()),
        ("invalid", "true")
    );

    // Interrupted before the last line: a rerun fetches only what is missing.
    let text = std::fs::read_to_string(&outcomes_path).unwrap();
    let kept: Vec<&str> = text.lines().take(3).collect();
    std::fs::write(&outcomes_path, format!("{}\n", kept.join("\n"))).unwrap();
    let gets_before = std::fs::read_to_string(&log)
        .unwrap()
        .matches("/v1/conversations/{id}")
        .count();
    tokio::task::spawn_blocking(move || outcomes(&config_path, &results))
        .await
        .unwrap();
    let gets_after = std::fs::read_to_string(&log)
        .unwrap()
        .matches("/v1/conversations/{id}")
        .count();
    assert_eq!(read_results(&outcomes_path).len(), 3, "complete again");
    assert!(
        gets_after - gets_before <= 1,
        "only the missing conversation was read again"
    );
}
