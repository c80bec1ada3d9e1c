//! Logs on stderr (tracing) that share the terminal politely with the progress bar.
//!
//! Log lines are written through [`BarAwareStderr`], which hides the bar while a line is printed
//! so the two never interleave. Nothing logged at info level or above may carry a patient's name,
//! birth date or full phone number: log ids, counts, statuses, masked numbers.

use std::io::{self, IsTerminal, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use indicatif::ProgressBar;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::EnvFilter;

use crate::cli::{GlobalArgs, LogFormat};

/// The bar currently on screen, if any; log output suspends it while writing.
static ACTIVE_BAR: Mutex<Option<ProgressBar>> = Mutex::new(None);

/// Whether `--log-format json` is on: then every line on stderr is a JSON object, including the
/// summary line and a fatal error ([`line`], [`error`]).
static JSON: AtomicBool = AtomicBool::new(false);

/// Colour on stderr: only at a terminal, and never when `NO_COLOR` is set to anything non-empty
/// (<https://no-color.org>).
pub fn stderr_colour() -> bool {
    !no_color() && io::stderr().is_terminal()
}

/// `NO_COLOR` is set to something non-empty: no colour anywhere (logs, `--help`, usage errors).
pub fn no_color() -> bool {
    !colour_allowed(std::env::var_os("NO_COLOR").as_deref())
}

/// `NO_COLOR` unset or empty allows colour.
fn colour_allowed(no_color: Option<&std::ffi::OsStr>) -> bool {
    no_color.is_none_or(|v| v.is_empty())
}

/// Installs the global subscriber. `RUST_LOG` overrides the level from `-v`/`-q`.
pub fn init(args: &GlobalArgs) {
    JSON.store(args.log_format == LogFormat::Json, Ordering::Relaxed);
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
        .with_ansi(stderr_colour())
        .with_target(false)
        // A log line that cannot be written (stderr closed: a pipe into `head`, a log shipper
        // restarting) is lost, never the run: by default the subscriber reports the failure with
        // `eprintln!`, which panics on the same closed stderr and kills the run mid-call.
        .log_internal_errors(false);
    // `try_init`: tests may run the pipeline more than once in one process.
    let _ = match args.log_format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
}

/// Prints a line for the operator on stderr (the summary of a run): `annie-dispatch: MESSAGE` as
/// text, an info-level JSON object with `--log-format json`. Not subject to `RUST_LOG`: callers
/// decide (`-q` suppresses the summary).
pub fn line(message: &str) {
    print(message, "INFO", "annie-dispatch: ");
}

/// Prints a fatal error on stderr: `annie-dispatch: error: MESSAGE` as text, an error-level
/// JSON object with `--log-format json`. The caller redacts secrets first.
pub fn error(message: &str) {
    print(message, "ERROR", "annie-dispatch: error: ");
}

/// Sets the format for [`line`] and [`error`] before (or without) [`init`], for an error found
/// while reading the command line.
pub fn set_json(json: bool) {
    JSON.store(json, Ordering::Relaxed);
}

fn print(message: &str, level: &str, text_prefix: &str) {
    let out = match JSON.load(Ordering::Relaxed) {
        true => json_line(message, level, chrono::Utc::now()),
        false => format!("{text_prefix}{message}\n"),
    };
    let _ = BarAwareStderr.write_all(out.as_bytes());
}

/// One line in the shape tracing-subscriber's JSON format uses, so a log shipper needs one parser.
fn json_line(message: &str, level: &str, at: chrono::DateTime<chrono::Utc>) -> String {
    let json = serde_json::json!({
        "timestamp": at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
        "level": level,
        "fields": { "message": message },
        "target": "annie_dispatch",
    });
    format!("{json}\n")
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_color_with_any_non_empty_value_disables_colour() {
        assert!(colour_allowed(None));
        assert!(colour_allowed(Some(std::ffi::OsStr::new(""))));
        assert!(!colour_allowed(Some(std::ffi::OsStr::new("1"))));
        assert!(!colour_allowed(Some(std::ffi::OsStr::new("false"))));
    }

    #[test]
    fn a_json_line_is_one_line_of_json() {
        let at = chrono::DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        let line = json_line("two\nlines \"quoted\"", "ERROR", at);
        assert!(
            line.ends_with('\n') && line.matches('\n').count() == 1,
            "{line}"
        );
        let v: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(v["level"], "ERROR");
        assert_eq!(v["fields"]["message"], "two\nlines \"quoted\"");
        assert_eq!(v["timestamp"], "2027-01-15T08:00:00.000000Z");
    }
}
