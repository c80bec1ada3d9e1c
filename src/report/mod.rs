//! `--report FILE.html`: one self-contained page (no scripts, no external assets, inline CSS) a
//! practice manager can open the morning after: what the calls were for, how many rows ended how
//! and why, when the calls went out, and which rows need a person and what to do about each.
//!
//! `run` reports its results rows, `outcomes` its outcome rows; both become [`Entry`]s, so the
//! page is built (and tested) once. Building it is two steps: pure functions turn the entries
//! into plain serialisable data ([`View`]), and `page.html.j2` lays that out. The template is
//! rendered by minijinja with HTML auto-escaping, so every value that came from an export or from
//! Annie is escaped without the Rust side having to remember to.
//!
//! Every time on the page is in the zone of the location it belongs to, with the zone's
//! abbreviation: the office reads its own clock, never UTC.

mod chart;
mod words;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use anyhow::Context;
use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use minijinja::{AutoEscape, Environment, UndefinedBehavior};
use serde::Serialize;

use crate::calling_day::DATE;
use crate::locations::Location;
use crate::reason::ReasonCode;
use crate::results::{RowResult, Status};

pub(crate) use words::what_to_do;
pub(crate) use words::Happened;

/// The page's layout, embedded so the binary needs no file beside it.
const TEMPLATE: &str = include_str!("page.html.j2");
/// Its name: the `.html` tells minijinja to escape for HTML.
const TEMPLATE_NAME: &str = "page.html.j2";

/// Which command's page this is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// `run`: the results of the calls.
    Run,
    /// `run --dry-run`: nothing was sent.
    Preview,
    /// `outcomes`: what happened on the calls.
    Outcomes,
}

impl Kind {
    fn what(self) -> &'static str {
        match self {
            Kind::Run => "confirmation calls",
            Kind::Preview => "preview of confirmation calls (dry run: nothing was sent)",
            Kind::Outcomes => "outcomes of confirmation calls",
        }
    }
}

/// One row of the page.
#[derive(Debug, Clone)]
pub(crate) struct Entry<'a> {
    pub row: u64,
    /// The `[[locations]]` id; `None` for a single practice or an unreadable location.
    pub location: Option<&'a str>,
    pub appointment_id: &'a str,
    pub happened: Happened,
    /// The results row's reason code (outcomes: of a row on which no call was made).
    pub code: Option<ReasonCode>,
    pub needs_attention: bool,
    pub reason: &'a str,
    /// RFC 3339 (UTC in the results), when the call was started.
    pub attempted_at: Option<&'a str>,
    /// RFC 3339 with the practice's offset: the appointment.
    pub start_time: Option<&'a str>,
    /// Masked, as in the results file.
    pub to_number: Option<&'a str>,
}

impl<'a> Entry<'a> {
    pub(crate) fn of_result(r: &'a RowResult) -> Entry<'a> {
        Entry {
            row: r.row,
            location: r.location.as_deref(),
            appointment_id: r.appointment_id.as_deref().unwrap_or(""),
            happened: Happened::Status(r.status),
            code: r.reason_code,
            // A row no run will reach before its appointment needs a person whatever its status.
            needs_attention: r.needs_attention(),
            reason: r.reason.as_deref().unwrap_or(""),
            attempted_at: r.attempted_at.as_deref(),
            start_time: r.start_time.as_deref(),
            to_number: r.to_number.as_deref(),
        }
    }
}

/// A location as the page names it, and the zone its times are shown in.
#[derive(Debug, Clone)]
pub(crate) struct Place {
    /// The `[[locations]]` id; empty for a single practice.
    pub id: String,
    pub name: String,
    pub zone: Tz,
}

/// What the page is about.
#[derive(Debug, Clone)]
pub(crate) struct Page {
    pub kind: Kind,
    /// The single practice's name, or the group's (`[practice] name`).
    pub name: String,
    /// Every location (one with an empty id for a single practice).
    pub places: Vec<Place>,
    /// `Calls made Mon 23 Nov 2026 for appointments on Tue 24 Nov 2026`.
    pub days: String,
    /// The calling dates (`Mon 23 Nov 2026`), for the title.
    pub dates: Vec<String>,
    /// A `run --sandbox` rehearsal's page: marked so that only a rehearsal or a preview replaces
    /// it, and a rehearsal never replaces a real night's (see `settings::paths`).
    pub rehearsal: bool,
}

impl Page {
    pub(crate) fn new(
        kind: Kind,
        name: &str,
        locations: &[Location],
        days: String,
        dates: Vec<String>,
    ) -> Page {
        Page {
            kind,
            name: name.to_string(),
            places: locations
                .iter()
                .map(|l| Place {
                    id: l.id.clone(),
                    name: l.practice.name.clone(),
                    zone: l.practice.timezone,
                })
                .collect(),
            days,
            dates,
            rehearsal: false,
        }
    }

