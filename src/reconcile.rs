//! Finding out whether an ambiguous attempt placed a call.
//!
//! A POST that timed out, hit a server error, or was cut off by a crash may or may not have
//! started a call, and the API has no idempotency key. Before anything else happens to such an
//! attempt, look for a conversation to the same number, from one of our numbers, that started
//! after the attempt. `GET /conversations` cannot filter and returns at most 100 per page, so
//! [`look_back`] pages back (through the same rate gate as the POSTs) until the conversations are
//! older than the earliest attempt being settled, or the list ends. Only such a *complete*
//! look-back proves a call absent ([`Found::Absent`]); a look-back that cannot complete leaves the
//! attempt uncertain, with the reason.
//!
//! The API does not document the list's order. The sandbox and the observed API list newest
//! first; [`look_back`] checks that as it reads, and if the start times ever go up, it stops
//! trusting the order and reads to the end of the list.

use chrono::{DateTime, Duration, Utc};

use crate::api::{AnnieClient, ConversationSummary, ListOutcome};
use crate::dispatch::gate::Gate;

/// Conversations per page: the API's maximum.
const PAGE: u64 = 100;
/// Clock skew tolerated between our attempt time and the API's conversation start time.
const SKEW: Duration = Duration::minutes(5);
/// Rate-limit answers tolerated while listing.
const MAX_RATE_LIMITED: u32 = 5;
/// Tries of one page when the list cannot be read (a GET places no call).
const LIST_TRIES: u32 = 3;
/// A bound on one look-back (200,000 conversations), so a list that never ends cannot hold a
/// run forever. Reaching it leaves the look-back incomplete.
const MAX_PAGES: u64 = 2_000;

/// A call to look for.
#[derive(Debug, Clone)]
pub struct Lookup {
    pub to_number: String,
    pub attempted_at: DateTime<Utc>,
}

/// What looking for one call found.
#[derive(Debug, Clone, PartialEq)]
pub enum Found {
    /// Annie shows the call: this conversation.
    Call(String),
    /// A complete look-back found no such call: none was placed.
    Absent,
    /// The look could not complete (the reason): the call may or may not exist.
    Unknown(String),
}

/// How much a look-back read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LookedBack {
    pub conversations: u64,
    pub pages: u64,
    /// Every conversation that started after this was read: the oldest start time read while
    /// the list kept its newest-first order (`None` once it did not, or before any).
    pub whole_since: Option<DateTime<Utc>>,
}

/// A look-back that could not complete: why, and how far it got.
#[derive(Debug, Clone, PartialEq)]
pub struct Incomplete {
    pub error: String,
    pub read: LookedBack,
    /// The API refused the credentials (a 401 or 403), rather than could not be read.
    pub credentials_refused: bool,
}

/// What looking for calls needs: the API (absent in a preview), the shared rate gate, and every
/// number the location calls from (a call in the patient's language comes from its own number).
pub struct Finder<'a> {
    pub client: Option<&'a AnnieClient>,
    pub gate: &'a Gate,
    pub from_numbers: Vec<String>,
}

impl Finder<'_> {
    /// For each lookup, what Annie shows.
    pub async fn find(&self, lookups: &[Lookup]) -> Vec<Found> {
        let Some(client) = self.client else {
            return vec![Found::Unknown("not checked in a preview".to_string()); lookups.len()];
        };
        let mut found: Vec<Option<String>> = vec![None; lookups.len()];
        let Some(since) = lookups.iter().map(|l| l.attempted_at).min() else {
            return Vec::new();
        };
        let mut visit = |c: &ConversationSummary| {
            for (slot, lookup) in found.iter_mut().zip(lookups) {
                if slot.is_none() && matches(c, lookup, &self.from_numbers) {
                    *slot = Some(c.conversation_id.clone());
                }
            }
            found.iter().all(Option::is_some)
        };
        let looked = look_back(client, self.gate, since - SKEW, &mut visit).await;
        found
            .into_iter()
            .map(|slot| match (slot, &looked) {
                (Some(id), _) => Found::Call(id),
                (None, Ok(_)) => Found::Absent,
                (None, Err(e)) => Found::Unknown(e.error.clone()),
            })
            .collect()
    }
}

