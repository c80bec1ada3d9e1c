//! How a sandbox behaves: what `annie-dispatch sandbox`'s flags, `run --sandbox` and tests set.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use super::faults::Faults;

/// How a sandbox behaves.
#[derive(Debug, Clone)]
pub struct SandboxConfig {
    pub listen: SocketAddr,
    pub api_key: String,
    /// Numbers calls may come from (E.164).
    pub from_numbers: Vec<String>,
    /// Numbers calls may go to; `None` allows every number.
    pub allowlist: Option<HashSet<String>>,
    /// The organisation's zone, for legal hours.
    pub timezone: Tz,
    /// Organisation rate limit, requests per minute.
    pub rpm: u32,
    /// Where the virtual clock starts (default: the real clock).
    pub now: Option<DateTime<Utc>>,
    /// How long a conversation stays `OPEN` before it is `CLOSED`.
    pub close_after: Duration,
    /// Numbers (E.164) whose patients ask not to be called again: their conversations close
    /// with a summary that says so, as a real one might.
    pub opt_outs: HashSet<String>,
    /// A JSON-lines log of every request.
    pub log: Option<PathBuf>,
    pub faults: Faults,
}

impl SandboxConfig {
    /// A sandbox on a free loopback port, allowing every destination.
    pub fn local(api_key: &str, from_number: &str, timezone: Tz) -> SandboxConfig {
        SandboxConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            api_key: api_key.to_string(),
            from_numbers: vec![from_number.to_string()],
            allowlist: None,
            timezone,
            rpm: 60,
            now: None,
            close_after: Duration::from_secs(120),
            opt_outs: HashSet::new(),
            log: None,
            faults: Faults::default(),
        }
    }
}
