//! Start-up errors: exit 2, nothing sent, and a message that names the file, line and key.
//! The wording is pinned here on purpose: the operator reads it at 3 a.m.

use crate::harness::{od_row, Test, CONFIG};
use crate::mock::Annie;

fn with_config(config: &str) -> Test {
    Test::new().config(config).od_rows(&[&od_row("A1", &[])])
}

#[track_caller]
fn assert_error(out: &crate::harness::Output, expected: &str) {
    out.assert_status(2);
    assert_eq!(
        out.stderr.trim_end(),
        format!("annie-dispatch: error: {expected}")
    );
    assert!(
        !out.results_path.exists(),
        "no results file on a start-up error"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_misspelt_key_names_the_line_and_the_key_and_sends_nothing() {
    let annie = Annie::start().await;
    let config = CONFIG.replace("requests_per_minute", "request_per_minute");
    let out = with_config(&config)
        .server(&annie.base_url())
        .run_async()
        .await;
    out.assert_status(2);
    let config_path = out.dir.join("config.toml");
    assert_eq!(
        out.stderr,
        format!(
            "annie-dispatch: error: config file `{}` is not valid: TOML parse error at line 13, column 1
   |
13 | request_per_minute = 6000
   | ^^^^^^^^^^^^^^^^^^
unknown field `request_per_minute`, expected one of `requests_per_minute`, `max_in_flight`, `connect_attempts`, `rate_limit_retries`, `server_error_attempts`, `breaker_after`, `reconcile_pages`, `same_number_spacing`

",
            config_path.display()
        )
    );
    assert!(annie.requests().await.is_empty());
}

/// A `[templates] voicemail` that stops the run at start-up, with `message` after the
/// file, line and key.
fn assert_voicemail_refused(voicemail: &str, message: &str) {
    let config = format!("{CONFIG}\n[templates]\nvoicemail = \"{voicemail}\"\n");
    let out = with_config(&config).args(["--dry-run"]).run();
    assert_refused_at(&out, &config, "voicemail", "[templates] voicemail", message);
}

/// A run of `config` stopped at start-up, with `message` after the file, the line that starts
/// with `line_start`, and `key`.
#[track_caller]
fn assert_refused_at(
    out: &crate::harness::Output,
    config: &str,
    line_start: &str,
    key: &str,
    message: &str,
) {
    let line = config
        .lines()
        .position(|l| l.starts_with(line_start))
        .unwrap()
        + 1;
    let config_path = out.dir.join("config.toml");
    assert_error(
        out,
        &format!("{}:{line}: {key}: {message}", config_path.display()),
    );
}

#[test]
fn an_unknown_template_variable_fails_at_start_up() {
    assert_voicemail_refused(
        "Hi {{ frist_name }}, call {{ callback_number }}",
        "unknown variable `frist_name`; templates can use: practice_name, callback_number, first_name, last_name, appointment_type, appointment_description, appointment_when, appointment_day, appointment_time, appointments",
    );
}

#[test]
fn a_voicemail_that_names_the_patient_fails_at_start_up() {
    assert_voicemail_refused(
        "Hi {{ first_name }}, call {{ callback_number }}",
        "uses `first_name`, which anyone who hears the voicemail would hear (a family member, a colleague); a voicemail may use practice_name, callback_number, appointment_when, appointment_day and appointment_time",
    );
}

#[test]
fn a_voicemail_that_prints_the_context_or_brings_in_another_template_fails_at_start_up() {
    assert_voicemail_refused(
        "Hello from the office. {{ (debug()|string)[380:820] }}",
        "uses `debug`, which templates do not have: it prints every variable, the patient's name and appointment included; name the variables the text needs",
    );
    assert_voicemail_refused(
        "Hello. {% include 'context' %}",
        "uses `{% include %}`, which would bring another template's text (the context's, with the patient's name) into the voicemail; a voicemail is a text of its own",
    );
    assert_voicemail_refused(
        "Hi {{ first_name[0:] }}, call {{ callback_number }}",
        "uses `first_name`, which anyone who hears the voicemail would hear (a family member, a colleague); a voicemail may use practice_name, callback_number, appointment_when, appointment_day and appointment_time",
    );
}

#[test]
fn a_missing_api_key_variable_is_named() {
    let out = with_config(CONFIG).without_env("ANNIE_API_KEY").run();
    assert_error(
        &out,
        "environment variable `ANNIE_API_KEY` (the default for [api] api_key_env) is not set or empty; export the Annie API key in it (the key never goes in the config file); a preview (`run --dry-run`) needs no key",
    );

    let config = CONFIG.replace(
        "timeout = \"5s\"",
        "timeout = \"5s\"\napi_key_env = \"BRIGHT_SMILE_KEY\"",
    );
    let out = with_config(&config).run();
    assert_error(
        &out,
        &format!(
            "environment variable `BRIGHT_SMILE_KEY` (named by [api] api_key_env at {}:5) is not set or empty; export the Annie API key in it (the key never goes in the config file); a preview (`run --dry-run`) needs no key",
            out.dir.join("config.toml").display()
        ),
    );
}

/// A realistic key: what an operator might paste where a variable's name belongs.
const PASTED: &str = "annie-sk-v1-7Qm2xR9vL4kT8pW3nZ6bY1cJ5hF0dG";

/// Neither the key nor any 12-character piece of it is in `text`.
#[track_caller]
fn assert_never_printed(text: &str) {
    let chars: Vec<char> = PASTED.chars().collect();
    for piece in chars.windows(12) {
        let piece: String = piece.iter().collect();
        assert!(!text.contains(&piece), "`{piece}` was printed:\n{text}");
    }
}

#[test]
fn a_key_pasted_where_a_variable_name_belongs_is_never_printed() {
    let cases = [
        (
            "api_key_env",
            CONFIG.replace(
                "timeout = \"5s\"",
                &format!("timeout = \"5s\"\napi_key_env = \"{PASTED}\""),
            ),
            "5: [api] api_key_env",
        ),
        (
            "client_secret_env",
            CONFIG.replace(
                "timeout = \"5s\"",
                &format!(
                    "timeout = \"5s\"\n[api.oauth]\ntoken_url = \"http://127.0.0.1:9/token\"\n\
                     client_secret_env = \"{PASTED}\""
                ),
            ),
            "7: [api.oauth] client_secret_env",
        ),
    ];
    for (setting, config, at) in cases {
        // A preview needs no key, but it still checks where the key would come from.
        let previews: &[&[&str]] = match setting {
            "api_key_env" => &[&[], &["--dry-run"]],
            _ => &[&[]],
        };
        for args in previews {
            let out = with_config(&config)
                .env("ANNIE_CLIENT_ID", "bright-smile")
                .args(args.iter().copied())
                .run();
            let path = out.dir.join("config.toml");
            assert_error(
                &out,
                &format!(
                    "{}:{at}: must name an environment variable, but its value looks like a key \
                     itself (not printed here). Put the key in an environment variable (`export \
                     {var}=...`, or a line in the service's env file), set {setting} = \"{var}\", \
                     and, as the key has been stored in the config file, consider replacing it \
                     with a new one",
                    path.display(),
                    var = if setting == "api_key_env" {
                        "ANNIE_API_KEY"
                    } else {
                        "ANNIE_CLIENT_SECRET"
                    },
                ),
            );
            assert_never_printed(&out.stderr);
            assert_never_printed(&out.stdout);
        }
    }
}

#[test]
fn a_key_in_a_line_the_config_parser_quotes_is_blanked_out() {
    // An unknown key: the TOML parser's message quotes the whole line.
    let config = CONFIG.replace(
        "timeout = \"5s\"",
        &format!("timeout = \"5s\"\napi_key = \"{PASTED}\""),
    );
    let out = with_config(&config).run();
    out.assert_status(2);
    assert!(
        out.stderr
            .contains("api_key = \"[value that looks like a key, not printed]\"")
            && out.stderr.contains("unknown field `api_key`"),
        "{}",
        out.stderr
    );
    assert_never_printed(&out.stderr);
    // A value that names no variable, but is no key either, is quoted so it can be fixed.
    let config = CONFIG.replace(
        "timeout = \"5s\"",
        "timeout = \"5s\"\napi_key_env = \"$ANNIE_API_KEY\"",
    );
    let out = with_config(&config).run();
    assert_error(
        &out,
        &format!(
            "{}:5: [api] api_key_env: `$ANNIE_API_KEY` is not an environment variable name \
             (letters, digits and _, not starting with a digit); name the variable that holds the \
             secret, e.g. api_key_env = \"ANNIE_API_KEY\"",
            out.dir.join("config.toml").display()
        ),
    );
}

#[test]
fn plain_http_is_refused_except_to_this_machine() {
    let out = with_config(CONFIG)
        .server("http://api.example.com/v1")
        .run();
    assert_error(
        &out,
        &format!(
            "{}:3: [api] base_url: `http://api.example.com/v1` uses plain http; patient data needs https (http is allowed only for localhost)",
            out.dir.join("config.toml").display()
        ),
    );
}

#[test]
fn value_errors_name_the_file_line_and_key() {
    let cases = [
        (
            CONFIG.replace("America/Chicago", "America/Chicag"),
            "8: [practice] timezone: `America/Chicag` is not an IANA time zone name; use one such as America/Chicago",
        ),
        (
            CONFIG.replace("from_number = \"+13125550100\"", "from_number = \"555-0100\""),
            "9: [practice] from_number: `555-0100` is not a valid phone number",
        ),
        (
            CONFIG.replace("preset = \"opendental\"", "preset = \"opendentl\""),
            "17: [input] preset: `opendentl` is not a preset; choose one of: opendental, dentrix",
        ),
        (
            format!("{CONFIG}[selection]\nwindow = \"next week\"\n"),
            "19: [selection] window: `next week` is not a window: use \"tomorrow\" or a range of hours from the start of calling hours such as \"12h-48h\"",
        ),
        (
            CONFIG.replace("requests_per_minute = 6000", "requests_per_minute = 0"),
            "13: [dispatch] requests_per_minute: must be at least 1",
        ),
        (
            CONFIG.replace("timezone = \"America/Chicago\"\n", ""),
            "7: [practice] timezone is missing: set it (or declare [[locations]] for a group)",
        ),
        (
            format!("{CONFIG}[[languages]]\nname = \"SPANISH\"\nvalues = [\"spa\"]\n"),
            "19: [[languages]] \"SPANISH\": from_number is missing: name the Annie number set to this language",
        ),
        (
            // The line of the bad entry, not of the key.
            CONFIG.replace(
                "callback_number = \"(312) 555-0199\"",
                "callback_number = \"(312) 555-0199\"\nallowed_countries = [\n  \"CA\",\n  \"UK\",\n]",
            ),
            "13: [practice] allowed_countries: `UK` is not a two-letter region code such as US or CA (ISO 3166, as libphonenumber uses them: the United Kingdom is GB)",
        ),
        (
            CONFIG.replace(
                "callback_number = \"(312) 555-0199\"",
                "callback_number = \"(312) 555-0199\"\nallowed_number_types = [\"toll-free\"]",
            ),
            "11: [practice] allowed_number_types: `toll-free` is not a type that can be allowed; choose from \"voip\", \"personal\" (mobile and fixed-line numbers are always called; toll-free, premium-rate, shared-cost, pager, UAN and voicemail numbers never are)",
        ),
    ];
    for (config, expected) in cases {
        let out = with_config(&config).args(["--dry-run"]).run();
        let path = out.dir.join("config.toml");
        assert_error(&out, &format!("{}:{expected}", path.display()));
    }
}

#[test]
fn a_mapped_column_missing_from_the_header_lists_the_headers_found() {
    let config = CONFIG.replace(
        "preset = \"opendental\"",
        "preset = \"opendental\"\n[input.columns]\nphones = [\"CellPhone\", \"HmPhone\"]",
    );
    let out = with_config(&config).args(["--dry-run"]).run();
    let input = out.dir.join("appointments.csv");
    assert_error(
        &out,
        &format!(
            "export `{}`: column `CellPhone` (mapped by [input.columns] phones) is not in the file; columns found: AptNum, PatNum, LName, FName, Birthdate, WirelessPhone, HmPhone, WkPhone, AptDateTime, Pattern, AptStatus, Confirmed, ProcDescript",
            input.display()
        ),
    );
}

#[test]
fn a_stale_export_is_refused_unless_allowed() {
    let out = with_config(CONFIG)
        .now(Some("2099-01-01T00:00:00Z"))
        .args(["--dry-run"])
        .run();
    out.assert_status(2);
    assert!(
        out.stderr.contains("more than [input] max_export_age (24h); appointments may have moved or been cancelled since. Export the schedule again, or pass --allow-stale to use it anyway"),
        "{}",
        out.stderr
    );
    let out = with_config(CONFIG)
        .now(Some("2099-01-01T00:00:00Z"))
        .args(["--dry-run", "--allow-stale"])
        .run();
    // Allowed, and then every appointment is in the past.
    out.assert_status(0);
    assert_eq!(
        out.result_for("A1")["reason"],
        "appointment time has already passed"
    );
}

#[test]
fn usage_errors_exit_2() {
    let out = Test::new().args(["--limit", "many"]).run();
    out.assert_status(2);
    assert!(
        out.stderr
            .contains("invalid value 'many' for '--limit <N>'"),
        "{}",
        out.stderr
    );
}

/// Two `[[languages]]` blocks that share a value (finding 20): a patient whose language is `es`
/// could be called in either, and the first used to win without a word. The run and `check`
/// refuse at start-up, naming both blocks and the value.
#[test]
fn two_languages_sharing_a_value_are_refused_naming_both() {
    let config = format!(
        "{CONFIG}[[languages]]\nname = \"SPANISH\"\nvalues = [\"es\", \"spa\"]\nfrom_number = \"+13125550101\"\n\
         [[languages]]\nname = \"PORTUGUESE\"\nvalues = [\"pt\", \" ES\"]\nfrom_number = \"+13125550102\"\n"
    );
    let out = with_config(&config).args(["--dry-run"]).run();
    let path = out.dir.join("config.toml");
    let expected = format!(
        "{}:24: [[languages]] values: `ES` is in both [[languages]] \"SPANISH\" (line 19) and \
         [[languages]] \"PORTUGUESE\": a patient whose language is `ES` could be called in \
         either. Keep the value in one of them",
        path.display()
    );
    assert_error(&out, &expected);

    let check = std::process::Command::new(env!("CARGO_BIN_EXE_annie-dispatch"))
        .current_dir(&out.dir)
        .env_remove("ANNIE_API_KEY")
        .args(["check", "--config", "config.toml"])
        .output()
        .unwrap();
    assert_eq!(check.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&check.stderr);
    assert!(
        stderr.contains(
            "`ES` is in both [[languages]] \"SPANISH\" (line 19) and [[languages]] \"PORTUGUESE\""
        ),
        "{stderr}"
    );
}

/// One block may repeat its own value: nothing is ambiguous.
#[test]
fn a_language_block_repeating_its_own_value_is_accepted() {
    let config = format!(
        "{CONFIG}[[languages]]\nname = \"SPANISH\"\nvalues = [\"es\", \"ES\"]\nfrom_number = \"+13125550101\"\n"
    );
    with_config(&config)
        .args(["--dry-run"])
        .run()
        .assert_status(0);
}

/// `[api] timeout = "0s"` would end every request before Annie answers (each one uncertain):
/// refused at start-up, naming the line (round-6 note: it was accepted).
#[test]
fn a_zero_api_timeout_is_refused() {
    let config = CONFIG.replace("timeout = \"5s\"", "timeout = \"0s\"");
    let message = "a timeout of zero would end every request before Annie could answer; give a \
                   few seconds at least, such as \"30s\" (the default)";
    let out = with_config(&config).run();
    assert_refused_at(&out, &config, "timeout", "[api] timeout", message);
    // The preview (which needs no API) says what would stop the sending run.
    let preview = with_config(&config).args(["--dry-run"]).run();
    preview.assert_status(0);
    let line = config
        .lines()
        .position(|l| l.starts_with("timeout"))
        .unwrap()
        + 1;
    let config_path = preview.dir.join("config.toml");
    let warning = format!(
        "a sending run would stop before calling anyone: {}:{line}: [api] timeout: {message}",
        config_path.display()
    );
    assert!(preview.stderr.contains(&warning), "{}", preview.stderr);
}
