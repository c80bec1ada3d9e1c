//! What an operator reads when the export itself is wrong: exit 2, the path, and what to do.
//! Wording pinned on purpose. And the one case that is not an error: a header with no rows.

use std::path::Path;
use std::process::Command;

use crate::harness::{Test, CONFIG, NOW, OD_HEADER};

/// Runs a preview with the harness config against any `--input` path (the harness always
/// writes its own input file).
fn preview_of(dir: &Path, input: &Path) -> (i32, String) {
    let config = dir.join("config.toml");
    std::fs::write(&config, CONFIG.replace("{BASE_URL}", "http://127.0.0.1:9")).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_annie-dispatch"))
        .current_dir(dir)
        .env_remove("ANNIE_API_KEY")
        .env_remove("RUST_LOG")
        .args([
            "--no-progress",
            "run",
            "--dry-run",
            "--now",
            NOW,
            "--config",
        ])
        .arg(&config)
        .arg("--input")
        .arg(input)
        .arg("--results")
        .arg(dir.join("r.csv"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).trim_end().to_string();
    (out.status.code().unwrap_or(-1), stderr)
}

#[test]
fn a_missing_export_is_named_as_missing() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("tonight.csv");
    let (status, stderr) = preview_of(dir.path(), &input);
    assert_eq!(status, 2);
    assert_eq!(
        stderr,
        format!(
            "annie-dispatch: error: export `{}` does not exist: check the --input path, and that \
             tonight's export ran",
            input.display()
        )
    );
}

#[test]
fn a_directory_is_not_an_export() {
    let dir = tempfile::tempdir().unwrap();
    // A folder name without an extension used to be "an unknown format".
    let input = dir.path().join("exports");
    std::fs::create_dir(&input).unwrap();
    let (status, stderr) = preview_of(dir.path(), &input);
    assert_eq!(status, 2);
    assert_eq!(
        stderr,
        format!(
            "annie-dispatch: error: `{}` is a directory, not an export: pass the export file \
             itself to --input",
            input.display()
        )
    );
}

#[test]
fn a_workbook_by_name_says_how_to_save_it() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("tonight.xlsx");
    std::fs::write(&input, b"PK\x03\x04").unwrap();
    let (status, stderr) = preview_of(dir.path(), &input);
    assert_eq!(status, 2);
    assert_eq!(
        stderr,
        format!(
            "annie-dispatch: error: export `{}`: this is an Excel workbook (.xlsx), not CSV or \
             JSON: open it in Excel, choose File > Save As > \"CSV UTF-8 (Comma delimited)\", and \
             pass that file to --input",
            input.display()
        )
    );
}

#[test]
fn without_the_id_column_the_message_says_where_the_header_was_looked_for() {
    let out = Test::new()
        .input("appointments.csv", "Schedule for Tuesday\nApt,Pat\n1,2\n")
        .args(["--dry-run"])
        .run();
    out.assert_status(2);
    assert!(
        out.stderr.contains(
            "no line among the first 20 names the id column, so line 1 was read as the header: \
             columns `AptNum` (mapped by [input.columns] appointment_id), `FName` (mapped by \
             [input.columns] first_name), `WirelessPhone` (mapped by [input.columns] phones), \
             `HmPhone` (mapped by [input.columns] phones), `WkPhone` (mapped by [input.columns] \
             phones), `AptDateTime` (mapped by [input.columns] start) are not in the file; columns \
             found: Schedule for Tuesday"
        ),
        "{}",
        out.stderr
    );
}

#[test]
fn an_empty_file_is_an_error() {
    let out = Test::new()
        .input("appointments.csv", "")
        .args(["--dry-run"])
        .run();
    out.assert_export_error(
        "appointments.csv",
        "the file is empty (0 bytes): the export did not \
             finish or wrote nothing; export the schedule again",
    );
}

