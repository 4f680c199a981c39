//! Delimited records read line by line from a stream: a fast path that splits unquoted lines in
//! place, and full CSV quoting rules (quoted delimiters, doubled quotes, newlines) where a line
//! has a quote. Memory stays at one record, whatever the file size.
//!
//! Why not the `csv` crate's reader: it owns the buffer, so the JTL fast path could not take
//! whole lines from it (`take_lines`); it gives the first record after a blank line the blank
//! line's number (BurntSushi/rust-csv#208, #395 for CRLF), which our messages would misreport; a
//! file cut inside a quoted cell reads as a complete record, losing the "incomplete last line"
//! note; and a lone `\r` ends a record there, where this reader keeps it as cell text. With
//! `csv-core` the framing above would stay ours and only `split_quoted` would move.

use std::io::BufRead;

/// One record: its cells and where it starts.
pub struct Records<R> {
    input: R,
    delimiter: u8,
    line: Vec<u8>,
    spans: Vec<(usize, usize)>,
    /// Cells unquoted into their own buffer, for records that had quotes.
    owned: Vec<u8>,
    use_owned: bool,
    next_line: usize,
    /// Cells split per record on the fast path; the rest of the line stays one cell.
    limit: usize,
    /// Line number (1-based) where the current record starts.
    pub start_line: usize,
    /// Whether the current record ended with a newline (false: the file stops mid-record).
    pub complete: bool,
}

impl<R: BufRead> Records<R> {
    pub fn new(input: R, delimiter: u8) -> Self {
        Records {
            input,
            delimiter,
            line: Vec::with_capacity(512),
            spans: Vec::with_capacity(32),
            owned: Vec::new(),
            use_owned: false,
            next_line: 1,
            limit: usize::MAX,
            start_line: 0,
            complete: true,
        }
    }

    /// Splits unquoted lines into at most `cells` cells (the last holds the rest of the line):
    /// a reader that needs the first few columns skips scanning long trailing ones.
    pub fn set_limit(&mut self, cells: usize) {
        self.limit = cells.max(1);
    }

    /// The line the next record starts on (or a blank line before it).
    pub fn next_line(&self) -> usize {
        self.next_line
    }

    pub fn len(&self) -> usize {
        self.spans.len()
    }

    pub fn cell(&self, i: usize) -> &[u8] {
        match self.spans.get(i) {
            Some(&(a, b)) if self.use_owned => &self.owned[a..b],
            Some(&(a, b)) => &self.line[a..b],
            None => &[],
        }
    }

    /// Hands the buffered input to `take`, which consumes whole lines from its start and returns
    /// the bytes and lines it took, until it takes nothing or the input ends. The next record
    /// then starts where `take` stopped; line numbers count what it took.
    pub fn take_lines(
        &mut self,
        mut take: impl FnMut(&[u8]) -> (usize, usize),
    ) -> std::io::Result<()> {
        loop {
            let block = self.input.fill_buf()?;
            if block.is_empty() {
                return Ok(());
            }
            let len = block.len();
            let (bytes, lines) = take(block);
            self.input.consume(bytes);
            self.next_line += lines;
            // Stopped inside the block: a row for the full reader, or a line cut by the buffer's
            // end, which the full reader reads across the refill.
            if bytes < len {
                return Ok(());
            }
        }
    }

    /// Reads the next non-blank record; `Ok(false)` at the end of the input.
    pub fn next_record(&mut self) -> std::io::Result<bool> {
        loop {
            self.line.clear();
            self.start_line = self.next_line;
            if self.input.read_until(b'\n', &mut self.line)? == 0 {
                return Ok(false);
            }
            self.next_line += 1;
            // A quoted cell may hold newlines: read on until the quotes balance.
            let mut quotes = match memchr::memchr(b'"', &self.line) {
                None => 0,
                Some(_) => memchr::memchr_iter(b'"', &self.line).count(),
            };
            while quotes % 2 == 1 && self.line.ends_with(b"\n") {
                let from = self.line.len();
                if self.input.read_until(b'\n', &mut self.line)? == 0 {
                    break;
                }
                self.next_line += 1;
                quotes += memchr::memchr_iter(b'"', &self.line[from..]).count();
            }
            self.complete = self.line.ends_with(b"\n") && quotes % 2 == 0;
            let mut end = self.line.len();
            while end > 0 && matches!(self.line[end - 1], b'\n' | b'\r') {
                end -= 1;
            }
            if end == 0 {
                continue;
            }
            if quotes == 0 {
                self.split_plain(end);
            } else {
                self.split_quoted(end);
            }
            return Ok(true);
        }
    }

