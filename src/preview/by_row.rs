//! What the preview table's spool keeps about the rows whose results have not come yet, by
//! input row: in a vector sorted by row, not a hash map. Rows are noted a chunk at a time in
//! input order, and their results come mostly in input order too, so the entry a result looks
//! for is most often a few places after the one taken last: found there without hashing, in
//! memory just read (a hash map's entry for each row is a cache miss of its own, a million
//! times in a million-row preview).

/// Entries waiting to be taken below this many are not swept (see [`ByRow::take`]).
const SWEEP_FROM: usize = 64;

/// Entries looked at after the one taken last before searching the whole vector.
const LOOK_AHEAD: usize = 16;

/// Values by input row, sorted by row. A value taken leaves a hole; the holes are swept out
/// once they are half of the entries, so the vector holds at most twice the values waiting.
pub(crate) struct ByRow<T> {
    entries: Entries<T>,
    /// Holes in `entries`.
    taken: usize,
    /// Where to look first: after the entry taken last.
    next: usize,
}

/// Rows and their values (`None`: taken), sorted by row.
pub(crate) type Entries<T> = Vec<(u64, Option<T>)>;

impl<T> Default for ByRow<T> {
    fn default() -> Self {
        ByRow {
            entries: Vec::new(),
            taken: 0,
            next: 0,
        }
    }
}

impl<T> ByRow<T> {
    /// Moves `more` in (leaving it empty, with room for the next entries when this held none).
    /// Entries come in row order; any that do not are sorted in.
    pub(crate) fn take_from(&mut self, more: &mut Entries<T>) {
        if more.is_empty() {
            return;
        }
        let from = self.entries.len();
        match from {
            0 => std::mem::swap(&mut self.entries, more),
            _ => self.entries.append(more),
        }
        let sorted = self.entries[from.saturating_sub(1)..]
            .windows(2)
            .all(|w| w[0].0 < w[1].0);
        if !sorted {
            self.entries.sort_by_key(|e| e.0);
            self.next = 0;
        }
    }

    /// Takes the value of `row`, if it has one not yet taken.
    pub(crate) fn take(&mut self, row: u64) -> Option<T> {
        let at = self.find(row)?;
        let value = self.entries[at].1.take()?;
        self.taken += 1;
        self.next = at + 1;
        if self.taken * 2 > self.entries.len() && self.entries.len() >= SWEEP_FROM {
            self.entries.retain(|e| e.1.is_some());
            self.taken = 0;
            self.next = 0;
        }
        Some(value)
    }

    /// Where `row`'s entry is: a few places after the one taken last, or else anywhere.
    fn find(&self, row: u64) -> Option<usize> {
        let ahead = self.entries.get(self.next..).unwrap_or_default();
        for (i, e) in ahead.iter().take(LOOK_AHEAD).enumerate() {
            if e.0 == row {
                return Some(self.next + i);
            }
            if e.0 > row {
                break;
            }
        }
        self.entries.binary_search_by_key(&row, |e| e.0).ok()
    }

    /// Values not yet taken.
    #[cfg(test)]
    fn waiting(&self) -> usize {
        self.entries.len() - self.taken
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_taken_once_in_any_order_and_holes_are_swept() {
        let mut by_row = ByRow::default();
        let mut more: Entries<u64> = (0..200).map(|r| (r * 2, Some(r * 20))).collect();
        by_row.take_from(&mut more);
        assert!(more.is_empty());
        let mut later: Entries<u64> = (200..300).map(|r| (r * 2, Some(r * 20))).collect();
        // Out of order: sorted in.
        later.push((7, Some(70)));
        by_row.take_from(&mut later);
        assert_eq!(by_row.take(7), Some(70));
        assert_eq!(by_row.take(7), None);
        assert_eq!(by_row.take(3), None);
        for r in (0..300).rev().filter(|r| r % 3 == 0) {
            assert_eq!(by_row.take(r * 2), Some(r * 20), "{r}");
        }
        for r in (0..300).filter(|r| r % 3 != 0) {
            assert_eq!(by_row.take(r * 2), Some(r * 20), "{r}");
        }
        assert_eq!(by_row.waiting(), 0);
        assert_eq!(by_row.take(0), None);
        assert!(by_row.entries.len() < SWEEP_FROM);
    }
}
