//! k6 end-of-test summaries: `--summary-export` (flat values, threshold `true` = failed), the
//! `handleSummary` data object (`values`, threshold `ok: true` = passed) and the opt-in
//! machine-readable summary (`version` + `results.metrics[]`).

use serde_json::{Map, Value};

use super::json_fields::{Ctx, join, note_missing_percentiles};
use super::model::{EndpointResults, Latency, RunResults, Stats};
use crate::diag::{Diagnostic, show};

/// Metric names k6 itself emits; one of them (or `root_group`) marks a k6 summary.
const BUILTIN: &[&str] = &[
    "http_reqs",
    "http_req_duration",
    "http_req_failed",
    "iterations",
    "iteration_duration",
    "vus",
    "checks",
    "data_received",
];

pub(crate) fn detect(map: &Map<String, Value>) -> bool {
    if let Some(Value::Object(metrics)) = map.get("metrics") {
        return map.contains_key("root_group")
            || metrics
                .keys()
                .any(|k| BUILTIN.contains(&base_name(k).0.as_str()));
    }
    is_machine_readable(map)
}

fn is_machine_readable(map: &Map<String, Value>) -> bool {
    map.get("version").is_some_and(Value::is_string)
        && map
            .get("results")
            .and_then(|r| r.get("metrics"))
            .is_some_and(Value::is_array)
}

#[derive(Clone, Copy, PartialEq)]
enum Form {
    /// `--summary-export`: values on the metric, thresholds `{expr: failed}`.
    Export,
    /// `handleSummary` data: values under `values`, thresholds `{expr: {ok}}`.
    HandleSummary,
    /// The machine-readable summary 1.x: metrics in an array, no thresholds.
    MachineReadable,
}

/// One metric or sub-metric with its values and where they sit in the document.
struct Metric<'v> {
    base: String,
    tags: Vec<(String, String)>,
    values: &'v Map<String, Value>,
    path: String,
}

pub(crate) fn read(ctx: &mut Ctx, doc: &Value) -> RunResults {
    let empty = Map::new();
    let map = doc.as_object().unwrap_or(&empty);
    let (form, metrics, thresholds_failed) =
        if is_machine_readable(map) && !map.contains_key("metrics") {
            (
                Form::MachineReadable,
                machine_readable_metrics(ctx, doc),
                Vec::new(),
            )
        } else {
            keyed_metrics(ctx, doc)
        };
    let format = match form {
        Form::Export => "k6-summary-export",
        Form::HandleSummary => "k6-handle-summary",
        Form::MachineReadable => "k6-machine-readable-summary",
    };
    let mut r = RunResults::new(format);
    r.runner.thresholds_failed = thresholds_failed;
    let mut endpoints: Vec<EndpointResults> = Vec::new();
    let mut seen_http = false;
    for m in &metrics {
        let v = |k: &str| m.values.get(k);
        let p = |k: &str| join(&m.path, k);
        if m.tags.is_empty() {
            match m.base.as_str() {
                "http_reqs" => {
                    seen_http = true;
                    r.overall.requests = ctx.count(v("count"), &p("count"));
                    r.overall.throughput_rps = ctx.num(v("rate"), &p("rate"));
                }
                "http_req_duration" => {
                    seen_http = true;
                    r.overall.latency_ms = trend(ctx, m);
                    if r.overall.requests.is_none() {
                        r.overall.requests = ctx.count(v("count"), &p("count"));
                    }
                }
                "http_req_failed" => {
                    seen_http = true;
                    read_failed(ctx, m, &mut r.overall);
                }
                "dropped_iterations" => {
                    r.runner.dropped_iterations = ctx.count(v("count"), &p("count"));
                }
                "checks" => {
                    let fails = ctx.count(v("fails"), &p("fails"));
                    if let Some(f) = fails.filter(|f| *f > 0) {
                        r.notes.push(format!("{f} k6 checks failed"));
                    }
                }
                _ => {}
            }
            continue;
        }
        if m.base == "http_reqs"
            && let [(k, code)] = m.tags.as_slice()
            && k == "status"
        {
            if let Some(n) = ctx.count(v("count"), &p("count")) {
                r.overall.status_codes.insert(code.clone(), n);
            }
            continue;
        }
        let Some((name, method)) = endpoint_of(&m.tags) else {
            continue;
        };
        let i = match endpoints
            .iter()
            .position(|e| e.name == name && e.method == method)
        {
            Some(i) => i,
            None => {
                endpoints.push(EndpointResults {
                    name,
                    method,
                    stats: Stats::default(),
                });
                endpoints.len() - 1
            }
        };
        let stats = &mut endpoints[i].stats;
        match m.base.as_str() {
            "http_reqs" => {
                stats.requests = ctx.count(v("count"), &p("count"));
                stats.throughput_rps = ctx.num(v("rate"), &p("rate"));
            }
            "http_req_duration" => {
                stats.latency_ms = trend(ctx, m);
                if stats.requests.is_none() {
                    stats.requests = ctx.count(v("count"), &p("count"));
                }
            }
            "http_req_failed" => read_failed(ctx, m, stats),
            _ => {}
        }
    }
    r.endpoints = endpoints;
    if !seen_http && ctx.diags.is_empty() {
        ctx.error(
            Diagnostic::error("metrics", "this k6 summary has no HTTP metrics")
                .hint("perfassist judges HTTP results: http_reqs, http_req_duration and http_req_failed are expected"),
        );
    }
    r.duration_s = duration(ctx, map, form, &r);
    if r.overall.throughput_rps.is_none()
        && let (Some(n), Some(d)) = (r.overall.requests, r.duration_s)
        && d > 0.0
    {
        // The machine-readable summary drops counters' rates; the run's length gives it back.
        r.overall.throughput_rps = Some(n as f64 / d);
    }
    match form {
        Form::MachineReadable => {
            note_missing_percentiles(
                &mut r,
                " (k6's machine-readable summary 1.0 carries only avg, min, med, max, p(90), p(95); use --summary-export or handleSummary for p(99))",
            );
            r.notes
                .push("k6's machine-readable summary carries no threshold results".to_string());
        }
        _ => note_missing_percentiles(
            &mut r,
            " (k6 writes only the statistics summaryTrendStats lists, and p(99) is not among its defaults: run k6 with --summary-trend-stats=\"avg,min,med,max,p(90),p(95),p(99)\")",
        ),
    }
    r
}

