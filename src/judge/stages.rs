//! Per-stage judgement from a run's time series: the load at which the SLO first broke (the
//! capacity knee), how long the service took to recover after a burst, and drift over a soak.

use serde::Serialize;

use super::{Issue, IssueSeverity, Settings};
use crate::profile::{Percentile, ServiceProfile, Slo};
use crate::results::Bucket;
use crate::units::round;

/// What the time series tells beyond the run's totals.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StageAnalysis {
    pub buckets: usize,
    pub span_s: f64,
    /// `requests/s` when buckets carry throughput, `users` when they only carry the user count.
    pub load_unit: &'static str,
    /// The highest load seen before the knee (in the whole run when there is none).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_load_within_slo: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub knee: Option<Knee>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recovery: Option<Recovery>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub drift: Option<Drift>,
}

/// Where the knee sits against the profile's traffic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum KneePosition {
    BelowPeak,
    /// At the planned peak (within 1 %).
    AtPeak,
    BetweenPeakAndBurst,
    /// At the planned burst (within 1 %): the service breaks exactly where bursts go.
    AtBurst,
    AboveBurst,
    /// The load is counted in users, which cannot be compared with requests/s.
    Unknown,
}

impl KneePosition {
    pub fn label(self) -> &'static str {
        match self {
            KneePosition::BelowPeak => "below the planned peak",
            KneePosition::AtPeak => "at the planned peak",
            KneePosition::BetweenPeakAndBurst => "between the planned peak and burst",
            KneePosition::AtBurst => "at the planned burst",
            KneePosition::AboveBurst => "above the planned burst",
            KneePosition::Unknown => "not comparable with the plan (load in users)",
        }
    }
}

/// The first sustained crossing of the SLO.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Knee {
    pub offset_s: f64,
    pub load: f64,
    /// The first metric over its objective in that bucket (`latency_p95_ms`, `error_rate`).
    pub metric: String,
    pub observed: f64,
    pub threshold: f64,
    pub peak_rps: f64,
    pub burst_rps: f64,
    pub position: KneePosition,
}

/// The first burst (load above halfway between peak and burst) and what followed it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Recovery {
    pub burst_start_s: f64,
    /// Offset of the first bucket after the burst; absent when the run ended during it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub burst_end_s: Option<f64>,
    pub burst_load: f64,
    /// Seconds from the end of the burst until the SLO was met again and stayed met; absent
    /// when it never was before the run ended.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recovery_s: Option<f64>,
    pub recovered: bool,
}

/// Least-squares trends over the steady part of a long run, per hour.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Drift {
    pub span_h: f64,
    pub latency_metric: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latency_ms_per_h: Option<f64>,
    /// The latency slope as a share of the mean latency over the run, in percent per hour.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latency_pct_per_h: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_rate_per_h: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub memory_points_per_h: Option<f64>,
}

