//! The ledger is the memory of who was called: it stays put whatever `--results` says, it knows
//! which API and organisation it belongs to, and a lost one is rebuilt from Annie before anyone
//! is called.

use serde_json::json;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, ResponseTemplate};

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

/// Annie answers `GET /v1/conversations` made with `key` with `answer` (another organisation's
/// list, or a refusal), before the mock's own list, which every other key sees.
async fn list_for_key(annie: &Annie, key: &str, answer: ResponseTemplate) {
    Mock::given(method("GET"))
        .and(path("/v1/conversations"))
        .and(header("authorization", format!("Bearer {key}").as_str()))
        .respond_with(answer)
        .with_priority(1)
        .mount(&annie.server)
        .await;
}

/// Another organisation's conversation list: one call of its own, tonight.
fn another_organisations_calls() -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "success": true,
        "data": {
            "conversations": [{
                "conversationId": "conv-elsewhere",
                "toNumber": "+13125550199",
                "fromNumber": "+13125550100",
                "startTime": "2026-11-23T18:00:00-06:00",
                "status": "CLOSED"
            }],
            "pagination": {"offset": 0, "limit": 100, "totalCount": 1}
        }
    }))
}

/// Who asked for what with `key`, in arrival order: `GET /v1/conversations`, `POST /v1/calls`.
async fn requests_with(annie: &Annie, key: &str) -> Vec<String> {
    let bearer = format!("Bearer {key}");
    annie
        .requests()
        .await
        .iter()
        .filter(|r| {
            r.headers
                .get("authorization")
                .is_some_and(|v| v == bearer.as_str())
        })
        .map(|r| format!("{} {}", r.method, r.url.path()))
        .collect()
}

/// `--accept-new-key` with a key Annie knows as another organisation's (a mistyped variable, the
/// sister practice's key): its conversations hold none of this ledger's calls, so it is not
/// recorded, nobody is called (exit 2, as for any other ledger that is not the API's), and the
/// ledger still belongs to its organisation.
#[tokio::test(flavor = "multi_thread")]
async fn another_organisations_key_is_not_recorded_even_with_accept_new_key() {
    let annie = Annie::start().await;
    let t = two_rows(&annie);
    t.run_async().await.assert_status(0);
    let other = "annie-sk-v1-another-organisation";
    list_for_key(&annie, other, another_organisations_calls()).await;
    let tonight = t.clone().od_rows(&[&od_row("A3", &[])]);
    let wrong = tonight.clone().env("ANNIE_API_KEY", other);

    let refused = wrong.clone().args(["--accept-new-key"]).run_async().await;
    refused.assert_status(2);
    says(
        refused.stderr.as_str(),
        "--accept-new-key: the new key does not see the calls this ledger recorded for Bright \
         Smile Dental (e.g. conversation conv-A",
        "the ledger now records",
    );
    for said in [
        "it is probably another organisation's key; the new key (API key sha256:",
        "was not recorded (the ledger still records API key sha256:",
        "and nothing was sent for Bright Smile Dental. Check the key (or OAuth client) set for \
         Bright Smile Dental; if it really is a new organisation, give it its own ledger: set \
         [state] ledger to a new file (its history is rebuilt from Annie on the first run)",
    ] {
        assert!(refused.stderr.contains(said), "{}", refused.stderr);
    }
    assert_eq!(annie.posts().await.len(), 2, "nobody called");
    assert_eq!(
        requests_with(&annie, other).await,
        ["GET /v1/conversations"]
    );

    // Not recorded: without the flag the key is refused as before, and with it the same way.
    let again = wrong.run_async().await;
    again.assert_status(2);
    says(
        again.stderr.as_str(),
        "rerun once with --accept-new-key",
        "does not see",
    );
    let again = wrong.clone().args(["--accept-new-key"]).run_async().await;
    again.assert_status(2);
    assert!(
        again.stderr.contains("does not see the calls"),
        "{}",
        again.stderr
    );
    // The ledger's own key still calls.
    let right = tonight.run_async().await;
    right.assert_status(0);
    assert_eq!(right.result_for("A3")["status"], "sent");
    assert_eq!(annie.posts().await.len(), 3);
}

