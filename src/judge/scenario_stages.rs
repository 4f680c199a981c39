//! What each scenario is for, read from its stages on the run's timeline: a stress run's
//! capacity knee (the first step where the SLO broke, a figure rather than a failure), a burst's
//! recovery measured from the end of the plan's spike, a soak's drift over its soak stage.

use super::groups::{self, Members};
use super::stages::{self, Drift, Knee, Recovery, StageAnalysis};
use super::timeline::Timeline;
use super::{Issue, IssueSeverity, Settings};
use crate::plan::{Scenario, ScenarioKind, StageKind};
use crate::profile::ServiceProfile;
use crate::results::{Bucket, RunResults};
use crate::units::round;

pub fn for_scenario(
    profile: &ServiceProfile,
    sc: &Scenario,
    t: &Timeline,
    r: &RunResults,
    s: &Settings,
    issues: &mut Vec<Issue>,
) -> Option<StageAnalysis> {
    let mut a = StageAnalysis {
        buckets: r.timeseries.len(),
        span_s: t.run_s,
        load_unit: "requests/s",
        max_load_within_slo: None,
        knee: None,
        recovery: None,
        drift: None,
    };
    match sc.kind {
        ScenarioKind::Stress => knee(profile, t, r, &mut a, issues),
        ScenarioKind::Burst => a.recovery = recovery(profile, t, r, s),
        ScenarioKind::Soak => a.drift = drift(profile, t, r, s),
        ScenarioKind::Smoke | ScenarioKind::Steady => {}
    }
    Some(a)
}

/// The steps in order; the knee is the first whose merged samples break an objective. Reported
/// as the service's capacity: the run's verdict rests on the 100 % step's own checks.
fn knee(
    profile: &ServiceProfile,
    t: &Timeline,
    r: &RunResults,
    a: &mut StageAnalysis,
    issues: &mut Vec<Issue>,
) {
    let peak = profile.traffic.peak_rps;
    let burst = peak * profile.traffic.burst_factor.max(1.0);
    for span in t
        .spans
        .iter()
        .filter(|sp| sp.kind == StageKind::Hold && sp.reached() && sp.name.starts_with("step-"))
    {
        let names = [span.name.clone()];
        let broken = match groups::of_stages(r, t, &names, Members::All) {
            Some(g) => broken_group(profile, &g),
            // A summary's series: the step breaks when most of its buckets do.
            None => {
                let buckets: Vec<&Bucket> = span
                    .buckets
                    .clone()
                    .filter_map(|i| r.timeseries.get(i))
                    .collect();
                let breaches: Vec<_> = buckets
                    .iter()
                    .filter_map(|b| stages::breach_of(b, &profile.slo))
                    .collect();
                (breaches.len() * 2 > buckets.len())
                    .then(|| breaches.into_iter().next())
                    .flatten()
            }
        };
        match broken {
            None => a.max_load_within_slo = Some(span.target_rps),
            Some((metric, observed, threshold)) => {
                let k = Knee {
                    offset_s: span.start_s,
                    load: span.target_rps,
                    metric,
                    observed,
                    threshold,
                    peak_rps: peak,
                    burst_rps: burst,
                    position: stages::position(span.target_rps, peak, burst),
                };
                issues.push(Issue {
                    kind: "capacity-knee".into(),
                    severity: IssueSeverity::Info,
                    message: format!(
                        "capacity: the SLO first broke at step {} ({} requests/s), {}: {} was {} against {}{}",
                        span.name.trim_start_matches("step-"),
                        k.load,
                        k.position.label(),
                        super::metric_name(&k.metric),
                        super::show_value(&k.metric, k.observed),
                        super::show_value(&k.metric, k.threshold),
                        match a.max_load_within_slo {
                            Some(m) => format!("; it held up to {m} requests/s"),
                            None => String::new(),
                        }
                    ),
                });
                a.knee = Some(k);
                return;
            }
        }
    }
    if let Some(m) = a.max_load_within_slo {
        issues.push(Issue {
            kind: "capacity".into(),
            severity: IssueSeverity::Info,
            message: format!("capacity: the SLO held at every step reached, up to {m} requests/s"),
        });
    }
}

/// The first objective a group's point values break: (metric, observed, threshold).
fn broken_group(profile: &ServiceProfile, g: &groups::Group) -> Option<(String, f64, f64)> {
    for (p, threshold) in profile.slo.latency_ms.iter() {
        if let Some(o) = g.latency.percentile(p)
            && o > threshold
        {
            return Some((
                format!("latency_{}_ms", p.key().replace('.', "_")),
                o,
                threshold,
            ));
        }
    }
    match (g.error_rate(), profile.slo.error_rate) {
        (Some(o), Some(t)) if o > t => Some(("error_rate".into(), o, t)),
        _ => None,
    }
}

/// From the end of the plan's spike: how long until the SLO holds again, for `sustain_buckets`
/// in a row.
fn recovery(
    profile: &ServiceProfile,
    t: &Timeline,
    r: &RunResults,
    s: &Settings,
) -> Option<Recovery> {
    let spike = t
        .spans
        .iter()
        .filter(|sp| sp.kind == StageKind::Hold)
        .max_by(|a, b| a.target_rps.total_cmp(&b.target_rps))?;
    let start = t
        .spans
        .iter()
        .find(|sp| sp.end_s == spike.start_s)
        .map_or(spike.start_s, |sp| sp.start_s);
    let after: Vec<usize> = (spike.buckets.end..r.timeseries.len()).collect();
    if !spike.reached() || after.is_empty() {
        return spike.reached().then_some(Recovery {
            burst_start_s: start,
            burst_end_s: None,
            burst_load: spike.target_rps,
            recovery_s: None,
            recovered: false,
        });
    }
    let k = s.sustain_buckets.max(1);
    let healthy: Vec<bool> = after
        .iter()
        .map(|&i| stages::breach_of(&r.timeseries[i], &profile.slo).is_none())
        .collect();
    let back =
        (0..healthy.len()).find(|&j| healthy[j..(j + k).min(healthy.len())].iter().all(|h| *h));
    Some(Recovery {
        burst_start_s: start,
        burst_end_s: Some(spike.end_s),
        burst_load: spike.target_rps,
        recovery_s: back
            .map(|j| round((r.timeseries[after[j]].offset_s - spike.end_s).max(0.0), 3)),
        recovered: back.is_some(),
    })
}

/// Drift over the soak stage itself, when it lasted long enough to show one.
fn drift(profile: &ServiceProfile, t: &Timeline, r: &RunResults, s: &Settings) -> Option<Drift> {
    let soak = t
        .spans
        .iter()
        .filter(|sp| sp.kind == StageKind::Hold && sp.reached())
        .max_by(|a, b| a.covered_s.total_cmp(&b.covered_s))?;
    if soak.covered_s < s.drift_min_span_s {
        return None;
    }
    let buckets: Vec<&Bucket> = soak
        .buckets
        .clone()
        .filter_map(|i| r.timeseries.get(i))
        .collect();
    stages::drift_of(&buckets, &profile.slo)
}
