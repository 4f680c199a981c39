//! ApacheBench `-e FILE`: `Percentage served,Time in ms` then one row per whole percent, 0 to
//! 100, in milliseconds with 3 decimals. Row 0 is the fastest request and row 100 the slowest.
//! The file has latencies only: no request count, no failures, no mean.

use super::json_fields::note_missing_percentiles;
use super::model::{ResultsError, RunResults};
use super::report_text::TextReport;
use crate::diag::Diagnostic;

pub const FORMAT: &str = "ab-percentiles-csv";

pub fn read(name: &str, text: &str) -> Result<RunResults, ResultsError> {
    let mut rep = TextReport::new(name, text);
    let mut r = RunResults::new(FORMAT);
    let lines: Vec<(usize, &str)> = rep.lines_after(1).collect();
    let mut rows = 0;
    for (line, l) in lines {
        let l = l.trim();
        if l.is_empty() {
            continue;
        }
        let Some((pct, ms)) = l.split_once(',') else {
            rep.bad(line, "", l, "`percent,milliseconds`");
            continue;
        };
        let Some(p) = rep.count(line, "Percentage served", pct) else {
            continue;
        };
        let Some(v) = rep.number(line, "Time in ms", ms) else {
            continue;
        };
        rows += 1;
        let lat = &mut r.overall.latency_ms;
        match p {
            0 => lat.min = Some(v),
            50 => lat.p50 = Some(v),
            90 => lat.p90 = Some(v),
            95 => lat.p95 = Some(v),
            99 => lat.p99 = Some(v),
            100 => lat.max = Some(v),
            101.. => rep.bad(line, "Percentage served", pct, "a percentage from 0 to 100"),
            _ => {}
        }
    }
    if rows == 0 {
        rep.error(
            Diagnostic::error("", "ApacheBench's percentiles CSV has no rows")
                .hint("ab writes it only when at least one request completed"),
        );
    }
    r.notes.push(
        "ab -e holds latencies only: no request count, failures or mean (ab's text report has them)"
            .into(),
    );
    note_missing_percentiles(&mut r, "");
    rep.finish(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_fill_min_percentiles_and_max() {
        let mut text = String::from("Percentage served,Time in ms\n");
        for p in 0..=100 {
            text.push_str(&format!("{p},{:.3}\n", 1.0 + p as f64 / 10.0));
        }
        let r = read("ab-e.csv", &text).unwrap();
        let l = &r.overall.latency_ms;
        assert_eq!(
            (l.min, l.p50, l.p95, l.p99, l.max),
            (Some(1.0), Some(6.0), Some(10.5), Some(10.9), Some(11.0))
        );
        assert_eq!(r.overall.requests, None);
        let e = read("ab-e.csv", &text.replace("50,6.000", "50,six")).unwrap_err();
        assert_eq!(e.diagnostics[0].line, Some(52));
    }
}
