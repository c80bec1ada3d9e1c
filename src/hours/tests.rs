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
    assert_eq!(la.source, ZoneSource::AreaCode);
    let unknown = RecipientZones::for_number("+18005550147");
    assert_eq!(unknown.source, ZoneSource::Unknown);
    assert_eq!(unknown.zones.len(), ALL_US_ZONES.len());
}

#[test]
fn other_countries_get_every_zone_of_their_country() {
    let london = RecipientZones::for_number("+442079460958");
    assert_eq!(london.source, ZoneSource::Country(44));
    assert!(london.zones.contains(&chrono_tz::Europe::London));
    assert!(!london
        .zones
        .iter()
        .any(|z| z.name().starts_with("America/")));
    let lisbon = RecipientZones::for_number("+351211234567");
    assert_eq!(
        lisbon.zones,
        vec![chrono_tz::Atlantic::Azores, chrono_tz::Europe::Lisbon]
    );
    // Three-digit codes are found too, and a code with no zones is not mistaken for one.
    assert_eq!(
        RecipientZones::for_number("+353861234567").source,
        ZoneSource::Country(353)
    );
    let global = RecipientZones::for_number("+80012345678");
    assert_eq!(global.source, ZoneSource::Unknown);
    assert!(global.zones.is_empty());
}

#[test]
fn a_london_number_is_called_in_london_hours_not_the_practices() {
    let london = RecipientZones::for_number("+442079460958");
    // 15:00 in Chicago is 21:00 in London in late November.
    let closed = hours().may_call(&london, chicago(23, 15, 0)).unwrap_err();
    assert_eq!(
        closed.reason,
        "outside calling hours (09:00–20:00 in all of the recipient's possible zones \
         (Europe/Guernsey, Europe/Isle_of_Man, Europe/Jersey, Europe/London), since country code \
         +44 spans several); callable from Tue 2026-11-24 09:00 CST"
    );
    // 09:00 in Chicago is 15:00 in London: both windows open. 14:00 is 20:00 there: closed.
    assert!(hours().may_call(&london, chicago(24, 9, 0)).is_ok());
    assert!(hours().may_call(&london, chicago(24, 13, 59)).is_ok());
    assert!(hours().may_call(&london, chicago(24, 14, 0)).is_err());
    let paris = RecipientZones::for_number("+33612345678");
    let closed = hours().may_call(&paris, chicago(23, 15, 0)).unwrap_err();
    assert!(
        closed
            .reason
            .contains("in the recipient's zone, Europe/Paris)"),
        "{}",
        closed.reason
    );
}

#[test]
fn a_number_abroad_whose_zone_is_unknown_is_never_called() {
    let global = RecipientZones::for_number("+80012345678");
    for hour in [9, 12, 15, 19] {
        let closed = hours().may_call(&global, chicago(24, hour, 0)).unwrap_err();
        assert_eq!(closed.opens_at, None);
        assert!(
            closed.reason.contains("time zone is unknown"),
            "{}",
            closed.reason
        );
    }
}

/// A zone the tables name but chrono-tz cannot read would make the number's zone unknown.
#[test]
fn every_generated_zone_is_a_zone_chrono_tz_knows() {
    let tables = [area_zones::AREA_ZONES, area_zones::COUNTRY_ZONES];
    for (key, zones) in tables.iter().flat_map(|t| t.iter()) {
        for zone in *zones {
            assert!(zone.parse::<Tz>().is_ok(), "{key}: {zone}");
        }
    }
}

/// Every country libphonenumber validates numbers for has zones, so an allowed country's
/// numbers are never "unknown" (and so never callable).
#[test]
fn every_geographic_country_code_has_zones() {
    for meta in phonenumber::metadata::DATABASE.iter() {
        let code = meta.country_code();
        if code == 1 || meta.id() == "001" {
            continue;
        }
        assert!(
            !area_zones::zones_for_country_code(code).is_empty(),
            "{} (+{code})",
            meta.id()
        );
    }
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
fn when_the_practice_is_closed_a_hawaii_number_is_callable_from_nine_its_own_time() {
    let hawaii = RecipientZones::for_number("+18085550147");
    let closed = hours().may_call(&hawaii, chicago(23, 22, 0)).unwrap_err();
    // 09:00 in Honolulu is 13:00 in Chicago, not the practice's 09:00.
    assert_eq!(closed.opens_at, Some(chicago(24, 13, 0)));
    assert!(
        closed
            .reason
            .ends_with("callable from Tue 2026-11-24 13:00 CST"),
        "{}",
        closed.reason
    );
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

/// The remembered closed answer is the one worked out afresh, whatever was asked before it.
#[test]
fn a_remembered_answer_is_the_answer_to_the_same_question_only() {
    let other = CallingHours {
        org_zone: chrono_tz::America::New_York,
        ..hours()
    };
    let numbers = [
        "+13125550147",
        "+12135550147",
        "+18085550147",
        "+442079460000",
    ];
    let mut asked = Vec::new();
    for number in numbers {
        for h in [0, 7, 8, 9, 12, 19, 20, 21, 23] {
            for calling in [hours(), other.clone()] {
                asked.push((
                    calling,
                    RecipientZones::for_number(number),
                    chicago(24, h, 30),
                ));
            }
        }
    }
    // Each question twice in a row (the second answered from memory), then all again in turn.
    for (calling, zones, t) in asked.iter().chain(asked.iter()) {
        let fresh = calling.answer(zones, *t);
        assert_eq!(calling.may_call(zones, *t), fresh);
        assert_eq!(calling.may_call(zones, *t), fresh);
    }
}

/// Asked minute by minute across two days and a night, in rising order as a preview asks (the
/// remembered answer standing for later times), every answer is the one worked out afresh.
#[test]
fn remembered_answers_for_later_times_are_the_answers_worked_out() {
    let narrow = CallingHours {
        org: TimeWindow::new((10, 0), (18, 30)),
        recipient: TimeWindow::new((8, 0), (21, 0)),
        ..hours()
    };
    let numbers = [
        "+13125550147",
        "+12135550147",
        "+18085550147",
        "+19075550147",
        "+442079460000",
        "+61255501234",
    ];
    for calling in [hours(), narrow] {
        for number in numbers {
            let zones = RecipientZones::for_number(number);
            let mut t = chicago(23, 0, 0) + Duration::seconds(17);
            while t < chicago(26, 0, 0) {
                assert_eq!(
                    calling.may_call(&zones, t),
                    calling.answer(&zones, t),
                    "{number} {t}"
                );
                t += Duration::seconds(59);
            }
        }
    }
}
