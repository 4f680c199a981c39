//! An assessment as a self-contained HTML report: verdict and story first, then charts (latency
//! against the SLO, error rates, the time series, the plan's load shapes) and the tables.

use std::fmt::Write;

use super::html::{esc, page, table, td, td_class, tdn};
use super::plan_html::{load_shape_chart, profile_peak};
use super::svg::{self, Bar, LIMIT_COLOUR, Level, Mark, Series};
use super::{ReportInput, num};
use crate::judge::{Assessment, Change, CheckResult, Status, metric_name, show_value as show};
use crate::profile::Percentile;
use crate::results::{Bucket, RunResults, Stats};

/// Overall thresholds by metric, from the checks (so the report needs no profile).
fn objective(a: &Assessment, metric: &str, scope: &str) -> Option<f64> {
    a.checks
        .iter()
        .find(|c| c.metric == metric && c.scope == scope)
        .map(|c| c.threshold)
}

fn pct_metric(p: Percentile) -> String {
    format!("latency_{}_ms", p.key().replace('.', "_"))
}

fn latency_bars(a: &Assessment, r: &RunResults) -> Option<String> {
    let bars: Vec<Bar> = Percentile::ALL
        .iter()
        .filter_map(|p| {
            Some(Bar {
                label: p.key().into(),
                value: r.overall.latency_ms.percentile(*p)?,
                limit: objective(a, &pct_metric(*p), "overall"),
                interval: None,
            })
        })
        .collect();
    (!bars.is_empty()).then(|| {
        svg::bar_chart(
            "latency-percentiles",
            "Latency percentiles (whole run) against the SLO",
            "ms",
            &bars,
        )
    })
}

/// Every endpoint's label: the profile's when a check names it, else the runner's.
fn endpoint_scopes(a: &Assessment, r: &RunResults) -> Vec<(String, Stats)> {
    r.endpoints
        .iter()
        .map(|e| {
            let label = a
                .checks
                .iter()
                .map(|c| c.scope.as_str())
                .find(|s| *s == e.name || s.ends_with(&format!(" {}", e.name)))
                .unwrap_or(&e.name)
                .to_string();
            (label, e.stats.clone())
        })
        .collect()
}

fn error_bars(a: &Assessment, r: &RunResults) -> Option<String> {
    let mut bars = Vec::new();
    if let Some(e) = r.overall.error_rate() {
        bars.push(Bar {
            label: "overall".into(),
            value: e * 100.0,
            limit: objective(a, "error_rate", "overall").map(|t| t * 100.0),
            interval: None,
        });
    }
    for (label, st) in endpoint_scopes(a, r) {
        if let Some(e) = st.error_rate() {
            bars.push(Bar {
                limit: objective(a, "error_rate", &label).map(|t| t * 100.0),
                label,
                value: e * 100.0,
                interval: None,
            });
        }
    }
    (!bars.is_empty()).then(|| {
        svg::bar_chart(
            "error-rate",
            "Error rate against the SLO",
            "% of requests",
            &bars,
        )
    })
}

fn endpoint_latency_bars(a: &Assessment, r: &RunResults) -> Option<String> {
    let p = [
        Percentile::P95,
        Percentile::P99,
        Percentile::P90,
        Percentile::P50,
    ]
    .into_iter()
    .find(|p| {
        r.endpoints
            .iter()
            .any(|e| e.stats.latency_ms.percentile(*p).is_some())
    })?;
    let metric = pct_metric(p);
    let bars: Vec<Bar> = endpoint_scopes(a, r)
        .into_iter()
        .filter_map(|(label, st)| {
            Some(Bar {
                value: st.latency_ms.percentile(p)?,
                limit: objective(a, &metric, &label),
                label,
                interval: None,
            })
        })
        .collect();
    (!bars.is_empty()).then(|| {
        svg::bar_chart(
            "endpoint-latency",
            &format!("{} latency by endpoint against its objective", p.key()),
            "ms",
            &bars,
        )
    })
}

