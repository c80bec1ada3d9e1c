//! `[api]`: where the API is and how requests are authorised (a key, or OAuth client
//! credentials), with secrets read from the environment, never from the file.

use std::time::Duration;

use super::{bad, duration};
use crate::api::ApiSettings;
use crate::config::{LoadedConfig, Located};

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
    if let (Some(o), None) = (&a.oauth, key_env) {
        return Ok(ApiSettings {
            base_url,
            api_key: String::new(),
            oauth: Some(oauth(config, o, env)?),
            timeout,
        });
    }
    let (var, where_named) = key_variable(config, key_env);
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

/// The environment variable that holds an API key: a location's own `api_key_env`, else
/// `[api] api_key_env`, else the default; with where it was named, for messages.
pub(super) fn key_variable(config: &LoadedConfig, key_env: Option<&Located>) -> (String, String) {
    let named = key_env.map(|v| (v, "[[locations]] api_key_env")).or(config
        .file
        .api
        .api_key_env
        .as_ref()
        .map(|v| (v, "[api] api_key_env")));
    match named {
        Some((v, key)) => (
            v.get_ref().trim().to_string(),
            format!("named by {key} at {}", config.at(v)),
        ),
        None => (
            DEFAULT_API_KEY_ENV.to_string(),
            "the default for [api] api_key_env".to_string(),
        ),
    }
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
