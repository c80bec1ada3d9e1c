//! The calling day: the day a run's calls go out, which is what "tomorrow" is relative to.
//!
//! A nightly job starts whenever its timer fires: at 02:00 on a UTC server (the evening before
//! in America), or at 20:30 after the office closed. Taken from the start time, "tomorrow" would
//! then be the day the calls are made, and patients would be called about today's appointments.
//! So each location's selection is based on the moment its calling window next opens: the start
//! time itself if the window is open, else the next opening (later today before 09:00, the next
//! day after 20:00). A run started at 20:30, at 02:00 UTC or at 08:00 selects what one started at
//! 09:00 selects.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use crate::locations::Location;
use crate::select::{window_bounds, Window};

/// When one location's calls can start, and the zone its appointment times are in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CallingDay {
    /// The run's start if the location's calling window is open then, else when it next opens.
    pub base: DateTime<Utc>,
    pub zone: Tz,
}

impl CallingDay {
    /// The calling day for one location's window, for a run starting at `now`.
    pub fn of(location: &Location, now: DateTime<Utc>) -> CallingDay {
        let base = match location.hours.org_open(now) {
            Ok(()) => now,
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
