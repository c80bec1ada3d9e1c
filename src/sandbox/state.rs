//! What the sandbox remembers: conversations, per-number history, the rate window, the log.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use chrono::{DateTime, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};

use super::config::SandboxConfig;
use crate::clock::{stamp, Clock};
use crate::ledger::{NumberAttempt, Outcome};

/// A conversation the sandbox started.
#[derive(Debug, Clone)]
pub struct Conversation {
    pub id: String,
    pub to_number: String,
    pub from_number: String,
    pub started: DateTime<Utc>,
}

pub struct SandboxState {
    pub config: SandboxConfig,
    clock: Clock,
    /// Added to the clock by `POST /_sandbox/advance`, to rehearse days in seconds.
    skipped: Mutex<chrono::Duration>,
    inner: Mutex<Inner>,
}

struct Inner {
    conversations: Vec<Conversation>,
    history: HashMap<String, Vec<NumberAttempt>>,
    window: u64,
    used: u32,
    rng: StdRng,
    /// For `latency_jitter`, apart from `rng` so that jitter leaves the fault sequence of a seed
    /// as it was.
    jitter_rng: StdRng,
    log: Option<BufWriter<File>>,
}

/// The organisation rate-limit state for one request.
pub struct RateWindow {
    pub limit: u32,
    pub remaining: u32,
    /// Epoch seconds (real time) when the window resets.
    pub reset: u64,
    pub exceeded: bool,
}

impl SandboxState {
    pub fn new(config: SandboxConfig) -> anyhow::Result<SandboxState> {
        let log = match &config.log {
            Some(path) => Some(BufWriter::new(crate::private_file::create(path).map_err(
                |e| anyhow::anyhow!("cannot create the sandbox log `{}`: {e}", path.display()),
            )?)),
            None => None,
        };
        Ok(SandboxState {
            clock: Clock::starting_at(config.now.unwrap_or_else(Utc::now)),
            skipped: Mutex::new(chrono::Duration::zero()),
            inner: Mutex::new(Inner {
                conversations: Vec::new(),
                history: HashMap::new(),
                window: 0,
                used: 0,
                rng: StdRng::seed_from_u64(config.faults.seed),
                jitter_rng: StdRng::seed_from_u64(config.faults.seed ^ 0x6a69_7474_6572),
                log,
            }),
            config,
        })
    }

    /// The sandbox's virtual time.
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now() + *self.skipped.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Moves the virtual clock forward.
    pub fn advance(&self, by: chrono::Duration) {
        *self.skipped.lock().unwrap_or_else(|p| p.into_inner()) += by;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Counts a request against the organisation limit: fixed one-minute windows of real time.
    pub fn take_rate_slot(&self) -> RateWindow {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs();
        let window = now / 60 * 60;
        let mut inner = self.lock();
        if inner.window != window {
            inner.window = window;
            inner.used = 0;
        }
        let exceeded = inner.used >= self.config.rpm;
        if !exceeded {
            inner.used += 1;
        }
        RateWindow {
            limit: self.config.rpm,
            remaining: self.config.rpm.saturating_sub(inner.used),
            reset: window + 60,
            exceeded,
        }
    }

    /// This request's inbound delay, drawn (seeded) from `latency_jitter`.
    pub fn jitter(&self) -> std::time::Duration {
        let (from, to) = self.config.faults.latency_jitter;
        if to <= from {
            return from;
        }
        let share = self.lock().jitter_rng.random::<f64>();
        from + (to - from).mul_f64(share)
    }

    /// A number in [0, 1) from the seeded generator.
    pub fn roll(&self) -> f64 {
        self.lock().rng.random::<f64>()
    }

    /// Calls to a number so far.
    pub fn history(&self, number: &str) -> Vec<NumberAttempt> {
        self.lock().history.get(number).cloned().unwrap_or_default()
    }

    /// Records an attempt to a number (for the per-number rules).
    pub fn note_attempt(&self, number: &str, outcome: Outcome) {
        let at = self.now();
        self.lock()
            .history
            .entry(number.to_string())
            .or_default()
            .insert(
                0,
                NumberAttempt {
                    attempted_at: at,
                    outcome,
                    unanswered: false,
                    learned_from_annie: None,
                },
            );
    }

    /// Starts a conversation and returns its id (a random UUID).
    pub fn start_conversation(&self, to: &str, from: &str) -> String {
        let mut inner = self.lock();
        // Random, not from the seeded generator: ids must differ between organisations (a run
        // for a group talks to one sandbox per location), as Annie's own do.
        let id = uuid::Uuid::new_v4().to_string();
        inner.conversations.push(Conversation {
            id: id.clone(),
            to_number: to.to_string(),
            from_number: from.to_string(),
            started: self.now(),
        });
        id
    }

    /// Conversations newest first, as the API lists them.
    pub fn conversations(&self) -> Vec<Conversation> {
        self.lock().conversations.iter().rev().cloned().collect()
    }

    pub fn conversation(&self, id: &str) -> Option<Conversation> {
        self.lock()
            .conversations
            .iter()
            .find(|c| c.id == id)
            .cloned()
    }

    /// The API's view of a conversation: `OPEN` until `close_after` has passed, then `CLOSED`
    /// with a canned summary (a request not to be called again for a number in `opt_outs`).
    pub fn describe(&self, c: &Conversation) -> Value {
        let close_after = chrono::Duration::from_std(self.config.close_after).unwrap_or_default();
        let closed = self.now() >= c.started + close_after;
        let opted_out = self.config.opt_outs.contains(&c.to_number);
        let (summary, tag) = match (closed, opted_out) {
            (false, _) => ("", None),
            (true, false) => ("The patient confirmed the appointment.", Some("confirmed")),
            (true, true) => (
                "The patient confirmed the appointment, then asked us not to call this number \
                 again.",
                Some("do_not_call"),
            ),
        };
        json!({
            "conversationId": c.id,
            "orgId": "sandbox-org",
            "medium": "CALL",
            "botId": "sandbox-bot",
            "toNumber": c.to_number,
            "fromNumber": c.from_number,
            "summary": summary,
            "topic": "Appointment confirmation",
            "duration": if closed { 42 } else { 0 },
            "startTime": stamp(c.started),
            "endTime": if closed { Value::from(stamp(c.started + close_after)) } else { Value::Null },
            "status": if closed { "CLOSED" } else { "OPEN" },
            "conversationTags": tag.map_or(json!([]), |t| json!([t])),
        })
    }

    /// Appends one line to the request log.
    pub fn log(&self, mut entry: Value) {
        let mut inner = self.lock();
        let Some(log) = inner.log.as_mut() else {
            return;
        };
        entry["at"] = Value::from(stamp(self.now()));
        let _ = serde_json::to_writer(&mut *log, &entry);
        let _ = log.write_all(b"\n");
        let _ = log.flush();
    }
}

/// A short key for a number in the log: enough to tell numbers apart, not to read them.
pub fn number_key(number: &str) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(number.as_bytes())
        .iter()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect()
}
