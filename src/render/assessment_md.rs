//! An assessment for people: verdict first, then the failing checks, then the rest, as Markdown
//! (pull-request comments, the outbox) or plain text (the terminal).

use std::fmt::Write;

use crate::judge::show_value as show;
use crate::judge::{Assessment, Change, CheckResult, Status, Verdict};

fn verdict_badge(v: Verdict) -> &'static str {
    match v {
        Verdict::Pass => "✅ PASS",
        Verdict::Warn => "⚠️ WARN",
        Verdict::Fail => "❌ FAIL",
        Verdict::Inconclusive => "❔ INCONCLUSIVE",
    }
}

fn ordered(a: &Assessment) -> Vec<&CheckResult> {
    let rank = |s: Status| match s {
        Status::Fail => 0,
        Status::Warn => 1,
        Status::NotEvaluated => 2,
        Status::Pass => 3,
    };
    let mut v: Vec<&CheckResult> = a.checks.iter().collect();
    v.sort_by_key(|c| rank(c.status));
    v
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
    for line in &a.narrative {
        let _ = writeln!(s, "- {line}");
    }
    let _ = writeln!(
        s,
        "\n| Status | Check | Scope | Observed | Objective | Margin |\n|---|---|---|---|---|---|"
    );
    for c in ordered(a) {
        let _ = writeln!(
            s,
            "| {} | `{}` | {} | {} | {} {} | {} |",
            c.status.label(),
            c.metric,
            c.scope,
            observed(c),
            c.comparator.symbol(),
            show(&c.metric, c.threshold),
            margin(c)
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
            "\n**Against the baseline**: {} regression(s), {} improvement(s) (a change counts beyond {} % and the runs' own spread)\n",
            b.regressions,
            b.improvements,
            b.regression_share * 100.0
        );
        if !moved.is_empty() {
            let _ = writeln!(
                s,
                "| Outcome | Metric | Scope | Baseline | This run | Change |\n|---|---|---|---|---|---|"
            );
            for c in moved {
                let _ = writeln!(
                    s,
                    "| {} | `{}` | {} | {} | {} | {} |",
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
                        .unwrap_or_else(|| "—".into())
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
    for line in &a.narrative {
        let _ = writeln!(s, "  {line}");
    }
    let _ = writeln!(s);
    for c in ordered(a) {
        let _ = writeln!(
            s,
            "  [{:<13}] {:<28} {:<22} observed {:<14} objective {} {}{}",
            c.status.label(),
            c.metric,
            c.scope,
            observed(c),
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
