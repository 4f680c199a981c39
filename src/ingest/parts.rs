//! A large raw-sample file read in parts on threads of their own: the file is split at line ends,
//! each part is read with pread by the results core's `Plan`, and the parts are merged.

use std::fs::File;
use std::os::unix::fs::FileExt;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::results::parts::{self, HEAD};
use crate::results::{ResultsError, RunResults};

/// Reads `file` (`size` bytes) in parts on up to `threads` threads when it is a large plain
/// JTL CSV or k6 NDJSON file; `None` when it must be read in one pass instead.
pub fn read(
    name: &str,
    file: &File,
    size: u64,
    threads: usize,
) -> Option<Result<RunResults, ResultsError>> {
    let count = parts::count(size, threads)?;
    let mut head = vec![0u8; HEAD];
    let n = read_full_at(file, &mut head, 0)?;
    head.truncate(n);
    let plan = parts::plan(name, &head)?;
    let at = |buf: &mut [u8], at: u64| read_full_at(file, buf, at);
    let bounds = parts::boundaries(at, plan.data_start(), size, count)?;
    let partials = read_in_threads(&bounds, |from, to, stop| {
        let mut part = Range { file, at: from };
        plan.read_part(&mut part, to - from, stop)
    })?;
    plan.merge(partials)
}

/// The file from an offset on, read with pread (so parts share one open file).
struct Range<'a> {
    file: &'a File,
    at: u64,
}

impl std::io::Read for Range<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.file.read_at(buf, self.at)?;
        self.at += n as u64;
        Ok(n)
    }
}

/// Runs `read` on each part `bounds[i]..bounds[i + 1]` on a thread of its own. A part that gives
/// up (`None`) raises the flag `read` is given, so the others can give up early too. `None` when
/// any part gave up or no thread could be started: the caller then reads the file in one pass.
fn read_in_threads<P: Send>(
    bounds: &[u64],
    read: impl Fn(u64, u64, &AtomicBool) -> Option<P> + Sync,
) -> Option<Vec<P>> {
    let stop = AtomicBool::new(false);
    let results: Vec<Option<P>> = std::thread::scope(|scope| {
        let workers: Vec<_> = bounds
            .windows(2)
            .map(|w| {
                let (from, to) = (w[0], w[1]);
                let (stop, read) = (&stop, &read);
                let spawned = std::thread::Builder::new().spawn_scoped(scope, move || {
                    let got = read(from, to, stop);
                    if got.is_none() {
                        stop.store(true, Ordering::Relaxed);
                    }
                    got
                });
                // No thread to be had (a process limit): the one-pass read still works.
                if spawned.is_err() {
                    stop.store(true, Ordering::Relaxed);
                }
                spawned
            })
            .collect();
        workers
            .into_iter()
            .map(|w| w.ok().and_then(|w| w.join().ok().flatten()))
            .collect()
    });
    results.into_iter().collect()
}

/// Reads until `buf` is full or the file ends; the bytes read, `None` on an I/O error (the
/// one-pass reader then reports it).
fn read_full_at(file: &File, buf: &mut [u8], at: u64) -> Option<usize> {
    let mut n = 0;
    while n < buf.len() {
        match file.read_at(&mut buf[n..], at + n as u64) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => return None,
        }
    }
    Some(n)
}