/// `--accept-new-key` with the same organisation's new key: Annie lists the ledger's calls to it,
/// so it is recorded, and the run calls (the check first, then the call, with the new key).
#[tokio::test(flavor = "multi_thread")]
async fn the_same_organisations_new_key_is_recorded_once_it_sees_the_ledgers_calls() {
    let annie = Annie::start().await;
    let t = two_rows(&annie);
    t.run_async().await.assert_status(0);
    let rotated = "annie-sk-v1-rotated";
    let tonight = t
        .clone()
        .env("ANNIE_API_KEY", rotated)
        .od_rows(&[&od_row("A3", &[])]);

    let accepted = tonight.clone().args(["--accept-new-key"]).run_async().await;
    accepted.assert_status(0);
    says(
        accepted.stderr.as_str(),
        "--accept-new-key: the new key sees conversation conv-A",
        "does not see",
    );
    assert!(
        accepted
            .stderr
            .contains("this ledger recorded; the ledger now records API key sha256:"),
        "{}",
        accepted.stderr
    );
    assert_eq!(accepted.result_for("A3")["status"], "sent");
    let with_new_key = requests_with(&annie, rotated).await;
    assert_eq!(with_new_key[0], "GET /v1/conversations", "{with_new_key:?}");
    assert_eq!(with_new_key.last().unwrap(), "POST /v1/calls");

    // Recorded: the flag is not needed again.
    let next = tonight.od_rows(&[&od_row("A4", &[])]).run_async().await;
    next.assert_status(0);
    assert_eq!(next.result_for("A4")["status"], "sent");
    assert_eq!(annie.posts().await.len(), 4);
}

/// `--accept-new-key` with a key Annie refuses (revoked, mistyped): not recorded; the location
/// calls nobody, its rows say why (exit 1, as when Annie refuses a key during a run), and the
/// ledger still belongs to the old key.
#[tokio::test(flavor = "multi_thread")]
async fn a_new_key_annie_refuses_is_not_recorded() {
    let annie = Annie::start().await;
    let t = two_rows(&annie);
    t.run_async().await.assert_status(0);
    let revoked = "annie-sk-v1-revoked";
    let refusal = ResponseTemplate::new(401).set_body_json(
        json!({"success": false, "data": {}, "message": "missing or invalid API key"}),
    );
    list_for_key(&annie, revoked, refusal).await;
    let tonight = t.clone().od_rows(&[&od_row("A3", &[])]);
    let bad = tonight.clone().env("ANNIE_API_KEY", revoked);

    let out = bad.clone().args(["--accept-new-key"]).run_async().await;
    out.assert_status(1);
    let row = out.result_for("A3");
    assert_eq!(
        (row["status"].as_str(), row["reason_code"].as_str()),
        ("not_attempted", "credentials_refused"),
        "{row:?}"
    );
    assert!(
        row["reason"].starts_with(
            "not attempted: --accept-new-key: Annie refused the new key for Bright Smile Dental \
             (could not list Annie's conversations after reading 0 (the API refused the \
             credentials (HTTP 401: missing or invalid API key); check the key)); the new key \
             (API key sha256:"
        ),
        "{row:?}"
    );
    assert!(
        row["reason"].ends_with(
            "nothing was sent for Bright Smile Dental. Fix the key, then rerun with \
             --accept-new-key"
        ),
        "{row:?}"
    );
    assert_eq!(annie.posts().await.len(), 2, "nobody called");

    // Not recorded: refused without the flag as before; the old key still calls.
    bad.run_async().await.assert_status(2);
    let right = tonight.run_async().await;
    right.assert_status(0);
    assert_eq!(right.result_for("A3")["status"], "sent");
}

