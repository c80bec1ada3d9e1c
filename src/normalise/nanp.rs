//! A fast path for North American numbers, built from libphonenumber's own metadata.
//!
//! The `phonenumber` crate is correct but slow for our volume: every pattern match goes through a
//! global, mutex-guarded LRU of 100 compiled regexes keyed by the pattern text, and the +1
//! regions alone have about 250 patterns, so regexes are recompiled over and over (the profile
//! of a 100k-row preview spent a third of its time there). Nightly exports are almost all plain NANP numbers in a
//! handful of shapes (`(312) 555-0147`, `312.555.0147`, `+1 312 555 0147`), so for those we
//! compile the same metadata patterns once and apply the crate's own validity rule
//! (`validator::is_valid_with`: pick the region by leading digits, then require the general
//! pattern and one number-type pattern). Anything else (letters, extensions, other lengths, other
//! countries) still goes through the crate. A property test checks the two agree.

use std::sync::LazyLock;

use phonenumber::metadata::{Descriptor, DATABASE};
use regex::{Regex, RegexBuilder};

struct Pattern {
    lengths: Vec<u16>,
    regex: Regex,
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

struct Region {
    leading_digits: Option<Regex>,
    general: Pattern,
    types: Vec<Pattern>,
}

impl Region {
    /// `number_type(..) != Unknown`.
    fn knows(&self, national: &str) -> bool {
        self.general.is_match(national) && self.types.iter().any(|t| t.is_match(national))
    }
}

/// The NANP regions in the database's order; `None` if the metadata could not be compiled (then
/// every number takes the slow path).
static REGIONS: LazyLock<Option<Vec<Region>>> = LazyLock::new(|| {
    let mut regions = Vec::new();
    for id in DATABASE.region(&1)? {
        let meta = DATABASE.by_id(id)?;
        let d = meta.descriptors();
        let types = [
            d.premium_rate(),
            d.toll_free(),
            d.shared_cost(),
            d.voip(),
            d.personal_number(),
            d.pager(),
            d.uan(),
            d.voicemail(),
            d.fixed_line(),
            d.mobile(),
        ];
        regions.push(Region {
            leading_digits: match meta.leading_digits() {
                Some(l) => Some(compile(l.as_str())?),
                None => None,
            },
            general: Pattern::from(d.general())?,
            types: types
                .into_iter()
                .flatten()
                .map(Pattern::from)
                .collect::<Option<_>>()?,
        });
    }
    Some(regions)
});

/// Compiles a metadata pattern the way the `phonenumber` crate does (whitespace ignored),
/// anchored at the start: the crate asks "does a match start at 0?", which is `^(?:...)`.
fn compile(pattern: &str) -> Option<Regex> {
    RegexBuilder::new(&format!("^(?:{pattern})"))
        .ignore_whitespace(true)
        .build()
        .ok()
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

/// Whether libphonenumber would call this national number valid. `None` when the metadata is
/// unavailable (use the slow path).
pub fn is_valid(national: &str) -> Option<bool> {
    let regions = REGIONS.as_ref()?;
    for r in regions {
        match &r.leading_digits {
            Some(lead) => {
                if lead.is_match(national) {
                    return Some(r.knows(national));
                }
            }
            None => {
                if r.knows(national) {
                    return Some(true);
                }
            }
        }
    }
    Some(false)
}
