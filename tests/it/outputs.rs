//! Outputs never destroy each other, nor what the run reads: a preview has its own file, the
//! results are renamed into place when the run ends, and an output path that names the export,
//! the config or the ledger is refused.

use std::path::{Path, PathBuf};
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

/// A `--sandbox` rehearsal of tonight's export, after the real run, writes its own results file
/// (`NAME.results.sandbox.csv`) and leaves the real results, which the morning's `outcomes`
/// reads, byte for byte; named with `--results`, the real results are refused (exit 2) before
/// anything is sent, while an earlier rehearsal's file is replaced (the breaker's round-9
/// finding 10: the rehearsal replaced them, and `outcomes` read the sandbox's calls).
#[tokio::test(flavor = "multi_thread")]
async fn a_sandbox_rehearsal_after_a_real_run_leaves_its_results_byte_for_byte() {
    let annie = Annie::start().await;
    let t = Test::new()
        .server(&annie.base_url())
        .od_rows(&[&od_row("A1", &[]), &od_row("A2", &[])]);
    let run = t.run_async().await;
    run.assert_status(0);
    assert_eq!(run.results_path, run.dir.join("appointments.results.csv"));
    let real = std::fs::read(&run.results_path).unwrap();
    let rehearsal = [
        "--config",
        "config.toml",
        "--input",
        "appointments.csv",
        "--sandbox",
    ];

    let (status, stderr) = run_in(&run.dir, &rehearsal).await;
    assert_eq!(status, 0, "{stderr}");
    assert!(
        stderr.contains("results in appointments.results.sandbox.csv;"),
        "{stderr}"
    );
    assert_eq!(std::fs::read(&run.results_path).unwrap(), real);
    let rows = crate::harness::read_results(&run.dir.join("appointments.results.sandbox.csv"));
    let sent: Vec<_> = rows.iter().filter(|r| r["status"] == "sent").collect();
    assert_eq!(sent.len(), 2, "{rows:?}");
    for row in sent {
        assert!(!String::from_utf8_lossy(&real).contains(&row["conversation_id"]));
    }

    let named = |results: &'static str| {
        let mut args = rehearsal.to_vec();
        args.extend(["--results", results]);
        args
    };
    let (status, stderr) = run_in(&run.dir, &named("appointments.results.csv")).await;
    assert_eq!(status, 2, "{stderr}");
    let ledger = run
        .dir
        .canonicalize()
        .unwrap()
        .join("annie-dispatch.ledger.sqlite3");
    let first = &run.results()[0]["conversation_id"];
    assert_eq!(
        stderr,
        format!(
            "annie-dispatch: error: the results file (--results) `appointments.results.csv` \
             holds a real run's calls (conversation {first} is in the ledger `{}`); a --sandbox \
             rehearsal would replace it, and `outcomes` would then read the sandbox's calls \
             instead. Drop --results (a rehearsal writes NAME.results.sandbox.csv beside the \
             input), or choose another path for the results file (--results)\n",
            ledger.display()
        )
    );
    assert_eq!(std::fs::read(&run.results_path).unwrap(), real);

    // An earlier rehearsal's results are the operator's to replace.
    let (status, stderr) = run_in(&run.dir, &named("appointments.results.sandbox.csv")).await;
    assert_eq!(status, 0, "{stderr}");
    assert_eq!(std::fs::read(&run.results_path).unwrap(), real);
    // No rehearsal reached the real API.
    assert_eq!(annie.posts().await.len(), 2);
}

