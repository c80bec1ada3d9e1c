//! A wiremock stand-in for the Annie API on 127.0.0.1: answers `POST /v1/calls` like the docs
//! say, with a conversation id derived from the appointment id, and notes when each request came.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use serde_json::{json, Value};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

pub struct Annie {
    pub server: MockServer,
    arrivals: Arc<Mutex<Vec<(String, Instant)>>>,
}

/// Success for every call: `conv-<appointmentId>`.
struct Accept {
    arrivals: Arc<Mutex<Vec<(String, Instant)>>>,
}

impl Respond for Accept {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let body: Value = serde_json::from_slice(&request.body).unwrap_or(Value::Null);
        let id = body["appointmentInfo"]["appointmentId"]
            .as_str()
            .unwrap_or("none");
        self.arrivals
            .lock()
            .unwrap()
            .push((id.to_string(), Instant::now()));
        ResponseTemplate::new(200).set_body_json(json!({
            "success": true,
            "data": {"conversationId": format!("conv-{id}")}
        }))
    }
}

impl Annie {
    /// A server that accepts every call. Mount extra mocks with a higher priority to script
    /// failures before it.
    pub async fn start() -> Annie {
        let server = MockServer::start().await;
        let arrivals = Arc::new(Mutex::new(Vec::new()));
        Mock::given(method("POST"))
            .and(path("/v1/calls"))
            .respond_with(Accept {
                arrivals: arrivals.clone(),
            })
            .with_priority(10)
            .mount(&server)
            .await;
        Annie { server, arrivals }
    }

    pub fn base_url(&self) -> String {
        format!("{}/v1", self.server.uri())
    }

    /// Bodies of every request received, in arrival order.
    pub async fn bodies(&self) -> Vec<Value> {
        self.requests()
            .await
            .iter()
            .map(|r| serde_json::from_slice(&r.body).unwrap())
            .collect()
    }

    pub async fn requests(&self) -> Vec<Request> {
        self.server.received_requests().await.unwrap_or_default()
    }

    /// When each accepted request arrived, with its appointment id.
    pub fn arrivals(&self) -> Vec<(String, Instant)> {
        self.arrivals.lock().unwrap().clone()
    }
}
