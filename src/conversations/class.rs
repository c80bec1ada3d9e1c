//! What happened on a call, as one word the office can sort by.
//!
//! A heuristic over what Annie gives back (`status`, `duration`, `summary`, `topic`,
//! `conversationTags`): the API has no outcome field. Phrases come from `[outcomes]` in the
//! config (defaults below, English and Spanish). Text is compared without case or accents, `_`
//! and `-` read as spaces. A phrase matches from the start of a word to the end of one; a phrase
//! ending in `*` may end inside a word (`reschedul*` matches "rescheduling"). A match with a
//! negation word (`negations`) among the three words before it in the same clause does not count
//! ("did not want to cancel"), except for opt-outs, which err toward matching: there a negation
//! only ever adds a match ("does not want any more calls", "no quiere recibir más llamadas":
//! `opt_out_negated`, built in), and a refusal word ("not", "never", "stop", "withdrew") followed
//! in the same clause by a calling word ("call", "be contacted", "llamadas") is one however the
//! rest is worded ([`super::refusal`]).
//!
//! Order: `opt_out` (summary, topic or tags) wins over everything; then a conversation still open
//! is `open`; then a voicemail or no-answer tag, a voicemail phrase, or a closed call without a
//! duration (`voicemail`, `no_answer`); then `reschedule_requested`, `cancel_requested`, an
//! `unclear` phrase (a call back, a wrong number), `confirmed`; anything else is `unclear`.
//! The topic is only read for opt-outs: it says what the call was about, not how it went.

use std::fmt;

use super::refusal::asked_not_to_be_called;
use crate::ledger::records::Answered;
pub use crate::settings::outcomes::{fold, Rules};

/// One call's outcome class.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Class {
    Confirmed,
    RescheduleRequested,
    CancelRequested,
    NoAnswer,
    Voicemail,
    OptOut,
    Unclear,
    /// Still going on when read: read again by the next run.
    Open,
}

impl Class {
    pub const ALL: [Class; 8] = [
        Class::Confirmed,
        Class::RescheduleRequested,
        Class::CancelRequested,
        Class::NoAnswer,
        Class::Voicemail,
        Class::OptOut,
        Class::Unclear,
        Class::Open,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Class::Confirmed => "confirmed",
            Class::RescheduleRequested => "reschedule_requested",
            Class::CancelRequested => "cancel_requested",
            Class::NoAnswer => "no_answer",
            Class::Voicemail => "voicemail",
            Class::OptOut => "opt_out",
            Class::Unclear => "unclear",
            Class::Open => "open",
        }
    }

    /// The class a `class` cell names; `None` for an empty one (no call, or an older file).
    pub fn parse(text: &str) -> Option<Class> {
        Class::ALL.into_iter().find(|c| c.as_str() == text)
    }

    /// Whether a person should look at the call. A voicemail is not one: the reminder was left
    /// as a message (and the ledger counts it as unanswered toward the 30 days' rest).
    pub fn needs_person(self) -> bool {
        matches!(
            self,
            Class::OptOut
                | Class::RescheduleRequested
                | Class::CancelRequested
                | Class::Unclear
                | Class::NoAnswer
        )
    }
}

impl fmt::Display for Class {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whole tags (normalised) that mean nobody answered.
pub const NO_ANSWER_TAGS: &[&str] = &["no answer", "unanswered", "not answered", "busy"];
/// Whole tags (normalised) that mean the call went to voicemail.
pub const VOICEMAIL_TAGS: &[&str] = &["voicemail", "voice mail", "answering machine"];

/// What the classification reads from one conversation.
pub struct Heard<'a> {
    pub closed: bool,
    pub answered: Answered,
    pub summary: &'a str,
    pub topic: &'a str,
    /// Normalised tags.
    pub tags: &'a [String],
}

impl Rules {
    pub fn classify(&self, call: &Heard) -> Class {
        let tags = call.tags.iter().map(|t| fold(t)).collect::<Vec<_>>();
        let said = [fold(call.summary), tags.join(" . ")].join(" . ");
        let with_topic = [said.as_str(), &fold(call.topic)].join(" . ");
        if self.found(&self.opt_out, &with_topic, false)
            || self.not_wanted(&with_topic)
            || asked_not_to_be_called(&with_topic)
        {
            return Class::OptOut;
        }
        if !call.closed {
            return Class::Open;
        }
        let tagged = |list: &[&str]| tags.iter().any(|t| list.contains(&t.as_str()));
        if tagged(VOICEMAIL_TAGS) || self.found(&self.voicemail, &said, true) {
            return Class::Voicemail;
        }
        if tagged(NO_ANSWER_TAGS) || call.answered == Answered::No {
            return Class::NoAnswer;
        }
        let order = [
            (&self.reschedule_requested, Class::RescheduleRequested),
            (&self.cancel_requested, Class::CancelRequested),
            (&self.unclear, Class::Unclear),
            (&self.confirmed, Class::Confirmed),
        ];
        order
            .into_iter()
            .find(|(list, _)| self.found(list, &said, true))
            .map_or(Class::Unclear, |(_, class)| class)
    }

