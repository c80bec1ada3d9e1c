//! Local wall-clock times from the export → instants in the practice's zone.
//!
//! Exports carry no UTC offset, so the practice's IANA zone decides it. A wall-clock time that
//! does not exist (spring forward) or exists twice (fall back) is an error for that row: guessing
//! would send a patient to the wrong hour.

use std::cell::RefCell;
use std::rc::Rc;

use chrono::format::{Item, ParseResult, Parsed, StrftimeItems};
use chrono::{DateTime, Datelike, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, TimeZone};
use chrono_tz::Tz;
use rustc_hash::FxHashMap;

/// Parses a date-time column. Values with a UTC offset are accepted as they are: RFC 3339 and
/// what JSON exports write around it (no seconds, a space for the `T`, fractional seconds);
/// anything else is tried against `formats` and placed in `tz`.
pub fn parse_datetime(text: &str, formats: &[String], tz: Tz) -> Result<DateTime<Tz>, String> {
    DATETIMES.with(|memo| {
        let mut memo = memo.borrow_mut();
        memo.entry(tz)
            .or_default()
            .get_or_parse(text, formats, || parse_datetime_once(text, formats, tz))
    })
}

/// [`parse_datetime`] itself, without the memo.
fn parse_datetime_once(text: &str, formats: &[String], tz: Tz) -> Result<DateTime<Tz>, String> {
    if let Some(instant) = with_offset(text) {
        return Ok(instant.with_timezone(&tz));
    }
    let naive = first_match(text, formats, datetime_from_str)?;
    localise(naive, tz)
}

/// An RFC 3339 date-time, or one written `2026-11-25 12:40-06:00` (a space, no seconds).
/// Local times (no offset after the time) are settled without an allocation: they are most
/// rows of most exports.
fn with_offset(text: &str) -> Option<DateTime<chrono::FixedOffset>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Some(t);
    }
    let time = text.get(11..)?;
    let has_offset = time.ends_with(['Z', 'z']) || time.contains(['+', '-']);
    if !has_offset || !text.is_char_boundary(10) {
        return None;
    }
    let mut fixed = format!("{}T{time}", &text[..10]);
    // `HH:MM` followed directly by the offset: add the seconds.
    if fixed
        .as_bytes()
        .get(16)
        .is_some_and(|b| !b.is_ascii_digit() && *b != b':')
    {
        fixed.insert_str(16, ":00");
    }
    DateTime::parse_from_rfc3339(&fixed).ok()
}

/// Parses a date column and a time column and combines them.
pub fn parse_date_and_time(
    date: &str,
    time: &str,
    date_formats: &[String],
    time_formats: &[String],
    tz: Tz,
) -> Result<DateTime<Tz>, String> {
    let day = first_match(date, date_formats, date_from_str)?;
    let clock = first_match(time, time_formats, time_from_str)?;
    localise(day.and_time(clock), tz)
}

/// Parses a birth date. `Ok(None)` for the "no birth date" sentinels that exports use
/// (`0001-01-01`, Open Dental's; `0000-00-00`, MySQL's zero date, which a query straight
/// against a practice system's MySQL database prints for a date never entered; any year before
/// 1880).
pub fn parse_birth_date(text: &str, formats: &[String]) -> Result<Option<NaiveDate>, String> {
    let date_part = text.split_whitespace().next().unwrap_or(text);
    if date_part.starts_with("0001-01-01") || date_part == "0000-00-00" {
        return Ok(None);
    }
    // Any year parses here: an implausible one (a two-digit year read by `%Y`) is dropped below,
    // as the sentinels are, and the call goes without a birth date rather than with a guess.
    let any = |_: &NaiveDate| true;
    let date = first_match_where(text, formats, date_from_str, any)
        .or_else(|_| first_match_where(date_part, formats, date_from_str, any))
        .map_err(|_| {
            format!(
                "is not a date in the expected formats ({})",
                formats.join(", ")
            )
        })?;
    Ok((date.year() >= 1880).then_some(date))
}

