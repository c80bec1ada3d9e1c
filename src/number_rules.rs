//! The API's per-number limits, checked against the ledger before a call is made.
//!
//! The API enforces these itself, but a refused request is wasted, may count toward the 30-day
//! cooldown, and leaves the office guessing. They also encode the TCPA healthcare exemption's
//! frequency cap. Counted per *call* to a number, so a household's calls share one budget.
//!
//! The 24-hour, 7-day and 30-day limits count calls that were, or may have been, placed (sent,
//! uncertain, in flight). A request the API refused placed no call, so it does not count there,
//! and a rerun may try again at once; but three refusals in a row rest the number for 30 days,
//! the API's cooldown after consecutive failures, so a broken number is not hammered night after
//! night. A refusal about the organisation rather than the number (calling hours, a 403: the
//! number is not on the organisation's allowlist, say) does not count toward that rest: the
//! number would otherwise rest for 30 days after the organisation's settings were fixed.
//!
//! Once `annie-dispatch outcomes` has read a call's conversation, the ledger also knows whether
//! anyone answered. A call that was placed but ended without a conversation is a *failed attempt*
//! for the cooldown (the API does not say what it counts as failed; counting unanswered calls
//! rests a number sooner, the side of caution), and it still counts as placed for the 24-hour,
//! 7-day and 30-day limits. A patient who asked not to be called again is never called again:
//! see [`do_not_call_reason`].

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;

use crate::ledger::records::{DoNotCall, NumberAttempt, Outcome};

/// How far back the rules look.
pub const LOOKBACK_DAYS: i64 = 30;

/// A rule the next call would break, and when the number may be called again.
#[derive(Debug, Clone, PartialEq)]
pub struct Blocked {
    pub rule: &'static str,
    pub callable_from: DateTime<Utc>,
    /// For the 24-hour rule, when the call that holds the number is one the ledger learned of
    /// from Annie (its conversation, and when): it may have been this very appointment's
    /// reminder, which a lost or restored ledger no longer knows as such.
    pub learned_from_annie: Option<(String, DateTime<Utc>)>,
}

/// The rule text for the cooldown, as result rows show it.
pub const COOLDOWN_RULE: &str = "30 days' rest after 3 failed or unanswered calls in a row";

impl NumberAttempt {
    /// The call was, or may have been, placed (everything but a refused request).
    fn placed(&self) -> bool {
        self.outcome != Outcome::Failed
    }

    /// A failed attempt for the cooldown: refused, or placed but not answered.
    fn failed(&self) -> bool {
        self.outcome == Outcome::Failed || self.unanswered
    }
}

/// Why a number whose patient asked not to be called is skipped, naming the conversation and
/// the day (in the practice's zone) so the office can find it and update the patient's record.
pub fn do_not_call_reason(d: &DoNotCall, tz: Tz) -> String {
    asked_not_to_be_called(d, tz, "")
}

/// [`do_not_call_reason`] for a row whose request was made on another of its numbers, the one
/// in `column` (named, never the number): the row is not called on any of them.
pub fn do_not_call_elsewhere_reason(d: &DoNotCall, tz: Tz, column: &str) -> String {
    let asked = asked_not_to_be_called(d, tz, &format!(" on the number in {column}"));
    format!("{asked}; {}", crate::optout::NOT_ON_ANOTHER)
}

fn asked_not_to_be_called(d: &DoNotCall, tz: Tz, on: &str) -> String {
    format!(
        "the patient asked not to be called{on} (conversation {}, {})",
        d.conversation_id,
        d.called_at.with_timezone(&tz).format("%a %Y-%m-%d")
    )
}

