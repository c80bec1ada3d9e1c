//! `annie-dispatch completions SHELL` and `annie-dispatch man`, both from the clap definition in
//! [`crate::cli`], so they never drift from what the binary accepts.

use std::io::{self, Write};

use clap::{Arg, CommandFactory};
use clap_complete::Shell;
use roff::{bold, italic, roman, Inline, Roff};

use crate::cli::Cli;
use crate::exit;

const BIN: &str = "annie-dispatch";

/// Writes the completion script for `shell`.
pub fn completions(shell: Shell, out: &mut dyn Write) -> io::Result<()> {
    let mut command = Cli::command();
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut command, BIN, &mut script);
    let mut script = String::from_utf8_lossy(&script).into_owned();
    if shell == Shell::Bash {
        // clap_complete's bash script names the state of a hyphenated binary's subcommand two
        // ways (`annie__dispatch__subcmd__run` where it walks the words, but
        // `annie__subcmd__dispatch__subcmd__run` in the arms that list the options), so no
        // subcommand flag ever completed (clap-rs/clap#6421). Spell the arms as the walk does;
        // once upstream fixes it this replaces nothing.
        let broken = BIN.replace('-', "__subcmd__");
        script = script.replace(&broken, &BIN.replace('-', "__"));
    }
    out.write_all(script.as_bytes())
}

/// Writes one man page (roff) for the whole tool: every subcommand with its options, and the
/// exit statuses, environment variables and files.
pub fn man_page(out: &mut dyn Write) -> io::Result<()> {
    let mut root = Cli::command().disable_help_subcommand(true);
    root.build();
    let man = clap_mangen::Man::new(root.clone());
    let mut page = Vec::new();
    man.render_title(&mut page)?;
    man.render_name_section(&mut page)?;
    man.render_synopsis_section(&mut page)?;
    man.render_description_section(&mut page)?;
    // The options of the tool itself, and the global ones (their own heading).
    man.render_options_section(&mut page)?;
    let mut roff = Roff::new();
    roff.control("SH", ["COMMANDS"]);
    for sub in root.get_subcommands().filter(|s| !s.is_hide_set()) {
        command_section(&mut roff, sub);
    }
    fixed_sections(&mut roff);
    page.extend(roff.to_roff().into_bytes());
    man.render_version_section(&mut page)?;
    // Each part starts with roff's apostrophe preamble; the page needs it once.
    let page = String::from_utf8_lossy(&page);
    let preamble = preamble();
    let body = page.replace(&preamble, "");
    out.write_all(preamble.as_bytes())?;
    out.write_all(body.as_bytes())
}

fn preamble() -> String {
    Roff::new().render()
}

fn command_section(roff: &mut Roff, sub: &clap::Command) {
    let name = format!("{BIN} {}", sub.get_name());
    roff.control("SS", [name.as_str()]);
    let mut synopsis = vec![bold(name.clone())];
    for arg in own_args(sub) {
        synopsis.push(roman(" "));
        let usage = match (arg.get_long(), arg.is_positional()) {
            (_, true) => format!("<{}>", value_name(arg)),
            (Some(long), false) if takes_value(arg) => format!("--{long} <{}>", value_name(arg)),
            (Some(long), false) => format!("--{long}"),
            (None, false) => continue,
        };
        match arg.is_required_set() {
            true => synopsis.push(roman(usage)),
            false => synopsis.push(roman(format!("[{usage}]"))),
        }
    }
    roff.text(synopsis);
    if let Some(about) = sub.get_long_about().or(sub.get_about()) {
        roff.control("PP", []);
        roff.text([roman(about.to_string())]);
    }
    for arg in own_args(sub) {
        option(roff, arg);
    }
}

/// A subcommand's own options: not the global ones (listed once, under GLOBAL OPTIONS), not
/// `--help`.
fn own_args(sub: &clap::Command) -> impl Iterator<Item = &Arg> {
    sub.get_arguments()
        .filter(|a| !a.is_hide_set() && !a.is_global_set() && a.get_id() != "help")
}

fn takes_value(arg: &Arg) -> bool {
    arg.get_num_args().is_some_and(|n| n.takes_values())
}

fn value_name(arg: &Arg) -> String {
    arg.get_value_names()
        .and_then(|v| v.first())
        .map(|v| v.to_string())
        .unwrap_or_else(|| arg.get_id().as_str().to_uppercase())
}

fn option(roff: &mut Roff, arg: &Arg) {
    let mut header: Vec<Inline> = Vec::new();
    if let Some(short) = arg.get_short() {
        header.push(bold(format!("-{short}")));
        header.push(roman(", "));
    }
    match arg.get_long() {
        Some(long) => header.push(bold(format!("--{long}"))),
        None => header.push(italic(format!("<{}>", value_name(arg)))),
    }
    if takes_value(arg) && !arg.is_positional() {
        header.push(roman(" "));
        header.push(italic(format!("<{}>", value_name(arg))));
    }
    let defaults: Vec<String> = arg
        .get_default_values()
        .iter()
        .map(|v| v.to_string_lossy().into_owned())
        .collect();
    if !defaults.is_empty() && takes_value(arg) {
        header.push(roman(format!(" [default: {}]", defaults.join(", "))));
    }
    roff.control("TP", []);
    roff.text(header);
    let help = arg.get_long_help().or(arg.get_help());
    let mut body = help.map(|h| h.to_string()).unwrap_or_default();
    let values: Vec<String> = arg
        .get_possible_values()
        .iter()
        .filter(|v| !v.is_hide_set())
        .map(|v| v.get_name().to_string())
        .collect();
    if !values.is_empty() && takes_value(arg) {
        body.push_str(&format!(" One of: {}.", values.join(", ")));
    }
    roff.text([roman(body.trim_start())]);
}

