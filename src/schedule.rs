//! When each call may go: its "not before" moment, and whether a row no call of this run can
//! reach will be reached by any run before its appointment.
//!
//! A nightly run used to call or give up at the moment it planned: a number called at 18:00:00.4
//! last night was skipped by the 24-hour rule at 18:00:00 tonight, and a patient in Los Angeles
//! was deferred at 09:30 Chicago time though their window opened at 11:00, well inside the
//! practice's. Each such row was an appointment without its reminder. So planning gives every call
//! the earliest moment it may go (the per-number rules, the practice's and the recipient's
//! calling windows, and the spacing between calls to one number from different locations of a
//! group), and the dispatcher holds it until then if that moment is inside this run's calling
//! window. Only rows that cannot go before the window closes are deferred or skipped, and those
//! that no later run can reach before their appointment are flagged for a person.
//!
//! Everything here but [`Spacing`] is pure: the time is an argument.

use rustc_hash::{FxHashMap, FxHashSet};
use std::sync::Mutex;

use chrono::{DateTime, Duration, Utc};

use crate::hours::{CallingHours, RecipientZones};

/// What a run's calling window is for one location, seen at the moment it plans.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CallingWindow {
    /// No call of this run may start at or after this (the location's calling hours close
    /// today); `None` when its hours are closed now, so this run calls nobody there.
    pub run_end: Option<DateTime<Utc>>,
    /// The end of the calling day's window (today's, or the next one's when the hours are closed
    /// now): the last moment any run can call the rows selected for this calling day.
    pub day_end: Option<DateTime<Utc>>,
}

impl CallingWindow {
    /// The window for a location whose hours are `hours`, for a run planning at `now`.
    pub fn of(hours: &CallingHours, now: DateTime<Utc>) -> CallingWindow {
        let run_end = hours.org_window_end(now);
        let day_end = run_end.or_else(|| {
            let opens = hours.org_open(now).err()?.opens_at?;
            hours.org_window_end(opens)
        });
        CallingWindow { run_end, day_end }
    }

    /// Whether a call planned for `at` fits in this run.
    pub fn fits(&self, at: DateTime<Utc>) -> bool {
        self.run_end.is_some_and(|end| at < end)
    }

    /// Whether a call planned for `at` fits in this run and still comes before the earliest
    /// appointment it is about (`first_start`): a reminder after the appointment has started is
    /// no reminder, whatever the selection window allows.
    pub fn fits_before(&self, at: DateTime<Utc>, first_start: Option<DateTime<Utc>>) -> bool {
        self.fits(at) && first_start.is_none_or(|start| at < start)
    }

    /// Whether some run can still call a row that may be called from `next` (`None`: no known
    /// time) about an appointment at `appointment`: on its calling day, and before it starts.
    /// When not, nobody will remind the patient unless a person does.
    pub fn covers(&self, next: Option<DateTime<Utc>>, appointment: DateTime<Utc>) -> bool {
        match (next, self.day_end) {
            (Some(next), Some(end)) => next < end && next < appointment,
            _ => false,
        }
    }
}

/// What keeps one call from going at once.
#[derive(Debug, Clone, PartialEq)]
pub struct Limits<'a> {
    pub zones: &'a RecipientZones,
    /// When the per-number rules let the number be called again (`None`: they allow it now).
    pub rules_lift: Option<DateTime<Utc>>,
    /// The latest start of a call to this number from another location of the group (this run
    /// or an earlier one).
    pub last_elsewhere: Option<DateTime<Utc>>,
    /// The least time between two locations' calls to one number (`[dispatch]
    /// same_number_spacing`).
    pub spacing: Duration,
}

/// What holds a call back at the moment it is planned, in the order a person is told.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cause {
    /// Nothing: it may go now.
    Free,
    /// A per-number rule (24 hours, 7 or 30 days, the cooldown).
    Rules,
    /// Calling hours, the practice's or the recipient's.
    Hours,
    /// Another location of the group called (or will call) this number just before.
    Spacing,
}

/// When a call may go, and what holds it back until then.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Moment {
    /// The earliest moment at or after the planning time when every limit allows the call;
    /// `None` when the calling hours never open for this number (within the look-ahead).
    pub at: Option<DateTime<Utc>>,
    pub cause: Cause,
}

