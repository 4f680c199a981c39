//! A large plain k6 NDJSON file read in parts (on every core, run by `crate::ingest`), each part
//! aggregated apart and the parts merged. A line that would make the parts disagree with one pass (one the scanner cannot
//! take, a bad point, an unfinished last line, a cap reached) gives up: the caller reads it whole.

use std::io::Read;
use std::sync::atomic::{AtomicBool, Ordering};

use super::{Parsed, Used, apply, finish, parse, time_ms, trim};
use crate::results::aggregate::{Aggregator, Limits, Resolution};
use crate::results::model::{ResultsError, RunResults};
use crate::results::part_input::{BUFFER, read_full};
use crate::results::problems::Problems;

/// Dropped-iteration counts are summed as floats in one pass: parts agree with it while every
/// partial sum is an exactly representable integer.
const EXACT: f64 = 9_007_199_254_740_992.0; // 2^53

/// What every part of a k6 NDJSON file needs: where the one pass starts counting time buckets.
pub(crate) struct Split {
    origin: f64,
}

/// The split of a k6 NDJSON file starting with `head` (`parts::HEAD` bytes at most); `None` when
/// it must be read in one pass.
pub(crate) fn split(head: &[u8]) -> Option<Split> {
    Some(Split {
        origin: origin(head)?,
    })
}

/// The parts' aggregates merged, in file order; `None` when a part is missing or the merge would
/// not give what one pass gives.
pub(crate) fn merge(
    name: &str,
    parts: impl Iterator<Item = Option<Part>>,
) -> Option<Result<RunResults, ResultsError>> {
    let mut parts = parts;
    let mut whole = parts.next()??;
    for part in parts {
        let part = part?;
        whole.agg.merge(part.agg).ok()?;
        whole.dropped = match (whole.dropped, part.dropped) {
            (Some(a), Some(b)) => Some(a + b),
            (a, b) => a.or(b),
        };
        whole.dropped_abs += part.dropped_abs;
    }
    if whole.agg.count() == 0 || whole.dropped_abs >= EXACT {
        return None;
    }
    Some(Problems::new(name).finish(finish(whole.agg, whole.dropped)))
}

/// Where the one pass starts counting time buckets: the start of the first duration point with
/// a time. `None` when a line before it is one the parts would not take either.
fn origin(head: &[u8]) -> Option<f64> {
    let used = Used::new(true);
    let mut rest = head;
    while let Some(nl) = memchr::memchr(b'\n', rest) {
        let text = trim(&rest[..nl]);
        rest = &rest[nl + 1..];
        if text.is_empty() {
            continue;
        }
        // Some(start) for the first timed duration point, None to look further, and the outer
        // None to give up.
        let seen = parse(text, true, &used, |p| {
            if p.kind != "Point" || p.metric != "http_req_duration" {
                return Some(None);
            }
            if !p.has_data {
                return None;
            }
            let value = p.value.filter(|v| v.is_finite() && *v >= 0.0)?;
            match p.time {
                Some(t) => Some(Some(time_ms(t)? - value)),
                None => Some(None),
            }
        });
        match seen {
            Parsed::Unread | Parsed::Read(Some(None)) => continue,
            Parsed::Read(Some(start)) => return start,
            Parsed::Invalid(_) | Parsed::Read(None) => return None,
        }
    }
    None
}

pub(crate) struct Part {
    agg: Aggregator,
    dropped: Option<f64>,
    /// Sum of the dropped counts' magnitudes: below `EXACT`, every order of summing agrees.
    dropped_abs: f64,
}

impl Split {
    /// Aggregates the lines in the next `to` bytes of `input` (whole lines); `None` when a line needs
    /// the one-pass reader or another part gave up.
    pub(crate) fn read_part(
        &self,
        input: &mut dyn Read,
        to: u64,
        stop: &AtomicBool,
    ) -> Option<Part> {
        let origin = self.origin;
        let mut part = Part {
            agg: Aggregator::new(Limits::default(), Resolution::Micros),
            dropped: None,
            dropped_abs: 0.0,
        };
        part.agg.set_origin(origin);
        let used = Used::new(true);
        let mut buf = vec![0u8; BUFFER];
        let mut filled = 0;
        let mut pos = 0;
        while pos < to {
            if stop.load(Ordering::Relaxed) {
                return None;
            }
            let want = (BUFFER - filled).min((to - pos) as usize);
            let n = read_full(input, &mut buf[filled..filled + want])?;
            if n < want {
                return None; // the file shrank while being read
            }
            pos += n as u64;
            filled += n;
            let mut taken = 0;
            while let Some(nl) = memchr::memchr(b'\n', &buf[taken..filled]) {
                let text = trim(&buf[taken..taken + nl]);
                taken += nl + 1;
                if text.is_empty() {
                    continue;
                }
                match parse(text, true, &used, |p| apply(p, &mut part.agg)) {
                    Parsed::Unread => {}
                    Parsed::Invalid(_) => return None,
                    Parsed::Read(applied) => match applied {
                        Ok(None) => {}
                        Ok(Some(v)) if v.fract() == 0.0 => {
                            *part.dropped.get_or_insert(0.0) += v;
                            part.dropped_abs += v.abs();
                            if part.dropped_abs >= EXACT {
                                return None;
                            }
                        }
                        // Fractional counts: a float sum that depends on the order.
                        Ok(Some(_)) | Err(_) => return None,
                    },
                }
            }
            // A line longer than the buffer, or an unfinished last line (the one pass notes it).
            if taken == 0 && filled == BUFFER || pos == to && taken < filled {
                return None;
            }
            buf.copy_within(taken..filled, 0);
            filled -= taken;
        }
        Some(part)
    }
}
