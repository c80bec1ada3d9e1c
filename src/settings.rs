//! Command line + config file → one validated [`Settings`], built once at start-up.
//!
//! After this, no code looks at raw flags or TOML again. Every check that can fail before a call
//! is made fails here, with the file, line and key, so a typo costs a cron job nothing but an
//! error mail (exit 2).

use std::collections::BTreeMap;
use std::num::NonZeroU32;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, NaiveTime, Utc};
use chrono_tz::Tz;

use crate::api::ApiSettings;
use crate::cli::{GlobalArgs, RunArgs};
use crate::config::presets::{self, Preset};
use crate::config::{ColumnsConfig, LoadedConfig, Located};
use crate::dispatch::{DispatchSettings, Mode};
use crate::export::{self, Columns, Format, InputSettings, TextEncoding};
use crate::hours::{self, CallingHours, TimeWindow};
use crate::languages::{Language, Languages};
use crate::normalise::phone;
use crate::optout::OptOutSettings;
use crate::practice::Practice;
use crate::render::{TemplateSource, Templates, DEFAULT_CONTEXT, DEFAULT_VOICEMAIL};
use crate::select::{Selection, Window};

/// The documented production endpoint.
pub const DEFAULT_BASE_URL: &str = "https://api.helloannie.com/v1";
/// Where the API key is read from unless `[api] api_key_env` says otherwise.
pub const DEFAULT_API_KEY_ENV: &str = "ANNIE_API_KEY";
/// The key an in-process sandbox accepts.
pub const SANDBOX_KEY: &str = "annie-sk-sandbox";

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
    pub practice: Practice,
    pub dispatch: DispatchSettings,
    pub selection: Selection,
    pub templates: Templates,
    /// The ledger database: what earlier runs did.
    pub ledger_path: PathBuf,
    pub hours: CallingHours,
    /// Whether appointments sharing a phone number get one call.
    pub households: bool,
    pub opt_out: OptOutSettings,
    pub retry_uncertain: bool,
    pub wait_for_window: bool,
    /// Dispatch to an in-process sandbox (`run --sandbox`).
    pub sandbox: bool,
    pub summary_json: Option<PathBuf>,
    pub report: Option<PathBuf>,
    /// Print the preview table (a `--dry-run`; not `check`).
    pub show_table: bool,
    pub languages: Languages,
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

        let practice = practice(&config)?;
        let input = input(&config, &preset, &run.input)?;
        let results_path = results_path(run)?;
        let mode = if run.dry_run {
            Mode::Preview
        } else if run.sandbox {
            Mode::Send(ApiSettings {
                // Filled in when the in-process sandbox has a port.
                base_url: String::new(),
                api_key: SANDBOX_KEY.to_string(),
                oauth: None,
                timeout: Duration::from_secs(30),
            })
        } else {
            Mode::Send(api(&config, env)?)
        };
        let opt_out = opt_out(&config)?;
        let input = InputSettings {
            columns: input.columns.with_opt_out_columns(&opt_out.columns),
            opt_out_values: opt_out.values.clone(),
            ..input
        };
        Ok(Settings {
            mode,
            input,
            ledger_path: ledger_path(&config, &results_path, run.sandbox),
            sandbox: run.sandbox,
            summary_json: run.summary_json.clone(),
            report: run.report.clone(),
            show_table: run.dry_run,
            languages: languages(&config, practice.phone_region)?,
            hours: hours(&config, practice.timezone)?,
            households: c.households.enabled.unwrap_or(true),
            opt_out,
            retry_uncertain: run.retry_uncertain,
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
            dispatch: dispatch(&config)?,
            selection: selection(&config, &preset)?,
            templates: templates(&config)?,
            practice,
        })
    }
}

/// What commands that only talk to the API (`outcomes`) need from the config.
pub struct ApiOnly {
    pub api: ApiSettings,
    pub dispatch: DispatchSettings,
    /// The ledger a `run` with this config and `results` file used (never a sandbox's).
    pub ledger_path: PathBuf,
}

