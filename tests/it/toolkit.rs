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
    assert!(summary["results_file"]
        .as_str()
        .unwrap()
        .ends_with("appointments.results.csv"));
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