    /// Whether any phrase matches `text` (folded), not negated when `negatable`.
    fn found(&self, phrases: &[String], text: &str, negatable: bool) -> bool {
        phrases.iter().any(|p| {
            matches(p, text)
                .into_iter()
                .any(|at| !negatable || !self.negated(&text[..at]))
        })
    }

    /// Whether the patient said they do not want calls: a phrase of `opt_out_negated` with a
    /// negation among the three words before it ("does not want any more calls").
    fn not_wanted(&self, text: &str) -> bool {
        self.opt_out_negated.iter().any(|p| {
            matches(p, text)
                .into_iter()
                .any(|at| self.negated(&text[..at]))
        })
    }

    /// Whether one of the last three words before a match, in its clause, is a negation.
    fn negated(&self, before: &str) -> bool {
        let clause = before
            .rsplit(['.', ',', ';', ':', '!', '?', '(', ')', '|'])
            .next()
            .unwrap_or("");
        let clause = [" but ", " pero ", " and then ", " however "]
            .iter()
            .fold(clause, |c, sep| c.rsplit(sep).next().unwrap_or(c));
        let words: Vec<&str> = clause.split_whitespace().collect();
        let window = words[words.len().saturating_sub(3)..].join(" ");
        self.negations
            .iter()
            .any(|n| !matches(n, &window).is_empty())
    }
}