impl ApiOnly {
    pub fn build(
        config: &Path,
        results: &Path,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> anyhow::Result<ApiOnly> {
        let config = LoadedConfig::load(config)?;
        Ok(ApiOnly {
            api: api(&config, env)?,
            dispatch: dispatch(&config)?,
            ledger_path: ledger_path(&config, results, false),
        })
    }
}

/// A config error that points at the value: `config.toml:7: [practice] timezone: ...`.
fn bad<T>(
    config: &LoadedConfig,
    value: &toml::Spanned<T>,
    key: &str,
    msg: String,
) -> anyhow::Error {
    anyhow::anyhow!("{}: {key}: {msg}", config.at(value))
}

fn practice(config: &LoadedConfig) -> anyhow::Result<Practice> {
    let p = &config.file.practice;
    if p.name.get_ref().trim().is_empty() {
        return Err(bad(
            config,
            &p.name,
            "[practice] name",
            "is empty; calls must name the practice".into(),
        ));
    }
    let timezone = Tz::from_str(p.timezone.get_ref().trim()).map_err(|_| {
        bad(
            config,
            &p.timezone,
            "[practice] timezone",
            format!(
                "`{}` is not an IANA time zone name; use one such as America/Chicago",
                p.timezone.get_ref()
            ),
        )
    })?;
    let phone_region = match &p.phone_region {
        None => phonenumber::country::Id::US,
        Some(r) => phonenumber::country::Id::from_str(r.get_ref().trim()).map_err(|_| {
            bad(
                config,
                r,
                "[practice] phone_region",
                format!(
                    "`{}` is not a two-letter region code such as US or CA",
                    r.get_ref()
                ),
            )
        })?,
    };
    let number = |value: &Located, key: &str| {
        phone::parse(value.get_ref(), phone_region).map_err(|problem| {
            bad(
                config,
                value,
                key,
                format!("`{}` {}", value.get_ref(), problem.describe()),
            )
        })
    };
    let from = number(&p.from_number, "[practice] from_number")?;
    let callback = match &p.callback_number {
        Some(v) => number(v, "[practice] callback_number")?,
        None => from.clone(),
    };
    Ok(Practice {
        name: p.name.get_ref().trim().to_string(),
        timezone,
        from_number: from.e164,
        callback_spoken: callback.national,
        phone_region,
    })
}

fn api(config: &LoadedConfig, env: &dyn Fn(&str) -> Option<String>) -> anyhow::Result<ApiSettings> {
    let a = &config.file.api;
    let base_url = match &a.base_url {
        None => DEFAULT_BASE_URL.to_string(),
        Some(v) => {
            check_base_url(v.get_ref()).map_err(|msg| bad(config, v, "[api] base_url", msg))?
        }
    };
    let timeout = duration(
        config,
        a.timeout.as_ref(),
        "[api] timeout",
        Duration::from_secs(30),
    )?;
    if let Some(o) = &a.oauth {
        return Ok(ApiSettings {
            base_url,
            api_key: String::new(),
            oauth: Some(oauth(config, o, env)?),
            timeout,
        });
    }
    let (var, where_named) = match &a.api_key_env {
        Some(v) => (
            v.get_ref().trim().to_string(),
            format!("named by [api] api_key_env at {}", config.at(v)),
        ),
        None => (
            DEFAULT_API_KEY_ENV.to_string(),
            "the default for [api] api_key_env".to_string(),
        ),
    };
    let api_key = env(&var).filter(|k| !k.trim().is_empty()).ok_or_else(|| {
        anyhow::anyhow!(
            "environment variable `{var}` ({where_named}) is not set or empty; export the Annie API \
             key in it (the key never goes in the config file), or preview with --dry-run"
        )
    })?;
    Ok(ApiSettings {
        base_url,
        api_key: api_key.trim().to_string(),
        oauth: None,
        timeout,
    })
}

/// `[api.oauth]`: the token endpoint (https, or http to localhost) and the client credentials
/// from the environment variables it names.
fn oauth(
    config: &LoadedConfig,
    o: &crate::config::OAuthConfig,
    env: &dyn Fn(&str) -> Option<String>,
) -> anyhow::Result<crate::oauth::OAuthSettings> {
    let token_url = check_base_url(o.token_url.get_ref())
        .map_err(|m| bad(config, &o.token_url, "[api.oauth] token_url", m))?;
    let secret = |value: &Option<Located>, default: &str, key: &str| -> anyhow::Result<String> {
        let var = value
            .as_ref()
            .map_or(default.to_string(), |v| v.get_ref().trim().to_string());
        env(&var).filter(|v| !v.trim().is_empty()).ok_or_else(|| {
            anyhow::anyhow!(
                "environment variable `{var}` ([api.oauth] {key}) is not set or empty; export the \
                 OAuth client credential in it (never in the config file)"
            )
        })
    };
    Ok(crate::oauth::OAuthSettings {
        token_url,
        audience: o
            .audience
            .as_ref()
            .map_or("https://api.helloannie.com".to_string(), |v| {
                v.get_ref().clone()
            }),
        client_id: secret(&o.client_id_env, "ANNIE_CLIENT_ID", "client_id_env")?,
        client_secret: secret(
            &o.client_secret_env,
            "ANNIE_CLIENT_SECRET",
            "client_secret_env",
        )?,
    })
}

/// Accepts https anywhere, and plain http only to this machine (a local sandbox or test server):
/// patient data must never cross a network unencrypted.
pub fn check_base_url(text: &str) -> Result<String, String> {
    let url =
        reqwest::Url::parse(text.trim()).map_err(|e| format!("`{text}` is not a URL: {e}"))?;
    let loopback = match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    };
    match url.scheme() {
        "https" => {}
        "http" if loopback => {}
        "http" => {
            return Err(format!(
                "`{text}` uses plain http; patient data needs https (http is allowed only for localhost)"
            ))
        }
        other => return Err(format!("`{text}` has scheme `{other}`; use https")),
    }
    Ok(url.as_str().trim_end_matches('/').to_string())
}

