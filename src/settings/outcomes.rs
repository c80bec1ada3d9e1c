//! `[outcomes]`: the phrases `outcomes` sorts calls into classes by ([`crate::outcomes::Class`]).

use super::value::bad;
use crate::config::{LoadedConfig, Located};
use crate::outcomes::class::fold;
use crate::outcomes::class::Rules;

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcomes::class;

    fn load(section: &str) -> anyhow::Result<Rules> {
        let text = format!("[practice]\nname = \"X\"\n\n[outcomes]\n{section}\n");
        rules(&LoadedConfig::parse(std::path::Path::new("p.toml"), text)?)
    }

    #[test]
    fn lists_replace_their_defaults_but_opt_out_only_adds() {
        let r =
            load("confirmed = [\"All Set\", \"Confirmó*\"]\nopt_out = [\"Take my number off\"]")
                .unwrap();
        assert_eq!(r.confirmed, ["all set", "confirmo*"]);
        assert_eq!(r.opt_out.len(), class::OPT_OUT.len() + 1);
        assert_eq!(r.opt_out.last().unwrap(), "take my number off");
        assert_eq!(r.cancel_requested, Rules::default().cancel_requested);
        assert_eq!(load("").unwrap(), Rules::default());
    }

    #[test]
    fn a_bad_phrase_names_the_file_line_and_key() {
        let e = load("negations = [\n  \"not\",\n  \"*\",\n]").unwrap_err();
        assert_eq!(
            e.to_string(),
            "p.toml:7: [outcomes] negations: `*` has no words to look for; remove it or write a \
             phrase"
        );
        let e = load("unknown = []").unwrap_err().to_string();
        assert!(e.contains("unknown field `unknown`"), "{e}");
    }
}
