//! A group of practices exports one schedule for many locations, and each location is an Annie
//! organisation of its own: its own numbers, zone, API key, rate limit and calling window. A
//! single-practice config is one location with an empty id.
//!
//! Everything from recall to dispatch runs once per location, so one location's slow API, closed
//! window or refused key never holds up another's calls.

use std::collections::BTreeMap;

use crate::api::ApiSettings;
use crate::dispatch::DispatchSettings;
use crate::hours::CallingHours;
use crate::languages::{Language, Languages};
use crate::normalise::Appointment;
use crate::practice::Practice;

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
    pub fn from_numbers(&self) -> Vec<String> {
        std::iter::once(self.practice.from_number.clone())
            .chain(self.language_numbers.values().cloned())
            .collect()
    }

    /// The number and language a call to `lead` uses: the patient's language when this location
    /// has an Annie number for it, else the default language (with a note in the log).
    pub fn caller<'a>(
        &'a self,
        languages: &'a Languages,
        lead: &Appointment,
    ) -> (&'a str, Option<&'a Language>) {
        let default = (self.practice.from_number.as_str(), None);
        let Some(language) = languages.for_appointment(lead) else {
            return default;
        };
        match self.language_numbers.get(&language.name) {
            Some(number) => (number.as_str(), Some(language)),
            None => {
                let key = format!("{}\u{0}{}", self.id, language.name);
                if languages.first_time(&key) {
                    tracing::info!(
                        appointment = %lead.id,
                        location = %self.id,
                        language = %language.name,
                        "this location has no Annie number for the patient's language; calling in the default language (noted once per language)"
                    );
                }
                default
            }
        }
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
