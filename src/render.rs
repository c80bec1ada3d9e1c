//! Stage 4: what Annie says. Templates (minijinja) → context and voicemail texts → the request.
//!
//! The templates were checked at start-up ([`crate::templates`]). Texts over the API's
//! 500-character limit make the row `invalid`; they are never cut.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock};

use chrono::format::{Item, StrftimeItems};

use minijinja::value::{Enumerator, Object, ObjectExt};
use minijinja::Value;

use crate::api::body::{AppointmentInfo, CallRequest, PatientInfo};
use crate::households::Household;
use crate::normalise::Appointment;
use crate::practice::Practice;
use crate::reason::{Reason, ReasonCode};
use crate::templates::FixedKey;
pub use crate::templates::{Templates, MAX_TEXT_CHARS};

/// The texts for one call.
#[derive(Debug, Clone, PartialEq)]
pub struct Texts {
    pub context: String,
    pub voicemail: String,
}

/// A call's two texts: the template each is named by (its type's own is `{which}:{type}`) and
/// the word its errors start with.
const WHICH: [&str; 2] = ["context", "voicemail"];

impl Templates {
    /// A fixed template's text for this practice, rendered the first time it is asked for, as
    /// `read` sees it (a preview that only checks the text has no use for a copy of it).
    fn by_practice<T>(
        &self,
        name: &str,
        practice: &Practice,
        render: impl FnOnce() -> Result<String, Reason>,
        read: impl Fn(&Result<String, Reason>) -> T,
    ) -> T {
        let is_key = |(t, p, c): &FixedKey| {
            t == name && *p == practice.name && *c == practice.callback_spoken
        };
        let known = |cache: &[(FixedKey, Result<String, Reason>)]| {
            cache.iter().find(|(k, _)| is_key(k)).map(|(_, r)| read(r))
        };
        if let Some(known) = known(&self.by_practice.lock().unwrap_or_else(|p| p.into_inner())) {
            return known;
        }
        let rendered = render();
        let answer = read(&rendered);
        let key = (
            name.to_string(),
            practice.name.clone(),
            practice.callback_spoken.clone(),
        );
        let mut cache = self.by_practice.lock().unwrap_or_else(|p| p.into_inner());
        if !cache.iter().any(|(k, _)| is_key(k)) {
            cache.push((key, rendered));
        }
        answer
    }

    /// The lower-cased type whose templates a call may have. Without templates by type (most
    /// configs), the type is not even lower-cased.
    fn kind(&self, household: &Household) -> String {
        match self.typed.is_empty() {
            true => String::new(),
            false => household
                .lead()
                .appointment_type
                .as_deref()
                .map(str::to_lowercase)
                .unwrap_or_default(),
        }
    }

    /// The template of a call's text `WHICH[i]` (its type's own when it has one) and whether
    /// its text depends on the practice alone ([`Templates::fixed`]).
    fn pick(&self, kind: &str, i: usize) -> (std::borrow::Cow<'static, str>, bool) {
        let which = WHICH[i];
        if !self.typed.is_empty() && self.typed.contains(&(kind.to_string(), which)) {
            let name = format!("{which}:{kind}");
            let fixed = self.fixed.contains(&name);
            return (name.into(), fixed);
        }
        (which.into(), self.fixed_general[i])
    }

    /// Renders both texts for a household's call. `Err` is the reason for an `invalid` row.
    pub fn render(&self, household: &Household, practice: &Practice) -> Result<Texts, Reason> {
        let vars = variables(household, practice);
        let kind = self.kind(household);
        let text = |i: usize| -> Result<String, Reason> {
            let (name, fixed) = self.pick(&kind, i);
            let render = || self.text(&name, WHICH[i], &vars);
            match fixed {
                true => self.by_practice(&name, practice, render, Result::clone),
                false => render(),
            }
        };
        Ok(Texts {
            context: text(0)?,
            voicemail: text(1)?,
        })
    }

