//! The report's plain words: what each status and outcome class means, and what a person does
//! about a row that needs one. Kept apart from the layout so the wording is in one place, and
//! pure so a test can read every case.

use crate::conversations::class::Class;
use crate::conversations::unread::Unread;
use crate::reason::ReasonCode;
use crate::results::Status;

/// What became of a row: a results status, or (in `outcomes`) what happened on the call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Happened {
    /// A results row's status; in `outcomes`, a row on which no call was made.
    Status(Status),
    /// What happened on the call (`outcomes`).
    Class(Class),
    /// A call read by a version that did not classify calls yet (an outcomes file without
    /// `class` cells).
    Unclassified,
    /// A call was made, but its conversation could not be read (`outcomes`): how it ended is
    /// not known.
    NotRead(Unread),
}

impl Happened {
    /// The stable name (the results' `status` or the outcomes' `class` cell), for the page's
    /// `data-status` attributes.
    pub fn key(self) -> &'static str {
        match self {
            Happened::Status(s) => s.as_str(),
            Happened::Class(c) => c.as_str(),
            Happened::Unclassified => "unclassified",
            Happened::NotRead(_) => crate::conversations::unread::NOT_READ,
        }
    }

    /// The name in plain words.
    pub fn words(self) -> &'static str {
        match self {
            Happened::Status(s) => status_words(s),
            Happened::Class(c) => class_words(c),
            Happened::Unclassified => "call read by an older version (not classified)",
            Happened::NotRead(_) => "call placed, outcome unknown: it could not be read",
        }
    }

    /// Where it is listed: calls' outcomes first, then the results statuses, each in its own
    /// type's order (the order of the documentation).
    pub fn order(self) -> usize {
        match self {
            Happened::Class(c) => Class::ALL.iter().position(|x| *x == c).unwrap_or(0),
            Happened::Unclassified => Class::ALL.len(),
            Happened::NotRead(_) => Class::ALL.len() + 1,
            Happened::Status(s) => {
                Class::ALL.len() + 2 + Status::ALL.iter().position(|x| *x == s).unwrap_or(0)
            }
        }
    }
}

/// A results status in plain words.
pub fn status_words(status: Status) -> &'static str {
    match status {
        Status::Sent => "call placed",
        Status::DryRun => "would be called (dry run: nothing sent)",
        Status::Skipped => "not called, on purpose",
        Status::Deferred => "outside calling hours: a run later on their calling day calls them (unless flagged: then no run can)",
        Status::Invalid => "cannot be called until the practice system is corrected",
        Status::Failed => "Annie refused the call or could not be reached",
        Status::NotAttempted => "not attempted: the run stopped first",
        Status::Uncertain => "a call may have been placed: check Annie",
    }
}

/// An outcome class in plain words.
pub fn class_words(class: Class) -> &'static str {
    match class {
        Class::Confirmed => "confirmed the appointment",
        Class::RescheduleRequested => "asked to reschedule",
        Class::CancelRequested => "asked to cancel",
        Class::NoAnswer => "did not answer",
        Class::Voicemail => "voicemail left",
        Class::OptOut => "asked not to be called again",
        Class::Unclear => "unclear: read the call's summary",
        Class::Open => "call still going on when read",
    }
}

