//! What one conversation tells us, from `GET /conversations/{id}`.
//!
//! The API has no outcome field: nothing says "answered", "confirmed" or "do not call". So this
//! infers from the documented fields (`status`, `duration`, `summary`, `topic`,
//! `conversationTags`) with small word lists, kept here so they are easy to review and extend.
//! Text is compared without case, with `_` and `-` read as spaces and curly apostrophes as
//! straight ones, so the tag `DO_NOT_CALL` and the summary "asked us not to call again" both
//! match.

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::class::{Class, Heard, Rules};
use crate::ledger::records::Answered;

/// Whole tags that mean nobody answered (a voicemail is not a conversation with the patient).
pub const NO_ANSWER_TAGS: &[&str] = &[
    "no answer",
    "unanswered",
    "not answered",
    "voicemail",
    "busy",
];

/// Conversation statuses after which a conversation no longer changes: `outcomes` records it and
/// never reads it again.
///
/// The API documents only `OPEN` as an example status; its close endpoint answers `CLOSING` and
/// then `CLOSED`. So `CLOSED` is the one status known to be final. Everything else (`OPEN`,
/// `CLOSING`, an empty status, one the docs never mention) is read again by the next `outcomes`
/// run: re-reading costs one request, while freezing a conversation too early would lose an
/// opt-out the patient gave at the end of the call.
pub const FINAL_STATUSES: &[&str] = &["CLOSED"];

/// Whether a conversation with this status can still change (see [`FINAL_STATUSES`]).
pub fn is_final(status: &str) -> bool {
    let status = status.trim();
    FINAL_STATUSES
        .iter()
        .any(|f| status.eq_ignore_ascii_case(f))
}

/// One conversation, read.
#[derive(Debug, Clone, PartialEq)]
pub struct Reading {
    /// Annie's fields as text, for the outcomes file.
    pub status: String,
    pub topic: String,
    pub summary: String,
    pub duration: String,
    pub answered: Answered,
    /// What happened on the call (see [`super::class`]).
    pub class: Class,
    /// The patient asked not to be called again (`class` is `opt_out`).
    pub do_not_call: bool,
    /// Annie's `toNumber` and `startTime`, to tie the conversation to a number when the ledger
    /// has no attempt with its id.
    pub to_number: Option<String>,
    pub started_at: Option<DateTime<Utc>>,
}

impl Reading {
    /// Reads a conversation with the default phrases (as the run's own check of Annie's
    /// conversation list does).
    pub fn read(c: &Value) -> Reading {
        Reading::read_with(c, &Rules::default())
    }

    /// Reads a conversation with the `[outcomes]` phrases.
    pub fn read_with(c: &Value, rules: &Rules) -> Reading {
        let (status, summary, topic, duration) = (
            text(&c["status"]),
            text(&c["summary"]),
            text(&c["topic"]),
            text(&c["duration"]),
        );
        let tags: Vec<String> = match &c["conversationTags"] {
            Value::Array(items) => items.iter().map(|t| normalise(&text(t))).collect(),
            Value::Null => Vec::new(),
            other => vec![normalise(&text(other))],
        };
        let answered = answered(&status, &duration, &tags);
        let class = rules.classify(&Heard {
            closed: is_final(&status),
            answered,
            summary: &summary,
            topic: &topic,
            tags: &tags,
        });
        Reading {
            // A voicemail is not a conversation with the patient, tagged or not.
            answered: match class {
                Class::Voicemail => Answered::No,
                _ => answered,
            },
            class,
            do_not_call: class == Class::OptOut,
            to_number: c["toNumber"].as_str().map(str::to_string),
            started_at: c["startTime"]
                .as_str()
                .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
                .map(|t| t.with_timezone(&Utc)),
            status,
            topic,
            summary,
            duration,
        }
    }

    /// Whether a person should look at the call: it follows the class.
    pub fn needs_attention(&self) -> bool {
        self.class.needs_person()
    }

    /// Why the office should look at this call, or what will happen to it.
    pub fn reason(&self) -> &'static str {
        match self.class {
            Class::OptOut => {
                "the patient asked not to be called again (later runs skip the number); record \
                 it in the patient's file"
            }
            Class::RescheduleRequested => "the patient asked to reschedule: call them back",
            Class::CancelRequested => "the patient asked to cancel: confirm and free the slot",
            Class::NoAnswer => "the call ended without a conversation",
            Class::Unclear => "the summary does not say how the call went: read it",
            Class::Open => "still open: the next `annie-dispatch outcomes` run reads it again",
            Class::Voicemail => "went to voicemail (the reminder was left as a message)",
            Class::Confirmed => "",
        }
    }

    /// The duration as a whole number, as Annie reports it (the unit is not documented).
    pub fn duration_number(&self) -> Option<i64> {
        self.duration
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|d| d.is_finite())
            .map(|d| d.round() as i64)
    }
}

