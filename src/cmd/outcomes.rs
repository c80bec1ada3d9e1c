//! `annie-dispatch outcomes`: the morning after, what happened on each call.
//!
//! Reads a results file, asks `GET /conversations/{id}` for every call that was started (through
//! the same rate gate as dispatch), and writes an outcomes file the reader can act on, one row per
//! results row. A conversation whose status was final (see [`crate::conversations::reading::FINAL_STATUSES`]) when its
//! row was written is never fetched again; one that was still open is read again by every later
//! run until it closes, and its row is updated in place ([`file`] says how the file is kept
//! whole). So a rerun after a crash resumes, and a run the morning after an evening run fills in
//! the calls that were still going on. A call whose conversation could not be read (a refused
//! key, a conversation Annie does not have, no answer) still has its row, marked `not_read` with
//! what to do ([`Unread`]) and needing a person, and the next run reads it again.
//!
//! Each conversation read is also recorded in the run's ledger (answered or not, whether the
//! patient asked not to be called again), committed before its row is saved, so the per-number
//! rules of later runs use it (the ledger upserts: a conversation read again while open, then
//! closed, ends up recorded as closed). See [`crate::ledger::Ledger::open_existing`] for why a
//! running `run` does not block this.

mod file;

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use chrono::Utc;
use serde::Deserialize;
use serde_json::Value;
use tokio::sync::mpsc;

use crate::api::{AnnieClient, GetOutcome};
use crate::cli::OutcomesArgs;
use crate::dispatch::gate::Gate;
use crate::exit::RunOutcome;
use crate::ledger::{ConversationRecord, Ledger, Tied};
use crate::reason::ReasonCode;
use crate::report;
use crate::results::Status;
use crate::settings::{ApiOnly, Kind, Output, OUTCOMES_HEADER};

use crate::conversations::{Class, Reading, Rules, Unread, NOT_READ};
use file::{OutcomeLine, OutcomesFile};

/// The results-file columns this command reads.
#[derive(Debug, Deserialize)]
struct ResultLine {
    row: u64,
    appointment_id: Option<String>,
    status: String,
    conversation_id: Option<String>,
    reason: Option<String>,
    #[serde(default)]
    attempted_at: Option<String>,
    /// Absent from results files written before locations existed.
    #[serde(default)]
    location: Option<String>,
    /// For the report: the appointment's time, the masked number and the reason's code.
    #[serde(default)]
    start_time: Option<String>,
    #[serde(default)]
    to_number: Option<String>,
    #[serde(default)]
    reason_code: Option<String>,
    /// Whether the run flagged the row for a person (a patient no run can call before the
    /// appointment, one reminded of a moved appointment's old time). Absent from results files
    /// written before the column existed: the status alone decides then.
    #[serde(default, deserialize_with = "flag")]
    needs_attention: Option<bool>,
}

impl ResultLine {
    /// Whether the run that wrote this row flagged it for a person.
    fn flagged(&self) -> bool {
        self.needs_attention == Some(true)
    }
}

/// The results file's `needs_attention` cell: `true`/`false` (a CSV cell, or a JSON Lines
/// boolean). Anything else (empty, an older file's missing column, a cell a spreadsheet
/// rewrote beyond recognition) is `None`: the status alone decides, as before the column.
fn flag<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Cell {
        Bool(bool),
        Text(String),
        Other(serde::de::IgnoredAny),
    }
    Ok(match Option::<Cell>::deserialize(d)? {
        Some(Cell::Bool(b)) => Some(b),
        Some(Cell::Text(t)) if t.trim().eq_ignore_ascii_case("true") => Some(true),
        Some(Cell::Text(t)) if t.trim().eq_ignore_ascii_case("false") => Some(false),
        _ => None,
    })
}

/// A location's API client and rate gate: its conversations are only visible with its key.
struct Reader {
    client: AnnieClient,
    gate: Gate,
    /// For log lines: the location's name, and the variable its key came from.
    label: String,
    key_env: String,
}

