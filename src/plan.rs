//! Between the checks and dispatch: every settled verdict becomes its result row, and every
//! household a [`Planned`] call, rendered into a [`Call`] with its exact body just before it
//! goes out. Pure.

use std::sync::Arc;

use compact_str::CompactString;

use crate::api::body::CallRequest;
use crate::hours::RecipientZones;
use crate::households::Household;
use crate::languages::Languages;
use crate::locations::Location;
use crate::normalise::phone;
use crate::reason::{Reason, ReasonCode};
use crate::render::{build_request, Templates};
use crate::results::{RowResult, Status};
use crate::select::{Selected, Verdict};

/// One appointment a call covers. The id is short: held inline, it is copied from the
/// appointment without an allocation.
#[derive(Debug, Clone, PartialEq)]
pub struct Member {
    pub row: u64,
    pub appointment_id: CompactString,
    /// As the results file and the ledger write it (RFC 3339, in the appointment's zone). Shared
    /// with every member and result row of the same start (see [`start_text`]): 25 bytes, too
    /// long to be held inline.
    pub start_time: Arc<str>,
    /// The same moment, for comparing (not parsed back from the text on every check).
    pub start: chrono::DateTime<chrono::Utc>,
}

/// A call ready to send: the request body plus what its result rows need.
#[derive(Debug, Clone, PartialEq)]
pub struct Call {
    /// Earliest appointment first; one member unless a household shares the number.
    pub members: Vec<Member>,
    /// E.164 and masked: short, held inline.
    pub to_number: CompactString,
    pub masked_to: CompactString,
    pub zones: RecipientZones,
    /// The exact JSON body, serialised once at planning: one allocation per call instead of a
    /// dozen, which matters when a large export is planned before anything is sent.
    pub body_json: Box<str>,
    /// For the preview: the appointment type and the texts' lengths.
    pub summary: BodySummary,
}

/// What the preview shows about a body without keeping the body's parts.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct BodySummary {
    pub appointment_type: String,
    pub context_chars: usize,
    pub voicemail_chars: usize,
}

impl BodySummary {
    fn of(body: &CallRequest) -> BodySummary {
        let chars = |s: &Option<String>| s.as_deref().map_or(0, |t| t.chars().count());
        BodySummary {
            appointment_type: body
                .appointment_info
                .as_ref()
                .and_then(|a| a.appointment_type_id.clone())
                .unwrap_or_default(),
            context_chars: chars(&body.context),
            voicemail_chars: chars(&body.voicemail_message),
        }
    }
}

/// The members a household's note names; the rest are counted. Every member's row carries the
/// note, so naming them all made a results file grow with the square of a household's size (a
/// placeholder number on 1,500 rows made gigabytes).
const MEMBERS_LISTED: usize = 10;

impl Call {
    /// When the earliest of its appointments starts (members are earliest first).
    pub fn first_start(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        self.members.first().map(|m| m.start)
    }

    /// One result row per member. Household members get a note naming the whole group.
    pub fn results(&self, status: Status, reason: Option<Reason>) -> Vec<RowResult> {
        let code = reason.as_ref().map(|r| r.code);
        let reason = reason.map(|r| r.text).filter(|t| !t.is_empty());
        let note = (self.members.len() > 1).then(|| {
            let listed = &self.members[..self.members.len().min(MEMBERS_LISTED)];
            let more = match self.members.len() - listed.len() {
                0 => String::new(),
                n => format!(" and {n} more"),
            };
            let ids: Vec<&str> = listed.iter().map(|m| m.appointment_id.as_str()).collect();
            let rows: Vec<String> = listed.iter().map(|m| m.row.to_string()).collect();
            format!(
                "one household call for appointments {}{more} (rows {}{more})",
                ids.join(", "),
                rows.join(", ")
            )
        });
        let reason = match (reason, note) {
            (Some(r), Some(n)) => Some(format!("{r}; {n}")),
            (r, n) => r.or(n),
        };
        self.members
            .iter()
            .map(|m| RowResult {
                row: m.row,
                appointment_id: Some(m.appointment_id.clone()),
                status,
                conversation_id: None,
                reason: reason.clone(),
                http_status: None,
                to_number: Some(self.masked_to.clone()),
                start_time: Some(m.start_time.clone()),
                attempted_at: None,
                location: None,
                reason_code: code,
                uncovered: false,
            })
            .collect()
    }
}

