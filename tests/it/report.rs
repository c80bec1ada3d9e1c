//! `--report`: a self-contained HTML page whose counts match the results file, checked in a real
//! headless browser (Debian's chromium; `.ci/run` installs it and sets ANNIE_REQUIRE_CHROMIUM).

use std::path::Path;
use std::process::Command;

use crate::harness::{od_row, Test};
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
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(args)
        .output()
        .expect("run chromium")
}

#[tokio::test(flavor = "multi_thread")]
async fn the_report_shows_the_results_counts_and_who_needs_a_person() {
    let annie = Annie::start().await;
    let out = Test::new()
        .server(&annie.base_url())
        .od_rows(&[
            &od_row("A1", &[]),
            &od_row("A2", &[]),
            &od_row("SKIP", &[("AptStatus", "5")]),
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
    let results = out.results();
    for status in ["sent", "skipped", "invalid"] {
        let n = results.iter().filter(|r| r["status"] == status).count();
        let cell = format!("data-status=\"{status}\">{n}</td>");
        assert!(html.contains(&cell), "{cell} in\n{html}");
    }
    assert!(
        html.contains("<td>BAD</td><td>invalid</td><td>no usable phone number"),
        "{html}"
    );

    let Some(browser) = chromium() else { return };
    let page = format!("file://{}", out.dir.join("report.html").display());
    let dom = headless(browser, &["--dump-dom", &page]);
    let dom = String::from_utf8_lossy(&dom.stdout);
    assert!(dom.contains("4 rows"), "{dom}");
    assert!(dom.contains("data-status=\"sent\">2</td>"), "{dom}");
    assert!(dom.contains("Needs a person (1)"), "{dom}");
    let shot = out.dir.join("report.png");
    let taken = headless(
        browser,
        &[
            &format!("--screenshot={}", shot.display()),
            "--window-size=1000,800",
            &page,
        ],
    );
    assert!(shot.exists(), "{}", String::from_utf8_lossy(&taken.stderr));
    assert!(
        std::fs::metadata(&shot).unwrap().len() > 5_000,
        "a screenshot with content"
    );
}
