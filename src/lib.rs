//! annie-dispatch: a practice-management export in, one Annie confirmation call per appointment
//! out, and a results file that accounts for every row.
//!
//! The pipeline, one module per stage, plain data between them:
//!
//! | stage | module | in → out |
//! |---|---|---|
//! | read the export | [`export`] | file → [`export::RawRecord`]s |
//! | normalise | [`normalise`] | raw record → [`normalise::Appointment`] or a reason |
//! | select | [`select`], [`optout`] | appointments → call / settled verdicts |
//! | remember | [`recall`], [`reconcile`] | what earlier runs did, from the [`ledger`] |
//! | group and guard | [`households`], [`guard`] | one call per phone; per-number rules, [`hours`] |
//! | render | [`render`], [`plan`] | households → request bodies; settled rows → result rows |
//! | dispatch | [`dispatch`] (with [`api`]) | calls → result rows, rate-limited, recorded |
//! | record results | [`collect`], [`results`] | result rows → results file, progress, summary |

pub mod api;
pub mod check;
pub mod cli;
pub mod clock;
pub mod collect;
pub mod config;
pub mod dispatch;
pub mod exit;
pub mod export;
pub mod guard;
pub mod hours;
pub mod households;
pub mod languages;
pub mod ledger;
pub mod logging;
pub mod normalise;
pub mod number_rules;
pub mod oauth;
pub mod optout;
pub mod outcomes;
pub mod plan;
pub mod practice;
pub mod preview;
pub mod recall;
pub mod reconcile;
pub mod render;
pub mod report;
pub mod results;
pub mod sandbox;
pub mod select;
pub mod settings;
pub mod signals;

use std::sync::{Arc, Mutex};

use anyhow::Context;
use tokio::sync::mpsc;

use crate::api::AnnieClient;
use crate::cli::{Cli, Command, GlobalArgs, RunArgs};
use crate::clock::Clock;
use crate::dispatch::{Dispatcher, Gate, Mode, Outputs, Stop};
use crate::exit::{AfterCallsStarted, WindowClosed};
use crate::ledger::Ledger;
use crate::results::{ResultsWriter, Summary};
use crate::settings::Settings;

/// How a run ended, for the exit status.
#[derive(Debug)]
pub struct RunOutcome {
    pub summary: Summary,
    /// The exit status of the signal that interrupted the run, if one did.
    pub interrupted: Option<u8>,
    /// Every result row, in input order (kept in a preview only).
    pub rows: Vec<results::RowResult>,
    /// A problem outside the rows that needs a person (`check`: no API key).
    pub other_problem: bool,
}

impl RunOutcome {
    /// For commands that process no rows.
    pub(crate) fn nothing() -> RunOutcome {
        RunOutcome {
            summary: Summary::default(),
            interrupted: None,
            rows: Vec::new(),
            other_problem: false,
        }
    }

    /// The process exit status (see [`exit`]).
    pub fn exit_status(&self) -> u8 {
        match exit::for_summary(&self.summary, self.interrupted) {
            exit::SUCCESS if self.other_problem => exit::NEEDS_ATTENTION,
            code => code,
        }
    }
}

/// Runs the command the user asked for.
pub async fn run(cli: &Cli) -> anyhow::Result<RunOutcome> {
    match &cli.command {
        Command::Run(args) => run_dispatch(args, &cli.global).await,
        Command::Sandbox(args) => {
            sandbox::serve(args).await?;
            Ok(RunOutcome::nothing())
        }
        Command::Check(args) => check::check(args, &cli.global).await,
        Command::Outcomes(args) => outcomes::outcomes(args).await,
        Command::Completions { shell } => {
            let mut command = <Cli as clap::CommandFactory>::command();
            clap_complete::generate(
                *shell,
                &mut command,
                "annie-dispatch",
                &mut std::io::stdout(),
            );
            Ok(RunOutcome::nothing())
        }
        Command::Man => {
            let command = <Cli as clap::CommandFactory>::command();
            clap_mangen::Man::new(command).render(&mut std::io::stdout())?;
            Ok(RunOutcome::nothing())
        }
    }
}

