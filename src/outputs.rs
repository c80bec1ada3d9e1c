//! Stage 6's edges: the results file and collector started before any location runs, and, when
//! every location is done, what the person or the monitoring sees: the preview table, the
//! summary line, the HTML report and the `--summary-json` file.

use std::sync::{Arc, Mutex};

use anyhow::Context;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::calling_day::{self, CallingDay};
use crate::cli::GlobalArgs;
use crate::collect::{self, Collected};
use crate::dispatch::{Mode, Outputs};
use crate::exit::AfterCallsStarted;
use crate::plan;
use crate::preview::{self, CallDetails, Patients};
use crate::report;
use crate::results::writer::ResultsWriter;
use crate::results::{DaysSeen, RowResult, Summary};
use crate::select::Selected;
use crate::services::Services;
use crate::settings::Settings;

/// What every location's stages report their rows and requests to (one per run; the dispatchers'
/// own `dispatch::shared::Shared` is per location).
pub struct Reporter {
    pub outputs: Outputs,
    /// In a preview: the texts of the first calls (`--show-texts`).
    pub details: Option<Arc<Mutex<CallDetails>>>,
    /// In a preview with its table: who each row is about (shown on stdout only).
    pub patients: Patients,
    /// `calling day ..., appointments on ...`: what the run is about, for the summary line and
    /// the report (a job started in the evening calls the next day about the day after).
    pub days: String,
    /// The same in the report's plain words, and the calling dates for its title.
    pub report_days: (String, Vec<String>),
    /// Which days the export's appointments are on: the engine counts them as it selects
    /// (whole or a chunk at a time), and the summary gets them at the end.
    pub seen: DaysSeen,
}

impl Reporter {
    /// Hands rows settled before dispatch to the collector (as one message).
    pub fn send_settled(&self, rows: Vec<RowResult>) -> anyhow::Result<()> {
        if rows.is_empty() {
            return Ok(());
        }
        self.outputs
            .results
            .send(rows)
            .context("internal error: results channel closed early")?;
        Ok(())
    }
}

/// The results file, created; a preview's is not synced to the disk (see
/// [`ResultsWriter::unsynced`]).
fn results_writer(s: &Settings) -> anyhow::Result<ResultsWriter> {
    let writer = ResultsWriter::create(&s.results_path)?;
    Ok(match s.mode {
        Mode::Preview => writer.unsynced(),
        Mode::Send => writer,
    })
}

/// Creates the results file, starts the collector and records the rows no location owns.
pub fn start(
    s: &Settings,
    total: usize,
    unplaced: Vec<Selected>,
    days: &[CallingDay],
    patients: Patients,
) -> anyhow::Result<(Reporter, JoinHandle<anyhow::Result<Collected>>)> {
    let preview = s.mode == Mode::Preview;
    let writer = results_writer(s)?;
    let requests = open_emit_file(s)?;
    let (tx, rx) = mpsc::unbounded_channel();
    let summary = summary_for(s);
    let keep_rows = preview || s.report.is_some();
    let collector = tokio::spawn(collect::collect(
        rx,
        writer,
        total,
        s.show_progress,
        keep_rows,
        summary,
    ));
    let shared = Reporter {
        outputs: Outputs {
            results: tx,
            requests: requests.map(|w| Arc::new(Mutex::new(w))),
        },
        details: preview.then(|| Arc::new(Mutex::new(CallDetails::new(s.show_texts)))),
        patients,
        days: calling_day::describe_all(&s.locations, days, s.selection.window),
        report_days: (
            calling_day::in_words_all(&s.locations, days, s.selection.window, preview),
            calling_day::dates(days),
        ),
        seen: DaysSeen::default(),
    };
    shared.send_settled(plan::plan(unplaced, Vec::new(), None).settled)?;
    Ok((shared, collector))
}

/// For a streaming preview: the results file and a collector for the pipeline to run (on the
/// returned receiver), with the preview table spooled as rows come.
pub fn start_streaming(
    s: &Settings,
    total: usize,
    days: &[CallingDay],
) -> anyhow::Result<(
    Reporter,
    collect::Collector,
    mpsc::UnboundedReceiver<Vec<RowResult>>,
)> {
    let writer = results_writer(s)?;
    let preview = s.mode == Mode::Preview;
    let table = match preview && s.show_table {
        true => {
            let (width, locations) = table_shape(s);
            Some(
                preview::Spool::new(width, locations)
                    .context("cannot create the preview's spool")?,
            )
        }
        false => None,
    };
    let collector = collect::Collector::new(
        writer,
        total,
        s.show_progress,
        s.report.is_some(),
        summary_for(s),
        table,
    );
    let (tx, rx) = mpsc::unbounded_channel();
    let shared = Reporter {
        outputs: Outputs {
            results: tx,
            requests: open_emit_file(s)?.map(|w| Arc::new(Mutex::new(w))),
        },
        details: preview.then(|| Arc::new(Mutex::new(CallDetails::new(s.show_texts)))),
        patients: Patients::default(),
        days: calling_day::describe_all(&s.locations, days, s.selection.window),
        report_days: (
            calling_day::in_words_all(&s.locations, days, s.selection.window, preview),
            calling_day::dates(days),
        ),
        seen: DaysSeen::default(),
    };
    Ok((shared, collector, rx))
}

