//! The short story of a run that people read first: the verdict, then what failed and by how much,
//! then what is close to failing, then the issues worth a look.

use super::{Assessment, CheckResult, IssueSeverity, Status, Verdict};
use crate::profile::ServiceProfile;
use crate::units::round;

pub fn write(a: &Assessment, p: &ServiceProfile) -> Vec<String> {
    let mut out = Vec::new();
    let evaluated = a.checks.len() - a.counts.not_evaluated;
    let of = a
        .scenario
        .as_ref()
        .map(|s| format!(" of the {} scenario", s.name))
        .unwrap_or_default();
    let conf = round(a.confidence * 100.0, 1);
    out.push(match a.verdict {
        Verdict::Pass => format!(
            "{} meets all {}{of}, each at {conf} % confidence.",
            p.service,
            plural(evaluated, "evaluated check")
        ),
        Verdict::Warn => format!(
            "{} meets its objectives{of}, but {} worth a look before release.",
            p.service,
            match findings(a) {
                1 => "there is 1 finding".to_string(),
                n => format!("there are {n} findings"),
            }
        ),
        Verdict::Fail => format!(
            "{} FAILS {} of {}{of}.",
            p.service,
            a.counts.fail,
            plural(evaluated, "evaluated check")
        ),
        Verdict::Inconclusive => format!(
            "The run is INCONCLUSIVE for {}{of}: it cannot show whether the objectives hold.",
            p.service
        ),
    });
    if let Some(line) = run_line(a) {
        out.push(line);
    }
    for c in a.checks.iter().filter(|c| c.status == Status::Fail) {
        if let Some(o) = c.observed {
            out.push(format!(
                "{}: {} is {}{} against an objective of {} {}{}.",
                c.scope,
                metric_name(&c.metric),
                show(&c.metric, o),
                interval_text(c),
                bound_word(c),
                show(&c.metric, c.threshold),
                over(c)
            ));
        }
    }
    for c in a.checks.iter().filter(|c| c.status == Status::Inconclusive) {
        let obs = c
            .observed
            .map(|o| format!(" is {}{}, but", show(&c.metric, o), interval_text(c)))
            .unwrap_or_default();
        let why = c.note.as_deref().unwrap_or("it could not be decided");
        out.push(format!(
            "{}: {}{obs} undecided against its objective of {} {}: {why}.",
            c.scope,
            metric_name(&c.metric),
            bound_word(c),
            show(&c.metric, c.threshold)
        ));
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
        let Some(o) = c.observed else { continue };
        let inside = c.margin.is_some_and(|m| m >= 0.0);
        let undecided = c.note.as_deref().is_some_and(|n| n.contains("undecided"));
        let head = format!(
            "{}: {} is {}{}",
            c.scope,
            metric_name(&c.metric),
            show(&c.metric, o),
            interval_text(c)
        );
        let objective = format!("{} {}", bound_word(c), show(&c.metric, c.threshold));
        let note = c.note.as_deref();
        out.push(if undecided {
            format!(
                "{head}, undecided against its objective of {objective} ({}).",
                note.unwrap_or_default()
            )
        } else if inside {
            let margin = c.margin_pct.map_or(0.0, |m| round(m, 1));
            format!("{head}, within {margin} % of its objective of {objective}.")
        } else {
            let why = note.map(|n| format!(" ({n})")).unwrap_or_default();
            format!("{head}, short of its objective of {objective}{why}.")
        });
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
    if a.scenario.is_none()
        && let Some(st) = &a.stages
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
            "After the burst (up to {} requests/s) the service was back within its SLO {t} s after the spike ended.",
            r.burst_load
        ));
    }
    for i in a.issues.iter().filter(|i| i.kind.starts_with("capacity")) {
        out.push(capitalise(&i.message) + ".");
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
    let not_evaluated: Vec<&CheckResult> = a
        .checks
        .iter()
        .filter(|c| c.status == Status::NotEvaluated)
        .collect();
    if !not_evaluated.is_empty() {
        let mut reasons: Vec<&str> = not_evaluated
            .iter()
            .filter_map(|c| c.note.as_deref())
            .collect();
        reasons.sort_unstable();
        reasons.dedup();
        out.push(format!(
            "{} not evaluated: {}.",
            match not_evaluated.len() {
                1 => "1 check was".to_string(),
                n => format!("{n} checks were"),
            },
            if reasons.is_empty() {
                "the results do not report the metric".to_string()
            } else {
                reasons.join("; ")
            }
        ));
    }
    out
}

/// Requests, failures, duration and rate, and each stage's achieved rate against the plan.
fn run_line(a: &Assessment) -> Option<String> {
    let r = &a.run;
    let n = r.requests?;
    let mut line = format!("{n} requests");
    if let Some(d) = r.duration_s {
        line.push_str(&format!(" over {} s", round(d, 1)));
    }
    if let Some(t) = r.throughput_rps {
        line.push_str(&format!(" ({} requests/s)", round(t, 2)));
    }
    if let Some(f) = r.failures {
        line.push_str(&format!(
            ", {f} failed ({} %)",
            round(f as f64 / (n.max(1)) as f64 * 100.0, 3)
        ));
    }
    let stages: Vec<String> = r
        .stages
        .iter()
        .filter(|s| s.reached)
        .filter_map(|s| {
            s.achieved_rps.map(|a| {
                format!(
                    "{} {} of {} planned",
                    s.name,
                    round(a, 2),
                    round(s.planned_rps, 2)
                )
            })
        })
        .collect();
    if !stages.is_empty() {
        line.push_str(&format!("; requests/s by stage: {}", stages.join(", ")));
    }
    Some(line + ".")
}

/// ` (95 % interval 12.1–14.8 ms)`, or nothing without an interval.
fn interval_text(c: &CheckResult) -> String {
    let Some(i) = &c.interval else {
        return String::new();
    };
    let side = |v: Option<f64>, open: &str| v.map_or(open.to_string(), |v| show(&c.metric, v));
    format!(
        " ({} % interval {} to {})",
        round(i.confidence * 100.0, 1),
        side(i.lo, "unbounded"),
        side(i.hi, "unbounded")
    )
}

fn bound_word(c: &CheckResult) -> &'static str {
    match c.comparator {
        crate::plan::Comparator::AtMost => "at most",
        crate::plan::Comparator::AtLeast => "at least",
    }
}

/// ` (12.3 % over)` for a check over its objective.
fn over(c: &CheckResult) -> String {
    match (c.observed, c.threshold) {
        (Some(o), t) if t > 0.0 && o > t => format!(" ({} % over)", round((o - t) / t * 100.0, 1)),
        (Some(o), t) if t > 0.0 && o < t => format!(" ({} % under)", round((t - o) / t * 100.0, 1)),
        _ => String::new(),
    }
}

/// Warning checks, warning findings and objectives not reported: what a warn verdict rests on.
fn findings(a: &Assessment) -> usize {
    a.counts.warn + warning_issues(a)
}

fn warning_issues(a: &Assessment) -> usize {
    a.issues
        .iter()
        .filter(|i| i.severity == IssueSeverity::Warning)
        .count()
}

pub(super) fn plural(n: usize, word: &str) -> String {
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
