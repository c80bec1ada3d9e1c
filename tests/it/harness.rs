//! A small builder for running the real binary against a temporary directory (and, for sending
//! tests, a wiremock server). Reads like the terminal session it stands for:
//!
//! ```ignore
//! let out = Test::new().input("a.csv", CSV).args(["--dry-run"]).run();
//! out.assert_status(0);
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::sync::Arc;

use annie_dispatch::csv_cells::restore;
use tempfile::TempDir;

/// The sample export's "evening before" in Chicago: every test run pretends to start here.
pub const NOW: &str = "2026-11-23T18:30:00-06:00";

pub const OD_HEADER: &str = "AptNum,PatNum,LName,FName,Birthdate,WirelessPhone,HmPhone,WkPhone,AptDateTime,Pattern,AptStatus,Confirmed,ProcDescript";

/// A default config; `{BASE_URL}` is replaced with the mock server's address (or a dead one).
pub const CONFIG: &str = r#"
[api]
base_url = "{BASE_URL}"
timeout = "5s"

[practice]
name = "Bright Smile Dental"
timezone = "America/Chicago"
from_number = "+13125550100"
callback_number = "(312) 555-0199"

[dispatch]
requests_per_minute = 6000
max_in_flight = 4

[input]
preset = "opendental"
"#;

/// A run to make. Cloning keeps the same directory, so a clone runs "again" over the same
/// results and ledger: `let first = t.run(); let second = t.run();`.
#[must_use]
#[derive(Clone)]
pub struct Test {
    dir: Arc<TempDir>,
    config: String,
    base_url: String,
    input_name: String,
    input: Vec<u8>,
    args: Vec<String>,
    env: Vec<(String, String)>,
    now: Option<String>,
    results_name: String,
    umask: Option<String>,
}

/// What a run left behind.
#[derive(Debug)]
pub struct Output {
    pub status: i32,
    pub stdout: String,
    pub stderr: String,
    pub dir: PathBuf,
    pub results_path: PathBuf,
    _keep: Arc<TempDir>,
}

/// A run still going, for tests that interrupt it.
pub struct Running {
    child: Child,
    dir: PathBuf,
    results_path: PathBuf,
    keep: Arc<TempDir>,
}

impl Test {
    pub fn new() -> Test {
        Test {
            dir: Arc::new(tempfile::tempdir().expect("temp dir")),
            config: CONFIG.to_string(),
            // Nothing listens here: a test that forgets the mock server fails loudly.
            base_url: "http://127.0.0.1:9".to_string(),
            input_name: "appointments.csv".to_string(),
            input: Vec::new(),
            args: Vec::new(),
            env: vec![("ANNIE_API_KEY".into(), "annie-sk-v1-test".into())],
            now: Some(NOW.to_string()),
            results_name: "appointments.results.csv".to_string(),
            umask: None,
        }
    }

