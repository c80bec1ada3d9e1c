//! annie-dispatch: a practice-management export in, one Annie confirmation call per appointment
//! out, and a results file that accounts for every row.
//!
//! The pipeline, one module per stage, plain data between them:
//!
//! | stage | module | in → out |
//! |---|---|---|
//! | read the export | [`export`] | file → [`export::RawRecord`]s |
//! | normalise | [`normalise`] | raw record → [`normalise::Appointment`] or a reason |
//! | select | [`select`] | appointments → call / skip / invalid verdicts |
//! | render | [`render`], [`plan`] | verdicts → request bodies or settled result rows |
//! | dispatch | [`dispatch`] (with [`api`]) | calls → result rows, rate-limited |
//! | record results | [`collect`], [`results`] | result rows → results file, progress, summary |

pub mod api;
pub mod cli;
pub mod collect;
pub mod config;
pub mod dispatch;
pub mod exit;
pub mod export;
pub mod logging;
pub mod normalise;
pub mod plan;
pub mod practice;
pub mod preview;
pub mod render;
pub mod results;
pub mod select;
pub mod settings;

use anyhow::Context;
use tokio::sync::mpsc;

use crate::cli::{Cli, Command, GlobalArgs, RunArgs};
use crate::dispatch::{Mode, Outputs};
use crate::exit::AfterCallsStarted;
use crate::results::{ResultsWriter, Summary};
use crate::settings::Settings;

/// Runs the command the user asked for.
pub async fn run(cli: &Cli) -> anyhow::Result<Summary> {
    match &cli.command {
        Command::Run(args) => run_dispatch(args, &cli.global).await,
    }
}

/// `annie-dispatch run`: the whole pipeline.
pub async fn run_dispatch(args: &RunArgs, global: &GlobalArgs) -> anyhow::Result<Summary> {
    let settings = Settings::build(args, global, &|name| std::env::var(name).ok())?;
    if !settings.allow_stale {
        export::check_fresh(&settings.input, settings.now)?;
    }
    let records = export::read(&settings.input)?;
    let appointments = normalise::normalise_all(records, &settings.input, &settings.practice);
    let tz = settings.practice.timezone;
    let selected = select::select(appointments, &settings.selection, settings.now, tz);
    let plan = plan::plan(selected, &settings.templates, &settings.practice);
    tracing::info!(
        rows = plan.rows(),
        calls = plan.calls.len(),
        "export read and planned"
    );

    let writer = ResultsWriter::create(&settings.results_path)?;
    let requests = open_emit_file(&settings)?;
    let preview = matches!(settings.mode, Mode::Preview);
    let details = preview.then(|| preview::CallDetails::new(&plan.calls));
    let total = plan.rows();

    // From here on calls may be made: errors no longer mean "nothing was sent".
    let (tx, rx) = mpsc::unbounded_channel();
    for row in plan.settled {
        tx.send(row)
            .context("internal error: results channel closed early")?;
    }
    let collector = tokio::spawn(collect::collect(
        rx,
        writer,
        total,
        settings.show_progress,
        preview,
    ));
    let outputs = Outputs {
        results: tx,
        requests,
    };
    let dispatched = dispatch::dispatch(
        plan.calls,
        &settings.mode,
        &settings.dispatch,
        settings.limit,
        outputs,
    )
    .await;
    let collected = collector
        .await
        .map_err(|e| AfterCallsStarted(anyhow::anyhow!("internal error: collector failed: {e}")))?
        .map_err(AfterCallsStarted)?;
    dispatched.map_err(AfterCallsStarted)?;
    if collected.summary.total() != total {
        return Err(AfterCallsStarted(anyhow::anyhow!(
            "internal error: {total} rows read but {} results recorded",
            collected.summary.total()
        ))
        .into());
    }

    if let Some(details) = details {
        println!("{}", preview::table(&collected.rows, &details));
    }
    if !global.quiet {
        eprintln!(
            "annie-dispatch: {}; results in {}",
            collected.summary.line(),
            settings.results_path.display()
        );
    }
    Ok(collected.summary)
}

fn open_emit_file(settings: &Settings) -> anyhow::Result<Option<Box<dyn std::io::Write + Send>>> {
    let Some(path) = &settings.emit_requests else {
        return Ok(None);
    };
    let file = std::fs::File::create(path).with_context(|| {
        format!(
            "cannot create the --emit-requests file `{}`",
            path.display()
        )
    })?;
    Ok(Some(Box::new(std::io::BufWriter::new(file))))
}
