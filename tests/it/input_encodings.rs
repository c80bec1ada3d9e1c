//! Exports as practices really produce them: Windows-1252, UTF-8 with a BOM, CRLF line ends,
//! quoted newlines, JSON arrays with nested objects, JSON Lines.

use serde_json::Value;

use crate::harness::{masked_for, od_object, od_row, Test, CONFIG, OD_HEADER};

fn emitted(out: &crate::harness::Output) -> Vec<Value> {
    out.file("req.jsonl")
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn crlf_export(rows: &[String]) -> String {
    let mut text = String::from(OD_HEADER);
    for r in rows {
        text.push_str("\r\n");
        text.push_str(r);
    }
    text.push_str("\r\n");
    text
}

#[test]
fn windows_1252_export_reads_accented_names() {
    let text = crlf_export(&[
        od_row("W1", &[("FName", "José"), ("LName", "Muñoz")]),
        od_row(
            "W2",
            &[
                ("FName", "Zoë"),
                ("LName", "Lefèvre"),
                ("ProcDescript", "Comp\r\n2 surf"),
            ],
        ),
    ]);
    let (bytes, _, lossy) = encoding_rs::WINDOWS_1252.encode(&text);
    assert!(!lossy);
    let out = Test::new()
        .config(&CONFIG.replace("[input]\n", "[input]\nencoding = \"windows-1252\"\n"))
        .input("appointments.csv", bytes.into_owned())
        .args(["--dry-run", "--emit-requests", "req.jsonl"])
        .run();
    out.assert_status(0);
    let bodies = emitted(&out);
    assert_eq!(bodies[0]["patientInfo"]["firstName"], "José");
    assert_eq!(bodies[0]["patientInfo"]["lastName"], "Muñoz");
    assert_eq!(bodies[1]["patientInfo"]["firstName"], "Zoë");
    assert_eq!(bodies[1]["patientInfo"]["lastName"], "Lefèvre");
    assert_eq!(
        bodies[1]["appointmentInfo"]["appointmentDescription"],
        "Comp\n2 surf"
    );
    // CRLF and a quoted line break: rows are still numbered by the line they start on.
    let rows: Vec<u64> = out.statuses().iter().map(|s| s.0).collect();
    assert_eq!(rows, [2, 3]);
}

#[test]
fn windows_1252_bytes_read_as_utf8_are_named_not_garbled() {
    let text = crlf_export(&[od_row("OK", &[]), od_row("W1", &[("FName", "José")])]);
    let (bytes, _, _) = encoding_rs::WINDOWS_1252.encode(&text);
    assert_only_the_second_row_is_not_utf8(bytes.into_owned());
}

/// Previews an export whose first row (`OK`) is plain and whose second is not UTF-8: the first
/// would be called, the second is `invalid` with the reason that says what to do.
#[track_caller]
fn assert_only_the_second_row_is_not_utf8(bytes: Vec<u8>) {
    let out = Test::new()
        .input("appointments.csv", bytes)
        .args(["--dry-run"])
        .run();
    out.assert_status(1);
    assert_eq!(out.result_for("OK")["status"], "dry_run");
    let bad = &out.results()[1];
    assert_eq!(bad["status"], "invalid");
    assert_eq!(
        bad["reason"],
        "the row is not valid UTF-8; if the export comes from Excel or another Windows program, set [input] encoding = \"windows-1252\""
    );
}

/// A character cut in two by a delimiter: the row's bytes are UTF-8 taken together, but neither
/// field is. The row is named as not UTF-8, as a row with any other stray byte is.
#[test]
fn a_character_split_by_a_delimiter_is_not_utf8() {
    let row = od_row("S1", &[("LName", "Mu@"), ("FName", "#Jo")]);
    let mut bytes = crlf_export(&[od_row("OK", &[]), row]).into_bytes();
    let at = bytes.windows(3).position(|w| w == b"@,#").unwrap();
    // `é` is C3 A9: its first byte ends LName, its second starts FName.
    bytes[at] = 0xC3;
    bytes[at + 2] = 0xA9;
    assert_only_the_second_row_is_not_utf8(bytes);
}

#[test]
fn utf8_with_bom_maps_the_first_column() {
    let text = format!(
        "\u{feff}{OD_HEADER}\r\n{}\r\n",
        od_row("B1", &[("FName", "Zoë"), ("LName", "Ødegård")])
    );
    let out = Test::new()
        .input("appointments.csv", text)
        .args(["--dry-run", "--emit-requests", "req.jsonl"])
        .run();
    out.assert_status(0);
    let bodies = emitted(&out);
    assert_eq!(bodies[0]["appointmentInfo"]["appointmentId"], "B1");
    assert_eq!(bodies[0]["patientInfo"]["firstName"], "Zoë");
    assert_eq!(bodies[0]["patientInfo"]["lastName"], "Ødegård");
}

#[test]
fn json_array_with_nested_objects_and_dotted_paths() {
    let json = r#"[
  {"id": 9001, "when": "2026-11-24 09:00:00", "minutes": 30,
   "patient": {"id": "P1", "first": "Zoë", "last": "Brown", "phones": {"cell": "(312) 555-0147", "home": null}}},
  {"id": 9002, "when": "2026-11-24 10:00:00", "minutes": 45,
   "patient": {"id": "P2", "first": "José", "last": "Ruiz", "phones": {"cell": null, "home": "773-555-0123"}}}
]"#;
    let config = CONFIG.replace(
        "[input]\npreset = \"opendental\"\n",
        r#"[input]
[input.columns]
appointment_id = "id"
patient_id = "patient.id"
first_name = "patient.first"
last_name = "patient.last"
phones = ["patient.phones.cell", "patient.phones.home"]
start = "when"
length_minutes = "minutes"
"#,
    );
    let out = Test::new()
        .config(&config)
        .input("appointments.json", json)
        .args(["--dry-run", "--emit-requests", "req.jsonl"])
        .run();
    out.assert_status(0);
    let bodies = emitted(&out);
    assert_eq!(bodies[0]["appointmentInfo"]["appointmentId"], "9001");
    assert_eq!(
        bodies[0]["appointmentInfo"]["endTime"],
        "2026-11-24T09:30:00-06:00"
    );
    assert_eq!(bodies[0]["patientInfo"]["firstName"], "Zoë");
    assert_eq!(bodies[1]["toNumber"], "+17735550123");
    // Each result names the line its object starts on.
    let rows: Vec<u64> = out.statuses().iter().map(|s| s.0).collect();
    assert_eq!(rows, [2, 4]);
}

