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
//!
//! The patterns are not read from the crate's database at run time: its first use loads and
//! compiles the whole world's metadata, which was most of a small run's time. They are generated
//! into `nanp_metadata.rs`, and a test fails when that file and the database differ. For the
//! same reason a seven-digit local number (`555-0100`), which the parser keeps as written in
//! most NANP regions and then finds invalid, is answered here too where that is shown.

use std::str::FromStr;
use std::sync::{LazyLock, OnceLock};

use phonenumber::{country, Type};
use regex_automata::dfa::{dense, Automaton, StartKind};
use regex_automata::util::syntax;
use regex_automata::{Anchored, Input};

use super::nanp_metadata as generated;

struct Pattern {
    lengths: &'static [u16],
    regex: Regex,
}

/// A metadata pattern compiled to a dense DFA, anchored at the start. The numbers it is asked
/// about are ASCII digits, so the pattern is compiled without Unicode (`\d` is `[0-9]`, the
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
    fn from(d: &generated::Descriptor) -> Option<Pattern> {
        Some(Pattern {
            lengths: d.lengths,
            regex: compile(d.pattern)?,
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

/// A region's patterns, compiled (its leading digits are compiled on their own: see
/// [`LazyRegion`]).
struct Region {
    general: Pattern,
    /// The types tried before fixed line and mobile, in `validator::number_type`'s order.
    special: Vec<(Type, Pattern)>,
    fixed_line: Option<Pattern>,
    mobile: Option<Pattern>,
    /// The two patterns are the same text: libphonenumber then calls every fixed-line match
    /// `FixedLineOrMobile` without trying the mobile pattern (the US, Canada).
    fixed_is_mobile: bool,
    /// What the parser may strip from the front of a number written for this region; `None`
    /// where it may also rewrite one (see [`local_number_is_invalid`]).
    prefixes: Option<Prefixes>,
}

/// The prefixes the parser looks for at the start of a number written without `+` for a
/// region (`helper::country_code`, `helper::national_number` and `parser::parse`).
struct Prefixes {
    international: Option<Regex>,
    national: Option<&'static str>,
    for_parsing: Option<Regex>,
}

impl Prefixes {
    /// Whether the parser would strip or rewrite something at the start of these digits. Any
    /// match at 0 counts, even where the parser would then keep the digits after all: the
    /// question is only ever "are the digits surely kept as written?".
    fn touch(&self, digits: &str) -> bool {
        let matches = |p: &Option<Regex>| p.as_ref().is_some_and(|p| p.is_match(digits));
        matches(&self.international)
            || matches(&self.for_parsing)
            || self.national.is_some_and(|p| digits.starts_with(p))
    }
}

impl Region {
    fn compile(g: &generated::Region) -> Option<Region> {
        let optional = |p: Option<&str>| match p {
            Some(p) => compile(p).map(Some),
            None => Some(None),
        };
        let pattern = |d: &Option<generated::Descriptor>| match d {
            Some(d) => Pattern::from(d).map(Some),
            None => Some(None),
        };
        let special = [
            (Type::PremiumRate, &g.premium_rate),
            (Type::TollFree, &g.toll_free),
            (Type::SharedCost, &g.shared_cost),
            (Type::Voip, &g.voip),
            (Type::PersonalNumber, &g.personal_number),
            (Type::Pager, &g.pager),
            (Type::Uan, &g.uan),
            (Type::Voicemail, &g.voicemail),
        ];
        let prefixes = match g.national_prefix_transform_rule {
            Some(_) => None,
            None => Some(Prefixes {
                international: optional(g.international_prefix)?,
                national: g.national_prefix,
                for_parsing: optional(g.national_prefix_for_parsing)?,
            }),
        };
        Some(Region {
            general: Pattern::from(&g.general)?,
            special: special
                .into_iter()
                .filter_map(|(kind, d)| Some((kind, d.as_ref()?)))
                .map(|(kind, d)| Some((kind, Pattern::from(d)?)))
                .collect::<Option<_>>()?,
            fixed_line: pattern(&g.fixed_line)?,
            mobile: pattern(&g.mobile)?,
            fixed_is_mobile: g.fixed_line.as_ref().map(|f| f.pattern)
                == g.mobile.as_ref().map(|m| m.pattern),
            prefixes,
        })
    }

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

/// The NANP regions in the database's order, from the metadata generated into
/// `nanp_metadata.rs`: reading them from `phonenumber::metadata::DATABASE` would load and compile
/// the whole world's metadata (most of a small run's time) for the 25 regions used here. `None`
/// if a region's id is unknown to the `phonenumber` crate (then every number takes the slow
/// path).
static REGIONS: LazyLock<Option<Vec<LazyRegion>>> = LazyLock::new(|| {
    let region = |meta: &'static generated::Region| {
        Some(LazyRegion {
            id: country::Id::from_str(meta.id).ok()?,
            meta,
            leading_digits: OnceLock::new(),
            patterns: OnceLock::new(),
        })
    };
    generated::REGIONS.iter().map(region).collect()
});

/// A region, its patterns compiled the first time a number needs them: the numbers of an
/// export are mostly of one region (the US, first in the list, without leading digits), so a
/// run compiles that region's patterns, not the 25 regions' (which took longer than reading a
/// 20,000-row export). A pattern that does not compile sends the numbers that need it to the
/// slow path (the full parser, whose answers these mirror).
struct LazyRegion {
    id: country::Id,
    meta: &'static generated::Region,
    /// `None` inside: the region has none; `None` outside: it did not compile.
    leading_digits: OnceLock<Option<Option<Regex>>>,
    patterns: OnceLock<Option<Region>>,
}

impl LazyRegion {
    fn leading_digits(&self) -> Option<Option<&Regex>> {
        let compiled = self
            .leading_digits
            .get_or_init(|| match self.meta.leading_digits {
                Some(p) => compile(p).map(Some),
                None => Some(None),
            });
        compiled.as_ref().map(Option::as_ref)
    }

    fn patterns(&self) -> Option<&Region> {
        self.patterns
            .get_or_init(|| Region::compile(self.meta))
            .as_ref()
    }
}

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

/// The most digits a plain number is read with here: eleven (`1` and ten national digits).
/// A longer one is never a North American number the fast path answers.
const MOST_DIGITS: usize = 11;

/// The digits of a plainly written number, in place: no allocation, and no growing string
/// pushed to digit by digit, for every phone cell read.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Digits {
    bytes: [u8; MOST_DIGITS],
    len: usize,
}

impl Digits {
    /// The digits, as text (ASCII digits only).
    pub(crate) fn as_str(&self) -> &str {
        std::str::from_utf8(&self.bytes[..self.len]).unwrap_or_default()
    }

    fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len]
    }

    fn len(&self) -> usize {
        self.len
    }

    /// The digits after the first one.
    fn without_first(mut self) -> Digits {
        self.bytes.copy_within(1..self.len, 0);
        self.len -= 1;
        self
    }
}

