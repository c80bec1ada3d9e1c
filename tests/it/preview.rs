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
            "ROW  APPOINTMENT           PATIENT   PHONE         WHAT WILL HAPPEN",
            "2    Tue Nov 24 09:00 CST  Sarah J.  +1312***0147  will call",
            "3    Tue Nov 24 09:00 CST  Sarah J.  +1312***0148  skipped: already confirmed",
        ]
    );
    // The table on stdout names the patient (first name, last initial); nothing else does.
    assert!(!out.stdout.contains("Johnson"));
    assert!(!out.stderr.contains("Sarah") && !out.stderr.contains("Johnson"));
    let preview_file = std::fs::read_to_string(&out.results_path).unwrap();
    assert!(
        !preview_file.contains("Sarah") && !preview_file.contains("Johnson"),
        "{preview_file}"
    );

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

/// The widest line of `text`, in display columns.
pub fn widest(text: &str) -> usize {
    use unicode_width::UnicodeWidthStr;
    text.lines().map(|l| l.width()).max().unwrap_or(0)
}

#[test]
fn a_long_reason_is_cut_to_fit_100_columns_and_wide_shows_it_whole() {
    let t = || {
        Test::new().od_rows(&[
            &od_row("A1", &[("FName", "Zoë"), ("LName", "Świątek")]),
            &od_row(
                "A2",
                &[(
                    "AptDateTime",
                    "the second tuesday of the month, mid-morning",
                )],
            ),
        ])
    };
    let out = t().args(["--dry-run"]).run();
    out.assert_status(1);
    let reason = out.result_for("A2")["reason"].clone();
    assert!(reason.chars().count() > 60, "{reason}");
    assert!(widest(&out.stdout) <= 100, "{}", out.stdout);
    let cut = out.stdout.lines().find(|l| l.starts_with("3 ")).unwrap();
    assert!(cut.ends_with('…'), "{cut}");
    assert!(out.stdout.contains("Zoë Ś.  "), "{}", out.stdout);
    // The preview file keeps the reason whole.
    assert!(std::fs::read_to_string(&out.results_path)
        .unwrap()
        .contains(&reason));

    let wide = t().args(["--dry-run", "--wide"]).run();
    let line = wide.stdout.lines().find(|l| l.starts_with("3 ")).unwrap();
    assert!(line.ends_with(&reason), "{line}");
}

