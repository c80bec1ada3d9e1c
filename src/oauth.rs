//! OAuth 2.0 client credentials, the API's alternative to a long-lived key.
//!
//! A token is fetched from the configured token endpoint on first use, cached, and fetched again
//! shortly before it expires (or when the API answers 401, once). Secrets come from environment
//! variables, never from the config file, and are never logged.

use std::time::{Duration, Instant};

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use tokio::sync::Mutex;

pub use crate::settings::api::OAuthSettings;

#[derive(Deserialize)]
struct TokenResponse {
    access_token: SecretString,
    expires_in: Option<u64>,
}

/// Hands out a valid bearer token, fetching one when needed.
pub struct TokenSource {
    http: reqwest::Client,
    settings: OAuthSettings,
    cached: Mutex<Option<(SecretString, Instant)>>,
}

impl std::fmt::Debug for TokenSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenSource")
            .field("token_url", &self.settings.token_url)
            .finish()
    }
}

impl TokenSource {
    pub fn new(http: reqwest::Client, settings: OAuthSettings) -> TokenSource {
        TokenSource {
            http,
            settings,
            cached: Mutex::new(None),
        }
    }

    /// A token valid for a while yet. `Err` says why none could be had.
    pub async fn bearer(&self) -> Result<String, String> {
        let mut cached = self.cached.lock().await;
        if let Some((token, refresh_at)) = cached.as_ref() {
            if Instant::now() < *refresh_at {
                return Ok(token.expose_secret().to_string());
            }
        }
        let (token, refresh_at) = self.fetch().await?;
        let bearer = token.expose_secret().to_string();
        *cached = Some((token, refresh_at));
        Ok(bearer)
    }

    /// Forgets the cached token (after a 401), so the next call fetches a new one.
    pub async fn invalidate(&self) {
        *self.cached.lock().await = None;
    }

    async fn fetch(&self) -> Result<(SecretString, Instant), String> {
        let s = &self.settings;
        let body = serde_json::json!({
            "grant_type": "client_credentials",
            "client_id": s.client_id,
            "client_secret": s.client_secret.expose_secret(),
            "audience": s.audience,
        });
        let response = self
            .http
            .post(&s.token_url)
            .json(&body)
            .send()
            .await
            .map_err(|e| format!("the OAuth token endpoint could not be reached: {e}"))?;
        let status = response.status();
        if !status.is_success() {
            return Err(format!(
                "the OAuth token endpoint answered HTTP {}; check the client id and secret",
                status.as_u16()
            ));
        }
        let token: TokenResponse = response
            .json()
            .await
            .map_err(|e| format!("the OAuth token endpoint sent no usable token: {e}"))?;
        // Refresh a minute early, or a tenth of the lifetime early for short-lived tokens.
        let lifetime = Duration::from_secs(token.expires_in.unwrap_or(3600));
        let margin = (lifetime / 10).min(Duration::from_secs(60));
        Ok((token.access_token, Instant::now() + lifetime - margin))
    }
}