    /// What [`Templates::render`] answers about a household's call without the texts: `Err` is
    /// the same reason for an `invalid` row. For a preview that neither shows nor writes bodies:
    /// every text is still rendered, only not kept.
    pub fn check(&self, household: &Household, practice: &Practice) -> Result<(), Reason> {
        let vars = variables(household, practice);
        let kind = self.kind(household);
        for (i, label) in WHICH.into_iter().enumerate() {
            let (name, fixed) = self.pick(&kind, i);
            match fixed {
                true => {
                    let render = || self.text(&name, label, &vars);
                    let read =
                        |r: &Result<String, Reason>| r.as_ref().map(|_| ()).map_err(Clone::clone);
                    self.by_practice(&name, practice, render, read)?
                }
                false => self.measure(&name, label, &vars)?,
            }
        }
        Ok(())
    }

    /// One template's text for a call. `Err` is the reason for an `invalid` row.
    fn text(&self, name: &str, label: &str, vars: &Value) -> Result<String, Reason> {
        let rendered = self
            .env
            .get_template(name)
            .and_then(|t| t.render(vars))
            .map_err(|e| failed(label, e))?;
        let rendered = match rendered.trim() {
            trimmed if trimmed.len() == rendered.len() => rendered,
            trimmed => trimmed.to_string(),
        };
        let length = rendered.chars().count();
        if length > MAX_TEXT_CHARS {
            return Err(too_long(label, length));
        }
        Ok(rendered)
    }

    /// [`Templates::text`]'s answer without the text: rendered into a [`Measure`] rather than a
    /// string that is trimmed, counted and dropped. minijinja 2 deprecates `render_to_write`
    /// for `render_captured_to`, which keeps the render's state in an allocation of its own: for
    /// every call, what this saves.
    #[allow(deprecated)]
    fn measure(&self, name: &str, label: &str, vars: &Value) -> Result<(), Reason> {
        let mut measure = Measure::default();
        self.env
            .get_template(name)
            .and_then(|t| t.render_to_write(vars, &mut measure).map(drop))
            .map_err(|e| failed(label, e))?;
        match measure.length() {
            length if length > MAX_TEXT_CHARS => Err(too_long(label, length)),
            _ => Ok(()),
        }
    }
}

/// The reason a text's template did not render.
fn failed(label: &str, e: minijinja::Error) -> Reason {
    Reason::new(
        ReasonCode::TemplateError,
        format!("{label} template failed: {e}"),
    )
}

/// The reason a text is over the API's limit.
fn too_long(label: &str, length: usize) -> Reason {
    let text = format!(
        "{label} is {length} characters; the API accepts at most {MAX_TEXT_CHARS}. \
         Shorten the template or the export's text"
    );
    Reason::new(ReasonCode::TextTooLong, text)
}

/// A rendered text's length once trimmed (`str::trim`: Unicode white space at both ends),
/// counted in characters as minijinja writes it, without the text.
#[derive(Debug, Default)]
struct Measure {
    /// Characters since the first that is not white space.
    chars: usize,
    /// White space characters at the end of those.
    trailing: usize,
}

impl Measure {
    /// Counts a piece of the text as it is written.
    fn push(&mut self, s: &str) {
        // Leading white space is not counted: nothing is, until a character that is not.
        let s = match self.chars {
            0 => s.trim_start(),
            _ => s,
        };
        let body = s.trim_end();
        let count = |s: &str| s.chars().count();
        match body.is_empty() {
            true => self.trailing += count(s),
            false => self.trailing = count(&s[body.len()..]),
        }
        self.chars += count(s);
    }

    /// [`Measure::push`] for ASCII (most pieces, often a word or two): a byte is a character,
    /// and white space is told without decoding or validating anything.
    fn push_ascii(&mut self, s: &[u8]) {
        let space = |b: &&u8| char::from(**b).is_whitespace();
        let s = match self.chars {
            0 => &s[s.iter().take_while(space).count()..],
            _ => s,
        };
        let trailing = s.iter().rev().take_while(space).count();
        match trailing == s.len() {
            true => self.trailing += trailing,
            false => self.trailing = trailing,
        }
        self.chars += s.len();
    }

