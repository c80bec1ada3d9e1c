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
    "cycler",
    "joiner",
    "self",
];

/// Functions minijinja provides that templates do not get: `debug()` prints the whole context,
/// every variable with the patient's name and appointment, so it would carry them into a
/// voicemail past the rule on variables. Calling one is a config error ([`add`]).
const REMOVED_GLOBALS: &[&str] = &["debug"];

/// Tags that bring another template's text into this one: a voicemail that includes, imports or
/// extends the context template would say what the context says, patient's name included.
const OTHER_TEMPLATE_TAGS: &[&str] = &["include", "import", "from", "extends"];

/// Another example patient, for a voicemail's last check ([`depends_on_the_patient`]): every
/// detail a voicemail may not use differs from [`VARIABLES`]' (in length too).
const OTHER_PATIENT: &[(&str, &str)] = &[
    ("first_name", "Bartholomew"),
    ("last_name", "Oyelaran-Whitfield"),
    ("appointment_type", "Root canal"),
    ("appointment_description", "Molar #30, second visit"),
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
    /// Whether `fixed` has the general context and voicemail: known once, not looked up by name
    /// for every call.
    pub(crate) fixed_general: [bool; 2],
    /// Their texts (or the reason they fail), by template and practice name and callback number.
    pub(crate) by_practice: std::sync::Mutex<Vec<(FixedKey, Result<String, Reason>)>>,
    /// Context templates that leave a household's other appointments out of its call, as
    /// `file:line: [templates] key` ([`leaves_out_the_second`]); see [`Templates::households`].
    pub(crate) lead_only: Vec<String>,
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
        for name in REMOVED_GLOBALS {
            env.remove_global(name);
        }
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        env.set_keep_trailing_newline(false);
        let mut typed = HashSet::new();
        let mut fixed = HashSet::new();
        let mut lead_only = Vec::new();
        let mut add_one = |env: &mut Environment<'static>, name: String, source: TemplateSource| {
            let label = format!("{}: [templates] {}", source.location, source.key);
            if add(env, name.clone(), source)? {
                fixed.insert(name.clone());
            }
            if name.starts_with("context") && leaves_out_the_second(&env.get_template(&name)?) {
                lead_only.push(label);
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
        let fixed_general = ["context", "voicemail"].map(|name| fixed.contains(name));
        Ok(Templates {
            env,
            typed,
            fixed,
            fixed_general,
            by_practice: Default::default(),
            lead_only,
        })
    }

    /// Refuses, at start-up, a context template a household's call could be made with that
    /// leaves the household's other appointments out. A household (several appointments on one
    /// phone) gets one call, made with its first appointment's context (its type's, its
    /// language's), and every member's row is marked sent with that call's id: a text naming
    /// only the first patient would record the others as reminded when nobody mentioned them.
    /// They cannot get calls of their own instead: one number is called at most once a day.
    pub fn households(&self) -> anyhow::Result<()> {
        match self.lead_only.first() {
            Some(label) => Err(anyhow::anyhow!(
                "{label}: names only the first appointment of a household (appointments that \
                 share a phone get one call, and each of their rows is marked sent by it), so the \
                 others would be recorded as reminded without being mentioned; name each one with \
                 `{{% for a in appointments %}}` ... `{{% endfor %}}` as the default context does \
                 (see docs/configuration.md, \"Templates: variables and rules\"), or set \
                 `[households] enabled = false` to call only the earliest of them"
            )),
            None => Ok(()),
        }
    }
}

