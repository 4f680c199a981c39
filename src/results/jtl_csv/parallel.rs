//! A large plain JTL CSV file read in parts on every core, each part aggregated apart and the
//! parts merged. Anything that could make the parts disagree with one pass over the file (a quote,
//! a row only the full reader takes, a cap reached) gives up, and the caller reads it in one pass.

use std::fs::File;
use std::sync::atomic::{AtomicBool, Ordering};

use super::fast::FastPath;
use super::{FORMAT, Setup, start};
use crate::results::aggregate::{Aggregator, Limits, Resolution};
use crate::results::parts::{
    BUFFER, MAX_PARTS, MIN_SIZE, boundaries, read_full_at, read_in_threads,
};
use crate::results::sniff::{self, Format};
use crate::results::{ResultsError, RunResults};

/// Reads `file` (`size` bytes) in parts, when it is a large plain JTL CSV file with a header
/// that the fast path reads whole; `None` when it must be read in one pass instead.
pub fn read_parts(
    name: &str,
    file: &File,
    size: u64,
    parts: usize,
) -> Option<Result<RunResults, ResultsError>> {
    if size < MIN_SIZE {
        return None;
    }
    read_parts_of_any_size(name, file, size, parts)
}

pub(super) fn read_parts_of_any_size(
    name: &str,
    file: &File,
    size: u64,
    parts: usize,
) -> Option<Result<RunResults, ResultsError>> {
    let parts = parts.min(MAX_PARTS);
    if parts < 2 {
        return None;
    }
    let mut head = vec![0u8; sniff::HEAD_LEN];
    let n = read_full_at(file, &mut head, 0)?;
    head.truncate(n);
    if sniff::is_gzip(&head) || sniff::sniff(name, &head) != Format::JtlCsv {
        return None;
    }
    let header_end = memchr::memchr(b'\n', &head)? + 1;
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

    let bounds = boundaries(file, header_end as u64, size, parts)?;
    let parts = read_in_threads(&bounds, |from, to, stop| {
        read_part(file, from, to, fast.clone(), origin, stop)
    })?;
    let mut parts = parts.into_iter();
    let mut agg = parts.next()?;
    for part in parts {
        agg.merge(part).ok()?;
    }
    if agg.count() == 0 {
        return None;
    }
    Some(problems.finish(agg.finish(FORMAT)))
}

/// Aggregates the rows in `from..to` (whole lines); `None` when a row needs the one-pass reader
/// or another part gave up.
fn read_part(
    file: &File,
    from: u64,
    to: u64,
    mut fast: FastPath,
    origin: Option<u64>,
    stop: &AtomicBool,
) -> Option<Aggregator> {
    let mut agg = Aggregator::new(Limits::default(), Resolution::Millis);
    if let Some(o) = origin {
        agg.set_origin(o as f64);
    }
    let mut buf = vec![0u8; BUFFER];
    let mut filled = 0;
    let mut pos = from;
    while pos < to || filled > 0 {
        if stop.load(Ordering::Relaxed) {
            return None;
        }
        let want = (BUFFER - filled).min((to - pos) as usize);
        let n = read_full_at(file, &mut buf[filled..filled + want], pos)?;
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
