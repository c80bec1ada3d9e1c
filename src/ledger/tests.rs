use super::*;
use chrono::{DateTime, TimeZone, Utc};
use std::path::Path;

use rusqlite::Connection;

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
    finish_with(l, id, outcome, Some("c1"), t);
}

fn finish_with(l: &Ledger, id: i64, outcome: Outcome, conv: Option<&str>, t: DateTime<Utc>) {
    let finished = Finished {
        outcome,
        conversation_id: conv,
        http_status: None,
        reason: None,
        counts: true,
        finished_at: t,
    };
    l.finish(id, &finished).unwrap();
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
    let a1 = l
        .attempts_for("", "A1", "2026-11-24T09:00:00-06:00")
        .unwrap();
    assert_eq!(a1.len(), 1);
    assert_eq!(a1[0].outcome, Outcome::Sent);
    assert_eq!(a1[0].conversation_id.as_deref(), Some("c1"));
    assert_eq!(
        l.attempts_for("", "A2", "2026-11-24T10:00:00-06:00")
            .unwrap()[0]
            .outcome,
        Outcome::InFlight
    );
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
fn a_ledger_with_two_names_is_refused_however_it_is_opened() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("l.sqlite3");
    drop(Ledger::open(&path).unwrap());
    std::fs::remove_file(lock_path(&path)).unwrap();
    std::fs::hard_link(&path, dir.path().join("other.sqlite3")).unwrap();
    let linked = |e: anyhow::Error| e.downcast_ref::<store::LedgerLinked>().map(|l| l.links);
    assert_eq!(Ledger::open(&path).map(drop).map_err(linked), Err(Some(2)));
    assert!(
        !lock_path(&path).exists(),
        "refused before the lock is made"
    );
    assert_eq!(
        Ledger::open_existing(&path).map(drop).map_err(linked),
        Err(Some(2))
    );
    assert_eq!(
        Ledger::open_read_only(&path).map(drop).map_err(linked),
        Err(Some(2))
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
    assert_eq!(l.supersede("", "A1", "new", at(2)).unwrap(), 1);
    assert!(l.attempts_for("", "A1", "new").unwrap().is_empty());
    // Moved back to its old time, it is the appointment that attempt was for again.
    assert_eq!(l.attempts_for("", "A1", "old").unwrap().len(), 1);
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

fn conversation(id: &str, answered: Answered, do_not_call: bool) -> ConversationRecord<'_> {
    ConversationRecord {
        conversation_id: id,
        to_number: None,
        started_at: None,
        status: "CLOSED",
        duration: Some(0),
        answered,
        needs_attention: true,
        do_not_call,
        checked_at: at(20),
    }
}

/// One sent call to `number` with conversation `conv`, at `t`.
fn sent(l: &Ledger, call: &str, number: &str, conv: &str, t: DateTime<Utc>) {
    let id = begin(l, call, call, "s", number, t);
    finish_with(l, id, Outcome::Sent, Some(conv), t);
}

#[test]
fn recorded_outcomes_mark_calls_unanswered_and_numbers_do_not_call() {
    let dir = tempfile::tempdir().unwrap();
    let l = Ledger::open(&dir.path().join("l.sqlite3")).unwrap();
    sent(&l, "k1", "n1", "c1", at(1));
    sent(&l, "k2", "n1", "c2", at(2));
    sent(&l, "k3", "n2", "c3", at(3));
    assert!(l
        .calls_to("", "n1", at(0))
        .unwrap()
        .iter()
        .all(|c| !c.unanswered));

    let tied = l
        .record_conversation(&conversation("c2", Answered::No, false))
        .unwrap();
    assert_eq!(tied, Tied::ToAttempt);
    let calls = l.calls_to("", "n1", at(0)).unwrap();
    assert_eq!(
        calls.iter().map(|c| c.unanswered).collect::<Vec<_>>(),
        [true, false],
        "newest first: c2 unanswered, c1 not known to be"
    );
    assert_eq!(calls[0].outcome, Outcome::Sent, "still a placed call");

    assert_eq!(l.do_not_call("n2").unwrap(), None);
    l.record_conversation(&conversation("c3", Answered::Yes, true))
        .unwrap();
    let d = l.do_not_call("n2").unwrap().unwrap();
    assert_eq!(d.conversation_id, "c3");
    assert_eq!(d.called_at, at(3), "the day of the call, not of the check");
    assert_eq!(l.do_not_call("n1").unwrap(), None);

    // Read again later (a rerun): still one row, and a request once seen is kept.
    l.record_conversation(&conversation("c3", Answered::Yes, false))
        .unwrap();
    assert!(l.do_not_call("n2").unwrap().is_some());
    let rows: i64 = l
        .conn
        .query_row("SELECT COUNT(*) FROM conversations", [], |r| r.get(0))
        .unwrap();
    assert_eq!(rows, 2);
}

#[test]
fn a_conversation_without_an_attempt_is_tied_by_annies_number() {
    let dir = tempfile::tempdir().unwrap();
    let l = Ledger::open(&dir.path().join("l.sqlite3")).unwrap();
    let key = l.number_key("+13125550147");
    let record = ConversationRecord {
        to_number: Some("+13125550147"),
        started_at: Some(at(5)),
        ..conversation("elsewhere", Answered::Yes, true)
    };
    assert_eq!(l.record_conversation(&record).unwrap(), Tied::ToNumberOnly);
    let d = l.do_not_call(&key).unwrap().unwrap();
    assert_eq!(
        (d.conversation_id.as_str(), d.called_at),
        ("elsewhere", at(5))
    );
    let untied = conversation("nowhere", Answered::Yes, true);
    assert_eq!(l.record_conversation(&untied).unwrap(), Tied::Untied);
}

#[test]
fn the_ledger_keeps_flags_not_free_text() {
    let dir = tempfile::tempdir().unwrap();
    let l = Ledger::open(&dir.path().join("l.sqlite3")).unwrap();
    let record = ConversationRecord {
        status: "Closed by Sarah Johnson",
        ..conversation("c1", Answered::Yes, false)
    };
    l.record_conversation(&record).unwrap();
    let status: String = l
        .conn
        .query_row("SELECT status FROM conversations", [], |r| r.get(0))
        .unwrap();
    assert_eq!(status, "OTHER");
}

/// A ledger as version 1 of the schema left it, with one sent call.
fn version_one_ledger(path: &Path) {
    let conn = Connection::open(path).unwrap();
    conn.execute_batch(schema::MIGRATIONS[0]).unwrap();
    conn.pragma_update(None, "user_version", 1).unwrap();
    conn.execute_batch(
        "INSERT INTO meta VALUES ('number_salt', 'abc');
         INSERT INTO attempts (run_id, call_id, appointment_id, start_time, number_key, status,
            conversation_id, attempted_at)
         VALUES ('r', 'k1', 'A1', 's', 'n1', 'sent', 'c1', '2026-11-23T01:00:00.000Z');",
    )
    .unwrap();
}

#[test]
fn a_version_one_ledger_is_read_by_a_preview_and_migrated_by_a_run() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("l.sqlite3");
    version_one_ledger(&path);
    {
        let l = Ledger::open_read_only(&path).unwrap().unwrap();
        assert_eq!(l.calls_to("", "n1", at(0)).unwrap().len(), 1);
        assert!(l.calls_to("north", "n1", at(0)).unwrap().is_empty());
        assert_eq!(l.do_not_call("n1").unwrap(), None);
    }
    let l = Ledger::open(&path).unwrap();
    assert_eq!(
        l.attempts_for("", "A1", "s").unwrap().len(),
        1,
        "history kept"
    );
    let version: i64 = l
        .conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap();
    assert_eq!(version, schema::MIGRATIONS.len() as i64);
    l.record_conversation(&conversation("c1", Answered::No, true))
        .unwrap();
    assert!(l.calls_to("", "n1", at(0)).unwrap()[0].unanswered);
    assert!(l.do_not_call("n1").unwrap().is_some());
}

