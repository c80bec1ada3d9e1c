//! Stage 4: what Annie says. Templates (minijinja) → context and voicemail texts → the request.
//!
//! Templates are checked once at start-up: a syntax error or a variable that does not exist is a
//! config error naming the template, never an empty string in front of a patient. Texts over
//! the API's 500-character limit make the row `invalid`; they are never cut.

use std::collections::{BTreeMap, HashSet};
use std::sync::LazyLock;

use chrono::format::{Item, StrftimeItems};

use minijinja::{Environment, UndefinedBehavior, Value};

use crate::api::{AppointmentInfo, CallRequest, PatientInfo};
use crate::households::Household;
use crate::normalise::Appointment;
use crate::practice::Practice;
use crate::reason::{Reason, ReasonCode};

/// The API's limit for `context` and `voicemailMessage`, in characters.
pub const MAX_TEXT_CHARS: usize = 500;

/// Default context: names the practice first, as automated calls must identify the caller.
/// A household (several appointments on one phone) is named appointment by appointment.
pub const DEFAULT_CONTEXT: &str = "This call is from {{ practice_name }} to confirm \
{% if appointments|length > 1 %}appointments for \
{% for a in appointments %}{{ a.first_name }} on {{ a.appointment_when }}{% if not loop.last %}, {% endif %}{% endfor %}\
{% else %}{{ first_name }}'s {% if appointment_type %}{{ appointment_type }} {% endif %}appointment on \
{{ appointment_when }}{% if appointment_description %} ({{ appointment_description }}){% endif %}{% endif %}. \
Ask whether they can attend. If they need to reschedule, they can call the office at {{ callback_number }}.";

/// Default voicemail: practice name and call-back number only. Anyone in the house may hear a
/// voicemail, so it carries no appointment details (HHS HIPAA FAQ 198).
pub const DEFAULT_VOICEMAIL: &str = "Hello, this is {{ practice_name }} calling. \
Please call us back at {{ callback_number }}. Thank you.";

/// Variables a voicemail may not use: a voicemail is heard by whoever plays it back, so it
/// names no patient and no treatment.
const NOT_IN_VOICEMAIL: &[&str] = &[
    "first_name",
    "last_name",
    "appointment_type",
    "appointment_description",
    "appointments",
];

/// Every variable a template may use, with an example value for the start-up check.
pub const VARIABLES: &[(&str, &str)] = &[
    ("practice_name", "Bright Smile Dental"),
    ("callback_number", "(312) 555-0100"),
    ("first_name", "Sarah"),
    ("last_name", "Johnson"),
    ("appointment_type", "Cleaning"),
    (
        "appointment_description",
        "6-month routine cleaning and exam",
    ),
    ("appointment_when", "Tuesday, November 25 at 3:00 PM"),
    ("appointment_day", "Tuesday, November 25"),
    ("appointment_time", "3:00 PM"),
    // A list: one entry per appointment in the call (several for a household), each with
    // first_name, last_name, appointment_type, appointment_description, appointment_when,
    // appointment_day and appointment_time.
    ("appointments", ""),
];

/// Names minijinja itself provides inside templates.
const BUILTINS: &[&str] = &[
    "loop",
    "range",
    "dict",
    "namespace",
    "debug",
    "cycler",
    "joiner",
    "self",
];

/// One template's source and where it came from (`[templates] context`, `file:line`).
#[derive(Debug, Clone)]
pub struct TemplateSource {
    pub key: String,
    pub location: String,
    pub source: String,
}

/// The compiled templates: a general pair and optional overrides per appointment type.
pub struct Templates {
    env: Environment<'static>,
    /// Lower-cased appointment types that have their own context / voicemail template.
    typed: HashSet<(String, &'static str)>,
}

impl std::fmt::Debug for Templates {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Templates")
            .field("typed", &self.typed)
            .finish()
    }
}

