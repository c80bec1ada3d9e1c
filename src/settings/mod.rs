//! Command line + config file → one validated [`Settings`], built once at start-up.
//!
//! After this, no code looks at raw flags or TOML again. Every check that can fail before a call
//! is made fails here, with the file, line and key, so a typo costs a cron job nothing but an
//! error mail (exit 2). One file per part of the config: [`api`] (endpoint and credentials),
//! [`input`] (the export and selection), [`texts`] (templates and languages), [`locations`]
//! (who calls, from where, how fast, when), [`numbers`] (which numbers are a patient's phone).

pub(crate) mod api;
mod input;
mod locations;
mod numbers;
pub(crate) mod opt_out;
pub(crate) mod outcomes;
pub(crate) mod paths;
pub(crate) mod texts;
mod value;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};

pub use self::api::{ApiSettings, SANDBOX_KEY};
pub use self::input::Selection;
pub use self::opt_out::OptOutSettings;
pub(crate) use self::paths::{Kind, Output, OUTCOMES_HEADER, RESULTS_HEADER};
use self::texts::Languages;
use crate::cli::{GlobalArgs, RunArgs};
use crate::config::presets::{self};
use crate::config::{LoadedConfig, Located};
use crate::export::record::InputSettings;
use crate::locations::Location;
use crate::templates::Templates;
use value::bad;

/// Whether a run sends: a preview sends nothing (and has no API client); a sending run talks to
/// the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Preview,
    Send,
}

/// Everything a run needs, checked.
#[derive(Debug)]
pub struct Settings {
    pub mode: Mode,
    pub input: InputSettings,
    pub results_path: PathBuf,
    pub emit_requests: Option<PathBuf>,
    /// The reference time: `--now`, or the clock at start-up.
    pub now: DateTime<Utc>,
    pub limit: Option<usize>,
    pub allow_stale: bool,
    pub show_progress: bool,
    /// The group's (or the single practice's) name, for titles.
    pub name: String,
    /// Who calls: one entry for a single practice, one per `[[locations]]` entry for a group.
    pub locations: Vec<Location>,
    pub selection: Selection,
    pub templates: Arc<Templates>,
    /// The ledger database: what earlier runs did. The file's own path, symlinks followed (see
    /// [`ledger_path`]), so that its lock is the one every run on it takes.
    pub ledger_path: PathBuf,
    /// Whether appointments sharing a phone number get one call.
    pub households: bool,
    pub opt_out: OptOutSettings,
    pub retry_uncertain: bool,
    /// `--accept-new-key`: a changed key for the same API may replace the ledger's record.
    pub accept_new_key: bool,
    pub wait_for_window: bool,
    /// Dispatch to an in-process sandbox (`run --sandbox`).
    pub sandbox: bool,
    /// For a `--sandbox` run given `--results`: the real ledger, whose calls that file must not
    /// hold (a rehearsal must not replace a real run's results).
    pub real_ledger: Option<PathBuf>,
    pub summary_json: Option<PathBuf>,
    pub report: Option<PathBuf>,
    /// Print the preview table (a `--dry-run`; not `check`).
    pub show_table: bool,
    /// `--wide`: the preview table is not fitted to a width.
    pub wide: bool,
    /// `--show-texts N`: the preview prints the texts of the first N calls.
    pub show_texts: usize,
    pub languages: Arc<Languages>,
}

