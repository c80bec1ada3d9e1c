use super::*;
use chrono::TimeZone;

fn at(h: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, h, 0, 0).unwrap()
}

fn begin(l: &Ledger, call: &str, apt: &str, start: &str, number: &str, t: DateTime<Utc>) -> i64 {
    begin_at(l, "", call, apt, start, number, t)
}

fn begin_at(
    l: &Ledger,
    location: &str,
    call: &str,
    apt: &str,
    start: &str,
    number: &str,
    t: DateTime<Utc>,
) -> i64 {
    l.begin(&NewAttempt {
        run_id: "r1",
        call_id: call,
        appointment_id: apt,
        start_time: start,
        number_key: number,
        location,
        attempted_at: t,
    })
    .unwrap()
}

fn finish(l: &Ledger, id: i64, outcome: Outcome, t: DateTime<Utc>) {
    l.finish(
        id,
        &Finished {
            outcome,
            conversation_id: Some("c1"),
            http_status: None,
            reason: None,
            counts: true,
            finished_at: t,
        },
    )
    .unwrap();
}

#[test]
fn attempts_survive_reopening_and_in_flight_stays_in_flight() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ledger.sqlite3");
    {
        let l = Ledger::open(&path).unwrap();
        let id = begin(&l, "k1", "A1", "2026-11-24T09:00:00-06:00", "n1", at(1));
        finish(&l, id, Outcome::Sent, at(1));
        begin(&l, "k2", "A2", "2026-11-24T10:00:00-06:00", "n2", at(2));
    }
    let l = Ledger::open(&path).unwrap();
    let a1 = l.attempts_for("A1").unwrap();
    assert_eq!(a1.len(), 1);
    assert_eq!(a1[0].outcome, Outcome::Sent);
    assert_eq!(a1[0].conversation_id.as_deref(), Some("c1"));
    assert_eq!(l.attempts_for("A2").unwrap()[0].outcome, Outcome::InFlight);
}

#[test]
fn a_second_writer_is_refused_while_the_first_holds_the_lock() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ledger.sqlite3");
    let _first = Ledger::open(&path).unwrap();
    let err = Ledger::open(&path).unwrap_err().to_string();
    assert!(
        err.starts_with("another annie-dispatch run is using the ledger"),
        "{err}"
    );
    assert!(
        Ledger::open_read_only(&path).unwrap().is_some(),
        "readers are fine"
    );
}

#[test]
fn number_history_counts_calls_not_appointments() {
    let dir = tempfile::tempdir().unwrap();
    let l = Ledger::open(&dir.path().join("l.sqlite3")).unwrap();
    let n = l.number_key("+13125550147");
    assert_eq!(n, l.number_key("+13125550147"));
    assert_ne!(n, l.number_key("+13125550148"));
    // One household call covering two appointments, then a separate call.
    for apt in ["A1", "A2"] {
        let id = begin(&l, "k1", apt, "s", &n, at(1));
        finish(&l, id, Outcome::Sent, at(1));
    }
    let id = begin(&l, "k2", "A3", "s", &n, at(3));
    finish(&l, id, Outcome::Failed, at(3));
    let calls = l.calls_to("", &n, at(0)).unwrap();
    assert_eq!(calls.len(), 2);
    assert_eq!(calls[0].attempted_at, at(3));
    assert_eq!(calls[0].outcome, Outcome::Failed);
    assert!(l.calls_to("", &n, at(2)).unwrap().len() == 1);
}

#[test]
fn a_moved_appointment_supersedes_its_old_attempts() {
    let dir = tempfile::tempdir().unwrap();
    let l = Ledger::open(&dir.path().join("l.sqlite3")).unwrap();
    let id = begin(&l, "k1", "A1", "old", "n", at(1));
    finish(&l, id, Outcome::Sent, at(1));
    assert_eq!(l.supersede("A1", "new", at(2)).unwrap(), 1);
    assert!(l.attempts_for("A1").unwrap().is_empty());
    // Still a call to the number, though.
    assert_eq!(l.calls_to("", "n", at(0)).unwrap().len(), 1);
}

#[test]
fn each_location_has_its_own_history_for_a_number() {
    let dir = tempfile::tempdir().unwrap();
    let l = Ledger::open(&dir.path().join("l.sqlite3")).unwrap();
    let id = begin_at(&l, "north", "k1", "A1", "s", "n", at(1));
    finish(&l, id, Outcome::Sent, at(1));
    assert_eq!(l.calls_to("north", "n", at(0)).unwrap().len(), 1);
    assert!(l.calls_to("south", "n", at(0)).unwrap().is_empty());
    assert!(l.calls_to("", "n", at(0)).unwrap().is_empty());
}

#[test]
fn a_version_1_ledger_is_read_in_a_preview_and_migrated_by_a_run() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.sqlite3");
    {
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch(schema::MIGRATIONS[0]).unwrap();
        conn.pragma_update(None, "user_version", 1).unwrap();
        conn.execute_batch(
            "INSERT INTO meta VALUES ('number_salt', 'abc');
             INSERT INTO attempts (run_id, call_id, appointment_id, start_time, number_key, status, attempted_at)
             VALUES ('r0', 'k0', 'A1', 's', 'n', 'sent', '2026-11-23T01:00:00Z');",
        )
        .unwrap();
    }
    let read_only = Ledger::open_read_only(&path).unwrap().unwrap();
    assert_eq!(read_only.calls_to("", "n", at(0)).unwrap().len(), 1);
    assert!(read_only.calls_to("north", "n", at(0)).unwrap().is_empty());
    drop(read_only);
    let l = Ledger::open(&path).unwrap();
    assert_eq!(l.calls_to("", "n", at(0)).unwrap().len(), 1);
    let version: i64 = l
        .conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap();
    assert_eq!(version, schema::MIGRATIONS.len() as i64);
}
