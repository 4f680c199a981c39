//! Artillery script: `config.phases` from the plan's stages, one weighted scenario per endpoint,
//! per-endpoint metrics, and the SLOs as `ensure` checks under `config.plugins` where 2.0 reads them.

use super::Input;
use super::common::{self, LimitMetric, num, quote};
use crate::plan::StageKind;

pub fn render(input: &Input) -> String {
    let service = &input.plan.service;
    let file = super::Runner::Artillery.file_name(input.single.then(|| input.scenarios[0].name));
    let hint = vec![
        format!("Run: artillery run --output {service}-artillery.json {file}"),
        format!("  then drop {service}-artillery.json into the perfassist inbox."),
        "Exit code 1 when an ensure check fails. Artillery compares strictly (p95 < limit), and"
            .to_string(),
        "maxErrorRate counts virtual users that got no response (timeouts, refused connections),"
            .to_string(),
        "not HTTP 4xx/5xx responses: perfassist interpret judges those from the report."
            .to_string(),
    ];
    let mut out = common::comment_block(&common::header(input, "Artillery", &hint, true), "#");
    out.push_str("config:\n");
    out.push_str(&format!("  target: {}\n", quote(&input.target)));
    out.push_str("  phases:\n");
    for s in &input.scenarios {
        for st in &s.stages {
            let name = quote(&format!("{}/{}", s.name, st.name));
            if st.duration_s == 0 {
                continue;
            }
            let whole = |r: f64| r.fract() == 0.0;
            match st.kind {
                StageKind::Ramp if st.start_rps != st.target_rps => {
                    // Artillery takes whole arrivals per second; a fractional ramp end is rounded.
                    let note = if whole(st.start_rps) && whole(st.target_rps) {
                        ""
                    } else {
                        "  # rounded from the plan: Artillery rates are whole numbers"
                    };
                    out.push_str(&format!(
                        "    - name: {name}\n      duration: {}\n      arrivalRate: {}\n      rampTo: {}{note}\n",
                        st.duration_s,
                        num(st.start_rps.round()),
                        num(st.target_rps.round())
                    ))
                }
                _ if !whole(st.target_rps) => out.push_str(&format!(
                    // A fractional rate is given as the stage's total arrivals, spread evenly.
                    "    - name: {name}\n      duration: {}\n      arrivalCount: {}  # {} per second\n",
                    st.duration_s,
                    num((st.target_rps * st.duration_s as f64).round()),
                    num(st.target_rps)
                )),
                _ => out.push_str(&format!(
                    "    - name: {name}\n      duration: {}\n      arrivalRate: {}\n",
                    st.duration_s,
                    num(st.target_rps)
                )),
            }
        }
    }
    out.push_str("  plugins:\n");
    out.push_str("    metrics-by-endpoint:\n      useOnlyRequestNames: true\n");
    out.push_str("    ensure:\n");
    let limits = common::whole_run_limits(input);
    let mut error_rate = None;
    let mut thresholds = Vec::new();
    for l in &limits {
        match l.metric {
            LimitMetric::ErrorRate if l.endpoint.is_none() => error_rate = Some(l.threshold),
            LimitMetric::ErrorRate => {}
            LimitMetric::Latency(p) => {
                let agg = aggregation(p);
                let Some(agg) = agg else { continue };
                let metric = match &l.endpoint {
                    None => format!("http.response_time.{agg}"),
                    Some(e) => format!("plugins.metrics-by-endpoint.response_time.{e}.{agg}"),
                };
                thresholds.push(format!(
                    "        - {}: {}\n",
                    quote(&metric),
                    num(l.threshold)
                ));
            }
        }
    }
    if !thresholds.is_empty() {
        out.push_str("      thresholds:\n");
        for t in thresholds {
            out.push_str(&t);
        }
    }
    if let Some(er) = error_rate {
        // ensure takes a percentage.
        out.push_str(&format!(
            "      maxErrorRate: {}\n",
            num((er * 100.0 * 1e6).round() / 1e6)
        ));
    }
    out.push_str("scenarios:\n");
    let weights = common::int_weights(&input.plan.endpoints);
    for (e, w) in input.plan.endpoints.iter().zip(weights) {
        let name = quote(&common::request_name(e));
        out.push_str(&format!(
            "  - name: {name}\n    weight: {w}\n    flow:\n      - {}:\n          url: {}\n          name: {name}\n",
            e.method.to_ascii_lowercase(),
            quote(&e.path)
        ));
    }
    out
}

/// Artillery's summary aggregations (`p50`, `p90`, `p95`, `p99`, `p999`); other percentiles are
/// not reported, so they are left to `perfassist interpret`.
fn aggregation(p: f64) -> Option<&'static str> {
    [
        (50.0, "p50"),
        (75.0, "p75"),
        (90.0, "p90"),
        (95.0, "p95"),
        (99.0, "p99"),
        (99.9, "p999"),
    ]
    .iter()
    .find(|(v, _)| (*v - p).abs() < 1e-9)
    .map(|(_, a)| *a)
}
