//! k6 `--out csv`: one row per metric sample (`metric_name,timestamp,metric_value`, then one
//! column per system tag, `extra_tags`, `metadata`), plain or gzip, streamed. Read by the rules
//! of the k6 NDJSON reader: requests are `http_req_duration` rows (ms), grouped by the `name`
//! tag (else `url`) and `method`; failures by `expected_response`, else `http_req_failed` rows.

use std::io::BufRead;

use super::aggregate::{Aggregator, Limits, Resolution, Sample};
use super::coarse_clock;
use super::model::{ResultsError, RunResults};
use super::problems::{Problems, io_error};
use super::records::Records;
use crate::diag::Diagnostic;

pub const FORMAT: &str = "k6-csv";

/// Where the used columns are.
struct Columns {
    metric: usize,
    time: usize,
    value: usize,
    name: Option<usize>,
    url: Option<usize>,
    method: Option<usize>,
    status: Option<usize>,
    expected: Option<usize>,
    names: Vec<String>,
}

impl Columns {
    fn of(r: &Records<impl BufRead>) -> Option<Columns> {
        let names: Vec<String> = (0..r.len())
            .map(|i| String::from_utf8_lossy(r.cell(i)).trim().to_string())
            .collect();
        let at = |n: &str| names.iter().position(|c| c == n);
        Some(Columns {
            metric: at("metric_name")?,
            time: at("timestamp")?,
            value: at("metric_value")?,
            name: at("name"),
            url: at("url"),
            method: at("method"),
            status: at("status"),
            expected: at("expected_response"),
            names,
        })
    }
}

/// A timestamp in milliseconds, and whether it is stamped in whole seconds. k6 writes Unix
/// seconds by default, or milli-, micro- or nanoseconds, or RFC 3339 (`timeFormat`).
fn time_ms(s: &str) -> Option<(f64, bool)> {
    if !s.is_empty() && s.bytes().all(|c| c.is_ascii_digit()) {
        let n: f64 = s.parse().ok()?;
        return Some(match s.len() {
            0..=11 => (n * 1000.0, true),
            12..=14 => (n, false),
            15..=17 => (n / 1e3, false),
            _ => (n / 1e6, false),
        });
    }
    let t = chrono::DateTime::parse_from_rfc3339(s).ok()?;
    Some((
        t.timestamp_micros() as f64 / 1000.0,
        t.timestamp_subsec_nanos() == 0 && !s.contains('.'),
    ))
}

