//! The last checks before a household's call is planned: a patient's request not to be called
//! again and the per-number rules (both from the ledger's history, including what `outcomes`
//! recorded) and calling hours (for the recipient's zones, at the run's time).

use chrono::{DateTime, Duration, Utc};

use crate::hours::RecipientZones;
use crate::households::Household;
use crate::ledger::Ledger;
use crate::locations::Location;
use crate::number_rules;
use crate::reason::{Reason, ReasonCode};
use crate::results::Status;
use crate::select::{Selected, Settled, Verdict};

/// Keeps the households one location may call now; settles the rest (skipped or deferred).
pub fn check(
    households: Vec<Household>,
    ledger: Option<&Ledger>,
    location: &Location,
    now: DateTime<Utc>,
) -> anyhow::Result<(Vec<Selected>, Vec<Household>)> {
    let mut settled = Vec::new();
    let mut callable = Vec::new();
    for h in households {
        let number = &h.lead().phone.e164;
        let blocked = match ledger {
            Some(l) => number_blocked(l, &location.id, number, now, h.lead().start.timezone())?
                .map(|r| (Status::Skipped, r)),
            None => None,
        };
        let closed = || {
            location
                .hours
                .may_call(&RecipientZones::for_number(number), now)
                .err()
                .map(|c| {
                    let reason = Reason::new(ReasonCode::CallingHours, c.reason);
                    (Status::Deferred, reason)
                })
        };
        match blocked.or_else(closed) {
            Some((status, reason)) => settle_all(h, status, reason, &mut settled),
            None => callable.push(h),
        }
    }
    Ok((settled, callable))
}

/// Why this number may not be called now, from the ledger: the patient asked not to be called
/// (checked first: it never expires), else a per-number limit and when it lifts.
fn number_blocked(
    l: &Ledger,
    location: &str,
    number: &str,
    now: DateTime<Utc>,
    tz: chrono_tz::Tz,
) -> anyhow::Result<Option<Reason>> {
    let key = l.number_key(number);
    // A request not to be called holds for every location of a group.
    if let Some(d) = l.do_not_call(&key)? {
        let text = number_rules::do_not_call_reason(&d, tz);
        return Ok(Some(Reason::new(ReasonCode::OptedOut, text)));
    }
    let since = now - Duration::days(number_rules::LOOKBACK_DAYS);
    let history = l.calls_to(location, &key, since)?;
    Ok(number_rules::check(&history, now).map(|b| {
        let from = b
            .callable_from
            .with_timezone(&tz)
            .format("%a %Y-%m-%d %H:%M %Z");
        let text = format!("{}; callable again from {from}", b.rule);
        Reason::new(ReasonCode::PerNumberLimit, text)
    }))
}

/// Settles every member of a household with the same status and reason.
pub fn settle_all(h: Household, status: Status, reason: Reason, out: &mut Vec<Selected>) {
    for (row, appointment) in h.members {
        out.push(Selected {
            row,
            verdict: Verdict::Settled(Settled::of(appointment, status, reason.clone())),
        });
    }
}
