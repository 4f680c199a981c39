//! Judgement: run results held against a profile's SLOs. Produces an `Assessment` with a status per
//! check, the obvious issues a person would spot, an overall verdict and a short narrative. Pure.

mod matching;
mod narrative;

use serde::Serialize;

pub use matching::match_endpoint;
pub use narrative::{metric_name, show as show_value};

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
    pub checks: Vec<CheckResult>,
    pub issues: Vec<Issue>,
    /// Runner endpoint names that matched no profile endpoint.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unmatched_endpoints: Vec<String>,
    pub narrative: Vec<String>,
}

/// Holds `results` against the SLOs of `profile`.
pub fn assess(profile: &ServiceProfile, results: &RunResults, s: &Settings) -> Assessment {
    let mut checks = Vec::new();
    let mut issues = Vec::new();
    slo_checks(
        &mut checks,
        "overall",
        None,
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
        if !(e.critical || e.slo.is_some()) {
            continue;
        }
        let slo = e.effective_slo(&profile.slo);
        let src = if e.slo.is_some() {
            format!("endpoints[{i}].slo")
        } else {
            "slo".to_string()
        };
        match per_endpoint[i] {
            Some(stats) => {
                let before = checks.len();
                slo_checks(&mut checks, &e.label(), Some(e.critical), &slo, &src, stats, s);
                if !e.critical {
                    for c in &mut checks[before..] {
                        if c.status == Status::Fail {
                            c.status = Status::Warn;
                            c.note = Some("non-critical endpoint: a missed objective is a warning".into());
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
    obvious_issues(&mut issues, profile, results, s);

    let counts = count(&checks);
    let verdict = verdict(&checks, &issues);
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
        checks,
        issues,
        unmatched_endpoints: unmatched,
        narrative: Vec::new(),
    };
    a.narrative = narrative::write(&a, profile);
    a
}

fn slo_checks(
    out: &mut Vec<CheckResult>,
    scope: &str,
    critical: Option<bool>,
    slo: &Slo,
    src: &str,
    stats: &Stats,
    s: &Settings,
) {
    let suffix = if critical.is_some() {
        format!("[{scope}]")
    } else {
        String::new()
    };
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
        if observed.is_none() {
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

fn obvious_issues(out: &mut Vec<Issue>, p: &ServiceProfile, r: &RunResults, s: &Settings) {
    let mut push = |kind: &str, severity, message: String| {
        out.push(Issue {
            kind: kind.into(),
            severity,
            message,
        })
    };
    let o = &r.overall;
    let peak = p.traffic.peak_rps;
    match (o.throughput_rps, o.requests) {
        (_, Some(0)) | (Some(0.0), _) => push(
            "no-traffic",
            IssueSeverity::Critical,
            "the run recorded no requests: nothing was measured".into(),
        ),
        (Some(t), _) if t < peak * s.min_load_share => push(
            "load-not-applied",
            IssueSeverity::Critical,
            format!(
                "throughput {} requests/s is {} % of the planned peak ({} requests/s): the load was not applied, so the SLO results do not show behaviour at peak",
                round(t, 2),
                round(t / peak * 100.0, 1),
                peak
            ),
        ),
        (Some(t), _) if t < peak * s.low_load_share => push(
            "load-below-peak",
            IssueSeverity::Warning,
            format!(
                "throughput {} requests/s is below the planned peak of {} requests/s ({} %)",
                round(t, 2),
                peak,
                round(t / peak * 100.0, 1)
            ),
        ),
        (None, _) => push(
            "throughput-unknown",
            IssueSeverity::Info,
            "the results give no throughput, so it is unknown whether the planned load was applied"
                .into(),
        ),
        _ => {}
    }
    if let Some(dropped) = r.runner.dropped_iterations
        && dropped > 0
    {
        push(
            "dropped-iterations",
            IssueSeverity::Critical,
            format!(
                "the runner dropped {dropped} iterations: it could not deliver the planned rate (add VUs or load generators)"
            ),
        );
    }
    if !r.runner.thresholds_failed.is_empty() {
        push(
            "runner-thresholds-failed",
            IssueSeverity::Warning,
            format!(
                "the runner reported failed thresholds: {}",
                r.runner.thresholds_failed.join(", ")
            ),
        );
    }
    if let Some(cpu) = r.resources.cpu_percent
        && cpu >= s.cpu_saturation_percent
    {
        push(
            "cpu-saturation",
            IssueSeverity::Warning,
            format!(
                "CPU at {cpu} % is at or above {} %: the service is close to saturation",
                s.cpu_saturation_percent
            ),
        );
    }
    if let Some(mem) = r.resources.memory_percent
        && mem >= s.memory_saturation_percent
    {
        push(
            "memory-saturation",
            IssueSeverity::Warning,
            format!(
                "memory at {mem} % is at or above {} %: risk of swapping or out-of-memory kills",
                s.memory_saturation_percent
            ),
        );
    }
    if let (Some(p50), Some(p99)) = (o.latency_ms.p50, o.latency_ms.p99)
        && p50 > 0.0
        && p99 / p50 >= s.long_tail_ratio
    {
        push(
            "long-tail",
            IssueSeverity::Warning,
            format!(
                "long latency tail: p99 ({p99} ms) is {}× p50 ({p50} ms); look for lock contention, GC pauses, retries or a slow dependency",
                round(p99 / p50, 1)
            ),
        );
    }
    if let Some(er) = o.error_rate()
        && er > 0.0
    {
        push(
            "errors",
            IssueSeverity::Info,
            format!("{} % of requests failed", round(er * 100.0, 3)),
        );
    }
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
mod tests;
