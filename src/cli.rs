//! The command line, as clap parses it. Nothing here is validated beyond its type: that happens
//! once, in [`crate::settings`], together with the config file.

use std::path::PathBuf;

use chrono::{DateTime, FixedOffset};
use clap::{Args, Parser, Subcommand, ValueEnum};

/// Have Annie phone tomorrow's patients to confirm their appointments.
#[derive(Debug, Parser)]
#[command(name = "annie-dispatch", version, about, max_term_width = 100)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Options that apply to every subcommand.
#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// More log detail on stderr (-v debug, -vv trace).
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,
    /// Only errors on stderr; no progress bar.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Log line format on stderr.
    #[arg(long, value_enum, default_value_t = LogFormat::Text, global = true)]
    pub log_format: LogFormat,
    /// Never draw the progress bar (it is also off when stderr is not a terminal).
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
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// The config file (TOML). See config.example.toml.
    #[arg(long, value_name = "FILE")]
    pub config: PathBuf,
    /// The schedule export (CSV, JSON array or JSON Lines).
    #[arg(long, value_name = "FILE")]
    pub input: PathBuf,
    /// Where to write one result row per input row [default: INPUT with `.results.csv`].
    /// A name ending in `.jsonl` writes JSON Lines.
    #[arg(long, value_name = "FILE")]
    pub results: Option<PathBuf>,
    /// Send nothing: print what would be sent and write `dry_run` results.
    #[arg(long)]
    pub dry_run: bool,
    /// Send at most N calls (a canary run); the rest are reported `not_attempted`.
    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,
    /// Pretend the run happens at this time (RFC 3339), e.g. to preview tomorrow morning's run.
    #[arg(long, value_name = "RFC3339")]
    pub now: Option<DateTime<FixedOffset>>,
    /// Also write the exact JSON request bodies to FILE, one per line.
    #[arg(long, value_name = "FILE")]
    pub emit_requests: Option<PathBuf>,
    /// Run even if the export is older than `[input] max_export_age`.
    #[arg(long)]
    pub allow_stale: bool,
    /// Resend calls whose earlier attempt may or may not have placed a call (`uncertain`).
    /// Check Annie's conversations first: this can call a patient twice.
    #[arg(long)]
    pub retry_uncertain: bool,
    /// If calling hours are closed, wait until they open instead of exiting with 75.
    #[arg(long)]
    pub wait_for_window: bool,
}
