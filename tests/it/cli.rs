//! The command line as an operator's shell and log shipper see it: completions that complete,
//! one man page with everything in it, JSON on stderr when asked, colour only when wanted, and
//! help that fits the terminal.

use std::process::Command;

use crate::harness::{od_row, Test, CONFIG};
use crate::mock::Annie;

fn bin() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_annie-dispatch"));
    cmd.env_remove("NO_COLOR").env_remove("RUST_LOG");
    cmd
}

fn stdout_of(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    String::from_utf8(out.stdout).unwrap()
}

fn has(program: &str) -> bool {
    Command::new(program)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
fn bash_completes_a_subcommands_flags() {
    if !has("bash") {
        eprintln!("note: bash is not installed; bash completion not tested");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("annie-dispatch.bash");
    std::fs::write(&script, stdout_of(bin().args(["completions", "bash"]))).unwrap();
    // The function `complete -F` registered, called as bash would for `annie-dispatch run --dr<TAB>`.
    let complete = |words: &str, cword: usize| {
        let probe = format!(
            r#"source "$1"
function=$(complete -p annie-dispatch | sed -E 's/.* -F ([^ ]+) .*/\1/')
COMP_WORDS=({words}); COMP_CWORD={cword}
"$function" annie-dispatch "${{COMP_WORDS[COMP_CWORD]}}" "${{COMP_WORDS[COMP_CWORD-1]}}"
printf '%s\n' "${{COMPREPLY[@]}}""#
        );
        let out = Command::new("bash")
            .args(["--norc", "--noprofile", "-c", &probe, "probe"])
            .arg(&script)
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
        String::from_utf8(out.stdout).unwrap()
    };
    let reply = complete("annie-dispatch run --dr", 2);
    assert_eq!(reply.lines().collect::<Vec<_>>(), ["--dry-run"], "{reply}");
    let reply = complete("annie-dispatch outcomes --", 2);
    assert!(
        reply.lines().any(|l| l == "--summary-json") && !reply.contains("--dry-run"),
        "{reply}"
    );
    let reply = complete("annie-dispatch ch", 1);
    assert_eq!(reply.lines().collect::<Vec<_>>(), ["check"], "{reply}");
}

#[test]
fn zsh_and_fish_scripts_name_subcommand_flags() {
    let zsh = stdout_of(bin().args(["completions", "zsh"]));
    assert!(zsh.starts_with("#compdef annie-dispatch"), "{zsh}");
    assert!(
        zsh.contains("'--dry-run[") && zsh.contains("(run)"),
        "{zsh}"
    );
    let fish = stdout_of(bin().args(["completions", "fish"]));
    assert!(
        fish.lines()
            .any(|l| l.contains("__fish_annie_dispatch_using_subcommand run")
                && l.contains("-l dry-run")),
        "{fish}"
    );
}

#[test]
fn the_man_page_documents_every_command_its_exit_statuses_environment_and_files() {
    let man = stdout_of(bin().arg("man"));
    for section in [
        ".SH \"GLOBAL OPTIONS\"",
        ".SH COMMANDS",
        ".SS \"annie-dispatch run\"",
        ".SS \"annie-dispatch outcomes\"",
        ".SS \"annie-dispatch check\"",
        ".SS \"annie-dispatch sandbox\"",
        ".SH \"EXIT STATUS\"",
        ".SH ENVIRONMENT",
        ".SH FILES",
    ] {
        assert!(man.contains(section), "{section}:\n{man}");
    }
    // Options of subcommands (roff escapes the hyphens).
    for option in [r"\-\-dry\-run", r"\-\-retry\-uncertain", r"\-\-fail\-rate"] {
        assert!(man.contains(option), "{option}");
    }
    for code in ["0", "1", "2", "75", "130", "143"] {
        assert!(man.contains(&format!("\n.TP\n\\fB{code}\\fR\n")), "{code}");
    }
    for name in [
        "ANNIE_API_KEY",
        "ANNIE_CLIENT_ID",
        "NO_COLOR",
        "RUST_LOG",
        "annie\\-dispatch.ledger.sqlite3",
        "annie\\-dispatch.sandbox\\-ledger.sqlite3",
    ] {
        assert!(man.contains(name), "{name}");
    }
    assert!(
        !man.contains("(1)"),
        "no SEE ALSO for pages that are not generated"
    );
    if has("groff") {
        let mut child = Command::new("groff")
            .args(["-man", "-Tutf8", "-ww", "-z"])
            .stdin(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(man.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(
            out.stderr.is_empty(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// Every line on stderr parses as JSON; returns them.
#[track_caller]
fn json_lines(stderr: &str) -> Vec<serde_json::Value> {
    assert!(!stderr.trim().is_empty(), "nothing on stderr");
    stderr
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect()
}

fn message(line: &serde_json::Value) -> &str {
    line["fields"]["message"].as_str().unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread")]
async fn log_format_json_makes_every_stderr_line_of_a_run_json() {
    let annie = Annie::start().await;
    let (a1, a2) = (
        od_row("A1", &[]),
        od_row("A2", &[("WirelessPhone", "555-0100")]),
    );
    let rows = [a1.as_str(), a2.as_str()];
    let out = Test::new()
        .server(&annie.base_url())
        .od_rows(&rows)
        .args(["--log-format", "json"])
        .run_async()
        .await;
    out.assert_status(1);
    let lines = json_lines(&out.stderr);
    let summary = lines.last().unwrap();
    assert_eq!(summary["level"], "INFO");
    assert!(
        message(summary).contains("results in") && message(summary).contains("1 sent"),
        "{summary}"
    );

    // A preview too.
    let out = Test::new()
        .od_rows(&rows)
        .args(["--dry-run", "--log-format=json"])
        .run();
    out.assert_status(1);
    let lines = json_lines(&out.stderr);
    assert!(
        message(lines.last().unwrap()).contains("1 dry_run"),
        "{lines:?}"
    );
}

#[test]
fn log_format_json_makes_fatal_and_usage_errors_json_and_still_redacts_keys() {
    // A key pasted where a variable's name belongs: the config error names the setting, as JSON,
    // and never the key.
    let pasted = "annie-sk-v1-7Qm2xR9vL4kT8pW3nZ6bY1cJ5hF0dG";
    let out = Test::new()
        .config(&CONFIG.replace(
            "timeout = \"5s\"",
            &format!("timeout = \"5s\"\napi_key_env = \"{pasted}\""),
        ))
        .od_rows(&[&od_row("A1", &[])])
        .args(["--log-format", "json"])
        .run();
    out.assert_status(2);
    let lines = json_lines(&out.stderr);
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert_eq!(lines[0]["level"], "ERROR");
    assert!(message(&lines[0]).contains("api_key_env"), "{lines:?}");
    assert!(!out.stderr.contains(&pasted[12..24]), "{}", out.stderr);

    // A config that cannot be read.
    let out = bin()
        .args([
            "--log-format",
            "json",
            "check",
            "--config",
            "/nonexistent/practice.toml",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let lines = json_lines(&String::from_utf8_lossy(&out.stderr));
    assert!(
        message(&lines[0]).contains("/nonexistent/practice.toml"),
        "{lines:?}"
    );

    // A command line clap refuses.
    let out = bin()
        .args(["run", "--log-format=json", "--no-such-flag"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let lines = json_lines(&String::from_utf8_lossy(&out.stderr));
    assert_eq!(lines.len(), 1);
    assert!(message(&lines[0]).contains("--no-such-flag"), "{lines:?}");
}

/// Runs `args` with stdout and stderr on a terminal (util-linux `script`), `NO_COLOR` as given.
fn at_a_terminal(args: &str, no_color: Option<&str>) -> Option<String> {
    if !has("script") {
        return None;
    }
    let exe = env!("CARGO_BIN_EXE_annie-dispatch");
    let mut cmd = Command::new("script");
    cmd.args(["-qec", &format!("'{exe}' {args}"), "/dev/null"])
        .env_remove("NO_COLOR")
        .env("TERM", "xterm-256color")
        .env_remove("CLICOLOR")
        .env_remove("CLICOLOR_FORCE");
    if let Some(v) = no_color {
        cmd.env("NO_COLOR", v);
    }
    let out = cmd.output().ok()?;
    Some(String::from_utf8_lossy(&out.stdout).into_owned())
}

#[test]
fn no_color_and_a_pipe_turn_colour_off() {
    const ESC: &str = "\x1b[";
    // A pipe: never colour.
    let out = bin().args(["run", "--no-such-flag"]).output().unwrap();
    assert!(!String::from_utf8_lossy(&out.stderr).contains(ESC));
    let out = bin()
        .args(["check", "--config", "/nonexistent/practice.toml", "-v"])
        .output()
        .unwrap();
    assert!(!String::from_utf8_lossy(&out.stderr).contains(ESC));

    let Some(coloured) = at_a_terminal("run --no-such-flag", None) else {
        eprintln!("note: `script` is not installed; colour at a terminal not tested");
        return;
    };
    assert!(coloured.contains(ESC), "colour at a terminal: {coloured:?}");
    for value in ["1", "true"] {
        let plain = at_a_terminal("run --no-such-flag", Some(value)).unwrap();
        assert!(!plain.contains(ESC), "NO_COLOR={value}: {plain:?}");
        assert!(plain.contains("--no-such-flag"), "{plain:?}");
    }
    // An empty NO_COLOR does not count.
    let coloured = at_a_terminal("run --no-such-flag", Some("")).unwrap();
    assert!(coloured.contains(ESC), "{coloured:?}");
}

#[test]
fn help_wraps_to_the_terminal_and_lists_global_options_apart() {
    for width in ["60", "80"] {
        let help = stdout_of(bin().env("COLUMNS", width).args(["run", "--help"]));
        // (clap never breaks the usage line)
        let lines = help.lines().filter(|l| !l.starts_with("Usage: "));
        let widest = lines.map(|l| l.chars().count()).max().unwrap();
        assert!(
            widest <= width.parse().unwrap(),
            "{widest} > {width}:\n{help}"
        );
        let (own, global) = help.split_once("\nGlobal options:\n").expect(&help);
        assert!(
            own.contains("--dry-run") && !own.contains("--log-format"),
            "{help}"
        );
        assert!(
            global.contains("--log-format") && global.contains("--quiet"),
            "{help}"
        );
    }
}

/// A closed stderr (a pipe into `head`, a log shipper restarting) loses log lines, never the
/// run: every row still gets its result and the exit status is the run's own.
#[test]
fn a_closed_stderr_does_not_stop_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let results = dir.path().join("r.csv");
    let mut child = crate::harness::readme_sandbox_run(&results, &["-v"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Nobody reads stderr: every write to it fails with a broken pipe.
    drop(child.stderr.take());
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0));
    let rows = crate::harness::read_results(&results);
    assert_eq!(rows.len(), 10);
    assert_eq!(rows.iter().filter(|r| r["status"] == "sent").count(), 5);
}

/// `--now` rehearses a date: a preview, `check`, or a run against an API on this machine. A run
/// that would call real patients goes by the real clock, so `--now` there is refused before
/// anything is read or sent (the legal calling hours and the ledger's times depend on it).
#[test]
fn now_is_refused_for_a_run_that_would_call_real_patients() {
    let t = Test::new()
        .server("https://api.helloannie.com/v1")
        .od_rows(&[&od_row("A1", &[])]);
    let out = t.run();
    out.assert_status(2);
    assert!(
        out.stderr
            .contains("--now pins the clock that calling hours, \"past\" and the ledger's times"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("`https://api.helloannie.com/v1`"),
        "{}",
        out.stderr
    );
    assert!(!out.results_path.exists());
    t.clone().args(["--dry-run"]).run().assert_status(0);
}
