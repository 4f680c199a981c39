//! Taurus (bzt) config: one execution per plan stage, started at the stage's offset with `delay`,
//! a request list in the endpoint mix, and `passfail` criteria from the SLOs and abort conditions.

use super::Input;
use super::common::{self, LimitMetric, num, quote};
use crate::plan::{Comparator, PlannedEndpoint, Stage, StageKind};

/// Most request slots one iteration's list gets; the mix is apportioned over them.
const MAX_SLOTS: u64 = 20;

pub fn render(input: &Input) -> String {
    let service = &input.plan.service;
    let file = super::Runner::Taurus.file_name(input.single.then(|| input.scenarios[0].name));
    let hint = vec![
        format!("Run: bzt {file}   (JMeter by default; set executor: gatling to use Gatling)"),
        "Each plan stage is one execution started at its offset (delay); throughput is requests/s."
            .to_string(),
        "Ramps up are a hold at the start rate plus a ramp from zero; ramps down are held at their"
            .to_string(),
        "mean rate (Taurus ramps only upwards), so each stage sends the planned number of requests."
            .to_string(),
        "Exit code 3 when a pass/fail criterion fails.".to_string(),
    ];
    let mut out = common::comment_block(&common::header(input, "Taurus", &hint, true), "#");
    if input.target_is_placeholder {
        // bzt has no hook to refuse a run; the criterion below fails it at the first second.
        out.push_str("# The placeholder target fails every request; the run stops at once.\n");
    }
    out.push_str("execution:\n");
    let mut t = 0;
    for s in &input.scenarios {
        for st in &s.stages {
            for (rate, ramp) in pieces(st) {
                execution(
                    &mut out,
                    input,
                    service,
                    &format!("{}/{}", s.name, st.name),
                    t,
                    st,
                    rate,
                    ramp,
                );
            }
            t += st.duration_s;
        }
    }
    out.push_str("scenarios:\n");
    out.push_str(&format!("  {}:\n", quote(service)));
    out.push_str(&format!("    default-address: {}\n", quote(&input.target)));
    out.push_str("    requests:\n");
    for e in slots(&input.plan.endpoints) {
        out.push_str(&format!(
            "      - url: {}\n        method: {}\n        label: {}\n",
            quote(&e.path),
            e.method,
            quote(&common::request_name(e))
        ));
    }
    out.push_str("reporting:\n  - module: final-stats\n  - module: passfail\n    criteria:\n");
    for l in common::whole_run_limits(input) {
        let (subject, threshold) = match l.metric {
            LimitMetric::Latency(p) => (format!("p{}", num(p)), format!("{}ms", num(l.threshold))),
            LimitMetric::ErrorRate => (
                "fail".to_string(),
                format!("{}%", num((l.threshold * 100.0 * 1e6).round() / 1e6)),
            ),
        };
        out.push_str(&format!("      - subject: {subject}\n"));
        if let Some(e) = &l.endpoint {
            out.push_str(&format!("        label: {}\n", quote(e)));
        }
        out.push_str(&format!(
            "        condition: '>'\n        threshold: {threshold}\n        stop: false\n        fail: true\n"
        ));
    }
    // Criteria cannot be scoped to one scenario's time, so a file of several scenarios keeps, per
    // metric, the most lenient abort: it still stops a collapsing run without stopping a stress
    // step that is meant to overload.
    let mut merged: Vec<(String, Comparator, f64, u64)> = Vec::new();
    for s in &input.scenarios {
        for a in &s.abort_conditions {
            match merged.iter_mut().find(|m| m.0 == a.metric) {
                Some(m) => {
                    m.2 = m.2.max(a.threshold);
                    m.3 = m.3.max(a.sustained_s);
                }
                None => merged.push((a.metric.clone(), a.comparator, a.threshold, a.sustained_s)),
            }
        }
    }
    let mut aborts: Vec<String> = Vec::new();
    for (metric, comparator, level, sustained) in merged {
        let (subject, threshold) = if metric == "error_rate" {
            (
                "fail".to_string(),
                format!("{}%", num((level * 100.0 * 1e6).round() / 1e6)),
            )
        } else if let Some(p) = common::latency_percentile(&metric) {
            (format!("p{}", num(p)), format!("{}ms", num(level)))
        } else {
            continue;
        };
        let cond = match comparator {
            Comparator::AtLeast => ">=",
            Comparator::AtMost => "<=",
        };
        aborts.push(format!(
            "      - subject: {subject}\n        condition: '{cond}'\n        threshold: {threshold}\n        logic: for\n        timeframe: {sustained}s\n        stop: true\n        fail: true\n"
        ));
    }
    for b in aborts {
        out.push_str(&b);
    }
    if input.target_is_placeholder {
        out.push_str("      - subject: fail\n        condition: '>'\n        threshold: 0%\n        logic: for\n        timeframe: 1s\n        stop: true\n        fail: true\n");
    }
    out
}

