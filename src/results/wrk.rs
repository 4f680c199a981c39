//! wrk's text report: latency mean and max (always), p50/p75/p90/p99 (only with `--latency`),
//! each with its own unit (`us`, `ms`, `s`, `m`); request count, socket errors and responses
//! outside 2xx/3xx. The URL wrk was started with names the one endpoint.

use super::json_fields::note_missing_percentiles;
use super::model::{ResultsError, RunResults};
use super::report_text::{TextReport, first_word};
use super::single_url;
use crate::diag::Diagnostic;

pub const FORMAT: &str = "wrk-text";

/// wrk sends GET unless a Lua script sets another method, which its report does not show.
const METHOD: &str = "GET";

pub fn read(name: &str, text: &str) -> Result<RunResults, ResultsError> {
    let mut rep = TextReport::new(name, text);
    let mut r = RunResults::new(FORMAT);
    let url = rep
        .find("Running ")
        .and_then(|(_, rest)| rest.split_once(" test @ ").map(|(_, u)| u.trim()));
    if let Some((line, rest)) = rep.find("Latency ") {
        // Avg, Stdev, Max, +/- Stdev
        let cells: Vec<&str> = rest.split_whitespace().collect();
        if cells.len() < 3 {
            rep.bad(line, "Latency", rest, "Avg, Stdev, Max and +/- Stdev");
        } else {
            r.overall.latency_ms.mean = time_ms(&mut rep, line, "Latency.Avg", cells[0]);
            r.overall.latency_ms.max = time_ms(&mut rep, line, "Latency.Max", cells[2]);
        }
    }
    let with_latency = read_distribution(&mut rep, &mut r);
    let completed = rep.lines_after(0).find_map(|(line, l)| {
        let (count, rest) = first_word(l);
        rest.strip_prefix("requests in ")
            .map(|rest| (line, count.to_string(), rest.to_string()))
    });
    let Some((line, count, rest)) = completed else {
        rep.error(Diagnostic::error(
            "",
            "wrk's report has no `N requests in T` line: was it cut before its summary?",
        ));
        return rep.finish(r);
    };
    let completed = rep.count(line, "requests", &count);
    let runtime = rest.split(',').next().unwrap_or("").trim().to_string();
    r.duration_s = time_ms(&mut rep, line, "requests in", &runtime).map(|ms| ms / 1000.0);
    let socket = socket_errors(&mut rep);
    let non_2xx_3xx = match rep.find("Non-2xx or 3xx responses:") {
        Some((line, rest)) => rep.count(line, "Non-2xx or 3xx responses", rest),
        None => Some(0),
    };
    if let Some((line, rest)) = rep.find("Requests/sec:") {
        r.overall.throughput_rps = rep.number(line, "Requests/sec", rest);
    }
    if let (Some(done), Some(s), Some(bad)) = (completed, socket, non_2xx_3xx) {
        // Connect, read and write errors are requests that got no response; timeouts are
        // responses that came too late, already among the completed ones.
        let lost = s.connect + s.read + s.write;
        let errors = bad + lost + s.timeout;
        if r.overall.set_counts_capped(done + lost, errors) {
            r.notes.push(format!(
                "wrk's failure counts ({errors}) overlap (a late response outside 2xx/3xx counts twice) and exceed its requests: errors capped at the request count"
            ));
        }
        if s.timeout > 0 {
            r.notes.push(format!(
                "{} responses came after wrk's timeout: they count as errors, and wrk leaves them out of its latency figures",
                s.timeout
            ));
        }
        if lost > 0 {
            r.notes.push(format!(
                "{lost} requests got no response (wrk's connect, read and write socket errors): they count as requests and as errors"
            ));
        }
    }
    if !with_latency {
        r.notes.push(
            "wrk printed no percentiles: run it with --latency to get p50, p75, p90 and p99".into(),
        );
    }
    note_missing_percentiles(&mut r, " (wrk prints p50, p75, p90 and p99 only)");
    match url {
        Some(u) => {
            r.endpoints
                .push(single_url::endpoint(Some(METHOD), u, &r.overall));
            r.notes.push(format!(
                "wrk reports its whole run under the URL it was started with ({u}); a Lua script that changes the path or method makes this endpoint the script's whole mix"
            ));
        }
        None => rep.error(Diagnostic::error(
            "",
            "wrk's report has no `Running ... test @ URL` line",
        )),
    }
    rep.finish(r)
}

/// `Latency Distribution` lines `     50%  111.72ms` (printed with `--latency`); true when present.
fn read_distribution(rep: &mut TextReport, r: &mut RunResults) -> bool {
    let Some((start, _)) = rep.find("Latency Distribution") else {
        return false;
    };
    let lines: Vec<(usize, &str)> = rep.lines_after(start).collect();
    for (line, l) in lines {
        let (pct, value) = first_word(l);
        let Some(p) = pct.strip_suffix('%') else {
            break;
        };
        let Some(v) = time_ms(rep, line, "Latency Distribution", value) else {
            continue;
        };
        let lat = &mut r.overall.latency_ms;
        match p {
            "50" | "50.000" => lat.p50 = Some(v),
            "90" | "90.000" => lat.p90 = Some(v),
            "99" | "99.000" => lat.p99 = Some(v),
            _ => {}
        }
    }
    true
}

