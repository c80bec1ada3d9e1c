//! `--report FILE.html`: one self-contained page (no external assets, no scripts) an office
//! manager can open: counts per status and per location, calls over time, and the rows that
//! need a person. `run` reports its results rows, `outcomes` its outcome rows; both become
//! [`Entry`]s, so the page is built (and tested) once.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use anyhow::Context;

use crate::results::{RowResult, Status};

/// One row of the page.
#[derive(Debug, Clone)]
pub struct Entry<'a> {
    pub row: u64,
    /// The `[[locations]]` id; `None` for a single practice or an unreadable location.
    pub location: Option<&'a str>,
    pub appointment_id: &'a str,
    /// The results status (`sent`, `failed`) or, for outcomes, the conversation's status.
    pub status: &'a str,
    pub needs_attention: bool,
    pub reason: &'a str,
    /// RFC 3339 UTC, when the call was started.
    pub attempted_at: Option<&'a str>,
}

impl<'a> Entry<'a> {
    pub fn of_result(r: &'a RowResult) -> Entry<'a> {
        Entry {
            row: r.row,
            location: r.location.as_deref(),
            appointment_id: r.appointment_id.as_deref().unwrap_or(""),
            status: r.status.as_str(),
            needs_attention: r.status.needs_attention(),
            reason: r.reason.as_deref().unwrap_or(""),
            attempted_at: r.attempted_at.as_deref(),
        }
    }
}

/// What the page is about.
pub struct Page<'a> {
    pub title: &'a str,
    /// The single practice's name (a group's locations are named by `location_names`).
    pub practice: &'a str,
    /// Location id → name; empty for a single practice.
    pub location_names: &'a BTreeMap<String, String>,
    /// The order statuses are listed in (any others follow, alphabetically).
    pub status_order: Vec<&'a str>,
}

/// The run's results as a page.
pub fn for_results<'a>(
    title: &'a str,
    practice: &'a str,
    location_names: &'a BTreeMap<String, String>,
) -> Page<'a> {
    Page {
        title,
        practice,
        location_names,
        status_order: Status::ALL.iter().map(|s| s.as_str()).collect(),
    }
}

/// Writes the page for `entries`.
pub fn write(path: &Path, page: &Page<'_>, entries: &[Entry<'_>]) -> anyhow::Result<()> {
    let page = html(page, entries);
    crate::private_file::replace(path, |w| std::io::Write::write_all(w, page.as_bytes()))
        .with_context(|| format!("cannot write the report `{}`", path.display()))
}