/// `--accept-new-key` with a refused key on the night's own export (the operator rotated the key
/// after the night's calls and mistyped it): the rerun's results file replaces the night's, so
/// the rows the ledger shows as sent keep their result and conversation id (the morning
/// `outcomes` reads those calls from it); only the others are not attempted for the key.
#[tokio::test(flavor = "multi_thread")]
async fn a_refused_new_key_keeps_the_nights_sent_rows_and_their_conversations() {
    let annie = Annie::start().await;
    let night = two_rows(&annie);
    let first = night.run_async().await;
    first.assert_status(0);
    let sent: Vec<String> = ["A1", "A2"]
        .iter()
        .map(|a| first.result_for(a)["conversation_id"].clone())
        .collect();
    assert!(sent.iter().all(|c| !c.is_empty()), "{sent:?}");
    let revoked = "annie-sk-v1-revoked";
    let refusal = ResponseTemplate::new(401).set_body_json(
        json!({"success": false, "data": {}, "message": "missing or invalid API key"}),
    );
    list_for_key(&annie, revoked, refusal).await;

    let rerun = night
        .clone()
        .od_rows(&[&od_row("A1", &[]), &od_row("A2", &[]), &od_row("A3", &[])])
        .env("ANNIE_API_KEY", revoked)
        .args(["--accept-new-key"])
        .run_async()
        .await;
    rerun.assert_status(1);
    for (appointment, conversation) in ["A1", "A2"].iter().zip(&sent) {
        let row = rerun.result_for(appointment);
        assert_eq!(
            (
                row["status"].as_str(),
                row["reason_code"].as_str(),
                row["conversation_id"].as_str(),
                row["needs_attention"].as_str(),
            ),
            ("skipped", "already_sent", conversation.as_str(), "false"),
            "{row:?}"
        );
    }
    let row = rerun.result_for("A3");
    assert_eq!(
        (row["status"].as_str(), row["reason_code"].as_str()),
        ("not_attempted", "credentials_refused"),
        "{row:?}"
    );
    assert!(
        row["reason"].ends_with("Fix the key, then rerun with --accept-new-key"),
        "{row:?}"
    );
    assert_eq!(annie.posts().await.len(), 2, "nobody called");
}

/// `--accept-new-key` while Annie's conversations cannot be read (a 5xx): the new key is not
/// recorded and the location calls nobody, as when its history cannot be read at start-up
/// (exit 1); rerun later with the flag.
#[tokio::test(flavor = "multi_thread")]
async fn a_new_key_that_cannot_be_checked_is_not_recorded() {
    let annie = Annie::start().await;
    let t = two_rows(&annie);
    t.run_async().await.assert_status(0);
    let rotated = "annie-sk-v1-rotated";
    let down = ResponseTemplate::new(503)
        .set_body_json(json!({"success": false, "data": {}, "message": "unavailable"}));
    list_for_key(&annie, rotated, down).await;
    let tonight = t
        .clone()
        .env("ANNIE_API_KEY", rotated)
        .od_rows(&[&od_row("A3", &[])]);

    let out = tonight.clone().args(["--accept-new-key"]).run_async().await;
    out.assert_status(1);
    let row = out.result_for("A3");
    assert_eq!(
        (row["status"].as_str(), row["reason_code"].as_str()),
        ("not_attempted", "not_planned"),
        "{row:?}"
    );
    assert!(
        row["reason"].starts_with(
            "not attempted: --accept-new-key: the new key for Bright Smile Dental could not be \
             checked against the calls this ledger recorded in Annie (could not list Annie's \
             conversations after reading 0"
        ),
        "{row:?}"
    );
    assert!(
        row["reason"].ends_with("Rerun later with --accept-new-key"),
        "{row:?}"
    );
    assert_eq!(annie.posts().await.len(), 2, "nobody called");
    tonight.run_async().await.assert_status(2);
}

