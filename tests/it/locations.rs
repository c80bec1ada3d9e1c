//! A group of practices: one export, two locations, each its own Annie organisation (here, its
//! own sandbox with its own key, numbers, zone and rate limit).

use std::collections::BTreeMap;

use serde_json::Value;

use annie_dispatch::sandbox::Sandbox;

use crate::harness::{od_row, test_sandbox, Test, OD_HEADER};

/// North (Chicago) has a Spanish number; West (Los Angeles) does not, and allows 10 calls a
/// minute. `{NORTH}` and `{WEST}` are the two sandboxes.
const GROUP: &str = r#"
[api]
timeout = "5s"

[practice]
name = "Bright Smiles Group"

[dispatch]
max_in_flight = 4

[input]
preset = "opendental"

[input.columns]
location = "ClinicNum"
language = "Language"

[[languages]]
name = "SPANISH"
values = ["spa", "Spanish"]
context = "Llamada de {{ practice_name }} para confirmar {% for a in appointments %}la cita de {{ a.first_name }}{% if not loop.last %}, {% endif %}{% endfor %}."

[[locations]]
id = "1"
name = "Bright Smiles North"
timezone = "America/Chicago"
from_number = "+13125550100"
from_numbers = { SPANISH = "+13125550101" }
api_key_env = "ANNIE_KEY_NORTH"
base_url = "{NORTH}"
requests_per_minute = 6000

[[locations]]
id = "2"
name = "Bright Smiles West"
timezone = "America/Los_Angeles"
from_number = "+12135550100"
api_key_env = "ANNIE_KEY_WEST"
base_url = "{WEST}"
requests_per_minute = 10
"#;

const NORTH_KEY: &str = "annie-sk-north";
const WEST_KEY: &str = "annie-sk-west";

/// Export rows on `day`, each `(appointment id, ClinicNum, language)`.
fn rows(day: &str, specs: &[(&str, &str, &str)]) -> Vec<String> {
    let start = format!("{day} 10:00:00");
    specs
        .iter()
        .map(|(apt, clinic, language)| {
            let row = od_row(apt, &[("AptDateTime", start.as_str())]);
            format!("{row},{clinic},{language}")
        })
        .collect()
}

fn export(rows: &[String]) -> String {
    format!("{OD_HEADER},ClinicNum,Language\n{}\n", rows.join("\n"))
}

/// The two organisations' sandboxes, logging to `north.jsonl` and `west.jsonl` in `dir`.
struct Group {
    dir: tempfile::TempDir,
    urls: (String, String),
    sandboxes: Vec<Sandbox>,
}

impl Group {
    /// Both sandboxes with their clocks at `now`; West allows `west_rpm` calls a minute.
    async fn start(now: &str, west_rpm: u32) -> Group {
        Group::start_with(now, west_rpm, |_| {}).await
    }

    /// The same, North's sandbox set up further by `north`.
    async fn start_with(
        now: &str,
        west_rpm: u32,
        north: impl FnOnce(&mut annie_dispatch::sandbox::SandboxConfig),
    ) -> Group {
        Group::start_both(now, west_rpm, north, |_| {}).await
    }

    /// The same, each sandbox set up further by `each` (which location calls a shared number
    /// first is not fixed, so both organisations' patients say the same).
    async fn start_each(
        now: &str,
        west_rpm: u32,
        each: impl Fn(&mut annie_dispatch::sandbox::SandboxConfig),
    ) -> Group {
        Group::start_both(now, west_rpm, &each, &each).await
    }

    /// The two sandboxes, North's set up further by `north` and West's by `west`.
    async fn start_both(
        now: &str,
        west_rpm: u32,
        north: impl FnOnce(&mut annie_dispatch::sandbox::SandboxConfig),
        west: impl FnOnce(&mut annie_dispatch::sandbox::SandboxConfig),
    ) -> Group {
        let (tweak_north, tweak_west) = (north, west);
        let dir = tempfile::tempdir().unwrap();
        let now = chrono::DateTime::parse_from_rfc3339(now)
            .unwrap()
            .with_timezone(&chrono::Utc);
        let north = test_sandbox(NORTH_KEY, &dir.path().join("north.jsonl"), |c| {
            c.from_numbers.push("+13125550101".into());
            c.now = Some(now);
            tweak_north(c);
        })
        .await;
        let west = test_sandbox(WEST_KEY, &dir.path().join("west.jsonl"), |c| {
            c.from_numbers = vec!["+12135550100".into()];
            c.timezone = chrono_tz::America::Los_Angeles;
            c.rpm = west_rpm;
            c.now = Some(now);
            tweak_west(c);
        })
        .await;
        Group {
            dir,
            urls: (north.base_url(), west.base_url()),
            sandboxes: vec![north, west],
        }
    }

    /// The group config pointed at these sandboxes.
    fn config(&self) -> String {
        GROUP
            .replace("{NORTH}", &self.urls.0)
            .replace("{WEST}", &self.urls.1)
    }

    /// A run of `rows` with both locations' keys set.
    fn test(&self, rows: &[String]) -> Test {
        group_test(&self.config(), rows)
    }

    /// The POSTs one sandbox (`north` or `west`) logged.
    fn posts(&self, which: &str) -> Vec<Value> {
        self.log(which)
            .into_iter()
            .filter(|e| e["method"] == "POST")
            .collect()
    }

    /// The reads of single conversations one sandbox logged (refused ones included).
    fn conversation_reads(&self, which: &str) -> Vec<Value> {
        self.log(which)
            .into_iter()
            .filter(|e| {
                e["path"]
                    .as_str()
                    .unwrap_or("")
                    .starts_with("/v1/conversations/")
            })
            .collect()
    }

    fn log(&self, which: &str) -> Vec<Value> {
        crate::harness::sandbox_log(&self.dir.path().join(format!("{which}.jsonl")))
    }

    async fn stop(&mut self) {
        for sandbox in self.sandboxes.drain(..) {
            sandbox.stop().await;
        }
    }
}

/// The group config for runs that send nothing.
fn offline_config() -> String {
    GROUP
        .replace("{NORTH}", "https://north.example.com/v1")
        .replace("{WEST}", "https://west.example.com/v1")
}

fn group_test(config: &str, rows: &[String]) -> Test {
    Test::new()
        .config(config)
        .without_env("ANNIE_API_KEY")
        .env("ANNIE_KEY_NORTH", NORTH_KEY)
        .env("ANNIE_KEY_WEST", WEST_KEY)
        .input("appointments.csv", export(rows))
}

