//! Outputs never destroy each other, nor what the run reads: a preview has its own file, the
//! results are renamed into place when the run ends, and an output path that names the export,
//! the config or the ledger is refused.

use std::time::{Duration, Instant};

use crate::harness::{od_row, Test, CONFIG, NOW, OD_HEADER};
use crate::mock::Annie;

#[tokio::test(flavor = "multi_thread")]
async fn a_dry_run_after_a_real_run_leaves_its_results_byte_for_byte() {
    let annie = Annie::start().await;
    let t = Test::new()
        .server(&annie.base_url())
        .od_rows(&[&od_row("A1", &[]), &od_row("A2", &[])]);
    let run = t.run_async().await;
    run.assert_status(0);
    let before = std::fs::read(&run.results_path).unwrap();

    let preview = t.clone().args(["--dry-run"]).run_async().await;
    preview.assert_status(0);
    assert_eq!(std::fs::read(&run.results_path).unwrap(), before);
    assert!(preview.stderr.contains("appointments.results.preview.csv"));
    // The preview's own file: A1 and A2 were called by the run, so the preview skips them.
    assert_eq!(preview.results().len(), 2);
}

#[test]
fn an_output_that_names_the_input_or_the_config_is_refused() {
    let input = format!("{OD_HEADER}\n{}\n", od_row("A1", &[]));
    let config = CONFIG.replace("{BASE_URL}", "http://127.0.0.1:9");
    for (flag, name, what) in [
        ("--report", "config.toml", "the config"),
        ("--emit-requests", "appointments.csv", "the input"),
        ("--summary-json", "config.toml", "the config"),
    ] {
        let out = Test::new()
            .od_rows(&[&od_row("A1", &[])])
            .args(["--dry-run", flag, name])
            .run();
        out.assert_status(2);
        assert!(
            out.stderr.contains(&format!("{flag} `{name}` is {what} `")),
            "{flag}: {}",
            out.stderr
        );
        assert_eq!(out.file("appointments.csv"), input, "{flag}");
        assert_eq!(out.file("config.toml"), config, "{flag}");
    }
    let out = Test::new()
        .od_rows(&[&od_row("A1", &[])])
        .results_name("config.toml")
        .run();
    out.assert_status(2);
    assert!(out.stderr.contains("is the config `"), "{}", out.stderr);
    assert_eq!(out.file("config.toml"), config);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_sigkill_mid_run_leaves_the_previous_results_whole() {
    let annie = Annie::start_with(NOW, Duration::from_millis(1500)).await;
    let previous = "row,appointment_id,status\n2,A0,sent\n";
    let rows: Vec<String> = (1..=4).map(|i| od_row(&format!("A{i}"), &[])).collect();
    let rows: Vec<&str> = rows.iter().map(String::as_str).collect();
    let t = Test::new()
        .server(&annie.base_url())
        .od_rows(&rows)
        .file("appointments.results.csv", previous);
    let running = t.spawn();
    let deadline = Instant::now() + Duration::from_secs(30);
    while annie.arrivals().is_empty() {
        assert!(Instant::now() < deadline, "the mock never received a call");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    running.signal("KILL");
    let out = running.wait().await;
    assert_eq!(out.file("appointments.results.csv"), previous);
    let partial = out.file("appointments.results.csv.partial");
    assert!(
        partial.starts_with("row,appointment_id,status"),
        "{partial}"
    );

    // The next run replaces both with its own, whole results. (Calls the kill caught between
    // the ledger and the API are proven absent and sent by --retry-uncertain, so every row ends
    // `sent`, however the kill fell.)
    let rerun = t.clone().args(["--retry-uncertain"]).run_async().await;
    rerun.assert_status(0);
    assert_eq!(rerun.results().len(), 4);
    assert!(!rerun.dir.join("appointments.results.csv.partial").exists());
}

/// An output pointed at a file that is not an earlier output of its kind (a spreadsheet, notes,
/// another tool's file) is refused before anything is read or sent; an earlier output of the
/// same kind is replaced as before.
#[test]
fn an_output_never_replaces_a_file_it_did_not_write() {
    for (flag, name) in [
        ("--summary-json", "budget.csv"),
        ("--report", "notes.txt"),
        ("--emit-requests", "budget.csv"),
    ] {
        let t = Test::new()
            .od_rows(&[&od_row("A1", &[])])
            .file("budget.csv", "month,amount\nnov,100\n")
            .file("notes.txt", "call the lab\n")
            .args(["--dry-run", flag, name]);
        let out = t.run();
        out.assert_status(2);
        assert!(
            out.stderr
                .contains(&format!("{flag} `{name}` exists and is not a")),
            "{flag}: {}",
            out.stderr
        );
        assert_eq!(out.file("budget.csv"), "month,amount\nnov,100\n");
        assert_eq!(out.file("notes.txt"), "call the lab\n");
    }
    let t = Test::new().od_rows(&[&od_row("A1", &[])]).args([
        "--dry-run",
        "--summary-json",
        "summary.json",
        "--report",
        "r.html",
    ]);
    t.run().assert_status(0);
    t.run().assert_status(0);
}
