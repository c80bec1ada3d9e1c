//! `--report`: a self-contained HTML page whose counts match the results file, in the practice's
//! own time, checked in a real headless browser (Debian's chromium; `.ci/run` installs it and
//! sets ANNIE_REQUIRE_CHROMIUM): it loads, and it fits a 1280-pixel window.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use chrono::DateTime;

use crate::harness::{od_row, Output, Test};
use crate::mock::Annie;

pub fn chromium() -> Option<&'static str> {
    let found = ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .into_iter()
        .find(|p| Path::new(p).exists());
    if found.is_none() {
        assert!(
            std::env::var_os("ANNIE_REQUIRE_CHROMIUM").is_none(),
            "chromium is required here but not installed (apt-get install chromium)"
        );
        eprintln!(
            "NOTE: chromium is not installed; the browser half of the report test is skipped"
        );
    }
    found
}

pub fn headless(browser: &str, args: &[&str]) -> std::process::Output {
    let profile = tempfile::tempdir().unwrap();
    Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            "--force-device-scale-factor=1",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(args)
        .output()
        .expect("run chromium")
}

/// The harness's practice (America/Chicago) at its `--now`, 18:30 on Mon 23 Nov 2026: the
/// calls go out at 00:30 UTC on the 24th, so a UTC time on the page would show.
const TITLE: &str = "<title>Bright Smile Dental: confirmation calls, Mon 23 Nov 2026</title>";
const DAYS: &str = "Calls made Mon 23 Nov 2026 for appointments on Tue 24 Nov 2026";

#[tokio::test(flavor = "multi_thread")]
async fn the_report_shows_the_results_counts_and_who_needs_a_person() {
    let annie = Annie::start().await;
    let out = Test::new()
        .server(&annie.base_url())
        .od_rows(&[
            &od_row("A1", &[]),
            &od_row("A2", &[]),
            &od_row("SKIP", &[("AptStatus", "5")]),
            &od_row("DONE", &[("Confirmed", "Confirmed")]),
            &od_row("BAD", &[("WirelessPhone", "555-0100")]),
        ])
        .args(["--report", "report.html"])
        .run_async()
        .await;
    out.assert_status(1);
    let html = out.file("report.html");
    assert!(
        !html.contains("<script") && !html.contains("http://") && !html.contains("https://"),
        "self-contained"
    );
    assert!(html.contains(TITLE), "{html}");
    assert!(html.contains(DAYS), "{html}");
    assert_counts_match_the_results(&out, &html);
    assert_local_times_only(&out, &html);

    // The row that needs a person, with what to do, and the reason in its own words.
    assert!(html.contains("Needs a person (1)"), "{html}");
    let bad = out.result_for("BAD");
    let attention = &html[html.find("id=\"attention\"").unwrap()..];
    let row = &attention[attention.find("<td>BAD</td>").expect("BAD listed")..];
    let row = &row[..row.find("</tr>").unwrap()];
    assert!(
        row.contains("no phone number that may be called <code>no_valid_phone</code>")
            && row.contains(&escaped(&bad["reason"]))
            && row.contains("Correct the patient&#x27;s phone number in the practice system"),
        "{row}"
    );

    let Some(browser) = chromium() else { return };
    let page = out.dir.join("report.html");
    let dom = headless(browser, &["--dump-dom", &url(&page)]);
    let dom = String::from_utf8_lossy(&dom.stdout);
    assert!(dom.contains(TITLE) && dom.contains(DAYS), "{dom}");
    assert!(dom.contains("5 rows, 1 need a person"), "{dom}");
    assert!(dom.contains("data-status=\"sent\">2</td>"), "{dom}");
    assert!(dom.contains("Needs a person (1)"), "{dom}");
    assert_fits_1280_pixels(browser, &page);
}

/// An invalid row's "what to do" says a rerun today (after the practice system is corrected and
/// exported again) calls it: tomorrow's nightly run is about another day (finding 20).
#[test]
fn an_invalid_row_says_a_rerun_today_calls_it() {
    let out = Test::new()
        .od_rows(&[&od_row("BAD", &[("WirelessPhone", "555-0100")])])
        .args(["--dry-run", "--report", "report.html"])
        .run();
    out.assert_status(1);
    let html = out.file("report.html");
    assert!(
        html.contains(
            "Correct the patient&#x27;s phone number in the practice system and export again; a \
             rerun today calls them."
        ),
        "{html}"
    );
    assert!(!html.contains("the next run calls"), "{html}");
}

