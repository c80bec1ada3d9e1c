//! The files a run and `outcomes` leave behind: private to the user (mode 0600, whatever the
//! umask allows), and CSV cells a spreadsheet cannot run as formulas.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use crate::harness::{command_under_umask, od_row, read_results, test_sandbox, Test};

const KEY: &str = "annie-sk-files";

/// `annie-dispatch outcomes` under `umask`, with a report; its exit status and stderr.
fn outcomes(dir: &Path, umask: &str) -> (i32, String) {
    let out = command_under_umask(Some(umask))
        .env("ANNIE_API_KEY", KEY)
        .args(["outcomes", "--config"])
        .arg(dir.join("config.toml"))
        .arg("--results")
        .arg(dir.join("appointments.results.csv"))
        .arg("--report")
        .arg(dir.join("outcomes.html"))
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

#[tokio::test(flavor = "multi_thread")]
async fn every_file_with_patient_data_is_private_under_a_permissive_umask() {
    let scratch = tempfile::tempdir().unwrap();
    let log = scratch.path().join("sandbox.jsonl");
    let sb = test_sandbox(KEY, &log, |c| c.close_after = std::time::Duration::ZERO).await;
    let out = Test::new()
        .server(&sb.base_url())
        .env("ANNIE_API_KEY", KEY)
        .umask("022")
        .od_rows(&[&od_row("A1", &[]), &od_row("A2", &[])])
        .args(["--emit-requests", "requests.jsonl", "--report", "run.html"])
        .run_async()
        .await;
    out.assert_status(0);
    let dir = out.dir.clone();
    let (code, stderr) = tokio::task::spawn_blocking({
        let dir = dir.clone();
        move || outcomes(&dir, "022")
    })
    .await
    .unwrap();
    assert_eq!(code, 0, "{stderr}");

    // Under this umask a file anyone creates is readable by all: only the tool keeps them out.
    let shared = dir.join("shared.txt");
    let made = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("umask 022 && : > '{}'", shared.display()))
        .status();
    assert!(made.unwrap().success());
    assert_eq!(mode(&shared), 0o644);
    for name in [
        "appointments.results.csv",
        "appointments.outcomes.csv",
        "requests.jsonl",
        "run.html",
        "outcomes.html",
        "annie-dispatch.ledger.sqlite3",
        "annie-dispatch.ledger.sqlite3.lock",
    ] {
        assert_eq!(mode(&dir.join(name)), 0o600, "{name}");
    }
    for journal in ["-wal", "-shm"] {
        let path = dir.join(format!("annie-dispatch.ledger.sqlite3{journal}"));
        if path.exists() {
            assert_eq!(mode(&path), 0o600, "{}", path.display());
        }
    }
    assert_eq!(mode(&log), 0o600, "the sandbox's request log");
    let leftovers: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_formula_in_a_cell_is_written_as_text_and_read_back_as_it_was() {
    let scratch = tempfile::tempdir().unwrap();
    let log = scratch.path().join("sandbox.jsonl");
    let sb = test_sandbox(KEY, &log, |c| c.close_after = std::time::Duration::ZERO).await;
    let out = Test::new()
        .server(&sb.base_url())
        .env("ANNIE_API_KEY", KEY)
        .od_rows(&[&od_row("=1+2", &[]), &od_row("@A2", &[])])
        .run_async()
        .await;
    out.assert_status(0);

    let raw = std::fs::read_to_string(&out.results_path).unwrap();
    let cells: Vec<Vec<String>> = csv::Reader::from_reader(raw.as_bytes())
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect();
    let ids: Vec<&str> = cells.iter().map(|r| r[1].as_str()).collect();
    assert!(ids.contains(&"'=1+2") && ids.contains(&"'@A2"), "{raw}");
    for row in &cells {
        assert!(row[6].starts_with("'+1312***"), "masked number: {row:?}");
        assert!(
            row.iter()
                .all(|c| !c.starts_with(['=', '+', '-', '@', '\t', '\r'])),
            "{row:?}"
        );
    }
    // The harness (like `outcomes`) reads the cells back as the run meant them.
    let first = out.result_for("=1+2");
    assert_eq!(first["status"], "sent");
    assert!(first["to_number"].starts_with("+1312***"));

    // `outcomes` still finds the row, its conversation and its location column.
    let dir = out.dir.clone();
    let (code, stderr) = tokio::task::spawn_blocking(move || outcomes(&dir, "077"))
        .await
        .unwrap();
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("2 conversations read"), "{stderr}");
    let rows = read_results(&out.dir.join("appointments.outcomes.csv"));
    let row = rows.iter().find(|r| r["appointment_id"] == "=1+2").unwrap();
    assert_eq!(row["conversation_id"], first["conversation_id"]);
    assert_eq!(row["status"], "CLOSED");
    let raw = std::fs::read_to_string(out.dir.join("appointments.outcomes.csv")).unwrap();
    assert!(raw.contains("\n2,'=1+2,"), "{raw}");
}