/// The earliest moment at or after `now` when a call may start under `limits`: after the
/// per-number rules lift and the spacing after another location's call has passed, the first
/// instant both the organisation's and the recipient's windows are open. Rules and spacing only
/// ever lift as time passes (they count past calls), so the first instant that satisfies them
/// and the hours is the answer.
pub fn not_before(hours: &CallingHours, limits: &Limits<'_>, now: DateTime<Utc>) -> Moment {
    let mut t = now;
    if let Some(lift) = limits.rules_lift {
        t = t.max(lift);
    }
    if let Some(last) = limits.last_elsewhere {
        t = t.max(last + limits.spacing);
    }
    let at = match limits.zones.zones.is_empty() {
        // No zone is known for the number: no time is known to be within its hours.
        true => None,
        false => hours.next_opening(limits.zones.zones, t),
    };
    let cause = if limits.rules_lift.is_some_and(|lift| lift > now) {
        Cause::Rules
    } else if hours.may_call(limits.zones, now).is_err() {
        Cause::Hours
    } else if at.is_some_and(|at| at > now) {
        Cause::Spacing
    } else {
        Cause::Free
    };
    Moment { at, cause }
}

/// The text of the spacing rule, as result rows show it.
pub fn spacing_rule(spacing: Duration) -> String {
    let gap = spacing.to_std().unwrap_or_default();
    format!(
        "at least {} between calls to a number from different locations",
        humantime::format_duration(gap)
    )
}

/// The latest start of a call to each number in this run, over every location: the spacing
/// between two locations' calls to one phone holds however their dispatchers interleave. Each
/// start also keeps how that call ended, as far as this run knows ([`Earlier`]): a patient who
/// told one location's call not to call again must not get the next location's call.
#[derive(Debug)]
pub struct Spacing {
    gap: Duration,
    last: Mutex<Claims>,
    /// Whether more than one location calls in this run. With one, no call is ever spaced from
    /// another, so nothing is recorded: a million-row preview would otherwise keep every
    /// number it called (tens of megabytes) to answer a question nobody asks.
    between_locations: bool,
}

/// How a location's call to a number ended, as far as this run knows: what another location
/// must learn before it calls the number too.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Earlier {
    /// Its request has had no answer yet, or it may or may not have placed a call (not found in
    /// Annie): nobody can say yet what the patient said.
    Unsettled,
    /// It placed a call: Annie's conversation, not yet read to its end.
    Placed(String),
    /// It placed no call, or its conversation closed without a request not to be called.
    Clear,
    /// In its conversation (the id) the patient asked not to be called again.
    OptedOut(String),
}

/// Another location's latest call to a number in this run ([`Spacing::earlier_call`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct EarlierCall {
    /// The location that made it (its id).
    pub(crate) location: String,
    pub(crate) started: DateTime<Utc>,
    pub(crate) call: Earlier,
}

/// One recorded start: the location (its place in [`Claims::locations`]), when, and how the
/// call ended.
#[derive(Debug)]
struct Claim {
    place: usize,
    at: DateTime<Utc>,
    call: Earlier,
}

/// The starts [`Spacing`] recorded: number (E.164) → its latest [`Claim`], the location as its
/// place in `locations` (a run has a few; a number is written once, not once per call).
#[derive(Debug, Default)]
struct Claims {
    numbers: FxHashMap<String, Claim>,
    locations: Vec<String>,
}

impl Claims {
    /// `location`'s place, if it has claimed a number.
    fn place(&self, location: &str) -> Option<usize> {
        self.locations.iter().position(|l| l == location)
    }
}

impl Spacing {
    /// The spacing of a run over `locations` locations (see [`Spacing::between_locations`]).
    pub fn for_locations(gap: Duration, locations: usize) -> Spacing {
        Spacing {
            gap,
            last: Mutex::new(Claims::default()),
            between_locations: locations > 1,
        }
    }

    pub fn gap(&self) -> Duration {
        self.gap
    }

    fn claims(&self) -> std::sync::MutexGuard<'_, Claims> {
        self.last.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The latest start this run recorded for `number` at a location other than `location`.
    pub fn last_elsewhere(&self, location: &str, number: &str) -> Option<DateTime<Utc>> {
        self.earlier_call(location, number).map(|e| e.started)
    }

    /// The latest call this run recorded to `number` when another location than `location`
    /// made it, with how it ended so far.
    pub(crate) fn earlier_call(&self, location: &str, number: &str) -> Option<EarlierCall> {
        if !self.between_locations {
            return None;
        }
        let last = self.claims();
        let here = last.place(location);
        let claim = last.numbers.get(number).filter(|c| Some(c.place) != here)?;
        Some(EarlierCall {
            location: last.locations.get(claim.place).cloned().unwrap_or_default(),
            started: claim.at,
            call: claim.call.clone(),
        })
    }

