//! A group of practices exports one schedule for many locations, and each location is an Annie
//! organisation of its own: its own numbers, zone, API key, rate limit and calling window. A
//! single-practice config is one location with an empty id.
//!
//! Everything from recall to dispatch runs once per location, so one location's slow API, closed
//! window or refused key never holds up another's calls.

use std::collections::BTreeMap;
use std::num::NonZeroU32;
use std::time::Duration;

use crate::hours::CallingHours;
use crate::practice::Practice;
use crate::settings::api::ApiSettings;

/// One organisation the run calls for.
#[derive(Debug, Clone)]
pub struct Location {
    /// The export's location-column value; empty for a single-practice config.
    pub id: String,
    /// Who calls (name, callback number), from where, and the zone of the export's local times.
    pub practice: Practice,
    /// Language name (`SPANISH`) → this organisation's Annie number for it, E.164.
    pub language_numbers: BTreeMap<String, String>,
    /// How to reach this organisation's API; `None` in a preview.
    pub api: Option<ApiSettings>,
    /// The environment variable its API key is read from (named even in a preview, for `check`).
    pub api_key_env: String,
    /// Its rate limit (and the retry settings, shared by every location).
    pub dispatch: DispatchSettings,
    pub hours: CallingHours,
}

impl Location {
    /// How people see the location in summaries and reports: its name.
    pub fn label(&self) -> &str {
        &self.practice.name
    }

    /// The id for the results file's `location` column: none for a single practice.
    pub fn results_id(&self) -> Option<&str> {
        Some(self.id.as_str()).filter(|id| !id.is_empty())
    }

    /// Every number this location calls from (its own, then one per language).
    pub fn caller_numbers(&self) -> Vec<String> {
        std::iter::once(self.practice.from_number.clone())
            .chain(self.language_numbers.values().cloned())
            .collect()
    }
}

/// Which location an export value names. `None` when no configured location has that id.
pub fn find(locations: &[Location], value: &str) -> Option<usize> {
    let value = value.trim();
    locations.iter().position(|l| l.id == value)
}

/// Whether the config declares `[[locations]]` (rather than one practice).
pub fn grouped(locations: &[Location]) -> bool {
    locations.first().is_some_and(|l| !l.id.is_empty())
}

/// `[dispatch]` settings.
#[derive(Debug, Clone)]
pub struct DispatchSettings {
    pub requests_per_minute: NonZeroU32,
    pub max_in_flight: usize,
    /// Tries per call when no connection can be made (the request never left).
    pub connect_attempts: u32,
    /// Resends per call after an organisation rate-limit 429.
    pub rate_limit_retries: u32,
    /// Consecutive failed calls after which the run stops sending.
    pub breaker_after: u32,
    /// The least time between calls to one number from different locations of a group: two
    /// organisations ringing one phone a minute apart look like harassment to the patient.
    pub same_number_spacing: Duration,
}
