//! Artillery's `artillery run --output report.json`: the v2 report (counters, rates, summaries,
//! `intermediate` periods, metrics-by-endpoint plugin) and the legacy 1.x shape.
//! An error is a request that got no response (an `errors.*` counter) or a response >= 400.

use serde_json::{Map, Value};

use super::json_fields::{Ctx, join, note_missing_percentiles};
use super::model::{Bucket, EndpointResults, Latency, RunResults, Stats};

const BY_ENDPOINT: &str = "plugins.metrics-by-endpoint.";

pub(crate) fn detect(map: &Map<String, Value>) -> bool {
    let Some(Value::Object(agg)) = map.get("aggregate") else {
        return false;
    };
    agg.contains_key("counters")
        || agg.contains_key("summaries")
        || agg.contains_key("requestsCompleted")
        || agg.contains_key("scenariosCreated")
}

pub(crate) fn read(ctx: &mut Ctx, doc: &Value) -> RunResults {
    let empty = Map::new();
    let agg = ctx
        .object(doc.get("aggregate"), "aggregate")
        .unwrap_or(&empty);
    if agg.contains_key("counters") || agg.contains_key("summaries") {
        read_v2(ctx, doc, agg)
    } else {
        read_v1(ctx, agg)
    }
}

/// Counts of one period (or the whole run): requests, errors and status codes.
struct Counts {
    requests: Option<u64>,
    errors: u64,
    codes: std::collections::BTreeMap<String, u64>,
    vusers_failed: Option<u64>,
}

fn counts(ctx: &mut Ctx, counters: &Map<String, Value>, path: &str) -> Counts {
    let mut c = Counts {
        requests: None,
        errors: 0,
        codes: Default::default(),
        vusers_failed: None,
    };
    for (k, v) in counters {
        let p = join(path, k);
        if k == "http.requests" {
            c.requests = ctx.count(Some(v), &p);
        } else if k == "vusers.failed" {
            c.vusers_failed = ctx.count(Some(v), &p);
        } else if let Some(code) = k.strip_prefix("http.codes.") {
            if let Some(n) = ctx.count(Some(v), &p) {
                c.codes.insert(code.to_string(), n);
            }
        } else if k.starts_with("errors.") {
            c.errors = c.errors.saturating_add(ctx.count(Some(v), &p).unwrap_or(0));
        }
    }
    c.errors = c.errors.saturating_add(failing_codes(&c.codes));
    c
}

/// Responses whose status code is 400 or above: failures for k6, Vegeta, Locust and JMeter
/// alike, so an error-rate SLO means the same whatever runner produced the file.
fn failing_codes(codes: &std::collections::BTreeMap<String, u64>) -> u64 {
    codes
        .iter()
        .filter(|(c, _)| c.parse::<u16>().is_ok_and(|c| c >= 400))
        .fold(0u64, |acc, (_, n)| acc.saturating_add(*n))
}

fn summary(ctx: &mut Ctx, s: &Map<String, Value>, path: &str) -> Latency {
    let mut get = |k: &str| ctx.num(s.get(k), &join(path, k));
    let p50 = get("p50");
    let median = get("median");
    Latency {
        mean: get("mean"),
        min: get("min"),
        p50: p50.or(median),
        p90: get("p90"),
        p95: get("p95"),
        p99: get("p99"),
        p999: get("p999"),
        max: get("max"),
    }
}

fn summaries<'v>(
    ctx: &mut Ctx,
    period: &'v Map<String, Value>,
    path: &str,
) -> Option<(&'v Map<String, Value>, String)> {
    // `histograms` repeats `summaries`; older 2.x reports may carry only one of them.
    for key in ["summaries", "histograms"] {
        let p = join(path, key);
        if let Some(s) = ctx.object(period.get(key), &p) {
            return Some((s, p));
        }
    }
    None
}

