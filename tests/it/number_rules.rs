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
    // The number is free again only after today's window (and after A2's appointment): no run
    // can remind A2's patient, so a person must (exit 1).
    out.assert_status(1);
    let row = out.result_for("A2");
    assert_eq!(row["status"], "skipped");
    assert_eq!(
        row["reason"],
        "at least 24 hours between calls to a number; callable again from Wed 2026-11-11 18:00 CST; \
         no run can call this before the appointment: remind the patient another way"
    );
    assert_eq!(row["needs_attention"], "true");
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
    out.assert_status(1);
    assert!(out.result_for("A4")["reason"].starts_with(
        "at most 3 calls to a number in 7 days; callable again from Tue 2026-11-17 10:00 CST; "
    ));
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
    // ...but after three refusals in a row the number rests, past the appointment: a person
    // must remind the patient (exit 1).
    let out = nightly(&t, 10, "13:00", "A1").run_async().await;
    out.assert_status(1);
    assert!(out.result_for("A1")["reason"].starts_with(
        "30 days' rest after 3 failed or unanswered calls in a row; callable again from Thu 2026-12-10 12:00 CST; "
    ));
    assert_eq!(annie.posts().await.len(), 3);
}

/// An allowlist refusal is about the organisation's settings, not the number: however often it
/// comes, the number does not rest, and the first run after the allowlist is fixed calls it.
#[tokio::test(flavor = "multi_thread")]
async fn allowlist_refusals_do_not_rest_the_number() {
    let annie = Annie::start_with("2026-11-10T10:00:00-06:00", Duration::ZERO).await;
    let message = "toNumber is not on the organisation's allowlist";
    annie.fail_calls(403, message, Some(3)).await;
    let t = Test::new().server(&annie.base_url());
    for hour in ["10:00", "11:00", "12:00"] {
        let out = nightly(&t, 10, hour, "A1").run_async().await;
        out.assert_status(1);
        let r = out.result_for("A1");
        assert_eq!(r["status"], "failed", "{hour}: {r:?}");
        assert_eq!(r["reason"], format!("the API answered HTTP 403: {message}"));
    }
    let out = nightly(&t, 10, "13:00", "A1").run_async().await;
    out.assert_status(0);
    assert_eq!(out.result_for("A1")["status"], "sent");
    assert_eq!(annie.posts().await.len(), 4);
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
    assert!(out.result_for("A9")["reason"].starts_with(
        "at most 6 calls to a number in 30 days; callable again from Tue 2026-12-01 10:00 CST; "
    ));
    assert_eq!(annie.posts().await.len(), 6);
}

/// Two nights at the same minute: last night's call went a moment after 18:00, so at 18:00
/// tonight the 24 hours are not quite over. The call waits for them inside this run instead of
/// being skipped.
#[tokio::test(flavor = "multi_thread")]
async fn the_next_night_the_number_is_called_as_soon_as_24_hours_have_passed() {
    let annie = Annie::start_with("2026-11-10T18:00:00-06:00", Duration::ZERO).await;
    let t = Test::new().server(&annie.base_url());
    let first = nightly(&t, 10, "18:00", "A1").run_async().await;
    first.assert_status(0);
    let called = |out: &crate::harness::Output, apt: &str| {
        let r = out.result_for(apt);
        assert_eq!(r["status"], "sent", "{r:?}");
        chrono::DateTime::parse_from_rfc3339(&r["attempted_at"]).unwrap()
    };
    let night_1 = called(&first, "A1");
    // Two seconds before the 24 hours are up.
    let now = (night_1 + chrono::Duration::hours(24) - chrono::Duration::seconds(2)).to_rfc3339();
    let second = nightly(&t, 11, "18:00", "A2")
        .now(Some(&now))
        .run_async()
        .await;
    second.assert_status(0);
    let night_2 = called(&second, "A2");
    assert!(
        night_2 >= night_1 + chrono::Duration::hours(24),
        "called at {night_2}, 24 hours after {night_1} is the earliest"
    );
    assert_eq!(annie.posted_ids().await, ["A1", "A2"]);
}

