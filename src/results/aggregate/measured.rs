//! A sample's latency converted to the integer forms the aggregator adds (nanosecond sums,
//! histogram units), and the libm-free rounding the hot path relies on.

/// A latency above 1000 hours is recorded as 1000 hours: it is bad data either way.
const MAX_MS: f64 = 3.6e6;

pub(super) fn to_units(ms: f64, per_ms: f64) -> u64 {
    // Adding a half and truncating rounds these non-negative values without a libm call.
    (ms.clamp(0.0, MAX_MS) * per_ms + 0.5) as u64
}

/// Latencies are summed within these bounds (about 31 years): each fits an i64, and an i128 holds
/// the sum of 1e20 of them, so sums never saturate in practice and any order agrees.
const SUM_BOUND_NS: f64 = 1e18;

/// A latency in whole nanoseconds, the unit sums are kept in.
#[inline]
pub(super) fn to_ns(ms: f64) -> i128 {
    let ns = ms * 1e6;
    // Half away from zero, as `round` does, without its libm call; through i64, which converts
    // in one instruction where i128 takes a library call.
    let rounded = if ns >= 0.0 { ns + 0.5 } else { ns - 0.5 };
    i128::from(rounded.clamp(-SUM_BOUND_NS, SUM_BOUND_NS) as i64)
}

/// One sample's latency in the two integer forms it is added in, converted once per sample
/// rather than once for each group it joins (its endpoint or the rest, and its time bucket).
#[derive(Clone, Copy)]
pub(super) struct Measured {
    pub ns: i128,
    pub units: u64,
}

/// Whole milliseconds below this convert by integer arithmetic (see `Measured::of_whole`).
const WHOLE_EXACT: u64 = 1 << 33;

impl Measured {
    #[inline]
    pub fn of(ms: f64, per_ms: f64) -> Self {
        // Saturating: negative and NaN latencies give 0, which is then not equal to them.
        let whole = ms as u64;
        if whole as f64 == ms && whole < WHOLE_EXACT {
            return Measured::of_whole(whole, per_ms);
        }
        Measured {
            ns: to_ns(ms),
            units: to_units(ms, per_ms),
        }
    }

    /// Whole milliseconds (JMeter's) convert by integer arithmetic, cheaper than the rounding and
    /// clamping of `of`. Below `WHOLE_EXACT` every product is exact in f64 as well, so both ways
    /// give the same figures.
    #[inline]
    pub fn of_whole(ms: u64, per_ms: f64) -> Self {
        if ms >= WHOLE_EXACT {
            return Measured::of(ms as f64, per_ms);
        }
        Measured {
            ns: i128::from(ms * 1_000_000),
            units: (ms.min(MAX_MS as u64) as f64 * per_ms) as u64,
        }
    }
}

pub(super) fn mean_ms(sum_ns: i128, count: u64) -> f64 {
    sum_ns as f64 / 1e6 / count as f64
}

/// `q.floor() as i64` without a call into libm (no SSE4.1 rounding instruction in the baseline
/// target): truncation, one down for negative fractions. Saturation and NaN agree with it too.
pub(super) fn floor_i64(q: f64) -> i64 {
    let k = q as i64;
    if (k as f64) > q {
        k.saturating_sub(1)
    } else {
        k
    }
}

pub(super) fn round3(v: f64) -> f64 {
    (v * 1000.0).round() / 1000.0
}
