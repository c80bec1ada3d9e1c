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

/// Every row of a household carries its note: a large one (a placeholder number on every row)
/// names ten members and counts the rest, so the results do not grow with the square of its
/// size. (Its call is too long to send; its rows are invalid and say so.)
#[test]
fn a_large_households_note_names_ten_members_and_counts_the_rest() {
    let filler = ("WirelessPhone", "(312) 555-0160");
    let rows: Vec<String> = (1..=25)
        .map(|i| {
            let at = format!("2026-11-24 {:02}:{:02}:00", 9 + i / 6, (i % 6) * 10);
            od_row(&format!("P{i:02}"), &[filler, ("AptDateTime", &at)])
        })
        .collect();
    let rows: Vec<&str> = rows.iter().map(String::as_str).collect();
    let out = Test::new()
        .od_rows(&rows)
        .args(["--dry-run", "--wide"])
        .run();
    let r = out.result_for("P25");
    assert_eq!(r["status"], "invalid", "{r:?}");
    assert!(
        r["reason"].ends_with(
            "; one household call for appointments P01, P02, P03, P04, P05, P06, P07, P08, \
             P09, P10 and 15 more (rows 2, 3, 4, 5, 6, 7, 8, 9, 10, 11 and 15 more)"
        ),
        "{r:?}"
    );
    assert!(
        out.stdout
            .contains("one call for rows 2, 3, 4, 5, 6, 7, 8, 9, 10, 11 and 15 more (same phone)"),
        "{}",
        out.stdout
    );
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
        // The listed number as the home phone, a number of its own first: not called on either.
        (od_row("HOME", &[("HmPhone", "312.555.0177")]), "None"),
        // A listed number the practice never calls (toll-free) still keeps the row from a call.
        (od_row("WORK", &[("WkPhone", "(800) 555-0147")]), "None"),
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
            "# numbers that asked not to be called\n+1 (312) 555-0177\n800-555-0147\n",
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
        assert_eq!(
            out.result_for("HOME")["reason"],
            "opted out (the number in HmPhone is on the do-not-call list; not called on another \
             of the row's numbers either; if that number is not this patient's, remind them \
             another way)"
        );
        assert!(
            out.result_for("WORK")["reason"]
                .starts_with("opted out (the number in WkPhone is on the do-not-call list;"),
            "{:?}",
            out.result_for("WORK")
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
/// call" still opts its numbers out: the other patient on such a phone is not called, in a
/// streamed preview (either way it reads the export), a whole-export preview and a sending run.
/// The row itself is skipped as opted out, not `invalid` (breaker round 5: a patient who asked
/// not to be called made every night exit 1), its reason saying what else is wrong with it.
#[tokio::test(flavor = "multi_thread")]
async fn an_opt_out_on_a_row_that_cannot_be_called_still_covers_its_number() {
    let annie = Annie::start().await;
    let first = ("WirelessPhone", "(312) 555-6001");
    let second = ("WirelessPhone", "(312) 555-6003");
    let (third, home) = ("(312) 555-6005", ("HmPhone", "(312) 555-6005"));
    let export = export_with_preference(&[
        (
            od_row("BADTIME", &[first, ("AptDateTime", "2026-11-25 9am")]),
            "DoNotCall",
        ),
        (od_row("SIBLING1", &[first]), "None"),
        (
            od_row("NONAME", &[second, home, ("FName", "")]),
            "DoNotCall",
        ),
        (od_row("SIBLING2", &[second]), "None"),
        // The invalid row's second number is opted out too.
        (od_row("SIBLING3", &[("WirelessPhone", third)]), "None"),
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
        out.assert_status(0);
        for id in ["BADTIME", "NONAME"] {
            let row = out.result_for(id);
            assert_eq!(row["status"], "skipped", "{args:?}");
            assert_eq!(row["reason_code"], "opted_out", "{args:?}");
            assert!(
                row["reason"].starts_with(
                    "opted out (PreferConfirmMethod is DoNotCall); the row could not have been \
                     called anyway: "
                ),
                "{args:?} {row:?}"
            );
        }
        for id in ["SIBLING1", "SIBLING2", "SIBLING3"] {
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

/// An opt-out column speaks for its row's patient: every number on that row is opted out, not
/// only the one the row would be called on. A mother's row says `DoNotCall` and lists her mobile
/// and the home line: her child's row with only the home line is not called on it (nor is a row
/// listing either number in another column), in a streamed preview (reading the export twice,
/// or once), a whole-export preview (`--emit-requests`), a sending run and a sandbox run. The
/// child's row comes first, so a preview must know the whole export before its verdict.
#[tokio::test(flavor = "multi_thread")]
async fn an_opt_out_column_covers_every_number_of_its_row() {
    let annie = Annie::start().await;
    let (mobile, home) = ("(312) 555-0301", "(312) 555-0300");
    let export = export_with_preference(&[
        (
            od_row(
                "KID",
                &[("WirelessPhone", ""), ("HmPhone", home), ("FName", "Mia")],
            ),
            "",
        ),
        (od_row("FINE", &[]), "None"),
        (
            od_row(
                "MOM",
                &[
                    ("WirelessPhone", mobile),
                    ("HmPhone", home),
                    ("FName", "Ana"),
                ],
            ),
            "DoNotCall",
        ),
        // Their own mobile first (a number of their own), one of hers in a later column.
        (
            od_row("TEEN", &[("HmPhone", home), ("FName", "Leo")]),
            "None",
        ),
        (od_row("DAD", &[("WkPhone", mobile), ("FName", "Raul")]), ""),
    ]);
    let expected = [
        (
            "MOM",
            "opted out (PreferConfirmMethod is DoNotCall)".to_string(),
        ),
        (
            "KID",
            "opted out (another patient on this phone number asked not to be called)".to_string(),
        ),
        ("TEEN", other_column_reason("HmPhone")),
        ("DAD", other_column_reason("WkPhone")),
    ];
    let t = Test::new()
        .server(&annie.base_url())
        .input("appointments.csv", export.clone());
    for (out, args, called) in crate::harness::run_every_way(&t).await {
        out.assert_status(0);
        for (id, reason) in &expected {
            let row = out.result_for(id);
            assert_eq!(
                (row["status"].as_str(), row["reason_code"].as_str()),
                ("skipped", "opted_out"),
                "{args:?} {row:?}"
            );
            assert_eq!(&row["reason"], reason, "{args:?}");
            assert_eq!(row["needs_attention"], "false", "{args:?}");
        }
        assert_eq!(out.result_for("FINE")["status"], called, "{args:?}");
        if args.contains(&"--emit-requests") {
            let requests = out.file("requests.jsonl");
            let ids: Vec<String> = requests
                .lines()
                .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
                .map(|b| b["appointmentInfo"]["appointmentId"].to_string())
                .collect();
            assert_eq!(ids, ["\"FINE\""]);
        }
    }
    assert_eq!(annie.posted_ids().await, ["FINE"]);

    // The same export through the in-process sandbox.
    let sandboxed = Test::new()
        .input("appointments.csv", export)
        .args(["--sandbox"])
        .run_async()
        .await;
    sandboxed.assert_status(0);
    for (id, reason) in &expected {
        assert_eq!(&sandboxed.result_for(id)["reason"], reason);
    }
    assert_eq!(sandboxed.result_for("FINE")["status"], "sent");
}

/// The reason of a row skipped for an opt-out column's number in its phone column `column`.
fn other_column_reason(column: &str) -> String {
    format!(
        "opted out (an opt-out column on another row covers the number in {column}; not called \
         on another of the row's numbers either; if that number is not this patient's, remind \
         them another way)"
    )
}

/// The config of the households below: Spanish and "New Patient" contexts written as `lead`
/// (the lead's variables only, as the docs' examples once were) or as `loop` (every
/// appointment, as the docs' examples are now).
fn household_config(spanish: &str, new_patient: &str) -> String {
    CONFIG.replace(
        "preset = \"opendental\"",
        "preset = \"opendental\"\n[input.columns]\nlanguage = \"Language\"\n\
         appointment_type = \"ProcDescript\"",
    ) + &format!(
        r#"
[[languages]]
name = "SPANISH"
values = ["spa"]
from_number = "+1 312 555 0101"
context = "{spanish}"

[templates.by_type."New Patient"]
context = "{new_patient}"
"#
    )
}

const SPANISH_LEAD: &str =
    "Llamada de {{ practice_name }} para {{ first_name }} el {{ appointment_when }}.";
const SPANISH_LOOP: &str = "Llamada de {{ practice_name }} para confirmar {% for a in appointments %}la cita de {{ a.first_name }} el {{ a.appointment_when }}{% if not loop.last %}, {% endif %}{% endfor %}.";
const NEW_PATIENT_LEAD: &str = "{{ practice_name }}: {{ first_name }}'s first visit on {{ appointment_when }}. Bring your insurance card.";
const NEW_PATIENT_LOOP: &str = "{{ practice_name }}: {% for a in appointments %}{{ a.first_name }}'s {% if loop.first %}first visit{% else %}appointment{% endif %} on {{ a.appointment_when }}{% if not loop.last %}, {% endif %}{% endfor %}. Bring your insurance card.";

/// The tester's households: Maria (Spanish) leads Juan and Ana on one phone; Juan ("New
/// Patient") leads Ana on another.
fn household_export() -> String {
    let member = |apt: &str, name: &str, phone: &str, at: &str, kind: &str, language: &str| {
        let row = od_row(
            apt,
            &[
                ("FName", name),
                ("LName", "Garcia"),
                ("WirelessPhone", phone),
                ("AptDateTime", at),
                ("ProcDescript", kind),
            ],
        );
        format!("{row},{language}")
    };
    [
        format!("{OD_HEADER},Language"),
        member(
            "5101",
            "Maria",
            "312 555 5001",
            "2026-11-24 09:00:00",
            "Cleaning",
            "spa",
        ),
        member(
            "5102",
            "Juan",
            "312 555 5001",
            "2026-11-24 09:30:00",
            "New Patient",
            "eng",
        ),
        member(
            "5103",
            "Ana",
            "312 555 5001",
            "2026-11-24 10:00:00",
            "Cleaning",
            "eng",
        ),
        member(
            "5301",
            "Juan",
            "312 555 5301",
            "2026-11-24 09:00:00",
            "New Patient",
            "eng",
        ),
        member(
            "5302",
            "Ana",
            "312 555 5301",
            "2026-11-24 09:30:00",
            "Cleaning",
            "eng",
        ),
    ]
    .join("\n")
        + "\n"
}

/// A household's call is made with its lead's context, and marks every member's row `sent`:
/// a language's or an appointment type's context that names only the lead is refused at
/// start-up (exit 2, nothing sent), naming the file, line and template and what to do. The
/// members cannot be called one by one instead (one call a day to a number).
#[tokio::test(flavor = "multi_thread")]
async fn a_context_that_names_only_a_households_lead_is_refused_at_start_up() {
    let annie = Annie::start().await;
    let what_to_do = "names only the first appointment of a household (appointments that \
        share a phone get one call, and each of their rows is marked sent by it), so the others \
        would be recorded as reminded without being mentioned; name each one with \
        `{% for a in appointments %}` ... `{% endfor %}` as the default context does (see \
        docs/configuration.md, \"Templates: variables and rules\"), or set `[households] \
        enabled = false` to call only the earliest of them";
    for (config, starts, key) in [
        (
            household_config(SPANISH_LEAD, NEW_PATIENT_LOOP),
            "context = \"Llamada",
            "languages \"SPANISH\" context",
        ),
        (
            household_config(SPANISH_LOOP, NEW_PATIENT_LEAD),
            "context = \"{{ practice_name }}:",
            "by_type.\"New Patient\".context",
        ),
    ] {
        let line = config.lines().position(|l| l.starts_with(starts)).unwrap() + 1;
        let out = Test::new()
            .server(&annie.base_url())
            .config(&config)
            .input("appointments.csv", household_export())
            .run_async()
            .await;
        out.assert_status(2);
        assert_eq!(
            out.stderr.trim_end(),
            format!(
                "annie-dispatch: error: {}:{line}: [templates] {key}: {what_to_do}",
                out.dir.join("config.toml").display()
            )
        );
        assert!(!out.results_path.exists());
    }
    assert!(annie.requests().await.is_empty());
}

/// With contexts that loop over `appointments` (the docs' examples), each household's one call
/// names every member: the Spanish lead's call names Juan and Ana too, and the "New Patient"
/// lead's call names Ana.
#[tokio::test(flavor = "multi_thread")]
async fn a_language_or_type_context_that_loops_names_every_household_member() {
    let annie = Annie::start().await;
    let out = Test::new()
        .server(&annie.base_url())
        .config(&household_config(SPANISH_LOOP, NEW_PATIENT_LOOP))
        .input("appointments.csv", household_export())
        .run_async()
        .await;
    out.assert_status(0);
    for id in ["5101", "5102", "5103", "5301", "5302"] {
        assert_eq!(out.result_for(id)["status"], "sent", "{id}");
    }
    let contexts: Vec<String> = annie
        .bodies()
        .await
        .iter()
        .map(|b| b["context"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(contexts.len(), 2, "{contexts:?}");
    assert!(
        contexts.contains(
            &"Llamada de Bright Smile Dental para confirmar la cita de Maria el Tuesday, \
              November 24 at 9:00 AM, la cita de Juan el Tuesday, November 24 at 9:30 AM, la \
              cita de Ana el Tuesday, November 24 at 10:00 AM."
                .to_string()
        ),
        "{contexts:?}"
    );
    assert!(
        contexts.contains(
            &"Bright Smile Dental: Juan's first visit on Tuesday, November 24 at 9:00 AM, Ana's \
              appointment on Tuesday, November 24 at 9:30 AM. Bring your insurance card."
                .to_string()
        ),
        "{contexts:?}"
    );
}

/// `[households] enabled = false` calls only the earliest appointment on a number, so a
/// context of the lead alone is accepted.
#[test]
fn without_households_a_context_of_the_lead_alone_is_accepted() {
    let config =
        household_config(SPANISH_LEAD, NEW_PATIENT_LEAD) + "\n[households]\nenabled = false\n";
    let out = Test::new()
        .config(&config)
        .input("appointments.csv", household_export())
        .args(["--dry-run"])
        .run();
    out.assert_status(0);
    assert_eq!(out.result_for("5101")["status"], "dry_run");
}

/// A do-not-call list with no number in it (emptied by a failed sync, say) is used as given,
/// with a warning: it keeps nobody from being called (round-6 note: it was silent).
#[test]
fn an_empty_do_not_call_list_is_warned_about() {
    let config = format!("{CONFIG}[optout]\nlist = \"do-not-call.txt\"\n");
    for contents in ["", "# numbers that asked not to be called\n"] {
        let out = Test::new()
            .config(&config)
            .file("do-not-call.txt", contents)
            .od_rows(&[&od_row("A1", &[])])
            .args(["--dry-run"])
            .run();
        out.assert_status(0);
        assert_eq!(out.result_for("A1")["reason_code"], "would_call");
        assert!(
            out.stderr.contains(
                "the do-not-call list holds no number: nobody is kept from being called by it; if \
                 it should hold some, restore it before the real run"
            ),
            "{}",
            out.stderr
        );
    }
}