/// The texts for one call.
#[derive(Debug, Clone, PartialEq)]
pub struct Texts {
    pub context: String,
    pub voicemail: String,
}

impl Templates {
    /// Compiles and checks the templates. `general` holds `context` and `voicemail`;
    /// `by_type` maps an appointment type to its own (partial) pair.
    pub fn compile(
        context: TemplateSource,
        voicemail: TemplateSource,
        by_type: BTreeMap<String, Vec<(&'static str, TemplateSource)>>,
    ) -> anyhow::Result<Templates> {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        env.set_keep_trailing_newline(false);
        let mut typed = HashSet::new();
        add(&mut env, "context".to_string(), context)?;
        add(&mut env, "voicemail".to_string(), voicemail)?;
        for (kind, pair) in by_type {
            for (which, source) in pair {
                let lower = kind.to_lowercase();
                add(&mut env, format!("{which}:{lower}"), source)?;
                typed.insert((lower, which));
            }
        }
        Ok(Templates { env, typed })
    }

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

fn add(env: &mut Environment<'static>, name: String, t: TemplateSource) -> anyhow::Result<()> {
    let fail = |what: String| anyhow::anyhow!("{}: [templates] {}: {what}", t.location, t.key);
    env.add_template_owned(name.clone(), t.source.clone())
        .map_err(|e| fail(format!("{e}")))?;
    let template = env.get_template(&name).map_err(|e| fail(format!("{e}")))?;
    let known: HashSet<&str> = VARIABLES
        .iter()
        .map(|(n, _)| *n)
        .chain(BUILTINS.iter().copied())
        .collect();
    let mut unknown: Vec<String> = template
        .undeclared_variables(false)
        .into_iter()
        .filter(|v| !known.contains(v.as_str()))
        .collect();
    unknown.sort();
    if let Some(first) = unknown.first() {
        let names: Vec<&str> = VARIABLES.iter().map(|(n, _)| *n).collect();
        return Err(fail(format!(
            "unknown variable `{first}`; templates can use: {}",
            names.join(", ")
        )));
    }
    if name.starts_with("voicemail") {
        let mut used: Vec<String> = template
            .undeclared_variables(false)
            .into_iter()
            .filter(|v| NOT_IN_VOICEMAIL.contains(&v.as_str()))
            .collect();
        used.sort();
        if let Some(first) = used.first() {
            return Err(fail(format!(
                "uses `{first}`, which anyone who hears the voicemail would hear (a family \
                 member, a colleague); a voicemail may use practice_name, callback_number, \
                 appointment_when, appointment_day and appointment_time"
            )));
        }
    }
    // Render once with example values (a two-appointment household, so loops run) so that
    // unknown filters and type errors surface now.
    let mut example: BTreeMap<&str, serde_json::Value> = VARIABLES
        .iter()
        .map(|(k, v)| (*k, serde_json::Value::from(*v)))
        .collect();
    let one = serde_json::Value::Object(
        VARIABLES
            .iter()
            .filter(|(k, _)| *k != "appointments")
            .map(|(k, v)| (k.to_string(), serde_json::Value::from(*v)))
            .collect(),
    );
    example.insert(
        "appointments",
        serde_json::Value::Array(vec![one.clone(), one.clone()]),
    );
    template
        .render(&example)
        .map_err(|e| fail(format!("{e}")))?;
    // A text over the API's limit for one ordinary appointment would make every row invalid:
    // that is a config error, found before anything is read or sent.
    example.insert("appointments", serde_json::Value::Array(vec![one]));
    let length = template
        .render(&example)
        .map_err(|e| fail(format!("{e}")))?
        .trim()
        .chars()
        .count();
    if length > MAX_TEXT_CHARS {
        return Err(fail(format!(
            "renders to {length} characters for an example appointment; the API accepts at \
             most {MAX_TEXT_CHARS}. Shorten the template"
        )));
    }
    Ok(())
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
