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
    /// Export columns whose value, if it is one of `values` or a plain affirmative, means "do
    /// not call".
    pub columns: Vec<String>,
    /// The preset's columns: used when the export has them, else ignored (with a note).
    pub columns_optional: bool,
    /// The values of `columns` that mean "do not call", besides the plain affirmatives
    /// ([`is_affirmative`]), which every opt-out column honours.
    pub values: Vec<String>,
    /// Per preset column, the values known to mean something other than "do not call" (Open
    /// Dental's other contact methods): recognised, so never warned about as unknown.
    pub known_values: Vec<(String, Vec<String>)>,
}

/// The plain "yes" of a flag column (`Y`, `Yes`, `TRUE`, `X`, `1`; JSON `true` and `1` read as
/// `true` and `1`): in a column named as an opt-out column, it can only mean "do not call". No
/// preset's opt-out column gives one of these another meaning (Open Dental's number 1 is
/// DoNotCall).
pub fn is_affirmative(value: &str) -> bool {
    one_of(value, &["y", "yes", "true", "x", "1"])
}

/// The plain "no" of a flag column (`N`, `No`, `FALSE`, `0`, `None`): "may be called".
pub fn is_negative(value: &str) -> bool {
    one_of(value, &["n", "no", "false", "0", "none"])
}

/// Whether the trimmed value is one of `words` (lower case), without case.
fn one_of(value: &str, words: &[&str]) -> bool {
    let value = value.trim();
    words.iter().any(|w| w.eq_ignore_ascii_case(value))
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
    let known_values = preset
        .opt_out_columns
        .iter()
        .map(|c| (c.to_string(), owned(&preset.opt_out_other_values)))
        .collect();
    Ok(OptOutSettings {
        list: o.list.as_ref().map(|v| config.relative_path(v.get_ref())),
        columns,
        columns_optional: from_preset,
        known_values,
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