#[test]
fn a_header_without_rows_is_a_quiet_night_not_an_error() {
    // A closed day (a holiday, a Sunday) exports the header and nothing else.
    let out = Test::new()
        .input("appointments.csv", format!("{OD_HEADER}\r\n"))
        .args(["--dry-run"])
        .run();
    out.assert_status(0);
    assert!(out.results().is_empty());
    assert!(
        out.stderr
            .contains("the export has no appointment rows: nothing to call"),
        "{}",
        out.stderr
    );
}

#[test]
fn an_empty_column_name_is_refused_where_it_is_written() {
    let config = format!("{CONFIG}[input.columns]\nappointment_type = \"\"\n");
    let out = Test::new()
        .config(&config)
        .od_rows(&[&crate::harness::od_row("A1", &[])])
        .args(["--dry-run"])
        .run();
    out.assert_status(2);
    assert!(
        out.stderr.contains("TOML parse error at line 19")
            && out.stderr.contains(
                "an empty column name: name the export column, or write `false` (no quotes) to \
                 switch this field off"
            ),
        "{}",
        out.stderr
    );
}

#[test]
fn a_json_object_names_its_keys_and_the_list_it_holds() {
    let json = r#"{"exportedAt": "2026-11-23T18:00:00-06:00",
 "data": {"count": 1, "appointments": [
  {"AptNum": 1, "PatNum": 7, "FName": "Ana", "LName": "Diaz", "WirelessPhone": "3125550147",
   "AptDateTime": "2026-11-24 09:00:00", "AptStatus": 1}
 ]}}"#;
    let out = Test::new()
        .input("appointments.json", json)
        .args(["--dry-run"])
        .run();
    out.assert_export_error(
        "appointments.json",
        "the file holds one JSON object, not a list of \
             appointments; its keys: data, exportedAt. `data.appointments` holds a list of \
             objects: if those are the appointments, set [input] records = \"data.appointments\"",
    );
    // Following the advice reads it, each row numbered by the line its object starts on.
    let config = CONFIG.replace("[input]\n", "[input]\nrecords = \"data.appointments\"\n");
    let out = Test::new()
        .config(&config)
        .input("appointments.json", json)
        .args(["--dry-run"])
        .run();
    out.assert_status(0);
    assert_eq!(
        out.statuses(),
        [(3, "1".to_string(), "dry_run".to_string())]
    );
}

/// A JSON id written as a whole float (`5003.0`, as pandas writes a column with blanks) is the
/// id `5003`, as another night's export writes it; an id that is `true` is no id: the row is
/// invalid and says why.
#[test]
fn json_ids_written_as_floats_are_whole_numbers_and_true_is_no_id() {
    let row = |id: &str, phone: &str| {
        format!(
            r#"{{"AptNum": {id}, "PatNum": 7, "FName": "Ana", "LName": "Diaz", "WirelessPhone": "{phone}",
   "AptDateTime": "2026-11-24 09:00:00", "AptStatus": 1}}"#
        )
    };
    let json = format!(
        "[{},\n{}]",
        row("5003.0", "3125550147"),
        row("true", "3125550148")
    );
    let out = Test::new()
        .input("appointments.json", json)
        .args(["--dry-run"])
        .run();
    assert_eq!(out.result_for("5003")["status"], "dry_run");
    let rows = out.statuses();
    assert_eq!(rows.len(), 2, "{rows:?}");
    let bad = out
        .results()
        .into_iter()
        .find(|r| r["appointment_id"] != "5003")
        .unwrap();
    assert_eq!(bad["status"], "invalid", "{bad:?}");
    assert_eq!(
        bad["reason"],
        "`AptNum` is true or false, expected text or a number"
    );
}

#[test]
fn json_mapping_errors_list_every_missing_key_and_the_nested_paths_there_are() {
    let json = r#"[{"id": 9001, "when": "2026-11-24T09:00-06:00",
  "patient": {"first": "Zoë", "last": "Brown", "phones": {"cell": "(312) 555-0147", "home": null}}}]"#;
    let config = CONFIG.replace(
        "[input]\npreset = \"opendental\"\n",
        "[input]\n[input.columns]\nappointment_id = \"id\"\nfirst_name = \"patient.firstName\"\n\
         phones = [\"patient.phone\"]\nstart = \"when\"\n",
    );
    let out = Test::new()
        .config(&config)
        .input("appointments.json", json)
        .args(["--dry-run"])
        .run();
    out.assert_export_error(
        "appointments.json",
        "keys `patient.firstName` (mapped by \
             [input.columns] first_name), `patient.phone` (mapped by [input.columns] phones) are \
             not in the file; keys found: id, patient.first, patient.last, patient.phones.cell, \
             patient.phones.home, when",
    );
}

