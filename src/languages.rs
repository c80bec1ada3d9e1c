//! Patients who prefer another language are called from an Annie number set to that language
//! (Annie numbers have a language), with that language's templates. The numbers belong to a
//! location: see [`crate::locations::Location::caller`].

use crate::normalise::Appointment;
use crate::render::Templates;

/// One `[[languages]]` entry, checked.
#[derive(Debug)]
pub struct Language {
    /// As Annie names it, e.g. `SPANISH`.
    pub name: String,
    /// Export values that mean this language, lower-cased.
    pub values: Vec<String>,
    /// This language's templates; `None` uses the general ones.
    pub templates: Option<Templates>,
}

/// Every configured language besides the default.
#[derive(Debug, Default)]
pub struct Languages {
    pub list: Vec<Language>,
}

impl Languages {
    /// The language an appointment's patient should be called in; `None` means the default.
    /// A language value nobody configured falls back to the default, with a note in the log.
    pub fn for_appointment(&self, a: &Appointment) -> Option<&Language> {
        let value = a.language.as_deref()?.trim().to_lowercase();
        let found = self.list.iter().find(|l| l.values.contains(&value));
        if found.is_none() && !self.list.is_empty() {
            tracing::info!(
                appointment = %a.id,
                language = %value,
                "no Annie number configured for this language; calling in the default language"
            );
        }
        found
    }
}
