//! The normalised rows a streamed preview's first pass keeps for its second.
//!
//! The first pass (the index, `stream/first.rs`) normalises every row to learn the facts only the
//! whole export gives. A small export's rows stay in memory, normalised; a larger one's are
//! written here, a chunk at a time, to a temporary file, and the second pass takes them back in
//! order instead of reading and normalising the export again. The file has no name (it is gone
//! when the process ends, however it ends) and only its owner may read it: it holds patient
//! data. It takes about 120 bytes a row, about the export's own size (119 MB for a million rows
//! of Open Dental's columns, a 114 MB export), in the temporary folder (`TMPDIR`).
//!
//! A chunk is written as the number of its blocks, then each block: its length (4 bytes), then
//! its rows (postcard). A block is encoded on the core that normalised its rows, and decoded on
//! a thread of its own, a chunk ahead of the pipeline. Decoding a row costs about half as much CPU
//! as normalising it (its texts, checked and copied, and its box); what the file saves is parsing
//! the CSV again. An appointment's wire form is in `normalise/wire/appointment.rs`.

use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Seek, Write};
use std::sync::mpsc::{sync_channel, Receiver};

use crate::normalise::Normalised;

/// Rows normalised and encoded together on one core (a chunk's blocks keep every core busy),
/// and decoded together.
const BLOCK: usize = 1024;

/// The rows the first pass keeps, chunk by chunk.
pub(super) enum Rows {
    /// A small export's, in memory.
    Held(Vec<Vec<Normalised>>),
    /// A large export's, in a temporary file.
    Spilled(Spill),
}

/// The temporary file the rows are written to.
pub(super) struct Spill {
    file: BufWriter<File>,
    chunks: usize,
    written: u64,
}

impl Rows {
    /// Rows held in memory (`hold`), or written to a new temporary file.
    pub(super) fn new(hold: bool) -> anyhow::Result<Rows> {
        if hold {
            return Ok(Rows::Held(Vec::new()));
        }
        let file = tempfile::tempfile().map_err(|e| {
            anyhow::anyhow!(
                "cannot create a temporary file for the preview's rows in `{}`: {e}; set TMPDIR \
                 to a folder you may write to, with room for about the export's size, and run \
                 again",
                std::env::temp_dir().display()
            )
        })?;
        Ok(Rows::Spilled(Spill {
            file: BufWriter::with_capacity(1 << 16, file),
            chunks: 0,
            written: 0,
        }))
    }

    /// Normalises every chunk `next` gives (until an empty one) on every core and keeps the
    /// rows, chunk by chunk. `facts` reduces a block of rows (with the position in the export of
    /// its first row) to what the caller wants of every row, on the core that normalised them; a
    /// block written to the file is encoded and dropped there too, while its rows are still in
    /// that core's cache. `found` gets each chunk's facts, in order.
    ///
    /// The next chunk is on the cores before this one is finished ([`AHEAD`]): a chunk's last
    /// blocks would otherwise leave a core waiting for the slowest, then for the rows to be
    /// written, each chunk.
    pub(super) fn keep_all<R: Send, T: Send>(
        &mut self,
        mut next: impl FnMut() -> anyhow::Result<Vec<R>>,
        normalise: impl Fn(&R) -> Normalised + Sync,
        facts: impl Fn(usize, &[Normalised]) -> T + Sync,
        mut found: impl FnMut(Vec<T>) -> anyhow::Result<()>,
    ) -> anyhow::Result<()> {
        let held = matches!(self, Rows::Held(_));
        let work = |at: usize, records: Vec<R>| -> anyhow::Result<(T, Block)> {
            let rows: Vec<Normalised> = records.iter().map(&normalise).collect();
            drop(records);
            let found = facts(at, &rows);
            if held {
                return Ok((found, Block::Rows(rows)));
            }
            // Room for a block of typical rows from the start: growing would copy it.
            let bytes = Encoded(Vec::with_capacity(BLOCK * 192));
            let bytes = postcard::serialize_with_flavor(&rows, bytes)
                .map_err(|e| anyhow::anyhow!("internal error: cannot keep a preview row: {e}"))?;
            Ok((found, Block::Bytes(bytes)))
        };
        rayon::in_place_scope(|scope| {
            let mut pending = std::collections::VecDeque::new();
            let mut position = 0;
            loop {
                let chunk = next()?;
                if chunk.is_empty() {
                    break;
                }
                let (done, blocks) = std::sync::mpsc::channel();
                let blocks_of = into_blocks(chunk);
                let count = blocks_of.len();
                for (b, records) in blocks_of.into_iter().enumerate() {
                    let (done, work) = (done.clone(), &work);
                    let at = position;
                    position += records.len();
                    scope.spawn(move |_| {
                        // A send fails only when the reading stopped early: nobody wants it.
                        let _ = done.send((b, work(at, records)));
                    });
                }
                pending.push_back(Pending { blocks, count });
                if pending.len() == AHEAD {
                    if let Some(chunk) = pending.pop_front() {
                        found(self.finish(chunk)?)?;
                    }
                }
            }
            while let Some(chunk) = pending.pop_front() {
                found(self.finish(chunk)?)?;
            }
            Ok(())
        })
    }

