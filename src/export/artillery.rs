//! Artillery script: `config.phases` from the plan's stages, one weighted scenario per endpoint,
//! per-endpoint metrics, and the SLOs as `ensure` checks under `config.plugins` where 2.0 reads them.
//!
//! The error-rate condition reads `http.response_time.2xx.count` (and `3xx`): Artillery 2.0.21
//! emits a summary per status class and the ensure plugin exposes its `count`. A class that never
//! appeared is an unknown name to the expression language (filtrex), hence `or 0`. Per-endpoint
//! error rates are not enforced: the plugin's counters are `NAME.codes.CODE`, one per status seen,
//! and a counter that does not exist stays in the expression as written, where a name holding a
//! space or `/` is a syntax error.

use super::Input;
use super::common::{self, LimitMetric, num, quote};
use crate::plan::StageKind;

pub fn render(input: &Input) -> String {
    let service = &input.plan.service;
    let file = super::Runner::Artillery.file_name(input.single.then(|| input.scenarios[0].name));
    let report = format!("{}.json", common::result_stem(input, "artillery"));
    let limits = common::whole_run_limits(input);
    let mut hint = vec![format!("Run: artillery run --output {report} {file}")];
    hint.extend(common::para(&format!(
        "Result, named <service>-<scenario>-artillery for perfassist: hand {report} to \
         inbox/{service}/ unrenamed."
    )));
    hint.extend(common::para(
        "Exit code 1 when an ensure check fails. Thresholds compare strictly (p95 < limit). The \
         error-rate condition counts what perfassist counts, requests without a 2xx or 3xx \
         response (ensure's maxErrorRate would count only requests that got no response at all).",
    ));
    let per_endpoint_errors: Vec<String> = limits
        .iter()
        .filter(|l| l.metric == LimitMetric::ErrorRate)
        .filter_map(|l| l.endpoint.as_deref())
        .map(|e| format!("`{e}`"))
        .collect();
    if !per_endpoint_errors.is_empty() {
        hint.extend(common::para(&format!(
            "Error rates of single endpoints ({}) are left to perfassist interpret: an ensure \
             expression cannot count an endpoint's failures when one of its counters is missing \
             from the report.",
            per_endpoint_errors.join(", ")
        )));
    }
    if let Some(t) = input.plan.think_time_ms {
        hint.extend(common::para(&format!(
            "Think time (traffic.think_time_ms = {} ms) is not applied: each phase starts \
             virtual users at the planned rate (an open model) and each makes one request, so a \
             pause would only lengthen its session without changing when requests arrive.",
            num(t)
        )));
    }
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
        out.push_str("      conditions:\n");
        out.push_str("        # The HTTP error rate: requests without a 2xx or 3xx response. An absent summary counts\n        # as 0 (`or 0`); a run without requests divides by nothing and fails the check.\n");
        out.push_str(&format!(
            "        - expression: {}\n          strict: true\n",
            quote(&format!(
                "(http.requests - (http.response_time.2xx.count or 0) - (http.response_time.3xx.count or 0)) / http.requests <= {}",
                num(er)
            ))
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