/// Metrics keyed by name under `metrics` (export and handleSummary forms), with thresholds.
fn keyed_metrics<'v>(ctx: &mut Ctx, doc: &'v Value) -> (Form, Vec<Metric<'v>>, Vec<String>) {
    let Some(metrics) = ctx.object(doc.get("metrics"), "metrics") else {
        return (Form::Export, Vec::new(), Vec::new());
    };
    let form = if metrics.values().any(|m| m.get("values").is_some()) {
        Form::HandleSummary
    } else {
        Form::Export
    };
    let mut out = Vec::new();
    let mut failed = Vec::new();
    for (key, m) in metrics {
        let path = format!("metrics.{key}");
        let Some(obj) = ctx.object(Some(m), &path) else {
            continue;
        };
        let (values, vpath) = if form == Form::HandleSummary {
            let vp = join(&path, "values");
            match ctx.object(obj.get("values"), &vp) {
                Some(v) => (v, vp),
                None => continue,
            }
        } else {
            (obj, path.clone())
        };
        thresholds(ctx, obj.get("thresholds"), &path, key, form, &mut failed);
        let (base, tags) = base_name(key);
        out.push(Metric {
            base,
            tags,
            values,
            path: vpath,
        });
    }
    (form, out, failed)
}

fn thresholds(
    ctx: &mut Ctx,
    v: Option<&Value>,
    metric_path: &str,
    metric: &str,
    form: Form,
    failed: &mut Vec<String>,
) {
    let path = join(metric_path, "thresholds");
    let Some(map) = ctx.object(v, &path) else {
        return;
    };
    for (expr, result) in map {
        let tp = join(&path, expr);
        // The two JSON forms say opposite things with their booleans: the export writes
        // `true` for a threshold that FAILED, handleSummary writes `ok: true` for one that passed.
        let is_failed = match (form, result) {
            (Form::Export, Value::Bool(b)) => Some(*b),
            (Form::HandleSummary, Value::Object(o)) => match o.get("ok") {
                Some(Value::Bool(ok)) => Some(!ok),
                other => {
                    ctx.error(
                        Diagnostic::error(join(&tp, "ok"), "expected true or false")
                            .value(other.map(show).unwrap_or_else(|| "nothing".into())),
                    );
                    None
                }
            },
            _ => {
                ctx.error(
                    Diagnostic::error(tp.clone(), "unexpected threshold result")
                        .value(show(result))
                        .hint(if form == Form::Export {
                            "--summary-export writes true (failed) or false (passed)"
                        } else {
                            "handleSummary data writes {\"ok\": true|false}"
                        }),
                );
                None
            }
        };
        if is_failed == Some(true) {
            failed.push(format!("{metric}: {expr}"));
        }
    }
}