    /// A chunk whose blocks are on the cores: its rows kept (in memory, or written in order)
    /// once every block is done; its facts, in order.
    fn finish<T>(&mut self, Pending { blocks, count }: Pending<T>) -> anyhow::Result<Vec<T>> {
        let mut done: Vec<Option<(T, Block)>> = (0..count).map(|_| None).collect();
        for _ in 0..count {
            // Every block's job sends once; none left means one of them stopped (panicked).
            let (b, block) = blocks.recv().map_err(|_| {
                anyhow::anyhow!("internal error: a block of the export's rows was not normalised")
            })?;
            done[b] = Some(block?);
        }
        let done = done.into_iter().flatten();
        match self {
            Rows::Held(chunks) => {
                let mut rows = Vec::with_capacity(count * BLOCK);
                let found = done
                    .map(|(found, block)| {
                        if let Block::Rows(block) = block {
                            rows.extend(block);
                        }
                        found
                    })
                    .collect();
                chunks.push(rows);
                Ok(found)
            }
            Rows::Spilled(spill) => {
                spill.write(&length(count)?)?;
                let mut found = Vec::with_capacity(count);
                for (facts, block) in done {
                    if let Block::Bytes(bytes) = block {
                        spill.write(&length(bytes.len())?)?;
                        spill.write(&bytes)?;
                    }
                    found.push(facts);
                }
                spill.chunks += 1;
                Ok(found)
            }
        }
    }

    /// The rows kept, to be taken back chunk by chunk in the order they were kept.
    pub(super) fn take_back(self) -> anyhow::Result<TakeBack> {
        let spill = match self {
            Rows::Held(chunks) => return Ok(TakeBack::Held(chunks.into_iter())),
            Rows::Spilled(spill) => spill,
        };
        tracing::debug!(
            bytes = spill.written,
            "the preview's rows are in a temporary file"
        );
        let mut file = spill
            .file
            .into_inner()
            .map_err(|e| write_error(e.into_error()))?;
        file.rewind().map_err(read_error)?;
        let chunks = spill.chunks;
        // No queue: the thread decodes the next chunk while the pipeline works on this one,
        // then waits to hand it over, so at most two chunks of rows are in memory (decoding
        // is much faster than the stages, so the pipeline does not wait for it).
        let (sender, receiver) = sync_channel(0);
        std::thread::spawn(move || {
            let mut file = BufReader::with_capacity(1 << 16, file);
            let mut block = Vec::new();
            for _ in 0..chunks {
                let chunk = read_chunk(&mut file, &mut block);
                let failed = chunk.is_err();
                // A send fails only when the pipeline stopped early: nobody wants the rest.
                if sender.send(chunk).is_err() || failed {
                    break;
                }
            }
        });
        Ok(TakeBack::Spilled(receiver))
    }
}

impl Spill {
    fn write(&mut self, bytes: &[u8]) -> anyhow::Result<()> {
        self.file.write_all(bytes).map_err(write_error)?;
        self.written += bytes.len() as u64;
        Ok(())
    }
}

