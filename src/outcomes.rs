//! `annie-dispatch outcomes`: the morning after, what happened on each call.
//!
//! Reads a results file, asks `GET /conversations/{id}` for every call that was started (through
//! the same rate gate as dispatch), and writes an outcomes file the office can act on. Rows are
//! appended and flushed one by one, and rows already in the outcomes file are not fetched again,
//! so a rerun after a crash (or a rate-limit pause) resumes where it stopped.

use std::collections::HashSet;
use std::fs::OpenOptions;
use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::api::{AnnieClient, GetOutcome};
use crate::cli::OutcomesArgs;
use crate::dispatch::Gate;
use crate::settings::ApiOnly;
use crate::RunOutcome;

/// The results-file columns this command reads.
#[derive(Debug, Deserialize)]
struct ResultLine {
    row: u64,
    appointment_id: Option<String>,
    status: String,
    conversation_id: Option<String>,
    reason: Option<String>,
}

/// One line of the outcomes file. Field order is column order.
#[derive(Debug, Serialize)]
struct OutcomeLine {
    row: u64,
    appointment_id: String,
    conversation_id: String,
    /// The conversation's status (`OPEN`, `CLOSED`), or the results status when no call was made.
    status: String,
    topic: String,
    summary: String,
    duration: String,
    /// Whether the office should follow up: a failed or uncertain row, an unanswered call, or a
    /// summary that asks for a reschedule or a call back.
    needs_attention: bool,
    reason: String,
}

/// Words in a conversation summary that mean a person should call the patient back.
const FOLLOW_UP_WORDS: &[&str] = &[
    "reschedul",
    "call back",
    "callback",
    "cancel",
    "can't make",
    "cannot make",
];

pub async fn outcomes(args: &OutcomesArgs) -> anyhow::Result<RunOutcome> {
    let settings = ApiOnly::build(&args.config, &|name| std::env::var(name).ok())?;
    let client = AnnieClient::new(&settings.api)?;
    let gate = Gate::new(settings.dispatch.requests_per_minute);
    let lines = read_results(&args.results)?;
    let out_path = args
        .out
        .clone()
        .unwrap_or_else(|| default_out(&args.results));
    let done = already_written(&out_path)?;
    let fresh = !out_path.exists();
    let file = OpenOptions::new()
        .create(true)
        .append(true)
        .open(&out_path)
        .with_context(|| format!("cannot open the outcomes file `{}`", out_path.display()))?;
    let mut writer = csv::WriterBuilder::new()
        .has_headers(fresh)
        .from_writer(file);

    let (mut read, mut attention, mut lookup_failures) = (0, 0, 0);
    for line in lines.into_iter().filter(|l| !done.contains(&l.row)) {
        let outcome = match line.conversation_id.as_deref().filter(|c| !c.is_empty()) {
            Some(id) if line.status == "sent" || line.status == "skipped" => {
                match fetch(&client, &gate, id).await {
                    Ok(conversation) => {
                        read += 1;
                        describe(&line, id, &conversation)
                    }
                    Err(error) => {
                        // Not written: the next run tries this row again.
                        tracing::warn!(row = line.row, error = %error, "cannot read a conversation");
                        lookup_failures += 1;
                        continue;
                    }
                }
            }
            _ => without_call(&line),
        };
        attention += usize::from(outcome.needs_attention);
        writer.serialize(&outcome)?;
        writer.flush()?;
    }
    eprintln!(
        "annie-dispatch: {read} conversations read, {attention} rows need attention, \
         {lookup_failures} could not be read (rerun to retry them); outcomes in {}",
        out_path.display()
    );
    if let Some(path) = &args.summary_json {
        let json = serde_json::json!({
            "conversations_read": read,
            "needs_attention": attention,
            "lookup_failures": lookup_failures,
            "outcomes_file": out_path.display().to_string(),
            "exit_status": if attention > 0 || lookup_failures > 0 { 1 } else { 0 },
        });
        std::fs::write(path, format!("{json:#}\n")).with_context(|| {
            format!("cannot write the --summary-json file `{}`", path.display())
        })?;
    }
    let mut outcome = RunOutcome::nothing();
    outcome.other_problem = attention > 0 || lookup_failures > 0;
    Ok(outcome)
}