fn duration(
    config: &LoadedConfig,
    value: Option<&Located>,
    key: &str,
    default: Duration,
) -> anyhow::Result<Duration> {
    match value {
        None => Ok(default),
        Some(v) => humantime::parse_duration(v.get_ref().trim()).map_err(|e| {
            bad(
                config,
                v,
                key,
                format!(
                    "`{}` is not a duration such as \"30s\" or \"24h\": {e}",
                    v.get_ref()
                ),
            )
        }),
    }
}

fn dispatch(config: &LoadedConfig) -> anyhow::Result<DispatchSettings> {
    let d = &config.file.dispatch;
    let positive =
        |v: &Option<toml::Spanned<u32>>, key: &str, default: u32| -> anyhow::Result<u32> {
            match v {
                None => Ok(default),
                Some(s) if *s.get_ref() > 0 => Ok(*s.get_ref()),
                Some(s) => Err(bad(config, s, key, "must be at least 1".into())),
            }
        };
    let rpm = positive(&d.requests_per_minute, "[dispatch] requests_per_minute", 60)?;
    Ok(DispatchSettings {
        requests_per_minute: NonZeroU32::new(rpm).unwrap_or(NonZeroU32::MIN),
        max_in_flight: positive(&d.max_in_flight, "[dispatch] max_in_flight", 4)? as usize,
        connect_attempts: positive(&d.connect_attempts, "[dispatch] connect_attempts", 3)?,
        rate_limit_retries: d.rate_limit_retries.as_ref().map_or(5, |v| *v.get_ref()),
        server_error_attempts: positive(
            &d.server_error_attempts,
            "[dispatch] server_error_attempts",
            3,
        )?,
        breaker_after: positive(&d.breaker_after, "[dispatch] breaker_after", 5)?,
        reconcile_pages: positive(&d.reconcile_pages, "[dispatch] reconcile_pages", 5)?,
    })
}

