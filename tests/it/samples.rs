//! Every shipped sample, with the config the README or docs pair it with, passes a preview run.

use std::process::Command;

fn preview(config: &str, input: &str, now: &str) -> std::process::Output {
    preview_in(&tempfile::tempdir().unwrap(), config, input, now, &[])
}

fn preview_in(
    dir: &tempfile::TempDir,
    config: &str,
    input: &str,
    now: &str,
    extra: &[&str],
) -> std::process::Output {
    let root = env!("CARGO_MANIFEST_DIR");
    Command::new(env!("CARGO_BIN_EXE_annie-dispatch"))
        .current_dir(root)
        .env_remove("ANNIE_API_KEY")
        .env_remove("COLUMNS")
        .args([
            "--no-progress",
            "run",
            "--dry-run",
            "--config",
            config,
            "--input",
            input,
            "--now",
            now,
        ])
        .arg("--results")
        .arg(dir.path().join("r.csv"))
        .args(extra)
        .output()
        .unwrap()
}

#[test]
fn readme_preview_command_plans_real_calls() {
    for input in [
        "samples/opendental-appointments.csv",
        "samples/opendental-appointments.json",
    ] {
        let out = preview("config.example.toml", input, "2026-11-23T18:30:00-06:00");
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{input}\n{stdout}\n{stderr}");
        assert_eq!(stdout.matches("will call").count(), 5, "{input}\n{stdout}");
        assert!(stderr.contains("10 rows: 5 dry_run, 5 skipped"), "{stderr}");
    }
}

