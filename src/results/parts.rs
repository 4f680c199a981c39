//! Splitting a large file into parts at line ends, for readers that aggregate parts on separate
//! threads and merge them.

use std::fs::File;
use std::os::unix::fs::FileExt;
use std::sync::atomic::{AtomicBool, Ordering};

/// Smaller files are read in one pass: threads would not pay for themselves.
pub(crate) const MIN_SIZE: u64 = 8 << 20;
/// Each part reads through a buffer of this size, whatever the file size.
pub(crate) const BUFFER: usize = 1 << 18;
/// Parts at most, however many cores: each holds its own histograms.
pub(crate) const MAX_PARTS: usize = 16;

/// Runs `read` on each part `bounds[i]..bounds[i + 1]` on a thread of its own. A part that gives
/// up (`None`) raises the flag `read` is given, so the others can give up early too. `None` when
/// any part gave up or no thread could be started: the caller then reads the file in one pass.
pub(crate) fn read_in_threads<P: Send>(
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

/// Part boundaries: the data's start, a line start near each equal share, the file's end.
pub(crate) fn boundaries(
    file: &File,
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
        let n = read_full_at(file, &mut window, at)?;
        let nl = memchr::memchr(b'\n', &window[..n])?;
        let b = at + nl as u64 + 1;
        if b > last && b < size {
            bounds.push(b);
        }
    }
    bounds.push(size);
    Some(bounds)
}

/// Reads until `buf` is full or the file ends; the bytes read, `None` on an I/O error (the
/// one-pass reader then reports it).
pub(crate) fn read_full_at(file: &File, buf: &mut [u8], at: u64) -> Option<usize> {
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
