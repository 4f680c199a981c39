//! The JTL CSV fast path: rows without a quote are cut at their delimiters in place and parsed by
//! hand; any row it cannot take (a quote, a short row, a cell that is not a plain number) is left
//! to the full reader, so errors and odd cells read exactly as before.
//!
//! Rows are cut by `marks.rs`, the one hand-written part kept: against memchr, csv-core and
//! simd-csv it saves about a sixth of a one-thread read (`benches/fast_paths`, recorded in
//! benches/README.md). Numbers are read by the full reader's `parse_uint` (atoi) and endpoints
//! found by a foldhash map keyed by the label's bytes: the word-at-a-time number reader and the
//! hand-made label cache they replaced won less than the noise of a whole read. Latencies stay
//! whole milliseconds into the aggregator, which converts them without floating-point rounding.
//! `equivalence.rs` pins all of it against the full reader (`records.rs`).

use foldhash::HashMap;

use super::Columns;
use super::marks::Marks;
use crate::results::aggregate::{Aggregator, Sample, Slot};

/// Rows needing more cells than this always take the full reader.
pub(super) const MAX_CELLS: usize = 32;

/// Which cells a row's sample needs, by index, and what they mean.
#[derive(Clone)]
pub(super) struct FastPath {
    delimiter: u8,
    needed: usize,
    elapsed: usize,
    timestamp: Option<usize>,
    label: Option<usize>,
    method: Option<usize>,
    code: Option<usize>,
    success: Option<usize>,
    threads: Option<usize>,
    /// Later timestamps are left to the full reader (see `for_parts`).
    max_start: u64,
    slots: SlotCache,
    /// The last status code seen, as text: runs repeat a few codes, and comparing bytes beats
    /// checking UTF-8 on every row.
    last_code: String,
    /// Reused from block to block.
    marks: Marks,
}

/// Endpoint slots by the raw bytes of label, then method (a label has few): a known label needs
/// no UTF-8 check, only one hash.
#[derive(Clone, Default)]
pub(super) struct SlotCache {
    labels: HashMap<Box<[u8]>, Methods>,
}

/// A label's methods (usually one, or none) and their slots.
type Methods = Vec<(Box<[u8]>, Slot)>;

impl SlotCache {
    pub(super) fn get(&self, label: &[u8], method: &[u8]) -> Option<Slot> {
        let methods = self.labels.get(label)?;
        methods
            .iter()
            .find(|(m, _)| **m == *method)
            .map(|(_, slot)| *slot)
    }

    pub(super) fn put(&mut self, label: &[u8], method: &[u8], slot: Slot) {
        self.labels
            .entry(label.into())
            .or_default()
            .push((method.into(), slot));
    }
}

/// Byte equality without a library call, for short cells.
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x == y)
}

/// A row's cells as the fast path read them.
struct Row<'a> {
    elapsed: u64,
    start: Option<u64>,
    label: Option<&'a [u8]>,
    method: &'a [u8],
    code: Option<&'a [u8]>,
    success: Option<bool>,
    users: Option<u64>,
}

impl FastPath {
    /// `None` when the columns used are too many for the fast path.
    pub(super) fn new(cols: &Columns, delimiter: u8) -> Option<FastPath> {
        (cols.needed <= MAX_CELLS && delimiter != b'"' && delimiter != b'\n').then(|| FastPath {
            delimiter,
            needed: cols.needed,
            elapsed: cols.elapsed,
            timestamp: cols.timestamp,
            label: cols.label,
            method: cols.method,
            code: cols.code,
            success: cols.success,
            threads: cols.threads,
            max_start: u64::MAX,
            slots: SlotCache::default(),
            last_code: String::new(),
            marks: Marks::default(),
        })
    }

    /// For parts of a file read apart: timestamps stay below 2^53 ms (exact as f64; year 287396)
    /// so that bucket widths never saturate and every part agrees on every bucket.
    pub(super) fn for_parts(mut self) -> FastPath {
        self.max_start = 1 << 53;
        self
    }

    /// Aggregates the rows at the start of `block` while they are complete lines the fast path
    /// can read; returns the bytes and lines taken. Blank lines are taken and skipped, as the
    /// full reader skips them. The first row not taken starts at the returned offset.
    pub(super) fn take_rows(&mut self, block: &[u8], agg: &mut Aggregator) -> (usize, usize) {
        // Cell bounds are kept as u32 (a smaller array to clear per row).
        if u32::try_from(block.len()).is_err() {
            return (0, 0);
        }
        let mut pos = 0;
        let mut lines = 0;
        // Rows from the first quote on are the full reader's.
        let quote = memchr::memchr(b'"', block).unwrap_or(block.len());
        let mut marks = std::mem::take(&mut self.marks);
        marks.reset(block.len());
        while let Some(nl) = marks.line_end(block, self.delimiter, pos) {
            if quote < nl {
                break;
            }
            let mut end = nl;
            while end > pos && block[end - 1] == b'\r' {
                end -= 1;
            }
            if end > pos {
                let Some(row) = self.parse(&marks, block, pos, end) else {
                    break;
                };
                if !self.add(&row, agg) {
                    break;
                }
            }
            pos = nl + 1;
            lines += 1;
        }
        self.marks = marks;
        (pos, lines)
    }

