//! `[outcomes]`: the phrases `outcomes` sorts calls into classes by ([`crate::outcomes::Class`]).

use super::bad;
use crate::config::{LoadedConfig, Located};
use crate::outcomes::class::fold;
use crate::outcomes::Rules;

/// The rules: each list given replaces its default; `opt_out` adds to the built-in phrases.
pub(super) fn rules(config: &LoadedConfig) -> anyhow::Result<Rules> {
    let o = &config.file.outcomes;
    let mut rules = Rules::default();
    let lists = [
        (
            &o.reschedule_requested,
            &mut rules.reschedule_requested,
            "reschedule_requested",
        ),
        (
            &o.cancel_requested,
            &mut rules.cancel_requested,
            "cancel_requested",
        ),
        (&o.confirmed, &mut rules.confirmed, "confirmed"),
        (&o.voicemail, &mut rules.voicemail, "voicemail"),
        (&o.unclear, &mut rules.unclear, "unclear"),
        (&o.negations, &mut rules.negations, "negations"),
    ];
    for (given, list, key) in lists {
        if let Some(given) = given {
            *list = phrases(config, given, key)?;
        }
    }
    if let Some(given) = &o.opt_out {
        rules.opt_out.extend(phrases(config, given, "opt_out")?);
    }
    Ok(rules)
}

fn phrases(config: &LoadedConfig, given: &[Located], key: &str) -> anyhow::Result<Vec<String>> {
    given
        .iter()
        .map(|p| {
            let folded = fold(p.get_ref());
            let words = folded.trim_end_matches('*').trim();
            if words.is_empty() {
                return Err(bad(
                    config,
                    p,
                    &format!("[outcomes] {key}"),
                    format!(
                        "`{}` has no words to look for; remove it or write a phrase",
                        p.get_ref()
                    ),
                ));
            }
            if folded[..folded.len() - 1].contains('*') {
                return Err(bad(
                    config,
                    p,
                    &format!("[outcomes] {key}"),
                    format!(
                        "`{}`: `*` may only end a phrase (\"reschedul*\" matches \"rescheduling\")",
                        p.get_ref()
                    ),
                ));
            }
            Ok(folded)
        })
        .collect()
}