/// Chunks on the cores at once while the rows are kept ([`Rows::keep_all`]).
const AHEAD: usize = 2;

/// A chunk's blocks on the cores: each comes back (with its place) on `blocks`.
struct Pending<T> {
    blocks: Receiver<(usize, anyhow::Result<(T, Block)>)>,
    count: usize,
}

/// A block of rows normalised: the rows themselves (kept in memory), or encoded (for the file).
enum Block {
    Rows(Vec<Normalised>),
    Bytes(Vec<u8>),
}

/// A block's rows as postcard encodes them, into a vector sized for the block from the start.
struct Encoded(Vec<u8>);

impl postcard::ser_flavors::Flavor for Encoded {
    type Output = Vec<u8>;

    fn try_push(&mut self, byte: u8) -> postcard::Result<()> {
        self.0.push(byte);
        Ok(())
    }

    fn try_extend(&mut self, bytes: &[u8]) -> postcard::Result<()> {
        // Mostly a number's one byte (a length, a count): a copy of a slice calls `memcpy`.
        match bytes {
            [byte] => self.0.push(*byte),
            _ => self.0.extend_from_slice(bytes),
        }
        Ok(())
    }

    fn finalize(self) -> postcard::Result<Vec<u8>> {
        Ok(self.0)
    }
}

/// A chunk's records split into blocks of [`BLOCK`], in order, each record moved once.
fn into_blocks<R>(mut chunk: Vec<R>) -> Vec<Vec<R>> {
    let mut blocks = Vec::with_capacity(chunk.len().div_ceil(BLOCK));
    while chunk.len() > BLOCK {
        let last = (chunk.len() - 1) / BLOCK * BLOCK;
        blocks.push(chunk.split_off(last));
    }
    blocks.push(chunk);
    blocks.reverse();
    blocks
}

/// The rows kept, coming back.
pub(super) enum TakeBack {
    Held(std::vec::IntoIter<Vec<Normalised>>),
    /// From the reader thread, every chunk written, in order (the channel closes after the last,
    /// or early if the thread fails: the caller counts the rows).
    Spilled(Receiver<anyhow::Result<Vec<Normalised>>>),
}

impl TakeBack {
    /// The next chunk's rows; none after the last.
    pub(super) fn next(&mut self) -> anyhow::Result<Option<Vec<Normalised>>> {
        match self {
            TakeBack::Held(chunks) => Ok(chunks.next()),
            TakeBack::Spilled(chunks) => chunks.recv().ok().transpose(),
        }
    }
}

/// One chunk from the file, its blocks read and decoded one after another on this thread (the
/// pipeline's read-ahead: the cores stay with the stages). `block` is the buffer to read into.
fn read_chunk(file: &mut impl Read, block: &mut Vec<u8>) -> anyhow::Result<Vec<Normalised>> {
    let count = read_length(file)?;
    let mut rows = Vec::with_capacity(count * BLOCK);
    for _ in 0..count {
        block.resize(read_length(file)?, 0);
        file.read_exact(block).map_err(read_error)?;
        decode_block(block, &mut rows).map_err(|e| {
            anyhow::anyhow!("internal error: a preview row in its temporary file: {e}")
        })?;
    }
    Ok(rows)
}

/// A block's rows, decoded straight onto the chunk's: a block is written as a list (its
/// length, then each row), and is read back row by row, without a list of its own to copy.
fn decode_block(mut block: &[u8], rows: &mut Vec<Normalised>) -> postcard::Result<()> {
    let count: usize;
    (count, block) = postcard::take_from_bytes(block)?;
    for _ in 0..count {
        let row: Normalised;
        (row, block) = postcard::take_from_bytes(block)?;
        rows.push(row);
    }
    Ok(())
}

/// A count or a length as written in the file.
fn length(n: usize) -> anyhow::Result<[u8; 4]> {
    let n = u32::try_from(n)
        .map_err(|_| anyhow::anyhow!("internal error: a block of preview rows too large"))?;
    Ok(n.to_le_bytes())
}