    /// The run's folder, for files a test makes there itself (a symlink, say).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    pub fn config(mut self, toml: &str) -> Test {
        self.config = toml.to_string();
        self
    }

    pub fn server(mut self, base_url: &str) -> Test {
        self.base_url = base_url.to_string();
        self
    }

    pub fn input(mut self, name: &str, bytes: impl Into<Vec<u8>>) -> Test {
        self.input_name = name.to_string();
        self.input = bytes.into();
        self
    }

    /// An Open Dental CSV export: the header plus these lines.
    pub fn od_rows(self, rows: &[&str]) -> Test {
        let text = format!("{OD_HEADER}\n{}\n", rows.join("\n"));
        self.input("appointments.csv", text)
    }

    /// Writes another file into the run's directory now (a do-not-call list, say).
    pub fn file(self, name: &str, contents: &str) -> Test {
        std::fs::write(self.dir.path().join(name), contents).unwrap();
        self
    }

    pub fn args<I: IntoIterator<Item = S>, S: Into<String>>(mut self, args: I) -> Test {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    pub fn env(mut self, key: &str, value: &str) -> Test {
        self.env.retain(|(k, _)| k != key);
        self.env.push((key.into(), value.into()));
        self
    }

    pub fn without_env(mut self, key: &str) -> Test {
        self.env.retain(|(k, _)| k != key);
        self
    }

    pub fn now(mut self, now: Option<&str>) -> Test {
        self.now = now.map(str::to_string);
        self
    }

    pub fn results_name(mut self, name: &str) -> Test {
        self.results_name = name.to_string();
        self
    }

    /// Runs the binary under this umask (e.g. "022"), whatever the test process has.
    pub fn umask(mut self, mask: &str) -> Test {
        self.umask = Some(mask.to_string());
        self
    }

    /// Writes the config and input, and builds the command line.
    fn command(&self) -> (std::process::Command, PathBuf) {
        let config_path = self.dir.path().join("config.toml");
        std::fs::write(
            &config_path,
            self.config.replace("{BASE_URL}", &self.base_url),
        )
        .unwrap();
        let input_path = self.dir.path().join(&self.input_name);
        std::fs::write(&input_path, &self.input).unwrap();
        let results_path = self.dir.path().join(&self.results_name);

        let mut cmd = command_under_umask(self.umask.as_deref());
        cmd.current_dir(self.dir.path())
            .env_remove("ANNIE_API_KEY")
            .env_remove("RUST_LOG")
            .env_remove("COLUMNS")
            .args(["--no-progress", "run", "--config"])
            .arg(&config_path)
            .arg("--input")
            .arg(&input_path)
            .arg("--results")
            .arg(&results_path);
        if let Some(now) = &self.now {
            cmd.args(["--now", now]);
        }
        cmd.args(&self.args);
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        // A preview writes its own file beside the results (and never the results).
        let results_path = match self.args.iter().any(|a| a == "--dry-run") {
            true => preview_path(&results_path),
            false => results_path,
        };
        (cmd, results_path)
    }

    /// Runs the binary and waits for it.
    pub fn run(&self) -> Output {
        let (cmd, results_path) = self.command();
        let out = assert_cmd::Command::from_std(cmd)
            .output()
            .expect("run annie-dispatch");
        Output {
            status: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            dir: self.dir.path().to_path_buf(),
            results_path,
            _keep: self.dir.clone(),
        }
    }

    /// Runs the binary off the async runtime, so a wiremock server on it keeps answering.
    pub fn run_async(&self) -> impl std::future::Future<Output = Output> {
        let test = self.clone();
        async move {
            tokio::task::spawn_blocking(move || test.run())
                .await
                .expect("run task")
        }
    }

    /// Starts the binary without waiting for it.
    pub fn spawn(&self) -> Running {
        let (mut cmd, results_path) = self.command();
        let child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start annie-dispatch");
        Running {
            child,
            dir: self.dir.path().to_path_buf(),
            results_path,
            keep: self.dir.clone(),
        }
    }
}

impl Running {
    /// Waits (bounded) until the run's `.partial` results file has a row for `appointment_id`
    /// with `status`: the run has recorded that row, whatever the machine's speed.
    pub async fn wait_for_row(&self, appointment_id: &str, status: &str) {
        let mut partial = self.results_path.clone().into_os_string();
        partial.push(".partial");
        let partial = PathBuf::from(partial);
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        loop {
            // Read as it is being written: a line cut short is skipped, not an error.
            let recorded = csv::Reader::from_path(&partial).is_ok_and(|mut reader| {
                reader
                    .records()
                    .flatten()
                    .any(|r| r.get(1) == Some(appointment_id) && r.get(2) == Some(status))
            });
            if recorded {
                return;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "no `{status}` row for {appointment_id} in {}",
                partial.display()
            );
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }

    /// Waits (bounded) until the run has made `name` in its folder (its ledger, say: it has
    /// started, and watches for signals), whatever the machine's speed.
    pub async fn wait_for_file(&self, name: &str) {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        while !self.dir.join(name).exists() {
            assert!(
                std::time::Instant::now() < deadline,
                "the run made no {name}"
            );
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }

    /// Sends a signal by name (`TERM`, `INT`, `KILL`).
    pub fn signal(&self, name: &str) {
        let status = std::process::Command::new("kill")
            .arg(format!("-{name}"))
            .arg(self.child.id().to_string())
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -{name} failed");
    }

    /// Waits for the process to end (off the async runtime).
    pub async fn wait(self) -> Output {
        tokio::task::spawn_blocking(move || {
            let out = self
                .child
                .wait_with_output()
                .expect("wait for annie-dispatch");
            Output {
                status: out.status.code().unwrap_or(-1),
                stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
                stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
                dir: self.dir,
                results_path: self.results_path,
                _keep: self.keep,
            }
        })
        .await
        .expect("wait task")
    }
}

impl Output {
    #[track_caller]
    /// The run stopped before reading any row (exit 2) with `message` about the export
    /// `name` in the run's folder, and nothing else on stderr.
    pub fn assert_export_error(&self, name: &str, message: &str) {
        self.assert_status(2);
        let path = self.dir.join(name);
        assert_eq!(
            self.stderr.trim_end(),
            format!(
                "annie-dispatch: error: export `{}`: {message}",
                path.display()
            )
        );
    }

    pub fn assert_status(&self, code: i32) -> &Output {
        assert_eq!(
            self.status, code,
            "unexpected exit status\n--- stdout\n{}\n--- stderr\n{}",
            self.stdout, self.stderr
        );
        self
    }

    /// The results file as rows of column → value (as the run meant them: cells the writer
    /// neutralised against spreadsheet formulas are restored), sorted by input row.
    pub fn results(&self) -> Vec<BTreeMap<String, String>> {
        read_results(&self.results_path)
    }

    /// `(row, appointment_id, status)` for every result, sorted by row.
    pub fn statuses(&self) -> Vec<(u64, String, String)> {
        self.results()
            .iter()
            .map(|r| {
                (
                    r["row"].parse().unwrap(),
                    r["appointment_id"].clone(),
                    r["status"].clone(),
                )
            })
            .collect()
    }

    /// The result row for an appointment id (the first, if it appears twice).
    #[track_caller]
    pub fn result_for(&self, appointment_id: &str) -> BTreeMap<String, String> {
        self.results()
            .into_iter()
            .find(|r| r["appointment_id"] == appointment_id)
            .unwrap_or_else(|| panic!("no result for {appointment_id}; stderr:\n{}", self.stderr))
    }

    pub fn file(&self, name: &str) -> String {
        std::fs::read_to_string(self.dir.join(name)).unwrap()
    }
}

pub fn read_results(path: &Path) -> Vec<BTreeMap<String, String>> {
    let mut reader = csv::Reader::from_path(path)
        .unwrap_or_else(|e| panic!("results file {}: {e}", path.display()));
    let headers = reader.headers().unwrap().clone();
    let mut rows: Vec<BTreeMap<String, String>> = reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            headers
                .iter()
                .zip(r.iter())
                .map(|(h, v)| (h.to_string(), restore(v).to_string()))
                .collect()
        })
        .collect();
    rows.sort_by_key(|r| r["row"].parse::<u64>().unwrap());
    rows
}