/// A household's second appointment, twice, differing in every detail from [`VARIABLES`]' and
/// from each other: see [`leaves_out_the_second`].
const SECOND_MEMBERS: [&[(&str, &str)]; 2] = [
    &[
        ("first_name", "Bartholomew"),
        ("last_name", "Oyelaran-Whitfield"),
        ("appointment_type", "Root canal"),
        ("appointment_description", "Molar #30, second visit"),
        ("appointment_when", "Wednesday, November 26 at 10:30 AM"),
        ("appointment_day", "Wednesday, November 26"),
        ("appointment_time", "10:30 AM"),
    ],
    &[
        ("first_name", "Ngozi"),
        ("last_name", "Lindqvist"),
        ("appointment_type", "Crown"),
        ("appointment_description", "Crown fitting, upper left"),
        ("appointment_when", "Thursday, November 27 at 8:15 AM"),
        ("appointment_day", "Thursday, November 27"),
        ("appointment_time", "8:15 AM"),
    ],
];

/// Whether a context leaves a household's second appointment out of its call: rendered for a
/// two-appointment household whose second appointment is one patient's, then another's, it
/// says the same thing. Whatever way the template reads the list (or does not), only what it
/// says counts. A template that does not render is reported by the example render.
fn leaves_out_the_second(template: &minijinja::Template<'_, '_>) -> bool {
    let render = |second: &[(&str, &str)]| {
        let lead: serde_json::Map<String, serde_json::Value> = VARIABLES
            .iter()
            .filter(|(k, _)| *k != "appointments")
            .map(|(k, v)| (k.to_string(), serde_json::Value::from(*v)))
            .collect();
        let mut other = lead.clone();
        for (k, v) in second {
            other.insert(k.to_string(), serde_json::Value::from(*v));
        }
        let mut vars = lead.clone();
        vars.insert(
            "appointments".to_string(),
            serde_json::Value::Array(vec![lead.into(), other.into()]),
        );
        template.render(&vars).ok()
    };
    match (render(SECOND_MEMBERS[0]), render(SECOND_MEMBERS[1])) {
        (Some(one), Some(other)) => one == other,
        _ => false,
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

/// What a template's source says in its `{{ ... }}` and `{% ... %}` parts, read as minijinja's
/// lexer reads them: every name written there (outside string literals: variables, functions,
/// filters, attributes, the tags' own words), and the first word of every tag. A superset of what
/// the template can reach by name, found without minijinja's variable tracking (which, in 2.24,
/// does not look inside a slice: `first_name[0:]` is a variable it never reports). A raw block's
/// text is text; a comment is skipped.
struct Code<'s> {
    names: Vec<&'s str>,
    tags: Vec<&'s str>,
}

fn code(source: &str) -> Code<'_> {
    let b = source.as_bytes();
    let is_word = |c: u8| c.is_ascii_alphanumeric() || c == b'_' || c >= 0x80;
    let mut names = Vec::new();
    let mut tags = Vec::new();
    let mut raw = false;
    let mut i = 0;
    while let Some(offset) = source[i..].find('{') {
        let at = i + offset;
        let close = match b.get(at + 1) {
            Some(b'{') if !raw => "}}",
            Some(b'%') => "%}",
            Some(b'#') if !raw => {
                i = source[at + 2..]
                    .find("#}")
                    .map_or(b.len(), |e| at + 2 + e + 2);
                continue;
            }
            _ => {
                i = at + 1;
                continue;
            }
        };
        let mut j = at + 2;
        let mut words = Vec::new();
        while j < b.len() && !source[j..].starts_with(close) {
            let c = b[j];
            if c == b'\'' || c == b'"' {
                j += 1;
                while j < b.len() && b[j] != c {
                    j += if b[j] == b'\\' { 2 } else { 1 };
                }
                j += 1;
            } else if is_word(c) {
                let start = j;
                while j < b.len() && is_word(b[j]) {
                    j += 1;
                }
                if !c.is_ascii_digit() {
                    words.push(&source[start..j]);
                }
            } else {
                j += 1;
            }
        }
        let j = (j + 2).min(b.len());
        if close == "%}" {
            let first = words.first().copied().unwrap_or("");
            if raw {
                // Inside a raw block only its end counts; the rest is text.
                if first == "endraw" {
                    raw = false;
                    tags.push(first);
                    names.extend(words);
                }
                i = j;
                continue;
            }
            raw = first == "raw";
            tags.push(first);
        }
        names.extend(words);
        i = j;
    }
    Code { names, tags }
}