fn summary_for(s: &Settings) -> Summary {
    Summary::for_locations(
        s.locations
            .iter()
            .map(|l| (l.id.as_str(), l.practice.name.as_str())),
    )
}

/// [`finish`] for a streaming preview, whose collector runs on a thread of its own.
pub fn finish_streaming(
    collector: std::thread::JoinHandle<anyhow::Result<collect::Collector>>,
    shared: Reporter,
    total: usize,
    finished: Vec<anyhow::Result<()>>,
    s: &Settings,
    services: &Services,
    global: &GlobalArgs,
) -> anyhow::Result<Collected> {
    let Reporter {
        outputs,
        details,
        days,
        report_days,
        seen,
        ..
    } = shared;
    drop(outputs);
    let collector = collector
        .join()
        .map_err(|_| AfterCallsStarted(anyhow::anyhow!("internal error: collector failed")))?
        .map_err(AfterCallsStarted)?;
    let (mut collected, spool) = collector.finish().map_err(AfterCallsStarted)?;
    collected.summary.days = seen;
    let table = Table::Spooled(spool);
    conclude(
        collected,
        table,
        details,
        (days, report_days),
        total,
        finished,
        s,
        services,
        global,
    )
}

/// Where the preview table comes from: the kept rows, or a streaming run's spool.
enum Table<'a> {
    Kept(&'a Patients),
    Spooled(Option<preview::Spool>),
}

/// Waits for the collector, checks that every row was recorded, and writes the table, summary
/// line, report and summary JSON. `finished` holds each location's outcome, in order.
pub async fn finish(
    collector: JoinHandle<anyhow::Result<Collected>>,
    shared: Reporter,
    total: usize,
    finished: Vec<anyhow::Result<()>>,
    s: &Settings,
    services: &Services,
    global: &GlobalArgs,
) -> anyhow::Result<Collected> {
    // The last sender goes: the collector ends once every row is written.
    let Reporter {
        outputs,
        details,
        patients,
        days,
        report_days,
        seen,
    } = shared;
    drop(outputs);
    let mut collected = collector
        .await
        .map_err(|e| AfterCallsStarted(anyhow::anyhow!("internal error: collector failed: {e}")))?
        .map_err(AfterCallsStarted)?;
    collected.summary.days = seen;
    let table = Table::Kept(&patients);
    conclude(
        collected,
        table,
        details,
        (days, report_days),
        total,
        finished,
        s,
        services,
        global,
    )
}

