//! A fast path for North American numbers, built from libphonenumber's own metadata.
//!
//! The `phonenumber` crate is correct but slow for our volume: every pattern match goes through a
//! global, mutex-guarded LRU of 100 compiled regexes keyed by the pattern text, and the +1
//! regions alone have about 250 patterns, so regexes are recompiled over and over (the profile
//! of a 100k-row preview spent a third of its time there). Nightly exports are almost all plain NANP numbers in a
//! handful of shapes (`(312) 555-0147`, `312.555.0147`, `+1 312 555 0147`), so for those we
//! compile the same metadata patterns once and apply the crate's own rules: the region
//! (`validator::source_for`: by leading digits, else the first whose types match) and the number
//! type (`validator::number_type`: the general pattern, then each type's pattern in a fixed
//! order), valid when the type is known. The type comes from the very pattern match that
//! validity needed, so telling a toll-free number from a mobile costs nothing extra. Anything
//! else (letters, extensions, other lengths, other countries) still goes through the crate. A
//! property test checks the two agree on validity, region, type and format.

use std::str::FromStr;
use std::sync::LazyLock;

use phonenumber::metadata::{Descriptor, DATABASE};
use phonenumber::{country, Type};
use regex_automata::dfa::{dense, Automaton, StartKind};
use regex_automata::util::syntax;
use regex_automata::{Anchored, Input};

struct Pattern {
    lengths: Vec<u16>,
    regex: Regex,
}

/// A metadata pattern compiled to a dense DFA, anchored at the start. The numbers it is asked
/// about are ten ASCII digits, so the pattern is compiled without Unicode (`\d` is `[0-9]`, the
/// same answer for ASCII digits): compiling Unicode classes was most of the start-up's time, and
/// a dense DFA answers without the lazy DFA's per-thread cache (taken from a shared pool,
/// behind a lock, by every thread but the first).
struct Regex(dense::DFA<Vec<u32>>);

impl Regex {
    /// Whether a match starts at 0 (`Regex::is_match` of `^(?:pattern)`).
    fn is_match(&self, text: &str) -> bool {
        let input = Input::new(text).anchored(Anchored::Yes).earliest(true);
        matches!(self.0.try_search_fwd(&input), Ok(Some(_)))
    }
}

impl Pattern {
    fn from(d: &Descriptor) -> Option<Pattern> {
        Some(Pattern {
            lengths: d.possible_length().to_vec(),
            regex: compile(d.national_number().as_str())?,
        })
    }

    /// `Descriptor::is_match`: a possible length, and the pattern matches at the start (the
    /// regex is compiled anchored, which answers the same question without scanning).
    fn is_match(&self, national: &str) -> bool {
        (self.lengths.is_empty() || self.lengths.contains(&(national.len() as u16)))
            && self.regex.is_match(national)
    }
}

fn matches(pattern: &Option<Pattern>, national: &str) -> bool {
    pattern.as_ref().is_some_and(|p| p.is_match(national))
}

struct Region {
    id: country::Id,
    leading_digits: Option<Regex>,
    general: Pattern,
    /// The types tried before fixed line and mobile, in `validator::number_type`'s order.
    special: Vec<(Type, Pattern)>,
    fixed_line: Option<Pattern>,
    mobile: Option<Pattern>,
    /// The two patterns are the same text: libphonenumber then calls every fixed-line match
    /// `FixedLineOrMobile` without trying the mobile pattern (the US, Canada).
    fixed_is_mobile: bool,
}

impl Region {
    /// `validator::number_type` for this region's metadata. It costs what the validity check
    /// alone cost: the same patterns in the same order, stopping at the first match.
    fn number_type(&self, national: &str) -> Type {
        if !self.general.is_match(national) {
            return Type::Unknown;
        }
        if let Some((kind, _)) = self.special.iter().find(|(_, p)| p.is_match(national)) {
            return *kind;
        }
        if matches(&self.fixed_line, national) {
            if self.fixed_is_mobile || matches(&self.mobile, national) {
                return Type::FixedLineOrMobile;
            }
            return Type::FixedLine;
        }
        if matches(&self.mobile, national) {
            return Type::Mobile;
        }
        Type::Unknown
    }
}

