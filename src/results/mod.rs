//! Run results normalised from whatever a load-test runner wrote: counts, rates and latencies in
//! milliseconds, overall and per endpoint. `read` detects the format and dispatches to a reader.
//! The order: streams, Locust and the quick tools by their head; then Gatling's non-JSON files
//! (`stats.js`, `simulation.log`); then a JSON document offered to the runner summary readers;
//! last the prototype summary reader, which also reports JSON syntax errors.

mod ab;
mod ab_gnuplot;
mod ab_percentiles;
mod aggregate;
mod artillery;
mod coarse_clock;
mod distribution;
mod format;
mod gatling;
mod gatling_log;
mod hey;
mod hey_csv;
pub mod hist;
mod jmeter_stats;
mod json_fields;
mod json_formats;
mod jtl_csv;
mod jtl_xml;
mod k6_csv;
mod k6_ndjson;
mod k6_summary;
mod lines;
mod locust;
mod locust_series;
mod model;
mod part_input;
pub mod parts;
mod problems;
mod quick;
mod records;
mod report_text;
mod single_url;
pub mod sniff;
mod sniff_quick;
mod splitmix;
mod stream;
mod summary;
pub mod taurus_artifacts;
mod taurus_stats;
mod unrecognised;
mod vegeta;
mod wrk;

use crate::diag::Diagnostic;

pub use distribution::{Bin, Distribution};

/// For `benches/fast_paths.rs` only, not an API (see `crate::bench_api`).
#[doc(hidden)]
pub mod bench_api {
    pub use super::jtl_csv::bench_api as jtl;
    pub use super::k6_ndjson::bench_api as k6;
    pub use super::splitmix::Rng;
}
pub use model::*;

/// A results file read from a reader, or, for a Locust stats file, its text: the edge then reads
/// the companion files beside it and calls `read_locust_stats`.
pub enum Opened {
    Read(Box<RunResults>),
    LocustStats(String),
}

/// Reads a results file from `file` (`size` bytes; `name` is used in errors). Raw-sample
/// formats (JMeter JTL, k6 NDJSON, gzip or not) are read as a stream in constant memory;
/// summaries are read whole, and a summary larger than `max_document_bytes` is refused before it
/// is read.
pub fn read_input(
    name: &str,
    file: &mut dyn std::io::Read,
    size: u64,
    max_document_bytes: u64,
) -> Result<Opened, ResultsError> {
    use std::io::{BufRead, BufReader, Read};
    let cannot = |e: std::io::Error| ResultsError::cannot_read(name, &e);
    let mut raw = BufReader::with_capacity(1 << 16, file);
    let gz = sniff::is_gzip(raw.fill_buf().map_err(cannot)?);
    let mut input: Box<dyn BufRead + '_> = if gz {
        Box::new(BufReader::with_capacity(
            1 << 16,
            flate2::bufread::MultiGzDecoder::new(raw),
        ))
    } else {
        Box::new(raw)
    };
    let head = peek(&mut input, sniff::HEAD_LEN).map_err(cannot)?;
    let format = sniff::sniff(name, &head);
    if format.is_stream() {
        return stream::read(name, input, format).map(|r| Opened::Read(Box::new(r)));
    }
    // Summaries are read whole, so their size is bounded before anything is read: a huge file
    // that is not a raw-sample stream is refused at once, at no memory cost.
    let too_big = |size: u64| {
        ResultsError::one(
            name,
            Diagnostic::error(
                "",
                format!(
                    "{} and not a raw-sample format (JMeter JTL, k6 NDJSON): summaries are read whole, up to {}",
                    crate::units::show_bytes(size),
                    crate::units::show_bytes(max_document_bytes)
                ),
            )
            .hint("is this the right file? Raise the limit (--max-document-bytes) if a summary really is this large"),
        )
    };
    if !gz && size > max_document_bytes {
        return Err(too_big(size));
    }
    if gz {
        let mut bytes = Vec::new();
        input
            .take(max_document_bytes + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| problems::io_error(name, None, &e))?;
        if bytes.len() as u64 > max_document_bytes {
            return Err(too_big(bytes.len() as u64));
        }
        return read(name, &bytes).map(|r| Opened::Read(Box::new(r)));
    }
    let mut bytes = Vec::with_capacity(size as usize);
    input.read_to_end(&mut bytes).map_err(cannot)?;
    if format == sniff::Format::LocustStats {
        return Ok(Opened::LocustStats(utf8(name, &bytes)?.to_string()));
    }
    read(name, &bytes).map(|r| Opened::Read(Box::new(r)))
}

/// Summaries and JSON documents are read whole, up to this size by default. The largest real
/// ones (an Artillery report of a day-long soak) are a few megabytes; reading one costs about 15
/// times its size in memory.
pub const DEFAULT_MAX_DOCUMENT_BYTES: u64 = 32 << 20;

/// A gzip file held in memory decompresses to at most this much when it is not a stream.
const GZIP_DOCUMENT_LIMIT: u64 = DEFAULT_MAX_DOCUMENT_BYTES;

