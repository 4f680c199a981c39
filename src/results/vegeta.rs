//! Vegeta's `vegeta report -type=json`: latencies and durations in nanoseconds, `success` as a
//! 0–1 ratio of responses with a status code in [200, 400), status codes and error strings.

use serde_json::{Map, Value};

use super::json_fields::{Ctx, note_missing_percentiles};
use super::model::{Latency, RunResults};

const NS_PER_MS: f64 = 1_000_000.0;

pub(crate) fn detect(map: &Map<String, Value>) -> bool {
    map.get("latencies")
        .is_some_and(|l| l.get("50th").is_some())
        && (map.contains_key("status_codes") || map.contains_key("requests"))
}

pub(crate) fn read(ctx: &mut Ctx, doc: &Value) -> RunResults {
    let mut r = RunResults::new("vegeta-report-json");
    let empty = Map::new();
    let map = doc.as_object().unwrap_or(&empty);
    let requests = ctx.count(map.get("requests"), "requests");
    r.overall.requests = requests;
    // `rate` is the request rate sent; `throughput` counts only successful requests.
    r.overall.throughput_rps = ctx.num(map.get("rate"), "rate");
    r.duration_s = ctx.num(map.get("duration"), "duration").map(|ns| ns / 1e9);
    if let Some(lat) = ctx.object(map.get("latencies"), "latencies") {
        let mut ms = |key: &str| {
            ctx.num(lat.get(key), &format!("latencies.{key}"))
                .map(|ns| ns / NS_PER_MS)
        };
        let latency = Latency {
            mean: ms("mean"),
            min: ms("min"),
            p50: ms("50th"),
            p90: ms("90th"),
            p95: ms("95th"),
            p99: ms("99th"),
            p999: None,
            max: ms("max"),
        };
        // An attack with no results reports zeros everywhere: that is no data, not 0 ms.
        if requests != Some(0) {
            r.overall.latency_ms = latency;
        }
    }
    if let Some(codes) = ctx.object(map.get("status_codes"), "status_codes") {
        for (code, n) in codes {
            if let Some(n) = ctx.count(Some(n), &format!("status_codes.{code}")) {
                r.overall.status_codes.insert(code.clone(), n);
            }
        }
    }
    let success = ctx.ratio(map.get("success"), "success");
    // Vegeta's success is the share of responses with a code in [200, 400); code 0 means the
    // request failed before a response. Counting the other codes gives the exact number.
    let bad: u64 = r
        .overall
        .status_codes
        .iter()
        .filter(|(code, _)| !code.parse::<u16>().is_ok_and(|c| (200..400).contains(&c)))
        .fold(0u64, |acc, (_, n)| acc.saturating_add(*n));
    r.overall.errors = if !r.overall.status_codes.is_empty() {
        Some(bad)
    } else {
        success
            .zip(requests)
            .map(|(s, n)| ((1.0 - s) * n as f64).round() as u64)
    };
    // The count-based rate avoids `1 - success` float noise; an empty attack has no rate.
    r.overall.error_rate = match (r.overall.errors, requests) {
        (_, Some(0)) => None,
        (Some(e), Some(n)) => Some(e as f64 / n as f64),
        _ => success.map(|s| 1.0 - s),
    };
    if let Some(errors) = ctx.array(map.get("errors"), "errors") {
        let texts: Vec<&str> = errors.iter().filter_map(Value::as_str).take(5).collect();
        if !texts.is_empty() {
            r.notes
                .push(format!("Vegeta reported errors: {}", texts.join("; ")));
        }
    }
    note_missing_percentiles(&mut r, "");
    r
}
