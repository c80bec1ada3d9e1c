//! "Calls over time": when requests went out, in the practice's own time, as bars an inline SVG
//! draws (no script, no chart library). Pure: times in, geometry out.
//!
//! The office reads its own clock: a call at 00:30 UTC is an evening call at 18:30 in Chicago,
//! so every label is local, with the zone's abbreviation. A group whose locations are in several
//! zones gets one chart per zone. Bars are per minute, or per 2, 5, 10, ... minutes when the
//! calls span more than [`MAX_BARS`] minutes, so the chart always fits the page's width.

use chrono::{DateTime, Duration, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use serde::Serialize;

/// At most this many bars (and so at most [`WIDTH`] pixels wide).
const MAX_BARS: i64 = 48;
/// The bucket sizes tried, in minutes, smallest first.
const BUCKETS: [i64; 12] = [1, 2, 5, 10, 15, 30, 60, 120, 180, 360, 720, 1440];
/// The widest a bar's slot is, and the plot's widest.
const SLOT: i64 = 40;
const WIDTH: i64 = MAX_BARS * 20;
const HEIGHT: i64 = 120;
/// Room above the bars for their counts, and below for the time labels.
const TOP: i64 = 20;
const BOTTOM: i64 = 26;
const LEFT: i64 = 8;

/// One chart, ready for the template.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Chart {
    /// Whose calls, when a group's locations are in several zones (else empty).
    pub locations: String,
    /// `America/Chicago (CST)`.
    pub zone: String,
    /// `per minute`, `per 5 minutes`.
    pub per: String,
    pub calls: usize,
    /// First and last call, local (`18:30 CST`).
    pub from: String,
    pub to: String,
    pub width: i64,
    pub height: i64,
    /// Where the bars stand.
    pub baseline: i64,
    pub bars: Vec<Bar>,
    pub ticks: Vec<Tick>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Bar {
    pub x: i64,
    pub y: i64,
    pub width: i64,
    pub height: i64,
    pub calls: usize,
    /// `18:30 CST`: when the bar's minutes start.
    pub label: String,
    /// Where the count is written above the bar; `None` when bars are too narrow for it.
    pub count_x: Option<i64>,
    pub count_y: i64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Tick {
    pub x: i64,
    pub y: i64,
    /// `start`, `middle` or `end`: labels at the edges stay inside the drawing.
    pub anchor: &'static str,
    pub text: String,
}

/// The chart of `times` (when each request went out), in `zone`; `None` without any.
pub fn chart(locations: String, zone: Tz, times: &[DateTime<Utc>]) -> Option<Chart> {
    let mut local: Vec<NaiveDateTime> = times
        .iter()
        .map(|t| t.with_timezone(&zone).naive_local())
        .collect();
    local.sort();
    let (first, last) = (*local.first()?, *local.last()?);
    let minute = |t: NaiveDateTime| t.and_utc().timestamp().div_euclid(60);
    let (start, end) = (minute(first), minute(last));
    let size = BUCKETS
        .into_iter()
        .find(|b| end.div_euclid(*b) - start.div_euclid(*b) < MAX_BARS)
        .unwrap_or(1440);
    let origin = start.div_euclid(size);
    let count = (end.div_euclid(size) - origin + 1) as usize;
    let mut per_bucket = vec![0usize; count];
    for t in &local {
        per_bucket[(minute(*t).div_euclid(size) - origin) as usize] += 1;
    }
    let several_days = first.date() != last.date();
    let label = |bucket: usize| -> String {
        let minutes = (origin + bucket as i64) * size;
        let naive = DateTime::from_timestamp(minutes * 60, 0)
            .unwrap_or_default()
            .naive_utc();
        local_label(zone, naive, several_days)
    };
    let slot = SLOT.min(WIDTH / count as i64).max(2);
    let bar_width = (slot * 4 / 5).max(1);
    let max = per_bucket.iter().copied().max().unwrap_or(1).max(1);
    let bars: Vec<Bar> = per_bucket
        .iter()
        .enumerate()
        .map(|(i, &calls)| {
            let height = (calls * HEIGHT as usize / max) as i64;
            let x = LEFT + i as i64 * slot;
            let y = TOP + HEIGHT - height;
            Bar {
                x,
                y,
                width: bar_width,
                height,
                calls,
                label: label(i),
                count_x: (slot >= 16 && calls > 0).then_some(x + bar_width / 2),
                count_y: y - 4,
            }
        })
        .collect();
    let plot = count as i64 * slot;
    let width = (plot + 2 * LEFT).max(360);
    let axis = TOP + HEIGHT + 18;
    // The first and the last bar's times, and a few between when there is room for them (a
    // label takes about 100 pixels).
    let room = (plot / 160).max(1) as usize;
    let step = count.div_ceil(room).max(1);
    let mut ticks: Vec<Tick> = Vec::new();
    for i in (0..count).step_by(step).chain([count - 1]) {
        if ticks.iter().any(|t| t.text == label(i)) {
            continue;
        }
        ticks.push(Tick {
            x: LEFT + i as i64 * slot,
            y: axis,
            anchor: "start",
            text: label(i),
        });
    }
    // The last label ends at its bar's right edge (it would run off the drawing otherwise), and
    // a middle label that would run into it is dropped.
    if ticks.len() > 1 {
        let last = ticks.len() - 1;
        ticks[last].anchor = "end";
        ticks[last].x = LEFT + (count as i64 - 1) * slot + bar_width;
        if last > 1 && ticks[last].x - ticks[last - 1].x < 220 {
            ticks.remove(last - 1);
        }
    }
    let per = match size {
        1 => "per minute".to_string(),
        n if n % 60 == 0 && n > 60 => format!("per {} hours", n / 60),
        60 => "per hour".to_string(),
        n => format!("per {n} minutes"),
    };
    Some(Chart {
        locations,
        zone: format!(
            "{} ({})",
            zone.name().replace('_', " "),
            zone_abbreviation(zone, first)
        ),
        per,
        calls: times.len(),
        from: local_label(zone, first, several_days),
        to: local_label(zone, last, several_days),
        width,
        height: axis + BOTTOM - 14,
        baseline: TOP + HEIGHT,
        bars,
        ticks,
    })
}

/// `18:30 CST`, or `Mon 18:30 CST` when the calls span several days.
fn local_label(zone: Tz, local: NaiveDateTime, with_day: bool) -> String {
    let format = match with_day {
        true => "%a %H:%M %Z",
        false => "%H:%M %Z",
    };
    // A bucket can start in a spring-forward gap: the time an hour later is the same instant.
    let at = |t: NaiveDateTime| zone.from_local_datetime(&t).earliest();
    match at(local).or_else(|| at(local + Duration::hours(1))) {
        Some(t) => t.format(format).to_string(),
        None => local.format("%H:%M").to_string(),
    }
}

fn zone_abbreviation(zone: Tz, local: NaiveDateTime) -> String {
    local_label(zone, local, false)
        .rsplit(' ')
        .next()
        .unwrap_or_default()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn times_are_the_practice_s_with_its_zone_never_utc() {
        let times = [
            at("2026-11-24T00:30:05Z"),
            at("2026-11-24T00:30:40Z"),
            at("2026-11-24T00:32:10Z"),
        ];
        let c = chart(String::new(), chrono_tz::America::Chicago, &times).unwrap();
        assert_eq!(c.zone, "America/Chicago (CST)");
        assert_eq!((c.from.as_str(), c.to.as_str()), ("18:30 CST", "18:32 CST"));
        assert_eq!(c.per, "per minute");
        let calls: Vec<usize> = c.bars.iter().map(|b| b.calls).collect();
        assert_eq!(calls, [2, 0, 1], "empty minutes keep their place");
        assert_eq!(c.bars[0].label, "18:30 CST");
        assert_eq!(c.bars[0].height, HEIGHT);
        assert_eq!(c.bars[2].height, HEIGHT / 2);
        let ticks: Vec<&str> = c.ticks.iter().map(|t| t.text.as_str()).collect();
        assert_eq!(ticks, ["18:30 CST", "18:32 CST"]);
        assert_eq!(c.ticks[1].anchor, "end");
        // Summer time has its own abbreviation.
        let summer = chart(
            String::new(),
            chrono_tz::America::Chicago,
            &[at("2026-07-01T23:05:00Z")],
        );
        assert_eq!(summer.unwrap().from, "18:05 CDT");
    }

    #[test]
    fn a_long_run_gets_wider_bars_and_always_fits_the_page() {
        // 500 calls, one every 12 seconds: 100 minutes.
        let start = at("2026-11-24T01:00:00Z");
        let times: Vec<DateTime<Utc>> = (0..500)
            .map(|i| start + Duration::seconds(12 * i))
            .collect();
        let c = chart(String::new(), chrono_tz::America::Los_Angeles, &times).unwrap();
        assert_eq!(c.per, "per 5 minutes");
        assert_eq!(c.bars.len(), 20);
        assert_eq!(c.bars.iter().map(|b| b.calls).sum::<usize>(), 500);
        assert_eq!(c.bars[0].label, "17:00 PST");
        assert!(c.width <= WIDTH + 2 * LEFT, "{}", c.width);
        let last = c.bars.last().unwrap();
        assert!(last.x + last.width <= c.width);
        // Calls over a whole day: one bar per hour at most, still within the width.
        let day: Vec<DateTime<Utc>> = (0..30).map(|i| start + Duration::hours(i)).collect();
        let c = chart(String::new(), chrono_tz::America::Chicago, &day).unwrap();
        assert!(c.bars.len() as i64 <= MAX_BARS && c.width <= WIDTH + 2 * LEFT);
        assert!(
            c.from.starts_with("Mon "),
            "several days name the day: {}",
            c.from
        );
    }

    #[test]
    fn no_calls_no_chart() {
        assert_eq!(chart(String::new(), chrono_tz::UTC, &[]), None);
    }
}