/// `annie-dispatch run`: the whole pipeline.
pub async fn run_dispatch(args: &RunArgs, global: &GlobalArgs) -> anyhow::Result<RunOutcome> {
    let mut s = Settings::build(args, global, &|name| std::env::var(name).ok())?;
    let sandbox = match s.sandbox {
        true => Some(sandbox::start_for_run(&mut s).await?),
        false => None,
    };
    let outcome = dispatch_with(s, global).await;
    if let Some(sandbox) = sandbox {
        sandbox.stop().await;
    }
    outcome
}

pub(crate) async fn dispatch_with(s: Settings, global: &GlobalArgs) -> anyhow::Result<RunOutcome> {
    if !s.allow_stale {
        export::check_fresh(&s.input, s.now)?;
    }
    let (clock, tz) = (Clock::starting_at(s.now), s.practice.timezone);
    let records = export::read(&s.input)?;
    let appointments = normalise::normalise_all(records, &s.input, &s.practice);
    let opt_outs = optout::OptOuts::build(do_not_call_list(&s)?, &appointments);
    let selected = select::select(appointments, &s.selection, &opt_outs, clock.now(), tz);

    let services = Services::start(&s, &clock).await?;
    let (selected, moved) =
        recall::recall(selected, services.ledger.as_ref(), s.retry_uncertain, tz)?;
    let selected = reconcile::settle_earlier(
        selected,
        &services.finder(&s),
        services.ledger.as_ref(),
        tz,
        clock.now(),
    )
    .await?;
    let (mut settled, households) = households::group(selected, s.households);
    let (deferred, households) = guard::check(
        households,
        services.ledger.as_ref(),
        &s.hours,
        clock.now(),
        tz,
    )?;
    settled.extend(deferred);
    let plan = plan::plan(settled, households);
    tracing::info!(
        rows = plan.rows(),
        calls = plan.calls.len(),
        "export read and planned"
    );
    services.supersede(&moved, clock.now())?;

    let (collected, interrupted) = dispatch_and_collect(plan, s, services, clock, global).await?;
    Ok(RunOutcome {
        summary: collected.summary,
        interrupted,
        rows: collected.rows,
        other_problem: false,
    })
}

/// What a run talks to: the ledger (locked when sending), the stop flag (signals), the API
/// client (absent in a preview) and the one rate gate every request goes through.
struct Services {
    ledger: Option<Ledger>,
    stop: Arc<Stop>,
    client: Option<Arc<AnnieClient>>,
    gate: Arc<Gate>,
}

impl Services {
    /// Opens the ledger, installs the signal handlers and, when sending, waits for (or refuses
    /// outside) calling hours.
    async fn start(s: &Settings, clock: &Clock) -> anyhow::Result<Services> {
        let ledger = match s.mode {
            Mode::Send(_) => Some(Ledger::open(&s.ledger_path)?),
            Mode::Preview => Ledger::open_read_only(&s.ledger_path)?,
        };
        let stop = Arc::new(Stop::default());
        signals::watch(stop.clone())?;
        let client = match &s.mode {
            Mode::Send(api) => Some(Arc::new(AnnieClient::new(api)?)),
            Mode::Preview => None,
        };
        if client.is_some() {
            wait_for_calling_hours(s, clock, &stop).await?;
        }
        let gate = Arc::new(Gate::new(s.dispatch.requests_per_minute));
        Ok(Services {
            ledger,
            stop,
            client,
            gate,
        })
    }

    fn finder<'a>(&'a self, s: &'a Settings) -> reconcile::Finder<'a> {
        reconcile::Finder {
            client: self.client.as_deref(),
            gate: &self.gate,
            from_number: &s.practice.from_number,
            max_pages: s.dispatch.reconcile_pages,
        }
    }

    /// Marks the old attempts of moved appointments superseded (sending runs only).
    fn supersede(
        &self,
        moved: &[recall::Moved],
        now: chrono::DateTime<chrono::Utc>,
    ) -> anyhow::Result<()> {
        if let (Some(l), Some(_)) = (&self.ledger, &self.client) {
            for m in moved {
                l.supersede(&m.appointment_id, &m.start_time, now)?;
            }
        }
        Ok(())
    }
}