/// What a person does about a row, in plain words; `None` when nobody needs to do anything.
/// Keyed by what happened and, where the status alone does not say it, the reason code.
pub fn what_to_do(happened: Happened, code: Option<ReasonCode>) -> Option<&'static str> {
    use ReasonCode as R;
    let text = match (happened, code) {
        (Happened::Status(Status::Invalid), Some(code)) => match code {
            R::NoValidPhone => {
                "Correct the patient's phone number in the practice system and export again; a rerun today calls them."
            }
            R::InvalidName => {
                "Correct the patient's name in the practice system and export again; a rerun today calls them."
            }
            R::InvalidBirthDate => {
                "Correct the patient's birth date in the practice system and export again; a rerun today calls them."
            }
            R::InvalidTime => {
                "Correct the appointment's time in the practice system and export again; a rerun today calls them."
            }
            R::MissingField => {
                "Fill in the empty field named in the reason in the practice system and export again; a rerun today calls them."
            }
            R::UnknownLocation => {
                "Correct the appointment's location in the practice system, or have the location \
                 added to annie-dispatch's configuration; a rerun today (on a fresh export, if the \
                 practice system changed) calls them."
            }
            R::ConflictingRows => {
                "Keep one appointment with this id in the practice system (the rows disagree) and export \
                 again; a rerun today calls it."
            }
            R::UnreadableRow => {
                "Have whoever exports the schedule check this row of the export: it could not be \
                 read."
            }
            R::TextTooLong | R::TemplateError => {
                "Have whoever set up annie-dispatch fix the message template; a rerun today \
                 calls them."
            }
            _ => "Correct the appointment in the practice system (see the reason) and export again; a rerun today calls them.",
        },
        (Happened::Status(Status::Invalid), None) => {
            "Correct the appointment in the practice system (see the reason) and export again; a rerun today calls them."
        }
        (Happened::Status(Status::Failed), Some(R::ApiUnreachable)) => {
            "Rerun later: Annie could not be reached, so no call was placed."
        }
        (Happened::Status(Status::Failed), Some(R::CredentialsRefused)) => {
            "Have whoever set up annie-dispatch renew the location's API key, then rerun: no call \
             was placed."
        }
        (Happened::Status(Status::Failed), _) => {
            "Annie refused this call: check the patient's number in the practice system, and call \
             the patient yourself to confirm."
        }
        (Happened::Status(Status::NotAttempted), Some(R::NotPlanned)) => {
            "Rerun once the problem in the run's log is fixed: nothing was sent for this row."
        }
        (Happened::Status(Status::NotAttempted), _) => "Rerun: nothing was sent for this row.",
        (Happened::Status(Status::Uncertain), Some(R::Internal)) => {
            "Check Annie for this call before calling the patient, and report the problem; rerun \
             with --retry-uncertain only if there was none."
        }
        (Happened::Status(Status::Uncertain), _) => {
            "Check Annie for this call before calling the patient; rerun with --retry-uncertain \
             only if there was none."
        }
        (Happened::Status(_), _) => return None,
        (Happened::Class(class), _) => match class {
            Class::NoAnswer => "Call the patient to confirm the appointment.",
            Class::RescheduleRequested => {
                "Call the patient to find a new time, and move the appointment in the practice \
                 system."
            }
            Class::CancelRequested => {
                "Cancel the appointment in the practice system, and offer the patient a new one."
            }
            Class::OptOut => {
                "Record in the practice system that the patient asked not to be called again."
            }
            Class::Unclear => "Read the call's summary in the outcomes file, and follow up with the patient.",
            Class::Open => "Run annie-dispatch outcomes again later to read how the call ended.",
            Class::Confirmed | Class::Voicemail => return None,
        },
        (Happened::Unclassified, _) => {
            "Read the call's summary in the outcomes file, and follow up if it asks for it."
        }
        (Happened::NotRead(why), _) => why.what_to_do(),
    };
    Some(text)
}

/// How the advice for a call that may have been placed starts.
const CHECK_ANNIE: &str = "Check Annie for this call";

/// What [`after_the_night`] adds to a row's "what to do" that counts on a rerun.
pub(crate) const AFTER_THE_NIGHT: &str = "This report comes after the night's run: once its \
     calling hours have closed, no rerun calls about this appointment (a rerun then is about \
     another day's), so remind the patient another way (a call from the office, a text).";