/// Every check with an interval, as bars at the observed value with the interval as an error bar
/// and the objective as a tick: latency checks in one chart (ms), error rates in another (%).
fn interval_charts(a: &Assessment) -> Vec<String> {
    let mut out = Vec::new();
    for (id, title, unit, pick, scale) in [
        (
            "check-intervals-latency",
            "Latency checks: observed, interval and objective",
            "ms",
            (|m: &str| m.starts_with("latency_")) as fn(&str) -> bool,
            1.0,
        ),
        (
            "check-intervals-errors",
            "Error-rate checks: observed, interval and objective",
            "% of requests",
            (|m: &str| m == "error_rate") as fn(&str) -> bool,
            100.0,
        ),
    ] {
        let bars: Vec<Bar> = a
            .checks
            .iter()
            .filter(|c| pick(&c.metric) && c.interval.is_some())
            .filter_map(|c| {
                let i = c.interval?;
                Some(Bar {
                    label: format!(
                        "{} {}",
                        c.metric
                            .trim_start_matches("latency_")
                            .trim_end_matches("_ms")
                            .replace("error_rate", "errors"),
                        if c.scope == "overall" { "" } else { &c.scope }
                    )
                    .trim()
                    .to_string(),
                    value: c.observed? * scale,
                    limit: Some(c.threshold * scale),
                    interval: Some((i.lo.map(|v| v * scale), i.hi.map(|v| v * scale))),
                })
            })
            .collect();
        if !bars.is_empty() {
            out.push(svg::bar_chart(id, title, unit, &bars));
        }
    }
    out
}

fn series_of(ts: &[Bucket], f: impl Fn(&Bucket) -> Option<f64>) -> Vec<(f64, f64)> {
    ts.iter()
        .filter_map(|b| f(b).map(|v| (b.offset_s, v)))
        .collect()
}

fn timeseries_charts(a: &Assessment, r: &RunResults, peak: Option<f64>) -> Vec<String> {
    let ts = &r.timeseries;
    if ts.is_empty() {
        return Vec::new();
    }
    let mut out = Vec::new();
    let lat: Vec<Series> = Percentile::ALL
        .iter()
        .map(|p| Series {
            name: p.key().into(),
            points: series_of(ts, |b| b.latency_ms.percentile(*p)),
        })
        .filter(|s| !s.points.is_empty())
        .collect();
    let slo_levels: Vec<Level> = lat
        .iter()
        .filter_map(|s| {
            let p = Percentile::ALL.iter().find(|p| p.key() == s.name)?;
            Some(Level {
                name: format!(
                    "SLO {} {} ms",
                    s.name,
                    num(objective(a, &pct_metric(*p), "overall")?)
                ),
                y: objective(a, &pct_metric(*p), "overall")?,
                colour: LIMIT_COLOUR,
            })
        })
        .collect();
    let knee: Vec<Mark> = a
        .stages
        .as_ref()
        .and_then(|s| s.knee.as_ref())
        .map(|k| Mark {
            name: format!(
                "knee at {} {}",
                num(k.load),
                a.stages.as_ref().map_or("", |s| s.load_unit)
            ),
            x: k.offset_s,
        })
        .into_iter()
        .collect();
    if !lat.is_empty() {
        out.push(svg::line_chart_marked(
            "ts-latency",
            "Latency over the run",
            "seconds",
            "ms",
            &lat,
            &slo_levels,
            &knee,
        ));
    }
    let mut load = Vec::new();
    let rps = series_of(ts, |b| b.throughput_rps);
    if !rps.is_empty() {
        load.push(Series {
            name: "requests/s".into(),
            points: rps,
        });
    }
    let users = series_of(ts, |b| b.users);
    if !users.is_empty() {
        load.push(Series {
            name: "users".into(),
            points: users,
        });
    }
    if !load.is_empty() {
        let levels: Vec<Level> = peak
            .filter(|_| load[0].name == "requests/s")
            .map(|p| Level {
                name: format!("planned peak {} requests/s", num(p)),
                y: p,
                colour: "#6c757d",
            })
            .into_iter()
            .collect();
        out.push(svg::line_chart_marked(
            "ts-load",
            "Load over the run",
            "seconds",
            "load",
            &load,
            &levels,
            &knee,
        ));
    }
    let errors = series_of(ts, |b| b.error_rate.map(|e| e * 100.0));
    if !errors.is_empty() {
        let levels: Vec<Level> = objective(a, "error_rate", "overall")
            .map(|t| Level {
                name: format!("SLO {} %", num(t * 100.0)),
                y: t * 100.0,
                colour: LIMIT_COLOUR,
            })
            .into_iter()
            .collect();
        out.push(svg::line_chart(
            "ts-errors",
            "Error rate over the run",
            "seconds",
            "% of requests",
            &[Series {
                name: "error rate".into(),
                points: errors,
            }],
            &levels,
        ));
    }
    let memory = series_of(ts, |b| b.memory_percent);
    if !memory.is_empty() {
        out.push(svg::line_chart(
            "ts-memory",
            "Memory of the service under test",
            "seconds",
            "% used",
            &[Series {
                name: "memory".into(),
                points: memory,
            }],
            &[],
        ));
    }
    out
}

