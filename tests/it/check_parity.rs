//! `check` agrees with `run`: every error a sending run gives at start-up, before it calls
//! anyone, `check` gives too, with the same exit status and the same words.

use std::path::Path;
use std::process::Command;

use crate::harness::{od_row, Test, CONFIG, NOW, OD_HEADER};
use crate::mock::Annie;

/// Runs the binary with `args` in `dir`, every proxy pointed at a closed loopback port (so a
/// case that wrongly got past start-up could not reach anything), and the API key set or not.
fn annie_dispatch(dir: &Path, args: &[&str], key: bool) -> (i32, String, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_annie-dispatch"));
    cmd.current_dir(dir)
        .env_remove("ANNIE_API_KEY")
        .env_remove("ANNIE_CLIENT_ID")
        .env_remove("ANNIE_CLIENT_SECRET")
        .env("HTTPS_PROXY", "http://127.0.0.1:9")
        .env("HTTP_PROXY", "http://127.0.0.1:9")
        .env("ALL_PROXY", "http://127.0.0.1:9")
        .arg("--no-progress")
        .args(args);
    if key {
        cmd.env("ANNIE_API_KEY", "annie-sk-v1-test");
    }
    let out = cmd.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `run` and `check` on the same config and export: both exit 2, and `check` says what `run`
/// said (the error line, less its prefix).
fn assert_both_refuse(dir: &Path, case: &str, key: bool) {
    assert_both_refuse_at(dir, case, key, Some(NOW));
}

/// With `now`, both commands pretend it is that time; without, both go by the clock (as a run
/// that would call real patients must).
fn assert_both_refuse_at(dir: &Path, case: &str, key: bool, now: Option<&str>) {
    let args = |command: &'static str| {
        let mut args = vec![
            command,
            "--config",
            "config.toml",
            "--input",
            "appointments.csv",
        ];
        args.extend(now.iter().flat_map(|now| ["--now", *now]));
        args
    };
    let results = dir.join("appointments.results.csv");
    let before = std::fs::read(&results).ok();
    let (run_code, _, run_err) = annie_dispatch(dir, &args("run"), key);
    let (check_code, check_out, check_err) = annie_dispatch(dir, &args("check"), key);
    assert_eq!(run_code, 2, "{case}: run: {run_err}");
    assert_eq!(check_code, 2, "{case}: check: {check_out}{check_err}");
    let error = run_err
        .lines()
        .find_map(|l| l.strip_prefix("annie-dispatch: error: "))
        .unwrap_or_else(|| panic!("{case}: run printed no error: {run_err}"));
    assert!(
        check_err.contains(error) || check_out.contains(error),
        "{case}: check does not say what run said ({error}):\n{check_out}{check_err}"
    );
    assert_eq!(
        std::fs::read(&results).ok(),
        before,
        "{case}: the results file is as it was"
    );
}

#[test]
fn every_start_up_error_of_run_is_an_error_of_check_with_the_same_exit_status() {
    let dead = "http://127.0.0.1:9/v1";
    let long = "x".repeat(501);
    let with_oauth = format!(
        "{}[api.oauth]\ntoken_url = \"http://127.0.0.1:9/oauth/token\"\n",
        CONFIG.replace("{BASE_URL}", dead)
    );
    let cases: Vec<(&str, String, bool)> = vec![
        (
            "no scheme",
            CONFIG.replace("{BASE_URL}", "api.example.com/v1"),
            true,
        ),
        (
            "plain http to a remote host",
            CONFIG.replace("{BASE_URL}", "http://api.example.com/v1"),
            true,
        ),
        (
            "a timeout that is no duration",
            CONFIG
                .replace("{BASE_URL}", dead)
                .replace("timeout = \"5s\"", "timeout = \"5 parsecs\""),
            true,
        ),
        (
            "the key variable unset",
            CONFIG.replace("{BASE_URL}", dead),
            false,
        ),
        ("OAuth variables unset", with_oauth, false),
        (
            "a template always over 500 characters",
            format!(
                "{}[templates]\nvoicemail = \"{long}\"\n",
                CONFIG.replace("{BASE_URL}", dead)
            ),
            true,
        ),
        (
            "a voicemail that prints the context with debug()",
            format!(
                "{}[templates]\nvoicemail = \"Hello from the office. {{{{ (debug()|string)[380:820] }}}}\"\n",
                CONFIG.replace("{BASE_URL}", dead)
            ),
            true,
        ),
        (
            "a by_type context that names only a household's first appointment",
            format!(
                "{}[templates.by_type.\"New Patient\"]\ncontext = \"{{{{ practice_name }}}}: {{{{ first_name }}}}'s first visit on {{{{ appointment_when }}}}.\"\n",
                CONFIG.replace("{BASE_URL}", dead)
            ),
            true,
        ),
        (
            "a ledger folder that does not exist",
            format!(
                "{}[state]\nledger = \"no/such/folder/ledger.sqlite3\"\n",
                CONFIG.replace("{BASE_URL}", dead)
            ),
            true,
        ),
    ];
    for (case, config, key) in cases {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("config.toml"), &config).unwrap();
        let export = format!("{OD_HEADER}\n{}\n", od_row("A1", &[]));
        std::fs::write(dir.path().join("appointments.csv"), export).unwrap();
        assert_both_refuse(dir.path(), case, key);
    }
}

