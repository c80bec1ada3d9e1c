//! `outcomes` when a call's conversation cannot be read: the row is still in the outcomes file
//! (one row per results row), marked `not_read`, needing a person, with what failed and what to
//! do; the report counts it as a call whose outcome is unknown and lists it under "Needs a
//! person"; a rerun reads it again and fills it in (when a rerun can: Annie's 404 stays one).

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use crate::harness::{od_row, read_results, test_sandbox, Output, Test};

const KEY: &str = "annie-sk-outcomes";

/// What one `outcomes` run left: its exit status and log, the outcomes rows, the report's text
/// and the `--summary-json` counts.
struct Morning {
    code: i32,
    stderr: String,
    rows: Vec<BTreeMap<String, String>>,
    report: String,
    summary: serde_json::Value,
}

/// `outcomes --report --summary-json` over a run's results, with the given key, off the async
/// runtime (the sandbox answers on it).
async fn outcomes_with(out: &Output, key: &str) -> Morning {
    let dir = out.dir.clone();
    let (results, key) = (out.results_path.clone(), key.to_string());
    let (code, stderr) = tokio::task::spawn_blocking({
        let dir = dir.clone();
        move || {
            let run = std::process::Command::new(env!("CARGO_BIN_EXE_annie-dispatch"))
                .env("ANNIE_API_KEY", key)
                .args(["outcomes", "--config"])
                .arg(dir.join("config.toml"))
                .arg("--results")
                .arg(results)
                .arg("--report")
                .arg(dir.join("morning.html"))
                .arg("--summary-json")
                .arg(dir.join("morning.json"))
                .output()
                .unwrap();
            let stderr = String::from_utf8_lossy(&run.stderr).into_owned();
            (run.status.code().unwrap_or(-1), stderr)
        }
    })
    .await
    .unwrap();
    let read = |name: &str| std::fs::read_to_string(dir.join(name)).unwrap_or_default();
    Morning {
        code,
        rows: read_results(&dir.join("appointments.outcomes.csv")),
        report: read("morning.html"),
        summary: serde_json::from_str(&read("morning.json")).unwrap_or_default(),
        stderr,
    }
}

/// A night's run against a sandbox whose calls end at once: two calls and an invalid row.
async fn night(log: &Path) -> (annie_dispatch::sandbox::Sandbox, Output) {
    let sb = test_sandbox(KEY, log, |c| c.close_after = Duration::ZERO).await;
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
    (sb, out)
}

#[track_caller]
fn row<'a>(rows: &'a [BTreeMap<String, String>], apt: &str) -> &'a BTreeMap<String, String> {
    rows.iter()
        .find(|r| r["appointment_id"] == apt)
        .unwrap_or_else(|| panic!("no outcomes row for {apt}: {rows:?}"))
}

