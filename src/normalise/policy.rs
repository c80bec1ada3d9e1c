//! Which valid numbers are a patient's phone, for one practice.
//!
//! A valid number is not necessarily one a patient answers: in the field trial 85 toll-free and
//! 36 premium-rate (900) numbers from schedules were called as if they were patients' phones,
//! and a +44 number was called at 21:00 London time. So a patient's number must be of a type a
//! person answers and in a country the practice calls:
//!
//! - **Types**: mobile, fixed-line, or "fixed line or mobile" (libphonenumber cannot tell the two
//!   apart in North America). VoIP and personal ("follow-me", the 5XX codes) numbers only when
//!   `[practice] allowed_number_types` lists them: they may ring anywhere. Toll-free, premium-rate,
//!   shared-cost, pager, UAN and voicemail-access numbers are businesses' or services' numbers,
//!   never allowed.
//! - **Countries**: the region libphonenumber places the number in must be the practice's own
//!   (`[practice] phone_region`, default US) or listed in `[practice] allowed_countries`. For
//!   +1 this is strict on purpose: libphonenumber splits the North American plan into the US,
//!   Canada, Puerto Rico and the other territories, and 20 Caribbean countries, and several
//!   Caribbean area codes are international-rate numbers used in "one-ring" scams while looking
//!   domestic. A US practice's ordinary patients have US numbers; anyone else is one line of
//!   config away (`allowed_countries = ["CA", "PR"]`), and the reason on the row says so. A
//!   number in no country (+800, +881 satellite) is never called: it has no local hours.

use phonenumber::{country, Type};

pub(crate) use super::phone::OPTIONAL_TYPES;
use super::phone::{Classified, PhoneProblem};

/// One practice's rule for patients' numbers.
#[derive(Debug, Clone, PartialEq)]
pub struct PhonePolicy {
    /// The practice's own country: `[practice] phone_region`.
    pub home: country::Id,
    /// `[practice] allowed_countries`: other countries whose numbers may be called.
    pub countries: Vec<country::Id>,
    /// `[practice] allowed_number_types`: some of [`OPTIONAL_TYPES`].
    pub extra_types: Vec<Type>,
}

impl PhonePolicy {
    /// Only the practice's own country, only mobile and fixed-line numbers (the defaults).
    #[cfg(test)]
    fn home_only(home: country::Id) -> PhonePolicy {
        PhonePolicy {
            home,
            countries: Vec::new(),
            extra_types: Vec::new(),
        }
    }

    /// Why this valid number is not to be called as a patient's phone; `None` when it may be.
    /// The type is checked first: a toll-free number stays one wherever it is.
    pub(crate) fn refusal(&self, number: &Classified) -> Option<PhoneProblem> {
        match number.kind {
            Type::Mobile | Type::FixedLine | Type::FixedLineOrMobile => {}
            kind if self.extra_types.contains(&kind) => {}
            kind @ (Type::Voip | Type::PersonalNumber) => {
                return Some(PhoneProblem::TypeNotAllowed(kind))
            }
            kind => return Some(PhoneProblem::NotAPatientsPhone(kind)),
        }
        match number.country {
            None => Some(PhoneProblem::NoCountry),
            Some(c) if c == self.home || self.countries.contains(&c) => None,
            Some(c) => Some(PhoneProblem::Foreign(c)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::normalise::phone::classify;

    fn refusal(policy: &PhonePolicy, text: &str) -> Option<String> {
        let number = classify(text, country::Id::US).unwrap();
        policy.refusal(&number).map(|p| p.describe())
    }

    #[test]
    fn only_numbers_a_patient_answers_are_called() {
        let us = PhonePolicy::home_only(country::Id::US);
        assert_eq!(refusal(&us, "(312) 555-0147"), None);
        for (text, kind) in [
            ("(800) 555-0147", "a toll-free"),
            ("+1 833 555 0147", "a toll-free"),
            ("(900) 555-0147", "a premium-rate"),
            ("+44 800 555 0147", "a toll-free"),
        ] {
            assert_eq!(
                refusal(&us, text).as_deref(),
                Some(format!("is {kind} number, not a patient's phone").as_str()),
                "{text}"
            );
        }
        assert_eq!(
            refusal(&us, "(500) 555-0147").as_deref(),
            Some(
                "is a personal (follow-me) number; add \"personal\" to [practice] \
                 allowed_number_types to call it"
            )
        );
        let personal = PhonePolicy {
            extra_types: vec![Type::PersonalNumber],
            ..us.clone()
        };
        assert_eq!(refusal(&personal, "(500) 555-0147"), None);
        // Allowing a type never allows a toll-free number.
        assert!(refusal(&personal, "(800) 555-0147").is_some());
    }

    #[test]
    fn other_countries_need_to_be_allowed() {
        let us = PhonePolicy::home_only(country::Id::US);
        let gb = "+44 20 7946 0958";
        assert_eq!(
            refusal(&us, gb).as_deref(),
            Some("is a number in GB; add \"GB\" to [practice] allowed_countries to call it")
        );
        let with_gb = PhonePolicy {
            countries: vec![country::Id::GB],
            ..us.clone()
        };
        assert_eq!(refusal(&with_gb, gb), None);
        // +1 is not one country: Canada and Jamaica are foreign to a US practice.
        assert_eq!(
            refusal(&us, "(416) 555-0147").as_deref(),
            Some("is a number in CA; add \"CA\" to [practice] allowed_countries to call it")
        );
        assert!(refusal(&us, "(876) 555-0147").is_some_and(|r| r.contains("in JM")));
        // A Canadian practice: its own numbers are home, US numbers are foreign.
        let ca = PhonePolicy::home_only(country::Id::CA);
        assert_eq!(refusal(&ca, "(416) 555-0147"), None);
        assert!(refusal(&ca, "(312) 555-0147").is_some_and(|r| r.contains("in US")));
    }

    #[test]
    fn a_number_in_no_country_is_never_called() {
        let number = classify("+881 6 1234 5678", country::Id::US).unwrap();
        assert_eq!(number.country, None);
        let policy = PhonePolicy::home_only(country::Id::US);
        assert_eq!(policy.refusal(&number), Some(PhoneProblem::NoCountry));
    }
}
