//! Finding out whether an ambiguous attempt placed a call.
//!
//! A POST that timed out, hit a server error, or was cut off by a crash may or may not have
//! started a call, and the API has no idempotency key. Before calling such an attempt
//! `uncertain`, look for a conversation to the same number, from our number, that started after
//! the attempt. `GET /conversations` cannot filter and returns at most 100 per page, so pages are
//! read (through the same rate gate as the POSTs) up to a configured limit.

use chrono::{DateTime, Duration, Utc};

use crate::api::{AnnieClient, ConversationSummary, ListOutcome};
use crate::dispatch::Gate;

/// Conversations per page: the API's maximum.
const PAGE: u64 = 100;
/// Clock skew tolerated between our attempt time and the API's conversation start time.
const SKEW: Duration = Duration::minutes(5);
/// Rate-limit answers tolerated while listing.
const MAX_RATE_LIMITED: u32 = 5;

/// A call to look for.
#[derive(Debug, Clone)]
pub struct Lookup {
    pub to_number: String,
    pub attempted_at: DateTime<Utc>,
}

/// What looking for calls needs: the API (absent in a preview), the shared rate gate, and every
/// number the location calls from (a call in the patient's language comes from its own number).
pub struct Finder<'a> {
    pub client: Option<&'a AnnieClient>,
    pub gate: &'a Gate,
    pub from_numbers: Vec<String>,
    pub max_pages: u32,
}

impl Finder<'_> {
    /// For each lookup, the matching conversation id, if one was found. `Err` when the list
    /// could not be read (or, in a preview, was not).
    pub async fn find(&self, lookups: &[Lookup]) -> Result<Vec<Option<String>>, String> {
        match self.client {
            Some(client) => {
                find(
                    client,
                    self.gate,
                    &self.from_numbers,
                    lookups,
                    self.max_pages,
                )
                .await
            }
            None => Err("not checked in a preview".to_string()),
        }
    }
}

async fn find(
    client: &AnnieClient,
    gate: &Gate,
    from_numbers: &[String],
    lookups: &[Lookup],
    max_pages: u32,
) -> Result<Vec<Option<String>>, String> {
    let mut found: Vec<Option<String>> = vec![None; lookups.len()];
    if lookups.is_empty() {
        return Ok(found);
    }
    let mut offset = 0;
    let mut pages = 0;
    let mut rate_limited = 0;
    while pages < max_pages && found.iter().any(Option::is_none) {
        gate.ready().await;
        match client.list_conversations(offset, PAGE).await {
            ListOutcome::Page {
                conversations,
                total,
            } => {
                pages += 1;
                for (slot, lookup) in found.iter_mut().zip(lookups) {
                    if slot.is_none() {
                        *slot = conversations
                            .iter()
                            .find(|c| matches(c, lookup, from_numbers))
                            .map(|c| c.conversation_id.clone());
                    }
                }
                offset += conversations.len() as u64;
                let exhausted = conversations.is_empty() || total.is_some_and(|t| offset >= t);
                if exhausted {
                    break;
                }
            }
            ListOutcome::RateLimited { wait } => {
                rate_limited += 1;
                if rate_limited > MAX_RATE_LIMITED {
                    return Err("still rate-limited while listing conversations".to_string());
                }
                gate.pause_for(wait);
            }
            ListOutcome::Failed { error } => {
                return Err(format!("could not list Annie's conversations ({error})"))
            }
        }
    }
    Ok(found)
}

/// Same recipient, one of our callers, started no earlier than the attempt (less a little skew).
/// Anything unreadable does not match: a wrong match would hide a call that never happened.
fn matches(c: &ConversationSummary, lookup: &Lookup, from_numbers: &[String]) -> bool {
    let same = |a: &Option<String>, b: &str| a.as_deref().map(digits) == Some(digits(b));
    let started = c
        .start_time
        .as_deref()
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.with_timezone(&Utc));
    same(&c.to_number, &lookup.to_number)
        && from_numbers.iter().any(|f| same(&c.from_number, f))
        && started.is_some_and(|t| t >= lookup.attempted_at - SKEW)
}

fn digits(number: &str) -> String {
    number.chars().filter(char::is_ascii_digit).collect()
}