/// The NANP regions in the database's order; `None` if the metadata could not be compiled (then
/// every number takes the slow path).
static REGIONS: LazyLock<Option<Vec<Region>>> = LazyLock::new(|| {
    let mut regions = Vec::new();
    for id in DATABASE.region(&1)? {
        let meta = DATABASE.by_id(id)?;
        let d = meta.descriptors();
        let special = [
            (Type::PremiumRate, d.premium_rate()),
            (Type::TollFree, d.toll_free()),
            (Type::SharedCost, d.shared_cost()),
            (Type::Voip, d.voip()),
            (Type::PersonalNumber, d.personal_number()),
            (Type::Pager, d.pager()),
            (Type::Uan, d.uan()),
            (Type::Voicemail, d.voicemail()),
        ];
        let pattern = |d: Option<&Descriptor>| match d {
            Some(d) => Pattern::from(d).map(Some),
            None => Some(None),
        };
        regions.push(Region {
            id: country::Id::from_str(id).ok()?,
            leading_digits: match meta.leading_digits() {
                Some(l) => Some(compile(l.as_str())?),
                None => None,
            },
            general: Pattern::from(d.general())?,
            special: special
                .into_iter()
                .filter_map(|(kind, d)| Some((kind, d?)))
                .map(|(kind, d)| Some((kind, Pattern::from(d)?)))
                .collect::<Option<_>>()?,
            fixed_line: pattern(d.fixed_line())?,
            mobile: pattern(d.mobile())?,
            fixed_is_mobile: d.fixed_line().map(|f| f.national_number().as_str())
                == d.mobile().map(|m| m.national_number().as_str()),
        });
    }
    Some(regions)
});

/// Compiles a metadata pattern the way the `phonenumber` crate does (whitespace ignored),
/// anchored at the start: the crate asks "does a match start at 0?", which is `^(?:...)`.
fn compile(pattern: &str) -> Option<Regex> {
    dense::Builder::new()
        .syntax(
            syntax::Config::new()
                .unicode(false)
                .utf8(false)
                .ignore_whitespace(true),
        )
        .configure(dense::Config::new().start_kind(StartKind::Anchored))
        .build(&format!("^(?:{pattern})"))
        .ok()
        .map(Regex)
}

/// The ten national digits of a plainly written North American number, or `None` when the text
/// needs the full parser.
pub fn national_digits(text: &str) -> Option<String> {
    let text = text.trim();
    let (plus, rest) = match text.strip_prefix('+') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let mut digits = String::with_capacity(11);
    for c in rest.chars() {
        match c {
            '0'..='9' => digits.push(c),
            ' ' | '(' | ')' | '-' | '.' => {}
            _ => return None,
        }
    }
    match (plus, digits.len()) {
        (false, 10) => Some(digits),
        (_, 11) if digits.starts_with('1') => Some(digits[1..].to_string()),
        _ => None,
    }
}

/// Whether `region` is one of the NANP regions (country code 1), from the compiled metadata when
/// there is some: an enum comparison instead of a look-up in the phone-number database.
pub(crate) fn is_nanp_region(region: country::Id) -> Option<bool> {
    Some(REGIONS.as_ref()?.iter().any(|r| r.id == region))
}

/// What libphonenumber says about a ten-digit national number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Nanp {
    Invalid,
    /// Valid: the region libphonenumber places it in (`US`, `CA`, `PR`, `JM`, ...) and its type.
    Valid {
        region: country::Id,
        kind: Type,
    },
}

/// libphonenumber's answer for this national number (`validator::source_for`: the first region
/// whose leading digits match, or without leading digits whose types match; then
/// `number_type` there). `None` when the metadata is unavailable (use the slow path).
pub(crate) fn classify(national: &str) -> Option<Nanp> {
    let regions = REGIONS.as_ref()?;
    for r in regions {
        let kind = match &r.leading_digits {
            Some(lead) if lead.is_match(national) => r.number_type(national),
            Some(_) => continue,
            None => match r.number_type(national) {
                Type::Unknown => continue,
                kind => kind,
            },
        };
        return Some(match kind {
            Type::Unknown => Nanp::Invalid,
            kind => Nanp::Valid { region: r.id, kind },
        });
    }
    Some(Nanp::Invalid)
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_metadata_compiles_so_plain_numbers_take_the_fast_path() {
        let regions = super::REGIONS.as_ref().expect("the NANP patterns compile");
        assert!(regions.len() > 20, "{}", regions.len());
        assert!(super::is_nanp_region(phonenumber::country::Id::US) == Some(true));
        assert!(super::is_nanp_region(phonenumber::country::Id::GB) == Some(false));
    }
}
