//! Between the checks and dispatch: every settled verdict becomes its result row, and every
//! household becomes a [`Call`] with its exact request body. Pure.

use crate::api::CallRequest;
use crate::hours::RecipientZones;
use crate::households::Household;
use crate::normalise::phone;
use crate::practice::Practice;
use crate::render::{build_request, Templates};
use crate::results::{RowResult, Status};
use crate::select::{Selected, Verdict};

/// One appointment a call covers.
#[derive(Debug, Clone, PartialEq)]
pub struct Member {
    pub row: u64,
    pub appointment_id: String,
    pub start_time: String,
}

/// A call ready to send: the request body plus what its result rows need.
#[derive(Debug, Clone, PartialEq)]
pub struct Call {
    /// Earliest appointment first; one member unless a household shares the number.
    pub members: Vec<Member>,
    pub to_number: String,
    pub masked_to: String,
    pub zones: RecipientZones,
    pub body: CallRequest,
}

impl Call {
    /// One result row per member. Household members get a note naming the whole group.
    pub fn results(&self, status: Status, reason: Option<String>) -> Vec<RowResult> {
        let note = (self.members.len() > 1).then(|| {
            let ids: Vec<&str> = self
                .members
                .iter()
                .map(|m| m.appointment_id.as_str())
                .collect();
            let rows: Vec<String> = self.members.iter().map(|m| m.row.to_string()).collect();
            format!(
                "one household call for appointments {} (rows {})",
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
            })
            .collect()
    }
}

/// Rows already settled, and calls still to make.
#[derive(Debug, Default)]
pub struct Plan {
    pub settled: Vec<RowResult>,
    pub calls: Vec<Call>,
}

impl Plan {
    /// Input rows accounted for: settled rows plus every member of every call.
    pub fn rows(&self) -> usize {
        self.settled.len() + self.calls.iter().map(|c| c.members.len()).sum::<usize>()
    }
}

/// Renders each household's texts and turns every settled verdict into its result row.
pub fn plan(
    settled: Vec<Selected>,
    households: Vec<Household>,
    templates: &Templates,
    practice: &Practice,
) -> Plan {
    let mut plan = Plan {
        settled: settled.into_iter().map(result_row).collect(),
        calls: Vec::new(),
    };
    for household in households {
        match templates.render(&household, practice) {
            Ok(texts) => {
                let lead = household.lead();
                plan.calls.push(Call {
                    to_number: lead.phone.e164.clone(),
                    masked_to: phone::mask(&lead.phone.e164),
                    zones: RecipientZones::for_number(&lead.phone.e164),
                    body: build_request(lead, texts, practice),
                    members: household
                        .members
                        .iter()
                        .map(|(row, a)| Member {
                            row: *row,
                            appointment_id: a.id.clone(),
                            start_time: a.start.to_rfc3339(),
                        })
                        .collect(),
                });
            }
            Err(reason) => {
                let mut rows = Vec::new();
                crate::guard::settle_all(household, Status::Invalid, &reason, &mut rows);
                plan.settled.extend(rows.into_iter().map(result_row));
            }
        }
    }
    plan
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
            "internal error: the row was not planned; please report this".to_string(),
            Some(appointment.id.clone()),
            Some(Box::new(appointment)),
            None,
        ),
    };
    RowResult {
        row: s.row,
        appointment_id,
        status,
        conversation_id,
        reason: Some(reason),
        http_status: None,
        to_number: appointment.as_ref().map(|a| phone::mask(&a.phone.e164)),
        start_time: appointment.as_ref().map(|a| a.start.to_rfc3339()),
        attempted_at: None,
    }
}
