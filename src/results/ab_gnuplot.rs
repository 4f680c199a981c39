//! ApacheBench `-g FILE`: one tab-separated row per request (`starttime`, `seconds`, `ctime`,
//! `dtime`, `ttime`, `wait`), whole milliseconds, start in whole epoch seconds, rows sorted by
//! total time. Streamed into the aggregator; no status or failure is given per request.

use std::io::BufRead;

use super::aggregate::{Aggregator, Limits, Resolution, Sample};
use super::coarse_clock;
use super::lines::Lines;
use super::model::{ResultsError, RunResults};
use super::problems::Problems;
use crate::diag::Diagnostic;

pub const FORMAT: &str = "ab-gnuplot-tsv";

pub fn read<R: BufRead>(name: &str, mut input: R) -> Result<RunResults, ResultsError> {
    let mut problems = Problems::new(name);
    let mut agg = Aggregator::new(Limits::default(), Resolution::Millis);
    let mut lines = Lines::new(&mut input);
    let mut line_no = 0usize;
    // Column positions of `seconds` and `ttime`, and the header's width.
    let mut cols: Option<(usize, usize, usize)> = None;
    while let Some(line) = lines.next_text(name, &mut line_no)? {
        let (text, complete) = (&*line.text, line.complete);
        if text.trim().is_empty() {
            continue;
        }
        let cells: Vec<&str> = text.split('\t').collect();
        let Some((seconds, ttime, width)) = cols else {
            let at = |n: &str| cells.iter().position(|c| c.trim() == n);
            match (at("seconds"), at("ttime")) {
                (Some(s), Some(t)) => cols = Some((s, t, cells.len())),
                _ => {
                    return Err(problems.fail(
                        Diagnostic::error(
                            "",
                            "ApacheBench's -g header has no seconds and ttime columns",
                        )
                        .at(Some(line_no), None),
                    ));
                }
            }
            continue;
        };
        let bad = if cells.len() < width {
            Some((
                cells.len(),
                "",
                format!("has {} cells, the header has {width}", cells.len()),
            ))
        } else {
            match (
                cells[seconds].trim().parse::<u64>(),
                cells[ttime].trim().parse::<u64>(),
            ) {
                (Ok(s), Ok(ms)) => {
                    agg.add(&Sample {
                        start_ms: Some(s as f64 * 1000.0),
                        elapsed_ms: ms as f64,
                        ..Sample::default()
                    });
                    None
                }
                (Err(_), _) => Some((
                    seconds + 1,
                    "seconds",
                    "expected whole epoch seconds".to_string(),
                )),
                (_, Err(_)) => Some((
                    ttime + 1,
                    "ttime",
                    "expected whole milliseconds".to_string(),
                )),
            }
        };
        let Some((column, field, what)) = bad else {
            continue;
        };
        if !complete {
            problems.notes.push(format!(
                "line {line_no} is incomplete and was skipped: was the file still being written?"
            ));
            break;
        }
        let value = cells.get(column.saturating_sub(1)).copied().unwrap_or("");
        let d = Diagnostic::error(field, what)
            .value(format!("{value:?}"))
            .at(Some(line_no), Some(column));
        if problems.error(d) {
            break;
        }
    }
    if agg.count() == 0 && !problems.has_errors() {
        return Err(problems.fail(
            Diagnostic::error("", "no requests in ApacheBench's -g file")
                .hint("ab writes a row per completed request"),
        ));
    }
    let mut r = agg.finish(FORMAT);
    coarse_clock::withdraw_rates(&mut r, "ab -g stamps each request's start in whole seconds");
    r.notes.push(
        "ab -g gives no status per request and no URL: failures are unknown (ab's text report counts them) and the figures are the run's overall only".into(),
    );
    problems.finish(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TSV: &str = "starttime\tseconds\tctime\tdtime\tttime\twait\nThu Dec 03 08:06:56 2026\t1796285216\t0\t1\t1\t1\nThu Dec 03 08:06:57 2026\t1796285217\t0\t18\t19\t18\nThu Dec 03 08:06:56 2026\t1796285216\t1\t3\t4\t3\n";

    #[test]
    fn rows_become_samples_without_rates() {
        let r = read("ab.tsv", TSV.as_bytes()).unwrap();
        assert_eq!(r.overall.requests, Some(3));
        assert_eq!(r.overall.errors, None);
        assert_eq!(r.overall.latency_ms.max, Some(19.0));
        assert_eq!(r.overall.latency_ms.p50, Some(4.0));
        assert_eq!(r.duration_s, None);
        assert_eq!(r.overall.throughput_rps, None);
        assert!(r.timeseries.iter().all(|b| b.throughput_rps.is_none()));
    }

    #[test]
    fn a_bad_time_names_line_and_column() {
        let e = read("ab.tsv", TSV.replace("\t19\t", "\tslow\t").as_bytes()).unwrap_err();
        let d = &e.diagnostics[0];
        assert_eq!(
            (d.line, d.column, d.field.as_str()),
            (Some(3), Some(5), "ttime")
        );
    }
}
