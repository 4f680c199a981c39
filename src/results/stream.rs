//! Raw-sample files read as a stream: dispatch to the per-request readers (JTL, k6, hey, ab,
//! Gatling's log), and the bounded list of problems they report (file, line, column and what was
//! expected).

use std::io::BufRead;

use super::sniff::Format;
use super::{
    ResultsError, RunResults, ab_gnuplot, gatling_log, hey_csv, jtl_csv, jtl_xml, k6_csv, k6_ndjson,
};
use crate::diag::Diagnostic;

/// A reader stops after this many errors: the rest of a bad file would only repeat them.
pub const MAX_ERRORS: usize = 20;

/// Problems found while streaming one file.
pub struct Problems {
    file: String,
    diags: Vec<Diagnostic>,
    pub notes: Vec<String>,
}

impl Problems {
    pub fn new(file: &str) -> Self {
        Problems {
            file: file.to_string(),
            diags: Vec::new(),
            notes: Vec::new(),
        }
    }

    /// Records an error; true when the reader should stop.
    pub fn error(&mut self, mut d: Diagnostic) -> bool {
        d.file = Some(self.file.clone());
        self.diags.push(d);
        if self.diags.len() >= MAX_ERRORS {
            self.notes
                .push(format!("stopped reading after {MAX_ERRORS} errors"));
            true
        } else {
            false
        }
    }

    pub fn has_errors(&self) -> bool {
        !self.diags.is_empty()
    }

    /// The results when nothing went wrong, every error otherwise.
    pub fn finish(self, mut results: RunResults) -> Result<RunResults, ResultsError> {
        if self.diags.is_empty() {
            results.notes.extend(self.notes);
            Ok(results)
        } else {
            Err(ResultsError {
                file: self.file,
                diagnostics: self.diags,
            })
        }
    }

    pub fn fail(mut self, d: Diagnostic) -> ResultsError {
        self.error(d);
        ResultsError {
            file: self.file,
            diagnostics: self.diags,
        }
    }
}

/// Reads a raw-sample stream of a detected format.
pub fn read<R: BufRead>(name: &str, input: R, format: Format) -> Result<RunResults, ResultsError> {
    match format {
        Format::JtlCsv => jtl_csv::read(name, input),
        Format::JtlXml => jtl_xml::read(name, input),
        Format::K6Ndjson => k6_ndjson::read(name, input),
        Format::HeyCsv => hey_csv::read(name, input),
        Format::AbGnuplot => ab_gnuplot::read(name, input),
        Format::K6Csv => k6_csv::read(name, input),
        Format::GatlingLog => gatling_log::read(name, input),
        other => Err(ResultsError::one(
            name,
            Diagnostic::error(
                "",
                format!("{} is not a raw-sample stream", other.describe()),
            ),
        )),
    }
}

/// An I/O error in the middle of a stream (a gzip member cut short, a disk error).
pub fn io_error(name: &str, line: Option<usize>, e: &std::io::Error) -> ResultsError {
    ResultsError::one(
        name,
        Diagnostic::error("", format!("cannot read: {e}"))
            .at(line, None)
            .hint("is the file complete? a compressed file may have been cut short"),
    )
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