#[test]
fn dentrix_sample_previews() {
    let dir = tempfile::tempdir().unwrap();
    let requests = dir.path().join("req.jsonl");
    let out = preview_in(
        &dir,
        "samples/dentrix.toml",
        "samples/dentrix-appointments.csv",
        "2026-11-23T18:30:00-05:00",
        &["--emit-requests", requests.to_str().unwrap()],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert_eq!(stdout.matches("will call").count(), 3, "{stdout}");
    assert!(stdout.contains("skipped: already confirmed"), "{stdout}");
    // The "New Patient" type has its own context template; the others use the general one.
    let bodies: Vec<serde_json::Value> = std::fs::read_to_string(&requests)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let new_patient = bodies
        .iter()
        .find(|b| b["appointmentInfo"]["appointmentTypeId"] == "New Patient")
        .unwrap();
    assert_eq!(
        new_patient["context"],
        "This call is from Harbor View Family Dentistry to confirm Piotr's first visit on Tuesday, \
November 24 at 1:00 PM. Remind them to bring their insurance card and arrive 15 minutes early. The \
office number is (617) 555-0100."
    );
    assert_eq!(
        bodies[1]["patientInfo"]["lastName"], "Lefèvre",
        "Windows-1252 decoded"
    );
}

#[test]
fn nested_json_sample_previews_with_its_mapping() {
    let dir = tempfile::tempdir().unwrap();
    let requests = dir.path().join("req.jsonl");
    let out = preview_in(
        &dir,
        "samples/nested.toml",
        "samples/nested-appointments.json",
        "2026-11-23T18:30:00-06:00",
        &["--emit-requests", requests.to_str().unwrap()],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("5 rows: 3 dry_run, 2 skipped"), "{stderr}");
    let rows = crate::harness::read_results(&dir.path().join("r.preview.csv"));
    let got: Vec<(&str, &str, &str)> = rows
        .iter()
        .map(|r| {
            (
                r["row"].as_str(),
                r["appointment_id"].as_str(),
                r["status"].as_str(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("5", "N-1001", "dry_run"),
            ("13", "N-1002", "dry_run"),
            ("21", "N-1003", "skipped"),
            ("29", "N-1004", "skipped"),
            ("37", "N-1005", "dry_run"),
        ]
    );
    let bodies: Vec<serde_json::Value> = std::fs::read_to_string(&requests)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    // Start times without seconds, with a space, or with fractions, read with no formats.
    assert_eq!(
        bodies[1]["appointmentInfo"]["startTime"],
        "2026-11-24T10:30:00-06:00"
    );
    assert_eq!(bodies[1]["patientInfo"]["lastName"], "García");
    assert_eq!(bodies[1]["toNumber"], "+17735550123");
}

/// Every bundled sample with its config and the `--now` the README or docs run it with.
const SAMPLES: [(&str, &str, &str); 5] = [
    (
        "config.example.toml",
        "samples/opendental-appointments.csv",
        "2026-11-23T18:30:00-06:00",
    ),
    (
        "config.example.toml",
        "samples/opendental-appointments.json",
        "2026-11-23T18:30:00-06:00",
    ),
    (
        "samples/dentrix.toml",
        "samples/dentrix-appointments.csv",
        "2026-11-23T18:30:00-05:00",
    ),
    (
        "samples/nested.toml",
        "samples/nested-appointments.json",
        "2026-11-23T18:30:00-06:00",
    ),
    (
        "samples/group.toml",
        "samples/group-appointments.csv",
        "2026-11-23T18:30:00-06:00",
    ),
];

#[test]
fn every_sample_preview_fits_100_columns_and_names_patients_only_on_stdout() {
    for (config, input, now) in SAMPLES {
        let dir = tempfile::tempdir().unwrap();
        let out = preview_in(&dir, config, input, now, &["--show-texts", "2"]);
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            matches!(out.status.code(), Some(0 | 1)),
            "{input}\n{stderr}"
        );
        let widest = crate::preview::widest(&stdout);
        assert!(
            widest <= 100,
            "{input}: a line {widest} columns wide\n{stdout}"
        );
        let heading = stdout.lines().next().unwrap();
        assert!(
            heading.starts_with("ROW  APPOINTMENT") && heading.contains("  PATIENT  "),
            "{input}: {heading}"
        );
        assert_eq!(
            heading.contains("  LOCATION  "),
            config == "samples/group.toml",
            "{input}: only a group has a location column: {heading}"
        );
        // `--show-texts 2`: two rendered contexts after the table, each labelled as in it.
        assert_eq!(
            stdout.matches("\n  context:   ").count(),
            2,
            "{input}\n{stdout}"
        );
        assert_eq!(
            stdout.matches("\n  voicemail: ").count(),
            2,
            "{input}\n{stdout}"
        );
        assert!(stdout.contains("This call is from "), "{input}\n{stdout}");
        // The preview file (and the log) gain no names.
        let file = std::fs::read_to_string(dir.path().join("r.preview.csv")).unwrap();
        for name in [
            "Sarah",
            "Johnson",
            "Chinedu",
            "Okafor",
            "Sarah J.",
            "Chinedu O.",
        ] {
            assert!(
                !file.contains(name),
                "{input}: {name} in the preview file\n{file}"
            );
            assert!(
                !stderr.contains(name),
                "{input}: {name} in the log\n{stderr}"
            );
        }
    }
}

#[test]
fn sample_previews_show_first_name_and_last_initial_with_the_zone() {
    let out = preview(
        "config.example.toml",
        "samples/opendental-appointments.csv",
        "2026-11-23T18:30:00-06:00",
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let row = stdout.lines().find(|l| l.starts_with("2 ")).unwrap();
    assert_eq!(
        row.split("  ")
            .filter(|c| !c.is_empty())
            .map(str::trim)
            .collect::<Vec<_>>(),
        [
            "2",
            "Tue Nov 24 09:00 CST",
            "Sarah J.",
            "+1312***0147",
            "will call"
        ],
        "{stdout}"
    );
    assert!(!stdout.contains("Johnson"), "{stdout}");

    let out = preview(
        "samples/group.toml",
        "samples/group-appointments.csv",
        "2026-11-23T18:30:00-06:00",
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let row = stdout.lines().find(|l| l.starts_with("5 ")).unwrap();
    assert!(
        row.contains(" MST  ") && row.contains("  West  ") && row.ends_with("will call"),
        "a group row shows its location and its own zone: {row}\n{stdout}"
    );
}

/// A README or docs (docs/configuration.md) `run --sandbox` command (no API key in the environment), results to `results`.
fn sandbox_run(config: &str, input: &str, results: &std::path::Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_annie-dispatch"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("ANNIE_API_KEY")
        .env_remove("ANNIE_KEY_NORTH")
        .env_remove("ANNIE_KEY_WEST")
        .args(["--no-progress", "run", "--config", config, "--input", input])
        .args([
            "--sandbox",
            "--now",
            "2026-11-23T18:30:00-06:00",
            "--results",
        ])
        .arg(results)
        .output()
        .unwrap()
}

/// The README's main command as written (no `--results`), in a copy of the source folder: the
/// rehearsal writes the results file the README names, its own, never the real run's
/// `samples/opendental-appointments.results.csv` (the breaker's round-9 finding 10), and its
/// ledger is the sandbox's.
#[test]
fn readme_main_command_writes_the_rehearsals_own_results_file() {
    let dir = tempfile::tempdir().unwrap();
    let source = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    std::fs::create_dir(dir.path().join("samples")).unwrap();
    for file in ["config.example.toml", "samples/opendental-appointments.csv"] {
        std::fs::copy(source.join(file), dir.path().join(file)).unwrap();
    }
    let out = Command::new(env!("CARGO_BIN_EXE_annie-dispatch"))
        .current_dir(dir.path())
        .env_remove("ANNIE_API_KEY")
        .args(["--no-progress", "run", "--config", "config.example.toml"])
        .args([
            "--input",
            "samples/opendental-appointments.csv",
            "--sandbox",
        ])
        .args(["--now", "2026-11-23T18:30:00-06:00"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let results = "samples/opendental-appointments.results.sandbox.csv";
    let readme = std::fs::read_to_string(source.join("README.md")).unwrap();
    assert!(readme.contains(&format!("`{results}`")));
    let rows = crate::harness::read_results(&dir.path().join(results));
    assert_eq!(rows.iter().filter(|r| r["status"] == "sent").count(), 5);
    let mut samples: Vec<String> = std::fs::read_dir(dir.path().join("samples"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| !name.ends_with(".lock"))
        .collect();
    samples.sort();
    assert_eq!(
        samples,
        [
            "annie-dispatch.sandbox-ledger.sqlite3",
            "opendental-appointments.csv",
            "opendental-appointments.results.sandbox.csv"
        ]
    );
}

#[test]
fn readme_main_command_sends_the_sample_to_the_in_process_sandbox() {
    let dir = tempfile::tempdir().unwrap();
    let results = dir.path().join("r.csv");
    let out = sandbox_run(
        "config.example.toml",
        "samples/opendental-appointments.csv",
        &results,
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let rows = crate::harness::read_results(&results);
    let sent: Vec<_> = rows.iter().filter(|r| r["status"] == "sent").collect();
    assert_eq!(sent.len(), 5, "{rows:?}");
    for r in sent {
        assert_eq!(
            r["conversation_id"].len(),
            36,
            "a conversation id from the sandbox: {r:?}"
        );
    }
    assert!(dir
        .path()
        .join("annie-dispatch.sandbox-ledger.sqlite3")
        .exists());
    assert!(
        !dir.path().join("annie-dispatch.ledger.sqlite3").exists(),
        "the real ledger is untouched"
    );
}

#[test]
fn readme_group_command_sends_each_location_to_its_own_sandbox() {
    let dir = tempfile::tempdir().unwrap();
    let results = dir.path().join("r.csv");
    let out = sandbox_run(
        "samples/group.toml",
        "samples/group-appointments.csv",
        &results,
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    // Row 7 names clinic 3, which the sample config does not list: it needs a person.
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    let rows = crate::harness::read_results(&results);
    let got: Vec<(&str, &str, &str)> = rows
        .iter()
        .map(|r| {
            (
                r["appointment_id"].as_str(),
                r["status"].as_str(),
                r["location"].as_str(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("91260683", "sent", "1"),
            ("91260684", "sent", "1"),
            ("91260685", "skipped", "1"),
            ("91260686", "sent", "2"),
            ("91260687", "sent", "2"),
            ("91260688", "invalid", ""),
        ]
    );
    let ids: std::collections::HashSet<&str> = rows
        .iter()
        .map(|r| r["conversation_id"].as_str())
        .filter(|c| !c.is_empty())
        .collect();
    assert_eq!(ids.len(), 4, "every call has its own conversation id");
    assert!(
        stderr.contains(
            "; Bright Smile Dental North: 2 sent, 1 skipped; Bright Smile Dental West: 2 sent;"
        ),
        "{stderr}"
    );
}
