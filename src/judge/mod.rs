//! Judgement: run results held against a profile's SLOs. Produces an `Assessment` with a status per
//! check, the obvious issues a person would spot, an overall verdict and a short narrative. Pure.

mod baseline;
pub mod interval;
mod matching;
mod narrative;
mod obvious;
mod stages;

use serde::Serialize;

pub use baseline::{BaselineComparison, Change, Comparison};
pub use matching::match_endpoint;
pub use narrative::{metric_name, show as show_value};
pub use stages::{Drift, Knee, KneePosition, Recovery, StageAnalysis};

use crate::plan::Comparator;
use crate::profile::{Percentile, ServiceProfile, Slo};
use crate::results::{RunResults, Stats};
use crate::units::round;

pub const ASSESSMENT_SCHEMA: &str = "perfassist.assessment/v1";

/// Tunable judgement thresholds (documented in SPEC.md, "Judgement").
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// A met objective within this share of its threshold is a warning (0.1 = within 10 %).
    pub warn_band: f64,
    /// Below this share of the planned peak the load was not applied: the run is inconclusive.
    pub min_load_share: f64,
    /// Below this share of the planned peak the run is flagged as under-loaded.
    pub low_load_share: f64,
    pub cpu_saturation_percent: f64,
    pub memory_saturation_percent: f64,
    /// p99 at this many times p50 or more is a long tail.
    pub long_tail_ratio: f64,
    /// A percentile needs this many samples beyond it to be judged (p99 needs 100 × this).
    pub min_tail_samples: u64,
    /// Buckets in a row that must breach (or meet) the SLO before a knee (or a recovery) counts.
    pub sustain_buckets: usize,
    /// A recovery after a burst slower than this many seconds is a warning.
    pub recovery_limit_s: f64,
    /// Drift is measured only over time series spanning at least this many seconds.
    pub drift_min_span_s: f64,
    /// Latency rising faster than this share of its mean per hour is drift (percent per hour).
    pub drift_latency_pct_per_h: f64,
    /// Memory rising faster than this many percentage points per hour is drift.
    pub drift_memory_points_per_h: f64,
    /// The error rate rising faster than this share of the SLO's error rate per hour is drift.
    pub drift_error_budget_share_per_h: f64,
    /// A baseline comparison counts a change beyond this share of the baseline (0.1 = 10 %).
    pub regression_share: f64,
    /// Error-rate changes smaller than this (absolute, 0.001 = 0.1 points) never count.
    pub regression_min_error_delta: f64,
    /// How many standard errors of the runs' own spread a change must exceed.
    pub noise_sigmas: f64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            warn_band: 0.1,
            min_load_share: 0.5,
            low_load_share: 0.9,
            cpu_saturation_percent: 85.0,
            memory_saturation_percent: 90.0,
            long_tail_ratio: 10.0,
            min_tail_samples: 10,
            sustain_buckets: 2,
            recovery_limit_s: 60.0,
            drift_min_span_s: 1800.0,
            drift_latency_pct_per_h: 10.0,
            drift_memory_points_per_h: 2.0,
            drift_error_budget_share_per_h: 0.25,
            regression_share: 0.1,
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
    NotEvaluated,
}

