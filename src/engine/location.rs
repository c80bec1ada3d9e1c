//! One location's rows, from selection to calls: what earlier runs did, households, the
//! per-number rules and calling hours, the plan, then the dispatcher.

use crate::select::Selected;
use crate::services::{Office, Services};
use crate::settings::{Mode, Settings};
use crate::{
    dispatch, guard, households, locations, optout, outputs, plan, reason, recall, reconcile,
    schedule, select,
};

/// Stages 4–6 for one location: plan its calls, then make them. Its rows go to the shared
/// collector; if its plan cannot be made (the ledger failed), each of its rows is reported
/// `not_attempted` with the reason, and the other locations go on.
pub(super) async fn run_location(
    selected: Vec<Selected>,
    office: &Office,
    services: &Services,
    s: &Settings,
    output: &outputs::Reporter,
    opt_outs: &optout::OptOuts,
) -> anyhow::Result<()> {
    let location = &office.location;
    // `--accept-new-key` with a key Annie refused, or that could not be checked: not recorded,
    // and nobody is called through it.
    if let Some(refused) = &office.key_refused {
        return not_called_with_new_key(selected, refused, office, services, output);
    }
    // A location with nobody to call (nobody the ledger does not show as reminded already) is
    // not waited for: the run would hold the ledger for hours.
    let anyone = || {
        let ledger = services.ledger.as_deref();
        let locked = ledger.map(|l| l.lock().unwrap_or_else(|p| p.into_inner()));
        anyone_to_call(&selected, location, locked.as_deref())
    };
    // (A ledger that cannot be read here fails the recall below, with the rows' results.)
    if s.wait_for_window && office.client.is_some() && anyone().unwrap_or(true) {
        // After a wait, its history is checked again before its first call.
        if dispatch::wait_for_window(location, &office.clock, &office.stop).await {
            office
                .checked
                .store(false, std::sync::atomic::Ordering::SeqCst);
        }
    }
    if let Err(e) = services.rebuild_history(office).await {
        let reason = reason::Reason::new(history_code(&e), format!("not attempted: {e:#}"));
        output.send_settled(plan::none_called(selected, location.results_id(), &reason))?;
        return Err(e);
    }
    let rows: Vec<u64> = selected.iter().map(|r| r.row).collect();
    let recalled = recall_location(selected, office, services);
    let (selected, moved) = match recalled {
        Ok(recalled) => recalled,
        Err(e) => {
            output.send_settled(plan::not_planned(&rows, location.results_id(), &e))?;
            return Err(e);
        }
    };
    // A signal during the wait for the window (or before anything was planned): the rows still
    // to be called are not attempted, as when a signal stops the calls.
    if let Some(reason) = office
        .stop
        .reason()
        .filter(|_| office.stop.interrupted().is_some())
    {
        return output.send_settled(plan::none_called(selected, location.results_id(), &reason));
    }
    // A ledger that has a history may still be behind Annie (restored from an older backup,
    // or calls made through another ledger): checked before the first call. Rows the ledger
    // already settles (sent earlier) keep their result; the others are not attempted.
    let anyone = selected.iter().any(to_call);
    if let Err(e) = services.catch_up_history(office, anyone).await {
        let reason = reason::Reason::new(history_code(&e), format!("not attempted: {e:#}"));
        output.send_settled(plan::none_called(selected, location.results_id(), &reason))?;
        return Err(e);
    }
    let planned = plan_recalled(selected, moved, office, services, s, opt_outs).await;
    let (plan, schedule) = match planned {
        Ok(planned) => planned,
        Err(e) => {
            output.send_settled(plan::not_planned(&rows, location.results_id(), &e))?;
            return Err(e);
        }
    };
    log_planned(location, plan.rows(), plan.calls.len());
    output.send_settled(plan.settled)?;
    let dispatcher = services.dispatcher(office, s.limit, output.details.clone());
    dispatcher
        .run(plan.calls, schedule, output.outputs.clone())
        .await
}

/// A location whose new key (`--accept-new-key`) was refused or could not be checked calls
/// nobody. Rows the ledger already settles (sent by an earlier run tonight) keep their result
/// and conversation id, as when the history cannot be checked against Annie: the rerun's results
/// file replaces the night's, and `outcomes` reads the night's calls from it. The other rows are
/// `not_attempted` with the reason; the location's error ends the run (exit 1).
fn not_called_with_new_key(
    selected: Vec<Selected>,
    refused: &crate::history::KeyNotRecorded,
    office: &Office,
    services: &Services,
    output: &outputs::Reporter,
) -> anyhow::Result<()> {
    let location = &office.location;
    let rows: Vec<u64> = selected.iter().map(|r| r.row).collect();
    let selected = match recall_location(selected, office, services) {
        Ok((selected, _moved)) => selected,
        Err(e) => {
            output.send_settled(plan::not_planned(&rows, location.results_id(), &e))?;
            return Err(e);
        }
    };
    let reason = reason::Reason::new(refused.code(), format!("not attempted: {refused}"));
    output.send_settled(plan::none_called(selected, location.results_id(), &reason))?;
    Err(anyhow::anyhow!(refused.clone()))
}

/// Stages 4 and 5 for one location: what earlier runs did, households, the per-number rules
/// and calling hours, then the plan.
pub(super) async fn plan_location(
    selected: Vec<Selected>,
    office: &Office,
    services: &Services,
    s: &Settings,
    opt_outs: &optout::OptOuts,
) -> anyhow::Result<(plan::Plan, schedule::Schedule)> {
    let (selected, moved) = recall_location(selected, office, services)?;
    plan_recalled(selected, moved, office, services, s, opt_outs).await
}