/// The night's rerun an hour after [`nightly`] on the 10th, with A1 moved from 10:00 to 15:00
/// the next day.
fn moved_an_hour_later(t: &Test) -> Test {
    let moved = od_row(
        "A1",
        &[
            ("WirelessPhone", PHONE),
            ("AptDateTime", "2026-11-11 15:00:00"),
        ],
    );
    t.clone()
        .now(Some("2026-11-10T19:00:00-06:00"))
        .od_rows(&[&moved])
}

/// An appointment moved after its reminder gets a new one when the rules allow it; when they do
/// not (the 24 hours since the reminder end after the calling day), the row needs a person.
#[tokio::test(flavor = "multi_thread")]
async fn an_appointment_moved_after_its_reminder_needs_attention_when_it_cannot_be_called_again() {
    let annie = Annie::start_with("2026-11-10T18:00:00-06:00", Duration::ZERO).await;
    let t = Test::new().server(&annie.base_url());
    nightly(&t, 10, "18:00", "A1")
        .run_async()
        .await
        .assert_status(0);
    let out = moved_an_hour_later(&t)
        .args(["--report", "report.html"])
        .run_async()
        .await;
    out.assert_status(1);
    let html = out.file("report.html");
    let listed = html.split("Needs a person").nth(1).unwrap_or_default();
    assert!(
        listed.contains("<td>A1</td>") && listed.contains("the appointment moved"),
        "{html}"
    );
    let row = out.result_for("A1");
    assert_eq!(row["status"], "skipped");
    assert_eq!(row["reason_code"], "per_number_limit");
    assert_eq!(row["needs_attention"], "true");
    assert!(
        row["reason"].ends_with(
            "; the appointment moved after its reminder was sent for the old time; no run can \
             call this before the appointment: remind the patient another way"
        ),
        "{row:?}"
    );
    assert_eq!(annie.posted_ids().await, ["A1"]);
}

/// Every rerun after the move says so, not only the first (which supersedes the old reminder):
/// a plain rerun, and one after a second move (round-8 finding 3: the later runs' rows named only
/// the number's rest, and each run's results file replaces the last).
#[tokio::test(flavor = "multi_thread")]
async fn every_rerun_after_a_move_says_the_patient_was_told_the_old_time() {
    let annie = Annie::start_with("2026-11-10T18:00:00-06:00", Duration::ZERO).await;
    let t = Test::new().server(&annie.base_url());
    nightly(&t, 10, "18:00", "A1")
        .run_async()
        .await
        .assert_status(0);
    let moved = moved_an_hour_later(&t);
    let moved_again = |at: &str| {
        let row = od_row(
            "A1",
            &[
                ("WirelessPhone", PHONE),
                ("AptDateTime", "2026-11-11 16:00:00"),
            ],
        );
        t.clone().now(Some(at)).od_rows(&[&row])
    };
    let runs = [
        moved.clone(),
        moved.now(Some("2026-11-10T19:10:00-06:00")),
        moved_again("2026-11-10T19:20:00-06:00"),
    ];
    for (n, run) in runs.into_iter().enumerate() {
        let out = run.run_async().await;
        out.assert_status(1);
        let row = out.result_for("A1");
        assert_eq!(row["needs_attention"], "true", "run {n}: {row:?}");
        assert!(
            row["reason"].ends_with(
                "; the appointment moved after its reminder was sent for the old time; no run \
                 can call this before the appointment: remind the patient another way"
            ),
            "run {n}: {row:?}"
        );
    }
    assert_eq!(annie.posted_ids().await, ["A1"]);
}