/// Rows already settled, and calls still to make.
#[derive(Debug, Default)]
pub struct Plan {
    pub settled: Vec<RowResult>,
    pub calls: Vec<Planned>,
}

impl Plan {
    /// Input rows accounted for: settled rows plus every member of every call.
    pub fn rows(&self) -> usize {
        self.settled.len()
            + self
                .calls
                .iter()
                .map(|c| c.household.members.len())
                .sum::<usize>()
    }
}

/// A call still to render. Bodies are rendered just before each call goes out (see
/// [`crate::dispatch`]), a chunk at a time on every core, so a large export never holds every
/// rendered body at once: holding them all was most of a million-row preview's memory.
#[derive(Debug, Clone, PartialEq)]
pub struct Planned {
    pub household: Household,
}

impl Planned {
    /// The call without its body: enough for result rows that need no request.
    pub fn skeleton(&self) -> Call {
        let lead = self.household.lead();
        Call {
            to_number: lead.phone.e164.clone(),
            masked_to: phone::mask(&lead.phone.e164),
            zones: RecipientZones::for_number(&lead.phone.e164),
            summary: BodySummary::default(),
            body_json: Box::from(""),
            members: self
                .household
                .members
                .iter()
                .map(|(row, a)| Member {
                    row: *row,
                    appointment_id: a.id.clone(),
                    start_time: start_text(&a.start),
                    start: a.start.with_timezone(&chrono::Utc),
                })
                .collect(),
        }
    }

    /// Renders the texts and, when `body` is set, serialises the exact body. `Err` is the reason
    /// the household's rows are `invalid` (a text over the API's limit, say). The lead
    /// patient's language picks the from-number and the templates, when the location has a
    /// number for it. Without `body`, a preview that
    /// neither shows nor writes bodies still renders and checks every text (a text over the
    /// API's limit makes the call `invalid`), but has no use for the request, its JSON or its
    /// summary (the call's `body_json` is empty and its summary the default).
    pub fn render_with(
        &self,
        templates: &Templates,
        location: &Location,
        languages: &Languages,
        body: bool,
    ) -> Result<Call, Reason> {
        let (from, language) = crate::languages::caller(location, languages, self.household.lead());
        let templates = language
            .and_then(|l| l.templates.as_ref())
            .unwrap_or(templates);
        if !body {
            // The texts are checked, not kept: nothing will read the request they would go into.
            templates.check(&self.household, &location.practice)?;
            return Ok(self.skeleton());
        }
        let texts = templates.render(&self.household, &location.practice)?;
        let body = build_request(self.household.lead(), texts, from);
        let body_json = serde_json::to_string(&body).map_err(|e| {
            let text = format!("internal error: cannot serialise the request: {e}");
            Reason::new(ReasonCode::Internal, text)
        })?;
        Ok(Call {
            body_json: body_json.into_boxed_str(),
            summary: BodySummary::of(&body),
            ..self.skeleton()
        })
    }
}

/// Turns every settled verdict into its result row, and every household into a call to make.
/// `location` is the id the settled rows are marked with (the dispatcher marks the calls').
pub fn plan(settled: Vec<Selected>, households: Vec<Household>, location: Option<&str>) -> Plan {
    use rayon::prelude::*;
    Plan {
        // On every core: a large preview settles most rows here, and each one's appointment is
        // freed as its row is made.
        settled: settled
            .into_par_iter()
            .map(|s| RowResult {
                location: location.map(CompactString::from),
                ..result_row(s)
            })
            .collect(),
        calls: households
            .into_iter()
            .map(|household| Planned { household })
            .collect(),
    }
}

