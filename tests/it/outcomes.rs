//! `outcomes`: every sent row gets its conversation's outcome, a rerun after an interruption
//! resumes instead of starting over, and what the calls showed reaches the ledger, so later runs
//! honour a patient's request not to be called and rest numbers nobody answers.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::json;

use crate::harness::{od_object, od_row, read_results, test_sandbox, Output, Test};
use crate::mock::Annie;

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

/// [`outcomes`] with the config a run left in `dir`, off the async runtime (a mock answers on it).
async fn outcomes_in(dir: &std::path::Path, results: std::path::PathBuf) -> (i32, String) {
    let config = dir.join("config.toml");
    tokio::task::spawn_blocking(move || outcomes(&config, &results))
        .await
        .unwrap()
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

const PHONE_A: &str = "(312) 555-0147";
const PHONE_B: &str = "(312) 555-0148";
const PHONE_C: &str = "(312) 555-0149";

/// A nightly run on 2026-11-`day` at `hour` (Chicago), over one dir and so one ledger: each
/// `(appointment, phone)` is due the next morning, and the night has its own results file (an
/// outcomes file resumes by input row, so nights must not share one).
fn night(t: &Test, day: u32, hour: &str, rows: &[(&str, &str)]) -> Test {
    let lines: Vec<String> = rows
        .iter()
        .map(|(apt, phone)| {
            let start = format!("2026-11-{:02} 10:00:00", day + 1);
            od_row(apt, &[("WirelessPhone", phone), ("AptDateTime", &start)])
        })
        .collect();
    t.clone()
        .now(Some(&format!("2026-11-{day:02}T{hour}:00-06:00")))
        .results_name(&format!("night-{day}.results.csv"))
        .od_rows(&lines.iter().map(String::as_str).collect::<Vec<_>>())
}

/// `outcomes` for a night's run, off the async runtime (the mock answers on it).
async fn outcomes_for(out: &Output) -> (i32, String, Vec<BTreeMap<String, String>>) {
    let (config, results) = (out.dir.join("config.toml"), out.results_path.clone());
    let (code, stderr) = tokio::task::spawn_blocking(move || outcomes(&config, &results))
        .await
        .unwrap();
    let name = out.results_path.file_name().unwrap().to_string_lossy();
    let path = out.dir.join(name.replace(".results.csv", ".outcomes.csv"));
    let rows = match path.exists() {
        true => read_results(&path),
        false => Vec::new(),
    };
    (code, stderr, rows)
}

fn unanswered() -> serde_json::Value {
    json!({"status": "CLOSED", "duration": 0, "summary": "", "conversationTags": []})
}

#[track_caller]
fn outcome_for(rows: &[BTreeMap<String, String>], apt: &str) -> BTreeMap<String, String> {
    rows.iter()
        .find(|r| r["appointment_id"] == apt)
        .unwrap_or_else(|| panic!("no outcome for {apt}"))
        .clone()
}

#[tokio::test(flavor = "multi_thread")]
async fn later_runs_honour_opt_outs_and_rest_numbers_nobody_answers() {
    let annie = Annie::start_with("2026-11-10T18:00:00-06:00", Duration::ZERO).await;
    let t = Test::new().server(&annie.base_url());

    // Night 1: three patients called. A asks not to be called again, nobody answers at B, C
    // confirms.
    let first = night(
        &t,
        10,
        "18:00",
        &[("A1", PHONE_A), ("B1", PHONE_B), ("C1", PHONE_C)],
    )
    .run_async()
    .await;
    first.assert_status(0);
    annie.set_conversation(
        "conv-A1",
        json!({"status": "CLOSED", "duration": 35, "topic": "Appointment confirmation",
               "summary": "The patient confirmed, then asked us not to call this number again."}),
    );
    annie.set_conversation("conv-B1", unanswered());
    annie.set_conversation(
        "conv-C1",
        json!({"status": "CLOSED", "duration": 42, "summary": "The patient confirmed."}),
    );
    let (code, stderr, rows) = outcomes_for(&first).await;
    assert_eq!(code, 1, "A and B need attention: {stderr}");
    let a1 = outcome_for(&rows, "A1");
    assert_eq!(a1["needs_attention"], "true");
    assert_eq!(
        a1["reason"],
        "the patient asked not to be called again (later runs skip the number); record it in \
         the patient's file"
    );
    assert_eq!(
        outcome_for(&rows, "B1")["reason"],
        "the call ended without a conversation"
    );
    assert_eq!(outcome_for(&rows, "C1")["needs_attention"], "false");

    // Night 2: A's number is skipped from now on; B is called again and again not answered.
    let opted_out = "the patient asked not to be called (conversation conv-A1, Tue 2026-11-10)";
    let second = night(&t, 11, "18:30", &[("A2", PHONE_A), ("B2", PHONE_B)])
        .run_async()
        .await;
    second.assert_status(0);
    assert_eq!(second.result_for("A2")["status"], "skipped");
    assert_eq!(second.result_for("A2")["reason"], opted_out);
    assert_eq!(second.result_for("B2")["status"], "sent");
    annie.set_conversation("conv-B2", unanswered());
    assert_eq!(outcomes_for(&second).await.0, 1);

    // Night 3: B's third unanswered call.
    let third = night(&t, 12, "19:00", &[("B3", PHONE_B)]).run_async().await;
    assert_eq!(third.result_for("B3")["status"], "sent");
    annie.set_conversation("conv-B3", unanswered());
    assert_eq!(outcomes_for(&third).await.0, 1);

    // A week later, past the 7-day limit: A is still skipped (consent does not come back by
    // itself), B rests 30 days from its last unanswered call, C is called. A preview agrees.
    let later = night(
        &t,
        20,
        "10:00",
        &[("A9", PHONE_A), ("B9", PHONE_B), ("C9", PHONE_C)],
    );
    // B's rest ends after its appointment: a person must remind that patient (exit 1).
    let cooldown = "30 days' rest after 3 failed or unanswered calls in a row; callable again \
                    from Sat 2026-12-12 19:00 CST; no run can call this before the appointment: \
                    remind the patient another way";
    let preview = later.clone().args(["--dry-run"]).run_async().await;
    preview.assert_status(1);
    assert_eq!(preview.result_for("A9")["reason"], opted_out);
    assert_eq!(preview.result_for("B9")["reason"], cooldown);
    let out = later.run_async().await;
    out.assert_status(1);
    assert_eq!(out.result_for("A9")["needs_attention"], "false");
    assert_eq!(out.result_for("B9")["needs_attention"], "true");
    for (apt, reason) in [("A9", opted_out), ("B9", cooldown)] {
        let row = out.result_for(apt);
        assert_eq!(
            (row["status"].as_str(), row["reason"].as_str()),
            ("skipped", reason)
        );
    }
    assert_eq!(out.result_for("C9")["status"], "sent");
    // Calls of one night may arrive in any order (several are in flight at once).
    let mut posted = annie.posted_ids().await;
    posted.sort();
    assert_eq!(
        posted,
        ["A1", "B1", "B2", "B3", "C1", "C9"],
        "A was never called again"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn outcomes_record_while_a_run_holds_the_ledger() {
    let annie = Annie::start_with("2026-11-10T18:00:00-06:00", Duration::ZERO).await;
    let t = Test::new().server(&annie.base_url());
    let first = night(&t, 10, "18:00", &[("A1", PHONE_A)]).run_async().await;
    first.assert_status(0);
    annie.set_conversation(
        "conv-A1",
        json!({"status": "CLOSED", "duration": 20, "summary": "Please stop calling me."}),
    );
    // A nightly run waiting for calling hours holds the ledger's lock all day.
    let held =
        annie_dispatch::ledger::Ledger::open(&first.dir.join("annie-dispatch.ledger.sqlite3"))
            .unwrap();
    let (code, stderr, rows) = outcomes_for(&first).await;
    assert_eq!(code, 1, "the opt-out needs attention: {stderr}");
    assert_eq!(outcome_for(&rows, "A1")["needs_attention"], "true");
    drop(held);
    let next = night(&t, 11, "18:30", &[("A2", PHONE_A)]).run_async().await;
    assert_eq!(
        next.result_for("A2")["reason"],
        "the patient asked not to be called (conversation conv-A1, Tue 2026-11-10)"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn outcomes_refuse_a_results_file_whose_ledger_is_missing() {
    let annie = Annie::start_with("2026-11-10T18:00:00-06:00", Duration::ZERO).await;
    let first = night(
        &Test::new().server(&annie.base_url()),
        10,
        "18:00",
        &[("A1", PHONE_A)],
    )
    .run_async()
    .await;
    first.assert_status(0);
    // The results file copied elsewhere: the ledger beside it is not the run's.
    let elsewhere = tempfile::tempdir().unwrap();
    let (config, results) = (
        elsewhere.path().join("config.toml"),
        elsewhere.path().join("night-10.results.csv"),
    );
    std::fs::copy(first.dir.join("config.toml"), &config).unwrap();
    std::fs::copy(&first.results_path, &results).unwrap();
    let (code, stderr) = tokio::task::spawn_blocking({
        let (c, r) = (config.clone(), results.clone());
        move || outcomes(&c, &r)
    })
    .await
    .unwrap();
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("annie-dispatch.ledger.sqlite3` does not exist")
            && stderr.contains("Pass the --config and --results of the run that made the calls"),
        "{stderr}"
    );
    assert!(!elsewhere.path().join("night-10.outcomes.csv").exists());
    assert!(!elsewhere
        .path()
        .join("annie-dispatch.ledger.sqlite3")
        .exists());
}

/// `POST /_sandbox/advance?by=...`: moves the sandbox's clock on.
async fn advance(sandbox: &annie_dispatch::sandbox::Sandbox, by: &str) {
    let url = format!("http://{}/_sandbox/advance?by={by}", sandbox.addr());
    let answer = reqwest::Client::new()
        .post(url)
        .bearer_auth(KEY)
        .send()
        .await
        .unwrap();
    assert!(answer.status().is_success(), "{answer:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn conversations_still_open_are_read_again_until_they_close() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("sandbox.jsonl");
    let sb = test_sandbox(KEY, &log, |c| {
        c.close_after = Duration::from_secs(3600);
        c.opt_outs.insert("+13125550148".to_string());
    })
    .await;
    let t = Test::new().server(&sb.base_url()).env("ANNIE_API_KEY", KEY);
    let first = night(&t, 23, "18:30", &[("A1", PHONE_A), ("B1", PHONE_B)])
        .run_async()
        .await;
    first.assert_status(0);
    let gets = || {
        crate::harness::sandbox_log(&log)
            .iter()
            .filter(|e| e["path"] == "/v1/conversations/{id}")
            .count()
    };

    // The evening run's calls are still going on: read, recorded as open, nothing to do yet.
    let (code, stderr, rows) = outcomes_for(&first).await;
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("2 still open"), "{stderr}");
    assert_eq!(rows.len(), 2);
    for row in &rows {
        assert_eq!(row["status"], "OPEN");
        assert_eq!(row["needs_attention"], "false");
        assert!(row["reason"].starts_with("still open"), "{row:?}");
    }
    assert_eq!(gets(), 2);

    // The morning after: both calls have ended, and B's patient asked not to be called again.
    advance(&sb, "24h").await;
    let (code, stderr, rows) = outcomes_for(&first).await;
    assert_eq!(code, 1, "the opt-out needs attention: {stderr}");
    assert!(stderr.contains("2 conversations read"), "{stderr}");
    assert_eq!(
        rows.len(),
        2,
        "one row per call, updated in place: {rows:?}"
    );
    let a1 = outcome_for(&rows, "A1");
    assert_eq!(
        (a1["status"].as_str(), a1["needs_attention"].as_str()),
        ("CLOSED", "false")
    );
    let b1 = outcome_for(&rows, "B1");
    assert_eq!(
        (b1["status"].as_str(), b1["needs_attention"].as_str()),
        ("CLOSED", "true")
    );
    assert!(b1["reason"].starts_with("the patient asked not to be called again"));
    assert_eq!(gets(), 4);

    // Closed conversations are final: a third run reads nothing, and still says (exit 1) that
    // the file holds a row needing a person.
    let (code, stderr, _) = outcomes_for(&first).await;
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("0 conversations read, 1 row needs attention"),
        "{stderr}"
    );
    assert_eq!(gets(), 4, "nothing read again");

    // The next night, B's number is skipped without a request; a new patient is called.
    let next = night(&t, 24, "18:30", &[("B2", PHONE_B), ("C2", PHONE_C)])
        .run_async()
        .await;
    next.assert_status(0);
    let b2 = next.result_for("B2");
    assert_eq!(b2["status"], "skipped");
    assert_eq!(
        b2["reason"],
        format!(
            "the patient asked not to be called (conversation {}, Mon 2026-11-23)",
            b1["conversation_id"]
        )
    );
    assert_eq!(next.result_for("C2")["status"], "sent");
    let mut posted: Vec<String> = crate::harness::sandbox_log(&log)
        .iter()
        .filter(|e| e["method"] == "POST" && e["path"] == "/v1/calls")
        .map(|e| e["appointmentId"].as_str().unwrap_or_default().to_string())
        .collect();
    // A night's calls go out side by side, so their order in the log is not fixed.
    posted.sort();
    assert_eq!(posted, ["A1", "B1", "C2"], "no request for B2");
}

/// A patient who asked on a call not to be called is not called two nights later on another
/// number of her row: the number she asked on is her home phone there, her mobile comes first.
/// Her row is skipped, its reason naming the column (never the number), without a person (as
/// every opt-out); a sibling's row sharing her mobile is called alone, not as her household.
/// The sandbox's `--opt-out` makes the call end in the request, `outcomes` records it; previews
/// (streamed, reading the export twice or once, and whole) and the run agree.
#[tokio::test(flavor = "multi_thread")]
async fn a_request_not_to_be_called_covers_every_number_of_a_row_that_has_it() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("sandbox.jsonl");
    let sb = test_sandbox(KEY, &log, |c| {
        c.close_after = Duration::ZERO;
        c.opt_outs.insert("+13125550147".to_string());
    })
    .await;
    let t = Test::new().server(&sb.base_url()).env("ANNIE_API_KEY", KEY);
    let first = night(&t, 23, "18:30", &[("A1", PHONE_A)]).run_async().await;
    first.assert_status(0);
    let (code, stderr, rows) = outcomes_for(&first).await;
    assert_eq!(code, 1, "the opt-out needs attention: {stderr}");
    let a1 = outcome_for(&rows, "A1");
    assert_eq!(a1["class"], "opt_out", "{a1:?}");

    // Two nights later.
    advance(&sb, "48h").await;
    let mobile_first = [
        ("WirelessPhone", PHONE_C),
        ("HmPhone", PHONE_A),
        ("AptDateTime", "2026-11-26 10:00:00"),
    ];
    let sibling = [
        ("WirelessPhone", PHONE_C),
        ("FName", "Mia"),
        ("AptDateTime", "2026-11-26 11:00:00"),
    ];
    let later = t
        .clone()
        .now(Some("2026-11-25T18:30:00-06:00"))
        .results_name("night-25.results.csv")
        .od_rows(&[&od_row("A2", &mobile_first), &od_row("SIB", &sibling)]);
    let reason = format!(
        "the patient asked not to be called on the number in HmPhone (conversation {}, Mon \
         2026-11-23); not called on another of the row's numbers either; if that number is not \
         this patient's, remind them another way",
        a1["conversation_id"]
    );
    for (out, args, called) in crate::harness::run_every_way(&later).await {
        out.assert_status(0);
        let a2 = out.result_for("A2");
        assert_eq!(
            (
                a2["status"].as_str(),
                a2["reason_code"].as_str(),
                a2["needs_attention"].as_str()
            ),
            ("skipped", "opted_out", "false"),
            "{args:?} {a2:?}"
        );
        assert_eq!(a2["reason"], reason, "{args:?}");
        assert!(!a2["reason"].contains("0147"), "no digits of the number");
        let sib = out.result_for("SIB");
        assert_eq!(sib["status"], called, "{args:?} {sib:?}");
        assert!(!sib["reason"].contains("household"), "{args:?} {sib:?}");
        if args.contains(&"--emit-requests") {
            let body: serde_json::Value =
                serde_json::from_str(out.file("requests.jsonl").trim()).unwrap();
            assert_eq!(body["appointmentInfo"]["appointmentId"], "SIB");
            let context = body["context"].as_str().unwrap();
            assert!(!context.contains("Sarah"), "{context}");
        }
    }
    let posted: Vec<String> = crate::harness::sandbox_log(&log)
        .iter()
        .filter(|e| e["method"] == "POST" && e["path"] == "/v1/calls")
        .map(|e| e["appointmentId"].as_str().unwrap_or_default().to_string())
        .collect();
    assert_eq!(posted, ["A1", "SIB"], "A2 was never called");
}

const PHONE_D: &str = "(312) 555-0150";
const PHONE_E: &str = "(312) 555-0151";

#[tokio::test(flavor = "multi_thread")]
async fn outcomes_write_each_calls_class_last_and_count_the_classes() {
    let annie = Annie::start_with("2026-11-10T18:00:00-06:00", Duration::ZERO).await;
    // A practice's own phrase for "confirmed" (the list replaces the default one).
    let config = format!(
        "{}\n[outcomes]\nconfirmed = [\"confirm*\", \"all set\"]\n",
        crate::harness::CONFIG
    );
    let t = Test::new().server(&annie.base_url()).config(&config);
    let first = night(
        &t,
        10,
        "18:00",
        &[
            ("A1", PHONE_A),
            ("B1", PHONE_B),
            ("C1", PHONE_C),
            ("D1", PHONE_D),
            ("E1", PHONE_E),
        ],
    )
    .run_async()
    .await;
    first.assert_status(0);
    let closed = |duration: i64, summary: &str, tags: serde_json::Value| {
        json!({"status": "CLOSED", "duration": duration, "summary": summary,
               "topic": "Appointment confirmation", "conversationTags": tags})
    };
    annie.set_conversation(
        "conv-A1",
        closed(40, "The patient says they are all set.", json!([])),
    );
    annie.set_conversation("conv-B1", unanswered());
    annie.set_conversation(
        "conv-C1",
        closed(
            55,
            "La paciente pidió cambiar la cita para otro día.",
            json!([]),
        ),
    );
    annie.set_conversation(
        "conv-D1",
        closed(30, "Left a message.", json!(["VOICEMAIL"])),
    );
    annie.set_conversation(
        "conv-E1",
        closed(
            25,
            "Dejen de llamar a este número, dijo el paciente.",
            json!([]),
        ),
    );
    let (code, stderr, rows) = outcomes_for(&first).await;
    assert_eq!(code, 1, "{stderr}");
    let expected = [
        ("A1", "confirmed", "false"),
        ("B1", "no_answer", "true"),
        ("C1", "reschedule_requested", "true"),
        ("D1", "voicemail", "false"),
        ("E1", "opt_out", "true"),
    ];
    for (apt, class, attention) in expected {
        let row = outcome_for(&rows, apt);
        assert_eq!(
            (row["class"].as_str(), row["needs_attention"].as_str()),
            (class, attention),
            "{row:?}"
        );
    }
    let text = std::fs::read_to_string(first.dir.join("night-10.outcomes.csv")).unwrap();
    assert!(
        text.starts_with(
            "row,appointment_id,conversation_id,status,topic,summary,duration,needs_attention,\
             reason,location,class\n"
        ),
        "{text}"
    );
    assert!(
        stderr.contains(
            "by class: 1 confirmed, 1 no_answer, 1 opt_out, 1 reschedule_requested, 1 voicemail;"
        ),
        "{stderr}"
    );
    let summary: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(first.dir.join("outcomes-summary.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(
        summary["classes"],
        json!({"confirmed": 1, "reschedule_requested": 1, "cancel_requested": 0,
               "no_answer": 1, "voicemail": 1, "opt_out": 1, "unclear": 0, "open": 0})
    );
    assert_eq!(summary["needs_attention"], 3);

    // The opt-out heard in Spanish reaches the ledger: the next night skips that number.
    let next = night(&t, 11, "18:30", &[("E2", PHONE_E)]).run_async().await;
    assert_eq!(next.result_for("E2")["status"], "skipped");
}

#[test]
fn outcomes_config_errors_name_the_file_line_and_key() {
    let base = crate::harness::CONFIG;
    let line = base.lines().count() + 3;
    let cases = [
        (
            format!("{base}\n[outcomes]\nconfirmed = [\"confirm*\", \"  \"]\n"),
            format!("{line}: [outcomes] confirmed: `  ` has no words to look for; remove it or write a phrase"),
        ),
        (
            format!("{base}\n[outcomes]\nopt_out = [\"no *more\"]\n"),
            format!("{line}: [outcomes] opt_out: `no *more`: `*` may only end a phrase (\"reschedul*\" matches \"rescheduling\")"),
        ),
    ];
    for (config, expected) in cases {
        let out = Test::new()
            .config(&config)
            .od_rows(&[&od_row("A1", &[])])
            .args(["--dry-run"])
            .run();
        out.assert_status(2);
        let path = out.dir.join("config.toml");
        assert_eq!(
            out.stderr.trim_end(),
            format!("annie-dispatch: error: {}:{expected}", path.display())
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_households_shared_conversation_is_read_once() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("sandbox.jsonl");
    let sb = test_sandbox(KEY, &log, |_| {}).await;
    let t = Test::new().server(&sb.base_url()).env("ANNIE_API_KEY", KEY);
    let run = night(&t, 23, "18:30", &[("A1", PHONE_A), ("A2", PHONE_A)])
        .run_async()
        .await;
    run.assert_status(0);
    let ids: Vec<String> = run
        .results()
        .iter()
        .map(|r| r["conversation_id"].clone())
        .collect();
    assert_eq!(ids.len(), 2);
    assert_eq!(ids[0], ids[1], "one household call: {ids:?}");

    let (code, stderr, rows) = outcomes_for(&run).await;
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(rows.len(), 2, "a row for each appointment");
    let gets = crate::harness::sandbox_log(&log)
        .iter()
        .filter(|e| e["path"] == "/v1/conversations/{id}")
        .count();
    assert_eq!(gets, 1, "the shared conversation is read once");
    assert!(stderr.contains("1 conversation read, "), "{stderr}");
    sb.stop().await;
}

/// A minified JSON export (every appointment on one line) used to number every row 1, and the
/// outcomes file, one row per results row, kept one of the five: the others' conversations were
/// read and dropped. Each appointment now has its own row, in both files.
#[tokio::test(flavor = "multi_thread")]
async fn a_one_line_json_export_keeps_an_outcome_for_every_row() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("sandbox.jsonl");
    let sb = test_sandbox(KEY, &log, |c| c.close_after = Duration::ZERO).await;
    let ids = ["J1", "J2", "J3", "J4", "J5"];
    let objects: Vec<serde_json::Value> = ids.iter().map(|id| od_object(id, &[])).collect();
    let run = Test::new()
        .server(&sb.base_url())
        .env("ANNIE_API_KEY", KEY)
        .input(
            "appointments.json",
            serde_json::to_string(&objects).unwrap(),
        )
        .run_async()
        .await;
    run.assert_status(0);
    let sent: Vec<(u64, String, String)> = (1..=5)
        .map(|row| (row, format!("J{row}"), "sent".to_string()))
        .collect();
    assert_eq!(run.statuses(), sent);

    let (code, stderr, rows) = outcomes_for(&run).await;
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("5 conversations read, "), "{stderr}");
    let key = |r: &BTreeMap<String, String>| {
        [&r["row"], &r["appointment_id"], &r["conversation_id"]].map(String::clone)
    };
    let results: Vec<[String; 3]> = run.results().iter().map(key).collect();
    let outcomes: Vec<[String; 3]> = rows.iter().map(key).collect();
    assert_eq!(outcomes, results, "one outcome for each results row");
    assert!(rows.iter().all(|r| r["status"] == "CLOSED"), "{rows:?}");

    // A results file an earlier version wrote from that export (every row numbered 1): the
    // outcomes file can hold one of them, and says so, naming the others, and exits 1.
    let text = std::fs::read_to_string(&run.results_path).unwrap();
    let old = regex::Regex::new(r"(?m)^[2-5],J").unwrap();
    std::fs::write(&run.results_path, old.replace_all(&text, "1,J").as_bytes()).unwrap();
    std::fs::remove_file(run.dir.join("appointments.outcomes.csv")).unwrap();
    let (code, stderr, rows) = outcomes_for(&run).await;
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains(
            "the results file has 5 rows numbered 1 (appointments J1, J2, J3, J4, J5): two \
             results files joined into one, or a file an earlier version wrote from a JSON \
             export with several appointments on one line. The outcomes file keeps one row per \
             number, so it holds only one of them: read the others' calls in Annie (or give \
             `outcomes` each night's own results file)"
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains(", 4 left out (rows numbered alike: see the warning above)"),
        "{stderr}"
    );
    assert_eq!(rows.len(), 1, "{rows:?}");
    sb.stop().await;
}

/// `outcomes` writes three files; none may be the results file, the config, the ledger, the
/// export or anything else it did not write, nor a folder or in a folder that does not exist.
/// Each is refused (exit 2) before a conversation is read, and every file is left as it was.
#[tokio::test(flavor = "multi_thread")]
async fn outcomes_outputs_never_destroy_the_results_the_config_the_ledger_or_the_export() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("sandbox.jsonl");
    let sb = test_sandbox(KEY, &log, |c| c.close_after = Duration::ZERO).await;
    let out = Test::new()
        .server(&sb.base_url())
        .env("ANNIE_API_KEY", KEY)
        .od_rows(&[&od_row("A1", &[])])
        .run_async()
        .await;
    out.assert_status(0);
    let files = [
        "appointments.results.csv",
        "config.toml",
        "annie-dispatch.ledger.sqlite3",
        "appointments.csv",
    ];
    let before: Vec<Vec<u8>> = files
        .iter()
        .map(|f| std::fs::read(out.dir.join(f)).unwrap())
        .collect();
    let cases = [
        (
            "--report",
            "appointments.results.csv",
            "is the results file",
        ),
        ("--report", "config.toml", "is the config"),
        (
            "--summary-json",
            "annie-dispatch.ledger.sqlite3",
            "is the ledger",
        ),
        (
            "--summary-json",
            "appointments.csv",
            "exists and is not a JSON file",
        ),
        (
            "--out",
            "appointments.csv",
            "exists and is not a file this tool wrote",
        ),
        ("--out", "config.toml", "is the config"),
        (
            "--summary-json",
            "nodir/s.json",
            "error: --summary-json `nodir/s.json` cannot be written: its folder `nodir` does not \
             exist. Create the folder, or choose another path for --summary-json\n",
        ),
        (
            "--report",
            "nodir/r.html",
            "error: --report `nodir/r.html` cannot be written: its folder `nodir` does not exist. \
             Create the folder, or choose another path for --report\n",
        ),
        (
            "--out",
            ".",
            "error: the outcomes file (--out) `.` is a folder, not a file: name a file for the \
             outcomes file (--out), such as a new file in that folder\n",
        ),
    ];
    for (flag, name, said) in cases {
        let dir = out.dir.clone();
        let run = tokio::task::spawn_blocking(move || {
            std::process::Command::new(env!("CARGO_BIN_EXE_annie-dispatch"))
                .current_dir(&dir)
                .env("ANNIE_API_KEY", KEY)
                .args(["outcomes", "--config", "config.toml"])
                .args(["--results", "appointments.results.csv", flag, name])
                .output()
                .unwrap()
        })
        .await
        .unwrap();
        let stderr = String::from_utf8_lossy(&run.stderr);
        assert_eq!(run.status.code(), Some(2), "{flag} {name}: {stderr}");
        assert!(stderr.contains(said), "{flag} {name}: {stderr}");
        for (file, bytes) in files.iter().zip(&before) {
            assert_eq!(
                &std::fs::read(out.dir.join(file)).unwrap(),
                bytes,
                "{flag} {name}: {file}"
            );
        }
    }
    // No conversation was read by the refused runs.
    let gets = harness_gets(&log);
    assert_eq!(gets, 0, "conversations read by refused runs");
}

/// `outcomes --summary-json` and `--report` replace only their own earlier file, as `run`'s do:
/// a JSON export, another program's JSON or another page is refused (exit 2) before a
/// conversation is read, and left as it was (the breaker's round-9 finding 1).
#[tokio::test(flavor = "multi_thread")]
async fn outcomes_json_and_html_outputs_never_replace_an_export_or_another_page() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("sandbox.jsonl");
    let sb = test_sandbox(KEY, &log, |c| c.close_after = Duration::ZERO).await;
    let out = Test::new()
        .server(&sb.base_url())
        .env("ANNIE_API_KEY", KEY)
        .od_rows(&[&od_row("A1", &[])])
        .run_async()
        .await;
    out.assert_status(0);
    let others = crate::outputs::others_files();
    for (name, text) in &others {
        std::fs::write(out.dir.join(name), text).unwrap();
    }
    let outcomes_in = |extra: [&'static str; 4]| {
        let dir = out.dir.clone();
        tokio::task::spawn_blocking(move || {
            std::process::Command::new(env!("CARGO_BIN_EXE_annie-dispatch"))
                .current_dir(&dir)
                .env("ANNIE_API_KEY", KEY)
                .args(["outcomes", "--config", "config.toml"])
                .args(["--results", "appointments.results.csv"])
                .args(extra)
                .output()
                .unwrap()
        })
    };
    let cases = [
        ("--summary-json", "export.json", "a JSON file"),
        ("--summary-json", "export.jsonl", "a JSON file"),
        ("--summary-json", "keep.json", "a JSON file"),
        ("--report", "wiki.html", "an HTML report"),
    ];
    for (flag, name, kind) in cases {
        let run = outcomes_in([flag, name, "--out", "o.csv"]).await.unwrap();
        let stderr = String::from_utf8_lossy(&run.stderr);
        assert_eq!(run.status.code(), Some(2), "{flag} {name}: {stderr}");
        assert_eq!(
            stderr,
            format!(
                "annie-dispatch: error: {flag} `{name}` exists and is not {kind} this tool \
                 wrote; writing it would destroy that file. Choose another path for {flag}, or \
                 move the file away first\n"
            ),
        );
        for (name, text) in &others {
            assert_eq!(&out.file(name), text, "{flag}: {name} changed");
        }
        assert!(!out.dir.join("o.csv").exists());
    }
    assert_eq!(harness_gets(&log), 0, "conversations read by refused runs");

    // Their own earlier files (and a run's summary) are replaced.
    let args = ["--summary-json", "s.json", "--report", "r.html"];
    let run = outcomes_in(args).await.unwrap();
    assert_eq!(run.status.code(), Some(0), "{run:?}");
    std::fs::write(
        out.dir.join("r.html"),
        out.file("r.html") + "<!-- seen -->\n",
    )
    .unwrap();
    let mut summary: serde_json::Value = serde_json::from_str(&out.file("s.json")).unwrap();
    summary["seen"] = json!(true);
    std::fs::write(out.dir.join("s.json"), summary.to_string()).unwrap();
    let run = outcomes_in(args).await.unwrap();
    assert_eq!(run.status.code(), Some(0), "{run:?}");
    let summary: serde_json::Value = serde_json::from_str(&out.file("s.json")).unwrap();
    assert_eq!(summary["outcomes_file"], "appointments.outcomes.csv");
    assert!(summary.get("seen").is_none(), "{summary}");
    assert!(!out.file("r.html").contains("<!-- seen -->"));
}

/// `GET /conversations/...` requests the sandbox logged.
fn harness_gets(log: &std::path::Path) -> usize {
    crate::harness::sandbox_log(log)
        .iter()
        .filter(|e| e["path"] == "/v1/conversations/{id}")
        .count()
}

/// Breaker 4, findings 1 and 10: requests not to be called in the third person are opt-outs
/// (the next night skips those numbers), and "unable to confirm" needs a person.
#[tokio::test(flavor = "multi_thread")]
async fn third_person_requests_not_to_be_called_reach_the_ledger() {
    let annie = Annie::start_with("2026-11-10T18:00:00-06:00", Duration::ZERO).await;
    let t = Test::new().server(&annie.base_url());
    let first = night(
        &t,
        10,
        "18:00",
        &[
            ("A1", PHONE_A),
            ("B1", PHONE_B),
            ("C1", PHONE_C),
            ("D1", PHONE_D),
        ],
    )
    .run_async()
    .await;
    first.assert_status(0);
    let closed = |summary: &str| {
        json!({"status": "CLOSED", "duration": 40, "summary": summary,
               "topic": "Appointment confirmation", "conversationTags": []})
    };
    let said = [
        (
            "A1",
            "The patient asked that the office not contact her again.",
        ),
        ("B1", "The patient withdrew consent to be called."),
        ("C1", "The patient was unable to confirm the appointment."),
        ("D1", "The patient confirmed and said calls are fine."),
    ];
    for (apt, summary) in said {
        annie.set_conversation(&format!("conv-{apt}"), closed(summary));
    }
    let (code, stderr, rows) = outcomes_for(&first).await;
    assert_eq!(code, 1, "{stderr}");
    for (apt, class, attention) in [
        ("A1", "opt_out", "true"),
        ("B1", "opt_out", "true"),
        ("C1", "unclear", "true"),
        ("D1", "confirmed", "false"),
    ] {
        let row = outcome_for(&rows, apt);
        assert_eq!(
            (row["class"].as_str(), row["needs_attention"].as_str()),
            (class, attention),
            "{row:?}"
        );
    }
    let next = night(&t, 11, "18:30", &[("A2", PHONE_A), ("B2", PHONE_B)])
        .run_async()
        .await;
    for apt in ["A2", "B2"] {
        let row = next.result_for(apt);
        assert_eq!(
            (row["status"].as_str(), row["reason_code"].as_str()),
            ("skipped", "opted_out"),
            "{row:?}"
        );
    }
}

/// The evening after a call in which the patient asked not to be called, before the morning's
/// `outcomes` has recorded it: a real run finds the request in Annie first and skips the
/// patient, a preview cannot look, so it says so (how many calls, nobody named) rather than
/// show "will call" without a word. Once `outcomes` has read every call to its end there is
/// nothing left to say, and the preview shows the skip itself.
#[tokio::test(flavor = "multi_thread")]
async fn a_preview_says_when_the_ledger_has_not_read_its_last_calls() {
    let annie = Annie::start_with("2026-11-10T18:00:00-06:00", Duration::ZERO).await;
    let t = Test::new().server(&annie.base_url());
    let unread = "whose outcome it has not recorded";
    // The first preview ever (no ledger yet) has nothing to say about it.
    let first = night(&t, 10, "18:00", &[("A1", PHONE_A), ("C1", PHONE_C)]);
    let preview = first.clone().args(["--dry-run"]).run_async().await;
    preview.assert_status(0);
    assert!(!preview.stderr.contains(unread), "{}", preview.stderr);
    let first = first.run_async().await;
    first.assert_status(0);
    annie.set_conversation(
        "conv-A1",
        json!({"status": "CLOSED", "duration": 35,
               "summary": "The patient asked us not to call this number again."}),
    );
    annie.set_conversation(
        "conv-C1",
        json!({"status": "CLOSED", "duration": 42, "summary": "The patient confirmed."}),
    );

    let two = "the ledger holds 2 calls made since it last checked Annie's conversations \
               whose outcome it has not recorded: a real run first looks in Annie, and may skip \
               patients this preview shows as called";
    let second = night(&t, 11, "18:30", &[("A2", PHONE_A), ("C2", PHONE_C)]);
    let preview = second.clone().args(["--dry-run"]).run_async().await;
    preview.assert_status(0);
    assert!(
        preview.stderr.contains(two)
            && preview
                .stderr
                .contains("Run `annie-dispatch outcomes` first to make this preview exact"),
        "{}",
        preview.stderr
    );
    assert_eq!(
        preview.stderr.matches(unread).count(),
        1,
        "{}",
        preview.stderr
    );
    assert!(!preview.stderr.contains("555"), "{}", preview.stderr);
    assert_eq!(preview.result_for("A2")["status"], "dry_run");

    let (code, stderr, _) = outcomes_for(&first).await;
    assert_eq!(code, 1, "A's request needs attention: {stderr}");
    let preview = second.clone().args(["--dry-run"]).run_async().await;
    preview.assert_status(0);
    assert!(!preview.stderr.contains(unread), "{}", preview.stderr);
    assert_eq!(preview.result_for("A2")["reason_code"], "opted_out");
    assert_eq!(preview.result_for("C2")["status"], "dry_run");
}

/// `outcomes --results` given the export by mistake: refused (exit 2) saying it is not a
/// results file and which file to give, not a CSV library's "missing field `row`" (round-9
/// finding 11e).
#[tokio::test(flavor = "multi_thread")]
async fn outcomes_given_the_export_says_it_is_not_a_results_file() {
    let annie = Annie::start().await;
    let run = Test::new()
        .server(&annie.base_url())
        .od_rows(&[&od_row("A1", &[])])
        .run_async()
        .await;
    run.assert_status(0);
    let export = run.dir.join("appointments.csv");
    let (code, stderr) = outcomes_in(&run.dir, export).await;
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains(&format!(
            "`{}` is not a results file (its first line does not start `row,appointment_id,status...`): \
             give --results the file a run wrote, named like `tonight.results.csv` (or the .jsonl \
             one), not the export or another file",
            run.dir.join("appointments.csv").display()
        )),
        "{stderr}"
    );
}

