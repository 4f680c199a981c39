//! ApacheBench's text report. Failures are the responses outside 2xx ("Non-2xx responses") and the
//! requests that failed at the connection level; ab's "Failed requests" also counts bodies whose
//! length differs from the first response's, which is not a failure and is left out.
//! Times are whole milliseconds; the Document Path names the one endpoint.

use super::json_fields::note_missing_percentiles;
use super::model::{ResultsError, RunResults};
use super::report_text::{TextReport, first_word};
use super::single_url;
use crate::diag::Diagnostic;

pub const FORMAT: &str = "ab-text";

pub fn read(name: &str, text: &str) -> Result<RunResults, ResultsError> {
    let mut rep = TextReport::new(name, text);
    let mut r = RunResults::new(FORMAT);
    let labelled = |rep: &mut TextReport, label: &str| -> Option<u64> {
        let (line, rest) = rep.find(label)?;
        rep.count(line, label.trim_end_matches(':'), first_word(rest).0)
    };
    let complete = labelled(&mut rep, "Complete requests:");
    let non_2xx = labelled(&mut rep, "Non-2xx responses:").unwrap_or(0);
    let write_errors = labelled(&mut rep, "Write errors:").unwrap_or(0);
    let failed = failed_kinds(&mut rep);
    if let Some((line, rest)) = rep.find("Time taken for tests:") {
        r.duration_s = rep.number(line, "Time taken for tests", first_word(rest).0);
    }
    if let Some((line, rest)) = rep.find("Requests per second:") {
        r.overall.throughput_rps = rep.number(line, "Requests per second", first_word(rest).0);
    }
    let Some(complete) = complete else {
        rep.error(Diagnostic::error(
            "Complete requests",
            "ApacheBench's report has no `Complete requests:` line",
        ));
        return rep.finish(r);
    };
    // Connect errors and exceptions are attempts ab keeps out of its complete requests; receive
    // and write errors happen to requests it counts as complete.
    let requests = complete + failed.connect + failed.exceptions;
    let errors = non_2xx + failed.connect + failed.receive + failed.exceptions + write_errors;
    if r.overall.set_counts_capped(requests, errors) {
        r.notes.push(format!(
            "ab's failure counts ({errors}) overlap and exceed its requests ({requests}): errors capped at the request count"
        ));
    }
    if failed.length > 0 {
        r.notes.push(format!(
            "ab's {} length failures (a body of another length than the first response's) are not counted as errors",
            failed.length
        ));
    }
    if non_2xx > 0 {
        r.notes.push(
            "ab's Non-2xx responses include 3xx redirects, which count as errors here".into(),
        );
    }
    if complete > 0 {
        read_total_times(&mut rep, &mut r);
        read_percentiles(&mut rep, &mut r);
    }
    note_missing_percentiles(
        &mut r,
        " (ab prints 50, 66, 75, 80, 90, 95, 98, 99 and 100 unless run with -d)",
    );
    match rep.find("Document Path:") {
        Some((_, path)) => {
            let method = if rep.find("Total body sent:").is_some() {
                r.notes.push(
                    "ab sent a request body (-p or -u), so the method was POST or PUT; the report does not say which, and the endpoint is matched by path alone".into(),
                );
                None
            } else {
                Some("GET")
            };
            r.endpoints
                .push(single_url::endpoint(method, path, &r.overall));
        }
        None => rep.error(Diagnostic::error(
            "Document Path",
            "ApacheBench's report has no `Document Path:` line",
        )),
    }
    rep.finish(r)
}

#[derive(Default)]
struct Failed {
    connect: u64,
    receive: u64,
    length: u64,
    exceptions: u64,
}

/// The kinds under "Failed requests": `(Connect: 0, Receive: 0, Length: 40, Exceptions: 0)`.
fn failed_kinds(rep: &mut TextReport) -> Failed {
    let mut f = Failed::default();
    let Some((line, rest)) = rep.find("(Connect:") else {
        return f;
    };
    let inside = format!("Connect:{rest}");
    for part in inside.trim_end_matches(')').split(',') {
        let Some((kind, n)) = part.split_once(':') else {
            rep.bad(line, "Failed requests", part, "`Kind: N`");
            continue;
        };
        let Some(n) = rep.count(line, "Failed requests", n) else {
            continue;
        };
        match kind.trim() {
            "Connect" => f.connect = n,
            "Receive" => f.receive = n,
            "Length" => f.length = n,
            "Exceptions" => f.exceptions = n,
            other => rep.bad(
                line,
                "Failed requests",
                other,
                "Connect, Receive, Length or Exceptions",
            ),
        }
    }
    f
}

