//! JMeter JTL results as CSV: with a header naming any column subset JMeter allows, or headerless
//! in one of the default layouts of JMeter 2.13 to 5.x; streamed sample by sample.

#[doc(hidden)]
pub mod bench_api;
#[cfg(test)]
mod equivalence;
mod fast;
mod marks;
mod parallel;

pub(crate) use parallel::{Split, split};

use std::borrow::Cow;
use std::io::BufRead;

use chrono::NaiveDateTime;

use super::aggregate::{Aggregator, Limits, Resolution, Sample};
use super::model::{ResultsError, RunResults};
use super::problems::{Problems, io_error};
use super::records::Records;
use super::sniff::jtl_header_delimiter;
use crate::diag::Diagnostic;

pub const FORMAT: &str = "jmeter-jtl-csv";

/// Default columns when `jmeter.save.saveservice.print_field_names=false`, by JMeter version;
/// a headerless file is matched to one of these by its number of cells.
const LAYOUTS: &[(&str, &[&str])] = &[
    (
        "JMeter 2.13",
        &[
            "timeStamp",
            "elapsed",
            "label",
            "responseCode",
            "responseMessage",
            "threadName",
            "dataType",
            "success",
            "bytes",
            "grpThreads",
            "allThreads",
            "Latency",
        ],
    ),
    (
        "JMeter 3.0",
        &[
            "timeStamp",
            "elapsed",
            "label",
            "responseCode",
            "responseMessage",
            "threadName",
            "dataType",
            "success",
            "failureMessage",
            "bytes",
            "grpThreads",
            "allThreads",
            "Latency",
            "IdleTime",
        ],
    ),
    (
        "JMeter 3.1 to 4.x",
        &[
            "timeStamp",
            "elapsed",
            "label",
            "responseCode",
            "responseMessage",
            "threadName",
            "dataType",
            "success",
            "failureMessage",
            "bytes",
            "sentBytes",
            "grpThreads",
            "allThreads",
            "Latency",
            "IdleTime",
            "Connect",
        ],
    ),
    (
        "JMeter 5.x",
        &[
            "timeStamp",
            "elapsed",
            "label",
            "responseCode",
            "responseMessage",
            "threadName",
            "dataType",
            "success",
            "failureMessage",
            "bytes",
            "sentBytes",
            "grpThreads",
            "allThreads",
            "URL",
            "Latency",
            "IdleTime",
            "Connect",
        ],
    ),
];

/// Where the columns this reader uses sit, by index.
struct Columns {
    names: Vec<String>,
    timestamp: Option<usize>,
    elapsed: usize,
    label: Option<usize>,
    /// Not a JMeter column: Taurus adds `method` to the JTLs it writes for other executors.
    method: Option<usize>,
    code: Option<usize>,
    success: Option<usize>,
    threads: Option<usize>,
    /// Cells a row must have to reach every column used.
    needed: usize,
}

impl Columns {
    fn from_names(names: Vec<String>) -> Result<Columns, Box<Diagnostic>> {
        let find = |n: &str| names.iter().position(|h| h == n);
        let Some(elapsed) = find("elapsed") else {
            return Err(Box::new(Diagnostic::error("elapsed", "the JTL header has no `elapsed` column")
                .at(Some(1), None)
                .hint("JMeter writes elapsed unless jmeter.save.saveservice.time=false; results need it")));
        };
        let timestamp = find("timeStamp");
        let label = find("label");
        let method = find("method");
        let code = find("responseCode");
        let success = find("success");
        let threads = find("allThreads");
        let needed = [
            Some(elapsed),
            timestamp,
            label,
            method,
            code,
            success,
            threads,
        ]
        .into_iter()
        .flatten()
        .max()
        .unwrap_or(elapsed)
            + 1;
        Ok(Columns {
            names,
            timestamp,
            elapsed,
            label,
            method,
            code,
            success,
            threads,
            needed,
        })
    }
}