    /// For `outcomes`, which has no calling day of its own: the days the calls were made and
    /// the appointments they were about, read from the rows.
    pub(crate) fn with_days_of(mut self, entries: &[Entry<'_>]) -> Page {
        (self.days, self.dates) = days_of_calls(&self, entries);
        self
    }

    fn grouped(&self) -> bool {
        self.places.iter().any(|p| !p.id.is_empty())
    }

    /// The zone a row's times are shown in: its location's; for a row without a known location,
    /// the first location's (a single practice's own).
    fn zone(&self, location: Option<&str>) -> Tz {
        let place = location.and_then(|id| self.places.iter().find(|p| p.id == id));
        place
            .or(self.places.first())
            .map_or(chrono_tz::UTC, |p| p.zone)
    }

    fn location_name(&self, id: Option<&str>) -> String {
        match id {
            None if self.grouped() => "no location (unreadable or unknown)".to_string(),
            None => self.name.clone(),
            Some(id) => self
                .places
                .iter()
                .find(|p| p.id == id)
                .map_or(id.to_string(), |p| p.name.clone()),
        }
    }
}

/// Writes the page for `entries`.
pub(crate) fn write(path: &Path, page: &Page, entries: &[Entry<'_>]) -> anyhow::Result<()> {
    let html = html(page, entries)?;
    crate::private_file::replace(path, |w| std::io::Write::write_all(w, html.as_bytes()))
        .with_context(|| format!("cannot write the report `{}`", path.display()))
}

/// The page. Pure, so tests can read it without a browser.
pub(crate) fn html(page: &Page, entries: &[Entry<'_>]) -> anyhow::Result<String> {
    let mut env = Environment::new();
    // Said here rather than left to the name: the page is HTML whatever the file is called.
    env.set_auto_escape_callback(|_| AutoEscape::Html);
    // A misspelt field is an error in the tests, not a blank on the page.
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.add_template(TEMPLATE_NAME, TEMPLATE)
        .context("internal error: the report's template")?;
    let view = view(page, entries);
    env.get_template(TEMPLATE_NAME)
        .and_then(|t| t.render(&view))
        .context("internal error: cannot lay out the report")
}

/// Everything the template shows, worked out.
#[derive(Debug, Serialize)]
struct View {
    /// What made the page (`run`, `preview`, `rehearsal`, `outcomes`), in a mark of its head.
    made_by: &'static str,
    /// `Bright Smile Dental: confirmation calls, Mon 23 Nov 2026`.
    title: String,
    name: String,
    /// `Confirmation calls`.
    heading: String,
    days: String,
    /// What "Calls over time" says without any.
    no_calls: &'static str,
    rows: usize,
    /// Outcomes count what happened on calls, a run its statuses.
    counts_heading: &'static str,
    counts_column: &'static str,
    counts: Vec<Count>,
    reasons: Vec<ReasonRow>,
    /// Per location, for a group only.
    locations: Option<Locations>,
    charts: Vec<chart::Chart>,
    grouped: bool,
    attention: Vec<Attention>,
}

#[derive(Debug, Serialize, PartialEq)]
struct Count {
    key: &'static str,
    words: &'static str,
    rows: usize,
}

/// Rows not called, for one reason code (and status).
#[derive(Debug, Serialize, PartialEq)]
struct ReasonRow {
    /// Empty for rows without a code.
    code: &'static str,
    words: &'static str,
    status: &'static str,
    status_words: &'static str,
    rows: usize,
}

#[derive(Debug, Serialize)]
struct Locations {
    columns: Vec<Count>,
    rows: Vec<LocationRow>,
}

#[derive(Debug, Serialize)]
struct LocationRow {
    id: String,
    name: String,
    cells: Vec<Count>,
    rows: usize,
    attention: usize,
}

/// A row that needs a person: only what is safe to show (no names, the number masked).
#[derive(Debug, Serialize, PartialEq)]
struct Attention {
    row: u64,
    appointment_id: String,
    /// `Tue 24 Nov 09:00 CST`, in the location's zone.
    time: String,
    number: String,
    location: String,
    happened: &'static str,
    /// The code in plain words, and the code; empty when the row has none.
    reason_words: &'static str,
    code: &'static str,
    /// This row's own sentence (which column, which rule).
    reason: String,
    todo: String,
}

fn view(page: &Page, entries: &[Entry<'_>]) -> View {
    let title = match page.dates.is_empty() {
        true => format!("{}: {}", page.name, page.kind.what()),
        false => format!(
            "{}: {}, {}",
            page.name,
            page.kind.what(),
            page.dates.join(" and ")
        ),
    };
    View {
        made_by: match (page.kind, page.rehearsal) {
            (Kind::Preview, _) => "preview",
            (Kind::Outcomes, _) => "outcomes",
            (Kind::Run, true) => "rehearsal",
            (Kind::Run, false) => "run",
        },
        title,
        name: page.name.clone(),
        heading: capitalised(page.kind.what()),
        days: page.days.clone(),
        no_calls: match page.kind {
            Kind::Preview => "None: a dry run sends nothing.",
            Kind::Run | Kind::Outcomes => "No calls were made.",
        },
        rows: entries.len(),
        counts_heading: match page.kind {
            Kind::Outcomes => "What happened",
            Kind::Run | Kind::Preview => "By status",
        },
        counts_column: match page.kind {
            Kind::Outcomes => "Call or status",
            Kind::Run | Kind::Preview => "Status",
        },
        counts: counts(entries.iter()),
        reasons: reasons(entries),
        locations: page.grouped().then(|| locations(page, entries)),
        charts: charts(page, entries),
        grouped: page.grouped(),
        attention: attention(page, entries),
    }
}

/// Rows per status (or outcome), in the documentation's order; only those that occur.
fn counts<'a>(entries: impl Iterator<Item = &'a Entry<'a>>) -> Vec<Count> {
    let mut counts: BTreeMap<(usize, &'static str), (Happened, usize)> = BTreeMap::new();
    for e in entries {
        let h = e.happened;
        counts.entry((h.order(), h.key())).or_insert((h, 0)).1 += 1;
    }
    counts
        .into_values()
        .map(|(h, rows)| Count {
            key: h.key(),
            words: h.words(),
            rows,
        })
        .collect()
}

/// Rows on which no call was made (nor would be, in a dry run), per reason code and status,
/// in the codes' documented order. The counts are the results file's `reason_code` column's.
fn reasons(entries: &[Entry<'_>]) -> Vec<ReasonRow> {
    let mut counts: BTreeMap<(Option<ReasonCode>, usize), (Status, usize)> = BTreeMap::new();
    for e in entries {
        let Happened::Status(status) = e.happened else {
            continue;
        };
        if matches!(status, Status::Sent | Status::DryRun) {
            continue;
        }
        let order = Happened::Status(status).order();
        counts.entry((e.code, order)).or_insert((status, 0)).1 += 1;
    }
    let mut rows: Vec<ReasonRow> = counts
        .into_iter()
        .map(|((code, _), (status, rows))| ReasonRow {
            code: code.map_or("", ReasonCode::as_str),
            words: code.map_or("no reason code (an older results file)", |c| c.describe()),
            status: status.as_str(),
            status_words: words::status_words(status),
            rows,
        })
        .collect();
    // Rows without a code last (`None` sorts first).
    rows.sort_by_key(|r| r.code.is_empty());
    rows
}

/// One line per location, one column per status; rows whose location could not be read get a
/// line of their own.
fn locations(page: &Page, entries: &[Entry<'_>]) -> Locations {
    let columns = counts(entries.iter());
    let mut ids: Vec<Option<&str>> = page.places.iter().map(|p| Some(p.id.as_str())).collect();
    if entries.iter().any(|e| e.location.is_none()) {
        ids.push(None);
    }
    let rows = ids
        .into_iter()
        .map(|id| {
            let mine: Vec<&Entry<'_>> = entries.iter().filter(|e| e.location == id).collect();
            let here = counts(mine.iter().copied());
            let cells = columns
                .iter()
                .map(|c| Count {
                    rows: here.iter().find(|h| h.key == c.key).map_or(0, |h| h.rows),
                    ..*c
                })
                .collect();
            LocationRow {
                id: id.unwrap_or("").to_string(),
                name: page.location_name(id),
                cells,
                rows: mine.len(),
                attention: mine.iter().filter(|e| e.needs_attention).count(),
            }
        })
        .collect();
    Locations { columns, rows }
}

/// One chart per zone (one for a single practice or a group in one zone).
fn charts(page: &Page, entries: &[Entry<'_>]) -> Vec<chart::Chart> {
    // In the locations' order, each zone once, with the names of its locations.
    let mut zones: Vec<(Tz, Vec<String>, Vec<DateTime<Utc>>)> = Vec::new();
    for p in &page.places {
        match zones.iter_mut().find(|(z, _, _)| *z == p.zone) {
            Some((_, names, _)) => names.push(p.name.clone()),
            None => zones.push((p.zone, vec![p.name.clone()], Vec::new())),
        }
    }
    for e in entries {
        let Some(at) = e.attempted_at.and_then(parse) else {
            continue;
        };
        let zone = page.zone(e.location);
        match zones.iter_mut().find(|(z, _, _)| *z == zone) {
            Some((_, _, times)) => times.push(at.with_timezone(&Utc)),
            None => zones.push((zone, Vec::new(), vec![at.with_timezone(&Utc)])),
        }
    }
    zones.retain(|(_, _, times)| !times.is_empty());
    let several = zones.len() > 1;
    zones
        .into_iter()
        .filter_map(|(zone, names, times)| {
            let whose = match several {
                true => names.join(", "),
                false => String::new(),
            };
            chart::chart(whose, zone, &times)
        })
        .collect()
}

/// The rows that need a person, by appointment time (rows without one last, by row).
fn attention(page: &Page, entries: &[Entry<'_>]) -> Vec<Attention> {
    let mut rows: Vec<&Entry<'_>> = entries.iter().filter(|e| e.needs_attention).collect();
    rows.sort_by_key(|e| (e.start_time.and_then(parse).is_none(), start(e), e.row));
    rows.into_iter()
        .map(|e| {
            let zone = page.zone(e.location);
            let time = e.start_time.and_then(parse).map_or(String::new(), |t| {
                t.with_timezone(&zone)
                    .format("%a %-d %b %H:%M %Z")
                    .to_string()
            });
            Attention {
                row: e.row,
                appointment_id: e.appointment_id.to_string(),
                time,
                number: e.to_number.unwrap_or("").to_string(),
                location: page.location_name(e.location),
                happened: e.happened.words(),
                reason_words: e.code.map_or("", ReasonCode::describe),
                code: e.code.map_or("", ReasonCode::as_str),
                reason: e.reason.to_string(),
                todo: todo(page, e),
            }
        })
        .collect()
}

/// What a person does about a listed row. A report made after the night's run (`outcomes`, the
/// morning after) cannot promise that a rerun calls the patient, as `run --report` does on the
/// calling day: see [`words::after_the_night`].
fn todo(page: &Page, e: &Entry<'_>) -> String {
    let text = what_to_do(e.happened, e.code).unwrap_or(match e.happened {
        // Skipped or deferred, yet listed: no run reaches the patient in time.
        Happened::Status(Status::Skipped | Status::Deferred) => {
            "No run can call this patient before the appointment: remind them another way (a \
             call from the office, a text)."
        }
        _ => "Read the reason, and follow up with the patient.",
    });
    match (&page.kind, e.happened) {
        (Kind::Outcomes, Happened::Status(_)) => words::after_the_night(text),
        _ => text.to_string(),
    }
}

fn start(e: &Entry<'_>) -> Option<DateTime<Utc>> {
    e.start_time.and_then(parse).map(|t| t.with_timezone(&Utc))
}

fn parse(text: &str) -> Option<DateTime<chrono::FixedOffset>> {
    DateTime::parse_from_rfc3339(text.trim()).ok()
}

/// The days the calls were made and the days of their appointments, each in its location's
/// zone: `Calls made Mon 23 Nov 2026 for appointments on Tue 24 Nov 2026`.
fn days_of_calls(page: &Page, entries: &[Entry<'_>]) -> (String, Vec<String>) {
    let mut made: BTreeSet<NaiveDate> = BTreeSet::new();
    let mut for_days: BTreeSet<NaiveDate> = BTreeSet::new();
    for e in entries {
        let Some(at) = e.attempted_at.and_then(parse) else {
            continue;
        };
        let zone = page.zone(e.location);
        made.insert(at.with_timezone(&zone).date_naive());
        if let Some(start) = e.start_time.and_then(parse) {
            for_days.insert(start.with_timezone(&zone).date_naive());
        }
    }
    let dates = |days: &BTreeSet<NaiveDate>| -> Vec<String> {
        days.iter().map(|d| d.format(DATE).to_string()).collect()
    };
    let (made, for_days) = (dates(&made), dates(&for_days));
    let text = match (made.is_empty(), for_days.is_empty()) {
        (true, _) => "No calls were made".to_string(),
        (false, true) => format!("Calls made {}", and(&made)),
        (false, false) => format!(
            "Calls made {} for appointments on {}",
            and(&made),
            and(&for_days)
        ),
    };
    (text, made)
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map_or(String::new(), |first| {
        first.to_uppercase().chain(chars).collect()
    })
}

/// `a`, `a and b`, `a, b and c`.
fn and(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

#[cfg(test)]
mod tests;
