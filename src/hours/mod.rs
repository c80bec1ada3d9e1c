//! Calling hours: when a call may start.
//!
//! The API accepts calls 09:00–20:00 in the organisation's zone; the law counts the *patient's*
//! local time (47 CFR 64.1200(c): 08:00–21:00 where the phone is). A practice in New York calling
//! a Los Angeles mobile at 09:00 rings it at 06:00. So a call may start only when both windows
//! are open: the organisation's (narrowed by config, never widened) and the recipient's (default
//! 09:00–20:00, never wider than 08:00–21:00) in *every* zone the number may be in: its area
//! code's for a North American number, every zone of its country for any other (a number
//! abroad never gets the US window). A North American number whose zone cannot be told from it
//! gets the window that is open in all US zones; any other number whose zone is unknown is never
//! inside its hours, since no window is known to be.

pub mod area_zones;

use std::fmt;
use std::sync::LazyLock;

use chrono::{DateTime, Duration, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;

/// A daily local-time window, `[start, end)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeWindow {
    pub start: NaiveTime,
    pub end: NaiveTime,
}

impl TimeWindow {
    pub fn new(start: (u32, u32), end: (u32, u32)) -> TimeWindow {
        let t = |(h, m)| NaiveTime::from_hms_opt(h, m, 0).expect("valid time");
        TimeWindow {
            start: t(start),
            end: t(end),
        }
    }

    fn contains(&self, local: NaiveTime) -> bool {
        self.start <= local && local < self.end
    }

    /// Whether `other` lies within this window.
    pub fn covers(&self, other: &TimeWindow) -> bool {
        self.start <= other.start && other.end <= self.end && other.start < other.end
    }
}

impl fmt::Display for TimeWindow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}–{}",
            self.start.format("%H:%M"),
            self.end.format("%H:%M")
        )
    }
}

/// The API's own window, in the organisation's zone.
pub fn api_window() -> TimeWindow {
    TimeWindow::new((9, 0), (20, 0))
}

/// The widest recipient-local window this tool allows (the federal quiet hours).
pub fn legal_window() -> TimeWindow {
    TimeWindow::new((8, 0), (21, 0))
}

/// Zones used when a number's own zone is unknown: every US zone, so the window is legal in all.
const ALL_US_ZONES: &[Tz] = &[
    chrono_tz::America::New_York,
    chrono_tz::America::Chicago,
    chrono_tz::America::Denver,
    chrono_tz::America::Phoenix,
    chrono_tz::America::Los_Angeles,
    chrono_tz::America::Anchorage,
    chrono_tz::Pacific::Honolulu,
];

/// What a number's zones were worked out from, for the reason a person reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ZoneSource {
    /// Its North American area code.
    AreaCode,
    /// Its country calling code (44): every zone of that country.
    Country(u16),
    /// Not known: the zones are a fallback (every US zone for +1, none otherwise).
    Unknown,
}

/// Where a number may be, for the calling window.
#[derive(Debug, Clone, PartialEq)]
pub struct RecipientZones {
    /// Every zone the phone may be in. Empty only for an unknown non-North American number,
    /// which is then never inside its hours. (From tables parsed once: every call of a large
    /// export has its zones, twice.)
    pub zones: &'static [Tz],
    pub source: ZoneSource,
}

impl RecipientZones {
    /// The zones for an E.164 number: from its area code (+1) or its country calling code.
    pub fn for_number(e164: &str) -> RecipientZones {
        let digits = e164.strip_prefix('+').unwrap_or(e164);
        if let Some(national) = digits.strip_prefix('1') {
            let area = national
                .get(..3)
                .filter(|_| national.len() == 10)
                .and_then(|a| a.parse::<u16>().ok());
            return match area.and_then(|a| BY_AREA_CODE.get(usize::from(a))?.as_deref()) {
                Some(zones) => RecipientZones {
                    zones,
                    source: ZoneSource::AreaCode,
                },
                None => RecipientZones {
                    zones: ALL_US_ZONES,
                    source: ZoneSource::Unknown,
                },
            };
        }
        // Calling codes are prefix-free: at most one of the first three prefixes is one.
        let country = (1..=3)
            .filter_map(|n| digits.get(..n)?.parse::<u16>().ok())
            .find_map(|code| Some((code, BY_COUNTRY_CODE.get(usize::from(code))?.as_deref()?)));
        match country {
            Some((code, zones)) => RecipientZones {
                zones,
                source: ZoneSource::Country(code),
            },
            None => RecipientZones {
                zones: &[],
                source: ZoneSource::Unknown,
            },
        }
    }

