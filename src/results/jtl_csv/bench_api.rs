//! For `benches/fast_paths` only, not an API: the JTL fast path's parts one at a time (row
//! cutting, number reading, endpoint lookup) and the whole reader with and without the fast path,
//! so each part can be timed against a library doing the same job on the same bytes.

use super::fast::{MAX_CELLS, Memo, SlotCache, uint_in};
use super::marks::Marks;
use super::read_with;
use crate::results::aggregate::Slot;
use crate::results::model::{ResultsError, RunResults};

/// The fast path's row cutter (`marks.rs`), driven as `FastPath::take_rows` drives it.
#[derive(Default)]
pub struct RowCutter {
    marks: Marks,
}

impl RowCutter {
    /// Calls `row(start, bounds, last_end)` for each quote-free complete line of `block` with
    /// at least `cells` cells (`bounds[1..cells]`: cell starts relative to `start`); stops at the
    /// first row the fast path would leave to the full reader. Returns the bytes taken.
    pub fn cut(
        &mut self,
        block: &[u8],
        delimiter: u8,
        cells: usize,
        mut row: impl FnMut(usize, &[u32], usize),
    ) -> usize {
        let cells = cells.min(MAX_CELLS);
        let mut bounds = [0u32; MAX_CELLS + 1];
        let (taken, _) = self.marks.rows(block, delimiter, |marks, start, end| {
            let Some(last_end) = marks.cells(start, end, cells, &mut bounds) else {
                return false;
            };
            row(start, &bounds[..cells], last_end);
            true
        });
        taken
    }
}

/// One number column as the fast path reads it: word at a time, through the column's memo.
#[derive(Default)]
pub struct NumberColumn {
    memo: Memo,
}

impl NumberColumn {
    /// The whole number in `block[from..to]`, as the full reader's `parse_uint` reads it.
    pub fn read(&mut self, block: &[u8], from: usize, to: usize) -> Option<u64> {
        uint_in(block, from, to, &mut self.memo)
    }
}

/// The full reader's digit loop, the reference every number reader must agree with.
pub fn parse_uint(cell: &[u8]) -> Option<u64> {
    super::parse_uint(cell)
}

/// The fast path's endpoint lookup by raw label and method bytes.
#[derive(Default)]
pub struct EndpointSlots {
    cache: SlotCache,
    next: usize,
}

impl EndpointSlots {
    /// The endpoint number of (`label`, `method`), numbering new ones as they come.
    pub fn slot(&mut self, label: &[u8], method: &[u8]) -> usize {
        if let Some(Slot::Endpoint(i)) = self.cache.get(label, method) {
            return i;
        }
        let i = self.next;
        self.next += 1;
        self.cache.put(label, method, Slot::Endpoint(i));
        i
    }
}

/// The whole one-pass JTL CSV reader over `data`, with the fast path (`fast`) or without.
pub fn read(data: &[u8], fast: bool) -> Result<RunResults, ResultsError> {
    read_with("bench.jtl", data, fast)
}
