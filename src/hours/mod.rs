//! Calling hours: when a call may start.
//!
//! The API accepts calls 09:00–20:00 in the organisation's zone; the law counts the *patient's*
//! local time (47 CFR 64.1200(c): 08:00–21:00 where the phone is). A practice in New York calling
//! a Los Angeles mobile at 09:00 rings it at 06:00. So a call may start only when both windows
//! are open: the organisation's (narrowed by config, never widened) and the recipient's (default
//! 09:00–20:00, never wider than 08:00–21:00) in *every* zone the number's area code may be in.
//! A number whose zone cannot be told from it gets the window that is open in all US zones.

pub mod area_zones;

use std::fmt;

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

/// Where a number may be, for the calling window.
#[derive(Debug, Clone, PartialEq)]
pub struct RecipientZones {
    pub zones: Vec<Tz>,
    /// False when the zones are a fallback (unknown area code, non-NANP number).
    pub known: bool,
}

impl RecipientZones {
    /// The zones for an E.164 number, from its North American area code.
    pub fn for_number(e164: &str) -> RecipientZones {
        let area = e164
            .strip_prefix("+1")
            .filter(|rest| rest.len() == 10)
            .and_then(|rest| rest[..3].parse::<u16>().ok());
        let zones: Vec<Tz> = area
            .map(area_zones::zones_for_area_code)
            .unwrap_or(&[])
            .iter()
            .filter_map(|name| name.parse().ok())
            .collect();
        if zones.is_empty() {
            RecipientZones {
                zones: ALL_US_ZONES.to_vec(),
                known: false,
            }
        } else {
            RecipientZones { zones, known: true }
        }
    }

    fn describe(&self) -> String {
        if !self.known {
            return "every US time zone, since the number's own zone is unknown".to_string();
        }
        let names: Vec<&str> = self.zones.iter().map(|z| z.name()).collect();
        match names.as_slice() {
            [one] => format!("the recipient's zone, {one}"),
            many => format!(
                "all of the recipient's possible zones ({}), since the area code spans several",
                many.join(", ")
            ),
        }
    }
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

/// How far ahead to look for the next opening.
const LOOKAHEAD_DAYS: i64 = 8;

impl CallingHours {
    /// `Ok` if the organisation's window is open at `t`.
    pub fn org_open(&self, t: DateTime<Utc>) -> Result<(), Closed> {
        if open_in(&self.org, self.org_zone, t) {
            return Ok(());
        }
        let opens_at = self.next_opening(&[], t);
        Err(Closed {
            reason: format!(
                "calling hours ({} {}) are closed{}",
                self.org,
                self.org_zone,
                opens_text(opens_at, self.org_zone)
            ),
            opens_at,
        })
    }

    /// `Ok` if a call to a number in `zones` may start at `t`.
    pub fn may_call(&self, zones: &RecipientZones, t: DateTime<Utc>) -> Result<(), Closed> {
        self.org_open(t)?;
        if zones.zones.iter().all(|z| open_in(&self.recipient, *z, t)) {
            return Ok(());
        }
        let opens_at = self.next_opening(&zones.zones, t);
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
    window.contains(t.with_timezone(&zone).time())
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