#[test]
fn outcomes_open_an_existing_ledger_even_while_a_run_holds_the_lock() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("l.sqlite3");
    let err = Ledger::open_existing(&path).unwrap_err().to_string();
    assert!(err.contains("does not exist"), "{err}");
    assert!(!path.exists(), "not created");

    let run = Ledger::open(&path).unwrap();
    sent(&run, "k1", "n1", "c1", at(1));
    let outcomes = Ledger::open_existing(&path).unwrap();
    outcomes
        .record_conversation(&conversation("c1", Answered::No, false))
        .unwrap();
    assert!(run.calls_to("", "n1", at(0)).unwrap()[0].unanswered);
    let busy = Ledger::open(&path).unwrap_err();
    assert!(busy.downcast_ref::<LedgerBusy>().is_some());
}

#[test]
fn a_rebuilt_history_counts_each_conversation_once_and_records_whose_it_is() {
    let dir = tempfile::tempdir().unwrap();
    let l = Ledger::open(&dir.path().join("l.sqlite3")).unwrap();
    assert_eq!(l.identity("").unwrap(), None);
    let key = l.number_key("+13125550147");
    let id = begin(&l, "c", "A1", "s", &key, at(9));
    finish_with(&l, id, Outcome::Sent, Some("conv-known"), at(9));
    let call = |id: &str, h| RebuiltCall {
        conversation_id: id.into(),
        to_number: "+13125550147".into(),
        started_at: at(h),
    };
    let calls = [call("conv-known", 9), call("conv-new", 10)];
    assert_eq!(l.add_rebuilt("", &calls).unwrap(), 1);
    assert_eq!(
        l.add_rebuilt("", &calls).unwrap(),
        0,
        "a second rebuild adds nothing"
    );
    assert_eq!(l.calls_to("", &key, at(0)).unwrap().len(), 2);
    assert!(l.calls_to("west", &key, at(0)).unwrap().is_empty());
    let identity = Identity {
        base_url: "https://api.helloannie.com/v1".into(),
        organisation: "API key sha256:0a1b2c3d4e5f".into(),
    };
    l.set_identity("", &identity).unwrap();
    assert_eq!(l.identity("").unwrap(), Some(identity));
    assert_eq!(l.identity("west").unwrap(), None);
}

