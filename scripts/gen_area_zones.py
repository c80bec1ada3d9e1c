#!/usr/bin/env python3
"""Generate src/hours/area_zones.rs: IANA time zones for NANP (+1) area codes and for
every other country calling code.

The data comes from libphonenumber's time-zone prefix metadata, as shipped by the
`phonenumbers` package on PyPI (the Python port of libphonenumber). Usage, from the
repository root:

    pip install phonenumbers==9.0.43
    python3 scripts/gen_area_zones.py > src/hours/area_zones.rs

The version is pinned so that a regeneration changes the table only when someone
means it to; the script refuses to run with another one (update PHONENUMBERS_VERSION
and the spot checks below together).

For each area code 200-999 the generator takes the union of the zones of every
prefix entry that starts with "1" + the area code (the 4-digit "1NPA" entry and any
longer ones such as "1NPA-NXX" that put part of an area code in another zone). Area
codes with no entry, or whose only zone is "Etc/Unknown", are left out. The bare
"1" entry (every NANP zone, libphonenumber's fallback) is deliberately ignored.

For every other country calling code the table holds the union of the zones of every
prefix entry under that code: the zones a number of that country may ring in. This is
country-level on purpose. libphonenumber's finer prefixes outside North America mostly
name where a *range* was issued, not where the phone is: every Australian mobile (+61 4)
is "Australia/Sydney", so a Perth mobile would be called at 07:00 its time. The union
is never wrong in that direction: a call is placed only when every zone is inside its
hours. Codes with no zone at all (+800, +808, +870, +878, +881-883, +888, +979: global
services and satellites) are absent.

The output is laid out the way rustfmt (default settings, edition 2021) would, so
`cargo fmt --check` passes on it unchanged.

Standard library plus `phonenumbers` only.
"""

import sys

import phonenumbers
from phonenumbers.tzdata import TIMEZONE_DATA

PHONENUMBERS_VERSION = "9.0.43"
UNKNOWN_ZONE = "Etc/Unknown"
# rustfmt defaults (max_width = 100; the "small heuristics" widths derived from it).
MAX_WIDTH = 100
ARRAY_WIDTH = 60
FN_CALL_WIDTH = 60  # tuple literals are laid out like call arguments
INDENT = "    "

# Spot checks written into the generated tests. Each is checked against the data
# here, so a regeneration that changes one of them fails loudly instead of emitting
# a test that cannot pass.
SINGLE_ZONE_CHECKS = [
    (212, "America/New_York"),
    (312, "America/Chicago"),
    (415, "America/Los_Angeles"),
    (808, "Pacific/Honolulu"),
    (416, "America/Toronto"),
    (604, "America/Vancouver"),
]
MULTI_ZONE_CHECKS = [
    (208, ["America/Boise", "America/Denver", "America/Los_Angeles"]),
    (850, ["America/Chicago", "America/New_York"]),
    (928, ["America/Denver", "America/Phoenix"]),
]
ABSENT_CHECKS = [
    (555, "not an assigned area code"),
    (800, "toll-free: no geography, so no zone"),
    (999, "not an assigned area code"),
]
COUNTRY_SINGLE_CHECKS = [
    (33, "Europe/Paris"),
    (49, "Europe/Berlin"),
    (91, "Asia/Calcutta"),
]
COUNTRY_MULTI_CHECKS = [
    (44, ["Europe/Guernsey", "Europe/Isle_of_Man", "Europe/Jersey", "Europe/London"]),
    (351, ["Atlantic/Azores", "Europe/Lisbon"]),
]
COUNTRY_ABSENT_CHECKS = [
    (1, "North America: by area code instead"),
    (800, "international freephone: no geography"),
    (881, "satellite: no geography"),
]


def area_zones():
    """Map area code (int) -> sorted list of zones, for area codes 200-999."""
    table = {}
    for prefix, zones in TIMEZONE_DATA.items():
        # "1" + 3-digit area code, optionally followed by more digits (e.g. NXX).
        if len(prefix) < 4 or not prefix.startswith("1") or not prefix[1:4].isdigit():
            continue
        area_code = int(prefix[1:4])
        if not 200 <= area_code <= 999:
            continue
        table.setdefault(area_code, set()).update(zones)
    result = {}
    for area_code, zones in table.items():
        known = {zone for zone in zones if zone != UNKNOWN_ZONE}
        if known:
            result[area_code] = sorted(known)
    return dict(sorted(result.items()))


def country_codes():
    """Every country calling code libphonenumber knows, as strings."""
    return {str(code) for code in phonenumbers.COUNTRY_CODE_TO_REGION_CODE}


