//! `[outcomes]`: the phrases `outcomes` sorts calls into classes by ([`crate::conversations::Class`]).

use super::value::bad;
use crate::config::{LoadedConfig, Located};

/// Default phrases for a request not to be called again. Always looked for: `[outcomes] opt_out`
/// adds to them, never replaces them (a revocation of consent must be honoured, and the run's
/// own check of Annie's conversation list uses these).
///
/// A revocation of consent must be honoured by any reasonable means (FCC 24-18), so the list
/// errs toward matching: a wrong match costs one skipped reminder and a row the office checks;
/// a missed one costs a call the patient refused. Plain "stop" and "cancel" are left out: "stop
/// by the office" and "cancel my appointment" are not opt-outs.
pub const OPT_OUT: &[&str] = &[
    "do not call",
    "don't call",
    "dont call",
    "do not ever call",
    "don't ever call",
    "dont ever call",
    "never call",
    "never ever call",
    "not to call",
    "not to be called",
    "not be called",
    "never be called",
    "stop calling",
    "quit calling",
    "stop phoning",
    "stop the calls",
    "stop these calls",
    "stop all calls",
    "no more calls",
    "no more phone calls",
    "no more automated calls",
    "no more reminder calls",
    "no more robocalls",
    "no more robo calls",
    "no further calls",
    "no further phone calls",
    "remove me from",
    "remove my number",
    "removed from the call*",
    "removed from the list",
    "removed from your list",
    "take me off",
    "take them off",
    "take her off",
    "take him off",
    "take us off",
    "take my number off",
    "take this number off",
    "taken off the list",
    "taken off your list",
    "taken off our list",
    "taken off their list",
    "off the call list",
    "off the calling list",
    "off the phone list",
    "off the contact list",
    "opt out*",
    "opted out",
    "unsubscrib*",
    "revok*",
    "do not contact",
    "don't contact",
    "dont contact",
    "never contact",
    "not to contact",
    "to not contact",
    "not to be contacted",
    "not be contacted",
    "never be contacted",
    "stop contacting",
    "quit contacting",
    // "Stop", quoted as what the patient said: the keyword that revokes consent.
    "'stop'",
    "\"stop\"",
    "no llamar",
    "no me llamen",
    "no me llame",
    "no nos llamen",
    "no nos llame",
    "no lo llamen",
    "no la llamen",
    "no le llamen",
    "no los llamen",
    "no las llamen",
    "no les llamen",
    "no lo llame",
    "no la llame",
    "no le llame",
    "no vuelvan a llamar*",
    "no volver a llamar*",
    "dejen de llamar*",
    "dejar de llamar*",
    "deje de llamar*",
    "dejen de contactar*",
    "dejar de contactar*",
    "ya no llamen",
    "no mas llamadas",
    "quitar mi numero",
    "quiten mi numero",
    "borrar mi numero",
    "no quiere recibir llamadas",
    "no desea recibir llamadas",
    "darse de baja",
    // Asked to be reached another way: a request not to be called (finding 1, breaker 4).
    "only text*",
    "only email*",
    "only e mail*",
    "only by text*",
    "only by email*",
    "only via text*",
    "only send text*",
    "only send email*",
    "only message*",
    "text only",
    "texts only",
    "email only",
    "emails only",
    "instead of call*",
    "instead of phone call*",
    "instead of being called",
    "instead of a call",
    "rather than call*",
    "rather than phone call*",
    "rather than being called",
    "prefers text*",
    "prefers email*",
    "prefers e mail*",
    "prefer text*",
    "prefer email*",
    "prefers to be texted",
    "prefers to be emailed",
    "withdrew consent",
    "withdraw consent",
    "withdrawn consent",
    "withdrew her consent",
    "withdrew his consent",
    "withdrew their consent",
    "prefiere mensaje*",
    "prefiere texto*",
    "prefiere correo*",
    "prefiere que le escriban",
    "solo mensaje*",
    "solo por mensaje*",
    "solo por texto",
    "solo por correo",
    "en lugar de llamar*",
    "en vez de llamar*",
    "en lugar de llamadas",
    "en vez de llamadas",
    "retiro su consentimiento",
    "retira su consentimiento",
];

