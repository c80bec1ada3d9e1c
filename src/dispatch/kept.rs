//! A streamed preview's calls, each taking its turn once every call the run makes before it is
//! known.
//!
//! A call's turn depends on every call before it: a run makes the calls free now in input order
//! (by their household's first row), then the held ones by the moment they may go, one rate
//! slot after another. A streamed preview plans a chunk at a time, and meets calls out of that
//! order: a household whose rows are far apart is complete only when its last row is read, and
//! a call held for the recipient's hours must wait for every call free now, even those further
//! down the export. Taking turns chunk by chunk gave such calls other slots than the run would,
//! so the preview could promise calls the run would not make, or tell the office to remind a
//! family by hand that the run would call.
//!
//! So a call free now takes its turn as soon as no household with an earlier first row is still
//! waiting for its last row (most calls, at once: families are booked together); until then, and
//! every held call until the end, it is kept here, in a temporary file (a large export can have
//! hundreds of thousands of them), and taken back in the run's order.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Seek, Write};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::hours::RecipientZones;
use crate::normalise::phone;
use crate::plan::{Call, Member};
use crate::schedule::{CallingWindow, Hold};

/// One kept call: what its turn and its result rows need (a streamed preview neither shows
/// nor writes bodies, so a call is its members and its number; the rest is derived again).
/// Its texts are borrowed: from the call when it is written, from the bytes read back when it
/// is read (no copies to write it, one to make the call again).
#[derive(Serialize, Deserialize)]
struct Record<'a> {
    /// Row, appointment id, start as written, start (nanoseconds since 1970, UTC).
    #[serde(borrow)]
    members: Vec<(u64, &'a str, &'a str, i64)>,
    to_number: &'a str,
    /// The moment it may go from (nanoseconds), and why it waits.
    hold: Option<(i64, &'a str)>,
    /// Its rows' note (a number fallen back to, say).
    note: Option<&'a str>,
}

/// A location's kept calls: the records in a temporary file, and where each one is.
pub struct KeptCalls {
    file: BufWriter<File>,
    written: u64,
    /// The calls free now, by first row: each record's offset and length.
    free: BTreeMap<u64, (u64, u32)>,
    /// The held calls: when each may go (nanoseconds) and its first row, offset and length.
    held: Vec<((i64, u64), u64, u32)>,
    /// Rows the kept calls are for.
    rows: usize,
    window: Option<CallingWindow>,
}

/// A kept call, read back: the call (boxed, as the preview's calls move boxed), its hold and its
/// note.
pub(super) type Kept = (Box<Call>, Option<Hold>, Option<String>);

impl KeptCalls {
    pub fn new() -> anyhow::Result<KeptCalls> {
        let file = tempfile::tempfile().map_err(|e| {
            anyhow::anyhow!("cannot create a temporary file for the preview's calls: {e}")
        })?;
        Ok(KeptCalls {
            file: BufWriter::with_capacity(1 << 16, file),
            written: 0,
            free: BTreeMap::new(),
            held: Vec::new(),
            rows: 0,
            window: None,
        })
    }

    /// Rows the calls kept so far are for (they have no result yet).
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// The location's calling window, as its first planned chunk saw it (every chunk plans at
    /// the run's one moment, so every chunk sees the same).
    pub(super) fn window(&self) -> Option<CallingWindow> {
        self.window
    }

    pub(super) fn set_window(&mut self, window: CallingWindow) {
        self.window.get_or_insert(window);
    }

    /// Keeps a rendered call, with its hold and note.
    pub(super) fn keep(
        &mut self,
        call: &Call,
        hold: Option<&Hold>,
        note: Option<&str>,
    ) -> anyhow::Result<()> {
        let record = Record {
            members: call
                .members
                .iter()
                .map(|m| {
                    let start = nanos(m.start);
                    (m.row, m.appointment_id.as_str(), &*m.start_time, start)
                })
                .collect(),
            to_number: &call.to_number,
            hold: hold.map(|h| (nanos(h.at), h.why.as_str())),
            note,
        };
        let bytes = postcard::to_stdvec(&record)
            .map_err(|e| anyhow::anyhow!("internal error: cannot keep a preview call: {e}"))?;
        self.file.write_all(&bytes).map_err(write_error)?;
        let length = u32::try_from(bytes.len())
            .map_err(|_| anyhow::anyhow!("internal error: a preview call too large to keep"))?;
        let at = (self.written, length);
        match hold {
            None => {
                self.free.insert(first_row(call), at);
            }
            Some(h) => self.held.push(((nanos(h.at), first_row(call)), at.0, at.1)),
        }
        self.written += u64::from(length);
        self.rows += call.members.len();
        Ok(())
    }

