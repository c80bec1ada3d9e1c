//! Stage 6: one result row per input row: what happened to it, and the counts for the summary.
//!
//! The columns are the contract with the office manager and any script reading the file:
//! change them only with a note in docs/operations.md ("Results file"). [`writer`] writes them.

pub(crate) mod writer;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use compact_str::CompactString;
use serde::Serialize;

use crate::reason::{Reason, ReasonCode};

/// The results file's columns, in order.
pub(crate) const COLUMNS: [&str; 12] = [
    "row",
    "appointment_id",
    "status",
    "conversation_id",
    "reason",
    "http_status",
    "to_number",
    "start_time",
    "attempted_at",
    "location",
    "reason_code",
    "needs_attention",
];

/// What happened to a row. The serialised names are the `status` column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Annie accepted the call and returned a conversation id.
    Sent,
    /// `--dry-run`: this call would have been sent.
    DryRun,
    /// Deliberately not called; the reason names the rule.
    Skipped,
    /// The row cannot be called until someone fixes it.
    Invalid,
    /// The API refused, or never answered.
    Failed,
    /// Would have been called, but the run stopped first (limit, refused key, signal).
    NotAttempted,
    /// A call may or may not have been placed (timeout, server error, crash). Never resent
    /// automatically: check Annie, then rerun with `--retry-uncertain` if needed.
    Uncertain,
    /// Outside calling hours now; the next run picks it up.
    Deferred,
}

impl Status {
    pub const ALL: [Status; 8] = [
        Status::Sent,
        Status::DryRun,
        Status::Skipped,
        Status::Deferred,
        Status::Invalid,
        Status::Failed,
        Status::NotAttempted,
        Status::Uncertain,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Sent => "sent",
            Status::DryRun => "dry_run",
            Status::Skipped => "skipped",
            Status::Invalid => "invalid",
            Status::Failed => "failed",
            Status::NotAttempted => "not_attempted",
            Status::Uncertain => "uncertain",
            Status::Deferred => "deferred",
        }
    }

    /// The status a `status` cell names (an outcomes file's row without a call holds one).
    pub fn parse(text: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// Whether this status needs a person's attention (and so makes the exit status 1).
    pub fn needs_attention(self) -> bool {
        matches!(
            self,
            Status::Invalid | Status::Failed | Status::NotAttempted | Status::Uncertain
        )
    }
}

/// One line of the results file. Field order is column order. The short texts (the id, the
/// masked number, the location id) are held inline: a row for every input row of a large export
/// allocates only for its reason.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RowResult {
    pub row: u64,
    pub appointment_id: Option<CompactString>,
    pub status: Status,
    pub conversation_id: Option<String>,
    pub reason: Option<String>,
    pub http_status: Option<u16>,
    /// Masked, e.g. `+1312***0147`.
    pub to_number: Option<CompactString>,
    /// RFC 3339 with the practice's offset. Shared with the call's member and the other rows of
    /// the same start (see [`crate::plan::Member`]).
    #[serde(serialize_with = "shared_text")]
    pub start_time: Option<Arc<str>>,
    /// RFC 3339 UTC, when the request was sent.
    pub attempted_at: Option<String>,
    /// The `[[locations]]` id the row belongs to; empty for a single practice, or when the row's
    /// location could not be read. Last, so scripts reading the earlier columns by position
    /// keep working.
    pub location: Option<CompactString>,
    /// The stable code of `reason` (see [`ReasonCode`]); after `location` for the same reason.
    pub reason_code: Option<ReasonCode>,
    /// No run can call this row before its appointment: deferred or skipped past its calling
    /// day, or moved after its reminder and not reminded again. Its status keeps its meaning
    /// (`deferred`, `skipped`); this says a person must remind the patient. Written as the
    /// `needs_attention` column (with the status's own need), see [`RowResult::needs_attention`].
    #[serde(skip)]
    pub uncovered: bool,
}