/// Words that, followed in the same clause by one of [`CALLING`] with at most
/// [`REFUSAL_REACH`] words between, make a request not to be called, however the rest is
/// worded ("asked that the office not contact her", "said never to call this number again",
/// "withdrew consent to be called", "pidió no recibir más llamadas", "ser eliminado de la lista
/// de llamadas"). Built in like [`OPT_OUT`]. A `*` ends a word that may go on.
pub const REFUSALS: &[&str] = &[
    "not", "no", "never", "don't", "dont", "doesn't", "doesnt", "won't", "wont", "wouldn't",
    "wouldnt", "nor", "stop*", "quit*", "cease*", "halt*", "withdr*", "revok*", "rescind*",
    "remov*", "declin*", "refus*", "unwanted", "nunca", "ni", "dejen", "dejar", "deje", "dejemos",
    "basta", "elimin*", "sacar*", "saquen", "sacad*", "baja", "retir*", "revoc*",
];

/// Refusal words that tell what happened rather than what the patient wants ("couldn't
/// contact", "didn't call"), and the words that make a following `not`/`no`/`never` one ("could
/// not contact the patient's daughter", "was not called"). These count only with one of
/// [`WANTING_ANY`] between them and the calling word ("didn't want Annie to call", "is not
/// interested in further reminder calls").
pub const FACTUAL: &[&str] = &[
    "didn't", "didnt", "couldn't", "couldnt", "wasn't", "wasnt", "weren't", "werent", "isn't",
    "isnt", "hasn't", "hasnt", "haven't", "havent", "cannot", "can't", "cant", "unable",
];
/// See [`FACTUAL`].
pub const FACTUAL_BEFORE: &[&str] = &[
    "could", "can", "was", "were", "did", "is", "are", "has", "have", "had", "been",
];
/// See [`FACTUAL`].
pub const WANTING_ANY: &[&str] = &[
    "want*",
    "wish*",
    "like*",
    "interested",
    "care*",
    "rather",
    "quiere*",
    "desea*",
];

/// What a refusal word may be followed by to be about calls: a call or contact by phone,
/// English and Spanish. Plain "called" and "contacted" are left out ("never called the
/// office", "was not contacted"): only "be called", "being contacted", ... say what the
/// patient wants. A singular "call" or "contact" after an article or a possessive ("did not
/// expect the call") or before one of [`NOT_A_REQUEST_AFTER`] ("no call back", "no contact
/// number") is about one call, not a request.
pub const CALLING: &[&str] = &[
    "call",
    "calls",
    "calling",
    "robocall*",
    "robo call*",
    "be called",
    "being called",
    "get called",
    "be phoned",
    "being phoned",
    "phoning",
    "phone me",
    "phone her",
    "phone him",
    "phone them",
    "phone us",
    "contact",
    "contacting",
    "be contacted",
    "being contacted",
    "reminded by phone",
    "reminders by phone",
    "reminder by phone",
    "llamar*",
    "llamen",
    "llame",
    "llames",
    "llamemos",
    "llamadas",
    "ser llamad*",
    "contactar*",
    "contacten",
    "contacte",
    "contactemos",
    "ser contactad*",
];

/// How many words may stand between a refusal word and a calling word ("not interested in
/// further reminder calls": four).
pub const REFUSAL_REACH: usize = 5;

/// Words that, between a refusal and a calling word, say the call was not reached or is
/// welcome, not refused ("did not answer the calls", "no contestó las llamadas", "does not
/// mind the calls", "not available for calls").
pub const NOT_A_REFUSAL_BETWEEN: &[&str] = &[
    "answer*",
    "pick*",
    "return*",
    "reach*",
    "contest*",
    "able",
    "mind*",
    "bother*",
    "problem*",
    "issue*",
    "objection*",
    "available",
    "disponible",
    "hear*",
    "heard",
    "miss*",
    "expect*",
    "pudo",
    "pudimos",
    "pudieron",
];

/// Words before a singular "call" or "contact" that make it one call, not calls in general.
pub const ONE_CALL_BEFORE: &[&str] = &[
    "the", "a", "an", "this", "that", "his", "her", "their", "our", "my", "your", "its",
];