def country_zones():
    """Map country calling code (int, not 1) -> sorted union of its zones."""
    codes = country_codes()
    table = {}
    for prefix, zones in TIMEZONE_DATA.items():
        if prefix.startswith("1"):
            continue
        # Calling codes are prefix-free, so at most one of these is a code.
        code = next((prefix[:n] for n in (1, 2, 3) if prefix[:n] in codes), None)
        if code is None:
            raise SystemExit(f"gen_area_zones: prefix {prefix} has no country calling code")
        table.setdefault(int(code), set()).update(z for z in zones if z != UNKNOWN_ZONE)
    return {code: sorted(zones) for code, zones in sorted(table.items()) if zones}


def rust_str(value):
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def entry_lines(area_code, zones):
    """One table element (with trailing comma) as rustfmt lays it out."""
    items = [rust_str(zone) for zone in zones]
    array = "&[" + ", ".join(items) + "]"
    one_line = f"{INDENT}({area_code}, {array}),"
    array_fits = len(", ".join(items)) <= ARRAY_WIDTH
    tuple_fits = len(f"{area_code}, {array}") <= FN_CALL_WIDTH
    if array_fits and tuple_fits and len(one_line) <= MAX_WIDTH:
        return [one_line]
    inner = INDENT * 2
    if array_fits and len(f"{inner}{array},") <= MAX_WIDTH:
        return [f"{INDENT}(", f"{inner}{area_code},", f"{inner}{array},", f"{INDENT}),"]
    lines = [f"{INDENT}(", f"{inner}{area_code},", f"{inner}&["]
    lines += [f"{inner}{INDENT}{item}," for item in items]
    lines += [f"{inner}],", f"{INDENT}),"]
    return lines


def rust_list(values):
    return "&[" + ", ".join(rust_str(v) for v in values) + "]"


def assert_lines(call, values):
    """`assert_eq!(call, &[values]);` in the generated tests, as rustfmt lays it out."""
    items = [rust_str(v) for v in values]
    expected = rust_list(values)
    line = f"        assert_eq!({call}, {expected});"
    if len(line) <= MAX_WIDTH and len(f"{call}, {expected}") <= FN_CALL_WIDTH:
        return [line]
    if len(", ".join(items)) <= ARRAY_WIDTH:
        return ["        assert_eq!(", f"            {call},", f"            {expected}",
                "        );"]
    return (["        assert_eq!(", f"            {call},", "            &["]
            + [f"                {item}," for item in items[:-1]]
            + [f"                {items[-1]}", "            ]", "        );"])