/// Metrics of the machine-readable summary: `results.metrics[]` of `{name, type, values}`.
fn machine_readable_metrics<'v>(ctx: &mut Ctx, doc: &'v Value) -> Vec<Metric<'v>> {
    let mut out = Vec::new();
    let Some(list) = ctx.array(doc.pointer("/results/metrics"), "results.metrics") else {
        return out;
    };
    for (i, m) in list.iter().enumerate() {
        let path = format!("results.metrics[{i}]");
        let name = match m.get("name") {
            Some(Value::String(s)) => s.clone(),
            other => {
                ctx.error(
                    Diagnostic::error(join(&path, "name"), "expected the metric's name")
                        .value(other.map(show).unwrap_or_else(|| "nothing".into())),
                );
                continue;
            }
        };
        let vpath = join(&path, "values");
        let Some(values) = ctx.object(m.get("values"), &vpath) else {
            continue;
        };
        let (base, tags) = base_name(&name);
        out.push(Metric {
            base,
            tags,
            values,
            path: vpath,
        });
    }
    out
}

/// `http_req_duration{name:/cart/view,method:GET}` → base name and tags in order. Tag values
/// may contain `:` (URLs), so each tag splits at its first colon.
fn base_name(key: &str) -> (String, Vec<(String, String)>) {
    let Some(open) = key.find('{') else {
        return (key.to_string(), Vec::new());
    };
    let base = key[..open].to_string();
    let inner = key[open + 1..]
        .strip_suffix('}')
        .unwrap_or(&key[open + 1..]);
    let mut tags: Vec<(String, String)> = Vec::new();
    for part in inner.split(',') {
        match part.split_once(':') {
            Some((k, v)) if !k.trim().is_empty() && !k.contains(['/', '?', '=']) => {
                tags.push((k.trim().to_string(), v.trim().to_string()));
            }
            // A comma inside a tag value (a URL's query string): glue it back on.
            _ => match tags.last_mut() {
                Some((_, v)) => {
                    v.push(',');
                    v.push_str(part);
                }
                None => tags.push((part.trim().to_string(), String::new())),
            },
        }
    }
    (base, tags)
}

/// The endpoint a sub-metric describes: tags `name`, `url` or `endpoint`, optionally `method`.
/// Sub-metrics with other tags (expected_response, scenario, status...) describe a slice of an
/// endpoint rather than the endpoint, so they are not used.
fn endpoint_of(tags: &[(String, String)]) -> Option<(String, Option<String>)> {
    let mut id = None;
    let mut method = None;
    for (k, v) in tags {
        match k.as_str() {
            "name" | "url" | "endpoint" if id.is_none() => id = Some(v.clone()),
            "method" if method.is_none() => method = Some(v.to_ascii_uppercase()),
            _ => return None,
        }
    }
    Some((id?, method))
}

fn read_failed(ctx: &mut Ctx, m: &Metric, stats: &mut Stats) {
    // `rate` in handleSummary and the machine-readable summary, renamed `value` by the export.
    let key = if m.values.contains_key("rate") {
        "rate"
    } else {
        "value"
    };
    stats.error_rate = ctx.ratio(m.values.get(key), &join(&m.path, key));
    // A rate metric's `passes` (`matches`) counts non-zero samples: for http_req_failed those are
    // the FAILED requests.
    let key = if m.values.contains_key("matches") {
        "matches"
    } else {
        "passes"
    };
    stats.errors = ctx.count(m.values.get(key), &join(&m.path, key));
    if stats.requests.is_none() {
        let total = if m.values.contains_key("total") {
            ctx.count(m.values.get("total"), &join(&m.path, "total"))
        } else {
            let fails = ctx.count(m.values.get("fails"), &join(&m.path, "fails"));
            stats.errors.zip(fails).map(|(a, b)| a.saturating_add(b))
        };
        stats.requests = total;
    }
}

