//! An assessment as a self-contained HTML report: verdict and story first, then charts (latency
//! against the SLO, error rates, the time series, the plan's load shapes; see `report_charts`)
//! and the tables.

use maud::{Markup, html};

use super::html::{Text, page, table, td, td_class, tdn};
use super::plan_html::{load_shape_chart, profile_peak};
use super::report_charts::{endpoint_scopes, report_charts};
use super::svg::Chart;
use super::{ReportInput, num};
use crate::judge::{Assessment, Change, CheckResult, Status, metric_name, show_value as show};
use crate::results::RunResults;

fn status_cell(s: Status) -> Markup {
    td_class(&format!("s-{}", s.label().replace(' ', "-")), s.label())
}

fn checks_table(a: &Assessment) -> Markup {
    let mut v: Vec<&CheckResult> = a.checks.iter().collect();
    v.sort_by_key(|c| c.status.rank());
    let rows = v.into_iter().map(|c| {
        html! {
            (status_cell(c.status))
            (td(&metric_name(&c.metric)))
            (td(&c.scope))
            (tdn(&c.observed.map(|o| show(&c.metric, o)).unwrap_or("—".into())))
            (tdn(&crate::render::interval_text(c)))
            (tdn(&format!("{} {}", c.comparator.symbol(), show(&c.metric, c.threshold))))
            (tdn(&c.margin_pct.map(|m| format!("{m:+} %")).unwrap_or("—".into())))
            (td(c.note.as_deref().unwrap_or("")))
        }
    });
    table(
        &[
            "Status",
            "Metric",
            "Scope",
            "Observed",
            "Interval",
            "Objective",
            "Margin",
            "Note",
        ],
        rows,
    )
}

fn endpoints_table(a: &Assessment, r: &RunResults) -> Markup {
    let opt = |v: Option<f64>, metric: &str| v.map(|v| show(metric, v)).unwrap_or("—".into());
    let rows = endpoint_scopes(a, r).into_iter().map(|(label, st)| {
        let worst = a
            .checks
            .iter()
            .filter(|c| c.scope == label)
            .map(|c| c.status)
            .min_by_key(|s| s.rank());
        html! {
            (td(&label))
            (worst.map(status_cell).unwrap_or_else(|| td("not judged")))
            (tdn(&st.requests.map(|n| n.to_string()).unwrap_or("—".into())))
            (tdn(&opt(st.error_rate(), "error_rate")))
            (tdn(&opt(st.latency_ms.p50, "latency_p50_ms")))
            (tdn(&opt(st.latency_ms.p95, "latency_p95_ms")))
            (tdn(&opt(st.latency_ms.p99, "latency_p99_ms")))
        }
    });
    table(
        &[
            "Endpoint",
            "Status",
            "Requests",
            "Error rate",
            "p50",
            "p95",
            "p99",
        ],
        rows,
    )
}

fn stages_section(a: &Assessment) -> Markup {
    let Some(st) = &a.stages else {
        return html! {};
    };
    let recovery = st.recovery.as_ref().map(|r| {
        let what = match r.recovery_s {
            Some(t) => format!("back within the SLO {} s after it", num(t)),
            None if r.burst_end_s.is_none() => "the run ended during the burst".into(),
            None => "not back within the SLO before the run ended".into(),
        };
        (r, what)
    });
    let drift = st.drift.as_ref().map(|d| {
        let part = |v: Option<f64>, unit: &str| v.map(|v| format!("{} {unit}", num(v)));
        let parts: Vec<String> = [
            part(
                d.latency_ms_per_h,
                &format!("ms/h {}", metric_name(&d.latency_metric)),
            ),
            part(d.error_rate_per_h.map(|e| e * 100.0), "error-rate points/h"),
            part(d.memory_points_per_h, "memory points/h"),
        ]
        .into_iter()
        .flatten()
        .collect();
        (d, parts.join(", "))
    });
    html! {
        h2 { "Stages" } "\n"
        ul {
            "\n"
            li {
                (st.buckets) " time buckets over " (num(st.span_s)) " s (load in "
                (Text(st.load_unit)) ")"
            }
            "\n"
            @if let Some(m) = st.max_load_within_slo {
                li { "SLO held up to " (num(m)) " " (Text(st.load_unit)) } "\n"
            }
            @if let Some(k) = &st.knee {
                li {
                    "Capacity knee: " (Text(metric_name(&k.metric))) " crossed its objective at "
                    (num(k.load)) " " (Text(st.load_unit)) " (" (num(k.offset_s)) " s in; "
                    (Text(k.position.label())) ": peak " (num(k.peak_rps)) ", burst "
                    (num(k.burst_rps)) " requests/s)"
                }
                "\n"
            }
            @if let Some((r, what)) = &recovery {
                li {
                    "Burst from " (num(r.burst_start_s)) " s at up to " (num(r.burst_load))
                    " requests/s: " (Text(what))
                }
                "\n"
            }
            @if let Some((d, parts)) = &drift {
                li { "Drift over " (num(d.span_h)) " h at steady load: " (Text(parts)) } "\n"
            }
        }
        "\n"
    }
}