/// Whether a voicemail's text changes with the patient's details: rendered for two example
/// patients that differ in nothing else, it says two things. The last check, whatever way a
/// template found to reach them (the rules before it close every way known). A template that
/// does not render is reported by the example render.
fn depends_on_the_patient(template: &minijinja::Template<'_, '_>) -> bool {
    let render = |patient: &[(&str, &str)]| {
        let mut vars: BTreeMap<&str, serde_json::Value> = VARIABLES
            .iter()
            .chain(patient)
            .map(|(k, v)| (*k, serde_json::Value::from(*v)))
            .collect();
        let one: serde_json::Map<String, serde_json::Value> = vars
            .iter()
            .filter(|(k, _)| **k != "appointments")
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect();
        vars.insert(
            "appointments",
            serde_json::Value::Array(vec![one.clone().into(), one.into()]),
        );
        template.render(&vars).ok()
    };
    match (render(&[]), render(OTHER_PATIENT)) {
        (Some(one), Some(other)) => one != other,
        _ => false,
    }
}

/// A template's name or source, kept for the rest of the run. An environment finds a template
/// it borrows by its name alone; one it owns costs a shared name, a lock and a hash on every
/// lookup, twice per call. A run compiles its few templates once, at start-up.
fn leak(text: &str) -> &'static str {
    Box::leak(text.into())
}

