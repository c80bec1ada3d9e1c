//! Crashes, signals and overlapping runs: no appointment is ever POSTed twice, and every row
//! ends with a status.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use crate::harness::{chicago_and_los_angeles, od_row, Test, CONFIG, NOW};
use crate::mock::Annie;

/// A slow mock (each answer `delay` late) and a six-row run against it, `in_flight` at a time.
async fn slow_run(delay_ms: u64, in_flight: u32) -> (Annie, Test) {
    let annie = Annie::start_with(NOW, Duration::from_millis(delay_ms)).await;
    let rows: Vec<String> = (1..=6).map(|i| od_row(&format!("A{i}"), &[])).collect();
    let rows: Vec<&str> = rows.iter().map(String::as_str).collect();
    let config = CONFIG.replace("max_in_flight = 4", &format!("max_in_flight = {in_flight}"));
    let t = Test::new()
        .server(&annie.base_url())
        .config(&config)
        .od_rows(&rows);
    (annie, t)
}

/// Waits (bounded) until the mock has received `n` calls.
async fn wait_for_calls(annie: &Annie, n: usize) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while annie.arrivals().len() < n {
        assert!(
            Instant::now() < deadline,
            "the mock never received {n} calls"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn assert_no_appointment_posted_twice(annie: &Annie) {
    let ids = annie.posted_ids().await;
    let unique: HashSet<&String> = ids.iter().collect();
    assert_eq!(ids.len(), unique.len(), "posted twice: {ids:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn after_sigkill_a_rerun_reconciles_and_calls_nobody_twice() {
    let (annie, t) = slow_run(1500, 2).await;
    let running = t.spawn();
    wait_for_calls(&annie, 2).await;
    running.signal("KILL");
    running.wait().await;

    let second = t.run_async().await;
    second.assert_status(0);
    assert_no_appointment_posted_twice(&annie).await;
    let results = second.results();
    assert_eq!(results.len(), 6, "every row has a result");
    let reconciled: Vec<_> = results
        .iter()
        .filter(|r| {
            r["reason"].starts_with(
                "an earlier attempt (Mon 2026-11-23 18:30 CST) placed this call: found in Annie",
            )
        })
        .collect();
    assert!(
        reconciled.len() >= 2,
        "the calls in flight at the kill were found: {results:?}"
    );
    for r in &results {
        assert!(
            r["status"] == "sent" || r["status"] == "skipped",
            "every row is sent (now or before): {r:?}"
        );
        assert_eq!(
            r["conversation_id"],
            format!("conv-{}", r["appointment_id"])
        );
    }
    assert_eq!(annie.posts().await.len(), 6);
}

#[tokio::test(flavor = "multi_thread")]
async fn sigterm_finishes_calls_in_flight_and_records_the_rest() {
    let (annie, t) = slow_run(1000, 1).await;
    let running = t.spawn();
    wait_for_calls(&annie, 1).await;
    running.signal("TERM");
    let first = running.wait().await;
    first.assert_status(143);

    let results = first.results();
    assert_eq!(results.len(), 6, "a complete results file");
    assert_eq!(
        results[0]["status"], "sent",
        "the call in flight was waited for"
    );
    for r in &results[1..] {
        if r["status"] != "sent" {
            assert_eq!(r["status"], "not_attempted");
            assert_eq!(
                r["reason"],
                "not attempted: the run was interrupted (SIGTERM)"
            );
        }
    }
    let sent_first: Vec<String> = results
        .iter()
        .filter(|r| r["status"] == "sent")
        .map(|r| r["appointment_id"].clone())
        .collect();

    // The ledger agrees with the results file: a rerun sends exactly the rest.
    let second = t.run_async().await;
    second.assert_status(0);
    for id in &sent_first {
        assert_eq!(second.result_for(id)["status"], "skipped");
    }
    assert_no_appointment_posted_twice(&annie).await;
    assert_eq!(annie.posts().await.len(), 6);
}

/// coreutils' `timeout` (a cron line bounding the job) signals the run, then its process group:
/// two SIGTERMs at once are one request to stop, so the run still stops gracefully.
#[tokio::test(flavor = "multi_thread")]
async fn two_sigterms_at_once_are_one_graceful_stop() {
    let (annie, t) = slow_run(1000, 1).await;
    let running = t.spawn();
    wait_for_calls(&annie, 1).await;
    running.signal("TERM");
    running.signal("TERM");
    let out = running.wait().await;
    out.assert_status(143);
    let results = out.results();
    assert_eq!(results.len(), 6, "a complete results file: {}", out.stderr);
    assert_eq!(
        results[0]["status"], "sent",
        "the call in flight was waited for"
    );
    assert!(!out.stderr.contains("SIGTERM again"), "{}", out.stderr);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_second_run_on_the_same_ledger_refuses_to_start() {
    let (annie, t) = slow_run(1000, 1).await;
    let running = t.spawn();
    wait_for_calls(&annie, 1).await;
    let second = t.run_async().await;
    second.assert_status(2);
    assert!(
        second
            .stderr
            .contains("another annie-dispatch run is using the ledger"),
        "{}",
        second.stderr
    );
    // `check` says so too, and exits as the run did, instead of calling the ledger ready.
    let stdout = check_refuses(&second.dir);
    assert!(
        stdout.contains(
            "a sending run would stop before calling anyone: another annie-dispatch run is using \
             the ledger"
        ),
        "{stdout}"
    );
    // A preview reads the ledger as it is, and says that a run is writing it.
    let preview = std::process::Command::new(env!("CARGO_BIN_EXE_annie-dispatch"))
        .current_dir(&second.dir)
        .args([
            "--no-progress",
            "run",
            "--config",
            "config.toml",
            "--dry-run",
        ])
        .args(["--input", "appointments.csv", "--now", NOW])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&preview.stderr);
    assert!(
        stderr.contains(
            "another annie-dispatch run is using the ledger: this preview reads it as it is now, \
             while that run is still calling and recording"
        ),
        "{stderr}"
    );
    running.wait().await.assert_status(0);
    assert_no_appointment_posted_twice(&annie).await;
    assert_eq!(annie.posts().await.len(), 6);
}

/// A config for `slow_run`'s mock whose `[state] ledger` is `ledger`.
fn config_with_ledger(ledger: &str) -> String {
    let config = CONFIG.replace("max_in_flight = 4", "max_in_flight = 1");
    format!("{config}\n[state]\nledger = \"{ledger}\"\n")
}

/// A second config naming the ledger through a symlink (a state folder moved to a bigger disk
/// and linked back, one config naming the link and another the file) reaches the same lock: its
/// run is refused and sends nothing, and `check` says so (round-8 finding 1: the link had a lock
/// of its own, and both runs sent).
#[tokio::test(flavor = "multi_thread")]
async fn a_second_run_reaching_the_ledger_through_a_symlink_refuses_to_start() {
    let (annie, t) = slow_run(1000, 1).await;
    std::os::unix::fs::symlink(
        "annie-dispatch.ledger.sqlite3",
        t.dir().join("linked.sqlite3"),
    )
    .unwrap();
    let running = t.spawn();
    wait_for_calls(&annie, 1).await;
    let through_link = t
        .clone()
        .config(&config_with_ledger("linked.sqlite3"))
        .results_name("linked.results.csv");
    let second = through_link.run_async().await;
    second.assert_status(2);
    assert!(
        second
            .stderr
            .contains("another annie-dispatch run is using the ledger"),
        "{}",
        second.stderr
    );
    assert!(!second.results_path.exists(), "no row was processed");
    let stdout = check_refuses(&second.dir);
    assert!(
        stdout.contains(
            "a sending run would stop before calling anyone: another annie-dispatch run is using \
             the ledger"
        ),
        "{stdout}"
    );
    running.wait().await.assert_status(0);
    assert_no_appointment_posted_twice(&annie).await;
    assert_eq!(annie.posts().await.len(), 6);
}

/// A preview whose config reaches the ledger through a symlink still sees the run holding it,
/// and says that run is writing it (it looked for a lock beside the link, and found none).
#[tokio::test(flavor = "multi_thread")]
async fn a_preview_through_a_symlink_sees_the_run_holding_the_ledger() {
    let (annie, t) = slow_run(1000, 1).await;
    std::fs::create_dir(t.dir().join("bigger-disk")).unwrap();
    std::os::unix::fs::symlink("bigger-disk/ledger.sqlite3", t.dir().join("ledger.sqlite3"))
        .unwrap();
    let t = t.config(&config_with_ledger("bigger-disk/ledger.sqlite3"));
    let running = t.spawn();
    wait_for_calls(&annie, 1).await;
    let preview = t
        .clone()
        .config(&config_with_ledger("ledger.sqlite3"))
        .args(["--dry-run"])
        .run_async()
        .await;
    assert!(
        preview.stderr.contains(
            "another annie-dispatch run is using the ledger: this preview reads it as it is now, \
             while that run is still calling and recording"
        ),
        "{}",
        preview.stderr
    );
    running.wait().await.assert_status(0);
    assert_no_appointment_posted_twice(&annie).await;
    assert_eq!(annie.posts().await.len(), 6);
}

/// A ledger file with a second name (a hard link) is refused before anything is sent, naming the
/// file: SQLite keeps a journal per name, so runs through two names lose what they record
/// (round-8 finding 1). `check` refuses it the same way.
#[tokio::test(flavor = "multi_thread")]
async fn a_ledger_with_a_second_name_is_refused_before_anything_is_sent() {
    let annie = Annie::start_with(NOW, Duration::ZERO).await;
    let first = Test::new()
        .server(&annie.base_url())
        .od_rows(&[&od_row("A1", &[])]);
    first.run_async().await.assert_status(0);
    let ledger = first
        .dir()
        .canonicalize()
        .unwrap()
        .join("annie-dispatch.ledger.sqlite3");
    std::fs::hard_link(&ledger, first.dir().join("copy.sqlite3")).unwrap();
    let second = first
        .clone()
        .od_rows(&[&od_row("A2", &[])])
        .run_async()
        .await;
    second.assert_status(2);
    let refusal = format!(
        "the ledger `{}` has 2 names (hard links to one file): SQLite keeps its journal beside \
         the name it opens, so runs through two names can lose what they record, and each name \
         has a lock of its own, so two runs at once could call the same patient twice. Remove the \
         extra name (`find FOLDER -samefile {}` lists them) and name the ledger by one path in \
         every config (a symlink to it is fine)",
        ledger.display(),
        ledger.display()
    );
    assert!(second.stderr.contains(&refusal), "{}", second.stderr);
    assert_eq!(annie.posted_ids().await, ["A1"], "nothing more was sent");
    let stdout = check_refuses(&second.dir);
    assert!(
        stdout.contains(&format!(
            "a sending run would stop before calling anyone: {refusal}"
        )),
        "{stdout}"
    );
}

/// A signal ends a held call's wait at once: the held call is `not_attempted`, the free one was
/// sent, and the run does not sit out the hour.
#[tokio::test(flavor = "multi_thread")]
async fn a_signal_ends_the_wait_for_a_held_call() {
    // 10:00 in Chicago: the Los Angeles patient's window opens at 11:00 here, an hour away.
    let now = "2026-11-24T10:00:00-06:00";
    let annie = Annie::start_with(now, Duration::ZERO).await;
    let t = Test::new()
        .server(&annie.base_url())
        .now(Some(now))
        .od_rows(&chicago_and_los_angeles().each_ref().map(String::as_str));
    let started = Instant::now();
    let running = t.spawn();
    // CHI's answer recorded, then the run stopped while LA waits.
    running.wait_for_row("CHI", "sent").await;
    running.signal("TERM");
    let out = running.wait().await;
    out.assert_status(143);
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(out.result_for("CHI")["status"], "sent");
    let la = out.result_for("LA");
    assert_eq!(la["status"], "not_attempted", "{la:?}");
    assert_eq!(la["reason_code"], "interrupted");
    assert_eq!(annie.posted_ids().await, ["CHI"]);
    // The cron log says what the run waited for, not only that it was quiet for an hour.
    assert!(
        out.stderr.contains(
            "for the next held call (1 call waits for their moment: the rules for a number, such \
             as 24 hours between calls to it, or the recipient's calling hours); the run goes on \
             by itself"
        ) && out.stderr.contains("waiting until 2026-11-24 17:0"),
        "{}",
        out.stderr
    );
}

/// A SIGTERM while `--wait-for-window` waits for the window: exit 143, nothing sent, and every
/// row still to be called `not_attempted` (interrupted), as the documented stop says (round-6
/// finding 9: they were written `deferred` for calling hours).
#[tokio::test(flavor = "multi_thread")]
async fn a_signal_during_the_wait_for_the_window_leaves_the_rows_not_attempted() {
    let annie = Annie::start_with("2026-11-24T07:00:00-06:00", Duration::ZERO).await;
    let rows = [
        od_row("A1", &[("AptDateTime", "2026-11-25 10:00:00")]),
        od_row("A2", &[("AptDateTime", "2026-11-25 11:00:00")]),
    ];
    let rows: Vec<&str> = rows.iter().map(String::as_str).collect();
    let running = Test::new()
        .server(&annie.base_url())
        .now(Some("2026-11-24T07:00:00-06:00"))
        .od_rows(&rows)
        .args(["--wait-for-window"])
        .spawn();
    // Its ledger is opened just before it watches for signals and waits.
    running.wait_for_file("annie-dispatch.ledger.sqlite3").await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    running.signal("TERM");
    let out = running.wait().await;
    out.assert_status(143);
    for id in ["A1", "A2"] {
        let r = out.result_for(id);
        assert_eq!(r["status"], "not_attempted", "{r:?}");
        assert_eq!(r["reason_code"], "interrupted", "{r:?}");
        assert_eq!(
            r["reason"], "not attempted: the run was interrupted (SIGTERM)",
            "{r:?}"
        );
    }
    assert!(annie.posts().await.is_empty());
}

/// `check --config config.toml` in `dir`: it must exit 2 (a sending run would stop); its stdout.
#[track_caller]
fn check_refuses(dir: &std::path::Path) -> String {
    let check = std::process::Command::new(env!("CARGO_BIN_EXE_annie-dispatch"))
        .current_dir(dir)
        .env("ANNIE_API_KEY", "annie-sk-v1-test")
        .args(["--no-progress", "check", "--config", "config.toml"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&check.stdout).into_owned();
    assert_eq!(check.status.code(), Some(2), "{stdout}");
    stdout
}