/// The `Total:` row of "Connection Times (ms)": min, mean, [+/-sd], median, max, or with `-S`
/// min, avg, max.
fn read_total_times(rep: &mut TextReport, r: &mut RunResults) {
    let Some((start, _)) = rep.find("Connection Times (ms)") else {
        return;
    };
    let Some((line, rest)) = rep.find_after(start, "Total:") else {
        return;
    };
    let cells: Vec<&str> = rest.split_whitespace().collect();
    let (min, mean, max) = match cells.len() {
        5 => (cells[0], cells[1], cells[4]),
        3 => (cells[0], cells[1], cells[2]),
        _ => {
            rep.bad(
                line,
                "Connection Times.Total",
                rest,
                "min mean [+/-sd] median max",
            );
            return;
        }
    };
    let lat = &mut r.overall.latency_ms;
    lat.min = rep.number(line, "Connection Times.Total.min", min);
    lat.mean = rep.number(line, "Connection Times.Total.mean", mean);
    lat.max = rep.number(line, "Connection Times.Total.max", max);
}

/// "Percentage of the requests served within a certain time (ms)": `  50%      2` … ` 100%     19
/// (longest request)`.
fn read_percentiles(rep: &mut TextReport, r: &mut RunResults) {
    let Some((start, _)) = rep.find("Percentage of the requests served") else {
        return;
    };
    let lines: Vec<(usize, &str)> = rep.lines_after(start).collect();
    for (line, l) in lines {
        let (pct, rest) = first_word(l);
        let Some(p) = pct.strip_suffix('%') else {
            break;
        };
        let value = first_word(rest).0;
        if value == "<0>" {
            continue; // ` 0%  <0> (never)`
        }
        let Some(v) = rep.number(line, "Percentage served", value) else {
            continue;
        };
        let lat = &mut r.overall.latency_ms;
        match p {
            "50" => lat.p50 = Some(v),
            "90" => lat.p90 = Some(v),
            "95" => lat.p95 = Some(v),
            "99" => lat.p99 = Some(v),
            "100" => lat.max = Some(v),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const REPORT: &str = "This is ApacheBench, Version 2.3 <$Revision$>\n\nServer Software:        BaseHTTP/0.6\nServer Hostname:        127.0.0.1\nServer Port:            43223\n\nDocument Path:          /error\nDocument Length:        13 bytes\n\nConcurrency Level:      3\nTime taken for tests:   0.062 seconds\nComplete requests:      60\nFailed requests:        40\n   (Connect: 0, Receive: 0, Length: 40, Exceptions: 0)\nNon-2xx responses:      20\nTotal transferred:      9760 bytes\nRequests per second:    969.52 [#/sec] (mean)\nTime per request:       3.094 [ms] (mean)\n\nConnection Times (ms)\n              min  mean[+/-sd] median   max\nConnect:        0    0   0.6      0       4\nProcessing:     1    2   2.1      1      14\nWaiting:        0    2   2.0      1      14\nTotal:          1    2   2.6      2      19\n\nPercentage of the requests served within a certain time (ms)\n  50%      2\n  66%      2\n  90%      5\n  95%      6\n  99%     19\n 100%     19 (longest request)\n";

    #[test]
    fn length_failures_are_not_errors() {
        let r = read("ab.txt", REPORT).unwrap();
        assert_eq!(r.overall.requests, Some(60));
        assert_eq!(r.overall.errors, Some(20));
        let l = &r.overall.latency_ms;
        assert_eq!((l.min, l.mean, l.max), (Some(1.0), Some(2.0), Some(19.0)));
        assert_eq!(
            (l.p50, l.p90, l.p95, l.p99),
            (Some(2.0), Some(5.0), Some(6.0), Some(19.0))
        );
        assert_eq!(r.duration_s, Some(0.062));
        assert_eq!(r.endpoints[0].name, "GET /error");
        assert!(r.notes.iter().any(|n| n.contains("40 length failures")));
    }

    #[test]
    fn connection_failures_count_and_a_body_hides_the_method() {
        let text = REPORT
            .replace("(Connect: 0, Receive: 0,", "(Connect: 3, Receive: 1,")
            .replace(
                "Total transferred:",
                "Total body sent:        120\nTotal transferred:",
            );
        let r = read("ab.txt", &text).unwrap();
        assert_eq!(r.overall.requests, Some(63));
        assert_eq!(r.overall.errors, Some(24));
        assert_eq!(r.endpoints[0].name, "/error");
        assert_eq!(r.endpoints[0].method, None);
    }

    #[test]
    fn a_bad_count_names_its_line() {
        let e = read(
            "ab.txt",
            &REPORT.replace(
                "Complete requests:      60",
                "Complete requests:      sixty",
            ),
        )
        .unwrap_err();
        assert_eq!(e.diagnostics[0].line, Some(12));
    }
}
