//! k6 `--out json` NDJSON: one Metric or Point object per line, streamed. Requests are the
//! `http_req_duration` points (ms), grouped by `tags.name` (else `tags.url`) and `tags.method`.
//!
//! Which line is read how: a survey pass compares the leading metric name whole and searches the
//! rest of the line for `_req` or `d_it` (one of which is in every used metric's name), so a
//! complete line naming none is skipped unparsed; a line that may name a used metric and has no
//! backslash or control character goes to the scanner (`scan.rs`); everything else to serde_json,
//! which defines results and errors (with line and column). Times are read by chrono's RFC 3339
//! parser: a hand-written one for Go's layout saved about 1 % of a one-thread read, less than
//! the noise (`benches/fast_paths`, recorded in benches/README.md).

use std::borrow::Cow;
use std::io::BufRead;

use serde::Deserialize;

use super::aggregate::{Aggregator, Limits, Resolution, Sample};
use super::lines::Lines;
use super::model::{ResultsError, RunResults};
use super::problems::{Problems, io_error};
use crate::diag::Diagnostic;

#[doc(hidden)]
pub mod bench_api;
#[cfg(test)]
mod equivalence;
mod parallel;
mod scan;

pub(crate) use parallel::{Part, Split, merge, split};

pub const FORMAT: &str = "k6-ndjson";

/// A line as serde reads it: the reference the scanner must agree with, and the reader of every
/// line the scanner leaves (escapes, odd spacing, other keys). It lends a `Point` to `apply`.
#[derive(Deserialize)]
pub struct Line<'a> {
    #[serde(rename = "type", borrow)]
    kind: Cow<'a, str>,
    #[serde(borrow)]
    metric: Cow<'a, str>,
    #[serde(borrow, default)]
    data: Option<Data<'a>>,
}

#[derive(Deserialize)]
pub(super) struct Data<'a> {
    #[serde(borrow, default)]
    time: Option<Cow<'a, str>>,
    #[serde(default)]
    value: Option<f64>,
    #[serde(borrow, default)]
    tags: Option<Tags<'a>>,
}

#[derive(Deserialize)]
pub(super) struct Tags<'a> {
    #[serde(borrow, default)]
    name: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    url: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    method: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    status: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    expected_response: Option<Cow<'a, str>>,
}

/// The fields of one line that the reader uses, borrowed from the line by the scanner or from
/// serde's `Line`. Filled in place and read by reference: a line is never moved about whole.
#[derive(Default)]
pub(super) struct Point<'a> {
    kind: &'a str,
    metric: &'a str,
    /// Whether the line has a `data` object: a used Point without one is an error.
    has_data: bool,
    time: Option<&'a str>,
    value: Option<f64>,
    name: Option<&'a str>,
    url: Option<&'a str>,
    method: Option<&'a str>,
    status: Option<&'a str>,
    expected_response: Option<&'a str>,
}

impl Point<'_> {
    fn endpoint(&self) -> Option<&str> {
        self.name.or(self.url)
    }
}

impl Line<'_> {
    fn point(&self) -> Point<'_> {
        let mut p = Point {
            kind: &self.kind,
            metric: &self.metric,
            ..Point::default()
        };
        if let Some(d) = &self.data {
            p.has_data = true;
            p.time = d.time.as_deref();
            p.value = d.value;
            if let Some(t) = &d.tags {
                p.name = t.name.as_deref();
                p.url = t.url.as_deref();
                p.method = t.method.as_deref();
                p.status = t.status.as_deref();
                p.expected_response = t.expected_response.as_deref();
            }
        }
        p
    }
}

/// k6 stamps a sample when the request ends; the start is the stamp minus the duration. Times
/// keep microseconds, as k6's own summaries do.
fn time_ms(s: &str) -> Option<f64> {
    chrono::DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.timestamp_micros() as f64 / 1000.0)
}

/// Most lines are metrics this reader does not use (http_reqs, http_req_waiting, vus, ...): a
/// line the scanner cannot take that names none of the used metrics anywhere is skipped unread.
/// `scan` false leaves every line to serde: the reference the scanner is tested against.
pub(super) struct Used {
    finders: [memchr::memmem::Finder<'static>; 3],
    scan: bool,
}

impl Used {
    pub(super) fn new(scan: bool) -> Self {
        Used {
            finders: [
                memchr::memmem::Finder::new(b"http_req_duration"),
                memchr::memmem::Finder::new(b"http_req_failed"),
                memchr::memmem::Finder::new(b"dropped_iterations"),
            ],
            scan,
        }
    }

