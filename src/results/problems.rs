//! The bounded list of problems a raw-sample reader reports (file, line, column and what was
//! expected), and the error for a stream that breaks off.

use super::model::{ResultsError, RunResults};
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

/// An I/O error in the middle of a stream (a gzip member cut short, a disk error).
pub fn io_error(name: &str, line: Option<usize>, e: &std::io::Error) -> ResultsError {
    ResultsError::one(
        name,
        Diagnostic::error("", format!("cannot read: {e}"))
            .at(line, None)
            .hint("is the file complete? a compressed file may have been cut short"),
    )
}
