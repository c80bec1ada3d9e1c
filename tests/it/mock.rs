//! A wiremock stand-in for the Annie API on 127.0.0.1. `POST /v1/calls` answers like the docs
//! say, with a conversation id derived from the appointment id, and every call it accepts shows
//! up in `GET /v1/conversations` (paged like the real one), so reconciliation can find it, and
//! in `GET /v1/conversations/{id}` (`OPEN` until a test says how the call went), for `outcomes`.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde_json::{json, Value};
use wiremock::matchers::{method, path, path_regex};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

/// A whole HTTP answer listing no conversations, for hand-made servers that must let a new
/// ledger read Annie's (empty) history before their real test begins.
pub const NO_CONVERSATIONS: &str = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\
    content-length: 97\r\nconnection: close\r\n\r\n\
    {\"success\":true,\"data\":{\"conversations\":[],\"pagination\":{\"offset\":0,\"limit\":100,\"totalCount\":0}}}";

/// What the mock remembers: arrivals and the conversations it "started".
pub struct State {
    arrivals: Mutex<Vec<(String, Instant)>>,
    conversations: Mutex<Vec<Value>>,
    /// The API's clock: the test's `--now`, moving forward in real time.
    base: DateTime<Utc>,
    started: Instant,
}

impl State {
    fn now(&self) -> DateTime<Utc> {
        self.base + chrono::Duration::from_std(self.started.elapsed()).unwrap()
    }

    /// Notes a request and, like Annie, starts a conversation for it. Returns its id.
    pub fn start_conversation(&self, request: &Request) -> String {
        let body: Value = serde_json::from_slice(&request.body).unwrap_or(Value::Null);
        let id = body["appointmentInfo"]["appointmentId"]
            .as_str()
            .unwrap_or("none")
            .to_string();
        self.arrivals
            .lock()
            .unwrap()
            .push((id.clone(), Instant::now()));
        let conversation_id = format!("conv-{id}");
        self.conversations.lock().unwrap().push(json!({
            "conversationId": conversation_id,
            "toNumber": body["toNumber"],
            "fromNumber": body["fromNumber"],
            "startTime": self.now().to_rfc3339(),
            "status": "OPEN"
        }));
        conversation_id
    }

    /// Adds a conversation Annie shows without a request we can see (a call placed by an
    /// answer that never reached us, listed late).
    pub fn add_conversation(&self, conversation_id: &str, to: &str, from: &str) {
        self.conversations.lock().unwrap().push(json!({
            "conversationId": conversation_id,
            "toNumber": to,
            "fromNumber": from,
            "startTime": self.now().to_rfc3339(),
            "status": "OPEN"
        }));
    }

    /// Sets fields of a started conversation (`status`, `duration`, `summary`, ...).
    pub fn set_conversation(&self, id: &str, fields: Value) {
        let mut all = self.conversations.lock().unwrap();
        let c = all
            .iter_mut()
            .find(|c| c["conversationId"] == id)
            .unwrap_or_else(|| panic!("no conversation {id}"));
        for (k, v) in fields.as_object().expect("fields as an object") {
            c[k] = v.clone();
        }
    }
}

/// `GET /v1/conversations/{id}`: the conversation, or a 404 in the API's error shape.
struct One {
    state: Arc<State>,
}

impl Respond for One {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let id = request.url.path().rsplit('/').next().unwrap_or_default();
        let all = self.state.conversations.lock().unwrap();
        match all.iter().find(|c| c["conversationId"] == id) {
            Some(c) => {
                ResponseTemplate::new(200).set_body_json(json!({"success": true, "data": c}))
            }
            None => ResponseTemplate::new(404).set_body_json(
                json!({"success": false, "data": {}, "message": "conversation not found"}),
            ),
        }
    }
}

pub struct Annie {
    pub server: MockServer,
    pub state: Arc<State>,
}

/// Success for every call, after an optional delay (a slow API).
struct Accept {
    state: Arc<State>,
    delay: Duration,
}

impl Respond for Accept {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let id = self.state.start_conversation(request);
        ResponseTemplate::new(200)
            .set_body_json(json!({"success": true, "data": {"conversationId": id}}))
            .set_delay(self.delay)
    }
}

/// `GET /v1/conversations?offset=&limit=`, newest first.
struct List {
    state: Arc<State>,
}

