//! Every row that was not simply sent carries a `reason_code` from the one documented table
//! (docs/reason-codes.md), with the status the table gives it.

use std::collections::{BTreeMap, BTreeSet};

use annie_dispatch::reason::ReasonCode;
use annie_dispatch::sandbox::{FailKind, Faults};

use crate::harness::{od_row, test_sandbox, Test};

/// Code → the statuses it may go with, from the documentation's table.
fn documented() -> BTreeMap<String, BTreeSet<String>> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/reason-codes.md");
    let text = std::fs::read_to_string(path).unwrap();
    text.lines()
        .filter_map(|line| {
            let cells: Vec<&str> = line.split('|').map(str::trim).collect();
            let code = cells.get(1)?.strip_prefix('`')?.strip_suffix('`')?;
            let statuses = cells[2].split(',').map(|s| s.trim().to_string()).collect();
            Some((code.to_string(), statuses))
        })
        .collect()
}

/// Fails naming every row without a code, or with a code the table does not give its status.
fn assert_documented(results: &[BTreeMap<String, String>]) {
    let table = documented();
    for r in results {
        let (status, code) = (&r["status"], &r["reason_code"]);
        if status == "sent" && code.is_empty() {
            continue;
        }
        let allowed = table.get(code.as_str()).unwrap_or_else(|| {
            panic!(
                "row {} ({status}) has an undocumented code `{code}`: {r:?}",
                r["row"]
            )
        });
        assert!(
            allowed.contains(status.as_str()),
            "row {}: code `{code}` is documented for {allowed:?}, not {status}",
            r["row"]
        );
    }
}

fn codes(results: &[BTreeMap<String, String>]) -> BTreeSet<String> {
    results.iter().map(|r| r["reason_code"].clone()).collect()
}

#[test]
fn the_documented_table_lists_every_code_once_in_order() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/reason-codes.md");
    let text = std::fs::read_to_string(path).unwrap();
    let in_table: Vec<&str> = text
        .lines()
        .filter_map(|l| l.strip_prefix("| `")?.split('`').next())
        .collect();
    let in_code: Vec<&str> = ReasonCode::ALL.iter().map(|c| c.as_str()).collect();
    assert_eq!(
        in_table, in_code,
        "docs/reason-codes.md and ReasonCode::ALL"
    );
}

#[test]
fn every_row_of_the_readme_sample_not_sent_has_a_documented_code() {
    let dir = tempfile::tempdir().unwrap();
    let results = dir.path().join("r.csv");
    let out = crate::harness::readme_sandbox_run(&results, &[])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let rows = crate::harness::read_results(&results);
    assert_eq!(rows.len(), 10);
    assert_documented(&rows);
    let skipped: Vec<&String> = rows
        .iter()
        .filter(|r| r["status"] == "skipped")
        .map(|r| &r["reason_code"])
        .collect();
    assert_eq!(skipped.len(), 5, "{rows:?}");
    // The summary line counts the skipped rows by code, and the codes add up.
    let line = stderr.lines().find(|l| l.contains("10 rows:")).unwrap();
    let listed = line.split("5 skipped (").nth(1).unwrap().split(')').next();
    let total: usize = listed
        .unwrap()
        .split(", ")
        .map(|part| part.split(' ').next().unwrap().parse::<usize>().unwrap())
        .sum();
    assert_eq!(total, 5, "{line}");
}

#[tokio::test(flavor = "multi_thread")]
async fn every_row_of_a_fault_run_not_sent_has_a_documented_code() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("sandbox.jsonl");
    let key = "annie-sk-sandbox-test";
    let sb = test_sandbox(key, &log, |c| {
        c.faults = Faults {
            seed: 7,
            fail_rate: 0.5,
            fail_kind: FailKind::ServerError,
            created_anyway: 0.5,
            ..Faults::default()
        }
    })
    .await;
    let mut rows: Vec<String> = (1..=10).map(|i| od_row(&format!("A{i}"), &[])).collect();
    rows.push(od_row("BADPHONE", &[("WirelessPhone", "555-01OO")]));
    rows.push(od_row("BROKEN", &[("AptStatus", "5")]));
    rows.push(od_row("FIRM", &[("Confirmed", "Confirmed")]));
    rows.push(od_row("NOTIME", &[("AptDateTime", "soon")]));
    rows.push(od_row("A1", &[]));
    let rows: Vec<&str> = rows.iter().map(String::as_str).collect();
    let t = Test::new()
        .server(&sb.base_url())
        .env("ANNIE_API_KEY", key)
        .od_rows(&rows);

    let first = t.run_async().await;
    let results = first.results();
    assert_eq!(results.len(), 15);
    assert_documented(&results);
    let seen = codes(&results);
    for code in [
        "no_valid_phone",
        "not_scheduled",
        "invalid_time",
        "duplicate_row",
    ] {
        assert!(seen.contains(code), "{code} in {seen:?}");
    }
    assert!(
        seen.contains("maybe_placed") || seen.contains("found_in_annie"),
        "the faults left calls to look for: {seen:?}"
    );
    // The counts by code in --summary-json match the file.
    let again = t
        .clone()
        .args(["--summary-json", "summary.json"])
        .run_async()
        .await;
    let results = again.results();
    assert_documented(&results);
    assert!(codes(&results).contains("already_sent"), "{results:?}");
    let summary: serde_json::Value = serde_json::from_str(&again.file("summary.json")).unwrap();
    let mut expected: BTreeMap<String, u64> = BTreeMap::new();
    for r in results.iter().filter(|r| !r["reason_code"].is_empty()) {
        *expected.entry(r["reason_code"].clone()).or_default() += 1;
    }
    let counted: BTreeMap<String, u64> = summary["reason_codes"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.as_u64().unwrap()))
        .collect();
    assert_eq!(counted, expected);
}

/// A request whose connection breaks before Annie answers, while Annie did start the call: the
/// row is `sent` (found in Annie) and its reason says so in plain words, without the URL and
/// the HTTP library's layers ("error sending request for url (...): client error
/// (SendRequest): ..."; round-9 finding 11d).
#[tokio::test(flavor = "multi_thread")]
async fn a_call_whose_answer_was_lost_says_so_in_plain_words() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("sandbox.jsonl");
    let key = "annie-sk-sandbox-test";
    let sb = test_sandbox(key, &log, |c| {
        c.faults = Faults {
            seed: 7,
            fail_rate: 1.0,
            fail_kind: FailKind::Reset,
            created_anyway: 1.0,
            ..Faults::default()
        }
    })
    .await;
    let out = Test::new()
        .server(&sb.base_url())
        .env("ANNIE_API_KEY", key)
        .od_rows(&[&od_row("A1", &[])])
        .run_async()
        .await;
    let row = out.result_for("A1");
    assert_eq!(
        (row["status"].as_str(), row["reason_code"].as_str()),
        ("sent", "found_in_annie"),
        "{row:?}"
    );
    assert!(!row["reason"].contains("http://"), "{row:?}");
    assert!(!row["reason"].contains("SendRequest"), "{row:?}");
    assert_eq!(
        row["reason"],
        "the connection broke before Annie answered (connection closed before message \
         completed), but Annie shows the call"
    );
    sb.stop().await;
}