/// Adds and checks one template; `true` when its text depends on the practice alone
/// ([`practice_only`]).
fn add(env: &mut Environment<'static>, name: String, t: TemplateSource) -> anyhow::Result<bool> {
    let fail = |what: String| anyhow::anyhow!("{}: [templates] {}: {what}", t.location, t.key);
    env.add_template(leak(&name), leak(&t.source))
        .map_err(|e| fail(format!("{e}")))?;
    let template = env.get_template(&name).map_err(|e| fail(format!("{e}")))?;
    let known: HashSet<&str> = VARIABLES
        .iter()
        .map(|(n, _)| *n)
        .chain(BUILTINS.iter().copied())
        .collect();
    let code = code(&t.source);
    if let Some(first) = code.names.iter().find(|n| REMOVED_GLOBALS.contains(n)) {
        return Err(fail(format!(
            "uses `{first}`, which templates do not have: it prints every variable, the \
             patient's name and appointment included; name the variables the text needs"
        )));
    }
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
        // Names written anywhere in the code count, not only the variables minijinja reports
        // (see [`Code`]); a local variable or attribute of the same name is refused with them.
        let mut used: Vec<String> = template
            .undeclared_variables(false)
            .into_iter()
            .chain(code.names.iter().map(|n| n.to_string()))
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
        if let Some(tag) = code
            .tags
            .iter()
            .find(|tag| OTHER_TEMPLATE_TAGS.contains(tag))
        {
            return Err(fail(format!(
                "uses `{{% {tag} %}}`, which would bring another template's text (the \
                 context's, with the patient's name) into the voicemail; a voicemail is a \
                 text of its own"
            )));
        }
        if depends_on_the_patient(&template) {
            return Err(fail(
                "says something else for another patient (rendered for two example patients, \
                 its text changes with the name or appointment); a voicemail may use \
                 practice_name, callback_number, appointment_when, appointment_day and \
                 appointment_time"
                    .to_string(),
            ));
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
    // The variables the text uses: minijinja's, and those written in a slice, which it misses
    // (see [`Code`]); taken for a text of the practice alone, `{{ first_name[0:] }}` would give
    // every call the first patient's name.
    let mut used = template.undeclared_variables(false);
    used.extend(
        code.names
            .iter()
            .filter(|n| VARIABLES.iter().any(|(v, _)| v == *n))
            .map(|n| n.to_string()),
    );
    Ok(practice_only(&t.source, &used))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(key: &str, text: &str) -> TemplateSource {
        TemplateSource {
            key: key.into(),
            location: "practice.toml:7".into(),
            source: text.into(),
        }
    }

    /// The error of compiling the default context with this voicemail.
    fn voicemail_error(voicemail: &str) -> String {
        match Templates::compile(
            source("context", DEFAULT_CONTEXT),
            source("voicemail", voicemail),
            BTreeMap::new(),
        ) {
            Ok(_) => panic!("accepted: {voicemail}"),
            Err(e) => format!("{e:#}"),
        }
    }

    const ONLY_ALLOWED: &str = "a voicemail may use practice_name, callback_number, \
        appointment_when, appointment_day and appointment_time";

    #[test]
    fn no_template_gets_debug_which_prints_every_variable() {
        // The breaker's template: the context sliced to fit under 500 characters.
        let refused = "practice.toml:7: [templates] voicemail: uses `debug`, which templates do \
            not have: it prints every variable, the patient's name and appointment included; \
            name the variables the text needs";
        for voicemail in [
            "Hello from the office. {{ (debug()|string)[380:820] }}",
            "{{ debug() }}",
            "{{- debug(practice_name) -}}",
            "{% set d = debug %}{{ d()|length }}",
        ] {
            assert_eq!(voicemail_error(voicemail), refused, "{voicemail}");
        }
        // A context may name the patient, but it gets no `debug` either.
        let err = Templates::compile(
            source("context", "{{ first_name }} {{ debug()|length }}"),
            source("voicemail", DEFAULT_VOICEMAIL),
            BTreeMap::new(),
        )
        .unwrap_err();
        assert!(format!("{err:#}").contains("[templates] context: uses `debug`"));
        // Nor does the environment the calls are rendered with have it.
        let t = Templates::compile(
            source("context", DEFAULT_CONTEXT),
            source("voicemail", DEFAULT_VOICEMAIL),
            BTreeMap::new(),
        )
        .unwrap();
        let err = t.env.render_str("{{ debug() }}", ()).unwrap_err();
        assert!(format!("{err}").contains("debug is unknown"), "{err}");
        // What minijinja still provides prints nothing of the context.
        let kept = t
            .env
            .render_str(
                "{% set ns = namespace(a=1) %}{{ ns }}{{ dict(b=2) }}{{ range(2)|list }}\
                 {% for x in [1] %}{{ loop }}{% endfor %}\
                 {% macro m() %}{% endmacro %}{{ m }}{{ m.arguments }}",
                minijinja::context! { first_name => "José" },
            )
            .unwrap();
        assert!(!kept.contains("José"), "{kept}");
    }

    #[test]
    fn a_voicemail_reaches_no_patient_detail_another_way() {
        // Another template's text: the context names the patient.
        for (voicemail, tag) in [
            ("Hi {% include 'context' %}", "include"),
            ("{%- import 'context' as c %}{{ c }}", "import"),
            ("{%+extends 'context' %}", "extends"),
            ("{% from 'context' import x %}", "from"),
        ] {
            assert_eq!(
                voicemail_error(voicemail),
                format!(
                    "practice.toml:7: [templates] voicemail: uses `{{% {tag} %}}`, which would \
                     bring another template's text (the context's, with the patient's name) \
                     into the voicemail; a voicemail is a text of its own"
                )
            );
        }
        // A slice: minijinja 2.24 does not report the variable it slices.
        for (voicemail, name) in [
            ("Hi {{ first_name[0:] }}", "first_name"),
            (
                "{{ appointment_description[:40]|upper }}",
                "appointment_description",
            ),
            ("{{ (appointments|string)[1:] }}", "appointments"),
        ] {
            assert_eq!(
                voicemail_error(voicemail),
                format!(
                    "practice.toml:7: [templates] voicemail: uses `{name}`, which anyone who \
                     hears the voicemail would hear (a family member, a colleague); {ONLY_ALLOWED}"
                ),
                "{voicemail}"
            );
        }
        // Ordinary voicemails pass, names in text, strings, comments and raw blocks included.
        for voicemail in [
            DEFAULT_VOICEMAIL,
            "{{ practice_name }} on {{ appointment_day }} at {{ appointment_time }}: {{ callback_number }}",
            "{# not first_name #}{{ practice_name }} {{ 'first_name' }} {{ \"a\\\"first_name\" }}",
            "{% raw %}{{ first_name }}{% include 'x' %}{% endraw %}{{ callback_number }}",
            "{% if appointment_when %}{% for i in range(2) %}{{ loop.index }}{% endfor %}{% endif %}",
        ] {
            Templates::compile(
                source("context", DEFAULT_CONTEXT),
                source("voicemail", voicemail),
                BTreeMap::new(),
            )
            .unwrap_or_else(|e| panic!("{voicemail}: {e:#}"));
        }
    }

    #[test]
    fn a_text_with_a_sliced_variable_is_not_taken_for_one_of_the_practice_alone() {
        let t = Templates::compile(
            source(
                "context",
                "Call for {{ first_name[0:] }} from {{ practice_name }}.",
            ),
            source(
                "voicemail",
                "Call {{ practice_name|upper }} at {{ callback_number }}.",
            ),
            BTreeMap::new(),
        )
        .unwrap();
        assert!(!t.fixed.contains("context"));
        assert!(t.fixed.contains("voicemail"));
    }

    #[test]
    fn the_last_check_finds_a_voicemail_that_says_something_else_for_another_patient() {
        // An environment that still has `debug`: a way past every rule by name.
        let mut env = Environment::new();
        for (name, text) in [
            ("leak", "{{ (debug()|string)[380:390] }}"),
            ("length", "{{ debug()|length }}"),
            ("plain", DEFAULT_VOICEMAIL),
            ("when", "{{ appointment_when }}"),
        ] {
            env.add_template(name, text).unwrap();
        }
        let depends = |name| depends_on_the_patient(&env.get_template(name).unwrap());
        assert!(depends("leak") && depends("length"));
        assert!(!depends("plain") && !depends("when"));
    }

    #[test]
    fn code_is_the_names_and_tags_outside_strings_comments_and_raw_blocks() {
        let c = code(
            "Hi {{ a.b|c('d', \"e\\\"f\") }}{# g #}{% if h %}{{ 1.5e3 }}{% endif %}\
             {% raw %}{{ i }}{% j %}{% endraw %}{{ k[0:] }}{{ señor }}{ {{",
        );
        assert_eq!(
            c.names,
            ["a", "b", "c", "if", "h", "endif", "raw", "endraw", "k", "señor"]
        );
        assert_eq!(c.tags, ["if", "endif", "raw", "endraw"]);
    }

    /// Which contexts a household's call may be made with: those that say something of its
    /// second appointment, however they reach it.
    #[test]
    fn a_context_that_leaves_out_a_households_second_appointment_is_found() {
        let lead_only = |context: &str| {
            let t = Templates::compile(
                source("context", context),
                source("voicemail", DEFAULT_VOICEMAIL),
                BTreeMap::new(),
            )
            .unwrap();
            !t.lead_only.is_empty()
        };
        assert!(!lead_only(DEFAULT_CONTEXT));
        assert!(!lead_only(
            "{% for a in appointments %}{{ a.appointment_time }} {% endfor %}"
        ));
        assert!(lead_only("{{ first_name }} on {{ appointment_when }}"));
        assert!(lead_only("{{ appointments|length }} appointments"));
        assert!(lead_only("{{ appointments[0].first_name }}"));
        let err = Templates::compile(
            source("context", "{{ first_name }}"),
            source("voicemail", DEFAULT_VOICEMAIL),
            BTreeMap::new(),
        )
        .unwrap()
        .households()
        .unwrap_err();
        assert!(
            format!("{err}").starts_with(
                "practice.toml:7: [templates] context: names only the first appointment of a household"
            ),
            "{err}"
        );
    }
}
