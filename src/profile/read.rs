//! Builds a `ServiceProfile` from a parsed document, checking every rule and collecting every
//! problem instead of stopping at the first, so one `validate` run lists all there is to fix.

use serde_json::{Map, Value};
use std::collections::BTreeMap;

use super::fields::{
    MAX_BURST_FACTOR, MAX_LATENCY_MS, MAX_RPS, MAX_THINK_TIME_MS, MAX_WEIGHT, Reader, join,
    too_large,
};
use super::schema::{self, KNOWN_HTTP_METHODS};
use super::{
    DataPolicy, Endpoint, LatencySlo, Percentile, ServiceProfile, Slo, TestWindows, Traffic,
};
use crate::diag::{Diagnostic, show};

/// Default burst factor when a profile names none: a spike to twice the peak is the common
/// "flash sale / retry storm" assumption (SPEC.md, "Plan defaults").
pub const DEFAULT_BURST_FACTOR: f64 = 2.0;

/// Reads and validates a profile. Returns the profile when its required parts could be read
/// (it may still carry error diagnostics) and every diagnostic found.
pub fn read_profile(doc: &Value) -> (Option<ServiceProfile>, Vec<Diagnostic>) {
    let mut r = Reader { diags: Vec::new() };
    let Some(top) = r.object(doc, "") else {
        return (None, r.diags);
    };
    schema::unknown_keys(top, schema::TOP, "", &mut r.diags);

    let service = read_service(&mut r, top);
    let summary = r.string(top, "summary", "");
    let traffic = read_traffic(&mut r, top);
    let slo = match top.get("slo") {
        Some(v) => r.object(v, "slo").map(|m| read_slo(&mut r, m, "slo")),
        None => {
            r.err(
                Diagnostic::error("slo", "missing")
                    .hint("add slo.latency_ms (p95, p99 in milliseconds) and/or slo.error_rate"),
            );
            None
        }
    };
    if let Some(s) = &slo
        && s.latency_ms.is_empty()
        && s.error_rate.is_none()
    {
        r.err(
            Diagnostic::error("slo", "names no objective")
                .hint("set at least slo.latency_ms.p95 or slo.error_rate"),
        );
    }
    let endpoints = read_endpoints(&mut r, top);
    let dependencies = read_dependencies(&mut r, top);
    let data = read_data(&mut r, top);
    let base_url = read_target(&mut r, top);
    let windows = read_windows(&mut r, top);

    let profile = match (service, traffic, slo) {
        (Some(service), Some(traffic), Some(slo)) => Some(ServiceProfile {
            service,
            summary,
            traffic,
            slo,
            endpoints,
            dependencies,
            data,
            base_url,
            windows,
        }),
        _ => None,
    };
    (profile, r.diags)
}

/// A service name becomes a folder name in the outbox, so it must be one safe path component.
pub fn check_service_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("must not be empty".into());
    }
    if name.len() > 100 {
        return Err("must be at most 100 characters".into());
    }
    if !name.starts_with(|c: char| c.is_ascii_alphanumeric()) {
        return Err("must start with a letter or a digit".into());
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
    {
        return Err(format!(
            "contains {c:?}; use letters, digits, '-', '_' and '.' only"
        ));
    }
    Ok(())
}

fn read_service(r: &mut Reader, top: &Map<String, Value>) -> Option<String> {
    let Some(name) = r.string(top, "service", "") else {
        if !top.contains_key("service") {
            r.err(
                Diagnostic::error("service", "missing")
                    .hint("name the service, e.g. service: checkout-api"),
            );
        }
        return None;
    };
    if let Err(why) = check_service_name(&name) {
        r.err(
            Diagnostic::error("service", format!("not usable as a folder name: {why}"))
                .value(format!("{name:?}"))
                .hint("e.g. checkout-api"),
        );
        return None;
    }
    Some(name)
}

