//! `annie-dispatch run`: the export through the whole pipeline ([`crate::engine`]), against the
//! in-process sandbox when `--sandbox` asks for it.

use crate::cli::{GlobalArgs, RunArgs};
use crate::engine;
use crate::exit::RunOutcome;
use crate::sandbox;
use crate::settings::Settings;

/// `annie-dispatch run`: the whole pipeline.
pub(crate) async fn run(args: &RunArgs, global: &GlobalArgs) -> anyhow::Result<RunOutcome> {
    let mut s = Settings::build(args, global, &|name| std::env::var(name).ok())?;
    refuse_real_results(&s)?;
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

/// A `--sandbox` rehearsal refuses (exit 2, before anything is sent) a `--results` file that
/// holds calls of the real ledger: replacing a real run's results with the sandbox's would leave
/// the morning's `outcomes` reading the sandbox's conversations, and the real calls' outcomes
/// unrecorded (the breaker's round-9 finding 10). Its default file has a name of its own
/// (`NAME.results.sandbox.csv`); any other file, an earlier rehearsal's too, is the operator's
/// choice. A file that cannot be read this way is left to the checks every output has.
fn refuse_real_results(s: &Settings) -> anyhow::Result<()> {
    let Some(real) = &s.real_ledger else {
        return Ok(());
    };
    let ids = conversation_ids(&s.results_path);
    if !ids.is_empty() {
        if let Some(ledger) = crate::ledger::Ledger::open_read_only(real)? {
            for id in &ids {
                if ledger.knows_conversation(id)? {
                    anyhow::bail!(
                        "the results file (--results) `{}` holds a real run's calls \
                         (conversation {id} is in the ledger `{}`); a --sandbox rehearsal would \
                         replace it, and `outcomes` would then read the sandbox's calls instead. \
                         Drop --results (a rehearsal writes NAME.results.sandbox.csv beside the \
                         input), or choose another path for the results file (--results)",
                        s.results_path.display(),
                        real.display()
                    );
                }
            }
        }
    }
    refuse_unnamed_results(&s.results_path)
}

/// A night whose calls were all left uncertain, failed or refused has no conversation id for
/// [`refuse_real_results`] to know it by: an existing, non-empty results file whose name does not
/// say it is a rehearsal's (`sandbox` in it, as the default `NAME.results.sandbox.csv`) is not a
/// rehearsal's to replace (round-10 finding 3).
fn refuse_unnamed_results(path: &std::path::Path) -> anyhow::Result<()> {
    use crate::settings::paths::{holds_something, lowercase_name};
    if holds_something(path) && !lowercase_name(path).contains("sandbox") {
        anyhow::bail!(
            "the results file (--results) `{}` exists and its name does not say it is a \
             rehearsal's: it may be a real night's results (calls left uncertain or failed have no \
             conversation id to tell them by). A --sandbox rehearsal replaces only a results file \
             with `sandbox` in its name. Drop --results (a rehearsal writes \
             NAME.results.sandbox.csv beside the input), or choose another path for the results \
             file (--results)",
            path.display()
        );
    }
    Ok(())
}

/// The conversation ids an existing results file (CSV or JSON Lines) names; none for a file that
/// does not exist or cannot be read as results.
fn conversation_ids(path: &std::path::Path) -> Vec<String> {
    #[derive(serde::Deserialize)]
    struct Row {
        #[serde(default)]
        conversation_id: Option<String>,
    }
    if !path.is_file() {
        return Vec::new();
    }
    let jsonl = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("jsonl"));
    let rows: Vec<Row> = match jsonl {
        true => std::fs::read_to_string(path)
            .unwrap_or_default()
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect(),
        false => crate::csv_cells::read(path, "results file").unwrap_or_default(),
    };
    rows.into_iter()
        .filter_map(|r| r.conversation_id)
        .filter(|id| !id.is_empty())
        .collect()
}