fn selection(config: &LoadedConfig, preset: &Preset) -> anyhow::Result<Selection> {
    let s = &config.file.selection;
    let window = match &s.window {
        None => Window::Tomorrow,
        Some(v) => {
            Window::parse(v.get_ref()).map_err(|m| bad(config, v, "[selection] window", m))?
        }
    };
    let list = |given: &Option<Vec<String>>, default: &[&str]| {
        given
            .clone()
            .unwrap_or_else(|| default.iter().map(|s| s.to_string()).collect())
    };
    Ok(Selection {
        window,
        skip_statuses: list(&s.skip_statuses, &preset.skip_statuses),
        confirmed_values: list(&s.confirmed_values, &preset.confirmed_values),
    })
}

fn input(config: &LoadedConfig, preset: &Preset, path: &Path) -> anyhow::Result<InputSettings> {
    let i = &config.file.input;
    let format = match &i.format {
        None => export::format_from_extension(path).ok_or_else(|| {
            anyhow::anyhow!(
                "cannot tell the format of `{}` from its name; set [input] format = \"csv\" or \"json\" in {}",
                path.display(),
                config.path.display()
            )
        })?,
        Some(v) => match v.get_ref().trim().to_ascii_lowercase().as_str() {
            "csv" => Format::Csv,
            "json" | "jsonl" => Format::Json,
            _ => return Err(bad(config, v, "[input] format", format!("`{}` is not csv or json", v.get_ref()))),
        },
    };
    let is_tsv = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("tsv"));
    let delimiter = match &i.delimiter {
        None => {
            if is_tsv {
                b'\t'
            } else {
                b','
            }
        }
        Some(v) => match v.get_ref().as_str() {
            "\\t" | "tab" => b'\t',
            d if d.len() == 1 && d.is_ascii() => d.as_bytes()[0],
            _ => {
                return Err(bad(
                    config,
                    v,
                    "[input] delimiter",
                    format!("`{}` is not a single character", v.get_ref()),
                ))
            }
        },
    };
    let encoding = match &i.encoding {
        None => TextEncoding::Utf8,
        Some(v) => match encoding_rs::Encoding::for_label(v.get_ref().trim().as_bytes()) {
            Some(e) if e == encoding_rs::UTF_8 => TextEncoding::Utf8,
            Some(e) if e == encoding_rs::WINDOWS_1252 => TextEncoding::Windows1252,
            _ => {
                return Err(bad(
                    config,
                    v,
                    "[input] encoding",
                    format!(
                        "`{}` is not supported; use \"utf-8\" or \"windows-1252\"",
                        v.get_ref()
                    ),
                ))
            }
        },
    };
    let columns = Columns::from_config(&merge_columns(&preset.columns, &i.columns))
        .map_err(|m| anyhow::anyhow!("{}: [input.columns]: {m}", config.path.display()))?;
    let formats = |given: &Option<Vec<String>>, default: &[&str]| {
        given
            .clone()
            .unwrap_or_else(|| default.iter().map(|s| s.to_string()).collect())
    };
    Ok(InputSettings {
        path: path.to_path_buf(),
        format,
        delimiter,
        encoding,
        columns,
        max_export_age: duration(
            config,
            i.max_export_age.as_ref(),
            "[input] max_export_age",
            Duration::from_secs(24 * 3600),
        )?,
        datetime_formats: formats(&i.datetime_formats, &preset.datetime_formats),
        date_formats: formats(&i.date_formats, &preset.date_formats),
        time_formats: formats(&i.time_formats, &preset.time_formats),
        birth_date_formats: formats(&i.birth_date_formats, &preset.birth_date_formats),
        opt_out_values: Vec::new(),
    })
}

