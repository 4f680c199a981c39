//! Reading the ends of a log file without reading all of it: the last complete line, a torn
//! partial line after it (a crash mid-write), and the first line.

use std::fs::File;
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom};

/// The end of one file.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Tail {
    /// Length up to and including the last newline: everything before it is complete lines.
    pub good_len: u64,
    /// The last complete line, without its newline.
    pub last_line: Option<Vec<u8>>,
    /// Bytes after the last newline: a write that did not finish.
    pub torn: Option<Vec<u8>>,
}

const CHUNK: u64 = 64 * 1024;

/// Scans backwards from the end until the last complete line is known.
pub fn scan(file: &mut File) -> std::io::Result<Tail> {
    let len = file.metadata()?.len();
    let mut buf: Vec<u8> = Vec::new();
    let mut start = len;
    loop {
        // Newlines in `buf`, which covers [start, len).
        let newlines: Vec<usize> = buf
            .iter()
            .enumerate()
            .rev()
            .filter(|(_, b)| **b == b'\n')
            .map(|(i, _)| i)
            .take(2)
            .collect();
        let done = start == 0 || newlines.len() == 2;
        if done {
            return Ok(split(&buf, start, &newlines));
        }
        let from = start.saturating_sub(CHUNK);
        let mut chunk = vec![0; (start - from) as usize];
        file.seek(SeekFrom::Start(from))?;
        file.read_exact(&mut chunk)?;
        chunk.extend_from_slice(&buf);
        buf = chunk;
        start = from;
    }
}

fn split(buf: &[u8], start: u64, newlines: &[usize]) -> Tail {
    let Some(&last_nl) = newlines.first() else {
        return Tail {
            good_len: start,
            last_line: None,
            torn: (!buf.is_empty()).then(|| buf.to_vec()),
        };
    };
    let line_start = newlines.get(1).map_or(0, |p| p + 1);
    let rest = &buf[last_nl + 1..];
    Tail {
        good_len: start + last_nl as u64 + 1,
        last_line: Some(buf[line_start..last_nl].to_vec()),
        torn: (!rest.is_empty()).then(|| rest.to_vec()),
    }
}

/// The first line of a file, without its newline; `None` if the file has no complete line.
pub fn first_line(file: &mut File) -> std::io::Result<Option<Vec<u8>>> {
    file.seek(SeekFrom::Start(0))?;
    let mut line = Vec::new();
    BufReader::new(&mut *file).read_until(b'\n', &mut line)?;
    if line.pop() == Some(b'\n') {
        Ok(Some(line))
    } else {
        Ok(None)
    }
}

/// The 1-based number of the last complete line (for error messages only: reads the file).
pub fn count_lines(file: &mut File, upto: u64) -> std::io::Result<usize> {
    file.seek(SeekFrom::Start(0))?;
    let mut n = 0;
    let mut reader = BufReader::new(file.take(upto));
    loop {
        let buf = reader.fill_buf()?;
        if buf.is_empty() {
            return Ok(n);
        }
        n += buf.iter().filter(|b| **b == b'\n').count();
        let l = buf.len();
        reader.consume(l);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn tail_of(bytes: &[u8]) -> Tail {
        let mut f = tempfile::tempfile().unwrap();
        f.write_all(bytes).unwrap();
        scan(&mut f).unwrap()
    }

    #[test]
    fn finds_last_line_and_torn_rest() {
        assert_eq!(tail_of(b""), Tail::default());
        let t = tail_of(b"a\nbb\n");
        assert_eq!(
            (t.good_len, t.last_line.unwrap(), t.torn),
            (5, b"bb".to_vec(), None)
        );
        let t = tail_of(b"a\nbb\nccc");
        assert_eq!(t.good_len, 5);
        assert_eq!(t.last_line.unwrap(), b"bb");
        assert_eq!(t.torn.unwrap(), b"ccc");
        let t = tail_of(b"only-torn");
        assert_eq!((t.good_len, t.last_line), (0, None));
    }

    #[test]
    fn long_lines_span_chunks() {
        let long = vec![b'x'; 200_000];
        let mut bytes = b"first\n".to_vec();
        bytes.extend_from_slice(&long);
        bytes.push(b'\n');
        bytes.extend_from_slice(&long[..100_000]);
        let t = tail_of(&bytes);
        assert_eq!(t.last_line.unwrap().len(), 200_000);
        assert_eq!(t.torn.unwrap().len(), 100_000);
        assert_eq!(t.good_len, 200_007);
    }
}