/// Rows the night flagged for a person without calling them (skipped for the 24 hours between
/// calls to a number, deferred past calling hours): no run can remind those patients before
/// their appointments. The morning `outcomes` keeps them needing a person, with the night's
/// reason: in the outcomes file, the exit status (1, which cron mails) and the report's "Needs a
/// person" (finding 2 of round 9: it read them as "not called, on purpose" and exited 0).
#[tokio::test(flavor = "multi_thread")]
async fn rows_the_night_flagged_for_a_person_still_need_one_in_the_outcomes() {
    let annie = Annie::start_with("2026-11-10T18:00:00-06:00", Duration::ZERO).await;
    let t = Test::new().server(&annie.base_url());
    let row = |apt, phone, start| od_row(apt, &[("WirelessPhone", phone), ("AptDateTime", start)]);
    let first = t
        .clone()
        .now(Some("2026-11-10T18:00:00-06:00"))
        .results_name("first.results.csv")
        .od_rows(&[&row("A1", PHONE_A, "2026-11-11 10:00:00")])
        .run_async()
        .await;
    first.assert_status(0);
    // 19:00: A2 shares A1's number (free again after its appointment); Annie refuses B1's call
    // for calling hours while the config's hours are open (no later run can be trusted with it).
    let message = "calls are allowed only between 9 AM and 8 PM (America/New_York)";
    annie.fail_calls(422, message, Some(1)).await;
    let night = t
        .now(Some("2026-11-10T19:00:00-06:00"))
        .results_name("night.results.csv")
        .od_rows(&[
            &row("A2", PHONE_A, "2026-11-11 10:00:00"),
            &row("B1", PHONE_B, "2026-11-11 10:00:00"),
        ])
        .run_async()
        .await;
    night.assert_status(1);
    let flagged = ["A2", "B1"].map(|a| night.result_for(a));
    for (r, status) in flagged.iter().zip(["skipped", "deferred"]) {
        assert_eq!(
            (r["status"].as_str(), r["needs_attention"].as_str()),
            (status, "true"),
            "{r:?}"
        );
        assert!(
            r["reason"].ends_with("remind the patient another way"),
            "{r:?}"
        );
    }

    let (code, stderr) = morning_outcomes(&night).await;
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains("0 conversations read, 2 rows need attention"),
        "{stderr}"
    );
    let rows = read_results(&night.dir.join("night.outcomes.csv"));
    for (r, status) in flagged.iter().zip(["skipped", "deferred"]) {
        let o = outcome_for(&rows, &r["appointment_id"]);
        assert_eq!(
            (
                o["status"].as_str(),
                o["needs_attention"].as_str(),
                o["reason"].as_str()
            ),
            (status, "true", r["reason"].as_str()),
        );
    }
    let summary: serde_json::Value = serde_json::from_str(&night.file("morning.json")).unwrap();
    assert_eq!(
        (
            summary["needs_attention"].as_u64(),
            summary["exit_status"].as_u64()
        ),
        (Some(2), Some(1))
    );
    let html = night.file("morning.html");
    assert!(html.contains("Needs a person (2)"), "{html}");
    let attention = &html[html.find("id=\"attention\"").unwrap()..];
    for apt in ["A2", "B1"] {
        let listed = &attention[attention.find(&format!("<td>{apt}</td>")).expect(apt)..];
        let listed = &listed[..listed.find("</tr>").unwrap()];
        assert!(
            listed.contains("remind the patient another way")
                && listed.contains(
                    "No run can call this patient before the appointment: remind them another way"
                ),
            "{listed}"
        );
    }
}