/// The page. Pure, so tests can read it without a browser.
pub fn html(page: &Page<'_>, entries: &[Entry<'_>]) -> String {
    let mut out = String::new();
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{t}</title>\
         <style>body{{font-family:sans-serif;margin:2em;color:#222}}table{{border-collapse:collapse;margin:1em 0}}\
         td,th{{border:1px solid #ccc;padding:.3em .6em;text-align:left}}th{{background:#f0f0f0}}\
         .attention{{color:#a00}}svg rect{{fill:#3b7dd8}}svg text{{fill:#222}}</style></head><body>\
         <h1>{t}</h1><p id=\"total\">{n} rows</p>",
        t = escape(page.title),
        n = entries.len()
    );
    let totals = count(entries.iter());
    let statuses = page.statuses(&totals);
    out.push_str("<h2>By status</h2><table id=\"counts\"><tr><th>status</th><th>rows</th></tr>");
    for status in &statuses {
        let _ = write!(
            out,
            "<tr><td>{s}</td><td class=\"count\" data-status=\"{s}\">{n}</td></tr>",
            s = escape(status),
            n = totals[status.as_str()]
        );
    }
    out.push_str("</table>");
    out.push_str(&by_location(page, entries, &statuses));
    out.push_str(&calls_over_time(entries));
    out.push_str(&needs_a_person(page, entries));
    out.push_str("</body></html>\n");
    out
}

impl Page<'_> {
    /// The statuses that occur, in the page's order.
    fn statuses(&self, totals: &BTreeMap<&str, usize>) -> Vec<String> {
        let mut ordered: Vec<String> = self
            .status_order
            .iter()
            .filter(|s| totals.contains_key(*s))
            .map(|s| s.to_string())
            .collect();
        for s in totals.keys() {
            if !self.status_order.contains(s) {
                ordered.push(s.to_string());
            }
        }
        ordered
    }

    fn grouped(&self) -> bool {
        !self.location_names.is_empty()
    }

    fn location_name<'b>(&'b self, id: Option<&'b str>) -> &'b str {
        match id {
            None if self.grouped() => "no location (unreadable or unknown)",
            None => self.practice,
            Some(id) => self.location_names.get(id).map_or(id, String::as_str),
        }
    }
}

fn count<'a>(entries: impl Iterator<Item = &'a Entry<'a>>) -> BTreeMap<&'a str, usize> {
    let mut counts = BTreeMap::new();
    for e in entries {
        *counts.entry(e.status).or_default() += 1;
    }
    counts
}

/// One line per location (the practice alone when there are no `[[locations]]`), one column per
/// status. Rows whose location could not be read get a line of their own.
fn by_location(page: &Page<'_>, entries: &[Entry<'_>], statuses: &[String]) -> String {
    let mut ids: Vec<Option<&str>> = page
        .location_names
        .keys()
        .map(|k| Some(k.as_str()))
        .collect();
    if !page.grouped() || entries.iter().any(|e| e.location.is_none()) {
        ids.push(None);
    }
    let mut html =
        String::from("<h2>By location</h2><table id=\"locations\"><tr><th>location</th>");
    for s in statuses {
        let _ = write!(html, "<th>{}</th>", escape(s));
    }
    html.push_str("<th>rows</th><th>need a person</th></tr>");
    for id in ids {
        let mine: Vec<&Entry<'_>> = entries.iter().filter(|e| e.location == id).collect();
        let counts = count(mine.iter().copied());
        let _ = write!(html, "<tr><td>{}</td>", escape(page.location_name(id)));
        for s in statuses {
            let n = counts.get(s.as_str()).copied().unwrap_or(0);
            let _ = write!(
                html,
                "<td data-location=\"{}\" data-status=\"{}\">{n}</td>",
                escape(id.unwrap_or("")),
                escape(s)
            );
        }
        let attention = mine.iter().filter(|e| e.needs_attention).count();
        let _ = write!(html, "<td>{}</td><td>{attention}</td></tr>", mine.len());
    }
    html.push_str("</table>");
    html
}

/// The rows an office person must act on, with the reason.
fn needs_a_person(page: &Page<'_>, entries: &[Entry<'_>]) -> String {
    let attention: Vec<&Entry<'_>> = entries.iter().filter(|e| e.needs_attention).collect();
    let mut html = String::new();
    let _ = write!(
        html,
        "<h2 class=\"attention\">Needs a person ({})</h2><table id=\"attention\">\
         <tr><th>row</th>{}<th>appointment</th><th>status</th><th>reason</th></tr>",
        attention.len(),
        if page.grouped() {
            "<th>location</th>"
        } else {
            ""
        }
    );
    for e in attention {
        let location = match page.grouped() {
            true => format!("<td>{}</td>", escape(page.location_name(e.location))),
            false => String::new(),
        };
        let _ = write!(
            html,
            "<tr><td>{}</td>{location}<td>{}</td><td>{}</td><td>{}</td></tr>",
            e.row,
            escape(e.appointment_id),
            escape(e.status),
            escape(e.reason)
        );
    }
    html.push_str("</table>");
    html
}

/// Requests per minute, as an inline SVG bar chart.
fn calls_over_time(entries: &[Entry<'_>]) -> String {
    let mut per_minute: BTreeMap<String, usize> = BTreeMap::new();
    for r in entries {
        if let Some(t) = r.attempted_at.and_then(|t| t.get(..16)) {
            *per_minute.entry(t.replace('T', " ")).or_default() += 1;
        }
    }
    if per_minute.is_empty() {
        return "<h2>Calls over time</h2><p>No requests were made.</p>".to_string();
    }
    let max = per_minute.values().copied().max().unwrap_or(1).max(1);
    let (bar, height, top) = (40, 120, 20);
    let last = per_minute.len() - 1;
    let mut svg = format!(
        "<h2>Calls over time (UTC, per minute)</h2><svg id=\"over-time\" width=\"{}\" height=\"{}\" \
         role=\"img\" font-size=\"12\">",
        (per_minute.len() * bar + 10).max(260) + 120,
        height + top + 24
    );
    for (i, (minute, n)) in per_minute.iter().enumerate() {
        let (x, h) = (i * bar + 5, n * height / max);
        let _ = write!(
            svg,
            "<rect x=\"{x}\" y=\"{}\" width=\"{}\" height=\"{h}\"><title>{} — {n}</title></rect>\
             <text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{n}</text>",
            top + height - h,
            bar - 6,
            escape(minute),
            x + (bar - 6) / 2,
            top + height - h - 4
        );
        if i == 0 || i == last {
            let _ = write!(
                svg,
                "<text x=\"{x}\" y=\"{}\">{}</text>",
                top + height + 16,
                escape(minute)
            );
        }
    }
    svg.push_str("</svg>");
    svg
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
