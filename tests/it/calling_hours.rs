//! Calling hours: the organisation's window and the recipient's local window.

use std::time::{Duration, Instant};

use crate::harness::{chicago_and_los_angeles, od_row, Test, CONFIG};
use crate::mock::Annie;

#[tokio::test(flavor = "multi_thread")]
async fn outside_calling_hours_nothing_is_sent_and_the_exit_status_is_75() {
    let annie = Annie::start().await;
    let out = Test::new()
        .server(&annie.base_url())
        .now(Some("2026-11-23T22:15:00-06:00"))
        .od_rows(&[&od_row("A1", &[])])
        .run_async()
        .await;
    out.assert_status(75);
    assert_eq!(
        out.stderr.trim_end(),
        "annie-dispatch: error: calling hours (09:00–20:00 America/Chicago) are closed; callable \
         from Tue 2026-11-24 09:00 CST; nothing was sent. Run again then, or pass --wait-for-window"
    );
    assert!(annie.requests().await.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn wait_for_window_sends_once_the_window_opens() {
    let annie = Annie::start_with("2026-11-24T08:59:57-06:00", Duration::ZERO).await;
    let started = Instant::now();
    let out = Test::new()
        .server(&annie.base_url())
        .now(Some("2026-11-24T08:59:57-06:00"))
        .od_rows(&[&od_row("A1", &[("AptDateTime", "2026-11-25 10:00:00")])])
        .args(["--wait-for-window"])
        .run_async()
        .await;
    out.assert_status(0);
    assert_eq!(out.result_for("A1")["status"], "sent");
    assert!(
        out.result_for("A1")["attempted_at"].starts_with("2026-11-24T15:00:0"),
        "sent at 09:00 CST"
    );
    assert!(
        started.elapsed() >= Duration::from_millis(2500),
        "it waited for the window"
    );
    // Five seconds after the opening, for a clock a little ahead of Annie's.
    let at = chrono::DateTime::parse_from_rfc3339(&out.result_for("A1")["attempted_at"]).unwrap();
    let opens = chrono::DateTime::parse_from_rfc3339("2026-11-24T09:00:05-06:00").unwrap();
    assert!(at >= opens, "sent at {at}, before the opening's margin");
    assert!(
        out.stderr
            .contains("calling hours (09:00–20:00 America/Chicago) are closed"),
        "{}",
        out.stderr
    );
}

/// A rerun before the window opens, after every reminder went out, has nobody to call: with
/// `--wait-for-window` it ends at once (every row `already_sent`, exit 0) instead of waiting
/// for the window while holding the ledger.
#[tokio::test(flavor = "multi_thread")]
async fn wait_for_window_does_not_wait_when_every_row_was_already_sent() {
    let annie = Annie::start().await;
    let t = Test::new()
        .server(&annie.base_url())
        .od_rows(&[&od_row("A1", &[]), &od_row("A2", &[])]);
    t.clone().run_async().await.assert_status(0);
    let rerun = t
        .now(Some("2026-11-23T08:00:00-06:00"))
        .args(["--wait-for-window"])
        .run_async();
    // Without the fix it waits an hour for 09:00.
    let out = tokio::time::timeout(Duration::from_secs(120), rerun)
        .await
        .expect("the rerun waited for the window with nobody to call");
    out.assert_status(0);
    for id in ["A1", "A2"] {
        let r = out.result_for(id);
        assert_eq!(r["reason_code"], "already_sent", "{r:?}");
    }
    assert!(!out.stderr.contains("waiting"), "{}", out.stderr);
    assert_eq!(annie.posts().await.len(), 2);
}

/// The preview of the nightly command (`run --wait-for-window`) started before calling hours
/// open shows what the run does after waiting: calls from 09:00, exit 0, not every row deferred
/// (exit 75) as for a run that would not wait.
#[test]
fn a_preview_with_wait_for_window_shows_the_calls_from_the_opening() {
    let rows = [
        od_row("A1", &[("AptDateTime", "2026-11-25 10:00:00")]),
        od_row("A2", &[("AptDateTime", "2026-11-25 11:00:00")]),
    ];
    let rows: Vec<&str> = rows.iter().map(String::as_str).collect();
    let preview = |extra: &[&str]| {
        let mut args = vec!["--dry-run"];
        args.extend(extra);
        Test::new()
            .now(Some("2026-11-24T02:00:00-06:00"))
            .od_rows(&rows)
            .args(args)
            .run()
    };
    let waits = preview(&["--wait-for-window"]);
    waits.assert_status(0);
    for id in ["A1", "A2"] {
        let r = waits.result_for(id);
        assert_eq!(r["status"], "dry_run", "{r:?}");
        assert_eq!(r["reason_code"], "would_call", "{r:?}");
    }
    assert!(
        waits
            .stderr
            .contains("calling day Tue 2026-11-24, appointments on Wed 2026-11-25"),
        "{}",
        waits.stderr
    );
    // Without the flag the run would not wait: nothing now, exit 75, as before.
    let no_wait = preview(&[]);
    no_wait.assert_status(75);
    assert_eq!(no_wait.result_for("A1")["status"], "deferred");
}

/// Rows the window closes on are deferred to tomorrow 09:00, when their appointments (tomorrow
/// 09:00) start: no run can call them in time, so they need a person (exit 1, not 75).
#[tokio::test(flavor = "multi_thread")]
async fn when_the_window_closes_mid_run_the_rest_are_deferred() {
    let annie = Annie::start().await;
    let rows: Vec<String> = (1..=8).map(|i| od_row(&format!("A{i}"), &[])).collect();
    let rows: Vec<&str> = rows.iter().map(String::as_str).collect();
    // One request a second, starting four seconds before 20:00.
    let out = Test::new()
        .server(&annie.base_url())
        .config(&CONFIG.replace("requests_per_minute = 6000", "requests_per_minute = 60"))
        .now(Some("2026-11-23T19:59:56-06:00"))
        .od_rows(&rows)
        .run_async()
        .await;
    out.assert_status(1);
    let results = out.results();
    let sent = results.iter().filter(|r| r["status"] == "sent").count();
    let deferred: Vec<_> = results
        .iter()
        .filter(|r| r["status"] == "deferred")
        .collect();
    assert!(sent >= 1, "{results:?}");
    assert!(!deferred.is_empty(), "{results:?}");
    assert_eq!(sent + deferred.len(), 8);
    assert_eq!(annie.posts().await.len(), sent);
    assert_eq!(
        deferred[0]["reason"],
        "calling hours (09:00–20:00 America/Chicago) are closed; callable from Tue 2026-11-24 09:00 CST; \
         no run can call this before the appointment: remind the patient another way"
    );
    assert!(deferred.iter().all(|r| r["needs_attention"] == "true"));
    assert!(results
        .iter()
        .filter(|r| r["status"] == "sent")
        .all(|r| r["needs_attention"] == "false"));
    // Input order: once deferred, every later row is deferred too.
    let first_deferred = results
        .iter()
        .position(|r| r["status"] == "deferred")
        .unwrap();
    assert!(results[first_deferred..]
        .iter()
        .all(|r| r["status"] == "deferred"));
}

/// A patient whose own window opens later today is not deferred: the call waits for it. The
/// preview shows when each held call will go.
#[test]
fn a_west_coast_patient_is_held_until_nine_their_time() {
    // A personal (5XX) number, allowed here, rings wherever its owner is: no zone.
    let config = CONFIG.replace(
        "callback_number = \"(312) 555-0199\"",
        "callback_number = \"(312) 555-0199\"\nallowed_number_types = [\"personal\"]",
    );
    let out = Test::new()
        .config(&config)
        .now(Some("2026-11-24T09:30:00-06:00"))
        .od_rows(&[
            &od_row("CHI", &[("AptDateTime", "2026-11-25 10:00:00")]),
            &od_row(
                "LA",
                &[
                    ("AptDateTime", "2026-11-25 11:00:00"),
                    ("WirelessPhone", "(415) 555-0147"),
                ],
            ),
            &od_row(
                "PERSONAL",
                &[
                    ("AptDateTime", "2026-11-25 12:00:00"),
                    ("WirelessPhone", "(500) 555-0147"),
                ],
            ),
        ])
        .args(["--dry-run", "--wide"])
        .run();
    out.assert_status(0);
    assert_eq!(out.result_for("CHI")["status"], "dry_run");
    let la = out.result_for("LA");
    assert_eq!(la["status"], "dry_run");
    assert_eq!(
        la["reason"],
        "at Tue 2026-11-24 11:00 CST (until then: outside calling hours (09:00–20:00 in the \
         recipient's zone, America/Los_Angeles); callable from Tue 2026-11-24 11:00 CST)"
    );
    assert_eq!(
        out.result_for("PERSONAL")["reason"],
        "at Tue 2026-11-24 13:00 CST (until then: outside calling hours (09:00–20:00 in every US \
         time zone, since the number's own zone is unknown); callable from Tue 2026-11-24 13:00 CST)"
    );
    assert!(
        out.stdout.contains("will call at 11:00 CST"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("will call at 13:00 CST"),
        "{}",
        out.stdout
    );
}

/// With `--wait-for-window`, a patient whose own window opens a few seconds after the clinic's
/// is called when it opens, in the same run.
#[tokio::test(flavor = "multi_thread")]
async fn a_patient_whose_window_opens_later_is_called_when_it_opens() {
    // 10:59:56 in Chicago: the clinic is open; Los Angeles opens at 09:00, 11:00 here.
    let now = "2026-11-24T10:59:56-06:00";
    let annie = Annie::start_with(now, Duration::ZERO).await;
    let started = Instant::now();
    let out = Test::new()
        .server(&annie.base_url())
        .now(Some(now))
        .od_rows(&chicago_and_los_angeles().each_ref().map(String::as_str))
        .args(["--wait-for-window"])
        .run_async()
        .await;
    out.assert_status(0);
    let at = |id: &str| {
        let r = out.result_for(id);
        assert_eq!(r["status"], "sent", "{r:?}");
        assert_eq!(r["needs_attention"], "false", "{r:?}");
        chrono::DateTime::parse_from_rfc3339(&r["attempted_at"]).unwrap()
    };
    let opens = chrono::DateTime::parse_from_rfc3339("2026-11-24T11:00:00-06:00").unwrap();
    assert!(at("CHI") < opens, "the clinic's patient did not wait");
    assert!(at("LA") >= opens, "called when the patient's window opened");
    assert!(started.elapsed() >= Duration::from_millis(3000));
    assert_eq!(annie.posted_ids().await, ["CHI", "LA"]);
}

/// A patient whose window does not open again before the appointment: deferred, flagged for a
/// person, and the run exits 1 (no later run will call them).
#[tokio::test(flavor = "multi_thread")]
async fn a_row_deferred_past_its_calling_day_needs_attention() {
    // 19:30 in Chicago is 20:30 in New York: that patient's window has closed for today.
    let now = "2026-11-23T19:30:00-06:00";
    let annie = Annie::start_with(now, Duration::ZERO).await;
    let out = Test::new()
        .server(&annie.base_url())
        .now(Some(now))
        .od_rows(&[
            &od_row("CHI", &[("AptDateTime", "2026-11-24 10:00:00")]),
            &od_row(
                "NY",
                &[
                    ("AptDateTime", "2026-11-24 10:00:00"),
                    ("WirelessPhone", "(212) 555-0147"),
                ],
            ),
        ])
        .args(["--summary-json", "summary.json", "--report", "report.html"])
        .run_async()
        .await;
    out.assert_status(1);
    assert_eq!(out.result_for("CHI")["status"], "sent");
    // The report lists it for a person, with what to do.
    let html = out.file("report.html");
    let listed = html.split("Needs a person").nth(1).unwrap_or_default();
    assert!(
        listed.contains("<td>NY</td>")
            && listed.contains("No run can call this patient before the appointment"),
        "{html}"
    );
    let ny = out.result_for("NY");
    assert_eq!(ny["status"], "deferred");
    assert_eq!(ny["reason_code"], "calling_hours");
    assert_eq!(ny["needs_attention"], "true");
    assert!(
        ny["reason"].ends_with(
            "callable from Tue 2026-11-24 09:00 CST; no run can call this before the \
             appointment: remind the patient another way"
        ),
        "{ny:?}"
    );
    assert!(
        out.stderr
            .contains("1 needs a person: no run can call it before the appointment"),
        "{}",
        out.stderr
    );
    let summary: serde_json::Value = serde_json::from_str(&out.file("summary.json")).unwrap();
    assert_eq!(summary["not_before_appointment"], 1);
    assert_eq!(summary["exit_status"], 1);
    assert_eq!(annie.posted_ids().await, ["CHI"]);
}

/// A reversed or empty window is named for what it is, not as wider than the API's hours.
#[test]
fn an_empty_or_reversed_calling_window_is_named_as_such() {
    for end in ["09:00", "12:00"] {
        let out = Test::new()
            .config(&format!(
                "{CONFIG}[hours]\nstart = \"12:00\"\nend = \"{end}\"\n"
            ))
            .od_rows(&[&od_row("A1", &[])])
            .args(["--dry-run"])
            .run();
        out.assert_status(2);
        let expected = format!(
            ":19: [hours] start/end: 12:00–{end} is an empty window: the end must come after the \
             start (both times of one day, in the location's zone; a window cannot run past \
             midnight)"
        );
        assert!(out.stderr.contains(&expected), "{}", out.stderr);
    }
}

#[test]
fn the_config_may_narrow_calling_hours_but_never_widen_them() {
    let out = Test::new()
        .config(&format!("{CONFIG}[hours]\nstart = \"08:00\"\n"))
        .od_rows(&[&od_row("A1", &[])])
        .args(["--dry-run"])
        .run();
    out.assert_status(2);
    assert!(
        out.stderr.contains(":19: [hours] start/end: 08:00–20:00 is not within 09:00–20:00 (the API's calling hours); the config may narrow the window, never widen it"),
        "{}",
        out.stderr
    );
    // Narrowed: closed at 18:30 when the practice ends calls at 18:00, so the calling day is
    // Tuesday and the appointments are Wednesday's.
    let out = Test::new()
        .config(&format!("{CONFIG}[hours]\nend = \"18:00\"\n"))
        .od_rows(&[&od_row("A1", &[("AptDateTime", "2026-11-25 10:00:00")])])
        .args(["--dry-run"])
        .run();
    out.assert_status(75);
    assert!(out.result_for("A1")["reason"]
        .starts_with("calling hours (09:00–18:00 America/Chicago) are closed"));
}

/// "Tomorrow" is the day after the calling day, not after the start: a nightly job that starts
/// after calling hours closed (20:30 local, or 02:00 on a UTC server, 20:00 in Chicago) or
/// before they open (08:00) selects what a run at 09:00 selects.
#[test]
fn the_window_is_relative_to_the_calling_day_not_the_start_time() {
    let rows = [
        od_row("TODAY", &[("AptDateTime", "2026-11-24 14:00:00")]),
        od_row("NEXT", &[("AptDateTime", "2026-11-25 10:00:00")]),
        od_row("LATER", &[("AptDateTime", "2026-11-26 10:00:00")]),
    ];
    let rows: Vec<&str> = rows.iter().map(String::as_str).collect();
    for now in [
        "2026-11-23T20:30:00-06:00",
        "2026-11-24T02:00:00Z",
        "2026-11-24T08:00:00-06:00",
        "2026-11-24T09:00:00-06:00",
    ] {
        let out = Test::new()
            .now(Some(now))
            .od_rows(&rows)
            .args(["--dry-run"])
            .run();
        // Selected: previewed, or deferred to the calling hours when they are closed now.
        assert!(matches!(out.status, 0 | 75), "{}", out.stderr);
        let selected: Vec<String> = out
            .statuses()
            .into_iter()
            .filter(|(_, _, status)| status != "skipped")
            .map(|(_, id, _)| id)
            .collect();
        assert_eq!(selected, ["NEXT"], "started at {now}");
        assert!(
            out.stderr
                .contains("calling day Tue 2026-11-24, appointments on Wed 2026-11-25"),
            "started at {now}: {}",
            out.stderr
        );
    }
}

/// An hour range counts from when calls can start too: started at 20:30, "12h-36h" means from
/// 21:00 on the calling day (09:00 + 12 h) to 21:00 the day after.
#[test]
fn an_hour_window_counts_from_the_start_of_calling_hours() {
    let rows = [
        od_row("SOON", &[("AptDateTime", "2026-11-24 14:00:00")]),
        od_row("IN", &[("AptDateTime", "2026-11-25 10:00:00")]),
    ];
    let rows: Vec<&str> = rows.iter().map(String::as_str).collect();
    let out = Test::new()
        .config(&format!("{CONFIG}[selection]\nwindow = \"12h-36h\"\n"))
        .now(Some("2026-11-23T20:30:00-06:00"))
        .od_rows(&rows)
        .args(["--dry-run"])
        .run();
    assert_eq!(out.result_for("SOON")["status"], "skipped");
    assert_eq!(out.result_for("IN")["status"], "deferred");
    assert!(
        out.stderr.contains(
            "calling day Tue 2026-11-24, appointments from Tue 2026-11-24 21:00 CST to Wed \
             2026-11-25 21:00 CST"
        ),
        "{}",
        out.stderr
    );
}

/// A run started inside calling hours (a rerun, the full run after a `--limit` canary) counts an
/// hour window from when calling hours opened, as a run at 09:00 does: the appointments between
/// 09:00 and its own start, a day later, are still selected.
#[test]
fn an_hour_window_from_a_run_started_inside_calling_hours_counts_from_their_opening() {
    let rows = [
        od_row("EARLY", &[("AptDateTime", "2026-11-25 09:05:00")]),
        od_row("LATE", &[("AptDateTime", "2026-11-26 09:10:00")]),
    ];
    let rows: Vec<&str> = rows.iter().map(String::as_str).collect();
    for now in ["2026-11-24T09:00:00-06:00", "2026-11-24T11:20:00-06:00"] {
        let out = Test::new()
            .config(&format!("{CONFIG}[selection]\nwindow = \"24h-48h\"\n"))
            .now(Some(now))
            .od_rows(&rows)
            .args(["--dry-run"])
            .run();
        assert_eq!(
            out.result_for("EARLY")["status"],
            "dry_run",
            "started at {now}"
        );
        assert_eq!(
            out.result_for("LATE")["status"],
            "skipped",
            "started at {now}"
        );
        assert!(
            out.stderr.contains(
                "calling day Tue 2026-11-24, appointments from Wed 2026-11-25 09:00 CST to Thu \
                 2026-11-26 09:00 CST"
            ),
            "started at {now}: {}",
            out.stderr
        );
    }
}

/// Hours count on the wall clock: across the night daylight-saving time ends (a 25-hour Sunday),
/// Saturday's "24h-48h" ends where Sunday's begins (Monday 09:00), so an appointment on Monday
/// at 08:30 is in one of them, not in neither.
#[test]
fn consecutive_nights_hour_windows_abut_across_the_end_of_daylight_saving_time() {
    let rows = [od_row("MON", &[("AptDateTime", "2026-11-02 08:30:00")])];
    let rows: Vec<&str> = rows.iter().map(String::as_str).collect();
    let night = |now: &str| {
        Test::new()
            .config(&format!("{CONFIG}[selection]\nwindow = \"24h-48h\"\n"))
            .now(Some(now))
            .od_rows(&rows)
            .args(["--dry-run"])
            .run()
    };
    let saturday = night("2026-10-31T02:00:00-05:00");
    assert!(
        saturday
            .stderr
            .contains("appointments from Sun 2026-11-01 09:00 CST to Mon 2026-11-02 09:00 CST"),
        "{}",
        saturday.stderr
    );
    assert_ne!(saturday.result_for("MON")["status"], "skipped");
    let sunday = night("2026-11-01T02:00:00-05:00");
    assert!(
        sunday
            .stderr
            .contains("appointments from Mon 2026-11-02 09:00 CST to Tue 2026-11-03 09:00 CST"),
        "{}",
        sunday.stderr
    );
    assert_eq!(sunday.result_for("MON")["reason_code"], "outside_window");
}

/// With an hour window, an appointment can start before the patient's own calling hours open:
/// the call is not held until after the appointment has begun. It is deferred, flagged for a
/// person, and nothing is sent, in the preview and the run alike.
#[tokio::test(flavor = "multi_thread")]
async fn a_call_is_never_held_until_after_its_appointment_starts() {
    // 12:58 in Chicago is 08:58 in Honolulu: that patient's window opens at 13:00 Chicago time,
    // after the 12:59 appointment; the Chicago patient is called now.
    let now = "2026-11-24T12:58:00-06:00";
    let annie = Annie::start_with(now, Duration::ZERO).await;
    let t = Test::new()
        .server(&annie.base_url())
        .config(&format!("{CONFIG}[selection]\nwindow = \"0h-24h\"\n"))
        .now(Some(now))
        .od_rows(&[
            &od_row("CHI", &[("AptDateTime", "2026-11-24 14:00:00")]),
            &od_row(
                "HNL",
                &[
                    ("AptDateTime", "2026-11-24 12:59:00"),
                    ("WirelessPhone", "(808) 555-0101"),
                ],
            ),
        ]);
    for args in [vec!["--dry-run"], vec![]] {
        let out = t.clone().args(args.clone()).run_async().await;
        out.assert_status(1);
        let hnl = out.result_for("HNL");
        assert_eq!(hnl["status"], "deferred", "{args:?} {hnl:?}");
        assert_eq!(hnl["reason_code"], "calling_hours", "{args:?}");
        assert_eq!(hnl["needs_attention"], "true", "{args:?}");
    }
    assert_eq!(annie.posted_ids().await, ["CHI"]);
}

/// The preview waits for nothing, but it tells what the rate lets the window hold: at 60 calls
/// a minute, ten seconds before the window closes, only the first calls fit; the rest are
/// deferred and flagged for a person, as the run would leave them, not promised a call.
#[test]
fn the_preview_defers_what_the_window_cannot_hold_at_the_configured_rate() {
    let rows: Vec<String> = (0..20)
        .map(|i| {
            od_row(
                &format!("R{i:02}"),
                &[("WirelessPhone", &format!("(312) 555-{:04}", 1000 + i))],
            )
        })
        .collect();
    let rows: Vec<&str> = rows.iter().map(String::as_str).collect();
    let out = Test::new()
        .config(&CONFIG.replace("requests_per_minute = 6000", "requests_per_minute = 60"))
        .now(Some("2026-11-23T19:59:50-06:00"))
        .od_rows(&rows)
        .args(["--dry-run"])
        .run();
    out.assert_status(1);
    let results = out.results();
    let called = results.iter().filter(|r| r["status"] == "dry_run").count();
    // 61/60 s apart from 19:59:50 (the run's start, however long the preview takes): ten slots
    // before 20:00, the first taken by the run's look in Annie before its first call.
    assert_eq!(called, 9, "{called} would be called");
    for r in results.iter().filter(|r| r["status"] != "dry_run") {
        assert_eq!(r["status"], "deferred", "{r:?}");
        assert_eq!(r["reason_code"], "calling_hours", "{r:?}");
        assert_eq!(r["needs_attention"], "true", "{r:?}");
        assert!(
            r["reason"]
                .starts_with("its turn at 60 calls a minute would come at Mon 2026-11-23 20:0"),
            "{r:?}"
        );
    }
    // Input order: the first rows are the ones that fit.
    assert!(results[..called].iter().all(|r| r["status"] == "dry_run"));
}

/// A patient's own hours can close before the practice's: at a Hawaii practice's 15:00 it is
/// 20:00 in New York. The run defers a New York call whose turn comes then (its hours open
/// again only tomorrow), and so does the preview, rather than promising the call.
#[test]
fn the_preview_defers_a_call_whose_turn_comes_after_the_patients_own_hours_close() {
    let config = CONFIG
        .replace("requests_per_minute = 6000", "requests_per_minute = 60")
        .replace("America/Chicago", "Pacific/Honolulu")
        .replace("+13125550100", "+18085550100")
        .replace("(312) 555-0199", "(808) 555-0199");
    let rows = [
        od_row("H1", &[("WirelessPhone", "(808) 555-0102")]),
        od_row("H2", &[("WirelessPhone", "(808) 555-0103")]),
        od_row("H3", &[("WirelessPhone", "(808) 555-0104")]),
        od_row("NY", &[("WirelessPhone", "(212) 555-0101")]),
    ];
    let rows: Vec<&str> = rows.iter().map(String::as_str).collect();
    for whole in [false, true] {
        let mut t = Test::new()
            .config(&config)
            .now(Some("2026-11-23T14:59:57-10:00"))
            .od_rows(&rows)
            .args(["--dry-run"]);
        if whole {
            t = t.args(["--emit-requests", "requests.jsonl"]);
        }
        let out = t.run();
        out.assert_status(1);
        let results = out.results();
        let status = |id: &str| {
            let r = results.iter().find(|r| r["appointment_id"] == id).unwrap();
            (r["status"].clone(), r["reason"].clone())
        };
        for id in ["H1", "H2", "H3"] {
            assert_eq!(status(id).0, "dry_run", "{id}");
        }
        // Its turn, four slots 61/60 s apart from 14:59:57, is 15:00:00 in Honolulu.
        let (ny, reason) = status("NY");
        assert_eq!(ny, "deferred", "{reason}");
        assert!(
            reason.contains(
                "outside calling hours (09:00–20:00 in the recipient's zone, America/New_York)"
            ),
            "{reason}"
        );
    }
}

/// A calling-hours refusal in the last minute before the window closes is most likely this
/// machine's clock running a little ahead of Annie's: the reason says so first (the zones may
/// still differ), and the row is flagged for a person as any such refusal.
#[tokio::test(flavor = "multi_thread")]
async fn a_calling_hours_refusal_just_before_the_close_names_the_clocks() {
    let annie = Annie::start().await;
    let message = "calls are allowed only between 9 AM and 8 PM (America/Chicago)";
    annie.fail_calls(422, message, Some(1)).await;
    let out = Test::new()
        .server(&annie.base_url())
        .now(Some("2026-11-23T19:59:30-06:00"))
        .od_rows(&[&od_row("A1", &[])])
        .run_async()
        .await;
    out.assert_status(1);
    let r = out.result_for("A1");
    assert_eq!(r["status"], "deferred", "{r:?}");
    assert_eq!(r["needs_attention"], "true", "{r:?}");
    assert_eq!(
        r["reason"],
        format!(
            "the API answered HTTP 422: {message}; Annie refused this call for calling hours in \
             the last minute before this config's hours close: Annie's clock is probably a little \
             ahead of this machine's (keep this machine's synchronised, by NTP), or [practice] \
             timezone (or the location's) is not the Annie organisation's time zone; remind the \
             patient another way"
        )
    );
}

/// Annie refuses for calling hours at a moment this config takes for open (the Annie
/// organisation's time zone is New York, the config's Chicago): the row is `deferred` and flagged
/// for a person (no later run can be trusted to call it), the run exits 1, not 75 (which the
/// nightly job takes for "a later run will call them"). Such a refusal says nothing about the
/// number: three nights of it do not rest the number, and the fourth night, with the zones put
/// right, calls the patient.
#[tokio::test(flavor = "multi_thread")]
async fn a_calling_hours_refusal_the_config_did_not_foresee_needs_attention_and_rests_no_number() {
    let annie = Annie::start().await;
    let message = "calls are allowed only between 9 AM and 8 PM (America/New_York)";
    annie.fail_calls(422, message, Some(3)).await;
    let t = Test::new()
        .server(&annie.base_url())
        .od_rows(&[&od_row("A1", &[])]);
    for night in 1..=3 {
        let out = t.run_async().await;
        out.assert_status(1);
        let r = out.result_for("A1");
        assert_eq!(r["status"], "deferred", "night {night}: {r:?}");
        assert_eq!(r["reason_code"], "calling_hours", "{r:?}");
        assert_eq!(r["needs_attention"], "true", "{r:?}");
        assert_eq!(
            r["reason"],
            format!(
                "the API answered HTTP 422: {message}; Annie refused this call for calling hours \
                 although this config's hours were open: check that [practice] timezone (or the \
                 location's) is the Annie organisation's time zone, then rerun or remind the \
                 patient another way"
            )
        );
    }
    let fourth = t.run_async().await;
    fourth.assert_status(0);
    assert_eq!(fourth.result_for("A1")["status"], "sent");
    assert_eq!(annie.posts().await.len(), 4);
}
