//! The JTL CSV fast path: rows without a quote are cut at their delimiters in place and parsed by
//! hand; any row it cannot take (a quote, a short row, a cell that is not a plain number) is left
//! to the full reader, so errors and odd cells read exactly as before.
//!
//! Numbers of up to 16 digits are read as one or two 8-byte words ending at the cell's end (the
//! bytes before the cell read as `0`), with no loop over digits, and each number column remembers
//! its last leading word and value: a timestamp's leading digits stay the same for hours.
//! Latencies stay whole milliseconds into the aggregator, which converts them without
//! floating-point rounding. An endpoint is found by comparing the label's bytes with those seen
//! before (length and outer 8 bytes first, then the middle a word at a time) instead of hashing a
//! string. `equivalence.rs` pins all of it against the full reader (`records.rs`).
//!
//! Each hand-written part is kept because the libraries lose end to end (`benches/fast_paths`,
//! `benches/binary_ab.sh`; figures in benches/README.md): with atoi for the numbers a one-thread
//! read of a 10-million-row JTL took about 1.11 times as long, with a hashbrown table for the
//! endpoints about 1.18 times (a std or foldhash map comparing keys by `==` calls memcmp, which
//! is slower still), and the row cutter (`marks.rs`) reads at about twice memchr's, simd-csv's
//! and csv-core's speed.

use foldhash::HashMap;

use super::Columns;
use super::marks::Marks;
use crate::results::aggregate::{Aggregator, Sample, Slot};

/// Rows needing more cells than this always take the full reader.
pub(super) const MAX_CELLS: usize = 32;
/// Distinct (label, method) pairs looked up by a linear scan before the hash map.
const SCAN: usize = 16;

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
    memos: Memos,
}

/// One `Memo` per number column.
#[derive(Clone, Default)]
struct Memos {
    elapsed: Memo,
    start: Memo,
    users: Memo,
}

/// Endpoint slots by the raw bytes of label and method: most files repeat a few labels millions
/// of times, and a few word compares beat hashing a string.
#[derive(Clone, Default)]
pub(super) struct SlotCache {
    recent: Vec<Entry>,
    /// Where the last hit was: labels often come round in the same order.
    last: usize,
    more: HashMap<Vec<u8>, Slot>,
    key: Vec<u8>,
}

#[derive(Clone)]
struct Entry {
    /// Cheap to compare first: lengths and the outer bytes of label and method.
    sketch: [u64; 5],
    label: Box<[u8]>,
    method: Box<[u8]>,
    slot: Slot,
}

/// Lengths and up to 8 bytes from each end of both: equal sketches of strings up to 16 bytes
/// long mean equal strings; longer ones are compared in the middle too (`same`).
fn sketch(label: &[u8], method: &[u8]) -> [u64; 5] {
    let ends = |b: &[u8]| match (b.first_chunk::<8>(), b.last_chunk::<8>()) {
        // Two fixed-size loads; shorter strings (methods, short labels) are read as if padded
        // with zeros, byte by byte (a copy into a padded buffer is a library call).
        (Some(head), Some(tail)) => (u64::from_le_bytes(*head), u64::from_le_bytes(*tail)),
        _ => {
            let v = b.iter().rev().fold(0u64, |v, &c| v << 8 | u64::from(c));
            (v, v)
        }
    };
    let (lh, lt) = ends(label);
    let (mh, mt) = ends(method);
    [
        lh,
        lt,
        mh,
        mt,
        (label.len() as u64) << 32 | method.len() as u64,
    ]
}

/// Word by word: comparing the arrays whole calls memcmp, which showed in profiles.
fn same_sketch(a: &[u64; 5], b: &[u64; 5]) -> bool {
    a.iter().zip(b).fold(0, |d, (x, y)| d | (x ^ y)) == 0
}

/// Byte equality without a library call, for short cells.
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x == y)
}

/// Whether two byte strings with the same sketch are equal: their lengths and outer 8 bytes are,
/// so only the middle is compared, a word at a time (slice equality calls memcmp).
fn same(sketched: &[u8], other: &[u8]) -> bool {
    let word = |b: &[u8], i: usize| {
        b.get(i..)
            .and_then(|w| w.first_chunk::<8>())
            .map(|w| u64::from_ne_bytes(*w))
    };
    (8..sketched.len().saturating_sub(8))
        .step_by(8)
        .all(|i| word(sketched, i) == word(other, i))
}

impl SlotCache {
    pub(super) fn get(&mut self, label: &[u8], method: &[u8]) -> Option<Slot> {
        let sk = sketch(label, method);
        let n = self.recent.len();
        for k in 0..n {
            let i = if self.last + k < n {
                self.last + k
            } else {
                self.last + k - n
            };
            let e = &self.recent[i];
            if same_sketch(&e.sketch, &sk) && same(&e.label, label) && same(&e.method, method) {
                // The next row is likely the next label in turn.
                self.last = i + 1;
                return Some(e.slot);
            }
        }
        if self.more.is_empty() {
            return None;
        }
        self.fill_key(label, method);
        self.more.get(&self.key).copied()
    }

    pub(super) fn put(&mut self, label: &[u8], method: &[u8], slot: Slot) {
        if self.recent.len() < SCAN {
            self.recent.push(Entry {
                sketch: sketch(label, method),
                label: label.into(),
                method: method.into(),
                slot,
            });
        } else {
            self.fill_key(label, method);
            self.more.insert(self.key.clone(), slot);
        }
    }

    /// 0xFF never occurs in UTF-8, so it separates label from method unambiguously.
    fn fill_key(&mut self, label: &[u8], method: &[u8]) {
        self.key.clear();
        self.key.extend_from_slice(label);
        self.key.push(0xFF);
        self.key.extend_from_slice(method);
    }
}