/// What the ledger says earlier runs did with each row still to be called (already sent, an
/// attempt to look for in Annie), and the appointments that moved since.
fn recall_location(
    selected: Vec<Selected>,
    office: &Office,
    services: &Services,
) -> anyhow::Result<(Vec<Selected>, Vec<recall::Moved>)> {
    let ledger = services.ledger.as_deref();
    let locked = ledger.map(|l| l.lock().unwrap_or_else(|p| p.into_inner()));
    recall::recall(selected, locked.as_deref(), &office.location.id)
}

/// [`plan_location`] once the ledger's history is applied ([`recall_location`]).
async fn plan_recalled(
    selected: Vec<Selected>,
    moved: Vec<recall::Moved>,
    office: &Office,
    services: &Services,
    s: &Settings,
    opt_outs: &optout::OptOuts,
) -> anyhow::Result<(plan::Plan, schedule::Schedule)> {
    let (location, clock) = (&office.location, office.clock);
    let ledger = services.ledger.as_deref();
    let locked = || ledger.map(|l| l.lock().unwrap_or_else(|p| p.into_inner()));
    let finder = office.finder();
    let selected =
        reconcile::settle_earlier(selected, &finder, ledger, clock.now(), s.retry_uncertain)
            .await?;
    let selected = guard::requests_not_to_call(selected, locked().as_deref())?;
    let (mut settled, households) = households::group(selected, s.households);
    let checked = guard::check(
        households,
        locked().as_deref(),
        location,
        clock.now(),
        &services.spacing,
        opt_outs,
        &services.own_numbers,
    )?;
    settled.extend(checked.settled);
    let mut plan = plan::plan(settled, checked.callable, location.results_id());
    recall::flag_uncovered(&mut plan.settled, &checked.schedule.uncovered, &moved);
    services.supersede(office, &moved, clock.now())?;
    Ok((plan, checked.schedule))
}

/// Whether a row is still to be called (or looked for in Annie) after selection.
fn to_call(row: &Selected) -> bool {
    matches!(
        row.verdict,
        select::Verdict::Call(_) | select::Verdict::Reconcile { .. }
    )
}

/// Whether a sending run has anyone to call at this location: a row still to be called that
/// the ledger does not show as already sent (`--wait-for-window` waits only for such a
/// location: a rerun after every reminder went out need not wait for the window, holding the
/// ledger). Without a ledger yet, every row to be called counts.
pub(super) fn anyone_to_call(
    rows: &[Selected],
    location: &locations::Location,
    ledger: Option<&crate::ledger::Ledger>,
) -> anyhow::Result<bool> {
    for row in rows.iter().filter(|r| to_call(r)) {
        match (&row.verdict, ledger) {
            (select::Verdict::Call(a), Some(ledger)) => {
                if !recall::sent_before(ledger, &location.id, a)? {
                    return Ok(true);
                }
            }
            _ => return Ok(true),
        }
    }
    Ok(false)
}

/// The log line that says how many rows and calls a location's plan has.
pub(super) fn log_planned(location: &locations::Location, rows: usize, calls: usize) {
    match location.results_id() {
        Some(id) => tracing::info!(location = %id, rows, calls, "export read and planned"),
        None => tracing::info!(rows, calls, "export read and planned"),
    }
}

/// Rows with a location, grouped by it (input order kept), and the rows without one (invalid
/// before a location could be read), which no location's stages need.
pub(super) fn split_by_location(
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
        match row.verdict.location() {
            Some(i) if i < locations => by_location[i].push(row),
            _ => unplaced.push(row),
        }
    }
    (unplaced, by_location)
}

/// The reason code of a location's rows when its history could not be checked or rebuilt:
/// `credentials_refused` when Annie refused its key (monitoring keys on it, and the fix is the
/// key), else `not_planned`.
fn history_code(e: &anyhow::Error) -> reason::ReasonCode {
    match e.downcast_ref::<crate::history::KeyRefused>() {
        Some(_) => reason::ReasonCode::CredentialsRefused,
        None => reason::ReasonCode::NotPlanned,
    }
}

pub(super) fn do_not_call_list(s: &Settings) -> anyhow::Result<Vec<String>> {
    match &s.opt_out.list {
        Some(path) => {
            let bytes = std::fs::read(path).map_err(|e| {
                anyhow::anyhow!("cannot read the do-not-call list `{}`: {e}", path.display())
            })?;
            let text = optout::decode_list(&bytes, path)?;
            let numbers = optout::parse_list(&text, path, s.locations[0].practice.phone_region)?;
            if numbers.is_empty() {
                // A list emptied by a failed export or sync would call everyone on it again.
                tracing::warn!(
                    list = %path.display(),
                    "the do-not-call list holds no number: nobody is kept from being called by it; \
                     if it should hold some, restore it before the real run"
                );
            }
            Ok(numbers)
        }
        None => Ok(Vec::new()),
    }
}

/// Logs the notes about the export as a whole (a preset's opt-out columns it lacks, see
/// [`crate::export::opt_out_notes`]), once the whole export has been read: at info level in a
/// preview (and so `check`), where the setup is reviewed; in a sending run only with `-v`, since
/// the same fact every night would only teach people to skim the log.
pub(crate) fn note_all(notes: &[String], mode: Mode) {
    for note in notes {
        match mode {
            Mode::Preview => tracing::info!("{note}"),
            Mode::Send => tracing::debug!("{note}"),
        }
    }
}

/// Logs what the export's flag columns hold that nothing recognises (see
/// [`crate::column_values`]).
pub(crate) fn warn_all(warnings: &[String]) {
    for warning in warnings {
        tracing::warn!("{warning}");
    }
}
