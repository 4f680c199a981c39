//! What the JSON summary readers share: typed field access that records located diagnostics,
//! field paths, and the note for percentiles a source does not report.

use serde_json::Value;

use super::model::{ResultsError, RunResults};
use crate::diag::{self, Diagnostic, show};
use crate::locate::Positions;

/// Parses a whole JSON results document (a byte-order mark is allowed). A syntax error names its
/// line and column, and an early end says the file may have been cut short.
pub(crate) fn parse_document(name: &str, text: &str) -> Result<Value, ResultsError> {
    crate::textdoc::parse_json(text.trim_start_matches('\u{feff}')).map_err(|e| {
        let what = if e.message.starts_with("EOF while") {
            "the JSON ends early (truncated file?)"
        } else {
            "not valid JSON"
        };
        ResultsError::one(
            name,
            Diagnostic::error("", format!("{what}: {}", e.message)).at(e.line, e.column),
        )
    })
}

/// Reading state for one document: the file name, its text (for positions) and the problems
/// found so far. Readers keep going after a bad field so that one run reports every problem.
pub(crate) struct Ctx<'a> {
    pub file: &'a str,
    text: &'a str,
    pub diags: Vec<Diagnostic>,
}

impl<'a> Ctx<'a> {
    pub fn new(file: &'a str, text: &'a str) -> Self {
        Ctx {
            file,
            text,
            diags: Vec::new(),
        }
    }

    pub fn error(&mut self, d: Diagnostic) {
        self.diags.push(d);
    }

    /// A non-negative finite number, `None` when absent or null. Numbers written as strings
    /// (Gatling's stats.js does this) are accepted; Gatling's `-` means "no value".
    pub fn num(&mut self, v: Option<&Value>, path: &str) -> Option<f64> {
        let v = v?;
        let n = match v {
            Value::Null => return None,
            Value::Number(n) => n.as_f64(),
            Value::String(s) if s.trim() == "-" || s.trim().is_empty() => return None,
            Value::String(s) => s.trim().parse::<f64>().ok(),
            _ => None,
        };
        match n.filter(|n| n.is_finite()) {
            Some(n) if n >= 0.0 => Some(n),
            Some(n) => {
                self.error(Diagnostic::error(path, "must not be negative").value(n));
                None
            }
            None => {
                self.error(Diagnostic::error(path, "expected a number").value(show(v)));
                None
            }
        }
    }

    /// A count: a non-negative whole number.
    pub fn count(&mut self, v: Option<&Value>, path: &str) -> Option<u64> {
        let n = self.num(v, path)?;
        if n.fract() != 0.0 || n > u64::MAX as f64 {
            self.error(Diagnostic::error(path, "expected a whole number").value(n));
            return None;
        }
        Some(n as u64)
    }

    /// A ratio between 0 and 1.
    pub fn ratio(&mut self, v: Option<&Value>, path: &str) -> Option<f64> {
        let n = self.num(v, path)?;
        if n > 1.0 {
            self.error(
                Diagnostic::error(path, "must be a ratio between 0 and 1")
                    .value(n)
                    .hint("the runner writes this as a fraction of all requests"),
            );
            return None;
        }
        Some(n)
    }

    /// An object field; a value of another type is an error, absence is not.
    pub fn object<'v>(
        &mut self,
        v: Option<&'v Value>,
        path: &str,
    ) -> Option<&'v serde_json::Map<String, Value>> {
        match v? {
            Value::Object(m) => Some(m),
            Value::Null => None,
            other => {
                self.error(Diagnostic::error(path, "expected an object").value(show(other)));
                None
            }
        }
    }

    /// An array field; a value of another type is an error, absence is not.
    pub fn array<'v>(&mut self, v: Option<&'v Value>, path: &str) -> Option<&'v Vec<Value>> {
        match v? {
            Value::Array(a) => Some(a),
            Value::Null => None,
            other => {
                self.error(Diagnostic::error(path, "expected an array").value(show(other)));
                None
            }
        }
    }

    /// Turns the collected problems into an error naming file, field and position, or passes
    /// the results through when there were none. Derives the error rate from the counts.
    pub fn finish(self, results: RunResults) -> Result<RunResults, ResultsError> {
        let mut diags = self.diags;
        if diags.iter().any(Diagnostic::is_error) {
            let positions = Positions::of(self.text);
            diag::place(&mut diags, self.file, &positions);
            // In file order, as a person reads the file (readers find them in another order).
            diags.sort_by_key(|d| (d.line.unwrap_or(usize::MAX), d.column.unwrap_or(0)));
            return Err(ResultsError {
                file: self.file.to_string(),
                diagnostics: diags,
            });
        }
        let mut results = results;
        if results.overall.error_rate.is_none() {
            results.overall.error_rate = results.overall.error_rate();
        }
        for e in &mut results.endpoints {
            if e.stats.error_rate.is_none() {
                e.stats.error_rate = e.stats.error_rate();
            }
        }
        Ok(results)
    }
}

/// Joins a field path the way diagnostics and `Positions` write them.
pub(crate) fn join(parent: &str, key: &str) -> String {
    if parent.is_empty() {
        key.to_string()
    } else {
        format!("{parent}.{key}")
    }
}

/// The note readers add when a percentile the judge may need is missing from the source.
pub(crate) fn note_missing_percentiles(r: &mut RunResults, source_hint: &str) {
    let lat = &r.overall.latency_ms;
    let mut missing = Vec::new();
    if lat.p95.is_none() {
        missing.push("p95");
    }
    if lat.p99.is_none() {
        missing.push("p99");
    }
    if !missing.is_empty() && r.overall.requests != Some(0) {
        r.notes.push(format!(
            "{} not reported by this source{source_hint}",
            missing.join(" and ")
        ));
    }
}