fn read_traffic(r: &mut Reader, top: &Map<String, Value>) -> Option<Traffic> {
    let Some(v) = top.get("traffic") else {
        r.err(
            Diagnostic::error("traffic", "missing")
                .hint("add traffic.baseline_rps and traffic.peak_rps"),
        );
        return None;
    };
    let m = r.object(v, "traffic")?;
    schema::unknown_keys(m, schema::TRAFFIC, "traffic", &mut r.diags);
    let baseline = r.number(m, "baseline_rps", "traffic");
    let peak = r.number(m, "peak_rps", "traffic");
    let burst = r.number(m, "burst_factor", "traffic");
    let think = r.number(m, "think_time_ms", "traffic");

    let baseline = match baseline {
        None => {
            if !m.contains_key("baseline_rps") {
                r.err(
                    Diagnostic::error("traffic.baseline_rps", "missing")
                        .hint("requests per second on a normal day, > 0"),
                );
            }
            None
        }
        Some(b) if b <= 0.0 || !b.is_finite() => {
            r.err(Diagnostic::error("traffic.baseline_rps", "must be greater than 0").value(b));
            None
        }
        Some(b) if b > MAX_RPS => {
            r.err(too_large("traffic.baseline_rps", b, MAX_RPS, "requests/s"));
            None
        }
        Some(b) => Some(b),
    };
    let peak = match peak {
        None => {
            if !m.contains_key("peak_rps") {
                r.err(
                    Diagnostic::error("traffic.peak_rps", "missing")
                        .hint("the busiest expected rate, ≥ baseline_rps"),
                );
            }
            None
        }
        Some(p) if p <= 0.0 || !p.is_finite() => {
            r.err(Diagnostic::error("traffic.peak_rps", "must be greater than 0").value(p));
            None
        }
        Some(p) if p > MAX_RPS => {
            r.err(too_large("traffic.peak_rps", p, MAX_RPS, "requests/s"));
            None
        }
        Some(p) => Some(p),
    };
    if let (Some(b), Some(p)) = (baseline, peak)
        && p < b
    {
        r.err(
            Diagnostic::error(
                "traffic.peak_rps",
                format!("must be ≥ traffic.baseline_rps ({b})"),
            )
            .value(p)
            .hint("peak is the busiest rate; swap the two values if they are reversed"),
        );
    }
    let burst = match burst {
        Some(f) if f < 1.0 || !f.is_finite() => {
            r.err(
                Diagnostic::error("traffic.burst_factor", "must be ≥ 1")
                    .value(f)
                    .hint(
                        "the spike is peak_rps × burst_factor; 1 means no spike, 3 a triple spike",
                    ),
            );
            None
        }
        Some(f) if f > MAX_BURST_FACTOR => {
            r.err(too_large(
                "traffic.burst_factor",
                f,
                MAX_BURST_FACTOR,
                "times the peak",
            ));
            None
        }
        Some(f) => Some(f),
        None => Some(DEFAULT_BURST_FACTOR),
    };
    if let Some(t) = think
        && (t < 0.0 || !t.is_finite())
    {
        r.err(Diagnostic::error("traffic.think_time_ms", "must be ≥ 0").value(t));
    }
    if let Some(t) = think
        && t > MAX_THINK_TIME_MS
    {
        r.err(too_large(
            "traffic.think_time_ms",
            t,
            MAX_THINK_TIME_MS,
            "ms",
        ));
    }
    Some(Traffic {
        baseline_rps: baseline?,
        peak_rps: peak?,
        burst_factor: burst?,
        think_time_ms: think.filter(|t| (0.0..=MAX_THINK_TIME_MS).contains(t)),
    })
}

fn read_slo(r: &mut Reader, m: &Map<String, Value>, path: &str) -> Slo {
    schema::unknown_keys(m, schema::SLO, path, &mut r.diags);
    let mut slo = Slo::default();
    if let Some(v) = m.get("latency_ms") {
        let lpath = join(path, "latency_ms");
        if let Some(lm) = r.object(v, &lpath) {
            slo.latency_ms = read_latency(r, lm, &lpath);
        }
    }
    let epath = join(path, "error_rate");
    match r.number(m, "error_rate", path) {
        Some(e) if (0.0..=1.0).contains(&e) => slo.error_rate = Some(e),
        Some(e) if e > 1.0 && e <= 100.0 => r.err(
            Diagnostic::error(epath, "must be a ratio between 0 and 1")
                .value(e)
                .hint(format!(
                    "this looks like a percentage: for {e} % write {}",
                    e / 100.0
                )),
        ),
        Some(e) => r.err(Diagnostic::error(epath, "must be a ratio between 0 and 1").value(e)),
        None => {}
    }
    slo
}