    /// The trimmed text's length, as `text.trim().chars().count()` says.
    fn length(&self) -> usize {
        self.chars - self.trailing
    }
}

impl std::io::Write for Measure {
    /// minijinja writes each piece of text whole (the bytes of a `str`): a piece that is not
    /// UTF-8 is an error, never a guess.
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if buf.is_ascii() {
            self.push_ascii(buf);
            return Ok(buf.len());
        }
        let text = std::str::from_utf8(buf).map_err(std::io::Error::other)?;
        self.push(text);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
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

/// The keys of one appointment's variables, in the order a map of them iterates (sorted).
const MEMBER_KEYS: [&str; 7] = [
    "appointment_day",
    "appointment_description",
    "appointment_time",
    "appointment_type",
    "appointment_when",
    "first_name",
    "last_name",
];

/// The keys of a call's variables (the lead's, the practice's and `appointments`), sorted.
const CALL_KEYS: [&str; 10] = [
    "appointment_day",
    "appointment_description",
    "appointment_time",
    "appointment_type",
    "appointment_when",
    "appointments",
    "callback_number",
    "first_name",
    "last_name",
    "practice_name",
];

/// A map of fixed string keys, as a template sees it: the same value as the `BTreeMap` minijinja
/// builds from the same pairs (the same keys in the same order, the same answer to every lookup,
/// loop, filter and print), made without sorting pairs and building a tree for every call. A
/// call's values were built twice that way (the call and each appointment), a tenth of a large
/// preview's time.
struct Fields<const N: usize> {
    /// Sorted.
    keys: &'static [&'static str; N],
    values: [Value; N],
}

impl<const N: usize> Fields<N> {
    fn get(&self, key: &str) -> Option<Value> {
        let i = self.keys.iter().position(|k| *k == key)?;
        Some(self.values[i].clone())
    }

    fn into_value(self) -> Value {
        Value::from_object(self)
    }
}

impl<const N: usize> std::fmt::Debug for Fields<N> {
    /// As a `BTreeMap<Value, Value>` prints.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map()
            .entries(self.keys.iter().map(|k| Value::from(*k)).zip(&self.values))
            .finish()
    }
}

impl<const N: usize> Object for Fields<N> {
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        self.get(key.as_str()?)
    }

    fn get_value_by_str(self: &Arc<Self>, key: &str) -> Option<Value> {
        self.get(key)
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        self.mapped_rev_key_value_enumerator(|this| {
            Box::new(
                this.keys
                    .iter()
                    .zip(&this.values)
                    .map(|(k, v)| (Value::from(*k), v.clone())),
            )
        })
    }

    fn enumerator_len(self: &Arc<Self>) -> Option<usize> {
        Some(N)
    }
}

/// One appointment's variables, in [`MEMBER_KEYS`] order. The texts are short enough to be held
/// inline by the values (no allocation) except the "when", which is written once.
fn member_values(a: &Appointment) -> [Value; 7] {
    let [day, time, when] = day_and_time(a.start.naive_local());
    [
        day,
        Value::from(a.description.as_deref().unwrap_or("")),
        time,
        Value::from(a.appointment_type.as_deref().unwrap_or("")),
        when,
        Value::from(a.first_name.as_str()),
        Value::from(a.last_name.as_deref().unwrap_or("")),
    ]
}