fn baseline_section(a: &Assessment) -> Markup {
    let Some(base) = &a.baseline else {
        return html! {};
    };
    let rows = base.comparisons.iter().map(|c| {
        let outcome = match c.outcome {
            Change::Regression => td_class("s-fail", "regression"),
            Change::Improvement => td_class("s-pass", "improvement"),
            Change::Unchanged => td("unchanged"),
        };
        html! {
            (outcome)
            (td(&metric_name(&c.metric)))
            (td(&c.scope))
            (tdn(&show(&c.metric, c.baseline)))
            (tdn(&show(&c.metric, c.current)))
            (tdn(&c.change_pct.map(|p| format!("{p:+} %")).unwrap_or("—".into())))
            (tdn(&c.noise.map(|n| show(&c.metric, n)).unwrap_or("—".into())))
            (td(&c
                .confidence_text()
                .map(|t| format!("{t} ({})", c.method.label()))
                .unwrap_or("—".into())))
        }
    });
    html! {
        h2 { "Against the baseline" } "\n"
        p {
            (base.regressions) " regression(s), " (base.improvements)
            " improvement(s); a change counts beyond " (num(base.regression_share * 100.0))
            " % and its floor, and only if significant at " (num(a.confidence * 100.0))
            " % confidence where the samples allow a test."
        }
        "\n"
        (table(
            &[
                "Outcome",
                "Metric",
                "Scope",
                "Baseline",
                "This run",
                "Change",
                "Spread explains",
                "Confidence",
            ],
            rows,
        ))
    }
}

/// What was run: totals, then planned against achieved for each stage of the scenario.
fn run_section(a: &Assessment) -> Markup {
    let r = &a.run;
    let opt = |v: Option<u64>| v.map_or("—".into(), |n| n.to_string());
    let stages = r.stages.iter().map(|s| {
        html! {
            (td(&s.name))
            (tdn(&num(s.planned_start_s)))
            (tdn(&num(s.planned_duration_s)))
            (tdn(&num(s.planned_rps)))
            @if s.reached {
                (tdn(&s.achieved_rps.map_or("—".into(), num)))
            } @else {
                (td_class("s-inconclusive", "not reached"))
            }
            (tdn(&opt(s.requests)))
            (tdn(&opt(s.errors)))
            (tdn(&s.p95_ms.map_or("—".into(), |v| show("latency_p95_ms", v))))
        }
    });
    html! {
        p id="run" {
            "Judged as "
            @if let Some(s) = &a.scenario {
                "scenario " code { (Text(&s.name)) } " (" (Text(&s.from))
                @if s.time_scale < 1.0 {
                    ", time scale " (num(s.time_scale))
                }
                ")"
            } @else {
                "the whole profile (no scenario)"
            }
            ": " (Text(super::run_facts(a).join(", "))) "."
        }
        "\n"
        @if !r.status_codes.is_empty() {
            p {
                "Status codes: "
                @for (i, (c, n)) in r.status_codes.iter().enumerate() {
                    @if i > 0 { ", " }
                    (Text(c)) " × " (n)
                }
            }
            "\n"
        }
        @if !r.stages.is_empty() {
            (table(
                &[
                    "Stage",
                    "Starts (s)",
                    "Lasts (s)",
                    "Planned requests/s",
                    "Achieved requests/s",
                    "Requests",
                    "Failures",
                    "p95",
                ],
                stages,
            ))
        }
        @for n in &a.notes {
            p class="note" { (Text(n)) } "\n"
        }
    }
}

/// The story in words: the narrative, why the verdict is inconclusive, and the evidence record.
fn story(a: &Assessment, evidence_hash: Option<&str>) -> Markup {
    html! {
        ul id="narrative" {
            "\n"
            @for line in &a.narrative {
                li { (Text(line)) } "\n"
            }
        }
        "\n"
        @if !a.inconclusive_reasons.is_empty() {
            p { strong { "Why inconclusive:" } } "\n"
            ul {
                "\n"
                @for reason in &a.inconclusive_reasons {
                    li { (Text(reason)) } "\n"
                }
            }
            "\n"
        }
        @if let Some(h) = evidence_hash {
            p id="evidence" { "Evidence record: " code { (Text(h)) } } "\n"
        }
    }
}

/// A heading over a row of charts; nothing when there are none.
fn chart_row(heading: &str, charts: Vec<Chart>) -> Markup {
    html! {
        @if !charts.is_empty() {
            h2 { (Text(heading)) } "\n"
            div.charts {
                "\n"
                @for c in charts {
                    (c) "\n"
                }
            }
            "\n"
        }
    }
}

pub fn report_html(input: &ReportInput) -> String {
    let a = input.assessment;
    let r = input.results;
    let planned: Vec<Chart> = input
        .plan
        .map(|p| {
            let peak = profile_peak(p);
            p.scenarios
                .iter()
                .map(|sc| load_shape_chart(sc, peak))
                .collect()
        })
        .unwrap_or_default();
    let body = html! {
        h1 {
            span class={ "badge " (Text(a.verdict.label())) } id="verdict" {
                (Text(a.verdict.label().to_uppercase()))
            }
            " " (Text(&a.service))
        }
        "\n"
        (run_section(a))
        (story(a, input.evidence_hash))
        (chart_row("Charts", report_charts(input)))
        h2 { "Checks" } "\n"
        (checks_table(a))
        @if !r.endpoints.is_empty() {
            h2 { "Endpoints" } "\n"
            (endpoints_table(a, r))
        }
        (stages_section(a))
        (baseline_section(a))
        @if !a.issues.is_empty() {
            h2 { "Findings" } "\n"
            ul {
                "\n"
                @for i in &a.issues {
                    li {
                        strong { (Text(format!("{:?}", i.severity))) } " "
                        code { (Text(&i.kind)) } ": " (Text(&i.message))
                    }
                    "\n"
                }
            }
            "\n"
        }
        @if input.plan.is_some() {
            h2 { "Planned load" } "\n"
            div.charts {
                "\n"
                @for c in planned {
                    (c) "\n"
                }
            }
            "\n"
        }
        footer {
            (Text(a.schema)) " · results format " code { (Text(&a.results_format)) }
            @if let Some(d) = r.duration_s {
                " · run of " (num(d)) " s"
            }
        }
        "\n"
    };
    page(&format!("{} — {}", a.service, a.verdict.label()), body)
}
