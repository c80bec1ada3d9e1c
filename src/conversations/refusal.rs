//! A request not to be called, however it is worded: a refusal word ("not", "never", "stop",
//! "withdrew", "no", "dejen", "eliminado", ...) followed in the same clause by a calling word
//! ("call", "calls", "be contacted", "robocalls", "llamadas", ...) with a few words between.
//!
//! The fixed phrases of [`OPT_OUT`](crate::settings::outcomes::OPT_OUT) miss most of the ways a
//! third-person summary says it ("asked that the office not contact her again", "said never to
//! call this number again", "withdrew consent to be called"). A revocation of consent must be
//! honoured whatever the wording, so this rule errs toward matching; it leaves out only what
//! says what happened on a call rather than what the patient wants ("could not contact the
//! patient's daughter", "never called the office", "did not answer the calls", "no call back").
//! The lists are in `src/settings/outcomes.rs`.

use crate::settings::outcomes::{
    CALLING, CLAUSE_WORDS, FACTUAL, FACTUAL_BEFORE, NOT_A_REFUSAL_BETWEEN, NOT_A_REQUEST_AFTER,
    ONE_CALL_BEFORE, REFUSALS, REFUSAL_REACH, WANTING_ANY,
};

/// Whether some clause of `text` (folded) asks not to be called.
pub(crate) fn asked_not_to_be_called(text: &str) -> bool {
    text.split(['.', ',', ';', ':', '!', '?', '(', ')', '|', '"'])
        .flat_map(|sentence| {
            let words: Vec<&str> = sentence
                .split(|c: char| !(c.is_alphanumeric() || c == '\''))
                .map(|w| w.trim_matches('\''))
                .filter(|w| !w.is_empty())
                .collect();
            words
                .split(|w| CLAUSE_WORDS.contains(w))
                .map(<[&str]>::to_vec)
                .collect::<Vec<_>>()
        })
        .any(|clause| refuses(&clause) || calls_to_stop(&clause))
}

/// A refusal word, then a calling word at most [`REFUSAL_REACH`] words on.
fn refuses(words: &[&str]) -> bool {
    (0..words.len()).any(|at| {
        let Some((len, factual)) = refusal_at(words, at) else {
            return false;
        };
        let mut wanting = false;
        let last = (at + len + REFUSAL_REACH).min(words.len().saturating_sub(1));
        for next in at + len..=last {
            if calling_at(words, next) && (!factual || wanting) {
                return true;
            }
            if any_at(NOT_A_REFUSAL_BETWEEN, words, next).is_some() {
                return false;
            }
            wanting |= any_at(WANTING_ANY, words, next).is_some();
        }
        false
    })
}

/// "Wants the calls to stop": a calling word, then "stop" or "cease" within three words.
fn calls_to_stop(words: &[&str]) -> bool {
    (0..words.len()).any(|at| {
        calling_at(words, at)
            && (at + 1..words.len().min(at + 4)).any(|next| {
                any_at(&["stop*", "cease*"], words, next).is_some() && !stop_by(words, next)
            })
    })
}

/// The words a refusal at `at` covers, and whether it tells what happened rather than what the
/// patient wants ([`FACTUAL`]).
fn refusal_at(words: &[&str], at: usize) -> Option<(usize, bool)> {
    if any_at(FACTUAL, words, at).is_some() {
        return Some((1, true));
    }
    let len = any_at(REFUSALS, words, at)?;
    if stop_by(words, at) {
        return None;
    }
    let negation = ["not", "no", "never"].contains(&words[at]);
    let after_fact = at > 0 && FACTUAL_BEFORE.contains(&words[at - 1]);
    Some((len, negation && after_fact))
}

/// "Stop by the office", "stop in": a visit, no refusal.
fn stop_by(words: &[&str], at: usize) -> bool {
    words[at].starts_with("stop")
        && words
            .get(at + 1)
            .is_some_and(|w| ["by", "in", "over"].contains(w))
}

/// Whether a calling word starts at `at` that speaks of calls in general: a singular "call" or
/// "contact" after an article ("the call") or before "back", "number", ... is about one call.
fn calling_at(words: &[&str], at: usize) -> bool {
    let Some(len) = any_at(CALLING, words, at) else {
        return false;
    };
    if !["call", "contact"].contains(&words[at]) || len > 1 {
        return true;
    }
    let one_call = at > 0 && ONE_CALL_BEFORE.contains(&words[at - 1]);
    let no_request = any_at(NOT_A_REQUEST_AFTER, words, at + 1).is_some();
    !one_call && !no_request
}

/// How many words the longest of `list`'s patterns covers from `at`, if one matches there.
fn any_at(list: &[&str], words: &[&str], at: usize) -> Option<usize> {
    list.iter().filter_map(|p| covers(p, words, at)).max()
}

/// How many words `pattern` covers from `at`, if it matches there (a last word ending in `*`
/// may go on).
fn covers(pattern: &str, words: &[&str], at: usize) -> Option<usize> {
    let parts: Vec<&str> = pattern.split(' ').collect();
    let there = words.get(at..at + parts.len())?;
    let last = parts.len() - 1;
    let all = parts
        .iter()
        .zip(there)
        .enumerate()
        .all(|(k, (p, w))| match p.strip_suffix('*') {
            Some(stem) if k == last => w.starts_with(stem),
            _ => p == w,
        });
    all.then_some(parts.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::outcomes::fold;

    #[test]
    fn a_refusal_near_a_calling_word_in_one_clause() {
        let asks = |s: &str| asked_not_to_be_called(&fold(s));
        assert!(asks("asked that the office not contact her again"));
        assert!(asks("withdrew consent to be called"));
        assert!(asks(
            "Paciente solicitó ser eliminado de la lista de llamadas."
        ));
        assert!(asks("wants the robocalls to stop"));
        assert!(!asks("did not confirm, but asked to be called tomorrow"));
        assert!(!asks("did not confirm and asked to be called tomorrow"));
        assert!(!asks("Annie could not contact the patient's daughter"));
        assert!(!asks("will stop by; call her cell"));
        assert!(!asks("no call back needed"));
        assert!(!asks("did not expect the call"));
    }

    #[test]
    fn patterns_cover_whole_words_and_a_starred_last_word() {
        let words = ["be", "called", "robocalls"];
        assert_eq!(covers("be called", &words, 0), Some(2));
        assert_eq!(covers("robocall*", &words, 2), Some(1));
        assert_eq!(covers("be call", &words, 0), None);
        assert_eq!(covers("called robocalls extra", &words, 1), None);
    }
}
