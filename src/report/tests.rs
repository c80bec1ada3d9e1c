use super::*;

fn place(id: &str, name: &str, zone: Tz) -> Place {
    Place {
        id: id.to_string(),
        name: name.to_string(),
        zone,
    }
}

fn page(kind: Kind, places: Vec<Place>) -> Page {
    Page {
        kind,
        name: "Bright Smile Dental".to_string(),
        places,
        days: "Calls made Mon 23 Nov 2026 for appointments on Tue 24 Nov 2026".to_string(),
        dates: vec!["Mon 23 Nov 2026".to_string()],
        rehearsal: false,
    }
}

fn single() -> Page {
    page(
        Kind::Run,
        vec![place(
            "",
            "Bright Smile Dental",
            chrono_tz::America::Chicago,
        )],
    )
}

fn entry(row: u64, status: Status, code: Option<ReasonCode>) -> Entry<'static> {
    Entry {
        row,
        location: None,
        appointment_id: "A1",
        happened: Happened::Status(status),
        code,
        needs_attention: status.needs_attention(),
        reason: "",
        attempted_at: None,
        start_time: None,
        to_number: None,
    }
}

fn sent(row: u64, at: &'static str) -> Entry<'static> {
    Entry {
        attempted_at: Some(at),
        start_time: Some("2026-11-24T09:00:00-06:00"),
        ..entry(row, Status::Sent, None)
    }
}

#[test]
fn counts_by_status_and_reason_code_in_plain_words() {
    let entries = [
        sent(1, "2026-11-24T00:30:01.000Z"),
        sent(2, "2026-11-24T00:30:02.000Z"),
        entry(3, Status::Skipped, Some(ReasonCode::AlreadyConfirmed)),
        entry(4, Status::Skipped, Some(ReasonCode::AlreadyConfirmed)),
        entry(5, Status::Skipped, Some(ReasonCode::OptedOut)),
        entry(6, Status::Invalid, Some(ReasonCode::NoValidPhone)),
        entry(7, Status::Invalid, None),
    ];
    let v = view(&single(), &entries);
    let counts: Vec<(&str, usize)> = v.counts.iter().map(|c| (c.key, c.rows)).collect();
    assert_eq!(counts, [("sent", 2), ("skipped", 3), ("invalid", 2)]);
    assert_eq!(v.counts[1].words, "not called, on purpose");
    let reasons: Vec<(&str, &str, usize)> = v
        .reasons
        .iter()
        .map(|r| (r.code, r.words, r.rows))
        .collect();
    assert_eq!(
        reasons,
        [
            ("opted_out", "asked not to be called", 1),
            ("already_confirmed", "already confirmed", 2),
            ("no_valid_phone", "no phone number that may be called", 1),
            ("", "no reason code (an older results file)", 1),
        ]
    );
    assert!(
        v.locations.is_none(),
        "a single practice has no per-location table"
    );
    assert_eq!(
        v.title,
        "Bright Smile Dental: confirmation calls, Mon 23 Nov 2026"
    );
}

#[test]
fn rows_needing_a_person_come_by_appointment_time_in_local_time_with_what_to_do() {
    let late = Entry {
        start_time: Some("2026-11-24T15:30:00-06:00"),
        to_number: Some("+1312***0147"),
        reason: "no usable phone number: WirelessPhone is empty",
        ..entry(2, Status::Invalid, Some(ReasonCode::NoValidPhone))
    };
    let early = Entry {
        // The same instant written in UTC: shown in Chicago's time all the same.
        start_time: Some("2026-11-24T14:00:00Z"),
        ..entry(9, Status::Uncertain, Some(ReasonCode::MaybePlaced))
    };
    let no_time = entry(1, Status::NotAttempted, Some(ReasonCode::RunLimit));
    let fine = sent(3, "2026-11-24T00:30:00Z");
    let v = view(&single(), &[late, fine, no_time, early]);
    let rows: Vec<(u64, &str)> = v
        .attention
        .iter()
        .map(|a| (a.row, a.time.as_str()))
        .collect();
    assert_eq!(
        rows,
        [
            (9, "Tue 24 Nov 08:00 CST"),
            (2, "Tue 24 Nov 15:30 CST"),
            (1, "")
        ]
    );
    let phone = &v.attention[1];
    assert_eq!(phone.number, "+1312***0147");
    assert_eq!(phone.code, "no_valid_phone");
    assert_eq!(
        phone.todo,
        "Correct the patient's phone number in the practice system and export again; a rerun today calls them."
    );
    assert_eq!(v.attention[2].todo, "Rerun: nothing was sent for this row.");
}

#[test]
fn the_page_escapes_what_came_from_the_export_and_shows_no_utc() {
    let hostile = Entry {
        appointment_id: "<script>alert(1)</script>",
        reason: "a \"quoted\" & <b>bold</b> reason",
        start_time: Some("2026-11-24T09:00:00-06:00"),
        ..entry(1, Status::Invalid, Some(ReasonCode::MissingField))
    };
    let entries = [hostile, sent(2, "2026-11-24T00:30:05.120Z")];
    let html = html(&single(), &entries).unwrap();
    assert!(!html.contains("<script"), "{html}");
    assert!(
        html.contains("&lt;script&gt;alert(1)&lt;&#x2f;script&gt;"),
        "{html}"
    );
    assert!(html.contains("&lt;b&gt;bold&lt;&#x2f;b&gt;"), "{html}");
    assert!(
        html.contains("<title>Bright Smile Dental: confirmation calls, Mon 23 Nov 2026</title>")
    );
    assert!(
        html.contains("18:30 CST"),
        "the call at 00:30 UTC is 18:30 in Chicago"
    );
    for utc in ["UTC", "00:30", "+00:00", "T00:", ".120Z"] {
        assert!(!html.contains(utc), "{utc} in\n{html}");
    }
    assert!(html.contains("Needs a person (1)"));
    assert!(html.contains("data-status=\"sent\">1</td>"));
    assert!(html.contains("data-code=\"missing_field\" data-status=\"invalid\">1</td>"));
}

#[test]
fn no_needs_a_person_section_when_no_row_needs_one() {
    let entries = [
        sent(1, "2026-11-24T00:30:00Z"),
        entry(2, Status::Skipped, Some(ReasonCode::AlreadySent)),
    ];
    let html = html(&single(), &entries).unwrap();
    assert!(!html.contains("Needs a person") && !html.contains("class=\"attention\""));
    assert!(html.contains("2 rows</p>"), "{html}");
}

#[test]
fn a_group_counts_each_location_and_shows_each_in_its_own_zone() {
    let group = page(
        Kind::Run,
        vec![
            place("1", "Bright Smiles North", chrono_tz::America::Chicago),
            place("2", "Bright Smiles West", chrono_tz::America::Los_Angeles),
        ],
    );
    let north = Entry {
        location: Some("1"),
        ..sent(1, "2026-11-24T00:30:00Z")
    };
    let west = Entry {
        location: Some("2"),
        ..sent(2, "2026-11-24T02:30:00Z")
    };
    let unknown = entry(3, Status::Invalid, Some(ReasonCode::UnknownLocation));
    let v = view(&group, &[north, west, unknown]);
    let locations = v.locations.unwrap();
    let table: Vec<(&str, Vec<usize>, usize)> = locations
        .rows
        .iter()
        .map(|l| {
            let cells = l.cells.iter().map(|c| c.rows).collect();
            (l.name.as_str(), cells, l.attention)
        })
        .collect();
    assert_eq!(
        table,
        [
            ("Bright Smiles North", vec![1, 0], 0),
            ("Bright Smiles West", vec![1, 0], 0),
            ("no location (unreadable or unknown)", vec![0, 1], 1),
        ]
    );
    let charts: Vec<(&str, &str, &str)> = v
        .charts
        .iter()
        .map(|c| (c.locations.as_str(), c.zone.as_str(), c.from.as_str()))
        .collect();
    assert_eq!(
        charts,
        [
            ("Bright Smiles North", "America/Chicago (CST)", "18:30 CST"),
            (
                "Bright Smiles West",
                "America/Los Angeles (PST)",
                "18:30 PST"
            ),
        ]
    );
    assert_eq!(
        v.attention[0].location,
        "no location (unreadable or unknown)"
    );
}

#[test]
fn outcomes_count_what_happened_and_read_their_days_from_the_calls() {
    let call = |row, class, needs_attention| Entry {
        happened: Happened::Class(class),
        needs_attention,
        ..sent(row, "2026-11-24T01:10:00Z")
    };
    let entries = [
        call(1, crate::conversations::Class::Confirmed, false),
        call(2, crate::conversations::Class::Confirmed, false),
        call(3, crate::conversations::Class::NoAnswer, true),
        entry(4, Status::Skipped, Some(ReasonCode::AlreadyConfirmed)),
    ];
    let outcomes = page(
        Kind::Outcomes,
        vec![place(
            "",
            "Bright Smile Dental",
            chrono_tz::America::Chicago,
        )],
    )
    .with_days_of(&entries);
    assert_eq!(
        outcomes.days,
        "Calls made Mon 23 Nov 2026 for appointments on Tue 24 Nov 2026"
    );
    let v = view(&outcomes, &entries);
    assert_eq!(v.counts_heading, "What happened");
    let counts: Vec<(&str, &str, usize)> =
        v.counts.iter().map(|c| (c.key, c.words, c.rows)).collect();
    assert_eq!(
        counts,
        [
            ("confirmed", "confirmed the appointment", 2),
            ("no_answer", "did not answer", 1),
            ("skipped", "not called, on purpose", 1),
        ]
    );
    assert_eq!(v.reasons.len(), 1);
    assert_eq!(v.attention.len(), 1);
    assert_eq!(
        v.attention[0].todo,
        "Call the patient to confirm the appointment."
    );
    assert_eq!(
        v.title,
        "Bright Smile Dental: outcomes of confirmation calls, Mon 23 Nov 2026"
    );

    let none = page(Kind::Outcomes, single().places).with_days_of(&entries[3..]);
    assert_eq!(
        (none.days.as_str(), none.dates.len()),
        ("No calls were made", 0)
    );
}

#[test]
fn lists_read_as_sentences() {
    let list = |items: &[&str]| and(&items.iter().map(|s| s.to_string()).collect::<Vec<_>>());
    assert_eq!(list(&[]), "");
    assert_eq!(list(&["a"]), "a");
    assert_eq!(list(&["a", "b"]), "a and b");
    assert_eq!(list(&["a", "b", "c"]), "a, b and c");
}

/// The mark `check_outputs` knows a report by, so the next night's run may replace it (and
/// nobody's other HTML page).
#[test]
fn the_page_carries_the_mark_reports_are_known_by() {
    let html = html(&single(), &[sent(1, "2026-11-24T00:30:01.000Z")]).unwrap();
    let head = &html[..html.find("</head>").unwrap()];
    assert!(head.contains(crate::settings::paths::REPORT_MARK), "{head}");
}
