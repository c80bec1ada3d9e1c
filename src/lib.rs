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
//! | per [location](locations), concurrently: | | |
//! | remember | [`recall`], [`reconcile`] | what earlier runs did, from the [`ledger`] |
//! | group and guard | [`households`], [`guard`] | one call per phone; per-number rules, [`hours`] |
//! | render | [`render`], [`plan`] | households → request bodies; settled rows → result rows |
//! | dispatch | [`dispatch`] (with [`api`]) | calls → result rows, rate-limited, recorded |
//! | record results | [`collect`], [`results`] | result rows → results file, progress, summary |

pub mod api;
pub mod calling_day;
pub mod check;
pub mod cli;
pub mod clock;
pub mod collect;
pub mod config;
pub mod csv_cells;
pub mod dispatch;
pub mod exit;
pub mod export;
pub mod guard;
pub mod history;
pub mod hours;
pub mod households;
pub mod languages;
pub mod ledger;
pub mod locations;
pub mod logging;
pub mod manual;
pub mod normalise;
pub mod number_rules;
pub mod oauth;
pub mod optout;
pub mod outcomes;
pub mod outputs;
pub mod placement;
pub mod plan;
pub mod practice;
pub mod preview;
pub(crate) mod private_file;
pub mod reason;
pub mod recall;
pub mod reconcile;
pub mod render;
pub mod report;
pub mod results;
#[cfg_attr(not(feature = "sandbox"), path = "sandbox_off.rs")]
pub mod sandbox;
pub mod secrets;
pub mod select;
pub mod services;
pub mod settings;
pub mod signals;
mod stream;

use crate::cli::{Cli, Command, GlobalArgs, RunArgs};
use crate::clock::Clock;
use crate::results::Summary;
use crate::select::Selected;
use crate::services::{Office, Services};
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
            manual::completions(*shell, &mut std::io::stdout())?;
            Ok(RunOutcome::nothing())
        }
        Command::Man => {
            manual::man_page(&mut std::io::stdout())?;
            Ok(RunOutcome::nothing())
        }
    }
}

/// `annie-dispatch run`: the whole pipeline.
pub async fn run_dispatch(args: &RunArgs, global: &GlobalArgs) -> anyhow::Result<RunOutcome> {
    let mut s = Settings::build(args, global, &|name| std::env::var(name).ok())?;
    let sandboxes = match s.sandbox {
        true => sandbox::start_for_run(&mut s).await?,
        false => Vec::new(),
    };
    let outcome = dispatch_with(s, global).await;
    for sandbox in sandboxes {
        sandbox.stop().await;
    }
    outcome
}

/// Stages 1–3 for the whole export, then stages 4–6 for each location at once, all feeding one
/// collector: when every location is done and the channel closes, every row has a result.
pub(crate) async fn dispatch_with(
    mut s: Settings,
    global: &GlobalArgs,
) -> anyhow::Result<RunOutcome> {
    if !s.allow_stale {
        export::check_fresh(&s.input, s.now)?;
    }
    if stream::applies(&s) {
        return stream::preview(s, global).await;
    }
    let clock = Clock::starting_at(s.now);
    let export = export::read(&s.input)?;
    // From here on, the mapping is the one this file allows (a preset's absent columns gone).
    s.input.columns = export.columns;
    let appointments = normalise::normalise_all(export.records, &s.input, &s.locations);
    let opt_outs = optout::OptOuts::build(do_not_call_list(&s)?, &appointments);
    let days = calling_day::CallingDay::for_locations(&s.locations, clock.now());
    let selected = select::select(appointments, &s.selection, &opt_outs, clock.now(), &days);
    let total = selected.len();
    let patients = outputs::patients(&s, &selected);
    let (unplaced, by_location) = split_by_location(selected, s.locations.len());

    let services = Services::start(&s, &clock).await?;
    let (output, collector) = outputs::start(&s, total, unplaced, &days, patients)?;
    // From here on calls may be made: errors no longer mean "nothing was sent".
    let offices = services.offices.iter().zip(by_location);
    let runs = offices.map(|(office, rows)| run_location(rows, office, &services, &s, &output));
    let finished = futures_util::future::join_all(runs).await;
    let collected =
        outputs::finish(collector, output, total, finished, &s, &services, global).await?;
    Ok(RunOutcome {
        summary: collected.summary,
        interrupted: services.stop.interrupted(),
        rows: collected.rows,
        other_problem: false,
    })
}

