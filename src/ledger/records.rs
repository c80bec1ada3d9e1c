//! The ledger's records as the rest of the tool sees them: plain rows, no SQLite. The stages
//! that apply what earlier runs did (selection, the per-number rules, the outcome classes) read
//! these; only the ledger's own files ([`super::store`] and its neighbours) touch the database.

use chrono::{DateTime, Utc};

/// How an attempt ended (or that it has not yet).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Recorded before the POST; still so after a crash.
    InFlight,
    Sent,
    /// Failed in a way that proves no call was placed.
    Failed,
    /// The request may have placed a call; never resent automatically.
    Uncertain,
}

impl Outcome {
    pub(super) fn as_str(self) -> &'static str {
        match self {
            Outcome::InFlight => "in_flight",
            Outcome::Sent => "sent",
            Outcome::Failed => "failed",
            Outcome::Uncertain => "uncertain",
        }
    }

    pub(super) fn parse(text: &str) -> Outcome {
        match text {
            "sent" => Outcome::Sent,
            "failed" => Outcome::Failed,
            "uncertain" => Outcome::Uncertain,
            _ => Outcome::InFlight,
        }
    }
}

/// One recorded attempt for one appointment.
#[derive(Debug, Clone, PartialEq)]
pub struct Attempt {
    pub id: i64,
    pub call_id: String,
    pub appointment_id: String,
    pub start_time: String,
    pub outcome: Outcome,
    pub conversation_id: Option<String>,
    pub attempted_at: DateTime<Utc>,
    /// Whether the API may count it against the number (it reached the API, or may have).
    pub counts: bool,
}

/// An attempt to a number, for the per-number rules: one per call, not per appointment.
#[derive(Debug, Clone, PartialEq)]
pub struct NumberAttempt {
    pub attempted_at: DateTime<Utc>,
    pub outcome: Outcome,
    /// `outcomes` found the call's conversation ended without anyone answering.
    pub unanswered: bool,
    /// The call's conversation, when the ledger learned of the call from Annie's list (a
    /// rebuild, or the check before calling) rather than from its own request: which
    /// appointment it reminded of is not known.
    pub learned_from_annie: Option<String>,
}

/// Whether anyone answered a call, as far as its conversation tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answered {
    Yes,
    /// The conversation ended without one (no duration, or tagged as no answer or voicemail).
    No,
    /// Not known yet: the conversation is still open, or says nothing either way.
    Unknown,
}

impl Answered {
    pub(super) fn as_str(self) -> &'static str {
        match self {
            Answered::Yes => "yes",
            Answered::No => "no",
            Answered::Unknown => "unknown",
        }
    }
}

/// A conversation in which the patient asked not to be called again.
#[derive(Debug, Clone, PartialEq)]
pub struct DoNotCall {
    pub conversation_id: String,
    pub called_at: DateTime<Utc>,
}
