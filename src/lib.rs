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
//!
//! [`engine`] runs them: the whole export ([`engine::dispatch_with`]), then each location at once;
//! a preview over a CSV export streams through the same stages in bounded memory.

pub mod api;
pub mod calling_day;
pub mod check;
pub mod cli;
pub mod clock;
pub mod collect;
pub mod config;
pub mod csv_cells;
pub mod dispatch;
pub mod engine;
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
pub mod schedule;
pub mod secrets;
pub mod select;
pub mod services;
pub mod settings;
pub mod signals;
pub mod templates;

use crate::cli::{Cli, Command, GlobalArgs, RunArgs};
use crate::settings::Settings;
pub use exit::RunOutcome;

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
    let outcome = engine::dispatch_with(s, global).await;
    for sandbox in sandboxes {
        sandbox.stop().await;
    }
    outcome
}