/// Stages 4–6 for one location: plan its calls, then make them. Its rows go to the shared
/// collector; if its plan cannot be made (the ledger failed), each of its rows is reported
/// `not_attempted` with the reason, and the other locations go on.
async fn run_location(
    selected: Vec<Selected>,
    office: &Office,
    services: &Services,
    s: &Settings,
    output: &outputs::Shared,
) -> anyhow::Result<()> {
    let location = &office.location;
    if s.wait_for_window && office.client.is_some() {
        dispatch::wait_for_window(location, &services.clock, &office.stop).await;
    }
    if let Err(e) = services.rebuild_history(office).await {
        let reason = reason::Reason::new(
            reason::ReasonCode::NotPlanned,
            format!("not attempted: {e:#}"),
        );
        output.send_settled(plan::none_called(selected, location.results_id(), &reason))?;
        return Err(e);
    }
    let rows: Vec<u64> = selected.iter().map(|r| r.row).collect();
    let plan = match plan_location(selected, office, services, s).await {
        Ok(plan) => plan,
        Err(e) => {
            output.send_settled(plan::not_planned(&rows, location.results_id(), &e))?;
            return Err(e);
        }
    };
    log_planned(location, plan.rows(), plan.calls.len());
    output.send_settled(plan.settled)?;
    let dispatcher = services.dispatcher(office, s.limit, output.details.clone());
    dispatcher.run(plan.calls, output.outputs.clone()).await
}

/// Stages 4 and 5 for one location: what earlier runs did, households, the per-number rules
/// and calling hours, then the plan.
pub(crate) async fn plan_location(
    selected: Vec<Selected>,
    office: &Office,
    services: &Services,
    s: &Settings,
) -> anyhow::Result<plan::Plan> {
    let (location, clock) = (&office.location, services.clock);
    let ledger = services.ledger.as_deref();
    let locked = || ledger.map(|l| l.lock().unwrap_or_else(|p| p.into_inner()));
    let (selected, moved) = recall::recall(selected, locked().as_deref())?;
    let finder = office.finder();
    let selected =
        reconcile::settle_earlier(selected, &finder, ledger, clock.now(), s.retry_uncertain)
            .await?;
    let (mut settled, households) = households::group(selected, s.households);
    let (deferred, households) =
        guard::check(households, locked().as_deref(), location, clock.now())?;
    settled.extend(deferred);
    let plan = plan::plan(settled, households, location.results_id());
    services.supersede(office, &moved, clock.now())?;
    Ok(plan)
}

/// The log line that says how many rows and calls a location's plan has.
pub(crate) fn log_planned(location: &locations::Location, rows: usize, calls: usize) {
    match location.results_id() {
        Some(id) => tracing::info!(location = %id, rows, calls, "export read and planned"),
        None => tracing::info!(rows, calls, "export read and planned"),
    }
}

/// Rows with a location, grouped by it (input order kept), and the rows without one (invalid
/// before a location could be read), which no location's stages need.
pub(crate) fn split_by_location(
    selected: Vec<Selected>,
    locations: usize,
) -> (Vec<Selected>, Vec<Vec<Selected>>) {
    if locations == 1 {
        // One practice: every row goes through its stages (which pass settled rows on as they
        // are), without copying a large export's rows into a second vector.
        return (Vec::new(), vec![selected]);
    }
    let mut unplaced = Vec::new();
    let mut by_location: Vec<Vec<Selected>> = (0..locations).map(|_| Vec::new()).collect();
    for row in selected {
        match row.verdict.appointment().map(|a| a.location) {
            Some(i) if i < locations => by_location[i].push(row),
            _ => unplaced.push(row),
        }
    }
    (unplaced, by_location)
}

pub(crate) fn do_not_call_list(s: &Settings) -> anyhow::Result<Vec<String>> {
    match &s.opt_out.list {
        Some(path) => optout::load_list(path, s.locations[0].practice.phone_region),
        None => Ok(Vec::new()),
    }
}
