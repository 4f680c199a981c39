//! Splitting a large file into parts at line ends, for readers that aggregate parts on separate
//! threads and merge them.

use std::fs::File;
use std::os::unix::fs::FileExt;

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
