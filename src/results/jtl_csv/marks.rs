//! Where a block's delimiters and line ends are, as bit masks: bit `i` of word `k` stands for
//! byte `64 * k + i`. Finding a row's cells is then a walk over set bits, a fixed number of
//! steps per row, instead of a byte loop whose branches depend on the data.
//!
//! Most rows are shorter than 128 bytes: their bits are read as one 128-bit window from the row's
//! start, so the steps do not branch on where a row crosses a 64-byte word either. Longer rows
//! walk the masks word by word.
//!
//! Masks are made a window at a time, just ahead of the rows being read, so the bytes are still
//! in cache when the row is parsed.
//!
//! Kept over the libraries: it cuts rows at about 1.6 times simd-csv's speed and 1.7 times
//! memchr's, which saves about a sixth of a one-thread JTL read (`benches/fast_paths`, figures
//! in benches/README.md).

/// Bytes marked at a time.
const WINDOW: usize = 2048;
/// Bytes past a row's start that must be marked before its window is read (three words).
const AHEAD: usize = 192;

#[derive(Clone, Default)]
pub(super) struct Marks {
    delimiters: Vec<u64>,
    line_ends: Vec<u64>,
    /// Bytes of the block marked so far.
    done: usize,
}

impl Marks {
    /// Starts on a new block of `len` bytes.
    pub(super) fn reset(&mut self, len: usize) {
        let words = len.div_ceil(64);
        self.delimiters.clear();
        self.delimiters.resize(words, 0);
        self.line_ends.clear();
        self.line_ends.resize(words, 0);
        self.done = 0;
    }

    /// Walks the rows of `block` from its start up to its first quote, marking as it goes:
    /// `row(marks, start, end)` gets each non-empty row without its line end (trailing CRs cut)
    /// and returns `false` to stop before it. Returns the bytes and lines taken, complete lines
    /// only: the rest (a quote, a cut last line, a row refused) is the caller's to read another
    /// way.
    #[inline]
    pub(super) fn rows(
        &mut self,
        block: &[u8],
        delimiter: u8,
        mut row: impl FnMut(&Marks, usize, usize) -> bool,
    ) -> (usize, usize) {
        let quote = memchr::memchr(b'"', block).unwrap_or(block.len());
        self.reset(block.len());
        let (mut pos, mut lines) = (0, 0);
        while let Some(nl) = self.line_end(block, delimiter, pos) {
            if quote < nl {
                break;
            }
            let mut end = nl;
            while end > pos && block[end - 1] == b'\r' {
                end -= 1;
            }
            if end > pos && !row(self, pos, end) {
                break;
            }
            pos = nl + 1;
            lines += 1;
        }
        (pos, lines)
    }

    /// The first line end at or after `from`, marking more of `block` as needed; `None` when the
    /// rest of the block holds none.
    #[inline]
    pub(super) fn line_end(&mut self, block: &[u8], delimiter: u8, from: usize) -> Option<usize> {
        while self.done < block.len().min(from + AHEAD) {
            self.mark(block, delimiter);
        }
        let near = window(&self.line_ends, from);
        if near != 0 {
            return Some(from + near.trailing_zeros() as usize);
        }
        // None in the next 128 bytes: a long row, or the end of the block.
        let mut k = from / 64;
        let mut bits = *self.line_ends.get(k)? & (!0u64 << (from % 64));
        loop {
            if bits != 0 {
                return Some(k * 64 + bits.trailing_zeros() as usize);
            }
            k += 1;
            if k * 64 >= self.done && !self.mark(block, delimiter) {
                return None;
            }
            bits = self.line_ends[k];
        }
    }