/// Reads the organisation's conversations, newest first, handing each to `visit`, until they
/// are older than `since` or the list ends (complete), or `visit` returns true (it has what it
/// needs). `Err` says why the look-back could not complete, and how far back it read.
pub async fn look_back(
    client: &AnnieClient,
    gate: &Gate,
    since: DateTime<Utc>,
    visit: &mut dyn FnMut(&ConversationSummary) -> bool,
) -> Result<LookedBack, Incomplete> {
    let mut read = LookedBack::default();
    let incomplete = |error: String, read: LookedBack| {
        Err(Incomplete {
            error,
            read,
            credentials_refused: false,
        })
    };
    let (mut rate_limited, mut failures) = (0, 0);
    // Whether every start time so far came in newest-first order.
    let mut ordered = true;
    let mut previous: Option<DateTime<Utc>> = None;
    loop {
        if read.pages >= MAX_PAGES {
            let error = format!(
                "the look-back stopped after {} conversations without reaching {}",
                read.conversations,
                since.format("%Y-%m-%d %H:%M UTC")
            );
            return incomplete(error, read);
        }
        gate.ready().await;
        let (conversations, total) = match client.list_conversations(read.conversations, PAGE).await
        {
            ListOutcome::Page {
                conversations,
                total,
            } => (conversations, total),
            ListOutcome::RateLimited { wait } => {
                rate_limited += 1;
                if rate_limited > MAX_RATE_LIMITED {
                    let error = "still rate-limited while listing conversations".to_string();
                    return incomplete(error, read);
                }
                gate.pause_for(wait);
                continue;
            }
            // Reading is safe to repeat: a few tries before giving up on a blip.
            ListOutcome::Failed { error } if failures < LIST_TRIES => {
                failures += 1;
                tracing::warn!(error = %error, "cannot list Annie's conversations; trying again");
                tokio::time::sleep(std::time::Duration::from_millis(500 << failures)).await;
                continue;
            }
            ListOutcome::Failed { error } | ListOutcome::Refused { error } => {
                let error = format!(
                    "could not list Annie's conversations after reading {} ({error})",
                    read.conversations
                );
                return incomplete(error, read);
            }
            ListOutcome::Unauthorized { error } => {
                let error = format!(
                    "could not list Annie's conversations after reading {} ({error})",
                    read.conversations
                );
                return Err(Incomplete {
                    error,
                    read,
                    credentials_refused: true,
                });
            }
        };
        read.pages += 1;
        read.conversations += conversations.len() as u64;
        let mut oldest_on_page = None;
        for c in &conversations {
            if visit(c) {
                return Ok(read);
            }
            let started = start_of(c);
            match (started, previous) {
                (None, _) => ordered = false,
                (Some(t), Some(p)) if t > p + Duration::seconds(1) => ordered = false,
                _ => {}
            }
            previous = started.or(previous);
            oldest_on_page = started;
            read.whole_since = previous.filter(|_| ordered);
        }
        let ended = conversations.is_empty() || total.is_some_and(|t| read.conversations >= t);
        let older = ordered && oldest_on_page.is_some_and(|t| t < since);
        if ended || older {
            return Ok(read);
        }
    }
}

/// When a listed conversation started, if Annie said so readably.
pub(crate) fn start_of(c: &ConversationSummary) -> Option<DateTime<Utc>> {
    c.start_time
        .as_deref()
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.with_timezone(&Utc))
}

/// Same recipient, one of our callers, started no earlier than the attempt (less a little skew).
/// Anything unreadable does not match: a wrong match would hide a call that never happened.
fn matches(c: &ConversationSummary, lookup: &Lookup, from_numbers: &[String]) -> bool {
    let same = |a: &Option<String>, b: &str| a.as_deref().map(digits) == Some(digits(b));
    let started = start_of(c);
    same(&c.to_number, &lookup.to_number)
        && from_numbers.iter().any(|f| same(&c.from_number, f))
        && started.is_some_and(|t| t >= lookup.attempted_at - SKEW)
}