/// A results row's "what to do" in a report made after the night's run (`outcomes --report`,
/// which the shipped job makes the morning after, often on the appointment's day). A run selects
/// the appointments of the calling day its start falls in (see [`crate::calling_day`]): once the
/// night's calling hours have closed, no rerun calls about the night's appointments. So a text
/// that counts on a rerun loses "today" (true only on the calling day, in `run --report`) and
/// says what to do once a rerun cannot help; one that does not is kept as it is.
pub(crate) fn after_the_night(text: &str) -> String {
    // A call that may have been placed: the morning's reader can only look in Annie; a rerun
    // with --retry-uncertain would be about another day's appointments by then.
    if let Some(rest) = text.strip_prefix(CHECK_ANNIE) {
        let report = match rest.starts_with(", and report the problem") {
            true => " Report the problem too.",
            false => "",
        };
        return format!(
            "{CHECK_ANNIE}: if it is there, the patient had the reminder; if not, remind the \
             patient another way (a call from the office, a text): once the night's calling \
             hours have closed, no rerun calls about this appointment.{report}"
        );
    }
    if !text.to_ascii_lowercase().contains("rerun") {
        return text.to_string();
    }
    format!(
        "{} {AFTER_THE_NIGHT}",
        text.replace("a rerun today", "a rerun")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// After the night's run, a call that may have been placed gets one instruction, not "rerun
    /// with --retry-uncertain" beside "no rerun calls about this appointment" (round-10 finding
    /// 7).
    #[test]
    fn after_the_night_an_uncertain_call_is_looked_for_in_annie_not_rerun() {
        for code in [Some(ReasonCode::MaybePlaced), Some(ReasonCode::Internal)] {
            let text = what_to_do(Happened::Status(Status::Uncertain), code).unwrap();
            assert!(text.starts_with(CHECK_ANNIE), "{text}");
            let after = after_the_night(text);
            assert!(!after.contains("--retry-uncertain"), "{after}");
            assert!(
                after.starts_with(
                    "Check Annie for this call: if it is there, the patient had the reminder; if \
                     not, remind the patient another way"
                ),
                "{after}"
            );
        }
    }

    /// After the night's run, a text that counts on a rerun says what to do once none can help;
    /// one that does not is kept.
    #[test]
    fn after_the_night_no_text_promises_a_rerun_today() {
        for status in Status::ALL {
            for code in ReasonCode::ALL.iter().copied().map(Some).chain([None]) {
                let Some(text) = what_to_do(Happened::Status(status), code) else {
                    continue;
                };
                let after = after_the_night(text);
                assert!(!after.contains("rerun today"), "{after}");
                // A call that may have been placed has its own text (the test above).
                match text.to_ascii_lowercase().contains("rerun") {
                    _ if text.starts_with(CHECK_ANNIE) => {}
                    true => assert!(after.ends_with(AFTER_THE_NIGHT), "{after}"),
                    false => assert_eq!(after, text),
                }
            }
        }
    }

    #[test]
    fn each_row_needing_a_person_says_what_to_do_in_plain_words() {
        let s = |status, code| what_to_do(Happened::Status(status), code);
        assert_eq!(
            s(Status::Invalid, Some(ReasonCode::NoValidPhone)),
            Some("Correct the patient's phone number in the practice system and export again; a rerun today calls them.")
        );
        assert_eq!(
            s(Status::Uncertain, Some(ReasonCode::MaybePlaced)),
            Some(
                "Check Annie for this call before calling the patient; rerun with \
                 --retry-uncertain only if there was none."
            )
        );
        assert_eq!(
            s(Status::NotAttempted, Some(ReasonCode::RunLimit)),
            Some("Rerun: nothing was sent for this row.")
        );
        assert!(s(Status::Failed, Some(ReasonCode::RefusedByApi))
            .unwrap()
            .starts_with("Annie refused this call"));
        assert_eq!(
            what_to_do(Happened::Class(Class::NoAnswer), None),
            Some("Call the patient to confirm the appointment.")
        );
        // Rows nobody needs to act on have nothing to do.
        assert_eq!(s(Status::Sent, None), None);
        assert_eq!(s(Status::Skipped, Some(ReasonCode::AlreadyConfirmed)), None);
        assert_eq!(s(Status::Deferred, Some(ReasonCode::CallingHours)), None);
        assert_eq!(what_to_do(Happened::Class(Class::Confirmed), None), None);
        assert_eq!(what_to_do(Happened::Class(Class::Voicemail), None), None);
    }

    #[test]
    fn every_status_that_needs_attention_has_something_to_do_for_every_code() {
        for status in Status::ALL {
            for code in ReasonCode::ALL.map(Some).into_iter().chain([None]) {
                let todo = what_to_do(Happened::Status(status), code);
                assert_eq!(
                    todo.is_some(),
                    status.needs_attention(),
                    "{status:?} {code:?}"
                );
                if let Some(text) = todo {
                    assert!(text.ends_with('.') && !text.contains("  "), "{text}");
                }
            }
        }
        for class in Class::ALL {
            let todo = what_to_do(Happened::Class(class), None);
            assert_eq!(
                todo.is_some(),
                class.needs_person() || class == Class::Open,
                "{class:?}"
            );
        }
    }

    #[test]
    fn statuses_come_after_outcomes_each_in_their_documented_order() {
        let mut all: Vec<Happened> = Status::ALL.map(Happened::Status).to_vec();
        all.extend(Class::ALL.map(Happened::Class));
        all.push(Happened::Unclassified);
        all.sort_by_key(|h| h.order());
        let keys: Vec<&str> = all.iter().map(|h| h.key()).collect();
        assert_eq!(keys[0], "confirmed");
        assert_eq!(keys[8], "unclassified");
        assert_eq!(keys[9..11], ["sent", "dry_run"]);
        assert_eq!(keys.last(), Some(&"uncertain"));
    }
}
