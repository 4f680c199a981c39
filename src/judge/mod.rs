//! Judgement: run results held against a profile's SLOs, or against one scenario of its plan
//! stage by stage. Every check states its observed value and, where the data allow, a
//! confidence interval; the verdict follows from the intervals. Produces an `Assessment` with the
//! obvious issues a person would spot, a run summary and a short narrative. Pure.

mod assess;
mod baseline;
mod check;
mod groups;
mod matching;
mod narrative;
mod obvious;
mod scenario_stages;
mod stages;
pub mod timeline;

use serde::Serialize;

pub use assess::{assess, assess_scenario, assess_with_baseline};
pub use baseline::{BaselineComparison, Change, Comparison};
pub use check::{Bounds, CheckResult};
pub use matching::match_endpoint;
pub use narrative::{metric_name, show as show_value};
pub use stages::{Drift, Knee, KneePosition, Recovery, StageAnalysis};
pub use timeline::StageSummary;

pub const ASSESSMENT_SCHEMA: &str = "perfassist.assessment/v2";

/// Tunable judgement thresholds (documented in SPEC.md, "Judgement"). The thresholds a plan
/// states (recovery and drift limits, the smoke thresholds) come from the plan's checks instead.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// Confidence of every interval (0.95 = 95 %).
    pub confidence: f64,
    /// A met objective within this share of its threshold is a warning (0.1 = within 10 %).
    pub warn_band: f64,
    /// Below this share of the planned rate the load was not applied: the run is inconclusive.
    pub min_load_share: f64,
    /// Below this share of the planned rate the run is flagged as under-loaded.
    pub low_load_share: f64,
    pub cpu_saturation_percent: f64,
    pub memory_saturation_percent: f64,
    /// p99 at this many times p50 or more (on one endpoint) is a long tail...
    pub long_tail_ratio: f64,
    /// ...when it is also at least this many milliseconds above p50 (2 ms to 28 ms is no tail
    /// a user feels).
    pub long_tail_min_ms: f64,
    /// Buckets in a row that must breach (or meet) the SLO before a knee (or a recovery) counts.
    pub sustain_buckets: usize,
    /// Without a plan: a recovery after a burst slower than this many seconds is a warning.
    pub recovery_limit_s: f64,
    /// Drift is measured only over time series spanning at least this many seconds.
    pub drift_min_span_s: f64,
    /// Without a plan: latency rising faster than this share of its mean per hour is drift.
    pub drift_latency_pct_per_h: f64,
    /// Without a plan: memory rising faster than this many percentage points per hour is drift.
    pub drift_memory_points_per_h: f64,
    /// Without a plan: the error rate rising faster than this share of the SLO's per hour.
    pub drift_error_budget_share_per_h: f64,
    /// A baseline comparison counts a change beyond this share of the baseline (0.1 = 10 %).
    pub regression_share: f64,
    /// Latency changes smaller than this (ms) never count, whatever the histograms resolve.
    pub regression_min_ms: f64,
    /// Error-rate changes smaller than this (absolute, 0.001 = 0.1 points) never count.
    pub regression_min_error_delta: f64,
    /// Without distributions: how many standard errors of the runs' own spread a change must
    /// exceed.
    pub noise_sigmas: f64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            confidence: 0.95,
            warn_band: 0.1,
            min_load_share: 0.5,
            low_load_share: 0.9,
            cpu_saturation_percent: 85.0,
            memory_saturation_percent: 90.0,
            long_tail_ratio: 10.0,
            long_tail_min_ms: 50.0,
            sustain_buckets: 2,
            recovery_limit_s: 60.0,
            drift_min_span_s: 1800.0,
            drift_latency_pct_per_h: 5.0,
            drift_memory_points_per_h: 2.0,
            drift_error_budget_share_per_h: 0.25,
            regression_share: 0.1,
            regression_min_ms: 1.0,
            regression_min_error_delta: 0.001,
            noise_sigmas: 2.0,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    Pass,
    Warn,
    Fail,
    /// The confidence interval straddles the objective: more requests would decide it.
    Inconclusive,
    NotEvaluated,
}