    /// Parses the quote-free row `block[start..end]` (without its line end, marked in `marks`)
    /// the way the full reader would, or `None` when only the full reader can say what it holds.
    fn parse<'a>(
        &mut self,
        marks: &Marks,
        block: &'a [u8],
        start: usize,
        end: usize,
    ) -> Option<Row<'a>> {
        let mut bounds = [0u32; MAX_CELLS + 1];
        let cells = self.needed;
        let last_end = marks.cells(start, end, cells, &mut bounds)?;
        let cell = |i: usize| -> &'a [u8] {
            let from = start + bounds[i] as usize;
            let to = if i + 1 < cells {
                start + bounds[i + 1] as usize - 1
            } else {
                last_end
            };
            &block[from..to]
        };
        let elapsed = super::parse_uint(cell(self.elapsed))?;
        let start = match self.timestamp {
            Some(i) => Some(super::parse_uint(cell(i)).filter(|t| *t <= self.max_start)?),
            None => None,
        };
        let success = match self.success {
            Some(i) => Some(super::parse_bool(cell(i))?),
            None => None,
        };
        let users = match self.threads.map(cell) {
            Some([]) | None => None,
            Some(c) => Some(super::parse_uint(c)?),
        };
        let label = self.label.map(cell);
        let method = self.method.map_or(&[][..], cell);
        let code = self.code.map(cell);
        Some(Row {
            elapsed,
            start,
            label,
            method,
            code,
            success,
            users,
        })
    }

    /// Adds a parsed row; false (nothing added) when its label or method is not UTF-8.
    fn add(&mut self, row: &Row, agg: &mut Aggregator) -> bool {
        let slot = match row.label {
            None => Slot::Unnamed,
            Some(label) => match self.slots.get(label, row.method) {
                Some(s) => s,
                None => {
                    // The full reader shows invalid UTF-8 lossily; rare enough to leave to it.
                    let (Ok(l), Ok(m)) =
                        (std::str::from_utf8(label), std::str::from_utf8(row.method))
                    else {
                        return false;
                    };
                    let s = agg.slot(Some(l), (!m.is_empty()).then_some(m));
                    self.slots.put(label, row.method, s);
                    s
                }
            },
        };
        let code = match row.code {
            Some(c) if same_bytes(c, self.last_code.as_bytes()) => Some(self.last_code.as_str()),
            Some(c) => {
                let Ok(text) = std::str::from_utf8(c) else {
                    return false;
                };
                self.last_code.clear();
                self.last_code.push_str(text);
                Some(self.last_code.as_str())
            }
            None => None,
        };
        let success = row
            .success
            .or_else(|| code.map(|c| c.starts_with('2') || c.starts_with('3')));
        agg.add_whole_ms_at(
            slot,
            &Sample {
                start_ms: row.start.map(|t| t as f64),
                elapsed_ms: row.elapsed as f64,
                name: None,
                method: None,
                success,
                status: code,
                users: row.users.map(|u| u as f64),
            },
            row.elapsed,
        );
        true
    }

    /// The start of the first data row in `line`, as the fast path reads it, for `set_origin`.
    pub(super) fn start_of(&mut self, line: &[u8]) -> Option<Option<u64>> {
        let mut block = line.to_vec();
        block.push(b'\n');
        let mut marks = Marks::default();
        marks.reset(block.len());
        let end = marks.line_end(&block, self.delimiter, 0)?;
        if end != line.len() {
            return None; // not one line
        }
        self.parse(&marks, &block, 0, end).map(|r| r.start)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn labels_differing_anywhere_get_their_own_slots() {
        use super::SlotCache;
        use crate::results::aggregate::Slot;
        let labels = [
            "GET /orders/0001/lines/all",
            "GET /orders/0002/lines/all",
            "GET /orders/1001/lines/all",
            "GET /orders/0001/lines/alL",
            "gET /orders/0001/lines/all",
            "GET /a",
            "GET /b",
            "",
        ];
        let mut cache = SlotCache::default();
        for (i, l) in labels.iter().enumerate() {
            assert_eq!(cache.get(l.as_bytes(), b""), None, "{l}");
            cache.put(l.as_bytes(), b"", Slot::Endpoint(i));
        }
        for (i, l) in labels.iter().enumerate() {
            assert_eq!(cache.get(l.as_bytes(), b""), Some(Slot::Endpoint(i)), "{l}");
            assert_eq!(cache.get(l.as_bytes(), b"POST"), None, "{l}");
        }
    }
}
