//! The context and voicemail templates, compiled and checked once at start-up: a syntax error,
//! a variable that does not exist, a patient's details in a voicemail or a text over the API's
//! limit is a config error naming the template, never an empty string in front of a patient.
//! Rendering them for a call is a stage of its own ([`crate::render`]).

use std::collections::{BTreeMap, HashSet};

use minijinja::{Environment, UndefinedBehavior};

use crate::reason::Reason;

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
    pub(crate) env: Environment<'static>,
    /// Lower-cased appointment types that have their own context / voicemail template.
    pub(crate) typed: HashSet<(String, &'static str)>,
    /// Templates whose text depends on the practice alone (the default voicemail): rendered once
    /// per practice, see [`practice_only`].
    pub(crate) fixed: HashSet<String>,
    /// Their texts (or the reason they fail), by template and practice name and callback number.
    pub(crate) by_practice: std::sync::Mutex<Vec<(FixedKey, Result<String, Reason>)>>,
}

/// A fixed template's name, and the practice's name and callback number.
pub(crate) type FixedKey = (String, String, String);

impl std::fmt::Debug for Templates {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Templates")
            .field("typed", &self.typed)
            .finish()
    }
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
        let mut fixed = HashSet::new();
        let mut add_one = |env: &mut Environment<'static>, name: String, source| {
            if add(env, name.clone(), source)? {
                fixed.insert(name);
            }
            anyhow::Ok(())
        };
        add_one(&mut env, "context".to_string(), context)?;
        add_one(&mut env, "voicemail".to_string(), voicemail)?;
        for (kind, pair) in by_type {
            for (which, source) in pair {
                let lower = kind.to_lowercase();
                add_one(&mut env, format!("{which}:{lower}"), source)?;
                typed.insert((lower, which));
            }
        }
        Ok(Templates {
            env,
            typed,
            fixed,
            by_practice: Default::default(),
        })
    }
}

/// Whether a template's text depends on the practice alone: it uses no variable but the
/// practice's name and callback number, has no tags (no include, import, loop or set), and does
/// not call `debug()` (which prints every variable). Such a template renders to the same text,
/// or fails with the same error, for every call of a practice.
pub(crate) fn practice_only(source: &str, used: &HashSet<String>) -> bool {
    !source.contains("{%")
        && !source.contains("debug")
        && used
            .iter()
            .all(|v| v == "practice_name" || v == "callback_number")
}

/// Adds and checks one template; `true` when its text depends on the practice alone
/// ([`practice_only`]).
fn add(env: &mut Environment<'static>, name: String, t: TemplateSource) -> anyhow::Result<bool> {
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
    Ok(practice_only(
        &t.source,
        &template.undeclared_variables(false),
    ))
}