/// The digits of a plainly written number (ASCII digits and the separators ` ()-.`, after an
/// optional `+`) and whether it had the `+`; `None` when the text needs the full parser (so
/// also when it has more digits than [`MOST_DIGITS`]: neither caller answers those).
fn plain_digits(text: &str) -> Option<(bool, Digits)> {
    let text = text.trim();
    let (plus, rest) = match text.strip_prefix('+') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let mut digits = Digits {
        bytes: [0; MOST_DIGITS],
        len: 0,
    };
    // Every character kept or skipped is ASCII: any other byte is not a plain number.
    for &b in rest.as_bytes() {
        match b {
            b'0'..=b'9' => {
                *digits.bytes.get_mut(digits.len)? = b;
                digits.len += 1;
            }
            b' ' | b'(' | b')' | b'-' | b'.' => {}
            _ => return None,
        }
    }
    Some((plus, digits))
}

/// The ten national digits of a plainly written North American number, or `None` when the text
/// needs the full parser.
pub(crate) fn national_digits(text: &str) -> Option<Digits> {
    let (plus, digits) = plain_digits(text)?;
    match (plus, digits.len()) {
        (false, 10) => Some(digits),
        (_, 11) if digits.as_bytes()[0] == b'1' => Some(digits.without_first()),
        _ => None,
    }
}