/// Values an export repeats, each parsed once per thread: parsing a time and placing it in the
/// practice's zone was a tenth of a large preview's normalising, and an export has few distinct
/// start times. At most [`MEMO_VALUES`] values are kept; then the memo starts again. (Birth
/// dates are not remembered: an export has tens of thousands, and looking one up in a memo
/// that large cost more than parsing it.)
struct Memo<V> {
    /// The formats the values were parsed with (a run has one list; the tests have many).
    formats: Vec<String>,
    /// By a fast hash: a value is looked up for every row, and the memo is only a cache.
    values: FxHashMap<String, V>,
}

/// The most values a [`Memo`] keeps (a few hundred kilobytes a thread at most).
const MEMO_VALUES: usize = 1 << 12;

impl<V> Default for Memo<V> {
    fn default() -> Memo<V> {
        Memo {
            formats: Vec::new(),
            values: FxHashMap::default(),
        }
    }
}

impl<V: Clone> Memo<V> {
    /// The value parsed from `text` with `formats`: remembered, or `parse`d now (and remembered).
    fn get_or_parse(&mut self, text: &str, formats: &[String], parse: impl FnOnce() -> V) -> V {
        if self.formats != formats {
            self.formats = formats.to_vec();
            self.values.clear();
        }
        if let Some(value) = self.values.get(text) {
            return value.clone();
        }
        let value = parse();
        if self.values.len() >= MEMO_VALUES {
            self.values.clear();
        }
        self.values.insert(text.to_string(), value.clone());
        value
    }
}

type Placed = Result<DateTime<Tz>, String>;