    fn named_in(&self, text: &[u8]) -> bool {
        self.finders.iter().any(|f| f.find(text).is_some())
    }
}

/// What became of one trimmed, non-empty line.
pub(super) enum Parsed<R> {
    /// Read: what the caller's function made of its point.
    Read(R),
    /// Named no used metric: never parsed.
    Unread,
    Invalid(serde_json::Error),
}

/// Reads a line and hands its point to `f`. The hand-written scanner takes the lines k6 writes,
/// reading them as serde would; serde reads the rest. An unfinished last line (`complete` false)
/// is always read.
#[inline]
pub(super) fn parse<R>(
    text: &[u8],
    complete: bool,
    used: &Used,
    f: impl FnOnce(&Point) -> R,
) -> Parsed<R> {
    if used.scan {
        let survey = scan::survey(text);
        if complete && !survey.may_name_used {
            return Parsed::Unread;
        }
        if survey.plain {
            let mut p = Point::default();
            if scan::plain_line(text, &mut p) {
                return Parsed::Read(f(&p));
            }
        }
    }
    if complete && !used.named_in(text) {
        return Parsed::Unread;
    }
    match serde_json::from_slice::<Line>(text) {
        Ok(l) => Parsed::Read(f(&l.point())),
        Err(e) => Parsed::Invalid(e),
    }
}

/// Adds a point to `agg`: `Ok(Some(n))` for `n` dropped iterations, the error (without its
/// line number) for a used Point that is wrong.
pub(super) fn apply(p: &Point, agg: &mut Aggregator) -> Result<Option<f64>, Box<Diagnostic>> {
    if p.kind != "Point" {
        return Ok(None);
    }
    let metric = p.metric;
    if !matches!(
        metric,
        "http_req_duration" | "http_req_failed" | "dropped_iterations"
    ) {
        return Ok(None);
    }
    if !p.has_data {
        return Err(Box::new(Diagnostic::error(
            "data",
            "a Point line needs a data object",
        )));
    }
    let Some(value) = p.value.filter(|v| v.is_finite()) else {
        return Err(Box::new(Diagnostic::error(
            "data.value",
            "expected a number",
        )));
    };
    match metric {
        "dropped_iterations" => return Ok(Some(value)),
        "http_req_failed" => agg.add_failure_flag(p.endpoint(), p.method, value != 0.0),
        _ => {
            if value < 0.0 {
                return Err(Box::new(
                    Diagnostic::error("data.value", "a duration cannot be negative").value(value),
                ));
            }
            let end = match p.time {
                Some(t) => Some(time_ms(t).ok_or_else(|| {
                    Box::new(
                        Diagnostic::error("data.time", "expected an RFC 3339 time")
                            .value(format!("{t:?}")),
                    )
                })?),
                None => None,
            };
            let success = match p.expected_response {
                Some("true") => Some(true),
                Some("false") => Some(false),
                _ => None,
            };
            agg.add(&Sample {
                start_ms: end.map(|e| e - value),
                elapsed_ms: value,
                name: p.endpoint(),
                method: p.method,
                success,
                status: p.status,
                users: None,
            });
        }
    }
    Ok(None)
}

pub fn read<R: BufRead>(name: &str, input: R) -> Result<RunResults, ResultsError> {
    read_with(name, input, true)
}

/// `read`, with the scanner (`scan`) or serde alone.
fn read_with<R: BufRead>(name: &str, mut input: R, scan: bool) -> Result<RunResults, ResultsError> {
    let mut problems = Problems::new(name);
    let mut agg = Aggregator::new(Limits::default(), Resolution::Micros);
    let mut input = Lines::new(&mut input);
    let mut line_no = 0usize;
    let mut dropped: Option<f64> = None;
    let mut lines = 0u64;
    let used = Used::new(scan);
    while let Some(line) = input
        .next_line()
        .map_err(|e| io_error(name, Some(line_no + 1), &e))?
    {
        line_no += 1;
        let complete = line.ends_with(b"\n");
        let text = trim(line);
        if text.is_empty() {
            continue;
        }
        lines += 1;
        let bad = match parse(text, complete, &used, |p| apply(p, &mut agg)) {
            Parsed::Unread => continue,
            Parsed::Read(applied) => match applied {
                Ok(Some(n)) => {
                    *dropped.get_or_insert(0.0) += n;
                    continue;
                }
                Ok(None) => continue,
                Err(d) => (*d).at(Some(line_no), None),
            },
            Parsed::Invalid(e) if !complete && e.is_eof() => {
                problems.notes.push(format!(
                    "line {line_no} is incomplete and was skipped: was the file still being written?"
                ));
                break;
            }
            Parsed::Invalid(e) => {
                Diagnostic::error("", format!("not a k6 JSON output line: {}", strip_pos(&e)))
                    .at(Some(line_no), Some(e.column()))
                    .hint("each line is {\"type\":\"Point\"|\"Metric\",\"metric\":…,\"data\":{…}}")
            }
        };
        if problems.error(bad) {
            break;
        }
    }
    if lines == 0 {
        return Err(problems.fail(
            Diagnostic::error("", "the file is empty")
                .hint("was the run interrupted before k6 wrote any point?"),
        ));
    }
    if agg.count() == 0 && !problems.has_errors() {
        return Err(problems.fail(
            Diagnostic::error("", "no http_req_duration points")
                .hint("k6 writes them for HTTP requests; did the script make any?"),
        ));
    }
    problems.finish(finish(agg, dropped))
}

fn finish(agg: Aggregator, dropped: Option<f64>) -> RunResults {
    let mut r = agg.finish(FORMAT);
    r.runner.dropped_iterations = dropped.map(|d| d.round() as u64);
    r
}

fn trim(b: &[u8]) -> &[u8] {
    let start = b
        .iter()
        .position(|c| !c.is_ascii_whitespace())
        .unwrap_or(b.len());
    let end = b
        .iter()
        .rposition(|c| !c.is_ascii_whitespace())
        .map_or(start, |i| i + 1);
    &b[start..end.max(start)]
}

fn strip_pos(e: &serde_json::Error) -> String {
    e.to_string()
        .split(" at line")
        .next()
        .unwrap_or("")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    const POINTS: &str = r#"{"type":"Metric","data":{"name":"http_req_duration","type":"trend","contains":"time","thresholds":[],"submetrics":null},"metric":"http_req_duration"}
{"type":"Point","data":{"time":"2024-05-01T12:00:00.100Z","value":100,"tags":{"method":"GET","name":"home","status":"200","expected_response":"true"}},"metric":"http_req_duration"}
{"type":"Point","data":{"time":"2024-05-01T12:00:00.100Z","value":0,"tags":{"method":"GET","name":"home","status":"200"}},"metric":"http_req_failed"}
{"type":"Point","data":{"time":"2024-05-01T12:00:01.100Z","value":50.5,"tags":{"method":"POST","url":"http://x/api","status":"503","expected_response":"false"}},"metric":"http_req_duration"}
{"type":"Point","data":{"time":"2024-05-01T12:00:01.100Z","value":2,"tags":{}},"metric":"dropped_iterations"}
"#;

    #[test]
    fn groups_by_name_or_url_and_method() {
        let r = read("o.json", POINTS.as_bytes()).unwrap();
        assert_eq!(r.overall.requests, Some(2));
        assert_eq!(r.overall.errors, Some(1));
        assert_eq!(r.endpoints.len(), 2);
        assert_eq!(r.endpoints[0].name, "home");
        assert_eq!(r.endpoints[0].method.as_deref(), Some("GET"));
        assert_eq!(r.endpoints[1].name, "http://x/api");
        assert_eq!(r.runner.dropped_iterations, Some(2));
        // first start 12:00:00.000, last end 12:00:01.100
        assert_eq!(r.duration_s, Some(1.1));
        assert_eq!(r.overall.latency_ms.max, Some(100.0));
    }

    #[test]
    fn lines_cut_by_the_read_buffer_read_the_same() {
        let whole = read("o.json", POINTS.as_bytes()).unwrap();
        for cap in [1, 7, 64] {
            let small = std::io::BufReader::with_capacity(cap, POINTS.as_bytes());
            assert_eq!(read("o.json", small).unwrap(), whole, "buffer of {cap}");
        }
        let cut = &POINTS[..POINTS.len() - 30];
        let small = std::io::BufReader::with_capacity(5, cut.as_bytes());
        let r = read("o.json", small).unwrap();
        assert!(
            r.notes.iter().any(|n| n.contains("line 5 is incomplete")),
            "{:?}",
            r.notes
        );
    }

    #[test]
    fn bad_line_is_named() {
        let text = format!(
            "{POINTS}{{\"type\":\"Point\",\"metric\":\"http_req_duration\",\"data\":{{\"value\":\"slow\"}}}}\n"
        );
        let e = read("o.json", text.as_bytes()).unwrap_err();
        assert_eq!(e.diagnostics[0].line, Some(6));
    }
}
