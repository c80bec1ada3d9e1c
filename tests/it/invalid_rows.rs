//! Rows that cannot be called end `invalid` with a reason a person can act on; the rest of the
//! run goes on. Reasons name the export column and never repeat patient data.

use crate::harness::{od_row, Test};

#[test]
fn every_kind_of_bad_row_is_invalid_with_its_reason() {
    let long_name = "N".repeat(101);
    let long_text = "Crown prep and buildup, ".repeat(16);
    let rows = [
        od_row("GOOD", &[]),
        od_row("BADPHONE", &[("WirelessPhone", "555-0100")]),
        od_row("BADDATE", &[("AptDateTime", "2026-02-30 10:00:00")]),
        od_row("DSTGAP", &[("AptDateTime", "2026-03-08 02:30:00")]),
        od_row("DSTTWICE", &[("AptDateTime", "2026-11-01 01:30:00")]),
        od_row("NONAME", &[("FName", "")]),
        od_row("", &[]),
        od_row("NOSTART", &[("AptDateTime", "")]),
        od_row("LONGNAME", &[("FName", &long_name)]),
        od_row("LONGTEXT", &[("ProcDescript", &long_text)]),
        od_row("BADDOB", &[("Birthdate", "13/45/1990")]),
        od_row("C1", &[]),
        od_row("C1", &[("AptDateTime", "2026-11-24 10:00:00")]),
        od_row("DUP", &[("AptDateTime", "2026-11-24 11:00:00")]),
        od_row("DUP", &[("AptDateTime", "2026-11-24 11:00:00")]),
        "SHORT,1,Doe".to_string(),
    ];
    let rows: Vec<&str> = rows.iter().map(String::as_str).collect();
    let out = Test::new().od_rows(&rows).args(["--dry-run"]).run();
    out.assert_status(1);

    let results = out.results();
    assert_eq!(results.len(), rows.len(), "one result per input row");
    let reason = |row: usize| {
        let r = &results[row - 2];
        assert_eq!(r["row"], row.to_string());
        (r["status"].as_str(), r["reason"].as_str())
    };
    assert_eq!(reason(2), ("dry_run", ""));
    assert_eq!(
        reason(3),
        ("invalid", "no usable phone number: WirelessPhone is not a valid phone number, HmPhone is empty, WkPhone is empty")
    );
    assert_eq!(
        reason(4),
        (
            "invalid",
            "start time (AptDateTime) `2026-02-30 10:00:00` is not a real calendar date or time"
        )
    );
    assert_eq!(
        reason(5),
        ("invalid", "start time (AptDateTime) `2026-03-08 02:30` does not exist in America/Chicago: clocks spring forward past it that night; correct the time in the practice-management system")
    );
    assert_eq!(
        reason(6),
        ("invalid", "start time (AptDateTime) `2026-11-01 01:30` happens twice in America/Chicago (UTC offsets -05:00 and -06:00) because clocks fall back; correct the time in the practice-management system")
    );
    assert_eq!(reason(7), ("invalid", "first name (FName) is empty"));
    assert_eq!(reason(8), ("invalid", "appointment id (AptNum) is empty"));
    assert_eq!(reason(9), ("invalid", "start time (AptDateTime) is empty"));
    assert_eq!(
        reason(10),
        (
            "invalid",
            "first name (FName) is 101 characters; the API accepts at most 100"
        )
    );
    let (status, text) = reason(11);
    assert_eq!(status, "invalid");
    assert!(
        text.starts_with("context is 5")
            && text.contains("characters; the API accepts at most 500"),
        "{text}"
    );
    assert_eq!(
        reason(12),
        (
            "invalid",
            "birth date (Birthdate) is not a date in the expected formats (%Y-%m-%d, %m/%d/%Y)"
        )
    );
    let conflict =
        "appointment id C1 appears on rows 13 and 14 with different details; fix the export";
    assert_eq!(reason(13), ("invalid", conflict));
    assert_eq!(reason(14), ("invalid", conflict));
    assert_eq!(reason(15), ("dry_run", ""));
    assert_eq!(reason(16), ("skipped", "duplicate of row 15"));
    assert_eq!(
        reason(17),
        (
            "invalid",
            "the row has 3 fields but the header has 13; check for an unquoted delimiter"
        )
    );

    // Patient data stays out of reasons and logs.
    let file = std::fs::read_to_string(&out.results_path).unwrap();
    let national = crate::harness::phone_for("GOOD");
    let e164 = crate::harness::e164_for("GOOD");
    for secret in ["Sarah", "Johnson", &e164[2..], &national[6..], "1988"] {
        assert!(!file.contains(secret), "results file contains {secret}");
        assert!(!out.stderr.contains(secret), "stderr contains {secret}");
    }
    assert!(out.stderr.contains("invalid"), "{}", out.stderr);
}

