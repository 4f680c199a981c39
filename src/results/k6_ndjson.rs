//! k6 `--out json` NDJSON: one Metric or Point object per line, streamed. Requests are the
//! `http_req_duration` points (ms), grouped by `tags.name` (else `tags.url`) and `tags.method`.

use std::borrow::Cow;
use std::io::BufRead;

use serde::Deserialize;

use super::aggregate::{Aggregator, Limits, Resolution, Sample};
use super::stream::{Lines, Problems, io_error};
use super::{ResultsError, RunResults};
use crate::diag::Diagnostic;

pub const FORMAT: &str = "k6-ndjson";

#[derive(Deserialize)]
struct Line<'a> {
    #[serde(rename = "type", borrow)]
    kind: Cow<'a, str>,
    #[serde(borrow)]
    metric: Cow<'a, str>,
    #[serde(borrow, default)]
    data: Option<Data<'a>>,
}

#[derive(Deserialize)]
struct Data<'a> {
    #[serde(borrow, default)]
    time: Option<Cow<'a, str>>,
    #[serde(default)]
    value: Option<f64>,
    #[serde(borrow, default)]
    tags: Option<Tags<'a>>,
}

#[derive(Deserialize, Default)]
struct Tags<'a> {
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

impl<'a> Tags<'a> {
    fn endpoint(&self) -> Option<&str> {
        self.name.as_deref().or(self.url.as_deref())
    }
}

/// k6 stamps a sample when the request ends; the start is the stamp minus the duration.
fn time_ms(s: &str) -> Option<f64> {
    chrono::DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.timestamp_micros() as f64 / 1000.0)
}

pub fn read<R: BufRead>(name: &str, mut input: R) -> Result<RunResults, ResultsError> {
    let mut problems = Problems::new(name);
    let mut agg = Aggregator::new(Limits::default(), Resolution::Micros);
    let mut input = Lines::new(&mut input);
    let mut line_no = 0usize;
    let mut dropped: Option<f64> = None;
    let mut lines = 0u64;
    // Most lines are metrics this reader does not use (http_reqs, http_req_waiting, vus, ...):
    // a line naming none of the used metrics anywhere is skipped without parsing its JSON.
    let used = [
        memchr::memmem::Finder::new(b"http_req_duration"),
        memchr::memmem::Finder::new(b"http_req_failed"),
        memchr::memmem::Finder::new(b"dropped_iterations"),
    ];
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
        if complete && !used.iter().any(|f| f.find(text).is_some()) {
            continue;
        }
        let parsed: Line = match serde_json::from_slice(text) {
            Ok(l) => l,
            Err(e) if !complete && e.is_eof() => {
                problems.notes.push(format!(
                    "line {line_no} is incomplete and was skipped: was the file still being written?"
                ));
                break;
            }
            Err(e) => {
                let stop = problems.error(
                    Diagnostic::error("", format!("not a k6 JSON output line: {}", strip_pos(&e)))
                        .at(Some(line_no), Some(e.column()))
                        .hint("each line is {\"type\":\"Point\"|\"Metric\",\"metric\":…,\"data\":{…}}"),
                );
                if stop {
                    break;
                }
                continue;
            }
        };
        if parsed.kind != "Point" {
            continue;
        }
        let metric = parsed.metric.as_ref();
        if !matches!(
            metric,
            "http_req_duration" | "http_req_failed" | "dropped_iterations"
        ) {
            continue;
        }
        let Some(data) = parsed.data else {
            if problems.error(
                Diagnostic::error("data", "a Point line needs a data object")
                    .at(Some(line_no), None),
            ) {
                break;
            }
            continue;
        };
        let Some(value) = data.value.filter(|v| v.is_finite()) else {
            if problems
                .error(Diagnostic::error("data.value", "expected a number").at(Some(line_no), None))
            {
                break;
            }
            continue;
        };
        let tags = data.tags.unwrap_or_default();
        match metric {
            "dropped_iterations" => *dropped.get_or_insert(0.0) += value,
            "http_req_failed" => {
                agg.add_failure_flag(tags.endpoint(), tags.method.as_deref(), value != 0.0)
            }
            _ => {
                if value < 0.0 {
                    if problems.error(
                        Diagnostic::error("data.value", "a duration cannot be negative")
                            .value(value)
                            .at(Some(line_no), None),
                    ) {
                        break;
                    }
                    continue;
                }
                let end = match data.time.as_deref() {
                    Some(t) => match time_ms(t) {
                        Some(ms) => Some(ms),
                        None => {
                            if problems.error(
                                Diagnostic::error("data.time", "expected an RFC 3339 time")
                                    .value(format!("{t:?}"))
                                    .at(Some(line_no), None),
                            ) {
                                break;
                            }
                            continue;
                        }
                    },
                    None => None,
                };
                let success = match tags.expected_response.as_deref() {
                    Some("true") => Some(true),
                    Some("false") => Some(false),
                    _ => None,
                };
                agg.add(&Sample {
                    start_ms: end.map(|e| e - value),
                    elapsed_ms: value,
                    name: tags.endpoint(),
                    method: tags.method.as_deref(),
                    success,
                    status: tags.status.as_deref(),
                    users: None,
                });
            }
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
    let mut r = agg.finish(FORMAT);
    r.runner.dropped_iterations = dropped.map(|d| d.round() as u64);
    problems.finish(r)
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
