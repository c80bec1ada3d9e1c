//! The last checks before a household's call is planned: the per-number rules (from the
//! ledger's history) and calling hours (for the recipient's zones, at the run's time).

use chrono::{DateTime, Duration, Utc};

use crate::hours::RecipientZones;
use crate::households::Household;
use crate::ledger::Ledger;
use crate::locations::Location;
use crate::number_rules;
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
            Some(l) => {
                let history = l.calls_to(
                    &location.id,
                    &l.number_key(number),
                    now - Duration::days(number_rules::LOOKBACK_DAYS),
                )?;
                number_rules::check(&history, now).map(|b| {
                    let from = b
                        .callable_from
                        .with_timezone(&h.lead().start.timezone())
                        .format("%a %Y-%m-%d %H:%M %Z");
                    (
                        Status::Skipped,
                        format!("{}; callable again from {from}", b.rule),
                    )
                })
            }
            None => None,
        };
        let closed = || {
            location
                .hours
                .may_call(&RecipientZones::for_number(number), now)
                .err()
                .map(|c| (Status::Deferred, c.reason))
        };
        match blocked.or_else(closed) {
            Some((status, reason)) => settle_all(h, status, &reason, &mut settled),
            None => callable.push(h),
        }
    }
    Ok((settled, callable))
}

/// Settles every member of a household with the same status and reason.
pub fn settle_all(h: Household, status: Status, reason: &str, out: &mut Vec<Selected>) {
    for (row, appointment) in h.members {
        out.push(Selected {
            row,
            verdict: Verdict::Settled(Settled::of(appointment, status, reason)),
        });
    }
}
