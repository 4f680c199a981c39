//! Gatling HTML-report statistics: `js/stats.json` (global and per-request, up to 3.13.4),
//! `js/global_stats.json` (global only) and `js/stats.js` (the only one left from 3.13.5 on).
//! `stats.js` becomes JSON in place: bare keys outside strings are quoted, the trailing
//! `function fillStats` is dropped and the `var stats =` opening is blanked with spaces, so error
//! positions still point into the user's file.

use serde_json::{Map, Value};

use super::json_fields::{Ctx, join, note_missing_percentiles};
use super::model::{EndpointResults, ResultsError, RunResults, Stats};
use crate::diag::Diagnostic;

/// What Gatling's `percentiles1..4` mean unless `gatling.conf` (`charting.indicators`) changes
/// them; the report's JSON carries no labels, so the defaults are the only source.
const PERCENTILES: [f64; 4] = [50.0, 75.0, 95.0, 99.0];

pub(crate) fn detect(map: &Map<String, Value>) -> bool {
    let group =
        map.get("type").and_then(Value::as_str) == Some("GROUP") && map.contains_key("stats");
    let global = map
        .get("numberOfRequests")
        .is_some_and(|n| n.get("total").is_some());
    group || global
}

pub(crate) fn read(ctx: &mut Ctx, doc: &Value, format: &str) -> RunResults {
    let mut r = RunResults::new(format);
    let empty = Map::new();
    let map = doc.as_object().unwrap_or(&empty);
    if map.contains_key("stats") {
        if let Some(stats) = ctx.object(map.get("stats"), "stats") {
            r.overall = stats_of(ctx, stats, "stats");
        }
        collect(ctx, map, "", &mut r.endpoints);
    } else {
        if format == "gatling-stats-json" {
            r.format = "gatling-global-stats-json".into();
        }
        r.overall = stats_of(ctx, map, "");
    }
    if let (Some(n), Some(rps)) = (r.overall.requests, r.overall.throughput_rps)
        && rps > 0.0
    {
        // Gatling's mean rate is the request count over the run's length, so this recovers it.
        r.duration_s = Some(n as f64 / rps);
    }
    if two_percentiles(map) {
        r.notes.push(
            "this Gatling report has only percentiles1 and percentiles2, whose meaning depends on its Gatling version's configuration: they are not read".into(),
        );
    } else {
        r.notes.push(
            "Gatling percentiles1..4 read as p50, p75, p95, p99 (Gatling's default charting.indicators); p75 has no place in the results".into(),
        );
    }
    note_missing_percentiles(&mut r, "");
    r
}

/// Whether the document's global statistics use the old two-percentile layout.
fn two_percentiles(map: &Map<String, Value>) -> bool {
    let s = map.get("stats").and_then(Value::as_object).unwrap_or(map);
    s.contains_key("percentiles1")
        && !s.contains_key("percentiles3")
        && !s.contains_key("percentiles4")
}

/// Walks `contents` recursively: requests become endpoints, groups are descended into.
fn collect(ctx: &mut Ctx, group: &Map<String, Value>, path: &str, out: &mut Vec<EndpointResults>) {
    let cpath = join(path, "contents");
    let Some(contents) = ctx.object(group.get("contents"), &cpath) else {
        return;
    };
    for (key, item) in contents {
        let ipath = join(&cpath, key);
        let Some(item) = ctx.object(Some(item), &ipath) else {
            continue;
        };
        match item.get("type").and_then(Value::as_str) {
            Some("REQUEST") => {
                // Gatling writes `"` and `\` in names as HTML entities.
                let name = item
                    .get("name")
                    .and_then(Value::as_str)
                    .unwrap_or(key)
                    .replace("&quot;", "\"")
                    .replace("&#92;", "\\");
                let spath = join(&ipath, "stats");
                let stats = match ctx.object(item.get("stats"), &spath) {
                    Some(s) => stats_of(ctx, s, &spath),
                    None => {
                        ctx.error(Diagnostic::error(spath, "a request without its statistics"));
                        continue;
                    }
                };
                out.push(EndpointResults {
                    name,
                    method: None,
                    stats,
                });
            }
            Some("GROUP") => collect(ctx, item, &ipath, out),
            other => ctx.error(
                Diagnostic::error(join(&ipath, "type"), "expected \"REQUEST\" or \"GROUP\"")
                    .value(format!("{other:?}")),
            ),
        }
    }
}

/// One statistics block (`numberOfRequests`, `minResponseTime`, ... each with total/ok/ko).
fn stats_of(ctx: &mut Ctx, s: &Map<String, Value>, path: &str) -> Stats {
    let total = |ctx: &mut Ctx, key: &str| {
        let p = join(path, key);
        let block = ctx.object(s.get(key), &p)?;
        ctx.num(block.get("total"), &join(&p, "total"))
    };
    let p = join(path, "numberOfRequests");
    let counts = ctx.object(s.get("numberOfRequests"), &p);
    let requests = counts.and_then(|b| ctx.count(b.get("total"), &join(&p, "total")));
    let ko = counts.and_then(|b| ctx.count(b.get("ko"), &join(&p, "ko")));
    let mut st = Stats {
        requests,
        errors: ko,
        throughput_rps: total(ctx, "meanNumberOfRequestsPerSecond"),
        ..Stats::default()
    };
    // With no requests Gatling still writes 0 (or "-") in every latency field: no data, not 0 ms.
    if requests.is_some_and(|n| n > 0) {
        let lat = &mut st.latency_ms;
        lat.min = total(ctx, "minResponseTime");
        lat.max = total(ctx, "maxResponseTime");
        lat.mean = total(ctx, "meanResponseTime");
        // Old reports with only percentiles1..2 used other defaults; without the report's
        // configuration their meaning is unknown, so they are not read (see `two_percentiles`).
        let four = s.contains_key("percentiles3") || s.contains_key("percentiles4");
        for (i, pct) in PERCENTILES.iter().enumerate().filter(|_| four) {
            let v = total(ctx, &format!("percentiles{}", i + 1));
            match *pct {
                50.0 => lat.p50 = v,
                90.0 => lat.p90 = v,
                95.0 => lat.p95 = v,
                99.0 => lat.p99 = v,
                _ => {}
            }
        }
    }
    st
}

