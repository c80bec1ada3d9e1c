//! Phone numbers → E.164, through libphonenumber's rules (the `phonenumber` crate).
//!
//! One deliberate departure from libphonenumber: letters. It reads them as keypad digits
//! (`1-800-FLOWERS`), so `815-555-O158` (the letter O typed for a zero) became a stranger's
//! number, and a note such as `(cell)` became digits on the end. A phone number in a schedule is
//! never spelled out, so any letter outside an extension marker makes the value unusable.

use std::sync::LazyLock;

use compact_str::{format_compact, CompactString, ToCompactString};

use phonenumber::metadata::DATABASE;
use phonenumber::{country, Mode, Type};
use regex::Regex;

use super::nanp::{self, Nanp};

/// The types a setting may add to mobile and fixed-line numbers, as written in the config
/// (`[practice] allowed_number_types`; see [`super::policy`]).
pub(crate) const OPTIONAL_TYPES: &[(&str, Type)] =
    &[("voip", Type::Voip), ("personal", Type::PersonalNumber)];

/// A number that Annie can dial. Both texts are short enough to be held inline (no allocation).
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Phone {
    /// E.164, e.g. `+13125550147`.
    pub e164: CompactString,
    /// National format for speech, e.g. `(312) 555-0147`.
    pub national: CompactString,
}

/// Why a phone value was not usable. The text never repeats the number (it is patient data).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PhoneProblem {
    NotANumber,
    Invalid,
    HasExtension,
    /// Letters besides an extension marker: never read as keypad digits.
    Letters,
    /// Valid, but a business's or service's number (toll-free, premium-rate, ...).
    NotAPatientsPhone(Type),
    /// VoIP or personal: called only when `[practice] allowed_number_types` says so.
    TypeNotAllowed(Type),
    /// Valid, in a country the practice does not call.
    Foreign(country::Id),
    /// Valid, but in no country (+800, +881): it has no local calling hours.
    NoCountry,
}

impl PhoneProblem {
    /// The reason, to follow the column name ("WirelessPhone is ...").
    pub fn describe(self) -> String {
        match self {
            PhoneProblem::NotANumber => "is not a phone number".into(),
            PhoneProblem::Invalid => "is not a valid phone number".into(),
            PhoneProblem::HasExtension => "has an extension, which Annie cannot dial".into(),
            PhoneProblem::Letters => {
                "contains letters; a phone number in a schedule is never spelled out".into()
            }
            PhoneProblem::NotAPatientsPhone(kind) => {
                format!("is {} number, not a patient's phone", type_name(kind))
            }
            PhoneProblem::TypeNotAllowed(kind) => {
                let setting = OPTIONAL_TYPES
                    .iter()
                    .find(|(_, t)| *t == kind)
                    .map_or("", |(name, _)| name);
                format!(
                    "is {} number; add \"{setting}\" to [practice] allowed_number_types to call it",
                    type_name(kind)
                )
            }
            PhoneProblem::Foreign(country) => {
                let code = country.as_ref();
                format!(
                    "is a number in {code}; add \"{code}\" to [practice] allowed_countries to call it"
                )
            }
            PhoneProblem::NoCountry => {
                "is a number in no country (a global service or satellite number), whose local \
                 calling hours cannot be known"
                    .into()
            }
        }
    }
}

/// A number type as the office reads it, with its article.
fn type_name(kind: Type) -> &'static str {
    match kind {
        Type::TollFree => "a toll-free",
        Type::PremiumRate => "a premium-rate",
        Type::SharedCost => "a shared-cost",
        Type::Voip => "a VoIP",
        Type::PersonalNumber => "a personal (follow-me)",
        Type::Pager => "a pager",
        Type::Uan => "a universal access (company)",
        Type::Voicemail => "a voicemail access",
        Type::Mobile => "a mobile",
        Type::FixedLine | Type::FixedLineOrMobile => "a fixed-line",
        _ => "an unclassified",
    }
}

