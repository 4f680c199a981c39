//! The issues a person would spot in a run at a glance, beyond the SLO checks: load not
//! applied, dropped iterations, saturation, a long tail, failed runner thresholds.

use super::{Issue, IssueSeverity, Settings};
use crate::profile::ServiceProfile;
use crate::results::RunResults;
use crate::units::round;

pub fn obvious_issues(out: &mut Vec<Issue>, p: &ServiceProfile, r: &RunResults, s: &Settings) {
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