#[test]
fn dentrix_style_name_column_problems_are_named() {
    let csv = "Appt ID,Patient ID,Patient Name,Birth Date,Mobile Phone,Home Phone,Work Phone,Appt Date,Appt Time,Length,Appt Type,Reason,Status\n\
               D1,P1,\"Okafor, Chinedu\",04/17/1979,(617) 555-0142,,,11/24/2026,8:30 AM,60,Hygiene,Prophy,??????\n\
               D2,P2,Okafor Chinedu,04/17/1979,(617) 555-0142,,,11/24/2026,9:30 AM,60,Hygiene,Prophy,??????\n\
               D3,P3,\"Okafor, Chinedu\",04/17/1979,(617) 555-0142,,,11/24/2026,9:30 AM,0,Hygiene,Prophy,??????\n";
    let out = Test::new()
        .config(
            &crate::harness::CONFIG
                .replace("preset = \"opendental\"", "preset = \"dentrix\"")
                .replace("America/Chicago", "America/New_York"),
        )
        .input("appointments.csv", csv)
        .now(Some("2026-11-23T18:30:00-05:00"))
        .args(["--dry-run", "--emit-requests", "req.jsonl"])
        .run();
    out.assert_status(1);
    assert_eq!(out.result_for("D1")["status"], "dry_run");
    assert_eq!(
        out.result_for("D2")["reason"],
        "patient name (Patient Name) is not in \"Last, First\" form"
    );
    assert_eq!(
        out.result_for("D3")["reason"],
        "length (Length) `0` is not a length in minutes between 1 and 1440"
    );
    let body: serde_json::Value = serde_json::from_str(out.file("req.jsonl").trim()).unwrap();
    assert_eq!(body["patientInfo"]["firstName"], "Chinedu");
    assert_eq!(body["patientInfo"]["lastName"], "Okafor");
    assert_eq!(
        body["appointmentInfo"]["startTime"],
        "2026-11-24T08:30:00-05:00"
    );
    assert_eq!(
        body["appointmentInfo"]["endTime"],
        "2026-11-24T09:30:00-05:00"
    );
    assert_eq!(body["appointmentInfo"]["appointmentTypeId"], "Hygiene");
}

#[test]
fn a_shifted_column_does_not_copy_patient_data_into_the_reason() {
    for (column, value) in [
        ("AptDateTime", "Sarah Johnson 1988-03-22"),
        ("AptDateTime", "(312) 555-0606"),
        ("Pattern", "Sarah Johnson"),
    ] {
        let out = Test::new()
            .od_rows(&[&od_row("A1", &[(column, value)])])
            .args(["--dry-run"])
            .run();
        out.assert_status(1);
        let row = out.result_for("A1");
        assert_eq!(row["status"], "invalid", "{row:?}");
        for secret in ["Sarah", "Johnson", "555-0606", "1988"] {
            assert!(!row["reason"].contains(secret), "{column}: {row:?}");
            assert!(!out.stdout.contains(secret), "{column}: {}", out.stdout);
        }
    }
}