#[derive(Default)]
struct Socket {
    connect: u64,
    read: u64,
    write: u64,
    timeout: u64,
}

/// `Socket errors: connect 0, read 0, write 0, timeout 0`, printed only when one is not 0.
fn socket_errors(rep: &mut TextReport) -> Option<Socket> {
    let Some((line, rest)) = rep.find("Socket errors:") else {
        return Some(Socket::default());
    };
    let mut s = Socket::default();
    for part in rest.split(',') {
        let (kind, n) = first_word(part);
        let slot = match kind {
            "connect" => &mut s.connect,
            "read" => &mut s.read,
            "write" => &mut s.write,
            "timeout" => &mut s.timeout,
            _ => {
                rep.bad(
                    line,
                    "Socket errors",
                    part.trim(),
                    "connect, read, write or timeout N",
                );
                return None;
            }
        };
        *slot = rep.count(line, "Socket errors", n)?;
    }
    Some(s)
}

/// A wrk time such as `111.72ms`, `850.00us`, `1.05s` or `1.10m`, in milliseconds.
fn time_ms(rep: &mut TextReport, line: usize, field: &str, text: &str) -> Option<f64> {
    let split = text
        .find(|c: char| c.is_ascii_alphabetic())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let scale = match unit {
        "us" => 0.001,
        "ms" => 1.0,
        "s" => 1000.0,
        "m" => 60_000.0,
        "h" => 3_600_000.0,
        _ => {
            rep.bad(
                line,
                field,
                text,
                "a time in us, ms, s or m, such as 12.34ms",
            );
            return None;
        }
    };
    let v = rep.number(line, field, number)?;
    // Two decimals in the printed unit: round away the float noise of the scaling.
    Some((v * scale * 1e6).round() / 1e6)
}

#[cfg(test)]
mod tests {
    use super::*;

    const LATENCY: &str = "Running 2s test @ http://127.0.0.1:43223/slow\n  2 threads and 4 connections\n  Thread Stats   Avg      Stdev     Max   +/- Stdev\n    Latency   111.42ms   31.28ms   1.72s    60.87%\n    Req/Sec    17.68      5.85    30.00     63.16%\n  Latency Distribution\n     50%  111.72ms\n     75%  131.95ms\n     90%  850.00us\n     99%    1.72s\n  69 requests in 2.01s, 10.93KB read\n  Socket errors: connect 1, read 2, write 0, timeout 3\n  Non-2xx or 3xx responses: 5\nRequests/sec:     34.26\nTransfer/sec:      5.43KB\n";

    #[test]
    fn units_counts_and_failures() {
        let r = read("wrk.txt", LATENCY).unwrap();
        let l = &r.overall.latency_ms;
        assert_eq!((l.mean, l.max), (Some(111.42), Some(1720.0)));
        assert_eq!(
            (l.p50, l.p90, l.p99),
            (Some(111.72), Some(0.85), Some(1720.0))
        );
        assert_eq!(l.p95, None);
        assert_eq!(r.overall.requests, Some(72));
        assert_eq!(r.overall.errors, Some(11));
        assert_eq!(r.duration_s, Some(2.01));
        assert_eq!(r.overall.throughput_rps, Some(34.26));
        assert_eq!(r.endpoints[0].name, "GET /slow");
        assert!(r.notes.iter().any(|n| n.contains("p95 not reported")));
    }

    #[test]
    fn without_latency_only_mean_and_max_with_a_note() {
        let text = "Running 2s test @ http://127.0.0.1:1/error\n  2 threads and 4 connections\n  Thread Stats   Avg      Stdev     Max   +/- Stdev\n    Latency    44.63ms    6.96ms  66.39ms   89.77%\n    Req/Sec    43.97      7.76    60.00     82.50%\n  176 requests in 2.01s, 28.55KB read\n  Non-2xx or 3xx responses: 59\nRequests/sec:     87.77\nTransfer/sec:     14.24KB\n";
        let r = read("wrk.txt", text).unwrap();
        assert_eq!(r.overall.requests, Some(176));
        assert_eq!(r.overall.errors, Some(59));
        assert_eq!(r.overall.latency_ms.p50, None);
        assert!(r.notes.iter().any(|n| n.contains("--latency")));
    }

    #[test]
    fn an_unknown_unit_names_its_line() {
        let e = read("wrk.txt", &LATENCY.replace("131.95ms", "131.95xs")).unwrap_err();
        assert_eq!(e.diagnostics[0].line, Some(8));
    }
}