/// The binary, started through `sh -c 'umask MASK; exec ...'` when a umask is given, so that
/// what the files' permissions show is the binary's doing, not a strict umask's.
pub fn command_under_umask(umask: Option<&str>) -> std::process::Command {
    let bin = env!("CARGO_BIN_EXE_annie-dispatch");
    match umask {
        None => std::process::Command::new(bin),
        Some(mask) => {
            let mut cmd = std::process::Command::new("sh");
            cmd.args(["-c", &format!("umask {mask} && exec \"$0\" \"$@\""), bin]);
            cmd
        }
    }
}

/// A Chicago number of its own for each appointment id (so rows are separate households unless
/// a test gives them one number), as written in an export.
pub fn phone_for(apt: &str) -> String {
    // FNV-1a: stable across runs and platforms.
    let hash = apt.bytes().fold(0xcbf29ce484222325u64, |h, b| {
        (h ^ b as u64).wrapping_mul(0x100000001b3)
    });
    format!("(312) 555-{:04}", hash % 10_000)
}

/// How [`phone_for`]'s number appears (masked) in results and the preview.
pub fn masked_for(apt: &str) -> String {
    format!("+1312***{}", &phone_for(apt)[10..])
}

/// How [`phone_for`]'s number appears in request bodies.
pub fn e164_for(apt: &str) -> String {
    format!("+1312555{}", &phone_for(apt)[10..])
}

/// One Open Dental row with sensible defaults; override fields by name.
/// Where a `--dry-run` writes its rows: `.preview` before the results file's extension.
pub fn preview_path(results: &Path) -> PathBuf {
    let stem = results.file_stem().unwrap().to_string_lossy();
    match results.extension() {
        Some(ext) => results.with_file_name(format!("{stem}.preview.{}", ext.to_string_lossy())),
        None => results.with_file_name(format!("{stem}.preview")),
    }
}

/// A Chicago practice's patient and one on a Los Angeles number, whose calling hours open at
/// 09:00 there (11:00 in Chicago): appointments `CHI` and `LA`, tomorrow at 10:00 and 11:00.
pub fn chicago_and_los_angeles() -> [String; 2] {
    [
        od_row("CHI", &[("AptDateTime", "2026-11-25 10:00:00")]),
        od_row(
            "LA",
            &[
                ("AptDateTime", "2026-11-25 11:00:00"),
                ("WirelessPhone", "(415) 555-0147"),
            ],
        ),
    ]
}

