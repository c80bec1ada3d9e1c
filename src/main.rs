//! The `annie-dispatch` binary: parse arguments, set up logging, run the library, and turn the
//! outcome into an exit status. Everything else lives in the library.

use std::process::ExitCode;

/// mimalloc: a preview of a large export allocates millions of small strings, and the system
/// allocator's consolidation showed up as a quarter of the profile (see BENCHMARKS.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use annie_dispatch::cli::{Cli, LogFormat};
use annie_dispatch::{exit, logging};
use clap::{ColorChoice, CommandFactory, FromArgMatches};

fn main() -> ExitCode {
    let mut cli = match parse() {
        Ok(cli) => cli,
        Err(e) => return usage_error(e),
    };
    // JSON on stderr is for a log shipper: no progress bar or countdown between its lines.
    if cli.global.log_format == LogFormat::Json {
        cli.global.no_progress = true;
    }
    logging::init(&cli.global);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            logging::error(&format!("cannot start the async runtime: {e}"));
            return ExitCode::from(exit::USAGE);
        }
    };
    match runtime.block_on(annie_dispatch::run(&cli)) {
        Ok(outcome) => ExitCode::from(outcome.exit_status()),
        Err(error) => {
            // Last line of defence: no message prints something that looks like a key.
            let message = annie_dispatch::secrets::redact_keys(&format!("{error:#}")).into_owned();
            logging::error(&message);
            ExitCode::from(exit::for_error(&error))
        }
    }
}

/// The command line, with clap's colours off under `NO_COLOR` (clap already leaves them off
/// when the output is not a terminal).
fn parse() -> Result<Cli, clap::Error> {
    let colour = match logging::no_color() {
        true => ColorChoice::Never,
        false => ColorChoice::Auto,
    };
    let mut command = Cli::command().color(colour);
    let mut matches = command.try_get_matches_from_mut(std::env::args_os())?;
    Cli::from_arg_matches_mut(&mut matches).map_err(|e| e.format(&mut command))
}

/// `--help` and `--version` (stdout, exit 0), or a usage error (exit 2): as JSON when the command
/// line asked for `--log-format json`, even though it could not be parsed as a whole.
fn usage_error(e: clap::Error) -> ExitCode {
    if !e.use_stderr() {
        let _ = e.print();
        return ExitCode::from(exit::SUCCESS);
    }
    if json_requested(std::env::args_os().map(|a| a.to_string_lossy().into_owned())) {
        logging::set_json(true);
        let text = e.render().to_string();
        logging::error(text.trim().trim_start_matches("error: "));
    } else {
        let _ = e.print();
    }
    ExitCode::from(exit::USAGE)
}

fn json_requested(args: impl Iterator<Item = String>) -> bool {
    let args: Vec<String> = args.collect();
    args.iter().any(|a| a == "--log-format=json")
        || args
            .windows(2)
            .any(|w| w[0] == "--log-format" && w[1] == "json")
}