    /// The kept calls free now whose first row comes before `row`, by first row (no longer
    /// kept): every call the run makes before them is known.
    pub(super) fn take_free_before(&mut self, row: u64) -> anyhow::Result<Vec<Kept>> {
        if self
            .free
            .first_key_value()
            .is_none_or(|(first, _)| *first >= row)
        {
            return Ok(Vec::new());
        }
        let later = self.free.split_off(&row);
        let taken = std::mem::replace(&mut self.free, later);
        self.file.flush().map_err(write_error)?;
        let file = self.file.get_ref();
        let mut bytes = Vec::new();
        let mut kept = Vec::with_capacity(taken.len());
        for (offset, length) in taken.into_values() {
            use std::os::unix::fs::FileExt;
            bytes.resize(length as usize, 0);
            file.read_exact_at(&mut bytes, offset).map_err(read_error)?;
            let record = Record::from(&bytes)?;
            self.rows -= record.members.len();
            kept.push(record.into_kept());
        }
        Ok(kept)
    }

    /// Every kept call, in the order the run would make them: the free ones by first row,
    /// then the held ones by the moment they may go (then by first row).
    pub(super) fn in_turn_order(
        self,
    ) -> anyhow::Result<impl Iterator<Item = anyhow::Result<Kept>>> {
        let KeptCalls {
            file,
            free,
            mut held,
            ..
        } = self;
        let mut file = file.into_inner().map_err(|e| write_error(e.into_error()))?;
        file.rewind().map_err(read_error)?;
        // Orders are distinct (a row is in one call), so an unstable sort gives the one order.
        held.sort_unstable_by_key(|(order, _, _)| *order);
        let places = free
            .into_values()
            .chain(held.into_iter().map(|(_, o, l)| (o, l)));
        let mut reader = BufReader::with_capacity(1 << 16, file);
        let mut at = 0u64;
        let mut bytes = Vec::new();
        Ok(places.map(move |(offset, length)| {
            // Mostly in file order: a short hop stays within the buffer.
            let hop = i64::try_from(offset).unwrap_or(i64::MAX) - i64::try_from(at).unwrap_or(0);
            if hop != 0 {
                reader.seek_relative(hop).map_err(read_error)?;
            }
            bytes.resize(length as usize, 0);
            reader.read_exact(&mut bytes).map_err(read_error)?;
            at = offset + u64::from(length);
            Ok(Record::from(&bytes)?.into_kept())
        }))
    }
}

/// Where a call sorts among the calls free now: its household's first row.
pub(super) fn first_row(call: &Call) -> u64 {
    call.members.iter().map(|m| m.row).min().unwrap_or(0)
}

fn write_error(e: std::io::Error) -> anyhow::Error {
    anyhow::anyhow!("cannot write the preview's calls to a temporary file: {e}")
}

fn read_error(e: std::io::Error) -> anyhow::Error {
    anyhow::anyhow!("cannot read the preview's calls back from their temporary file: {e}")
}

