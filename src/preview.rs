//! The `--dry-run` table on stdout: what each row would get, and why.

use std::collections::HashMap;

use comfy_table::{presets, ContentArrangement, Table};

use crate::plan::Call;
use crate::results::RowResult;

/// Details only a planned call has (texts and type), keyed by input row.
pub struct CallDetails {
    by_row: HashMap<u64, (String, usize, usize)>,
}

impl CallDetails {
    pub fn new(calls: &[Call]) -> Self {
        let chars = |s: &Option<String>| s.as_deref().map_or(0, |t| t.chars().count());
        let by_row = calls
            .iter()
            .flat_map(|c| {
                let kind = c
                    .body
                    .appointment_info
                    .as_ref()
                    .and_then(|a| a.appointment_type_id.clone())
                    .unwrap_or_default();
                let details = (
                    kind,
                    chars(&c.body.context),
                    chars(&c.body.voicemail_message),
                );
                c.members.iter().map(move |m| (m.row, details.clone()))
            })
            .collect();
        CallDetails { by_row }
    }
}

/// Renders the preview table for rows sorted by input row.
pub fn table(rows: &[RowResult], details: &CallDetails) -> String {
    let mut table = Table::new();
    table
        .load_preset(presets::ASCII_MARKDOWN)
        .set_content_arrangement(ContentArrangement::Disabled)
        .set_header([
            "row",
            "appointment",
            "phone",
            "start (local)",
            "type",
            "context",
            "voicemail",
            "status",
            "reason",
        ]);
    for r in rows {
        let (kind, context, voicemail) = match details.by_row.get(&r.row) {
            Some((k, c, v)) => (k.clone(), c.to_string(), v.to_string()),
            None => (String::new(), String::new(), String::new()),
        };
        let start = r
            .start_time
            .as_deref()
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
            .map(|t| t.format("%a %Y-%m-%d %H:%M").to_string())
            .unwrap_or_default();
        table.add_row([
            r.row.to_string(),
            r.appointment_id.clone().unwrap_or_default(),
            r.to_number.clone().unwrap_or_default(),
            start,
            kind,
            context,
            voicemail,
            r.status.as_str().to_string(),
            r.reason.clone().unwrap_or_default(),
        ]);
    }
    table.to_string()
}