/// A valid number and what libphonenumber says about it beyond its digits: enough to decide
/// whether it may be called as a patient's phone (see [`super::policy`]). Kept only until that
/// is decided, so a large export carries no more per row than before.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Classified {
    pub(crate) phone: Phone,
    /// libphonenumber's number type (`Mobile`, `TollFree`, ...); never `Unknown` for a valid one.
    pub(crate) kind: Type,
    /// The region libphonenumber places it in (`US`, `CA`, `GB`, ...); `None` for a
    /// non-geographic number such as +800 or +881.
    pub(crate) country: Option<country::Id>,
}

/// Parses free text such as `(312) 555-0147` or `+1 312 555 0147` into a valid number, whatever
/// its type or country (config numbers, the do-not-call list). Patients' numbers go through
/// [`classify`] and the practice's policy instead.
pub fn parse(text: &str, region: country::Id) -> Result<Phone, PhoneProblem> {
    classify(text, region).map(|c| c.phone)
}

/// Parses and classifies a number. Plain North American numbers, and most seven-digit local
/// ones, take a fast path with the same answer (see `nanp.rs`); the rest go through
/// libphonenumber's full parser, after letters are refused.
pub(crate) fn classify(text: &str, region: country::Id) -> Result<Classified, PhoneProblem> {
    if is_nanp_region(region) {
        if let Some(national) = nanp::national_digits(text) {
            let national = national.as_str();
            if let Some(verdict) = nanp::classify(national) {
                let Nanp::Valid { region, kind } = verdict else {
                    return Err(PhoneProblem::Invalid);
                };
                return Ok(Classified {
                    phone: nanp_phone(national),
                    kind,
                    country: Some(region),
                });
            }
        } else if nanp::local_number_is_invalid(text, region) {
            // `555-0100`: without an area code, invalid where the parser keeps it as written.
            return Err(PhoneProblem::Invalid);
        }
    }
    refuse_letters(text)?;
    classify_with_libphonenumber(text, region)
}

/// A North American number from its ten national digits: `+13125550147` and `(312) 555-0147`,
/// each written in place and held inline (no allocation, no string grown part by part).
fn nanp_phone(national: &str) -> Phone {
    let digits = national.as_bytes();
    let mut e164 = [0; 12];
    e164[..2].copy_from_slice(b"+1");
    e164[2..].copy_from_slice(digits);
    let mut spoken = *b"(...) ...-....";
    spoken[1..4].copy_from_slice(&digits[..3]);
    spoken[6..9].copy_from_slice(&digits[3..6]);
    spoken[10..].copy_from_slice(&digits[6..]);
    // ASCII digits and punctuation: always text.
    let text = |bytes: &[u8]| CompactString::from_utf8(bytes).unwrap_or_default();
    Phone {
        e164: text(&e164),
        national: text(&spoken),
    }
}

fn is_nanp_region(region: country::Id) -> bool {
    if let Some(nanp) = nanp::is_nanp_region(region) {
        return nanp;
    }
    DATABASE
        .by_id(region.as_ref())
        .is_some_and(|m| m.country_code() == 1)
}

/// The full libphonenumber parse, validity check and classification. Never given letters:
/// it would read them as keypad digits.
fn classify_with_libphonenumber(
    text: &str,
    region: country::Id,
) -> Result<Classified, PhoneProblem> {
    let number = phonenumber::parse(Some(region), text).map_err(|_| PhoneProblem::NotANumber)?;
    if number.extension().is_some() {
        return Err(PhoneProblem::HasExtension);
    }
    // `is_valid` is exactly "the type is known" (`validator::is_valid_with`).
    let kind = number.number_type(&DATABASE);
    if kind == Type::Unknown {
        return Err(PhoneProblem::Invalid);
    }
    Ok(Classified {
        phone: Phone {
            e164: number.format().mode(Mode::E164).to_compact_string(),
            national: number.format().mode(Mode::National).to_compact_string(),
        },
        kind,
        country: number.country().id(),
    })
}

