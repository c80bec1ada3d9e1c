//! `annie-dispatch check`: everything a run would do, short of sending, and what would go wrong.
//!
//! It builds the same settings and runs the same pipeline as `run --dry-run` (so it can never
//! disagree with a real run), writes its results to a temporary file rather than next to the
//! export, and prints a short report instead of the preview table.

use std::io::Write;

use crate::calling_day::{self, CallingDay};
use crate::cli::{CheckArgs, GlobalArgs, RunArgs};
use crate::settings::Settings;
use crate::RunOutcome;

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
        allow_stale: true,
        retry_uncertain: false,
        accept_new_key: false,
        wait_for_window: false,
        sandbox: false,
        summary_json: None,
        report: None,
    };
    let env = |name: &str| std::env::var(name).ok();
    let mut s = Settings::build(&run, global, &env)?;
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
            l.from_numbers().join(", ")
        )?;
    }
    writeln!(
        out,
        "templates: valid (every variable known; rendered against an example)"
    )?;
    let mut key_set = true;
    let mut key_vars: Vec<&str> = s.locations.iter().map(|l| l.api_key_env.as_str()).collect();
    key_vars.dedup();
    for key_var in key_vars {
        if env(key_var).is_some_and(|k| !k.trim().is_empty()) {
            writeln!(out, "api key: `{key_var}` is set")?;
        } else {
            key_set = false;
            writeln!(
                out,
                "api key: `{key_var}` is not set: a sending run would stop with exit 2"
            )?;
        }
    }

    let mut outcome = RunOutcome::nothing();
    if args.input.is_some() {
        // What a run started now would be about (the day after its calling day).
        let days = CallingDay::for_locations(&s.locations, s.now);
        let days = calling_day::describe_all(&s.locations, &days, s.selection.window);
        outcome = crate::dispatch_with(s, global).await?;
        writeln!(
            out,
            "export: {}: {}; {days}",
            input.display(),
            outcome.summary.line()
        )?;
        for row in outcome.rows.iter().filter(|r| r.status.needs_attention()) {
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
    // A missing key needs a person even when every row is fine.
    outcome.other_problem = !key_set;
    Ok(outcome)
}
