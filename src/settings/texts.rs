//! `[templates]` and `[[languages]]`: what Annie says, in which language.

use std::collections::{BTreeMap, HashSet};
use std::sync::Mutex;

use crate::config::{LoadedConfig, Located};
use crate::templates::{TemplateSource, Templates, DEFAULT_CONTEXT, DEFAULT_VOICEMAIL};

/// One `[[languages]]` entry, checked.
#[derive(Debug)]
pub struct Language {
    /// As Annie names it, e.g. `SPANISH`.
    pub name: String,
    /// Export values that mean this language, lower-cased.
    pub values: Vec<String>,
    /// This language's templates; `None` uses the general ones.
    pub templates: Option<Templates>,
}

/// Every configured language besides the default.
#[derive(Debug, Default)]
pub struct Languages {
    pub list: Vec<Language>,
    /// Fallback notes already logged: one line per value (or location and language), not one
    /// per row, so a large export's log stays readable.
    pub(crate) noted: Mutex<HashSet<String>>,
}

impl Languages {
    pub fn new(list: Vec<Language>) -> Languages {
        Languages {
            list,
            noted: Mutex::default(),
        }
    }
}

pub(super) fn templates(config: &LoadedConfig) -> anyhow::Result<Templates> {
    let t = &config.file.templates;
    let source = |value: &Option<Located>, key: String, default: &str| match value {
        Some(v) => TemplateSource {
            key,
            location: config.at(v),
            source: v.get_ref().clone(),
        },
        None => TemplateSource {
            key,
            location: "built-in default".to_string(),
            source: default.to_string(),
        },
    };
    let mut by_type = BTreeMap::new();
    for (kind, pair) in &t.by_type {
        let mut sources = Vec::new();
        for (which, value) in [("context", &pair.context), ("voicemail", &pair.voicemail)] {
            if let Some(v) = value {
                sources.push((
                    which,
                    source(&Some(v.clone()), format!("by_type.\"{kind}\".{which}"), ""),
                ));
            }
        }
        by_type.insert(kind.clone(), sources);
    }
    Templates::compile(
        source(&t.context, "context".into(), DEFAULT_CONTEXT),
        source(&t.voicemail, "voicemail".into(), DEFAULT_VOICEMAIL),
        by_type,
    )
}

/// `[[languages]]`: export values → language name and templates. Their Annie numbers belong to
/// a location (see [`super::locations`]).
pub(super) fn languages(config: &LoadedConfig) -> anyhow::Result<Languages> {
    refuse_shared_values(config)?;
    let mut list = Vec::new();
    for l in &config.file.languages {
        let templates = match (&l.context, &l.voicemail) {
            (None, None) => None,
            (context, voicemail) => {
                let name = l.name.get_ref();
                let source = |v: &Option<Located>, which: &str, default: &str| TemplateSource {
                    key: format!("languages \"{name}\" {which}"),
                    location: v
                        .as_ref()
                        .map_or("built-in default".to_string(), |v| config.at(v)),
                    source: v
                        .as_ref()
                        .map_or(default.to_string(), |v| v.get_ref().clone()),
                };
                Some(Templates::compile(
                    source(context, "context", DEFAULT_CONTEXT),
                    source(voicemail, "voicemail", DEFAULT_VOICEMAIL),
                    BTreeMap::new(),
                )?)
            }
        };
        list.push(Language {
            name: l.name.get_ref().trim().to_string(),
            values: l.values.iter().map(language_value).collect(),
            templates,
        });
    }
    Ok(Languages::new(list))
}

/// An export value as rows are matched against it: trimmed, lower-cased.
fn language_value(value: &Located) -> String {
    value.get_ref().trim().to_lowercase()
}

/// Two `[[languages]]` entries that share a value: a patient with that value could be called in
/// either language (the first entry would win without a word), so the run does not start.
fn refuse_shared_values(config: &LoadedConfig) -> anyhow::Result<()> {
    // Each value and the entry (its index and name) that named it first.
    let mut owners: BTreeMap<String, (usize, &Located)> = BTreeMap::new();
    for (i, l) in config.file.languages.iter().enumerate() {
        for v in &l.values {
            match owners.get(&language_value(v)) {
                Some(&(first, name)) if first != i => {
                    let value = v.get_ref().trim();
                    let msg = format!(
                        "`{value}` is in both [[languages]] \"{}\" (line {}) and [[languages]] \"{}\": \
                         a patient whose language is `{value}` could be called in either. Keep the \
                         value in one of them",
                        name.get_ref().trim(),
                        config.line(name),
                        l.name.get_ref().trim(),
                    );
                    return Err(super::value::bad(config, v, "[[languages]] values", msg));
                }
                Some(_) => {}
                None => {
                    owners.insert(language_value(v), (i, &l.name));
                }
            }
        }
    }
    Ok(())
}

/// With `[households] enabled` (the default), every context a household's call may be made with
/// (the general one, each appointment type's, each language's) must name each of its
/// appointments ([`Templates::households`]): checked at start-up, by `check` too.
pub(super) fn households_named(templates: &Templates, languages: &Languages) -> anyhow::Result<()> {
    std::iter::once(templates)
        .chain(languages.list.iter().filter_map(|l| l.templates.as_ref()))
        .try_for_each(Templates::households)
}