/// Reads one conversation through the rate gate, waiting out organisation rate limits.
async fn fetch(client: &AnnieClient, gate: &Gate, id: &str) -> Result<Value, String> {
    for _ in 0..6 {
        gate.ready().await;
        match client.get_conversation(id).await {
            GetOutcome::Found(v) => return Ok(v),
            GetOutcome::RateLimited { wait } => gate.pause_for(wait),
            GetOutcome::Failed { status, error } => {
                return Err(match status {
                    Some(s) => format!("HTTP {s}: {error}"),
                    None => error,
                })
            }
        }
    }
    Err("still rate-limited after 5 retries".to_string())
}

fn describe(line: &ResultLine, id: &str, c: &Value) -> OutcomeLine {
    let text = |k: &str| match &c[k] {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    };
    let (status, summary) = (text("status"), text("summary"));
    let lower = summary.to_lowercase();
    let follow_up = FOLLOW_UP_WORDS.iter().any(|w| lower.contains(w));
    let unanswered = status == "CLOSED" && matches!(text("duration").as_str(), "" | "0");
    OutcomeLine {
        row: line.row,
        appointment_id: line.appointment_id.clone().unwrap_or_default(),
        conversation_id: id.to_string(),
        topic: text("topic"),
        duration: text("duration"),
        needs_attention: follow_up || unanswered,
        reason: match (follow_up, unanswered) {
            (true, _) => "the summary asks for a follow-up".to_string(),
            (_, true) => "the call ended without a conversation".to_string(),
            _ => String::new(),
        },
        status,
        summary,
    }
}

fn without_call(line: &ResultLine) -> OutcomeLine {
    let needs = matches!(
        line.status.as_str(),
        "failed" | "uncertain" | "invalid" | "not_attempted"
    );
    OutcomeLine {
        row: line.row,
        appointment_id: line.appointment_id.clone().unwrap_or_default(),
        conversation_id: String::new(),
        status: line.status.clone(),
        topic: String::new(),
        summary: String::new(),
        duration: String::new(),
        needs_attention: needs,
        reason: line.reason.clone().unwrap_or_default(),
    }
}

fn read_results(path: &Path) -> anyhow::Result<Vec<ResultLine>> {
    let context = || format!("cannot read the results file `{}`", path.display());
    if path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("jsonl"))
    {
        let text = std::fs::read_to_string(path).with_context(context)?;
        return text
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| serde_json::from_str(l).with_context(context))
            .collect();
    }
    let mut reader = csv::Reader::from_path(path).with_context(context)?;
    reader
        .deserialize()
        .map(|r| r.with_context(context))
        .collect()
}

/// Rows already in the outcomes file (by input row), for resuming.
fn already_written(path: &Path) -> anyhow::Result<HashSet<u64>> {
    if !path.exists() {
        return Ok(HashSet::new());
    }
    let mut reader = csv::Reader::from_path(path)
        .with_context(|| format!("cannot read the outcomes file `{}`", path.display()))?;
    let mut rows = HashSet::new();
    for record in reader.records() {
        if let Some(row) = record?.get(0).and_then(|r| r.parse().ok()) {
            rows.insert(row);
        }
    }
    Ok(rows)
}

/// `appointments.results.csv` → `appointments.outcomes.csv`.
fn default_out(results: &Path) -> PathBuf {
    let name = results
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let stem = name
        .strip_suffix(".results.csv")
        .or_else(|| name.strip_suffix(".results.jsonl"))
        .or_else(|| name.rsplit_once('.').map(|(s, _)| s))
        .unwrap_or(&name)
        .to_string();
    results.with_file_name(format!("{stem}.outcomes.csv"))
}