impl Status {
    pub fn label(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Warn => "warn",
            Status::Fail => "fail",
            Status::Inconclusive => "inconclusive",
            Status::NotEvaluated => "not evaluated",
        }
    }

    /// Order for listings: what needs attention first.
    pub fn rank(self) -> u8 {
        match self {
            Status::Fail => 0,
            Status::Inconclusive => 1,
            Status::Warn => 2,
            Status::NotEvaluated => 3,
            Status::Pass => 4,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Pass,
    Warn,
    Inconclusive,
    Fail,
}

impl Verdict {
    pub fn label(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Warn => "warn",
            Verdict::Inconclusive => "inconclusive",
            Verdict::Fail => "fail",
        }
    }

    /// Whether CI should treat the run as failed (exit code 1).
    pub fn is_failure(self) -> bool {
        matches!(self, Verdict::Fail | Verdict::Inconclusive)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum IssueSeverity {
    Info,
    Warning,
    /// Makes the run inconclusive: its numbers cannot be trusted to answer the question.
    Critical,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Issue {
    pub kind: String,
    pub severity: IssueSeverity,
    pub message: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Counts {
    pub pass: usize,
    pub warn: usize,
    pub fail: usize,
    pub inconclusive: usize,
    pub not_evaluated: usize,
}

/// Which scenario a run was judged as, and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScenarioRef {
    pub name: String,
    /// `option` (`--scenario`), `file name` or `folder` (the daemon).
    pub from: String,
    /// The plan's stages were shortened by this factor for a rehearsal (1 when not).
    pub time_scale: f64,
}

/// What was run, before what it means: every report starts with it.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct RunSummary {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub requests: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failures: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_rate: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration_s: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub throughput_rps: Option<f64>,
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub status_codes: std::collections::BTreeMap<String, u64>,
    /// Planned against achieved, stage by stage, when the run was judged as a scenario.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub stages: Vec<StageSummary>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Assessment {
    pub schema: &'static str,
    pub service: String,
    /// The scenario the run was judged as; absent when judged against the whole profile.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scenario: Option<ScenarioRef>,
    pub results_format: String,
    pub verdict: Verdict,
    /// The confidence of every interval in the checks.
    pub confidence: f64,
    pub counts: Counts,
    pub run: RunSummary,
    /// Share of the error budget (the SLO's allowed error rate) this run used, in percent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_budget_used_pct: Option<f64>,
    /// Why the verdict is inconclusive; empty otherwise.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub inconclusive_reasons: Vec<String>,
    pub checks: Vec<CheckResult>,
    pub issues: Vec<Issue>,
    /// Runner endpoint names that matched no profile endpoint.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unmatched_endpoints: Vec<String>,
    /// Knee, recovery and drift, when the results carry a time series.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stages: Option<StageAnalysis>,
    /// The comparison with a baseline run, when one was given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub baseline: Option<BaselineComparison>,
    /// How the run was placed and judged: stages not reached, checks judged on the whole run.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    pub narrative: Vec<String>,
}

fn inconclusive_reasons(checks: &[CheckResult], issues: &[Issue]) -> Vec<String> {
    let mut out: Vec<String> = issues
        .iter()
        .filter(|i| i.severity == IssueSeverity::Critical)
        .map(|i| i.message.clone())
        .collect();
    let undecided: Vec<&str> = checks
        .iter()
        .filter(|c| c.status == Status::Inconclusive)
        .map(|c| c.id.as_str())
        .collect();
    if !undecided.is_empty() {
        out.push(format!(
            "{} could not be decided at the stated confidence: {}",
            narrative::plural(undecided.len(), "check"),
            undecided.join(", ")
        ));
    }
    if checks.iter().all(|c| c.status == Status::NotEvaluated) {
        out.push(if checks.is_empty() {
            "the profile sets no objective to check".into()
        } else {
            "no check could be evaluated from these results".into()
        });
    }
    out
}

fn count(checks: &[CheckResult]) -> Counts {
    let mut c = Counts::default();
    for k in checks {
        match k.status {
            Status::Pass => c.pass += 1,
            Status::Warn => c.warn += 1,
            Status::Fail => c.fail += 1,
            Status::Inconclusive => c.inconclusive += 1,
            Status::NotEvaluated => c.not_evaluated += 1,
        }
    }
    c
}

/// Whether a check holds a service level objective (from the profile's `slo`, or an endpoint's
/// own), rather than a threshold of the plan's (drift, recovery, throughput).
pub(crate) fn from_slo(c: &CheckResult) -> bool {
    c.source.starts_with("slo") || c.source.starts_with("endpoints[")
}

/// A failed check fails the run; one that could not be decided, or a critical finding, leaves it
/// inconclusive (exit 1 all the same: an uncertain run never passes a gate); a warning, or an
/// SLO objective the results do not report, leaves it at warn: a gate never passes what it did
/// not see.
fn verdict(checks: &[CheckResult], issues: &[Issue]) -> Verdict {
    if checks.iter().any(|c| c.status == Status::Fail) {
        Verdict::Fail
    } else if issues.iter().any(|i| i.severity == IssueSeverity::Critical)
        || checks.iter().any(|c| c.status == Status::Inconclusive)
        || checks.iter().all(|c| c.status == Status::NotEvaluated)
    {
        Verdict::Inconclusive
    } else if checks.iter().any(|c| c.status == Status::Warn)
        || checks
            .iter()
            .any(|c| c.status == Status::NotEvaluated && from_slo(c))
        || issues.iter().any(|i| i.severity == IssueSeverity::Warning)
    {
        Verdict::Warn
    } else {
        Verdict::Pass
    }
}

#[cfg(test)]
mod edge_tests;
#[cfg(test)]
mod tests;
