//! `[optout]`: the do-not-call list and the export columns that mean "do not call", with the
//! rule for when two of those columns' words are the same word (used again on every row).

use std::path::PathBuf;

use crate::config::presets;
use crate::config::LoadedConfig;

/// `[optout]` settings.
#[derive(Debug, Clone, Default)]
pub struct OptOutSettings {
    /// A do-not-call list: one number per line, any common format; `#` starts a comment.
    pub list: Option<PathBuf>,
    /// Export columns whose value, if it is one of `values`, means "do not call".
    pub columns: Vec<String>,
    /// The preset's columns: used when the export has them, else ignored (with a note).
    pub columns_optional: bool,
    pub values: Vec<String>,
}

/// Whether two opt-out values are the same word: compared on letters and digits only, without
/// case, so `Do Not Call`, `do_not_call` and `DoNotCall` all mean "do not call".
pub fn same_opt_out_word(a: &str, b: &str) -> bool {
    // Compared as it goes, without building either word: this runs for every opt-out column of
    // every row.
    letters(a).next().is_some() && letters(a).eq(letters(b))
}

/// A value's letters and digits, lower case.
fn letters(s: &str) -> impl Iterator<Item = u8> + '_ {
    s.bytes()
        .filter(u8::is_ascii_alphanumeric)
        .map(|b| b.to_ascii_lowercase())
}

/// `[optout]`; without `columns`, the preset's own do-not-call columns (read when the export has
/// them) with the preset's values. `values` adds to the built-in values, never replaces them:
/// listing one word of one's own must not silently stop honouring the preset's (Open Dental's raw
/// export writes "do not call" as `1`).
pub(super) fn opt_out(
    config: &LoadedConfig,
    preset: &presets::Preset,
) -> anyhow::Result<OptOutSettings> {
    let o = &config.file.optout;
    let from_preset = o.columns.is_empty() && !preset.opt_out_columns.is_empty();
    let owned = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<String>>();
    let (columns, default_values) = match from_preset {
        true => (
            owned(&preset.opt_out_columns),
            owned(&preset.opt_out_values),
        ),
        false => (o.columns.clone(), vec!["DoNotCall".to_string()]),
    };
    Ok(OptOutSettings {
        list: o.list.as_ref().map(|v| config.relative_path(v.get_ref())),
        columns,
        columns_optional: from_preset,
        values: {
            let mut values = default_values;
            for v in o.values.iter().flatten() {
                if !values.iter().any(|d| same_opt_out_word(d, v)) {
                    values.push(v.clone());
                }
            }
            values
        },
    })
}