/// One reader per location id ('' for a single practice).
fn readers(settings: &ApiOnly) -> anyhow::Result<HashMap<String, Reader>> {
    let mut readers = HashMap::new();
    for l in &settings.locations {
        let api = l
            .api
            .as_ref()
            .context("internal error: a location without API settings")?;
        let reader = Reader {
            client: AnnieClient::new(api)?,
            gate: Gate::new(l.dispatch.requests_per_minute),
            label: l.label().to_string(),
            key_env: l.api_key_env.clone(),
        };
        readers.insert(l.id.clone(), reader);
    }
    Ok(readers)
}

/// The reader that made a row's call: its location's, or the only one.
fn reader_for<'a>(
    readers: &'a HashMap<String, Reader>,
    line: &ResultLine,
) -> Result<(&'a str, &'a Reader), String> {
    let id = line.location.as_deref().unwrap_or("");
    match readers.get_key_value(id) {
        Some((key, reader)) => Ok((key.as_str(), reader)),
        None if readers.len() == 1 => {
            let (key, reader) = readers.iter().next().expect("one reader");
            Ok((key.as_str(), reader))
        }
        None if id.is_empty() => Err(
            "the results row names no location (a results file written without [[locations]]?); \
             use the config the run used"
                .to_string(),
        ),
        None => Err(format!(
            "location `{id}` is not in the config's [[locations]]; use the config the run used"
        )),
    }
}

pub async fn outcomes(args: &OutcomesArgs) -> anyhow::Result<RunOutcome> {
    let out_path = args
        .out
        .clone()
        .unwrap_or_else(|| default_out(&args.results));
    let outputs = [
        Some(Output::new(
            "the outcomes file (--out)",
            &out_path,
            Kind::Csv(OUTCOMES_HEADER),
        )),
        args.report
            .as_deref()
            .map(|p| Output::new("--report", p, Kind::Html)),
        args.summary_json
            .as_deref()
            .map(|p| Output::new("--summary-json", p, Kind::Summary)),
    ];
    let outputs: Vec<_> = outputs.into_iter().flatten().collect();
    let settings = ApiOnly::build(&args.config, &args.results, &outputs, &|name| {
        std::env::var(name).ok()
    })?;
    let readers = readers(&settings)?;
    refuse_a_rehearsal(&args.results)?;
    let all_lines = read_results(&args.results)?;
    if !all_lines.is_empty() && all_lines.iter().all(|l| l.status == "dry_run") {
        anyhow::bail!(
            "`{}` is a preview's file (every row `dry_run`): a preview calls nobody, so there is \
             nothing to read. Give --results the file the sending run wrote",
            args.results.display()
        );
    }
    let numbered_alike = note_rows_numbered_alike(&all_lines);
    let mut file = OutcomesFile::load(&out_path)?;
    let lines: Vec<&ResultLine> = all_lines
        .iter()
        .filter(|l| file.needs_reading(l.row))
        .collect();
    // Only needed (and so only required) when there is a conversation to read.
    let ledger = match lines.iter().any(|l| conversation_of(l).is_some()) {
        true => Some(Ledger::open_existing(&settings.ledger_path)?),
        false => None,
    };

    // Whatever was read is saved, even when a ledger error stops the reading.
    let counted = read_rows(
        &lines,
        &readers,
        &settings.outcomes,
        ledger.as_ref(),
        &mut file,
    )
    .await;
    let saved = file.save();
    let Counts {
        read,
        lookup_failures,
        for_good,
    } = counted?;
    saved?;
    // The whole file counts, not only this run's rows: a resumed run must still say that rows
    // read by an earlier, interrupted run need a person.
    let attention = file.rows().iter().filter(|o| o.needs_attention).count();
    let still_open = file
        .rows()
        .iter()
        .filter(|o| o.still_open() && !o.not_read())
        .count();
    let not_read = file.rows().iter().filter(|o| o.not_read()).count();
    let open_note = match still_open {
        0 => String::new(),
        n => format!(
            ", {n} still open (run `annie-dispatch outcomes` again later to read how they ended)"
        ),
    };
    let written = file.rows();
    let classes = by_class(written);
    let class_note: Vec<String> = classes
        .iter()
        .filter(|(_, n)| **n > 0)
        .map(|(c, n)| format!("{n} {c}"))
        .collect();
    let class_note = match class_note.is_empty() {
        true => String::new(),
        false => format!("; by class: {}", class_note.join(", ")),
    };
    let plural =
        |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    let read_text = plural(read, "conversation", "conversations");
    let attention_text = plural(attention, "row needs", "rows need");
    let unread_note = unread_note(lookup_failures, for_good);
    let alike_note = match numbered_alike {
        0 => String::new(),
        n => format!(", {n} left out (rows numbered alike: see the warning above)"),
    };
    crate::logging::line(&format!(
        "{read_text} read, {attention_text} attention{alike_note}, \
         {lookup_failures} could not be read{unread_note}{open_note}{class_note}; \
         outcomes in {}",
        out_path.display()
    ));
    if let Some(path) = &args.report {
        write_report(path, &settings, &all_lines, written)?;
    }
    let problem = attention > 0 || lookup_failures > 0 || numbered_alike > 0;
    if let Some(path) = &args.summary_json {
        let json = serde_json::json!({
            "conversations_read": read,
            "needs_attention": attention,
            "lookup_failures": lookup_failures,
            "not_read": not_read,
            "still_open": still_open,
            "rows_numbered_alike": numbered_alike,
            "classes": classes,
            "locations": per_location(&settings, written),
            "outcomes_file": out_path.display().to_string(),
            "exit_status": if problem { 1 } else { 0 },
        });
        crate::private_file::write(path, format!("{json:#}\n").as_bytes()).with_context(|| {
            format!("cannot write the --summary-json file `{}`", path.display())
        })?;
    }
    let mut outcome = RunOutcome::nothing();
    outcome.other_problem = problem;
    Ok(outcome)
}

