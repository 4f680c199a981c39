//! An assessment for people: verdict first, then the failing checks, then the rest, as Markdown
//! (pull-request comments, the outbox) or plain text (the terminal).

use std::fmt::Write;

use crate::judge::show_value as show;
use crate::judge::{Assessment, Change, CheckResult, StageSummary, Verdict};

use super::{interval_text, num};

fn verdict_badge(v: Verdict) -> &'static str {
    match v {
        Verdict::Pass => "✅ PASS",
        Verdict::Warn => "⚠️ WARN",
        Verdict::Fail => "❌ FAIL",
        Verdict::Inconclusive => "❔ INCONCLUSIVE",
    }
}

fn ordered(a: &Assessment) -> Vec<&CheckResult> {
    let mut v: Vec<&CheckResult> = a.checks.iter().collect();
    v.sort_by_key(|c| c.status.rank());
    v
}

fn count(n: Option<u64>) -> String {
    n.map_or("—".into(), |n| n.to_string())
}

/// What the run was judged as; `quote` wraps the scenario's name (a backtick in Markdown).
fn judged_as(a: &Assessment, quote: &str) -> String {
    match &a.scenario {
        Some(sc) if sc.time_scale < 1.0 => format!(
            "scenario {quote}{}{quote} ({}, time scale {})",
            sc.name,
            sc.from,
            num(sc.time_scale)
        ),
        Some(sc) => format!("scenario {quote}{}{quote} ({})", sc.name, sc.from),
        None => "the whole profile (no scenario)".into(),
    }
}

/// The scenario line and the run's totals, then planned against achieved per stage.
fn run_markdown(s: &mut String, a: &Assessment) {
    let r = &a.run;
    let judged = judged_as(a, "`");
    let _ = writeln!(
        s,
        "**Run**: judged as {judged} · {}\n",
        super::run_facts(a).join(" · ")
    );
    if let Some(codes) = super::status_code_counts(a, "`") {
        let _ = writeln!(s, "Status codes: {}\n", codes);
    }
    if !r.stages.is_empty() {
        let _ = writeln!(
            s,
            "| Stage | Planned requests/s | Achieved requests/s | Requests | Failures | p95 |\n|---|---|---|---|---|---|"
        );
        for st in &r.stages {
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} | {} | {} |",
                st.name,
                num(st.planned_rps),
                achieved(st),
                count(st.requests),
                count(st.errors),
                st.p95_ms.map_or("—".into(), |v| show("latency_p95_ms", v))
            );
        }
        let _ = writeln!(s);
    }
    for n in &a.notes {
        let _ = writeln!(s, "> {n}\n");
    }
}

fn run_text(s: &mut String, a: &Assessment) {
    let r = &a.run;
    let judged = judged_as(a, "");
    let _ = writeln!(
        s,
        "  run: judged as {judged}; {}",
        super::run_facts(a).join(", ")
    );
    if let Some(codes) = super::status_code_counts(a, "") {
        let _ = writeln!(s, "  status codes: {codes}");
    }
    for st in &r.stages {
        let _ = writeln!(
            s,
            "  stage {:<18} planned {:>8} requests/s, achieved {:>8}  requests {:>8}  failures {:>6}",
            st.name,
            num(st.planned_rps),
            achieved(st),
            count(st.requests),
            count(st.errors)
        );
    }
    for n in &a.notes {
        let _ = writeln!(s, "  note: {n}");
    }
}

/// A stage's achieved rate, or why there is none.
fn achieved(st: &StageSummary) -> String {
    if st.reached {
        st.achieved_rps.map_or("—".into(), num)
    } else {
        "not reached".into()
    }
}

fn observed(c: &CheckResult) -> String {
    c.observed
        .map(|o| show(&c.metric, o))
        .unwrap_or_else(|| "—".into())
}

fn margin(c: &CheckResult) -> String {
    c.margin_pct
        .map(|m| format!("{m:+} %"))
        .unwrap_or_else(|| "—".into())
}

pub fn assessment_markdown(a: &Assessment) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "## {} — {}\n", verdict_badge(a.verdict), a.service);
    run_markdown(&mut s, a);
    for line in &a.narrative {
        let _ = writeln!(s, "- {line}");
    }
    let _ = writeln!(
        s,
        "\n| Status | Check | Scope | Observed | Interval | Objective | Margin | Requests |\n|---|---|---|---|---|---|---|---|"
    );
    for c in ordered(a) {
        let _ = writeln!(
            s,
            "| {} | `{}` | {} | {} | {} | {} {} | {} | {} |",
            c.status.label(),
            c.metric,
            c.scope,
            observed(c),
            interval_text(c),
            c.comparator.symbol(),
            show(&c.metric, c.threshold),
            margin(c),
            count(c.requests)
        );
    }
    if let Some(b) = &a.baseline {
        let moved: Vec<_> = b
            .comparisons
            .iter()
            .filter(|c| c.outcome != Change::Unchanged)
            .collect();
        let _ = writeln!(
            s,
            "\n**Against the baseline**: {} regression(s), {} improvement(s) (a change counts beyond {} % and its floor, and only if significant at {} % confidence where the samples allow a test)\n",
            b.regressions,
            b.improvements,
            b.regression_share * 100.0,
            num(a.confidence * 100.0)
        );
        if !moved.is_empty() {
            let _ = writeln!(
                s,
                "| Outcome | Metric | Scope | Baseline | This run | Change | Confidence |\n|---|---|---|---|---|---|---|"
            );
            for c in moved {
                let _ = writeln!(
                    s,
                    "| {} | `{}` | {} | {} | {} | {} | {} |",
                    if c.outcome == Change::Regression {
                        "regression"
                    } else {
                        "improvement"
                    },
                    c.metric,
                    c.scope,
                    show(&c.metric, c.baseline),
                    show(&c.metric, c.current),
                    c.change_pct
                        .map(|p| format!("{p:+} %"))
                        .unwrap_or_else(|| "—".into()),
                    confidence(c)
                );
            }
        }
    }
    if !a.issues.is_empty() {
        let _ = writeln!(s, "\n**Findings**\n");
        for i in &a.issues {
            let _ = writeln!(s, "- *{:?}* `{}`: {}", i.severity, i.kind, i.message);
        }
    }
    let _ = writeln!(
        s,
        "\n<sub>{} · results format `{}`</sub>",
        a.schema, a.results_format
    );
    s
}

pub fn assessment_text(a: &Assessment) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "{}: {}", a.service, a.verdict.label().to_uppercase());
    run_text(&mut s, a);
    for line in &a.narrative {
        let _ = writeln!(s, "  {line}");
    }
    let _ = writeln!(s);
    for c in ordered(a) {
        let _ = writeln!(
            s,
            "  [{:<13}] {:<28} {:<22} observed {:<14} interval {:<26} objective {} {}{}",
            c.status.label(),
            c.metric,
            c.scope,
            observed(c),
            interval_text(c),
            c.comparator.symbol(),
            show(&c.metric, c.threshold),
            c.note
                .as_deref()
                .map(|n| format!("  ({n})"))
                .unwrap_or_default()
        );
    }
    if !a.issues.is_empty() {
        let _ = writeln!(s);
        for i in &a.issues {
            let _ = writeln!(s, "  {:?}: {}", i.severity, i.message);
        }
    }
    s
}

/// A baseline comparison's confidence with its test, `—` when no test could be run.
fn confidence(c: &crate::judge::Comparison) -> String {
    c.confidence_text()
        .map(|t| format!("{t} ({})", c.method.label()))
        .unwrap_or_else(|| "—".into())
}