/// Byte offsets where `phrase` matches `text` at word boundaries (`*` at its end: any ending).
fn matches(phrase: &str, text: &str) -> Vec<usize> {
    let (needle, prefix) = match phrase.strip_suffix('*') {
        Some(p) => (p.trim_end(), true),
        None => (phrase, false),
    };
    if needle.is_empty() {
        return Vec::new();
    }
    let word = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '\'');
    text.match_indices(needle)
        .map(|(at, _)| at)
        .filter(|&at| {
            let before = text[..at].chars().next_back();
            let after = text[at + needle.len()..].chars().next();
            !word(before) && (prefix || !word(after))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    use crate::conversations::Reading;

    fn class_of(status: &str, duration: Value, summary: &str, tags: Value) -> Class {
        Reading::read(&json!({
            "status": status, "duration": duration, "summary": summary,
            "topic": "Appointment confirmation", "conversationTags": tags
        }))
        .class
    }

    #[test]
    fn realistic_summaries_land_in_their_class() {
        use Class::*;
        let table: &[(&str, Value, &str, Value, Class)] = &[
            (
                "CLOSED",
                json!(42),
                "The patient confirmed the appointment.",
                json!([]),
                Confirmed,
            ),
            (
                "CLOSED",
                json!(38),
                "Patient CONFIRMED her cleaning for Tuesday at 10 AM and will be there.",
                json!([]),
                Confirmed,
            ),
            (
                "CLOSED",
                json!(51),
                "The patient confirmed and said she did not want to cancel.",
                json!([]),
                Confirmed,
            ),
            (
                "CLOSED",
                json!(47),
                "Caller does not need to reschedule; confirmed for Monday.",
                json!([]),
                Confirmed,
            ),
            (
                "CLOSED",
                json!(40),
                "La paciente confirmó su cita del martes.",
                json!([]),
                Confirmed,
            ),
            (
                "CLOSED",
                json!(33),
                "El paciente asistirá a la cita, no quiere cancelar.",
                json!([]),
                Confirmed,
            ),
            ("CLOSED", json!(12), "", json!(["CONFIRMED"]), Confirmed),
            (
                "CLOSED",
                json!(65),
                "The patient can't make it Tuesday and would like to reschedule.",
                json!([]),
                RescheduleRequested,
            ),
            (
                "CLOSED",
                json!(50),
                "The patient wants to cancel and reschedule.",
                json!([]),
                RescheduleRequested,
            ),
            (
                "CLOSED",
                json!(58),
                "La paciente pidió cambiar la cita para otro día.",
                json!([]),
                RescheduleRequested,
            ),
            (
                "CLOSED",
                json!(44),
                "Patient confirmed at first, but then asked to move the appointment to next week.",
                json!([]),
                RescheduleRequested,
            ),
            (
                "CLOSED",
                json!(30),
                "",
                json!(["reschedule_requested"]),
                RescheduleRequested,
            ),
            (
                "CLOSED",
                json!(29),
                "The patient asked to cancel the appointment.",
                json!([]),
                CancelRequested,
            ),
            (
                "CLOSED",
                json!(35),
                "El paciente quiere cancelar su cita.",
                json!([]),
                CancelRequested,
            ),
            (
                "CLOSED",
                json!(27),
                "Patient's mother said he will not attend; please cancel.",
                json!([]),
                CancelRequested,
            ),
            (
                "CLOSED",
                json!(35),
                "The patient confirmed, then asked us not to call this number again.",
                json!([]),
                OptOut,
            ),
            (
                "CLOSED",
                json!(20),
                "Please stop calling me. I want to cancel.",
                json!([]),
                OptOut,
            ),
            (
                "CLOSED",
                json!(25),
                "La paciente pidió que no la vuelvan a llamar; dejen de llamar a este número.",
                json!([]),
                OptOut,
            ),
            ("CLOSED", json!(0), "", json!(["DO_NOT_CALL"]), OptOut),
            (
                "OPEN",
                json!(0),
                "Patient said: don't call this number.",
                json!([]),
                OptOut,
            ),
            ("CLOSED", json!(0), "", json!([]), NoAnswer),
            ("CLOSED", json!(null), "", json!([]), NoAnswer),
            ("CLOSED", json!(3), "", json!(["no-answer"]), NoAnswer),
            (
                "CLOSED",
                json!(31),
                "Left a message asking the patient to confirm.",
                json!(["VOICEMAIL"]),
                Voicemail,
            ),
            (
                "CLOSED",
                json!(24),
                "The call went to voicemail; a reminder was left.",
                json!([]),
                Voicemail,
            ),
            (
                "CLOSED",
                json!(22),
                "Se dejó un mensaje en el buzón de voz.",
                json!([]),
                Voicemail,
            ),
            (
                "CLOSED",
                json!(40),
                "The patient did not confirm.",
                json!([]),
                Unclear,
            ),
            (
                "CLOSED",
                json!(18),
                "Wrong number: the person who answered does not know the patient.",
                json!([]),
                Unclear,
            ),
            (
                "CLOSED",
                json!(45),
                "Confirmed, but has questions about insurance; asked for a call back.",
                json!([]),
                Unclear,
            ),
            ("CLOSED", json!(15), "", json!([]), Unclear),
            (
                "CLOSED",
                json!("about a minute"),
                "The patient will stop by the office.",
                json!([]),
                Unclear,
            ),
            (
                "CLOSED",
                json!(19),
                "La paciente no confirmó la cita.",
                json!([]),
                Unclear,
            ),
            ("OPEN", json!(0), "", json!([]), Open),
            (
                "CLOSING",
                json!(30),
                "The patient confirmed.",
                json!([]),
                Open,
            ),
        ];
        assert!(table.len() >= 20);
        for (status, duration, summary, tags, expected) in table {
            let got = class_of(status, duration.clone(), summary, tags.clone());
            assert_eq!(got, *expected, "{status} {duration} {summary:?} {tags}");
        }
    }

    #[test]
    fn the_class_decides_who_needs_a_person() {
        let needs: Vec<&str> = Class::ALL
            .iter()
            .filter(|c| c.needs_person())
            .map(|c| c.as_str())
            .collect();
        assert_eq!(
            needs,
            [
                "reschedule_requested",
                "cancel_requested",
                "no_answer",
                "opt_out",
                "unclear"
            ]
        );
    }

    /// The breaker's summaries (finding 11): every one is a request not to be called again, in
    /// English and Spanish, a confirmation with one included.
    #[test]
    fn plain_wordings_of_stop_calling_me_are_opt_outs() {
        let rules = Rules::default();
        let heard = |summary| Heard {
            closed: true,
            answered: Answered::Yes,
            summary,
            topic: "Appointment confirmation",
            tags: &[],
        };
        for summary in [
            "The patient said: please never call me again.",
            "Patient asked to be taken off the calling list.",
            "The patient does not want any more calls from the office.",
            "Patient said to quit calling.",
            "Patient requested no further calls.",
            "The patient asked us to not contact them again.",
            "Patient: Don't ever call this number again.",
            "Patient asked that we stop contacting her.",
            "The patient asked not to be called again.",
            "Patient said do NOT call.",
            "Patient wants no more phone calls.",
            "The patient confirmed but said she does not want automated calls anymore.",
            "Patient said: I do not want to be called by a robot again.",
            "Patient asked to be placed on the do-not-call list.",
            "El paciente pidió que no lo llamen más.",
            "No me vuelvan a llamar, por favor.",
            "La paciente no quiere recibir más llamadas.",
            "Paciente dijo: dejen de llamarme.",
            "Patient said: remove me from your list.",
            "Patient said they don't want to be contacted anymore.",
            "Patient hung up after saying 'stop'.",
            "Caller asked: please stop calling this number.",
            "The patient confirmed, but doesn't want automated calls anymore.",
            "Patient would not like to be phoned again.",
            "Patient no longer wants reminder calls.",
            "La paciente pidió que no la vuelvan a llamar.",
            "El paciente dijo que no le llamen nunca más.",
            "Pidió que dejen de contactarla.",
            "No quiere que lo llamen.",
            "Patient asked to be removed from the call list.",
            "He said “stop” and hung up.",
        ] {
            assert_eq!(rules.classify(&heard(summary)), Class::OptOut, "{summary}");
        }
        assert_eq!(
            rules.classify(&heard(
                "The patient confirmed but said she does not want automated calls anymore."
            )),
            Class::OptOut
        );
        // What is no request not to be called keeps its class.
        for (summary, class) in [
            (
                "The patient will call back to reschedule.",
                Class::RescheduleRequested,
            ),
            (
                "Patient wants to be called back tomorrow afternoon.",
                Class::Unclear,
            ),
            (
                "The patient does not want to cancel; confirmed.",
                Class::Confirmed,
            ),
            (
                "The patient never called the office; confirmed today.",
                Class::Confirmed,
            ),
            (
                "The patient confirmed and said the calls are helpful.",
                Class::Confirmed,
            ),
            (
                "The temporary crown was taken off; she will be there.",
                Class::Confirmed,
            ),
            (
                "Annie could not contact the patient's daughter; the patient confirmed.",
                Class::Confirmed,
            ),
            ("The patient will stop by the office.", Class::Unclear),
            (
                "No more questions; the patient confirmed.",
                Class::Confirmed,
            ),
            (
                "La paciente confirmó y pidió que la llamen si hay cambios.",
                Class::Confirmed,
            ),
            (
                "El paciente no contestó; vuelvan a llamar mañana.",
                Class::Unclear,
            ),
            (
                "Patient would like calls in the morning; confirmed.",
                Class::Confirmed,
            ),
        ] {
            assert_eq!(rules.classify(&heard(summary)), class, "{summary}");
        }
    }

    fn heard(summary: &str) -> Heard<'_> {
        Heard {
            closed: true,
            answered: Answered::Yes,
            summary,
            topic: "Appointment confirmation",
            tags: &[],
        }
    }

    /// Breaker 4, finding 1: third-person summaries of a request not to be called (English and
    /// Spanish, /tmp/brk4-oc2 and /tmp/brk4-oc3), and other wordings of the same.
    #[test]
    fn third_person_requests_not_to_be_called_are_opt_outs() {
        let rules = Rules::default();
        for summary in [
            "The patient asked that the office not contact her again.",
            "The patient asked not to receive any further calls.",
            "The patient requested no further automated calls.",
            "The patient does not want to be reminded by phone anymore.",
            "The patient said they do not want Annie to call them.",
            "The patient asked us to only text her from now on, not call.",
            "The patient said to stop these robocalls.",
            "The patient was upset and said never to call this number again.",
            "The patient withdrew consent to be called.",
            "The patient confirmed but prefers email reminders instead of calls in the future.",
            "La paciente pidió que no le llamemos más.",
            "El paciente pidió no recibir más llamadas.",
            "Paciente solicitó ser eliminado de la lista de llamadas.",
            "The patient said he would rather not get these calls.",
            "The patient stated she is not interested in further reminder calls.",
            // The rest of both batches, matched before too.
            "The patient asked to be removed from the call list.",
            "The patient asked to be taken off the calling list.",
            "The patient said please do not contact me again.",
            "The patient asked to be placed on the do-not-call list.",
            "The patient confirmed. She asked that we don't call her anymore.",
            "The patient said: don't call me again.",
            "Patient said wrong person, she asked to stop calling this number.",
            "The patient said she no longer wishes to receive calls.",
            "La paciente pidió que no la vuelvan a llamar.",
            "La paciente dijo que ya no quiere que le llamen.",
            "El paciente dijo que no lo vuelvan a llamar.",
            "La paciente no quiere que la llamen otra vez.",
            "The caller asked to be put on the do not call list.",
            "The patient said \"do not call me\".",
            "The patient hung up after saying she does not want these calls.",
            // Other wordings of the same.
            "The patient asked that Annie never contact her again.",
            "The patient requested that we cease calling her.",
            "The patient revoked her consent to receive calls.",
            "The patient didn't want Annie to call her again.",
            "The patient asked for the robocalls to stop.",
            "The patient wants text reminders only, no calls.",
            "The patient said to only email her.",
            "The patient prefers texts.",
            "The patient declined further reminder calls.",
            "The patient refused any more calls.",
            "The patient asked not to be phoned again.",
            "The patient confirmed; she asked that the office not call her cell anymore.",
            "Paciente pidió que lo eliminen de la lista de llamadas.",
            "La paciente prefiere mensajes de texto en lugar de llamadas.",
            "El paciente dijo que nunca lo vuelvan a contactar.",
            "La paciente pidió que dejen de contactarla por teléfono.",
            "El paciente retiró su consentimiento para recibir llamadas.",
        ] {
            assert_eq!(rules.classify(&heard(summary)), Class::OptOut, "{summary}");
        }
    }

    /// Summaries near a request not to be called that are none, and must keep their class. Each
    /// says what happened on a call, asks to be called, or welcomes the calls: none carries a
    /// request, and a wrong opt-out never expires (no command lifts it yet), so the patient would
    /// lose every later reminder they want; their class still puts most in front of a person.
    #[test]
    fn near_misses_of_a_request_not_to_be_called_keep_their_class() {
        use Class::*;
        let rules = Rules::default();
        for (summary, class) in [
            // Welcomes the calls.
            ("The patient confirmed and said calls are fine.", Confirmed),
            (
                "The patient does not mind the reminder calls and confirmed.",
                Confirmed,
            ),
            // A time or number to call, not a refusal: asks to be called (a person reads it).
            ("The patient asked to be called back after 5pm.", Unclear),
            (
                "The patient was not available for calls during work hours; confirmed.",
                Confirmed,
            ),
            (
                "The patient did not confirm and asked to be called tomorrow.",
                Unclear,
            ),
            // What happened on this call or an earlier one: nobody reached, nothing refused.
            (
                "The patient could not be reached; left a voicemail.",
                Voicemail,
            ),
            ("No answer.", Unclear),
            ("The patient did not pick up the call.", Unclear),
            (
                "The patient did not answer the calls; left a voicemail.",
                Voicemail,
            ),
            ("El paciente no contestó las llamadas.", Unclear),
            (
                "Annie could not call the home number, so she called the cell; the patient \
                 confirmed.",
                Confirmed,
            ),
            (
                "The patient was not called last week; confirmed.",
                Confirmed,
            ),
            (
                "The patient didn't call back; confirmed by text.",
                Confirmed,
            ),
            ("No call back needed; the patient confirmed.", Confirmed),
            (
                "The patient did not expect the call but confirmed.",
                Confirmed,
            ),
            (
                "The patient will stop by the office; call her cell if anything changes.",
                Unclear,
            ),
        ] {
            assert_eq!(rules.classify(&heard(summary)), class, "{summary}");
        }
    }

    /// Breaker 4, finding 10: "unable to confirm" and the like are no confirmation.
    #[test]
    fn unable_to_confirm_and_the_like_are_unclear() {
        let rules = Rules::default();
        for summary in [
            "The patient was unable to confirm the appointment.",
            "The patient couldn't confirm the appointment.",
            "The patient hasn't confirmed the appointment yet.",
            "The patient cannot confirm the appointment.",
            "The patient can't confirm the appointment.",
            "The patient won't confirm the appointment.",
            "The patient wasn't able to confirm the appointment.",
            "The patient isn't able to confirm the appointment.",
            "The patient has not confirmed the appointment.",
            "The patient could not confirm the appointment.",
            "The patient did not get to confirm the appointment.",
            "The patient has yet to confirm the appointment.",
            "The patient failed to confirm the appointment.",
            "El paciente no pudo confirmar la cita.",
        ] {
            let class = rules.classify(&heard(summary));
            assert_eq!(class, Class::Unclear, "{summary}");
            assert!(class.needs_person(), "{summary}");
        }
    }

    #[test]
    fn phrases_match_whole_words_unless_they_end_in_a_star() {
        assert_eq!(matches("cancel*", "it was cancelled"), [7]);
        assert!(matches("cancel", "it was cancelled").is_empty());
        assert!(matches("no llamar", "no llamaron").is_empty());
        assert!(matches("confirm*", "unconfirmed").is_empty());
        assert!(matches("*", "anything").is_empty());
    }
}