/// `appointment_day`, `appointment_time` and `appointment_when` of a local start time. An
/// export has a few hundred start times and a call each row, so each thread keeps the values
/// of the start times it met (up to [`DAYS_KEPT`], then it starts again).
fn day_and_time(local: chrono::NaiveDateTime) -> [Value; 3] {
    use std::fmt::Write;
    // Hashed with FxHash: a few thousand keys at most, looked up for every call.
    type Known = HashMap<chrono::NaiveDateTime, [Value; 3], rustc_hash::FxBuildHasher>;
    thread_local! {
        static KNOWN: std::cell::RefCell<Known> = std::cell::RefCell::new(Known::default());
    }
    if let Some(values) = KNOWN.with_borrow(|known| known.get(&local).cloned()) {
        return values;
    }
    let mut when = String::with_capacity(40);
    let _ = write!(when, "{}", local.format_with_items(DAY.iter()));
    let day_end = when.len();
    when.push_str(" at ");
    let time_start = when.len();
    let _ = write!(when, "{}", local.format_with_items(TIME.iter()));
    let values = [
        Value::from(&when[..day_end]),
        Value::from(&when[time_start..]),
        Value::from(when.as_str()),
    ];
    KNOWN.with_borrow_mut(|known| {
        if known.len() >= DAYS_KEPT {
            known.clear();
        }
        known.insert(local, values.clone());
    });
    values
}

/// How many start times' values [`day_and_time`] keeps per thread.
const DAYS_KEPT: usize = 4096;

/// What a template sees: the practice, the lead appointment's details at the top level, and
/// every appointment of the call in `appointments`. Built as a template value once per call and
/// shared by both templates (going through serde for each template was a tenth of a large
/// preview's time).
fn variables(h: &Household, p: &Practice) -> Value {
    // The lead's values are kept as its entry is made: no list of every member's values first.
    let mut lead = None;
    let appointments: Value = h
        .members
        .iter()
        .map(|(_, a)| {
            let values = member_values(a);
            if lead.is_none() {
                lead = Some(values.clone());
            }
            let keys = &MEMBER_KEYS;
            Fields { keys, values }.into_value()
        })
        .collect();
    let Some(lead) = lead else {
        return variables_by_pairs(h, p);
    };
    let [day, description, time, kind, when, first_name, last_name] = lead;
    let values = [
        day,
        description,
        time,
        kind,
        when,
        appointments,
        Value::from(p.callback_spoken.as_str()),
        first_name,
        last_name,
        Value::from(p.name.as_str()),
    ];
    let keys = &CALL_KEYS;
    Fields { keys, values }.into_value()
}

/// [`variables`] as pairs collected into maps: for a call without appointments (none is made),
/// and the reference the tests compare [`Fields`] with.
fn variables_by_pairs(h: &Household, p: &Practice) -> Value {
    let pairs = |values: [Value; 7]| MEMBER_KEYS.into_iter().zip(values);
    let members: Vec<[Value; 7]> = h.members.iter().map(|(_, a)| member_values(a)).collect();
    let lead = members.first().cloned();
    let appointments: Value = members
        .into_iter()
        .map(|values| pairs(values).collect::<Value>())
        .collect();
    let practice = [
        ("practice_name", Value::from(p.name.as_str())),
        ("callback_number", Value::from(p.callback_spoken.as_str())),
        ("appointments", appointments),
    ];
    lead.into_iter().flat_map(pairs).chain(practice).collect()
}

