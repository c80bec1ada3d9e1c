//! `[api]`: where the API is and how requests are authorised (a key, or OAuth client
//! credentials), with secrets read from the environment, never from the file.

use std::time::Duration;

use secrecy::SecretString;

use super::value::{bad, duration};
use crate::config::{LoadedConfig, Located};
use crate::secrets::{is_env_name, looks_like_key};

/// Connection settings for the API.
#[derive(Debug, Clone)]
pub struct ApiSettings {
    /// Without a trailing slash, e.g. `https://api.helloannie.com/v1`.
    pub base_url: String,
    /// The API key (`[REDACTED]` in `Debug` output); unused when `oauth` is set.
    pub api_key: secrecy::SecretString,
    /// OAuth client credentials instead of a key.
    pub oauth: Option<OAuthSettings>,
    pub timeout: Duration,
}

/// `[api.oauth]` settings, with the credentials already read from the environment. The secret
/// shows as `[REDACTED]` in `Debug` output.
#[derive(Debug, Clone)]
pub struct OAuthSettings {
    pub token_url: String,
    pub audience: String,
    pub client_id: String,
    pub client_secret: SecretString,
}

/// The documented production endpoint.
pub const DEFAULT_BASE_URL: &str = "https://api.helloannie.com/v1";
/// Where the API key is read from unless `[api] api_key_env` says otherwise.
pub const DEFAULT_API_KEY_ENV: &str = "ANNIE_API_KEY";
/// The key an in-process sandbox accepts.
pub const SANDBOX_KEY: &str = "annie-sk-sandbox";

/// `[api]`, with a location's own key variable and base URL when it names them.
pub(super) fn api(
    config: &LoadedConfig,
    env: &dyn Fn(&str) -> Option<String>,
    key_env: Option<&Located>,
    base_url: Option<&Located>,
) -> anyhow::Result<ApiSettings> {
    let a = &config.file.api;
    let base_url = match base_url
        .map(|b| (b, "[[locations]] base_url"))
        .or(a.base_url.as_ref().map(|b| (b, "[api] base_url")))
    {
        None => DEFAULT_BASE_URL.to_string(),
        Some((v, key)) => check_base_url(v.get_ref()).map_err(|msg| bad(config, v, key, msg))?,
    };
    let timeout = duration(
        config,
        a.timeout.as_ref(),
        "[api] timeout",
        Duration::from_secs(30),
    )?;
    if let Some(v) = a.timeout.as_ref().filter(|_| timeout.is_zero()) {
        let msg = "a timeout of zero would end every request before Annie could answer; give a \
                   few seconds at least, such as \"30s\" (the default)";
        return Err(bad(config, v, "[api] timeout", msg.to_string()));
    }
    if let (Some(o), None) = (&a.oauth, key_env) {
        return Ok(ApiSettings {
            base_url,
            api_key: SecretString::default(),
            oauth: Some(oauth(config, o, env)?),
            timeout,
        });
    }
    let (var, where_named) = key_variable(config, key_env)?;
    let api_key = env(&var).filter(|k| !k.trim().is_empty()).ok_or_else(|| {
        anyhow::anyhow!(
            "environment variable `{var}` ({where_named}) is not set or empty; export the Annie API \
             key in it (the key never goes in the config file); a preview (`run --dry-run`) needs \
             no key"
        )
    })?;
    Ok(ApiSettings {
        base_url,
        api_key: api_key.trim().into(),
        oauth: None,
        timeout,
    })
}

/// The environment variable that holds an API key: a location's own `api_key_env`, else
/// `[api] api_key_env`, else the default; with where it was named, for messages. An error when
/// the setting holds a key (or anything else that is not a variable's name).
pub(super) fn key_variable(
    config: &LoadedConfig,
    key_env: Option<&Located>,
) -> anyhow::Result<(String, String)> {
    let named = key_env.map(|v| (v, "[[locations]] api_key_env")).or(config
        .file
        .api
        .api_key_env
        .as_ref()
        .map(|v| (v, "[api] api_key_env")));
    Ok(match named {
        Some((v, key)) => (
            variable_name(config, v, key, DEFAULT_API_KEY_ENV)?,
            format!("named by {key} at {}", config.at(v)),
        ),
        None => (
            DEFAULT_API_KEY_ENV.to_string(),
            "the default for [api] api_key_env".to_string(),
        ),
    })
}