/// Timestamps as JMeter writes them: epoch milliseconds, or a date per
/// `jmeter.save.saveservice.timestamp_format`. Dates carry no zone; only differences matter.
struct Timestamps {
    format: Option<&'static str>,
}

const DATE_FORMATS: &[&str] = &[
    "%Y/%m/%d %H:%M:%S%.f",
    "%Y-%m-%d %H:%M:%S%.f",
    "%Y-%m-%dT%H:%M:%S%.f",
    "%Y/%m/%d %H:%M:%S",
    "%Y-%m-%d %H:%M:%S",
    "%d/%m/%Y %H:%M:%S%.f",
    "%m/%d/%Y %H:%M:%S%.f",
];

impl Timestamps {
    fn parse(&mut self, cell: &[u8]) -> Option<f64> {
        if let Some(n) = parse_uint(cell) {
            return Some(n as f64);
        }
        let text = std::str::from_utf8(cell).ok()?.trim();
        if let Some(f) = self.format
            && let Ok(t) = NaiveDateTime::parse_from_str(text, f)
        {
            return Some(t.and_utc().timestamp_millis() as f64);
        }
        for f in DATE_FORMATS {
            if let Ok(t) = NaiveDateTime::parse_from_str(text, f) {
                self.format = Some(f);
                return Some(t.and_utc().timestamp_millis() as f64);
            }
        }
        chrono::DateTime::parse_from_rfc3339(text)
            .ok()
            .map(|t| t.timestamp_millis() as f64)
    }
}

fn parse_uint(cell: &[u8]) -> Option<u64> {
    if cell.is_empty() || cell.len() > 19 {
        return None;
    }
    let mut n: u64 = 0;
    for &c in cell {
        if !c.is_ascii_digit() {
            return None;
        }
        n = n * 10 + u64::from(c - b'0');
    }
    Some(n)
}

fn parse_number(cell: &[u8]) -> Option<f64> {
    if let Some(n) = parse_uint(cell) {
        return Some(n as f64);
    }
    std::str::from_utf8(cell)
        .ok()?
        .trim()
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())
}

/// Text of a cell; only invalid UTF-8 pays for a lossy copy.
fn text(cell: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(cell) {
        Ok(s) => Cow::Borrowed(s),
        Err(_) => String::from_utf8_lossy(cell),
    }
}

fn show_cell(cell: &[u8]) -> String {
    let s = String::from_utf8_lossy(cell);
    let s: String = s.chars().take(40).collect();
    format!("{s:?}")
}

/// What the first record tells: the columns, and notes on what the file lacks.
struct Setup {
    cols: Columns,
    delimiter: u8,
    problems: Problems,
    /// No header: the first record, already read, is data.
    first_is_data: bool,
}

