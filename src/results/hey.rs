//! hey's default text report: times in seconds, a fixed list of percentiles (10 … 99), status
//! code counts and the errors of requests that got no response. hey does not print the URL, so
//! the figures are the run's overall ones only.

use super::json_fields::note_missing_percentiles;
use super::model::{ResultsError, RunResults};
use super::report_text::{TextReport, first_word};
use crate::diag::Diagnostic;

pub const FORMAT: &str = "hey-text";

pub fn read(name: &str, text: &str) -> Result<RunResults, ResultsError> {
    let mut rep = TextReport::new(name, text);
    let mut r = RunResults::new(FORMAT);
    let secs = |rep: &mut TextReport, label: &str, field: &str| -> Option<f64> {
        let (line, rest) = rep.find(label)?;
        let (value, unit) = first_word(rest);
        // hey divides by zero responses into NaN; that is "no value", not a bad file.
        if value == "NaN" {
            return None;
        }
        if unit != "secs" {
            rep.bad(line, field, rest, "seconds, such as `0.1234 secs`");
            return None;
        }
        rep.number(line, field, value)
    };
    r.duration_s = secs(&mut rep, "Total:", "Total");
    let slowest = secs(&mut rep, "Slowest:", "Slowest");
    let fastest = secs(&mut rep, "Fastest:", "Fastest");
    let average = secs(&mut rep, "Average:", "Average");
    if let Some((line, rest)) = rep.find("Requests/sec:") {
        r.overall.throughput_rps = rep.number(line, "Requests/sec", rest);
    }
    let (codes, no_response) = distributions(&mut rep);
    let responses: u64 = codes.iter().map(|(_, n)| n).sum();
    let lat = &mut r.overall.latency_ms;
    if responses > 0 {
        lat.min = fastest.map(ms);
        lat.max = slowest.map(ms);
        lat.mean = average.map(ms);
        read_percentiles(&mut rep, &mut r);
    }
    let failed_codes: u64 = codes
        .iter()
        .filter(|(c, _)| c.parse::<u16>().is_ok_and(|c| c >= 400))
        .map(|(_, n)| n)
        .sum();
    let o = &mut r.overall;
    o.requests = Some(responses + no_response);
    o.errors = Some(failed_codes + no_response);
    o.error_rate = o.error_rate();
    o.status_codes = codes.into_iter().collect();
    if no_response > 0 {
        r.notes.push(format!(
            "{no_response} requests got no response (hey's error distribution): they count as errors and have no latency"
        ));
    }
    r.notes.push(
        "hey does not print the URL it tested: the figures are the run's overall only, with no endpoint to match"
            .into(),
    );
    note_missing_percentiles(
        &mut r,
        " (hey prints 10, 25, 50, 75, 90, 95 and 99, each only once enough responses reach it)",
    );
    if rep.find("Summary:").is_none() {
        rep.error(Diagnostic::error("", "hey's report has no Summary section"));
    }
    rep.finish(r)
}

fn ms(s: f64) -> f64 {
    // hey prints 4 decimals of a second: 0.1 ms steps, kept exactly.
    (s * 10_000.0).round() / 10.0
}

/// `Latency distribution:` lines `  95% in 0.1600 secs`. A percentile hey did not reach (too few
/// responses) is printed as `0% in 0.0000 secs` and read as absent.
fn read_percentiles(rep: &mut TextReport, r: &mut RunResults) {
    let Some((start, _)) = rep.find("Latency distribution:") else {
        return;
    };
    let lines: Vec<(usize, &str)> = rep.lines_after(start).collect();
    for (line, l) in lines {
        let t = l.trim();
        let Some((pct, rest)) = t.split_once("% in ") else {
            break;
        };
        let Some(value) = rest.strip_suffix(" secs") else {
            rep.bad(line, "Latency distribution", t, "`NN% in S secs`");
            continue;
        };
        let Ok(p) = pct.parse::<u32>() else {
            rep.bad(line, "Latency distribution", t, "`NN% in S secs`");
            continue;
        };
        let Some(v) = rep.number(line, "Latency distribution", value) else {
            continue;
        };
        let lat = &mut r.overall.latency_ms;
        match p {
            0 => {}
            50 => lat.p50 = Some(ms(v)),
            90 => lat.p90 = Some(ms(v)),
            95 => lat.p95 = Some(ms(v)),
            99 => lat.p99 = Some(ms(v)),
            _ => {}
        }
    }
}

