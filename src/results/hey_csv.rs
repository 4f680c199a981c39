//! hey `-o csv`: one row per response, times in seconds (4 decimals), `status-code` and
//! `offset` (seconds from the run's start to the request's start) in hey 0.1.3 and later.
//! Streamed into the aggregator. Requests that got no response are not in the file.

use std::io::BufRead;

use super::aggregate::{Aggregator, Limits, Resolution, Sample};
use super::lines::Lines;
use super::model::{ResultsError, RunResults};
use super::problems::Problems;
use crate::diag::Diagnostic;

pub const FORMAT: &str = "hey-csv";

/// hey keeps at most this many responses for its report and its CSV.
const HEY_MAX_ROWS: u64 = 1_000_000;

struct Columns {
    time: usize,
    status: Option<usize>,
    offset: Option<usize>,
    count: usize,
}

fn columns(header: &str) -> Option<Columns> {
    let cells: Vec<&str> = header.split(',').map(str::trim).collect();
    let at = |n: &str| cells.iter().position(|c| *c == n);
    Some(Columns {
        time: at("response-time")?,
        status: at("status-code"),
        offset: at("offset"),
        count: cells.len(),
    })
}

pub fn read<R: BufRead>(name: &str, mut input: R) -> Result<RunResults, ResultsError> {
    let mut problems = Problems::new(name);
    let mut agg = Aggregator::new(Limits::default(), Resolution::Micros);
    let mut lines = Lines::new(&mut input);
    let mut line_no = 0usize;
    let mut cols: Option<Columns> = None;
    while let Some(line) = lines.next_text(name, &mut line_no)? {
        let (text, complete) = (&*line.text, line.complete);
        if text.trim().is_empty() {
            continue;
        }
        let Some(c) = &cols else {
            match columns(text) {
                Some(c) => cols = Some(c),
                None => {
                    return Err(problems.fail(
                        Diagnostic::error("", "hey's CSV header has no response-time column")
                            .at(Some(line_no), None),
                    ));
                }
            }
            continue;
        };
        let cells: Vec<&str> = text.split(',').collect();
        match row(&cells, c) {
            Ok(s) => agg.add(&s),
            Err(_) if !complete => {
                problems.notes.push(format!(
                    "line {line_no} is incomplete and was skipped: was the file still being written?"
                ));
            }
            Err((column, what)) => {
                let d = Diagnostic::error(column_name(column, c), what)
                    .value(format!("{:?}", cells.get(column).copied().unwrap_or("")))
                    .at(Some(line_no), Some(column + 1));
                if problems.error(d) {
                    break;
                }
            }
        }
    }
    if agg.count() == 0 && !problems.has_errors() {
        return Err(problems.fail(
            Diagnostic::error("", "no responses in hey's CSV")
                .hint("hey writes a row per response; did every request fail? its text report counts those"),
        ));
    }
    let rows = agg.count();
    let mut r = agg.finish(FORMAT);
    r.notes.push("hey's CSV holds responses only and no URL: requests that got no response are missing, and the figures are the run's overall only".into());
    if rows >= HEY_MAX_ROWS {
        r.notes.push(format!(
            "hey writes at most {HEY_MAX_ROWS} rows: a longer run's later responses are missing"
        ));
    }
    problems.finish(r)
}

fn column_name(i: usize, c: &Columns) -> &'static str {
    if i == c.time {
        "response-time"
    } else if Some(i) == c.status {
        "status-code"
    } else if Some(i) == c.offset {
        "offset"
    } else {
        ""
    }
}

/// One row as a sample, or the column that is wrong and why.
fn row<'a>(cells: &[&'a str], c: &Columns) -> Result<Sample<'a>, (usize, String)> {
    if cells.len() < c.count {
        return Err((
            cells.len().saturating_sub(1),
            format!("has {} cells, the header has {}", cells.len(), c.count),
        ));
    }
    let secs = |i: usize| -> Result<f64, (usize, String)> {
        cells[i]
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite() && *v >= 0.0)
            .ok_or((i, "expected a non-negative number of seconds".to_string()))
    };
    let elapsed_ms = secs(c.time)? * 1000.0;
    let start_ms = c.offset.map(secs).transpose()?.map(|s| s * 1000.0);
    let (status, success) = match c.status {
        Some(i) => {
            let code = cells[i].trim();
            let n = code
                .parse::<u16>()
                .map_err(|_| (i, "expected an HTTP status code".to_string()))?;
            (Some(code), Some(n < 400))
        }
        None => (None, None),
    };
    Ok(Sample {
        start_ms,
        elapsed_ms,
        name: None,
        method: None,
        success,
        status,
        users: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const CSV: &str = "response-time,DNS+dialup,DNS,Request-write,Response-delay,Response-read,status-code,offset\n0.0051,0.0024,0.0000,0.0001,0.0022,0.0001,500,0.0316\n0.0163,0.0032,0.0000,0.0001,0.0129,0.0001,200,0.0313\n0.0463,0.0000,0.0000,0.0002,0.0023,0.0437,200,1.0367\n";

    #[test]
    fn rows_become_samples() {
        let r = read("hey.csv", CSV.as_bytes()).unwrap();
        assert_eq!(r.overall.requests, Some(3));
        assert_eq!(r.overall.errors, Some(1));
        assert_eq!(r.overall.latency_ms.max, Some(46.3));
        assert_eq!(r.overall.latency_ms.min, Some(5.1));
        assert_eq!(r.overall.status_codes.get("500"), Some(&1));
        // from the earliest start (31.3 ms) to the last end (1036.7 + 46.3 ms)
        assert_eq!(r.duration_s, Some(1.0517));
    }

    #[test]
    fn bad_cells_name_line_and_column_and_a_cut_last_line_is_skipped() {
        let bad = CSV.replace("0.0163,", "slow,");
        let e = read("hey.csv", bad.as_bytes()).unwrap_err();
        let d = &e.diagnostics[0];
        assert_eq!(
            (d.line, d.column, d.field.as_str()),
            (Some(3), Some(1), "response-time")
        );
        let cut = &CSV[..CSV.len() - 10];
        let r = read("hey.csv", cut.as_bytes()).unwrap();
        assert_eq!(r.overall.requests, Some(2));
        assert!(r.notes.iter().any(|n| n.contains("line 4 is incomplete")));
    }

    #[test]
    fn the_old_layout_without_status_or_offset_reads_without_errors_or_times() {
        let old = "response-time,DNS+dialup,DNS,Request-write,Response-delay,Response-read\n0.0100,0,0,0,0,0\n";
        let r = read("hey.csv", old.as_bytes()).unwrap();
        assert_eq!(r.overall.requests, Some(1));
        assert_eq!(r.overall.errors, None);
        assert_eq!(r.duration_s, None);
    }
}
