//! The single owner of everything a person sees about the outcome: the results file, the
//! progress bar and the summary. Workers send it rows; when the channel closes, every row has
//! been recorded (the pipeline's invariant, checked in [`crate::run`]).

use std::io::IsTerminal;
use std::time::Instant;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use tokio::sync::mpsc;

use crate::logging;
use crate::preview::Spool;
use crate::results::writer::ResultsWriter;
use crate::results::{RowResult, Status, Summary};

/// What the collector produces.
pub struct Collected {
    pub summary: Summary,
    /// Every row, sorted by input row, when asked for (the preview table needs them).
    pub rows: Vec<RowResult>,
}

/// Receives rows until every sender is gone, writing and counting each one.
pub async fn collect(
    mut rows: mpsc::UnboundedReceiver<Vec<RowResult>>,
    writer: ResultsWriter,
    total: usize,
    show_progress: bool,
    keep_rows: bool,
    summary: Summary,
) -> anyhow::Result<Collected> {
    let mut collector = Collector::new(writer, total, show_progress, keep_rows, summary, None);
    while let Some(rows) = rows.recv().await {
        collector.take_all(rows)?;
    }
    Ok(collector.finish()?.0)
}

/// Sees each row once, as it comes: writes it to the results file, counts it, moves the
/// progress bar, and hands it to the preview table's spool. Rows are kept only when asked for
/// (the HTML report and `--show-texts` need them at the end).
pub struct Collector {
    writer: ResultsWriter,
    summary: Summary,
    bar: Option<ProgressBar>,
    started: Instant,
    kept: Option<Vec<RowResult>>,
    table: Option<Spool>,
    /// Flush the results file after every row (else the owner calls [`Collector::flush`]).
    flush_each: bool,
}

impl Collector {
    pub fn new(
        writer: ResultsWriter,
        total: usize,
        show_progress: bool,
        keep_rows: bool,
        summary: Summary,
        table: Option<Spool>,
    ) -> Collector {
        Collector {
            writer,
            summary,
            bar: progress_bar(total as u64, show_progress),
            started: Instant::now(),
            kept: keep_rows.then(Vec::new),
            table,
            flush_each: true,
        }
    }

    /// A collector whose owner flushes the results file when it has taken a batch of rows.
    pub fn flushing_in_batches(mut self) -> Collector {
        self.flush_each = false;
        self
    }

    /// Hands the rows written so far to the operating system.
    pub fn flush(&mut self) -> anyhow::Result<()> {
        self.writer.flush()
    }

    /// The preview table's spool, if the table is spooled.
    pub fn table(&self) -> Option<&Spool> {
        self.table.as_ref()
    }

    /// Records rows in the order they came (a call's rows, or a preview's chunk of them: one
    /// message on the channel, not one a row). A collector that flushes each row still writes
    /// and flushes them one by one.
    pub fn take_all(&mut self, rows: Vec<RowResult>) -> anyhow::Result<()> {
        for row in rows {
            self.take(row)?;
        }
        Ok(())
    }

    /// Records one row.
    pub fn take(&mut self, row: RowResult) -> anyhow::Result<()> {
        match self.flush_each {
            true => self.writer.write(&row)?,
            false => self.writer.write_unflushed(&row)?,
        }
        self.summary.record(&row);
        tracing::debug!(
            row = row.row,
            appointment = row.appointment_id.as_deref().unwrap_or(""),
            status = row.status.as_str(),
            "result"
        );
        if let Some(bar) = &self.bar {
            bar.inc(1);
            bar.set_message(progress_message(&self.summary));
        }
        if let Some(table) = &mut self.table {
            table.add(&row)?;
        }
        if let Some(kept) = &mut self.kept {
            kept.push(row);
        }
        Ok(())
    }

    /// Closes the results file; the kept rows come back sorted by input row, with the table's
    /// spool when there is one.
    pub fn finish(mut self) -> anyhow::Result<(Collected, Option<Spool>)> {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
            logging::set_active_bar(None);
        }
        self.summary.elapsed = self.started.elapsed();
        self.writer.finish()?;
        let mut kept = self.kept.unwrap_or_default();
        kept.sort_by_key(|r| r.row);
        let collected = Collected {
            summary: self.summary,
            rows: kept,
        };
        Ok((collected, self.table))
    }
}

/// Locations shown one by one on the progress line; a larger group shows the totals only (the
/// summary at the end names every location).
const PROGRESS_LOCATIONS: usize = 4;

/// `12 sent, 1 failed`, then for a small group each location's counts.
fn progress_message(summary: &Summary) -> String {
    let mut message = format!(
        "{} sent, {} failed",
        summary.count(Status::Sent),
        summary.count(Status::Failed)
    );
    if summary.by_location.len() <= PROGRESS_LOCATIONS {
        for part in summary.location_parts() {
            message.push_str(" · ");
            message.push_str(&part);
        }
    }
    message
}

/// A bar on stderr only for a person at a terminal: never under cron, `-q` or `--no-progress`.
fn progress_bar(total: u64, wanted: bool) -> Option<ProgressBar> {
    if !wanted || !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template("{bar:30} {pos}/{len} rows  {msg}  {per_sec}  eta {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    logging::set_active_bar(Some(bar.clone()));
    Some(bar)
}

/// A countdown bar while waiting for calling hours (only on a terminal). Dropping it clears it.
pub fn countdown(wait: std::time::Duration, wanted: bool) -> Option<Countdown> {
    let bar = progress_bar(wait.as_secs(), wanted)?;
    bar.set_style(
        ProgressStyle::with_template("waiting for calling hours {bar:30} {eta} left")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let ticking = bar.clone();
    let task = tokio::spawn(async move {
        loop {
            tokio::time::sleep(std::time::Duration::from_secs(1)).await;
            ticking.inc(1);
        }
    });
    Some(Countdown { bar, task })
}

pub struct Countdown {
    bar: ProgressBar,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Countdown {
    fn drop(&mut self) {
        self.task.abort();
        self.bar.finish_and_clear();
        logging::set_active_bar(None);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::RowResult;

    fn row(status: Status, location: &str) -> RowResult {
        RowResult {
            row: 2,
            appointment_id: None,
            status,
            conversation_id: None,
            reason: None,
            http_status: None,
            to_number: None,
            start_time: None,
            attempted_at: None,
            location: Some(location.into()),
            reason_code: None,
            uncovered: false,
        }
    }

    #[test]
    fn the_progress_line_names_a_small_groups_locations() {
        let mut s = Summary::for_locations([("1", "North"), ("2", "West")].into_iter());
        s.record(&row(Status::Sent, "1"));
        s.record(&row(Status::Failed, "2"));
        assert_eq!(
            progress_message(&s),
            "1 sent, 1 failed · North: 1 sent · West: 1 failed"
        );
        let many: Vec<(String, String)> = (1..=5)
            .map(|i| (i.to_string(), format!("Clinic {i}")))
            .collect();
        let mut s = Summary::for_locations(many.iter().map(|(a, b)| (a.as_str(), b.as_str())));
        s.record(&row(Status::Sent, "1"));
        assert_eq!(progress_message(&s), "1 sent, 0 failed");
    }
}
