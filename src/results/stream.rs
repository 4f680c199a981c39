//! Raw-sample files read as a stream: dispatch to the per-request readers (JTL, k6, hey, ab,
//! Gatling's log). What the readers share lives in `problems` and `lines`.

use std::io::BufRead;

use super::model::{ResultsError, RunResults};
use super::sniff::Format;
use super::{ab_gnuplot, gatling_log, hey_csv, jtl_csv, jtl_xml, k6_csv, k6_ndjson};
use crate::diag::Diagnostic;

/// Reads a raw-sample stream of a detected format.
pub fn read<R: BufRead>(name: &str, input: R, format: Format) -> Result<RunResults, ResultsError> {
    match format {
        Format::JtlCsv => jtl_csv::read(name, input),
        Format::JtlXml => jtl_xml::read(name, input),
        Format::K6Ndjson => k6_ndjson::read(name, input),
        Format::HeyCsv => hey_csv::read(name, input),
        Format::AbGnuplot => ab_gnuplot::read(name, input),
        Format::K6Csv => k6_csv::read(name, input),
        Format::GatlingLog => gatling_log::read(name, input),
        other => Err(ResultsError::one(
            name,
            Diagnostic::error(
                "",
                format!("{} is not a raw-sample stream", other.describe()),
            ),
        )),
    }
}