/// The preset's mapping with the operator's keys on top. Setting one side of an either/or pair
/// (`name` vs `first_name`, `start` vs `start_date`, one of the end columns) drops the preset's
/// other side, so overriding a preset never produces a contradiction.
fn merge_columns(preset: &ColumnsConfig, given: &ColumnsConfig) -> ColumnsConfig {
    let mut base = preset.clone();
    if given.name.is_some() {
        (base.first_name, base.last_name) = (None, None);
    }
    if given.first_name.is_some() {
        base.name = None;
    }
    if given.start.is_some() {
        (base.start_date, base.start_time) = (None, None);
    }
    if given.start_date.is_some() || given.start_time.is_some() {
        base.start = None;
    }
    if given.end.is_some() || given.length_minutes.is_some() || given.pattern.is_some() {
        (base.end, base.length_minutes, base.pattern) = (None, None, None);
    }
    let pick = |g: &Option<String>, b: &Option<String>| g.clone().or_else(|| b.clone());
    ColumnsConfig {
        appointment_id: pick(&given.appointment_id, &base.appointment_id),
        patient_id: pick(&given.patient_id, &base.patient_id),
        first_name: pick(&given.first_name, &base.first_name),
        last_name: pick(&given.last_name, &base.last_name),
        name: pick(&given.name, &base.name),
        birth_date: pick(&given.birth_date, &base.birth_date),
        phones: given.phones.clone().or(base.phones),
        start: pick(&given.start, &base.start),
        start_date: pick(&given.start_date, &base.start_date),
        start_time: pick(&given.start_time, &base.start_time),
        end: pick(&given.end, &base.end),
        length_minutes: pick(&given.length_minutes, &base.length_minutes),
        pattern: pick(&given.pattern, &base.pattern),
        appointment_type: pick(&given.appointment_type, &base.appointment_type),
        description: pick(&given.description, &base.description),
        status: pick(&given.status, &base.status),
        confirmed: pick(&given.confirmed, &base.confirmed),
        language: pick(&given.language, &base.language),
    }
}

fn templates(config: &LoadedConfig) -> anyhow::Result<Templates> {
    let t = &config.file.templates;
    let source = |value: &Option<Located>, key: String, default: &str| match value {
        Some(v) => TemplateSource {
            key,
            location: config.at(v),
            source: v.get_ref().clone(),
        },
        None => TemplateSource {
            key,
            location: "built-in default".to_string(),
            source: default.to_string(),
        },
    };
    let mut by_type = BTreeMap::new();
    for (kind, pair) in &t.by_type {
        let mut sources = Vec::new();
        for (which, value) in [("context", &pair.context), ("voicemail", &pair.voicemail)] {
            if let Some(v) = value {
                sources.push((
                    which,
                    source(&Some(v.clone()), format!("by_type.\"{kind}\".{which}"), ""),
                ));
            }
        }
        by_type.insert(kind.clone(), sources);
    }
    Templates::compile(
        source(&t.context, "context".into(), DEFAULT_CONTEXT),
        source(&t.voicemail, "voicemail".into(), DEFAULT_VOICEMAIL),
        by_type,
    )
}

/// `[state] ledger`, or `annie-dispatch.ledger.sqlite3` beside the results file (so the nightly
/// exports in one folder share one history).
/// A `--sandbox` run keeps its own ledger beside the real one, so a rehearsal never marks real
/// appointments as sent.
fn ledger_path(config: &LoadedConfig, results: &Path, sandbox: bool) -> PathBuf {
    let path = match &config.file.state.ledger {
        Some(v) => config.relative_path(v.get_ref()),
        None => results.with_file_name("annie-dispatch.ledger.sqlite3"),
    };
    if !sandbox {
        return path;
    }
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().replace(".ledger", ".sandbox-ledger"))
        .unwrap_or_else(|| "annie-dispatch.sandbox-ledger.sqlite3".to_string());
    path.with_file_name(if name.contains("sandbox") {
        name
    } else {
        format!("sandbox-{name}")
    })
}