impl Respond for List {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let query = |name: &str| {
            request
                .url
                .query_pairs()
                .find(|(k, _)| k == name)
                .and_then(|(_, v)| v.parse::<usize>().ok())
        };
        let (offset, limit) = (query("offset").unwrap_or(0), query("limit").unwrap_or(20));
        let all: Vec<Value> = self
            .state
            .conversations
            .lock()
            .unwrap()
            .iter()
            .rev()
            .cloned()
            .collect();
        let page: Vec<Value> = all.iter().skip(offset).take(limit).cloned().collect();
        ResponseTemplate::new(200).set_body_json(json!({
            "success": true,
            "data": {
                "conversations": page,
                "pagination": {"offset": offset, "limit": limit, "totalCount": all.len()}
            }
        }))
    }
}

impl Annie {
    /// A server that accepts every call. Mount extra mocks with a higher priority (lower number)
    /// to script failures before it.
    pub async fn start() -> Annie {
        Annie::start_with(crate::harness::NOW, Duration::ZERO).await
    }

    /// A server whose clock starts at `now` (the test's `--now`) and that answers each call
    /// after `delay`.
    pub async fn start_with(now: &str, delay: Duration) -> Annie {
        let server = MockServer::start().await;
        let state = Arc::new(State {
            arrivals: Mutex::new(Vec::new()),
            conversations: Mutex::new(Vec::new()),
            base: DateTime::parse_from_rfc3339(now)
                .unwrap()
                .with_timezone(&Utc),
            started: Instant::now(),
        });
        Mock::given(method("POST"))
            .and(path("/v1/calls"))
            .respond_with(Accept {
                state: state.clone(),
                delay,
            })
            .with_priority(10)
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path("/v1/conversations"))
            .respond_with(List {
                state: state.clone(),
            })
            .with_priority(10)
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path_regex(r"^/v1/conversations/[^/]+$"))
            .respond_with(One {
                state: state.clone(),
            })
            .with_priority(10)
            .mount(&server)
            .await;
        Annie { server, state }
    }

    /// Says how a call went, as `GET /v1/conversations/{id}` will report it.
    pub fn set_conversation(&self, id: &str, fields: Value) {
        self.state.set_conversation(id, fields);
    }

    /// Answers `POST /v1/calls` with `status` and an error body, before the default mock (at
    /// most `times` times, if given).
    pub async fn fail_calls(&self, status: u16, message: &str, times: Option<u64>) {
        let response = ResponseTemplate::new(status)
            .set_body_json(json!({"success": false, "data": {}, "message": message}));
        self.answer_calls(response, times).await;
    }

    /// Answers `POST /v1/calls` with `responder` before the default mock (at most `times` times,
    /// if given).
    pub async fn answer_calls(&self, responder: impl Respond + 'static, times: Option<u64>) {
        let mock = Mock::given(method("POST"))
            .and(path("/v1/calls"))
            .respond_with(responder);
        let mock = match times {
            Some(n) => mock.up_to_n_times(n),
            None => mock,
        };
        mock.with_priority(1).mount(&self.server).await;
    }

    pub fn base_url(&self) -> String {
        format!("{}/v1", self.server.uri())
    }

    /// Bodies of every call request received, in arrival order.
    pub async fn bodies(&self) -> Vec<Value> {
        self.posts()
            .await
            .iter()
            .map(|r| serde_json::from_slice(&r.body).unwrap())
            .collect()
    }

    /// Every request received (calls and conversation listings).
    pub async fn requests(&self) -> Vec<Request> {
        self.server.received_requests().await.unwrap_or_default()
    }

    /// Only the `POST /v1/calls` requests.
    pub async fn posts(&self) -> Vec<Request> {
        self.requests()
            .await
            .into_iter()
            .filter(|r| r.method.as_str() == "POST")
            .collect()
    }

    /// Appointment ids of every call POSTed, in arrival order.
    pub async fn posted_ids(&self) -> Vec<String> {
        self.bodies()
            .await
            .iter()
            .map(|b| {
                b["appointmentInfo"]["appointmentId"]
                    .as_str()
                    .unwrap()
                    .to_string()
            })
            .collect()
    }

    /// When each accepted call arrived, with its appointment id.
    pub fn arrivals(&self) -> Vec<(String, Instant)> {
        self.state.arrivals.lock().unwrap().clone()
    }
}