    /// Records that `location` starts a call to `number` at `now`, unless another location
    /// started one less than the gap before: then `Err` with when it may. The preview's claim:
    /// it makes no call, so how the other call ended is not asked.
    pub fn claim(
        &self,
        location: &str,
        number: &str,
        now: DateTime<Utc>,
    ) -> Result<(), DateTime<Utc>> {
        self.claim_after(location, number, now, None)
    }

    /// [`Spacing::claim`] for a call about to be sent, whose caller has looked at the other
    /// location's call started at `checked` (`None`: there was none). Another location's call
    /// it has not looked at (one started since) is `Err(now)` at the soonest: look at it first.
    pub(crate) fn claim_checked(
        &self,
        location: &str,
        number: &str,
        now: DateTime<Utc>,
        checked: Option<DateTime<Utc>>,
    ) -> Result<(), DateTime<Utc>> {
        self.claim_after(location, number, now, Some(checked))
    }

    fn claim_after(
        &self,
        location: &str,
        number: &str,
        now: DateTime<Utc>,
        checked: Option<Option<DateTime<Utc>>>,
    ) -> Result<(), DateTime<Utc>> {
        if !self.between_locations {
            return Ok(());
        }
        let mut last = self.claims();
        let here = match last.place(location) {
            Some(here) => here,
            None => {
                last.locations.push(location.to_string());
                last.locations.len() - 1
            }
        };
        let mine = Claim {
            place: here,
            at: now,
            call: Earlier::Unsettled,
        };
        match last.numbers.get_mut(number) {
            Some(claim) => {
                if claim.place != here {
                    if claim.at + self.gap > now {
                        return Err(claim.at + self.gap);
                    }
                    if checked.is_some_and(|c| c != Some(claim.at)) {
                        return Err(now);
                    }
                }
                *claim = mine;
            }
            None => {
                if checked.is_some_and(|c| c.is_some()) {
                    // What was looked at is gone: cannot happen (a start is only replaced).
                    return Err(now);
                }
                last.numbers.insert(number.to_string(), mine);
            }
        }
        Ok(())
    }

    /// Records how `location`'s call to `number` ended (its request answered, or found in
    /// Annie), if it is still the latest call to the number.
    pub(crate) fn settled(&self, location: &str, number: &str, call: Earlier) {
        if !self.between_locations {
            return;
        }
        let mut last = self.claims();
        let here = last.place(location);
        if let Some(claim) = last.numbers.get_mut(number) {
            if Some(claim.place) == here {
                claim.call = call;
            }
        }
    }

    /// Records what reading conversation `id`, the latest call to `number`, showed (`Clear` or
    /// `OptedOut`), so that the next location to call the number need not read it again.
    pub(crate) fn read(&self, number: &str, id: &str, call: Earlier) {
        let mut last = self.claims();
        if let Some(claim) = last.numbers.get_mut(number) {
            if claim.call == Earlier::Placed(id.to_string()) {
                claim.call = call;
            }
        }
    }
}

/// A call that waits: when it may go, and why it waits until then (the rule or the hours, for
/// the preview and the log).
#[derive(Debug, Clone, PartialEq)]
pub struct Hold {
    pub at: DateTime<Utc>,
    pub why: String,
}

/// One location's plan in time: its calling window, the calls that wait (by their lead row) and
/// the settled rows no run will call before their appointment.
#[derive(Debug, Clone, PartialEq)]
pub struct Schedule {
    pub window: CallingWindow,
    pub held: FxHashMap<u64, Hold>,
    pub uncovered: FxHashSet<u64>,
    /// Notes for the result rows of calls (by lead row): a number fallen back to, say.
    pub notes: FxHashMap<u64, String>,
}

impl Schedule {
    pub fn new(window: CallingWindow) -> Schedule {
        Schedule {
            window,
            held: FxHashMap::default(),
            uncovered: FxHashSet::default(),
            notes: FxHashMap::default(),
        }
    }
}

/// What to do about a row no run will call before its appointment, as its reason ends.
pub const UNCOVERED: &str =
    "no run can call this before the appointment: remind the patient another way";

