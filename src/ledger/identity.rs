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
//! so a lost ledger never leads to a second call within the per-number rules' reach. A location
//! that has one is checked against Annie's recent conversations before each sending run (a
//! ledger restored from an older backup, or calls made through another ledger, leave it behind
//! Annie): [`Ledger::known_until`] says from when.

use anyhow::Context;
use chrono::{DateTime, Duration, Utc};
use rusqlite::{params, OptionalExtension};

use super::conversations::ConversationRecord;
use super::store::{parse_stamp, Ledger};
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
pub(super) const REBUILT: &str = "rebuilt-from-annie";

/// A conversation that started up to this long after one of this ledger's unsettled attempts to
/// its number (in flight or uncertain, no conversation id yet), or up to [`UNSETTLED_AFTER`]
/// before it (clock skew), may be that attempt's call: the attempt already counts, and settling
/// it (`reconcile::settle_earlier`) ties the conversation to it, so it is not added again.
const UNSETTLED_BEFORE: Duration = Duration::minutes(10);
/// See [`UNSETTLED_BEFORE`].
const UNSETTLED_AFTER: Duration = Duration::minutes(5);

impl Ledger {
    /// A value of the ledger's `meta` table (a location's identity, when it was last checked).
    fn meta(&self, key: &str) -> anyhow::Result<Option<String>> {
        Ok(self
            .conn
            .query_row("SELECT value FROM meta WHERE key = ?1", params![key], |r| {
                r.get(0)
            })
            .optional()?)
    }