/// An extension at the end of the text: a marker libphonenumber knows (`x`, `ext`, `ext.`,
/// `extn`, `extension`, `#`, `~`, `int`, `anexo`, and their full-width forms), then digits.
static EXTENSION: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(
        r"(?i)[\s,;]*(?:e?xt(?:ensi(?:o\x{301}?|ó))?n?|ｅ?ｘｔｎ?|[xｘ#～~]|int|anexo|ｉｎｔ)[:.．]?[\s,\-]*\d+#?\s*$",
    )
    .ok()
});

/// Refuses letters before libphonenumber can read them as keypad digits. Only an extension
/// marker may hold letters; an extension keeps its own reason (Annie cannot dial one either).
fn refuse_letters(text: &str) -> Result<(), PhoneProblem> {
    let extension = EXTENSION.as_ref().and_then(|r| r.find(text));
    let main = extension.map_or(text, |m| &text[..m.start()]);
    let letters = main.chars().any(char::is_alphabetic);
    if !letters && extension.is_none() {
        return Ok(());
    }
    if !main.chars().any(char::is_numeric) {
        // "call mom", "N/A", "x12": nothing that reads as a number.
        return Err(PhoneProblem::NotANumber);
    }
    if letters {
        return Err(PhoneProblem::Letters);
    }
    Err(PhoneProblem::HasExtension)
}

