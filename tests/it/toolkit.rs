//! The operator's toolkit: machine-readable summaries, completions, the man page.

use std::process::Command;

use crate::harness::{od_row, Test};

#[test]
fn summary_json_has_the_counts_and_the_exit_status() {
    let out = Test::new()
        .od_rows(&[
            &od_row("A1", &[]),
            &od_row("A2", &[("AptStatus", "5")]),
            &od_row("A3", &[("WirelessPhone", "555-0100")]),
        ])
        .args(["--dry-run", "--summary-json", "summary.json"])
        .run();
    out.assert_status(1);
    let summary: serde_json::Value = serde_json::from_str(&out.file("summary.json")).unwrap();
    assert_eq!(summary["rows"], 3);
    assert_eq!(summary["counts"]["dry_run"], 1);
    assert_eq!(summary["counts"]["skipped"], 1);
    assert_eq!(summary["counts"]["invalid"], 1);
    assert_eq!(summary["counts"]["sent"], 0);
    assert_eq!(summary["exit_status"], 1);
    // A preview's rows are in its own file, never the run's results.
    assert!(summary["results_file"]
        .as_str()
        .unwrap()
        .ends_with("appointments.results.preview.csv"));
}

fn run(args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_annie-dispatch"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn completions_and_man_page_come_from_the_cli_definition() {
    let (code, bash) = run(&["completions", "bash"]);
    assert_eq!(code, 0);
    assert!(
        bash.contains("--wait-for-window") && bash.contains("--retry-uncertain"),
        "{bash}"
    );
    let (code, fish) = run(&["completions", "fish"]);
    assert_eq!(code, 0);
    assert!(fish.contains("complete -c annie-dispatch"), "{fish}");
    let (code, man) = run(&["man"]);
    assert_eq!(code, 0);
    assert!(man.starts_with(".ie"), "roff output");
    assert!(man.contains(".TH annie-dispatch 1"), "{man}");
}

#[test]
fn check_reports_what_a_run_would_do_and_what_is_wrong() {
    let long = "Crown prep and buildup, ".repeat(16);
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        crate::harness::CONFIG.replace("{BASE_URL}", "https://api.example.com/v1"),
    )
    .unwrap();
    let export = dir.path().join("appointments.csv");
    std::fs::write(
        &export,
        format!(
            "{}\n{}\n{}\n{}\n",
            crate::harness::OD_HEADER,
            od_row("OK", &[]),
            od_row("LONG", &[("ProcDescript", &long)]),
            od_row("BADPHONE", &[("WirelessPhone", "555-0100")])
        ),
    )
    .unwrap();
    let run = |args: &[&str], key: bool| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_annie-dispatch"));
        cmd.env_remove("ANNIE_API_KEY").args(args);
        if key {
            cmd.env("ANNIE_API_KEY", "annie-sk-v1-test");
        }
        let out = cmd.output().unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let config_arg = config.to_str().unwrap();
    let export_arg = export.to_str().unwrap();
    let (code, stdout, _) = run(
        &[
            "check",
            "--config",
            config_arg,
            "--input",
            export_arg,
            "--now",
            crate::harness::NOW,
        ],
        true,
    );
    assert_eq!(code, 1, "{stdout}");
    assert!(
        stdout.contains("export: ") && stdout.contains("3 rows: 1 dry_run, 2 invalid"),
        "{stdout}"
    );
    assert!(
        stdout.contains("  row 3 (LONG): invalid: context is 5"),
        "{stdout}"
    );
    assert!(
        stdout.contains("  row 4 (BADPHONE): invalid: no usable phone number"),
        "{stdout}"
    );
    assert!(
        !export.with_file_name("appointments.results.csv").exists(),
        "check writes no results beside the export"
    );

    // Config only, with the key: all well.
    let (code, stdout, _) = run(&["check", "--config", config_arg], true);
    assert_eq!(code, 0, "{stdout}");
    assert!(stdout.contains("api and ledger: ready"), "{stdout}");
    // Without the key: exit 2, as the run would (see check_parity.rs for every such case).
    let (code, stdout, stderr) = run(&["check", "--config", config_arg], false);
    assert_eq!(code, 2, "{stdout}");
    assert!(
        stdout.contains("a sending run would stop before calling anyone: ")
            && stderr.contains("ANNIE_API_KEY"),
        "{stdout}{stderr}"
    );
    // A typo in the config, or a column the export lacks: exit 2 naming it.
    std::fs::write(
        &config,
        crate::harness::CONFIG
            .replace("{BASE_URL}", "https://api.example.com/v1")
            .replace("max_in_flight", "max_inflight"),
    )
    .unwrap();
    let (code, _, stderr) = run(&["check", "--config", config_arg], true);
    assert_eq!(code, 2);
    assert!(stderr.contains("unknown field `max_inflight`"), "{stderr}");
    std::fs::write(
        &config,
        crate::harness::CONFIG
            .replace("{BASE_URL}", "https://api.example.com/v1")
            .replace(
                "preset = \"opendental\"",
                "preset = \"opendental\"\n[input.columns]\nphones = [\"CellPhone\"]",
            ),
    )
    .unwrap();
    let (code, _, stderr) = run(
        &["check", "--config", config_arg, "--input", export_arg],
        true,
    );
    assert_eq!(code, 2);
    assert!(
        stderr.contains("column `CellPhone` (mapped by [input.columns] phones) is not in the file"),
        "{stderr}"
    );
}