/// `super::parse_uint` of `block[from..to]`. Up to 16 digits are read as one or two words ending
/// at the cell's end, whenever the block holds the 8 or 16 bytes before it: no loop over digits,
/// whose count varies row to row (and a loop's exit is then mispredicted). The leading word goes
/// through `memo`, the column's last one.
pub(super) fn uint_in(block: &[u8], from: usize, to: usize, memo: &mut Memo) -> Option<u64> {
    match to - from {
        len @ 1..=8 if to >= 8 => memo.digits(word_ending_at(block, to, len)?),
        len @ 9..=16 if to >= 16 => Some(
            memo.digits(word_ending_at(block, to - 8, len - 8)?)? * 100_000_000
                + eight_digits(word_ending_at(block, to, 8)?)?,
        ),
        _ => super::parse_uint(&block[from..to]),
    }
}

/// A column's last leading word and its value: timestamps share their leading digits for hours,
/// and thread counts change seldom, so most rows skip the conversion.
#[derive(Clone, Copy, Default)]
pub(super) struct Memo {
    /// 0 at first, which is no digits and reads as `None`, as `value` says.
    word: u64,
    value: Option<u64>,
}

impl Memo {
    fn digits(&mut self, word: u64) -> Option<u64> {
        if word != self.word {
            self.word = word;
            self.value = eight_digits(word);
        }
        self.value
    }
}

const ZEROS: u64 = 0x3030_3030_3030_3030;

/// The `len` (1 to 8) bytes ending at `to` (at least 8) as a word of eight digits, the bytes
/// before the cell read as '0'.
fn word_ending_at(block: &[u8], to: usize, len: usize) -> Option<u64> {
    let word = u64::from_le_bytes(block[to - 8..to].try_into().ok()?);
    // Little-endian: the cell is the word's high `len` bytes.
    let cell = !0u64 << (8 * (8 - len));
    Some((word & cell) | (ZEROS & !cell))
}

/// Eight ASCII digits read as one word (most significant first), or `None` if any is not one.
fn eight_digits(v: u64) -> Option<u64> {
    const HIGH: u64 = 0xF0F0_F0F0_F0F0_F0F0;
    // Every byte 0x30..=0x3F, and none past 0x39 (adding 6 would carry into the high nibble).
    if v & HIGH != ZEROS || v.wrapping_add(0x0606_0606_0606_0606) & HIGH != ZEROS {
        return None;
    }
    // Pairs, then fours, then all eight: each step multiplies the left digit group up.
    let v = ((v & 0x0F0F_0F0F_0F0F_0F0F).wrapping_mul(2561)) >> 8;
    let v = ((v & 0x00FF_00FF_00FF_00FF).wrapping_mul(6_553_601)) >> 16;
    Some(((v & 0x0000_FFFF_0000_FFFF).wrapping_mul(42_949_672_960_001)) >> 32)
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
            memos: Memos::default(),
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
        let mut marks = std::mem::take(&mut self.marks);
        let taken = marks.rows(block, self.delimiter, |marks, start, end| {
            self.parse(marks, block, start, end)
                .is_some_and(|row| self.add(&row, agg))
        });
        self.marks = marks;
        taken
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
        // Where cell `i` is in the block.
        let span = |i: usize| -> (usize, usize) {
            let from = start + bounds[i] as usize;
            let to = if i + 1 < cells {
                start + bounds[i + 1] as usize - 1
            } else {
                last_end
            };
            (from, to)
        };
        let cell = |i: usize| -> &'a [u8] {
            let (from, to) = span(i);
            &block[from..to]
        };
        let memos = &mut self.memos;
        let elapsed = {
            let (from, to) = span(self.elapsed);
            uint_in(block, from, to, &mut memos.elapsed)?
        };
        let start = match self.timestamp.map(span) {
            Some((from, to)) => {
                Some(uint_in(block, from, to, &mut memos.start).filter(|t| *t <= self.max_start)?)
            }
            None => None,
        };
        let success = match self.success {
            Some(i) => Some(super::parse_bool(cell(i))?),
            None => None,
        };
        let users = match self.threads.map(span) {
            Some((from, to)) if from == to => None,
            None => None,
            Some((from, to)) => Some(uint_in(block, from, to, &mut memos.users)?),
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
    use proptest::prelude::*;

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

    proptest! {
        /// Cells read one after another through one memo, as a column's are.
        #[test]
        fn whole_numbers_read_as_the_full_reader_reads_them(
            rows in proptest::collection::vec(("[0-9,a]{0,20}", "[0-9]{0,21}|[0-9/ :.x-]{0,20}|1732700[0-9]{6}"), 1..8),
        ) {
            let mut memo = super::Memo::default();
            for (before, cell) in rows {
                let block = format!("{before}{cell},1");
                let (from, to) = (before.len(), before.len() + cell.len());
                prop_assert_eq!(super::uint_in(block.as_bytes(), from, to, &mut memo), super::super::parse_uint(cell.as_bytes()));
            }
        }

        #[test]
        fn any_bytes_read_alike(
            rows in proptest::collection::vec((proptest::collection::vec(any::<u8>(), 0..20), proptest::collection::vec(any::<u8>(), 0..20)), 1..8),
        ) {
            let mut memo = super::Memo::default();
            for (before, cell) in rows {
                let block = [&before[..], &cell[..]].concat();
                prop_assert_eq!(super::uint_in(&block, before.len(), block.len(), &mut memo), super::super::parse_uint(&cell));
            }
        }
    }
}