/// A `run --sandbox` rehearsal's results (`NAME.results.sandbox.csv`): its calls were made in a
/// sandbox that ended with its process, so there is nothing to read, and reading its ids with
/// the real key would flag every row for a person.
fn refuse_a_rehearsal(results: &Path) -> anyhow::Result<()> {
    if crate::settings::paths::lowercase_name(results).contains(".results.sandbox.") {
        anyhow::bail!(
            "`{}` holds the calls of a `run --sandbox` rehearsal: they were made in a sandbox \
             that ended with that run, so there is nothing to read. To rehearse `outcomes`, run \
             a standalone `annie-dispatch sandbox` (see docs/sandbox.md); for the night's calls, \
             give --results the real run's results file",
            results.display()
        );
    }
    Ok(())
}

/// Results rows that share a row number: a results file written by a version that numbered a
/// one-line JSON export's appointments all `1`. The outcomes file holds one row per number, so
/// it keeps one of them; the others' calls must be read in Annie. Warns (appointment ids only,
/// nothing about the patient) and returns how many rows the outcomes file cannot hold.
fn note_rows_numbered_alike(lines: &[ResultLine]) -> usize {
    let mut by_row: BTreeMap<u64, Vec<&str>> = BTreeMap::new();
    for line in lines {
        let id = line.appointment_id.as_deref().unwrap_or("(no id)");
        by_row.entry(line.row).or_default().push(id);
    }
    let mut left_out = 0;
    for (row, ids) in by_row.iter().filter(|(_, ids)| ids.len() > 1) {
        left_out += ids.len() - 1;
        tracing::warn!(
            "the results file has {} rows numbered {row} (appointments {}): two results files \
             joined into one, or a file an earlier version wrote from a JSON export with several \
             appointments on one line. The outcomes file keeps one row per number, so it holds \
             only one of them: read the others' calls in Annie (or give `outcomes` each night's \
             own results file)",
            ids.len(),
            ids.join(", ")
        );
    }
    left_out
}