/// The report's words, without its markup.
fn text(html: &str) -> String {
    let tags = regex::Regex::new(r"(?s)<style.*?</style>|<[^>]+>").unwrap();
    let text = tags.replace_all(html, " ");
    let text = text.replace("&#x27;", "'").replace("&#x60;", "`");
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refused_key_leaves_every_call_in_the_file_for_a_person_and_a_rerun_fills_them_in() {
    let dir = tempfile::tempdir().unwrap();
    let (_sb, out) = night(&dir.path().join("sandbox.jsonl")).await;

    // The morning job with a key Annie refuses (rotated, revoked, mistyped).
    let m = outcomes_with(&out, "annie-sk-rotated").await;
    assert_eq!(m.code, 1, "{}", m.stderr);
    assert_eq!(m.rows.len(), 3, "one row per results row: {:?}", m.rows);
    for apt in ["A1", "A2"] {
        let r = row(&m.rows, apt);
        assert_eq!(r["status"], "not_read", "{r:?}");
        assert_eq!(r["needs_attention"], "true", "{r:?}");
        assert_eq!(r["conversation_id"].len(), 36, "{r:?}");
        assert!(
            r["reason"]
                .starts_with("could not be read: Annie refused the location's API key (HTTP 401")
                && r["reason"].contains("check the location's API key, then rerun"),
            "{r:?}"
        );
    }
    assert!(
        m.stderr
            .contains("0 conversations read, 3 rows need attention, 2 could not be read (rerun to retry them)"),
        "{}",
        m.stderr
    );
    assert_eq!(m.summary["needs_attention"], 3, "{}", m.summary);
    assert_eq!(m.summary["not_read"], 2, "{}", m.summary);
    let page = text(&m.report);
    assert!(!page.contains("No calls were made"), "{page}");
    assert!(page.contains("Needs a person (3)"), "{page}");
    assert!(
        page.contains("call placed, outcome unknown: it could not be read not_read 2"),
        "counted as calls whose outcome is unknown: {page}"
    );
    assert!(
        page.contains("Have whoever set up annie-dispatch check the location's API key"),
        "{page}"
    );

    // Rerun with the right key: the two calls are read and filled in, in place.
    let m = outcomes_with(&out, KEY).await;
    assert_eq!(
        m.code, 1,
        "the invalid row still needs a person: {}",
        m.stderr
    );
    assert!(
        m.stderr
            .contains("2 conversations read, 1 row needs attention, 0 could not be read"),
        "{}",
        m.stderr
    );
    assert_eq!(m.rows.len(), 3, "{:?}", m.rows);
    for apt in ["A1", "A2"] {
        let r = row(&m.rows, apt);
        assert_eq!(
            (
                r["status"].as_str(),
                r["class"].as_str(),
                r["needs_attention"].as_str()
            ),
            ("CLOSED", "confirmed", "false"),
            "{r:?}"
        );
    }
    assert_eq!(
        (
            m.summary["needs_attention"].as_u64(),
            m.summary["not_read"].as_u64()
        ),
        (Some(1), Some(0))
    );
    assert!(!text(&m.report).contains("could not be read"));
}

#[tokio::test(flavor = "multi_thread")]
async fn conversations_annie_does_not_have_are_flagged_without_rerun_advice() {
    let dir = tempfile::tempdir().unwrap();
    let (_sb, out) = night(&dir.path().join("sandbox.jsonl")).await;
    // The results file of another organisation's run: conversations this key cannot find.
    let results = std::fs::read_to_string(&out.results_path).unwrap();
    let ids =
        regex::Regex::new(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}").unwrap();
    let elsewhere = ids.replace_all(&results, "00000000-0000-4000-8000-000000000000");
    assert_ne!(
        elsewhere, results,
        "the run's results name its conversations"
    );
    std::fs::write(&out.results_path, elsewhere.as_bytes()).unwrap();

    for _ in 0..2 {
        let m = outcomes_with(&out, KEY).await;
        assert_eq!(m.code, 1, "{}", m.stderr);
        assert_eq!(m.rows.len(), 3, "{:?}", m.rows);
        for apt in ["A1", "A2"] {
            let r = row(&m.rows, apt);
            assert_eq!(
                (r["status"].as_str(), r["needs_attention"].as_str()),
                ("not_read", "true"),
                "{r:?}"
            );
            assert!(
                r["reason"].starts_with(
                    "could not be read: Annie has no such conversation for this key (HTTP 404"
                ) && r["reason"].contains("rerunning will not help"),
                "{r:?}"
            );
        }
        assert!(
            m.stderr.contains(
                "2 could not be read (Annie has no such conversations: a rerun cannot read them)"
            ),
            "{}",
            m.stderr
        );
        assert!(!m.stderr.contains("rerun to retry"), "{}", m.stderr);
        assert_eq!(m.summary["needs_attention"], 3, "{}", m.summary);
        let page = text(&m.report);
        assert!(page.contains("Needs a person (3)"), "{page}");
        assert!(page.contains("rerunning will not help"), "{page}");
        assert!(!page.contains("No calls were made"), "{page}");
    }
}

/// A command run in the night's folder: its exit status and log.
async fn in_folder(out: &Output, args: &[&str]) -> (Option<i32>, String) {
    let dir = out.dir.clone();
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    let run = tokio::task::spawn_blocking(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_annie-dispatch"))
            .current_dir(&dir)
            .env("ANNIE_API_KEY", KEY)
            .args(args)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr).into_owned();
    (run.status.code(), stderr)
}

/// `run --results` onto the morning's outcomes file (a slip of tab completion): refused (exit
/// 2) with both kinds named, the outcomes file left as it was, nothing sent.
#[tokio::test(flavor = "multi_thread")]
async fn a_results_output_never_replaces_an_outcomes_file() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("sandbox.jsonl");
    let (_sb, out) = night(&log).await;
    let m = outcomes_with(&out, KEY).await;
    assert_eq!(m.code, 1, "{}", m.stderr);
    let outcomes_file = out.dir.join("appointments.outcomes.csv");
    let before = std::fs::read(&outcomes_file).unwrap();
    let posts = || {
        crate::harness::sandbox_log(&log)
            .iter()
            .filter(|e| e["method"] == "POST")
            .count()
    };
    let posted = posts();

    let (code, stderr) = in_folder(
        &out,
        &[
            "run",
            "--config",
            "config.toml",
            "--input",
            "appointments.csv",
            "--results",
            "appointments.outcomes.csv",
        ],
    )
    .await;
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains(
            "`appointments.outcomes.csv` exists and is an outcomes file, not a results file; \
             writing it would destroy that file. Choose another path for the results file \
             (--results)"
        ),
        "{stderr}"
    );
    assert_eq!(std::fs::read(&outcomes_file).unwrap(), before);
    assert_eq!(posts(), posted, "nothing sent");
}

