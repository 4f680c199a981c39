//! JMeter's HTML-dashboard `statistics.json` (JMeter 5.1+): one entry per transaction label plus
//! `Total`, with `errorPct` as a 0–100 percentage and `pct1..3ResTime` as p90/p95/p99 by default.

use serde_json::{Map, Value};

use super::json_fields::{Ctx, note_missing_percentiles};
use super::model::{EndpointResults, RunResults, Stats};
use crate::diag::Diagnostic;

pub(crate) fn detect(map: &Map<String, Value>) -> bool {
    map.get("Total")
        .and_then(Value::as_object)
        .is_some_and(|t| t.contains_key("sampleCount") && t.contains_key("transaction"))
}

pub(crate) fn read(ctx: &mut Ctx, doc: &Value) -> RunResults {
    let mut r = RunResults::new("jmeter-dashboard-statistics");
    let empty = Map::new();
    let map = doc.as_object().unwrap_or(&empty);
    for (label, entry) in map {
        let Some(obj) = ctx.object(Some(entry), label) else {
            continue;
        };
        let stats = stats_of(ctx, obj, label);
        if label == "Total" {
            r.overall = stats;
        } else {
            r.endpoints.push(EndpointResults {
                name: label.clone(),
                method: None,
                stats,
            });
        }
    }
    if let (Some(n), Some(rps)) = (r.overall.requests, r.overall.throughput_rps)
        && rps > 0.0
    {
        // The dashboard's throughput is samples over the run's length, so this recovers it.
        r.duration_s = Some(n as f64 / rps);
    }
    r.notes.push(
        "JMeter pct1/pct2/pct3ResTime read as p90/p95/p99 (the defaults of aggregate_rpt_pct1..3 in jmeter.properties)".into(),
    );
    note_missing_percentiles(&mut r, "");
    r
}

fn stats_of(ctx: &mut Ctx, o: &Map<String, Value>, label: &str) -> Stats {
    let requests = ctx.count(o.get("sampleCount"), &format!("{label}.sampleCount"));
    let errors = ctx.count(o.get("errorCount"), &format!("{label}.errorCount"));
    let mut get = |k: &str| ctx.num(o.get(k), &format!("{label}.{k}"));
    let error_pct = get("errorPct");
    let mut st = Stats {
        requests,
        errors,
        throughput_rps: get("throughput"),
        ..Stats::default()
    };
    if requests.is_some_and(|n| n > 0) {
        let lat = &mut st.latency_ms;
        lat.mean = get("meanResTime");
        lat.p50 = get("medianResTime");
        lat.min = get("minResTime");
        lat.max = get("maxResTime");
        lat.p90 = get("pct1ResTime");
        lat.p95 = get("pct2ResTime");
        lat.p99 = get("pct3ResTime");
    }
    match error_pct {
        Some(p) if p > 100.0 => ctx.error(
            Diagnostic::error(
                format!("{label}.errorPct"),
                "must be a percentage between 0 and 100",
            )
            .value(p),
        ),
        // The counts give the exact rate; the percentage is the fallback.
        Some(p) if st.errors.is_none() => st.error_rate = Some(p / 100.0),
        _ => {}
    }
    st
}
