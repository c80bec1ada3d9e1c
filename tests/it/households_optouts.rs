//! Households share one call; opt-outs cover the whole number.

use crate::harness::{od_row, Test, CONFIG, OD_HEADER};
use crate::mock::Annie;

#[tokio::test(flavor = "multi_thread")]
async fn a_household_gets_one_call_for_all_its_appointments() {
    let annie = Annie::start().await;
    let family = [("WirelessPhone", "(312) 555-0160")];
    let out = Test::new()
        .server(&annie.base_url())
        .od_rows(&[
            &od_row(
                "KID",
                &[
                    family[0],
                    ("FName", "Mia"),
                    ("AptDateTime", "2026-11-24 10:00:00"),
                ],
            ),
            &od_row("SOLO", &[]),
            &od_row(
                "MOM",
                &[
                    family[0],
                    ("FName", "Ana"),
                    ("AptDateTime", "2026-11-24 09:20:00"),
                ],
            ),
        ])
        .run_async()
        .await;
    out.assert_status(0);
    let bodies = annie.bodies().await;
    assert_eq!(bodies.len(), 2);
    let household = bodies
        .iter()
        .find(|b| b["toNumber"] == "+13125550160")
        .unwrap();
    // The earliest appointment leads; the context names everyone.
    assert_eq!(household["appointmentInfo"]["appointmentId"], "MOM");
    assert_eq!(
        household["context"],
        "This call is from Bright Smile Dental to confirm appointments for Ana on Tuesday, \
         November 24 at 9:20 AM, Mia on Tuesday, November 24 at 10:00 AM. Ask whether they can \
         attend. If they need to reschedule, they can call the office at (312) 555-0199."
    );
    for id in ["MOM", "KID"] {
        let row = out.result_for(id);
        assert_eq!(row["status"], "sent");
        assert_eq!(row["conversation_id"], "conv-MOM");
        assert_eq!(
            row["reason"],
            "one household call for appointments MOM, KID (rows 4, 2)"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn with_households_off_only_the_first_appointment_on_a_number_is_called() {
    let annie = Annie::start().await;
    let family = ("WirelessPhone", "(312) 555-0160");
    let out = Test::new()
        .server(&annie.base_url())
        .config(&format!("{CONFIG}[households]\nenabled = false\n"))
        .od_rows(&[
            &od_row("KID", &[family, ("AptDateTime", "2026-11-24 10:00:00")]),
            &od_row("MOM", &[family, ("AptDateTime", "2026-11-24 09:20:00")]),
        ])
        .run_async()
        .await;
    out.assert_status(0);
    assert_eq!(annie.posted_ids().await, ["MOM"]);
    assert_eq!(
        out.result_for("KID")["reason"],
        "another appointment on this phone number (row 3) is called in this run; the API allows \
         one call per number per 24 hours"
    );
}

fn export_with_preference(rows: &[(String, &str)]) -> String {
    let mut text = format!("{OD_HEADER},PreferConfirmMethod\n");
    for (row, preference) in rows {
        text.push_str(&format!("{row},{preference}\n"));
    }
    text
}

#[tokio::test(flavor = "multi_thread")]
async fn opted_out_numbers_are_never_called_in_any_mode() {
    let annie = Annie::start().await;
    let shared = ("WirelessPhone", "(312) 555-0160");
    let export = export_with_preference(&[
        (
            od_row("LISTED", &[("WirelessPhone", "312.555.0177")]),
            "None",
        ),
        (od_row("DNC", &[shared]), "DoNotCall"),
        (od_row("SIBLING", &[shared]), "None"),
        (od_row("FINE", &[]), "None"),
    ]);
    let config = format!(
        "{CONFIG}[optout]\nlist = \"do-not-call.txt\"\ncolumns = [\"PreferConfirmMethod\"]\n"
    );
    let t = Test::new()
        .server(&annie.base_url())
        .config(&config)
        .file(
            "do-not-call.txt",
            "# numbers that asked not to be called\n+1 (312) 555-0177\n",
        )
        .input("appointments.csv", export);
    for args in [vec!["--dry-run"], vec![]] {
        let out = t.clone().args(args).run_async().await;
        out.assert_status(0);
        assert_eq!(
            out.result_for("LISTED")["reason"],
            "opted out (the number is on the do-not-call list)"
        );
        assert_eq!(
            out.result_for("DNC")["reason"],
            "opted out (PreferConfirmMethod is DoNotCall)"
        );
        assert_eq!(
            out.result_for("SIBLING")["reason"],
            "opted out (another patient on this phone number asked not to be called)"
        );
    }
    assert_eq!(annie.posted_ids().await, ["FINE"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_open_dental_preset_reads_its_own_do_not_call_marks_without_config() {
    let annie = Annie::start().await;
    let shared = ("WirelessPhone", "(312) 555-0161");
    let mut export = format!("{OD_HEADER},PreferConfirmMethod,PreferContactMethod\n");
    for (row, confirm, contact) in [
        (od_row("BYNAME", &[shared]), "DoNotCall", "None"),
        (od_row("SIBLING", &[shared]), "None", "None"),
        (od_row("BYNUMBER", &[]), "1", "0"),
        (od_row("CONTACT", &[]), "None", "DoNotCall"),
        (od_row("FINE", &[]), "2", "WirelessPh"),
    ] {
        export.push_str(&format!("{row},{confirm},{contact}\n"));
    }
    let out = Test::new()
        .server(&annie.base_url())
        .input("appointments.csv", export)
        .run_async()
        .await;
    out.assert_status(0);
    for id in ["BYNAME", "SIBLING", "BYNUMBER", "CONTACT"] {
        let row = out.result_for(id);
        assert_eq!(row["status"], "skipped", "{row:?}");
        assert!(row["reason"].starts_with("opted out ("), "{row:?}");
    }
    assert_eq!(annie.posted_ids().await, ["FINE"]);
    // An export without those columns is read as before.
    let plain = Test::new()
        .server(&annie.base_url())
        .od_rows(&[&od_row("PLAIN", &[])])
        .run_async()
        .await;
    plain.assert_status(0);
    assert_eq!(plain.result_for("PLAIN")["status"], "sent");
}

/// A row that cannot be called (a time that is not one, an empty first name) but says "do not
/// call" still opts its number out: the other patient on that phone is not called, in a
/// streamed preview (either way it reads the export), a whole-export preview and a sending run.
#[tokio::test(flavor = "multi_thread")]
async fn an_opt_out_on_a_row_that_cannot_be_called_still_covers_its_number() {
    let annie = Annie::start().await;
    let first = ("WirelessPhone", "(312) 555-6001");
    let second = ("WirelessPhone", "(312) 555-6003");
    let export = export_with_preference(&[
        (
            od_row("BADTIME", &[first, ("AptDateTime", "2026-11-25 9am")]),
            "DoNotCall",
        ),
        (od_row("SIBLING1", &[first]), "None"),
        (od_row("NONAME", &[second, ("FName", "")]), "DoNotCall"),
        (od_row("SIBLING2", &[second]), "None"),
        (od_row("FINE", &[]), "None"),
    ]);
    let t = Test::new()
        .server(&annie.base_url())
        .input("appointments.csv", export);
    let runs = [
        // The streamed preview, holding a small export's rows between its two readings...
        (vec!["--dry-run"], "16777216"),
        // ... or reading it twice, as it does a large export.
        (vec!["--dry-run"], "0"),
        (vec!["--dry-run", "--show-texts", "1"], "16777216"),
        (vec![], "16777216"),
    ];
    for (args, hold) in runs {
        let t = t.clone().env("ANNIE_DISPATCH_HOLD_BYTES", hold);
        let out = t.args(args.clone()).run_async().await;
        out.assert_status(1);
        for id in ["BADTIME", "NONAME"] {
            assert_eq!(out.result_for(id)["status"], "invalid", "{args:?}");
        }
        for id in ["SIBLING1", "SIBLING2"] {
            let row = out.result_for(id);
            assert_eq!(row["status"], "skipped", "{args:?} {row:?}");
            assert_eq!(
                row["reason"],
                "opted out (another patient on this phone number asked not to be called)"
            );
        }
    }
    assert_eq!(annie.posted_ids().await, ["FINE"]);
}