/// Whether libphonenumber would call `text`, a plainly written seven-digit local number
/// (`555-0100`), invalid for a practice in `region`, shown without its parser (whose first use
/// loads the whole world's metadata, mid-run, for the odd row without an area code). `false`
/// means "ask the parser", not "valid".
///
/// The parser keeps seven digits as written unless something at their start is a prefix to it:
/// the country code (1: ruled out by a first digit of 2 to 9), the region's international or
/// national prefix, or its pattern for national prefixes (`helper::national_number`). Where
/// none matches at the start, the number is those seven digits and its verdict is the one
/// [`classify`] gives them. Regions with a transform rule (AG, BS, JM, ... rewrite `460-1234`
/// as `268-460-1234`, a valid number) are always left to the parser.
pub(crate) fn local_number_is_invalid(text: &str, region: country::Id) -> bool {
    let Some((false, digits)) = plain_digits(text) else {
        return false;
    };
    if digits.len() != 7 || !matches!(digits.as_bytes()[0], b'2'..=b'9') {
        return false;
    }
    let Some(regions) = REGIONS.as_ref() else {
        return false;
    };
    let Some(prefixes) = regions
        .iter()
        .find(|r| r.id == region)
        .and_then(|r| r.patterns()?.prefixes.as_ref())
    else {
        return false;
    };
    !prefixes.touch(digits.as_str()) && classify(digits.as_str()) == Some(Nanp::Invalid)
}

/// Whether `region` is one of the NANP regions (country code 1), from the compiled metadata when
/// there is some: an enum comparison instead of a look-up in the phone-number database.
pub(crate) fn is_nanp_region(region: country::Id) -> Option<bool> {
    Some(REGIONS.as_ref()?.iter().any(|r| r.id == region))
}