/// Status code counts (`[200]\t74 responses`) and requests without a response (the counts of
/// `Error distribution:`, `[20]\tGet "...": dial tcp ...`).
fn distributions(rep: &mut TextReport) -> (Vec<(String, u64)>, u64) {
    let mut codes = Vec::new();
    let mut errors = 0u64;
    for (label, is_codes) in [
        ("Status code distribution:", true),
        ("Error distribution:", false),
    ] {
        let Some((start, _)) = rep.find(label) else {
            continue;
        };
        let lines: Vec<(usize, &str)> = rep.lines_after(start).collect();
        for (line, l) in lines {
            let t = l.trim();
            let Some(rest) = t.strip_prefix('[') else {
                break;
            };
            let Some((inside, after)) = rest.split_once(']') else {
                rep.bad(line, label, t, "`[N] ...`");
                continue;
            };
            if is_codes {
                let n = first_word(after).0;
                if let Some(n) = rep.count(line, "status code count", n) {
                    codes.push((inside.to_string(), n));
                }
            } else if let Some(n) = rep.count(line, "error count", inside) {
                errors += n;
            }
        }
    }
    (codes, errors)
}

#[cfg(test)]
mod tests {
    use super::*;

    const REPORT: &str = "\nSummary:\n  Total:\t2.1431 secs\n  Slowest:\t0.1617 secs\n  Fastest:\t0.0433 secs\n  Average:\t0.1105 secs\n  Requests/sec:\t34.5295\n  \n\nLatency distribution:\n  10% in 0.0721 secs\n  50% in 0.1160 secs\n  90% in 0.1481 secs\n  95% in 0.1600 secs\n  0% in 0.0000 secs\n\nStatus code distribution:\n  [200]\t70 responses\n  [500]\t4 responses\n\nError distribution:\n  [2]\tGet \"http://127.0.0.1:1/\": EOF\n";

    #[test]
    fn reads_counts_times_and_codes() {
        let r = read("hey.txt", REPORT).unwrap();
        assert_eq!(r.overall.requests, Some(76));
        assert_eq!(r.overall.errors, Some(6));
        assert_eq!(r.overall.latency_ms.p95, Some(160.0));
        assert_eq!(r.overall.latency_ms.p50, Some(116.0));
        assert_eq!(r.overall.latency_ms.p99, None);
        assert_eq!(r.overall.latency_ms.min, Some(43.3));
        assert_eq!(r.overall.latency_ms.mean, Some(110.5));
        assert_eq!(r.duration_s, Some(2.1431));
        assert!(r.endpoints.is_empty());
        assert!(
            r.notes.iter().any(|n| n.contains("p99 not reported")),
            "{:?}",
            r.notes
        );
    }

    #[test]
    fn a_bad_value_names_its_line() {
        let e = read("hey.txt", &REPORT.replace("0.1600 secs", "fast secs")).unwrap_err();
        assert_eq!(e.diagnostics[0].line, Some(14));
    }

    #[test]
    fn a_run_where_every_request_failed_has_no_latency() {
        let text = "\nSummary:\n  Total:\t0.0041 secs\n  Slowest:\t0.0000 secs\n  Fastest:\t0.0000 secs\n  Average:\t NaN secs\n  Requests/sec:\t4823.2880\n\nLatency distribution:\n\nStatus code distribution:\n\nError distribution:\n  [20]\tGet \"http://127.0.0.1:1/\": dial tcp: connection refused\n";
        let r = read("hey.txt", text).unwrap();
        assert_eq!(r.overall.requests, Some(20));
        assert_eq!(r.overall.errors, Some(20));
        assert_eq!(r.overall.latency_ms, Default::default());
    }
}