impl Settings {
    /// Builds the settings. `env` reads environment variables (injected so tests need not touch
    /// the real environment).
    pub fn build(
        run: &RunArgs,
        global: &GlobalArgs,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> anyhow::Result<Settings> {
        let config = LoadedConfig::load(&run.config)?;
        let c = &config.file;
        let preset = match &c.input.preset {
            None => presets::generic(),
            Some(name) => presets::by_name(name.get_ref()).ok_or_else(|| {
                bad(
                    &config,
                    name,
                    "[input] preset",
                    format!(
                        "`{}` is not a preset; choose one of: {}",
                        name.get_ref(),
                        presets::NAMES.join(", ")
                    ),
                )
            })?,
        };

        let input = input::input(&config, &preset, &run.input)?;
        let results_path = results_path(run)?;
        let mode = match run.dry_run {
            true => Mode::Preview,
            false => Mode::Send,
        };
        let api = |key_env: Option<&Located>, base_url: Option<&Located>| match mode {
            // A preview needs no API, but says what would stop the sending run (a key not set
            // is not among it: a preview is often made on a machine without one).
            Mode::Preview => {
                // (Where the key would come from is checked for a preview too, with its own
                // error.)
                let keys_set = |var: &str| env(var).or_else(|| Some("(set)".to_string()));
                match api::api(&config, &keys_set, key_env, base_url) {
                    Err(e) if api::key_variable(&config, key_env).is_ok() => {
                        tracing::warn!("a sending run would stop before calling anyone: {e:#}");
                    }
                    _ => {}
                }
                Ok(None)
            }
            // The base URL is filled in when the in-process sandbox has a port.
            Mode::Send if run.sandbox => Ok(Some(ApiSettings {
                base_url: String::new(),
                api_key: SANDBOX_KEY.into(),
                oauth: None,
                timeout: Duration::from_secs(30),
            })),
            Mode::Send => api::api(&config, env, key_env, base_url).map(Some),
        };
        let languages = texts::languages(&config)?;
        let locations = locations::locations(&config, &languages, &api)?;
        if locations::is_group(&config)
            && input
                .columns
                .column(crate::export::columns::Field::Location)
                .is_none()
        {
            anyhow::bail!(
                "{}: [input.columns] location is not set: with [[locations]], name the export \
                 column that holds each row's location (Open Dental: \"ClinicNum\")",
                config.path.display()
            );
        }
        let opt_out = opt_out::opt_out(&config, &preset)?;
        // Only `outcomes` uses them, but a mistake there is reported by `run` and `check` too.
        outcomes::rules(&config)?;
        let ledger_path = ledger_path(&config, &results_path, run.sandbox)?;
        let (results_name, partial_name) = match mode {
            Mode::Preview => ("the preview file (--dry-run)", "the partial preview file"),
            Mode::Send => ("the results file (--results)", "the partial results file"),
        };
        let outputs = [
            Some(
                Output::new(results_name, &results_path, Kind::Rows(RESULTS_HEADER))
                    .with_partial(partial_name),
            ),
            run.emit_requests
                .as_deref()
                .map(|p| Output::new("--emit-requests", p, Kind::Requests)),
            run.report
                .as_deref()
                .map(|p| Output::new("--report", p, Kind::Html)),
            run.summary_json
                .as_deref()
                .map(|p| Output::new("--summary-json", p, Kind::Summary)),
        ];
        let ledger_files = paths::ledger_files(&ledger_path);
        let inputs = [
            Some(("the input", run.input.as_path())),
            Some(("the config", run.config.as_path())),
            opt_out.list.as_deref().map(|p| ("the do-not-call list", p)),
        ];
        let outputs: Vec<_> = outputs.into_iter().flatten().collect();
        let inputs: Vec<_> = inputs
            .into_iter()
            .flatten()
            .chain(ledger_files.iter().map(|(w, p)| (*w, p.as_path())))
            .collect();
        paths::check_outputs(&outputs, &inputs)?;
        if mode == Mode::Preview || run.sandbox {
            let rehearsal_outputs = [
                run.report.as_deref().map(|p| ("--report", p)),
                run.summary_json.as_deref().map(|p| ("--summary-json", p)),
            ];
            for (what, path) in rehearsal_outputs.into_iter().flatten() {
                paths::refuse_a_real_runs_output(what, path, run.sandbox)?;
            }
        }
        let input = InputSettings {
            columns: input
                .columns
                .with_opt_out_columns(&opt_out.columns, opt_out.columns_optional),
            opt_out_values: opt_out.values.clone(),
            ..input
        };
        let templates = texts::templates(&config)?;
        let households = c.households.enabled.unwrap_or(true);
        if households {
            texts::households_named(&templates, &languages)?;
        }
        if run.now.is_some() && mode == Mode::Send {
            refuse_pinned_clock(&locations)?;
        }
        Ok(Settings {
            mode,
            input,
            ledger_path,
            sandbox: run.sandbox,
            real_ledger: real_ledger(&config, run, &results_path),
            summary_json: run.summary_json.clone(),
            report: run.report.clone(),
            show_table: run.dry_run,
            wide: run.preview.wide,
            show_texts: run.preview.show_texts.unwrap_or(0),
            name: c.practice.name.get_ref().trim().to_string(),
            locations,
            languages: Arc::new(languages),
            households,
            opt_out,
            retry_uncertain: run.retry_uncertain,
            accept_new_key: run.accept_new_key,
            wait_for_window: run.wait_for_window,
            results_path,
            emit_requests: run.emit_requests.clone(),
            now: run
                .now
                .map(|t| t.with_timezone(&Utc))
                .unwrap_or_else(Utc::now),
            limit: run.limit,
            allow_stale: run.allow_stale,
            show_progress: !global.no_progress && !global.quiet,
            selection: input::selection(&config, &preset)?,
            templates: Arc::new(templates),
        })
    }

    /// Whether the config declares `[[locations]]` (a group) rather than one practice.
    pub fn grouped(&self) -> bool {
        crate::locations::grouped(&self.locations)
    }
}

/// `--now` pins the clock that calling hours, "past" and the ledger's times are judged by: fine
/// for a preview, `check` or an API on this machine (a sandbox, a test server), never for a run
/// that calls real patients.
fn refuse_pinned_clock(locations: &[Location]) -> anyhow::Result<()> {
    let real = locations
        .iter()
        .filter_map(|l| l.api.as_ref())
        .map(|a| a.base_url.as_str())
        .find(|u| url::Url::parse(u).is_ok_and(|u| !api::on_this_machine(&u)));
    match real {
        None => Ok(()),
        Some(url) => anyhow::bail!(
            "--now pins the clock that calling hours, \"past\" and the ledger's times are judged \
             by, and this run would call real patients (the API at `{url}`), so it goes by the \
             real clock. Drop --now; to rehearse a date, use --dry-run, `check` or --sandbox"
        ),
    }
}

/// What commands that only talk to the API (`outcomes`) need from the config.
pub struct ApiOnly {
    /// The group's (or the single practice's) name, for titles.
    pub name: String,
    /// Every location, each with its API settings (one with an empty id for a single practice).
    pub locations: Vec<Location>,
    /// The ledger a `run` with this config and `results` file used (never a sandbox's), symlinks
    /// followed as for [`Settings::ledger_path`].
    pub ledger_path: PathBuf,
    /// `[outcomes]`: how calls are classified.
    pub outcomes: self::outcomes::Rules,
}

impl ApiOnly {
    /// The settings, once the `outputs` are known to destroy nothing: none is the results file,
    /// the config, the ledger, the do-not-call list or another output, none replaces a file that
    /// is not an earlier output of its kind, and each can be written (see
    /// [`paths::check_outputs`]).
    pub fn build(
        config_path: &Path,
        results: &Path,
        outputs: &[Output<'_>],
        env: &dyn Fn(&str) -> Option<String>,
    ) -> anyhow::Result<ApiOnly> {
        let config = LoadedConfig::load(config_path)?;
        let ledger_path = ledger_path(&config, results, false)?;
        let do_not_call = config
            .file
            .optout
            .list
            .as_ref()
            .map(|v| config.relative_path(v.get_ref()));
        let ledger_files = paths::ledger_files(&ledger_path);
        let inputs = [
            Some(("the results file (--results)", results)),
            Some(("the config", config_path)),
            do_not_call.as_deref().map(|p| ("the do-not-call list", p)),
        ];
        let inputs: Vec<_> = inputs
            .into_iter()
            .flatten()
            .chain(ledger_files.iter().map(|(w, p)| (*w, p.as_path())))
            .collect();
        paths::check_outputs(outputs, &inputs)?;
        let languages = texts::languages(&config)?;
        let api = |key_env: Option<&Located>, base_url: Option<&Located>| {
            api::api(&config, env, key_env, base_url).map(Some)
        };
        Ok(ApiOnly {
            name: config.file.practice.name.get_ref().trim().to_string(),
            locations: locations::locations(&config, &languages, &api)?,
            ledger_path,
            outcomes: outcomes::rules(&config)?,
        })
    }
}

/// The ledger's file name when `[state] ledger` does not name one.
const LEDGER_NAME: &str = "annie-dispatch.ledger.sqlite3";

/// `[state] ledger`, or `annie-dispatch.ledger.sqlite3` beside the config file: one config, one
/// history, whatever `--results` says (a rerun with another results path must not start a new
/// ledger). Earlier versions kept it beside the results file; such a ledger is not silently left
/// behind: the run refuses and says how to move it.
///
/// A `--sandbox` run keeps its own ledger (`annie-dispatch.sandbox-ledger.sqlite3` beside the
/// results, or beside `[state] ledger`), so a rehearsal never marks real appointments as sent.
///
/// The path is the file's own ([`paths::real_file`]: symlinks followed), and everything derived
/// from it (the lock, the journal files outputs may not be, the sandbox ledger) is beside that
/// file: two configs naming one ledger by two paths share one lock, so their runs cannot send at
/// once.
fn ledger_path(config: &LoadedConfig, results: &Path, sandbox: bool) -> anyhow::Result<PathBuf> {
    written_ledger_path(config, results, sandbox).map(|path| paths::real_file(&path))
}

/// [`ledger_path`] before the symlinks are followed (the configured ledger's already are, so the
/// sandbox ledger sits beside the real one).
fn written_ledger_path(
    config: &LoadedConfig,
    results: &Path,
    sandbox: bool,
) -> anyhow::Result<PathBuf> {
    let configured = config
        .file
        .state
        .ledger
        .as_ref()
        .map(|v| paths::real_file(&config.relative_path(v.get_ref())));
    if sandbox {
        let name = configured
            .as_ref()
            .and_then(|p| p.file_name())
            .map(|n| n.to_string_lossy().replace(".ledger", ".sandbox-ledger"))
            .filter(|n| n.contains("sandbox"));
        return Ok(match (&configured, name) {
            (Some(path), Some(name)) => path.with_file_name(name),
            (Some(path), None) => {
                let name = path.file_name().unwrap_or_default().to_string_lossy();
                path.with_file_name(format!("sandbox-{name}"))
            }
            (None, _) => results.with_file_name("annie-dispatch.sandbox-ledger.sqlite3"),
        });
    }
    if let Some(path) = configured {
        refuse_an_abandoned_ledger(config, &path, results)?;
        return Ok(path);
    }
    let path = config.relative_path(LEDGER_NAME);
    let old = results.with_file_name(LEDGER_NAME);
    if !path.exists() && old.exists() && !same_file(&old, &path) {
        anyhow::bail!(
            "{}: the ledger now lives beside the config file (`{}`), but the one earlier runs \
             wrote is beside the results file (`{}`). Move it there (with its -wal file, if \
             any), or set [state] ledger = \"{}\" in the config",
            config.path.display(),
            path.display(),
            old.display(),
            old.display()
        );
    }
    Ok(path)
}

/// A configured ledger that does not exist yet, while one an earlier run wrote is where runs
/// kept it before `[state] ledger` was set (beside the config file, or, in older versions,
/// beside the results file): `contrib/install.sh` sets `[state] ledger` for every practice, and
/// a new ledger there would leave the old one's requests not to be called (older than Annie
/// lists) behind without a word. Refused, saying where to move it.
fn refuse_an_abandoned_ledger(
    config: &LoadedConfig,
    configured: &Path,
    results: &Path,
) -> anyhow::Result<()> {
    if configured.exists() {
        return Ok(());
    }
    let earlier = [
        config.relative_path(LEDGER_NAME),
        results.with_file_name(LEDGER_NAME),
    ];
    let Some(old) = earlier
        .iter()
        .find(|old| old.exists() && !same_file(old, configured))
    else {
        return Ok(());
    };
    anyhow::bail!(
        "{}: [state] ledger names `{}`, which does not exist yet, but the ledger earlier runs \
         wrote is `{}`. Move it there (with its -wal file, if any), or set [state] ledger = \
         \"{}\": a new ledger would leave behind the requests not to be called it holds",
        config.path.display(),
        configured.display(),
        old.display(),
        old.display()
    );
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

/// The results file when `--results` does not name one: the input's name with `.results.csv`,
/// and with `.results.sandbox.csv` for a `--sandbox` rehearsal, so rehearsing tonight's export
/// never replaces tonight's real results, which the morning's `outcomes` reads (the breaker's
/// round-9 finding 10).
fn default_results(run: &RunArgs) -> PathBuf {
    let stem = run
        .input
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "appointments".to_string());
    let name = match run.sandbox {
        true => format!("{stem}.results.sandbox.csv"),
        false => format!("{stem}.results.csv"),
    };
    run.input.with_file_name(name)
}

/// For a `--sandbox` run whose `--results` names a file: the ledger the real runs with this
/// config keep (symlinks followed), so the run can refuse to replace a file holding real calls.
/// `None` otherwise, and when no real ledger can be named.
fn real_ledger(config: &LoadedConfig, run: &RunArgs, results: &Path) -> Option<PathBuf> {
    (run.sandbox && run.results.is_some())
        .then(|| ledger_path(config, results, false).ok())
        .flatten()
}

/// A results file named `.json` would get CSV (only `.jsonl` selects JSON Lines): refused, so a
/// script expecting JSON never reads CSV from it, nor a JSON array from JSON Lines.
fn refuse_json_name(path: &Path) -> anyhow::Result<()> {
    let json = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("json"));
    if json {
        anyhow::bail!(
            "the results file `{}` ends in `.json`, but results are written as CSV or JSON Lines, \
             never as one JSON document: name it `{}` for JSON Lines or `{}` for CSV",
            path.display(),
            path.with_extension("jsonl").display(),
            path.with_extension("csv").display(),
        );
    }
    Ok(())
}

/// `--results`, or the input's name with `.results.csv` (`.results.sandbox.csv` for a
/// `--sandbox` rehearsal, see [`default_results`]); for a `--dry-run`, the preview file beside
/// it (`.results.preview.csv`), so a preview never overwrites a run's results. Never the input
/// itself.
fn results_path(run: &RunArgs) -> anyhow::Result<PathBuf> {
    let path = run.results.clone().unwrap_or_else(|| default_results(run));
    refuse_json_name(&path)?;
    // A preview's file is named after the results path: a folder there would give a file
    // beside it (`d.preview`), or hidden in it (`./.preview`), not the file the user named.
    if run.dry_run && path.is_dir() {
        anyhow::bail!(
            "the results file (--results) `{}` is a folder, not a file: name a file for the \
             results file (--results), such as a new file in that folder (the preview is \
             written beside it, as NAME.preview.csv)",
            path.display()
        );
    }
    let path = match run.dry_run {
        true => paths::preview_path(&path),
        false => path,
    };
    let same = |a: &Path, b: &Path| match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    };
    if same(&path, &run.input) {
        let what = match run.dry_run {
            true => "the preview file (--dry-run)",
            false => "the results file",
        };
        anyhow::bail!(
            "{what} `{}` is the input file; choose another --results path",
            path.display()
        );
    }
    Ok(path)
}
