//! Phone numbers → E.164, through libphonenumber's rules (the `phonenumber` crate).

use phonenumber::{country, Mode};

/// A number that Annie can dial.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Phone {
    /// E.164, e.g. `+13125550147`.
    pub e164: String,
    /// National format for speech, e.g. `(312) 555-0147`.
    pub national: String,
}

/// Why a phone value was not usable. The text never repeats the number (it is patient data).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PhoneProblem {
    NotANumber,
    Invalid,
    HasExtension,
}

impl PhoneProblem {
    pub fn describe(self) -> &'static str {
        match self {
            PhoneProblem::NotANumber => "is not a phone number",
            PhoneProblem::Invalid => "is not a valid phone number",
            PhoneProblem::HasExtension => "has an extension, which Annie cannot dial",
        }
    }
}

/// Parses free text such as `(312) 555-0147` or `+1 312 555 0147`. Plain North American
/// numbers take a fast path with the same answer (see `nanp.rs`); the rest go through
/// libphonenumber's full parser.
pub fn parse(text: &str, region: country::Id) -> Result<Phone, PhoneProblem> {
    if is_nanp_region(region) {
        if let Some(national) = super::nanp::national_digits(text) {
            if let Some(valid) = super::nanp::is_valid(&national) {
                if !valid {
                    return Err(PhoneProblem::Invalid);
                }
                let national_format = format!(
                    "({}) {}-{}",
                    &national[..3],
                    &national[3..6],
                    &national[6..]
                );
                return Ok(Phone {
                    e164: format!("+1{national}"),
                    national: national_format,
                });
            }
        }
    }
    parse_with_libphonenumber(text, region)
}

fn is_nanp_region(region: country::Id) -> bool {
    phonenumber::metadata::DATABASE
        .by_id(region.as_ref())
        .is_some_and(|m| m.country_code() == 1)
}

/// The full libphonenumber parse and validity check.
pub fn parse_with_libphonenumber(text: &str, region: country::Id) -> Result<Phone, PhoneProblem> {
    let number = phonenumber::parse(Some(region), text).map_err(|_| PhoneProblem::NotANumber)?;
    if number.extension().is_some() {
        return Err(PhoneProblem::HasExtension);
    }
    if !number.is_valid() {
        return Err(PhoneProblem::Invalid);
    }
    Ok(Phone {
        e164: number.format().mode(Mode::E164).to_string(),
        national: number.format().mode(Mode::National).to_string(),
    })
}

/// Masks a number for logs and results: country and area code, then the last four digits
/// (`+1312***0147`), enough for staff to recognise a number without exposing it.
pub fn mask(e164: &str) -> String {
    let chars: Vec<char> = e164.chars().collect();
    if chars.len() < 10 {
        let tail: String = chars[chars.len().saturating_sub(2)..].iter().collect();
        return format!("+***{tail}");
    }
    let head: String = chars[..5].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}***{tail}")
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

    /// The fast path must agree with libphonenumber on every plainly written number.
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
        let mut checked = 0;
        for _ in 0..20_000 {
            let area = 100 + next(900);
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
            for region in [country::Id::US, country::Id::CA] {
                let fast = parse(&text, region);
                let slow = parse_with_libphonenumber(&text, region);
                assert_eq!(
                    fast.as_ref().map(|p| &p.e164),
                    slow.as_ref().map(|p| &p.e164),
                    "{text} in {region:?}"
                );
                if let (Ok(f), Ok(s)) = (&fast, &slow) {
                    if region == country::Id::US {
                        assert_eq!(f.national, s.national, "{text}");
                    }
                    checked += 1;
                }
            }
        }
        assert!(
            checked > 1000,
            "enough valid numbers were compared: {checked}"
        );
    }

    #[test]
    fn mask_keeps_area_code_and_last_four() {
        assert_eq!(mask("+13125550147"), "+1312***0147");
        assert_eq!(mask("+442079460958"), "+4420***0958");
        assert_eq!(mask("+12345"), "+***45");
    }
}