/// A shared text, written as the text (serde writes an `Arc` only with its `rc` feature).
fn shared_text<S: serde::Serializer>(text: &Option<Arc<str>>, s: S) -> Result<S::Ok, S::Error> {
    text.as_deref().serialize(s)
}

impl RowResult {
    /// Whether a person must act on this row: its status needs attention (failed, invalid, ...)
    /// or no run will reach the patient before the appointment. The `needs_attention` column,
    /// the exit status and the report's list of rows to follow up all go by this.
    pub fn needs_attention(&self) -> bool {
        self.uncovered || self.status.needs_attention()
    }

    /// Flags the row as one no run will call before its appointment, saying what to do.
    pub fn flag_uncovered(&mut self, what_to_do: &str) {
        if self.uncovered {
            return;
        }
        self.uncovered = true;
        self.reason = Some(match self.reason.take().filter(|r| !r.is_empty()) {
            Some(mut reason) => {
                reason.push_str("; ");
                reason.push_str(what_to_do);
                reason
            }
            None => what_to_do.to_string(),
        });
    }

    /// Sets the reason and its code.
    pub fn set_reason(&mut self, reason: Option<Reason>) {
        self.reason_code = reason.as_ref().map(|r| r.code);
        self.reason = reason.map(|r| r.text);
    }
}

/// Counts per status and timing, for the summary line and the exit status.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Summary {
    pub counts: BTreeMap<Status, usize>,
    /// Rows per status and reason code (a row without a code is not counted here).
    pub codes: BTreeMap<(Status, ReasonCode), usize>,
    pub elapsed: Duration,
    /// `POST /calls` requests that left for the API (retries included, connections that failed
    /// before sending not), for the achieved rate: set by the run from the dispatchers' count,
    /// since a household's rows share one request.
    pub requests: usize,
    /// Counts per location id, for a group of practices (empty for a single practice).
    pub by_location: BTreeMap<String, BTreeMap<Status, usize>>,
    /// Location id → name, for people.
    pub location_names: BTreeMap<String, String>,
    /// Rows whose status does not itself need a person but that no run will call before their
    /// appointment ([`RowResult::uncovered`]).
    pub uncovered: usize,
    /// The rows whose appointment's day could be read, and those on a day this run calls about
    /// (set by the engine from the selected rows, see [`crate::select::days_seen`]).
    pub days: DaysSeen,
}

/// Rows with an appointment start that can be read (`dated`), and those of them that fall on a
/// day the run calls about, whatever their status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DaysSeen {
    pub dated: usize,
    pub on_the_day: usize,
}

impl std::ops::AddAssign for DaysSeen {
    fn add_assign(&mut self, other: DaysSeen) {
        self.dated += other.dated;
        self.on_the_day += other.on_the_day;
    }
}