/// A copy of the start of `input`'s buffer (one fill, up to `len` bytes), left unconsumed.
fn peek(input: &mut dyn std::io::BufRead, len: usize) -> std::io::Result<Vec<u8>> {
    let buf = input.fill_buf()?;
    Ok(buf[..buf.len().min(len)].to_vec())
}

/// A Locust stats file's text read with its companions, each given as (name, text) when found.
pub fn read_locust_stats(
    name: &str,
    text: &str,
    history: Option<(&str, &str)>,
    failures: Option<(&str, &str)>,
) -> Result<RunResults, ResultsError> {
    locust::read_stats(name, text, history, failures)
}

/// `bytes` as text, or an error saying where they stop being UTF-8.
pub fn utf8<'a>(name: &str, bytes: &'a [u8]) -> Result<&'a str, ResultsError> {
    std::str::from_utf8(bytes).map_err(|e| {
        ResultsError::one(
            name,
            Diagnostic::error(
                "",
                format!(
                    "not UTF-8 text (invalid byte at offset {})",
                    e.valid_up_to()
                ),
            )
            .hint("results files must be JSON or CSV text"),
        )
    })
}

/// Locust writes several files per run (`X_stats.csv` with `X_stats_history.csv`,
/// `X_failures.csv`, `X_exceptions.csv`). For a companion file this returns the file name of the
/// run's main file, which is judged instead (and re-judged when a companion changes).
pub fn companion_of(file_name: &str) -> Option<String> {
    locust::companion_of(file_name)
}

/// Reads a results file of any supported format. `name` is the file name as the user gave it and
/// serves both as a format hint and in error messages.
pub fn read(name: &str, bytes: &[u8]) -> Result<RunResults, ResultsError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ResultsError::one(
            name,
            Diagnostic::error("", "the file is empty")
                .hint("was the run interrupted before it wrote its results?"),
        ));
    }
    if sniff::is_gzip(bytes) {
        return read_gzip(name, bytes);
    }
    match sniff::sniff(name, &bytes[..bytes.len().min(sniff::HEAD_LEN)]) {
        f if f.is_stream() => return stream::read(name, bytes, f),
        sniff::Format::LocustStats => {
            return locust::read_stats(name, utf8(name, bytes)?, None, None);
        }
        sniff::Format::LocustJson => return locust::read_json(name, utf8(name, bytes)?),
        f if f.is_quick_summary() => return quick::read(name, utf8(name, bytes)?, f),
        f @ (sniff::Format::LocustHistory
        | sniff::Format::LocustFailures
        | sniff::Format::LocustExceptions) => {
            let main = companion_of(name).unwrap_or_else(|| "X_stats.csv".into());
            return Err(ResultsError::one(
                name,
                Diagnostic::error("", format!("this is {}, a companion file", f.describe()))
                    .hint(format!("read {main}, which picks up this file beside it")),
            ));
        }
        _ => {}
    }
    if let Some(r) = json_formats::read_other(name, bytes) {
        return r;
    }
    let text = utf8(name, bytes)?;
    if text
        .trim_start_matches('\u{feff}')
        .trim_start()
        .starts_with('<')
    {
        return Err(unrecognised::refuse(name, text));
    }
    if let Some(r) = json_formats::read_text(name, text) {
        return r;
    }
    if let Some(e) = unrecognised::refusal(name, text) {
        return Err(e);
    }
    summary::read(name, text).map_err(|e| {
        // Summary-shaped, yet no metric in it: say which formats a file could have been.
        if let [d] = e.diagnostics.as_slice()
            && d.message == "no metrics found"
        {
            return unrecognised::refuse(name, text);
        }
        e
    })
}

/// Tells whether a parsed JSON document is a results file this crate understands.
pub fn looks_like_results(value: &serde_json::Value) -> bool {
    summary::looks_like_summary(value) || json_formats::looks_like(value)
}

/// A gzip file held in memory: decompressed as a stream, bounded like a file on disk.
fn read_gzip(name: &str, bytes: &[u8]) -> Result<RunResults, ResultsError> {
    use std::io::{BufRead, BufReader, Read};
    let mut input: Box<dyn BufRead + '_> = Box::new(BufReader::with_capacity(
        1 << 16,
        flate2::bufread::MultiGzDecoder::new(bytes),
    ));
    let head = peek(&mut input, sniff::HEAD_LEN).map_err(|e| problems::io_error(name, None, &e))?;
    let format = sniff::sniff(name, &head);
    if format.is_stream() {
        return stream::read(name, input, format);
    }
    let mut inner = Vec::new();
    input
        .take(GZIP_DOCUMENT_LIMIT + 1)
        .read_to_end(&mut inner)
        .map_err(|e| problems::io_error(name, None, &e))?;
    if sniff::is_gzip(&inner) || inner.len() as u64 > GZIP_DOCUMENT_LIMIT {
        return Err(ResultsError::one(
            name,
            Diagnostic::error("", "a compressed file of no raw-sample format we know"),
        ));
    }
    read(name, &inner)
}