#[test]
fn a_conversation_an_unsettled_attempt_may_have_started_is_not_added_again() {
    let dir = tempfile::tempdir().unwrap();
    let l = Ledger::open(&dir.path().join("l.sqlite3")).unwrap();
    let key = l.number_key("+13125550147");
    // A crash left this attempt in flight: it already counts, and settling it ties its
    // conversation to it.
    begin(&l, "c", "A1", "s", &key, at(9));
    let call = |id: &str, t: DateTime<Utc>| RebuiltCall {
        conversation_id: id.into(),
        to_number: "+13125550147".into(),
        started_at: t,
    };
    let minutes = chrono::Duration::minutes;
    assert_eq!(
        l.add_rebuilt("", &[call("conv-a1", at(9) + minutes(2))])
            .unwrap(),
        0
    );
    // Long after it, or to another location's organisation, it is another call.
    let later = call("conv-later", at(9) + minutes(30));
    assert_eq!(l.add_rebuilt("", &[later]).unwrap(), 1);
    assert_eq!(
        l.add_rebuilt("west", &[call("conv-west", at(9) + minutes(2))])
            .unwrap(),
        1
    );
    assert_eq!(l.calls_to("", &key, at(0)).unwrap().len(), 2);
}

#[test]
fn the_ledger_knows_annie_until_its_last_check_else_its_newest_attempt() {
    let dir = tempfile::tempdir().unwrap();
    let l = Ledger::open(&dir.path().join("l.sqlite3")).unwrap();
    assert_eq!(l.known_until("").unwrap(), None);
    begin(&l, "c1", "A1", "s", "n1", at(9));
    begin(&l, "c2", "A2", "s", "n2", at(11));
    begin_at(&l, "west", "c3", "W1", "s", "n3", at(12));
    assert_eq!(l.known_until("").unwrap(), Some(at(11)));
    l.set_known_until("", at(8)).unwrap();
    assert_eq!(l.known_until("").unwrap(), Some(at(8)));
    assert_eq!(l.known_until("west").unwrap(), Some(at(12)));
    assert_eq!(l.known_until("east").unwrap(), None);
}

#[test]
fn a_request_not_to_be_called_heard_in_annie_keeps_what_outcomes_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let l = Ledger::open(&dir.path().join("l.sqlite3")).unwrap();
    let key = l.number_key("+13125550147");
    sent(&l, "k1", &key, "c1", at(9));
    l.record_conversation(&conversation("c1", Answered::Yes, false))
        .unwrap();
    let heard = |id| ConversationRecord {
        conversation_id: id,
        to_number: Some("+13125550147"),
        started_at: Some(at(9)),
        status: "OTHER",
        duration: None,
        answered: Answered::Unknown,
        needs_attention: true,
        do_not_call: true,
        checked_at: at(21),
    };
    assert!(l.add_opt_out(&heard("c1")).unwrap());
    assert!(!l.add_opt_out(&heard("c1")).unwrap(), "already known");
    assert_eq!(l.do_not_call(&key).unwrap().unwrap().conversation_id, "c1");
    let (answered, status): (String, String) = l
        .conn
        .query_row(
            "SELECT answered, status FROM conversations WHERE conversation_id = 'c1'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!((answered.as_str(), status.as_str()), ("yes", "CLOSED"));
    // One the ledger never saw is recorded under Annie's number.
    assert!(l.add_opt_out(&heard("c2")).unwrap());
}