/// A stage as Taurus load pieces run side by side: (requests/s, ramps up from zero?).
fn pieces(st: &Stage) -> Vec<(f64, bool)> {
    match st.kind {
        StageKind::Ramp if st.target_rps > st.start_rps => {
            let mut v = Vec::new();
            if st.start_rps > 0.0 {
                v.push((st.start_rps, false));
            }
            v.push((st.target_rps - st.start_rps, true));
            v
        }
        StageKind::Ramp => vec![((st.start_rps + st.target_rps) / 2.0, false)],
        StageKind::Hold => vec![(st.target_rps, false)],
    }
    .into_iter()
    .filter(|(r, _)| *r > 0.0)
    .collect()
}

#[allow(clippy::too_many_arguments)]
fn execution(
    out: &mut String,
    input: &Input,
    service: &str,
    label: &str,
    delay: u64,
    st: &Stage,
    rate: f64,
    ramp: bool,
) {
    let rate = (rate * 100.0).round() / 100.0;
    out.push_str(&format!("  - executor: jmeter  # {label}\n"));
    out.push_str(&format!("    scenario: {}\n", quote(service)));
    out.push_str(&format!("    delay: {delay}s\n"));
    out.push_str(&format!(
        "    concurrency: {}\n",
        input.sizing.workers(rate)
    ));
    if ramp {
        out.push_str(&format!(
            "    ramp-up: {}s\n    hold-for: 0s\n",
            st.duration_s
        ));
    } else {
        out.push_str(&format!("    hold-for: {}s\n", st.duration_s));
    }
    out.push_str(&format!("    throughput: {}\n", num(rate)));
}

/// The request list of one iteration: each endpoint repeated in proportion to its weight, over at
/// most `MAX_SLOTS` slots (largest remainder), each endpoint at least once.
fn slots(endpoints: &[PlannedEndpoint]) -> Vec<&PlannedEndpoint> {
    let w = common::int_weights(endpoints);
    let total: u64 = w.iter().sum();
    let counts: Vec<u64> = if total <= MAX_SLOTS {
        w
    } else {
        let quotas: Vec<f64> = endpoints
            .iter()
            .map(|e| e.share * MAX_SLOTS as f64)
            .collect();
        let mut c: Vec<u64> = quotas.iter().map(|q| (q.floor() as u64).max(1)).collect();
        let mut order: Vec<usize> = (0..endpoints.len()).collect();
        order.sort_by(|a, b| {
            (quotas[*b] - quotas[*b].floor()).total_cmp(&(quotas[*a] - quotas[*a].floor()))
        });
        let mut left = MAX_SLOTS.saturating_sub(c.iter().sum());
        for i in order {
            if left == 0 {
                break;
            }
            c[i] += 1;
            left -= 1;
        }
        c
    };
    endpoints
        .iter()
        .zip(counts)
        .flat_map(|(e, n)| std::iter::repeat_n(e, n as usize))
        .collect()
}