#[test]
fn an_output_that_names_the_input_or_the_config_is_refused() {
    let input = format!("{OD_HEADER}\n{}\n", od_row("A1", &[]));
    let config = CONFIG.replace("{BASE_URL}", "http://127.0.0.1:9");
    for (flag, name, what) in [
        ("--report", "config.toml", "the config"),
        ("--emit-requests", "appointments.csv", "the input"),
        ("--summary-json", "config.toml", "the config"),
        (
            "--summary-json",
            "annie-dispatch.ledger.sqlite3-wal",
            "the ledger's journal",
        ),
        (
            "--report",
            "annie-dispatch.ledger.sqlite3.lock",
            "the ledger's lock file",
        ),
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

/// A preview whose file would be the export itself is refused, naming the preview file
/// (breaker round 5: the message called it the results file).
#[test]
fn a_preview_file_that_would_be_the_export_is_refused_by_its_name() {
    let export = format!("{OD_HEADER}\n{}\n", od_row("A1", &[]));
    let out = Test::new()
        .input("foo.preview.csv", export)
        .results_name("foo.csv")
        .args(["--dry-run"])
        .run();
    out.assert_status(2);
    assert_eq!(
        out.stderr,
        format!(
            "annie-dispatch: error: the preview file (--dry-run) `{}` is the input file; choose \
             another --results path\n",
            out.dir.join("foo.preview.csv").display()
        )
    );
}

/// `--results r.json` used to get CSV (only `.jsonl` selects JSON Lines) without a word
/// (finding 20): refused before anything is sent, saying which names work.
#[tokio::test(flavor = "multi_thread")]
async fn a_results_name_ending_in_json_is_refused_before_anything_is_sent() {
    let annie = Annie::start().await;
    for (name, preview) in [("r.json", false), ("r.JSON", true)] {
        let mut t = Test::new()
            .server(&annie.base_url())
            .od_rows(&[&od_row("A1", &[])])
            .results_name(name);
        if preview {
            t = t.args(["--dry-run"]);
        }
        let out = t.run_async().await;
        out.assert_status(2);
        let path = out.dir.join(name);
        let stem = out.dir.join("r");
        assert_eq!(
            out.stderr,
            format!(
                "annie-dispatch: error: the results file `{}` ends in `.json`, but results are \
                 written as CSV or JSON Lines, never as one JSON document: name it `{}.jsonl` for \
                 JSON Lines or `{}.csv` for CSV\n",
                path.display(),
                stem.display(),
                stem.display()
            )
        );
        let written: Vec<_> = std::fs::read_dir(&out.dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with("r."))
            .collect();
        assert!(written.is_empty(), "{written:?}");
    }
    assert!(
        annie.requests().await.is_empty(),
        "a refused run reached the API"
    );
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

/// Files that are JSON, JSON Lines or HTML but not this tool's outputs: yesterday's appointment
/// export (a JSON object, as `[input] records` reads it, or JSON Lines), an object of another
/// program's, the office's own web page. Each output is of one of those formats, and a mistyped
/// path used to replace any of them (the breaker's round-9 finding 1).
pub(crate) fn others_files() -> [(&'static str, String); 4] {
    let sample = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/samples/nested-appointments.json"
    );
    [
        ("export.json", std::fs::read_to_string(sample).unwrap()),
        (
            "export.jsonl",
            "{\"AptNum\":\"1\",\"FName\":\"Ann\",\"WirelessPhone\":\"3125550147\"}\n\
             {\"AptNum\":\"2\",\"FName\":\"Bob\",\"WirelessPhone\":\"3125550148\"}\n"
                .to_string(),
        ),
        ("keep.json", "{\"keep\": \"me\"}\n".to_string()),
        (
            "wiki.html",
            "<!DOCTYPE html>\n<html><head><title>Office wiki</title></head><body>Important \
             office page</body></html>\n"
                .to_string(),
        ),
    ]
}

/// `--summary-json`, `--emit-requests` and `--report` replace only their own earlier file, known
/// by what only this tool writes there (the summary's keys, a request body's keys, the report's
/// mark), not by its format: a JSON or JSON Lines export and another page are refused (exit 2)
/// before anything is sent, and left as they were.
#[tokio::test(flavor = "multi_thread")]
async fn json_and_html_outputs_never_replace_an_export_or_another_page() {
    let annie = Annie::start().await;
    let dir = tempfile::tempdir().unwrap();
    let config = CONFIG.replace("{BASE_URL}", &annie.base_url());
    std::fs::write(dir.path().join("config.toml"), &config).unwrap();
    let export = format!("{OD_HEADER}\n{}\n", od_row("A1", &[]));
    std::fs::write(dir.path().join("appointments.csv"), &export).unwrap();
    for (name, text) in others_files() {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    let before = snapshot(dir.path());
    let cases = [
        ("--summary-json", "export.json", "a JSON file"),
        ("--summary-json", "export.jsonl", "a JSON file"),
        ("--summary-json", "keep.json", "a JSON file"),
        ("--emit-requests", "export.jsonl", "a JSON file"),
        ("--emit-requests", "keep.json", "a JSON file"),
        ("--report", "wiki.html", "an HTML report"),
    ];
    for (flag, name, kind) in cases {
        let args = [
            "--config",
            "config.toml",
            "--input",
            "appointments.csv",
            flag,
            name,
        ];
        let (status, stderr) = run_in(dir.path(), &args).await;
        assert_eq!(status, 2, "{flag} {name}: {stderr}");
        assert_eq!(
            stderr,
            format!(
                "annie-dispatch: error: {flag} `{name}` exists and is not {kind} this tool \
                 wrote; writing it would destroy that file. Choose another path for {flag}, or \
                 move the file away first\n"
            ),
        );
        assert_eq!(
            snapshot(dir.path()),
            before,
            "{flag} {name}: a file changed"
        );
    }
    assert!(
        annie.requests().await.is_empty(),
        "a refused run reached the API"
    );

    // Each output's own earlier file is replaced, night after night.
    let args = [
        "--config",
        "config.toml",
        "--input",
        "appointments.csv",
        "--summary-json",
        "s.json",
        "--emit-requests",
        "e.jsonl",
        "--report",
        "r.html",
    ];
    let (status, stderr) = run_in(dir.path(), &args).await;
    assert_eq!(status, 0, "{stderr}");
    let export = format!("{export}{}\n", od_row("A2", &[]));
    std::fs::write(dir.path().join("appointments.csv"), &export).unwrap();
    let (status, stderr) = run_in(dir.path(), &args).await;
    assert_eq!(status, 0, "{stderr}");
    let read = |name: &str| std::fs::read_to_string(dir.path().join(name)).unwrap();
    let summary: serde_json::Value = serde_json::from_str(&read("s.json")).unwrap();
    assert_eq!(summary["rows"], 2);
    let requests: Vec<serde_json::Value> = read("e.jsonl")
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0]["appointmentInfo"]["appointmentId"], "A2");
    assert!(read("r.html").contains("2 rows"));
    assert_eq!(annie.posts().await.len(), 2);
}

/// `annie-dispatch --no-progress run ARGS` in `dir`, with paths relative to it as an operator
/// types them (so messages can be compared whole), off the async runtime: `(status, stderr)`.
async fn run_in(dir: &Path, args: &[&str]) -> (i32, String) {
    let (dir, args): (PathBuf, Vec<String>) = (
        dir.to_path_buf(),
        args.iter().map(|a| a.to_string()).collect(),
    );
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_annie-dispatch"))
            .current_dir(dir)
            .env("ANNIE_API_KEY", "annie-sk-v1-test")
            .env_remove("RUST_LOG")
            .args(["--no-progress", "run", "--now", NOW])
            .args(args)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    (out.status.code().unwrap_or(-1), stderr)
}

/// Every file in `dir` (one level) with its bytes, and every folder's name.
fn snapshot(dir: &Path) -> std::collections::BTreeMap<String, Option<Vec<u8>>> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let path = e.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            (name, path.is_file().then(|| std::fs::read(&path).unwrap()))
        })
        .collect()
}

