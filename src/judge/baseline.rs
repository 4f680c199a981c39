//! A run held against an earlier run of the same service, as canary analysis does it: a metric
//! has regressed (or improved) only when the runs differ significantly in that direction and the
//! change is large enough to matter. Flagged even when the SLO still passes (SPEC.md, "Baseline
//! comparison").
//!
//! - Latency, when both runs carry their distribution: Mann–Whitney U on the two histograms and
//!   the quantile test at the percentile compared, and a change beyond `regression_share` of the
//!   baseline, `regression_min_ms` and the histograms' bin width at that percentile.
//! - Error rate, when both runs' counts are known: a two-proportion z test, and a change beyond
//!   `regression_share` of the baseline and `regression_min_error_delta`.
//! - Otherwise (summaries): the change against the runs' bucket-to-bucket spread where a time
//!   series shows it, with the same share and floors.

mod significance;
#[cfg(test)]
mod tests;

use serde::Serialize;

use super::{Issue, IssueSeverity, Settings, match_endpoint, metric_name, show_value};
use crate::profile::{Percentile, ServiceProfile};
use crate::results::{Bucket, Distribution, RunResults, Stats};
use crate::units::round;
use significance::{Pooled, RankTest, two_proportion};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Change {
    Regression,
    Improvement,
    Unchanged,
}

/// How a comparison decided whether the runs differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Method {
    /// Mann–Whitney U on both runs' latency distributions.
    MannWhitney,
    /// A two-proportion z test on both runs' request and failure counts.
    TwoProportion,
    /// No samples to test: the change against the runs' own spread over time, where known.
    Spread,
}

impl Method {
    pub fn label(self) -> &'static str {
        match self {
            Method::MannWhitney => "Mann–Whitney U",
            Method::TwoProportion => "two-proportion z test",
            Method::Spread => "spread",
        }
    }
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
    /// The change the two runs' own variation can explain (method `spread` only); absent when
    /// neither run shows it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub noise: Option<f64>,
    /// The change had to exceed this, in the metric's unit, to count either way.
    pub min_change: f64,
    pub method: Method,
    /// The one-sided p-value in the direction the metric moved (towards worse when unmoved):
    /// how likely a difference at least this far that way is if both runs behave alike.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub p_value: Option<f64>,
    /// `1 - p_value`, rounded down so it is never overstated.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub confidence: Option<f64>,
    /// Mann–Whitney only: the chance that a request of this run is slower than one of the
    /// baseline's, ties counting half (0.5: neither is slower).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub effect: Option<f64>,
    pub outcome: Change,
}