    /// Fills `bounds[1..cells]` with the start of cells 1, 2, ... of the row `start..end`
    /// (already marked: `end` came from `line_end`), relative to `start`; returns the end of the
    /// last of them, or `None` when the row has fewer than `cells` cells.
    #[inline]
    pub(super) fn cells(
        &self,
        start: usize,
        end: usize,
        cells: usize,
        bounds: &mut [u32],
    ) -> Option<usize> {
        let len = end - start;
        if len <= 128 {
            // The row's bits, from its start, cut at its end (`line_end` marked them).
            let mut bits = window(&self.delimiters, start)
                & (!0u128).checked_shr((128 - len) as u32).unwrap_or(0);
            for bound in bounds.iter_mut().take(cells).skip(1) {
                if bits == 0 {
                    return None;
                }
                *bound = bits.trailing_zeros() + 1;
                bits &= bits - 1;
            }
            // The last cell ends at the next delimiter or the row's end.
            let last_end = if bits == 0 {
                len
            } else {
                bits.trailing_zeros() as usize
            };
            return Some(start + last_end);
        }
        let mut k = start / 64;
        let mut bits = self.delimiters[k] & (!0u64 << (start % 64));
        for bound in bounds.iter_mut().take(cells).skip(1) {
            while bits == 0 {
                k += 1;
                if k * 64 >= end {
                    return None;
                }
                bits = self.delimiters[k];
            }
            let at = k * 64 + bits.trailing_zeros() as usize;
            if at >= end {
                return None;
            }
            // Rows are shorter than u32::MAX: `take_rows` refuses larger blocks.
            *bound = (at + 1 - start) as u32;
            bits &= bits - 1;
        }
        // The last cell ends at the next delimiter or the row's end.
        while bits == 0 {
            k += 1;
            if k * 64 >= end {
                return Some(end);
            }
            bits = self.delimiters[k];
        }
        Some(end.min(k * 64 + bits.trailing_zeros() as usize))
    }

    /// Marks the next window of `block`; false when all of it is marked already.
    fn mark(&mut self, block: &[u8], delimiter: u8) -> bool {
        let from = self.done;
        if from >= block.len() {
            return false;
        }
        let to = block.len().min(from + WINDOW);
        let (words, tail) = block[from..to].as_chunks::<64>();
        let first = from / 64;
        for (i, word) in words.iter().enumerate() {
            let (d, n) = mark_word(word, delimiter);
            self.delimiters[first + i] = d;
            self.line_ends[first + i] = n;
        }
        if !tail.is_empty() {
            // The block's last, partial word: padded with bytes that mark nothing.
            let mut word = [0u8; 64];
            word[..tail.len()].copy_from_slice(tail);
            let keep = (1u64 << tail.len()) - 1;
            let (d, n) = mark_word(&word, delimiter);
            self.delimiters[first + words.len()] = d & keep;
            self.line_ends[first + words.len()] = n & keep;
        }
        self.done = to;
        true
    }
}

/// The 128 bits of `masks` from byte `at` on; bits past the masks are 0.
#[inline]
fn window(masks: &[u64], at: usize) -> u128 {
    let k = at / 64;
    let s = (at % 64) as u32;
    let word = |i: usize| u128::from(masks.get(k + i).copied().unwrap_or(0));
    // Two shifts of at most 64: one of 128 would overflow when `s` is 0.
    ((word(0) | word(1) << 64) >> s) | (word(2) << 64 << (64 - s))
}

/// The delimiter and line-end masks of 64 bytes.
fn mark_word(word: &[u8; 64], delimiter: u8) -> (u64, u64) {
    #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
    {
        // SAFETY: the only requirement of a `target_feature` function is that the CPU has the
        // feature, and this build enables SSE2 for every CPU it runs on (the cfg above).
        unsafe { sse2::mark_word(word, delimiter) }
    }
    #[cfg(not(all(target_arch = "x86_64", target_feature = "sse2")))]
    {
        portable::mark_word(word, delimiter)
    }
}

#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
mod sse2 {
    use std::arch::x86_64::{
        __m128i, _mm_cmpeq_epi8, _mm_movemask_epi8, _mm_set_epi64x, _mm_set1_epi8,
    };

    /// 16 bytes at a time: one compare and one byte-mask move per mask.
    #[target_feature(enable = "sse2")]
    pub(super) fn mark_word(word: &[u8; 64], delimiter: u8) -> (u64, u64) {
        let d = _mm_set1_epi8(delimiter as i8);
        let n = _mm_set1_epi8(b'\n' as i8);
        let mut delimiters = 0u64;
        let mut line_ends = 0u64;
        for (i, part) in word.as_chunks::<16>().0.iter().enumerate() {
            let v = load(part);
            let mask = |m: __m128i| u64::from(_mm_movemask_epi8(m) as u16) << (16 * i);
            delimiters |= mask(_mm_cmpeq_epi8(v, d));
            line_ends |= mask(_mm_cmpeq_epi8(v, n));
        }
        (delimiters, line_ends)
    }