/// The shipped morning job: `outcomes` on a night's results file, with `--report morning.html`
/// and `--summary-json morning.json` beside it; its exit status and stderr.
async fn morning_outcomes(night: &Output) -> (Option<i32>, String) {
    let (config, results) = (night.dir.join("config.toml"), night.results_path.clone());
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_annie-dispatch"))
            .env("ANNIE_API_KEY", KEY)
            .args(["outcomes", "--config"])
            .arg(&config)
            .arg("--results")
            .arg(&results)
            .args(["--report", "morning.html", "--summary-json", "morning.json"])
            .current_dir(config.parent().unwrap())
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    (out.status.code(), stderr)
}

/// The morning report (`outcomes --report`, made after the night's run, often on the
/// appointment's day) does not tell the office "a rerun today calls them": once the night's
/// calling hours have closed, a rerun is about another day's appointments. It says to remind the
/// patient another way then (finding 8 of round 9); `run --report` on the calling day keeps
/// its words.
#[tokio::test(flavor = "multi_thread")]
async fn the_morning_report_does_not_promise_a_rerun_calls_the_patient() {
    let annie = Annie::start().await;
    let night = Test::new()
        .server(&annie.base_url())
        .od_rows(&[&od_row("BAD", &[("WirelessPhone", "(312) 555-O147")])])
        .args(["--report", "night.html"])
        .run_async()
        .await;
    night.assert_status(1);
    assert_eq!(night.result_for("BAD")["reason_code"], "no_valid_phone");
    assert!(night
        .file("night.html")
        .contains("a rerun today calls them."));

    let (code, stderr) = morning_outcomes(&night).await;
    assert_eq!(code, Some(1), "{stderr}");
    let html = night.file("morning.html");
    assert!(
        html.contains(
            "Correct the patient&#x27;s phone number in the practice system and export again; a \
             rerun calls them. This report comes after the night&#x27;s run: once its calling \
             hours have closed, no rerun calls about this appointment (a rerun then is about \
             another day&#x27;s), so remind the patient another way (a call from the office, a \
             text)."
        ),
        "{html}"
    );
    assert!(!html.contains("rerun today"), "{html}");
}