    fn split_plain(&mut self, end: usize) {
        self.use_owned = false;
        self.spans.clear();
        let mut start = 0;
        // Cells are short: a plain scan beats a vectorised search restarted for every delimiter.
        for (i, &b) in self.line[..end].iter().enumerate() {
            if b == self.delimiter {
                self.spans.push((start, i));
                start = i + 1;
                if self.spans.len() + 1 == self.limit {
                    break;
                }
            }
        }
        self.spans.push((start, end));
    }

    fn split_quoted(&mut self, end: usize) {
        self.use_owned = true;
        self.spans.clear();
        self.owned.clear();
        let bytes = &self.line[..end];
        let mut i = 0;
        loop {
            let start = self.owned.len();
            if bytes.get(i) == Some(&b'"') {
                i += 1;
                while i < bytes.len() {
                    if bytes[i] == b'"' {
                        if bytes.get(i + 1) == Some(&b'"') {
                            self.owned.push(b'"');
                            i += 2;
                            continue;
                        }
                        i += 1;
                        break;
                    }
                    self.owned.push(bytes[i]);
                    i += 1;
                }
                // Text after the closing quote (lenient, as JMeter's own reader is) stays.
                while i < bytes.len() && bytes[i] != self.delimiter {
                    self.owned.push(bytes[i]);
                    i += 1;
                }
            } else {
                while i < bytes.len() && bytes[i] != self.delimiter {
                    self.owned.push(bytes[i]);
                    i += 1;
                }
            }
            self.spans.push((start, self.owned.len()));
            if i >= bytes.len() {
                break;
            }
            i += 1; // the delimiter
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(text: &str) -> Vec<(usize, bool, Vec<String>)> {
        let mut r = Records::new(text.as_bytes(), b',');
        let mut out = Vec::new();
        while r.next_record().unwrap() {
            let cells = (0..r.len())
                .map(|i| String::from_utf8_lossy(r.cell(i)).into_owned())
                .collect();
            out.push((r.start_line, r.complete, cells));
        }
        out
    }

    #[test]
    fn plain_quoted_multiline_and_blank_lines() {
        let rows = all("a,b,c\r\n\n1,\"x, \"\"y\"\"\",3\n2,\"two\nlines\",4\n5,,\n6,7");
        assert_eq!(rows[0], (1, true, vec!["a".into(), "b".into(), "c".into()]));
        assert_eq!(rows[1].0, 3);
        assert_eq!(rows[1].2, ["1", "x, \"y\"", "3"]);
        assert_eq!(rows[2].0, 4);
        assert_eq!(rows[2].2, ["2", "two\nlines", "4"]);
        assert_eq!(rows[3].2, ["5", "", ""]);
        assert_eq!(rows[3].0, 6);
        assert_eq!(rows[4], (7, false, vec!["6".into(), "7".into()]));
    }

    #[test]
    fn lines_count_blank_and_crlf_lines_and_a_lone_cr_is_data() {
        let rows = all("1,2\r\n\r\n\n3,4\na,b\rc,d\n");
        assert_eq!(rows[1], (4, true, vec!["3".into(), "4".into()]));
        assert_eq!(
            rows[2],
            (5, true, vec!["a".into(), "b\rc".into(), "d".into()])
        );
        assert_eq!(rows.len(), 3);
    }

    #[test]
    fn unbalanced_quote_at_the_end_is_incomplete() {
        let rows = all("1,\"open\n2,3\n");
        assert_eq!(rows.len(), 1);
        assert!(!rows[0].1);
    }
}
