//! The ledger is the memory of who was called: it stays put whatever `--results` says, it knows
//! which API and organisation it belongs to, and a lost one is rebuilt from Annie before anyone
//! is called.

use crate::harness::{od_row, Test};
use crate::mock::Annie;

fn two_rows(annie: &Annie) -> Test {
    Test::new()
        .server(&annie.base_url())
        .od_rows(&[&od_row("A1", &[]), &od_row("A2", &[])])
}

fn ledger_files(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    ["", "-wal", "-shm"]
        .iter()
        .map(|suffix| dir.join(format!("annie-dispatch.ledger.sqlite3{suffix}")))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rerun_with_another_results_file_calls_nobody_again() {
    let annie = Annie::start().await;
    let t = two_rows(&annie);
    t.run_async().await.assert_status(0);
    let again = t.clone().results_name("elsewhere.csv").run_async().await;
    again.assert_status(0);
    assert_eq!(again.result_for("A1")["status"], "skipped");
    assert_eq!(annie.posts().await.len(), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_lost_or_emptied_ledger_is_rebuilt_from_annie_and_nobody_is_called_again() {
    let annie = Annie::start().await;
    let t = two_rows(&annie);
    let first = t.run_async().await;
    first.assert_status(0);
    assert!(
        first
            .stderr
            .contains("rebuilt the per-number history from 0 Annie conversations"),
        "{}",
        first.stderr
    );

    for lose in ["deleted", "emptied"] {
        for file in ledger_files(&first.dir) {
            match lose {
                "deleted" => {
                    let _ = std::fs::remove_file(&file);
                }
                _ => {
                    let _ = std::fs::write(&file, b"");
                }
            }
        }
        // The rebuilt history cannot say which appointments were reminded, only that the
        // numbers were called tonight: the 24-hour rule holds them past the calling day, so each
        // row asks a person to check (exit 1) rather than risk a second call.
        let again = t.run_async().await;
        again.assert_status(1);
        assert_eq!(
            annie.posts().await.len(),
            2,
            "ledger {lose}: nobody is called again"
        );
        for id in ["A1", "A2"] {
            let row = again.result_for(id);
            assert_eq!(row["status"], "skipped", "{row:?}");
            assert!(row["reason"].contains("24 hours"), "{row:?}");
            assert_eq!(row["needs_attention"], "true", "{row:?}");
        }
        assert!(
            again
                .stderr
                .contains("rebuilt the per-number history from 2 Annie conversations"),
            "{}",
            again.stderr
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_ledger_filled_against_a_sandbox_refuses_the_production_api() {
    let annie = Annie::start().await;
    let t = two_rows(&annie);
    t.run_async().await.assert_status(0);
    let production = "https://api.helloannie.com/v1";
    let out = t
        .clone()
        .server(production)
        // A run that would call real patients goes by the real clock.
        .now(None)
        // Belt and braces: were the run not refused, nothing could leave this machine.
        .env("HTTPS_PROXY", "http://127.0.0.1:9")
        .env("HTTP_PROXY", "http://127.0.0.1:9")
        .env("ALL_PROXY", "http://127.0.0.1:9")
        .run_async()
        .await;
    out.assert_status(2);
    assert!(
        out.stderr.contains(&annie.base_url().to_lowercase()),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains(production), "{}", out.stderr);
    assert!(
        out.stderr.contains("set [state] ledger to a new file"),
        "{}",
        out.stderr
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_new_key_is_refused_until_the_operator_says_it_is_the_same_organisation() {
    let annie = Annie::start().await;
    let t = two_rows(&annie);
    t.run_async().await.assert_status(0);
    let rotated = t.clone().env("ANNIE_API_KEY", "annie-sk-v1-rotated");
    let refused = rotated.run_async().await;
    refused.assert_status(2);
    assert!(
        refused.stderr.contains("--accept-new-key"),
        "{}",
        refused.stderr
    );
    assert!(
        !refused.stderr.contains("annie-sk-v1-rotated"),
        "{}",
        refused.stderr
    );

    let accepted = rotated.clone().args(["--accept-new-key"]).run_async().await;
    accepted.assert_status(0);
    assert_eq!(accepted.result_for("A1")["status"], "skipped");
    rotated.run_async().await.assert_status(0);
    assert_eq!(annie.posts().await.len(), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_request_not_to_be_called_survives_a_lost_ledger() {
    let annie = Annie::start().await;
    let t = Test::new()
        .server(&annie.base_url())
        .od_rows(&[&od_row("A1", &[])]);
    t.run_async().await.assert_status(0);
    annie.set_conversation(
        "conv-A1",
        serde_json::json!({
            "status": "CLOSED",
            "summary": "The patient asked us not to call this number again."
        }),
    );
    let dir = t.run_async().await.dir;
    for file in ledger_files(&dir) {
        let _ = std::fs::remove_file(file);
    }
    // Two days later, another appointment on the same phone: the 24-hour rule no longer
    // holds it back, the patient's request does.
    let phone = crate::harness::phone_for("A1");
    let later = t
        .clone()
        .now(Some("2026-11-25T18:30:00-06:00"))
        .od_rows(&[&od_row(
            "B1",
            &[
                ("WirelessPhone", &phone),
                ("AptDateTime", "2026-11-26 10:00:00"),
            ],
        )])
        .run_async()
        .await;
    later.assert_status(0);
    let row = later.result_for("B1");
    assert_eq!(row["status"], "skipped", "{row:?}");
    assert!(
        row["reason"].starts_with("the patient asked not to be called (conversation conv-A1"),
        "{row:?}"
    );
    assert!(
        later.stderr.contains("1 requests not to be called"),
        "{}",
        later.stderr
    );
    assert_eq!(annie.posts().await.len(), 1);
}