fn read_latency(r: &mut Reader, m: &Map<String, Value>, path: &str) -> LatencySlo {
    schema::unknown_keys(m, schema::LATENCY, path, &mut r.diags);
    let mut out = LatencySlo::default();
    for p in Percentile::ALL {
        let mut key = p.key();
        if p == Percentile::P999 && !m.contains_key(key) && m.contains_key("p999") {
            key = "p999";
        }
        match r.number(m, key, path) {
            Some(v) if v > MAX_LATENCY_MS => {
                r.err(too_large(&join(path, key), v, MAX_LATENCY_MS, "ms (a day)"))
            }
            Some(v) if v > 0.0 && v.is_finite() => out.set(p, Some(v)),
            Some(v) => r.err(
                Diagnostic::error(join(path, key), "must be a positive number of milliseconds")
                    .value(v),
            ),
            None => {}
        }
    }
    // Higher percentiles can never be faster than lower ones.
    let set: Vec<(Percentile, f64)> = out.iter().collect();
    for pair in set.windows(2) {
        let ((lo_p, lo), (hi_p, hi)) = (pair[0], pair[1]);
        if hi < lo {
            r.err(
                Diagnostic::error(
                    join(path, hi_p.key()),
                    format!(
                        "must be ≥ {} ({lo} ms): percentiles cannot decrease",
                        join(path, lo_p.key())
                    ),
                )
                .value(hi)
                .hint("check whether the two values are swapped"),
            );
        }
    }
    out
}

fn read_endpoints(r: &mut Reader, top: &Map<String, Value>) -> Vec<Endpoint> {
    let mut out = Vec::new();
    let items = match top.get("endpoints") {
        Some(Value::Array(items)) => items,
        Some(other) => {
            r.err(
                Diagnostic::error("endpoints", "expected a list of endpoints").value(show(other)),
            );
            return out;
        }
        None => {
            r.err(
                Diagnostic::error("endpoints", "missing")
                    .hint("list at least one endpoint with path and method"),
            );
            return out;
        }
    };
    if items.is_empty() {
        r.err(Diagnostic::error(
            "endpoints",
            "must list at least one endpoint",
        ));
    }
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for (i, item) in items.iter().enumerate() {
        let path = format!("endpoints[{i}]");
        let Some(m) = r.object(item, &path) else {
            continue;
        };
        schema::unknown_keys(m, schema::ENDPOINT, &path, &mut r.diags);
        let url_path = r.string(m, "path", &path);
        let method = r.string(m, "method", &path);
        let critical = r.boolean(m, "critical", &path).unwrap_or(false);
        let weight = r.number(m, "weight", &path);
        let name = r.string(m, "name", &path);
        let slo = match m.get("slo") {
            Some(v) => {
                let spath = join(&path, "slo");
                r.object(v, &spath).map(|sm| read_slo(r, sm, &spath))
            }
            None => None,
        };

        let url_path = match url_path {
            None => {
                if !m.contains_key("path") {
                    r.err(
                        Diagnostic::error(join(&path, "path"), "missing")
                            .hint("e.g. path: /cart/submit"),
                    );
                }
                None
            }
            Some(p) if !p.starts_with('/') => {
                r.err(
                    Diagnostic::error(join(&path, "path"), "must start with \"/\"")
                        .value(format!("{p:?}"))
                        .hint(format!("write /{}", p.trim_start_matches('/'))),
                );
                None
            }
            Some(p) if p.chars().any(|c| c.is_control() || c == ' ') => {
                r.err(
                    Diagnostic::error(
                        join(&path, "path"),
                        "must not contain spaces or control characters",
                    )
                    .value(format!("{p:?}")),
                );
                None
            }
            Some(p) => Some(p),
        };
        let method = match method {
            None => {
                if !m.contains_key("method") {
                    r.err(
                        Diagnostic::error(join(&path, "method"), "missing")
                            .hint(format!("one of {}", KNOWN_HTTP_METHODS.join(", "))),
                    );
                }
                None
            }
            Some(meth) => {
                let upper = meth.trim().to_ascii_uppercase();
                if KNOWN_HTTP_METHODS.contains(&upper.as_str()) {
                    Some(upper)
                } else {
                    r.err(
                        Diagnostic::error(join(&path, "method"), "not an HTTP method")
                            .value(format!("{meth:?}"))
                            .hint(format!("one of {}", KNOWN_HTTP_METHODS.join(", "))),
                    );
                    None
                }
            }
        };
        let weight = match weight {
            Some(w) if w <= 0.0 || !w.is_finite() => {
                r.err(
                    Diagnostic::error(join(&path, "weight"), "must be greater than 0")
                        .value(w)
                        .hint("weights are relative shares of traffic; remove the endpoint to send it nothing"),
                );
                None
            }
            Some(w) if w > MAX_WEIGHT => {
                r.err(too_large(&join(&path, "weight"), w, MAX_WEIGHT, ""));
                None
            }
            Some(w) => Some(w),
            None => Some(1.0),
        };
        if let (Some(method), Some(url_path), Some(weight)) = (method, url_path, weight) {
            let key = format!("{method} {url_path}");
            if let Some(first) = seen.get(&key) {
                r.err(
                    Diagnostic::error(path.clone(), format!("duplicate endpoint {key}")).hint(
                        format!(
                            "already listed as endpoints[{first}]; method + path must be unique"
                        ),
                    ),
                );
                continue;
            }
            seen.insert(key, i);
            out.push(Endpoint {
                method,
                path: url_path,
                critical,
                weight,
                name,
                slo,
            });
        }
    }
    out
}

