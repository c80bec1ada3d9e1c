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
//! night.

use chrono::{DateTime, Duration, Utc};

use crate::ledger::{NumberAttempt, Outcome};

/// How far back the rules look.
pub const LOOKBACK_DAYS: i64 = 30;

/// A rule the next call would break, and when the number may be called again.
#[derive(Debug, Clone, PartialEq)]
pub struct Blocked {
    pub rule: &'static str,
    pub callable_from: DateTime<Utc>,
}

/// Checks the rules for a number given its calls (newest first) within [`LOOKBACK_DAYS`].
/// When several rules are broken, the one that blocks longest is reported.
pub fn check(history: &[NumberAttempt], now: DateTime<Utc>) -> Option<Blocked> {
    let mut calls: Vec<&NumberAttempt> = history
        .iter()
        .filter(|a| a.attempted_at > now - Duration::days(LOOKBACK_DAYS))
        .collect();
    calls.sort_by_key(|a| std::cmp::Reverse(a.attempted_at));
    let placed: Vec<&&NumberAttempt> = calls
        .iter()
        .filter(|a| a.outcome != Outcome::Failed)
        .collect();
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
            });
        }
    }
    if within(7) >= 3 {
        broken.push(Blocked {
            rule: "at most 3 calls to a number in 7 days",
            callable_from: placed[2].attempted_at + Duration::days(7),
        });
    }
    if within(30) >= 6 {
        broken.push(Blocked {
            rule: "at most 6 calls to a number in 30 days",
            callable_from: placed[5].attempted_at + Duration::days(30),
        });
    }
    if calls.len() >= 3 && calls[..3].iter().all(|a| a.outcome == Outcome::Failed) {
        broken.push(Blocked {
            rule: "30 days' rest after 3 failed calls in a row",
            callable_from: calls[0].attempted_at + Duration::days(30),
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

    #[test]
    fn three_in_seven_days() {
        let h = [
            ago(30, Outcome::Sent),
            ago(60, Outcome::Sent),
            ago(100, Outcome::Sent),
        ];
        let b = check(&h, now()).unwrap();
        assert_eq!(b.rule, "at most 3 calls to a number in 7 days");
        assert_eq!(
            b.callable_from,
            now() - Duration::hours(100) + Duration::days(7)
        );
    }

    #[test]
    fn six_in_thirty_days() {
        let h: Vec<_> = [200, 400, 600, 300, 500, 700]
            .iter()
            .map(|h| ago(*h, Outcome::Sent))
            .collect();
        let b = check(&h, now()).unwrap();
        assert_eq!(b.rule, "at most 6 calls to a number in 30 days");
        assert_eq!(
            b.callable_from,
            now() - Duration::hours(700) + Duration::days(30)
        );
    }

    #[test]
    fn three_failures_in_a_row_rest_thirty_days() {
        let h = [
            ago(200, Outcome::Failed),
            ago(300, Outcome::Failed),
            ago(400, Outcome::Failed),
        ];
        let b = check(&h, now()).unwrap();
        assert_eq!(b.rule, "30 days' rest after 3 failed calls in a row");
        assert_eq!(
            b.callable_from,
            now() - Duration::hours(200) + Duration::days(30)
        );
        let mixed = [
            ago(200, Outcome::Failed),
            ago(300, Outcome::Sent),
            ago(400, Outcome::Failed),
        ];
        assert_eq!(check(&mixed, now()), None);
    }
}
