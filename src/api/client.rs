//! The HTTP client for the endpoints this tool uses. It never retries by itself (see the module
//! above); every transport problem becomes an outcome too.

use std::time::{Duration, SystemTime};

use std::sync::atomic::{AtomicUsize, Ordering};

use reqwest::StatusCode;
use url::Url;

pub use crate::settings::api::ApiSettings;

use super::answer::{
    api_reason, classify, has_rate_limit_headers, rate_limit_wait, snippet, summaries, CallOutcome,
    Envelope, GetOutcome, ListData, ListOutcome,
};

/// How requests are authorised.
#[derive(Debug)]
enum Auth {
    Key(secrecy::SecretString),
    OAuth(crate::oauth::TokenSource),
}

/// A small client for the endpoints this tool uses, shared by every worker.
#[derive(Debug)]
pub struct AnnieClient {
    http: reqwest::Client,
    calls_url: Url,
    /// `POST /calls` requests that left (answered or not; not those that could not connect).
    posts: AtomicUsize,
    /// `…/conversations`: a conversation's id is pushed onto it as one encoded path segment.
    conversations_url: Url,
    auth: Auth,
}

impl AnnieClient {
    pub fn new(settings: &ApiSettings) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder()
            .timeout(settings.timeout)
            .connect_timeout(settings.timeout.min(Duration::from_secs(10)))
            // A redirected POST would silently turn into a GET; report it instead.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("annie-dispatch/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(AnnieClient {
            calls_url: endpoint(&settings.base_url, "calls")?,
            posts: AtomicUsize::new(0),
            conversations_url: endpoint(&settings.base_url, "conversations")?,
            auth: match &settings.oauth {
                Some(o) => Auth::OAuth(crate::oauth::TokenSource::new(http.clone(), o.clone())),
                None => Auth::Key(settings.api_key.clone()),
            },
            http,
        })
    }

    /// How many `POST /calls` requests this client has sent (the run's achieved rate).
    pub fn posts_sent(&self) -> usize {
        self.posts.load(Ordering::Relaxed)
    }

    /// The bearer token for the next request.
    async fn bearer(&self) -> Result<String, String> {
        match &self.auth {
            Auth::Key(key) => Ok(secrecy::ExposeSecret::expose_secret(key).to_string()),
            Auth::OAuth(source) => source.bearer().await,
        }
    }

    /// Sends one request (the body already serialised: see [`crate::plan::Call`]) and
    /// classifies the answer. Never fails: every transport problem is an outcome too. With
    /// OAuth, a 401 fetches a fresh token and sends once more (the request was refused, so no
    /// call was placed).
    pub async fn start_call(&self, body_json: &str) -> CallOutcome {
        let outcome = self.start_call_once(body_json).await;
        match (&outcome, &self.auth) {
            (CallOutcome::Unauthorized { status: 401, .. }, Auth::OAuth(source)) => {
                source.invalidate().await;
                self.start_call_once(body_json).await
            }
            _ => outcome,
        }
    }

    async fn start_call_once(&self, body_json: &str) -> CallOutcome {
        let token = match self.bearer().await {
            Ok(t) => t,
            Err(message) => {
                return CallOutcome::Unauthorized {
                    status: 401,
                    message,
                }
            }
        };
        let response = self
            .http
            .post(self.calls_url.clone())
            .bearer_auth(token)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body_json.to_string())
            .send()
            .await;
        if !matches!(&response, Err(e) if e.is_connect()) {
            self.posts.fetch_add(1, Ordering::Relaxed);
        }
        let response = match response {
            Ok(r) => r,
            Err(e) if e.is_connect() => return CallOutcome::Unreachable { error: chain(e) },
            Err(e) => {
                return CallOutcome::Unknown {
                    status: None,
                    reason: if e.is_timeout() {
                        "no answer before the request timeout".to_string()
                    } else {
                        format!(
                            "the connection broke before Annie answered ({})",
                            innermost(&e)
                        )
                    },
                }
            }
        };
        let status = response.status();
        let headers = response.headers().clone();
        let text = match response.text().await {
            Ok(t) => t,
            // A refusal is proven by its status; anything else may have placed the call.
            Err(_) if status.is_client_error() => String::new(),
            Err(e) => {
                return CallOutcome::Unknown {
                    status: Some(status.as_u16()),
                    reason: format!(
                        "HTTP {} but the answer could not be read ({})",
                        status.as_u16(),
                        chain(e)
                    ),
                }
            }
        };
        classify(status, &headers, &text, SystemTime::now())
    }
}