fn read_dependencies(r: &mut Reader, top: &Map<String, Value>) -> Vec<String> {
    let mut out = Vec::new();
    match top.get("dependencies") {
        None | Some(Value::Null) => {}
        Some(Value::Array(items)) => {
            for (i, item) in items.iter().enumerate() {
                let path = format!("dependencies[{i}]");
                match item {
                    Value::String(s) if !s.trim().is_empty() => out.push(s.trim().to_string()),
                    Value::Object(m) => {
                        schema::unknown_keys(m, schema::DEPENDENCY, &path, &mut r.diags);
                        match r.string(m, "name", &path) {
                            Some(n) if !n.trim().is_empty() => out.push(n.trim().to_string()),
                            _ => r.err(
                                Diagnostic::error(join(&path, "name"), "missing")
                                    .hint("name the dependency"),
                            ),
                        }
                    }
                    other => r.err(
                        Diagnostic::error(path, "expected a dependency name").value(show(other)),
                    ),
                }
            }
        }
        Some(other) => {
            r.err(Diagnostic::error("dependencies", "expected a list of names").value(show(other)))
        }
    }
    out
}

fn read_data(r: &mut Reader, top: &Map<String, Value>) -> DataPolicy {
    let mut out = DataPolicy::default();
    if let Some(v) = top.get("data")
        && let Some(m) = r.object(v, "data")
    {
        schema::unknown_keys(m, schema::DATA, "data", &mut r.diags);
        out.uses_production_data = r
            .boolean(m, "uses_production_data", "data")
            .unwrap_or(false);
        out.notes = r.string(m, "notes", "data");
    }
    out
}

fn read_target(r: &mut Reader, top: &Map<String, Value>) -> Option<String> {
    let m = r.object(top.get("target")?, "target")?;
    schema::unknown_keys(m, schema::TARGET, "target", &mut r.diags);
    let url = r.string(m, "base_url", "target")?;
    let ok = (url.starts_with("http://") || url.starts_with("https://"))
        && url.len() > "https://".len()
        && !url.chars().any(|c| c.is_whitespace() || c.is_control());
    if !ok {
        r.err(
            Diagnostic::error("target.base_url", "must be an http:// or https:// URL")
                .value(format!("{url:?}"))
                .hint("e.g. https://checkout.staging.example.com"),
        );
        return None;
    }
    Some(url.trim_end_matches('/').to_string())
}

fn read_windows(r: &mut Reader, top: &Map<String, Value>) -> TestWindows {
    let mut out = TestWindows::default();
    if let Some(v) = top.get("test_window")
        && let Some(m) = r.object(v, "test_window")
    {
        schema::unknown_keys(m, schema::WINDOWS, "test_window", &mut r.diags);
        out.smoke_s = r.duration(m, "smoke", "test_window");
        out.steady_hold_s = r.duration(m, "steady_hold", "test_window");
        out.spike_s = r.duration(m, "spike", "test_window");
        out.soak_s = r.duration(m, "soak", "test_window");
    }
    out
}
