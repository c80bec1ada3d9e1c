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