/// Reads the header (or, without one, the first record) and works out the columns.
fn start<R: BufRead>(name: &str, mut input: R) -> Result<(Records<R>, Setup), ResultsError> {
    let mut problems = Problems::new(name);
    let head = input.fill_buf().map_err(|e| io_error(name, Some(1), &e))?;
    let first_line = head.split(|&c| c == b'\n').next().unwrap_or(&[]);
    let header_delim = jtl_header_delimiter(first_line);
    let delimiter = header_delim.unwrap_or(b',');
    let mut rec = Records::new(input, delimiter);
    let next = |rec: &mut Records<R>| {
        rec.next_record()
            .map_err(|e| io_error(name, Some(rec.start_line), &e))
    };
    if !next(&mut rec)? {
        return Err(problems.fail(
            Diagnostic::error("", "the file is empty")
                .hint("was the run interrupted before it wrote its results?"),
        ));
    }
    // Without a header, the first record is data and is read again below.
    let mut first_is_data = false;
    let cols = if header_delim.is_some() {
        let names = (0..rec.len())
            .map(|i| String::from_utf8_lossy(rec.cell(i)).trim().to_string())
            .collect();
        Columns::from_names(names).map_err(|d| problems_fail(name, *d))?
    } else {
        let Some((_, names)) = LAYOUTS.iter().find(|(_, l)| l.len() == rec.len()) else {
            let counts: Vec<String> = LAYOUTS
                .iter()
                .map(|(v, l)| format!("{} ({v})", l.len()))
                .collect();
            return Err(problems.fail(
                Diagnostic::error(
                    "",
                    format!(
                        "a JTL without a header must have one of JMeter's default layouts: {} \
                         cells per row, but the first row has {}",
                        counts.join(", "),
                        rec.len()
                    ),
                )
                .at(Some(1), None)
                .hint(
                    "set jmeter.save.saveservice.print_field_names=true so JMeter writes a header",
                ),
            ));
        };
        first_is_data = true;
        Columns::from_names(names.iter().map(|s| s.to_string()).collect())
            .map_err(|d| problems_fail(name, *d))?
    };
    if header_delim.is_none() {
        problems.notes.push(
            "JTL without a header: columns taken from JMeter's default layout for this number \
             of cells"
                .into(),
        );
    }
    if cols.timestamp.is_none() {
        problems
            .notes
            .push("no timeStamp column: throughput, duration and time series unknown".into());
    }
    if cols.success.is_none() && cols.code.is_some() {
        problems.notes.push(
            "no success column: a request counts as failed when its responseCode is not 2xx/3xx"
                .into(),
        );
    }

    Ok((
        rec,
        Setup {
            cols,
            delimiter,
            problems,
            first_is_data,
        },
    ))
}

pub fn read<R: BufRead>(name: &str, input: R) -> Result<RunResults, ResultsError> {
    read_with(name, input, true)
}

/// `read`, with or without the fast path (the tests compare the two).
fn read_with<R: BufRead>(name: &str, input: R, use_fast: bool) -> Result<RunResults, ResultsError> {
    let mut agg = Aggregator::new(Limits::default(), Resolution::Millis);
    let problems = add_samples(name, input, &mut agg, use_fast)?;
    if agg.count() == 0 && !problems.has_errors() {
        return Err(problems.fail(no_samples()));
    }
    problems.finish(agg.finish(FORMAT))
}

/// What a JTL with a header and nothing else is told.
pub(crate) fn no_samples() -> Diagnostic {
    Diagnostic::error("", "the JTL has a header but no samples")
        .hint("did the test plan run? JMeter writes one row per sample")
}

/// Adds every sample of one JTL to `agg`, which may hold other files' samples already (a Taurus
/// artifacts folder is one run in several files). The problems found are left to the caller.
pub(crate) fn add_samples<R: BufRead>(
    name: &str,
    input: R,
    agg: &mut Aggregator,
    use_fast: bool,
) -> Result<Problems, ResultsError> {
    let (mut rec, setup) = start(name, input)?;
    let Setup {
        cols,
        delimiter,
        mut problems,
        mut first_is_data,
    } = setup;
    let next = |rec: &mut Records<R>| {
        rec.next_record()
            .map_err(|e| io_error(name, Some(rec.start_line), &e))
    };

    let mut ts = Timestamps { format: None };
    // One cell more than the last column used, so a short row is still told apart.
    rec.set_limit(cols.needed + 1);
    let mut fast = fast::FastPath::new(&cols, delimiter).filter(|_| use_fast);
    loop {
        if !first_is_data {
            if let Some(f) = fast.as_mut() {
                rec.take_lines(|block| f.take_rows(block, agg))
                    .map_err(|e| io_error(name, Some(rec.next_line()), &e))?;
            }
            if !next(&mut rec)? {
                break;
            }
        }
        first_is_data = false;
        let line = rec.start_line;
        // The last record of a file cut mid-write (no newline at its end) is skipped, with a
        // note, when it is short or does not parse: the rest of the run is still worth reading.
        if rec.len() < cols.needed {
            if !rec.complete {
                problems.notes.push(format!(
                    "line {line} is incomplete ({} of {} cells) and was skipped: was the file \
                     still being written?",
                    rec.len(),
                    cols.names.len()
                ));
                break;
            }
            if problems.error(short_row(&cols, line, rec.len())) {
                break;
            }
            continue;
        }
        match row_sample(&rec, line, &cols, &mut ts) {
            Ok(checked) => add_row(&rec, &cols, checked, agg),
            Err(_) if !rec.complete => {
                problems.notes.push(format!(
                    "line {line} is incomplete and was skipped: was the file still being written?"
                ));
                break;
            }
            Err(d) => {
                if problems.error(*d) {
                    break;
                }
            }
        }
    }
    Ok(problems)
}