/// Words after a singular "call" or "contact" that make it no request not to be called.
pub const NOT_A_REQUEST_AFTER: &[&str] = &[
    "back",
    "center",
    "centre",
    "info*",
    "number",
    "details",
    "made",
    "needed",
    "necessary",
    "required",
    "with",
];

/// Words that end a clause for the refusal rule, as `.` and `,` do: "did not confirm and asked
/// to be called tomorrow" is two things.
pub const CLAUSE_WORDS: &[&str] = &[
    "and", "but", "however", "although", "though", "then", "so", "because", "y", "pero", "aunque",
    "porque",
];

/// What a patient can say they do not want: after a negation (`negations`) among the three words
/// before it in its clause, each of [`WANTING`] followed by one of these is an opt-out ("does not
/// want any more calls", "doesn't wish to be contacted", "would not like automated calls").
/// Built in, like [`OPT_OUT`]: "wants to be called back" without a negation is no opt-out.
pub const UNWANTED_CALLS: &[&str] = &[
    "to be called",
    "to be contacted",
    "to be phoned",
    "calls",
    "any calls",
    "more calls",
    "any more calls",
    "anymore calls",
    "further calls",
    "any further calls",
    "automated calls",
    "automatic calls",
    "any automated calls",
    "phone calls",
    "any phone calls",
    "more phone calls",
    "these calls",
    "those calls",
    "reminder calls",
    "robocalls",
    "robo calls",
    "to receive calls",
    "to receive any calls",
    "to get calls",
    "to get any calls",
];

/// The verbs [`UNWANTED_CALLS`] follow.
pub const WANTING: &[&str] = &["want", "wants", "wish", "wishes", "like"];

/// Spanish phrases that, like [`UNWANTED_CALLS`], are an opt-out after a negation ("no quiere
/// recibir más llamadas", "que no la vuelvan a llamar").
pub const UNWANTED_ES: &[&str] = &[
    "quiere recibir llamadas",
    "quiere recibir mas llamadas",
    "desea recibir llamadas",
    "desea recibir mas llamadas",
    "quiere llamadas",
    "quiere mas llamadas",
    "desea mas llamadas",
    "quiere que lo llamen",
    "quiere que la llamen",
    "quiere que le llamen",
    "quiere que los llamen",
    "quiere que las llamen",
    "quiere que les llamen",
    "quiere que me llamen",
    "quiero que me llamen",
    "quiere ser llamad*",
    "vuelvan a llamar*",
    "me vuelva a llamar*",
    "nos vuelva a llamar*",
    "lo vuelva a llamar*",
    "la vuelva a llamar*",
    "le vuelva a llamar*",
];

pub const RESCHEDULE: &[&str] = &[
    "reschedul*",
    "re schedul*",
    "another time",
    "different time",
    "another day",
    "different day",
    "new time",
    "new date",
    "move the appointment",
    "move her appointment",
    "move his appointment",
    "move their appointment",
    "move my appointment",
    "change the appointment",
    "change her appointment",
    "change his appointment",
    "can't make it",
    "cannot make it",
    "can not make it",
    "won't be able to make it",
    "reprogram*",
    "cambiar la cita",
    "cambiar su cita",
    "cambiar de fecha",
    "cambiar la fecha",
    "cambiar la hora",
    "otra fecha",
    "otro dia",
    "otra hora",
    "nueva cita",
    "no puede asistir",
    "no podra asistir",
    "no puede ir",
    "no podra ir",
];

pub const CANCEL: &[&str] = &[
    "cancel*",
    "call off",
    "no longer needs the appointment",
    "does not need the appointment",
    "doesn't need the appointment",
    "will not attend",
    "won't attend",
    "won't be attending",
    "will not be attending",
    "anular*",
    "anulo",
    "no asistira",
    "no va a asistir",
];

pub const CONFIRMED: &[&str] = &[
    "confirm*",
    "will attend",
    "will be there",
    "will come",
    "plans to attend",
    "see you",
    "attending",
    "asistira",
    "va a asistir",
    "vendra",
    "alli estara",
    "ahi estara",
];

