//! `--report FILE.html`: one self-contained page (no external assets, no scripts) an office
//! manager can open: counts per status, calls over time, and the rows that need a person.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use anyhow::Context;

use crate::results::{RowResult, Status, Summary};

/// Writes the report for a run's rows. `practice` names the single practice (a group's
/// locations are named in `summary`).
pub fn write(
    path: &Path,
    title: &str,
    practice: &str,
    rows: &[RowResult],
    summary: &Summary,
) -> anyhow::Result<()> {
    std::fs::write(path, html(title, practice, rows, summary))
        .with_context(|| format!("cannot write the report `{}`", path.display()))
}

/// The page. Pure, so tests can read it without a browser.
pub fn html(title: &str, practice: &str, rows: &[RowResult], summary: &Summary) -> String {
    let mut page = String::new();
    let _ = write!(
        page,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{t}</title>\
         <style>body{{font-family:sans-serif;margin:2em;color:#222}}table{{border-collapse:collapse;margin:1em 0}}\
         td,th{{border:1px solid #ccc;padding:.3em .6em;text-align:left}}th{{background:#f0f0f0}}\
         .attention{{color:#a00}}svg rect{{fill:#3b7dd8}}</style></head><body>\
         <h1>{t}</h1><p id=\"total\">{n} rows</p>",
        t = escape(title),
        n = summary.total()
    );
    page.push_str("<h2>By status</h2><table id=\"counts\"><tr><th>status</th><th>rows</th></tr>");
    for status in Status::ALL {
        let n = summary.count(status);
        if n > 0 {
            let _ = write!(
                page,
                "<tr><td>{}</td><td class=\"count\" data-status=\"{}\">{n}</td></tr>",
                status.as_str(),
                status.as_str()
            );
        }
    }
    page.push_str("</table>");
    page.push_str(&by_location(practice, summary));
    page.push_str(&calls_over_time(rows));
    let attention: Vec<&RowResult> = rows.iter().filter(|r| r.status.needs_attention()).collect();
    let grouped = !summary.by_location.is_empty();
    let _ = write!(
        page,
        "<h2 class=\"attention\">Needs a person ({})</h2><table id=\"attention\">\
         <tr><th>row</th>{}<th>appointment</th><th>status</th><th>reason</th></tr>",
        attention.len(),
        if grouped { "<th>location</th>" } else { "" }
    );
    for r in attention {
        let location = match (grouped, r.location.as_deref()) {
            (false, _) => String::new(),
            (true, id) => format!(
                "<td>{}</td>",
                escape(id.map_or("", |id| summary.location_name(id)))
            ),
        };
        let _ = write!(
            page,
            "<tr><td>{}</td>{location}<td>{}</td><td>{}</td><td>{}</td></tr>",
            r.row,
            escape(r.appointment_id.as_deref().unwrap_or("")),
            r.status.as_str(),
            escape(r.reason.as_deref().unwrap_or(""))
        );
    }
    page.push_str("</table></body></html>\n");
    page
}

/// One line per location (the practice alone when there are no `[[locations]]`), one column per
/// status that occurred. Rows whose location could not be read get a line of their own.
fn by_location(practice: &str, summary: &Summary) -> String {
    let mut lines: Vec<(String, String, BTreeMap<Status, usize>)> = Vec::new();
    if summary.by_location.is_empty() {
        lines.push((String::new(), practice.to_string(), summary.counts.clone()));
    } else {
        let mut rest = summary.counts.clone();
        for (id, counts) in &summary.by_location {
            for (status, n) in counts {
                *rest.entry(*status).or_default() -= n;
            }
            lines.push((
                id.clone(),
                summary.location_name(id).to_string(),
                counts.clone(),
            ));
        }
        if rest.values().any(|n| *n > 0) {
            lines.push((
                String::new(),
                "no location (unreadable or unknown)".into(),
                rest,
            ));
        }
    }
    let statuses: Vec<Status> = Status::ALL
        .into_iter()
        .filter(|s| summary.count(*s) > 0)
        .collect();
    let mut html =
        String::from("<h2>By location</h2><table id=\"locations\"><tr><th>location</th>");
    for s in &statuses {
        let _ = write!(html, "<th>{}</th>", s.as_str());
    }
    html.push_str("<th>rows</th></tr>");
    for (id, name, counts) in lines {
        let _ = write!(html, "<tr><td>{}</td>", escape(&name));
        for s in &statuses {
            let n = counts.get(s).copied().unwrap_or(0);
            let _ = write!(
                html,
                "<td data-location=\"{}\" data-status=\"{}\">{n}</td>",
                escape(&id),
                s.as_str()
            );
        }
        let _ = write!(html, "<td>{}</td></tr>", counts.values().sum::<usize>());
    }
    html.push_str("</table>");
    html
}

/// Requests per minute, as an inline SVG bar chart.
fn calls_over_time(rows: &[RowResult]) -> String {
    let mut per_minute: BTreeMap<String, usize> = BTreeMap::new();
    for r in rows {
        if let Some(t) = r.attempted_at.as_deref().and_then(|t| t.get(..16)) {
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
        (per_minute.len() * bar + 10).max(260),
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
