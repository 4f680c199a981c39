//! The issues a person would spot in a run at a glance, beyond the SLO checks: load not
//! applied, dropped iterations, saturation, a long tail, failed runner thresholds.

use super::timeline::Timeline;
use super::{Issue, IssueSeverity, Settings};
use crate::plan::{Scenario, StageKind};
use crate::profile::ServiceProfile;
use crate::results::{RunResults, Stats};
use crate::units::round;

pub fn obvious_issues(
    out: &mut Vec<Issue>,
    p: &ServiceProfile,
    r: &RunResults,
    scenario: Option<&Scenario>,
    timeline: Option<&Timeline>,
    s: &Settings,
) {
    let mut push = |kind: &str, severity, message: String| {
        out.push(Issue {
            kind: kind.into(),
            severity,
            message,
        })
    };
    let o = &r.overall;
    if matches!(o.requests, Some(0)) || o.throughput_rps == Some(0.0) {
        push(
            "no-traffic",
            IssueSeverity::Critical,
            "the run recorded no requests: nothing was measured".into(),
        );
    } else if let Some(sc) = scenario {
        if tests_load(sc)
            && let Some(t) = timeline
        {
            stage_load(&mut push, sc, t, r, s);
        }
    } else {
        whole_run_load(&mut push, p, o, s);
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
    // A long tail is a property of one endpoint: on a mix, a slow endpoint's ordinary latency
    // would read as the fast one's tail.
    let tails: Vec<(&str, &Stats)> = if r.endpoints.is_empty() {
        vec![("the run", o)]
    } else {
        r.endpoints
            .iter()
            .map(|e| (e.name.as_str(), &e.stats))
            .collect()
    };
    for (name, st) in tails {
        if let (Some(p50), Some(p99)) = (st.latency_ms.p50, st.latency_ms.p99)
            && p50 > 0.0
            && p99 / p50 >= s.long_tail_ratio
            && p99 - p50 >= s.long_tail_min_ms
            // With fewer requests than it takes to bound p99 at all (368 at 95 %), p99 is
            // just the slowest request or two: no shape to speak of.
            && st
                .requests
                .is_none_or(|n| n >= crate::confidence::fewest_for_upper_bound(0.99, s.confidence))
        {
            push(
                "long-tail",
                IssueSeverity::Warning,
                format!(
                    "long latency tail on {name}: p99 ({}) is {}× p50 ({}); look for lock contention, GC pauses, retries or a slow dependency",
                    super::show_value("latency_p99_ms", p99),
                    round(p99 / p50, 1),
                    super::show_value("latency_p50_ms", p50),
                ),
            );
        }
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

/// Without a plan: the whole run's rate against the profile's peak.
fn whole_run_load(
    push: &mut impl FnMut(&str, IssueSeverity, String),
    p: &ServiceProfile,
    o: &Stats,
    s: &Settings,
) {
    let peak = p.traffic.peak_rps;
    match o.throughput_rps {
        Some(t) if t < peak * s.min_load_share => push(
            "load-not-applied",
            IssueSeverity::Critical,
            format!(
                "throughput {} requests/s is {} % of the planned peak ({} requests/s): the load was not applied, so the SLO results do not show behaviour at peak (judge the run as its scenario, e.g. --scenario smoke, to hold it to that scenario's rates)",
                round(t, 2),
                round(t / peak * 100.0, 1),
                peak
            ),
        ),
        Some(t) if t < peak * s.low_load_share => push(
            "load-below-peak",
            IssueSeverity::Warning,
            format!(
                "throughput {} requests/s is below the planned peak of {} requests/s ({} %)",
                round(t, 2),
                peak,
                round(t / peak * 100.0, 1)
            ),
        ),
        None => push(
            "throughput-unknown",
            IssueSeverity::Info,
            "the results give no throughput, so it is unknown whether the planned load was applied"
                .into(),
        ),
        _ => {}
    }
}

/// With a plan: each hold stage a check is judged on, against its own planned rate (stages with
/// a throughput check of their own are left to it).
fn stage_load(
    push: &mut impl FnMut(&str, IssueSeverity, String),
    sc: &Scenario,
    t: &Timeline,
    r: &RunResults,
    s: &Settings,
) {
    let mut judged: Vec<&str> = sc
        .checks
        .iter()
        .filter(|c| c.metric != "throughput_rps")
        .flat_map(|c| c.stages.iter().map(String::as_str))
        .collect();
    judged.sort_unstable();
    judged.dedup();
    for span in &t.spans {
        let own_check = sc
            .checks
            .iter()
            .any(|c| c.metric == "throughput_rps" && c.stages.contains(&span.name));
        if span.kind != StageKind::Hold
            || !span.reached()
            || own_check
            || !judged.contains(&span.name.as_str())
        {
            continue;
        }
        let names = [span.name.clone()];
        let achieved = super::groups::of_stages(r, t, &names, super::groups::Members::All)
            .and_then(|g| g.throughput_rps)
            .or_else(|| super::groups::rate_of_stages(r, t, &names));
        let (Some(a), planned) = (achieved, span.planned_rps()) else {
            continue;
        };
        if planned <= 0.0 {
            continue;
        }
        let share = a / planned;
        if share < s.min_load_share {
            push(
                "load-not-applied",
                IssueSeverity::Critical,
                format!(
                    "stage {} ran at {} requests/s, {} % of its planned {}: the load was not applied, so its checks do not show behaviour at that load",
                    span.name,
                    round(a, 2),
                    round(share * 100.0, 1),
                    round(planned, 2)
                ),
            );
        } else if share < s.low_load_share {
            push(
                "load-below-plan",
                IssueSeverity::Warning,
                format!(
                    "stage {} ran at {} requests/s, {} % of its planned {}",
                    span.name,
                    round(a, 2),
                    round(share * 100.0, 1),
                    round(planned, 2)
                ),
            );
        }
    }
}

/// Whether a scenario is judged on the load it applied (a smoke run only proves the script).
pub(super) fn tests_load(scenario: &Scenario) -> bool {
    scenario.kind != crate::plan::ScenarioKind::Smoke
}