/// Phrases that make a call `voicemail` whatever else the summary says.
pub const VOICEMAIL: &[&str] = &[
    "voicemail",
    "voice mail",
    "answering machine",
    "left a message",
    "left a voice message",
    "buzon de voz",
    "mensaje de voz",
    "contestadora",
    "dejo un mensaje",
    "se dejo un mensaje",
];

/// Phrases that need a person even when the call also confirmed.
pub const UNCLEAR: &[&str] = &[
    "call back",
    "callback",
    "call the office",
    "wrong number",
    "has questions",
    "had questions",
    "a question",
    "numero equivocado",
    "devolver la llamada",
    "llamar de nuevo",
    "tiene preguntas",
    "tiene una pregunta",
];

/// Words that, among the three before a phrase in the same clause, negate it.
/// "Unable to confirm", "couldn't confirm", "hasn't confirmed yet" are no confirmation (finding
/// 10, breaker 4).
pub const NEGATIONS: &[&str] = &[
    "not",
    "no",
    "never",
    "don't",
    "doesn't",
    "didn't",
    "won't",
    "wouldn't",
    "isn't",
    "wasn't",
    "nor",
    "without",
    "dont",
    "doesnt",
    "didnt",
    "wont",
    "nunca",
    "tampoco",
    "sin",
    "ni",
    "unable",
    "cannot",
    "can't",
    "cant",
    "couldn't",
    "couldnt",
    "hasn't",
    "hasnt",
    "haven't",
    "havent",
    "hadn't",
    "hadnt",
    "aren't",
    "arent",
    "weren't",
    "werent",
    "isnt",
    "wasnt",
    "wouldnt",
    "shouldn't",
    "yet to",
    "failed to",
    "refused to",
    "declined to",
    "neither",
];

/// The phrase lists the classification uses, normalised.
#[derive(Debug, Clone, PartialEq)]
pub struct Rules {
    pub opt_out: Vec<String>,
    /// Opt-outs only after a negation ([`UNWANTED_CALLS`], [`UNWANTED_ES`]); built in.
    pub opt_out_negated: Vec<String>,
    pub reschedule_requested: Vec<String>,
    pub cancel_requested: Vec<String>,
    pub confirmed: Vec<String>,
    pub voicemail: Vec<String>,
    pub unclear: Vec<String>,
    pub negations: Vec<String>,
}

fn owned(list: &[&str]) -> Vec<String> {
    list.iter().map(|p| fold(p)).collect()
}

impl Default for Rules {
    fn default() -> Rules {
        Rules {
            opt_out: owned(OPT_OUT),
            opt_out_negated: WANTING
                .iter()
                .flat_map(|verb| {
                    UNWANTED_CALLS
                        .iter()
                        .map(move |o| fold(&format!("{verb} {o}")))
                })
                .chain(UNWANTED_ES.iter().map(|p| fold(p)))
                .collect(),
            reschedule_requested: owned(RESCHEDULE),
            cancel_requested: owned(CANCEL),
            confirmed: owned(CONFIRMED),
            voicemail: owned(VOICEMAIL),
            unclear: owned(UNCLEAR),
            negations: owned(NEGATIONS),
        }
    }
}

/// Lower case without accents, `_` and `-` as spaces, curly quotes straight, one space
/// between words.
pub fn fold(text: &str) -> String {
    let mapped: String = text
        .to_lowercase()
        .chars()
        .map(|c| match c {
            '_' | '-' => ' ',
            '\u{2019}' | '\u{2018}' => '\'',
            '\u{201C}' | '\u{201D}' => '"',
            'á' | 'à' | 'ä' | 'â' => 'a',
            'é' | 'è' | 'ë' | 'ê' => 'e',
            'í' | 'ì' | 'ï' | 'î' => 'i',
            'ó' | 'ò' | 'ö' | 'ô' => 'o',
            'ú' | 'ù' | 'ü' | 'û' => 'u',
            'ñ' => 'n',
            c => c,
        })
        .collect();
    mapped.split_whitespace().collect::<Vec<_>>().join(" ")
}

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
        assert_eq!(r.opt_out.len(), super::OPT_OUT.len() + 1);
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