/// What libphonenumber says about a national number of country code 1.
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
        let kind = match r.leading_digits()? {
            Some(lead) if lead.is_match(national) => r.patterns()?.number_type(national),
            Some(_) => continue,
            None => match r.patterns()?.number_type(national) {
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
    use std::path::Path;

    use phonenumber::metadata::{Descriptor, Descriptors, Metadata, DATABASE};

    use super::generated;

    #[test]
    fn the_metadata_compiles_so_plain_numbers_take_the_fast_path() {
        let regions = super::REGIONS.as_ref().expect("the NANP patterns compile");
        assert!(regions.len() > 20, "{}", regions.len());
        assert!(super::is_nanp_region(phonenumber::country::Id::US) == Some(true));
        assert!(super::is_nanp_region(phonenumber::country::Id::GB) == Some(false));
        // Each region compiles when a number first needs it: every one does.
        for r in regions {
            assert!(r.leading_digits().is_some(), "{:?}", r.id);
            assert!(r.patterns().is_some(), "{:?}", r.id);
        }
    }

    const GENERATED: &str = "src/normalise/nanp_metadata.rs";

    const HINT: &str = "the `phonenumber` crate's NANP metadata is not what src/normalise/\
        nanp_metadata.rs holds (a crate update?): regenerate it with `ANNIE_REGENERATE_NANP=1 \
        cargo test --lib generated_metadata`, review the diff, and run the tests again";

    /// The type descriptors the table holds, in its field order.
    fn descriptors(d: &Descriptors) -> [(&'static str, Option<&Descriptor>); 10] {
        [
            ("premium_rate", d.premium_rate()),
            ("toll_free", d.toll_free()),
            ("shared_cost", d.shared_cost()),
            ("voip", d.voip()),
            ("personal_number", d.personal_number()),
            ("pager", d.pager()),
            ("uan", d.uan()),
            ("voicemail", d.voicemail()),
            ("fixed_line", d.fixed_line()),
            ("mobile", d.mobile()),
        ]
    }

    fn table_descriptors(r: &generated::Region) -> [Option<&generated::Descriptor>; 10] {
        [
            r.premium_rate.as_ref(),
            r.toll_free.as_ref(),
            r.shared_cost.as_ref(),
            r.voip.as_ref(),
            r.personal_number.as_ref(),
            r.pager.as_ref(),
            r.uan.as_ref(),
            r.voicemail.as_ref(),
            r.fixed_line.as_ref(),
            r.mobile.as_ref(),
        ]
    }

    /// The region-level texts the table holds, in its field order.
    fn texts(meta: &Metadata) -> [(&'static str, Option<&str>); 5] {
        [
            ("leading_digits", meta.leading_digits().map(|r| r.as_str())),
            (
                "international_prefix",
                meta.international_prefix().map(|r| r.as_str()),
            ),
            ("national_prefix", meta.national_prefix()),
            (
                "national_prefix_for_parsing",
                meta.national_prefix_for_parsing().map(|r| r.as_str()),
            ),
            (
                "national_prefix_transform_rule",
                meta.national_prefix_transform_rule(),
            ),
        ]
    }

    fn table_texts(r: &generated::Region) -> [Option<&'static str>; 5] {
        [
            r.leading_digits,
            r.international_prefix,
            r.national_prefix,
            r.national_prefix_for_parsing,
            r.national_prefix_transform_rule,
        ]
    }

    /// A string literal: raw where it can be, so that a pattern reads as the metadata writes it
    /// (one alternative a line).
    fn literal(text: &str) -> String {
        let plain = !text.contains(['"', '\\']) && !text.chars().any(char::is_control);
        let raw = !text.contains('"') && !text.chars().any(|c| c.is_control() && c != '\n');
        match (plain, raw) {
            (true, _) => format!("\"{text}\""),
            (false, true) => format!("r\"{text}\""),
            (false, false) => format!("{text:?}"),
        }
    }

    fn descriptor(d: &Descriptor) -> String {
        format!(
            "Descriptor {{ pattern: {}, lengths: &{:?} }}",
            literal(d.national_number().as_str()),
            d.possible_length()
        )
    }

    const HEADER: &str = r#"//! GENERATED from the `phonenumber` crate's metadata; do not edit. Regenerate with
//! `ANNIE_REGENERATE_NANP=1 cargo test --lib generated_metadata` (the test
//! `normalise::nanp::tests::the_generated_metadata_is_the_crates`, which otherwise fails when
//! this file and the crate's database differ).
//!
//! The North American (country code 1) regions of `phonenumber::metadata::DATABASE`, as
//! `nanp.rs` reads them: copied out so that a run compiles its fast path without loading the
//! database, whose first use deserialises the whole world's metadata and compiles every regex in
//! it (most of a small run's time).

/// A number type's national-number pattern and possible lengths.
pub(crate) struct Descriptor {
    pub(crate) pattern: &'static str,
    pub(crate) lengths: &'static [u16],
}

/// One region: its leading digits and prefixes (pattern texts, as in the metadata), its general
/// descriptor and the type descriptors `nanp.rs` uses.
pub(crate) struct Region {
    pub(crate) id: &'static str,
    pub(crate) leading_digits: Option<&'static str>,
    pub(crate) international_prefix: Option<&'static str>,
    pub(crate) national_prefix: Option<&'static str>,
    pub(crate) national_prefix_for_parsing: Option<&'static str>,
    pub(crate) national_prefix_transform_rule: Option<&'static str>,
    pub(crate) general: Descriptor,
    pub(crate) premium_rate: Option<Descriptor>,
    pub(crate) toll_free: Option<Descriptor>,
    pub(crate) shared_cost: Option<Descriptor>,
    pub(crate) voip: Option<Descriptor>,
    pub(crate) personal_number: Option<Descriptor>,
    pub(crate) pager: Option<Descriptor>,
    pub(crate) uan: Option<Descriptor>,
    pub(crate) voicemail: Option<Descriptor>,
    pub(crate) fixed_line: Option<Descriptor>,
    pub(crate) mobile: Option<Descriptor>,
}

/// In the database's order (`DATABASE.region(&1)`), the order libphonenumber tries them in.
pub(crate) static REGIONS: &[Region] = &[
"#;

    /// The text of `nanp_metadata.rs` as the crate's database gives it.
    fn render() -> String {
        let mut out = String::from(HEADER);
        for id in DATABASE.region(&1).expect("country code 1 has regions") {
            let meta = DATABASE.by_id(id).expect("a region of code 1 has metadata");
            out.push_str("    Region {\n");
            out.push_str(&format!("        id: {},\n", literal(id)));
            for (name, text) in texts(meta) {
                let value = text.map_or("None".to_string(), |t| format!("Some({})", literal(t)));
                out.push_str(&format!("        {name}: {value},\n"));
            }
            let d = meta.descriptors();
            out.push_str(&format!("        general: {},\n", descriptor(d.general())));
            for (name, d) in descriptors(d) {
                let value = d.map_or("None".to_string(), |d| format!("Some({})", descriptor(d)));
                out.push_str(&format!("        {name}: {value},\n"));
            }
            out.push_str("    },\n");
        }
        out.push_str("];\n");
        out
    }

    /// The table must be the crate's metadata, field by field, so that a crate update that
    /// changes it fails here rather than making the fast path disagree with the parser.
    #[test]
    fn the_generated_metadata_is_the_crates() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(GENERATED);
        let expected = render();
        if std::env::var_os("ANNIE_REGENERATE_NANP").is_some() {
            std::fs::write(&path, &expected).expect("write the generated metadata");
            return;
        }
        let ids = DATABASE.region(&1).expect("country code 1 has regions");
        let ours: Vec<&str> = generated::REGIONS.iter().map(|r| r.id).collect();
        assert_eq!(ours, ids, "the regions: {HINT}");
        for (r, id) in generated::REGIONS.iter().zip(ids) {
            let meta = DATABASE.by_id(id).expect("a region of code 1 has metadata");
            for ((name, theirs), ours) in texts(meta).into_iter().zip(table_texts(r)) {
                assert_eq!(ours, theirs, "{id} {name}: {HINT}");
            }
            let d = meta.descriptors();
            let general = d.general();
            assert_eq!(
                (r.general.pattern, r.general.lengths),
                (
                    general.national_number().as_str(),
                    general.possible_length()
                ),
                "{id} general: {HINT}"
            );
            for ((name, theirs), ours) in descriptors(d).into_iter().zip(table_descriptors(r)) {
                assert_eq!(
                    ours.map(|d| (d.pattern, d.lengths)),
                    theirs.map(|d| (d.national_number().as_str(), d.possible_length())),
                    "{id} {name}: {HINT}"
                );
            }
        }
        let on_disk = std::fs::read_to_string(&path).expect("read the generated metadata");
        assert!(on_disk == expected, "{GENERATED}: {HINT}");
    }

    #[test]
    fn plain_digits_are_read_up_to_eleven() {
        let national = |text| super::national_digits(text).map(|d| d.as_str().to_string());
        assert_eq!(national(" (312) 555-0147 ").as_deref(), Some("3125550147"));
        assert_eq!(national("+1 312.555.0147").as_deref(), Some("3125550147"));
        assert_eq!(national("1-312-555-0147").as_deref(), Some("3125550147"));
        for text in [
            "+1 312 555 0147 9",
            "312 555 0147 12",
            "+44 20 7946 0958",
            "2-555-0147",
        ] {
            assert_eq!(national(text), None, "{text}");
        }
        // Another character than a digit or a separator: the full parser's.
        assert_eq!(national("312\u{2010}555\u{2010}0147"), None);
        assert!(super::plain_digits("555-0100").is_some_and(|(plus, d)| !plus && d.len() == 7));
        assert!(super::plain_digits("555-0100-1234-5678").is_none());
    }
}
