//! Patients who prefer another language are called from an Annie number set to that language
//! (Annie numbers have a language), with that language's templates. The numbers belong to a
//! location: see [`crate::locations::Location::caller`].

use crate::locations::Location;
use crate::normalise::Appointment;
pub use crate::settings::texts::{Language, Languages};

impl Languages {
    /// The language an appointment's patient should be called in; `None` means the default.
    /// A language value nobody configured falls back to the default, with a note in the log
    /// (once per value).
    pub fn for_appointment(&self, a: &Appointment) -> Option<&Language> {
        let value = a.language.as_deref()?.trim().to_lowercase();
        let found = self.list.iter().find(|l| l.values.contains(&value));
        if found.is_none() && !self.list.is_empty() && self.first_time(&value) {
            tracing::info!(
                appointment = %a.id,
                language = %value,
                "no Annie number configured for this language; calling in the default language \
                 (noted once per value)"
            );
        }
        found
    }

    /// True the first time `key` is noted.
    pub fn first_time(&self, key: &str) -> bool {
        let mut noted = self.noted.lock().unwrap_or_else(|p| p.into_inner());
        // Checked first: this runs for every row whose language has no entry.
        !noted.contains(key) && noted.insert(key.to_string())
    }
}

/// The number and language a call to `lead` uses: the patient's language when this location
/// has an Annie number for it, else the default language (with a note in the log).
pub fn caller<'a>(
    location: &'a Location,
    languages: &'a Languages,
    lead: &Appointment,
) -> (&'a str, Option<&'a Language>) {
    let default = (location.practice.from_number.as_str(), None);
    let Some(language) = languages.for_appointment(lead) else {
        return default;
    };
    match location.language_numbers.get(&language.name) {
        Some(number) => (number.as_str(), Some(language)),
        None => {
            let key = format!("{}\u{0}{}", location.id, language.name);
            if languages.first_time(&key) {
                tracing::info!(
                    appointment = %lead.id,
                    location = %location.id,
                    language = %language.name,
                    "this location has no Annie number for the patient's language; calling in the default language (noted once per language)"
                );
            }
            default
        }
    }
}
