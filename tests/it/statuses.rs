//! Only appointments whose status is known to mean "scheduled" are called; anything else is
//! skipped naming the value, and `[selection] call_statuses` says otherwise.

use crate::harness::{od_row, Test, CONFIG};
use crate::mock::Annie;

fn rows() -> Vec<String> {
    vec![
        od_row("S1", &[("AptStatus", "1")]),
        od_row("S2", &[("AptStatus", "Scheduled")]),
        od_row("S3", &[("AptStatus", "ASAP")]),
        od_row("S4", &[("AptStatus", "Cancelled")]),
        od_row("S5", &[("AptStatus", "5")]),
        od_row("S6", &[("AptStatus", "")]),
    ]
}

fn reason(out: &crate::harness::Output, id: &str) -> String {
    out.result_for(id)["reason"].clone()
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unknown_status_is_skipped_naming_the_value() {
    let annie = Annie::start().await;
    let rows = rows();
    let rows: Vec<&str> = rows.iter().map(String::as_str).collect();
    let out = Test::new()
        .server(&annie.base_url())
        .od_rows(&rows)
        .run_async()
        .await;
    out.assert_status(0);
    let mut ids = annie.posted_ids().await;
    ids.sort();
    assert_eq!(ids, ["S1", "S2", "S3"]);
    let list = "[selection] call_statuses: Scheduled, ASAP, 1, 4";
    assert_eq!(
        reason(&out, "S4"),
        format!(
            "status is `Cancelled`, which is not a scheduled status ({list}); add it there if \
             such appointments should be called"
        )
    );
    assert_eq!(
        reason(&out, "S5"),
        "status is 5, which [selection] skip_statuses skips"
    );
    assert_eq!(
        reason(&out, "S6"),
        format!(
            "status is empty, which is not a scheduled status ({list}); add it there if such \
             appointments should be called"
        )
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn call_statuses_widens_the_presets_list() {
    let annie = Annie::start().await;
    let rows = rows();
    let rows: Vec<&str> = rows.iter().map(String::as_str).collect();
    let config = format!(
        "{CONFIG}[selection]\ncall_statuses = [\"1\", \"Scheduled\", \"Cancelled\", \"5\"]\n"
    );
    let out = Test::new()
        .config(&config)
        .server(&annie.base_url())
        .od_rows(&rows)
        .run_async()
        .await;
    out.assert_status(0);
    // The preset's skip list no longer applies once the operator writes the call list.
    let mut ids = annie.posted_ids().await;
    ids.sort();
    assert_eq!(ids, ["S1", "S2", "S4", "S5"]);
    assert!(
        reason(&out, "S3").starts_with("status is `ASAP`, which is not a scheduled status"),
        "{}",
        reason(&out, "S3")
    );
}

#[test]
fn a_status_column_switched_off_is_not_checked() {
    let rows = rows();
    let rows: Vec<&str> = rows.iter().map(String::as_str).collect();
    let config = format!("{CONFIG}[input.columns]\nstatus = false\n");
    let out = Test::new()
        .config(&config)
        .od_rows(&rows)
        .args(["--dry-run"])
        .run();
    out.assert_status(0);
    let statuses: Vec<String> = out.statuses().into_iter().map(|s| s.2).collect();
    assert_eq!(statuses, ["dry_run"; 6]);
}

/// An export of the wrong day (every appointment outside the window) is not a quiet night: the
/// summary says so and the exit status asks for a person.
#[tokio::test(flavor = "multi_thread")]
async fn an_export_with_nothing_on_the_day_needs_a_person() {
    let annie = crate::mock::Annie::start().await;
    let out = crate::harness::Test::new()
        .server(&annie.base_url())
        .od_rows(&[
            &crate::harness::od_row("A1", &[("AptDateTime", "2026-11-26 09:00:00")]),
            &crate::harness::od_row("A2", &[("AptDateTime", "2026-11-27 10:00:00")]),
        ])
        .run_async()
        .await;
    out.assert_status(1);
    assert!(
        out.stderr.contains("2 rows: 2 skipped (2 outside_window)")
            && out.stderr.contains("is it the right export"),
        "{}",
        out.stderr
    );
    assert!(annie.posted_ids().await.is_empty());
}

/// The wrong day's export as a practice system gives it: Friday's schedule (the run calls about
/// Tuesday), three rows to confirm and one already confirmed. The confirmed row is on the wrong
/// day too, so the export still needs a person, in the preview (streamed, from the file kept
/// between its passes, and of the whole export), the run and `check`.
fn wrong_friday() -> Vec<String> {
    let friday = |apt: &str, confirmed: &str| {
        od_row(
            apt,
            &[
                ("AptDateTime", "2026-11-27 09:00:00"),
                ("Confirmed", confirmed),
            ],
        )
    };
    vec![
        friday("F1", "Unconfirmed"),
        friday("F2", "Unconfirmed"),
        friday("F3", "Unconfirmed"),
        friday("F4", "Appointment Confirmed"),
    ]
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wrong_day_export_with_a_confirmed_row_still_needs_a_person() {
    let annie = Annie::start().await;
    let rows = wrong_friday();
    let rows: Vec<&str> = rows.iter().map(String::as_str).collect();
    let t = Test::new().server(&annie.base_url()).od_rows(&rows);
    for (out, args, _) in crate::harness::run_every_way(&t).await {
        assert_eq!(out.status, 1, "{args:?}: {}", out.stderr);
        assert!(
            out.stderr
                .contains("4 rows: 4 skipped (3 outside_window, 1 already_confirmed)")
                && out.stderr.contains(
                    "no appointment in this export is on the day this run calls about: is it \
                     the right export"
                ),
            "{args:?}: {}",
            out.stderr
        );
    }
    assert!(annie.posted_ids().await.is_empty());

    let dir = t.run().dir;
    let check = std::process::Command::new(env!("CARGO_BIN_EXE_annie-dispatch"))
        .args(["check", "--now", crate::harness::NOW, "--config"])
        .arg(dir.join("config.toml"))
        .arg("--input")
        .arg(dir.join("appointments.csv"))
        .env("ANNIE_API_KEY", "annie-sk-v1-test")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&check.stdout);
    assert_eq!(check.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("is it the right export"), "{stdout}");
}

/// One appointment on the day the run calls about, even a confirmed one, is enough: the export
/// is the right one, and the rows for other days are not a problem.
#[tokio::test(flavor = "multi_thread")]
async fn one_appointment_on_the_day_keeps_the_wrong_day_check_quiet() {
    let annie = Annie::start().await;
    let mut rows = wrong_friday();
    rows.push(od_row("T1", &[("Confirmed", "Appointment Confirmed")]));
    let rows: Vec<&str> = rows.iter().map(String::as_str).collect();
    let t = Test::new().server(&annie.base_url()).od_rows(&rows);
    for (out, args, _) in crate::harness::run_every_way(&t).await {
        assert_eq!(out.status, 0, "{args:?}: {}", out.stderr);
        assert!(
            !out.stderr.contains("is it the right export"),
            "{args:?}: {}",
            out.stderr
        );
    }
}
