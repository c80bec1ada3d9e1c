//! The exports practices really have (issue 10): queries without every column a preset knows,
//! reports saved as CSV with a title and a total line, and Excel's other ways of saving a sheet.

use serde_json::Value;

use crate::harness::{od_row, phone_for, Test, CONFIG};
use crate::mock::Annie;

/// The harness config with the Dentrix preset, in Boston.
fn dentrix_config() -> String {
    CONFIG
        .replace("preset = \"opendental\"", "preset = \"dentrix\"")
        .replace("America/Chicago", "America/New_York")
}

const DENTRIX_NOW: &str = "2026-11-23T18:30:00-05:00";

fn emitted(out: &crate::harness::Output) -> Vec<Value> {
    out.file("req.jsonl")
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_open_dental_preset_reads_a_query_without_wkphone() {
    let annie = Annie::start().await;
    // A query that selects only the columns this practice uses: no WkPhone, no Birthdate.
    let csv = format!(
        "AptNum,PatNum,LName,FName,WirelessPhone,HmPhone,AptDateTime,Pattern,AptStatus,Confirmed,ProcDescript\n\
         A1,P1,Johnson,Sarah,{},,2026-11-24 09:00:00,//XXXX//,1,Unconfirmed,Prophy\n\
         A2,P2,Diaz,Ana,,{},2026-11-24 10:00:00,//XX//,1,Unconfirmed,Exam\n",
        phone_for("A1"),
        phone_for("A2")
    );
    let out = Test::new()
        .server(&annie.base_url())
        .input("appointments.csv", csv)
        .run_async()
        .await;
    out.assert_status(0);
    let mut ids = annie.posted_ids().await;
    ids.sort();
    assert_eq!(ids, ["A1", "A2"]);
    let statuses: Vec<String> = out.statuses().into_iter().map(|s| s.2).collect();
    assert_eq!(statuses, ["sent", "sent"]);
    assert!(
        out.stderr
            .contains("columns=Birthdate (birth_date), WkPhone (phones)")
            && out
                .stderr
                .contains("the preset's columns that this export does not have are ignored"),
        "one note names what is ignored:\n{}",
        out.stderr
    );
}

#[test]
fn the_dentrix_preset_reads_a_report_without_work_phone_or_appt_type() {
    let csv = "Appt ID,Patient Name,Mobile Phone,Home Phone,Appt Date,Appt Time,Length,Status\n\
               D1,\"Okafor, Chinedu\",(617) 555-0142,,11/24/2026,8:30 AM,60,??????\n\
               D2,\"Rossi, Giulia\",,(617) 555-0171,11/24/2026,9:30 AM,30,LMM\n";
    let out = Test::new()
        .config(&dentrix_config())
        .input("appointments.csv", csv)
        .now(Some(DENTRIX_NOW))
        .args(["--dry-run", "--emit-requests", "req.jsonl"])
        .run();
    out.assert_status(0);
    let bodies = emitted(&out);
    assert_eq!(bodies.len(), 2);
    assert_eq!(bodies[1]["toNumber"], "+16175550171");
    assert_eq!(
        bodies[0]["appointmentInfo"]["endTime"],
        "2026-11-24T09:30:00-05:00"
    );
}

/// Finding: Ascend writes `Confirmed` where Dentrix writes `FIRM`; both are already confirmed
/// (as Open Dental's `Confirmed` is), not called.
#[test]
fn the_dentrix_preset_skips_an_ascend_confirmed_appointment() {
    let csv = "Appt ID,Patient Name,Mobile Phone,Home Phone,Appt Date,Appt Time,Length,Status\n\
               D1,\"Okafor, Chinedu\",(617) 555-0142,,11/24/2026,8:30 AM,60,Confirmed\n\
               D2,\"Rossi, Giulia\",(617) 555-0171,,11/24/2026,9:30 AM,30,FIRM\n\
               D3,\"Lee, Kim\",(617) 555-0172,,11/24/2026,9:30 AM,30,Unconfirmed\n";
    let out = Test::new()
        .config(&dentrix_config())
        .input("appointments.csv", csv)
        .now(Some(DENTRIX_NOW))
        .args(["--dry-run"])
        .run();
    out.assert_status(0);
    let row = out.result_for("D1");
    assert_eq!(row["status"], "skipped", "{row:?}");
    assert_eq!(row["reason"], "already confirmed (Confirmed)");
    assert_eq!(row["reason_code"], "already_confirmed");
    assert_eq!(out.result_for("D2")["reason"], "already confirmed (FIRM)");
    assert_eq!(out.result_for("D3")["status"], "dry_run");
}

#[test]
fn a_preset_needs_its_required_columns_and_at_least_one_phone() {
    let csv =
        "Appt ID,Patient Name,Appt Date,Appt Time\nD1,\"Okafor, Chinedu\",11/24/2026,8:30 AM\n";
    let out = Test::new()
        .config(&dentrix_config())
        .input("appointments.csv", csv)
        .now(Some(DENTRIX_NOW))
        .args(["--dry-run"])
        .run();
    out.assert_export_error(
        "appointments.csv",
        "columns `Mobile Phone` (mapped by [input.columns] \
             phones), `Home Phone` (mapped by [input.columns] phones), `Work Phone` (mapped by \
             [input.columns] phones) are not in the file; columns found: Appt ID, Patient Name, \
             Appt Date, Appt Time",
    );
}

/// A Dentrix "Appointment List" report saved as CSV: title, subtitle, a blank line, the table,
/// a blank line inside the table, and a blank line and a total line after it.
const DENTRIX_REPORT: &str = "Appointment List Report,,,,,,,,\r
Harbor View Family Dentistry: 11/24/2026 - 11/24/2026,,,,,,,,\r
\r
Appt ID,Patient Name,Mobile Phone,Home Phone,Appt Date,Appt Time,Length,Reason,Status\r
D1,\"Okafor, Chinedu\",(617) 555-0142,,11/24/2026,8:30 AM,60,\"Prophy, FMX\",??????\r
D2,\"Rossi, Giulia\",(617) 555-0171,,11/24/2026,9:30 AM,30,Perio maint,FIRM\r
\r
,\"Smith, Jordan\",(617) 555-0133,,11/24/2026,10:30 AM,60,Prophy,??????\r
D4,\"Kowalski, Piotr\",(857) 555-0104,,11/24/2026,1:00 PM,40,Comp exam,Cancelled\r
\r
Total Appointments: 4,,,,,,,,\r
";

#[test]
fn a_dentrix_report_saved_as_csv_accounts_for_every_appointment() {
    let out = Test::new()
        .config(&dentrix_config())
        .input("appointments.csv", DENTRIX_REPORT)
        .now(Some(DENTRIX_NOW))
        .args(["--dry-run"])
        .run();
    out.assert_status(1);
    let rows: Vec<(String, String, String, String)> = out
        .results()
        .into_iter()
        .map(|r| {
            (
                r["row"].clone(),
                r["appointment_id"].clone(),
                r["status"].clone(),
                r["reason"].clone(),
            )
        })
        .collect();
    let row = |n: &str, id: &str, status: &str, reason: &str| {
        (n.into(), id.into(), status.into(), reason.into())
    };
    // Rows keep the file's own line numbers; the one without an id is a row, not a footer.
    assert_eq!(
        rows,
        [
            row("5", "D1", "dry_run", ""),
            row("6", "D2", "skipped", "already confirmed (FIRM)"),
            row("8", "", "invalid", "appointment id (Appt ID) is empty"),
            row(
                "9",
                "D4",
                "skipped",
                "status is `Cancelled`, which is not a scheduled status ([selection] \
                 call_statuses: ??????, FIRM, FIRM-E, LMM, LMP, MULTI, NOFLEX, EMERGENCY, \
                 Unconfirmed, Confirmed, Left Message, Scheduled); add it there if such \
                 appointments should be called"
            ),
        ]
    );
    assert!(
        out.stderr.contains("header_line=4 skipped=3"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("skipped lines=11"), "{}", out.stderr);
}

/// An Open Dental export with an accented name, as text.
fn od_export(delimiter: &str) -> String {
    let rows = [
        od_row("E1", &[("FName", "Zoë"), ("LName", "Muñoz")]),
        od_row("E2", &[("AptStatus", "5")]),
        od_row("E3", &[("AptDateTime", "2026-11-24 11:00:00")]),
    ];
    let text = format!("{}\r\n{}\r\n", crate::harness::OD_HEADER, rows.join("\r\n"));
    text.replace(',', delimiter)
}

fn utf16(text: &str, little_endian: bool) -> Vec<u8> {
    let mut bytes = Vec::new();
    for unit in std::iter::once(0xFEFF).chain(text.encode_utf16()) {
        let pair = match little_endian {
            true => unit.to_le_bytes(),
            false => unit.to_be_bytes(),
        };
        bytes.extend(pair);
    }
    bytes
}

#[test]
fn utf16_semicolon_and_tab_exports_read_like_the_utf8_original() {
    let preview = |name: &str, bytes: Vec<u8>| {
        let out = Test::new()
            .input(name, bytes)
            .args(["--dry-run", "--emit-requests", "req.jsonl"])
            .run();
        out.assert_status(0);
        (out.results(), emitted(&out), out.stderr.clone())
    };
    let (original, bodies, _) = preview("appointments.csv", od_export(",").into_bytes());
    assert_eq!(bodies.len(), 2);
    assert_eq!(bodies[0]["patientInfo"]["firstName"], "Zoë");
    let variants = [
        ("appointments.csv", utf16(&od_export(","), true), "UTF-16"),
        ("appointments.csv", utf16(&od_export(","), false), "UTF-16"),
        ("appointments.csv", od_export(";").into_bytes(), "by `;`"),
        ("appointments.txt", od_export("\t").into_bytes(), "by tab"),
        ("appointments.txt", utf16(&od_export("\t"), true), "by tab"),
    ];
    for (name, bytes, note) in variants {
        let (results, same_bodies, stderr) = preview(name, bytes);
        assert_eq!(results, original, "{note}");
        assert_eq!(same_bodies, bodies, "{note}");
        assert!(stderr.contains(note), "{note}: {stderr}");
    }
}

#[test]
fn an_excel_workbook_renamed_csv_says_how_to_save_it() {
    for (bytes, kind) in [
        (b"PK\x03\x04\x14\x00\x06\x00".to_vec(), ".xlsx"),
        (
            vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, 0],
            ".xls",
        ),
    ] {
        let out = Test::new()
            .input("appointments.csv", bytes)
            .args(["--dry-run"])
            .run();
        out.assert_status(2);
        assert_eq!(
            out.stderr.trim_end(),
            format!(
                "annie-dispatch: error: export `{}`: this is an Excel workbook ({kind}), not CSV or \
                 JSON: open it in Excel, choose File > Save As > \"CSV UTF-8 (Comma delimited)\", \
                 and pass that file to --input",
                out.dir.join("appointments.csv").display()
            )
        );
    }
}

/// Excel writes an empty row of a sheet as a line of delimiters (`;;;;;;`): not an appointment,
/// skipped like a blank line, so the night does not end with a row for a person to check that
/// holds nothing to act on. The rows keep their line numbers.
#[test]
fn a_line_of_empty_cells_is_skipped_like_a_blank_line() {
    let header = crate::harness::OD_HEADER.replace(',', ";");
    let empty = ";".repeat(header.matches(';').count());
    let rows = [
        od_row("X1", &[]).replace(',', ";"),
        empty.clone(),
        format!(" {}", empty.replace(';', " ;")),
        od_row("X2", &[("WirelessPhone", "(312) 555-0162")]).replace(',', ";"),
    ];
    let text = format!("{header}\r\n{}\r\n", rows.join("\r\n"));
    let out = Test::new()
        .input("appointments.csv", text)
        .args(["--dry-run"])
        .run();
    out.assert_status(0);
    let rows: Vec<(u64, String, String)> = out.statuses();
    assert_eq!(
        rows.iter().map(|r| (r.0, r.2.as_str())).collect::<Vec<_>>(),
        [(2, "dry_run"), (5, "dry_run")],
        "{rows:?}"
    );
}

/// An Open Dental export opened and saved again in Excel writes its times as `11/24/2026 9:00`
/// (24-hour, no seconds): the preset reads them, afternoon ones too.
#[test]
fn an_open_dental_export_saved_again_in_excel_is_read() {
    let rows = [
        od_row("X1", &[("AptDateTime", "11/24/2026 9:00")]),
        od_row("X2", &[("AptDateTime", "11/24/2026 13:30")]),
    ];
    let rows: Vec<&str> = rows.iter().map(String::as_str).collect();
    let out = Test::new().od_rows(&rows).args(["--dry-run"]).run();
    out.assert_status(0);
    assert!(out.result_for("X1")["start_time"].starts_with("2026-11-24T09:00:00"));
    assert!(out.result_for("X2")["start_time"].starts_with("2026-11-24T13:30:00"));
}