    /// The identity recorded for a location ('' for a single practice), if any.
    pub fn identity(&self, location: &str) -> anyhow::Result<Option<Identity>> {
        let value = self.meta(&identity_key(location))?;
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
    /// skipping those the ledger already has, and those that may be the call of one of its
    /// unsettled attempts to the same number, which already counts), so the per-number rules
    /// count them. They belong to no appointment. Returns how many were added.
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
            let number_key = self.number_key(&call.to_number);
            let unsettled: bool = self.conn.query_row(
                "SELECT EXISTS (SELECT 1 FROM attempts
                    WHERE location = ?1 AND number_key = ?2 AND conversation_id IS NULL
                      AND status IN ('in_flight', 'uncertain') AND counts = 1
                      AND attempted_at >= ?3 AND attempted_at <= ?4)",
                params![
                    location,
                    number_key,
                    stamp(call.started_at - UNSETTLED_BEFORE),
                    stamp(call.started_at + UNSETTLED_AFTER)
                ],
                |r| r.get(0),
            )?;
            if unsettled {
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
                    number_key,
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

    /// Records a request not to be called heard in a conversation Annie lists. Unlike
    /// [`Ledger::record_conversation`], what `outcomes` already recorded about the conversation
    /// is kept; only its `do_not_call` flag is raised. Returns whether the ledger did not know
    /// the request yet.
    pub fn add_opt_out(&self, r: &ConversationRecord<'_>) -> anyhow::Result<bool> {
        let known: Option<bool> = self
            .conn
            .query_row(
                "SELECT do_not_call FROM conversations WHERE conversation_id = ?1",
                params![r.conversation_id],
                |row| row.get(0),
            )
            .optional()?;
        match known {
            Some(true) => Ok(false),
            Some(false) => {
                self.conn
                    .execute(
                        "UPDATE conversations SET do_not_call = 1, needs_attention = 1
                         WHERE conversation_id = ?1",
                        params![r.conversation_id],
                    )
                    .with_context(|| {
                        format!("cannot write the ledger `{}`", self.path.display())
                    })?;
                Ok(true)
            }
            None => {
                self.record_conversation(r)?;
                Ok(true)
            }
        }
    }

    /// From when this ledger may not know a location's calls: when its history was last checked
    /// against (or rebuilt from) Annie's conversations, else its newest attempt for the
    /// location; `None` when it has neither. Whatever a ledger restored from an older backup has
    /// lost happened after this, since the backup holds nothing newer.
    pub fn known_until(&self, location: &str) -> anyhow::Result<Option<DateTime<Utc>>> {
        let checked = self.meta(&checked_key(location))?;
        if let Some(checked) = checked {
            return Ok(Some(parse_stamp(&checked)));
        }
        let newest: Option<String> = self.conn.query_row(
            "SELECT MAX(attempted_at) FROM attempts WHERE location = ?1",
            params![location],
            |r| r.get(0),
        )?;
        Ok(newest.map(|t| parse_stamp(&t)))
    }

    /// How many calls a location made (or may have made: an attempt whose answer never came)
    /// since `since` and since its history was last checked against Annie's conversations, whose
    /// end the ledger has not read: `outcomes` has not recorded them, or read them while they
    /// were still open (not `CLOSED`). A request not to be called heard in one of them is not
    /// in the ledger yet; a sending run's check (see `history::catch_up`) finds it in Annie
    /// before calling, a preview cannot. Calls found in Annie by a check or a rebuild are left
    /// out: that check read them. Counted per call, however many appointments it covered.
    pub fn calls_unread(&self, location: &str, since: DateTime<Utc>) -> anyhow::Result<usize> {
        let checked = self.meta(&checked_key(location))?;
        let since = checked.map_or(since, |c| parse_stamp(&c).max(since));
        let unread: i64 = self.conn.query_row(
            if self.has_locations {
                "SELECT COUNT(DISTINCT a.call_id)
                 FROM attempts a LEFT JOIN conversations c ON c.conversation_id = a.conversation_id
                 WHERE a.status != 'failed' AND a.counts = 1 AND a.run_id != ?3
                   AND a.attempted_at >= ?2 AND a.location = ?1
                   AND (c.conversation_id IS NULL OR (c.status != 'CLOSED' AND c.do_not_call = 0))"
            } else {
                "SELECT COUNT(DISTINCT a.call_id)
                 FROM attempts a LEFT JOIN conversations c ON c.conversation_id = a.conversation_id
                 WHERE a.status != 'failed' AND a.counts = 1 AND a.run_id != ?3
                   AND a.attempted_at >= ?2 AND ?1 = ''
                   AND (c.conversation_id IS NULL OR (c.status != 'CLOSED' AND c.do_not_call = 0))"
            },
            params![location, stamp(since), REBUILT],
            |r| r.get(0),
        )?;
        Ok(usize::try_from(unread).unwrap_or(0))
    }

    /// The conversations a location's calls started since `since`, newest first (at most
    /// `limit`), with when each call was made: what its organisation's key sees in Annie, so
    /// `--accept-new-key` checks a new key against them. Calls a check or a rebuild found in
    /// Annie count too: the recorded key listed them.
    pub fn conversations_of(
        &self,
        location: &str,
        since: DateTime<Utc>,
        limit: usize,
    ) -> anyhow::Result<Vec<(String, DateTime<Utc>)>> {
        let mut stmt = self.conn.prepare(if self.has_locations {
            "SELECT conversation_id, MIN(attempted_at) FROM attempts
             WHERE conversation_id IS NOT NULL AND attempted_at >= ?2 AND location = ?1
             GROUP BY conversation_id ORDER BY MIN(attempted_at) DESC, conversation_id LIMIT ?3"
        } else {
            "SELECT conversation_id, MIN(attempted_at) FROM attempts
             WHERE conversation_id IS NOT NULL AND attempted_at >= ?2 AND ?1 = ''
             GROUP BY conversation_id ORDER BY MIN(attempted_at) DESC, conversation_id LIMIT ?3"
        })?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = stmt.query_map(params![location, stamp(since), limit], |r| {
            Ok((r.get::<_, String>(0)?, parse_stamp(&r.get::<_, String>(1)?)))
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Records that a location's history was checked against (or rebuilt from) Annie's
    /// conversations that started up to `at`.
    pub fn set_known_until(&self, location: &str, at: DateTime<Utc>) -> anyhow::Result<()> {
        self.conn
            .execute(
                "INSERT INTO meta (key, value) VALUES (?1, ?2)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                params![checked_key(location), stamp(at)],
            )
            .with_context(|| format!("cannot write the ledger `{}`", self.path.display()))?;
        Ok(())
    }
}

fn checked_key(location: &str) -> String {
    format!("checked:{location}")
}

fn identity_key(location: &str) -> String {
    format!("api:{location}")
}