/// Rows deferred by a preview started after calling hours closed: the report's words for the
/// status say a run later on the calling day calls them, not "the next run" (the next nightly
/// run is about another day).
#[test]
fn deferred_rows_are_described_by_their_calling_day() {
    let out = Test::new()
        .now(Some("2026-11-24T02:00:00-06:00"))
        .od_rows(&[&od_row("A1", &[("AptDateTime", "2026-11-25 10:00:00")])])
        .args(["--dry-run", "--report", "report.html"])
        .run();
    assert_eq!(out.result_for("A1")["status"], "deferred");
    let html = out.file("report.html");
    assert!(
        html.contains(
            "outside calling hours: a run later on their calling day calls them (unless \
             flagged: then no run can)"
        ),
        "{html}"
    );
    assert!(!html.contains("the next run calls"), "{html}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_run_where_no_row_needs_a_person_has_no_needs_a_person_section() {
    let annie = Annie::start().await;
    let out = Test::new()
        .server(&annie.base_url())
        .od_rows(&[&od_row("A1", &[]), &od_row("SKIP", &[("AptStatus", "5")])])
        .args(["--report", "report.html"])
        .run_async()
        .await;
    out.assert_status(0);
    let html = out.file("report.html");
    assert!(html.contains(TITLE) && html.contains(DAYS), "{html}");
    assert_counts_match_the_results(&out, &html);
    assert_local_times_only(&out, &html);
    assert!(
        !html.contains("Needs a person") && !html.contains("id=\"attention\""),
        "{html}"
    );
    assert!(html.contains("2 rows</p>"), "{html}");

    let Some(browser) = chromium() else { return };
    let dom = headless(browser, &["--dump-dom", &url(&out.dir.join("report.html"))]);
    let dom = String::from_utf8_lossy(&dom.stdout);
    assert!(
        dom.contains(DAYS) && !dom.contains("Needs a person"),
        "{dom}"
    );
}

/// As the page's HTML escaping writes text.
fn escaped(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#x27;")
        .replace('/', "&#x2f;")
}

fn url(path: &Path) -> String {
    format!("file://{}", path.display())
}

/// Rows per status, and rows not called per reason code (and status), are the results file's.
fn assert_counts_match_the_results(out: &Output, html: &str) {
    let results = out.results();
    let mut statuses: BTreeMap<&str, usize> = BTreeMap::new();
    let mut codes: BTreeMap<(&str, &str), usize> = BTreeMap::new();
    for r in &results {
        *statuses.entry(r["status"].as_str()).or_default() += 1;
        if !["sent", "dry_run"].contains(&r["status"].as_str()) {
            let key = (r["reason_code"].as_str(), r["status"].as_str());
            *codes.entry(key).or_default() += 1;
        }
    }
    assert!(statuses.len() > 1 || !codes.is_empty(), "{results:?}");
    for (status, n) in statuses {
        let cell = format!("data-status=\"{status}\">{n}</td>");
        assert!(html.contains(&cell), "{cell} in\n{html}");
    }
    for ((code, status), n) in codes {
        assert!(!code.is_empty(), "every row not called has a code");
        let cell = format!("data-code=\"{code}\" data-status=\"{status}\">{n}</td>");
        assert!(html.contains(&cell), "{cell} in\n{html}");
    }
    assert!(html.contains(&format!("{} rows", results.len())), "{html}");
}

/// Every call's time is on the page in Chicago's time with its abbreviation, and no time is in
/// UTC.
fn assert_local_times_only(out: &Output, html: &str) {
    let mut called = 0;
    for r in out.results() {
        let Ok(at) = DateTime::parse_from_rfc3339(&r["attempted_at"]) else {
            continue;
        };
        called += 1;
        let local = at.with_timezone(&chrono_tz::America::Chicago);
        let (local, utc) = (local.format("%H:%M %Z").to_string(), at.format("%H:%M"));
        assert_ne!(
            local[..5],
            utc.to_string(),
            "the test needs UTC and local to differ"
        );
        assert!(html.contains(&local), "{local} in\n{html}");
        assert!(!html.contains(&utc.to_string()), "UTC {utc} in\n{html}");
    }
    assert!(called > 0);
    let iso = regex::Regex::new(r"\d{4}-\d\d-\d\dT|\d\d:\d\d(:\d\d(\.\d+)?)?Z|\+00:00").unwrap();
    assert!(!iso.is_match(html), "{:?} in\n{html}", iso.find(html));
    assert!(!html.contains("UTC"), "{html}");
}

/// The page fits a 1280-pixel-wide window: nothing makes it scroll sideways (measured by a
/// test-only copy of the page with a script, since the page itself has none), and in a
/// screenshot at that width the right-most band is plain background (no text cut at the edge)
/// while the page itself drew something.
fn assert_fits_1280_pixels(browser: &str, page: &Path) {
    let html = std::fs::read_to_string(page).unwrap();
    let measure = "<script>document.body.setAttribute('data-widths', \
                   document.documentElement.scrollWidth + ' ' + \
                   document.documentElement.clientWidth);</script></body>";
    let measured = page.with_file_name("measured.html");
    std::fs::write(&measured, html.replace("</body>", measure)).unwrap();
    let dom = headless(
        browser,
        &["--window-size=1280,2000", "--dump-dom", &url(&measured)],
    );
    let dom = String::from_utf8_lossy(&dom.stdout);
    let widths = regex::Regex::new(r#"data-widths="(\d+) (\d+)""#)
        .unwrap()
        .captures(&dom)
        .unwrap_or_else(|| panic!("the measuring script ran: {dom}"));
    let (scroll, client): (u32, u32) = (widths[1].parse().unwrap(), widths[2].parse().unwrap());
    assert_eq!(client, 1280, "the window is 1280 pixels wide");
    assert!(scroll <= client, "the page is {scroll} pixels wide");

    let shot = page.with_file_name("report.png");
    let taken = headless(
        browser,
        &[
            &format!("--screenshot={}", shot.display()),
            "--window-size=1280,2000",
            &url(page),
        ],
    );
    assert!(shot.exists(), "{}", String::from_utf8_lossy(&taken.stderr));
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(&shot).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut pixels = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut pixels).unwrap();
    assert_eq!(info.width, 1280, "a screenshot of a 1280-pixel window");
    let channels = info.color_type.samples();
    let at = |x: u32, y: u32| {
        let i = (y as usize * info.line_size) + x as usize * channels;
        &pixels[i..i + 3]
    };
    let background = at(info.width - 1, 0).to_vec();
    let mut drawn = 0;
    for y in 0..info.height {
        for x in 0..info.width {
            let differs = at(x, y) != background.as_slice();
            assert!(
                !(differs && x >= info.width - 8),
                "something is drawn at ({x}, {y}), at the window's right edge: cut off"
            );
            drawn += usize::from(differs);
        }
    }
    assert!(
        drawn > 20_000,
        "the page drew text and tables ({drawn} pixels)"
    );
}