fn problems_fail(name: &str, d: Diagnostic) -> ResultsError {
    Problems::new(name).fail(d)
}

fn short_row(cols: &Columns, line: usize, cells: usize) -> Diagnostic {
    Diagnostic::error(
        "",
        format!(
            "has {cells} cells but the header has {} columns",
            cols.names.len()
        ),
    )
    .at(Some(line), Some(cells.max(1)))
    .hint("every row needs a cell for each column; is the delimiter right?")
}

fn bad_cell<R: BufRead>(
    rec: &Records<R>,
    cols: &Columns,
    line: usize,
    i: usize,
    expected: &str,
) -> Box<Diagnostic> {
    Box::new(
        Diagnostic::error(cols.names[i].clone(), format!("expected {expected}"))
            .value(show_cell(rec.cell(i)))
            .at(Some(line), Some(i + 1)),
    )
}

/// The cells every sample needs, parsed once.
struct Checked {
    elapsed: f64,
    start_ms: Option<f64>,
    success: Option<bool>,
}

/// Parses the cells a sample needs; the error names the line, column and what was expected.
fn row_sample<R: BufRead>(
    rec: &Records<R>,
    line: usize,
    cols: &Columns,
    ts: &mut Timestamps,
) -> Result<Checked, Box<Diagnostic>> {
    let Some(elapsed) = parse_number(rec.cell(cols.elapsed)).filter(|v| *v >= 0.0) else {
        return Err(bad_cell(
            rec,
            cols,
            line,
            cols.elapsed,
            "a whole number of milliseconds",
        ));
    };
    let start_ms = match cols.timestamp {
        Some(i) => match ts.parse(rec.cell(i)) {
            Some(t) => Some(t),
            None => {
                return Err(bad_cell(
                    rec,
                    cols,
                    line,
                    i,
                    "milliseconds since the epoch or a date like 2024/05/01 12:00:00.000",
                ));
            }
        },
        None => None,
    };
    let success = match cols.success {
        Some(i) => match parse_bool(rec.cell(i)) {
            Some(b) => Some(b),
            None => return Err(bad_cell(rec, cols, line, i, "true or false")),
        },
        None => None,
    };
    Ok(Checked {
        elapsed,
        start_ms,
        success,
    })
}

fn parse_bool(cell: &[u8]) -> Option<bool> {
    match cell {
        b"true" | b"TRUE" | b"True" => Some(true),
        b"false" | b"FALSE" | b"False" => Some(false),
        _ => None,
    }
}

/// Adds one checked data row.
fn add_row<R: BufRead>(rec: &Records<R>, cols: &Columns, checked: Checked, agg: &mut Aggregator) {
    let status = cols.code.map(|i| text(rec.cell(i)));
    let success = checked.success.or_else(|| {
        status
            .as_deref()
            .map(|c| c.starts_with('2') || c.starts_with('3'))
    });
    let users = cols.threads.and_then(|i| parse_number(rec.cell(i)));
    let label: Option<Cow<str>> = cols.label.map(|i| text(rec.cell(i)));
    let method: Option<Cow<str>> = cols
        .method
        .map(|i| text(rec.cell(i)))
        .filter(|m| !m.is_empty());
    agg.add(&Sample {
        start_ms: checked.start_ms,
        elapsed_ms: checked.elapsed,
        name: label.as_deref(),
        method: method.as_deref(),
        success,
        status: status.as_deref(),
        users,
    });
}

#[cfg(test)]
mod tests;