    fn describe(&self) -> String {
        let names: Vec<&str> = self.zones.iter().map(|z| z.name()).collect();
        match (self.source, names.as_slice()) {
            (ZoneSource::Unknown, _) => {
                "every US time zone, since the number's own zone is unknown".to_string()
            }
            (_, [one]) => format!("the recipient's zone, {one}"),
            (ZoneSource::AreaCode, many) => format!(
                "all of the recipient's possible zones ({}), since the area code spans several",
                many.join(", ")
            ),
            (ZoneSource::Country(code), many) => format!(
                "all of the recipient's possible zones ({}), since country code +{code} spans \
                 several",
                many.join(", ")
            ),
        }
    }
}

/// The zones named, or `None` when there are none or one cannot be read (a zone that cannot be
/// checked must not be dropped: the window would be wider than the law allows there).
/// The zones of each North American area code and of each country calling code, by code.
static BY_AREA_CODE: LazyLock<Vec<Option<Vec<Tz>>>> =
    LazyLock::new(|| zones_by_code(area_zones::zones_for_area_code));
static BY_COUNTRY_CODE: LazyLock<Vec<Option<Vec<Tz>>>> =
    LazyLock::new(|| zones_by_code(area_zones::zones_for_country_code));

/// Every three-digit code's zones, parsed (`None`: the table has none for it).
fn zones_by_code(names: fn(u16) -> &'static [&'static str]) -> Vec<Option<Vec<Tz>>> {
    (0..1000).map(|code| parse_zones(names(code))).collect()
}

fn parse_zones(names: &[&str]) -> Option<Vec<Tz>> {
    let zones: Vec<Tz> = names
        .iter()
        .map(|n| n.parse().ok())
        .collect::<Option<_>>()?;
    (!zones.is_empty()).then_some(zones)
}

/// The configured windows.
#[derive(Debug, Clone)]
pub struct CallingHours {
    pub org_zone: Tz,
    pub org: TimeWindow,
    pub recipient: TimeWindow,
}

/// Why a call may not start now, and when it may.
#[derive(Debug, Clone, PartialEq)]
pub struct Closed {
    pub opens_at: Option<DateTime<Utc>>,
    pub reason: String,
}

/// A closed answer of [`CallingHours::may_call`] and the question it answered.
struct Remembered {
    hours: CallingHours,
    zones: RecipientZones,
    t: DateTime<Utc>,
    /// Whether the organisation's window was open at `t`.
    org_open: bool,
    closed: Closed,
}

impl Remembered {
    /// Whether the answer to (`hours`, `zones`, `t`) is this one: the same question, or the
    /// same hours and zones at a later `t` before the opening found, the organisation's window
    /// open or closed as it was. Then no instant in between opens both windows (the opening
    /// found was the first after the earlier `t`), so the first opening at or after `t` is the
    /// same one, and the same branch writes the reason from the same values. (Only an opening
    /// within a week, so that `t`'s own look-ahead sees every start instant the earlier one's
    /// did before it.)
    fn answers(&self, hours: &CallingHours, zones: &RecipientZones, t: DateTime<Utc>) -> bool {
        let same = self.hours.org_zone == hours.org_zone
            && self.hours.org == hours.org
            && self.hours.recipient == hours.recipient
            && self.zones == *zones;
        if !same || t < self.t {
            return false;
        }
        if t == self.t {
            return true;
        }
        self.closed.opens_at.is_some_and(|opens| {
            t < opens
                && opens - self.t <= Duration::days(7)
                && open_in(&hours.org, hours.org_zone, t) == self.org_open
        })
    }
}