/// The night of the 10th's run killed (`kill -9`) once Annie has its call for A1 (10:00 on
/// the 11th): Annie placed the call, the ledger has the request `in_flight`.
async fn killed_with_a_call_in_flight() -> (Annie, Test) {
    let annie = Annie::start_with("2026-11-10T18:00:00-06:00", Duration::from_secs(30)).await;
    let t = Test::new().server(&annie.base_url());
    let running = nightly(&t, 10, "18:00", "A1").spawn();
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while annie.posts().await.is_empty() {
        assert!(
            std::time::Instant::now() < deadline,
            "no call reached Annie"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    running.signal("KILL");
    running.wait().await;
    (annie, t)
}

/// The same when the run that called about the old time was killed with the request in flight
/// (Annie placed the call; the ledger has it `in_flight`): it may have placed a call, so the
/// row says the patient may have been told the old time, and needs a person (round-6 finding 5:
/// the row named only the number's rest).
#[tokio::test(flavor = "multi_thread")]
async fn an_appointment_moved_after_a_killed_run_says_the_old_time_may_have_been_told() {
    let (annie, t) = killed_with_a_call_in_flight().await;
    let out = moved_an_hour_later(&t).run_async().await;
    out.assert_status(1);
    let row = out.result_for("A1");
    assert_eq!(row["status"], "skipped", "{row:?}");
    assert_eq!(row["needs_attention"], "true");
    assert!(
        row["reason"].ends_with(
            "; the appointment moved after a request to remind the patient of the old time, \
             which may have placed a call (Annie gave no clear answer to it); no run can call \
             this before the appointment: remind the patient another way"
        ),
        "{row:?}"
    );
    assert_eq!(annie.posted_ids().await, ["A1"]);
}

/// Moved away after a kill with its request in flight, then back to its old time: the old
/// request is again the one for this appointment, so it is looked for in Annie, found, and the
/// row is `sent` with its conversation (round-7 finding 4: it stayed superseded, and the row said
/// "remind the patient another way" without the id, though the patient was reminded).
#[tokio::test(flavor = "multi_thread")]
async fn an_appointment_moved_back_to_its_time_finds_the_call_its_killed_run_placed() {
    let (annie, t) = killed_with_a_call_in_flight().await;
    let away = moved_an_hour_later(&t).run_async().await;
    assert_eq!(away.result_for("A1")["status"], "skipped");
    let back = nightly(&t, 10, "19:05", "A1").run_async().await;
    back.assert_status(0);
    let row = back.result_for("A1");
    assert_eq!(row["status"], "sent", "{row:?}");
    assert_eq!(row["needs_attention"], "false", "{row:?}");
    assert!(!row["conversation_id"].is_empty(), "{row:?}");
    assert!(row["reason"].contains("found in Annie"), "{row:?}");
    assert_eq!(annie.posted_ids().await, ["A1"]);
}

/// A number resting after three failed calls in a row falls back to the patient's next phone
/// column, with the reason in the results; a next number on the do-not-call list is never used
/// (nor is the row called on its first).
#[tokio::test(flavor = "multi_thread")]
async fn a_resting_number_falls_back_to_the_patients_next_phone() {
    let annie = Annie::start_with("2026-11-10T10:00:00-06:00", Duration::ZERO).await;
    annie.fail_calls(400, "number unreachable", Some(3)).await;
    let t = Test::new().server(&annie.base_url());
    for hour in ["10:00", "11:00", "12:00"] {
        nightly(&t, 10, hour, "A1")
            .run_async()
            .await
            .assert_status(1);
    }
    let row = od_row(
        "A1",
        &[
            ("WirelessPhone", PHONE),
            ("HmPhone", "(312) 555-0188"),
            ("AptDateTime", "2026-11-11 10:00:00"),
        ],
    );
    let later = t
        .clone()
        .now(Some("2026-11-10T13:00:00-06:00"))
        .od_rows(&[&row]);

    // The next number is on the do-not-call list: not tried, and the row is not called at all
    // (the request may be this patient's), as every opt-out: skipped, without a person.
    let listed = later
        .clone()
        .config(&format!("{CONFIG}[optout]\nlist = \"do-not-call.txt\"\n"))
        .file("do-not-call.txt", "(312) 555-0188\n")
        .run_async()
        .await;
    listed.assert_status(0);
    let r = listed.result_for("A1");
    assert_eq!(r["status"], "skipped");
    assert_eq!(r["reason_code"], "opted_out");
    assert!(
        r["reason"].starts_with("opted out (the number in HmPhone is on the do-not-call list"),
        "{r:?}"
    );
    assert_eq!(annie.posts().await.len(), 3);

    // Otherwise the patient's home phone is called instead.
    let out = later.run_async().await;
    out.assert_status(0);
    let r = out.result_for("A1");
    assert_eq!(r["status"], "sent", "{r:?}");
    assert_eq!(r["to_number"], "+1312***0188");
    assert_eq!(
        r["reason"],
        format!(
            "the first number rests ({}): calling the next phone column, HmPhone, instead",
            number_rules_cooldown()
        )
    );
    let bodies = annie.bodies().await;
    assert_eq!(bodies.len(), 4);
    assert_eq!(bodies[3]["toNumber"], "+13125550188");
}

/// The cooldown's reason for [`PHONE`] after the refusals at 10:00, 11:00 and 12:00.
fn number_rules_cooldown() -> &'static str {
    "30 days' rest after 3 failed or unanswered calls in a row; callable again from Thu \
     2026-12-10 12:00 CST"
}

/// A number the patient asked not to be called on never falls back to another of theirs.
#[tokio::test(flavor = "multi_thread")]
async fn an_opted_out_number_does_not_fall_back() {
    let annie = Annie::start().await;
    let row = od_row(
        "A1",
        &[("WirelessPhone", PHONE), ("HmPhone", "(312) 555-0188")],
    );
    let out = Test::new()
        .server(&annie.base_url())
        .config(&format!("{CONFIG}[optout]\nlist = \"do-not-call.txt\"\n"))
        .file("do-not-call.txt", &format!("{PHONE}\n"))
        .od_rows(&[&row])
        .run_async()
        .await;
    out.assert_status(0);
    let r = out.result_for("A1");
    assert_eq!(r["status"], "skipped");
    assert_eq!(r["reason_code"], "opted_out");
    assert!(annie.posts().await.is_empty());
}

/// The API refuses the number for a per-number limit (a 429 without rate-limit headers): Annie
/// knows of a recent call to it that this run did not make, perhaps about this appointment (two
/// runs with their own ledgers, say). The patient's other number is not tried: that would be a
/// second call about one appointment. The row fails and says why and what to do.
#[tokio::test(flavor = "multi_thread")]
async fn a_number_the_api_refuses_for_a_per_number_limit_is_not_tried_on_the_patients_other_numbers(
) {
    not_tried_on_other_numbers_after(429, "per-number call limit reached").await;
}

/// A per-number refusal that speaks of hours ("24 hours between calls") is about the number,
/// not the time of day: `failed` like any per-number refusal, not `deferred` as if for calling
/// hours.
#[tokio::test(flavor = "multi_thread")]
async fn a_per_number_refusal_that_names_hours_is_failed_not_deferred() {
    let sandboxs = "per-number limit: at least 24 hours between calls to a number";
    not_tried_on_other_numbers_after(429, sandboxs).await;
}

async fn not_tried_on_other_numbers_after(status: u16, message: &str) {
    let annie = Annie::start().await;
    annie.fail_calls(status, message, Some(1)).await;
    let row = od_row(
        "A1",
        &[("WirelessPhone", PHONE), ("HmPhone", "(312) 555-0188")],
    );
    let out = Test::new()
        .server(&annie.base_url())
        .od_rows(&[&row])
        .run_async()
        .await;
    out.assert_status(1);
    let r = out.result_for("A1");
    assert_eq!(r["status"], "failed", "{r:?}");
    assert_eq!(r["reason_code"], "refused_by_api", "{r:?}");
    assert_eq!(r["to_number"], "+1312***0147");
    assert_eq!(
        r["reason"],
        format!(
            "the API answered HTTP 429: {message}; Annie limits calls to one number (at least 24 \
             hours apart, a few a week), so this number may have been called recently, perhaps \
             about this appointment by another run or machine: not tried on the patient's other \
             numbers. Look in Annie's conversations before reminding the patient another way"
        ),
        "{r:?}"
    );
    let to: Vec<String> = annie
        .bodies()
        .await
        .iter()
        .map(|b| b["toNumber"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(to, ["+13125550147"]);
}
