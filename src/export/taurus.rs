//! Taurus (bzt) config: one `locust` execution running perfassist's locustfile of the same
//! scenarios (the load shape, pacing and think time live there), `passfail` criteria from the SLOs
//! and abort conditions, and the results written under names perfassist recognises.
//!
//! Taurus' own Locust script (from `requests`) names requests by URL and waits nothing between
//! them, and its `concurrency`/`ramp-up`/`hold-for` are one ramp and one hold per execution, which
//! is why the shape is delegated to perfassist's locustfile. Taurus numbers a kpi file whose name
//! is taken (`kpi-1.jtl`), so each run gets its own artifacts folder. A combined file keeps the
//! most lenient abort per metric: it still stops a collapsing run, but not a stress step that is
//! meant to overload.

use super::Input;
use super::common::{self, LimitMetric, num, quote};
use crate::plan::Comparator;

/// Seconds Taurus lets the locustfile run past the plan's end before it stops the users: the
/// shape ends the run at the plan's end, and this only guards against a run that does not stop.
const GRACE_S: u64 = 30;

pub fn render(input: &Input) -> String {
    let service = &input.plan.service;
    let scenario = input.single.then(|| input.scenarios[0].name);
    let file = super::Runner::Taurus.file_name(scenario);
    let locustfile = super::Runner::Locust.file_name(scenario);
    let stem = common::result_stem(input, "taurus");
    let stats = format!("{stem}-stats.xml");
    let mut hint = vec![format!("Run: bzt {file}")];
    hint.extend(common::para(&format!(
        "It runs {locustfile}, perfassist's Locust export of the same plan, which must sit \
         beside it. Exit code 3 when a pass/fail criterion fails."
    )));
    hint.extend(common::para(&format!(
        "Results, named <service>-<scenario>-taurus for perfassist: hand {stats} (final-stats) \
         to inbox/{service}/ unrenamed, or give perfassist the artifacts folder \
         {stem}-<date>-<time>/, whose kpi*.jtl hold every request and so the per-stage time \
         series (perfassist interpret --metrics FOLDER)."
    )));
    hint.extend(common::para(
        "Executor: locust only. The load shape (stages, open-model pacing, think time) lives in \
         the locustfile, which Taurus runs as this scenario's script: Taurus' own concurrency, \
         ramp-up and throughput settings cannot give a Locust run a multi-stage shape, so they \
         are not used. JMeter, Gatling and the other executors cannot run a locustfile: Taurus \
         stops with an error rather than run another load. Labels are the locustfile's request \
         names, as the criteria below use them.",
    ));
    let mut out = common::comment_block(&common::header(input, "Taurus", &hint, true), "#");
    if input.target_is_placeholder {
        // bzt has no hook to refuse a run; the locustfile refuses the placeholder at start-up.
        out.push_str("# The locustfile refuses the placeholder target; the last criterion fails the run too.\n");
    }
    let total: u64 = input.scenarios.iter().map(|s| s.total_duration_s).sum();
    out.push_str("settings:\n");
    out.push_str(&format!(
        "  # A new folder per run (kpi.jtl, the Locust log, the effective config), named for perfassist.\n  artifacts-dir: {}\n",
        quote(&format!("{stem}-%Y%m%d-%H%M%S"))
    ));
    out.push_str("execution:\n");
    out.push_str("  - executor: locust\n");
    out.push_str(&format!("    scenario: {}\n", quote(&stem)));
    out.push_str(&format!(
        "    # The plan's {total} s plus {GRACE_S} s: the locustfile's shape ends the run on time.\n    hold-for: {}s\n",
        total + GRACE_S
    ));
    out.push_str("scenarios:\n");
    out.push_str(&format!("  {}:\n", quote(&stem)));
    out.push_str(&format!("    script: {}\n", quote(&locustfile)));
    out.push_str(&format!("    default-address: {}\n", quote(&input.target)));
    out.push_str(&format!(
        "reporting:\n  - module: final-stats\n    dump-xml: {}\n  - module: passfail\n    criteria:\n",
        quote(&stats)
    ));
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