/// The breaker's voicemail: minijinja's `debug()` sliced to show the patient's name and
/// procedure. `check` refuses it (exit 2), naming `debug`, the file and the line.
#[test]
fn check_refuses_a_voicemail_that_calls_debug() {
    let dir = tempfile::tempdir().unwrap();
    let config = format!(
        "{}[templates]\nvoicemail = \"Hello from the office. {{{{ (debug()|string)[380:820] }}}}\"\n",
        CONFIG.replace("{BASE_URL}", "http://127.0.0.1:9/v1")
    );
    std::fs::write(dir.path().join("config.toml"), &config).unwrap();
    let line = config
        .lines()
        .position(|l| l.starts_with("voicemail"))
        .unwrap()
        + 1;
    let (code, stdout, stderr) =
        annie_dispatch(dir.path(), &["check", "--config", "config.toml"], true);
    assert_eq!(code, 2, "{stdout}{stderr}");
    assert!(
        stderr.contains(&format!(
            "config.toml:{line}: [templates] voicemail: uses `debug`, which templates do not have"
        )),
        "{stderr}"
    );
    assert!(!stdout.contains("templates: valid"), "{stdout}");
}

#[test]
fn a_stale_export_stops_check_as_it_stops_run() {
    let dir = tempfile::tempdir().unwrap();
    let config = CONFIG.replace("{BASE_URL}", "http://127.0.0.1:9/v1");
    std::fs::write(dir.path().join("config.toml"), config).unwrap();
    let export = format!("{OD_HEADER}\n{}\n", od_row("A1", &[]));
    std::fs::write(dir.path().join("appointments.csv"), export).unwrap();
    // Written now, checked as if three days had passed: older than max_export_age (24h).
    let later = (chrono::Utc::now() + chrono::Duration::days(3)).to_rfc3339();
    assert_both_refuse_at(dir.path(), "a stale export", true, Some(&later));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_ledger_that_belongs_to_another_api_stops_check_as_it_stops_run() {
    let annie = Annie::start().await;
    let t = Test::new()
        .server(&annie.base_url())
        .od_rows(&[&od_row("A1", &[])]);
    let first = t.run_async().await;
    first.assert_status(0);
    let config = std::fs::read_to_string(first.dir.join("config.toml")).unwrap();
    let moved = config.replace(&annie.base_url(), "https://api.helloannie.com/v1");
    std::fs::write(first.dir.join("config.toml"), moved).unwrap();
    let dir = first.dir.clone();
    // The production API: a run that would call real patients goes by the clock.
    tokio::task::spawn_blocking(move || assert_both_refuse_at(&dir, "another API", true, None))
        .await
        .unwrap();
    assert_eq!(annie.posts().await.len(), 1);
}

#[test]
fn with_oauth_check_asks_for_no_api_key() {
    let dir = tempfile::tempdir().unwrap();
    let config = format!(
        "{}[api.oauth]\ntoken_url = \"http://127.0.0.1:9/oauth/token\"\n",
        CONFIG.replace("{BASE_URL}", "http://127.0.0.1:9/v1")
    );
    std::fs::write(dir.path().join("config.toml"), config).unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_annie-dispatch"));
    let out = cmd
        .current_dir(dir.path())
        .env_remove("ANNIE_API_KEY")
        .env("ANNIE_CLIENT_ID", "client-1")
        .env("ANNIE_CLIENT_SECRET", "s3cret")
        .args(["check", "--config", "config.toml"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(!stdout.contains("ANNIE_API_KEY"), "{stdout}");
    assert!(stdout.contains("api and ledger: ready"), "{stdout}");
}