/// Masks a number for logs and results: country and area code, then the last four digits
/// (`+1312***0147`), enough for staff to recognise a number without exposing it. Short: held
/// inline, no allocation.
pub fn mask(e164: &str) -> CompactString {
    // An E.164 number is ASCII: sliced by bytes, without a vector of its characters.
    if e164.is_ascii() && e164.len() >= 10 {
        let mut masked = CompactString::const_new("");
        masked.push_str(&e164[..5]);
        masked.push_str("***");
        masked.push_str(&e164[e164.len() - 4..]);
        return masked;
    }
    let chars: Vec<char> = e164.chars().collect();
    if chars.len() < 10 {
        let tail: String = chars[chars.len().saturating_sub(2)..].iter().collect();
        return format_compact!("+***{tail}");
    }
    let head: String = chars[..5].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format_compact!("{head}***{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn punctuated_us_numbers_become_e164() {
        for text in [
            "(312) 555-0147",
            "312-555-0147",
            "312.555.0147",
            "+1 312 555 0147",
        ] {
            assert_eq!(
                parse(text, country::Id::US).unwrap().e164,
                "+13125550147",
                "{text}"
            );
        }
    }

    #[test]
    fn unusable_numbers_say_why() {
        assert_eq!(parse("12345", country::Id::US), Err(PhoneProblem::Invalid));
        assert_eq!(
            parse("call mom", country::Id::US),
            Err(PhoneProblem::NotANumber)
        );
        assert_eq!(
            parse("312-555-0147 x12", country::Id::US),
            Err(PhoneProblem::HasExtension)
        );
        // 555 is not an assigned area code.
        assert_eq!(
            parse("(555) 987-6543", country::Id::US),
            Err(PhoneProblem::Invalid)
        );
    }

    /// libphonenumber reads letters as keypad digits: each of these became a valid number of
    /// someone else's (`815-555-O158` was dialled as +18155556158).
    #[test]
    fn letters_are_never_read_as_digits() {
        for text in [
            "815-555-O158",
            "815-555-o158",
            "815-555-\u{41E}158", // a Cyrillic O
            "1-800-FLOWERS",
            "312 555 0147 (cell)",
            "mom 312 555 0147",
            "312-555-0147 ext", // a marker without digits is just letters
            "312-555-0147 x12 (mom)",
            "+44 20 7946 O958",
        ] {
            assert_eq!(
                parse(text, country::Id::US),
                Err(PhoneProblem::Letters),
                "{text}"
            );
        }
        assert_eq!(
            PhoneProblem::Letters.describe(),
            "contains letters; a phone number in a schedule is never spelled out"
        );
        for text in ["N/A", "none", "x12"] {
            assert_eq!(
                parse(text, country::Id::US),
                Err(PhoneProblem::NotANumber),
                "{text}"
            );
        }
    }

    #[test]
    fn an_extension_marker_keeps_its_own_reason() {
        for text in [
            "312-555-0147 x12",
            "312-555-0147x12",
            "312-555-0147 X 12",
            "312-555-0147 ext 12",
            "312-555-0147 ext. 12",
            "312-555-0147 Ext.12",
            "312-555-0147 extn 12",
            "312-555-0147, extension 12",
            "312-555-0147 #12",
            "312-555-0147 ext: 12345678", // longer than libphonenumber reads as an extension
            "+44 20 7946 0958 ext 4",
        ] {
            assert_eq!(
                parse(text, country::Id::US),
                Err(PhoneProblem::HasExtension),
                "{text}"
            );
        }
    }

    #[test]
    fn classification_names_type_and_country() {
        let c = |text| {
            let c = classify(text, country::Id::US).unwrap();
            (c.kind, c.country)
        };
        let us = Some(country::Id::US);
        assert_eq!(c("(312) 555-0147"), (Type::FixedLineOrMobile, us));
        assert_eq!(c("(800) 555-0147"), (Type::TollFree, us));
        assert_eq!(c("(900) 555-0147"), (Type::PremiumRate, us));
        assert_eq!(c("(500) 555-0147"), (Type::PersonalNumber, us));
        assert_eq!(
            c("(416) 555-0147"),
            (Type::FixedLineOrMobile, Some(country::Id::CA))
        );
        assert_eq!(c("+44 7912 345678"), (Type::Mobile, Some(country::Id::GB)));
        assert_eq!(c("+881 6 1234 5678").1, None);
    }

    /// The fast path must agree with libphonenumber on every plainly written number: validity,
    /// format, region and type, including the non-geographic codes (toll-free 8XX, premium 900,
    /// personal 5XX, Canadian VoIP 600) that must never be mistaken for a patient's phone.
    #[test]
    fn fast_path_agrees_with_libphonenumber() {
        // A small deterministic generator (no extra dependency for one test).
        let mut state = 0x2545F4914F6CDD1Du64;
        let mut next = |n: u64| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state % n
        };
        let special = [
            800, 833, 844, 855, 866, 877, 888, 900, 500, 521, 522, 523, 524, 533, 544, 566, 577,
            588, 600, 622, 633, 700, 710, 876, 787, 416,
        ];
        let nanp_regions: Vec<country::Id> = DATABASE
            .region(&1)
            .expect("country code 1 has regions")
            .iter()
            .map(|id| id.parse().expect("a region id"))
            .collect();
        let mut checked = 0;
        let mut kinds = std::collections::HashMap::new();
        for i in 0..20_000 {
            // Half the numbers in the special area codes, half anywhere.
            let area = match i % 2 {
                0 => special[next(special.len() as u64) as usize],
                _ => 100 + next(900),
            };
            let exchange = next(1000);
            let line = next(10_000);
            let text = match next(6) {
                0 => format!("({area}) {exchange:03}-{line:04}"),
                1 => format!("{area}-{exchange:03}-{line:04}"),
                2 => format!("{area}.{exchange:03}.{line:04}"),
                3 => format!("+1 {area} {exchange:03} {line:04}"),
                4 => format!("1{area}{exchange:03}{line:04}"),
                _ => format!("{area}{exchange:03}{line:04}"),
            };
            // Every 40th number in every NANP region as the practice's: the fast path ignores
            // the practice's region, so the parser must too for these numbers.
            let regions = match i % 40 {
                0 => &nanp_regions[..],
                _ => &[country::Id::US, country::Id::CA][..],
            };
            for &region in regions {
                assert!(
                    nanp::national_digits(&text).is_some(),
                    "{text} takes the fast path"
                );
                let fast = classify(&text, region);
                let slow = classify_with_libphonenumber(&text, region);
                assert_eq!(
                    fast.as_ref().map(|c| (&c.phone.e164, c.kind, c.country)),
                    slow.as_ref().map(|c| (&c.phone.e164, c.kind, c.country)),
                    "{text} in {region:?}"
                );
                if let (Ok(f), Ok(s)) = (&fast, &slow) {
                    if region == country::Id::US {
                        assert_eq!(f.phone.national, s.phone.national, "{text}");
                    }
                    *kinds.entry(f.kind).or_insert(0) += 1;
                    checked += 1;
                }
            }
        }
        assert!(
            checked > 1000,
            "enough valid numbers were compared: {checked}"
        );
        for kind in [
            Type::FixedLineOrMobile,
            Type::TollFree,
            Type::PremiumRate,
            Type::PersonalNumber,
            Type::Voip,
        ] {
            assert!(
                kinds.get(&kind).is_some_and(|n| *n > 20),
                "enough {kind:?} numbers were compared: {kinds:?}"
            );
        }
    }

    /// A seven-digit local number (`555-0100`) gets the parser's very answer in every NANP
    /// region: invalid from the fast path where the parser keeps the digits as written, and
    /// from the parser where it may rewrite them (the regions that read `460-1234` as
    /// `268-460-1234`, a valid number).
    #[test]
    fn local_numbers_agree_with_libphonenumber_in_every_nanp_region() {
        let mut state = 0x9E3779B97F4A7C15u64;
        let mut next = |n: u64| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state % n
        };
        let mut numbers = vec!["5550100".to_string()];
        for first in 2..=9 {
            numbers.push(format!("{first}000000"));
            numbers.push(format!("{first}{first}{first}0100"));
            numbers.push(format!("{first}999999"));
            for _ in 0..16 {
                numbers.push(format!("{first}{:06}", next(1_000_000)));
            }
        }
        let regions = DATABASE.region(&1).expect("country code 1 has regions");
        assert!(regions.len() > 20, "{regions:?}");
        let mut rewritten_valid = 0;
        for id in regions {
            let region: country::Id = id.parse().expect("a region id");
            let rewrites = DATABASE
                .by_id(id)
                .and_then(|m| m.national_prefix_transform_rule())
                .is_some();
            let mut fast = 0;
            for digits in &numbers {
                let (exchange, line) = digits.split_at(3);
                for text in [
                    format!("{exchange}-{line}"),
                    format!("{exchange}.{line}"),
                    format!("{exchange} {line}"),
                    format!("({exchange}){line}"),
                    format!(" {digits} "),
                    format!("\u{a0}{exchange} - {line}\t"),
                ] {
                    let ours = classify(&text, region);
                    let theirs = refuse_letters(&text)
                        .and_then(|()| classify_with_libphonenumber(&text, region));
                    assert_eq!(ours, theirs, "{text} in {region:?}");
                    if nanp::local_number_is_invalid(&text, region) {
                        fast += 1;
                    }
                    if rewrites && theirs.is_ok() {
                        rewritten_valid += 1;
                    }
                }
            }
            if rewrites {
                assert_eq!(
                    fast, 0,
                    "{region:?} rewrites local numbers: the parser answers"
                );
            } else {
                assert!(
                    fast > numbers.len() * 5,
                    "{region:?}: the fast path answered only {fast} local numbers"
                );
            }
        }
        assert!(
            rewritten_valid > 100,
            "the sample includes local numbers the parser rewrites into valid ones: {rewritten_valid}"
        );
        assert_eq!(
            classify("555-0100", country::Id::US),
            Err(PhoneProblem::Invalid)
        );
        assert!(nanp::local_number_is_invalid("555-0100", country::Id::US));
    }

    #[test]
    fn mask_keeps_area_code_and_last_four() {
        assert_eq!(mask("+13125550147"), "+1312***0147");
        assert_eq!(mask("+442079460958"), "+4420***0958");
        assert_eq!(mask("+12345"), "+***45");
    }
}