#[test]
fn show_texts_prints_what_annie_would_get_for_the_first_calls() {
    let out = Test::new()
        .od_rows(&[
            &od_row("A1", &[("WirelessPhone", "(312) 555-0147")]),
            &od_row("A2", &[("FName", "José"), ("LName", "García")]),
            &od_row("A3", &[("Confirmed", "Appointment Confirmed")]),
            &od_row("A4", &[("FName", "Ana"), ("LName", "Martínez")]),
        ])
        .args(["--dry-run", "--show-texts", "2"])
        .run();
    out.assert_status(0);
    let (table, texts) = out
        .stdout
        .split_once("── what Annie would get for the first 2 calls ")
        .expect("a heading after the table");
    assert_eq!(table.lines().count(), 6, "{table}");
    assert_eq!(texts.matches("  context:   ").count(), 2, "{texts}");
    assert_eq!(texts.matches("  voicemail: ").count(), 2, "{texts}");
    assert!(
        texts.contains("row 2  Sarah J.  Tue Nov 24 09:00 CST"),
        "{texts}"
    );
    assert!(
        texts.contains("row 3  José G.  Tue Nov 24 09:00 CST"),
        "{texts}"
    );
    assert!(
        !texts.contains("Ana M."),
        "only the first two calls: {texts}"
    );
    assert!(texts.contains("to confirm José's"), "{texts}");
    assert!(widest(&out.stdout) <= 100, "{}", out.stdout);
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

/// A preview on a ledger with no history says a real run would first rebuild it from Annie
/// (and may then skip patients the preview shows as called); once a run has used the ledger,
/// it says nothing.
#[tokio::test(flavor = "multi_thread")]
async fn a_preview_without_history_says_the_real_run_rebuilds_it_first() {
    let annie = crate::mock::Annie::start().await;
    let t = crate::harness::Test::new()
        .server(&annie.base_url())
        .od_rows(&[&crate::harness::od_row("A1", &[])]);
    let note = "the ledger has no history for this location";
    let first = t.clone().args(["--dry-run"]).run_async().await;
    assert!(first.stderr.contains(note), "{}", first.stderr);
    t.run_async().await.assert_status(0);
    let later = t.clone().args(["--dry-run"]).run_async().await;
    assert!(!later.stderr.contains(note), "{}", later.stderr);
}

/// A small export's rows are held in memory between the two passes of a streamed preview; a
/// large one's are kept in a temporary file. Both give the same table and results file.
#[test]
fn a_preview_read_twice_is_the_preview_read_once() {
    let shared = crate::harness::phone_for("A1");
    // `(312) 555-0123` as `312.555.0123`: the same number once normalised.
    let b1_spelled_otherwise = crate::harness::phone_for("B1")
        .replace(['(', ')'], "")
        .replace([' ', '-'], ".");
    let rows = [
        od_row("A1", &[("ProcDescript", "PerEx, 4BW")]),
        od_row("A2", &[("WirelessPhone", &shared), ("FName", "José")]),
        od_row("A3", &[("Confirmed", "Appointment Confirmed")]),
        od_row("A4", &[("WirelessPhone", "555-0100")]),
        od_row("A5", &[("AptDateTime", "2026-02-30 10:00:00")]),
        od_row("A6", &[("AptDateTime", "2026-11-25 10:00:00")]),
        od_row("A4", &[("WirelessPhone", "555-0100")]),
        od_row("A7", &[("HmPhone", &shared), ("WirelessPhone", "")]),
        od_row("A8", &[("AptStatus", "5")]),
        od_row("A9", &[]),
        od_row("A9", &[("FName", "Other")]),
        // Repeated ids: the verdicts come from the index, in both readings.
        od_row("B1", &[]),
        od_row("B1", &[("WirelessPhone", &b1_spelled_otherwise)]),
        od_row("B2", &[("AptDateTime", "2026-02-30 10:00:00")]),
        od_row("B2", &[]),
        od_row("B2", &[]),
        od_row("B3", &[]),
        od_row("B3", &[("Pattern", "XXXX////")]),
        od_row("B4", &[]),
        od_row("B4", &[("Pattern", "//XXX//")]),
    ];
    let rows: Vec<&str> = rows.iter().map(String::as_str).collect();
    let run = |hold: &str| {
        let out = Test::new()
            .without_env("ANNIE_API_KEY")
            .env("ANNIE_DISPATCH_HOLD_BYTES", hold)
            .od_rows(&rows)
            .args(["--dry-run"])
            .run();
        // Some rows are invalid: exit status 1.
        out.assert_status(1);
        let results = std::fs::read_to_string(&out.results_path);
        (out.stdout.clone(), results.unwrap())
    };
    let (once, twice) = (run("1000000"), run("0"));
    assert!(once.0.contains("will call"), "{}", once.0);
    assert_eq!(once, twice);
    // Equal once normalised: copies (a row too broken to be an appointment takes no part);
    // different details: every row of the id conflicts.
    let results = &once.1;
    let count = |id: &str, what: &str| {
        let id = format!(",{id},");
        let lines = results.lines().filter(|l| l.contains(&id));
        lines.filter(|l| l.contains(what)).count()
    };
    for id in ["B1", "B2", "B3"] {
        assert_eq!(count(id, "duplicate of row"), 1, "{id}: {results}");
        assert_eq!(count(id, "different details"), 0, "{id}: {results}");
    }
    assert_eq!(count("B2", "not a real calendar date"), 1, "{results}");
    assert_eq!(count("B4", "different details"), 2, "{results}");
    assert_eq!(count("A9", "different details"), 2, "{results}");
}

/// A streamed preview plans a chunk of rows at a time, but its calls take their turns in the
/// order the run makes them: the calls free now by their first row (a household whose rows are
/// far apart too), then those held for the recipient's hours. With more calls than the window
/// holds, it says of every row what the run would do: what a preview of the whole export at
/// once says (`--emit-requests` takes that path), read once or twice.
#[test]
fn a_streamed_preview_takes_turns_in_the_order_the_run_makes_its_calls() {
    // 10 calls a minute from 09:00 to 20:00, spread over 61 s a minute (the gate's margin):
    // 6,492 turns for 8,400 calls, more than a chunk.
    let config =
        crate::harness::CONFIG.replace("requests_per_minute = 6000", "requests_per_minute = 10");
    let family = "(312) 555-0147";
    let rows: Vec<String> = (0..8_400)
        .map(|i| {
            let id = format!("R{i:05}");
            let phone = match i {
                // A family on the first row and the last: one call, made first.
                0 | 8_399 => family.to_string(),
                // Los Angeles: its hours open at 11:00 Chicago time, so the call waits, behind
                // every call free at 09:00, and the window is full before its turn.
                1 => "(213) 555-0186".to_string(),
                _ => format!("(312) 7{:02}-{:04}", i / 10_000, i % 10_000),
            };
            od_row(&id, &[("WirelessPhone", &phone)])
        })
        .collect();
    let rows: Vec<&str> = rows.iter().map(String::as_str).collect();
    let run = |args: &[&str], hold: &str| {
        let out = Test::new()
            .without_env("ANNIE_API_KEY")
            .config(&config)
            .now(Some("2026-11-23T09:00:00-06:00"))
            .env("ANNIE_DISPATCH_HOLD_BYTES", hold)
            .od_rows(&rows)
            .args(["--dry-run"])
            .args(args.iter().copied())
            .run();
        // The rows the window cannot hold need a person: exit status 1.
        out.assert_status(1);
        let results = std::fs::read_to_string(&out.results_path).unwrap();
        let mut lines: Vec<String> = results.lines().map(str::to_string).collect();
        lines.sort();
        (out.stdout.clone(), lines)
    };
    let whole = run(&["--emit-requests", "requests.jsonl"], "1000000000");
    let line_of = |id: &str| {
        let id = format!(",{id},");
        whole.1.iter().find(|l| l.contains(&id)).cloned().unwrap()
    };
    assert!(
        line_of("R00000").contains(",dry_run,"),
        "{}",
        line_of("R00000")
    );
    assert!(
        line_of("R08399").contains(",dry_run,"),
        "{}",
        line_of("R08399")
    );
    let waited = line_of("R00001");
    assert!(waited.contains(",deferred,"), "{waited}");
    assert!(waited.contains("calling hours"), "{waited}");
    let count = |status: &str| whole.1.iter().filter(|l| l.contains(status)).count();
    // 6,492 slots: the run's look in Annie, the family's call for two rows, then 6,490 calls
    // of one row.
    assert_eq!(count(",dry_run,"), 6_492);
    assert_eq!(count(",deferred,"), 8_400 - 6_492);
    for hold in ["1000000000", "0"] {
        let streamed = run(&[], hold);
        assert!(streamed.0 == whole.0, "the table differs (hold {hold})");
        assert!(streamed.1 == whole.1, "the results differ (hold {hold})");
    }
}

/// A large export's preview keeps its rows in a temporary file: when none can be made there, it
/// stops before writing a row, naming the folder and what to do.
#[test]
fn a_preview_that_cannot_keep_its_rows_stops_and_says_what_to_do() {
    let missing = std::env::temp_dir().join("annie-dispatch-no-such-folder");
    let out = Test::new()
        .without_env("ANNIE_API_KEY")
        .env("ANNIE_DISPATCH_HOLD_BYTES", "0")
        .env("TMPDIR", missing.to_str().unwrap())
        .od_rows(&[&od_row("A1", &[])])
        .args(["--dry-run"])
        .run();
    out.assert_status(2);
    let said = format!(
        "cannot create a temporary file for the preview's rows in `{}`",
        missing.display()
    );
    assert!(out.stderr.contains(&said), "{}", out.stderr);
    assert!(out.stderr.contains("set TMPDIR"), "{}", out.stderr);
    assert!(!out.results_path.exists());
}
