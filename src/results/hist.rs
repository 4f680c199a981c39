//! A small mergeable latency histogram for the cells of a run's time series (one per endpoint and
//! time bucket): log-linear bins 1/64 of an octave wide (exact below 64 units), counted in 32 bits
//! over the window of bins actually used, so a cell whose latencies span a few octaves costs a
//! kilobyte or two and a bucket's cells stay in the first-level cache while a reader fills them.
//! Stages are judged on merges of these cells, and the confidence intervals read bin edges, so
//! every bin knows its exact range.

use serde::{Deserialize, Serialize};

/// Sub-bins per octave, as a power of two: bins are at most 1/64 (1.6 %) of their value wide. A
/// stage's interval reads bin edges, so this is the most the resolution ever widens it.
const SUB_BITS: u32 = 6;
const SUB: u64 = 1 << SUB_BITS;

/// The bin of a value: the value itself below `SUB`, then `SUB` bins per octave.
#[inline]
pub fn index(v: u64) -> u32 {
    if v < SUB {
        return v as u32;
    }
    let msb = 63 - v.leading_zeros();
    let shift = msb - SUB_BITS;
    let mantissa = v >> shift;
    (((shift + 1) as u64) << SUB_BITS | (mantissa - SUB)) as u32
}

/// The smallest and largest value of bin `i`.
pub fn bounds(i: u32) -> (u64, u64) {
    let i = u64::from(i);
    if i < SUB {
        return (i, i);
    }
    let shift = (i >> SUB_BITS) - 1;
    let mantissa = SUB + (i & (SUB - 1));
    let lo = mantissa << shift;
    let hi = lo.saturating_add((1u64 << shift) - 1);
    (lo, hi)
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hist {
    /// Index of the bin `counts[0]` counts.
    first: u32,
    /// A bin would need four billion samples of one endpoint in one time bucket to saturate.
    counts: Vec<u32>,
    total: u64,
}

impl Hist {
    pub fn total(&self) -> u64 {
        self.total
    }

    pub fn is_empty(&self) -> bool {
        self.total == 0
    }

    #[inline]
    pub fn record(&mut self, v: u64) {
        let at = index(v).wrapping_sub(self.first) as usize;
        if let Some(c) = self.counts.get_mut(at) {
            *c = c.saturating_add(1);
            self.total += 1;
        } else {
            self.record_n(index(v), 1);
        }
    }

    /// Adds `n` to bin `i`, widening the window of bins when `i` lies outside it.
    pub fn record_n(&mut self, i: u32, n: u64) {
        if n == 0 {
            return;
        }
        if self.counts.is_empty() {
            self.first = i;
            self.counts.push(0);
        } else if i < self.first {
            let grow = (self.first - i) as usize;
            self.counts.splice(0..0, std::iter::repeat_n(0, grow));
            self.first = i;
        }
        let at = (i - self.first) as usize;
        if at >= self.counts.len() {
            self.counts.resize(at + 1, 0);
        }
        self.counts[at] = self.counts[at].saturating_add(u32::try_from(n).unwrap_or(u32::MAX));
        self.total += n;
    }

    pub fn merge(&mut self, other: &Hist) {
        for (i, n) in other.bins() {
            self.record_n(i, n);
        }
    }

    /// The bins with a count, in increasing order: (bin index, count).
    pub fn bins(&self) -> impl Iterator<Item = (u32, u64)> + '_ {
        self.counts
            .iter()
            .enumerate()
            .filter(|(_, n)| **n > 0)
            .map(|(k, n)| (self.first + k as u32, u64::from(*n)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn bins_are_exact_below_64_and_narrow_above() {
        for v in 0..SUB {
            assert_eq!(bounds(index(v)), (v, v));
        }
        assert_eq!(bounds(index(64)), (64, 64));
        assert_eq!(bounds(index(128)), (128, 129));
        assert_eq!(bounds(index(1_000_000)), (999_424, 1_007_615));
        assert_eq!(index(u64::MAX), index(u64::MAX - 1));
    }

    proptest! {
        #[test]
        fn every_value_lies_in_its_bin_and_bins_follow_each_other(v in any::<u64>()) {
            let i = index(v);
            let (lo, hi) = bounds(i);
            prop_assert!(lo <= v && v <= hi);
            // At most 1/64 of the value wide.
            prop_assert!((hi - lo) as f64 <= lo as f64 / 64.0 + 1.0);
            if i > 0 && v > 0 {
                prop_assert_eq!(bounds(i - 1).1 + 1, lo);
            }
        }

        #[test]
        fn merging_equals_recording_everything_in_one(a in prop::collection::vec(0u64..5_000_000, 0..200),
                                                      b in prop::collection::vec(0u64..5_000_000, 0..200)) {
            let mut one = Hist::default();
            let mut left = Hist::default();
            let mut right = Hist::default();
            for v in &a { one.record(*v); left.record(*v); }
            for v in &b { one.record(*v); right.record(*v); }
            left.merge(&right);
            prop_assert_eq!(left.bins().collect::<Vec<_>>(), one.bins().collect::<Vec<_>>());
            prop_assert_eq!(left.total(), (a.len() + b.len()) as u64);
        }
    }
}