pub fn read<R: BufRead>(name: &str, input: R) -> Result<RunResults, ResultsError> {
    let mut problems = Problems::new(name);
    let mut agg = Aggregator::new(Limits::default(), Resolution::Micros);
    let mut rec = Records::new(input, b',');
    let mut cols: Option<Columns> = None;
    let mut dropped: Option<f64> = None;
    let mut whole_seconds = true;
    let mut rows = 0u64;
    loop {
        let more = rec
            .next_record()
            .map_err(|e| io_error(name, Some(rec.next_line()), &e))?;
        if !more {
            break;
        }
        let line = rec.start_line;
        let Some(c) = &cols else {
            match Columns::of(&rec) {
                Some(c) => cols = Some(c),
                None => {
                    return Err(problems.fail(
                        Diagnostic::error(
                            "",
                            "k6's CSV header needs metric_name, timestamp and metric_value",
                        )
                        .at(Some(line), None),
                    ));
                }
            }
            continue;
        };
        rows += 1;
        let metric = rec.cell(c.metric);
        if !matches!(
            metric,
            b"http_req_duration" | b"http_req_failed" | b"dropped_iterations"
        ) {
            continue;
        }
        let text = |i: Option<usize>| -> Option<String> {
            i.map(|i| String::from_utf8_lossy(rec.cell(i)).into_owned())
                .filter(|s| !s.is_empty())
        };
        let bad = |column: usize, what: &str| {
            Diagnostic::error(c.names[column].clone(), what.to_string())
                .value(format!("{:?}", String::from_utf8_lossy(rec.cell(column))))
                .at(Some(line), Some(column + 1))
        };
        let value = std::str::from_utf8(rec.cell(c.value))
            .ok()
            .and_then(|v| v.trim().parse::<f64>().ok())
            .filter(|v| v.is_finite());
        let problem = match (metric, value) {
            (_, None) => Some(bad(c.value, "expected a number")),
            (b"dropped_iterations", Some(v)) => {
                *dropped.get_or_insert(0.0) += v;
                None
            }
            (b"http_req_failed", Some(v)) => {
                let endpoint = text(c.name).or_else(|| text(c.url));
                agg.add_failure_flag(endpoint.as_deref(), text(c.method).as_deref(), v != 0.0);
                None
            }
            (_, Some(v)) if v < 0.0 => Some(bad(c.value, "a duration cannot be negative")),
            (_, Some(v)) => match std::str::from_utf8(rec.cell(c.time)).ok().and_then(time_ms) {
                None => Some(bad(
                    c.time,
                    "expected Unix seconds, milli-, micro- or nanoseconds, or an RFC 3339 time",
                )),
                Some((end, whole)) => {
                    whole_seconds &= whole;
                    let endpoint = text(c.name).or_else(|| text(c.url));
                    let method = text(c.method);
                    let status = text(c.status);
                    let success = match text(c.expected).as_deref() {
                        Some("true") => Some(true),
                        Some("false") => Some(false),
                        _ => None,
                    };
                    agg.add(&Sample {
                        start_ms: Some(end - v),
                        elapsed_ms: v,
                        name: endpoint.as_deref(),
                        method: method.as_deref(),
                        success,
                        status: status.as_deref(),
                        users: None,
                    });
                    None
                }
            },
        };
        let Some(d) = problem else {
            continue;
        };
        if !rec.complete {
            problems.notes.push(format!(
                "line {line} is incomplete and was skipped: was the file still being written?"
            ));
            break;
        }
        if problems.error(d) {
            break;
        }
    }
    if cols.is_none() {
        return Err(problems.fail(Diagnostic::error("", "the file is empty")));
    }
    if agg.count() == 0 && !problems.has_errors() {
        return Err(
            problems.fail(
                Diagnostic::error("", "no http_req_duration rows").hint(if rows == 0 {
                    "was the run interrupted before k6 wrote any sample?"
                } else {
                    "k6 writes them for HTTP requests; did the script make any?"
                }),
            ),
        );
    }
    let mut r = agg.finish(FORMAT);
    r.runner.dropped_iterations = dropped.map(|d| d.round() as u64);
    if whole_seconds {
        coarse_clock::withdraw_rates(
            &mut r,
            "k6 stamped its CSV rows in whole seconds (the default timeFormat; use --out csv=file.csv with K6_CSV_TIME_FORMAT=unix_milli for rates)",
        );
    }
    problems.finish(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEAD: &str = "metric_name,timestamp,metric_value,check,error,error_code,expected_response,group,method,name,proto,scenario,service,status,subproto,tls_version,url,extra_tags,metadata\n";

    fn row(metric: &str, ts: &str, v: &str, expected: &str, name: &str, status: &str) -> String {
        format!(
            "{metric},{ts},{v},,,,{expected},,GET,{name},HTTP/1.1,default,,{status},,,\"http://127.0.0.1/{name}?a=1,b=2\",,\n"
        )
    }

    #[test]
    fn durations_failures_and_whole_second_stamps() {
        let text = format!(
            "{HEAD}{}{}{}{}{}",
            row("http_reqs", "1700000000", "1.000000", "true", "home", "200"),
            row(
                "http_req_duration",
                "1700000000",
                "100.500000",
                "true",
                "home",
                "200"
            ),
            row(
                "http_req_duration",
                "1700000001",
                "20.000000",
                "false",
                "cart",
                "503"
            ),
            row(
                "http_req_failed",
                "1700000001",
                "1.000000",
                "false",
                "cart",
                "503"
            ),
            "dropped_iterations,1700000002,2.000000,,,,,,,,,,,,,,,,\n"
        );
        let r = read("k6.csv", text.as_bytes()).unwrap();
        assert_eq!(r.overall.requests, Some(2));
        assert_eq!(r.overall.errors, Some(1));
        assert_eq!(r.endpoints.len(), 2);
        assert_eq!(r.endpoints[1].name, "home");
        assert_eq!(r.runner.dropped_iterations, Some(2));
        assert_eq!(r.duration_s, None);
        assert!(r.notes.iter().any(|n| n.contains("whole seconds")));
    }

    #[test]
    fn millisecond_stamps_keep_the_rates() {
        let text = format!(
            "{HEAD}{}{}",
            row(
                "http_req_duration",
                "1700000000100",
                "100.000000",
                "true",
                "home",
                "200"
            ),
            row(
                "http_req_duration",
                "1700000001100",
                "50.000000",
                "true",
                "home",
                "200"
            ),
        );
        let r = read("k6.csv", text.as_bytes()).unwrap();
        assert_eq!(r.duration_s, Some(1.1));
    }

    #[test]
    fn a_bad_value_names_line_and_column() {
        let text = format!(
            "{HEAD}{}",
            row(
                "http_req_duration",
                "1700000000",
                "slow",
                "true",
                "home",
                "200"
            )
        );
        let e = read("k6.csv", text.as_bytes()).unwrap_err();
        let d = &e.diagnostics[0];
        assert_eq!(
            (d.line, d.column, d.field.as_str()),
            (Some(2), Some(3), "metric_value")
        );
    }
}
