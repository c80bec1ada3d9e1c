//! The command line, as clap parses it. Nothing here is validated beyond its type: that happens
//! once, in [`crate::settings`], together with the config file.

use std::path::PathBuf;
use std::time::Duration;

use chrono::{DateTime, FixedOffset};
use clap::{Args, Parser, Subcommand, ValueEnum};

/// The `--help` heading of the options every subcommand takes.
pub const GLOBAL_HEADING: &str = "Global options";

/// Have Annie phone tomorrow's patients to confirm their appointments.
#[derive(Debug, Parser)]
#[command(name = "annie-dispatch", version, about, max_term_width = 100)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Options that apply to every subcommand (listed under their own heading in every `--help`).
#[derive(Debug, Args)]
#[command(next_help_heading = GLOBAL_HEADING)]
pub struct GlobalArgs {
    /// More log detail on stderr (-v debug, -vv trace).
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,
    /// Only errors on stderr; no progress bar.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Log line format on stderr; `json`: every line (logs, the summary, errors) is a JSON object.
    #[arg(long, value_enum, default_value_t = LogFormat::Text, global = true)]
    pub log_format: LogFormat,
    /// Never draw the progress bar (it is also off when stderr is not a terminal, and with
    /// `--log-format json`).
    #[arg(long, global = true)]
    pub no_progress: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Read an export, select appointments, and start one Annie call per appointment.
    Run(RunArgs),
    /// Serve a local stand-in for the Annie API, to rehearse against.
    Sandbox(SandboxArgs),
    /// Check a config (and an export) without sending anything: what a run would do, and what
    /// would go wrong. Exit 0 when all is well, 1 when rows or settings need attention, 2 when
    /// the config or export cannot be used.
    Check(CheckArgs),
    /// Read what happened on each call a run started (GET /conversations/{id}) into an
    /// outcomes file and the run's ledger (opt-outs, unanswered calls); resumable.
    Outcomes(OutcomesArgs),
    /// Print shell completions for bash, zsh, fish, elvish or powershell.
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff) to stdout.
    Man,
}

#[derive(Debug, Args)]
pub struct OutcomesArgs {
    /// The config file of the run (for the API address, key and rate).
    #[arg(long, value_name = "FILE")]
    pub config: PathBuf,
    /// The run's results file.
    #[arg(long, value_name = "FILE")]
    pub results: PathBuf,
    /// Where to write the outcomes [default: RESULTS with `.outcomes.csv` in place of
    /// `.results.csv`].
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Also write machine-readable counts (for monitoring) to FILE as JSON.
    #[arg(long, value_name = "FILE")]
    pub summary_json: Option<PathBuf>,
    /// Also write a self-contained HTML report to FILE: what happened on the calls, per location,
    /// and who needs a person, with what to do.
    #[arg(long, value_name = "FILE.html")]
    pub report: Option<PathBuf>,
}

/// How the `--dry-run` table is shown.
#[derive(Debug, Clone, Default, Args)]
pub struct PreviewArgs {
    /// Preview: do not fit the table to 100 columns (or the terminal); show every reason whole.
    #[arg(long)]
    pub wide: bool,
    /// Preview: after the table, print the context and voicemail Annie would get for the first
    /// N calls.
    #[arg(long, value_name = "N")]
    pub show_texts: Option<usize>,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The config file (TOML).
    #[arg(long, value_name = "FILE")]
    pub config: PathBuf,
    /// An export to check against the config (its columns, every row, every rendered text).
    #[arg(long, value_name = "FILE")]
    pub input: Option<PathBuf>,
    /// Pretend the run happens at this time (RFC 3339).
    #[arg(long, value_name = "RFC3339", value_parser = parse_now)]
    pub now: Option<DateTime<FixedOffset>>,
    /// Check an export older than `[input] max_export_age` (a run refuses it without the same
    /// flag).
    #[arg(long)]
    pub allow_stale: bool,
}

#[derive(Debug, Args)]
pub struct SandboxArgs {
    /// Address to listen on (loopback only, unless --allow-remote).
    #[arg(long, default_value = "127.0.0.1:8787")]
    pub listen: std::net::SocketAddr,
    /// Listen on a non-loopback address anyway.
    #[arg(long)]
    pub allow_remote: bool,
    /// The API key clients must send as `Authorization: Bearer KEY`.
    #[arg(long, default_value = "annie-sk-sandbox")]
    pub api_key: String,
    /// Take the from-number and time zone from this run config.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// A number calls may come from (E.164); repeatable. Default: the config's from_number.
    #[arg(long = "from-number", value_name = "E164")]
    pub from_numbers: Vec<String>,
    /// A number calls may go to (E.164); repeatable. Default: every number.
    #[arg(long = "allow", value_name = "E164")]
    pub allow: Vec<String>,
    /// The organisation's IANA time zone, for legal hours. Default: the config's, else America/Chicago.
    #[arg(long)]
    pub timezone: Option<String>,
    /// Organisation rate limit, requests per minute.
    #[arg(long, default_value_t = 60)]
    pub rpm: u32,
    /// Start the sandbox's clock at this time (RFC 3339).
    #[arg(long, value_name = "RFC3339", value_parser = parse_now)]
    pub now: Option<DateTime<FixedOffset>>,
    /// How long a conversation stays OPEN before it is CLOSED.
    #[arg(long, default_value = "2m", value_parser = humantime::parse_duration)]
    pub close_after: std::time::Duration,
    /// Write a JSON-lines log of every request to FILE.
    #[arg(long, value_name = "FILE")]
    pub log: Option<PathBuf>,
    /// Seed for fault injection and conversation ids.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Latency added to every response.
    #[arg(long, default_value = "0ms", value_parser = humantime::parse_duration)]
    pub latency: std::time::Duration,
    /// A random delay (seeded) on each request's way in, before the rate limit counts it, like
    /// network jitter: FROM..TO, e.g. 0ms..800ms.
    #[arg(long, default_value = "0ms..0ms", value_name = "FROM..TO", value_parser = parse_jitter)]
    pub latency_jitter: (std::time::Duration, std::time::Duration),
    /// A number (E.164) whose patient asks not to be called again: its conversations close with
    /// a summary saying so. Repeatable.
    #[arg(long = "opt-out", value_name = "E164")]
    pub opt_outs: Vec<String>,
    /// Share of valid call requests that fail (0 to 1).
    #[arg(long, default_value_t = 0.0)]
    pub fail_rate: f64,
    /// How they fail: 500, 502, 503, reset, timeout or garbage.
    #[arg(long, default_value = "500")]
    pub fail_kind: String,
    /// For 500, reset and timeout: share of failed requests whose call is started anyway.
    #[arg(long, default_value_t = 0.5)]
    pub created_anyway: f64,
    /// How long a `timeout` fault holds the request.
    #[arg(long, default_value = "10m", value_parser = humantime::parse_duration)]
    pub hang: std::time::Duration,
}