#[tokio::test(flavor = "multi_thread")]
async fn each_location_calls_through_its_own_organisation_numbers_and_rate_limit() {
    let mut group = Group::start(crate::harness::NOW, 10).await;
    let rows = rows(
        "2026-11-24",
        &[
            ("N1", "1", "eng"),
            ("W1", "2", "eng"),
            ("N2", "1", "spa"),
            ("W2", "2", "Spanish"),
            ("X1", "7", "eng"),
        ],
    );
    let out = group
        .test(&rows)
        .args([
            "--emit-requests",
            "requests.jsonl",
            "--report",
            "report.html",
        ])
        .args(["--summary-json", "summary.json"])
        .run_async()
        .await;
    group.stop().await;

    // X1 names a location nobody configured: invalid, with the value, and nothing sent for it.
    out.assert_status(1);
    let results: BTreeMap<String, BTreeMap<String, String>> = out
        .results()
        .into_iter()
        .map(|r| (r["appointment_id"].clone(), r))
        .collect();
    for (id, location) in [("N1", "1"), ("N2", "1"), ("W1", "2"), ("W2", "2")] {
        assert_eq!(results[id]["status"], "sent", "{id}: {:?}", results[id]);
        assert_eq!(results[id]["location"], location, "{id}");
    }
    assert_eq!(results["X1"]["status"], "invalid");
    assert_eq!(
        results["X1"]["reason"],
        "location (ClinicNum) `7` is not a configured location (1, 2); add a [[locations]] entry \
         with id = \"7\" or correct the export"
    );
    assert_eq!(results["X1"]["location"], "");

    // Each organisation received its own calls, under its own key (the sandbox refuses any
    // other), and never had to refuse one for its rate limit.
    let ids = |which: &str| -> Vec<String> {
        let mut ids: Vec<String> = group
            .posts(which)
            .iter()
            .inspect(|p| assert_eq!(p["status"], 200, "{p}"))
            .map(|p| p["appointmentId"].as_str().unwrap().to_string())
            .collect();
        ids.sort();
        ids
    };
    assert_eq!(ids("north"), ["N1", "N2"]);
    assert_eq!(ids("west"), ["W1", "W2"]);

    // West's limit (10 a minute: one call every 6 s) spaced its calls; North's calls did not
    // wait for West's: both went out before West's second.
    let at = |id: &str| chrono::DateTime::parse_from_rfc3339(&results[id]["attempted_at"]).unwrap();
    assert!(
        (at("W2") - at("W1")).num_milliseconds() >= 5_900,
        "West's calls were {} ms apart",
        (at("W2") - at("W1")).num_milliseconds()
    );
    assert!(at("N1") < at("W2") && at("N2") < at("W2"));

    // The Spanish patient at North is called from North's Spanish number with the Spanish
    // template; West has no Spanish number, so its Spanish patient gets the default language.
    let bodies: BTreeMap<String, Value> = out
        .file("requests.jsonl")
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .map(|b| {
            (
                b["appointmentInfo"]["appointmentId"]
                    .as_str()
                    .unwrap()
                    .to_string(),
                b,
            )
        })
        .collect();
    assert_eq!(bodies["N1"]["fromNumber"], "+13125550100");
    assert_eq!(bodies["N2"]["fromNumber"], "+13125550101");
    assert_eq!(
        bodies["N2"]["context"],
        "Llamada de Bright Smiles North para confirmar la cita de Sarah."
    );
    assert_eq!(bodies["W1"]["fromNumber"], "+12135550100");
    assert_eq!(bodies["W2"]["fromNumber"], "+12135550100");
    assert!(bodies["W2"]["context"]
        .as_str()
        .unwrap()
        .starts_with("This call is from Bright Smiles West"));
    assert!(
        out.stderr.contains(
            "this location has no Annie number for the patient's language; calling in the default language"
        ),
        "{}",
        out.stderr
    );
    let line = "5 rows: 4 sent, 1 invalid (1 unknown_location) in ";
    let per_location = "; Bright Smiles North: 2 sent; Bright Smiles West: 2 sent; results in ";
    assert!(
        out.stderr.contains(line) && out.stderr.contains(per_location),
        "{}",
        out.stderr
    );

    // The summary JSON and the report count each location's rows, and the unknown one apart.
    let summary: Value = serde_json::from_str(&out.file("summary.json")).unwrap();
    assert_eq!(summary["locations"]["1"]["name"], "Bright Smiles North");
    assert_eq!(summary["locations"]["1"]["counts"]["sent"], 2);
    assert_eq!(summary["locations"]["2"]["counts"]["sent"], 2);
    assert_eq!(summary["counts"]["invalid"], 1);
    let report = out.file("report.html");
    for cell in [
        "<th scope=\"row\">Bright Smiles North</th><td class=\"n\" data-location=\"1\" \
         data-status=\"sent\">2</td>",
        "<th scope=\"row\">Bright Smiles West</th><td class=\"n\" data-location=\"2\" \
         data-status=\"sent\">2</td>",
        "<th scope=\"row\">no location (unreadable or unknown)</th><td class=\"n\" \
         data-location=\"\" data-status=\"sent\">0</td><td class=\"n\" data-location=\"\" \
         data-status=\"invalid\">1</td>",
        // The group's name, the day in plain words, and each location's calls in its own zone.
        "<title>Bright Smiles Group: confirmation calls, Mon 23 Nov 2026</title>",
        "Calls made Mon 23 Nov 2026 for appointments on Tue 24 Nov 2026",
        "Chicago (CST) time",
        "Los Angeles (PST) time",
    ] {
        assert!(report.contains(cell), "{cell} in\n{report}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn each_location_keeps_its_own_calling_window() {
    // 08:30 in Los Angeles is 10:30 in Chicago: North's window is open, West's opens at 09:00.
    let now = "2026-11-24T08:30:00-08:00";
    let mut group = Group::start(now, 6000).await;
    let rows = rows("2026-11-25", &[("N1", "1", "eng"), ("W1", "2", "eng")]);
    let out = group.test(&rows).now(Some(now)).run_async().await;
    group.stop().await;

    out.assert_status(75);
    assert_eq!(out.result_for("N1")["status"], "sent");
    let w1 = out.result_for("W1");
    assert_eq!(w1["status"], "deferred");
    assert!(
        w1["reason"].contains("calling hours (09:00–20:00 America/Los_Angeles) are closed"),
        "{w1:?}"
    );
    assert_eq!(group.posts("north").len(), 1);
    assert!(group.posts("west").is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refused_key_stops_only_its_own_location() {
    let mut group = Group::start(crate::harness::NOW, 6000).await;
    let ids = ["N1", "W1", "N2", "W2", "N3", "W3"];
    let specs: Vec<(&str, &str, &str)> = ids
        .iter()
        .map(|id| (*id, if id.starts_with('N') { "1" } else { "2" }, "eng"))
        .collect();
    let rows = rows("2026-11-24", &specs);
    let out = group
        .test(&rows)
        .config(
            &group
                .config()
                .replace("requests_per_minute = 10", "requests_per_minute = 6000")
                // One at a time, so exactly one North request is in flight when the 401 comes.
                .replace("max_in_flight = 4", "max_in_flight = 1"),
        )
        .env("ANNIE_KEY_NORTH", "annie-sk-revoked")
        .run_async()
        .await;
    group.stop().await;

    out.assert_status(1);
    let status = |id: &str| out.result_for(id)["status"].clone();
    // A new ledger first reads each organisation's recent calls; North's key is refused there,
    // so North calls nobody and says why, while West goes on. The rows say credentials_refused
    // and to fix the key (round-9 finding 11g: they said not_planned and "rerun when Annie's
    // conversation list can be read", which waiting never brings about for a revoked key).
    for id in ["N1", "N2", "N3"] {
        let r = out.result_for(id);
        assert_eq!(r["status"], "not_attempted");
        assert_eq!(r["reason_code"], "credentials_refused");
        assert_eq!(
            r["reason"],
            "not attempted: Annie refused the API key of Bright Smiles North (from \
             $ANNIE_KEY_NORTH) when its calls were to be checked before the first call (could \
             not list Annie's conversations after reading 0 (the API refused the credentials \
             (HTTP 401: missing or invalid API key); check the key)); nothing was sent for it. \
             Fix the key (rotated, revoked or mistyped), then rerun"
        );
    }
    assert!(group.posts("north").is_empty());
    for id in ["W1", "W2", "W3"] {
        assert_eq!(status(id), "sent", "{id}");
    }
    assert_eq!(group.posts("west").len(), 3);
}

/// `--accept-new-key` in a group, with a new key for West that West's Annie refuses: it is not
/// recorded and West calls nobody (its rows say why), while North, whose key did not change,
/// calls as every night (exit 1, as for a key refused during the run).
#[tokio::test(flavor = "multi_thread")]
async fn a_new_key_annie_refuses_stops_only_its_own_location() {
    let mut group = Group::start(crate::harness::NOW, 6000).await;
    let first = group.test(&rows(
        "2026-11-24",
        &[("N1", "1", "eng"), ("W1", "2", "eng")],
    ));
    first.run_async().await.assert_status(0);
    let tonight = rows("2026-11-24", &[("N2", "1", "eng"), ("W2", "2", "eng")]);
    let out = first
        .clone()
        .input("appointments.csv", export(&tonight))
        .env("ANNIE_KEY_WEST", "annie-sk-west-mistyped")
        .args(["--accept-new-key"])
        .run_async()
        .await;
    group.stop().await;

    out.assert_status(1);
    assert_eq!(out.result_for("N2")["status"], "sent");
    let w2 = out.result_for("W2");
    assert_eq!(
        (w2["status"].as_str(), w2["reason_code"].as_str()),
        ("not_attempted", "credentials_refused"),
        "{w2:?}"
    );
    assert!(
        w2["reason"].starts_with(
            "not attempted: --accept-new-key: Annie refused the new key for Bright Smiles West"
        ),
        "{w2:?}"
    );
    assert_eq!(group.posts("north").len(), 2);
    assert_eq!(group.posts("west").len(), 1);
}

/// A row that cannot be called (no usable number, no readable time) but names a configured
/// location is that location's: its `location` column, its per-location counts (summary line and
/// `--summary-json`), so a group's office finds it among its own rows. A row naming no
/// configured location stays under none.
#[test]
fn an_invalid_row_is_counted_under_the_location_it_names() {
    let mut specs = rows("2026-11-24", &[("N1", "1", "eng"), ("X1", "7", "eng")]);
    let no_number = od_row("NB", &[("WirelessPhone", "555-CALL-NOW")]);
    let no_time = od_row("WB", &[("AptDateTime", "2026-11-24 25:00:00")]);
    specs.extend([format!("{no_number},1,eng"), format!("{no_time},2,eng")]);
    let out = group_test(&offline_config(), &specs)
        .args(["--dry-run", "--summary-json", "summary.json"])
        .run();
    out.assert_status(1);
    for (id, status, location) in [
        ("N1", "dry_run", "1"),
        ("NB", "invalid", "1"),
        ("WB", "invalid", "2"),
        ("X1", "invalid", ""),
    ] {
        let r = out.result_for(id);
        assert_eq!(
            (r["status"].as_str(), r["location"].as_str()),
            (status, location),
            "{r:?}"
        );
    }
    assert!(
        out.result_for("NB")["reason"].contains("phone"),
        "{:?}",
        out.result_for("NB")
    );
    assert!(
        out.result_for("WB")["reason"].contains("25:00"),
        "{:?}",
        out.result_for("WB")
    );
    let json: Value = serde_json::from_str(&out.file("summary.json")).unwrap();
    assert_eq!(json["rows"], 4);
    assert_eq!(json["locations"]["1"]["rows"], 2, "{json}");
    assert_eq!(json["locations"]["2"]["rows"], 1, "{json}");
    assert!(
        out.stderr
            .contains("Bright Smiles North: 1 dry_run, 1 invalid"),
        "{}",
        out.stderr
    );
}

#[test]
fn preview_and_check_name_unknown_locations_and_list_each_location() {
    let rows = rows("2026-11-24", &[("N1", "1", "eng"), ("X1", "9", "eng")]);
    let out = group_test(&offline_config(), &rows)
        .args(["--dry-run"])
        .run();
    out.assert_status(1);
    assert_eq!(out.result_for("N1")["status"], "dry_run");
    assert_eq!(out.result_for("N1")["location"], "1");
    let unknown = "location (ClinicNum) `9` is not a configured location (1, 2)";
    assert!(out.result_for("X1")["reason"].starts_with(unknown));

    let check = std::process::Command::new(env!("CARGO_BIN_EXE_annie-dispatch"))
        .args(["check", "--now", crate::harness::NOW, "--config"])
        .arg(out.dir.join("config.toml"))
        .arg("--input")
        .arg(out.dir.join("appointments.csv"))
        .env("ANNIE_KEY_NORTH", NORTH_KEY)
        .env_remove("ANNIE_KEY_WEST")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&check.stdout);
    // West's key is not set: a run would stop before calling anyone, so check exits 2 too.
    assert_eq!(check.status.code(), Some(2), "{stdout}");
    for line in [
        "  location 1: Bright Smiles North (America/Chicago, calls from +13125550100, +13125550101)",
        "  location 2: Bright Smiles West (America/Los_Angeles, calls from +12135550100)",
        "a sending run would stop before calling anyone: environment variable `ANNIE_KEY_WEST`",
        "2 rows: 1 dry_run, 1 invalid",
    ] {
        assert!(stdout.contains(line), "want {line}\ngot {stdout}");
    }
    assert!(
        stdout.contains(&format!("  row 3 (X1): invalid: {unknown}")),
        "{stdout}"
    );
}

#[test]
fn location_config_mistakes_name_the_entry_and_key() {
    let base = offline_config();
    let cases = [
        (
            base.replace("from_numbers = { SPANISH", "from_numbers = { FRENCH"),
            "[[locations]] \"1\" from_numbers: `FRENCH` is not a [[languages]] name (configured: SPANISH)",
        ),
        (
            base.replace("id = \"2\"", "id = \"1\""),
            "[[locations]] id: `1` is the id of an earlier location; ids must be unique",
        ),
        (
            base.replace("location = \"ClinicNum\"\n", ""),
            "[input.columns] location is not set: with [[locations]], name the export column that \
             holds each row's location (Open Dental: \"ClinicNum\")",
        ),
        (
            base.replace("timezone = \"America/Los_Angeles\"", "timezone = \"America/Los_Angles\""),
            "[[locations]] \"2\" timezone: `America/Los_Angles` is not an IANA time zone name",
        ),
        (
            base.replace(
                "requests_per_minute = 10",
                "requests_per_minute = 10\nhours_start = \"08:00\"",
            ),
            "[[locations]] \"2\" hours_start/hours_end: 08:00–20:00 is not within 09:00–20:00 (the [hours] window)",
        ),
        (
            base.replace("[practice]\n", "[practice]\ntimezone = \"America/Chicago\"\n"),
            "[practice] timezone: belongs in each [[locations]] entry when the config declares locations",
        ),
    ];
    for (config, expected) in cases {
        let out = Test::new()
            .config(&config)
            .env("ANNIE_KEY_NORTH", NORTH_KEY)
            .env("ANNIE_KEY_WEST", WEST_KEY)
            .input("appointments.csv", export(&[]))
            .run();
        out.assert_status(2);
        assert!(
            out.stderr.contains(expected),
            "want {expected}\ngot {}",
            out.stderr
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn outcomes_read_each_call_from_its_own_organisation_and_report_per_location() {
    let mut group = Group::start(crate::harness::NOW, 6000).await;
    let rows = rows(
        "2026-11-24",
        &[
            ("N1", "1", "eng"),
            ("W1", "2", "eng"),
            ("N2", "1", "spa"),
            ("X1", "7", "eng"),
        ],
    );
    let out = group.test(&rows).run_async().await;
    out.assert_status(1);

    let (config, results) = (out.dir.join("config.toml"), out.results_path.clone());
    let report = out.dir.join("outcomes.html");
    let summary = out.dir.join("outcomes.json");
    let (report_arg, summary_arg) = (report.clone(), summary.clone());
    let outcomes = tokio::task::spawn_blocking(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_annie-dispatch"))
            .env("ANNIE_KEY_NORTH", NORTH_KEY)
            .env("ANNIE_KEY_WEST", WEST_KEY)
            .args(["outcomes", "--config"])
            .arg(config)
            .arg("--results")
            .arg(results)
            .arg("--report")
            .arg(report_arg)
            .arg("--summary-json")
            .arg(summary_arg)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    group.stop().await;
    let stderr = String::from_utf8_lossy(&outcomes.stderr);
    // X1 (unknown location) needs a person, so the exit status is 1; nothing failed to read.
    assert_eq!(outcomes.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("3 conversations read"), "{stderr}");
    assert!(stderr.contains("0 could not be read"), "{stderr}");

    // Each conversation was read from the organisation that made it (the other's key would be
    // refused): North's sandbox served two reads, West's one.
    let reads = |which: &str| {
        let log = group.log(which);
        log.iter()
            .filter(|e| e["path"] == "/v1/conversations/{id}")
            .count()
    };
    assert_eq!((reads("north"), reads("west")), (2, 1));

    let lines = crate::harness::read_results(&out.dir.join("appointments.outcomes.csv"));
    let by_id: BTreeMap<&str, &BTreeMap<String, String>> = lines
        .iter()
        .map(|l| (l["appointment_id"].as_str(), l))
        .collect();
    assert_eq!(by_id["N1"]["location"], "1");
    assert_eq!(by_id["W1"]["location"], "2");
    assert_eq!(by_id["X1"]["location"], "");
    assert_eq!(by_id["X1"]["needs_attention"], "true");
    let json: Value = serde_json::from_str(&std::fs::read_to_string(&summary).unwrap()).unwrap();
    assert_eq!(json["locations"]["1"]["rows"], 2);
    assert_eq!(json["locations"]["2"]["rows"], 1);

    // The report's counts are the outcomes file's, per location, and it loads in a browser.
    let html = std::fs::read_to_string(&report).unwrap();
    // Counted by what happened on the call (the `class` column), and by status for the row
    // without one.
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for l in &lines {
        let key = match l["class"].as_str() {
            "" => l["status"].as_str(),
            class => class,
        };
        *counts.entry(key).or_default() += 1;
    }
    assert_eq!(counts.get("invalid"), Some(&1), "{counts:?}");
    for (key, n) in counts {
        let cell = format!("data-status=\"{key}\">{n}</td>");
        assert!(html.contains(&cell), "{cell} in\n{html}");
    }
    assert!(!html.contains("CLOSED"), "{html}");
    let north_rows = lines.iter().filter(|l| l["location"] == "1").count();
    assert!(
        html.contains("<th scope=\"row\">Bright Smiles North</th>") && north_rows == 2,
        "{html}"
    );
    assert!(
        html.contains(
            "<title>Bright Smiles Group: outcomes of confirmation calls, Mon 23 Nov 2026</title>"
        ) && html.contains("Calls made Mon 23 Nov 2026 for appointments on Tue 24 Nov 2026")
            && html.contains("What happened"),
        "{html}"
    );
    assert!(
        html.contains("data-code=\"unknown_location\" data-status=\"invalid\">1</td>"),
        "{html}"
    );
    assert!(html.contains("Needs a person (1)"), "{html}");
    let Some(browser) = crate::report::chromium() else {
        return;
    };
    let page = format!("file://{}", report.display());
    let dom = crate::report::headless(browser, &["--dump-dom", &page]);
    let dom = String::from_utf8_lossy(&dom.stdout);
    assert!(
        dom.contains("4 rows") && dom.contains("Bright Smiles West"),
        "{dom}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn with_wait_for_window_each_location_waits_for_its_own_window() {
    // Eight seconds before West's window opens (09:00 in Los Angeles); North's is open. (Eight,
    // so that North calling before then holds on however slow a machine.)
    let now = "2026-11-24T08:59:52-08:00";
    let mut group = Group::start(now, 6000).await;
    let rows = rows("2026-11-25", &[("N1", "1", "eng"), ("W1", "2", "eng")]);
    let out = group
        .test(&rows)
        .now(Some(now))
        .args(["--wait-for-window"])
        .run_async()
        .await;
    group.stop().await;

    out.assert_status(0);
    let at = |id: &str| {
        let r = out.result_for(id);
        assert_eq!(r["status"], "sent", "{r:?}");
        chrono::DateTime::parse_from_rfc3339(&r["attempted_at"]).unwrap()
    };
    let opens = chrono::DateTime::parse_from_rfc3339("2026-11-24T09:00:00-08:00").unwrap();
    assert!(at("N1") < opens, "North did not wait for West's window");
    assert!(at("W1") >= opens, "West waited for its own window");
}

/// The preview of that run shows what it does: West's calls from its own opening, not "not
/// now" (round-6 finding 7: the preview deferred a later-opening location's calls that the
/// run then made).
#[test]
fn a_preview_with_wait_for_window_shows_each_locations_calls_from_its_own_opening() {
    let rows = rows("2026-11-25", &[("N1", "1", "eng"), ("W1", "2", "eng")]);
    let preview = |extra: &[&str]| {
        let mut args = vec!["--dry-run"];
        args.extend(extra);
        group_test(&offline_config(), &rows)
            .now(Some("2026-11-24T08:00:00-08:00"))
            .args(args)
            .run()
    };
    let waits = preview(&["--wait-for-window"]);
    waits.assert_status(0);
    for id in ["N1", "W1"] {
        let r = waits.result_for(id);
        assert_eq!(r["status"], "dry_run", "{r:?}");
        assert_eq!(r["reason_code"], "would_call", "{r:?}");
    }
    assert!(
        waits.stderr.contains(
            "its part of the preview starts at 2026-11-24 17:00:05 UTC, when the run's location \
             would start calling after waiting"
        ),
        "{}",
        waits.stderr
    );
    // Without the flag, West is closed now: its row waits for a later run.
    let no_wait = preview(&[]);
    assert_eq!(no_wait.result_for("N1")["status"], "dry_run");
    assert_eq!(no_wait.result_for("W1")["status"], "deferred");
}

/// A patient who told North's call not to be called again, the night before, has a West
/// appointment tonight and none at North, and the morning `outcomes` did not run: North is
/// still checked against Annie before West calls, so West does not call (round-7 finding 1,
/// its next-night half: North, with nobody to call, was not checked).
#[tokio::test(flavor = "multi_thread")]
async fn a_request_heard_at_one_location_keeps_another_from_calling_the_next_night() {
    const PHONE: &str = "+13125550147";
    let mut group = Group::start_with(crate::harness::NOW, 6000, |c| {
        c.opt_outs.insert(PHONE.to_string());
        c.close_after = std::time::Duration::ZERO;
    })
    .await;
    let row = |apt: &str, day: &str, clinic: &str| {
        let start = format!("{day} 10:00:00");
        let row = od_row(
            apt,
            &[("AptDateTime", start.as_str()), ("WirelessPhone", PHONE)],
        );
        format!("{row},{clinic},eng")
    };
    let t = group.test(&[row("N1", "2026-11-24", "1")]);
    let night_1 = t.run_async().await;
    night_1.assert_status(0);
    assert_eq!(night_1.result_for("N1")["status"], "sent");
    // The next evening, through the same ledger, without the morning's outcomes.
    let night_2 = t
        .clone()
        .input("appointments.csv", export(&[row("W1", "2026-11-25", "2")]))
        .now(Some("2026-11-24T18:30:00-06:00"))
        .run_async()
        .await;
    let w1 = night_2.result_for("W1");
    assert_eq!(w1["status"], "skipped", "{w1:?} {}", night_2.stderr);
    assert_eq!(w1["reason_code"], "opted_out", "{w1:?}");
    assert!(group.posts("west").is_empty(), "West called the patient");
    group.stop().await;
}

/// The same when both locations have someone to call the next night: West's planning waits for
/// North's check against Annie (slowed here), which finds the request, so West does not call
/// (each location's check used to run beside the other's, and West planned first).
#[tokio::test(flavor = "multi_thread")]
async fn a_request_heard_at_one_location_holds_for_another_whose_check_finishes_first() {
    const PHONE: &str = "+13125550147";
    // North's answers are slow, so West is ready to plan first the next night.
    let mut group = Group::start_with(crate::harness::NOW, 6000, |c| {
        c.opt_outs.insert(PHONE.to_string());
        c.close_after = std::time::Duration::ZERO;
        c.faults.latency = std::time::Duration::from_millis(1500);
    })
    .await;
    let row = |apt: &str, day: &str, clinic: &str, phone: &str| {
        let start = format!("{day} 10:00:00");
        let row = od_row(
            apt,
            &[("AptDateTime", start.as_str()), ("WirelessPhone", phone)],
        );
        format!("{row},{clinic},eng")
    };
    let t = group.test(&[row("N1", "2026-11-24", "1", PHONE)]);
    let night_1 = t.run_async().await;
    night_1.assert_status(0);
    assert_eq!(night_1.result_for("N1")["status"], "sent");
    // The next evening, through the same ledger, without the morning's outcomes: North has
    // another patient to call.
    let night_2 = t
        .clone()
        .input(
            "appointments.csv",
            export(&[
                row("N2", "2026-11-25", "1", "+13125550160"),
                row("W1", "2026-11-25", "2", PHONE),
            ]),
        )
        .now(Some("2026-11-24T18:30:00-06:00"))
        .run_async()
        .await;
    assert_eq!(
        night_2.result_for("N2")["status"],
        "sent",
        "{}",
        night_2.stderr
    );
    let w1 = night_2.result_for("W1");
    assert_eq!(w1["status"], "skipped", "{w1:?} {}", night_2.stderr);
    assert_eq!(w1["reason_code"], "opted_out", "{w1:?}");
    assert!(group.posts("west").is_empty(), "West called the patient");
    group.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_location_whose_plan_fails_reports_its_rows_and_the_others_still_call() {
    use annie_dispatch::ledger::{Ledger, NewAttempt};
    let mut group = Group::start(crate::harness::NOW, 6000).await;
    // An earlier run's attempt for W1 that may have placed a call (in flight at a crash), and a
    // ledger that refuses to record anything for West: settling W1 fails West's plan.
    let ledger = group.dir.path().join("ledger.sqlite3");
    {
        let l = Ledger::open(&ledger).unwrap();
        let number = l.number_key(&crate::harness::e164_for("W1"));
        let attempted_at = chrono::DateTime::parse_from_rfc3339("2026-11-23T23:00:00Z")
            .unwrap()
            .with_timezone(&chrono::Utc);
        l.begin(&NewAttempt {
            run_id: "r0",
            call_id: "r0-2-0",
            appointment_id: "W1",
            start_time: "2026-11-24T10:00:00-08:00",
            number_key: &number,
            location: "2",
            attempted_at,
        })
        .unwrap();
    }
    rusqlite::Connection::open(&ledger)
        .unwrap()
        .execute_batch(
            "CREATE TRIGGER refuse_west BEFORE UPDATE ON attempts WHEN OLD.location = '2'
             BEGIN SELECT RAISE(ABORT, 'disk on fire'); END;",
        )
        .unwrap();
    let config = format!(
        "{}\n[state]\nledger = \"{}\"\n",
        group.config(),
        ledger.display()
    );
    let rows = rows(
        "2026-11-24",
        &[("N1", "1", "eng"), ("W1", "2", "eng"), ("W2", "2", "eng")],
    );
    let out = group.test(&rows).config(&config).run_async().await;
    group.stop().await;

    out.assert_status(1);
    assert!(
        out.stderr
            .contains("location 2 (Bright Smiles West) failed"),
        "{}",
        out.stderr
    );
    let results = out.results();
    assert_eq!(results.len(), 3, "a row for every input row: {results:?}");
    assert_eq!(out.result_for("N1")["status"], "sent");
    for r in results.iter().filter(|r| r["location"] == "2") {
        assert_eq!(r["status"], "not_attempted", "{r:?}");
        assert!(
            r["reason"].starts_with("not attempted: this location's calls could not be planned (")
                && r["reason"].contains("disk on fire"),
            "{r:?}"
        );
    }
    assert_eq!(results.iter().filter(|r| r["location"] == "2").count(), 2);
    assert!(group.posts("west").is_empty(), "nothing sent for West");
}

/// `annie-dispatch outcomes` over the group's results, with the given West key.
async fn group_outcomes(out: &crate::harness::Output, west_key: &str) -> (i32, String) {
    let (config, results) = (out.dir.join("config.toml"), out.results_path.clone());
    let west_key = west_key.to_string();
    let output = tokio::task::spawn_blocking(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_annie-dispatch"))
            .env("ANNIE_KEY_NORTH", NORTH_KEY)
            .env("ANNIE_KEY_WEST", west_key)
            .args(["outcomes", "--config"])
            .arg(config)
            .arg("--results")
            .arg(results)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    (output.status.code().unwrap_or(-1), stderr)
}

#[tokio::test(flavor = "multi_thread")]
async fn outcomes_reads_the_locations_at_once_stops_a_refused_key_and_resumes() {
    let mut group = Group::start(crate::harness::NOW, 6000).await;
    // Three seconds between one location's reads, so reading them one after the other would
    // put every West read after North's last.
    let config = group
        .config()
        .replace("requests_per_minute = 6000", "requests_per_minute = 20")
        .replace("requests_per_minute = 10", "requests_per_minute = 20");
    let rows = rows(
        "2026-11-24",
        &[
            ("N1", "1", "eng"),
            ("N2", "1", "eng"),
            ("W1", "2", "eng"),
            ("W2", "2", "eng"),
            ("X1", "7", "eng"),
        ],
    );
    let out = group_test(&config, &rows).run_async().await;
    out.assert_status(1);
    let reads = |which: &str| group.conversation_reads(which);

    // West's key is refused: one request, not one per row; North's rows are read.
    let (code, stderr) = group_outcomes(&out, "annie-sk-wrong").await;
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(reads("west").len(), 1, "one 401 for West, then it stops");
    assert_eq!(reads("north").len(), 2);
    assert!(stderr.contains("2 conversations read"), "{stderr}");
    assert!(stderr.contains("2 could not be read"), "{stderr}");
    let refusal = stderr
        .lines()
        .find(|l| l.contains("refused this location's key"))
        .unwrap_or_else(|| panic!("no refusal line: {stderr}"));
    assert!(
        refusal.contains("Bright Smiles West") && refusal.contains("ANNIE_KEY_WEST"),
        "{refusal}"
    );

    // Resumed with the right key: West's rows are read (and North's, still open in the
    // sandbox, again), and the run exits 1 for X1 (unknown location): a row the first run wrote
    // and this one does not touch. The whole file counts.
    let (code, stderr) = group_outcomes(&out, WEST_KEY).await;
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("4 conversations read, 1 row needs attention, 0 could not be read"),
        "{stderr}"
    );
    assert_eq!(reads("west").len(), 3, "the 401, then W1 and W2");
    group.stop().await;

    let lines = crate::harness::read_results(&out.dir.join("appointments.outcomes.csv"));
    let order: Vec<&str> = lines.iter().map(|l| l["appointment_id"].as_str()).collect();
    assert_eq!(
        order,
        ["N1", "N2", "W1", "W2", "X1"],
        "in the results file's order"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn outcomes_reads_every_location_at_the_same_time() {
    let mut group = Group::start(crate::harness::NOW, 6000).await;
    // A third organisation, South, in Chicago like North.
    const SOUTH_KEY: &str = "annie-sk-south";
    let now = chrono::DateTime::parse_from_rfc3339(crate::harness::NOW)
        .unwrap()
        .with_timezone(&chrono::Utc);
    let south = test_sandbox(SOUTH_KEY, &group.dir.path().join("south.jsonl"), |c| {
        c.from_numbers = vec!["+13125550102".into()];
        c.now = Some(now);
    })
    .await;
    let config = format!(
        "{}\n[[locations]]\nid = \"3\"\nname = \"Bright Smiles South\"\ntimezone = \
         \"America/Chicago\"\nfrom_number = \"+13125550102\"\napi_key_env = \"ANNIE_KEY_SOUTH\"\n\
         base_url = \"{}\"\nrequests_per_minute = 20\n",
        group.config(),
        south.base_url()
    )
    .replace("requests_per_minute = 6000", "requests_per_minute = 20")
    .replace("requests_per_minute = 10", "requests_per_minute = 20");
    let rows = rows(
        "2026-11-24",
        &[
            ("N1", "1", "eng"),
            ("N2", "1", "eng"),
            ("W1", "2", "eng"),
            ("W2", "2", "eng"),
            ("S1", "3", "eng"),
            ("S2", "3", "eng"),
        ],
    );
    let out = group_test(&config, &rows)
        .env("ANNIE_KEY_SOUTH", SOUTH_KEY)
        .run_async()
        .await;
    out.assert_status(0);
    let (config, results) = (out.dir.join("config.toml"), out.results_path.clone());
    let outcomes = tokio::task::spawn_blocking(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_annie-dispatch"))
            .env("ANNIE_KEY_NORTH", NORTH_KEY)
            .env("ANNIE_KEY_WEST", WEST_KEY)
            .env("ANNIE_KEY_SOUTH", SOUTH_KEY)
            .args(["outcomes", "--config"])
            .arg(config)
            .arg("--results")
            .arg(results)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    south.stop().await;
    group.stop().await;
    let stderr = String::from_utf8_lossy(&outcomes.stderr);
    assert_eq!(outcomes.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("6 conversations read"), "{stderr}");
    // Each location waits 3 s between its two reads. Read one location after another, the
    // third's first read would come 6 s in; at once, every location's first read comes before
    // any location's second, however slow the machine: the run takes about as long as one
    // location alone.
    let at = |which: &str| -> Vec<String> {
        group
            .conversation_reads(which)
            .iter()
            .map(|e| e["at"].as_str().unwrap_or_default().to_string())
            .collect()
    };
    let reads = [at("north"), at("west"), at("south")];
    assert!(reads.iter().all(|r| r.len() == 2), "{reads:?}");
    let last_first = reads.iter().map(|r| r[0].clone()).max().unwrap();
    let first_second = reads.iter().map(|r| r[1].clone()).min().unwrap();
    assert!(
        last_first < first_second,
        "a location waited for another: {reads:?}"
    );
}

/// N1 at North and W1 at West, the same morning, on one phone.
fn one_phone_at_two_clinics() -> Vec<String> {
    [("N1", "1"), ("W1", "2")]
        .iter()
        .map(|(apt, clinic)| {
            let row = od_row(
                apt,
                &[
                    ("AptDateTime", "2026-11-24 10:00:00"),
                    ("WirelessPhone", "(312) 555-0147"),
                ],
            );
            format!("{row},{clinic},eng")
        })
        .collect()
}

/// Two locations with an appointment on one phone in one night: the second call goes at least
/// `[dispatch] same_number_spacing` after the first.
#[tokio::test(flavor = "multi_thread")]
async fn two_locations_calling_one_phone_are_spaced() {
    // The first call's conversation has ended by the second's turn (the second reads it first).
    let mut group = Group::start_each(crate::harness::NOW, 6000, |c| {
        c.close_after = std::time::Duration::ZERO;
    })
    .await;
    let rows = one_phone_at_two_clinics();
    let config = group
        .config()
        .replace("[dispatch]\n", "[dispatch]\nsame_number_spacing = \"2s\"\n");
    let out = group.test(&rows).config(&config).run_async().await;
    group.stop().await;

    out.assert_status(0);
    let at = |id: &str| {
        let r = out.result_for(id);
        assert_eq!(r["status"], "sent", "{r:?}");
        chrono::DateTime::parse_from_rfc3339(&r["attempted_at"]).unwrap()
    };
    let gap = (at("N1") - at("W1")).num_milliseconds().abs();
    assert!(gap >= 2_000, "the two calls were {gap} ms apart");
    assert_eq!(group.posts("north").len(), 1);
    assert_eq!(group.posts("west").len(), 1);
}

/// With `--wait-for-window`, a location with nobody to call is not waited for: the run ends
/// with the open location's calls, long before the other's window opens.
#[tokio::test(flavor = "multi_thread")]
async fn with_wait_for_window_a_location_with_no_rows_is_not_waited_for() {
    // Thirty seconds before West's window opens; North's is open, and only North has rows.
    let now = "2026-11-24T08:59:30-08:00";
    let mut group = Group::start(now, 6000).await;
    let rows = rows("2026-11-25", &[("N1", "1", "eng")]);
    let started = std::time::Instant::now();
    let out = group
        .test(&rows)
        .now(Some(now))
        .args(["--wait-for-window"])
        .run_async()
        .await;
    group.stop().await;

    out.assert_status(0);
    assert_eq!(out.result_for("N1")["status"], "sent");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(25),
        "the run waited for West: {:?}",
        started.elapsed()
    );
}

/// The preview shows the spacing between two locations' calls to one phone: one would go now,
/// the other at the spacing's end, with the rule named, as the run would space them.
#[tokio::test(flavor = "multi_thread")]
async fn the_preview_shows_the_spacing_between_two_locations_calls_to_one_phone() {
    let mut group = Group::start(crate::harness::NOW, 6000).await;
    let rows = one_phone_at_two_clinics();
    let out = group.test(&rows).args(["--dry-run"]).run_async().await;
    group.stop().await;

    out.assert_status(0);
    let reasons: Vec<String> = ["N1", "W1"]
        .iter()
        .map(|id| {
            let r = out.result_for(id);
            assert_eq!(r["status"], "dry_run", "{r:?}");
            r["reason"].clone()
        })
        .collect();
    let spaced: Vec<&String> = reasons
        .iter()
        .filter(|r| {
            r.starts_with("at ")
                && r.ends_with(
                    "(until then: at least 15m between calls to a number from different locations)",
                )
        })
        .collect();
    assert_eq!(spaced.len(), 1, "{reasons:?}");
    assert!(reasons.iter().any(String::is_empty), "{reasons:?}");
}

/// The group config with `[dispatch] same_number_spacing` set to `gap`, and West's rate as
/// high as North's (at 10 a minute, West's turns would hide how long its call waits).
fn spaced(config: &str, gap: &str) -> String {
    config
        .replace(
            "[dispatch]\n",
            &format!("[dispatch]\nsame_number_spacing = \"{gap}\"\n"),
        )
        .replace("requests_per_minute = 10\n", "requests_per_minute = 6000\n")
}

/// Of N1 and W1 (one phone, see [`one_phone_at_two_clinics`]): the one called first, then the
/// other, by when each was attempted (a row not attempted comes last).
fn first_and_second(out: &crate::harness::Output) -> (&'static str, &'static str) {
    let at = |id: &str| out.result_for(id)["attempted_at"].clone();
    match (at("N1"), at("W1")) {
        (n, w) if !n.is_empty() && (w.is_empty() || n < w) => ("N1", "W1"),
        _ => ("W1", "N1"),
    }
}

/// The sandbox (`north` or `west`) of N1's or W1's location.
fn sandbox_of(apt: &str) -> &'static str {
    match apt {
        "N1" => "north",
        _ => "west",
    }
}

/// A patient with appointments at North and West on one phone tells the first location's call
/// not to call this number again. The other location, at its spaced turn the same night, reads
/// that conversation first and does not call (round-7 finding 1, its same-night half): its row
/// is `skipped`, `opted_out`, naming the conversation, and the run exits 0. The ledger keeps the
/// request: a preview, which reads nothing but the ledger, skips the row too, and a rerun calls
/// nobody.
#[tokio::test(flavor = "multi_thread")]
async fn a_request_heard_at_one_location_keeps_another_from_calling_the_same_night() {
    let mut group = Group::start_each(crate::harness::NOW, 6000, |c| {
        c.opt_outs.insert("+13125550147".to_string());
        c.close_after = std::time::Duration::ZERO;
    })
    .await;
    let config = spaced(&group.config(), "1s");
    let t = group.test(&one_phone_at_two_clinics()).config(&config);
    let out = t.run_async().await;
    out.assert_status(0);
    let (first, second) = first_and_second(&out);
    assert_eq!(out.result_for(first)["status"], "sent");
    let r = out.result_for(second);
    assert_eq!(r["status"], "skipped", "{r:?} {}", out.stderr);
    assert_eq!(r["reason_code"], "opted_out", "{r:?}");
    let conversation = out.result_for(first)["conversation_id"].clone();
    assert!(
        r["reason"].starts_with(&format!(
            "the patient asked not to be called (conversation {conversation}, "
        )) && r["reason"].ends_with("'s call earlier in this run"),
        "{r:?}"
    );
    let posts = || group.posts("north").len() + group.posts("west").len();
    assert_eq!(posts(), 1, "the patient was called again");
    assert_eq!(group.posts(sandbox_of(first)).len(), 1);

    let preview = t.clone().args(["--dry-run"]).run_async().await;
    let p = preview.result_for(second);
    assert_eq!(
        (p["status"].as_str(), p["reason_code"].as_str()),
        ("skipped", "opted_out"),
        "{p:?} {}",
        preview.stderr
    );
    let rerun = t.run_async().await;
    rerun.assert_status(0);
    assert_eq!(rerun.result_for(second)["reason_code"], "opted_out");
    assert_eq!(posts(), 1, "a rerun called the patient");
    group.stop().await;
}

/// The first location's conversation is still open at the second's spaced turn: the second
/// does not call yet, reads it again, and calls once it has closed with a confirmation.
#[tokio::test(flavor = "multi_thread")]
async fn a_call_waits_while_another_locations_call_to_the_number_is_still_open() {
    let mut group = Group::start_each(crate::harness::NOW, 6000, |c| {
        c.close_after = std::time::Duration::from_secs(3);
    })
    .await;
    let config = spaced(&group.config(), "1s");
    let out = group
        .test(&one_phone_at_two_clinics())
        .config(&config)
        .run_async()
        .await;
    group.stop().await;

    out.assert_status(0);
    let (first, second) = first_and_second(&out);
    let at = |id: &str| {
        let r = out.result_for(id);
        assert_eq!(r["status"], "sent", "{r:?} {}", out.stderr);
        chrono::DateTime::parse_from_rfc3339(&r["attempted_at"]).unwrap()
    };
    let gap = (at(second) - at(first)).num_milliseconds();
    assert!(
        gap >= 3_000,
        "called {gap} ms after the first call, before it closed"
    );
    assert_eq!(group.posts("north").len(), 1);
    assert_eq!(group.posts("west").len(), 1);
    let reads = group.conversation_reads(sandbox_of(first));
    assert!(
        !reads.is_empty(),
        "the first call was never read: {}",
        out.stderr
    );
}

/// N1 and W1 on one phone, each location on its own mock Annie that answers every read of a
/// conversation with `status` (both locations in Chicago, twelve seconds before the window
/// closes). Returns the run and how many calls the two mocks received.
async fn run_with_conversation_reads_answering(
    status: u16,
    message: &str,
) -> (crate::harness::Output, usize) {
    let now = "2026-11-23T19:59:48-06:00";
    run_with_reads_answering_at(now, &one_phone_at_two_clinics(), status, message).await
}

/// [`run_with_conversation_reads_answering`] at `now`, for the export `rows`.
async fn run_with_reads_answering_at(
    now: &str,
    rows: &[String],
    status: u16,
    message: &str,
) -> (crate::harness::Output, usize) {
    use wiremock::matchers::{method, path_regex};
    use wiremock::{Mock, ResponseTemplate};
    let mut mocks = Vec::new();
    for _ in 0..2 {
        let annie = crate::mock::Annie::start_with(now, std::time::Duration::ZERO).await;
        let body = serde_json::json!({"success": false, "data": {}, "message": message});
        Mock::given(method("GET"))
            .and(path_regex(r"^/v1/conversations/[^/]+$"))
            .respond_with(ResponseTemplate::new(status).set_body_json(body))
            .with_priority(1)
            .mount(&annie.server)
            .await;
        mocks.push(annie);
    }
    let config = spaced(GROUP, "1s")
        .replace("{NORTH}", &mocks[0].base_url())
        .replace("{WEST}", &mocks[1].base_url())
        .replace("America/Los_Angeles", "America/Chicago");
    let out = group_test(&config, rows).now(Some(now)).run_async().await;
    let posts = mocks[0].posts().await.len() + mocks[1].posts().await.len();
    (out, posts)
}

/// Annie answers 500 to every read of a conversation: the second location cannot learn what
/// the patient told the first, so it does not call on a guess. It reads again while the window
/// lasts, then its row is `deferred`, flagged, saying why, and the run exits 1.
#[tokio::test(flavor = "multi_thread")]
async fn a_call_is_not_made_on_a_guess_when_the_earlier_call_cannot_be_read() {
    let (out, posts) = run_with_conversation_reads_answering(500, "internal error").await;
    let (first, second) = first_and_second(&out);
    assert_eq!(out.result_for(first)["status"], "sent", "{}", out.stderr);
    let r = out.result_for(second);
    assert_eq!(r["status"], "deferred", "{r:?} {}", out.stderr);
    assert_eq!(r["reason_code"], "earlier_call_unsettled", "{r:?}");
    assert!(
        r["reason"].contains(
            "call to this number earlier in this run could not be read in Annie (HTTP 500: \
             internal error)"
        ),
        "{r:?}"
    );
    assert_eq!(r["needs_attention"], "true", "{r:?}");
    assert_eq!(posts, 1, "called on a guess");
    out.assert_status(1);
}

/// The same as [`a_call_is_not_made_on_a_guess_when_the_earlier_call_cannot_be_read`], but
/// the phone is a Boston one, whose calling hours (20:00 in New York) close an hour before the
/// two Chicago locations' window: the row waits for the first call until the recipient's hours
/// close, and is still `earlier_call_unsettled`, saying both (round-9 F6: it was
/// `calling_hours`, whose advice "remind the patient another way" missed that the patient may
/// have asked the first call not to call again).
#[tokio::test(flavor = "multi_thread")]
async fn the_recipients_hours_closing_on_a_call_waiting_for_an_earlier_one_say_so() {
    let now = "2026-11-23T18:59:48-06:00";
    let rows: Vec<String> = one_phone_at_two_clinics()
        .iter()
        .map(|r| r.replace("(312) 555-0147", "(617) 555-0147"))
        .collect();
    let (out, posts) = run_with_reads_answering_at(now, &rows, 500, "internal error").await;
    let (first, second) = first_and_second(&out);
    assert_eq!(out.result_for(first)["status"], "sent", "{}", out.stderr);
    let r = out.result_for(second);
    assert_eq!(r["status"], "deferred", "{r:?} {}", out.stderr);
    assert_eq!(r["reason_code"], "earlier_call_unsettled", "{r:?}");
    let earlier = match first {
        "N1" => "Bright Smiles North",
        _ => "Bright Smiles West",
    };
    assert!(
        r["reason"].starts_with(
            "not called: outside calling hours (09:00\u{2013}20:00 in the recipient's zone, \
             America/New_York)"
        ),
        "{r:?}"
    );
    assert!(
        r["reason"].contains(&format!(
            "; and {earlier}'s call to this number earlier in this run had not been seen to end \
             in Annie by then, so whether the patient asked it not to call again is not known"
        )),
        "{r:?}"
    );
    assert_eq!(r["needs_attention"], "true", "{r:?}");
    assert_eq!(posts, 1, "called on a guess");
    out.assert_status(1);
}

/// The first location's key is refused when its conversation is read (HTTP 401): the second
/// location's call is not made (`not_attempted`, the reason naming the key to check), as the
/// run's rule for a refused key says; the run exits 1.
#[tokio::test(flavor = "multi_thread")]
async fn a_refused_key_when_reading_the_earlier_call_stops_the_call() {
    let (out, posts) = run_with_conversation_reads_answering(401, "invalid API key").await;
    let (first, second) = first_and_second(&out);
    assert_eq!(out.result_for(first)["status"], "sent", "{}", out.stderr);
    let r = out.result_for(second);
    assert_eq!(
        (r["status"].as_str(), r["reason_code"].as_str()),
        ("not_attempted", "credentials_refused"),
        "{r:?} {}",
        out.stderr
    );
    assert!(
        r["reason"].contains("API key was refused (HTTP 401)"),
        "{r:?}"
    );
    assert_eq!(posts, 1, "called on a guess");
    out.assert_status(1);
}

/// The group example (samples/group.toml): a patient whose number is ANOTHER location's Annie
/// number (its default one or a language's) or callback number is `invalid`, the reason naming
/// whose number it is, in every preview and in a sandbox run; two North patients carrying
/// West's number are not made one household call.
#[tokio::test(flavor = "multi_thread")]
async fn another_locations_numbers_are_the_practices_own_and_never_called() {
    let config = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/group.toml"),
    )
    .unwrap();
    let row = |apt: &str, phone: &str, clinic: &str| {
        let phone = match phone {
            "" => crate::harness::phone_for(apt),
            p => p.to_string(),
        };
        let row = od_row(
            apt,
            &[
                ("WirelessPhone", phone.as_str()),
                ("AptDateTime", "2026-11-24 11:00:00"),
            ],
        );
        format!("{row},{clinic},eng")
    };
    let rows = [
        row("W-NORTH-FROM", "(312) 555-0100", "2"),
        row("W-NORTH-SPANISH", "312 555 0101", "2"),
        row("W-NORTH-CALLBACK", "312.555.0199", "2"),
        row("N-WEST-1", "(303) 555-0100", "1"),
        row("N-WEST-2", "303-555-0100", "1"),
        row("N-OK", "", "1"),
        row("W-OK", "", "2"),
    ];
    let t = Test::new()
        .config(&config)
        .input("appointments.csv", export(&rows));
    let north = "location 1, Bright Smile Dental North";
    let west = "location 2, Bright Smile Dental West";
    let expected = [
        ("W-NORTH-FROM", format!("the Annie number of {north}")),
        (
            "W-NORTH-SPANISH",
            format!("the SPANISH Annie number of {north}"),
        ),
        (
            "W-NORTH-CALLBACK",
            format!("the callback number of {north}"),
        ),
        ("N-WEST-1", format!("the Annie number of {west}")),
        ("N-WEST-2", format!("the Annie number of {west}")),
    ];
    for (out, args, called) in crate::harness::run_every_way_sending_with(&t, &["--sandbox"]).await
    {
        for (id, whose) in &expected {
            let r = out.result_for(id);
            assert_eq!(
                (
                    r["status"].as_str(),
                    r["reason_code"].as_str(),
                    r["reason"].as_str()
                ),
                (
                    "invalid",
                    "no_valid_phone",
                    format!(
                        "the phone number is the practice's own ({whose}), not the patient's; \
                         correct it in the practice system"
                    )
                    .as_str()
                ),
                "{args:?}: {r:?}\n{}",
                out.stderr
            );
        }
        for id in ["N-OK", "W-OK"] {
            assert_eq!(
                out.result_for(id)["status"],
                called,
                "{args:?}\n{}",
                out.stderr
            );
        }
    }
}

/// Each location's practice system numbers its own appointments: the same AptNum at two
/// locations is two appointments (as the ledger keeps them), both called, not two rows of one
/// appointment "with different details" that nobody is called about.
#[test]
fn the_same_appointment_id_at_two_locations_is_two_appointments() {
    let start = ("AptDateTime", "2026-11-24 10:00:00");
    let rows = vec![
        format!(
            "{},1,eng",
            od_row("1001", &[start, ("WirelessPhone", "(312) 555-0171")])
        ),
        format!(
            "{},2,eng",
            od_row("1001", &[start, ("WirelessPhone", "(213) 555-0172")])
        ),
    ];
    let out = group_test(&offline_config(), &rows)
        .args(["--dry-run"])
        .run();
    out.assert_status(0);
    let statuses: Vec<String> = out.statuses().into_iter().map(|s| s.2).collect();
    assert_eq!(statuses, ["dry_run", "dry_run"], "{}", out.stdout);
}

/// The ledger keeps each location's appointment ids apart too: West's appointment 500 called
/// first does not make North's own 500 (same id, same time, another patient) "already sent"
/// (locations in one zone), nor look moved (in two zones, whose 10:00 differ); North's call does
/// not make West's look moved either. Each reminder is recorded and recognised under its own
/// location, with its own conversation, and each patient is called once.
#[tokio::test(flavor = "multi_thread")]
async fn the_ledger_keeps_the_same_appointment_id_at_two_locations_apart() {
    for west_zone in ["America/Chicago", "America/Los_Angeles"] {
        let mut group = Group::start(crate::harness::NOW, 6000).await;
        let config = group.config().replace(
            "timezone = \"America/Los_Angeles\"",
            &format!("timezone = \"{west_zone}\""),
        );
        let start = ("AptDateTime", "2026-11-24 10:00:00");
        let north = od_row("500", &[start, ("WirelessPhone", "(312) 555-0171")]);
        let west = od_row("500", &[start, ("WirelessPhone", "(213) 555-0172")]);
        let (north, west) = (format!("{north},1,eng"), format!("{west},2,eng"));
        let t = group_test(&config, std::slice::from_ref(&west));
        let first = t.clone().run_async().await;
        first.assert_status(0);
        let called = first.result_for("500");
        assert_eq!(called["status"], "sent", "{west_zone}");
        let both = t.input("appointments.csv", export(&[north, west]));
        let second = both.clone().run_async().await;
        second.assert_status(0);
        let results = second.results();
        let (n, w) = (&results[0], &results[1]);
        assert_eq!(
            (n["location"].as_str(), n["status"].as_str()),
            ("1", "sent"),
            "{n:?}"
        );
        assert_eq!(
            (w["location"].as_str(), w["status"].as_str()),
            ("2", "skipped"),
            "{w:?}"
        );
        assert_eq!(w["reason_code"], "already_sent", "{w:?}");
        assert_eq!(w["conversation_id"], called["conversation_id"]);
        let third = both.run_async().await;
        third.assert_status(0);
        let again = third.results();
        for (before, now) in [(n, &again[0]), (w, &again[1])] {
            assert_eq!(now["reason_code"], "already_sent", "{west_zone}: {now:?}");
            assert_eq!(now["conversation_id"], before["conversation_id"], "{now:?}");
            assert_eq!(now["needs_attention"], "false", "{now:?}");
        }
        assert_ne!(again[0]["conversation_id"], again[1]["conversation_id"]);
        // One call each, ever.
        assert_eq!(
            (group.posts("north").len(), group.posts("west").len()),
            (1, 1)
        );
        group.stop().await;
    }
}