/// How far ahead to look for the next opening.
const LOOKAHEAD_DAYS: i64 = 8;

/// How long after the organisation's window opens a run that waited for it (`--wait-for-window`)
/// starts calling. Annie checks calling hours on its own clock: if this machine's runs a second
/// ahead of it, a call at the first instant is refused, and its patient's row needs a person. Five
/// seconds cover a clock kept by NTP and most that drift; the nightly run waits them every day.
pub const OPENING_MARGIN: Duration = Duration::seconds(5);

impl CallingHours {
    /// `Ok` if the organisation's window is open at `t`.
    pub fn org_open(&self, t: DateTime<Utc>) -> Result<(), Closed> {
        if open_in(&self.org, self.org_zone, t) {
            return Ok(());
        }
        Err(self.org_closed(self.next_opening(&[], t)))
    }

    /// The organisation's window is closed; calls may go from `opens_at`.
    fn org_closed(&self, opens_at: Option<DateTime<Utc>>) -> Closed {
        Closed {
            reason: format!(
                "calling hours ({} {}) are closed{}",
                self.org,
                self.org_zone,
                opens_text(opens_at, self.org_zone)
            ),
            opens_at,
        }
    }

    /// When the organisation's window that is open at `t` opened (today's start of calling
    /// hours, in the organisation's zone), or `None` when it is closed at `t`.
    pub fn org_window_start(&self, t: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.org_window_at(t, self.org.start)
            .map(|start| start.min(t))
    }

    /// When the organisation's window that is open at `t` closes, or `None` when it is closed
    /// at `t`. No call of this window's calling day may start at or after it.
    pub fn org_window_end(&self, t: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.org_window_at(t, self.org.end)
    }

    /// `time` on the day of the organisation's window that is open at `t` (`None` when it is
    /// closed). A time in a daylight-saving gap is the gap's first instant after it.
    fn org_window_at(&self, t: DateTime<Utc>, time: chrono::NaiveTime) -> Option<DateTime<Utc>> {
        if !open_in(&self.org, self.org_zone, t) {
            return None;
        }
        let local = t.with_timezone(&self.org_zone).date_naive().and_time(time);
        self.org_zone
            .from_local_datetime(&local)
            .earliest()
            .or_else(|| {
                let later = local + Duration::hours(1);
                self.org_zone.from_local_datetime(&later).earliest()
            })
            .map(|at| at.with_timezone(&Utc))
    }

    /// `Ok` if a call to a number in `zones` may start at `t`.
    ///
    /// A closed answer is remembered (one per thread) with the question it answers: a preview
    /// asks about every call whose turn falls after the window closes, a second apart, and the
    /// answer takes a search for the next opening and two formatted times. It answers a later
    /// `t` too, before the opening it found, while the organisation's window is as it was
    /// (open or closed): the first opening at or after such a `t` is that same one, and so is
    /// every word of the reason (see [`Remembered::answers`]).
    pub fn may_call(&self, zones: &RecipientZones, t: DateTime<Utc>) -> Result<(), Closed> {
        thread_local! {
            static LAST: std::cell::RefCell<Option<Remembered>> = const {
                std::cell::RefCell::new(None)
            };
        }
        if let Some(closed) = LAST.with_borrow(|last| {
            last.as_ref()
                .filter(|last| last.answers(self, zones, t))
                .map(|last| last.closed.clone())
        }) {
            return Err(closed);
        }
        let answer = self.answer(zones, t);
        if let Err(closed) = &answer {
            LAST.set(Some(Remembered {
                hours: self.clone(),
                zones: zones.clone(),
                t,
                org_open: open_in(&self.org, self.org_zone, t),
                closed: closed.clone(),
            }));
        }
        answer
    }

