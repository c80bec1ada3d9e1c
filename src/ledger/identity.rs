//! Whose ledger this is, and the call history rebuilt from Annie when it is new.
//!
//! A ledger is the memory of one set of Annie organisations. Filled against a sandbox and then
//! pointed at production, it would say "already sent" for patients nobody called; filled by one
//! organisation and used by another, its per-number history would be someone else's. So each
//! location's API (base URL and organisation: a key fingerprint or the OAuth client id) is
//! recorded the first time, and a run against anything else is refused.
//!
//! A location with no recorded identity (a new ledger, a lost or emptied one, a new location)
//! first rebuilds its per-number history from Annie's conversations ([`Ledger::add_rebuilt`]),
//! so a lost ledger never leads to a second call within the per-number rules' reach.

use anyhow::Context;
use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension};

use super::store::Ledger;
use crate::clock::stamp;

/// The API a location's calls went to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// e.g. `https://api.helloannie.com/v1`, or `in-process sandbox`.
    pub base_url: String,
    /// e.g. `API key sha256:1a2b3c4d5e6f`, or `OAuth client abc`.
    pub organisation: String,
}

/// A call found in Annie while rebuilding the history.
#[derive(Debug, Clone)]
pub struct RebuiltCall {
    pub conversation_id: String,
    /// E.164, as the ledger hashes it.
    pub to_number: String,
    pub started_at: DateTime<Utc>,
}

/// What the `run_id` of a rebuilt attempt says.
const REBUILT: &str = "rebuilt-from-annie";

impl Ledger {
    /// The identity recorded for a location ('' for a single practice), if any.
    pub fn identity(&self, location: &str) -> anyhow::Result<Option<Identity>> {
        let value: Option<String> = self
            .conn
            .query_row(
                "SELECT value FROM meta WHERE key = ?1",
                params![identity_key(location)],
                |r| r.get(0),
            )
            .optional()?;
        Ok(value.and_then(|v| {
            let (base_url, organisation) = v.split_once('\n')?;
            Some(Identity {
                base_url: base_url.to_string(),
                organisation: organisation.to_string(),
            })
        }))
    }

    /// Records (or replaces) a location's identity.
    pub fn set_identity(&self, location: &str, identity: &Identity) -> anyhow::Result<()> {
        self.conn
            .execute(
                "INSERT INTO meta (key, value) VALUES (?1, ?2)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                params![
                    identity_key(location),
                    format!("{}\n{}", identity.base_url, identity.organisation)
                ],
            )
            .with_context(|| format!("cannot write the ledger `{}`", self.path.display()))?;
        Ok(())
    }

    /// Adds the calls found in Annie as sent attempts of this location (one per conversation,
    /// skipping those the ledger already has), so the per-number rules count them. They belong
    /// to no appointment. Returns how many were added.
    pub fn add_rebuilt(&self, location: &str, calls: &[RebuiltCall]) -> anyhow::Result<usize> {
        let tx = self.conn.unchecked_transaction()?;
        let mut added = 0;
        for call in calls {
            let known: bool = self.conn.query_row(
                "SELECT EXISTS (SELECT 1 FROM attempts WHERE conversation_id = ?1)",
                params![call.conversation_id],
                |r| r.get(0),
            )?;
            if known {
                continue;
            }
            let at = stamp(call.started_at);
            self.conn.execute(
                "INSERT INTO attempts (run_id, call_id, appointment_id, start_time, number_key,
                    status, attempted_at, counts, location, conversation_id, finished_at)
                 VALUES (?1, ?2, '', '', ?3, 'sent', ?4, 1, ?5, ?6, ?4)",
                params![
                    REBUILT,
                    format!("annie:{}", call.conversation_id),
                    self.number_key(&call.to_number),
                    at,
                    location,
                    call.conversation_id
                ],
            )?;
            added += 1;
        }
        tx.commit()
            .with_context(|| format!("cannot write the ledger `{}`", self.path.display()))?;
        Ok(added)
    }
}

fn identity_key(location: &str) -> String {
    format!("api:{location}")
}