    /// Built from two words rather than through a pointer, which needs no `unsafe`; the compiler
    /// makes it one unaligned load.
    #[target_feature(enable = "sse2")]
    fn load(bytes: &[u8; 16]) -> __m128i {
        let (low, high) = bytes.split_at(8);
        let word = |b: &[u8]| u64::from_le_bytes(b.try_into().unwrap_or_default()) as i64;
        _mm_set_epi64x(word(high), word(low))
    }
}

/// Eight bytes at a time in a general-purpose register, for targets without SSE2.
#[cfg_attr(all(target_arch = "x86_64", target_feature = "sse2"), allow(dead_code))]
mod portable {
    pub(super) fn mark_word(word: &[u8; 64], delimiter: u8) -> (u64, u64) {
        let mut delimiters = 0u64;
        let mut line_ends = 0u64;
        for (i, part) in word.as_chunks::<8>().0.iter().enumerate() {
            let v = u64::from_le_bytes(*part);
            delimiters |= gather(equal_bytes(v, delimiter)) << (8 * i);
            line_ends |= gather(equal_bytes(v, b'\n')) << (8 * i);
        }
        (delimiters, line_ends)
    }

    /// The top bit of each byte of `v` equal to `b`, exactly (no carries between bytes).
    fn equal_bytes(v: u64, b: u8) -> u64 {
        const LOW7: u64 = 0x7F7F_7F7F_7F7F_7F7F;
        let x = v ^ u64::from_ne_bytes([b; 8]);
        !(((x & LOW7) + LOW7) | x | LOW7)
    }

    /// The top bits of the eight bytes, as the low eight bits (byte 0 to bit 0).
    fn gather(tops: u64) -> u64 {
        ((tops >> 7).wrapping_mul(0x0102_0408_1020_4080)) >> 56
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::Marks;

    fn naive(word: &[u8], delimiter: u8) -> (u64, u64) {
        word.iter().enumerate().fold((0, 0), |(d, n), (i, &b)| {
            (
                d | u64::from(b == delimiter) << i,
                n | u64::from(b == b'\n') << i,
            )
        })
    }

    proptest! {
        #[test]
        fn word_masks_match_a_byte_loop(
            word in proptest::collection::vec(prop_oneof![Just(b','), Just(b'\n'), Just(b'\t'), any::<u8>()], 64),
            delimiter in prop_oneof![Just(b','), Just(b'\t'), Just(b';'), any::<u8>()],
        ) {
            let word: [u8; 64] = word.try_into().unwrap_or([0; 64]);
            let want = naive(&word, delimiter);
            prop_assert_eq!(super::mark_word(&word, delimiter), want);
            prop_assert_eq!(super::portable::mark_word(&word, delimiter), want);
        }

        #[test]
        fn rows_split_as_a_byte_split_does(
            // Rows either side of the 128 bytes one window covers.
            text in "([a-c,]{0,20}\n|[a-c,]{100,140}\n|[a-c,]{0,300}\n){1,40}[a-c,]{0,150}",
            cells in 1usize..6,
        ) {
            let block = text.as_bytes();
            let mut marks = Marks::default();
            marks.reset(block.len());
            let mut start = 0;
            while let Some(end) = marks.line_end(block, b',', start) {
                prop_assert_eq!(block[end], b'\n');
                prop_assert!(!block[start..end].contains(&b'\n'));
                let row = &block[start..end];
                let want: Vec<&[u8]> = row.split(|b| *b == b',').collect();
                let mut bounds = [0u32; 8];
                prop_assert!(cells < bounds.len());
                match marks.cells(start, end, cells, &mut bounds) {
                    None => prop_assert!(want.len() < cells),
                    Some(last_end) => {
                        prop_assert!(want.len() >= cells);
                        for (c, cell) in want.iter().enumerate().take(cells) {
                            let from = if c == 0 { 0 } else { bounds[c] as usize };
                            let to = if c + 1 < cells { bounds[c + 1] as usize - 1 } else { last_end - start };
                            prop_assert_eq!(&row[from..to], *cell);
                        }
                    }
                }
                start = end + 1;
            }
            prop_assert!(!block[start..].contains(&b'\n'));
        }
    }
}