/// `--accept-new-key` for a location the ledger recorded no call for (nothing sent yet): the key
/// cannot be checked against a call, so the run says so, rebuilds the location's history from
/// Annie with it (as for a new ledger) before calling, and records it once that is done.
#[tokio::test(flavor = "multi_thread")]
async fn a_new_key_with_no_call_to_compare_rebuilds_the_history_before_calling() {
    let annie = Annie::start().await;
    let quiet = Test::new()
        .server(&annie.base_url())
        .od_rows(&[&od_row("A0", &[("AptStatus", "5")])]);
    quiet.run_async().await.assert_status(0);
    assert!(annie.posts().await.is_empty());
    let tonight = quiet
        .clone()
        .env("ANNIE_API_KEY", "annie-sk-v1-rotated")
        .od_rows(&[&od_row("A1", &[])]);
    tonight.run_async().await.assert_status(2);

    let accepted = tonight.clone().args(["--accept-new-key"]).run_async().await;
    accepted.assert_status(0);
    for said in [
        "--accept-new-key: the ledger recorded no call for this location in the last 30 days, \
         so the new key (API key sha256:",
        "Its history is rebuilt from Annie with the new key before any call",
        "rebuilt the per-number history from 0 Annie conversations",
    ] {
        assert!(accepted.stderr.contains(said), "{}", accepted.stderr);
    }
    assert_eq!(accepted.result_for("A1")["status"], "sent");
    // Recorded by the rebuild.
    tonight.run_async().await.assert_status(0);
    assert_eq!(annie.posts().await.len(), 1);
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

/// `[state] ledger` set (as `contrib/install.sh` does) to a file that does not exist yet, while
/// the ledger earlier runs wrote is beside the config: refused (exit 2, nothing sent), naming
/// both files, instead of starting a new ledger and leaving the old one's requests not to be
/// called behind (round-9 finding 4). Once the ledger is moved there, the run goes on and calls
/// nobody twice.
#[tokio::test(flavor = "multi_thread")]
async fn a_configured_ledger_that_is_not_there_yet_does_not_abandon_the_earlier_one() {
    let annie = Annie::start().await;
    let t = two_rows(&annie);
    let first = t.run_async().await;
    first.assert_status(0);
    std::fs::create_dir(first.dir.join("state")).unwrap();
    let moved = t.clone().config(&format!(
        "{}\n[state]\nledger = \"state/ledger.sqlite3\"\n",
        crate::harness::CONFIG
    ));
    let refused = moved.clone().run_async().await;
    refused.assert_status(2);
    let dir = first.dir.canonicalize().unwrap();
    assert!(
        refused.stderr.contains(&format!(
            "[state] ledger names `{}`, which does not exist yet, but the ledger earlier runs \
             wrote is `{}`. Move it there (with its -wal file, if any), or set [state] ledger = \
             \"{}\": a new ledger would leave behind the requests not to be called it holds",
            dir.join("state/ledger.sqlite3").display(),
            first.dir.join("annie-dispatch.ledger.sqlite3").display(),
            first.dir.join("annie-dispatch.ledger.sqlite3").display(),
        )),
        "{}",
        refused.stderr
    );
    assert_eq!(annie.posts().await.len(), 2, "nothing more was sent");

    std::fs::rename(
        first.dir.join("annie-dispatch.ledger.sqlite3"),
        first.dir.join("state/ledger.sqlite3"),
    )
    .unwrap();
    let again = moved.run_async().await;
    again.assert_status(0);
    assert_eq!(again.result_for("A1")["reason_code"], "already_sent");
    assert_eq!(annie.posts().await.len(), 2, "nobody called twice");
}

/// The ledger's own key, revoked in Annie since last night: the check against Annie before the
/// first call is refused, so the location calls nobody, and its rows say `credentials_refused`
/// and to fix the key (round-9 finding 11g: `not_planned`, "rerun when Annie's conversation list
/// can be read", which no wait brings about). Last night's sent row keeps its result.
#[tokio::test(flavor = "multi_thread")]
async fn a_key_revoked_since_the_last_run_is_named_as_the_reason() {
    let annie = Annie::start().await;
    let t = two_rows(&annie);
    t.run_async().await.assert_status(0);
    let refusal = ResponseTemplate::new(401).set_body_json(
        json!({"success": false, "data": {}, "message": "missing or invalid API key"}),
    );
    list_for_key(&annie, "annie-sk-v1-test", refusal).await;
    let out = t
        .clone()
        .od_rows(&[&od_row("A1", &[]), &od_row("A3", &[])])
        .run_async()
        .await;
    out.assert_status(1);
    let row = out.result_for("A3");
    assert_eq!(
        (row["status"].as_str(), row["reason_code"].as_str()),
        ("not_attempted", "credentials_refused"),
        "{row:?}"
    );
    assert!(
        row["reason"].starts_with(
            "not attempted: Annie refused the API key of Bright Smile Dental (from \
             $ANNIE_API_KEY) when its calls were to be checked before the first call"
        ) && row["reason"].ends_with("Fix the key (rotated, revoked or mistyped), then rerun"),
        "{row:?}"
    );
    assert_eq!(out.result_for("A1")["reason_code"], "already_sent");
    assert_eq!(annie.posts().await.len(), 2, "nothing more was sent");
}
