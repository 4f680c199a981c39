//! A run held against an earlier run of the same service: regressions beyond what the two runs'
//! own spread explains are flagged even when the SLO still passes, and improvements are named.

use serde::Serialize;

use super::{Issue, IssueSeverity, Settings, match_endpoint, metric_name, show_value};
use crate::profile::{Percentile, ServiceProfile};
use crate::results::{Bucket, RunResults, Stats};
use crate::units::round;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Change {
    Regression,
    Improvement,
    Unchanged,
}

/// One metric in both runs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Comparison {
    pub metric: String,
    pub scope: String,
    pub baseline: f64,
    pub current: f64,
    /// `current - baseline`, in the metric's unit.
    pub change: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub change_pct: Option<f64>,
    /// The change the two runs' own variation can explain; absent when neither run shows it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub noise: Option<f64>,
    pub outcome: Change,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BaselineComparison {
    pub baseline_format: String,
    /// The share a metric must move by (and beyond the noise) to count, e.g. 0.1 for 10 %.
    pub regression_share: f64,
    pub regressions: usize,
    pub improvements: usize,
    pub comparisons: Vec<Comparison>,
}

/// Compares `current` with `baseline`, pushing an issue per regression and per improvement.
pub fn compare(
    profile: &ServiceProfile,
    current: &RunResults,
    baseline: &RunResults,
    s: &Settings,
    issues: &mut Vec<Issue>,
) -> BaselineComparison {
    let mut out = Vec::new();
    let series_noise = |p: Percentile| {
        let a = standard_error(&current.timeseries, p)?;
        let b = standard_error(&baseline.timeseries, p)?;
        Some(s.noise_sigmas * (a * a + b * b).sqrt())
    };
    for p in Percentile::ALL {
        if let (Some(b), Some(c)) = (
            baseline.overall.latency_ms.percentile(p),
            current.overall.latency_ms.percentile(p),
        ) {
            out.push(latency(p, "overall", b, c, series_noise(p), s));
        }
    }
    if let Some(c) = errors("overall", &current.overall, &baseline.overall, s) {
        out.push(c);
    }
    for r in &current.endpoints {
        let Some(b) = baseline.endpoints.iter().find(|b| b.name == r.name) else {
            continue;
        };
        let scope = match_endpoint(&profile.endpoints, r)
            .map(|i| profile.endpoints[i].label())
            .unwrap_or_else(|| r.name.clone());
        for p in [Percentile::P95, Percentile::P99] {
            if let (Some(bv), Some(cv)) = (
                b.stats.latency_ms.percentile(p),
                r.stats.latency_ms.percentile(p),
            ) {
                out.push(latency(p, &scope, bv, cv, None, s));
            }
        }
        if let Some(c) = errors(&scope, &r.stats, &b.stats, s) {
            out.push(c);
        }
    }
    for c in &out {
        let (kind, severity, verb) = match c.outcome {
            Change::Regression => ("regression", IssueSeverity::Warning, "rose"),
            Change::Improvement => ("improvement", IssueSeverity::Info, "fell"),
            Change::Unchanged => continue,
        };
        let pct = c
            .change_pct
            .map(|p| format!(" ({p:+} %)"))
            .unwrap_or_default();
        let noise = c
            .noise
            .map(|n| {
                format!(
                    "; the runs' own spread explains {}",
                    show_value(&c.metric, n)
                )
            })
            .unwrap_or_default();
        issues.push(Issue {
            kind: kind.into(),
            severity,
            message: format!(
                "{} ({}) {verb} from {} in the baseline to {}{pct}{noise}",
                metric_name(&c.metric),
                c.scope,
                show_value(&c.metric, c.baseline),
                show_value(&c.metric, c.current),
            ),
        });
    }
    BaselineComparison {
        baseline_format: baseline.format.clone(),
        regression_share: s.regression_share,
        regressions: out
            .iter()
            .filter(|c| c.outcome == Change::Regression)
            .count(),
        improvements: out
            .iter()
            .filter(|c| c.outcome == Change::Improvement)
            .count(),
        comparisons: out,
    }
}

fn latency(
    p: Percentile,
    scope: &str,
    baseline: f64,
    current: f64,
    noise: Option<f64>,
    s: &Settings,
) -> Comparison {
    let floor = (s.regression_share * baseline).max(noise.unwrap_or(0.0));
    judge(
        format!("latency_{}_ms", p.key().replace('.', "_")),
        scope,
        baseline,
        current,
        noise,
        floor,
    )
}

/// Error rates compare by difference: the noise is the binomial standard error of both runs when
/// their request counts are known, and a change smaller than the absolute floor never counts.
fn errors(scope: &str, current: &Stats, baseline: &Stats, s: &Settings) -> Option<Comparison> {
    let (b, c) = (baseline.error_rate()?, current.error_rate()?);
    let se = |p: f64, n: Option<u64>| n.filter(|n| *n > 0).map(|n| p * (1.0 - p) / n as f64);
    let noise = match (se(b, baseline.requests), se(c, current.requests)) {
        (Some(x), Some(y)) => Some(s.noise_sigmas * (x + y).sqrt()),
        _ => None,
    };
    let floor = (s.regression_share * b)
        .max(noise.unwrap_or(0.0))
        .max(s.regression_min_error_delta);
    Some(judge("error_rate".into(), scope, b, c, noise, floor))
}

fn judge(
    metric: String,
    scope: &str,
    baseline: f64,
    current: f64,
    noise: Option<f64>,
    floor: f64,
) -> Comparison {
    let change = current - baseline;
    let outcome = if change > floor {
        Change::Regression
    } else if -change > floor {
        Change::Improvement
    } else {
        Change::Unchanged
    };
    Comparison {
        metric,
        scope: scope.to_string(),
        baseline,
        current,
        change: round(change, 6),
        change_pct: (baseline > 0.0).then(|| round(change / baseline * 100.0, 1)),
        noise: noise.map(|n| round(n, 6)),
        outcome,
    }
}

/// The standard error of a run's percentile estimated from its buckets at steady load (their
/// spread over √buckets); needs at least three. Buckets on a ramp differ because the load does,
/// which is not noise, so only those within 10 % of the median load count.
fn standard_error(series: &[Bucket], p: Percentile) -> Option<f64> {
    let mut loads: Vec<f64> = series.iter().filter_map(|b| b.throughput_rps).collect();
    loads.sort_by(f64::total_cmp);
    let median = loads.get(loads.len() / 2).copied();
    let steady = |b: &Bucket| match (median, b.throughput_rps) {
        (Some(m), Some(l)) => (l - m).abs() <= 0.1 * m,
        (Some(_), None) => false,
        (None, _) => true,
    };
    let v: Vec<f64> = series
        .iter()
        .filter(|b| steady(b))
        .filter_map(|b| b.latency_ms.percentile(p))
        .collect();
    if v.len() < 3 {
        return None;
    }
    let n = v.len() as f64;
    let m = v.iter().sum::<f64>() / n;
    let var = v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1.0);
    Some(var.sqrt() / n.sqrt())
}