/// Analyses `series` against `profile`; `None` when there is no time series.
pub fn analyse(
    profile: &ServiceProfile,
    series: &[Bucket],
    s: &Settings,
    issues: &mut Vec<Issue>,
) -> Option<StageAnalysis> {
    if series.is_empty() {
        return None;
    }
    let mut buckets: Vec<&Bucket> = series.iter().collect();
    buckets.sort_by(|a, b| a.offset_s.total_cmp(&b.offset_s));
    let (unit, load): (&'static str, Vec<Option<f64>>) =
        if buckets.iter().any(|b| b.throughput_rps.is_some()) {
            (
                "requests/s",
                buckets.iter().map(|b| b.throughput_rps).collect(),
            )
        } else {
            ("users", buckets.iter().map(|b| b.users).collect())
        };
    let first = buckets.first().map_or(0.0, |b| b.offset_s);
    let last = buckets.last().map_or(0.0, |b| b.offset_s);
    let breaches: Vec<Option<Breach>> = buckets.iter().map(|b| breach(b, &profile.slo)).collect();

    let peak = profile.traffic.peak_rps;
    let burst = peak * profile.traffic.burst_factor.max(1.0);
    let k = s.sustain_buckets.max(1);
    let knee_at = knee_index(&breaches, &load, k);
    let max_load_within_slo = load[..knee_at.unwrap_or(load.len())]
        .iter()
        .flatten()
        .copied()
        .reduce(f64::max);
    let knee = knee_at.and_then(|i| {
        let b = breaches[i].as_ref()?;
        let l = load[i]?;
        let position = if unit != "requests/s" {
            KneePosition::Unknown
        } else {
            position(l, peak, burst)
        };
        Some(Knee {
            offset_s: buckets[i].offset_s,
            load: round(l, 2),
            metric: b.metric.clone(),
            observed: b.observed,
            threshold: b.threshold,
            peak_rps: peak,
            burst_rps: burst,
            position,
        })
    });
    if let Some(kn) = &knee {
        knee_issue(kn, unit, issues);
    }

    let recovery = if unit == "requests/s" && burst > peak {
        recovery(&buckets, &load, &breaches, peak + (burst - peak) / 2.0, k)
    } else {
        None
    };
    if let Some(r) = &recovery {
        recovery_issue(r, s, issues);
    }

    let drift = if last - first >= s.drift_min_span_s {
        drift(&buckets, &load, &profile.slo)
    } else {
        None
    };
    if let Some(d) = &drift {
        drift_issues(d, &profile.slo, s, issues);
    }

    Some(StageAnalysis {
        buckets: buckets.len(),
        span_s: round(last - first, 3),
        load_unit: unit,
        max_load_within_slo: max_load_within_slo.map(|v| round(v, 2)),
        knee,
        recovery,
        drift,
    })
}

/// Where a load sits against the plan's peak and burst; within 1 % of either is "at" it.
pub(super) fn position(load: f64, peak: f64, burst: f64) -> KneePosition {
    let near = |a: f64, b: f64| (a - b).abs() <= 0.01 * b;
    if near(load, peak) {
        KneePosition::AtPeak
    } else if load < peak {
        KneePosition::BelowPeak
    } else if near(load, burst) {
        KneePosition::AtBurst
    } else if load < burst {
        KneePosition::BetweenPeakAndBurst
    } else {
        KneePosition::AboveBurst
    }
}

struct Breach {
    metric: String,
    observed: f64,
    threshold: f64,
}

/// The first objective a bucket misses, latency before errors, lowest percentile first.
fn breach(b: &Bucket, slo: &Slo) -> Option<Breach> {
    for (p, threshold) in slo.latency_ms.iter() {
        if let Some(o) = b.latency_ms.percentile(p)
            && o > threshold
        {
            return Some(Breach {
                metric: latency_metric(p),
                observed: o,
                threshold,
            });
        }
    }
    match (b.error_rate, slo.error_rate) {
        (Some(o), Some(t)) if o > t => Some(Breach {
            metric: "error_rate".into(),
            observed: o,
            threshold: t,
        }),
        _ => None,
    }
}

/// The first objective a bucket misses: (metric, observed, threshold).
pub(super) fn breach_of(b: &Bucket, slo: &Slo) -> Option<(String, f64, f64)> {
    breach(b, slo).map(|x| (x.metric, x.observed, x.threshold))
}

/// Drift over these buckets (all at the same planned load).
pub(super) fn drift_of(buckets: &[&Bucket], slo: &Slo) -> Option<Drift> {
    let load: Vec<Option<f64>> = buckets.iter().map(|b| b.throughput_rps).collect();
    drift(buckets, &load, slo)
}

fn latency_metric(p: Percentile) -> String {
    format!("latency_{}_ms", p.key().replace('.', "_"))
}

/// The first index from `from` where `k` buckets in a row (or all that remain) breach when
/// `want_breach`, or are healthy otherwise. One noisy bucket is not a knee nor a recovery.
fn sustained(
    breaches: &[Option<Breach>],
    from: usize,
    k: usize,
    want_breach: bool,
) -> Option<usize> {
    (from..breaches.len()).find(|&i| {
        let end = (i + k).min(breaches.len());
        breaches[i..end].iter().all(|b| b.is_some() == want_breach)
    })
}

/// The knee: the start of the first sustained breach after which the service never again meets
/// the SLO for `k` buckets in a row at that load or more. A breach it later outgrows (warm-up, a
/// slow dependency for a minute) is not a capacity limit.
fn knee_index(breaches: &[Option<Breach>], load: &[Option<f64>], k: usize) -> Option<usize> {
    let n = breaches.len();
    // For each window of k healthy buckets starting at j, the lowest load in it; then the best
    // such load from j on, so each candidate is checked in constant time.
    let healthy_min: Vec<Option<f64>> = (0..n)
        .map(|j| {
            if j + k > n {
                return None;
            }
            (j..j + k).try_fold(f64::INFINITY, |m, i| match (&breaches[i], load[i]) {
                (None, Some(l)) => Some(m.min(l)),
                _ => None,
            })
        })
        .collect();
    let mut best_from = vec![None; n + 1];
    for j in (0..n).rev() {
        best_from[j] = match (healthy_min[j], best_from[j + 1]) {
            (Some(a), Some(b)) => Some(f64::max(a, b)),
            (a, b) => a.or(b),
        };
    }
    let mut from = 0;
    while let Some(i) = sustained(breaches, from, k, true) {
        let outgrown = match (load[i], best_from[(i + 1).min(n)]) {
            (Some(l), Some(later)) => later >= l,
            _ => false,
        };
        if !outgrown {
            return Some(i);
        }
        from = i + 1;
    }
    None
}

fn recovery(
    buckets: &[&Bucket],
    load: &[Option<f64>],
    breaches: &[Option<Breach>],
    burst_line: f64,
    k: usize,
) -> Option<Recovery> {
    let in_burst = |i: usize| load[i].is_some_and(|l| l >= burst_line);
    let start = (0..buckets.len()).find(|&i| in_burst(i))?;
    let end = (start..buckets.len()).find(|&i| !in_burst(i));
    let burst_load = (start..end.unwrap_or(buckets.len()))
        .filter_map(|i| load[i])
        .fold(f64::MIN, f64::max);
    let (recovery_s, recovered) = match end {
        None => (None, false),
        Some(e) => match sustained(breaches, e, k, false) {
            Some(r) => (
                Some(round(buckets[r].offset_s - buckets[e].offset_s, 3)),
                true,
            ),
            None => (None, false),
        },
    };
    Some(Recovery {
        burst_start_s: buckets[start].offset_s,
        burst_end_s: end.map(|e| buckets[e].offset_s),
        burst_load: round(burst_load, 2),
        recovery_s,
        recovered,
    })
}

/// Trends over the buckets at steady load (at least 90 % of the median load), so ramps at the
/// start and end do not read as drift.
fn drift(buckets: &[&Bucket], load: &[Option<f64>], slo: &Slo) -> Option<Drift> {
    let mut loads: Vec<f64> = load.iter().flatten().copied().collect();
    loads.sort_by(f64::total_cmp);
    let median = loads.get(loads.len() / 2).copied();
    let steady: Vec<&Bucket> = buckets
        .iter()
        .zip(load)
        .filter(|(_, l)| match (median, l) {
            (Some(m), Some(l)) => *l >= 0.9 * m,
            (Some(_), None) => false,
            (None, _) => true,
        })
        .map(|(b, _)| *b)
        .collect();
    if steady.len() < 3 {
        return None;
    }
    let span_h = (steady[steady.len() - 1].offset_s - steady[0].offset_s) / 3600.0;
    if span_h <= 0.0 {
        return None;
    }
    // The objective's own percentile when the buckets carry it, p95 first as the usual SLO.
    let order = [
        Percentile::P95,
        Percentile::P99,
        Percentile::P90,
        Percentile::P50,
        Percentile::P999,
    ];
    let chosen = order
        .iter()
        .copied()
        .filter(|p| slo.latency_ms.get(*p).is_some() || slo.latency_ms.is_empty())
        .chain(order)
        .find(|p| {
            steady
                .iter()
                .filter(|b| b.latency_ms.percentile(*p).is_some())
                .count()
                >= 3
        });
    let (latency_metric_name, latency_points): (String, Vec<(f64, f64)>) = match chosen {
        Some(p) => (
            latency_metric(p),
            points(&steady, |b| b.latency_ms.percentile(p)),
        ),
        None => (
            "latency_mean_ms".into(),
            points(&steady, |b| b.latency_ms.mean),
        ),
    };
    let latency = slope(&latency_points);
    let mean_latency = mean(latency_points.iter().map(|p| p.1));
    Some(Drift {
        span_h: round(span_h, 3),
        latency_metric: latency_metric_name,
        latency_ms_per_h: latency.map(|v| round(v, 3)),
        latency_pct_per_h: match (latency, mean_latency) {
            (Some(sl), Some(m)) if m > 0.0 => Some(round(sl / m * 100.0, 2)),
            _ => None,
        },
        error_rate_per_h: slope(&points(&steady, |b| b.error_rate)).map(|v| round(v, 6)),
        memory_points_per_h: slope(&points(&steady, |b| b.memory_percent)).map(|v| round(v, 3)),
    })
}

/// (hours, value) pairs for the buckets that carry the value.
fn points(buckets: &[&Bucket], f: impl Fn(&Bucket) -> Option<f64>) -> Vec<(f64, f64)> {
    buckets
        .iter()
        .filter_map(|b| f(b).map(|v| (b.offset_s / 3600.0, v)))
        .collect()
}

fn mean(values: impl Iterator<Item = f64>) -> Option<f64> {
    let (sum, n) = values.fold((0.0, 0usize), |(s, n), v| (s + v, n + 1));
    (n > 0).then(|| sum / n as f64)
}

/// Least-squares slope of y over x; needs three points and some spread in x.
pub(crate) fn slope(pts: &[(f64, f64)]) -> Option<f64> {
    if pts.len() < 3 {
        return None;
    }
    let mx = mean(pts.iter().map(|p| p.0))?;
    let my = mean(pts.iter().map(|p| p.1))?;
    let sxx: f64 = pts.iter().map(|p| (p.0 - mx).powi(2)).sum();
    let sxy: f64 = pts.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
    (sxx > 0.0).then(|| sxy / sxx)
}

fn issue(kind: &str, severity: IssueSeverity, message: String) -> Issue {
    Issue {
        kind: kind.into(),
        severity,
        message,
    }
}

fn knee_issue(k: &Knee, unit: &str, out: &mut Vec<Issue>) {
    let what = format!(
        "{} first crossed its objective ({} against {}) at {} {unit}, {} s into the run",
        super::metric_name(&k.metric),
        super::show_value(&k.metric, k.observed),
        super::show_value(&k.metric, k.threshold),
        k.load,
        k.offset_s
    );
    let (severity, tail) = match k.position {
        KneePosition::BelowPeak => (
            IssueSeverity::Warning,
            format!(
                "below the planned peak of {} requests/s: the service cannot carry its peak within the SLO",
                k.peak_rps
            ),
        ),
        KneePosition::AtPeak => (
            IssueSeverity::Warning,
            format!(
                "at the planned peak of {} requests/s: no headroom",
                k.peak_rps
            ),
        ),
        KneePosition::BetweenPeakAndBurst => (
            IssueSeverity::Warning,
            format!(
                "above the peak ({} requests/s) but below the burst ({} requests/s): bursts will break the SLO",
                k.peak_rps, k.burst_rps
            ),
        ),
        KneePosition::AtBurst => (
            IssueSeverity::Warning,
            format!(
                "at the planned burst of {} requests/s: a burst as planned reaches the limit, with no headroom",
                k.burst_rps
            ),
        ),
        KneePosition::AboveBurst => (
            IssueSeverity::Info,
            format!(
                "beyond the planned burst of {} requests/s: headroom above what the profile expects",
                k.burst_rps
            ),
        ),
        KneePosition::Unknown => (
            IssueSeverity::Info,
            "the results count users, not requests/s, so the knee cannot be placed against the planned peak".into(),
        ),
    };
    out.push(issue("capacity-knee", severity, format!("{what}, {tail}")));
}

fn recovery_issue(r: &Recovery, s: &Settings, out: &mut Vec<Issue>) {
    match (r.burst_end_s, r.recovery_s) {
        (None, _) => out.push(issue(
            "recovery-unmeasured",
            IssueSeverity::Info,
            format!(
                "the run ended during the burst that began {} s in, so recovery cannot be measured",
                r.burst_start_s
            ),
        )),
        (Some(end), None) => out.push(issue(
            "no-recovery",
            IssueSeverity::Warning,
            format!(
                "the service did not return within its SLO after the burst that ended {end} s in, up to the end of the run"
            ),
        )),
        (Some(end), Some(t)) if t > s.recovery_limit_s => out.push(issue(
            "slow-recovery",
            IssueSeverity::Warning,
            format!(
                "after the burst that ended {end} s in, the service took {t} s to return within its SLO (more than {} s)",
                s.recovery_limit_s
            ),
        )),
        _ => {}
    }
}

fn drift_issues(d: &Drift, slo: &Slo, s: &Settings, out: &mut Vec<Issue>) {
    if let (Some(pct), Some(ms)) = (d.latency_pct_per_h, d.latency_ms_per_h)
        && pct > s.drift_latency_pct_per_h
    {
        out.push(issue(
            "latency-drift",
            IssueSeverity::Warning,
            format!(
                "{} rose {ms} ms per hour ({pct} % per hour) over {} h at steady load: look for leaks, growing queues or caches",
                super::metric_name(&d.latency_metric),
                d.span_h
            ),
        ));
    }
    let error_limit = slo
        .error_rate
        .map_or(0.001, |e| e * s.drift_error_budget_share_per_h);
    if let Some(e) = d.error_rate_per_h
        && e > error_limit
    {
        out.push(issue(
            "error-drift",
            IssueSeverity::Warning,
            format!(
                "the error rate rose {} percentage points per hour over {} h at steady load",
                round(e * 100.0, 4),
                d.span_h
            ),
        ));
    }
    if let Some(m) = d.memory_points_per_h
        && m > s.drift_memory_points_per_h
    {
        out.push(issue(
            "memory-drift",
            IssueSeverity::Warning,
            format!(
                "memory use rose {m} percentage points per hour over {} h at steady load: a leak would exhaust it",
                d.span_h
            ),
        ));
    }
}