fn read_length(file: &mut impl Read) -> anyhow::Result<usize> {
    let mut bytes = [0; 4];
    file.read_exact(&mut bytes).map_err(read_error)?;
    Ok(u32::from_le_bytes(bytes) as usize)
}

/// What to do when the temporary folder has no room.
const ROOM: &str = "free some space there (a large export's rows take about as much as the \
                    export itself), or set TMPDIR to a folder with more room, and run again";

fn write_error(e: std::io::Error) -> anyhow::Error {
    anyhow::anyhow!(
        "cannot write the preview's rows to a temporary file in `{}`: {e}; {ROOM}",
        std::env::temp_dir().display()
    )
}

fn read_error(e: std::io::Error) -> anyhow::Error {
    anyhow::anyhow!("cannot read the preview's rows back from their temporary file: {e}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::normalise::{Appointment, Phone, Unusable};
    use crate::reason::{Reason, ReasonCode};
    use chrono::{NaiveDate, TimeZone};
    use chrono_tz::Tz;

    fn phone(n: u32) -> Phone {
        Phone {
            e164: format!("+1312555{n:04}").into(),
            national: format!("(312) 555-{n:04}").into(),
        }
    }

    /// Row `i` of a varied export: usable rows with every optional value set or not, in
    /// several zones (a date in each of a DST change's days too), and unusable ones, some with
    /// opted-out numbers.
    fn row(i: u32) -> Normalised {
        let zones = [
            chrono_tz::America::Chicago,
            chrono_tz::America::Los_Angeles,
            chrono_tz::America::Phoenix,
            chrono_tz::Pacific::Honolulu,
            chrono_tz::Europe::London,
            chrono_tz::UTC,
        ];
        let tz: Tz = zones[i as usize % zones.len()];
        // Days clocks change in the United States (8 March, 1 November 2026), at every hour
        // of the morning: 01:30 on 1 November twice (the later one here), 02:30 on 8 March
        // never (03:30 instead).
        let (month, day) = [(3, 8), (11, 1), (11, 2), (7, 4)][i as usize % 4];
        let at = |hour| {
            tz.with_ymd_and_hms(2026, month, day, hour, i % 60, 0)
                .latest()
        };
        let start = at(i % 12).or_else(|| at(i % 12 + 1)).unwrap();
        let full = i.is_multiple_of(2);
        let some = |text: &str| full.then(|| format!("{text} {i}").into());
        let result = match i % 5 {
            3 => Err(Unusable {
                appointment_id: (!i.is_multiple_of(3)).then(|| format!("U{i}").into()),
                reason: Reason::new(ReasonCode::InvalidTime, format!("no time on row {i}")),
                opted_out: (0..i % 3).map(|n| phone(n).e164.into()).collect(),
                asked_not_to_be_called: i % 3 == 1,
                location: Some(i as usize % 3),
                start: i.is_multiple_of(2).then_some(start.timestamp()),
            }),
            4 => Err(Unusable {
                appointment_id: None,
                reason: Reason::new(ReasonCode::NoValidPhone, "no number"),
                opted_out: Vec::new(),
                asked_not_to_be_called: false,
                location: None,
                start: None,
            }),
            _ => Ok(Box::new(Appointment {
                id: format!("A{i}").into(),
                patient_id: some("P"),
                first_name: format!("Zoë {i}").into(),
                last_name: some("O'Brien"),
                birth_date: full
                    .then(|| NaiveDate::from_ymd_opt(1940 + i as i32 % 80, 2, 29 - i % 2))
                    .flatten(),
                phone: phone(i),
                other_phones: (0..i % 3)
                    .map(|n| (format!("HmPhone{n}").into(), phone(i + n + 1)))
                    .collect(),
                uncallable_numbers: (0..i % 4)
                    .map(|n| ("WkPhone".into(), format!("+1800555{n:04}").into()))
                    .collect(),
                start,
                end: full.then(|| start + chrono::Duration::minutes(45)),
                appointment_type: some("Recall"),
                description: some("Pano, \"Prophy\""),
                status: some("1"),
                confirmed: some("Not Called"),
                opt_out: i.is_multiple_of(7).then(|| "DoNotCall: Y".into()),
                language: some("es"),
                phone_note: i
                    .is_multiple_of(5)
                    .then(|| "WirelessPhone has letters; called on HmPhone instead".into()),
                location: i as usize % 3,
            })),
        };
        Normalised {
            row: u64::from(i) + 2,
            result,
        }
    }

    /// The facts of a block of rows, for a test: its place in the chunk and its rows' numbers.
    fn facts(at: usize, rows: &[Normalised]) -> (usize, Vec<u64>) {
        (at, rows.iter().map(|n| n.row).collect())
    }

    /// Chunks of consecutive [`row`]s, of these sizes.
    fn chunks_of(sizes: &[usize]) -> Vec<Vec<Normalised>> {
        let mut next = 0;
        sizes
            .iter()
            .map(|&n| {
                let chunk = (next..next + n as u32).map(row).collect();
                next += n as u32;
                chunk
            })
            .collect()
    }

    /// Keeps `chunks` as the first reading does: the facts `found` got, chunk by chunk.
    fn keep(rows: &mut Rows, chunks: &[Vec<Normalised>]) -> Vec<Vec<(usize, Vec<u64>)>> {
        let mut given = chunks.iter().cloned();
        let mut found = Vec::new();
        let next = || Ok(given.next().unwrap_or_default());
        let send = |facts| {
            found.push(facts);
            Ok(())
        };
        rows.keep_all(next, Normalised::clone, facts, send).unwrap();
        found
    }

    /// Facts that came back whole, in order, each block at its place (`first`: the position
    /// of the chunk's first row).
    fn check_facts(found: Vec<(usize, Vec<u64>)>, chunk: &[Normalised], first: usize) {
        let mut all = Vec::new();
        for (at, rows) in found {
            assert_eq!(chunk[at - first].row, rows[0]);
            all.extend(rows);
        }
        assert_eq!(all, chunk.iter().map(|n| n.row).collect::<Vec<_>>());
    }

    /// Every chunk's facts checked, in order.
    fn check_all_facts(found: Vec<Vec<(usize, Vec<u64>)>>, chunks: &[Vec<Normalised>]) {
        assert_eq!(found.len(), chunks.len());
        let mut first = 0;
        for (found, chunk) in found.into_iter().zip(chunks) {
            check_facts(found, chunk, first);
            first += chunk.len();
        }
    }

    /// Each row's zones (moments compare equal across zones).
    fn zones(rows: &[Normalised]) -> Vec<Option<(Tz, Option<Tz>)>> {
        let zone = |a: &Appointment| (a.start.timezone(), a.end.map(|e| e.timezone()));
        rows.iter()
            .map(|n| n.result.as_deref().ok().map(zone))
            .collect()
    }

    #[test]
    fn rows_written_to_the_temporary_file_come_back_equal_chunk_by_chunk() {
        let sizes = [2 * BLOCK + 7, 1, BLOCK, 30];
        let chunks = chunks_of(&sizes);
        let mut rows = Rows::new(false).unwrap();
        check_all_facts(keep(&mut rows, &chunks), &chunks);
        assert!(matches!(&rows, Rows::Spilled(s) if s.chunks == sizes.len()));
        let mut back = rows.take_back().unwrap();
        for chunk in &chunks {
            let got = back.next().unwrap().unwrap();
            assert_eq!(got, *chunk);
            assert_eq!(zones(&got), zones(chunk));
        }
        assert!(back.next().unwrap().is_none());
    }

    #[test]
    fn held_rows_come_back_as_they_were_kept() {
        let sizes = [BLOCK + 10, 3, 2 * BLOCK];
        let chunks = chunks_of(&sizes);
        let mut rows = Rows::new(true).unwrap();
        check_all_facts(keep(&mut rows, &chunks), &chunks);
        let mut back = rows.take_back().unwrap();
        for chunk in &chunks {
            assert_eq!(back.next().unwrap().unwrap(), *chunk);
        }
        assert!(back.next().unwrap().is_none());
    }
}