#[test]
fn json_lines_reports_bad_lines_and_reads_the_rest() {
    let jsonl = [
        r#"{"AptNum": 1, "FName": "Ana", "LName": "Diaz", "WirelessPhone": "3125550147", "AptDateTime": "2026-11-24 09:00:00", "Pattern": "//XX//", "AptStatus": 1, "PatNum": 7, "Birthdate": "0001-01-01", "HmPhone": null, "WkPhone": null, "Confirmed": "Unconfirmed", "ProcDescript": null}"#,
        r#"{"AptNum": 2, "FName": "#,
        "",
        r#"["not", "an", "object"]"#,
    ]
    .join("\n");
    let out = Test::new()
        .input("appointments.jsonl", jsonl)
        .args(["--dry-run"])
        .run();
    out.assert_status(1);
    let results = out.results();
    assert_eq!(results.len(), 3, "blank lines are not rows");
    assert_eq!(results[0]["status"], "dry_run");
    assert_eq!(results[1]["row"], "2");
    assert!(
        results[1]["reason"].starts_with("not valid JSON: "),
        "{:?}",
        results[1]
    );
    assert_eq!(results[2]["row"], "4");
    assert_eq!(results[2]["reason"], "the entry is not a JSON object");
}

/// Five appointments with a first and last name of their own (Ana A., Ben B., ...); the third
/// is already confirmed, so the rows do not all end the same way.
fn five_objects() -> Vec<Value> {
    ["Ana", "Ben", "Cleo", "Dev", "Eve"]
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let confirmed = match i {
                2 => "Appointment Confirmed",
                _ => "Unconfirmed",
            };
            od_object(
                &format!("J{}", i + 1),
                &[
                    ("FName", name),
                    ("LName", &format!("{}son", &name[..1])),
                    ("Confirmed", confirmed),
                ],
            )
        })
        .collect()
}

const BY_PLACE: &str = "the file puts several appointments on one line: rows are numbered by \
                        their place in the list (row 1 is the first appointment, row 2 the \
                        second), not by line";

/// `(row, appointment id, status)` of the five appointments, `first` the first one's row.
fn five_statuses(first: u64) -> Vec<(u64, String, String)> {
    (0..5u64)
        .map(|i| {
            let status = if i == 2 { "skipped" } else { "dry_run" };
            (first + i, format!("J{}", i + 1), status.to_string())
        })
        .collect()
}