/// A trend's statistics in ms. Only the percentiles present are set; `p(N)` keys other than
/// 50, 90, 95, 99 and 99.9 have no slot and are left out.
fn trend(ctx: &mut Ctx, m: &Metric) -> Latency {
    let mut lat = Latency::default();
    for (k, v) in m.values {
        let path = join(&m.path, k);
        let slot = match k.as_str() {
            "avg" => &mut lat.mean,
            "min" => &mut lat.min,
            "max" => &mut lat.max,
            "med" => &mut lat.p50,
            _ => match k.strip_prefix("p(").and_then(|s| s.strip_suffix(')')) {
                Some(p) => match p.trim().parse::<f64>() {
                    Ok(50.0) => &mut lat.p50,
                    Ok(90.0) => &mut lat.p90,
                    Ok(95.0) => &mut lat.p95,
                    Ok(99.0) => &mut lat.p99,
                    Ok(99.9) => &mut lat.p999,
                    _ => {
                        let _ = ctx.num(Some(v), &path);
                        continue;
                    }
                },
                None => continue,
            },
        };
        *slot = ctx.num(Some(v), &path);
    }
    lat
}

fn duration(ctx: &mut Ctx, map: &Map<String, Value>, form: Form, r: &RunResults) -> Option<f64> {
    match form {
        Form::HandleSummary => {
            if let Some(ms) = ctx.num(
                map.get("state").and_then(|s| s.get("testRunDurationMs")),
                "state.testRunDurationMs",
            ) {
                return Some(ms / 1000.0);
            }
        }
        Form::MachineReadable => {
            if let Some(s) = ctx.num(
                map.get("config").and_then(|c| c.get("duration")),
                "config.duration",
            ) {
                return Some(s);
            }
        }
        Form::Export => {}
    }
    // k6 computes a counter's rate as count / test run duration, so the ratio gives it back.
    match (r.overall.requests, r.overall.throughput_rps) {
        (Some(n), Some(rate)) if rate > 0.0 => Some(n as f64 / rate),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags(key: &str) -> Vec<(String, String)> {
        base_name(key).1
    }

    #[test]
    fn sub_metric_names_split_into_base_and_tags() {
        assert_eq!(base_name("http_reqs"), ("http_reqs".into(), vec![]));
        let (base, t) = base_name("http_req_duration{name:/cart/view,method:GET}");
        assert_eq!(base, "http_req_duration");
        assert_eq!(
            t,
            vec![
                ("name".to_string(), "/cart/view".to_string()),
                ("method".to_string(), "GET".to_string())
            ]
        );
        // A URL keeps its colons and the commas of its query string.
        assert_eq!(
            tags("http_req_duration{url:http://127.0.0.1:8080/a?x=1,2}"),
            vec![(
                "url".to_string(),
                "http://127.0.0.1:8080/a?x=1,2".to_string()
            )]
        );
    }

    #[test]
    fn only_identifying_tags_make_an_endpoint() {
        assert_eq!(
            endpoint_of(&tags("x{name:/a,method:post}")),
            Some(("/a".to_string(), Some("POST".to_string())))
        );
        assert_eq!(endpoint_of(&tags("x{expected_response:true}")), None);
        assert_eq!(endpoint_of(&tags("x{name:/a,scenario:s}")), None);
        assert_eq!(endpoint_of(&tags("x{method:GET}")), None);
    }

    #[test]
    fn threshold_booleans_mean_opposite_things_in_the_two_forms() {
        let read_doc = |doc: Value| {
            let mut ctx = Ctx::new("t.json", "");
            let r = read(&mut ctx, &doc);
            assert!(ctx.diags.is_empty(), "{:?}", ctx.diags);
            r.runner.thresholds_failed
        };
        let export = serde_json::json!({"metrics": {"http_reqs": {"count": 1, "rate": 1,
            "thresholds": {"count<10": true, "rate<5": false}}}});
        assert_eq!(read_doc(export), vec!["http_reqs: count<10".to_string()]);
        let handle = serde_json::json!({"metrics": {"http_reqs": {"type": "counter",
            "values": {"count": 1, "rate": 1},
            "thresholds": {"count<10": {"ok": true}, "rate<5": {"ok": false}}}}});
        assert_eq!(read_doc(handle), vec!["http_reqs: rate<5".to_string()]);
    }
}
