//! The short story of a run that people read first: the verdict, then what failed and by how much,
//! then what is close to failing, then the issues worth a look.

use super::{Assessment, IssueSeverity, Status, Verdict};
use crate::profile::ServiceProfile;
use crate::units::round;

pub fn write(a: &Assessment, p: &ServiceProfile) -> Vec<String> {
    let mut out = Vec::new();
    let evaluated = a.checks.len() - a.counts.not_evaluated;
    out.push(match a.verdict {
        Verdict::Pass => format!(
            "{} meets all {evaluated} evaluated SLO checks with room to spare.",
            p.service
        ),
        Verdict::Warn => format!(
            "{} meets its SLOs, but {} worth a look before release.",
            p.service,
            match a.counts.warn + warning_issues(a) {
                1 => "there is 1 finding".to_string(),
                n => format!("there are {n} findings"),
            }
        ),
        Verdict::Fail => format!(
            "{} FAILS {} of {evaluated} evaluated SLO checks.",
            p.service, a.counts.fail
        ),
        Verdict::Inconclusive => format!(
            "The run is INCONCLUSIVE for {}: its numbers cannot show whether the SLOs hold.",
            p.service
        ),
    });
    for c in a.checks.iter().filter(|c| c.status == Status::Fail) {
        if let Some(o) = c.observed {
            out.push(format!(
                "{}: {} is {} against an objective of at most {} ({} % over).",
                c.scope,
                metric_name(&c.metric),
                show(&c.metric, o),
                show(&c.metric, c.threshold),
                round(
                    (o - c.threshold) / c.threshold.max(f64::MIN_POSITIVE) * 100.0,
                    1
                )
            ));
        }
    }
    let overall_ok = a
        .checks
        .iter()
        .filter(|c| c.scope == "overall")
        .all(|c| c.status != Status::Fail);
    let failing_endpoints: std::collections::BTreeSet<&str> = a
        .checks
        .iter()
        .filter(|c| c.scope != "overall" && c.status == Status::Fail)
        .map(|c| c.scope.as_str())
        .collect();
    if overall_ok && !failing_endpoints.is_empty() {
        out.push(format!(
            "The run as a whole meets its objectives, but {} ({}) does not: the aggregate hides it.",
            plural(failing_endpoints.len(), "critical endpoint"),
            failing_endpoints.into_iter().collect::<Vec<_>>().join(", ")
        ));
    }
    for i in a
        .issues
        .iter()
        .filter(|i| i.severity == IssueSeverity::Critical)
    {
        out.push(capitalise(&i.message) + ".");
    }
    for c in a.checks.iter().filter(|c| c.status == Status::Warn) {
        if let Some(o) = c.observed {
            out.push(format!(
                "{}: {} is {}, within {} % of its {} objective.",
                c.scope,
                metric_name(&c.metric),
                show(&c.metric, o),
                c.margin_pct.map(|m| round(m, 1)).unwrap_or(0.0),
                show(&c.metric, c.threshold)
            ));
        }
    }
    for i in a
        .issues
        .iter()
        .filter(|i| i.severity == IssueSeverity::Warning)
    {
        out.push(capitalise(&i.message) + ".");
    }
    if let Some(b) = a.error_budget_used_pct {
        out.push(format!("The run used {b} % of the error budget."));
    }
    if let Some(st) = &a.stages
        && st.knee.is_none()
        && let Some(m) = st.max_load_within_slo
    {
        out.push(format!(
            "Over {} time buckets the SLO held throughout, up to {m} {}.",
            st.buckets, st.load_unit
        ));
    }
    if let Some(r) = a.stages.as_ref().and_then(|s| s.recovery.as_ref())
        && let Some(t) = r.recovery_s
    {
        out.push(format!(
            "After the burst (up to {} requests/s) the service was back within its SLO in {t} s.",
            r.burst_load
        ));
    }
    if let Some(b) = &a.baseline {
        out.push(format!(
            "Against the baseline: {}, {}.",
            plural(b.regressions, "regression"),
            plural(b.improvements, "improvement")
        ));
        for i in a.issues.iter().filter(|i| i.kind == "improvement") {
            out.push(capitalise(&i.message) + ".");
        }
    }
    if a.counts.not_evaluated > 0 {
        out.push(format!(
            "{} could not be evaluated because the results do not report the metric.",
            plural(a.counts.not_evaluated, "check")
        ));
    }
    out
}

fn warning_issues(a: &Assessment) -> usize {
    a.issues
        .iter()
        .filter(|i| i.severity == IssueSeverity::Warning)
        .count()
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

/// `latency_p95_ms` → `p95 latency`, `error_rate` → `error rate`.
pub fn metric_name(metric: &str) -> String {
    if let Some(p) = metric
        .strip_prefix("latency_")
        .and_then(|m| m.strip_suffix("_ms"))
    {
        return format!("{} latency", p.replace("99_9", "99.9"));
    }
    metric.replace('_', " ")
}

/// A value with its unit: `412 ms`, `1.2 %`.
pub fn show(metric: &str, v: f64) -> String {
    if metric.ends_with("_ms") {
        format!("{} ms", round(v, 2))
    } else if metric == "error_rate" {
        format!("{} %", round(v * 100.0, 3))
    } else if metric.ends_with("_rps") {
        format!("{} requests/s", round(v, 2))
    } else {
        format!("{}", round(v, 4))
    }
}
