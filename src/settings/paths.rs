//! Where a run writes, checked against what it reads: no output may overwrite the export, the
//! config, the ledger or the do-not-call list, nor another output.
//!
//! A nightly job's command line is copied and edited by hand (`--report` pointed at the config,
//! `--results` at the export); one such slip used to destroy the file it named. Checked before
//! anything is read or written, so the refusal (exit 2) leaves every file as it was. The files
//! checked are every file the run creates or replaces, the results file's `.partial` twin too,
//! and an output that could only fail after the calls (its folder missing, a folder named) is
//! refused then too.

use std::path::{Path, PathBuf};

/// The first columns of a results file's header (see `results::COLUMNS`): `status` third, where
/// an outcomes file has `conversation_id`, so neither kind of file passes for the other.
pub(crate) const RESULTS_HEADER: &str = "row,appointment_id,status";

/// The first columns of an outcomes file's header (see `cmd::outcomes`' `COLUMNS`).
pub(crate) const OUTCOMES_HEADER: &str = "row,appointment_id,conversation_id,";

/// A device, pipe or socket that exists (`--results /dev/stdout`): written to as it is, never
/// replaced by renaming a file over it.
pub(crate) fn is_special(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| !m.is_file() && !m.is_dir())
}

/// The preview's results file for a run's results path: `.preview` before the extension
/// (`appointments.results.csv` → `appointments.results.preview.csv`), so a `--dry-run` with the
/// nightly job's command line never touches the real run's results. A device or pipe
/// (`--results /dev/stdout`) is kept as it is.
pub(super) fn preview_path(results: &Path) -> PathBuf {
    if is_special(results) {
        return results.to_path_buf();
    }
    let stem = results
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let name = match results.extension() {
        Some(ext) => format!("{stem}.preview.{}", ext.to_string_lossy()),
        None => format!("{stem}.preview"),
    };
    results.with_file_name(name)
}

/// Where the rows for the results file `path` go until the run ends: `NAME.partial` beside it;
/// a device or pipe has none (it is written directly). The results writer writes it, and
/// [`check_outputs`] checks it as it checks every output, so it never replaces the export, the
/// config or a file this tool did not write.
pub(crate) fn partial_for(path: &Path) -> Option<PathBuf> {
    (!is_special(path)).then(|| beside(path, ".partial"))
}

/// The run lock beside the ledger (`NAME.lock`); given the ledger's [`real_file`], beside the
/// file itself, whatever path the config names it by.
pub(crate) fn ledger_lock(ledger: &Path) -> PathBuf {
    beside(ledger, ".lock")
}

/// The journal files SQLite keeps beside a database (`NAME-wal`, ...).
pub(crate) const JOURNAL_SUFFIXES: [&str; 3] = ["-wal", "-shm", "-journal"];

/// The ledger and the files the run lock and SQLite keep beside it, none of which an output may
/// be.
pub(super) fn ledger_files(ledger: &Path) -> Vec<(&'static str, PathBuf)> {
    let mut files = vec![
        ("the ledger", ledger.to_path_buf()),
        ("the ledger's lock file", ledger_lock(ledger)),
    ];
    for suffix in JOURNAL_SUFFIXES {
        files.push(("the ledger's journal", beside(ledger, suffix)));
    }
    files
}

/// `NAME` + `suffix`, in the same folder.
fn beside(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(suffix);
    path.with_file_name(name)
}

/// An output a run writes, for [`check_outputs`].
pub(crate) struct Output<'a> {
    /// How messages name it: `--report`, `the results file (--results)`.
    pub what: &'a str,
    pub path: &'a Path,
    pub kind: Kind,
    /// For the results file, how messages name the `NAME.partial` file its rows go to until the
    /// run ends (`the partial results file`); `None` for an output written whole (the report
    /// and the outcomes file go through a temporary file of a new name, which replaces nothing).
    pub partial: Option<&'a str>,
}

impl<'a> Output<'a> {
    pub fn new(what: &'a str, path: &'a Path, kind: Kind) -> Output<'a> {
        Output {
            what,
            path,
            kind,
            partial: None,
        }
    }

    /// The output is written to `NAME.partial` first, named `partial` in messages.
    pub fn with_partial(self, partial: &'a str) -> Output<'a> {
        Output {
            partial: Some(partial),
            ..self
        }
    }
}