/// Rows go to `NAME.partial` until the run ends, then it is renamed to `NAME`: that file is
/// checked as every output is. Named like the export, the config or another output, or holding
/// something this tool did not write, or the results path a folder: a sending run stops with exit
/// 2 before anything is read or sent, and every file is as it was (the breaker's finding 3: the
/// export `r.csv.partial` and the config `z.partial` were written over and renamed away).
#[tokio::test(flavor = "multi_thread")]
async fn the_partial_results_file_never_replaces_an_input_or_another_output() {
    let annie = Annie::start().await;
    let dir = tempfile::tempdir().unwrap();
    // The export's name does not say its format (`r.csv.partial`).
    let config = CONFIG.replace("{BASE_URL}", &annie.base_url()) + "format = \"csv\"\n";
    let export = format!(
        "{OD_HEADER}\n{}\n{}\n",
        od_row("A1", &[]),
        od_row("A2", &[])
    );
    let files = [
        ("config.toml", config.as_str()),
        ("appointments.csv", export.as_str()),
        ("r.csv.partial", export.as_str()),
        ("z.partial", config.as_str()),
        ("x.csv.partial", "{\"earlier\": \"requests\"}\n"),
        ("budget.csv.partial", "month,amount\nnov,100\n"),
        ("p.preview.csv.partial", "call the lab\n"),
    ];
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    std::fs::create_dir(dir.path().join("d.csv")).unwrap();
    std::fs::write(dir.path().join("d.csv").join("keep.txt"), "keep\n").unwrap();
    std::fs::create_dir(dir.path().join("e.csv.partial")).unwrap();
    let before = snapshot(dir.path());
    let partial = "the partial results file";
    let cases: [(&[&str], String); 7] = [
        (
            &[
                "--config",
                "config.toml",
                "--input",
                "r.csv.partial",
                "--results",
                "r.csv",
            ],
            format!(
                "{partial} `r.csv.partial` (rows go there until the run ends, then it is renamed \
                 to `r.csv`) is the input `r.csv.partial` (read by this run); writing it would \
                 destroy that file. Choose another path for the results file (--results)"
            ),
        ),
        (
            &[
                "--config",
                "z.partial",
                "--input",
                "appointments.csv",
                "--results",
                "z",
            ],
            format!(
                "{partial} `z.partial` (rows go there until the run ends, then it is renamed to \
                 `z`) is the config `z.partial` (read by this run); writing it would destroy that \
                 file. Choose another path for the results file (--results)"
            ),
        ),
        (
            &[
                "--config",
                "config.toml",
                "--input",
                "appointments.csv",
                "--results",
                "x.csv",
                "--emit-requests",
                "x.csv.partial",
            ],
            format!(
                "--emit-requests `x.csv.partial` is {partial} `x.csv.partial` (also written by \
                 this run); writing it would destroy that file. Choose another path for \
                 --emit-requests"
            ),
        ),
        (
            &[
                "--config",
                "config.toml",
                "--input",
                "appointments.csv",
                "--results",
                "d.csv",
            ],
            "the results file (--results) `d.csv` is a folder, not a file: name a file for the \
             results file (--results), such as a new file in that folder"
                .to_string(),
        ),
        (
            &[
                "--config",
                "config.toml",
                "--input",
                "appointments.csv",
                "--results",
                "budget.csv",
            ],
            format!(
                "{partial} `budget.csv.partial` (rows go there until the run ends, then it is \
                 renamed to `budget.csv`) exists and is not a file this tool wrote; writing it \
                 would destroy that file. Choose another path for the results file (--results), \
                 or move the file away first"
            ),
        ),
        (
            &[
                "--config",
                "config.toml",
                "--input",
                "appointments.csv",
                "--results",
                "e.csv",
            ],
            format!(
                "{partial} `e.csv.partial` (rows go there until the run ends, then it is renamed \
                 to `e.csv`) is a folder, not a file. Choose another path for the results file \
                 (--results), or move the folder away first"
            ),
        ),
        (
            &[
                "--config",
                "config.toml",
                "--input",
                "appointments.csv",
                "--results",
                "p.csv",
                "--dry-run",
            ],
            "the partial preview file `p.preview.csv.partial` (rows go there until the run ends, \
             then it is renamed to `p.preview.csv`) exists and is not a file this tool wrote; \
             writing it would destroy that file. Choose another path for the preview file \
             (--dry-run), or move the file away first"
                .to_string(),
        ),
    ];
    for (args, message) in cases {
        let (status, stderr) = run_in(dir.path(), args).await;
        assert_eq!(status, 2, "{args:?}: {stderr}");
        assert_eq!(
            stderr,
            format!("annie-dispatch: error: {message}\n"),
            "{args:?}"
        );
        assert_eq!(snapshot(dir.path()), before, "{args:?}: a file changed");
        let kept = std::fs::read_to_string(dir.path().join("d.csv").join("keep.txt")).unwrap();
        assert_eq!(kept, "keep\n");
    }
    assert!(
        annie.requests().await.is_empty(),
        "a refused run reached the API"
    );

    // An earlier partial results file (a killed run's) is this tool's: replaced as before.
    std::fs::write(
        dir.path().join("r.csv.partial"),
        "row,appointment_id,status\n2,A1,sent\n",
    )
    .unwrap();
    let args = [
        "--config",
        "config.toml",
        "--input",
        "appointments.csv",
        "--results",
        "r.csv",
    ];
    let (status, stderr) = run_in(dir.path(), &args).await;
    assert_eq!(status, 0, "{stderr}");
    assert!(!dir.path().join("r.csv.partial").exists());
    assert_eq!(annie.posts().await.len(), 2);
}

