//! How a part of a large file is read: through a buffer of fixed size, filled as far as the
//! part goes.

use std::io::Read;

/// Each part reads through a buffer of this size, whatever the file size.
pub const BUFFER: usize = 1 << 18;
/// Reads until `buf` is full or the input ends; the bytes read, `None` on an I/O error (the
/// one-pass reader then reports it).
pub fn read_full(input: &mut dyn Read, buf: &mut [u8]) -> Option<usize> {
    let mut n = 0;
    while n < buf.len() {
        match input.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => return None,
        }
    }
    Some(n)
}