/// Stages 5 and 6: the dispatcher sends, the collector records; then the preview table and the
/// summary line. Returns what was collected and the interrupting signal's status, if any.
async fn dispatch_and_collect(
    plan: plan::Plan,
    s: Settings,
    services: Services,
    clock: Clock,
    global: &GlobalArgs,
) -> anyhow::Result<(collect::Collected, Option<u8>)> {
    let writer = ResultsWriter::create(&s.results_path)?;
    let requests = open_emit_file(&s)?;
    let preview = services.client.is_none();
    let details = preview.then(|| Arc::new(Mutex::new(preview::CallDetails::new())));
    let total = plan.rows();

    // From here on calls may be made: errors no longer mean "nothing was sent".
    let (tx, rx) = mpsc::unbounded_channel();
    for row in plan.settled {
        tx.send(row)
            .context("internal error: results channel closed early")?;
    }
    let keep_rows = preview || s.report.is_some();
    let collector = tokio::spawn(collect::collect(
        rx,
        writer,
        total,
        s.show_progress,
        keep_rows,
    ));
    let stop = services.stop.clone();
    let dispatcher = Dispatcher {
        client: services.client,
        gate: services.gate,
        ledger: services.ledger.map(|l| Arc::new(Mutex::new(l))),
        stop: services.stop,
        settings: s.dispatch.clone(),
        hours: s.hours.clone(),
        clock,
        limit: s.limit,
        from_number: s.practice.from_number.clone(),
        run_id: format!("{}-{}", clock::stamp(clock.start()), std::process::id()),
        practice: s.practice.clone(),
        templates: Arc::new(s.templates),
        languages: Arc::new(s.languages),
        details: details.clone(),
        drain_timeout: match &s.mode {
            Mode::Send(api) => api.timeout + std::time::Duration::from_secs(5),
            Mode::Preview => std::time::Duration::ZERO,
        },
    };
    let outputs = Outputs {
        results: tx,
        requests,
    };
    let dispatched = dispatcher.run(plan.calls, outputs).await;
    let collected = collector
        .await
        .map_err(|e| AfterCallsStarted(anyhow::anyhow!("internal error: collector failed: {e}")))?
        .map_err(AfterCallsStarted)?;
    dispatched.map_err(AfterCallsStarted)?;
    if collected.summary.total() != total {
        let recorded = collected.summary.total();
        let e =
            anyhow::anyhow!("internal error: {total} rows read but {recorded} results recorded");
        return Err(AfterCallsStarted(e).into());
    }

    if let Some(details) = details.filter(|_| s.show_table) {
        let details = details.lock().unwrap_or_else(|p| p.into_inner());
        let stdout = std::io::stdout().lock();
        preview::write_table(std::io::BufWriter::new(stdout), &collected.rows, &details)
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
        eprintln!("annie-dispatch: {line}; results in {path}");
    }
    if let Some(path) = &s.report {
        let title = format!("annie-dispatch: {}", s.input.path.display());
        report::write(
            path,
            &title,
            &s.practice.name,
            &collected.rows,
            &collected.summary,
        )
        .map_err(AfterCallsStarted)?;
    }
    if let Some(path) = &s.summary_json {
        let json = collected
            .summary
            .to_json(&s.results_path, stop.interrupted());
        std::fs::write(path, format!("{json:#}\n"))
            .with_context(|| format!("cannot write the --summary-json file `{}`", path.display()))
            .map_err(AfterCallsStarted)?;
    }
    Ok((collected, stop.interrupted()))
}

fn do_not_call_list(s: &Settings) -> anyhow::Result<Vec<String>> {
    match &s.opt_out.list {
        Some(path) => optout::load_list(path, s.practice.phone_region),
        None => Ok(Vec::new()),
    }
}

/// Outside the organisation's calling hours: exit 75 (EX_TEMPFAIL) having sent nothing, or, with
/// `--wait-for-window`, wait until they open (a signal ends the wait).
async fn wait_for_calling_hours(s: &Settings, clock: &Clock, stop: &Stop) -> anyhow::Result<()> {
    while let Err(closed) = s.hours.org_open(clock.now()) {
        let Some(opens_at) = closed.opens_at.filter(|_| s.wait_for_window) else {
            let hint = "nothing was sent. Run again then, or pass --wait-for-window";
            return Err(WindowClosed(format!("{}; {hint}", closed.reason)).into());
        };
        let wait = (opens_at - clock.now()).to_std().unwrap_or_default();
        tracing::info!(wait_secs = wait.as_secs(), "{}; waiting", closed.reason);
        let countdown = collect::countdown(wait, s.show_progress);
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = stop.wait() => return Ok(()),
        }
        drop(countdown);
    }
    Ok(())
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
