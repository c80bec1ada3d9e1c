//! The floor for a preview benchmark: the same export through a bare csv-crate read loop (every
//! record parsed, nothing else). `annie-dispatch run --dry-run` can never be faster than this.
//!
//!     cargo run --release --example csv_floor -- export.csv

use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args().nth(1).ok_or("usage: csv_floor FILE")?;
    let started = Instant::now();
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_path(&path)?;
    let mut record = csv::ByteRecord::new();
    let (mut rows, mut bytes) = (0u64, 0usize);
    while reader.read_byte_record(&mut record)? {
        rows += 1;
        bytes += record.as_slice().len();
    }
    let secs = started.elapsed().as_secs_f64();
    println!("{rows} rows ({bytes} field bytes) in {secs:.3}s");
    Ok(())
}