impl<'a> Record<'a> {
    fn from(bytes: &'a [u8]) -> anyhow::Result<Record<'a>> {
        postcard::from_bytes(bytes)
            .map_err(|e| anyhow::anyhow!("internal error: a kept preview call: {e}"))
    }

    /// The call as rendered without a body ([`crate::plan::Planned::skeleton`]).
    fn into_kept(self) -> Kept {
        let call = Box::new(Call {
            masked_to: phone::mask(self.to_number),
            zones: RecipientZones::for_number(self.to_number),
            to_number: self.to_number.into(),
            body_json: Box::from(""),
            summary: Default::default(),
            members: self
                .members
                .into_iter()
                .map(|(row, appointment_id, start_time, start)| Member {
                    row,
                    appointment_id: appointment_id.into(),
                    start_time: start_time.into(),
                    start: DateTime::from_timestamp_nanos(start),
                })
                .collect(),
        });
        let hold = self.hold.map(|(at, why)| Hold {
            at: DateTime::from_timestamp_nanos(at),
            why: why.to_string(),
        });
        (call, hold, self.note.map(str::to_string))
    }
}

/// A moment as nanoseconds since 1970 (every moment of a schedule is within i64's 292 years).
fn nanos(t: DateTime<Utc>) -> i64 {
    t.timestamp_nanos_opt().unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    /// Boxed, as a kept call comes back.
    fn call(rows: &[u64], number: &str) -> Box<Call> {
        let start = Utc.with_ymd_and_hms(2026, 11, 24, 15, 0, 0).unwrap();
        Box::new(Call {
            members: rows
                .iter()
                .map(|&row| Member {
                    row,
                    appointment_id: compact_str::format_compact!("A{row}"),
                    start_time: "2026-11-24T09:00:00-06:00".into(),
                    start,
                })
                .collect(),
            to_number: number.into(),
            masked_to: phone::mask(number),
            zones: RecipientZones::for_number(number),
            body_json: Box::from(""),
            summary: Default::default(),
        })
    }

    #[test]
    fn kept_calls_come_back_whole_free_ones_by_first_row_then_held_ones_by_moment() {
        let at = |h| Hold {
            at: Utc.with_ymd_and_hms(2026, 11, 23, h, 0, 0).unwrap(),
            why: format!("held until {h}"),
        };
        let mut kept = KeptCalls::new().unwrap();
        // As a streamed preview meets them: a household completed late, a held call, more.
        kept.keep(&call(&[9], "+13125550109"), None, None).unwrap();
        kept.keep(&call(&[4], "+13125550104"), Some(&at(18)), None)
            .unwrap();
        kept.keep(&call(&[12, 2], "+13125550102"), None, Some("a note"))
            .unwrap();
        kept.keep(&call(&[3], "+13125550103"), Some(&at(17)), None)
            .unwrap();
        kept.keep(&call(&[7], "+13125550107"), None, None).unwrap();
        assert_eq!(kept.rows(), 6);
        let back: Vec<Kept> = kept.in_turn_order().unwrap().map(Result::unwrap).collect();
        let firsts: Vec<Vec<u64>> = back
            .iter()
            .map(|(c, _, _)| c.members.iter().map(|m| m.row).collect())
            .collect();
        assert_eq!(firsts, [vec![12, 2], vec![7], vec![9], vec![3], vec![4]]);
        assert_eq!(back[0].0, call(&[12, 2], "+13125550102"));
        assert_eq!(back[0].2.as_deref(), Some("a note"));
        assert_eq!(back[3].1, Some(at(17)));
        assert_eq!(back[4].0, call(&[4], "+13125550104"));
    }

    #[test]
    fn free_calls_before_a_row_are_taken_back_by_first_row_and_no_longer_kept() {
        let at = Hold {
            at: Utc.with_ymd_and_hms(2026, 11, 23, 17, 0, 0).unwrap(),
            why: "held".into(),
        };
        let mut kept = KeptCalls::new().unwrap();
        kept.keep(&call(&[9], "+13125550109"), None, None).unwrap();
        kept.keep(&call(&[3], "+13125550103"), Some(&at), None)
            .unwrap();
        kept.keep(&call(&[12, 2], "+13125550102"), None, Some("a note"))
            .unwrap();
        kept.keep(&call(&[7], "+13125550107"), None, None).unwrap();
        let rows = |k: &[Kept]| -> Vec<u64> { k.iter().map(|(c, _, _)| first_row(c)).collect() };
        assert!(kept.take_free_before(2).unwrap().is_empty());
        let taken = kept.take_free_before(9).unwrap();
        assert_eq!(rows(&taken), [2, 7]);
        assert_eq!(taken[0].2.as_deref(), Some("a note"));
        assert_eq!(kept.rows(), 2);
        // The held call waits for the end, whatever its row.
        let rest: Vec<Kept> = kept.in_turn_order().unwrap().map(Result::unwrap).collect();
        assert_eq!(rows(&rest), [9, 3]);
        assert_eq!(rest[1].1, Some(at));
    }
}
