//! Conversations `outcomes` read: answered or not, and requests not to be called again, tied to
//! the attempt that started them (or to Annie's number for the call).

use anyhow::Context;
use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension};

use super::records::{Answered, DoNotCall};
use super::store::{enum_like, parse_stamp, Ledger};
use crate::clock::stamp;

/// What `outcomes` learned about one conversation, to record.
#[derive(Debug, Clone)]
pub struct ConversationRecord<'a> {
    pub conversation_id: &'a str,
    /// Annie's `toNumber` (E.164): hashed, and only used when no attempt of this ledger has the
    /// conversation id.
    pub to_number: Option<&'a str>,
    /// Annie's `startTime`, for the same case.
    pub started_at: Option<DateTime<Utc>>,
    /// Annie's status: anything but a short enum-like word is stored as `OTHER`.
    pub status: &'a str,
    pub duration: Option<i64>,
    pub answered: Answered,
    pub needs_attention: bool,
    pub do_not_call: bool,
    pub checked_at: DateTime<Utc>,
}

/// How a recorded conversation ties to the per-number rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tied {
    /// An attempt in this ledger has the conversation id.
    ToAttempt,
    /// No attempt has it, but Annie's `toNumber` gives the number.
    ToNumberOnly,
    /// Neither: recorded, but no rule can use it.
    Untied,
}

impl Ledger {
    /// The latest conversation in which the patient on this number asked not to be called
    /// again, however long ago: a revocation of consent does not expire.
    pub fn do_not_call(&self, number_key: &str) -> anyhow::Result<Option<DoNotCall>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT conversation_id, called_at FROM conversations
             WHERE number_key = ?1 AND do_not_call = 1
             ORDER BY called_at DESC, conversation_id LIMIT 1",
        )?;
        let found = stmt
            .query_row(params![number_key], |r| {
                Ok(DoNotCall {
                    conversation_id: r.get(0)?,
                    called_at: parse_stamp(&r.get::<_, String>(1)?),
                })
            })
            .optional()?;
        Ok(found)
    }

    /// Records (or updates, on a rerun) what `outcomes` learned about a conversation, tied to
    /// the number its attempt called. Committed before `outcomes` writes the row to its file,
    /// so a crash between the two only means the conversation is read and recorded again.
    pub fn record_conversation(&self, r: &ConversationRecord<'_>) -> anyhow::Result<Tied> {
        let attempt: Option<(String, String)> = self
            .conn
            .query_row(
                "SELECT number_key, MIN(attempted_at) FROM attempts
                 WHERE conversation_id = ?1 GROUP BY number_key LIMIT 1",
                params![r.conversation_id],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .optional()?;
        let (number_key, called_at, tied) = match attempt {
            Some((key, at)) => (Some(key), at, Tied::ToAttempt),
            None => {
                let at = stamp(r.started_at.unwrap_or(r.checked_at));
                match r.to_number.filter(|n| !n.trim().is_empty()) {
                    Some(n) => (Some(self.number_key(n.trim())), at, Tied::ToNumberOnly),
                    None => (None, at, Tied::Untied),
                }
            }
        };
        self.conn
            .execute(
                "INSERT INTO conversations (conversation_id, number_key, called_at, status,
                    duration, answered, needs_attention, do_not_call, checked_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
                 ON CONFLICT (conversation_id) DO UPDATE SET number_key = excluded.number_key,
                    called_at = excluded.called_at, status = excluded.status,
                    duration = excluded.duration, answered = excluded.answered,
                    needs_attention = excluded.needs_attention,
                    do_not_call = MAX(do_not_call, excluded.do_not_call),
                    checked_at = excluded.checked_at",
                params![
                    r.conversation_id,
                    number_key,
                    called_at,
                    enum_like(r.status),
                    r.duration,
                    r.answered.as_str(),
                    r.needs_attention,
                    r.do_not_call,
                    stamp(r.checked_at)
                ],
            )
            .with_context(|| {
                format!(
                    "cannot record conversation {} in the ledger `{}`",
                    r.conversation_id,
                    self.path.display()
                )
            })?;
        Ok(tied)
    }
}