/// After "N could not be read": whether a rerun can read them (Annie's answer for a
/// conversation it does not have will not change).
fn unread_note(failures: usize, for_good: usize) -> String {
    match (failures, for_good) {
        (0, _) => String::new(),
        (_, 0) => " (rerun to retry them)".to_string(),
        (n, m) if n == m => {
            " (Annie has no such conversations: a rerun cannot read them)".to_string()
        }
        (n, m) => format!(
            " (rerun to retry {}; Annie has no such conversation for the other {m}: a rerun \
             cannot read those)",
            n - m
        ),
    }
}

/// What one `outcomes` run did.
struct Counts {
    /// Conversations read.
    read: usize,
    /// Rows whose conversation could not be read (marked `not_read`; the next run reads them
    /// again).
    lookup_failures: usize,
    /// Of those, rows whose conversation Annie does not have: a rerun cannot read them either.
    for_good: usize,
}

/// What a location's reader hands the writer for one row.
struct Fetched<'a> {
    line: &'a ResultLine,
    id: &'a str,
    /// The conversation, or why it could not be read and the error.
    conversation: Result<Arc<Value>, (Unread, String)>,
}

/// Reads each row's conversation (or notes why it has none) into the outcomes file, saving it
/// at most once a second. Every location is read at once, each through its own key and rate
/// gate; only this task records in the ledger and writes the file, so "the channel closed"
/// means every reader is done. A ledger error stops the reading.
async fn read_rows(
    lines: &[&ResultLine],
    readers: &HashMap<String, Reader>,
    rules: &Rules,
    ledger: Option<&Ledger>,
    file: &mut OutcomesFile,
) -> anyhow::Result<Counts> {
    let mut counts = Counts {
        read: 0,
        lookup_failures: 0,
        for_good: 0,
    };
    let mut by_reader: BTreeMap<&str, (&Reader, Vec<&ResultLine>)> = BTreeMap::new();
    for line in lines {
        if conversation_of(line).is_none() {
            file.put(without_call(line));
            continue;
        }
        match reader_for(readers, line) {
            Ok((key, reader)) => by_reader
                .entry(key)
                .or_insert((reader, Vec::new()))
                .1
                .push(line),
            Err(error) => {
                tracing::warn!(row = line.row, error = %error, "cannot read a conversation");
                counts.lookup_failures += 1;
                if file.get(line.row).is_none_or(OutcomeLine::not_read) {
                    let id = conversation_of(line).unwrap_or_default();
                    file.put(not_read(line, id, Unread::WrongConfig, &error));
                }
            }
        }
    }
    file.save_if_due()?;
    let (tx, mut rx) = mpsc::unbounded_channel();
    let readers = by_reader
        .into_values()
        .map(|(reader, lines)| read_location(reader, lines, tx.clone()));
    let readers = futures_util::future::join_all(readers);
    drop(tx);
    let write = async {
        // A household's rows share one conversation: counted once, as it is read once.
        let mut seen = std::collections::HashSet::new();
        while let Some(fetched) = rx.recv().await {
            match fetched.conversation {
                Ok(conversation) => {
                    let ledger = ledger.context("internal error: no ledger open")?;
                    let reading = Reading::read_with(&conversation, rules);
                    record(ledger, fetched.id, &reading)?;
                    if seen.insert(fetched.id.to_string()) {
                        counts.read += 1;
                    }
                    file.put(describe(fetched.line, fetched.id, reading));
                    file.save_if_due()?;
                }
                // Written as not read, unless an earlier run read the call (still open then):
                // that reading stays. Either way the next run tries again.
                Err((why, error)) => {
                    counts.lookup_failures += 1;
                    counts.for_good += usize::from(!why.rerun_helps());
                    if file.get(fetched.line.row).is_none_or(OutcomeLine::not_read) {
                        file.put(not_read(fetched.line, fetched.id, why, &error));
                        file.save_if_due()?;
                    }
                }
            }
        }
        anyhow::Ok(())
    };
    // The writer stopping (a ledger error) drops the receiver, which stops the readers.
    let (_, written) = tokio::join!(readers, write);
    written.map(|()| counts)
}