    /// [`Self::may_call`], worked out.
    fn answer(&self, zones: &RecipientZones, t: DateTime<Utc>) -> Result<(), Closed> {
        if !open_in(&self.org, self.org_zone, t) {
            // When it may be called is when both windows are open: a Hawaii patient of a Chicago
            // practice is not callable when Chicago opens.
            return Err(self.org_closed(self.next_opening(zones.zones, t)));
        }
        if zones.zones.is_empty() {
            return Err(Closed {
                opens_at: None,
                reason: format!(
                    "outside calling hours: the number's time zone is unknown, so no time is \
                     known to be within {} where it rings",
                    self.recipient
                ),
            });
        }
        if zones.zones.iter().all(|z| open_in(&self.recipient, *z, t)) {
            return Ok(());
        }
        let opens_at = self.next_opening(zones.zones, t);
        Err(Closed {
            reason: format!(
                "outside calling hours ({} in {}){}",
                self.recipient,
                zones.describe(),
                opens_text(opens_at, self.org_zone)
            ),
            opens_at,
        })
    }

    /// The first instant at or after `t` when the organisation's window and the recipient window
    /// in every one of `zones` are open.
    pub fn next_opening(&self, zones: &[Tz], t: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let open_at = |c: DateTime<Utc>| {
            open_in(&self.org, self.org_zone, c)
                && zones.iter().all(|z| open_in(&self.recipient, *z, c))
        };
        if open_at(t) {
            return Some(t);
        }
        // Openings can only begin when some window starts: try those instants in order.
        let mut candidates: Vec<DateTime<Utc>> = Vec::new();
        let starts = std::iter::once((self.org_zone, self.org.start))
            .chain(zones.iter().map(|z| (*z, self.recipient.start)));
        for (zone, start) in starts {
            let today = t.with_timezone(&zone).date_naive();
            for day in 0..=LOOKAHEAD_DAYS {
                let local = (today + Duration::days(day)).and_time(start);
                if let Some(instant) = zone.from_local_datetime(&local).earliest() {
                    let instant = instant.with_timezone(&Utc);
                    if instant > t {
                        candidates.push(instant);
                    }
                }
            }
        }
        candidates.sort();
        candidates.into_iter().find(|c| open_at(*c))
    }
}

fn open_in(window: &TimeWindow, zone: Tz, t: DateTime<Utc>) -> bool {
    window.contains(local_time(zone, t))
}

/// Time-of-day answers [`local_time`] keeps (per thread).
const LOCAL_TIMES_KEPT: usize = 4;

/// `t`'s time of day in `zone`. Every call of a run asks about the same instant (the run's
/// `now`) in the same few zones (the practice's and its patients'), and each answer searches
/// the zone's offset changes: the last few answers are kept (per thread) and given again.
fn local_time(zone: Tz, t: DateTime<Utc>) -> NaiveTime {
    type Known = [Option<(Tz, DateTime<Utc>, NaiveTime)>; LOCAL_TIMES_KEPT];
    thread_local! {
        static KNOWN: std::cell::RefCell<(Known, usize)> = const {
            std::cell::RefCell::new(([None; LOCAL_TIMES_KEPT], 0))
        };
    }
    KNOWN.with_borrow_mut(|(known, next)| {
        let found = known
            .iter()
            .flatten()
            .find(|(z, at, _)| *z == zone && *at == t);
        if let Some((_, _, time)) = found {
            return *time;
        }
        let time = t.with_timezone(&zone).time();
        known[*next] = Some((zone, t, time));
        *next = (*next + 1) % LOCAL_TIMES_KEPT;
        time
    })
}

fn opens_text(opens_at: Option<DateTime<Utc>>, zone: Tz) -> String {
    match opens_at {
        Some(t) => format!(
            "; callable from {}",
            t.with_timezone(&zone).format("%a %Y-%m-%d %H:%M %Z")
        ),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests;