/// A format, parsed.
type Items = Rc<[Item<'static>]>;

thread_local! {
    /// [`parse_datetime`]'s values, by zone.
    static DATETIMES: RefCell<FxHashMap<Tz, Memo<Placed>>> = RefCell::new(FxHashMap::default());
    /// The export's formats, each parsed once per thread: chrono's `parse_from_str` parses its
    /// format string on every call, twice per row (start and birth date), in both readings of a
    /// streamed preview.
    /// A list, not a map: an export has a handful of formats, and comparing a format with each
    /// costs less than hashing it.
    static PARSED: RefCell<Vec<(String, Option<Items>)>> =
        const { RefCell::new(Vec::new()) };
}

/// Parses `text` with `format` as chrono's `parse_from_str` does, then `finish`es the fields; the
/// format's items come from [`PARSED`]. A format chrono cannot parse gets `None` (the caller
/// then asks chrono itself, for the same error).
fn parse_with<T>(
    text: &str,
    format: &str,
    finish: impl Fn(&Parsed) -> ParseResult<T>,
) -> Option<ParseResult<T>> {
    let items = PARSED.with(|cache| {
        let mut cache = cache.borrow_mut();
        if let Some((_, items)) = cache.iter().find(|(f, _)| f == format) {
            return items.clone();
        }
        let items = StrftimeItems::new(format)
            .parse_to_owned()
            .ok()
            .map(Rc::from);
        // Only the tests use more than a few formats; the list stays short whatever happens.
        if cache.len() >= 64 {
            cache.clear();
        }
        cache.push((format.to_string(), items.clone()));
        items
    })?;
    let mut parsed = Parsed::new();
    Some(chrono::format::parse(&mut parsed, text, items.iter()).and_then(|()| finish(&parsed)))
}

/// `NaiveDateTime::parse_from_str`, its format parsed once.
fn datetime_from_str(text: &str, format: &str) -> ParseResult<NaiveDateTime> {
    parse_with(text, format, |p| p.to_naive_datetime_with_offset(0))
        .unwrap_or_else(|| NaiveDateTime::parse_from_str(text, format))
}

/// `NaiveDate::parse_from_str`, its format parsed once.
fn date_from_str(text: &str, format: &str) -> ParseResult<NaiveDate> {
    parse_with(text, format, Parsed::to_naive_date)
        .unwrap_or_else(|| NaiveDate::parse_from_str(text, format))
}

/// `NaiveTime::parse_from_str`, its format parsed once.
fn time_from_str(text: &str, format: &str) -> ParseResult<NaiveTime> {
    parse_with(text, format, Parsed::to_naive_time)
        .unwrap_or_else(|| NaiveTime::parse_from_str(text, format))
}

/// Open Dental's `Pattern`: one character per 5 minutes (`//XXXX//` = 40 minutes).
pub fn pattern_minutes(pattern: &str) -> Result<i64, String> {
    // Almost every pattern: its slots counted by their bytes (each an ASCII character).
    if pattern
        .bytes()
        .all(|b| matches!(b, b'/' | b'X' | b'x' | b'|'))
    {
        return Ok(pattern.len() as i64 * 5);
    }
    if let Some(bad) = pattern
        .chars()
        .find(|c| !matches!(c, '/' | 'X' | 'x' | '|'))
    {
        let bad = match bad.is_ascii_punctuation() || bad.is_ascii_digit() {
            true => format!("`{bad}`"),
            false => "a letter".to_string(),
        };
        return Err(format!(
            "the time pattern contains {bad}; a time pattern has only `/` and `X`, one per 5 \
             minutes"
        ));
    }
    Ok(pattern.chars().count() as i64 * 5)
}

/// Parses an appointment length in whole minutes (1 to 1440).
pub fn length_minutes(text: &str) -> Result<i64, String> {
    match text.parse::<i64>() {
        Ok(m) if (1..=1440).contains(&m) => Ok(m),
        _ => Err(format!(
            "{} is not a length in minutes between 1 and 1440",
            shown(text)
        )),
    }
}

/// Whether a parsed value can be a date in a schedule. `%Y` reads Excel's `11/24/26` as the year
/// 26, which would make every appointment "already passed": such a match is no match, and the
/// next format (`%y`) gets its turn.
trait Plausible {
    fn plausible(&self) -> bool;
}

impl Plausible for NaiveDate {
    fn plausible(&self) -> bool {
        self.year() >= 1000
    }
}

impl Plausible for NaiveDateTime {
    fn plausible(&self) -> bool {
        self.date().plausible()
    }
}

impl Plausible for NaiveTime {
    fn plausible(&self) -> bool {
        true
    }
}

fn first_match<T: Plausible>(
    text: &str,
    formats: &[String],
    parse: impl Fn(&str, &str) -> chrono::ParseResult<T>,
) -> Result<T, String> {
    first_match_where(text, formats, parse, T::plausible)
}

/// The first format that parses `text` into a value `accept` takes. When none does, the reason
/// says which way it failed: a value written as a format writes it but naming a day or time
/// that does not exist (`2026-02-30`, `24:00:00`) "is not a real calendar date or time"; any
/// other (a format not in the list: no seconds, a `T`, day first) "is not in the expected
/// formats", listing them.
fn first_match_where<T>(
    text: &str,
    formats: &[String],
    parse: impl Fn(&str, &str) -> chrono::ParseResult<T>,
    accept: impl Fn(&T) -> bool,
) -> Result<T, String> {
    use chrono::format::ParseErrorKind::{Impossible, OutOfRange};
    let mut impossible = false;
    for format in formats {
        match parse(text, format) {
            Ok(value) if accept(&value) => return Ok(value),
            Ok(_) => {}
            Err(e) if matches!(e.kind(), OutOfRange | Impossible) => {
                impossible = impossible || has_the_shape(text, format, &parse);
            }
            Err(_) => {}
        }
    }
    if impossible {
        Err(format!(
            "{} is not a real calendar date or time",
            shown(text)
        ))
    } else {
        Err(format!(
            "{} is not in the expected formats ({})",
            shown(text),
            formats.join(", ")
        ))
    }
}

/// Whether `text` is written as `format` writes, whatever its numbers say. chrono reports a
/// number out of its range as soon as it reads one, so an out-of-range error also comes from a
/// format of another shape (`%m/%d/%Y` reads `2026-03-08` and finds month 20): `text` with
/// every digit a `1` (month, day, hour: all in range) parses with `format` when only the numbers
/// were wrong.
fn has_the_shape<T>(
    text: &str,
    format: &str,
    parse: &impl Fn(&str, &str) -> chrono::ParseResult<T>,
) -> bool {
    use chrono::format::ParseErrorKind::{BadFormat, Invalid, TooLong, TooShort};
    let ones: String = text
        .chars()
        .map(|c| if c.is_ascii_digit() { '1' } else { c })
        .collect();
    match parse(&ones, format) {
        Ok(_) => true,
        Err(e) => !matches!(e.kind(), Invalid | TooShort | TooLong | BadFormat),
    }
}

/// A cell quoted in a reason only when it looks like what the column should hold (digits and a
/// date's or time's punctuation, AM/PM): after a column shift it may hold a name or a phone
/// number, and reasons reach the results file, the terminal and the report.
fn shown(text: &str) -> String {
    let time_like = text.chars().count() <= 40
        && text.chars().all(|c| {
            c.is_ascii_digit()
                || c.is_whitespace()
                || "-/:.,+TZtzAPMapm".contains(c)
                || c == 'X'
                || c == 'x'
        });
    if time_like {
        format!("`{text}`")
    } else {
        "a value that is not a time (not shown: it may be patient data)".to_string()
    }
}

fn localise(naive: NaiveDateTime, tz: Tz) -> Result<DateTime<Tz>, String> {
    match tz.from_local_datetime(&naive) {
        LocalResult::Single(t) => Ok(t),
        LocalResult::None => Err(format!(
            "`{}` does not exist in {tz}: clocks spring forward past it that night; \
             correct the time in the practice-management system",
            naive.format("%Y-%m-%d %H:%M")
        )),
        LocalResult::Ambiguous(a, b) => Err(format!(
            "`{}` happens twice in {tz} (UTC offsets {} and {}) because clocks fall back; \
             correct the time in the practice-management system",
            naive.format("%Y-%m-%d %H:%M"),
            a.format("%:z"),
            b.format("%:z")
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_parsed_once_parse_as_chrono_parses_them() {
        let texts = [
            "2026-11-24 10:15:00",
            "2026-11-24 10:15",
            "2026-02-30 10:00:00",
            "11/24/2026 3:05 PM",
            "11/24/26",
            "2026-11-24",
            "15:05",
            "3:05 PM",
            "",
            "garbage",
            "2026-11-24T10:15:00",
        ];
        let formats = [
            "%Y-%m-%d %H:%M:%S",
            "%Y-%m-%d %H:%M",
            "%m/%d/%Y %I:%M %p",
            "%m/%d/%y",
            "%Y-%m-%d",
            "%H:%M",
            "%I:%M %p",
            "%Y-%m-%dT%H:%M:%S",
            "%Q bad %",
            "",
        ];
        for text in texts {
            for format in formats {
                for _ in 0..2 {
                    let pair = (text, format);
                    assert_eq!(
                        datetime_from_str(text, format),
                        NaiveDateTime::parse_from_str(text, format),
                        "{pair:?}"
                    );
                    assert_eq!(
                        date_from_str(text, format),
                        NaiveDate::parse_from_str(text, format),
                        "{pair:?}"
                    );
                    assert_eq!(
                        time_from_str(text, format),
                        NaiveTime::parse_from_str(text, format),
                        "{pair:?}"
                    );
                }
            }
        }
    }

    fn f(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    const CHICAGO: Tz = chrono_tz::America::Chicago;

    #[test]
    fn local_times_get_the_practice_offset() {
        let formats = f(&["%Y-%m-%d %H:%M:%S", "%m/%d/%Y %I:%M %p"]);
        let winter = parse_datetime("2026-11-25 15:00:00", &formats, CHICAGO).unwrap();
        assert_eq!(winter.to_rfc3339(), "2026-11-25T15:00:00-06:00");
        let summer = parse_datetime("7/1/2026 9:30 AM", &formats, CHICAGO).unwrap();
        assert_eq!(summer.to_rfc3339(), "2026-07-01T09:30:00-05:00");
    }

    #[test]
    fn a_two_digit_year_is_never_read_as_the_first_century() {
        let generic = crate::config::presets::generic();
        let formats: Vec<String> = generic
            .datetime_formats
            .iter()
            .map(|s| s.to_string())
            .collect();
        let t = parse_datetime("11/24/26 3:00 PM", &formats, CHICAGO).unwrap();
        assert_eq!(t.to_rfc3339(), "2026-11-24T15:00:00-06:00");
        // Without a `%y` format the value is an error, never the year 26.
        let four_digits = f(&["%m/%d/%Y %I:%M %p"]);
        assert!(parse_datetime("11/24/26 3:00 PM", &four_digits, CHICAGO).is_err());
        // A birth date with a two-digit year is left out, not guessed.
        assert_eq!(parse_birth_date("03/22/88", &f(&["%m/%d/%Y"])), Ok(None));
    }

    #[test]
    fn offset_times_without_seconds_or_with_a_space_are_read() {
        let none: Vec<String> = Vec::new();
        for text in [
            "2026-11-25T12:40-06:00",
            "2026-11-25 12:40-06:00",
            "2026-11-25 12:40:00-06:00",
            "2026-11-25T12:40:00.000-06:00",
            "2026-11-25T18:40Z",
            "2026-11-25 18:40:00.5Z",
        ] {
            let t = parse_datetime(text, &none, CHICAGO).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(
                t.format("%Y-%m-%dT%H:%M%:z").to_string(),
                "2026-11-25T12:40-06:00"
            );
        }
        assert!(parse_datetime("2026-11-25 12:40", &none, CHICAGO).is_err());
    }

    #[test]
    fn dst_gap_and_overlap_are_errors() {
        let formats = f(&["%Y-%m-%d %H:%M:%S"]);
        let gap = parse_datetime("2026-03-08 02:30:00", &formats, CHICAGO).unwrap_err();
        assert!(gap.contains("does not exist in America/Chicago"), "{gap}");
        let twice = parse_datetime("2026-11-01 01:30:00", &formats, CHICAGO).unwrap_err();
        assert!(twice.contains("happens twice"), "{twice}");
        assert!(twice.contains("-05:00 and -06:00"), "{twice}");
    }

    #[test]
    fn impossible_dates_are_named() {
        let formats = f(&["%Y-%m-%d %H:%M:%S"]);
        let err = parse_datetime("2026-02-30 10:00:00", &formats, CHICAGO).unwrap_err();
        assert_eq!(
            err,
            "`2026-02-30 10:00:00` is not a real calendar date or time"
        );
        let err = parse_datetime("tomorrow", &formats, CHICAGO).unwrap_err();
        assert!(err.contains("is not in the expected formats"), "{err}");
    }

    /// The breaker's values (finding 6), against the Open Dental preset's formats: a time in a
    /// format not listed is named as such, with the formats; only a value written as a listed
    /// format but naming a day or time that does not exist is "not a real calendar date".
    #[test]
    fn a_format_not_listed_is_told_apart_from_an_impossible_date() {
        let formats: Vec<String> = crate::config::presets::by_name("opendental")
            .unwrap()
            .datetime_formats
            .iter()
            .map(|s| s.to_string())
            .collect();
        let listed = formats.join(", ");
        for text in [
            "2026-03-08 10:00",
            "08/03/2026 10:00:00",
            "2026-03-08 10:00:00 PM",
            "2026-11-24T09:00:00",
            "2026-11-24 09:00:00.000",
            "24.11.2026 09:00",
            "2026-11-24 09:00:00 +0000",
        ] {
            for _ in 0..2 {
                assert_eq!(
                    parse_datetime(text, &formats, CHICAGO).unwrap_err(),
                    format!("`{text}` is not in the expected formats ({listed})")
                );
            }
        }
        for text in [
            "2026-02-30 10:00:00",
            "2026-11-24 24:00:00",
            "2026-13-01 10:00:00",
            "2026-11-24 10:61:00",
            "02/30/2026 10:00 AM",
            "11/24/2026 13:00 PM",
        ] {
            for _ in 0..2 {
                assert_eq!(
                    parse_datetime(text, &formats, CHICAGO).unwrap_err(),
                    format!("`{text}` is not a real calendar date or time")
                );
            }
        }
        // A date and a time in columns of their own: the same two reasons.
        let dates = f(&["%Y-%m-%d"]);
        let times = f(&["%H:%M:%S"]);
        let both = |d, t| parse_date_and_time(d, t, &dates, &times, CHICAGO).unwrap_err();
        assert_eq!(
            both("11/24/2026", "10:00:00"),
            "`11/24/2026` is not in the expected formats (%Y-%m-%d)"
        );
        assert_eq!(
            both("2026-11-24", "10:00"),
            "`10:00` is not in the expected formats (%H:%M:%S)"
        );
        assert_eq!(
            both("2026-11-31", "10:00:00"),
            "`2026-11-31` is not a real calendar date or time"
        );
        assert_eq!(
            both("2026-11-24", "25:00:00"),
            "`25:00:00` is not a real calendar date or time"
        );
        // The spring-forward gap keeps its own words.
        let gap = parse_datetime("2026-03-08 02:30:00", &formats, CHICAGO).unwrap_err();
        assert!(gap.contains("does not exist in America/Chicago"), "{gap}");
    }

    #[test]
    fn birth_date_sentinels_mean_none() {
        let formats = f(&["%Y-%m-%d", "%m/%d/%Y"]);
        assert_eq!(parse_birth_date("0001-01-01", &formats), Ok(None));
        assert_eq!(parse_birth_date("0001-01-01 00:00:00", &formats), Ok(None));
        assert_eq!(parse_birth_date("0000-00-00", &formats), Ok(None));
        assert_eq!(parse_birth_date("0000-00-00 00:00:00", &formats), Ok(None));
        assert_eq!(
            parse_birth_date("03/22/1988", &formats),
            Ok(NaiveDate::from_ymd_opt(1988, 3, 22))
        );
        assert!(parse_birth_date("22/22/1988", &formats).is_err());
    }

    #[test]
    fn remembered_values_are_the_values_parsed_anew() {
        let texts = [
            "2026-11-24 10:15:00",
            "11/24/26 3:00 PM",
            "2026-03-08 02:30:00",
            "2026-11-01 01:30:00",
            "2026-11-25T12:40-06:00",
            "garbage",
            "2026-02-30 10:00:00",
            "2026-03-08 10:00",
            "2026-11-24T09:00:00",
            "2026-11-24 24:00",
        ];
        let lists = [
            f(&["%Y-%m-%d %H:%M:%S", "%m/%d/%y %I:%M %p"]),
            f(&["%m/%d/%Y %I:%M %p"]),
            f(&["%Y-%m-%d %H:%M"]),
        ];
        let zones = [CHICAGO, chrono_tz::America::Denver, chrono_tz::UTC];
        // Twice round, with the formats and zones changing under the memo.
        for _ in 0..2 {
            for formats in &lists {
                for tz in zones {
                    for text in texts {
                        for _ in 0..2 {
                            assert_eq!(
                                parse_datetime(text, formats, tz),
                                parse_datetime_once(text, formats, tz),
                                "{text} {formats:?} {tz}"
                            );
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn pattern_counts_five_minutes_per_character() {
        assert_eq!(pattern_minutes("//XXXX//"), Ok(40));
        assert!(pattern_minutes("//XX-X//").is_err());
    }

    #[test]
    fn a_pattern_counts_every_kind_of_slot_and_names_a_letter_that_is_not_ascii() {
        assert_eq!(pattern_minutes("/x|X/"), Ok(25));
        let error = pattern_minutes("//XX\u{d7}X//").unwrap_err();
        assert!(error.contains("contains a letter"), "{error}");
    }
}