/// Gatling 3.13.5+ keeps its statistics only in `js/stats.js`: `var stats = {...}` followed by
/// a function, with a few bare keys. This turns the object into JSON; `None` if it is not one.
/// The `var stats =` opening becomes spaces so that lines (and columns, except on lines with a
/// bare key) still point into the user's file.
pub(crate) fn stats_js_to_json(text: &str) -> Option<String> {
    let t = text.trim_start_matches('\u{feff}');
    let lead = t.len() - t.trim_start().len();
    let after_var = t[lead..].strip_prefix("var stats")?;
    let after_ws = after_var.trim_start();
    let rest = after_ws.strip_prefix('=')?;
    let opening = "var stats".len() + (after_var.len() - after_ws.len()) + 1;
    let body = match rest.find("\nfunction ") {
        Some(i) => &rest[..i],
        None => rest,
    };
    let body = body.trim_end().trim_end_matches(';');
    let mut out = String::with_capacity(t.len() + 256);
    out.push_str(&t[..lead]);
    out.extend(std::iter::repeat_n(' ', opening));
    let mut chars = body.chars().peekable();
    let mut in_string = false;
    while let Some(c) = chars.next() {
        if in_string {
            out.push(c);
            if c == '\\' {
                if let Some(n) = chars.next() {
                    out.push(n);
                }
            } else if c == '"' {
                in_string = false;
            }
            continue;
        }
        if c == '"' {
            in_string = true;
            out.push(c);
        } else if c.is_ascii_alphabetic() || c == '_' || c == '$' {
            let mut ident = String::from(c);
            while let Some(&n) = chars.peek() {
                if n.is_ascii_alphanumeric() || n == '_' || n == '$' {
                    ident.push(n);
                    chars.next();
                } else {
                    break;
                }
            }
            let mut ws = String::new();
            while let Some(&n) = chars.peek() {
                if n.is_whitespace() {
                    ws.push(n);
                    chars.next();
                } else {
                    break;
                }
            }
            if chars.peek() == Some(&':') {
                out.push('"');
                out.push_str(&ident);
                out.push('"');
            } else {
                out.push_str(&ident);
            }
            out.push_str(&ws);
        } else {
            out.push(c);
        }
    }
    Some(out)
}

/// A binary Gatling `simulation.log` (3.13 and later) is refused with advice: its layout is
/// private to each Gatling version. The text log of earlier versions is read by `gatling_log`.
pub(crate) fn refuse_simulation_log(name: &str, bytes: &[u8]) -> Option<ResultsError> {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let by_name = base.eq_ignore_ascii_case("simulation.log");
    let text_log = bytes.starts_with(b"RUN\t");
    let binary_log = bytes.first() == Some(&0) && base.to_ascii_lowercase().ends_with(".log");
    if !(by_name || text_log || binary_log) {
        return None;
    }
    // A text log is read by `gatling_log` before this is asked; what is left is the binary log
    // or a file that only has the name.
    let what = if bytes.first() == Some(&0) {
        "a binary Gatling simulation.log (Gatling 3.13 and later) is not read: its record layout is internal to each Gatling version"
    } else {
        "named like a Gatling simulation.log, but neither Gatling's text log (records RUN, USER, REQUEST, tab separated) nor its binary log"
    };
    Some(ResultsError::one(
        name,
        Diagnostic::error("", what)
            .hint("give perfassist the report's statistics instead, from the report folder next to index.html: js/stats.js (Gatling 3.13.5 and later) or js/stats.json / js/global_stats.json (up to 3.13.4)"),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stats_js_becomes_json_without_touching_strings() {
        let js = "var stats = {\n    type: \"GROUP\",\nname: \"a: b\",\nstats: {\"numberOfRequests\": {\"total\": \"3\"}},\ncontents: {\n}\n}\n\nfunction fillStats(stat){\n    $(\"#x\").append(stat.x);\n}\n";
        let json = stats_js_to_json(js).unwrap();
        let v: Value = serde_json::from_str(&json).unwrap();
        assert_eq!(v["type"], "GROUP");
        assert_eq!(v["name"], "a: b");
        assert_eq!(v["stats"]["numberOfRequests"]["total"], "3");
        assert!(stats_js_to_json("{\"type\": \"GROUP\"}").is_none());
    }

    #[test]
    fn simulation_logs_are_recognised_by_name_or_content() {
        assert!(refuse_simulation_log("run/simulation.log", b"anything").is_some());
        assert!(refuse_simulation_log("x.txt", b"RUN\tsim\tsim\t1\t \t3.9.5\n").is_some());
        assert!(refuse_simulation_log("gatling.log", &[0, 0, 1]).is_some());
        assert!(refuse_simulation_log("stats.json", b"{}").is_none());
    }
}
