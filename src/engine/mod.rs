//! The engine: a whole export through the stages, and each location's rows through theirs
//! ([`location`]); a preview over a CSV export streams instead ([`stream`]). The only place that
//! combines the pure stages with the ledger, the API and the outputs.

mod location;
mod spill;
mod stream;

use crate::cli::GlobalArgs;
use crate::clock::Clock;
use crate::exit::RunOutcome;
use crate::services::Services;
use crate::settings::{Mode, Settings};
use crate::{calling_day, column_values, export, normalise, optout, outputs, select};
use location::{do_not_call_list, note_all, run_location, split_by_location, warn_all};

/// Stages 1–3 for the whole export, then stages 4–6 for each location at once, all feeding one
/// collector: when every location is done and the channel closes, every row has a result.
pub async fn dispatch_with(mut s: Settings, global: &GlobalArgs) -> anyhow::Result<RunOutcome> {
    if !s.allow_stale {
        export::check_fresh(&s.input, s.now)?;
    }
    if s.mode == Mode::Preview && s.wait_for_window {
        s.now = waited_until(&s);
    }
    if stream::applies(&s) {
        return stream::preview(s, global).await;
    }
    let clock = Clock::starting_at(s.now);
    let export = export::read(&s.input)?;
    let export::OptOutNotes {
        mut warnings,
        notes,
    } = export::opt_out_notes(&export);
    // From here on, the mapping is the one this file allows (a preset's absent columns gone).
    s.input.columns = export.columns;
    warnings.extend(column_values::ColumnValues::of(&export.records, &s).warnings());
    warn_all(&warnings);
    note_all(&notes, s.mode);
    let appointments = normalise::normalise_all(export.records, &s.input, &s.locations);
    let opt_outs = optout::OptOuts::build(do_not_call_list(&s)?, &appointments);
    let days = calling_day::CallingDay::for_locations(&s.locations, clock.now());
    let seen = select::days_seen(&appointments, s.selection.window, &days, clock.now());
    let selected = select::select(appointments, &s.selection, &opt_outs, clock.now(), &days);
    let total = selected.len();
    let patients = outputs::patients(&s, &selected);
    let (unplaced, by_location) = split_by_location(selected, s.locations.len());

    let to_call = locations_to_call(&s, &by_location)?;
    let services = Services::start(&s, &clock, &to_call).await?;
    services.check_group_histories(&to_call).await;
    let (mut output, collector) = outputs::start(&s, total, unplaced, &days, patients)?;
    output.seen = seen;
    // From here on calls may be made: errors no longer mean "nothing was sent".
    let offices = services.offices.iter().zip(by_location);
    let runs =
        offices.map(|(office, rows)| run_location(rows, office, &services, &s, &output, &opt_outs));
    let finished = futures_util::future::join_all(runs).await;
    let collected =
        outputs::finish(collector, output, total, finished, &s, &services, global).await?;
    Ok(outputs::outcome(collected, &services, warnings, notes))
}

/// Per location, whether it has rows to call; for a sending run that waits for the window, the
/// rows the ledger shows as already sent do not count ([`location::anyone_to_call`]).
fn locations_to_call(
    s: &Settings,
    by_location: &[Vec<select::Selected>],
) -> anyhow::Result<Vec<bool>> {
    let ledger = match (s.wait_for_window, s.mode) {
        (true, Mode::Send) => crate::ledger::Ledger::open_read_only(&s.ledger_path)?,
        _ => None,
    };
    (by_location.iter().zip(&s.locations))
        .map(|(rows, location)| location::anyone_to_call(rows, location, ledger.as_ref()))
        .collect()
}

/// A preview of `run --wait-for-window` started while every location's calling hours are
/// closed: the moment the run would start calling, the first opening and its margin
/// ([`crate::hours::OPENING_MARGIN`]; the preview then shows
/// when each call would go, as the run makes them after waiting). Else the start itself.
fn waited_until(s: &Settings) -> chrono::DateTime<chrono::Utc> {
    let mut openings = Vec::new();
    for location in &s.locations {
        match location.hours.org_open(s.now) {
            Ok(()) => return s.now,
            Err(closed) => openings.extend(closed.opens_at),
        }
    }
    let Some(first) = openings.into_iter().min() else {
        return s.now;
    };
    let first = first + crate::hours::OPENING_MARGIN;
    tracing::info!(
        "calling hours are closed now; the preview starts at {first}, when the run would start \
         calling after waiting (--wait-for-window)"
    );
    first
}