impl Summary {
    /// An empty summary that names a group's locations (id, name) in its lines.
    pub fn for_locations<'a>(locations: impl Iterator<Item = (&'a str, &'a str)>) -> Summary {
        let mut summary = Summary::default();
        for (id, name) in locations.filter(|(id, _)| !id.is_empty()) {
            summary
                .location_names
                .insert(id.to_string(), name.to_string());
            summary.by_location.insert(id.to_string(), BTreeMap::new());
        }
        summary
    }

    pub fn record(&mut self, row: &RowResult) {
        *self.counts.entry(row.status).or_default() += 1;
        if let Some(code) = row.reason_code {
            *self.codes.entry((row.status, code)).or_default() += 1;
        }
        if let Some(location) = &row.location {
            *self
                .by_location
                .entry(location.to_string())
                .or_default()
                .entry(row.status)
                .or_default() += 1;
        }
        if row.uncovered && !row.status.needs_attention() {
            self.uncovered += 1;
        }
    }

    pub fn count(&self, status: Status) -> usize {
        self.counts.get(&status).copied().unwrap_or(0)
    }

    pub fn total(&self) -> usize {
        self.counts.values().sum()
    }

    /// Rows per reason code, whatever their status, most frequent first (then by name).
    pub fn by_code(&self) -> Vec<(ReasonCode, usize)> {
        let mut totals: BTreeMap<ReasonCode, usize> = BTreeMap::new();
        for ((_, code), n) in &self.codes {
            *totals.entry(*code).or_default() += n;
        }
        let mut totals: Vec<(ReasonCode, usize)> = totals.into_iter().collect();
        totals.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.as_str().cmp(b.0.as_str())));
        totals
    }

    /// A location's name (its id when it has none).
    pub fn location_name<'a>(&'a self, id: &'a str) -> &'a str {
        self.location_names.get(id).map_or(id, String::as_str)
    }

    /// Per location: `North Clinic: 8 sent, 1 failed`, one entry per location.
    pub fn location_parts(&self) -> Vec<String> {
        self.by_location
            .iter()
            .map(|(id, counts)| {
                let parts = status_parts(counts);
                let parts = if parts.is_empty() {
                    "no rows".to_string()
                } else {
                    parts.join(", ")
                };
                format!("{}: {parts}", self.location_name(id))
            })
            .collect()
    }

    /// True when some row needs a person: cron should alert.
    pub fn needs_attention(&self) -> bool {
        self.uncovered > 0
            || self.none_on_the_day()
            || self
                .counts
                .iter()
                .any(|(status, n)| *n > 0 && status.needs_attention())
    }

    /// Whether no appointment of the export is on a day this run calls about, whatever its
    /// status (a confirmed or cancelled row for the wrong day counts as the wrong day too): an
    /// export of the wrong day (or a window set wrong), which would otherwise end quietly with
    /// nobody called. An export without a row whose day can be read says nothing of its day.
    pub fn none_on_the_day(&self) -> bool {
        self.days.dated > 0 && self.days.on_the_day == 0
    }

    /// Machine-readable counts for monitoring (`--summary-json`), with the exit status the run
    /// ends with (computed by the caller from these counts: see `exit::for_summary`).
    pub fn to_json(&self, results: &Path, exit_status: u8) -> serde_json::Value {
        let counts = |c: &BTreeMap<Status, usize>| -> serde_json::Map<String, serde_json::Value> {
            Status::ALL
                .iter()
                .map(|s| {
                    (
                        s.as_str().to_string(),
                        c.get(s).copied().unwrap_or(0).into(),
                    )
                })
                .collect()
        };
        let locations: serde_json::Map<String, serde_json::Value> = self
            .by_location
            .iter()
            .map(|(id, c)| {
                let entry = serde_json::json!({
                    "name": self.location_name(id),
                    "rows": c.values().sum::<usize>(),
                    "counts": counts(c),
                });
                (id.clone(), entry)
            })
            .collect();
        serde_json::json!({
            "rows": self.total(),
            "counts": counts(&self.counts),
            "reason_codes": self
                .by_code()
                .into_iter()
                .map(|(code, n)| (code.as_str().to_string(), serde_json::Value::from(n)))
                .collect::<serde_json::Map<_, _>>(),
            "locations": locations,
            "requests": self.requests,
            "not_before_appointment": self.uncovered,
            "elapsed_seconds": (self.elapsed.as_secs_f64() * 1000.0).round() / 1000.0,
            "exit_status": exit_status,
            "results_file": results.display().to_string(),
        })
    }

    /// One line for stderr: `12 rows: 8 sent, 2 skipped (1 opted_out, 1 already_confirmed),
    /// 2 invalid (2 no_valid_phone) in 9.1s (8 requests, 53/min)`, then, for a group, each
    /// location's counts.
    pub fn line(&self) -> String {
        let parts: Vec<String> = Status::ALL
            .iter()
            .filter(|status| self.count(**status) > 0)
            .map(|&status| {
                let part = format!("{} {}", self.count(status), status.as_str());
                match self.code_parts(status) {
                    codes if codes.is_empty() => part,
                    codes => format!("{part} ({})", codes.join(", ")),
                }
            })
            .collect();
        let secs = self.elapsed.as_secs_f64();
        // A rate over a second or less (one call answered in milliseconds) says nothing an
        // operator can compare with `requests_per_minute`. The rate is an average over the whole
        // run, waits included: after a held call (15 minutes of `same_number_spacing`) it is a
        // fraction of one a minute, said as "under 1/min", never as a false "0/min".
        let requests = match (self.requests, secs) {
            (1, _) => "1 request".to_string(),
            (n, s) if n > 1 && s >= 1.0 => match n as f64 * 60.0 / s {
                rate if rate < 1.0 => format!("{n} requests, under 1/min on average"),
                rate => format!("{n} requests, {rate:.0}/min"),
            },
            (n, _) => format!("{n} requests"),
        };
        let mut line = format!(
            "{} row{}: {} in {:.1}s ({requests})",
            self.total(),
            if self.total() == 1 { "" } else { "s" },
            if parts.is_empty() {
                "nothing to do".to_string()
            } else {
                parts.join(", ")
            },
            secs,
        );
        if self.uncovered > 0 {
            line.push_str(&format!(
                "; {} need{} a person: no run can call {} before the appointment (see \
                 needs_attention in the results)",
                self.uncovered,
                if self.uncovered == 1 { "s" } else { "" },
                if self.uncovered == 1 { "it" } else { "them" },
            ));
        }
        if self.none_on_the_day() {
            line.push_str(
                "; no appointment in this export is on the day this run calls about: is it the \
                 right export (or the right --now)?",
            );
        }
        for part in self.location_parts() {
            line.push_str("; ");
            line.push_str(&part);
        }
        line
    }
}