fn hours(config: &LoadedConfig, org_zone: Tz) -> anyhow::Result<CallingHours> {
    let h = &config.file.hours;
    let time = |v: &Option<Located>, key: &str, default: NaiveTime| -> anyhow::Result<NaiveTime> {
        match v {
            None => Ok(default),
            Some(t) => NaiveTime::parse_from_str(t.get_ref().trim(), "%H:%M").map_err(|_| {
                bad(
                    config,
                    t,
                    key,
                    format!("`{}` is not a time such as \"09:30\"", t.get_ref()),
                )
            }),
        }
    };
    let window = |start: &Option<Located>,
                  end: &Option<Located>,
                  keys: (&str, &str),
                  limit: TimeWindow,
                  what: &str| {
        let w = TimeWindow {
            start: time(start, keys.0, limit.start.max(hours::api_window().start))?,
            end: time(end, keys.1, limit.end.min(hours::api_window().end))?,
        };
        if limit.covers(&w) {
            Ok(w)
        } else {
            let at = start
                .as_ref()
                .or(end.as_ref())
                .map(|v| config.at(v))
                .unwrap_or_default();
            Err(anyhow::anyhow!(
                "{at}: [hours] {}/{}: {w} is not within {limit} ({what}); the config may narrow the window, never widen it",
                keys.0,
                keys.1
            ))
        }
    };
    Ok(CallingHours {
        org_zone,
        org: window(
            &h.start,
            &h.end,
            ("start", "end"),
            hours::api_window(),
            "the API's calling hours",
        )?,
        recipient: window(
            &h.recipient_start,
            &h.recipient_end,
            ("recipient_start", "recipient_end"),
            hours::legal_window(),
            "the legal calling hours at the patient's location",
        )?,
    })
}

fn opt_out(config: &LoadedConfig) -> anyhow::Result<OptOutSettings> {
    let o = &config.file.optout;
    Ok(OptOutSettings {
        list: o.list.as_ref().map(|v| config.relative_path(v.get_ref())),
        columns: o.columns.clone(),
        values: o
            .values
            .clone()
            .unwrap_or_else(|| vec!["DoNotCall".to_string()]),
    })
}

fn languages(config: &LoadedConfig, region: phonenumber::country::Id) -> anyhow::Result<Languages> {
    let mut list = Vec::new();
    for l in &config.file.languages {
        let from_number = phone::parse(l.from_number.get_ref(), region)
            .map_err(|p| {
                let msg = format!("`{}` {}", l.from_number.get_ref(), p.describe());
                bad(config, &l.from_number, "[[languages]] from_number", msg)
            })?
            .e164;
        let templates = match (&l.context, &l.voicemail) {
            (None, None) => None,
            (context, voicemail) => {
                let name = l.name.get_ref();
                let source = |v: &Option<Located>, which: &str, default: &str| TemplateSource {
                    key: format!("languages \"{name}\" {which}"),
                    location: v
                        .as_ref()
                        .map_or("built-in default".to_string(), |v| config.at(v)),
                    source: v
                        .as_ref()
                        .map_or(default.to_string(), |v| v.get_ref().clone()),
                };
                Some(Templates::compile(
                    source(context, "context", DEFAULT_CONTEXT),
                    source(voicemail, "voicemail", DEFAULT_VOICEMAIL),
                    BTreeMap::new(),
                )?)
            }
        };
        list.push(Language {
            name: l.name.get_ref().trim().to_string(),
            values: l.values.iter().map(|v| v.trim().to_lowercase()).collect(),
            from_number,
            templates,
        });
    }
    Ok(Languages { list })
}

/// `--results`, or the input's name with `.results.csv`. Never the input itself.
fn results_path(run: &RunArgs) -> anyhow::Result<PathBuf> {
    let path = run.results.clone().unwrap_or_else(|| {
        let stem = run
            .input
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "appointments".to_string());
        run.input.with_file_name(format!("{stem}.results.csv"))
    });
    let same = |a: &Path, b: &Path| match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    };
    if same(&path, &run.input) {
        anyhow::bail!(
            "the results file `{}` is the input file; choose another --results path",
            path.display()
        );
    }
    Ok(path)
}
