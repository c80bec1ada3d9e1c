//! The `annie-dispatch` binary: parse arguments, set up logging, run the library, and turn the
//! outcome into an exit status. Everything else lives in the library.

use std::process::ExitCode;

/// mimalloc: a preview of a large export allocates millions of small strings, and the system
/// allocator's consolidation showed up as a quarter of the profile (see BENCHMARKS.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use annie_dispatch::cli::Cli;
use annie_dispatch::{exit, logging};
use clap::Parser;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() {
                exit::USAGE
            } else {
                exit::SUCCESS
            });
        }
    };
    logging::init(&cli.global);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("annie-dispatch: error: cannot start the async runtime: {e}");
            return ExitCode::from(exit::USAGE);
        }
    };
    match runtime.block_on(annie_dispatch::run(&cli)) {
        Ok(outcome) => ExitCode::from(outcome.exit_status()),
        Err(error) => {
            // Last line of defence: no message prints something that looks like a key.
            let message = annie_dispatch::secrets::redact_keys(&format!("{error:#}")).into_owned();
            eprintln!("annie-dispatch: error: {message}");
            ExitCode::from(exit::for_error(&error))
        }
    }
}
