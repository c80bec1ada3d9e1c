//! The config file as the operator wrote it.
//!
//! Every section rejects unknown keys (`deny_unknown_fields`) so that a typo such as
//! `request_per_minute` fails at start-up instead of silently doing nothing. Values that need
//! checking beyond their TOML type are kept with their position (`Spanned`) so that
//! [`crate::settings`] can name the line when it rejects them.

pub mod columns;
pub mod presets;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

pub use self::columns::{Column, ColumnName};

/// A string value together with where it stood in the file.
pub type Located = Spanned<String>;

/// The whole config file, before validation.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    #[serde(default)]
    pub api: ApiConfig,
    pub practice: PracticeConfig,
    #[serde(default)]
    pub dispatch: DispatchConfig,
    #[serde(default)]
    pub selection: SelectionConfig,
    #[serde(default)]
    pub input: InputConfig,
    #[serde(default)]
    pub templates: TemplatesConfig,
    #[serde(default)]
    pub state: StateConfig,
    #[serde(default)]
    pub hours: HoursConfig,
    #[serde(default)]
    pub households: HouseholdsConfig,
    #[serde(default)]
    pub optout: OptOutConfig,
    #[serde(default)]
    pub outcomes: OutcomesConfig,
    #[serde(default)]
    pub languages: Vec<LanguageConfig>,
    #[serde(default)]
    pub locations: Vec<LocationConfig>,
}

/// `[[locations]]`: one Annie organisation of a group, for the export rows whose location column
/// holds `id`. Each has its own numbers, zone, API key and rate limit.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LocationConfig {
    pub id: Located,
    pub name: Located,
    pub timezone: Located,
    pub from_number: Located,
    pub callback_number: Option<Located>,
    /// Language name (as in `[[languages]]`) → this organisation's Annie number for it.
    #[serde(default)]
    pub from_numbers: BTreeMap<String, Located>,
    pub api_key_env: Option<Located>,
    /// Where this organisation's API is, when not `[api] base_url` (a sandbox per location).
    pub base_url: Option<Located>,
    pub requests_per_minute: Option<Spanned<u32>>,
    /// Narrows `[hours] start`/`end` for this location, in its own zone.
    pub hours_start: Option<Located>,
    pub hours_end: Option<Located>,
}

