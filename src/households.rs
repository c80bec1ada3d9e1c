//! Families share a phone. Appointments in one run whose patients share a number get *one*
//! call: the earliest appointment fills `appointmentInfo`, the templates see every appointment,
//! and every row of the group maps to the same conversation id.
//!
//! With households turned off, only the earliest appointment on a number is called in a run:
//! the API allows one call per number per 24 hours, so a second would be refused anyway.

use rustc_hash::FxHashMap;

use crate::normalise::Appointment;
use crate::reason::{Reason, ReasonCode};
use crate::results::Status;
use crate::select::{Selected, Settled, Verdict};

/// The appointments one call covers, earliest first; the first one leads.
#[derive(Debug, Clone, PartialEq)]
pub struct Household {
    pub members: Vec<(u64, Box<Appointment>)>,
}

impl Household {
    pub fn lead(&self) -> &Appointment {
        &self.members[0].1
    }
}

/// Splits rows into those already settled and the calls to make, one per phone number, in the
/// order of each number's first row.
pub fn group(selected: Vec<Selected>, enabled: bool) -> (Vec<Selected>, Vec<Household>) {
    // Counted first, so that neither vector grows (a large export's chunk moved each time).
    let to_call = selected
        .iter()
        .filter(|s| matches!(s.verdict, Verdict::Call(_)))
        .count();
    let mut settled = Vec::with_capacity(selected.len() - to_call);
    let mut calls = Vec::with_capacity(to_call);
    for Selected { row, verdict } in selected {
        match verdict {
            Verdict::Call(appointment) => calls.push((row, appointment)),
            verdict => settled.push(Selected { row, verdict }),
        }
    }
    // Each call's household, numbered in the order of each number's first row (the numbers
    // borrowed: a large export's chunk is not copied into the map).
    let mut by_number: FxHashMap<&str, usize> =
        FxHashMap::with_capacity_and_hasher(calls.len(), Default::default());
    let household_of: Vec<usize> = calls
        .iter()
        .map(|(_, a)| {
            let next = by_number.len();
            *by_number.entry(a.phone.e164.as_str()).or_insert(next)
        })
        .collect();
    let mut households: Vec<Household> = (0..by_number.len())
        .map(|_| Household {
            members: Vec::with_capacity(1),
        })
        .collect();
    for (member, i) in calls.into_iter().zip(household_of) {
        households[i].members.push(member);
    }
    for h in &mut households {
        h.members.sort_by_key(|(row, a)| (a.start, *row));
    }
    if !enabled {
        for h in &mut households {
            let lead_row = h.members[0].0;
            for (row, appointment) in h.members.drain(1..) {
                let reason = format!(
                    "another appointment on this phone number (row {lead_row}) is called in this run; \
                     the API allows one call per number per 24 hours"
                );
                let reason = Reason::new(ReasonCode::SharedNumber, reason);
                settled.push(Selected {
                    row,
                    verdict: Verdict::Settled(Settled::of(appointment, Status::Skipped, reason)),
                });
            }
        }
    }
    (settled, households)
}
