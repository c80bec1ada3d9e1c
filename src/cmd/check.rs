//! `annie-dispatch check`: everything a run would do, short of sending, and what would go wrong.
//!
//! It builds the settings a sending `run` would build, with the same start-up checks (API URL,
//! timeouts, credentials variables, templates, the ledger's path and owner), so every error a
//! run gives before sending, `check` gives too, with the same exit status. Then it runs the same
//! pipeline as `run --dry-run`, writes its results to a temporary file rather than next to the
//! export, and prints a short report instead of the preview table.

use std::io::Write;

use crate::calling_day::{self, CallingDay};
use crate::cli::{CheckArgs, GlobalArgs, RunArgs};
use crate::exit::RunOutcome;
use crate::settings::Settings;

pub async fn check(args: &CheckArgs, global: &GlobalArgs) -> anyhow::Result<RunOutcome> {
    let scratch = tempfile::tempdir()?;
    // Without an export, check the config and templates against a name that selects CSV.
    let input = args
        .input
        .clone()
        .unwrap_or_else(|| scratch.path().join("no-export.csv"));
    let run = RunArgs {
        config: args.config.clone(),
        input: input.clone(),
        results: None,
        dry_run: true,
        limit: None,
        now: args.now,
        emit_requests: None,
        // Without an export there is nothing to be stale.
        allow_stale: args.allow_stale || args.input.is_none(),
        retry_uncertain: false,
        accept_new_key: false,
        wait_for_window: false,
        sandbox: false,
        summary_json: None,
        report: None,
        preview: Default::default(),
    };
    let env = |name: &str| std::env::var(name).ok();
    let mut s = Settings::build(&run, global, &env)?;
    // A sending run goes by the real clock (it refuses `--now` against a real API).
    let as_run = RunArgs {
        dry_run: false,
        now: None,
        ..run.clone()
    };
    let startup = Settings::build(&as_run, global, &env).and_then(|send| ready_to_send(&send));
    s.show_table = false;
    s.show_progress = false;
    // The real ledger (beside where results would go) is read; the results go to scratch.
    s.results_path = scratch.path().join("check.results.csv");

    let mut out = std::io::stdout().lock();
    writeln!(out, "config: {} is valid", args.config.display())?;
    for l in &s.locations {
        let id = match l.id.as_str() {
            "" => String::new(),
            id => format!("location {id}: "),
        };
        writeln!(
            out,
            "  {id}{} ({}, calls from {})",
            l.practice.name,
            l.practice.timezone,
            l.caller_numbers().join(", ")
        )?;
    }
    writeln!(
        out,
        "templates: valid (every variable known; rendered against an example)"
    )?;
    match &startup {
        Ok(()) => writeln!(
            out,
            "api and ledger: ready (credentials set, ledger `{}` writable)",
            s.ledger_path.display()
        )?,
        Err(e) => writeln!(out, "a sending run would stop before calling anyone: {e:#}")?,
    }

    let mut outcome = RunOutcome::nothing();
    if args.input.is_some() {
        // What a run started now would be about (the day after its calling day).
        let days = CallingDay::for_locations(&s.locations, s.now);
        let days = calling_day::describe_all(&s.locations, &days, s.selection.window);
        outcome = crate::engine::dispatch_with(s, global).await?;
        writeln!(
            out,
            "export: {}: {}; {days}",
            input.display(),
            outcome.summary.line()
        )?;
        for warning in &outcome.warnings {
            writeln!(out, "  warning: {warning}")?;
        }
        // Patients such a column marks would be called: a setting needs attention (exit 1).
        if outcome
            .warnings
            .iter()
            .any(|w| crate::export::is_unread_opt_out_warning(w))
        {
            outcome.other_problem = true;
        }
        for note in &outcome.notes {
            writeln!(out, "  note: {note}")?;
        }
        for row in outcome.rows.iter().filter(|r| r.needs_attention()) {
            writeln!(
                out,
                "  row {} ({}): {}: {}",
                row.row,
                row.appointment_id.as_deref().unwrap_or("no id"),
                row.status.as_str(),
                row.reason.as_deref().unwrap_or("")
            )?;
        }
    } else {
        writeln!(out, "export: none given (pass --input to check one)")?;
    }
    out.flush()?;
    // What stops a sending run at start-up stops `check` the same way (exit 2).
    startup?;
    Ok(outcome)
}

/// The start-up checks a sending run makes on the ledger before anything else (see
/// `services::Services::start`), without taking its lock or creating it: the file (or its
/// folder) must be writable, and an existing ledger must belong to this config's API.
fn ready_to_send(s: &Settings) -> anyhow::Result<()> {
    crate::ledger::Ledger::check_writable(&s.ledger_path)?;
    crate::ledger::Ledger::check_not_busy(&s.ledger_path)?;
    if let Some(ledger) = crate::ledger::Ledger::open_read_only(&s.ledger_path)? {
        crate::history::check(&ledger, &s.locations, s.sandbox, false)?;
    }
    Ok(())
}