/// `outcomes --results` given a results file Excel re-saved (a byte-order mark before the
/// header) reads it; an empty file (a night that stopped before its first row) and a preview's
/// file (every row `dry_run`) are refused, saying why, instead of "0 rows need attention", exit 0
/// (round-10 findings 4 and 6).
#[tokio::test(flavor = "multi_thread")]
async fn outcomes_reads_an_excel_saved_results_file_and_refuses_an_empty_or_preview_one() {
    let annie = Annie::start().await;
    let run = Test::new()
        .server(&annie.base_url())
        .env("ANNIE_API_KEY", KEY)
        .od_rows(&[&od_row("A1", &[])])
        .run_async()
        .await;
    run.assert_status(0);
    let results = std::fs::read(&run.results_path).unwrap();
    let outcomes_of = |name: &'static str, bytes: Vec<u8>| {
        std::fs::write(run.dir.join(name), bytes).unwrap();
        outcomes_in(&run.dir, run.dir.join(name))
    };

    let mut excel = b"\xEF\xBB\xBF".to_vec();
    excel.extend(&results);
    let (code, stderr) = outcomes_of("excel.results.csv", excel).await;
    assert!(!stderr.contains("is not a results file"), "{stderr}");
    assert!(stderr.contains("1 conversation read"), "{code}: {stderr}");

    let (code, stderr) = outcomes_of("empty.results.csv", Vec::new()).await;
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains(
            "empty.results.csv` is empty: the run that should have written it stopped before \
             its first row (look at that run's log); none of its appointments is accounted for"
        ),
        "{stderr}"
    );

    let preview = String::from_utf8(results)
        .unwrap()
        .replace(",sent,", ",dry_run,");
    let (code, stderr) = outcomes_of("n.results.preview.csv", preview.into_bytes()).await;
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains(
            "n.results.preview.csv` is a preview's file (every row `dry_run`): a preview calls \
             nobody, so there is nothing to read"
        ),
        "{stderr}"
    );
}

/// `outcomes` on a `run --sandbox` rehearsal's results: refused (exit 2), saying there is nothing
/// to read and how to rehearse it, instead of "the ledger does not exist" or reading rehearsal
/// ids with the real key (round-10 finding 3).
#[tokio::test(flavor = "multi_thread")]
async fn outcomes_on_a_rehearsals_results_says_there_is_nothing_to_read() {
    let annie = Annie::start().await;
    let run = Test::new()
        .server(&annie.base_url())
        .od_rows(&[&od_row("A1", &[])])
        .run_async()
        .await;
    run.assert_status(0);
    let rehearsal = run.dir.join("appointments.results.sandbox.csv");
    std::fs::copy(&run.results_path, &rehearsal).unwrap();
    let (code, stderr) = outcomes_in(&run.dir, rehearsal).await;
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains(
            "appointments.results.sandbox.csv` holds the calls of a `run --sandbox` rehearsal: \
             they were made in a sandbox that ended with that run, so there is nothing to read"
        ),
        "{stderr}"
    );
    assert!(!run
        .dir
        .join("appointments.results.sandbox.outcomes.csv")
        .exists());
}
