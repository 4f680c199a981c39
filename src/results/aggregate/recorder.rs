//! An HDR histogram with plain counters in front for small values: most latencies are a few
//! hundred units, and bumping a counter costs less than the histogram's index arithmetic.

use hdrhistogram::Histogram;

/// Values below this are counted apart until `flush`; at or above 2048 the histogram's own
/// buckets are no longer one value wide for 3 significant digits anyway.
const DENSE: usize = 2048;

pub struct Recorder {
    hist: Histogram<u64>,
    /// Counts by value, allocated at the first small value; moved into `hist` by `flush`.
    dense: Vec<u32>,
    pending: bool,
}

impl Recorder {
    pub fn new(sigfig: u8) -> Self {
        Recorder {
            // new() only fails for sigfig > 5; ours are constants.
            hist: Histogram::new(sigfig).unwrap_or_else(|_| unreachable!("constant sigfig")),
            dense: Vec::new(),
            pending: false,
        }
    }

    #[inline]
    pub fn record(&mut self, v: u64) {
        // The common case inlined where it is called: a small value, counters in place.
        if let Some(c) = self.dense.get_mut(v as usize)
            && *c < u32::MAX
        {
            *c += 1;
            self.pending = true;
        } else {
            self.record_rest(v);
        }
    }

    #[inline(never)]
    fn record_rest(&mut self, v: u64) {
        if (v as usize) < DENSE {
            if self.dense.is_empty() {
                self.dense = vec![0; DENSE];
            }
            let c = &mut self.dense[v as usize];
            if *c == u32::MAX {
                // Auto-resizing histograms accept any value; the error cannot happen.
                let _ = self.hist.record_n(v, u64::from(*c));
                *c = 0;
            }
            *c += 1;
            self.pending = true;
        } else {
            let _ = self.hist.record(v);
        }
    }

    /// Moves the counted small values into the histogram. Recording `v` n times and
    /// `record_n(v, n)` leave a histogram in the same state, so the order does not matter.
    pub fn flush(&mut self) {
        if !self.pending {
            return;
        }
        for (v, c) in self.dense.iter_mut().enumerate() {
            if *c > 0 {
                let _ = self.hist.record_n(v as u64, u64::from(*c));
                *c = 0;
            }
        }
        self.pending = false;
    }

    /// Adds every value `other` recorded.
    pub fn add(&mut self, other: &mut Recorder) {
        self.flush();
        other.flush();
        let _ = self.hist.add(&other.hist);
    }

    /// The histogram, which holds every value once `flush` has been called since the last record.
    pub fn flushed(&self) -> &Histogram<u64> {
        debug_assert!(!self.pending, "read before flush");
        &self.hist
    }
}