#[test]
fn the_last_call_from_another_location_spaces_a_groups_calls() {
    let dir = tempfile::tempdir().unwrap();
    let l = Ledger::open(&dir.path().join("ledger.sqlite3")).unwrap();
    let start = "2026-11-24T09:00:00-06:00";
    let north = begin_at(&l, "1", "k1", "N1", start, "n1", at(1));
    finish(&l, north, Outcome::Sent, at(1));
    // A refusal placed no call: it spaces nothing.
    let refused = begin_at(&l, "1", "k2", "N2", start, "n1", at(3));
    finish(&l, refused, Outcome::Failed, at(3));
    let west = begin_at(&l, "2", "k3", "W1", start, "n1", at(2));
    finish(&l, west, Outcome::Sent, at(2));
    assert_eq!(
        l.last_call_elsewhere("2", "n1", at(0)).unwrap(),
        Some(at(1))
    );
    assert_eq!(
        l.last_call_elsewhere("1", "n1", at(0)).unwrap(),
        Some(at(2))
    );
    assert_eq!(
        l.last_call_elsewhere("3", "n1", at(0)).unwrap(),
        Some(at(2))
    );
    // Only since the given time, only this number, and never for a single practice.
    assert_eq!(l.last_call_elsewhere("2", "n1", at(4)).unwrap(), None);
    assert_eq!(l.last_call_elsewhere("2", "n2", at(0)).unwrap(), None);
    assert_eq!(l.last_call_elsewhere("", "n1", at(0)).unwrap(), None);
}

#[test]
fn calls_whose_end_the_ledger_has_not_read_are_those_since_its_last_check_still_open_or_unread() {
    let dir = tempfile::tempdir().unwrap();
    let l = Ledger::open(&dir.path().join("l.sqlite3")).unwrap();
    let read_as = |id, status| ConversationRecord {
        status,
        answered: Answered::Unknown,
        needs_attention: false,
        ..conversation(id, Answered::Unknown, false)
    };
    // Before the last check against Annie: that check read them.
    sent(&l, "k0", "n0", "c0", at(7));
    l.set_known_until("", at(8)).unwrap();
    // Read to its end (CLOSED), whatever it said.
    sent(&l, "k1", "n1", "c1", at(9));
    l.record_conversation(&conversation("c1", Answered::Yes, false))
        .unwrap();
    // Read while still open; not read at all; one call for two appointments (counted once).
    sent(&l, "k2", "n2", "c2", at(10));
    l.record_conversation(&read_as("c2", "OPEN")).unwrap();
    sent(&l, "k3", "n3", "c3", at(10));
    for apt in ["A4", "B4"] {
        let id = begin(&l, "k4", apt, "s", "n4", at(10));
        finish_with(&l, id, Outcome::Sent, Some("c4"), at(10));
    }
    // Refused (no call placed); no answer ever came (a call may have been placed).
    let refused = begin(&l, "k5", "A5", "s", "n5", at(10));
    finish_with(&l, refused, Outcome::Failed, None, at(10));
    begin(&l, "k6", "A6", "s", "n6", at(10));
    // Found in Annie by a check: read by it.
    let found = RebuiltCall {
        conversation_id: "c7".into(),
        to_number: "+13125550147".into(),
        started_at: at(11),
    };
    l.add_rebuilt("", &[found]).unwrap();
    // Another location's call is its own.
    begin_at(&l, "west", "k8", "W8", "s", "n8", at(10));

    assert_eq!(l.calls_unread("", at(0)).unwrap(), 4, "c2, c3, c4, k6");
    assert_eq!(
        l.calls_unread("", at(10) + chrono::Duration::minutes(1))
            .unwrap(),
        0
    );
    assert_eq!(l.calls_unread("west", at(0)).unwrap(), 1);
    assert_eq!(l.calls_unread("east", at(0)).unwrap(), 0);
    // `outcomes` reads c2 to its end; a check hears a request not to be called in c3.
    l.record_conversation(&read_as("c2", "CLOSED")).unwrap();
    l.add_opt_out(&ConversationRecord {
        do_not_call: true,
        ..read_as("c3", "OTHER")
    })
    .unwrap();
    assert_eq!(l.calls_unread("", at(0)).unwrap(), 2, "c4, k6");
}
