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
//! a preview over a CSV export streams through the same stages in bounded memory. Each
//! subcommand is one file of [`cmd`].

// The modules by layer, lowest first; a file imports only from its own layer and the ones below
// (docs/development.md, "Layers"; `tests/it/imports.rs` checks it). Private to the crate unless
// `main.rs` or the integration tests use them.

// 1. Settings and model: raw input → validated settings; the plain data that flows.
pub(crate) mod calling_day;
pub mod cli;
pub(crate) mod clock;
pub mod config;
pub mod csv_cells;
pub mod exit;
pub(crate) mod hours;
pub(crate) mod locations;
pub(crate) mod placement;
pub(crate) mod practice;
pub mod reason;
pub(crate) mod results;
pub mod secrets;
pub(crate) mod settings;
pub(crate) mod templates;

// 2. Stages: pure steps from model to model.
pub(crate) mod column_values;
pub(crate) mod conversations;
pub(crate) mod households;
pub(crate) mod languages;
pub(crate) mod normalise;
pub(crate) mod number_rules;
pub(crate) mod optout;
pub(crate) mod plan;
pub(crate) mod render;
pub(crate) mod schedule;
pub(crate) mod select;

// 3. I/O: one outside thing each.
pub(crate) mod api;
pub(crate) mod export;
pub mod ledger;
pub mod logging;
pub(crate) mod oauth;
pub(crate) mod preview;
pub(crate) mod private_file;
pub(crate) mod report;

// 4. The engine: the only place that combines stages and I/O.
pub(crate) mod collect;
pub(crate) mod dispatch;
pub(crate) mod engine;
pub(crate) mod guard;
pub(crate) mod history;
pub(crate) mod outputs;
pub(crate) mod recall;
pub(crate) mod reconcile;
pub(crate) mod services;
pub(crate) mod signals;

// 5. Commands.
pub(crate) mod cmd;
#[cfg_attr(not(feature = "sandbox"), path = "sandbox_off.rs")]
pub mod sandbox;

use crate::cli::{Cli, Command};
pub use exit::RunOutcome;

/// Runs the command the user asked for.
pub async fn run(cli: &Cli) -> anyhow::Result<RunOutcome> {
    match &cli.command {
        Command::Run(args) => cmd::run::run(args, &cli.global).await,
        Command::Sandbox(args) => {
            sandbox::serve(args).await?;
            Ok(RunOutcome::nothing())
        }
        Command::Check(args) => cmd::check::check(args, &cli.global).await,
        Command::Outcomes(args) => cmd::outcomes::outcomes(args).await,
        Command::Completions { shell } => {
            cmd::manual::completions(*shell, &mut std::io::stdout())?;
            Ok(RunOutcome::nothing())
        }
        Command::Man => {
            cmd::manual::man_page(&mut std::io::stdout())?;
            Ok(RunOutcome::nothing())
        }
    }
}
