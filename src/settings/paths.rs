//! Where a run writes, checked against what it reads: no output may overwrite the export, the
//! config, the ledger or the do-not-call list, nor another output.
//!
//! A nightly job's command line is copied and edited by hand (`--report` pointed at the config,
//! `--results` at the export); one such slip used to destroy the file it named. Checked before
//! anything is read or written, so the refusal (exit 2) leaves every file as it was.

use std::path::{Path, PathBuf};

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

/// Refuses an output that is one of the run's inputs or another output, naming both.
pub(super) fn check_distinct(
    outputs: &[(&str, &Path)],
    inputs: &[(&str, &Path)],
) -> anyhow::Result<()> {
    for (i, (what, path)) in outputs.iter().enumerate() {
        if is_special(path) {
            continue;
        }
        let earlier = outputs[..i]
            .iter()
            .map(|(w, p)| (w, p, "also written by this run"));
        let read = inputs.iter().map(|(w, p)| (w, p, "read by this run"));
        for (other, other_path, role) in read.chain(earlier) {
            if same(path, other_path) {
                anyhow::bail!(
                    "{what} `{}` is {other} `{}` ({role}); writing it would destroy that file. \
                     Choose another path for {what}",
                    path.display(),
                    other_path.display()
                );
            }
        }
    }
    Ok(())
}

/// What an output of this tool starts with, to tell one of its own earlier outputs (replaced as
/// the run goes) from any other file that happens to have the name (never replaced).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A results or outcomes file: CSV with this header's first columns, or JSON Lines.
    Rows(&'static str),
    /// One JSON object (`--summary-json`) or JSON Lines (`--emit-requests`).
    Json,
    /// The HTML report.
    Html,
}

/// Refuses to replace an existing file that is not an earlier output of the same kind: an
/// output pointed by mistake at an export, a spreadsheet or a database must not destroy it.
/// Empty files, devices and pipes are fine.
pub(crate) fn check_replaceable(what: &str, path: &Path, kind: Kind) -> anyhow::Result<()> {
    use std::io::Read;
    if is_special(path) || !path.is_file() {
        return Ok(());
    }
    let mut start = Vec::with_capacity(64);
    let read = std::fs::File::open(path).and_then(|f| f.take(64).read_to_end(&mut start));
    let text = String::from_utf8_lossy(&start);
    let text = text.trim_start_matches('\u{feff}').trim_start();
    let ours = match kind {
        _ if read.is_ok() && text.is_empty() => true,
        Kind::Rows(header) => text.starts_with(header) || text.starts_with('{'),
        Kind::Json => text.starts_with('{'),
        Kind::Html => text.to_ascii_lowercase().starts_with("<!doctype html"),
    };
    if read.is_err() || !ours {
        let expected = match kind {
            Kind::Rows(_) => "a file this tool wrote",
            Kind::Json => "a JSON file this tool wrote",
            Kind::Html => "an HTML report this tool wrote",
        };
        anyhow::bail!(
            "{what} `{}` exists and is not {expected}; writing it would destroy that file. \
             Choose another path for {what}, or move the file away first",
            path.display()
        );
    }
    Ok(())
}

/// Whether two paths name the same file, for files that do not exist yet too (their folders are
/// resolved, so `./a.csv` and `/dir/a.csv` match).
fn same(a: &Path, b: &Path) -> bool {
    resolve(a) == resolve(b)
}

fn resolve(path: &Path) -> PathBuf {
    if let Ok(p) = path.canonicalize() {
        return p;
    }
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    match (dir.canonicalize(), path.file_name()) {
        (Ok(dir), Some(name)) => dir.join(name),
        _ => path.to_path_buf(),
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
        let err = check_distinct(&[("--report", roundabout.as_path())], &inputs).unwrap_err();
        assert!(err.to_string().contains("c.toml` is the config"), "{err}");
        let r = dir.path().join("r.csv");
        let twice = [("--results", r.as_path()), ("--report", r.as_path())];
        assert!(check_distinct(&twice, &[]).is_err());
        let fine = [("--results", r.as_path())];
        assert!(check_distinct(&fine, &inputs).is_ok());
    }
}
