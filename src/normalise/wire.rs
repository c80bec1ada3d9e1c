//! How an appointment is written when its row is kept in a file (a large export's streamed
//! preview keeps its normalised rows in a temporary file between its two passes,
//! `engine/spill.rs`): its `Serialize` and `Deserialize` ([`appointment`]), and here its dates
//! and moments.
//!
//! chrono's serde writes a moment as text and cannot read a `DateTime<Tz>` back; these write
//! the moment as its UTC seconds and nanoseconds with its zone's place in chrono-tz's list, and
//! a date as its day number: read back exactly, without parsing text for every row.

mod appointment;

use std::cell::RefCell;

use chrono::DateTime;
use chrono_tz::{Tz, TZ_VARIANTS};
use serde::de::Error;

/// A moment's parts: seconds since 1970 (UTC), nanoseconds, the zone's place in [`TZ_VARIANTS`].
type Parts = (i64, u32, u16);

/// The parts of a moment, to write.
fn parts(t: &DateTime<Tz>) -> Parts {
    // A zone's place in the enum is its place in the list (a test checks it for every zone).
    (
        t.timestamp(),
        t.timestamp_subsec_nanos(),
        t.timezone() as u16,
    )
}

/// The moments [`from_parts`] placed lately, by their parts, each at a place its minute
/// decides: an export has a few hundred distinct start and end times, and placing one in its
/// zone (a search of the zone's changes) was a tenth of reading a row back.
const PLACED: usize = 1024;

/// A moment placed, with the parts it was placed from.
type Placed = Option<(Parts, DateTime<Tz>)>;

thread_local! {
    static RECENT: RefCell<[Placed; PLACED]> =
        const { RefCell::new([None; PLACED]) };
}

/// The moment the parts were written from, in its zone (the offset follows from the zone and
/// the moment, as when the row was normalised).
fn from_parts<E: Error>(parts: Parts) -> Result<DateTime<Tz>, E> {
    let place = (parts.0.div_euclid(60) as usize ^ usize::from(parts.2)) % PLACED;
    RECENT.with_borrow_mut(|recent| match recent[place] {
        Some((seen, moment)) if seen == parts => Ok(moment),
        _ => {
            let moment = place_parts(parts)?;
            recent[place] = Some((parts, moment));
            Ok(moment)
        }
    })
}

/// The moment `seconds` (UTC, since 1970) and `nanos` after, in `zone`, as [`from_parts`]
/// places it (the recent moments remembered); none when chrono has no such moment.
pub(super) fn placed(seconds: i64, nanos: u32, zone: Tz) -> Option<DateTime<Tz>> {
    from_parts::<serde::de::value::Error>((seconds, nanos, zone as u16)).ok()
}

/// [`from_parts`] itself, without the recent moments.
fn place_parts<E: Error>((seconds, nanos, zone): Parts) -> Result<DateTime<Tz>, E> {
    let zone = TZ_VARIANTS
        .get(usize::from(zone))
        .ok_or_else(|| E::custom(format!("no time zone number {zone}")))?;
    let utc = DateTime::from_timestamp(seconds, nanos)
        .ok_or_else(|| E::custom(format!("no moment {seconds}.{nanos}")))?;
    Ok(utc.with_timezone(zone))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_zone_is_at_its_place_in_the_list() {
        for (place, zone) in TZ_VARIANTS.iter().enumerate() {
            assert_eq!(*zone as usize, place, "{}", zone.name());
        }
    }

    #[test]
    fn a_moment_comes_back_in_its_zone() {
        use chrono::TimeZone;
        let zone = chrono_tz::America::Chicago;
        // The second 01:30 of the day clocks fall back, and a moment with nanoseconds.
        let t = zone
            .with_ymd_and_hms(2026, 11, 1, 1, 30, 0)
            .latest()
            .unwrap();
        let t = t + chrono::Duration::nanoseconds(123_456_789);
        let back: DateTime<Tz> = from_parts::<serde::de::value::Error>(parts(&t)).unwrap();
        assert_eq!(back, t);
        assert_eq!(back.timezone(), zone);
        assert_eq!(back.to_rfc3339(), t.to_rfc3339());
    }

    #[test]
    fn moments_at_one_place_of_the_recent_ones_come_back_each_in_its_zone() {
        use chrono::TimeZone;
        let chicago = chrono_tz::America::Chicago;
        let t = chicago.with_ymd_and_hms(2026, 11, 24, 9, 10, 0).unwrap();
        // The same moment in another zone; and `PLACED` minutes or a second later, at the same
        // place among the recent moments as `t`.
        let others = [
            t.with_timezone(&chrono_tz::America::Denver),
            t + chrono::Duration::minutes(PLACED as i64),
            t + chrono::Duration::seconds(1),
        ];
        for u in [t, t, others[0], t, others[1], others[2], t] {
            let back: DateTime<Tz> = from_parts::<serde::de::value::Error>(parts(&u)).unwrap();
            assert_eq!(back, u);
            assert_eq!(back.timezone(), u.timezone());
            assert_eq!(back.to_rfc3339(), u.to_rfc3339());
        }
    }
}
