//! A group of requests' latency distribution as the judge reads it: bins with their exact edges
//! and counts, in increasing order, whatever histogram they came from (HDR for whole-run groups,
//! `Hist` cells merged for a stage, the rounded response times of a Locust report). Percentiles
//! and their confidence intervals are read from it by rank.

use super::hist::{self, Hist};

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bin {
    pub lo_ms: f64,
    pub hi_ms: f64,
    pub count: u64,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Distribution {
    bins: Vec<Bin>,
    /// Running totals: `cum[i]` samples lie in bins 0..=i.
    cum: Vec<u64>,
    /// The extremes, exact when the source knows them: no percentile lies beyond them.
    min_ms: f64,
    max_ms: f64,
}

impl Distribution {
    /// From bins in any order; empty bins are dropped, the extremes default to the outer edges.
    pub fn from_bins(mut bins: Vec<Bin>, min_ms: Option<f64>, max_ms: Option<f64>) -> Self {
        bins.retain(|b| b.count > 0);
        bins.sort_by(|a, b| a.lo_ms.total_cmp(&b.lo_ms));
        let mut cum = Vec::with_capacity(bins.len());
        let mut total = 0u64;
        for b in &bins {
            total += b.count;
            cum.push(total);
        }
        let min_ms = min_ms.unwrap_or_else(|| bins.first().map_or(0.0, |b| b.lo_ms));
        let max_ms = max_ms.unwrap_or_else(|| bins.last().map_or(0.0, |b| b.hi_ms));
        Distribution {
            bins,
            cum,
            min_ms,
            max_ms,
        }
    }

    /// From a `Hist` counting in units of `1 / per_ms` ms.
    pub fn from_hist(h: &Hist, per_ms: f64, min_ms: Option<f64>, max_ms: Option<f64>) -> Self {
        let bins = h
            .bins()
            .map(|(i, count)| {
                let (lo, hi) = hist::bounds(i);
                // Values were rounded to whole units before counting (microseconds, or the
                // milliseconds JMeter writes): half a unit is below any resolution that matters.
                Bin {
                    lo_ms: lo as f64 / per_ms,
                    hi_ms: hi as f64 / per_ms,
                    count,
                }
            })
            .collect();
        Distribution::from_bins(bins, min_ms, max_ms)
    }

    pub fn total(&self) -> u64 {
        self.cum.last().copied().unwrap_or(0)
    }

    pub fn bins(&self) -> &[Bin] {
        &self.bins
    }

    /// The bin holding the `k`-th smallest sample (1-based).
    pub fn at_rank(&self, k: u64) -> Option<Bin> {
        if k == 0 || k > self.total() {
            return None;
        }
        let i = self.cum.partition_point(|&c| c < k);
        self.bins.get(i).copied()
    }

    /// The least the `k`-th smallest sample can be.
    pub fn lowest_at_rank(&self, k: u64) -> Option<f64> {
        self.at_rank(k).map(|b| b.lo_ms.max(self.min_ms))
    }

    /// The most the `k`-th smallest sample can be.
    pub fn highest_at_rank(&self, k: u64) -> Option<f64> {
        self.at_rank(k).map(|b| b.hi_ms.min(self.max_ms))
    }

    /// The nearest-rank percentile (`q` in 0..1): the `ceil(q n)`-th sample, as the top of its
    /// bin (as HDR histograms report it), within the extremes.
    pub fn point(&self, q: f64) -> Option<f64> {
        let n = self.total();
        let k = ((q * n as f64).ceil() as u64).clamp(1, n.max(1));
        self.highest_at_rank(k)
    }

    /// The share of samples at or below `t` ms, counting a bin that straddles `t` in proportion.
    pub fn share_at_or_below(&self, t: f64) -> f64 {
        let n = self.total();
        if n == 0 {
            return 0.0;
        }
        let mut below = 0.0;
        for b in &self.bins {
            if b.hi_ms <= t {
                below += b.count as f64;
            } else if b.lo_ms < t {
                below += b.count as f64 * (t - b.lo_ms) / (b.hi_ms - b.lo_ms);
            } else {
                break;
            }
        }
        below / n as f64
    }

    /// All of `other`'s samples added to this one's (bins kept apart; ranks stay right).
    pub fn merged(&self, other: &Distribution) -> Distribution {
        let mut bins = self.bins.clone();
        bins.extend_from_slice(&other.bins);
        let min = if self.total() == 0 {
            other.min_ms
        } else if other.total() == 0 {
            self.min_ms
        } else {
            self.min_ms.min(other.min_ms)
        };
        Distribution::from_bins(bins, Some(min), Some(self.max_ms.max(other.max_ms)))
    }

    /// The widest bin relative to its value: how finely the source resolved latencies.
    pub fn resolution_ms(&self) -> f64 {
        self.bins
            .iter()
            .map(|b| b.hi_ms - b.lo_ms)
            .fold(0.0, f64::max)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exact(values: &[u64]) -> Distribution {
        let mut h = Hist::default();
        for v in values {
            h.record(*v);
        }
        Distribution::from_hist(&h, 1.0, None, None)
    }

    #[test]
    fn ranks_and_percentiles_follow_the_samples() {
        let d = exact(&[5, 1, 3, 2, 4, 100]);
        assert_eq!(d.total(), 6);
        assert_eq!(d.lowest_at_rank(1), Some(1.0));
        assert_eq!(d.lowest_at_rank(6), Some(100.0));
        assert_eq!(d.at_rank(7), None);
        assert_eq!(d.point(0.5), Some(3.0));
        assert!((d.share_at_or_below(4.0) - 4.0 / 6.0).abs() < 1e-9);
        let m = d.merged(&exact(&[0, 200]));
        assert_eq!(m.total(), 8);
        assert_eq!(m.lowest_at_rank(1), Some(0.0));
        assert_eq!(m.lowest_at_rank(8), Some(200.0));
    }
}
