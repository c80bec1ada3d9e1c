//! Between selection and dispatch: each verdict becomes either a finished result (skipped,
//! invalid) or a [`Call`] with its exact request body. Pure.

use crate::api::CallRequest;
use crate::normalise::{phone, Appointment};
use crate::practice::Practice;
use crate::render::{build_request, Templates};
use crate::results::{RowResult, Status};
use crate::select::{Selected, Verdict};

/// A call ready to send: the request body plus what its result row needs.
#[derive(Debug, Clone, PartialEq)]
pub struct Call {
    pub row: u64,
    pub appointment_id: String,
    pub masked_to: String,
    pub start_time: String,
    pub body: CallRequest,
}

impl Call {
    /// A result row for this call; the dispatcher fills in what the API said.
    pub fn result(&self, status: Status, reason: Option<String>) -> RowResult {
        RowResult {
            row: self.row,
            appointment_id: Some(self.appointment_id.clone()),
            status,
            conversation_id: None,
            reason,
            http_status: None,
            to_number: Some(self.masked_to.clone()),
            start_time: Some(self.start_time.clone()),
            attempted_at: None,
        }
    }
}

/// Rows already settled, and calls still to make, both in input order.
#[derive(Debug, Default)]
pub struct Plan {
    pub settled: Vec<RowResult>,
    pub calls: Vec<Call>,
}

impl Plan {
    pub fn rows(&self) -> usize {
        self.settled.len() + self.calls.len()
    }
}

/// Renders the texts for every selected appointment and sorts rows into settled and calls.
pub fn plan(selected: Vec<Selected>, templates: &Templates, practice: &Practice) -> Plan {
    let mut plan = Plan::default();
    for Selected { row, verdict } in selected {
        match verdict {
            Verdict::Call(appointment) => match templates.render(&appointment, practice) {
                Ok(texts) => plan.calls.push(Call {
                    row,
                    appointment_id: appointment.id.clone(),
                    masked_to: phone::mask(&appointment.phone.e164),
                    start_time: appointment.start.to_rfc3339(),
                    body: build_request(&appointment, texts, practice),
                }),
                Err(reason) => plan.settled.push(settled(
                    row,
                    Status::Invalid,
                    Some(appointment.id.clone()),
                    Some(&appointment),
                    reason,
                )),
            },
            Verdict::Skip {
                appointment,
                reason,
            } => plan.settled.push(settled(
                row,
                Status::Skipped,
                Some(appointment.id.clone()),
                Some(&appointment),
                reason,
            )),
            Verdict::Invalid {
                appointment_id,
                appointment,
                reason,
            } => plan.settled.push(settled(
                row,
                Status::Invalid,
                appointment_id,
                appointment.as_deref(),
                reason,
            )),
        }
    }
    plan
}

fn settled(
    row: u64,
    status: Status,
    appointment_id: Option<String>,
    appointment: Option<&Appointment>,
    reason: String,
) -> RowResult {
    RowResult {
        row,
        appointment_id,
        status,
        conversation_id: None,
        reason: Some(reason),
        http_status: None,
        to_number: appointment.map(|a| phone::mask(&a.phone.e164)),
        start_time: appointment.map(|a| a.start.to_rfc3339()),
        attempted_at: None,
    }
}