/// The rows of a location whose calls could not be planned (its ledger failed, say): nothing was
/// sent for them, and the reason says so. Only the input rows are known here (keeping every
/// appointment id for this rare case would cost a large export memory on every run).
pub fn not_planned(rows: &[u64], location: Option<&str>, error: &anyhow::Error) -> Vec<RowResult> {
    let reason = format!(
        "not attempted: this location's calls could not be planned ({error:#}); nothing was sent \
         for it. Fix the cause and rerun"
    );
    rows.iter()
        .map(|&row| RowResult {
            row,
            appointment_id: None,
            status: Status::NotAttempted,
            conversation_id: None,
            reason: Some(reason.clone()),
            http_status: None,
            to_number: None,
            start_time: None,
            attempted_at: None,
            location: location.map(CompactString::from),
            reason_code: Some(ReasonCode::NotPlanned),
            uncovered: false,
        })
        .collect()
}

/// A location's rows when it may not call at all (its history could not be rebuilt, say): rows
/// already settled keep their result, every row that would have been called is `not_attempted`
/// with the reason.
pub fn none_called(
    selected: Vec<Selected>,
    location: Option<&str>,
    reason: &Reason,
) -> Vec<RowResult> {
    let settled = selected
        .into_iter()
        .map(|s| match s.verdict {
            Verdict::Call(appointment) | Verdict::Reconcile { appointment, .. } => Selected {
                row: s.row,
                verdict: Verdict::Settled(crate::select::Settled::of(
                    appointment,
                    Status::NotAttempted,
                    reason.clone(),
                )),
            },
            verdict => Selected {
                row: s.row,
                verdict,
            },
        })
        .collect();
    plan(settled, Vec::new(), location).settled
}

/// A start time as the results file and the ledger write it (RFC 3339, in its zone). An export
/// has a few hundred start times and a result row each, so each thread keeps the texts of the
/// start times it met (up to 4096, then it starts again), and every row of a start shares its
/// text rather than a copy of it each.
fn start_text(start: &chrono::DateTime<chrono_tz::Tz>) -> Arc<str> {
    type Known = rustc_hash::FxHashMap<(chrono::NaiveDateTime, chrono_tz::Tz), Arc<str>>;
    thread_local! {
        static KNOWN: std::cell::RefCell<Known> = std::cell::RefCell::new(Known::default());
    }
    let key = (start.naive_utc(), start.timezone());
    if let Some(text) = KNOWN.with_borrow(|known| known.get(&key).cloned()) {
        return text;
    }
    let text: Arc<str> = start.to_rfc3339().into();
    KNOWN.with_borrow_mut(|known| {
        if known.len() >= 4096 {
            known.clear();
        }
        known.insert(key, text.clone());
    });
    text
}

/// The result row of a verdict that needs no request.
fn result_row(s: Selected) -> RowResult {
    let (status, reason, appointment_id, appointment, conversation_id) = match s.verdict {
        Verdict::Settled(x) => (
            x.status,
            x.reason,
            x.appointment_id,
            x.appointment,
            x.conversation_id,
        ),
        // Later stages resolve these; should one slip through, say so rather than drop it.
        Verdict::Reconcile { appointment, .. } | Verdict::Call(appointment) => (
            Status::NotAttempted,
            Reason::new(
                ReasonCode::Internal,
                "internal error: the row was not planned; please report this",
            ),
            Some(appointment.id.clone()),
            Some(appointment),
            None,
        ),
    };
    RowResult {
        row: s.row,
        appointment_id,
        status,
        conversation_id,
        reason: Some(reason.text),
        http_status: None,
        to_number: appointment.as_ref().map(|a| phone::mask(&a.phone.e164)),
        start_time: appointment.as_ref().map(|a| start_text(&a.start)),
        attempted_at: None,
        location: None,
        reason_code: Some(reason.code),
        uncovered: false,
    }
}
