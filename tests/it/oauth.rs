//! OAuth client credentials instead of an API key: one token, reused, refreshed after a 401.

use serde_json::json;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, ResponseTemplate};

use crate::harness::{od_row, Test, CONFIG};
use crate::mock::Annie;

/// Answers the token endpoint with `token` (at most `times` times) at mock `priority`.
async fn token_endpoint(annie: &Annie, token: &str, times: Option<u64>, priority: u8) {
    let body = json!({"access_token": token, "token_type": "Bearer", "expires_in": 86400});
    let mock = Mock::given(method("POST"))
        .and(path("/oauth/token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(body));
    let mock = match times {
        Some(n) => mock.up_to_n_times(n),
        None => mock,
    };
    mock.with_priority(priority).mount(&annie.server).await;
}

fn oauth_config(token_url: &str) -> String {
    format!("{CONFIG}[api.oauth]\ntoken_url = \"{token_url}\"\n")
}

fn with_credentials(t: Test) -> Test {
    t.without_env("ANNIE_API_KEY")
        .env("ANNIE_CLIENT_ID", "client-1")
        .env("ANNIE_CLIENT_SECRET", "s3cret")
}

#[tokio::test(flavor = "multi_thread")]
async fn one_token_serves_every_call() {
    let annie = Annie::start().await;
    token_endpoint(&annie, "tok-1", None, 1).await;
    let token_url = format!("{}/oauth/token", annie.server.uri());
    let out = with_credentials(Test::new())
        .server(&annie.base_url())
        .config(&oauth_config(&token_url))
        .od_rows(&[&od_row("A1", &[]), &od_row("A2", &[]), &od_row("A3", &[])])
        .run_async()
        .await;
    out.assert_status(0);
    let requests = annie.requests().await;
    let token_requests: Vec<_> = requests
        .iter()
        .filter(|r| r.url.path() == "/oauth/token")
        .collect();
    assert_eq!(token_requests.len(), 1, "the token is cached");
    let body: serde_json::Value = serde_json::from_slice(&token_requests[0].body).unwrap();
    assert_eq!(
        body,
        json!({"grant_type": "client_credentials", "client_id": "client-1",
               "client_secret": "s3cret", "audience": "https://api.helloannie.com"})
    );
    let calls: Vec<_> = annie
        .posts()
        .await
        .into_iter()
        .filter(|r| r.url.path() == "/v1/calls")
        .collect();
    assert_eq!(calls.len(), 3);
    for call in calls {
        assert_eq!(call.headers["authorization"], "Bearer tok-1");
    }
    assert!(!out.stderr.contains("s3cret"), "secrets are never logged");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_401_fetches_a_new_token_and_sends_again() {
    let annie = Annie::start().await;
    token_endpoint(&annie, "old", Some(1), 1).await;
    token_endpoint(&annie, "new", None, 2).await;
    Mock::given(method("POST"))
        .and(path("/v1/calls"))
        .and(header("authorization", "Bearer old"))
        .respond_with(
            ResponseTemplate::new(401)
                .set_body_json(json!({"success": false, "message": "token expired"})),
        )
        .with_priority(1)
        .mount(&annie.server)
        .await;
    let token_url = format!("{}/oauth/token", annie.server.uri());
    let out = with_credentials(Test::new())
        .server(&annie.base_url())
        .config(&oauth_config(&token_url))
        .od_rows(&[&od_row("A1", &[])])
        .run_async()
        .await;
    out.assert_status(0);
    assert_eq!(out.result_for("A1")["status"], "sent");
    let auth: Vec<String> = annie
        .posts()
        .await
        .iter()
        .filter(|r| r.url.path() == "/v1/calls")
        .map(|r| r.headers["authorization"].to_str().unwrap().to_string())
        .collect();
    assert_eq!(auth, ["Bearer old", "Bearer new"]);
}

#[test]
fn missing_client_credentials_are_named() {
    let out = Test::new()
        .config(&oauth_config("https://auth.example.com/oauth/token"))
        .without_env("ANNIE_API_KEY")
        .env("ANNIE_CLIENT_ID", "client-1")
        .od_rows(&[&od_row("A1", &[])])
        .run();
    out.assert_status(2);
    assert!(
        out.stderr.contains("environment variable `ANNIE_CLIENT_SECRET` ([api.oauth] client_secret_env) is not set or empty"),
        "{}",
        out.stderr
    );
}
