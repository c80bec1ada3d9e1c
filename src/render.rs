//! Stage 4: what Annie says. Templates (minijinja) → context and voicemail texts → the request.
//!
//! The templates were checked at start-up ([`crate::templates`]). Texts over the API's
//! 500-character limit make the row `invalid`; they are never cut.

use std::sync::LazyLock;

use chrono::format::{Item, StrftimeItems};

use minijinja::Value;

use crate::api::body::{AppointmentInfo, CallRequest, PatientInfo};
use crate::households::Household;
use crate::normalise::Appointment;
use crate::practice::Practice;
use crate::reason::{Reason, ReasonCode};
pub use crate::templates::{Templates, MAX_TEXT_CHARS};

/// The texts for one call.
#[derive(Debug, Clone, PartialEq)]
pub struct Texts {
    pub context: String,
    pub voicemail: String,
}

impl Templates {
    /// Renders both texts for a household's call. `Err` is the reason for an `invalid` row.
    pub fn render(&self, household: &Household, practice: &Practice) -> Result<Texts, Reason> {
        let appointment = household.lead();
        let vars = variables(household, practice);
        let kind = appointment
            .appointment_type
            .as_deref()
            .map(str::to_lowercase)
            .unwrap_or_default();
        let pick = |which: &'static str| {
            if self.typed.contains(&(kind.clone(), which)) {
                format!("{which}:{kind}")
            } else {
                which.to_string()
            }
        };
        let text = |which: &'static str, label: &str| -> Result<String, Reason> {
            let rendered = self
                .env
                .get_template(&pick(which))
                .and_then(|t| t.render(&vars))
                .map_err(|e| {
                    Reason::new(
                        ReasonCode::TemplateError,
                        format!("{label} template failed: {e}"),
                    )
                })?;
            let rendered = rendered.trim().to_string();
            let length = rendered.chars().count();
            if length > MAX_TEXT_CHARS {
                let text = format!(
                    "{label} is {length} characters; the API accepts at most {MAX_TEXT_CHARS}. \
                     Shorten the template or the export's text"
                );
                return Err(Reason::new(ReasonCode::TextTooLong, text));
            }
            Ok(rendered)
        };
        Ok(Texts {
            context: text("context", "context")?,
            voicemail: text("voicemail", "voicemail")?,
        })
    }
}

/// `Tuesday, November 25` and `3:00 PM`, parsed once: chrono would parse a format string on every
/// use, twice per call.
static DAY: LazyLock<Vec<Item<'static>>> = LazyLock::new(|| items("%A, %B %-d"));
static TIME: LazyLock<Vec<Item<'static>>> = LazyLock::new(|| items("%-I:%M %p"));

/// A constant format, parsed (valid by construction: a test renders with each).
pub(crate) fn items(format: &'static str) -> Vec<Item<'static>> {
    StrftimeItems::new(format)
        .parse_to_owned()
        .unwrap_or_default()
}

/// One appointment's variables, as the templates see them.
struct AppointmentVars<'a> {
    first_name: &'a str,
    last_name: &'a str,
    appointment_type: &'a str,
    appointment_description: &'a str,
    appointment_when: String,
    appointment_day: String,
    appointment_time: String,
}

impl<'a> AppointmentVars<'a> {
    fn new(a: &'a Appointment) -> Self {
        let day = a.start.format_with_items(DAY.iter()).to_string();
        let time = a.start.format_with_items(TIME.iter()).to_string();
        AppointmentVars {
            first_name: &a.first_name,
            last_name: a.last_name.as_deref().unwrap_or(""),
            appointment_type: a.appointment_type.as_deref().unwrap_or(""),
            appointment_description: a.description.as_deref().unwrap_or(""),
            appointment_when: format!("{day} at {time}"),
            appointment_day: day,
            appointment_time: time,
        }
    }

    fn into_pairs(self) -> [(&'static str, Value); 7] {
        [
            ("first_name", Value::from(self.first_name)),
            ("last_name", Value::from(self.last_name)),
            ("appointment_type", Value::from(self.appointment_type)),
            (
                "appointment_description",
                Value::from(self.appointment_description),
            ),
            ("appointment_when", Value::from(self.appointment_when)),
            ("appointment_day", Value::from(self.appointment_day)),
            ("appointment_time", Value::from(self.appointment_time)),
        ]
    }
}

/// What a template sees: the practice, the lead appointment's details at the top level, and
/// every appointment of the call in `appointments`. Built as a template value once per call and
/// shared by both templates (going through serde for each template was a tenth of a large
/// preview's time).
fn variables(h: &Household, p: &Practice) -> Value {
    // The lead is the first member: its values are made once and shared (a value is counted).
    let members: Vec<[(&'static str, Value); 7]> = h
        .members
        .iter()
        .map(|(_, a)| AppointmentVars::new(a).into_pairs())
        .collect();
    let lead = members.first().cloned();
    let appointments: Value = members
        .into_iter()
        .map(|pairs| pairs.into_iter().collect::<Value>())
        .collect();
    let practice = [
        ("practice_name", Value::from(p.name.as_str())),
        ("callback_number", Value::from(p.callback_spoken.as_str())),
        ("appointments", appointments),
    ];
    lead.into_iter().flatten().chain(practice).collect()
}

pub fn build_request(a: &Appointment, texts: Texts, from_number: &str) -> CallRequest {
    let non_empty = |s: String| (!s.is_empty()).then_some(s);
    CallRequest {
        from_number: from_number.to_string(),
        to_number: a.phone.e164.clone(),
        patient_info: Some(PatientInfo {
            first_name: a.first_name.clone(),
            last_name: a.last_name.clone(),
            date_of_birth: a
                .birth_date
                .map(|d| format!("{}T00:00:00.000Z", d.format("%Y-%m-%d"))),
            patient_id: a.patient_id.clone(),
        }),
        appointment_info: Some(AppointmentInfo {
            start_time: a.start.to_rfc3339(),
            end_time: a.end.map(|e| e.to_rfc3339()),
            appointment_type_id: a.appointment_type.clone(),
            appointment_description: a.description.clone(),
            appointment_id: a.id.clone(),
        }),
        context: non_empty(texts.context),
        voicemail_message: non_empty(texts.voicemail),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn formats_parsed_once_write_what_the_format_strings_write() {
        let tz: chrono_tz::Tz = "America/Chicago".parse().unwrap();
        let t = tz.with_ymd_and_hms(2026, 11, 24, 15, 5, 0).unwrap();
        for format in [
            "%A, %B %-d",
            "%-I:%M %p",
            "%a %b %-d %H:%M %Z",
            "%a %b %-d %H:%M %:z",
        ] {
            let parsed = items(format);
            assert!(!parsed.is_empty(), "{format}");
            assert_eq!(
                t.format_with_items(parsed.iter()).to_string(),
                t.format(format).to_string()
            );
        }
    }
}