/// Checks that every row was recorded, and writes the table, summary line, report and summary
/// JSON.
#[allow(clippy::too_many_arguments)]
fn conclude(
    mut collected: Collected,
    table: Table<'_>,
    details: Option<Arc<Mutex<CallDetails>>>,
    (days, report_days): (String, (String, Vec<String>)),
    total: usize,
    finished: Vec<anyhow::Result<()>>,
    s: &Settings,
    services: &Services,
    global: &GlobalArgs,
) -> anyhow::Result<Collected> {
    for (result, location) in finished.into_iter().zip(&s.locations) {
        let what = match location.id.as_str() {
            "" => "the dispatch failed".to_string(),
            _ => format!("location {} ({}) failed", location.id, location.label()),
        };
        result.context(what).map_err(AfterCallsStarted)?;
    }
    collected.summary.requests = services
        .offices
        .iter()
        .filter_map(|o| o.client.as_ref())
        .map(|c| c.posts_sent())
        .sum();
    if collected.summary.total() != total {
        let recorded = collected.summary.total();
        let e =
            anyhow::anyhow!("internal error: {total} rows read but {recorded} results recorded");
        return Err(AfterCallsStarted(e).into());
    }
    let stop = &services.stop;
    let preview = s.mode == Mode::Preview;
    if let Some(details) = details.filter(|_| s.show_table) {
        let details = details.lock().unwrap_or_else(|p| p.into_inner());
        let written = match table {
            Table::Kept(patients) => write_preview(s, &collected.rows, &details, patients),
            Table::Spooled(Some(spool)) => spool.write(std::io::stdout().lock()),
            Table::Spooled(None) => Ok(()),
        };
        written
            .or_else(|e| match e.kind() {
                // `annie-dispatch run --dry-run ... | head` is fine.
                std::io::ErrorKind::BrokenPipe => Ok(()),
                _ => Err(e),
            })
            .context("cannot write the preview to stdout")?;
    }
    // `check` (a preview without its table) prints its own report instead.
    if !global.quiet && (s.show_table || !preview) {
        let (line, path) = (collected.summary.line(), s.results_path.display());
        crate::logging::line(&format!("{line}; results in {path}; {days}"));
    }
    if let Some(path) = &s.report {
        let (days, dates) = report_days;
        let kind = match preview {
            true => report::Kind::Preview,
            false => report::Kind::Run,
        };
        let mut page = report::Page::new(kind, &s.name, &s.locations, days, dates);
        page.rehearsal = s.sandbox;
        let entries: Vec<report::Entry<'_>> = collected
            .rows
            .iter()
            .map(report::Entry::of_result)
            .collect();
        report::write(path, &page, &entries).map_err(AfterCallsStarted)?;
    }
    if let Some(path) = &s.summary_json {
        let exit_status = crate::exit::for_summary(&collected.summary, stop.interrupted());
        let json = collected.summary.to_json(&s.results_path, exit_status);
        crate::private_file::write(path, format!("{json:#}\n").as_bytes())
            .with_context(|| format!("cannot write the --summary-json file `{}`", path.display()))
            .map_err(AfterCallsStarted)?;
    }
    Ok(collected)
}

/// Who each row is about, for the preview table: only a preview that prints its table keeps it.
pub fn patients(s: &Settings, selected: &[Selected]) -> Patients {
    match s.mode == Mode::Preview && s.show_table {
        true => Patients::of(selected),
        false => Patients::default(),
    }
}

/// The preview table (and the texts `--show-texts` asks for) on stdout, fitted to 100 columns,
/// or to a wider terminal; `--wide` fits nothing.
fn write_preview(
    s: &Settings,
    rows: &[RowResult],
    details: &CallDetails,
    patients: &Patients,
) -> std::io::Result<()> {
    let (width, locations) = table_shape(s);
    let layout = preview::Layout::new(width, locations, patients);
    let stdout = std::io::stdout().lock();
    preview::write_table(stdout, rows, &layout)?;
    if s.show_texts > 0 {
        preview::write_texts(std::io::stdout().lock(), details, rows, &layout)?;
    }
    Ok(())
}

/// The width the table fits (`None`: `--wide`) and, for a group, each location's id and name.
fn table_shape(s: &Settings) -> (Option<usize>, Option<Vec<(String, String)>>) {
    use std::io::IsTerminal;
    // The terminal's width, or `COLUMNS` when it says (as shells export it, and as help uses).
    let terminal = std::io::stdout()
        .is_terminal()
        .then(|| console::Term::stdout().size_checked())
        .flatten()
        .map(|(_, columns)| usize::from(columns))
        .or_else(|| std::env::var("COLUMNS").ok()?.trim().parse().ok());
    let width = match s.wide {
        true => None,
        false => Some(terminal.unwrap_or(0).max(preview::DEFAULT_WIDTH)),
    };
    let group = s.locations.len() > 1;
    let locations = group.then(|| {
        s.locations
            .iter()
            .map(|l| (l.id.clone(), l.label().to_string()))
            .collect()
    });
    (width, locations)
}

fn open_emit_file(settings: &Settings) -> anyhow::Result<Option<Box<dyn std::io::Write + Send>>> {
    let Some(path) = &settings.emit_requests else {
        return Ok(None);
    };
    let file = crate::private_file::create(path).with_context(|| {
        format!(
            "cannot create the --emit-requests file `{}`",
            path.display()
        )
    })?;
    Ok(Some(Box::new(std::io::BufWriter::new(file))))
}

/// What a run (or a preview, streamed or not) tells `main`: its rows, summary and warnings, and
/// whether a signal stopped it.
pub(crate) fn outcome(
    collected: Collected,
    services: &Services,
    warnings: Vec<String>,
    notes: Vec<String>,
) -> crate::exit::RunOutcome {
    crate::exit::RunOutcome {
        summary: collected.summary,
        interrupted: services.stop.interrupted(),
        rows: collected.rows,
        other_problem: false,
        warnings,
        notes,
    }
}
