//! The calling day: the day a run's calls go out, which is what "tomorrow" is relative to.
//!
//! A nightly job starts whenever its timer fires: at 02:00 on a UTC server (the evening before
//! in America), or at 20:30 after the office closed. Taken from the start time, "tomorrow" would
//! then be the day the calls are made, and patients would be called about today's appointments.
//! So each location's selection is based on the moment its calling window opens: the opening of
//! the window that is open at the start, else the next opening (later today before 09:00, the
//! next day after 20:00). A run started at 20:30, at 02:00 UTC, at 08:00 or at 11:00 (a rerun,
//! the full run after a canary) selects what one started at 09:00 selects.

use std::fmt;

use chrono::{DateTime, Duration, TimeZone, Utc};
use chrono_tz::Tz;

use crate::locations::Location;

/// When one location's calls can start, and the zone its appointment times are in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CallingDay {
    /// When the location's calling window that is open at the run's start opened, else when it
    /// next opens.
    pub base: DateTime<Utc>,
    pub zone: Tz,
}

impl CallingDay {
    /// The calling day for one location's window, for a run starting at `now`.
    pub fn of(location: &Location, now: DateTime<Utc>) -> CallingDay {
        let base = match location.hours.org_open(now) {
            Ok(()) => location.hours.org_window_start(now).unwrap_or(now),
            // No opening within the look-ahead (a window that never opens): keep the start.
            Err(closed) => closed.opens_at.unwrap_or(now),
        };
        CallingDay {
            base,
            zone: location.practice.timezone,
        }
    }

    /// One per location, in the settings' order (the index an appointment's `location` holds).
    pub fn for_locations(locations: &[Location], now: DateTime<Utc>) -> Vec<CallingDay> {
        locations.iter().map(|l| CallingDay::of(l, now)).collect()
    }

    /// `calling day Sat 2026-12-05, appointments on Sun 2026-12-06`, for the summary line, the
    /// preview and the report.
    pub fn describe(&self, window: Window) -> String {
        let day = |t: DateTime<Utc>| {
            t.with_timezone(&self.zone)
                .format("%a %Y-%m-%d")
                .to_string()
        };
        let (from, to) = window_bounds(window, self.base, self.zone);
        match window {
            Window::Tomorrow => format!(
                "calling day {}, appointments on {}",
                day(self.base),
                day(from)
            ),
            Window::Hours { .. } => {
                let time = |t: DateTime<Utc>| {
                    t.with_timezone(&self.zone)
                        .format("%a %Y-%m-%d %H:%M %Z")
                        .to_string()
                };
                format!(
                    "calling day {}, appointments from {} to {}",
                    day(self.base),
                    time(from),
                    time(to)
                )
            }
        }
    }
}

/// The calling days of every location as one text: one entry when they agree (a single practice,
/// or a group in one zone), else each location's, labelled.
pub fn describe_all(locations: &[Location], days: &[CallingDay], window: Window) -> String {
    let texts: Vec<String> = days.iter().map(|d| d.describe(window)).collect();
    joined(locations, texts)
}

/// [`describe_all`] in the report's words: `Calls made Mon 23 Nov 2026 for appointments on Tue
/// 24 Nov 2026` (`Calls to be made` for a dry run). An office manager reads the report, not a
/// log, so no ISO dates.
pub fn in_words_all(
    locations: &[Location],
    days: &[CallingDay],
    window: Window,
    dry_run: bool,
) -> String {
    let texts: Vec<String> = days.iter().map(|d| d.in_words(window, dry_run)).collect();
    joined(locations, texts)
}

/// The distinct calling dates (`Mon 23 Nov 2026`), in the locations' order, for a page title.
pub fn dates(days: &[CallingDay]) -> Vec<String> {
    let mut dates: Vec<String> = Vec::new();
    for d in days {
        let date = d.base.with_timezone(&d.zone).format(DATE).to_string();
        if !dates.contains(&date) {
            dates.push(date);
        }
    }
    dates
}

/// A date as people write it: `Mon 23 Nov 2026`.
pub const DATE: &str = "%a %-d %b %Y";

impl CallingDay {
    /// The calling day and the appointments it is about, in plain words.
    pub fn in_words(&self, window: Window, dry_run: bool) -> String {
        let local = |t: DateTime<Utc>| t.with_timezone(&self.zone);
        let (from, to) = window_bounds(window, self.base, self.zone);
        let day = local(self.base).format(DATE);
        let made = match dry_run {
            true => "to be made",
            false => "made",
        };
        match window {
            Window::Tomorrow => format!(
                "Calls {made} {day} for appointments on {}",
                local(from).format(DATE)
            ),
            Window::Hours { .. } => {
                let time = "%a %-d %b %H:%M %Z";
                format!(
                    "Calls {made} {day} for appointments from {} to {}",
                    local(from).format(time),
                    local(to).format(time)
                )
            }
        }
    }
}