impl AnnieClient {
    /// `GET /conversations/{id}`: one conversation, as the API describes it.
    pub async fn get_conversation(&self, id: &str) -> GetOutcome {
        let mut url = self.conversations_url.clone();
        // Never fails: `endpoint` checked that the URL can have a path.
        if let Ok(mut path) = url.path_segments_mut() {
            path.push(id);
        }
        let token = match self.bearer().await {
            Ok(t) => t,
            Err(error) => {
                return GetOutcome::Failed {
                    status: None,
                    error,
                }
            }
        };
        let response = match self.http.get(url).bearer_auth(token).send().await {
            Ok(r) => r,
            Err(e) => {
                return GetOutcome::Failed {
                    status: None,
                    error: chain(e),
                }
            }
        };
        let status = response.status();
        let headers = response.headers().clone();
        let text = response.text().await.unwrap_or_default();
        if status == StatusCode::TOO_MANY_REQUESTS && has_rate_limit_headers(&headers) {
            return GetOutcome::RateLimited {
                wait: rate_limit_wait(&headers, SystemTime::now()),
            };
        }
        let envelope: Option<Envelope> = serde_json::from_str(&text).ok();
        match envelope {
            Some(Envelope {
                success: Some(true),
                data: Some(data),
                ..
            }) if status.is_success() => GetOutcome::Found(data),
            other => GetOutcome::Failed {
                status: Some(status.as_u16()),
                error: other
                    .and_then(|e| e.message)
                    .unwrap_or_else(|| snippet(&text)),
            },
        }
    }

    /// `GET /conversations?offset=&limit=`: one page of the organisation's conversations. The
    /// API cannot filter by number or time, so reconciliation pages through and matches itself.
    pub async fn list_conversations(&self, offset: u64, limit: u64) -> ListOutcome {
        let token = match self.bearer().await {
            Ok(t) => t,
            Err(error) => return ListOutcome::Failed { error },
        };
        let response = self
            .http
            .get(self.conversations_url.clone())
            .query(&[("offset", offset), ("limit", limit)])
            .bearer_auth(token)
            .send()
            .await;
        let response = match response {
            Ok(r) => r,
            Err(e) => return ListOutcome::Failed { error: chain(e) },
        };
        let status = response.status();
        let headers = response.headers().clone();
        let text = response.text().await.unwrap_or_default();
        if status == StatusCode::TOO_MANY_REQUESTS && has_rate_limit_headers(&headers) {
            return ListOutcome::RateLimited {
                wait: rate_limit_wait(&headers, SystemTime::now()),
            };
        }
        if !status.is_success() {
            let message = serde_json::from_str::<Envelope>(&text)
                .ok()
                .and_then(|e| e.message)
                .unwrap_or_else(|| snippet(&text));
            if matches!(status, StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN) {
                let error = format!(
                    "the API refused the credentials (HTTP {}: {message}); check the key",
                    status.as_u16()
                );
                return ListOutcome::Unauthorized { error };
            }
            let error = api_reason(status.as_u16(), &message);
            return match status.is_client_error() {
                true => ListOutcome::Refused { error },
                false => ListOutcome::Failed { error },
            };
        }
        let data = serde_json::from_str::<Envelope>(&text)
            .ok()
            .and_then(|e| e.data)
            .and_then(|d| serde_json::from_value::<ListData>(d).ok())
            .and_then(|d| Some((summaries(d.conversations)?, d.pagination)));
        match data {
            Some((conversations, pagination)) => ListOutcome::Page {
                total: pagination.and_then(|p| p.total_count),
                conversations,
            },
            None => ListOutcome::Failed {
                error: "the conversation list was not in the documented shape".to_string(),
            },
        }
    }
}

/// `BASE/name`, from the configured base URL (with or without a trailing slash).
fn endpoint(base: &str, name: &str) -> anyhow::Result<Url> {
    let mut url = Url::parse(base)
        .map_err(|e| anyhow::anyhow!("the API base URL `{base}` is not a URL: {e}"))?;
    url.path_segments_mut()
        .map_err(|()| anyhow::anyhow!("the API base URL `{base}` cannot have a path"))?
        .pop_if_empty()
        .push(name);
    Ok(url)
}

/// An error with its causes, `outer: inner: innermost`, as anyhow's `{:#}` writes them.
fn chain(e: reqwest::Error) -> String {
    format!("{:#}", anyhow::Error::new(e))
}

/// The deepest cause of an error ("connection closed before message completed"): what a person
/// can read in a results row, without the URL and the HTTP library's layers around it.
fn innermost(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cause = e;
    while let Some(next) = cause.source() {
        cause = next;
    }
    cause.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_keep_the_base_path_and_encode_an_id_as_one_segment() {
        for base in ["https://api.example.com/v1", "https://api.example.com/v1/"] {
            let mut url = endpoint(base, "conversations").unwrap();
            assert_eq!(url.as_str(), "https://api.example.com/v1/conversations");
            url.path_segments_mut().unwrap().push("a/b c?#");
            assert_eq!(
                url.as_str(),
                "https://api.example.com/v1/conversations/a%2Fb%20c%3F%23"
            );
        }
        assert!(endpoint("not a url", "calls").is_err());
    }
}