/// One location's rows, in order, through its rate gate. A conversation shared by several rows
/// (a household's call) is read once. A refused key stops the location at once: its other rows
/// are left for a rerun, without a request each.
async fn read_location<'a>(
    reader: &'a Reader,
    lines: Vec<&'a ResultLine>,
    tx: mpsc::UnboundedSender<Fetched<'a>>,
) {
    let mut read: HashMap<&str, Result<Arc<Value>, (Unread, String)>> = HashMap::new();
    let mut refused: Option<(Unread, String)> = None;
    for line in lines {
        let Some(id) = conversation_of(line) else {
            continue;
        };
        let conversation = match (&refused, read.get(id)) {
            (Some(why), _) => Err(why.clone()),
            (None, Some(earlier)) => earlier.clone(),
            (None, None) => {
                let fetched = match fetch(&reader.client, &reader.gate, id).await {
                    Ok(v) => Ok(Arc::new(v)),
                    Err((Some(401), error)) => {
                        tracing::error!(
                            location = %reader.label,
                            key_variable = %reader.key_env,
                            error = %error,
                            "the API refused this location's key (HTTP 401); its conversations \
                             are left for a rerun (other locations go on)"
                        );
                        let why = (Unread::KeyRefused, format!("HTTP 401: {error}"));
                        refused = Some(why.clone());
                        Err(why)
                    }
                    Err((status, error)) => {
                        let why = Unread::of_status(status);
                        let error = match status {
                            Some(s) => format!("HTTP {s}: {error}"),
                            None => error,
                        };
                        tracing::warn!(
                            row = line.row,
                            location = %reader.label,
                            error = %error,
                            "cannot read a conversation"
                        );
                        Err((why, error))
                    }
                };
                read.insert(id, fetched.clone());
                fetched
            }
        };
        let fetched = Fetched {
            line,
            id,
            conversation,
        };
        if tx.send(fetched).is_err() {
            return;
        }
    }
}

/// The conversation a results row started (or found already sent), if any.
fn conversation_of(line: &ResultLine) -> Option<&str> {
    line.conversation_id
        .as_deref()
        .filter(|c| !c.is_empty())
        .filter(|_| line.status == "sent" || line.status == "skipped")
}

/// Records a conversation in the ledger before its row is appended to the outcomes file. An
/// error stops the command (exit 2): the row is not appended, so a rerun reads it again.
fn record(ledger: &Ledger, id: &str, r: &Reading) -> anyhow::Result<()> {
    let tied = ledger
        .record_conversation(&ConversationRecord {
            conversation_id: id,
            to_number: r.to_number.as_deref(),
            started_at: r.started_at,
            status: &r.status,
            duration: r.duration_number(),
            answered: r.answered,
            needs_attention: r.needs_attention(),
            do_not_call: r.do_not_call,
            checked_at: Utc::now(),
        })
        .map_err(|e| {
            anyhow::anyhow!(
                "{e:#}; rerun `annie-dispatch outcomes` with the same arguments to resume (closed \
                 conversations already in the outcomes file are not read again)"
            )
        })?;
    match tied {
        Tied::ToAttempt => {}
        Tied::ToNumberOnly => tracing::warn!(
            conversation = id,
            "the conversation is not in this ledger's attempts; recorded by Annie's number. Was \
             the results file written with this config?"
        ),
        Tied::Untied => tracing::warn!(
            conversation = id,
            do_not_call = r.do_not_call,
            "the conversation is not in this ledger and Annie gave no number: later runs cannot \
             apply it. Was the results file written with this config?"
        ),
    }
    Ok(())
}

/// Reads one conversation through the rate gate, waiting out organisation rate limits. The
/// error keeps the HTTP status, so a refused key can stop its location.
async fn fetch(
    client: &AnnieClient,
    gate: &Gate,
    id: &str,
) -> Result<Value, (Option<u16>, String)> {
    for _ in 0..6 {
        gate.ready().await;
        match client.get_conversation(id).await {
            GetOutcome::Found(v) => return Ok(v),
            GetOutcome::RateLimited { wait } => gate.pause_for(wait),
            GetOutcome::Failed { status, error } => return Err((status, error)),
        }
    }
    Err((Some(429), "still rate-limited after 5 retries".to_string()))
}