/// `Tue 2026-11-24 11:00 CST`: a moment as result rows show it, in the practice's zone.
///
/// The format is parsed once, and the last answer is kept (one per thread) for its minute: a
/// preview writes a moment into the reason of every call deferred past the window, and at the
/// configured rate many calls' turns fall in one minute. (Every zone's offset is a whole number
/// of minutes today and changes on a minute, so one minute has one text.)
pub fn when(t: DateTime<Utc>, zone: chrono_tz::Tz) -> String {
    static FORMAT: std::sync::LazyLock<Vec<chrono::format::Item<'static>>> =
        std::sync::LazyLock::new(|| crate::render::items("%a %Y-%m-%d %H:%M %Z"));
    thread_local! {
        static LAST: std::cell::RefCell<Option<(i64, chrono_tz::Tz, String)>> =
            const { std::cell::RefCell::new(None) };
    }
    let minute = t.timestamp().div_euclid(60);
    if let Some(text) = LAST.with_borrow(|last| {
        last.as_ref()
            .filter(|(at, z, _)| *at == minute && *z == zone)
            .map(|(_, _, text)| text.clone())
    }) {
        return text;
    }
    let text = t
        .with_timezone(&zone)
        .format_with_items(FORMAT.iter())
        .to_string();
    LAST.set(Some((minute, zone, text.clone())));
    text
}