impl Comparison {
    /// The confidence as a report shows it: `97.3 %`, `over 99.9 %`; `None` without a test.
    pub fn confidence_text(&self) -> Option<String> {
        self.confidence.map(|c| {
            if c >= 0.999 {
                "over 99.9 %".to_string()
            } else {
                format!("{} %", (c * 1000.0).floor() / 10.0)
            }
        })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BaselineComparison {
    pub baseline_format: String,
    /// The share a metric must move by (beyond its floor, and significantly) to count, e.g. 0.1
    /// for 10 %.
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
    let pair = Pair::of(&current.overall, &baseline.overall);
    for p in Percentile::ALL {
        if let Some(c) = latency(p, "overall", &pair, series_noise(p), s) {
            out.push(c);
        }
    }
    if let Some(c) = errors("overall", &pair, s) {
        out.push(c);
    }
    for r in &current.endpoints {
        // The same name, and the same method where both runs name one.
        let Some(b) = baseline.endpoints.iter().find(|b| {
            b.name == r.name && (b.method == r.method || b.method.is_none() || r.method.is_none())
        }) else {
            continue;
        };
        let scope = match_endpoint(&profile.endpoints, r)
            .map(|i| profile.endpoints[i].label())
            .unwrap_or_else(|| r.name.clone());
        let pair = Pair::of(&r.stats, &b.stats);
        for p in [Percentile::P95, Percentile::P99] {
            if let Some(c) = latency(p, &scope, &pair, None, s) {
                out.push(c);
            }
        }
        if let Some(c) = errors(&scope, &pair, s) {
            out.push(c);
        }
    }
    for c in &out {
        if let Some(issue) = issue(c) {
            issues.push(issue);
        }
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

/// Both runs' samples, pooled, with the rank test (computed once: it speaks for the whole
/// distribution, whichever percentile is compared).
struct Samples<'a> {
    pooled: Pooled,
    ranks: RankTest,
    current: &'a Distribution,
    baseline: &'a Distribution,
}

/// One scope in both runs, with their samples when both carry their distribution.
struct Pair<'a> {
    current: &'a Stats,
    baseline: &'a Stats,
    samples: Option<Samples<'a>>,
}

impl<'a> Pair<'a> {
    fn of(current: &'a Stats, baseline: &'a Stats) -> Self {
        let samples = match (&current.distribution, &baseline.distribution) {
            (Some(c), Some(b)) => {
                let pooled = Pooled::of(c, b);
                pooled.mann_whitney().map(|ranks| Samples {
                    pooled,
                    ranks,
                    current: c,
                    baseline: b,
                })
            }
            _ => None,
        };
        Pair {
            current,
            baseline,
            samples,
        }
    }
}

/// What a comparison rests on besides the size of the change.
enum Evidence {
    /// One-sided p-values towards worse and towards better, and the effect size if any.
    Test {
        method: Method,
        p_worse: f64,
        p_better: f64,
        effect: Option<f64>,
    },
    /// No test: the spread over time, when known, already sits in the minimum change.
    Spread(Option<f64>),
}

fn latency(
    p: Percentile,
    scope: &str,
    pair: &Pair,
    noise: Option<f64>,
    s: &Settings,
) -> Option<Comparison> {
    let b = pair.baseline.latency_ms.percentile(p)?;
    let c = pair.current.latency_ms.percentile(p)?;
    let metric = format!("latency_{}_ms", p.key().replace('.', "_"));
    let share = s.regression_share * b;
    let (min_change, evidence) = match &pair.samples {
        Some(sm) => {
            let q = p.value() / 100.0;
            // A percentile is known to a bin: a move within the coarser bin is no move.
            let floor = s
                .regression_min_ms
                .max(bin_width_at(sm.current, q))
                .max(bin_width_at(sm.baseline, q));
            // The runs must differ as a whole and at this percentile: the larger p-value of
            // the two tests (an intersection-union test, which keeps the stated level) stops a
            // far tail, known from a handful of samples, from riding on a shift of the bulk.
            let t = sm.ranks;
            let (p_worse, p_better) = match sm.pooled.quantile(q) {
                Some(at) => (t.p_slower.max(at.p_higher), t.p_faster.max(at.p_lower)),
                None => (t.p_slower, t.p_faster),
            };
            (
                share.max(floor),
                Evidence::Test {
                    method: Method::MannWhitney,
                    p_worse,
                    p_better,
                    effect: Some(t.p_superiority),
                },
            )
        }
        None => (
            share.max(noise.unwrap_or(0.0)).max(s.regression_min_ms),
            Evidence::Spread(noise),
        ),
    };
    Some(decide(metric, scope, b, c, min_change, evidence, s))
}

/// The width of the bin holding the `q`-quantile: how finely the histogram knows it.
fn bin_width_at(d: &Distribution, q: f64) -> f64 {
    let n = d.total();
    let k = ((q * n as f64).ceil() as u64).clamp(1, n.max(1));
    d.at_rank(k).map_or(0.0, |b| b.hi_ms - b.lo_ms)
}

/// The failures and requests of a group, when the count of requests is known.
fn counts(st: &Stats) -> Option<(u64, u64)> {
    let n = st.requests.filter(|n| *n > 0)?;
    let k = match st.errors {
        Some(k) => k,
        None => (st.error_rate? * n as f64).round() as u64,
    };
    Some((k.min(n), n))
}

fn errors(scope: &str, pair: &Pair, s: &Settings) -> Option<Comparison> {
    let (b, c) = (pair.baseline.error_rate()?, pair.current.error_rate()?);
    let min_change = (s.regression_share * b).max(s.regression_min_error_delta);
    let test = match (counts(pair.current), counts(pair.baseline)) {
        (Some((k1, n1)), Some((k2, n2))) => two_proportion(k1, n1, k2, n2),
        _ => None,
    };
    let evidence = match test {
        Some(t) => Evidence::Test {
            method: Method::TwoProportion,
            p_worse: t.p_higher,
            p_better: t.p_lower,
            effect: None,
        },
        None => Evidence::Spread(None),
    };
    Some(decide(
        "error_rate".into(),
        scope,
        b,
        c,
        min_change,
        evidence,
        s,
    ))
}

/// A change counts when it exceeds `min_change` and, where a test was run, is significant in
/// its direction at the stated confidence (one-sided p below `1 - confidence`).
fn decide(
    metric: String,
    scope: &str,
    baseline: f64,
    current: f64,
    min_change: f64,
    evidence: Evidence,
    s: &Settings,
) -> Comparison {
    let alpha = 1.0 - s.confidence;
    let change = current - baseline;
    let (method, p_worse, p_better, effect, noise) = match evidence {
        Evidence::Test {
            method,
            p_worse,
            p_better,
            effect,
        } => (method, Some(p_worse), Some(p_better), effect, None),
        Evidence::Spread(noise) => (Method::Spread, None, None, None, noise),
    };
    let significant = |p: Option<f64>| p.is_none_or(|p| p < alpha);
    let outcome = if change > min_change && significant(p_worse) {
        Change::Regression
    } else if -change > min_change && significant(p_better) {
        Change::Improvement
    } else {
        Change::Unchanged
    };
    let p_value = if change < 0.0 { p_better } else { p_worse };
    Comparison {
        metric,
        scope: scope.to_string(),
        baseline,
        current,
        change: round(change, 6),
        change_pct: (baseline > 0.0).then(|| round(change / baseline * 100.0, 1)),
        noise: noise.map(|n| round(n, 6)),
        min_change: round(min_change, 6),
        method,
        p_value: p_value.map(significant_digits),
        confidence: p_value.map(|p| ((1.0 - p) * 1e4).floor() / 1e4),
        effect: effect.map(|e| round(e, 3)),
        outcome,
    }
}

/// Four significant digits: a p-value of 1e-12 must not round to 0, nor 0.04996 to 0.05.
fn significant_digits(x: f64) -> f64 {
    format!("{x:.3e}").parse().unwrap_or(x)
}

fn issue(c: &Comparison) -> Option<Issue> {
    let (kind, severity, verb) = match c.outcome {
        Change::Regression => ("regression", IssueSeverity::Warning, "rose"),
        Change::Improvement => ("improvement", IssueSeverity::Info, "fell"),
        Change::Unchanged => return None,
    };
    let pct = c
        .change_pct
        .map(|p| format!(" ({p:+} %)"))
        .unwrap_or_default();
    let why = match (c.method, c.confidence_text(), c.effect) {
        (Method::MannWhitney, Some(conf), Some(e)) => {
            let (side, share) = if c.outcome == Change::Regression {
                ("slower", e)
            } else {
                ("faster", 1.0 - e)
            };
            format!(
                "; the runs differ with {conf} confidence ({}, P({side}) = {})",
                c.method.label(),
                round(share, 2)
            )
        }
        (Method::TwoProportion, Some(conf), _) => format!(
            "; the rates differ with {conf} confidence ({})",
            c.method.label()
        ),
        _ => c
            .noise
            .map(|n| {
                format!(
                    "; the runs' own spread explains {}",
                    show_value(&c.metric, n)
                )
            })
            .unwrap_or_default(),
    };
    Some(Issue {
        kind: kind.into(),
        severity,
        message: format!(
            "{} ({}) {verb} from {} in the baseline to {}{pct}{why}",
            metric_name(&c.metric),
            c.scope,
            show_value(&c.metric, c.baseline),
            show_value(&c.metric, c.current),
        ),
    })
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
