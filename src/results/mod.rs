//! Run results normalised from whatever a load-test runner wrote: counts, rates and latencies in
//! milliseconds, overall and per endpoint. `read` detects the format and dispatches to a reader.

mod artillery;
mod gatling;
mod jmeter_stats;
mod json_formats;
mod k6_summary;
mod summary;
mod vegeta;

use serde::Serialize;
use std::collections::BTreeMap;

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
}

impl Stats {
    /// The error rate as reported, or derived from the counts when both are known.
    pub fn error_rate(&self) -> Option<f64> {
        self.error_rate.or(match (self.errors, self.requests) {
            (Some(e), Some(r)) if r > 0 => Some(e as f64 / r as f64),
            _ => None,
        })
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

/// A results file that could not be read, with every problem found.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{file}: cannot read results")]
pub struct ResultsError {
    pub file: String,
    pub diagnostics: Vec<Diagnostic>,
}

impl ResultsError {
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

/// Reads a results file from disk. Formats that can be large (JMeter JTL, k6 NDJSON) are read as
/// a stream in constant memory; summaries are read whole. `name` is used in error messages.
pub fn read_file(path: &std::path::Path, name: &str) -> Result<RunResults, ResultsError> {
    let bytes = std::fs::read(path)
        .map_err(|e| ResultsError::one(name, Diagnostic::error("", format!("cannot read: {e}"))))?;
    read(name, &bytes)
}

/// Locust writes several files per run (`X_stats.csv` with `X_stats_history.csv`,
/// `X_failures.csv`, `X_exceptions.csv`). For a companion file this returns the file name of the
/// run's main file, which is judged instead (and re-judged when a companion changes).
pub fn companion_of(file_name: &str) -> Option<String> {
    let _ = file_name;
    None
}

/// Reads a results file of any supported format. `name` is the file name as the user gave it and
/// serves both as a format hint and in error messages.
pub fn read(name: &str, bytes: &[u8]) -> Result<RunResults, ResultsError> {
    if let Some(r) = json_formats::read_other(name, bytes) {
        return r;
    }
    let text = std::str::from_utf8(bytes).map_err(|e| {
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
    })?;
    if text.trim().is_empty() {
        return Err(ResultsError::one(
            name,
            Diagnostic::error("", "the file is empty")
                .hint("was the run interrupted before it wrote its results?"),
        ));
    }
    if let Some(r) = json_formats::read_text(name, text) {
        return r;
    }
    summary::read(name, text)
}

/// Tells whether a parsed JSON document is a results file this crate understands.
pub fn looks_like_results(value: &serde_json::Value) -> bool {
    summary::looks_like_summary(value) || json_formats::looks_like(value)
}
