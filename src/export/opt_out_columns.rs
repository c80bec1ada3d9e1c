//! What the export's own do-not-call columns tell the operator when the config does not read
//! them (round-9 finding 12). A practice system's export may carry a patient's "do not call"
//! mark (`Do Not Call` = Y, Open Dental's `PreferContactMethod` = DoNotCall) under a name the
//! config does not map: every patient it marks would be called without a word. And a preset's
//! opt-out columns are read only when the export has them, so an export without them keeps
//! nobody from being called by them. Both are said once per run, naming columns only (never a
//! row's value).

use super::columns::{Columns, Field};

/// What a run says about the export's opt-out columns: `warnings` (a column that looks like a
/// do-not-call column, not read) go with the run's other warnings about the export (logged, and
/// listed by `check`); `notes` (a preset's opt-out columns the export lacks) are logged at info
/// level and shown by `check` as notes.
#[derive(Debug, Default, Clone)]
pub struct OptOutNotes {
    pub warnings: Vec<String>,
    pub notes: Vec<String>,
}

/// Header words (letters and digits only, lower case) that name a do-not-call or
/// contact-preference column anywhere in a name: `Do Not Call`, `do_not_call`, `PatientNoCall`,
/// `Opt Out`, Open Dental's `PreferContactMethod` written with spaces.
const WORDS: &[&str] = &[
    "donotcall",
    "dontcall",
    "nocall",
    "donotcontact",
    "dontcontact",
    "nocontact",
    "optout",
    "optedout",
    "prefercontactmethod",
    "preferconfirmmethod",
    "contactpref",
    "preferredcontactmethod",
    "donotphone",
    "nophonecall",
];

/// Words that make a name about texts or e-mail, not calls (`Text Opt Out`, `Email Opt Out`):
/// those columns say nothing about a phone call, and a warning every night about them would
/// only teach people to ignore the log.
const OTHER_CHANNELS: &[&str] = &["text", "txt", "sms", "email", "mail"];

/// Whether a column's name looks like a do-not-call or contact-preference column: compared on
/// letters and digits only, without case, so spaces, underscores and dots do not matter. `DNC`
/// counts as a whole name or at its start or end (`DNC Flag`, `PatientDNC`), not inside a word.
pub(crate) fn looks_like_opt_out(name: &str) -> bool {
    let word: String = name
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect();
    if OTHER_CHANNELS.iter().any(|w| word.contains(w)) {
        return false;
    }
    WORDS.iter().any(|w| word.contains(w)) || word.starts_with("dnc") || word.ends_with("dnc")
}

/// The export's columns (CSV headers, or JSON paths) that look like do-not-call columns
/// ([`looks_like_opt_out`]) but that no mapping of `columns` reads (matched as the reader
/// matches them: exactly, or without case around trimmed names). Each once, in the file's order.
pub(crate) fn unread<'a>(
    names: impl IntoIterator<Item = &'a str>,
    columns: &Columns,
) -> Vec<String> {
    let read = |name: &str| {
        columns
            .slots()
            .iter()
            .any(|(_, c)| c == name || name.eq_ignore_ascii_case(c.trim()))
    };
    let mut found: Vec<String> = Vec::new();
    for name in names {
        if looks_like_opt_out(name) && !read(name) && !found.iter().any(|f| f == name) {
            found.push(name.to_string());
        }
    }
    found
}

/// The messages about the export's opt-out columns: the `unread` ones ([`unread`]), and the
/// preset's opt-out columns the export lacks (the [`Field::OptOut`] entries of `ignored`).
/// `columns` is the mapping the file allows: the opt-out columns it does read are kept in the
/// `[optout] columns` the warning suggests (setting that key replaces the preset's).
pub(crate) fn notes(
    unread: &[String],
    ignored: &[(Field, String)],
    columns: &Columns,
) -> OptOutNotes {
    let mut notes = OptOutNotes::default();
    if !unread.is_empty() {
        notes.warnings.push(unread_warning(unread, columns));
    }
    let missing: Vec<&str> = ignored
        .iter()
        .filter(|(field, _)| matches!(field, Field::OptOut(_)))
        .map(|(_, column)| column.as_str())
        .collect();
    if !missing.is_empty() {
        notes.notes.push(missing_note(&missing));
    }
    notes
}

/// What every unread-column warning says, so `check` can tell it from the others.
const UNREAD_MARK: &str = "but this config does not read";

/// Whether a warning is about a do-not-call column the config does not read: `check` exits 1 on
/// it (patients it marks would be called), while other warnings leave its exit status.
pub(crate) fn is_unread_warning(warning: &str) -> bool {
    warning.starts_with("the export's column") && warning.contains(UNREAD_MARK)
}

/// "the export's column `Do Not Call` looks like ...; set [optout] columns = [...]".
fn unread_warning(unread: &[String], columns: &Columns) -> String {
    let quoted = |names: &[&str]| -> String {
        let list: Vec<String> = names.iter().map(|n| format!("\"{n}\"")).collect();
        list.join(", ")
    };
    let mut suggested: Vec<&str> = columns.opt_out_columns().map(|(_, c)| c).collect();
    suggested.extend(unread.iter().map(String::as_str));
    let named: Vec<String> = unread.iter().map(|c| format!("`{c}`")).collect();
    let (what, looks, them, they, mark) = match unread.len() {
        1 => (
            "column",
            "looks like a do-not-call or contact-preference column",
            "it",
            "it says",
            "a patient it marks is",
        ),
        _ => (
            "columns",
            "look like do-not-call or contact-preference columns",
            "them",
            "they say",
            "patients they mark are",
        ),
    };
    format!(
        "the export's {what} {} {looks}, {UNREAD_MARK} {them} as one: {mark} \
         called all the same. If {they} who must not be called, set [optout] columns = [{}] \
         (see [optout] values for the words that mean \"do not call\")",
        named.join(", "),
        quoted(&suggested),
    )
}

/// "the preset's opt-out column `X` is not in the export: no row is skipped for it".
fn missing_note(missing: &[&str]) -> String {
    let named: Vec<String> = missing.iter().map(|c| format!("`{c}`")).collect();
    let (what, it) = match missing.len() {
        1 => ("column", "it"),
        _ => ("columns", "them"),
    };
    let verb = if missing.len() == 1 { "is" } else { "are" };
    format!(
        "the preset's opt-out {what} {} {verb} not in the export: no row is skipped for {it}. If \
         the export marks patients who must not be called in another column, name it in \
         [optout] columns",
        named.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::looks_like_opt_out;

    #[test]
    fn do_not_call_and_contact_preference_names_are_recognised_however_written() {
        for name in [
            "Do Not Call",
            "do_not_call",
            "DoNotCall",
            "DNC",
            "DNC Flag",
            "PatientDNC",
            "No Call",
            "Opt Out",
            "opted_out",
            "Prefer Contact Method",
            "PreferConfirmMethod",
            "preferred contact method",
            "patient.doNotCall",
            "DoNotPhone",
            "No Phone Calls",
            "ContactPref",
        ] {
            assert!(looks_like_opt_out(name), "{name}");
        }
    }

    #[test]
    fn other_columns_and_text_or_email_opt_outs_are_not() {
        for name in [
            "AptNum",
            "ProcDescript",
            "HmPhone",
            "Confirmed",
            "AddNCode",
            "Text Opt Out",
            "TxtMsgOptOut",
            "Email Opt Out",
            "SMS opt-out",
        ] {
            assert!(!looks_like_opt_out(name), "{name}");
        }
    }
}