/// A preview, whole (`--emit-requests`) or streamed (plain `--dry-run`, its first reading held
/// or not), of the export `text`: every one must stop on the same error before writing a row.
fn refused_by_every_preview(text: &str, message: &str) {
    for (args, hold) in [
        (
            &["--dry-run", "--emit-requests", "req.jsonl"][..],
            "1000000",
        ),
        (&["--dry-run"][..], "1000000"),
        (&["--dry-run"][..], "0"),
    ] {
        let out = Test::new()
            .input("appointments.csv", text)
            .env("ANNIE_DISPATCH_HOLD_BYTES", hold)
            .args(args.iter().copied())
            .run();
        out.assert_export_error("appointments.csv", message);
        assert!(
            !out.results_path.exists(),
            "{args:?}: a preview was written"
        );
        assert!(!out.dir.join("req.jsonl").exists(), "{args:?}");
    }
}

#[test]
fn a_do_not_call_column_named_twice_is_refused_naming_both_copies() {
    // `SELECT p.PreferConfirmMethod, g.PreferConfirmMethod`: the guarantor's DoNotCall is in
    // the second copy, which used to be ignored (the first copy wins), and the patient called.
    let text = format!(
        "{OD_HEADER},PreferConfirmMethod,PreferConfirmMethod\n{},,DoNotCall\n",
        crate::harness::od_row("A1", &[])
    );
    refused_by_every_preview(
        &text,
        "column `PreferConfirmMethod` (mapped by [optout] columns; columns 14 (N) and 15 (O)) \
         is in the header more than once, and only the first would be read: give each copy its \
         own name in the export query (e.g. `... AS GuarantorPreferConfirmMethod`) and map the \
         one you mean (for a do-not-call column, list every copy in [optout] columns)",
    );
    // Named apart, both copies are read: the guarantor's DoNotCall skips the row.
    let config = format!(
        "{CONFIG}\n[optout]\ncolumns = [\"PreferConfirmMethod\", \"GuarantorPreferConfirmMethod\"]\n"
    );
    let out = Test::new()
        .config(&config)
        .input(
            "appointments.csv",
            text.replacen(
                "PreferConfirmMethod,PreferConfirmMethod",
                "PreferConfirmMethod,GuarantorPreferConfirmMethod",
                1,
            ),
        )
        .args(["--dry-run"])
        .run();
    assert_eq!(out.result_for("A1")["status"], "skipped", "{}", out.stderr);
}

#[test]
fn every_mapped_column_named_twice_is_listed_and_unmapped_copies_are_allowed() {
    let header = OD_HEADER.replace("WirelessPhone", "WirelessPhone,WirelessPhone");
    let row = crate::harness::od_row("A1", &[]).replacen(",,", ",(312) 555-0123,,", 1);
    let text = format!("{header},PreferContactMethod,Note,PreferContactMethod,Note\n{row},,x,,y\n");
    refused_by_every_preview(
        &text,
        "columns `WirelessPhone` (mapped by [input.columns] phones; columns 6 (F) and 7 (G)), \
         `PreferContactMethod` (mapped by [optout] columns; columns 15 (O) and 17 (Q)) are in \
         the header more than once, and only the first of each would be read: give each copy \
         its own name in the export query (e.g. `... AS GuarantorWirelessPhone`) and map the \
         one you mean (for a do-not-call column, list every copy in [optout] columns)",
    );
    // A copy that differs only in case is a copy: the mapping would read one of the two.
    let text = format!(
        "{OD_HEADER},PreferConfirmMethod,preferconfirmmethod\n{},,DoNotCall\n",
        crate::harness::od_row("A1", &[])
    );
    refused_by_every_preview(
        &text,
        "column `PreferConfirmMethod` (mapped by [optout] columns; columns 14 (N) and 15 (O)) is \
         in the header more than once, and only the first would be read: give each copy its own \
         name in the export query (e.g. `... AS GuarantorPreferConfirmMethod`) and map the one \
         you mean (for a do-not-call column, list every copy in [optout] columns)",
    );
    // Columns the mapping does not read may repeat: a query's spare `Note` columns.
    let text = format!(
        "{OD_HEADER},Note,Note\n{},x,y\n",
        crate::harness::od_row("A1", &[])
    );
    let out = Test::new()
        .input("appointments.csv", text)
        .args(["--dry-run"])
        .run();
    out.assert_status(0);
    assert_eq!(out.result_for("A1")["status"], "dry_run");
}