#[derive(Debug, Clone, Args)]
pub struct RunArgs {
    /// The config file (TOML). See config.example.toml.
    #[arg(long, value_name = "FILE")]
    pub config: PathBuf,
    /// The schedule export (CSV, JSON array or JSON Lines).
    #[arg(long, value_name = "FILE")]
    pub input: PathBuf,
    /// Where to write one result row per input row [default: INPUT with `.results.csv`; for
    /// --sandbox, `.results.sandbox.csv`].
    /// A name ending in `.jsonl` writes JSON Lines; one ending in `.json` is refused.
    #[arg(long, value_name = "FILE")]
    pub results: Option<PathBuf>,
    /// Send nothing: print what would be sent and write `dry_run` results.
    #[arg(long)]
    pub dry_run: bool,
    /// Send at most N calls (a canary run); the rest are reported `not_attempted`.
    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,
    /// Pretend the run happens at this time (RFC 3339), e.g. to preview tomorrow morning's run.
    #[arg(long, value_name = "RFC3339", value_parser = parse_now)]
    pub now: Option<DateTime<FixedOffset>>,
    /// Also write the exact JSON request bodies to FILE, one per line.
    #[arg(long, value_name = "FILE")]
    pub emit_requests: Option<PathBuf>,
    /// Run even if the export is older than `[input] max_export_age`.
    #[arg(long)]
    pub allow_stale: bool,
    /// Send the calls left `uncertain` whose call a complete look in Annie's conversations
    /// proves was never placed (the look always comes first).
    #[arg(long)]
    pub retry_uncertain: bool,
    /// The API key (or OAuth client) changed for the same organisation: record the new one in
    /// the ledger instead of refusing the run.
    #[arg(long)]
    pub accept_new_key: bool,
    /// If calling hours are closed, wait until they open instead of exiting with 75.
    #[arg(long)]
    pub wait_for_window: bool,
    /// Dispatch to a sandbox started in this process instead of the real API (no key needed;
    /// its own ledger, so rehearsals never mark real appointments as sent).
    #[arg(long, conflicts_with = "dry_run")]
    pub sandbox: bool,
    /// Also write machine-readable counts (for monitoring) to FILE as JSON.
    #[arg(long, value_name = "FILE")]
    pub summary_json: Option<PathBuf>,
    /// Also write a self-contained HTML report (counts by status and reason, calls over time in
    /// the practice's time, rows needing a person with what to do).
    #[arg(long, value_name = "FILE.html")]
    pub report: Option<PathBuf>,
    #[command(flatten)]
    pub preview: PreviewArgs,
}

/// Parses `--now`: an RFC 3339 time with its offset, with an error that says what is missing.
fn parse_now(text: &str) -> Result<DateTime<FixedOffset>, String> {
    DateTime::parse_from_rfc3339(text.trim()).map_err(|e| {
        format!(
            "`{text}` is not an RFC 3339 time with its UTC offset ({e}); write it like \
             2026-11-23T18:30:00-06:00 (or ...Z for UTC)"
        )
    })
}

/// Parses `--latency-jitter`: `0ms..800ms` (from..to), or one duration for `0..that`.
pub fn parse_jitter(text: &str) -> Result<(Duration, Duration), String> {
    let parse = |t: &str| {
        humantime::parse_duration(t.trim())
            .map_err(|e| format!("`{}` is not a duration such as 800ms: {e}", t.trim()))
    };
    let (from, to) = match text.split_once("..") {
        Some((from, to)) => (parse(from)?, parse(to)?),
        None => (Duration::ZERO, parse(text)?),
    };
    if from > to {
        return Err(format!(
            "`{text}`: the first duration must not exceed the second (e.g. 0ms..800ms)"
        ));
    }
    Ok((from, to))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jitter_is_a_range_of_durations() {
        let ms = Duration::from_millis;
        assert_eq!(parse_jitter("0ms..800ms"), Ok((ms(0), ms(800))));
        assert_eq!(parse_jitter("100ms .. 1s"), Ok((ms(100), ms(1000))));
        assert_eq!(parse_jitter("250ms"), Ok((ms(0), ms(250))));
        assert!(parse_jitter("800ms..100ms").is_err());
        assert!(parse_jitter("soon..later").is_err());
    }
}