fn status_cell(s: Status) -> String {
    td_class(&format!("s-{}", s.label().replace(' ', "-")), s.label())
}

fn check_rows(a: &Assessment) -> Vec<Vec<String>> {
    let mut v: Vec<&CheckResult> = a.checks.iter().collect();
    v.sort_by_key(|c| c.status.rank());
    v.iter()
        .map(|c| {
            vec![
                status_cell(c.status),
                td(&metric_name(&c.metric)),
                td(&c.scope),
                tdn(&c.observed.map(|o| show(&c.metric, o)).unwrap_or("—".into())),
                tdn(&crate::render::interval_text(c)),
                tdn(&format!(
                    "{} {}",
                    c.comparator.symbol(),
                    show(&c.metric, c.threshold)
                )),
                tdn(&c
                    .margin_pct
                    .map(|m| format!("{m:+} %"))
                    .unwrap_or("—".into())),
                td(c.note.as_deref().unwrap_or("")),
            ]
        })
        .collect()
}

fn endpoint_rows(a: &Assessment, r: &RunResults) -> Vec<Vec<String>> {
    let opt = |v: Option<f64>, metric: &str| v.map(|v| show(metric, v)).unwrap_or("—".into());
    endpoint_scopes(a, r)
        .into_iter()
        .map(|(label, st)| {
            let worst = a
                .checks
                .iter()
                .filter(|c| c.scope == label)
                .map(|c| c.status)
                .min_by_key(|s| s.rank());
            vec![
                td(&label),
                worst.map(status_cell).unwrap_or_else(|| td("not judged")),
                tdn(&st.requests.map(|n| n.to_string()).unwrap_or("—".into())),
                tdn(&opt(st.error_rate(), "error_rate")),
                tdn(&opt(st.latency_ms.p50, "latency_p50_ms")),
                tdn(&opt(st.latency_ms.p95, "latency_p95_ms")),
                tdn(&opt(st.latency_ms.p99, "latency_p99_ms")),
            ]
        })
        .collect()
}

