//! A plan as a self-contained HTML page: the load shape of each scenario as a chart, beside its
//! stages, checks and abort conditions.

use std::fmt::Write;

use super::html::{esc, page, table, td, tdn};
use super::num;
use super::svg::{self, Level, Series};
use crate::plan::{Plan, Scenario, StageKind};
use crate::units::format_duration;

/// The planned request rate over time: one point at each stage boundary.
pub fn load_shape(sc: &Scenario) -> (Series, &'static str) {
    // Long scenarios read better in minutes.
    let (scale, unit) = if sc.total_duration_s >= 600 {
        (60.0, "minutes")
    } else {
        (1.0, "seconds")
    };
    let mut points = Vec::new();
    for (st, at) in sc.stages.iter().zip(sc.stage_offsets()) {
        let start = match st.kind {
            StageKind::Ramp => st.start_rps,
            StageKind::Hold => st.target_rps,
        };
        points.push((at as f64 / scale, start));
        points.push(((at + st.duration_s) as f64 / scale, st.target_rps));
    }
    (
        Series {
            name: "planned requests/s".into(),
            points,
        },
        unit,
    )
}

pub fn load_shape_chart(sc: &Scenario, peak_rps: f64) -> String {
    let (series, unit) = load_shape(sc);
    // A smoke test at a few requests/s would be a flat line under a peak drawn to scale.
    let levels: Vec<Level> = (sc.peak_rps >= 0.25 * peak_rps)
        .then(|| Level {
            name: format!("profile peak {} requests/s", num(peak_rps)),
            y: peak_rps,
            colour: "#6c757d",
        })
        .into_iter()
        .collect();
    svg::line_chart(
        &format!("plan-{}", sc.name),
        &format!("Scenario {}: planned load", sc.name),
        unit,
        "requests/s",
        &[series],
        &levels,
    )
}

/// The profile's peak as the plan states it: the steady scenario's peak, else the highest.
pub fn profile_peak(p: &Plan) -> f64 {
    p.scenarios
        .iter()
        .find(|s| s.name == "steady")
        .or_else(|| {
            p.scenarios
                .iter()
                .max_by(|a, b| a.peak_rps.total_cmp(&b.peak_rps))
        })
        .map_or(0.0, |s| s.peak_rps)
}

pub fn plan_html(p: &Plan) -> String {
    let mut b = String::new();
    let _ = writeln!(b, "<h1>Load test plan: {}</h1>", esc(&p.service));
    if let Some(ds) = &p.data_safety {
        let _ = writeln!(b, "<p class=\"badge fail\">{}</p>", esc(&ds.warning));
    }
    if let Some(sum) = &p.summary {
        let _ = writeln!(b, "<p>{}</p>", esc(sum));
    }
    let slo: Vec<String> = p
        .slo
        .latency_ms
        .iter()
        .map(|(k, v)| format!("{} ≤ {} ms", k.key(), num(v)))
        .chain(
            p.slo
                .error_rate
                .map(|e| format!("error rate ≤ {} %", num(e * 100.0))),
        )
        .collect();
    let _ = writeln!(
        b,
        "<p>SLOs: {}<br>Target: {}<br>Profile digest: <code>{}</code></p>",
        esc(&slo.join(", ")),
        esc(p.target.as_deref().unwrap_or("not set")),
        esc(&p.profile_digest)
    );
    let _ = writeln!(b, "<h2>Load shapes</h2>\n<div class=\"charts\">");
    let peak = profile_peak(p);
    for sc in &p.scenarios {
        b.push_str(&load_shape_chart(sc, peak));
        b.push('\n');
    }
    b.push_str("</div>\n");
    for sc in &p.scenarios {
        let _ = writeln!(
            b,
            "<h2>Scenario {} ({}, peak {} requests/s)</h2>\n<p>{}</p>",
            esc(sc.name),
            esc(&format_duration(sc.total_duration_s)),
            num(sc.peak_rps),
            esc(&sc.purpose)
        );
        let rows: Vec<Vec<String>> = sc
            .stages
            .iter()
            .zip(sc.stage_offsets())
            .map(|(st, at)| {
                vec![
                    td(&st.name),
                    td(&format_duration(at)),
                    td(&format_duration(st.duration_s)),
                    tdn(&match st.kind {
                        StageKind::Hold => format!("hold {}", num(st.target_rps)),
                        StageKind::Ramp => {
                            format!("ramp {} → {}", num(st.start_rps), num(st.target_rps))
                        }
                    }),
                ]
            })
            .collect();
        table(
            &mut b,
            &["Stage", "Starts at", "Duration", "Load (requests/s)"],
            &rows,
        );
        let checks: Vec<Vec<String>> = sc
            .checks
            .iter()
            .map(|c| {
                vec![
                    td(&c.metric),
                    td(c.endpoint.as_deref().unwrap_or("overall")),
                    tdn(&format!("{} {}", c.comparator.symbol(), num(c.threshold))),
                    td(&c.stages.join(", ")),
                ]
            })
            .collect();
        table(&mut b, &["Check", "Scope", "Objective", "During"], &checks);
        if !sc.abort_conditions.is_empty() {
            b.push_str("<p>Stop the test if:</p>\n<ul>\n");
            for a in &sc.abort_conditions {
                let _ = writeln!(
                    b,
                    "<li><code>{}</code> {} {} for {} s: {}</li>",
                    esc(&a.metric),
                    esc(a.comparator.symbol()),
                    num(a.threshold),
                    a.sustained_s,
                    esc(&a.reason)
                );
            }
            b.push_str("</ul>\n");
        }
    }
    let _ = writeln!(
        b,
        "<footer>{} · generated by {}</footer>",
        esc(p.schema),
        esc(&p.generator)
    );
    page(&format!("Load test plan: {}", p.service), &b)
}