/// A call's row: what Annie made of it. A row the run flagged for a person (sent, yet no run
/// can remind the patient of the appointment's time before it, say) still needs one whatever
/// the call's class, and keeps the run's reason after the call's.
fn describe(line: &ResultLine, id: &str, r: Reading) -> OutcomeLine {
    let run_said = line.reason.as_deref().filter(|_| line.flagged());
    let reason = match (r.reason(), run_said) {
        (call, None) => call.to_string(),
        ("", Some(run)) => format!("the run flagged this row: {run}"),
        (call, Some(run)) => format!("{call}; the run flagged this row: {run}"),
    };
    OutcomeLine {
        row: line.row,
        appointment_id: line.appointment_id.clone().unwrap_or_default(),
        conversation_id: id.to_string(),
        needs_attention: r.needs_attention() || line.flagged(),
        reason,
        class: r.class.to_string(),
        status: r.status,
        topic: r.topic,
        summary: r.summary,
        duration: r.duration,
        location: line.location.clone().unwrap_or_default(),
    }
}

/// The row of a call whose conversation could not be read: it needs a person, and says what
/// failed and what to do.
fn not_read(line: &ResultLine, id: &str, why: Unread, error: &str) -> OutcomeLine {
    OutcomeLine {
        row: line.row,
        appointment_id: line.appointment_id.clone().unwrap_or_default(),
        conversation_id: id.to_string(),
        status: NOT_READ.to_string(),
        topic: String::new(),
        summary: String::new(),
        duration: String::new(),
        needs_attention: true,
        reason: why.reason(error),
        location: line.location.clone().unwrap_or_default(),
        class: String::new(),
    }
}

/// A row without a call: it needs a person when its status does (failed, invalid, ...) or the
/// run flagged it (skipped or deferred, yet no run can call the patient before the
/// appointment: remind them another way), with the run's reason.
fn without_call(line: &ResultLine) -> OutcomeLine {
    let needs = line.flagged()
        || matches!(
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
        location: line.location.clone().unwrap_or_default(),
        class: String::new(),
    }
}

/// `--report`: the outcomes as a page, with the call and appointment times, numbers and reason
/// codes from the results file.
fn write_report(
    path: &Path,
    settings: &ApiOnly,
    lines: &[ResultLine],
    written: &[OutcomeLine],
) -> anyhow::Result<()> {
    let by_row: HashMap<u64, &ResultLine> = lines.iter().map(|l| (l.row, l)).collect();
    let entries: Vec<report::Entry<'_>> = written
        .iter()
        .map(|o| {
            let line = by_row.get(&o.row);
            let from_line = |f: fn(&ResultLine) -> &Option<String>| {
                line.and_then(|l| f(l).as_deref()).filter(|v| !v.is_empty())
            };
            let happened = happened(o);
            // The page says what to do in a column of its own.
            let reason = match happened {
                report::Happened::NotRead(why) => why.failure(&o.reason),
                _ => &o.reason,
            };
            report::Entry {
                row: o.row,
                location: Some(o.location.as_str()).filter(|l| !l.is_empty()),
                appointment_id: &o.appointment_id,
                happened,
                code: from_line(|l| &l.reason_code).and_then(ReasonCode::parse),
                needs_attention: o.needs_attention,
                reason,
                attempted_at: from_line(|l| &l.attempted_at),
                start_time: from_line(|l| &l.start_time),
                to_number: from_line(|l| &l.to_number),
            }
        })
        .collect();
    let page = report::Page::new(
        report::Kind::Outcomes,
        &settings.name,
        &settings.locations,
        String::new(),
        Vec::new(),
    )
    .with_days_of(&entries);
    report::write(path, &page, &entries)
}

/// What became of an outcomes row: its call's class, or that it could not be read; for a row
/// without a call, the results status it carries.
fn happened(o: &OutcomeLine) -> report::Happened {
    if o.not_read() {
        return report::Happened::NotRead(Unread::of_reason(&o.reason));
    }
    if let Some(class) = Class::parse(&o.class) {
        return report::Happened::Class(class);
    }
    match (o.conversation_id.is_empty(), Status::parse(&o.status)) {
        (true, Some(status)) => report::Happened::Status(status),
        _ => report::Happened::Unclassified,
    }
}

