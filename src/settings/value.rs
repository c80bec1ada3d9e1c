//! Reading one config value: the error that points at it, and durations. Shared by every part
//! of the settings (a file of its own, so the parts need not import the module that uses them).

use std::time::Duration;

use crate::config::{LoadedConfig, Located};

/// A config error that points at the value: `config.toml:7: [practice] timezone: ...`.
pub(super) fn bad<T>(
    config: &LoadedConfig,
    value: &toml::Spanned<T>,
    key: &str,
    msg: String,
) -> anyhow::Error {
    // Messages quote the value; a key pasted in the wrong place is never printed.
    let msg = crate::secrets::redact_keys(&msg);
    anyhow::anyhow!("{}: {key}: {msg}", config.at(value))
}

pub(super) fn duration(
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
