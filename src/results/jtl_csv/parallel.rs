//! A large plain JTL CSV file read in parts (on every core, run by `crate::ingest`), each part
//! aggregated apart and the parts merged. Anything that could make the parts disagree with one
//! pass over the file (a quote, a row only the full reader takes, a cap reached) gives up, and the
//! caller reads it in one pass.

use std::io::Read;
use std::sync::atomic::{AtomicBool, Ordering};

use super::fast::FastPath;
use super::{FORMAT, Setup, start};
use crate::results::aggregate::{Aggregator, Limits, Resolution};
use crate::results::model::{ResultsError, RunResults};
use crate::results::part_input::{BUFFER, read_full};
use crate::results::problems::Problems;
use crate::results::sniff;

/// What every part of a plain JTL CSV file needs: the fast path set up from the header, and the
/// first sample's start, from which buckets count.
pub(crate) struct Split {
    fast: FastPath,
    origin: Option<u64>,
    problems: Problems,
}

/// The data's start and the split of a JTL CSV file starting with `head` (detection's head),
/// when its header is one the fast path reads whole; `None` when it must be read in one pass.
pub(crate) fn split(name: &str, head: &[u8]) -> Option<(u64, Split)> {
    let header_end = memchr::memchr(b'\n', head)? + 1;
    let header = &head[..header_end];
    let header_line = &header[..header_end - 1];
    if memchr::memchr(b'"', header).is_some() || sniff::jtl_header_delimiter(header_line).is_none()
    {
        return None;
    }
    // Errors in the header are reported by the one-pass reader.
    let (_, setup) = start(name, header).ok()?;
    let Setup {
        cols,
        delimiter,
        problems,
        first_is_data: false,
    } = setup
    else {
        return None;
    };
    let mut fast = FastPath::new(&cols, delimiter)?.for_parts();
    // Buckets count from the first sample's start; every part needs it before it begins.
    let first_end = header_end + memchr::memchr(b'\n', &head[header_end..])?;
    let mut first = &head[header_end..first_end];
    while let [rest @ .., b'\r'] = first {
        first = rest;
    }
    if first.is_empty() || memchr::memchr(b'"', first).is_some() {
        return None;
    }
    let origin = fast.start_of(first)?;

    Some((
        header_end as u64,
        Split {
            fast,
            origin,
            problems,
        },
    ))
}

impl Split {
    /// The parts' aggregates merged, in file order; `None` when a part is missing or the merge
    /// would not give what one pass gives.
    pub(crate) fn merge(
        self,
        parts: impl Iterator<Item = Option<Aggregator>>,
    ) -> Option<Result<RunResults, ResultsError>> {
        let mut parts = parts;
        let mut agg = parts.next()??;
        for part in parts {
            agg.merge(part?).ok()?;
        }
        if agg.count() == 0 {
            return None;
        }
        Some(self.problems.finish(agg.finish(FORMAT)))
    }

    /// Aggregates the rows in the next `to` bytes of `input` (whole lines); `None` when a row needs the one-pass reader
    /// or another part gave up.
    pub(crate) fn read_part(
        &self,
        input: &mut dyn Read,
        to: u64,
        stop: &AtomicBool,
    ) -> Option<Aggregator> {
        let mut fast = self.fast.clone();
        let origin = self.origin;
        let mut agg = Aggregator::new(Limits::default(), Resolution::Millis);
        if let Some(o) = origin {
            agg.set_origin(o as f64);
        }
        let mut buf = vec![0u8; BUFFER];
        let mut filled = 0;
        let mut pos = 0;
        while pos < to || filled > 0 {
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
            let (taken, _) = fast.take_rows(&buf[..filled], &mut agg);
            let rest = &buf[taken..filled];
            // A row left with its line end is one the fast path refused; without it, a line cut by
            // the buffer's end (read on) or the file's (an unfinished last row: one-pass reader).
            if memchr::memchr(b'\n', rest).is_some()
                || (pos == to && !rest.is_empty())
                || (taken == 0 && filled == BUFFER)
            {
                return None;
            }
            buf.copy_within(taken..filled, 0);
            filled -= taken;
        }
        Some(agg)
    }
}