fn stages_section(b: &mut String, a: &Assessment) {
    let Some(st) = &a.stages else { return };
    let _ = writeln!(
        b,
        "<h2>Stages</h2>\n<ul>\n<li>{} time buckets over {} s (load in {})</li>",
        st.buckets,
        num(st.span_s),
        st.load_unit
    );
    if let Some(m) = st.max_load_within_slo {
        let _ = writeln!(b, "<li>SLO held up to {} {}</li>", num(m), st.load_unit);
    }
    if let Some(k) = &st.knee {
        let _ = writeln!(
            b,
            "<li>Capacity knee: {} crossed its objective at {} {} ({} s in; {}: peak {}, burst {} requests/s)</li>",
            esc(&metric_name(&k.metric)),
            num(k.load),
            st.load_unit,
            num(k.offset_s),
            k.position.label(),
            num(k.peak_rps),
            num(k.burst_rps)
        );
    }
    if let Some(r) = &st.recovery {
        let what = match r.recovery_s {
            Some(t) => format!("back within the SLO {} s after it", num(t)),
            None if r.burst_end_s.is_none() => "the run ended during the burst".into(),
            None => "not back within the SLO before the run ended".into(),
        };
        let _ = writeln!(
            b,
            "<li>Burst from {} s at up to {} requests/s: {}</li>",
            num(r.burst_start_s),
            num(r.burst_load),
            esc(&what)
        );
    }
    if let Some(d) = &st.drift {
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
        let _ = writeln!(
            b,
            "<li>Drift over {} h at steady load: {}</li>",
            num(d.span_h),
            esc(&parts.join(", "))
        );
    }
    b.push_str("</ul>\n");
}

fn baseline_section(b: &mut String, a: &Assessment) {
    let Some(base) = &a.baseline else { return };
    let _ = writeln!(
        b,
        "<h2>Against the baseline</h2>\n<p>{} regression(s), {} improvement(s); a change counts beyond {} % and its floor, and only if significant at {} % confidence where the samples allow a test.</p>",
        base.regressions,
        base.improvements,
        num(base.regression_share * 100.0),
        num(a.confidence * 100.0)
    );
    let rows: Vec<Vec<String>> = base
        .comparisons
        .iter()
        .map(|c| {
            let outcome = match c.outcome {
                Change::Regression => td_class("s-fail", "regression"),
                Change::Improvement => td_class("s-pass", "improvement"),
                Change::Unchanged => td("unchanged"),
            };
            vec![
                outcome,
                td(&metric_name(&c.metric)),
                td(&c.scope),
                tdn(&show(&c.metric, c.baseline)),
                tdn(&show(&c.metric, c.current)),
                tdn(&c
                    .change_pct
                    .map(|p| format!("{p:+} %"))
                    .unwrap_or("—".into())),
                tdn(&c.noise.map(|n| show(&c.metric, n)).unwrap_or("—".into())),
                td(&c
                    .confidence_text()
                    .map(|t| format!("{t} ({})", c.method.label()))
                    .unwrap_or("—".into())),
            ]
        })
        .collect();
    table(
        b,
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
        &rows,
    );
}

/// What was run: totals, then planned against achieved for each stage of the scenario.
fn run_section(b: &mut String, a: &Assessment) {
    let r = &a.run;
    let scenario = a
        .scenario
        .as_ref()
        .map(|s| {
            let scale = if s.time_scale < 1.0 {
                format!(", time scale {}", num(s.time_scale))
            } else {
                String::new()
            };
            format!(
                "scenario <code>{}</code> ({}{scale})",
                esc(&s.name),
                esc(&s.from)
            )
        })
        .unwrap_or_else(|| "the whole profile (no scenario)".into());
    let opt = |v: Option<u64>| v.map_or("—".into(), |n| n.to_string());
    let _ = writeln!(
        b,
        "<p id=\"run\">Judged as {scenario}: {}.</p>",
        esc(&super::run_facts(a).join(", "))
    );
    if !r.status_codes.is_empty() {
        let codes: Vec<String> = r
            .status_codes
            .iter()
            .map(|(c, n)| format!("{} × {n}", esc(c)))
            .collect();
        let _ = writeln!(b, "<p>Status codes: {}</p>", codes.join(", "));
    }
    if !r.stages.is_empty() {
        let rows: Vec<Vec<String>> = r
            .stages
            .iter()
            .map(|s| {
                vec![
                    td(&s.name),
                    tdn(&num(s.planned_start_s)),
                    tdn(&num(s.planned_duration_s)),
                    tdn(&num(s.planned_rps)),
                    if s.reached {
                        tdn(&s.achieved_rps.map_or("—".into(), num))
                    } else {
                        td_class("s-inconclusive", "not reached")
                    },
                    tdn(&opt(s.requests)),
                    tdn(&opt(s.errors)),
                    tdn(&s.p95_ms.map_or("—".into(), |v| show("latency_p95_ms", v))),
                ]
            })
            .collect();
        table(
            b,
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
            &rows,
        );
    }
    for n in &a.notes {
        let _ = writeln!(b, "<p class=\"note\">{}</p>", esc(n));
    }
}

