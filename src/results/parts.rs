//! A large raw-sample file read in parts, each aggregated apart and the parts merged: what the
//! formats that allow it (JTL CSV, k6 NDJSON) need to start, read and merge. Pure: the caller
//! (`crate::ingest`) reads the bytes and runs the parts on threads.

use std::io::Read;
use std::sync::atomic::AtomicBool;

use super::aggregate::Aggregator;
use super::model::{ResultsError, RunResults};
use super::sniff::{self, Format};
use super::{jtl_csv, k6_ndjson};

/// Smaller files are read in one pass: threads would not pay for themselves.
pub const MIN_SIZE: u64 = 8 << 20;
/// Parts at most, however many cores: each holds its own histograms.
pub const MAX_PARTS: usize = 16;
/// Bytes of the file's start `plan` looks at (k6's first timed point sets the buckets' origin).
pub const HEAD: usize = 1 << 20;

/// How many parts a file of `size` bytes is read in with `threads` threads; `None` for one pass.
pub fn count(size: u64, threads: usize) -> Option<usize> {
    let parts = threads.min(MAX_PARTS);
    (size >= MIN_SIZE && parts >= 2).then_some(parts)
}

/// How to read one file in parts, found from its head.
pub struct Plan {
    name: String,
    data_start: u64,
    kind: Kind,
}

enum Kind {
    Jtl(Box<jtl_csv::Split>),
    K6(k6_ndjson::Split),
}

/// One part's aggregate, waiting to be merged.
pub struct Partial(PartialKind);

enum PartialKind {
    Jtl(Aggregator),
    K6(k6_ndjson::Part),
}

/// A plan for the file named `name` that starts with `head` (up to `HEAD` bytes), when it is a
/// plain JTL CSV or k6 NDJSON file the parts can read; `None` when it must be read in one pass.
pub fn plan(name: &str, head: &[u8]) -> Option<Plan> {
    let short = &head[..head.len().min(sniff::HEAD_LEN)];
    if sniff::is_gzip(head) {
        return None;
    }
    let (data_start, kind) = match sniff::sniff(name, short) {
        Format::JtlCsv => {
            let (start, split) = jtl_csv::split(name, short)?;
            (start, Kind::Jtl(Box::new(split)))
        }
        Format::K6Ndjson => (0, Kind::K6(k6_ndjson::split(head)?)),
        _ => return None,
    };
    Some(Plan {
        name: name.to_string(),
        data_start,
        kind,
    })
}

impl Plan {
    /// Where the samples start: parts cover `data_start..size`.
    pub fn data_start(&self) -> u64 {
        self.data_start
    }

    /// Aggregates `len` bytes of whole lines from `input`; `None` when a line needs the one-pass
    /// reader, reading failed, or `stop` was raised by another part.
    pub fn read_part(&self, input: &mut dyn Read, len: u64, stop: &AtomicBool) -> Option<Partial> {
        Some(Partial(match &self.kind {
            Kind::Jtl(s) => PartialKind::Jtl(s.read_part(input, len, stop)?),
            Kind::K6(s) => PartialKind::K6(s.read_part(input, len, stop)?),
        }))
    }

    /// The run from every part, in file order; `None` when the parts cannot be merged into what
    /// one pass gives (the caller then reads the file in one pass).
    pub fn merge(self, parts: Vec<Partial>) -> Option<Result<RunResults, ResultsError>> {
        match self.kind {
            Kind::Jtl(s) => s.merge(parts.into_iter().map(|p| match p.0 {
                PartialKind::Jtl(a) => Some(a),
                PartialKind::K6(_) => None,
            })),
            Kind::K6(_) => k6_ndjson::merge(
                &self.name,
                parts.into_iter().map(|p| match p.0 {
                    PartialKind::K6(a) => Some(a),
                    PartialKind::Jtl(_) => None,
                }),
            ),
        }
    }
}

/// Part boundaries: the data's start, a line start near each equal share, the file's end.
/// `read_at` fills a buffer from an offset, as far as the file goes (`None` on an I/O error).
pub fn boundaries(
    read_at: impl Fn(&mut [u8], u64) -> Option<usize>,
    data_start: u64,
    size: u64,
    parts: usize,
) -> Option<Vec<u64>> {
    let mut bounds = vec![data_start];
    let mut window = vec![0u8; 64 * 1024];
    for i in 1..parts as u64 {
        let target = data_start + (size - data_start) * i / parts as u64;
        let last = *bounds.last()?;
        if target <= last {
            continue;
        }
        // The line end at or after target - 1, so a part may start right at target.
        let at = target - 1;
        let n = read_at(&mut window, at)?;
        let nl = memchr::memchr(b'\n', &window[..n])?;
        let b = at + nl as u64 + 1;
        if b > last && b < size {
            bounds.push(b);
        }
    }
    bounds.push(size);
    Some(bounds)
}

/// `bytes` read in `parts` parts one after the other, whatever its size: what the threads of
/// `crate::ingest` give, for tests that compare it with one pass.
#[cfg(test)]
pub(crate) fn read_in_order(
    name: &str,
    bytes: &[u8],
    parts: usize,
) -> Option<Result<RunResults, ResultsError>> {
    let plan = plan(name, &bytes[..bytes.len().min(HEAD)])?;
    let at = |buf: &mut [u8], at: u64| {
        let rest = bytes.get(at as usize..).unwrap_or_default();
        let n = rest.len().min(buf.len());
        buf[..n].copy_from_slice(&rest[..n]);
        Some(n)
    };
    let bounds = boundaries(at, plan.data_start(), bytes.len() as u64, parts)?;
    let stop = AtomicBool::new(false);
    let partials = bounds
        .windows(2)
        .map(|w| {
            let mut part = &bytes[w[0] as usize..w[1] as usize];
            plan.read_part(&mut part, w[1] - w[0], &stop)
        })
        .collect::<Option<Vec<_>>>()?;
    plan.merge(partials)
}