impl Status {
    pub fn label(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Warn => "warn",
            Status::Fail => "fail",
            Status::NotEvaluated => "not evaluated",
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

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CheckResult {
    pub id: String,
    pub metric: String,
    /// `overall` or the endpoint (`POST /cart/submit`).
    pub scope: String,
    pub comparator: Comparator,
    pub threshold: f64,
    pub observed: Option<f64>,
    /// How far the observation is inside (+) or outside (−) the threshold, in the metric's unit.
    pub margin: Option<f64>,
    /// The margin as a percentage of the threshold.
    pub margin_pct: Option<f64>,
    pub status: Status,
    /// The profile field the threshold comes from.
    pub source: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
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
    pub not_evaluated: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Assessment {
    pub schema: &'static str,
    pub service: String,
    pub results_format: String,
    pub verdict: Verdict,
    pub counts: Counts,
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
    pub narrative: Vec<String>,
}

/// Holds `results` against the SLOs of `profile`.
pub fn assess(profile: &ServiceProfile, results: &RunResults, s: &Settings) -> Assessment {
    assess_with_baseline(profile, results, None, s)
}

/// As `assess`, and compares the run with `baseline` (an earlier run of the same service) when
/// given: regressions are warnings even when every SLO check passes.
pub fn assess_with_baseline(
    profile: &ServiceProfile,
    results: &RunResults,
    baseline: Option<&RunResults>,
    s: &Settings,
) -> Assessment {
    let mut checks = Vec::new();
    let mut issues = Vec::new();
    slo_checks(
        &mut checks,
        &mut issues,
        Scope::Overall,
        &profile.slo,
        "slo",
        &results.overall,
        s,
    );

    let mut matched = vec![false; profile.endpoints.len()];
    let mut per_endpoint: Vec<Option<&Stats>> = vec![None; profile.endpoints.len()];
    let mut unmatched = Vec::new();
    for r in &results.endpoints {
        match match_endpoint(&profile.endpoints, r) {
            Some(i) => {
                matched[i] = true;
                per_endpoint[i] = Some(&r.stats);
            }
            None => unmatched.push(r.name.clone()),
        }
    }
    for (i, e) in profile.endpoints.iter().enumerate() {
        let slo = e.effective_slo(&profile.slo);
        let src = if e.slo.is_some() {
            format!("endpoints[{i}].slo")
        } else {
            "slo".to_string()
        };
        match per_endpoint[i] {
            Some(stats) => {
                let before = checks.len();
                let scope = Scope::Endpoint {
                    label: e.label(),
                    critical: e.critical,
                };
                slo_checks(&mut checks, &mut issues, scope, &slo, &src, stats, s);
                if !e.critical {
                    for c in &mut checks[before..] {
                        if c.status == Status::Fail {
                            c.status = Status::Warn;
                            c.note = Some(
                                "non-critical endpoint: a missed objective is a warning".into(),
                            );
                        }
                    }
                }
            }
            None if !results.endpoints.is_empty() && e.critical => issues.push(Issue {
                kind: "critical-endpoint-missing".into(),
                severity: IssueSeverity::Critical,
                message: format!(
                    "critical endpoint {} has no results: the run did not exercise it, or the runner named it differently (names seen: {})",
                    e.label(),
                    results.endpoints.iter().map(|r| r.name.as_str()).collect::<Vec<_>>().join(", ")
                ),
            }),
            None => {}
        }
    }
    if !unmatched.is_empty() {
        issues.push(Issue {
            kind: "unmatched-endpoints".into(),
            severity: IssueSeverity::Info,
            message: format!(
                "results name endpoints the profile does not list: {} (set an endpoint's `name` to the runner's label to match them)",
                unmatched.join(", ")
            ),
        });
    }
    obvious::obvious_issues(&mut issues, profile, results, s);
    let stages = stages::analyse(profile, &results.timeseries, s, &mut issues);
    let baseline = baseline.map(|b| baseline::compare(profile, results, b, s, &mut issues));

    let counts = count(&checks);
    let verdict = verdict(&checks, &issues);
    let inconclusive_reasons = if verdict == Verdict::Inconclusive {
        inconclusive_reasons(&checks, &issues)
    } else {
        Vec::new()
    };
    let error_budget_used_pct = match (results.overall.error_rate(), profile.slo.error_rate) {
        (Some(obs), Some(budget)) if budget > 0.0 => Some(round(obs / budget * 100.0, 1)),
        _ => None,
    };
    let mut a = Assessment {
        schema: ASSESSMENT_SCHEMA,
        service: profile.service.clone(),
        results_format: results.format.clone(),
        verdict,
        counts,
        error_budget_used_pct,
        inconclusive_reasons,
        checks,
        issues,
        unmatched_endpoints: unmatched,
        stages,
        baseline,
        narrative: Vec::new(),
    };
    a.narrative = narrative::write(&a, profile);
    a
}

/// What a group of checks covers: the whole run or one endpoint.
enum Scope {
    Overall,
    Endpoint { label: String, critical: bool },
}

/// Samples a percentile needs so that at least `min_tail` of them lie beyond it.
pub fn samples_needed(p: Percentile, min_tail: u64) -> u64 {
    let beyond = 1.0 - p.value() / 100.0;
    (min_tail as f64 / beyond).round() as u64
}

fn slo_checks(
    out: &mut Vec<CheckResult>,
    issues: &mut Vec<Issue>,
    scope: Scope,
    slo: &Slo,
    src: &str,
    stats: &Stats,
    s: &Settings,
) {
    let (name, suffix, critical) = match &scope {
        Scope::Overall => ("overall".to_string(), String::new(), true),
        Scope::Endpoint { label, critical } => (label.clone(), format!("[{label}]"), *critical),
    };
    let scope = name.as_str();
    for (p, threshold) in slo.latency_ms.iter() {
        let observed = stats.latency_ms.percentile(p);
        let mut c = judge_one(
            format!("latency_{}{suffix}", p.key()),
            format!("latency_{}_ms", p.key().replace('.', "_")),
            scope,
            threshold,
            observed,
            format!("{src}.latency_ms.{}", p.key()),
            s,
        );
        let needed = samples_needed(p, s.min_tail_samples);
        if let Some(n) = stats.requests
            && observed.is_some()
            && n < needed
        {
            c.status = Status::NotEvaluated;
            let why = format!(
                "{n} requests are too few to judge {}: at least {needed} are needed so that {} fall beyond it",
                p.key(),
                s.min_tail_samples
            );
            c.note = Some(why.clone());
            issues.push(Issue {
                kind: "too-few-samples".into(),
                severity: if critical {
                    IssueSeverity::Critical
                } else {
                    IssueSeverity::Warning
                },
                message: if suffix.is_empty() {
                    format!("the run is too short for the percentile asked: {why}")
                } else {
                    format!("endpoint {scope} has too few samples: {why}")
                },
            });
        } else if observed.is_none() {
            c.note = Some(format!("{} latency not reported by this source", p.key()));
            if p == Percentile::P99 && stats.latency_ms.p95.is_some() {
                c.note = Some("p99 not reported by this source (k6 reports it only when summaryTrendStats lists p(99))".into());
            }
        }
        out.push(c);
    }
    if let Some(threshold) = slo.error_rate {
        let mut c = judge_one(
            format!("error_rate{suffix}"),
            "error_rate".into(),
            scope,
            threshold,
            stats.error_rate(),
            format!("{src}.error_rate"),
            s,
        );
        if c.observed.is_none() {
            c.note = Some("error rate not reported by this source".into());
        }
        out.push(c);
    }
}

/// Judges one `observed <= threshold` objective.
fn judge_one(
    id: String,
    metric: String,
    scope: &str,
    threshold: f64,
    observed: Option<f64>,
    source: String,
    s: &Settings,
) -> CheckResult {
    let (status, margin, margin_pct) = match observed {
        None => (Status::NotEvaluated, None, None),
        Some(o) => {
            let margin = threshold - o;
            let pct = if threshold > 0.0 {
                Some(round(margin / threshold * 100.0, 1))
            } else {
                None
            };
            let status = if o > threshold {
                Status::Fail
            } else if threshold > 0.0 && o >= threshold * (1.0 - s.warn_band) {
                Status::Warn
            } else {
                Status::Pass
            };
            (status, Some(round(margin, 6)), pct)
        }
    };
    CheckResult {
        id,
        metric,
        scope: scope.to_string(),
        comparator: Comparator::AtMost,
        threshold,
        observed,
        margin,
        margin_pct,
        status,
        source,
        note: None,
    }
}

fn inconclusive_reasons(checks: &[CheckResult], issues: &[Issue]) -> Vec<String> {
    let mut out: Vec<String> = issues
        .iter()
        .filter(|i| i.severity == IssueSeverity::Critical)
        .map(|i| i.message.clone())
        .collect();
    if checks.iter().all(|c| c.status == Status::NotEvaluated) {
        out.push(if checks.is_empty() {
            "the profile sets no objective to check".into()
        } else {
            "no SLO check could be evaluated from these results".into()
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
            Status::NotEvaluated => c.not_evaluated += 1,
        }
    }
    c
}

fn verdict(checks: &[CheckResult], issues: &[Issue]) -> Verdict {
    if checks.iter().any(|c| c.status == Status::Fail) {
        Verdict::Fail
    } else if issues.iter().any(|i| i.severity == IssueSeverity::Critical)
        || checks.iter().all(|c| c.status == Status::NotEvaluated)
    {
        Verdict::Inconclusive
    } else if checks.iter().any(|c| c.status == Status::Warn)
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