/// `[[languages]]`: patients whose language column holds one of `values` are called from
/// `from_number` (an Annie number set to that language) with these templates.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LanguageConfig {
    pub name: Located,
    /// Located, so a value two entries share is named with its line.
    pub values: Vec<Located>,
    /// Required without `[[locations]]`; with them, each location names its own numbers.
    pub from_number: Option<Located>,
    pub context: Option<Located>,
    pub voicemail: Option<Located>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StateConfig {
    pub ledger: Option<Located>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HoursConfig {
    pub start: Option<Located>,
    pub end: Option<Located>,
    pub recipient_start: Option<Located>,
    pub recipient_end: Option<Located>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HouseholdsConfig {
    pub enabled: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OptOutConfig {
    pub list: Option<Located>,
    #[serde(default)]
    pub columns: Vec<String>,
    pub values: Option<Vec<String>>,
}

/// `[outcomes]`: the phrases `outcomes` classifies calls by. Each list replaces its default,
/// except `opt_out`, which adds to the built-in phrases.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutcomesConfig {
    pub opt_out: Option<Vec<Located>>,
    pub reschedule_requested: Option<Vec<Located>>,
    pub cancel_requested: Option<Vec<Located>>,
    pub confirmed: Option<Vec<Located>>,
    pub voicemail: Option<Vec<Located>>,
    pub unclear: Option<Vec<Located>>,
    pub negations: Option<Vec<Located>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiConfig {
    pub base_url: Option<Located>,
    pub api_key_env: Option<Located>,
    pub timeout: Option<Located>,
    /// OAuth client credentials instead of an API key.
    pub oauth: Option<OAuthConfig>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OAuthConfig {
    pub token_url: Located,
    pub audience: Option<Located>,
    pub client_id_env: Option<Located>,
    pub client_secret_env: Option<Located>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PracticeConfig {
    pub name: Located,
    /// Required without `[[locations]]` (each location has its own).
    pub timezone: Option<Located>,
    pub from_number: Option<Located>,
    pub callback_number: Option<Located>,
    pub phone_region: Option<Located>,
    /// Regions besides `phone_region` whose numbers patients may be called on ("CA", "GB").
    #[serde(default)]
    pub allowed_countries: Vec<Located>,
    /// Number types called besides mobile and fixed-line ones ("voip", "personal").
    #[serde(default)]
    pub allowed_number_types: Vec<Located>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DispatchConfig {
    pub requests_per_minute: Option<Spanned<u32>>,
    pub max_in_flight: Option<Spanned<u32>>,
    pub connect_attempts: Option<Spanned<u32>>,
    pub rate_limit_retries: Option<Spanned<u32>>,
    pub server_error_attempts: Option<Spanned<u32>>,
    pub breaker_after: Option<Spanned<u32>>,
    pub reconcile_pages: Option<Spanned<u32>>,
    pub same_number_spacing: Option<Located>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SelectionConfig {
    pub window: Option<Located>,
    pub skip_statuses: Option<Vec<String>>,
    /// Only these statuses are called (the preset's list when not given).
    pub call_statuses: Option<Vec<String>>,
    pub confirmed_values: Option<Vec<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InputConfig {
    pub preset: Option<Located>,
    pub format: Option<Located>,
    pub delimiter: Option<Located>,
    pub encoding: Option<Located>,
    pub max_export_age: Option<Located>,
    pub datetime_formats: Option<Vec<String>>,
    pub date_formats: Option<Vec<String>>,
    pub time_formats: Option<Vec<String>>,
    pub birth_date_formats: Option<Vec<String>>,
    /// JSON: the dotted path of the list of appointments in a file that is one object.
    pub records: Option<Located>,
    #[serde(default)]
    pub columns: ColumnsConfig,
}

/// Which header (CSV) or dotted path (JSON) holds each field. Every key is optional here; a
/// preset fills the gaps, and [`crate::settings`] checks that the result is complete. A key set
/// to `false` switches the preset's column off.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ColumnsConfig {
    pub appointment_id: Option<Column>,
    pub patient_id: Option<Column>,
    pub first_name: Option<Column>,
    pub last_name: Option<Column>,
    pub name: Option<Column>,
    pub birth_date: Option<Column>,
    pub phones: Option<Vec<ColumnName>>,
    pub start: Option<Column>,
    pub start_date: Option<Column>,
    pub start_time: Option<Column>,
    pub end: Option<Column>,
    pub length_minutes: Option<Column>,
    pub pattern: Option<Column>,
    pub appointment_type: Option<Column>,
    pub description: Option<Column>,
    pub status: Option<Column>,
    pub confirmed: Option<Column>,
    /// The patient's language, for `[[languages]]`.
    pub language: Option<Column>,
    /// Which `[[locations]]` entry a row belongs to (Open Dental's `ClinicNum`, say).
    pub location: Option<Column>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TemplatesConfig {
    pub context: Option<Located>,
    pub voicemail: Option<Located>,
    #[serde(default)]
    pub by_type: BTreeMap<String, TemplateOverride>,
}

/// Templates for one appointment type; a missing one falls back to the general template.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TemplateOverride {
    pub context: Option<Located>,
    pub voicemail: Option<Located>,
}

/// A config file read from disk, kept with its text so errors can quote line numbers.
pub struct LoadedConfig {
    pub path: PathBuf,
    pub text: String,
    pub file: ConfigFile,
}

impl LoadedConfig {
    /// Reads and parses the file. Syntax errors, unknown keys and wrong types come back with the
    /// file name, line and key, as the `toml` crate reports them.
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        let bytes = std::fs::read(path)
            .map_err(|e| anyhow::anyhow!("cannot read config file `{}`: {e}", path.display()))?;
        let text = String::from_utf8(bytes).map_err(|e| {
            // Notepad's "ANSI" (Windows-1252) turns `ñ` into one byte that is not UTF-8.
            let valid = &e.as_bytes()[..e.utf8_error().valid_up_to()];
            let line = 1 + valid.iter().filter(|&&b| b == b'\n').count();
            anyhow::anyhow!(
                "config file `{}`: line {line} is not UTF-8 text (a file saved as \"ANSI\" or \
                 Windows-1252, say): save the file as UTF-8",
                path.display()
            )
        })?;
        Self::parse(path, text)
    }

    /// Parses config text that claims to come from `path`.
    pub fn parse(path: &Path, text: String) -> anyhow::Result<Self> {
        // The parser's message quotes the offending line: a key pasted there is blanked out.
        let file: ConfigFile = toml::from_str(&text).map_err(|e| {
            let e = crate::secrets::redact_keys(&e.to_string()).into_owned();
            anyhow::anyhow!("config file `{}` is not valid: {e}", path.display())
        })?;
        Ok(LoadedConfig {
            path: path.to_path_buf(),
            text,
            file,
        })
    }

    /// A path from the config file, relative to the config file's folder.
    pub fn relative_path(&self, value: &str) -> PathBuf {
        let path = Path::new(value);
        if path.is_absolute() {
            return path.to_path_buf();
        }
        self.path
            .parent()
            .map_or_else(|| path.to_path_buf(), |dir| dir.join(path))
    }

    /// `file:line` for a value, for messages that must point the operator at the right place.
    pub fn at<T>(&self, value: &Spanned<T>) -> String {
        format!("{}:{}", self.path.display(), self.line(value))
    }

    /// The 1-based line of a value, for a message that already names the file.
    pub fn line<T>(&self, value: &Spanned<T>) -> usize {
        self.text[..value.span().start.min(self.text.len())]
            .matches('\n')
            .count()
            + 1
    }
}

#[cfg(test)]
mod tests {
    use super::LoadedConfig;

    #[test]
    fn a_config_saved_as_windows_1252_names_the_line_to_fix() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("practice.toml");
        // `Peñasco` as Notepad's "ANSI" writes it: `ñ` is the single byte 0xF1.
        let text =
            b"[practice]\ntimezone = \"America/Chicago\"\nname = \"Sonrisa Dental Pe\xf1asco\"\n";
        std::fs::write(&path, text).unwrap();
        let error = LoadedConfig::load(&path).err().unwrap().to_string();
        assert_eq!(
            error,
            format!(
                "config file `{}`: line 3 is not UTF-8 text (a file saved as \"ANSI\" or \
                 Windows-1252, say): save the file as UTF-8",
                path.display()
            )
        );
    }
}