def render(table, countries):
    version = phonenumbers.__version__
    out = [
        "//! IANA time zones for phone numbers: North American (NANP, +1) area codes, and",
        "//! every other country calling code.",
        "//!",
        "//! GENERATED by scripts/gen_area_zones.py from libphonenumber's time-zone metadata",
        f"//! (phonenumbers version {version}). Do not edit by hand: to regenerate, from the",
        "//! repository root run",
        "//!",
        "//! ```text",
        f"//! pip install phonenumbers=={PHONENUMBERS_VERSION}",
        "//! python3 scripts/gen_area_zones.py > src/hours/area_zones.rs",
        "//! ```",
        "//!",
        "//! Each area code lists the union of the zones libphonenumber gives any of its",
        "//! numbers (some area codes straddle a zone boundary, so they list several).",
        "//! Area codes libphonenumber has no zone for (unassigned, toll-free, premium,",
        "//! personal/non-geographic) are absent.",
        "//!",
        "//! Each other country calling code lists the union of the zones of all its numbers:",
        "//! libphonenumber's finer prefixes there mostly say where a range was issued, not",
        "//! where the phone is (every Australian mobile is \"Australia/Sydney\"), so only the",
        "//! whole country's zones are safe. Codes with no zone (global services, satellites)",
        "//! are absent.",
        "",
        "/// (area code, IANA zones) for North American numbers, sorted by area code.",
        "pub static AREA_ZONES: &[(u16, &[&str])] = &[",
    ]
    for area_code, zones in table.items():
        out += entry_lines(area_code, zones)
    out += [
        "];",
        "",
        "/// (country calling code, IANA zones) for every code but 1, sorted by code.",
        "pub static COUNTRY_ZONES: &[(u16, &[&str])] = &[",
    ]
    for code, zones in countries.items():
        out += entry_lines(code, zones)
    out += [
        "];",
        "",
        "/// The IANA zones libphonenumber assigns to a North American area code; empty when"
        " unknown.",
        "pub fn zones_for_area_code(area_code: u16) -> &'static [&'static str] {",
        "    lookup(AREA_ZONES, area_code)",
        "}",
        "",
        "/// Every IANA zone libphonenumber gives numbers of a country calling code (not 1);"
        " empty",
        "/// when it has none.",
        "pub fn zones_for_country_code(code: u16) -> &'static [&'static str] {",
        "    lookup(COUNTRY_ZONES, code)",
        "}",
        "",
        "fn lookup(table: &'static [(u16, &'static [&'static str])], key: u16) -> &'static"
        " [&'static str] {",
        "    match table.binary_search_by_key(&key, |(k, _)| *k) {",
        "        Ok(i) => table[i].1,",
        "        Err(_) => &[],",
        "    }",
        "}",
        "",
        "#[cfg(test)]",
        "mod tests {",
        "    use super::*;",
        "",
        "    #[test]",
        "    fn single_zone_area_codes() {",
    ]
    for area_code, zone in SINGLE_ZONE_CHECKS:
        out += assert_lines(f"zones_for_area_code({area_code})", [zone])
    out += [
        "    }",
        "",
        "    #[test]",
        "    fn area_codes_split_across_zones_list_every_zone() {",
    ]
    for area_code, zones in MULTI_ZONE_CHECKS:
        out += assert_lines(f"zones_for_area_code({area_code})", zones)
    out += [
        "    }",
        "",
        "    #[test]",
        "    fn unknown_area_codes_have_no_zones() {",
    ]
    for area_code, why in ABSENT_CHECKS:
        out.append(f"        assert!(zones_for_area_code({area_code}).is_empty()); // {why}")
    out += [
        "        assert!(zones_for_area_code(0).is_empty());",
        "    }",
        "",
        "    #[test]",
        "    fn country_codes_list_every_zone_of_the_country() {",
    ]
    for code, zone in COUNTRY_SINGLE_CHECKS:
        out += assert_lines(f"zones_for_country_code({code})", [zone])
    for code, zones in COUNTRY_MULTI_CHECKS:
        out += assert_lines(f"zones_for_country_code({code})", zones)
    for code, why in COUNTRY_ABSENT_CHECKS:
        out.append(f"        assert!(zones_for_country_code({code}).is_empty()); // {why}")
    out += [
        "    }",
        "",
        "    #[test]",
        "    fn tables_are_strictly_sorted_and_well_formed() {",
        "        assert!(AREA_ZONES.windows(2).all(|w| w[0].0 < w[1].0));",
        "        for (code, zones) in AREA_ZONES {",
        "            assert!((200..=999).contains(code), \"{code}\");",
        "            assert!(!zones.is_empty(), \"{code}\");",
        "            assert!(zones.windows(2).all(|w| w[0] < w[1]), \"{code}\");",
        "            assert!(!zones.contains(&\"Etc/Unknown\"), \"{code}\");",
        "        }",
        "        assert!(COUNTRY_ZONES.windows(2).all(|w| w[0].0 < w[1].0));",
        "        for (code, zones) in COUNTRY_ZONES {",
        "            assert!((2..=999).contains(code), \"{code}\");",
        "            assert!(!zones.is_empty(), \"{code}\");",
        "            assert!(zones.windows(2).all(|w| w[0] < w[1]), \"{code}\");",
        "            assert!(!zones.contains(&\"Etc/Unknown\"), \"{code}\");",
        "        }",
        "    }",
        "}",
    ]
    return "\n".join(out) + "\n"


def check_spot_values(table, countries):
    problems = []
    for area_code, zone in SINGLE_ZONE_CHECKS:
        if table.get(area_code) != [zone]:
            problems.append(f"{area_code}: expected [{zone}], got {table.get(area_code)}")
    for area_code, zones in MULTI_ZONE_CHECKS:
        if table.get(area_code) != zones:
            problems.append(f"{area_code}: expected {zones}, got {table.get(area_code)}")
    for area_code, _ in ABSENT_CHECKS:
        if area_code in table:
            problems.append(f"{area_code}: expected absent, got {table[area_code]}")
    for code, zone in COUNTRY_SINGLE_CHECKS:
        if countries.get(code) != [zone]:
            problems.append(f"+{code}: expected [{zone}], got {countries.get(code)}")
    for code, zones in COUNTRY_MULTI_CHECKS:
        if countries.get(code) != zones:
            problems.append(f"+{code}: expected {zones}, got {countries.get(code)}")
    for code, _ in COUNTRY_ABSENT_CHECKS:
        if code in countries:
            problems.append(f"+{code}: expected absent, got {countries[code]}")
    return problems


def main():
    if phonenumbers.__version__ != PHONENUMBERS_VERSION:
        print(f"gen_area_zones: phonenumbers {phonenumbers.__version__} is installed; the"
              f" table is generated from {PHONENUMBERS_VERSION}:", file=sys.stderr)
        print(f"  pip install phonenumbers=={PHONENUMBERS_VERSION}", file=sys.stderr)
        print("(to move to another version, change PHONENUMBERS_VERSION and review the diff)",
              file=sys.stderr)
        return 1
    table = area_zones()
    countries = country_zones()
    problems = check_spot_values(table, countries)
    if problems:
        print("gen_area_zones: the data no longer matches the generated tests' expectations;",
              file=sys.stderr)
        print("update the *_CHECKS lists:", file=sys.stderr)
        for problem in problems:
            print("  " + problem, file=sys.stderr)
        return 1
    sys.stdout.write(render(table, countries))
    return 0


if __name__ == "__main__":
    sys.exit(main())
