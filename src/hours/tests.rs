use super::*;

const CHICAGO: Tz = chrono_tz::America::Chicago;

fn hours() -> CallingHours {
    CallingHours {
        org_zone: CHICAGO,
        org: api_window(),
        recipient: TimeWindow::new((9, 0), (20, 0)),
    }
}

fn chicago(d: u32, h: u32, m: u32) -> DateTime<Utc> {
    CHICAGO
        .with_ymd_and_hms(2026, 11, d, h, m, 0)
        .unwrap()
        .with_timezone(&Utc)
}

#[test]
fn area_codes_give_the_recipient_zone() {
    let la = RecipientZones::for_number("+14155550147");
    assert_eq!(la.zones, vec![chrono_tz::America::Los_Angeles]);
    assert!(la.known);
    let unknown = RecipientZones::for_number("+18005550147");
    assert!(!unknown.known);
    assert_eq!(unknown.zones.len(), ALL_US_ZONES.len());
    assert!(!RecipientZones::for_number("+442079460958").known);
}

#[test]
fn a_west_coast_number_waits_for_nine_its_own_time() {
    let la = RecipientZones::for_number("+14155550147");
    // 09:30 in Chicago is 07:30 in Los Angeles.
    let closed = hours().may_call(&la, chicago(24, 9, 30)).unwrap_err();
    assert_eq!(closed.opens_at, Some(chicago(24, 11, 0)));
    assert_eq!(
        closed.reason,
        "outside calling hours (09:00–20:00 in the recipient's zone, America/Los_Angeles); \
         callable from Tue 2026-11-24 11:00 CST"
    );
    assert!(hours().may_call(&la, chicago(24, 11, 0)).is_ok());
    // A Chicago number is fine at 09:30 Chicago time.
    assert!(hours()
        .may_call(
            &RecipientZones::for_number("+13125550147"),
            chicago(24, 9, 30)
        )
        .is_ok());
}

#[test]
fn org_window_closed_at_night_opens_next_morning() {
    let closed = hours().org_open(chicago(23, 22, 0)).unwrap_err();
    assert_eq!(closed.opens_at, Some(chicago(24, 9, 0)));
    assert_eq!(
        closed.reason,
        "calling hours (09:00–20:00 America/Chicago) are closed; callable from Tue 2026-11-24 09:00 CST"
    );
}

#[test]
fn an_unknown_zone_gets_the_window_open_everywhere() {
    let unknown = RecipientZones::for_number("+18005550147");
    // Open everywhere only once it is 09:00 in Honolulu (13:00 Chicago in November)...
    let closed = hours().may_call(&unknown, chicago(24, 10, 0)).unwrap_err();
    assert_eq!(closed.opens_at, Some(chicago(24, 13, 0)));
    assert!(closed
        .reason
        .contains("every US time zone, since the number's own zone is unknown"));
    // ...and until 20:00 in New York (19:00 Chicago).
    assert!(hours().may_call(&unknown, chicago(24, 18, 59)).is_ok());
    assert!(hours().may_call(&unknown, chicago(24, 19, 0)).is_err());
}

#[test]
fn an_area_code_spanning_zones_uses_the_window_open_in_all() {
    // 541 (Oregon) is Pacific and Mountain.
    let split = RecipientZones::for_number("+15415550147");
    assert_eq!(split.zones.len(), 2);
    let closed = hours().may_call(&split, chicago(24, 10, 30)).unwrap_err();
    assert!(
        closed.reason.contains("since the area code spans several"),
        "{}",
        closed.reason
    );
    assert_eq!(closed.opens_at, Some(chicago(24, 11, 0)));
}