/// Rows of the outcomes file per class, every class named (rows without a call have none).
fn by_class(written: &[OutcomeLine]) -> BTreeMap<&'static str, usize> {
    let mut counts: BTreeMap<&'static str, usize> =
        Class::ALL.iter().map(|c| (c.as_str(), 0)).collect();
    for row in written {
        if let Some(n) = counts.get_mut(row.class.as_str()) {
            *n += 1;
        }
    }
    counts
}

/// Rows and rows needing attention per location id (for `--summary-json`).
fn per_location(settings: &ApiOnly, written: &[OutcomeLine]) -> Value {
    let mut map = serde_json::Map::new();
    for l in settings.locations.iter().filter(|l| !l.id.is_empty()) {
        let mine = written.iter().filter(|o| o.location == l.id);
        let (rows, attention) = mine.fold((0, 0), |(r, a), o| {
            (r + 1, a + usize::from(o.needs_attention))
        });
        map.insert(
            l.id.clone(),
            serde_json::json!({"name": l.practice.name, "rows": rows, "needs_attention": attention}),
        );
    }
    Value::Object(map)
}

fn read_results(path: &Path) -> anyhow::Result<Vec<ResultLine>> {
    let context = || format!("cannot read the results file `{}`", path.display());
    if std::fs::metadata(path).with_context(context)?.len() == 0 {
        anyhow::bail!(
            "`{}` is empty: the run that should have written it stopped before its first row \
             (look at that run's log); none of its appointments is accounted for. Rerun the \
             night's run, then `outcomes` on its results",
            path.display()
        );
    }
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
    let mut first = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(std::fs::File::open(path).with_context(context)?),
        &mut first,
    )
    .with_context(context)?;
    // Excel's "CSV UTF-8" puts a byte-order mark before the header when it saves the file.
    let first = first.trim_start_matches('\u{feff}');
    if !first.starts_with(crate::settings::RESULTS_HEADER) {
        anyhow::bail!(
            "`{}` is not a results file (its first line does not start `{}...`): give \
             --results the file a run wrote, named like `tonight.results.csv` (or the .jsonl \
             one), not the export or another file",
            path.display(),
            crate::settings::RESULTS_HEADER
        );
    }
    crate::csv_cells::read(path, "results file")
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reason::{Reason, ReasonCode};
    use crate::results::writer::ResultsWriter;
    use crate::results::RowResult;

    /// The headers an existing results or outcomes file must start with to be replaced are
    /// the ones the writers write.
    #[test]
    fn the_replaceable_headers_are_the_written_ones() {
        let results = crate::results::COLUMNS.join(",");
        assert!(
            results.starts_with(crate::settings::RESULTS_HEADER),
            "{results}"
        );
        let outcomes = file::COLUMNS.join(",");
        assert!(outcomes.starts_with(OUTCOMES_HEADER), "{outcomes}");
    }

    /// The run's `needs_attention` column is read back in both formats; a results file written
    /// before the column existed reads as `None` (the status alone decides then).
    #[test]
    fn reads_the_runs_needs_attention_column_and_older_files_without_it() {
        for name in ["night.results.csv", "night.results.jsonl"] {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join(name);
            let mut writer = ResultsWriter::create(&path).unwrap();
            for (row, uncovered) in [(1, true), (2, false)] {
                writer
                    .write(&RowResult {
                        row,
                        appointment_id: Some("A".into()),
                        status: Status::Skipped,
                        conversation_id: None,
                        reason: Some("r".into()),
                        http_status: None,
                        to_number: None,
                        start_time: None,
                        attempted_at: None,
                        location: None,
                        reason_code: Some(ReasonCode::PerNumberLimit),
                        uncovered,
                    })
                    .unwrap();
            }
            writer.finish().unwrap();
            let read: Vec<_> = read_results(&path)
                .unwrap()
                .iter()
                .map(|l| l.needs_attention)
                .collect();
            assert_eq!(read, [Some(true), Some(false)], "{name}");
        }
        let dir = tempfile::tempdir().unwrap();
        let older = dir.path().join("older.results.csv");
        std::fs::write(
            &older,
            "row,appointment_id,status,conversation_id,reason\n1,A,skipped,,r\n2,B,invalid,,r\n",
        )
        .unwrap();
        let lines = read_results(&older).unwrap();
        assert_eq!(lines[0].needs_attention, None);
        let needs: Vec<bool> = lines
            .iter()
            .map(|l| without_call(l).needs_attention)
            .collect();
        assert_eq!(
            needs,
            [false, true],
            "the status decides, as before the column"
        );
    }

    /// A call whose results row the run flagged (sent, yet the patient was reminded of a moved
    /// appointment's old time, say) still needs a person once Annie says it was confirmed, and
    /// keeps the run's reason; an unflagged one does not.
    #[test]
    fn a_flagged_rows_call_still_needs_a_person() {
        let confirmed = || {
            Reading::read(&serde_json::json!({
                "status": "CLOSED", "duration": 60,
                "summary": "The patient confirmed the appointment."
            }))
        };
        let line = |flag| ResultLine {
            row: 1,
            appointment_id: Some("A".into()),
            status: "skipped".into(),
            conversation_id: Some("conv-1".into()),
            reason: Some("remind the patient another way".into()),
            attempted_at: None,
            location: None,
            start_time: None,
            to_number: None,
            reason_code: None,
            needs_attention: flag,
        };
        let plain = describe(&line(Some(false)), "conv-1", confirmed());
        assert_eq!((plain.needs_attention, plain.reason.as_str()), (false, ""));
        let flagged = describe(&line(Some(true)), "conv-1", confirmed());
        assert_eq!(
            (flagged.needs_attention, flagged.reason.as_str()),
            (
                true,
                "the run flagged this row: remind the patient another way"
            )
        );
    }

    /// The results file is written by `results::writer` and read back here by column name. A
    /// column renamed on one side only would be read as empty (the reader's columns have
    /// defaults, for files written before they existed), so the two sides are pinned together,
    /// in both formats.
    #[test]
    fn reads_back_every_column_the_results_writer_writes() {
        for name in ["night.results.csv", "night.results.jsonl"] {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join(name);
            let mut row = RowResult {
                row: 7,
                appointment_id: Some("A-7".into()),
                status: Status::Sent,
                conversation_id: Some("conv-7".into()),
                reason: None,
                http_status: Some(201),
                to_number: Some("+1312***0147".into()),
                start_time: Some("2026-11-25T09:00:00-06:00".into()),
                attempted_at: Some("2026-11-24T23:00:00Z".into()),
                location: Some("north".into()),
                reason_code: None,
                uncovered: false,
            };
            row.set_reason(Some(Reason::new(
                ReasonCode::AlreadySent,
                "sent, \"quoted\"",
            )));
            let mut writer = ResultsWriter::create(&path).unwrap();
            writer.write(&row).unwrap();
            writer.finish().unwrap();

            let lines = read_results(&path).unwrap();
            assert_eq!(lines.len(), 1, "{name}");
            let l = &lines[0];
            let read = (
                l.row,
                l.appointment_id.as_deref(),
                l.status.as_str(),
                l.conversation_id.as_deref(),
                l.reason.as_deref(),
                l.attempted_at.as_deref(),
                l.location.as_deref(),
                l.start_time.as_deref(),
                l.to_number.as_deref(),
                l.reason_code.as_deref(),
            );
            let written = (
                7,
                Some("A-7"),
                "sent",
                Some("conv-7"),
                Some("sent, \"quoted\""),
                Some("2026-11-24T23:00:00Z"),
                Some("north"),
                Some("2026-11-25T09:00:00-06:00"),
                Some("+1312***0147"),
                Some("already_sent"),
            );
            assert_eq!(read, written, "{name}");
        }
    }
}