pub fn build_request(a: &Appointment, texts: Texts, from_number: &str) -> CallRequest {
    let non_empty = |s: String| (!s.is_empty()).then_some(s);
    CallRequest {
        from_number: from_number.to_string(),
        to_number: a.phone.e164.to_string(),
        patient_info: Some(PatientInfo {
            first_name: a.first_name.to_string(),
            last_name: a.last_name.as_ref().map(|n| n.to_string()),
            date_of_birth: a
                .birth_date
                .map(|d| format!("{}T00:00:00.000Z", d.format("%Y-%m-%d"))),
            patient_id: a.patient_id.as_ref().map(|p| p.to_string()),
        }),
        appointment_info: Some(AppointmentInfo {
            start_time: a.start.to_rfc3339(),
            end_time: a.end.map(|e| e.to_rfc3339()),
            appointment_type_id: a.appointment_type.as_ref().map(|t| t.to_string()),
            appointment_description: a.description.as_ref().map(|d| d.to_string()),
            appointment_id: a.id.to_string(),
        }),
        context: non_empty(texts.context),
        voicemail_message: non_empty(texts.voicemail),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::templates::{practice_only, TemplateSource, DEFAULT_CONTEXT, DEFAULT_VOICEMAIL};
    use chrono::TimeZone;
    use minijinja::{Environment, UndefinedBehavior};
    use std::collections::BTreeMap;

    fn practice() -> Practice {
        Practice {
            name: "Bright Smile Dental".into(),
            timezone: "America/Chicago".parse().unwrap(),
            from_number: "+13125550100".into(),
            callback_spoken: "(312) 555-0100".into(),
            phone_region: phonenumber::country::Id::US,
            phone_policy: crate::normalise::policy::PhonePolicy {
                home: phonenumber::country::Id::US,
                countries: Vec::new(),
                extra_types: Vec::new(),
            },
        }
    }

    fn appointment(first: &str, last: Option<&str>, kind: Option<&str>, hour: u32) -> Appointment {
        let tz: chrono_tz::Tz = "America/Chicago".parse().unwrap();
        let start = tz.with_ymd_and_hms(2026, 11, 24, hour, 5, 0).unwrap();
        Appointment {
            id: compact_str::format_compact!("A{hour}"),
            patient_id: None,
            first_name: first.into(),
            last_name: last.map(Into::into),
            birth_date: None,
            phone: crate::normalise::Phone {
                e164: "+13125550147".into(),
                national: "(312) 555-0147".into(),
            },
            other_phones: Vec::new(),
            uncallable_numbers: Vec::new(),
            start,
            end: None,
            appointment_type: kind.map(Into::into),
            description: Some("Comp, 2 surf (asked for a long description here)".into()),
            status: None,
            confirmed: None,
            opt_out: None,
            language: None,
            phone_note: None,
            location: 0,
        }
    }

    #[test]
    fn a_template_of_the_practice_alone_is_rendered_once_per_practice_with_the_same_result() {
        let used = |names: &[&str]| names.iter().map(|n| n.to_string()).collect();
        assert!(practice_only(
            DEFAULT_VOICEMAIL,
            &used(&["practice_name", "callback_number"])
        ));
        assert!(!practice_only(
            DEFAULT_CONTEXT,
            &used(&["practice_name", "first_name"])
        ));
        assert!(!practice_only("{{ debug() }}", &used(&[])));
        assert!(!practice_only("{% include 'context' %}", &used(&[])));
        let source = |key: &str, text: &str| TemplateSource {
            key: key.into(),
            location: "test".into(),
            source: text.into(),
        };
        let voicemails = [
            DEFAULT_VOICEMAIL,
            "Call {{ practice_name|upper }} at {{ callback_number }}.",
            "{{ practice_name ~ callback_number }}",
        ];
        let mut practice = practice();
        let call = Household {
            members: vec![(2, Box::new(appointment("Zoë", None, None, 9)))],
        };
        for voicemail in voicemails {
            let t = Templates::compile(
                source("context", DEFAULT_CONTEXT),
                source("voicemail", voicemail),
                BTreeMap::new(),
            )
            .unwrap();
            assert!(t.fixed.contains("voicemail") && !t.fixed.contains("context"));
            for name in ["North Dental", &"Long name ".repeat(60), "North Dental"] {
                practice.name = name.to_string();
                let first = t.render(&call, &practice);
                let vars = variables(&call, &practice);
                let each = t.text("context", "context", &vars).and_then(|context| {
                    let voicemail = t.text("voicemail", "voicemail", &vars)?;
                    Ok(Texts { context, voicemail })
                });
                assert_eq!(first, each, "{voicemail} {name}");
                assert_eq!(t.render(&call, &practice), each);
            }
        }
    }

    #[test]
    fn a_measured_text_gets_the_answer_of_the_text_itself() {
        let mut t = Templates::compile(
            TemplateSource {
                key: "context".into(),
                location: "test".into(),
                source: DEFAULT_CONTEXT.into(),
            },
            TemplateSource {
                key: "voicemail".into(),
                location: "test".into(),
                source: DEFAULT_VOICEMAIL.into(),
            },
            BTreeMap::new(),
        )
        .unwrap();
        let sources = [
            "{{ a }}{{ b }}{{ c }}",
            " {{ a }}X{{ b }}\u{2028}{{ c }}\u{3000}",
            "{{ a }}{% for x in [b, c] %}{{ x }} {% endfor %}",
            "{{ a }}{{ nope }}",
            "{{ a }}{{ b + 1 }}",
        ];
        for (i, source) in sources.iter().enumerate() {
            t.env
                .add_template_owned(format!("t{i}"), source.to_string())
                .unwrap();
        }
        let pieces = [
            String::new(),
            " ".into(),
            "\u{3000}\n\t\u{0B}".into(),
            "\r\u{0B}\u{0C} \t".into(),
            "a\u{0B}".into(),
            "\u{1F}\u{0C}b\u{1C}".into(),
            "é".into(),
            "\u{85}a\u{a0}".into(),
            " \u{2003}b\u{1680}c \u{205F}".into(),
            "x".repeat(250),
            "é".repeat(249),
            "日本".repeat(125),
            "x".repeat(499),
            "🦷".repeat(500),
            " ".repeat(600),
        ];
        let (mut ok, mut too_long, mut failed) = (0, 0, 0);
        for (i, _) in sources.iter().enumerate() {
            for a in &pieces {
                for b in &pieces {
                    for c in &pieces {
                        let vars = minijinja::context! { a, b, c };
                        let text = t.text(&format!("t{i}"), "context", &vars);
                        let measured = t.measure(&format!("t{i}"), "context", &vars);
                        assert_eq!(measured, text.clone().map(|_| ()), "t{i} {a:?} {b:?} {c:?}");
                        match text {
                            Ok(_) => ok += 1,
                            Err(r) if r.code == ReasonCode::TextTooLong => too_long += 1,
                            Err(_) => failed += 1,
                        }
                    }
                }
            }
        }
        assert!(ok > 0 && too_long > 0 && failed > 0);
        // Exactly the limit, and one over, with white space on both sides.
        for (length, fits) in [(MAX_TEXT_CHARS, true), (MAX_TEXT_CHARS + 1, false)] {
            let a = format!("\u{3000} {}\u{2029}", "ü".repeat(length - 1) + "x");
            let vars = minijinja::context! { a, b => "", c => " " };
            assert_eq!(t.measure("t0", "context", &vars).is_ok(), fits);
            assert_eq!(
                t.measure("t0", "context", &vars),
                t.text("t0", "context", &vars).map(|_| ())
            );
        }
    }

    #[test]
    fn a_checked_call_gets_the_answer_of_its_rendered_texts() {
        let source = |key: &str, text: &str| TemplateSource {
            key: key.into(),
            location: "test".into(),
            source: text.into(),
        };
        let mut by_type = BTreeMap::new();
        by_type.insert(
            "Cleaning".to_string(),
            vec![(
                "context",
                source("by_type.Cleaning.context", "Clean {{ first_name }}."),
            )],
        );
        by_type.insert(
            "Crown".to_string(),
            vec![(
                "voicemail",
                source(
                    "by_type.Crown.voicemail",
                    "{{ practice_name }} on {{ appointment_day }}",
                ),
            )],
        );
        let plain = Templates::compile(
            source("context", DEFAULT_CONTEXT),
            source("voicemail", DEFAULT_VOICEMAIL),
            BTreeMap::new(),
        )
        .unwrap();
        let typed = Templates::compile(
            source("context", DEFAULT_CONTEXT),
            source("voicemail", DEFAULT_VOICEMAIL),
            by_type,
        )
        .unwrap();
        let mut practice = practice();
        for t in [&plain, &typed] {
            for name in ["North Dental", &"Long name ".repeat(60), "North Dental"] {
                practice.name = name.to_string();
                for (first, kind) in [
                    ("Zoë", None),
                    ("Sarah", Some("CLEANING")),
                    ("José", Some("crown")),
                    (&"Bartholomew ".repeat(40), Some("Cleaning")),
                    (&"Ngozi ".repeat(90), None),
                ] {
                    let call = Household {
                        members: vec![(2, Box::new(appointment(first, None, kind, 9)))],
                    };
                    let rendered = t.render(&call, &practice).map(|_| ());
                    assert_eq!(
                        t.check(&call, &practice),
                        rendered,
                        "{first} {kind:?} {name}"
                    );
                }
            }
        }
    }

    #[test]
    fn a_sliced_name_is_each_call_s_own() {
        let source = |key: &str, text: &str| TemplateSource {
            key: key.into(),
            location: "test".into(),
            source: text.into(),
        };
        let t = Templates::compile(
            source(
                "context",
                "Call for {{ first_name[0:] }} from {{ practice_name }}.",
            ),
            source("voicemail", DEFAULT_VOICEMAIL),
            BTreeMap::new(),
        )
        .unwrap();
        let practice = practice();
        for name in ["Alice", "Bob"] {
            let call = Household {
                members: vec![(2, Box::new(appointment(name, None, None, 9)))],
            };
            let texts = t.render(&call, &practice).unwrap();
            assert!(texts.context.starts_with(&format!("Call for {name} ")));
        }
    }

    #[test]
    fn call_values_are_what_maps_of_the_same_pairs_are_to_every_template() {
        assert!(MEMBER_KEYS.is_sorted() && CALL_KEYS.is_sorted());
        let practice = practice();
        let one = Household {
            members: vec![(2, Box::new(appointment("Zoë", Some("Ødegård"), None, 9)))],
        };
        let two = Household {
            members: vec![
                (
                    3,
                    Box::new(appointment("Sarah", None, Some("Cleaning"), 15)),
                ),
                (
                    4,
                    Box::new(appointment("José", Some("García"), Some(""), 16)),
                ),
            ],
        };
        let templates = [
            DEFAULT_CONTEXT,
            DEFAULT_VOICEMAIL,
            "{{ appointments }}|{{ appointments[0] }}|{{ appointments|length }}",
            "{% for k, v in appointments[0]|items %}{{ k }}={{ v }};{% endfor %}",
            "{% for k in appointments[-1] %}{{ k }},{% endfor %}{{ appointments[0]|list }}",
            "{{ appointments[0]|dictsort }}{{ appointments|reverse|list }}{{ appointments[0]|reverse|list }}",
            "{{ appointments[0] == appointments[-1] }}{{ appointments|unique|list|length }}",
            "{{ appointments[0]['first_name'] }}{{ appointments[0].nope }}",
            "{{ appointments[0][0] }}",
            "{% if appointments[0] %}yes{% endif %}{{ appointments|map(attribute='first_name')|join(', ') }}",
            "{{ appointments|selectattr('last_name')|list }}{{ appointments|sort(attribute='first_name')|first }}",
            "{{ appointments[0]|string|length }}{{ appointments[0] ~ '' }}{{ appointments[0]|pprint }}",
            "{{ appointments[0] + 1 }}",
            "{{ first_name.upper() }} {{ appointment_when }} {{ appointment_day|title }} {{ appointment_time }}",
            "{{ last_name or 'none' }}{{ appointment_type|default('x') }}{{ nope }}",
            "{{ appointments[0].items()|list }}{{ appointments[0].keys()|list }}{{ appointments[0].values()|list }}",
            "{{ appointments[0].get('first_name') }}{{ 'first_name' in appointments[0] }}{{ debug() }}",
        ];
        for (i, source) in templates.iter().enumerate() {
            let mut env = Environment::new();
            env.set_undefined_behavior(UndefinedBehavior::Strict);
            env.add_template_owned(format!("t{i}"), source.to_string())
                .unwrap();
            let t = env.get_template(&format!("t{i}")).unwrap();
            for h in [&one, &two] {
                let show = |r: Result<String, minijinja::Error>| r.map_err(|e| format!("{e:#}"));
                let fields = show(t.render(variables(h, &practice)));
                let pairs = show(t.render(variables_by_pairs(h, &practice)));
                assert_eq!(fields, pairs, "template {i}: {source}");
            }
        }
    }

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