#[test]
fn a_stray_quote_that_swallows_rows_is_refused_naming_the_lines() {
    use crate::harness::od_row;
    // Row 3's description opens a quote that row 7's quoted description closes: rows on lines
    // 4-7 were read as one description (their appointments lost, their details in a call).
    let mut rows: Vec<String> = (1..=8).map(|i| od_row(&format!("A{i}"), &[])).collect();
    rows[1] = rows[1].replace(",Prophy", ",\"Crown prep #14");
    rows[5] = od_row("A6", &[("ProcDescript", "PerEx, 4BW")]);
    let text = format!("{OD_HEADER}\n{}\n", rows.join("\n"));
    refused_by_every_preview(
        &text,
        "a quoted field opens on line 3 (with `\"`) and runs on to line 7, taking in lines \
         4\u{2013}7, which look like rows of their own (12 or more `,` separators): their \
         appointments would be lost, or read out in another patient's call. The `\"` on line 3 \
         is probably never closed: close or remove it in the export (or in the query that \
         writes it) and export again",
    );
}

#[test]
fn an_export_that_ends_inside_a_quoted_field_is_refused() {
    use crate::harness::od_row;
    // A stray quote on the second row takes in the third (Cy's name and number would have been
    // read out in Bo's call); an export cut short inside a quoted note is the same.
    let bo = od_row("A2", &[]).replace(",Prophy", ",\"Clean");
    let text = format!(
        "{OD_HEADER}\n{}\n{bo}\n{}\n",
        od_row("A1", &[]),
        od_row("A3", &[])
    );
    refused_by_every_preview(
        &text,
        "the file ends inside a quoted field: the `\"` on line 3 is never closed, so lines \
         3\u{2013}4 are read as one value and the appointments there would be lost. The export \
         was cut short, or the quote is a stray one: export the schedule again, or close or \
         remove that quote",
    );
    let cut = format!(
        "{OD_HEADER}\n{}\n{}",
        od_row("A1", &[]),
        &bo[..bo.len() - 2]
    );
    let out = Test::new()
        .input("appointments.csv", cut)
        .args(["--dry-run"])
        .run();
    out.assert_export_error(
        "appointments.csv",
        "the file ends inside a quoted field: the `\"` on line 3 is never closed, so line 3 is \
         read as one value and the appointments there would be lost. The export was cut short, \
         or the quote is a stray one: export the schedule again, or close or remove that quote",
    );
}

#[test]
fn notes_over_several_lines_are_still_read() {
    use crate::harness::od_row;
    let note = "Crown prep #14, seat\n\nPt asked: \"after 5, please\"\nBring x-rays";
    let rows = [od_row("A1", &[("ProcDescript", note)]), od_row("A2", &[])];
    let out = Test::new()
        .od_rows(&[&rows[0], &rows[1]])
        .args(["--dry-run"])
        .run();
    out.assert_status(0);
    let statuses: Vec<(u64, String)> = out.statuses().into_iter().map(|s| (s.0, s.2)).collect();
    assert_eq!(statuses, [(2, "dry_run".into()), (6, "dry_run".into())]);
}
