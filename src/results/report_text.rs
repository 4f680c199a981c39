//! Text reports that put each figure on a labelled line (hey, wrk, ApacheBench): finding a line
//! by its label, reading its numbers, and naming the line of a value that does not read.

use super::model::{ResultsError, RunResults};
use crate::diag::Diagnostic;

pub struct TextReport<'a> {
    file: &'a str,
    lines: Vec<&'a str>,
    diags: Vec<Diagnostic>,
}

impl<'a> TextReport<'a> {
    pub fn new(file: &'a str, text: &'a str) -> Self {
        TextReport {
            file,
            lines: text.lines().collect(),
            diags: Vec::new(),
        }
    }

    /// The first line whose text after its indentation starts with `label`: its number (1-based)
    /// and what follows the label, trimmed.
    pub fn find(&self, label: &str) -> Option<(usize, &'a str)> {
        self.find_after(0, label)
    }

    /// `find`, looking only at lines after line `after` (1-based; 0 looks at every line).
    pub fn find_after(&self, after: usize, label: &str) -> Option<(usize, &'a str)> {
        self.lines
            .iter()
            .enumerate()
            .skip(after)
            .find_map(|(i, l)| {
                l.trim_start()
                    .strip_prefix(label)
                    .map(|rest| (i + 1, rest.trim()))
            })
    }

    /// The lines after line `after`, with their numbers.
    pub fn lines_after(&self, after: usize) -> impl Iterator<Item = (usize, &'a str)> + '_ {
        self.lines
            .iter()
            .enumerate()
            .skip(after)
            .map(|(i, l)| (i + 1, *l))
    }

    /// Records that `value` on `line` is not what `field` should hold.
    pub fn bad(&mut self, line: usize, field: &str, value: &str, expected: &str) {
        self.diags.push(
            Diagnostic::error(field, format!("expected {expected}"))
                .value(format!("{value:?}"))
                .at(Some(line), None),
        );
    }

    /// Records a problem that is not one value's.
    pub fn error(&mut self, d: Diagnostic) {
        self.diags.push(d);
    }

    /// A whole number, or `None` with the problem recorded.
    pub fn count(&mut self, line: usize, field: &str, text: &str) -> Option<u64> {
        let parsed = text.trim().parse::<u64>().ok();
        if parsed.is_none() {
            self.bad(line, field, text, "a whole number");
        }
        parsed
    }

    /// A non-negative finite number, or `None` with the problem recorded.
    pub fn number(&mut self, line: usize, field: &str, text: &str) -> Option<f64> {
        let parsed = text
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite() && *v >= 0.0);
        if parsed.is_none() {
            self.bad(line, field, text, "a non-negative number");
        }
        parsed
    }

    /// The results, or every problem found.
    pub fn finish(self, results: RunResults) -> Result<RunResults, ResultsError> {
        if self.diags.is_empty() {
            return Ok(results);
        }
        Err(ResultsError::all(self.file, self.diags))
    }
}

/// The first whitespace-separated word of `text`, and the rest after it.
pub fn first_word(text: &str) -> (&str, &str) {
    let text = text.trim_start();
    match text.find(char::is_whitespace) {
        Some(i) => (&text[..i], text[i..].trim_start()),
        None => (text, ""),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_found_after_indentation_and_bad_values_name_their_line() {
        let mut r = TextReport::new("r.txt", "Head\n  Total:\t2.5 secs\n  Count: x\n");
        let (line, rest) = r.find("Total:").unwrap();
        assert_eq!((line, rest), (2, "2.5 secs"));
        assert_eq!(r.number(line, "Total", first_word(rest).0), Some(2.5));
        let (line, rest) = r.find("Count:").unwrap();
        assert_eq!(r.count(line, "Count", rest), None);
        let e = r.finish(RunResults::new("x")).unwrap_err();
        assert_eq!(e.diagnostics[0].line, Some(3));
        assert_eq!(e.diagnostics[0].file.as_deref(), Some("r.txt"));
        assert_eq!(first_word("  12ms  rest of it"), ("12ms", "rest of it"));
    }
}