pub(crate) fn digits(number: &str) -> String {
    number.chars().filter(char::is_ascii_digit).collect()
}

/// Settles the rows whose earlier attempt (from a previous run) may have placed a call: found in
/// Annie → `sent` with that conversation; proven absent by a complete look-back → called again
/// with `--retry-uncertain` (and no longer counted by the per-number rules), else `uncertain`;
/// not provable → `uncertain`, with the reason. Never resent without a complete look-back.
pub async fn settle_earlier(
    selected: Vec<crate::select::Selected>,
    finder: &Finder<'_>,
    ledger: Option<&std::sync::Mutex<crate::ledger::Ledger>>,
    now: DateTime<Utc>,
    retry_uncertain: bool,
) -> anyhow::Result<Vec<crate::select::Selected>> {
    use crate::ledger::{Finished, Outcome};
    use crate::reason::{Reason, ReasonCode};
    use crate::results::Status;
    use crate::select::{Selected, Settled, Verdict};

    let lookups: Vec<Lookup> = selected
        .iter()
        .filter_map(|s| match &s.verdict {
            Verdict::Reconcile {
                appointment,
                attempt,
            } => Some(Lookup {
                to_number: appointment.phone.e164.to_string(),
                attempted_at: attempt.attempted_at,
            }),
            _ => None,
        })
        .collect();
    if lookups.is_empty() {
        return Ok(selected);
    }
    let mut found = finder.find(&lookups).await.into_iter();
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
        let found = found
            .next()
            .unwrap_or_else(|| Found::Unknown("not looked for".to_string()));
        let when = attempt
            .attempted_at
            .with_timezone(&appointment.start.timezone())
            .format("%a %Y-%m-%d %H:%M %Z");
        let earlier = format!("an earlier attempt ({when})");
        let (verdict, outcome, counts, reason, conversation) = match found {
            Found::Call(id) => {
                let reason = format!("{earlier} placed this call: found in Annie");
                let why = Reason::new(ReasonCode::FoundInAnnie, reason.clone());
                let mut s = Settled::of(appointment, Status::Sent, why);
                s.conversation_id = Some(id.clone());
                (Verdict::Settled(s), Outcome::Sent, true, reason, Some(id))
            }
            Found::Absent => {
                let reason = format!(
                    "{earlier} got no clear answer, and Annie shows no call after it (complete \
                     look-back), so none was placed"
                );
                let verdict = match retry_uncertain {
                    true => Verdict::Call(appointment),
                    false => Verdict::Settled(Settled::of(
                        appointment,
                        Status::Uncertain,
                        Reason::new(
                            ReasonCode::MaybePlaced,
                            format!("{reason}. Not resent: rerun with --retry-uncertain to call"),
                        ),
                    )),
                };
                (verdict, Outcome::Uncertain, false, reason, None)
            }
            Found::Unknown(why) => {
                let reason = format!(
                    "{earlier} may have placed a call, and Annie's conversations could not prove \
                     otherwise ({why}); not resent. Rerun later to look again"
                );
                let why = Reason::new(ReasonCode::MaybePlaced, reason.clone());
                let s = Settled::of(appointment, Status::Uncertain, why);
                (Verdict::Settled(s), Outcome::Uncertain, true, reason, None)
            }
        };
        if let (Some(ledger), Some(_)) = (ledger, finder.client) {
            let ledger = ledger.lock().unwrap_or_else(|p| p.into_inner());
            ledger.finish(
                attempt.id,
                &Finished {
                    outcome,
                    conversation_id: conversation.as_deref(),
                    http_status: None,
                    reason: Some(&reason),
                    counts,
                    finished_at: now,
                },
            )?;
        }
        out.push(Selected { row, verdict });
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
            raw: serde_json::Value::Null,
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