impl Summary {
    /// `1 opted_out, 1 already_confirmed` for one status, most frequent first; empty when the
    /// status's rows carry no code (a dry run's `would_call` is left out: it says nothing more).
    fn code_parts(&self, status: Status) -> Vec<String> {
        let mut codes: Vec<(ReasonCode, usize)> = self
            .codes
            .iter()
            .filter(|((s, code), _)| *s == status && *code != ReasonCode::WouldCall)
            .map(|((_, code), n)| (*code, *n))
            .collect();
        codes.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.as_str().cmp(b.0.as_str())));
        codes.iter().map(|(c, n)| format!("{n} {c}")).collect()
    }
}

/// `8 sent, 2 skipped`, in the order of [`Status::ALL`], leaving out zeros.
fn status_parts(counts: &BTreeMap<Status, usize>) -> Vec<String> {
    Status::ALL
        .iter()
        .filter_map(|s| {
            counts
                .get(s)
                .filter(|n| **n > 0)
                .map(|n| format!("{n} {}", s.as_str()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The request count and, over a second or more, the rate per minute (what
    /// `requests_per_minute` is given in); never a rate over a few milliseconds.
    #[test]
    fn the_summary_line_gives_a_rate_only_when_it_means_something() {
        let line = |requests: usize, millis: u64| {
            let summary = Summary {
                requests,
                elapsed: Duration::from_millis(millis),
                ..Summary::default()
            };
            summary.line()
        };
        assert!(
            line(1, 3).ends_with("in 0.0s (1 request)"),
            "{}",
            line(1, 3)
        );
        assert!(
            line(8, 9_100).ends_with("in 9.1s (8 requests, 53/min)"),
            "{}",
            line(8, 9_100)
        );
        assert!(
            line(2, 400).ends_with("in 0.4s (2 requests)"),
            "{}",
            line(2, 400)
        );
        assert!(line(0, 50).ends_with("(0 requests)"), "{}", line(0, 50));
        // Five requests around a 15-minute hold: not "0/min".
        assert!(
            line(5, 901_000).ends_with("in 901.0s (5 requests, under 1/min on average)"),
            "{}",
            line(5, 901_000)
        );
        assert!(
            line(2, 80_000).ends_with("in 80.0s (2 requests, 2/min)"),
            "{}",
            line(2, 80_000)
        );
    }
}