fn read_v2(ctx: &mut Ctx, doc: &Value, agg: &Map<String, Value>) -> RunResults {
    let mut r = RunResults::new("artillery-report-json");
    let empty = Map::new();
    let counters = ctx
        .object(agg.get("counters"), "aggregate.counters")
        .unwrap_or(&empty);
    let c = counts(ctx, counters, "aggregate.counters");
    r.overall.requests = c.requests.or(Some(0));
    r.overall.errors = Some(c.errors.min(c.requests.unwrap_or(u64::MAX)));
    r.overall.status_codes = c.codes;
    if let Some(f) = c.vusers_failed.filter(|f| *f > 0) {
        r.notes.push(format!(
            "{f} Artillery virtual users failed (what Artillery's own ensure.maxErrorRate counts)"
        ));
    }
    let first = ctx.num(agg.get("firstMetricAt"), "aggregate.firstMetricAt");
    let last = ctx.num(agg.get("lastMetricAt"), "aggregate.lastMetricAt");
    if let (Some(a), Some(b)) = (first, last)
        && b >= a
    {
        r.duration_s = Some((b - a) / 1000.0);
    }
    // The aggregate's `http.request_rate` is a mean of the periods' rates, so a short last
    // period drags it down (a real 2.0.21 run: 20/s reported for 39/s delivered). The request
    // count over the run's length is the rate that was delivered; the reported one is a fallback.
    let rate = ctx
        .object(agg.get("rates"), "aggregate.rates")
        .and_then(|rates| {
            ctx.num(
                rates.get("http.request_rate"),
                "aggregate.rates.http.request_rate",
            )
        });
    r.overall.throughput_rps = match (r.overall.requests, r.duration_s) {
        (Some(n), Some(d)) if d > 0.0 => Some(n as f64 / d),
        _ => rate,
    };
    let sums = summaries(ctx, agg, "aggregate");
    if let Some((s, p)) = &sums
        && let Some(rt) = ctx.object(s.get("http.response_time"), &join(p, "http.response_time"))
    {
        r.overall.latency_ms = summary(ctx, rt, &join(p, "http.response_time"));
    }
    r.endpoints = endpoints(ctx, counters, sums);
    if !r.endpoints.is_empty() {
        r.notes.push(
            "Artillery's per-endpoint latencies (metrics-by-endpoint plugin) are times to first byte"
                .into(),
        );
    }
    if let Some(list) = ctx.array(doc.get("intermediate"), "intermediate") {
        r.timeseries = buckets(ctx, list);
    }
    note_missing_percentiles(&mut r, "");
    r
}

/// Per-endpoint stats from the metrics-by-endpoint plugin. Its latency is time to first byte.
fn endpoints(
    ctx: &mut Ctx,
    counters: &Map<String, Value>,
    sums: Option<(&Map<String, Value>, String)>,
) -> Vec<EndpointResults> {
    let mut out: Vec<EndpointResults> = Vec::new();
    let mut codes: Vec<std::collections::BTreeMap<String, u64>> = Vec::new();
    let slot = |out: &mut Vec<EndpointResults>, codes: &mut Vec<_>, raw: &str| -> usize {
        let name = endpoint_name(raw);
        match out.iter().position(|e| e.name == name) {
            Some(i) => i,
            None => {
                out.push(EndpointResults {
                    name,
                    method: None,
                    stats: Stats {
                        requests: Some(0),
                        errors: Some(0),
                        ..Stats::default()
                    },
                });
                codes.push(Default::default());
                out.len() - 1
            }
        }
    };
    for (k, v) in counters {
        let Some(rest) = k.strip_prefix(BY_ENDPOINT) else {
            continue;
        };
        let p = format!("aggregate.counters.{k}");
        if let Some(i) = rest.rfind(".codes.") {
            let (name, code) = (&rest[..i], &rest[i + ".codes.".len()..]);
            let n = ctx.count(Some(v), &p).unwrap_or(0);
            let e = slot(&mut out, &mut codes, name);
            let slot = codes[e].entry(code.to_string()).or_insert(0);
            *slot = slot.saturating_add(n);
        } else if let Some(i) = rest.find(".errors.") {
            let n = ctx.count(Some(v), &p).unwrap_or(0);
            let e = slot(&mut out, &mut codes, &rest[..i]);
            let st = &mut out[e].stats;
            st.requests = Some(st.requests.unwrap_or(0).saturating_add(n));
            st.errors = Some(st.errors.unwrap_or(0).saturating_add(n));
        }
    }
    for (e, c) in out.iter_mut().zip(codes) {
        let responses = c.values().fold(0u64, |acc, n| acc.saturating_add(*n));
        e.stats.requests = Some(e.stats.requests.unwrap_or(0).saturating_add(responses));
        e.stats.errors = Some(
            e.stats
                .errors
                .unwrap_or(0)
                .saturating_add(failing_codes(&c)),
        );
        e.stats.status_codes = c;
    }
    if let Some((s, p)) = sums {
        let prefix = format!("{BY_ENDPOINT}response_time.");
        for (k, v) in s {
            let Some(raw) = k.strip_prefix(&prefix) else {
                continue;
            };
            let path = join(&p, k);
            let Some(obj) = ctx.object(Some(v), &path) else {
                continue;
            };
            let lat = summary(ctx, obj, &path);
            let count = ctx.count(obj.get("count"), &join(&path, "count"));
            let e = slot(&mut out, &mut Vec::new(), raw);
            let st = &mut out[e].stats;
            st.latency_ms = lat;
            // An endpoint seen only in the summaries: its response count is all there is.
            if st.requests == Some(0) {
                st.requests = count;
            }
        }
    }
    out
}

