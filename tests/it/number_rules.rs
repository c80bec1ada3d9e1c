//! The per-number rules, from the ledger's history across runs.

use std::time::Duration;

use crate::harness::{od_row, Test, CONFIG};
use crate::mock::Annie;

const PHONE: &str = "(312) 555-0147";

/// A run at `now` (Chicago, November) with one new appointment the next day on [`PHONE`].
fn nightly(t: &Test, day: u32, hour: &str, apt: &str) -> Test {
    t.clone()
        .now(Some(&format!("2026-11-{day:02}T{hour}:00-06:00")))
        .od_rows(&[&od_row(
            apt,
            &[
                ("WirelessPhone", PHONE),
                ("AptDateTime", &format!("2026-11-{:02} 10:00:00", day + 1)),
            ],
        )])
}

#[tokio::test(flavor = "multi_thread")]
async fn twenty_four_hours_between_calls_to_one_number() {
    let annie = Annie::start_with("2026-11-10T18:00:00-06:00", Duration::ZERO).await;
    let t = Test::new().server(&annie.base_url());
    nightly(&t, 10, "18:00", "A1")
        .run_async()
        .await
        .assert_status(0);
    let out = nightly(&t, 10, "19:00", "A2").run_async().await;
    out.assert_status(0);
    let row = out.result_for("A2");
    assert_eq!(row["status"], "skipped");
    assert_eq!(
        row["reason"],
        "at least 24 hours between calls to a number; callable again from Wed 2026-11-11 18:00 CST"
    );
    assert_eq!(annie.posted_ids().await, ["A1"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn three_calls_in_seven_days() {
    let annie = Annie::start_with("2026-11-10T10:00:00-06:00", Duration::ZERO).await;
    let t = Test::new().server(&annie.base_url());
    // A little over a day apart each time, so the 24-hour rule is kept.
    for (day, hour, apt) in [
        (10, "10:00", "A1"),
        (11, "11:00", "A2"),
        (12, "12:00", "A3"),
    ] {
        let out = nightly(&t, day, hour, apt).run_async().await;
        assert_eq!(out.result_for(apt)["status"], "sent");
    }
    let out = nightly(&t, 13, "13:00", "A4").run_async().await;
    assert_eq!(
        out.result_for("A4")["reason"],
        "at most 3 calls to a number in 7 days; callable again from Tue 2026-11-17 10:00 CST"
    );
    assert_eq!(annie.posted_ids().await, ["A1", "A2", "A3"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn three_refusals_in_a_row_rest_the_number_for_thirty_days() {
    let annie = Annie::start_with("2026-11-10T10:00:00-06:00", Duration::ZERO).await;
    annie.fail_calls(400, "number unreachable", None).await;
    let t = Test::new().server(&annie.base_url());
    // A refusal placed no call: the same night's rerun may try again...
    nightly(&t, 10, "10:00", "A1")
        .run_async()
        .await
        .assert_status(1);
    nightly(&t, 10, "11:00", "A1")
        .run_async()
        .await
        .assert_status(1);
    nightly(&t, 10, "12:00", "A1")
        .run_async()
        .await
        .assert_status(1);
    // ...but after three refusals in a row the number rests.
    let out = nightly(&t, 10, "13:00", "A1").run_async().await;
    out.assert_status(0);
    assert_eq!(
        out.result_for("A1")["reason"],
        "30 days' rest after 3 failed or unanswered calls in a row; callable again from Thu 2026-12-10 12:00 CST"
    );
    assert_eq!(annie.posts().await.len(), 3);
}

#[test]
fn preview_reads_the_ledger_without_creating_one() {
    let out = Test::new()
        .od_rows(&[&od_row("A1", &[])])
        .args(["--dry-run"])
        .run();
    out.assert_status(0);
    assert!(!out.dir.join("annie-dispatch.ledger.sqlite3").exists());
    let _ = CONFIG;
}

#[tokio::test(flavor = "multi_thread")]
async fn six_calls_in_thirty_days() {
    let annie = Annie::start_with("2026-11-01T10:00:00-06:00", Duration::ZERO).await;
    let t = Test::new().server(&annie.base_url());
    // Three nights in a row, a week off, three more: never 3 in 7 days, but 6 in 30.
    let nights = [
        (1, "10:00"),
        (2, "11:00"),
        (3, "12:00"),
        (10, "13:00"),
        (11, "14:00"),
        (12, "15:00"),
    ];
    for (i, (day, hour)) in nights.iter().enumerate() {
        let apt = format!("A{i}");
        let out = nightly(&t, *day, hour, &apt).run_async().await;
        assert_eq!(out.result_for(&apt)["status"], "sent", "night {day}");
    }
    let out = nightly(&t, 20, "16:00", "A9").run_async().await;
    assert_eq!(
        out.result_for("A9")["reason"],
        "at most 6 calls to a number in 30 days; callable again from Tue 2026-12-01 10:00 CST"
    );
    assert_eq!(annie.posts().await.len(), 6);
}