/// A minified JSON array (one line, as many practice-management APIs and export tools write
/// it) used to number every appointment row 1: the preview showed one patient's name on every
/// row and the results could not tell the rows apart. Its rows are numbered by their place in
/// the list, and the log says so once.
#[test]
fn a_one_line_json_array_numbers_each_appointment_by_its_place() {
    let one_line = serde_json::to_string(&five_objects()).unwrap();
    assert!(!one_line.contains('\n'));
    let out = Test::new()
        .input("appointments.json", one_line)
        .args(["--dry-run"])
        .run();
    out.assert_status(0);
    assert_eq!(out.statuses(), five_statuses(1));
    let table: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(
        table,
        [
            "ROW  APPOINTMENT           PATIENT  PHONE         WHAT WILL HAPPEN",
            &format!(
                "1    Tue Nov 24 09:00 CST  Ana A.   {}  will call",
                masked_for("J1")
            ),
            &format!(
                "2    Tue Nov 24 09:00 CST  Ben B.   {}  will call",
                masked_for("J2")
            ),
            &format!(
                "3    Tue Nov 24 09:00 CST  Cleo C.  {}  skipped: already confirmed",
                masked_for("J3")
            ),
            &format!(
                "4    Tue Nov 24 09:00 CST  Dev D.   {}  will call",
                masked_for("J4")
            ),
            &format!(
                "5    Tue Nov 24 09:00 CST  Eve E.   {}  will call",
                masked_for("J5")
            ),
        ]
    );
    assert_eq!(out.stderr.matches(BY_PLACE).count(), 1, "{}", out.stderr);

    // One appointment a line keeps its line numbers, and says nothing about places.
    let lines: Vec<String> = five_objects().iter().map(Value::to_string).collect();
    let out = Test::new()
        .input(
            "appointments.json",
            format!("[\n{}\n]\n", lines.join(",\n")),
        )
        .args(["--dry-run"])
        .run();
    out.assert_status(0);
    assert_eq!(out.statuses(), five_statuses(2));
    assert!(!out.stderr.contains(BY_PLACE), "{}", out.stderr);
}

/// The same for a list inside an object (`[input] records`) written on one line.
#[test]
fn a_one_line_records_list_numbers_each_appointment_by_its_place() {
    let file = serde_json::json!({
        "exportedAt": "2026-11-23T18:00:00-06:00",
        "data": {"count": 5, "appointments": five_objects()},
    });
    let config = CONFIG.replace("[input]\n", "[input]\nrecords = \"data.appointments\"\n");
    let out = Test::new()
        .config(&config)
        .input("appointments.json", file.to_string())
        .args(["--dry-run"])
        .run();
    out.assert_status(0);
    assert_eq!(out.statuses(), five_statuses(1));
    assert_eq!(out.stderr.matches(BY_PLACE).count(), 1, "{}", out.stderr);
}

#[test]
fn open_dental_human_readable_export_is_read_by_the_same_preset() {
    // Human-readable mode: the PC's short date format and status names instead of numbers.
    let rows = [
        od_row(
            "H1",
            &[
                ("AptDateTime", "11/24/2026 3:00 PM"),
                ("Birthdate", "03/22/1988"),
                ("AptStatus", "Scheduled"),
            ],
        ),
        od_row(
            "H2",
            &[
                ("AptDateTime", "11/24/2026 3:30 PM"),
                ("AptStatus", "Broken"),
            ],
        ),
    ];
    let rows: Vec<&str> = rows.iter().map(String::as_str).collect();
    let out = Test::new()
        .od_rows(&rows)
        .args(["--dry-run", "--emit-requests", "req.jsonl"])
        .run();
    out.assert_status(0);
    let bodies = emitted(&out);
    assert_eq!(bodies.len(), 1);
    assert_eq!(
        bodies[0]["appointmentInfo"]["startTime"],
        "2026-11-24T15:00:00-06:00"
    );
    assert_eq!(
        bodies[0]["appointmentInfo"]["endTime"],
        "2026-11-24T15:40:00-06:00"
    );
    assert_eq!(
        bodies[0]["patientInfo"]["dateOfBirth"],
        "1988-03-22T00:00:00.000Z"
    );
    assert_eq!(
        out.result_for("H2")["reason"],
        "status is Broken, which [selection] skip_statuses skips"
    );
}

