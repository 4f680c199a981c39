//! Lines of a raw-sample stream, lent from the reader's buffer.

use std::borrow::Cow;
use std::io::BufRead;

use super::ResultsError;
use super::problems::io_error;

/// A line of a text format, without its line end; invalid UTF-8 shows lossily.
pub struct TextLine<'a> {
    pub text: Cow<'a, str>,
    /// Whether it ended with a newline (the last line of a file cut short does not).
    pub complete: bool,
}

/// Lines of a stream, lent straight from the reader's buffer when they lie whole inside it (most
/// do): no copy per line, and one vectorised newline search.
pub struct Lines<R> {
    input: R,
    /// A line that ran across the buffer's end, put together here.
    carry: Vec<u8>,
    /// Bytes of the line last lent from the buffer, consumed on the next call.
    lent: usize,
}

enum Found {
    InBuffer,
    Carried,
    End,
}

impl<R: BufRead> Lines<R> {
    pub fn new(input: R) -> Self {
        Lines {
            input,
            carry: Vec::new(),
            lent: 0,
        }
    }

    /// The next line with its line end (if it has one: the last line of a file may not), or
    /// `None` at the end of the input.
    pub fn next_line(&mut self) -> std::io::Result<Option<&[u8]>> {
        self.input.consume(std::mem::take(&mut self.lent));
        self.carry.clear();
        let found = loop {
            let buf = self.input.fill_buf()?;
            if buf.is_empty() {
                break Found::End;
            }
            match memchr::memchr(b'\n', buf) {
                Some(i) if self.carry.is_empty() => {
                    self.lent = i + 1;
                    break Found::InBuffer;
                }
                Some(i) => {
                    self.carry.extend_from_slice(&buf[..=i]);
                    self.input.consume(i + 1);
                    break Found::Carried;
                }
                None => {
                    let n = buf.len();
                    self.carry.extend_from_slice(buf);
                    self.input.consume(n);
                }
            }
        };
        Ok(match found {
            // The buffer still holds the line: fill_buf does no I/O while it is not empty.
            Found::InBuffer => Some(&self.input.fill_buf()?[..self.lent]),
            Found::Carried => Some(&self.carry),
            Found::End if self.carry.is_empty() => None,
            Found::End => Some(&self.carry),
        })
    }
}

impl<R: BufRead> Lines<R> {
    /// The next line as text, counting it in `line_no`; a read error names the file and line.
    pub fn next_text(
        &mut self,
        name: &str,
        line_no: &mut usize,
    ) -> Result<Option<TextLine<'_>>, ResultsError> {
        let Some(raw) = self
            .next_line()
            .map_err(|e| io_error(name, Some(*line_no + 1), &e))?
        else {
            return Ok(None);
        };
        *line_no += 1;
        let complete = raw.ends_with(b"\n");
        let text = match String::from_utf8_lossy(raw) {
            Cow::Borrowed(t) => Cow::Borrowed(t.trim_end_matches(['\r', '\n'])),
            Cow::Owned(mut t) => {
                t.truncate(t.trim_end_matches(['\r', '\n']).len());
                Cow::Owned(t)
            }
        };
        Ok(Some(TextLine { text, complete }))
    }
}

#[cfg(test)]
mod tests {
    use super::Lines;

    #[test]
    fn lines_across_buffer_ends_come_whole() {
        let text = "a\nbb\n\nccc-longer-than-the-buffer\ndd";
        let mut lines = Lines::new(std::io::BufReader::with_capacity(4, text.as_bytes()));
        let mut got = Vec::new();
        while let Some(l) = lines.next_line().unwrap() {
            got.push(String::from_utf8(l.to_vec()).unwrap());
        }
        assert_eq!(
            got,
            ["a\n", "bb\n", "\n", "ccc-longer-than-the-buffer\n", "dd"]
        );
    }
}