/// The environment variable a `..._env` setting names. A key pasted in its place is refused
/// without being printed (the message would end up in a cron mail or a log), with what to do
/// instead; so is any other value a shell could not `export`.
fn variable_name(
    config: &LoadedConfig,
    value: &Located,
    key: &str,
    example: &str,
) -> anyhow::Result<String> {
    let name = value.get_ref().trim();
    let setting = key.rsplit(' ').next().unwrap_or(key);
    if looks_like_key(name) {
        let msg = format!(
            "must name an environment variable, but its value looks like a key itself (not \
             printed here). Put the key in an environment variable (`export {example}=...`, or a \
             line in the service's env file), set {setting} = \"{example}\", and, as the key has \
             been stored in the config file, consider replacing it with a new one"
        );
        return Err(bad(config, value, key, msg));
    }
    if !is_env_name(name) {
        let msg = format!(
            "`{name}` is not an environment variable name (letters, digits and _, not starting \
             with a digit); name the variable that holds the secret, e.g. {setting} = \"{example}\""
        );
        return Err(bad(config, value, key, msg));
    }
    Ok(name.to_string())
}

/// `[api.oauth]`: the token endpoint (https, or http to localhost) and the client credentials
/// from the environment variables it names.
fn oauth(
    config: &LoadedConfig,
    o: &crate::config::OAuthConfig,
    env: &dyn Fn(&str) -> Option<String>,
) -> anyhow::Result<OAuthSettings> {
    let token_url = check_base_url(o.token_url.get_ref())
        .map_err(|m| bad(config, &o.token_url, "[api.oauth] token_url", m))?;
    let secret = |value: &Option<Located>, default: &str, key: &str| -> anyhow::Result<String> {
        let var = match value {
            None => default.to_string(),
            Some(v) => variable_name(config, v, &format!("[api.oauth] {key}"), default)?,
        };
        env(&var).filter(|v| !v.trim().is_empty()).ok_or_else(|| {
            anyhow::anyhow!(
                "environment variable `{var}` ([api.oauth] {key}) is not set or empty; export the \
                 OAuth client credential in it (never in the config file)"
            )
        })
    };
    Ok(OAuthSettings {
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
        )?
        .into(),
    })
}

/// Accepts https anywhere, and plain http only to this machine (a local sandbox or test server):
/// patient data must never cross a network unencrypted.
/// Whether the API is on this machine (a sandbox or a test server), never Annie's.
pub(crate) fn on_this_machine(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

pub fn check_base_url(text: &str) -> Result<String, String> {
    let url =
        reqwest::Url::parse(text.trim()).map_err(|e| format!("`{text}` is not a URL: {e}"))?;
    let loopback = on_this_machine(&url);
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

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "annie-sk-v1-7Qm2xR9vL4kT8pW3nZ6bY1cJ5hF0dG";

    fn config(text: &str) -> LoadedConfig {
        let text = format!("[practice]\nname = \"Bright Smile\"\n{text}");
        LoadedConfig::parse(std::path::Path::new("practice.toml"), text).unwrap()
    }

    #[test]
    fn a_key_in_a_locations_api_key_env_is_refused_and_not_printed() {
        let c = config(&format!(
            "[[locations]]\nid = \"1\"\nname = \"North\"\ntimezone = \"America/Chicago\"\n\
             from_number = \"+13125550100\"\napi_key_env = \"{KEY}\"\n"
        ));
        let location = &c.file.locations[0];
        let err = key_variable(&c, location.api_key_env.as_ref()).unwrap_err();
        let msg = format!("{err:#}");
        assert!(
            msg.starts_with("practice.toml:8: [[locations]] api_key_env: must name an environment")
        );
        assert!(!msg.contains(&KEY[12..24]), "{msg}");
    }

    #[test]
    fn secrets_are_redacted_in_debug_output() {
        let c = config("");
        let env = |_: &str| Some(KEY.to_string());
        let settings = api(&c, &env, None, None).unwrap();
        let shown = format!("{settings:?}");
        assert!(
            shown.contains("REDACTED") && !shown.contains(&KEY[12..]),
            "{shown}"
        );

        // The client id is not a secret (it names the client); the client secret is.
        let c = config("[api.oauth]\ntoken_url = \"https://auth.example.com/oauth/token\"\n");
        let env = |name: &str| match name {
            "ANNIE_CLIENT_ID" => Some("bright-smile".to_string()),
            _ => Some(KEY.to_string()),
        };
        let settings = api(&c, &env, None, None).unwrap();
        let shown = format!("{settings:?}");
        assert!(!shown.contains(&KEY[12..]), "{shown}");
    }
}
