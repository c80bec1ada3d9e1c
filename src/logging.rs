//! Logs on stderr (tracing) that share the terminal politely with the progress bar.
//!
//! Log lines are written through [`BarAwareStderr`], which hides the bar while a line is printed
//! so the two never interleave. Nothing logged at info level or above may carry a patient's name,
//! birth date or full phone number: log ids, counts, statuses, masked numbers.

use std::io::{self, IsTerminal, Write};
use std::sync::Mutex;

use indicatif::ProgressBar;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::EnvFilter;

use crate::cli::{GlobalArgs, LogFormat};

/// The bar currently on screen, if any; log output suspends it while writing.
static ACTIVE_BAR: Mutex<Option<ProgressBar>> = Mutex::new(None);

/// Installs the global subscriber. `RUST_LOG` overrides the level from `-v`/`-q`.
pub fn init(args: &GlobalArgs) {
    let level = match (args.quiet, args.verbose) {
        (true, _) => "error",
        (false, 0) => "info",
        (false, 1) => "debug",
        (false, _) => "trace",
    };
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new(format!("annie_dispatch={level},warn")));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(BarAwareStderr)
        .with_ansi(io::stderr().is_terminal())
        .with_target(false);
    // `try_init`: tests may run the pipeline more than once in one process.
    let _ = match args.log_format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
}

/// Registers (or clears) the bar that log lines must not draw over.
pub fn set_active_bar(bar: Option<ProgressBar>) {
    *ACTIVE_BAR.lock().unwrap_or_else(|p| p.into_inner()) = bar;
}

/// stderr, with the progress bar hidden during each write.
#[derive(Clone, Copy)]
pub struct BarAwareStderr;

impl<'a> MakeWriter<'a> for BarAwareStderr {
    type Writer = BarAwareStderr;
    fn make_writer(&'a self) -> Self::Writer {
        *self
    }
}

impl Write for BarAwareStderr {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let bar = ACTIVE_BAR.lock().unwrap_or_else(|p| p.into_inner()).clone();
        match bar {
            Some(bar) => bar
                .suspend(|| io::stderr().write_all(buf))
                .map(|_| buf.len()),
            None => io::stderr().write_all(buf).map(|_| buf.len()),
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        io::stderr().flush()
    }
}
