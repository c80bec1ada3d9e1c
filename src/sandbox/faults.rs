//! Deterministic fault injection: the same seed gives the same faults for the same requests.

use std::time::Duration;

/// The kind of failure injected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailKind {
    /// HTTP 500; the call may have been started anyway.
    ServerError,
    /// HTTP 502 (never started).
    BadGateway,
    /// HTTP 503 (never started).
    Unavailable,
    /// The response is cut off mid-body; the call may have been started anyway.
    Reset,
    /// No answer until the client gives up; the call may have been started anyway.
    Timeout,
    /// HTTP 200 with a body that is not JSON (never started).
    Garbage,
}

impl FailKind {
    pub fn parse(text: &str) -> Option<FailKind> {
        Some(match text {
            "500" => FailKind::ServerError,
            "502" => FailKind::BadGateway,
            "503" => FailKind::Unavailable,
            "reset" => FailKind::Reset,
            "timeout" => FailKind::Timeout,
            "garbage" => FailKind::Garbage,
            _ => return None,
        })
    }

    /// Whether the call may have been started although the request failed.
    pub fn ambiguous(self) -> bool {
        matches!(
            self,
            FailKind::ServerError | FailKind::Reset | FailKind::Timeout
        )
    }

    pub fn name(self) -> &'static str {
        match self {
            FailKind::ServerError => "500",
            FailKind::BadGateway => "502",
            FailKind::Unavailable => "503",
            FailKind::Reset => "reset",
            FailKind::Timeout => "timeout",
            FailKind::Garbage => "garbage",
        }
    }
}

/// `--seed`, `--latency`, `--latency-jitter`, `--fail-rate`, `--fail-kind`, `--created-anyway`.
#[derive(Debug, Clone)]
pub struct Faults {
    pub seed: u64,
    /// Added to every response.
    pub latency: Duration,
    /// A random delay, from `.0` to `.1`, on each request's way *in*: before it is counted
    /// against the organisation limit. Requests sent evenly spaced then reach the counter
    /// unevenly, as over a real network, so two sent 60.0 s apart may be counted 59.5 s apart.
    pub latency_jitter: (Duration, Duration),
    /// Share of valid call requests that fail (0 to 1).
    pub fail_rate: f64,
    pub fail_kind: FailKind,
    /// For ambiguous kinds: share of failed requests whose call is started anyway.
    pub created_anyway: f64,
    /// How long a `timeout` fault holds the request.
    pub hang: Duration,
}

impl Default for Faults {
    fn default() -> Self {
        Faults {
            seed: 1,
            latency: Duration::ZERO,
            latency_jitter: (Duration::ZERO, Duration::ZERO),
            fail_rate: 0.0,
            fail_kind: FailKind::ServerError,
            created_anyway: 0.5,
            hang: Duration::from_secs(600),
        }
    }
}