pub fn report_html(input: &ReportInput) -> String {
    let a = input.assessment;
    let r = input.results;
    let mut b = String::new();
    let _ = writeln!(
        b,
        "<h1><span class=\"badge {}\" id=\"verdict\">{}</span> {}</h1>",
        a.verdict.label(),
        a.verdict.label().to_uppercase(),
        esc(&a.service)
    );
    run_section(&mut b, a);
    b.push_str("<ul id=\"narrative\">\n");
    for line in &a.narrative {
        let _ = writeln!(b, "<li>{}</li>", esc(line));
    }
    b.push_str("</ul>\n");
    if !a.inconclusive_reasons.is_empty() {
        b.push_str("<p><strong>Why inconclusive:</strong></p>\n<ul>\n");
        for reason in &a.inconclusive_reasons {
            let _ = writeln!(b, "<li>{}</li>", esc(reason));
        }
        b.push_str("</ul>\n");
    }
    if let Some(h) = input.evidence_hash {
        let _ = writeln!(
            b,
            "<p id=\"evidence\">Evidence record: <code>{}</code></p>",
            esc(h)
        );
    }
    let peak = input.plan.map(profile_peak);
    let charts: Vec<String> = interval_charts(a)
        .into_iter()
        .chain(
            [
                latency_bars(a, r),
                error_bars(a, r),
                endpoint_latency_bars(a, r),
            ]
            .into_iter()
            .flatten(),
        )
        .chain(timeseries_charts(a, r, peak))
        .collect();
    if !charts.is_empty() {
        b.push_str("<h2>Charts</h2>\n<div class=\"charts\">\n");
        for c in charts {
            b.push_str(&c);
            b.push('\n');
        }
        b.push_str("</div>\n");
    }
    b.push_str("<h2>Checks</h2>\n");
    table(
        &mut b,
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
        &check_rows(a),
    );
    if !r.endpoints.is_empty() {
        b.push_str("<h2>Endpoints</h2>\n");
        table(
            &mut b,
            &[
                "Endpoint",
                "Status",
                "Requests",
                "Error rate",
                "p50",
                "p95",
                "p99",
            ],
            &endpoint_rows(a, r),
        );
    }
    stages_section(&mut b, a);
    baseline_section(&mut b, a);
    if !a.issues.is_empty() {
        b.push_str("<h2>Findings</h2>\n<ul>\n");
        for i in &a.issues {
            let _ = writeln!(
                b,
                "<li><strong>{:?}</strong> <code>{}</code>: {}</li>",
                i.severity,
                esc(&i.kind),
                esc(&i.message)
            );
        }
        b.push_str("</ul>\n");
    }
    if let Some(p) = input.plan {
        b.push_str("<h2>Planned load</h2>\n<div class=\"charts\">\n");
        let peak = profile_peak(p);
        for sc in &p.scenarios {
            b.push_str(&load_shape_chart(sc, peak));
            b.push('\n');
        }
        b.push_str("</div>\n");
    }
    let _ = writeln!(
        b,
        "<footer>{} · results format <code>{}</code>{}</footer>",
        esc(a.schema),
        esc(&a.results_format),
        r.duration_s
            .map(|d| format!(" · run of {} s", num(d)))
            .unwrap_or_default()
    );
    page(&format!("{} — {}", a.service, a.verdict.label()), &b)
}