fn para(roff: &mut Roff, head: Vec<Inline>, body: &str) {
    roff.control("TP", []);
    roff.text(head);
    roff.text([roman(body)]);
}

fn fixed_sections(roff: &mut Roff) {
    roff.control("SH", ["EXIT STATUS"]);
    let codes = [
        (
            exit::SUCCESS,
            "Every row was sent, previewed (dry_run) or deliberately skipped.",
        ),
        (
            exit::NEEDS_ATTENTION,
            "At least one row is invalid, failed, not_attempted or uncertain, or the run broke \
             off after calls may have started: read the results file.",
        ),
        (
            exit::USAGE,
            "Usage, config or unreadable-input error, a stale export, or another run holds the \
             ledger: nothing was sent. Fix and rerun.",
        ),
        (
            exit::TEMPFAIL,
            "Calling hours are closed (nothing was sent), or some rows were deferred until they \
             open: run again later, or use --wait-for-window.",
        ),
        (
            exit::INTERRUPTED,
            "Stopped by SIGINT: calls in flight were waited for and recorded, the rest are \
             not_attempted.",
        ),
        (exit::TERMINATED, "Stopped by SIGTERM, as for SIGINT."),
    ];
    for (code, meaning) in codes {
        para(roff, vec![bold(code.to_string())], meaning);
    }

    roff.control("SH", ["ENVIRONMENT"]);
    let vars = [
        (
            // settings::api::DEFAULT_API_KEY_ENV
            "ANNIE_API_KEY",
            "The Annie API key for run, check and outcomes. The config can name another \
             variable ([api] api_key_env, or api_key_env per [[locations]]); never put the key \
             in the config file. Not needed for --dry-run or --sandbox.",
        ),
        (
            "ANNIE_CLIENT_ID, ANNIE_CLIENT_SECRET",
            "With [api.oauth]: the OAuth client credentials, instead of an API key. The config \
             can name other variables ([api.oauth] client_id_env, client_secret_env).",
        ),
        (
            "NO_COLOR",
            "Any non-empty value turns colour off in logs, --help and errors. Colour is also off \
             when the output is not a terminal.",
        ),
        (
            "RUST_LOG",
            "A tracing filter (e.g. annie_dispatch=debug) that overrides the level set by -v \
             and -q.",
        ),
        (
            "COLUMNS",
            "The width --help wraps to when it cannot ask the terminal.",
        ),
    ];
    for (name, meaning) in vars {
        para(roff, vec![bold(name)], meaning);
    }

    roff.control("SH", ["FILES"]);
    let files = [
        (
            "--config FILE",
            "The practice's config (TOML); config.example.toml documents every key. Relative \
             paths in it are relative to it.",
        ),
        (
            "--input FILE",
            "The schedule export (CSV, JSON array or JSON Lines). It contains patient data.",
        ),
        (
            "INPUT.results.csv",
            "The results (run --results FILE; .jsonl writes JSON Lines): one row per input row. \
             Rows go to FILE.partial while the run lasts. A --dry-run writes \
             INPUT.results.preview.csv instead, a run --sandbox INPUT.results.sandbox.csv.",
        ),
        (
            "RESULTS.outcomes.csv",
            "What outcomes read for each call (outcomes --out FILE): the results file's name \
             with .outcomes.csv in place of .results.csv (or .results.jsonl), else of its last \
             extension.",
        ),
        (
            "annie-dispatch.ledger.sqlite3",
            "The ledger, beside the config file unless [state] ledger names another: what every \
             run did, so a rerun never calls anyone twice, and the opt-outs outcomes recorded. \
             Keep it. Its run lock, NAME.lock, is beside the file itself (symlinks followed), so \
             two runs on it never overlap, whatever path each config names; a ledger file with a \
             second name (a hard link) is refused.",
        ),
        (
            "annie-dispatch.sandbox-ledger.sqlite3",
            "The ledger of run --sandbox rehearsals, beside the results file (or beside \
             [state] ledger): never the real one.",
        ),
    ];
    for (name, meaning) in files {
        para(roff, vec![italic(name)], meaning);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_man_page_has_every_command_and_no_missing_pages() {
        let mut out = Vec::new();
        man_page(&mut out).unwrap();
        let page = String::from_utf8(out).unwrap();
        for section in [
            ".SH COMMANDS",
            ".SH \"EXIT STATUS\"",
            ".SH ENVIRONMENT",
            ".SH FILES",
        ] {
            assert!(page.contains(section), "{section}: {page}");
        }
        assert!(
            !page.contains("(1)"),
            "no references to pages that do not exist"
        );
        assert_eq!(page.matches(".ds Aq").count(), 2, "one preamble");
    }
}