/// An output whose folder does not exist is refused before anything is read or sent (exit 2),
/// not found out when it is written after the calls (`--report`, `--summary-json`: the
/// breaker's finding 12a), and nothing is created.
/// A preview's `--results` naming a folder is refused as a run's is, rather than written as a
/// file beside the folder (`d.preview`) or hidden in it (`./.preview`).
#[tokio::test(flavor = "multi_thread")]
async fn a_preview_whose_results_name_a_folder_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let config = CONFIG.replace("{BASE_URL}", "http://127.0.0.1:9");
    let export = format!("{OD_HEADER}\n{}\n", od_row("A1", &[]));
    std::fs::write(dir.path().join("config.toml"), &config).unwrap();
    std::fs::write(dir.path().join("appointments.csv"), &export).unwrap();
    std::fs::create_dir(dir.path().join("d")).unwrap();
    let before = snapshot(dir.path());
    for folder in ["d", "."] {
        let args = [
            "--config",
            "config.toml",
            "--input",
            "appointments.csv",
            "--dry-run",
            "--results",
            folder,
        ];
        let (status, stderr) = run_in(dir.path(), &args).await;
        assert_eq!(status, 2, "{folder}: {stderr}");
        assert_eq!(
            stderr,
            format!(
                "annie-dispatch: error: the results file (--results) `{folder}` is a folder, not \
                 a file: name a file for the results file (--results), such as a new file in \
                 that folder (the preview is written beside it, as NAME.preview.csv)\n"
            )
        );
        assert_eq!(snapshot(dir.path()), before, "{folder}: a file was written");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_output_in_a_missing_folder_is_refused_before_anything_is_sent() {
    let annie = Annie::start().await;
    let dir = tempfile::tempdir().unwrap();
    let config = CONFIG.replace("{BASE_URL}", &annie.base_url());
    let export = format!("{OD_HEADER}\n{}\n", od_row("A1", &[]));
    std::fs::write(dir.path().join("config.toml"), &config).unwrap();
    std::fs::write(dir.path().join("appointments.csv"), &export).unwrap();
    std::fs::write(dir.path().join("notes.txt"), "call the lab\n").unwrap();
    let before = snapshot(dir.path());
    let cases = [
        ("--summary-json", "nodir/s.json"),
        ("--report", "nodir/r.html"),
        ("--emit-requests", "nodir/e.jsonl"),
        ("--results", "nodir/r.csv"),
    ];
    for (flag, path) in cases {
        let what = match flag {
            "--results" => "the results file (--results)",
            flag => flag,
        };
        let args = [
            "--config",
            "config.toml",
            "--input",
            "appointments.csv",
            flag,
            path,
        ];
        let (status, stderr) = run_in(dir.path(), &args).await;
        assert_eq!(status, 2, "{flag}: {stderr}");
        assert_eq!(
            stderr,
            format!(
                "annie-dispatch: error: {what} `{path}` cannot be written: its folder `nodir` \
                 does not exist. Create the folder, or choose another path for {what}\n"
            ),
        );
        assert_eq!(snapshot(dir.path()), before, "{flag}: a file was written");
    }
    let args = [
        "--config",
        "config.toml",
        "--input",
        "appointments.csv",
        "--summary-json",
        "notes.txt/s.json",
    ];
    let (status, stderr) = run_in(dir.path(), &args).await;
    assert_eq!(status, 2, "{stderr}");
    assert_eq!(
        stderr,
        "annie-dispatch: error: --summary-json `notes.txt/s.json` cannot be written: `notes.txt` \
         is not a folder. Choose another path for --summary-json\n"
    );
    assert_eq!(snapshot(dir.path()), before);
    assert!(
        annie.requests().await.is_empty(),
        "a refused run reached the API"
    );
}

/// A real night whose every call was left uncertain (a 503 answered, nothing placed that the
/// results can name): its results file holds no conversation id, so the rehearsal's guard on the
/// ledger's conversations cannot know it. A `--sandbox` rehearsal named onto it is refused all
/// the same (exit 2, the file byte for byte), since its name does not say it is a rehearsal's
/// (round-10 finding 3: the rehearsal replaced it, and the five "check Annie" rows were gone).
#[tokio::test(flavor = "multi_thread")]
async fn a_sandbox_rehearsal_never_replaces_a_real_night_without_conversations() {
    let annie = Annie::start().await;
    annie.fail_calls(500, "internal error", None).await;
    let run = Test::new()
        .server(&annie.base_url())
        .od_rows(&[&od_row("A1", &[])])
        .run_async()
        .await;
    let rows = run.results();
    assert!(
        rows.iter().all(|r| r["conversation_id"].is_empty()),
        "{rows:?}"
    );
    let real = std::fs::read(&run.results_path).unwrap();
    let (status, stderr) = run_in(
        &run.dir,
        &[
            "--config",
            "config.toml",
            "--input",
            "appointments.csv",
            "--sandbox",
            "--results",
            "appointments.results.csv",
        ],
    )
    .await;
    assert_eq!(status, 2, "{stderr}");
    assert!(
        stderr.contains(
            "the results file (--results) `appointments.results.csv` exists and its name does \
             not say it is a rehearsal's: it may be a real night's results"
        ),
        "{stderr}"
    );
    assert_eq!(std::fs::read(&run.results_path).unwrap(), real);
}

/// The nightly command line copied with `--sandbox` (or `--dry-run`) added: the real night's
/// `--summary-json` (what monitoring reads) and `--report` (what the office reads) are refused
/// (exit 2, both files byte for byte, nothing sent), while a rehearsal's or a preview's own
/// earlier summary and report are replaced (round-10 finding 8).
#[tokio::test(flavor = "multi_thread")]
async fn a_rehearsal_or_preview_never_replaces_the_real_nights_summary_or_report() {
    let annie = Annie::start().await;
    let outputs = [
        "--summary-json",
        "last-summary.json",
        "--report",
        "last.html",
    ];
    let night = Test::new()
        .server(&annie.base_url())
        .od_rows(&[&od_row("A1", &[])])
        .args(outputs)
        .run_async()
        .await;
    night.assert_status(0);
    let (summary, report) = (night.file("last-summary.json"), night.file("last.html"));
    let base = ["--config", "config.toml", "--input", "appointments.csv"];
    for (mode, word) in [("--sandbox", "rehearsal"), ("--dry-run", "preview")] {
        let args: Vec<&str> = base
            .iter()
            .chain(&[mode])
            .chain(&outputs)
            .copied()
            .collect();
        let (status, stderr) = run_in(&night.dir, &args).await;
        assert_eq!(status, 2, "{mode}: {stderr}");
        assert!(
            stderr.contains(
                "`last.html` exists and its name does not say it is a preview's or a \
                 rehearsal's: it may be a real night's"
            ) || stderr.contains("`last-summary.json` exists and its name does not say"),
            "{mode}: {stderr}"
        );
        assert!(
            stderr.contains(word) || stderr.contains("--dry-run"),
            "{stderr}"
        );
        assert_eq!(night.file("last-summary.json"), summary, "{mode}");
        assert_eq!(night.file("last.html"), report, "{mode}");
    }
    assert_eq!(annie.posts().await.len(), 1, "nothing more was sent");

    // A rehearsal's own summary and report, whatever their names, are its to replace.
    let own = ["--summary-json", "s.json", "--report", "r.html"];
    for _ in 0..2 {
        let args: Vec<&str> = base
            .iter()
            .chain(&["--sandbox"])
            .chain(&own)
            .copied()
            .collect();
        let (status, stderr) = run_in(&night.dir, &args).await;
        assert_eq!(status, 0, "{stderr}");
    }
    assert!(night.file("r.html").contains(r#"content="rehearsal""#));
}