/// Checks the rules for a number given its calls (newest first) within [`LOOKBACK_DAYS`].
/// When several rules are broken, the one that blocks longest is reported.
pub fn check(history: &[NumberAttempt], now: DateTime<Utc>) -> Option<Blocked> {
    let mut calls: Vec<&NumberAttempt> = history
        .iter()
        .filter(|a| a.attempted_at > now - Duration::days(LOOKBACK_DAYS))
        .collect();
    calls.sort_by_key(|a| std::cmp::Reverse(a.attempted_at));
    let placed: Vec<&&NumberAttempt> = calls.iter().filter(|a| a.placed()).collect();
    let within = |days: i64| {
        placed
            .iter()
            .filter(|a| a.attempted_at > now - Duration::days(days))
            .count()
    };
    let mut broken = Vec::new();
    if let Some(last) = placed.first() {
        if last.attempted_at > now - Duration::hours(24) {
            broken.push(Blocked {
                rule: "at least 24 hours between calls to a number",
                callable_from: last.attempted_at + Duration::hours(24),
                learned_from_annie: (last.learned_from_annie.clone())
                    .map(|id| (id, last.attempted_at)),
            });
        }
    }
    if within(7) >= 3 {
        broken.push(Blocked {
            rule: "at most 3 calls to a number in 7 days",
            callable_from: placed[2].attempted_at + Duration::days(7),
            learned_from_annie: None,
        });
    }
    if within(30) >= 6 {
        broken.push(Blocked {
            rule: "at most 6 calls to a number in 30 days",
            callable_from: placed[5].attempted_at + Duration::days(30),
            learned_from_annie: None,
        });
    }
    if calls.len() >= 3 && calls[..3].iter().all(|a| a.failed()) {
        broken.push(Blocked {
            rule: COOLDOWN_RULE,
            callable_from: calls[0].attempted_at + Duration::days(30),
            learned_from_annie: None,
        });
    }
    broken.into_iter().max_by_key(|b| b.callable_from)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 24, 15, 0, 0).unwrap()
    }

    fn ago(hours: i64, outcome: Outcome) -> NumberAttempt {
        NumberAttempt {
            attempted_at: now() - Duration::hours(hours),
            outcome,
            unanswered: false,
            learned_from_annie: None,
        }
    }

    /// A call that was placed and that `outcomes` found unanswered.
    fn unanswered(hours: i64) -> NumberAttempt {
        NumberAttempt {
            unanswered: true,
            ..ago(hours, Outcome::Sent)
        }
    }

    #[test]
    fn a_clean_number_may_be_called() {
        assert_eq!(check(&[], now()), None);
        assert_eq!(check(&[ago(25, Outcome::Sent)], now()), None);
    }

    #[test]
    fn twenty_four_hours_between_calls() {
        let b = check(&[ago(5, Outcome::Sent)], now()).unwrap();
        assert_eq!(b.rule, "at least 24 hours between calls to a number");
        assert_eq!(b.callable_from, now() + Duration::hours(19));
        // An uncertain attempt may have placed a call: it counts too.
        assert!(check(&[ago(5, Outcome::Uncertain)], now()).is_some());
        // A refused request placed no call.
        assert_eq!(check(&[ago(5, Outcome::Failed)], now()), None);
    }

    /// The rule that blocks `history`, and that it lifts `wait` after the call `hours_ago`.
    #[track_caller]
    fn assert_blocked(history: &[NumberAttempt], rule: &str, hours_ago: i64, wait: Duration) {
        let b = check(history, now()).unwrap();
        assert_eq!(b.rule, rule);
        assert_eq!(b.callable_from, now() - Duration::hours(hours_ago) + wait);
    }

    #[test]
    fn three_in_seven_days() {
        let h = [
            ago(30, Outcome::Sent),
            ago(60, Outcome::Sent),
            ago(100, Outcome::Sent),
        ];
        assert_blocked(
            &h,
            "at most 3 calls to a number in 7 days",
            100,
            Duration::days(7),
        );
    }

    #[test]
    fn six_in_thirty_days() {
        let h: Vec<_> = [200, 400, 600, 300, 500, 700]
            .iter()
            .map(|h| ago(*h, Outcome::Sent))
            .collect();
        assert_blocked(
            &h,
            "at most 6 calls to a number in 30 days",
            700,
            Duration::days(30),
        );
    }

    #[test]
    fn three_failures_in_a_row_rest_thirty_days() {
        let h = [
            ago(200, Outcome::Failed),
            ago(300, Outcome::Failed),
            ago(400, Outcome::Failed),
        ];
        assert_blocked(&h, COOLDOWN_RULE, 200, Duration::days(30));
        let mixed = [
            ago(200, Outcome::Failed),
            ago(300, Outcome::Sent),
            ago(400, Outcome::Failed),
        ];
        assert_eq!(check(&mixed, now()), None);
    }

    #[test]
    fn unanswered_calls_count_as_failed_toward_the_cooldown() {
        let h = [unanswered(200), unanswered(300), unanswered(400)];
        assert_blocked(&h, COOLDOWN_RULE, 200, Duration::days(30));
        // Refusals and unanswered calls make one streak.
        let mixed = [
            ago(200, Outcome::Failed),
            unanswered(300),
            ago(400, Outcome::Failed),
        ];
        assert_eq!(check(&mixed, now()).unwrap().rule, COOLDOWN_RULE);
        // An answered call in between breaks the streak.
        let broken = [unanswered(200), ago(300, Outcome::Sent), unanswered(400)];
        assert_eq!(check(&broken, now()), None);
    }

    #[test]
    fn unanswered_calls_still_count_as_placed() {
        let b = check(&[unanswered(5)], now()).unwrap();
        assert_eq!(b.rule, "at least 24 hours between calls to a number");
        let h = [unanswered(30), unanswered(60), ago(100, Outcome::Sent)];
        let b = check(&h, now()).unwrap();
        assert_eq!(b.rule, "at most 3 calls to a number in 7 days");
    }

    #[test]
    fn the_do_not_call_reason_names_the_conversation_and_its_day() {
        let d = DoNotCall {
            conversation_id: "c-42".to_string(),
            // 02:30 UTC on the 24th is still the 23rd in Chicago.
            called_at: Utc.with_ymd_and_hms(2026, 11, 24, 2, 30, 0).unwrap(),
        };
        assert_eq!(
            do_not_call_reason(&d, chrono_tz::America::Chicago),
            "the patient asked not to be called (conversation c-42, Mon 2026-11-23)"
        );
    }
}
