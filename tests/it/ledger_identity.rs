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

/// After a lost ledger, the row held by a call the rebuild learned of from Annie names that
/// conversation and says to look at it before reminding the patient another way: it may well be
/// this appointment's reminder (round-8 finding 4: the row said only "remind the patient another
/// way", and the office reminded patients a second time).
#[tokio::test(flavor = "multi_thread")]
async fn after_a_lost_ledger_a_held_row_names_the_call_annie_shows_for_its_number() {
    let annie = Annie::start().await;
    let t = two_rows(&annie);
    let first = t.run_async().await;
    first.assert_status(0);
    let conversations = ["A1", "A2"].map(|id| first.result_for(id)["conversation_id"].clone());
    for file in ledger_files(&first.dir) {
        let _ = std::fs::remove_file(&file);
    }
    let again = t.run_async().await;
    again.assert_status(1);
    for (id, conversation) in ["A1", "A2"].into_iter().zip(conversations) {
        assert!(!conversation.is_empty());
        let row = again.result_for(id);
        assert_eq!(row["needs_attention"], "true", "{row:?}");
        assert!(
            row["reason"].starts_with(&format!(
                "at least 24 hours between calls to a number (the last call to it, conversation \
                 {conversation} at "
            )),
            "{row:?}"
        );
        assert!(
            row["reason"].contains(
                "is one this ledger learned of from Annie, not from its own record: if it was \
                 this appointment's reminder, the patient has it; look at it in Annie before \
                 reminding the patient another way); callable again from "
            ),
            "{row:?}"
        );
    }
    assert_eq!(annie.posts().await.len(), 2);
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
    says(
        refused.stderr.as_str(),
        "--accept-new-key",
        "annie-sk-v1-rotated",
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
    let later = asked_not_to_be_called_on_a1s_phone(&t).await;
    assert!(
        later.stderr.contains("1 requests not to be called"),
        "{}",
        later.stderr
    );
    assert_eq!(annie.posts().await.len(), 1);
}

/// The ledger's files, copied aside (a nightly backup).
fn back_up(dir: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for file in ledger_files(dir) {
        if file.exists() {
            std::fs::copy(&file, to.join(file.file_name().unwrap())).unwrap();
        }
    }
}

/// Puts a backup back in place of the ledger (its journal files go).
fn restore(backup: &std::path::Path, dir: &std::path::Path) {
    for file in ledger_files(dir) {
        let _ = std::fs::remove_file(&file);
        let saved = backup.join(file.file_name().unwrap());
        if saved.exists() {
            std::fs::copy(&saved, &file).unwrap();
        }
    }
}

/// `POST /_sandbox/advance?by=...`: moves the sandbox's clock on.
async fn advance(sandbox: &annie_dispatch::sandbox::Sandbox, key: &str, by: &str) {
    let url = format!("http://{}/_sandbox/advance?by={by}", sandbox.addr());
    let answer = reqwest::Client::new()
        .post(url)
        .bearer_auth(key)
        .send()
        .await
        .unwrap();
    assert!(answer.status().is_success(), "{answer:?}");
}

/// How many requests of this method and path the sandbox's log holds.
fn logged(log: &std::path::Path, method: &str, path: &str) -> usize {
    crate::harness::sandbox_log(log)
        .iter()
        .filter(|e| e["method"] == method && e["path"] == path)
        .count()
}

/// A ledger restored from an older backup is not empty, so nothing rebuilds it; it is checked
/// against Annie's recent conversations before anyone is called, and the calls it lost count.
#[tokio::test(flavor = "multi_thread")]
async fn a_ledger_restored_from_an_older_backup_calls_nobody_again() {
    const KEY: &str = "annie-sk-backup";
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("sandbox.jsonl");
    let sb = crate::harness::test_sandbox(KEY, &log, |_| {}).await;
    let base = Test::new().server(&sb.base_url()).env("ANNIE_API_KEY", KEY);

    // The first night: a new ledger is rebuilt (one listing), and is not checked again.
    let first = base
        .clone()
        .od_rows(&[&od_row("A1", &[])])
        .run_async()
        .await;
    first.assert_status(0);
    assert_eq!(first.result_for("A1")["status"], "sent");
    says(
        first.stderr.as_str(),
        "rebuilt the per-number history from 0 Annie conversations",
        "checked the ledger",
    );
    assert_eq!(logged(&log, "GET", "/v1/conversations"), 1);
    let backup = dir.path().join("backup");
    back_up(&first.dir, &backup);

    // The second night, with the ledger as it should be: checked (one listing), nothing missing.
    advance(&sb, KEY, "24h").await;
    let second_night = [
        od_row("B1", &[("AptDateTime", "2026-11-25 09:00:00")]),
        od_row("B2", &[("AptDateTime", "2026-11-25 10:00:00")]),
    ];
    let second_night: Vec<&str> = second_night.iter().map(String::as_str).collect();
    let night = base
        .clone()
        .now(Some("2026-11-24T18:30:00-06:00"))
        .od_rows(&second_night);
    let second = night.run_async().await;
    second.assert_status(0);
    assert_eq!(second.result_for("B1")["status"], "sent");
    assert_eq!(second.result_for("B2")["status"], "sent");
    says(
        second.stderr.as_str(),
        "checked the ledger against 1 Annie conversations since",
        "rebuilt the per-number history",
    );
    assert_eq!(logged(&log, "GET", "/v1/conversations"), 2);
    let posts = logged(&log, "POST", "/v1/calls");
    assert_eq!(posts, 3);

    // Disk trouble: the first night's backup is restored, and the same export runs again.
    restore(&backup, &second.dir);
    advance(&sb, KEY, "5m").await;
    let again = night
        .clone()
        .now(Some("2026-11-24T18:35:00-06:00"))
        .run_async()
        .await;
    assert_eq!(
        logged(&log, "POST", "/v1/calls"),
        posts,
        "nobody is called again: {}",
        again.stderr
    );
    // As after a rebuild: the ledger cannot say which appointments the calls were about, only
    // that the numbers were called minutes ago.
    for id in ["B1", "B2"] {
        let row = again.result_for(id);
        assert_eq!(row["status"], "skipped", "{row:?}");
        assert!(row["reason"].contains("24 hours"), "{row:?}");
    }
    assert!(
        again.stderr.contains(
            "the ledger was behind Annie: 2 calls (and 0 requests not to be called) in \
             Annie's conversations since"
        ),
        "{}",
        again.stderr
    );
    assert!(
        again.stderr.contains("restored from an older backup"),
        "{}",
        again.stderr
    );
    assert_eq!(logged(&log, "GET", "/v1/conversations"), 3, "one listing");
    // Once caught up, the ledger knows: the next rerun finds nothing missing.
    let caught_up = night
        .clone()
        .now(Some("2026-11-24T18:40:00-06:00"))
        .run_async()
        .await;
    assert!(
        caught_up.stderr.contains("no call missing ("),
        "{}",
        caught_up.stderr
    );
    assert_eq!(logged(&log, "POST", "/v1/calls"), posts);
    sb.stop().await;
}

/// If Annie's conversations cannot be read, a ledger that has a history is not trusted blindly:
/// the location calls nobody, and says why.
#[tokio::test(flavor = "multi_thread")]
async fn a_ledger_that_cannot_be_checked_against_annie_calls_nobody() {
    use wiremock::matchers::{method, path};
    use wiremock::{Mock, ResponseTemplate};
    let annie = Annie::start().await;
    let t = Test::new()
        .server(&annie.base_url())
        .od_rows(&[&od_row("A1", &[])]);
    t.run_async().await.assert_status(0);
    Mock::given(method("GET"))
        .and(path("/v1/conversations"))
        .respond_with(ResponseTemplate::new(503).set_body_json(serde_json::json!({
            "success": false, "data": {}, "message": "service unavailable"
        })))
        .with_priority(1)
        .mount(&annie.server)
        .await;
    let out = t
        .clone()
        .od_rows(&[&od_row("A1", &[]), &od_row("B1", &[])])
        .run_async()
        .await;
    out.assert_status(1);
    assert_eq!(
        annie.posts().await.len(),
        1,
        "nothing sent without the check"
    );
    let row = out.result_for("B1");
    assert_eq!(row["status"], "not_attempted", "{row:?}");
    assert!(
        row["reason"].starts_with(
            "not attempted: the ledger's call history for Bright Smile Dental could not be \
             checked against Annie's recent conversations (could not list Annie's conversations"
        ),
        "{row:?}"
    );
    assert!(
        row["reason"].contains("nothing was sent for it, so nobody is called twice"),
        "{row:?}"
    );
    assert_eq!(
        out.result_for("A1")["status"],
        "skipped",
        "settled rows keep their result"
    );
}

/// Calls made through the organisation outside this ledger (another machine, Annie used
/// directly) count once the ledger is checked; conversations to the practice's own numbers (a
/// patient calling the office) are not calls to a patient.
#[tokio::test(flavor = "multi_thread")]
async fn a_call_made_outside_the_ledger_counts_and_the_offices_own_number_does_not() {
    let annie = Annie::start().await;
    let t = Test::new()
        .server(&annie.base_url())
        .od_rows(&[&od_row("A1", &[])]);
    t.run_async().await.assert_status(0);
    let elsewhere = crate::harness::e164_for("B1");
    annie
        .state
        .add_conversation("conv-elsewhere", &elsewhere, "+13125550100");
    annie
        .state
        .add_conversation("conv-inbound", "+13125550100", &elsewhere);
    let out = t
        .clone()
        .od_rows(&[&od_row("A1", &[]), &od_row("B1", &[]), &od_row("C1", &[])])
        .run_async()
        .await;
    out.assert_status(1);
    assert_eq!(out.result_for("A1")["status"], "skipped");
    assert!(out.result_for("A1")["reason"].starts_with("already sent"));
    let b1 = out.result_for("B1");
    assert_eq!(b1["status"], "skipped", "{b1:?}");
    assert!(b1["reason"].contains("24 hours"), "{b1:?}");
    assert_eq!(out.result_for("C1")["status"], "sent");
    assert!(
        out.stderr
            .contains("the ledger was behind Annie: 1 calls (and 0 requests"),
        "{}",
        out.stderr
    );
    assert_eq!(annie.posted_ids().await, ["A1", "C1"]);
}

/// A request not to be called that the ledger never heard (`outcomes` did not run, or its
/// record was lost with the ledger's newer part) is heard when the ledger is checked.
#[tokio::test(flavor = "multi_thread")]
async fn a_request_not_to_be_called_is_heard_when_the_ledger_is_checked() {
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
    let later = asked_not_to_be_called_on_a1s_phone(&t).await;
    assert!(
        later
            .stderr
            .contains("no call missing; recorded 1 requests not to be called it did not have yet"),
        "{}",
        later.stderr
    );
    assert_eq!(annie.posts().await.len(), 1);
}

/// Two days after A1's call, another appointment (B1) on A1's phone: the 24-hour rule no longer
/// holds it back, so only the patient's request can, and does (the run exits 0, B1 skipped).
async fn asked_not_to_be_called_on_a1s_phone(t: &Test) -> crate::harness::Output {
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
    later
}

/// The run's messages say `said` and not `not_said`.
fn says(stderr: &str, said: &str, not_said: &str) {
    assert!(stderr.contains(said), "{stderr}");
    assert!(!stderr.contains(not_said), "{stderr}");
}