/// An export configured as Windows-1252 that is really UTF-8 (a PMS upgrade, a re-save) is read
/// as UTF-8, with a warning: Annie must not say "JosÃ©".
#[test]
fn a_utf8_export_configured_as_windows_1252_is_read_as_utf8() {
    let text = crlf_export(&[od_row("U1", &[("FName", "José"), ("LName", "García")])]);
    let out = Test::new()
        .config(&CONFIG.replace("[input]\n", "[input]\nencoding = \"windows-1252\"\n"))
        .input("appointments.csv", text)
        .args(["--dry-run", "--emit-requests", "req.jsonl"])
        .run();
    out.assert_status(0);
    let bodies = emitted(&out);
    assert_eq!(bodies[0]["patientInfo"]["firstName"], "José");
    assert_eq!(bodies[0]["patientInfo"]["lastName"], "García");
    assert!(
        out.stderr
            .contains("[input] encoding is windows-1252 but the export is UTF-8"),
        "{}",
        out.stderr
    );
}

#[test]
fn lone_cr_line_ends_number_rows_like_lf() {
    // Classic Mac line ends (some report tools still write them): every row used to be "row 1",
    // a conflict read "rows 1 and 1", and the streamed preview showed one line for four rows.
    let rows = [
        od_row("A1", &[("FName", "Ann")]),
        od_row("A2", &[("FName", "Bo"), ("WirelessPhone", "815-555-O158")]),
        od_row("A3", &[("FName", "Cy")]),
        od_row(
            "A3",
            &[("FName", "Cy"), ("AptDateTime", "2026-11-24 11:00:00")],
        ),
    ];
    let lf = format!("{OD_HEADER}\n{}\n", rows.join("\n"));
    let preview = |text: &str, args: &[&str]| {
        let out = Test::new()
            .input("appointments.csv", text)
            .args(args.iter().copied())
            .run();
        out.assert_status(1);
        out
    };
    let cr = lf.replace('\n', "\r");
    for args in [
        &["--dry-run"][..],
        &["--dry-run", "--emit-requests", "req.jsonl"],
    ] {
        let out = preview(&cr, args);
        let rows: Vec<u64> = out.statuses().iter().map(|s| s.0).collect();
        assert_eq!(rows, [2, 3, 4, 5], "{args:?}");
        assert!(
            out.result_for("A3")["reason"].contains("appears on rows 4 and 5"),
            "{:?}",
            out.result_for("A3")
        );
        // One table line per row, each with its own patient.
        let table: Vec<(&str, &str)> = out
            .stdout
            .lines()
            .skip(1)
            .map(|l| {
                let mut cells = l.split("  ").map(str::trim).filter(|c| !c.is_empty());
                (cells.next().unwrap(), l)
            })
            .collect();
        assert_eq!(table.len(), 4, "{args:?}: {}", out.stdout);
        assert!(table[0].1.contains("Ann J."), "{}", out.stdout);
        assert!(!table[1].1.contains(" J. "), "{}", out.stdout);
        assert!(table[2].1.contains("Cy J.") && table[3].1.contains("Cy J."));
        let numbers: Vec<&str> = table.iter().map(|(row, _)| *row).collect();
        assert_eq!(numbers, ["2", "3", "4", "5"], "{}", out.stdout);
        // The same results as the LF file's.
        let lf_out = preview(&lf, args);
        assert_eq!(out.results(), lf_out.results(), "{args:?}");
        assert_eq!(out.stdout, lf_out.stdout, "{args:?}");
    }
}

#[test]
fn a_stray_cr_in_a_note_makes_a_flagged_row_not_a_phantom_one() {
    // An LF export with a `\r` inside an unquoted description: the text after it is a line of
    // its own (as the reader ends a record there), flagged, with a row number of its own.
    let rows = [
        od_row("A1", &[]),
        od_row("A2", &[]).replace(",Prophy", ",Crown\rprep"),
        od_row("A3", &[]),
        od_row("A4", &[]).replace(",Prophy", ",Note\rA2"),
        od_row("A5", &[]),
    ];
    let out = Test::new()
        .input(
            "appointments.csv",
            format!("{OD_HEADER}\n{}\n", rows.join("\n")),
        )
        .args(["--dry-run"])
        .run();
    out.assert_status(1);
    let statuses: Vec<(u64, String, String)> = out.statuses();
    let expected = [
        (2, "A1", "dry_run"),
        (3, "A2", "dry_run"),
        (4, "prep", "invalid"),
        (5, "A3", "dry_run"),
        (6, "A4", "dry_run"),
        (7, "A2", "invalid"),
        (8, "A5", "dry_run"),
    ];
    let expected: Vec<(u64, String, String)> = expected
        .iter()
        .map(|(r, a, s)| (*r, a.to_string(), s.to_string()))
        .collect();
    assert_eq!(statuses, expected);
    for r in out.results().iter().filter(|r| r["status"] == "invalid") {
        assert_eq!(
            r["reason"],
            "the row has 1 fields but the header has 13; check for an unquoted delimiter"
        );
    }
}