/// The plugin names an endpoint `path` or `path (request name)`; the path is what matches a
/// profile's endpoint, so it is kept.
fn endpoint_name(raw: &str) -> String {
    match raw.rfind(" (") {
        Some(i) if raw.ends_with(')') && raw.starts_with('/') => raw[..i].to_string(),
        _ => raw.to_string(),
    }
}

fn buckets(ctx: &mut Ctx, list: &[Value]) -> Vec<Bucket> {
    let mut rows = Vec::new();
    for (i, item) in list.iter().enumerate() {
        let path = format!("intermediate[{i}]");
        let Some(period) = ctx.object(Some(item), &path) else {
            continue;
        };
        // `period` is an epoch-ms number in the aggregate and a string in intermediate periods.
        let start = match period.get("period") {
            Some(Value::String(s)) => s.trim().parse::<f64>().ok(),
            other => ctx.num(other, &join(&path, "period")),
        }
        .or_else(|| period.get("firstMetricAt").and_then(Value::as_f64));
        let empty = Map::new();
        let counters = ctx
            .object(period.get("counters"), &join(&path, "counters"))
            .unwrap_or(&empty);
        let c = counts(ctx, counters, &join(&path, "counters"));
        let rate = ctx
            .object(period.get("rates"), &join(&path, "rates"))
            .and_then(|r| {
                ctx.num(
                    r.get("http.request_rate"),
                    &join(&path, "rates.http.request_rate"),
                )
            });
        let mut latency = Latency::default();
        if let Some((s, p)) = summaries(ctx, period, &path)
            && let Some(rt) =
                ctx.object(s.get("http.response_time"), &join(&p, "http.response_time"))
        {
            latency = summary(ctx, rt, &join(&p, "http.response_time"));
        }
        let error_rate = match c.requests {
            Some(n) if n > 0 => Some(c.errors.min(n) as f64 / n as f64),
            _ => None,
        };
        rows.push((
            start,
            Bucket {
                offset_s: 0.0,
                throughput_rps: rate,
                error_rate,
                latency_ms: latency,
                users: None,
                memory_percent: None,
            },
        ));
    }
    let base = rows
        .iter()
        .filter_map(|(s, _)| *s)
        .fold(f64::INFINITY, f64::min);
    rows.into_iter()
        .map(|(start, mut b)| {
            if let Some(s) = start
                && base.is_finite()
            {
                b.offset_s = (s - base) / 1000.0;
            }
            b
        })
        .collect()
}

/// Artillery 1.x (and 2.x with `legacyReporting`): `requestsCompleted`, `latency`, `rps`,
/// `errors` and `codes` under `aggregate`.
fn read_v1(ctx: &mut Ctx, agg: &Map<String, Value>) -> RunResults {
    let mut r = RunResults::new("artillery-legacy-report-json");
    let completed = ctx.count(agg.get("requestsCompleted"), "aggregate.requestsCompleted");
    let mut no_response: u64 = 0;
    if let Some(errors) = ctx.object(agg.get("errors"), "aggregate.errors") {
        for (k, v) in errors {
            let n = ctx.count(Some(v), &format!("aggregate.errors.{k}"));
            no_response = no_response.saturating_add(n.unwrap_or(0));
        }
    }
    if let Some(codes) = ctx.object(agg.get("codes"), "aggregate.codes") {
        for (k, v) in codes {
            if let Some(n) = ctx.count(Some(v), &format!("aggregate.codes.{k}")) {
                r.overall.status_codes.insert(k.clone(), n);
            }
        }
    }
    // Completed requests got a response; the `errors` ones never did.
    r.overall.requests = completed.map(|c| c.saturating_add(no_response));
    r.overall.errors = Some(no_response.saturating_add(failing_codes(&r.overall.status_codes)));
    if let Some(rps) = ctx.object(agg.get("rps"), "aggregate.rps") {
        r.overall.throughput_rps = ctx.num(rps.get("mean"), "aggregate.rps.mean");
    }
    if let Some(lat) = ctx.object(agg.get("latency"), "aggregate.latency") {
        r.overall.latency_ms = summary(ctx, lat, "aggregate.latency");
    }
    note_missing_percentiles(&mut r, "");
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_names_keep_the_path() {
        assert_eq!(endpoint_name("/cart/view"), "/cart/view");
        assert_eq!(endpoint_name("/cart/view (view cart)"), "/cart/view");
        // useOnlyRequestNames: the request's own name, which may contain parentheses.
        assert_eq!(endpoint_name("view (cart)"), "view (cart)");
    }

    #[test]
    fn responses_of_400_and_above_are_failures() {
        let codes = [("200", 5), ("302", 1), ("404", 2), ("503", 3), ("oops", 9)]
            .into_iter()
            .map(|(c, n)| (c.to_string(), n))
            .collect();
        assert_eq!(failing_codes(&codes), 5);
    }
}
