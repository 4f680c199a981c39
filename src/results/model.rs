//! The normalised results every reader produces (counts, rates, latencies in milliseconds,
//! overall and per endpoint, with an optional time series) and the error for a file that cannot
//! be read.

use serde::Serialize;
use std::collections::BTreeMap;

use super::distribution::Distribution;
use super::hist;
use crate::diag::Diagnostic;

pub const RESULTS_SCHEMA: &str = "perfassist.results/v1";

/// Latency distribution in milliseconds. A percentile the source did not report stays `None`;
/// it is never interpolated from the others.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Latency {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mean: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub p50: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub p90: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub p95: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub p99: Option<f64>,
    #[serde(rename = "p99.9", skip_serializing_if = "Option::is_none")]
    pub p999: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
}

impl Latency {
    pub fn percentile(&self, p: crate::profile::Percentile) -> Option<f64> {
        use crate::profile::Percentile::*;
        match p {
            P50 => self.p50,
            P90 => self.p90,
            P95 => self.p95,
            P99 => self.p99,
            P999 => self.p999,
        }
    }
}

/// Statistics for the whole run or for one endpoint.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Stats {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub requests: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_rate: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub throughput_rps: Option<f64>,
    pub latency_ms: Latency,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub status_codes: BTreeMap<String, u64>,
    /// Every request's latency, binned, where the source gives it (raw samples, a Locust
    /// report): the judge reads confidence intervals from it. Not part of the results schema.
    #[serde(skip)]
    pub distribution: Option<Distribution>,
}

impl Stats {
    /// The error rate as reported, or derived from the counts when both are known.
    pub fn error_rate(&self) -> Option<f64> {
        self.error_rate.or(match (self.errors, self.requests) {
            (Some(e), Some(r)) if r > 0 => Some(e as f64 / r as f64),
            _ => None,
        })
    }

    /// Sets the counts and the rate derived from them. Tools whose failure counters overlap can
    /// report more errors than requests; errors are then capped at the requests, and the result
    /// says whether they were, so the reader can note it.
    pub fn set_counts_capped(&mut self, requests: u64, errors: u64) -> bool {
        self.requests = Some(requests);
        self.errors = Some(errors.min(requests));
        self.error_rate = self.error_rate();
        errors > requests
    }
}

/// One endpoint's results, under the name the runner gave it.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct EndpointResults {
    /// The runner's name or label for the endpoint.
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    #[serde(flatten)]
    pub stats: Stats,
}

/// Resource use of the system under test, where the source reports it.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Resources {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpu_percent: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub memory_percent: Option<f64>,
}

/// One time bucket of a run, for sources with a time series.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Bucket {
    /// Seconds since the start of the run.
    pub offset_s: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub throughput_rps: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_rate: Option<f64>,
    pub latency_ms: Latency,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub users: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub memory_percent: Option<f64>,
}

/// What the runner itself said about the run, beyond the numbers.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct RunnerSignals {
    /// Threshold expressions the runner reported as failed.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub thresholds_failed: Vec<String>,
    /// Iterations the runner could not start (k6): the planned rate was not delivered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dropped_iterations: Option<u64>,
}

/// A run's results, normalised.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct RunResults {
    pub schema: &'static str,
    /// Which reader produced this, e.g. `perfassist-summary-json`, `k6-summary-export`.
    pub format: String,
    /// The service named inside the file, where the format has such a field.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration_s: Option<f64>,
    pub overall: Stats,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub endpoints: Vec<EndpointResults>,
    pub resources: Resources,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub timeseries: Vec<Bucket>,
    pub runner: RunnerSignals,
    /// Things the reader noticed that a person should know (e.g. "p99 not reported by this source").
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// The time series' buckets split by endpoint, for judging stage by stage. Not part of the
    /// results schema.
    #[serde(skip)]
    pub detail: Option<SeriesDetail>,
}

/// A run's time series in cells: one per endpoint (and one for the rest) per bucket, aligned with
/// `RunResults::timeseries`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SeriesDetail {
    /// Histogram units per millisecond (1000 for microseconds).
    pub per_ms: f64,
    pub buckets: Vec<BucketDetail>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct BucketDetail {
    /// The stretch of the run the bucket covers, in seconds (the last one ends with the run).
    pub width_s: f64,
    pub cells: Vec<Cell>,
}

/// Whose requests a cell counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Group {
    /// The endpoint at this index of `RunResults::endpoints`.
    Endpoint(usize),
    /// Requests of no listed endpoint (unnamed, or past the endpoint cap).
    Other,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Cell {
    pub group: Group,
    pub requests: u64,
    /// Failed requests among the `known` ones whose outcome the source stated.
    pub errors: u64,
    pub known: u64,
    pub hist: Option<hist::Hist>,
}

impl RunResults {
    pub fn new(format: &str) -> Self {
        RunResults {
            schema: RESULTS_SCHEMA,
            format: format.to_string(),
            ..Default::default()
        }
    }
}

/// A CSV syntax error, at the line the csv crate reports.
pub fn not_csv(e: &csv::Error) -> Diagnostic {
    let line = e.position().map(|p| p.line() as usize);
    Diagnostic::error("", format!("not valid CSV: {e}")).at(line, None)
}

/// A results file that could not be read, with every problem found.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{file}: cannot read results")]
pub struct ResultsError {
    pub file: String,
    pub diagnostics: Vec<Diagnostic>,
}

impl ResultsError {
    /// A file that could not be read at all.
    pub fn cannot_read(file: &str, e: &std::io::Error) -> Self {
        ResultsError::one(file, Diagnostic::error("", format!("cannot read: {e}")))
    }

    /// A whole-file CSV that the csv crate cannot read, at the line it reports.
    pub fn not_csv(file: &str, e: &csv::Error) -> Self {
        ResultsError::one(file, not_csv(e))
    }

    /// Every problem found in `file`, each naming it.
    pub fn all(file: &str, diagnostics: Vec<Diagnostic>) -> Self {
        ResultsError {
            file: file.to_string(),
            diagnostics: diagnostics
                .into_iter()
                .map(|d| with_file(d, file))
                .collect(),
        }
    }

    pub fn one(file: &str, d: Diagnostic) -> Self {
        ResultsError {
            file: file.to_string(),
            diagnostics: vec![with_file(d, file)],
        }
    }
}

fn with_file(mut d: Diagnostic, file: &str) -> Diagnostic {
    d.file = Some(file.to_string());
    d
}
