//! The quick tools' summary reports, read whole as text: dispatch by detected format to the hey,
//! wrk, ApacheBench and Taurus final-stats readers.

use super::model::{ResultsError, RunResults};
use super::sniff::Format;
use super::{ab, ab_percentiles, hey, taurus_stats, wrk};
use crate::diag::Diagnostic;

pub fn read(name: &str, text: &str, format: Format) -> Result<RunResults, ResultsError> {
    match format {
        Format::HeyText => hey::read(name, text),
        Format::WrkText => wrk::read(name, text),
        Format::AbText => ab::read(name, text),
        Format::AbPercentiles => ab_percentiles::read(name, text),
        Format::TaurusStatsXml => taurus_stats::read_xml(name, text),
        Format::TaurusStatsCsv => taurus_stats::read_csv(name, text),
        other => Err(ResultsError::one(
            name,
            Diagnostic::error("", format!("{} is not a summary report", other.describe())),
        )),
    }
}