/// Answered when the conversation has a duration; not answered when it is tagged so, or closed
/// without a duration; otherwise not known yet (still open, or an unreadable duration).
fn answered(status: &str, duration: &str, tags: &[String]) -> Answered {
    if tags.iter().any(|t| NO_ANSWER_TAGS.contains(&t.as_str())) {
        return Answered::No;
    }
    let seconds = duration.trim().parse::<f64>().ok();
    let closed = is_final(status);
    match seconds {
        Some(d) if d > 0.0 => Answered::Yes,
        Some(_) if closed => Answered::No,
        None if closed && duration.trim().is_empty() => Answered::No,
        _ => Answered::Unknown,
    }
}

/// A JSON value as text: strings as they are, null as "", objects as their string values.
fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        Value::Object(map) => map
            .values()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join(" "),
        other => other.to_string(),
    }
}

/// The same folding the classifier uses (lower case, no accents, one space between words).
fn normalise(text: &str) -> String {
    super::class::fold(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn closed(duration: Value, summary: &str, tags: Value) -> Reading {
        Reading::read(&json!({
            "status": "CLOSED", "duration": duration, "summary": summary,
            "topic": "Appointment confirmation", "conversationTags": tags
        }))
    }

    #[test]
    fn a_confirmed_call_needs_nothing() {
        let r = closed(
            json!(42),
            "The patient confirmed the appointment.",
            json!(["confirmed"]),
        );
        assert_eq!(r.answered, Answered::Yes);
        assert!(!r.do_not_call && !r.needs_attention());
        assert_eq!(r.class, Class::Confirmed);
        assert_eq!((r.reason(), r.duration_number()), ("", Some(42)));
    }

    #[test]
    fn closed_without_a_duration_or_tagged_voicemail_is_unanswered() {
        for d in [json!(0), json!(null), json!(""), json!("0")] {
            assert_eq!(closed(d, "", json!([])).answered, Answered::No);
        }
        let vm = closed(json!(31), "Left a message.", json!(["VOICEMAIL"]));
        assert_eq!((vm.answered, vm.class), (Answered::No, Class::Voicemail));
        assert!(!vm.needs_attention());
        let said = closed(json!(24), "The call went to voicemail.", json!([]));
        assert_eq!(
            (said.answered, said.class),
            (Answered::No, Class::Voicemail)
        );
        let none = closed(json!(0), "", json!([]));
        assert_eq!(none.class, Class::NoAnswer);
        assert_eq!(none.reason(), "the call ended without a conversation");
    }

    #[test]
    fn an_open_conversation_is_not_known_yet() {
        let r = Reading::read(&json!({"status": "OPEN", "duration": 0}));
        assert_eq!(r.answered, Answered::Unknown);
        assert!(!r.needs_attention());
        assert!(r.reason().starts_with("still open"));
        let odd = closed(json!("about a minute"), "", json!([]));
        assert_eq!(odd.answered, Answered::Unknown);
    }

    #[test]
    fn only_closed_is_final_and_anything_unknown_is_read_again() {
        for status in ["CLOSED", "closed", " Closed "] {
            assert!(is_final(status), "{status}");
        }
        for status in ["OPEN", "CLOSING", "IN_PROGRESS", "RINGING", "", "ENDED?"] {
            assert!(!is_final(status), "{status}");
        }
    }

    #[test]
    fn a_request_not_to_be_called_is_found_in_summary_topic_or_tags() {
        for summary in [
            "The patient asked us not to call again.",
            "Patient said: please don\u{2019}t call this number.",
            "She asked to be removed: stop calling me.",
            "Caller wants to opt-out of reminders.",
        ] {
            let r = closed(json!(20), summary, json!([]));
            assert!(r.do_not_call, "{summary}");
            assert!(r
                .reason()
                .starts_with("the patient asked not to be called again"));
        }
        assert!(closed(json!(20), "", json!(["DO_NOT_CALL"])).do_not_call);
        let topic = Reading::read(&json!({"status": "CLOSED", "topic": "Do-not-call request"}));
        assert!(topic.do_not_call);
    }

    #[test]
    fn cancelling_an_appointment_is_a_follow_up_not_an_opt_out() {
        let r = closed(
            json!(50),
            "The patient wants to cancel and reschedule.",
            json!([]),
        );
        assert_eq!(r.class, Class::RescheduleRequested);
        assert!(r.needs_attention() && !r.do_not_call);
        let r = closed(json!(50), "The patient will stop by the office.", json!([]));
        assert!(!r.do_not_call);
        assert_eq!(r.class, Class::Unclear);
    }

    #[test]
    fn fields_of_unexpected_shapes_are_read_as_text() {
        let r = Reading::read(&json!({
            "status": "CLOSED", "duration": 12.6, "toNumber": "+13125550147",
            "startTime": "2026-11-24T15:00:00.000Z",
            "conversationTags": [{"name": "opt_out"}]
        }));
        assert!(r.do_not_call);
        assert_eq!(r.duration_number(), Some(13));
        assert_eq!(r.to_number.as_deref(), Some("+13125550147"));
        assert_eq!(
            r.started_at.map(|t| t.to_rfc3339()),
            Some("2026-11-24T15:00:00+00:00".into())
        );
    }
}
