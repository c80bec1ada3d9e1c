//! Phone numbers are data: a letter is never read as a keypad digit, only numbers a patient
//! answers are called, and a number abroad is called only when its country is allowed, in its
//! own local hours. Each test asserts what the API received and what the results file says.

use std::time::Duration;

use crate::harness::{od_row, Test, CONFIG};
use crate::mock::Annie;

/// Every `toNumber` the mock API received, in arrival order.
async fn to_numbers(annie: &Annie) -> Vec<String> {
    annie
        .bodies()
        .await
        .iter()
        .map(|b| b["toNumber"].as_str().unwrap_or_default().to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_letter_o_for_a_zero_makes_the_column_unusable_and_the_next_is_called() {
    let annie = Annie::start().await;
    let out = Test::new()
        .server(&annie.base_url())
        .od_rows(&[
            &od_row(
                "TYPO",
                &[
                    ("WirelessPhone", "815-555-O158"),
                    ("HmPhone", "(312) 555-0123"),
                ],
            ),
            &od_row("ONLYTYPO", &[("WirelessPhone", "815-555-O158")]),
        ])
        .run_async()
        .await;
    out.assert_status(1);
    // libphonenumber alone would have dialled +18155556158: a stranger.
    assert_eq!(to_numbers(&annie).await, ["+13125550123"]);
    let typo = out.result_for("TYPO");
    assert_eq!(typo["status"], "sent");
    assert_eq!(typo["conversation_id"], "conv-TYPO");
    assert_eq!(typo["to_number"], "+1312***0123");
    assert_eq!(
        out.result_for("ONLYTYPO")["reason"],
        "no usable phone number: WirelessPhone contains letters; a phone number in a schedule is \
         never spelled out, HmPhone is empty, WkPhone is empty"
    );
    assert_eq!(out.result_for("ONLYTYPO")["status"], "invalid");
}

/// A row called on a later phone column says why each column before it was passed over
/// (without the numbers), in the preview and in the run: the office learns the record holds a
/// number that cannot be called (round-7 finding 5: the row said nothing).
#[tokio::test(flavor = "multi_thread")]
async fn a_row_called_on_a_later_column_says_why_the_first_was_passed_over() {
    let annie = Annie::start().await;
    let t = Test::new().server(&annie.base_url()).od_rows(&[
        &od_row(
            "TYPO",
            &[
                ("WirelessPhone", "815-555-O158"),
                ("HmPhone", "(312) 555-0123"),
            ],
        ),
        &od_row(
            "TOLLFREE",
            &[
                ("WirelessPhone", "(800) 555-0100"),
                ("HmPhone", "(312) 555-0125"),
            ],
        ),
        &od_row("FINE", &[("HmPhone", "(312) 555-0124")]),
    ]);
    let expected = [
        (
            "TYPO",
            "WirelessPhone contains letters; a phone number in a schedule is never spelled out; \
             called on HmPhone instead",
        ),
        (
            "TOLLFREE",
            "WirelessPhone is a toll-free number, not a patient's phone; called on HmPhone \
             instead",
        ),
    ];
    for args in [vec!["--dry-run"], vec![]] {
        let out = t.clone().args(args).run_async().await;
        out.assert_status(0);
        for (id, reason) in expected {
            let row = out.result_for(id);
            assert_eq!(row["reason"], reason, "{row:?}");
            assert_eq!(row["needs_attention"], "false", "{row:?}");
        }
        // An empty first column is no news: nothing is said.
        assert_eq!(out.result_for("FINE")["reason"], "");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn premium_rate_and_toll_free_numbers_are_refused_naming_the_type() {
    let annie = Annie::start().await;
    let out = Test::new()
        .server(&annie.base_url())
        .od_rows(&[
            &od_row("PREMIUM", &[("WirelessPhone", "(900) 555-0147")]),
            &od_row("TOLLFREE", &[("WirelessPhone", "1-800-555-0147")]),
            &od_row("PATIENT", &[]),
        ])
        .run_async()
        .await;
    out.assert_status(1);
    for (id, kind) in [("PREMIUM", "a premium-rate"), ("TOLLFREE", "a toll-free")] {
        let row = out.result_for(id);
        assert_eq!(row["status"], "invalid", "{id}");
        assert_eq!(
            row["reason"],
            format!(
                "no usable phone number: WirelessPhone is {kind} number, not a patient's phone, \
                 HmPhone is empty, WkPhone is empty"
            ),
            "{id}"
        );
    }
    assert_eq!(out.result_for("PATIENT")["status"], "sent");
    assert_eq!(annie.posted_ids().await, ["PATIENT"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_london_number_needs_its_country_allowed_and_gets_london_hours() {
    // 15:00 in Chicago, where the practice's window is open, is 21:00 in London.
    let now = "2026-11-23T15:00:00-06:00";
    let rows = [
        od_row("LONDON", &[("WirelessPhone", "+44 20 7946 0958")]),
        od_row("CHICAGO", &[]),
    ];
    let rows: Vec<&str> = rows.iter().map(String::as_str).collect();

    // By default: refused, naming the country and the setting.
    let annie = Annie::start_with(now, Duration::ZERO).await;
    let out = Test::new()
        .server(&annie.base_url())
        .now(Some(now))
        .od_rows(&rows)
        .run_async()
        .await;
    out.assert_status(1);
    let london = out.result_for("LONDON");
    assert_eq!(london["status"], "invalid");
    assert_eq!(
        london["reason"],
        "no usable phone number: WirelessPhone is a number in GB; add \"GB\" to [practice] \
         allowed_countries to call it, HmPhone is empty, WkPhone is empty"
    );
    assert_eq!(annie.posted_ids().await, ["CHICAGO"]);

    // Allowed: the Chicago patient is called, the London one waits for London's hours.
    let allowed = CONFIG.replace(
        "callback_number = \"(312) 555-0199\"",
        "callback_number = \"(312) 555-0199\"\nallowed_countries = [\"GB\"]",
    );
    let annie = Annie::start_with(now, Duration::ZERO).await;
    let out = Test::new()
        .server(&annie.base_url())
        .config(&allowed)
        .now(Some(now))
        .od_rows(&rows)
        .run_async()
        .await;
    // London opens again only tomorrow at 09:00 Chicago time, when the appointment starts: no
    // run can call it in time, so a person must (exit 1).
    out.assert_status(1);
    let london = out.result_for("LONDON");
    assert_eq!(london["status"], "deferred");
    assert_eq!(london["needs_attention"], "true");
    assert_eq!(
        london["reason"],
        "outside calling hours (09:00–20:00 in all of the recipient's possible zones \
         (Europe/Guernsey, Europe/Isle_of_Man, Europe/Jersey, Europe/London), since country code \
         +44 spans several); callable from Tue 2026-11-24 09:00 CST; no run can call this before \
         the appointment: remind the patient another way"
    );
    assert_eq!(out.result_for("CHICAGO")["status"], "sent");
    assert_eq!(annie.posted_ids().await, ["CHICAGO"]);

    // Next morning, 09:30 in Chicago is 15:30 in London: called, at its own E.164 number.
    let morning = "2026-11-24T09:30:00-06:00";
    let annie = Annie::start_with(morning, Duration::ZERO).await;
    let out = Test::new()
        .server(&annie.base_url())
        .config(&allowed)
        .now(Some(morning))
        .od_rows(&[&od_row(
            "LONDON",
            &[
                ("WirelessPhone", "+44 20 7946 0958"),
                ("AptDateTime", "2026-11-25 10:00:00"),
            ],
        )])
        .run_async()
        .await;
    out.assert_status(0);
    assert_eq!(out.result_for("LONDON")["status"], "sent");
    assert_eq!(to_numbers(&annie).await, ["+442079460958"]);
}

/// An export that holds the office's own number where a patient's is missing (a placeholder):
/// neither the Annie number nor the callback number is ever called, and the patients sharing it
/// are not made one household.
#[tokio::test(flavor = "multi_thread")]
async fn the_practices_own_numbers_are_never_called() {
    let annie = Annie::start().await;
    let out = Test::new()
        .server(&annie.base_url())
        .od_rows(&[
            &od_row("FROM", &[("WirelessPhone", "(312) 555-0100")]),
            &od_row("CALLBACK1", &[("WirelessPhone", "312-555-0199")]),
            &od_row("CALLBACK2", &[("WirelessPhone", "+1 312 555 0199")]),
            &od_row("OK", &[]),
        ])
        .run_async()
        .await;
    out.assert_status(1);
    for id in ["FROM", "CALLBACK1", "CALLBACK2"] {
        let row = out.result_for(id);
        assert_eq!(
            (row["status"].as_str(), row["reason_code"].as_str()),
            ("invalid", "no_valid_phone"),
            "{row:?}"
        );
        assert!(row["reason"].contains("the practice's own"), "{row:?}");
        assert!(
            !row["reason"].contains("household"),
            "not a household: {row:?}"
        );
    }
    assert_eq!(annie.posted_ids().await, ["OK"]);
}