/// `outcomes --out` onto a results file, CSV or JSON Lines: refused (exit 2) with both kinds
/// named, the file left as it was.
#[tokio::test(flavor = "multi_thread")]
async fn an_outcomes_output_never_replaces_a_results_file() {
    let dir = tempfile::tempdir().unwrap();
    let (_sb, out) = night(&dir.path().join("sandbox.jsonl")).await;
    std::fs::copy(&out.results_path, out.dir.join("kept.results.csv")).unwrap();
    std::fs::write(
        out.dir.join("kept.results.jsonl"),
        "{\"row\":2,\"appointment_id\":\"A1\",\"status\":\"sent\"}\n",
    )
    .unwrap();
    for (name, kind) in [
        ("kept.results.csv", "a results file"),
        ("kept.results.jsonl", "a results file (JSON Lines)"),
    ] {
        let before = std::fs::read(out.dir.join(name)).unwrap();
        let (code, stderr) = in_folder(
            &out,
            &[
                "outcomes",
                "--config",
                "config.toml",
                "--results",
                "appointments.results.csv",
                "--out",
                name,
            ],
        )
        .await;
        assert_eq!(code, Some(2), "{name}: {stderr}");
        let said = format!(
            "`{name}` exists and is {kind}, not an outcomes file; writing it would destroy that \
             file. Choose another path for the outcomes file (--out)"
        );
        assert!(stderr.contains(&said), "{name}: {stderr}");
        assert_eq!(std::fs::read(out.dir.join(name)).unwrap(), before, "{name}");
    }
}

/// Annie cannot be reached in the morning: the calls' rows need a person and say to rerun later
/// (the refused-key test shows a rerun filling such rows in).
#[tokio::test(flavor = "multi_thread")]
async fn an_annie_that_cannot_be_reached_leaves_the_calls_for_a_later_rerun() {
    let dir = tempfile::tempdir().unwrap();
    let (sb, out) = night(&dir.path().join("sandbox.jsonl")).await;
    sb.stop().await;

    let m = outcomes_with(&out, KEY).await;
    assert_eq!(m.code, 1, "{}", m.stderr);
    assert_eq!(m.rows.len(), 3, "{:?}", m.rows);
    for apt in ["A1", "A2"] {
        let r = row(&m.rows, apt);
        assert_eq!(
            (r["status"].as_str(), r["needs_attention"].as_str()),
            ("not_read", "true"),
            "{r:?}"
        );
        assert!(
            r["reason"].starts_with("could not be read: Annie could not be reached")
                && r["reason"].ends_with("Rerun the same `annie-dispatch outcomes` command later: it reads these calls again."),
            "{r:?}"
        );
    }
    assert!(
        m.stderr
            .contains("2 could not be read (rerun to retry them)"),
        "{}",
        m.stderr
    );
    assert_eq!(m.summary["not_read"], 2, "{}", m.summary);
    let page = text(&m.report);
    assert!(page.contains("Needs a person (3)"), "{page}");
    assert!(!page.contains("No calls were made"), "{page}");
}