/// One text when every location's agrees, else each location's, labelled.
fn joined(locations: &[Location], texts: Vec<String>) -> String {
    match texts.split_first() {
        None => String::new(),
        Some((first, rest)) if rest.iter().all(|t| t == first) => first.clone(),
        Some(_) => {
            let each: Vec<String> = locations
                .iter()
                .zip(&texts)
                .map(|(l, t)| format!("{}: {t}", l.label()))
                .collect();
            each.join("; ")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_report_says_the_calling_day_and_the_appointments_in_plain_words() {
        // 18:30 in Chicago is 00:30 UTC the next day: the days are Chicago's.
        let day = CallingDay {
            base: "2026-11-24T00:30:00Z".parse().unwrap(),
            zone: chrono_tz::America::Chicago,
        };
        assert_eq!(
            day.in_words(Window::Tomorrow, false),
            "Calls made Mon 23 Nov 2026 for appointments on Tue 24 Nov 2026"
        );
        assert_eq!(
            day.in_words(Window::Hours { from: 2, to: 26 }, true),
            "Calls to be made Mon 23 Nov 2026 for appointments from Mon 23 Nov 20:30 CST to \
             Tue 24 Nov 20:30 CST"
        );
        assert_eq!(dates(&[day, day]), ["Mon 23 Nov 2026"]);
    }
}

/// Which appointments, by start time, a run is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Window {
    /// The calendar day after the calling day, in the practice's zone.
    Tomorrow,
    /// Starting between `from` and `to` hours (on the wall clock) after the calling day's calling
    /// hours open.
    Hours { from: u32, to: u32 },
}

impl Window {
    /// Parses `"tomorrow"` or an hour range such as `"12h-48h"`.
    pub fn parse(text: &str) -> Result<Window, String> {
        let t = text.trim().to_ascii_lowercase();
        if t == "tomorrow" {
            return Ok(Window::Tomorrow);
        }
        let range = t.split_once('-').and_then(|(a, b)| {
            let hours = |s: &str| s.trim().strip_suffix('h')?.trim().parse::<u32>().ok();
            Some((hours(a)?, hours(b)?))
        });
        match range {
            Some((from, to)) if from < to => Ok(Window::Hours { from, to }),
            _ => Err(format!(
                "`{text}` is not a window: use \"tomorrow\" or a range of hours from the start of calling hours such as \"12h-48h\""
            )),
        }
    }
}

impl fmt::Display for Window {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Window::Tomorrow => write!(f, "tomorrow"),
            Window::Hours { from, to } => write!(f, "{from}h-{to}h from the calling hours' start"),
        }
    }
}

/// The half-open interval of start times the window covers, from `base` (a calling day's start).
/// Hours count on the wall clock in `tz`, so that one night's window ends where the next one's
/// starts across a change of daylight-saving time (a day of 23 or 25 hours).
pub fn window_bounds(
    window: Window,
    base: DateTime<Utc>,
    tz: Tz,
) -> (DateTime<Utc>, DateTime<Utc>) {
    match window {
        Window::Hours { from, to } => {
            let local = base.with_timezone(&tz).naive_local();
            let at = |hours: u32| {
                let wall = local + Duration::hours(hours.into());
                // A wall time in a DST gap: the gap's first instant after it; one that happens
                // twice: the first.
                tz.from_local_datetime(&wall)
                    .earliest()
                    .or_else(|| {
                        tz.from_local_datetime(&(wall + Duration::hours(1)))
                            .earliest()
                    })
                    .map_or(base + Duration::hours(hours.into()), |t| {
                        t.with_timezone(&Utc)
                    })
            };
            (at(from), at(to))
        }
        Window::Tomorrow => {
            let today = base.with_timezone(&tz).date_naive();
            let midnight = |days: i64| {
                let date = today + Duration::days(days);
                // Midnight can fall in a DST gap in some zones; the earliest valid time then.
                let local = date.and_hms_opt(0, 0, 0).expect("midnight exists");
                tz.from_local_datetime(&local)
                    .earliest()
                    .unwrap_or_else(|| tz.from_utc_datetime(&local))
                    .with_timezone(&Utc)
            };
            (midnight(1), midnight(2))
        }
    }
}
