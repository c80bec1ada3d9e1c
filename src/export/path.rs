//! What an export's path must be before anything is read: a file that exists, no directory, no
//! Excel workbook by name, and the format its extension names. Settings check this at start-up,
//! so it sits with the export's plain types, below the readers.

use std::path::Path;

use super::record::Format;

/// Checks that `path` can be an export: it exists, is a file, and is no Excel workbook by name.
pub(crate) fn check_path(path: &Path) -> anyhow::Result<()> {
    metadata(path)?;
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or_default();
    if ["xlsx", "xlsm", "xls"]
        .iter()
        .any(|x| ext.eq_ignore_ascii_case(x))
    {
        anyhow::bail!(
            "export `{}`: {}",
            path.display(),
            workbook_advice(&format!(".{}", ext.to_ascii_lowercase()))
        );
    }
    Ok(())
}

/// The export's metadata; a missing file or a directory is named as such.
pub(super) fn metadata(path: &Path) -> anyhow::Result<std::fs::Metadata> {
    let meta = std::fs::metadata(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => anyhow::anyhow!(
            "export `{}` does not exist: check the --input path, and that tonight's export ran",
            path.display()
        ),
        _ => anyhow::anyhow!("cannot read export `{}`: {e}", path.display()),
    })?;
    if meta.is_dir() {
        anyhow::bail!(
            "`{}` is a directory, not an export: pass the export file itself to --input",
            path.display()
        );
    }
    Ok(meta)
}

/// Guesses the format from the file name; `None` when the extension says nothing.
pub fn format_from_extension(path: &Path) -> Option<Format> {
    let ext = path.extension()?.to_str()?.to_ascii_lowercase();
    match ext.as_str() {
        "csv" | "txt" | "tsv" => Some(Format::Csv),
        "json" | "jsonl" | "ndjson" => Some(Format::Json),
        _ => None,
    }
}

/// What to do with an Excel workbook of this kind (`.xlsx`).
pub(crate) fn workbook_advice(kind: &str) -> String {
    format!(
        "this is an Excel workbook ({kind}), not CSV or JSON: open it in Excel, choose File > \
         Save As > \"CSV UTF-8 (Comma delimited)\", and pass that file to --input"
    )
}