/// One file a run creates or replaces: an output, or the partial file beside one.
struct Written<'a> {
    output: &'a Output<'a>,
    path: PathBuf,
    /// The output's `.partial` file rather than the output.
    partial: bool,
}

impl Written<'_> {
    /// The file as a message's object: ``--report `x.html` ``.
    fn name(&self) -> String {
        let label = match self.partial {
            true => self.output.partial.unwrap_or_default(),
            false => self.output.what,
        };
        format!("{label} `{}`", self.path.display())
    }

    /// The file as a message's subject: for a partial file, also what it is for.
    fn subject(&self) -> String {
        match self.partial {
            true => format!(
                "{} (rows go there until the run ends, then it is renamed to `{}`)",
                self.name(),
                self.output.path.display()
            ),
            false => self.name(),
        }
    }
}

/// Every file the outputs create or replace: each output, and the `.partial` file beside the
/// results (see [`partial_for`]).
fn written<'a>(outputs: &'a [Output<'a>]) -> Vec<Written<'a>> {
    let mut files = Vec::new();
    for output in outputs {
        files.push(Written {
            output,
            path: output.path.to_path_buf(),
            partial: false,
        });
        let partial = output.partial.and_then(|_| partial_for(output.path));
        if let Some(path) = partial {
            files.push(Written {
                output,
                path,
                partial: true,
            });
        }
    }
    files
}

/// Refuses, before anything is read or sent, an output that would destroy a file or fail only
/// after the calls: one that is (or whose `.partial` file is) one of the run's inputs or another
/// file the run writes, one whose folder does not exist, one that names a folder, and one that
/// would replace an existing file that is not an earlier output of its kind (see
/// [`check_replaceable`]). Devices and pipes (`--results /dev/stdout`) are written as they are.
pub(crate) fn check_outputs(
    outputs: &[Output<'_>],
    inputs: &[(&str, &Path)],
) -> anyhow::Result<()> {
    let files = written(outputs);
    check_distinct(&files, inputs)?;
    for file in &files {
        if is_special(&file.path) {
            continue;
        }
        let (what, subject) = (file.output.what, file.subject());
        if !file.partial {
            check_folder(what, &file.path)?;
        }
        // The rows are written through the `.partial` file, then it is renamed: a link there
        // would send them into the file it points at, a file this run never named.
        if file.partial && file.path.is_symlink() {
            anyhow::bail!(
                "{subject} is a symbolic link: rows written there would go to the file it points \
                 at. Remove the link (a run makes the file itself), or choose another path for \
                 {what}"
            );
        }
        if file.path.is_dir() {
            match file.partial {
                true => anyhow::bail!(
                    "{subject} is a folder, not a file. Choose another path for {what}, or move \
                     the folder away first"
                ),
                false => anyhow::bail!(
                    "{subject} is a folder, not a file: name a file for {what}, such as a new \
                     file in that folder"
                ),
            }
        }
        check_replaceable(&subject, what, &file.path, file.output.kind)?;
    }
    Ok(())
}

/// Refuses a file that is one of the run's inputs or another file the run writes, naming both.
fn check_distinct(files: &[Written<'_>], inputs: &[(&str, &Path)]) -> anyhow::Result<()> {
    for (i, file) in files.iter().enumerate() {
        if is_special(&file.path) {
            continue;
        }
        let read = inputs
            .iter()
            .map(|(w, p)| (format!("{w} `{}`", p.display()), *p, "read by this run"));
        let earlier = files[..i]
            .iter()
            .map(|f| (f.name(), f.path.as_path(), "also written by this run"));
        for (other, other_path, role) in read.chain(earlier) {
            if same(&file.path, other_path) {
                anyhow::bail!(
                    "{} is {other} ({role}); writing it would destroy that file. Choose another \
                     path for {}",
                    file.subject(),
                    file.output.what
                );
            }
        }
    }
    Ok(())
}

/// Refuses an output whose folder does not exist: writing it would fail, for `--report` and
/// `--summary-json` only after the calls.
fn check_folder(what: &str, path: &Path) -> anyhow::Result<()> {
    let folder = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    if folder.is_dir() {
        return Ok(());
    }
    let exists = folder.exists();
    let (path, folder) = (path.display(), folder.display());
    match exists {
        true => anyhow::bail!(
            "{what} `{path}` cannot be written: `{folder}` is not a folder. Choose another path \
             for {what}"
        ),
        false => anyhow::bail!(
            "{what} `{path}` cannot be written: its folder `{folder}` does not exist. Create the \
             folder, or choose another path for {what}"
        ),
    }
}

/// What an output of this tool holds, to tell one of its own earlier outputs (replaced as the
/// run goes) from any other file that happens to have the name (never replaced). A format alone
/// says too little: a JSON or JSON Lines appointment export, or an office's HTML page, is JSON or
/// HTML too, so each kind is recognised by what only this tool writes there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A results file: CSV with this header's first columns, or JSON Lines whose lines carry the
    /// results' own keys.
    Rows(&'static str),
    /// An outcomes file: CSV with this header's first columns (it is never JSON).
    Csv(&'static str),
    /// `--summary-json`: one JSON object with the summary's `exit_status` and the file it
    /// counts (`results_file` for `run`, `outcomes_file` for `outcomes`).
    Summary,
    /// `--emit-requests`: JSON Lines, each a `POST /calls` body (`fromNumber`, `toNumber`).
    Requests,
    /// The HTML report: it carries [`REPORT_MARK`] (older ones, one of [`OLDER_REPORT_MARKS`]).
    Html,
}

/// What every HTML report carries in its `<head>`, so a report can be told from any other page.
pub(crate) const REPORT_MARK: &str = r#"<meta name="generator" content="annie-dispatch">"#;

/// Text only reports written before [`REPORT_MARK`] carry: the template's footer (since
/// 2026-12-04), and before that the counts table's first row.
const OLDER_REPORT_MARKS: [&str; 2] = [
    "<p>Written by annie-dispatch.",
    r#"<table id="counts"><tr><th>status</th><th>rows</th></tr>"#,
];

/// The most of a file read to recognise a summary or a first line: far more than this tool
/// writes there, and a bigger file is not one of its own.
const MOST_READ: u64 = 4 << 20;

/// The keys of the first line of a results file written as JSON Lines (see `results::COLUMNS`).
const RESULTS_KEYS: [&str; 3] = ["row", "appointment_id", "status"];

/// The keys every `--emit-requests` line has (see `api::body::CallRequest`).
const REQUEST_KEYS: [&str; 2] = ["fromNumber", "toNumber"];

/// Refuses to replace an existing file that is not an earlier output of the same kind: an
/// output pointed by mistake at an export, a spreadsheet or a database must not destroy it.
/// Empty files, devices and pipes are fine. `subject` names the file in the message (the output,
/// or its `.partial` file), `what` the output whose path to change.
fn check_replaceable(subject: &str, what: &str, path: &Path, kind: Kind) -> anyhow::Result<()> {
    use std::io::Read;
    if is_special(path) || !path.is_file() {
        return Ok(());
    }
    // A lock or a database file (any ledger's, a sandbox's, another config's) is never an
    // output's to replace, even empty: a lock replaced by a new file lets two runs on one ledger
    // send at once.
    if is_state_file(path) {
        anyhow::bail!(
            "{subject} exists and is a lock or database file (a ledger's, perhaps another \
             config's or a rehearsal's); writing it could let two runs on one ledger call at once \
             or destroy what it records. Choose another path for {what}"
        );
    }
    let mut start = Vec::with_capacity(64);
    let read = std::fs::File::open(path).and_then(|f| f.take(64).read_to_end(&mut start));
    let text = String::from_utf8_lossy(&start);
    let text = text.trim_start_matches('\u{feff}').trim_start();
    let ours = match kind {
        _ if read.is_ok() && text.is_empty() => true,
        _ if read.is_err() => false,
        Kind::Rows(header) => text.starts_with(header) || first_line_has(path, &RESULTS_KEYS),
        Kind::Csv(header) => text.starts_with(header),
        Kind::Summary => is_summary(path),
        Kind::Requests => first_line_has(path, &REQUEST_KEYS),
        Kind::Html => text.to_ascii_lowercase().starts_with("<!doctype html") && is_report(path),
    };
    // Another kind of rows this tool wrote (`run --results` pointed at the morning's outcomes
    // file): named, since "not a file this tool wrote" would puzzle whoever wrote it with it.
    if let (Ok(_), false, Kind::Rows(header) | Kind::Csv(header)) = (&read, ours, kind) {
        if let (Some(found), Some(expected)) = (rows_kind(text), rows_kind(header)) {
            anyhow::bail!(
                "{subject} exists and is {found}, not {expected}; writing it would destroy that \
                 file. Choose another path for {what}, or move the file away first"
            );
        }
    }
    if !ours {
        let expected = match kind {
            Kind::Rows(_) | Kind::Csv(_) => "a file this tool wrote",
            Kind::Summary | Kind::Requests => "a JSON file this tool wrote",
            Kind::Html => "an HTML report this tool wrote",
        };
        anyhow::bail!(
            "{subject} exists and is not {expected}; writing it would destroy that file. Choose \
             another path for {what}, or move the file away first"
        );
    }
    Ok(())
}

/// A preview or a `--sandbox` rehearsal replaces an existing `--report` or `--summary-json` only
/// when its name says it is a preview's or a rehearsal's (`preview` or `sandbox` in it): copied
/// from the nightly command line, the rehearsal would otherwise replace the real night's summary
/// (what monitoring reads) and report (what the office reads) with the rehearsal's (round-10
/// finding 8). A new or empty file is fine.
pub(crate) fn refuse_a_real_runs_output(
    what: &str,
    path: &Path,
    sandbox: bool,
) -> anyhow::Result<()> {
    let name = lowercase_name(path);
    if !holds_something(path)
        || is_special(path)
        || name.contains("preview")
        || name.contains("sandbox")
    {
        return Ok(());
    }
    if made_by_a_rehearsal(path) {
        return Ok(());
    }
    let (this, word) = match sandbox {
        true => ("a --sandbox rehearsal", "sandbox"),
        false => ("a preview (--dry-run)", "preview"),
    };
    anyhow::bail!(
        "{what} `{}` exists and its name does not say it is a preview's or a rehearsal's: it may \
         be a real night's, which monitoring or the office reads. {this} replaces only a file \
         with `preview` or `sandbox` in its name: name it like `last-{word}.html` or \
         `{word}-summary.json`, or move the file away first",
        path.display()
    );
}

/// Whether an earlier output was a preview's or a rehearsal's: a summary whose `results_file`
/// is a preview's or a rehearsal's file, or a report marked as one's page.
fn made_by_a_rehearsal(path: &Path) -> bool {
    let Some(text) = read_small(path) else {
        return false;
    };
    if let Ok(serde_json::Value::Object(summary)) = serde_json::from_str(&text) {
        return summary
            .get("results_file")
            .and_then(serde_json::Value::as_str)
            .is_some_and(|f| f.contains(".preview.") || f.contains(".sandbox."));
    }
    ["preview", "rehearsal"].iter().any(|by| {
        text.contains(&format!(
            r#"<meta name="annie-dispatch-page" content="{by}">"#
        ))
    })
}

/// A file's name in lower case ("" for none), for the rules that go by what a name says.
pub(crate) fn lowercase_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default()
}

/// Whether a path is an existing, non-empty file (an earlier output something may rely on).
pub(crate) fn holds_something(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.len() > 0)
}

/// Whether a file's name is a lock's (`NAME.lock`) or an SQLite database's or journal's
/// (`.sqlite3`, `.sqlite`, `.db`, `-wal`, `-shm`, `-journal`).
fn is_state_file(path: &Path) -> bool {
    let name = lowercase_name(path);
    [
        ".lock", ".sqlite3", ".sqlite", ".db", "-wal", "-shm", "-journal",
    ]
    .iter()
    .any(|end| name.ends_with(end))
}

/// At most [`MOST_READ`] bytes of the file, without a byte order mark; `None` for a bigger file
/// or one that cannot be read.
fn read_small(path: &Path) -> Option<String> {
    use std::io::Read;
    let mut bytes = Vec::new();
    let file = std::fs::File::open(path).ok()?;
    file.take(MOST_READ + 1).read_to_end(&mut bytes).ok()?;
    if bytes.len() as u64 > MOST_READ {
        return None;
    }
    let text = String::from_utf8(bytes).ok()?;
    Some(text.trim_start_matches('\u{feff}').to_string())
}

/// Whether the file is one JSON object with all of `keys` at its top level.
fn object_with(text: &str, keys: &[&str]) -> bool {
    match serde_json::from_str::<serde_json::Value>(text) {
        Ok(serde_json::Value::Object(map)) => keys.iter().all(|k| map.contains_key(*k)),
        _ => false,
    }
}

/// Whether the file's first line is a JSON object with all of `keys` (JSON Lines this tool
/// wrote: results, or request bodies). One line says enough: an export's lines have other keys,
/// and every line of one file has the same.
fn first_line_has(path: &Path, keys: &[&str]) -> bool {
    first_line(path).is_some_and(|line| object_with(line.trim(), keys))
}

/// The file's first line (none longer than [`MOST_READ`] bytes), without a byte order mark.
fn first_line(path: &Path) -> Option<String> {
    use std::io::{BufRead, Read};
    let file = std::fs::File::open(path).ok()?;
    let mut line = Vec::new();
    std::io::BufReader::new(file.take(MOST_READ))
        .read_until(b'\n', &mut line)
        .ok()?;
    let text = String::from_utf8(line).ok()?;
    Some(text.trim_start_matches('\u{feff}').to_string())
}

/// Whether the file is a `--summary-json` this tool wrote: one object with `exit_status` and the
/// file it counts (`run`'s `results_file`, `outcomes`' `outcomes_file`), keys both have had since
/// the summary was added.
fn is_summary(path: &Path) -> bool {
    read_small(path).is_some_and(|text| {
        object_with(&text, &["exit_status", "results_file"])
            || object_with(&text, &["exit_status", "outcomes_file"])
    })
}

/// Whether an HTML file carries [`REPORT_MARK`] or one of the [`OLDER_REPORT_MARKS`], looked for
/// line by line (a report may be large; the mark is in its first lines).
fn is_report(path: &Path) -> bool {
    use std::io::BufRead;
    let Ok(file) = std::fs::File::open(path) else {
        return false;
    };
    for line in std::io::BufReader::new(file).split(b'\n') {
        let Ok(line) = line else { return false };
        let line = String::from_utf8_lossy(&line);
        if line.contains(REPORT_MARK) || OLDER_REPORT_MARKS.iter().any(|m| line.contains(m)) {
            return true;
        }
    }
    false
}

/// Which of this tool's row files a text starts like: "a results file", "an outcomes file".
fn rows_kind(text: &str) -> Option<&'static str> {
    match text {
        _ if text.starts_with(RESULTS_HEADER) => Some("a results file"),
        _ if text.starts_with(OUTCOMES_HEADER) => Some("an outcomes file"),
        _ if text.starts_with("{\"row\":") => Some("a results file (JSON Lines)"),
        _ => None,
    }
}

/// Whether two paths name the same file, for files that do not exist yet too (their folders are
/// resolved, so `./a.csv` and `/dir/a.csv` match).
fn same(a: &Path, b: &Path) -> bool {
    real_file(a) == real_file(b)
}

/// The file a path reaches, symlinks followed: the file itself if it exists; else (a file a run
/// will create) where it will be, a dangling symlink followed to its target and the folder
/// resolved. The ledger's lock and the files beside it are derived from this, so that two
/// configs naming one ledger by two paths (a symlink, a symlinked folder) share one lock. A path
/// whose folder does not exist is kept as it is (opening it fails, with its own message).
pub(crate) fn real_file(path: &Path) -> PathBuf {
    let mut path = path.to_path_buf();
    // As many links as the system itself follows (SYMLOOP_MAX); a loop ends in an error later.
    for _ in 0..40 {
        if let Ok(real) = path.canonicalize() {
            return real;
        }
        match std::fs::read_link(&path) {
            // A target that does not exist yet (a new ledger): where SQLite will create it.
            Ok(target) => path = folder_of(&path).join(target),
            Err(_) => break,
        }
    }
    match (folder_of(&path).canonicalize(), path.file_name()) {
        (Ok(dir), Some(name)) => dir.join(name),
        _ => path,
    }
}

/// The folder a path is in (`.` for a bare name).
fn folder_of(path: &Path) -> &Path {
    match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_preview_file_sits_beside_the_results_with_its_own_name() {
        let p = |s: &str| preview_path(Path::new(s));
        assert_eq!(
            p("out/a.results.csv"),
            Path::new("out/a.results.preview.csv")
        );
        assert_eq!(p("a.results.jsonl"), Path::new("a.results.preview.jsonl"));
        assert_eq!(p("results"), Path::new("results.preview"));
    }

    #[test]
    fn an_output_may_not_be_an_input_or_another_output() {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("c.toml");
        std::fs::write(&config, "x").unwrap();
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        let roundabout = dir.path().join("sub").join("..").join("c.toml");
        let inputs = [("the config", config.as_path())];
        let report = [Output::new("--report", &roundabout, Kind::Html)];
        let err = check_outputs(&report, &inputs).unwrap_err();
        assert!(err.to_string().contains("c.toml` is the config"), "{err}");
        let r = dir.path().join("r.csv");
        let twice = [
            Output::new("--results", &r, Kind::Rows("row,")),
            Output::new("--report", &r, Kind::Html),
        ];
        assert!(check_outputs(&twice, &[]).is_err());
        let fine = [Output::new("--results", &r, Kind::Rows("row,"))];
        assert!(check_outputs(&fine, &inputs).is_ok());
    }

    #[test]
    fn the_results_partial_file_is_checked_as_an_output() {
        let dir = tempfile::tempdir().unwrap();
        let results = dir.path().join("r.csv");
        let partial = dir.path().join("r.csv.partial");
        let outputs =
            [Output::new("--results", &results, Kind::Rows("row,")).with_partial("the partial")];
        // As an input, and as another output.
        let inputs = [("the input", partial.as_path())];
        let err = check_outputs(&outputs, &inputs).unwrap_err().to_string();
        assert!(err.starts_with("the partial `"), "{err}");
        let emit = [
            Output::new("--results", &results, Kind::Rows("row,")).with_partial("the partial"),
            Output::new("--emit-requests", &partial, Kind::Requests),
        ];
        let err = check_outputs(&emit, &[]).unwrap_err().to_string();
        assert!(err.starts_with("--emit-requests `"), "{err}");
        // An earlier partial results file (or an empty one) is ours to replace; anything else
        // is not.
        std::fs::write(&partial, "row,appointment_id\n2,A1\n").unwrap();
        assert!(check_outputs(&outputs, &[]).is_ok());
        std::fs::write(&partial, "").unwrap();
        assert!(check_outputs(&outputs, &[]).is_ok());
        std::fs::write(&partial, "AptNum,PatNum\n").unwrap();
        assert!(check_outputs(&outputs, &[]).is_err());
        // An output written whole has no partial file.
        let whole = [Output::new("--out", &results, Kind::Rows("row,"))];
        assert!(check_outputs(&whole, &[]).is_ok());
        std::fs::remove_file(&partial).unwrap();
        std::fs::create_dir(&partial).unwrap();
        assert!(check_outputs(&outputs, &[]).is_err());
    }

    #[test]
    fn the_real_file_follows_links_to_files_folders_and_files_not_made_yet() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().canonicalize().unwrap();
        std::fs::create_dir(real.join("state")).unwrap();
        std::os::unix::fs::symlink("state", real.join("linked")).unwrap();
        std::os::unix::fs::symlink("state/l.sqlite3", real.join("l2.sqlite3")).unwrap();
        let ledger = real.join("state").join("l.sqlite3");
        // Not made yet: through the dangling link and through the linked folder alike.
        assert_eq!(real_file(&real.join("l2.sqlite3")), ledger);
        assert_eq!(real_file(&real.join("linked").join("l.sqlite3")), ledger);
        std::fs::write(&ledger, "").unwrap();
        assert_eq!(real_file(&real.join("l2.sqlite3")), ledger);
        assert_eq!(real_file(&real.join("linked").join("l.sqlite3")), ledger);
        // A folder that does not exist: kept as written.
        let nowhere = real.join("no").join("l.sqlite3");
        assert_eq!(real_file(&nowhere), nowhere);
    }

    #[test]
    fn an_output_in_a_missing_folder_or_naming_a_folder_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("no").join("s.json");
        let err = check_outputs(
            &[Output::new("--summary-json", &missing, Kind::Summary)],
            &[],
        );
        assert!(err.unwrap_err().to_string().contains("does not exist"));
        let file = dir.path().join("f");
        std::fs::write(&file, "").unwrap();
        let under_a_file = file.join("s.json");
        let err = check_outputs(
            &[Output::new("--summary-json", &under_a_file, Kind::Summary)],
            &[],
        );
        assert!(err.unwrap_err().to_string().contains("is not a folder"));
        let err = check_outputs(&[Output::new("--report", dir.path(), Kind::Html)], &[]);
        assert!(err
            .unwrap_err()
            .to_string()
            .contains("is a folder, not a file"));
        // A bare name is in the working folder.
        assert!(check_folder("--summary-json", Path::new("s.json")).is_ok());
    }

    /// A `.partial` file that is a symbolic link is refused: the rows would be written into the
    /// file it points at, another night's results, say (round-10 finding 5).
    #[test]
    fn a_partial_file_that_is_a_link_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let night = dir.path().join("night.results.csv");
        std::fs::write(&night, "row,appointment_id,status\n2,A1,sent\n").unwrap();
        let results = dir.path().join("n.results.preview.csv");
        std::os::unix::fs::symlink(&night, dir.path().join("n.results.preview.csv.partial"))
            .unwrap();
        let outputs = [Output::new(
            "the preview file (--dry-run)",
            &results,
            Kind::Rows(RESULTS_HEADER),
        )
        .with_partial("the partial preview file")];
        let err = check_outputs(&outputs, &[]).unwrap_err().to_string();
        assert!(
            err.contains(
                "is a symbolic link: rows written there would go to the file it points at"
            ),
            "{err}"
        );
    }

    /// A lock or database file is never replaced, even empty, whatever the output: a ledger's
    /// lock replaced by a report let a second nightly run take "the" lock while the first held
    /// the old one (round-10 finding 1).
    #[test]
    fn a_lock_or_database_file_is_never_an_outputs_to_replace() {
        let dir = tempfile::tempdir().unwrap();
        for name in [
            "annie-dispatch.ledger.sqlite3.lock",
            "annie-dispatch.sandbox-ledger.sqlite3.lock",
            "l.sqlite3",
            "l.sqlite3-wal",
            "l.sqlite3-shm",
            "l.db-journal",
        ] {
            let file = dir.path().join(name);
            std::fs::write(&file, "").unwrap();
            for kind in [
                Kind::Html,
                Kind::Summary,
                Kind::Requests,
                Kind::Rows(RESULTS_HEADER),
            ] {
                let err = check_replaceable("it", "--x", &file, kind)
                    .unwrap_err()
                    .to_string();
                assert!(
                    err.starts_with("it exists and is a lock or database file"),
                    "{name}: {err}"
                );
            }
        }
    }

    /// Each kind knows its own earlier output by what only this tool writes there, not by the
    /// format: JSON, JSON Lines and HTML files of other makers are never replaced.
    #[test]
    fn an_output_replaces_only_an_earlier_output_of_its_kind() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("f");
        let replaceable = |kind: Kind, text: &str| {
            std::fs::write(&file, text).unwrap();
            check_replaceable("it", "--x", &file, kind).is_ok()
        };
        let summary =
            "{\n  \"rows\": 3,\n  \"exit_status\": 0,\n  \"results_file\": \"r.csv\"\n}\n";
        assert!(replaceable(Kind::Summary, summary));
        assert!(replaceable(
            Kind::Summary,
            r#"{"needs_attention": 0, "exit_status": 1, "outcomes_file": "o.csv"}"#
        ));
        assert!(replaceable(Kind::Summary, ""));
        assert!(!replaceable(Kind::Summary, r#"{"keep": "me"}"#));
        assert!(!replaceable(
            Kind::Summary,
            r#"{"appointments": [{"AptNum": "1"}], "exit_status": 0}"#
        ));
        assert!(!replaceable(Kind::Summary, "[1, 2, 3]"));

        let request = r#"{"fromNumber":"+13125550100","toNumber":"+13125550147"}"#;
        assert!(replaceable(
            Kind::Requests,
            &format!("{request}\n{request}\n")
        ));
        assert!(!replaceable(
            Kind::Requests,
            "{\"AptNum\":\"1\",\"WirelessPhone\":\"3125550147\"}\n"
        ));
        assert!(!replaceable(Kind::Requests, summary));

        let results = r#"{"row":2,"appointment_id":"A1","status":"sent"}"#;
        assert!(replaceable(Kind::Rows(RESULTS_HEADER), results));
        assert!(!replaceable(Kind::Rows(RESULTS_HEADER), request));
        assert!(!replaceable(Kind::Rows(RESULTS_HEADER), "{\"row\":2}\n"));

        let page = "<!DOCTYPE html>\n<html><head><title>Office wiki</title></head></html>\n";
        assert!(!replaceable(Kind::Html, page));
        let report = format!("<!DOCTYPE html>\n<html>\n<head>\n{REPORT_MARK}\n</head></html>\n");
        assert!(replaceable(Kind::Html, &report));
        for older in OLDER_REPORT_MARKS {
            assert!(replaceable(
                Kind::Html,
                &format!("<!DOCTYPE html>\n<html>{older}</html>")
            ));
        }
        // The mark without the doctype: not a report.
        assert!(!replaceable(Kind::Html, REPORT_MARK));
    }
}