pub fn od_row(apt: &str, overrides: &[(&str, &str)]) -> String {
    od_fields(apt, overrides)
        .into_iter()
        .map(|(_, v)| {
            if v.contains(',') || v.contains('"') || v.contains('\n') {
                format!("\"{}\"", v.replace('"', "\"\""))
            } else {
                v
            }
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// [`od_row`] as a JSON object (Open Dental's keys; every value text, a blank one null), for a
/// JSON export.
pub fn od_object(apt: &str, overrides: &[(&str, &str)]) -> serde_json::Value {
    let object: serde_json::Map<String, serde_json::Value> = od_fields(apt, overrides)
        .into_iter()
        .map(|(k, v)| {
            let value = match v.is_empty() {
                true => serde_json::Value::Null,
                false => serde_json::Value::String(v),
            };
            (k.to_string(), value)
        })
        .collect();
    serde_json::Value::Object(object)
}

/// [`od_row`]'s columns and values, in [`OD_HEADER`]'s order.
fn od_fields(apt: &str, overrides: &[(&str, &str)]) -> Vec<(&'static str, String)> {
    let mut fields: Vec<(&'static str, String)> = vec![
        ("AptNum", apt.to_string()),
        ("PatNum", format!("P{apt}")),
        ("LName", "Johnson".into()),
        ("FName", "Sarah".into()),
        ("Birthdate", "1988-03-22".into()),
        ("WirelessPhone", phone_for(apt)),
        ("HmPhone", String::new()),
        ("WkPhone", String::new()),
        ("AptDateTime", "2026-11-24 09:00:00".into()),
        ("Pattern", "//XXXX//".into()),
        ("AptStatus", "1".into()),
        ("Confirmed", "Unconfirmed".into()),
        ("ProcDescript", "Prophy".into()),
    ];
    for (k, v) in overrides {
        let slot = fields
            .iter_mut()
            .find(|(name, _)| name == k)
            .unwrap_or_else(|| panic!("no column {k}"));
        slot.1 = v.to_string();
    }
    fields
}

/// A sandbox for tests: clock at [`NOW`], calls from the harness config's number, a rate limit
/// high enough never to matter, a request log at `log`; `tweak` adjusts the rest.
pub async fn test_sandbox(
    key: &str,
    log: &Path,
    tweak: impl FnOnce(&mut annie_dispatch::sandbox::SandboxConfig),
) -> annie_dispatch::sandbox::Sandbox {
    use annie_dispatch::sandbox::{Sandbox, SandboxConfig};
    let mut config = SandboxConfig::local(key, "+13125550100", chrono_tz::America::Chicago);
    let now = chrono::DateTime::parse_from_rfc3339(NOW).unwrap();
    config.now = Some(now.with_timezone(&chrono::Utc));
    config.rpm = 100_000;
    config.log = Some(log.to_path_buf());
    tweak(&mut config);
    Sandbox::start(config, false).await.unwrap()
}

/// A sandbox's request log (JSON Lines), one entry per request; empty when nothing was logged.
pub fn sandbox_log(path: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// The README's main command (the Open Dental sample to the in-process sandbox, `--now` the
/// evening before), writing its results to `results`; `global` flags go before `run`.
pub fn readme_sandbox_run(results: &Path, global: &[&str]) -> std::process::Command {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_annie-dispatch"));
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("ANNIE_API_KEY")
        .env_remove("COLUMNS")
        .arg("--no-progress")
        .args(global)
        .args(["run", "--config", "config.example.toml"])
        .args([
            "--input",
            "samples/opendental-appointments.csv",
            "--sandbox",
        ])
        .args(["--now", "2026-11-23T18:30:00-06:00", "--results"])
        .arg(results);
    cmd
}

/// Runs `t` every way a run can go through the stages, for tests whose rows must come out the
/// same in each: the streamed preview reading the export twice (as a large one) and once, the
/// preview of the whole export at once (`--emit-requests` takes that path, as a sending run
/// does), and a sending run. Each run's output, its extra arguments, and the status of a row
/// that is called in it.
pub async fn run_every_way(t: &Test) -> Vec<(Output, &'static [&'static str], &'static str)> {
    run_every_way_sending_with(t, &[]).await
}

/// [`run_every_way`], the sending run made with `send` (`["--sandbox"]`: the in-process
/// sandbox, for a config with no `base_url`).
pub async fn run_every_way_sending_with(
    t: &Test,
    send: &'static [&'static str],
) -> Vec<(Output, &'static [&'static str], &'static str)> {
    let ways: [(&'static [&'static str], &str, &'static str); 4] = [
        (&["--dry-run"], "0", "dry_run"),
        (&["--dry-run"], "16777216", "dry_run"),
        (
            &["--dry-run", "--emit-requests", "requests.jsonl"],
            "0",
            "dry_run",
        ),
        (send, "0", "sent"),
    ];
    let mut outputs = Vec::new();
    for (args, hold, called) in ways {
        let run = t
            .clone()
            .env("ANNIE_DISPATCH_HOLD_BYTES", hold)
            .args(args.iter().copied());
        outputs.push((run.run_async().await, args, called));
    }
    outputs
}