/// For a preview row held for a later moment: that moment's time of day and zone (`11:00
/// CST`), from the reason the dispatcher wrote (`at Tue 2026-11-24 11:00 CST (until then: ...)`).
pub fn held_time(r: &crate::results::RowResult) -> Option<String> {
    if r.status != crate::results::Status::DryRun {
        return None;
    }
    let rest = r.reason.as_deref()?.strip_prefix("at ")?;
    let (when, _) = rest.split_once(" (until then: ")?;
    let parts: Vec<&str> = when.split(' ').collect();
    match parts.as_slice() {
        [_, _, time, zone] => Some(format!("{time} {zone}")),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hours::TimeWindow;
    use chrono::TimeZone;

    fn hours() -> CallingHours {
        CallingHours {
            org_zone: chrono_tz::America::Chicago,
            org: TimeWindow::new((9, 0), (20, 0)),
            recipient: TimeWindow::new((9, 0), (20, 0)),
        }
    }

    #[test]
    fn when_is_chronos_format_and_remembers_only_the_same_moment() {
        let zones = [chrono_tz::America::Chicago, chrono_tz::America::New_York];
        for t in [chicago(9, 0, 0), chicago(20, 0, 0), chicago(23, 59, 59)] {
            for zone in zones {
                let expected = t
                    .with_timezone(&zone)
                    .format("%a %Y-%m-%d %H:%M %Z")
                    .to_string();
                assert_eq!(when(t, zone), expected);
                assert_eq!(when(t, zone), expected);
            }
        }
    }

    /// A time on Tue 2026-11-24 in Chicago (UTC-6).
    fn chicago(h: u32, m: u32, s: u32) -> DateTime<Utc> {
        let midnight = Utc.with_ymd_and_hms(2026, 11, 24, 6, 0, 0).unwrap();
        midnight + Duration::seconds(i64::from(h * 3600 + m * 60 + s))
    }

    fn limits(zones: &RecipientZones) -> Limits<'_> {
        Limits {
            zones,
            rules_lift: None,
            last_elsewhere: None,
            spacing: Duration::minutes(15),
        }
    }

    #[test]
    fn a_free_number_goes_now() {
        let zones = RecipientZones::for_number("+13125550147");
        let m = not_before(&hours(), &limits(&zones), chicago(10, 0, 0));
        assert_eq!(m.at, Some(chicago(10, 0, 0)));
        assert_eq!(m.cause, Cause::Free);
    }

    #[test]
    fn the_24_hour_rule_lifting_in_the_window_holds_the_call_until_then() {
        let zones = RecipientZones::for_number("+13125550147");
        let l = Limits {
            rules_lift: Some(chicago(10, 0, 1)),
            ..limits(&zones)
        };
        let m = not_before(&hours(), &l, chicago(10, 0, 0));
        assert_eq!(
            m,
            Moment {
                at: Some(chicago(10, 0, 1)),
                cause: Cause::Rules
            }
        );
    }

    #[test]
    fn a_west_coast_number_waits_for_nine_its_time() {
        let zones = RecipientZones::for_number("+14155550147");
        let m = not_before(&hours(), &limits(&zones), chicago(9, 30, 0));
        assert_eq!(
            m,
            Moment {
                at: Some(chicago(11, 0, 0)),
                cause: Cause::Hours
            }
        );
        // A rule lifting at 10:00 still leaves the window: 11:00.
        let l = Limits {
            rules_lift: Some(chicago(10, 0, 0)),
            ..limits(&zones)
        };
        assert_eq!(
            not_before(&hours(), &l, chicago(9, 30, 0)).at,
            Some(chicago(11, 0, 0))
        );
    }

    #[test]
    fn another_locations_call_spaces_this_one() {
        let zones = RecipientZones::for_number("+13125550147");
        let l = Limits {
            last_elsewhere: Some(chicago(9, 55, 0)),
            ..limits(&zones)
        };
        let m = not_before(&hours(), &l, chicago(10, 0, 0));
        assert_eq!(
            m,
            Moment {
                at: Some(chicago(10, 10, 0)),
                cause: Cause::Spacing
            }
        );
    }

    #[test]
    fn a_number_with_no_known_zone_has_no_moment() {
        let zones = RecipientZones {
            zones: &[],
            source: crate::hours::ZoneSource::Unknown,
        };
        let m = not_before(&hours(), &limits(&zones), chicago(10, 0, 0));
        assert_eq!(m.at, None);
        assert_eq!(m.cause, Cause::Hours);
    }

    #[test]
    fn the_window_ends_with_todays_hours_and_covers_only_what_a_run_can_reach() {
        let w = CallingWindow::of(&hours(), chicago(10, 0, 0));
        assert_eq!(w.run_end, Some(chicago(20, 0, 0)));
        assert_eq!(w.day_end, Some(chicago(20, 0, 0)));
        assert!(w.fits(chicago(19, 59, 59)) && !w.fits(chicago(20, 0, 0)));
        let appointment = chicago(9, 0, 0) + Duration::days(1);
        assert!(w.covers(Some(chicago(19, 0, 0)), appointment));
        assert!(!w.covers(Some(chicago(9, 0, 0) + Duration::days(1)), appointment));
        assert!(!w.covers(None, appointment));
        // Before the window opens: this run calls nobody, but a run today still can.
        let early = CallingWindow::of(&hours(), chicago(8, 0, 0));
        assert_eq!(early.run_end, None);
        assert_eq!(early.day_end, Some(chicago(20, 0, 0)));
        assert!(early.covers(Some(chicago(9, 0, 0)), appointment));
        assert!(!early.fits(chicago(9, 0, 0)));
    }

    #[test]
    fn spacing_is_claimed_per_number_across_locations() {
        let s = Spacing::for_locations(Duration::seconds(2), 2);
        let t = chicago(10, 0, 0);
        assert_eq!(s.claim("1", "+1", t), Ok(()));
        assert_eq!(s.last_elsewhere("2", "+1"), Some(t));
        assert_eq!(s.last_elsewhere("1", "+1"), None);
        assert_eq!(
            s.claim("2", "+1", t + Duration::seconds(1)),
            Err(t + Duration::seconds(2))
        );
        assert_eq!(s.claim("2", "+1", t + Duration::seconds(2)), Ok(()));
        assert_eq!(s.claim("1", "+2", t), Ok(()));
    }

    #[test]
    fn a_single_location_records_no_spacing() {
        let s = Spacing::for_locations(Duration::seconds(2), 1);
        let t = chicago(10, 0, 0);
        assert_eq!(s.claim("1", "+1", t), Ok(()));
        assert_eq!(s.claim("1", "+1", t), Ok(()));
        assert_eq!(s.last_elsewhere("2", "+1"), None);
        s.settled("1", "+1", Earlier::Placed("c1".into()));
        assert_eq!(s.earlier_call("2", "+1"), None);
        assert!(s.last.lock().unwrap().numbers.is_empty());
    }

    #[test]
    fn a_call_keeps_how_it_ended_for_the_next_location() {
        let s = Spacing::for_locations(Duration::seconds(2), 2);
        let t = chicago(10, 0, 0);
        assert_eq!(s.claim_checked("1", "+1", t, None), Ok(()));
        let earlier = |call| EarlierCall {
            location: "1".into(),
            started: t,
            call,
        };
        assert_eq!(s.earlier_call("2", "+1"), Some(earlier(Earlier::Unsettled)));
        assert_eq!(s.earlier_call("1", "+1"), None);
        // Another location cannot say how it ended; its own can.
        s.settled("2", "+1", Earlier::Clear);
        s.settled("1", "+1", Earlier::Placed("c1".into()));
        assert_eq!(
            s.earlier_call("2", "+1"),
            Some(earlier(Earlier::Placed("c1".into())))
        );
        s.read("+1", "c0", Earlier::Clear);
        s.read("+1", "c1", Earlier::OptedOut("c1".into()));
        assert_eq!(
            s.earlier_call("2", "+1"),
            Some(earlier(Earlier::OptedOut("c1".into())))
        );
        // A claim after a look at another call than the latest must look again.
        let later = t + Duration::seconds(3);
        assert_eq!(s.claim_checked("2", "+1", later, None), Err(later));
        assert_eq!(s.claim_checked("2", "+1", later, Some(t)), Ok(()));
        assert_eq!(
            s.earlier_call("1", "+1").map(|e| e.call),
            Some(Earlier::Unsettled)
        );
    }
}