/// Settles the rows whose earlier attempt (from a previous run) may have placed a call: found in
/// Annie → `sent` with that conversation; otherwise `uncertain`, never resent automatically.
pub async fn settle_earlier(
    selected: Vec<crate::select::Selected>,
    finder: &Finder<'_>,
    ledger: Option<&std::sync::Mutex<crate::ledger::Ledger>>,
    now: DateTime<Utc>,
) -> anyhow::Result<Vec<crate::select::Selected>> {
    use crate::ledger::{Finished, Outcome};
    use crate::results::Status;
    use crate::select::{Selected, Settled, Verdict};

    let lookups: Vec<Lookup> = selected
        .iter()
        .filter_map(|s| match &s.verdict {
            Verdict::Reconcile {
                appointment,
                attempt,
            } => Some(Lookup {
                to_number: appointment.phone.e164.clone(),
                attempted_at: attempt.attempted_at,
            }),
            _ => None,
        })
        .collect();
    if lookups.is_empty() {
        return Ok(selected);
    }
    let found = finder.find(&lookups).await;
    let mut next = 0;
    let mut out = Vec::with_capacity(selected.len());
    for Selected { row, verdict } in selected {
        let Verdict::Reconcile {
            appointment,
            attempt,
        } = verdict
        else {
            out.push(Selected { row, verdict });
            continue;
        };
        let i = next;
        next += 1;
        let when = attempt
            .attempted_at
            .with_timezone(&appointment.start.timezone())
            .format("%a %Y-%m-%d %H:%M %Z");
        let (settled, outcome) = match found.as_ref().map(|f| f[i].clone()) {
            Ok(Some(id)) => {
                let mut s = Settled::of(
                    appointment,
                    Status::Sent,
                    format!("an earlier attempt ({when}) placed this call: found in Annie"),
                );
                s.conversation_id = Some(id);
                (s, Outcome::Sent)
            }
            other => {
                let why = match other {
                    Err(e) => e.clone(),
                    _ => "Annie shows no matching conversation".to_string(),
                };
                let reason = format!(
                    "an earlier attempt ({when}) may have placed a call ({why}); not resent. \
                     Check Annie, then rerun with --retry-uncertain to call again"
                );
                (
                    Settled::of(appointment, Status::Uncertain, reason),
                    Outcome::Uncertain,
                )
            }
        };
        if let (Some(ledger), Some(_)) = (ledger, finder.client) {
            let ledger = ledger.lock().unwrap_or_else(|p| p.into_inner());
            ledger.finish(
                attempt.id,
                &Finished {
                    outcome,
                    conversation_id: settled.conversation_id.as_deref(),
                    http_status: None,
                    reason: Some(&settled.reason),
                    counts: true,
                    finished_at: now,
                },
            )?;
        }
        out.push(Selected {
            row,
            verdict: Verdict::Settled(settled),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn conv(to: &str, from: &str, start: &str) -> ConversationSummary {
        ConversationSummary {
            conversation_id: "c".into(),
            to_number: Some(to.into()),
            from_number: Some(from.into()),
            start_time: Some(start.into()),
        }
    }

    #[test]
    fn matching_needs_both_numbers_and_a_start_after_the_attempt() {
        let lookup = Lookup {
            to_number: "+13125550147".into(),
            attempted_at: Utc.with_ymd_and_hms(2026, 11, 24, 15, 0, 0).unwrap(),
        };
        let from = &["+13125550100".to_string(), "+13125550199".to_string()][..];
        assert!(matches(
            &conv("+13125550147", "+13125550100", "2026-11-24T15:00:30Z"),
            &lookup,
            from
        ));
        assert!(matches(
            &conv(
                "+1 (312) 555-0147",
                "+13125550100",
                "2026-11-24T09:00:30-06:00"
            ),
            &lookup,
            from
        ));
        assert!(matches(
            &conv("+13125550147", "+13125550199", "2026-11-24T15:00:30Z"),
            &lookup,
            from
        ));
        assert!(!matches(
            &conv("+13125550148", "+13125550100", "2026-11-24T15:00:30Z"),
            &lookup,
            from
        ));
        assert!(!matches(
            &conv("+13125550147", "+13125550101", "2026-11-24T15:00:30Z"),
            &lookup,
            from
        ));
        assert!(!matches(
            &conv("+13125550147", "+13125550100", "2026-11-24T14:00:00Z"),
            &lookup,
            from
        ));
        assert!(!matches(
            &conv("+13125550147", "+13125550100", "yesterday"),
            &lookup,
            from
        ));
    }
}
