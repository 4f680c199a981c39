//! Locust's `--csv` files (`X_stats.csv` with the Aggregated row, plus `X_stats_history.csv` and
//! `X_failures.csv` beside it) and its `--json`/`--json-file` list of per-endpoint entries.

use std::collections::BTreeMap;

use serde_json::Value;

use super::distribution::{Bin, Distribution};
use super::model::{Bucket, EndpointResults, Latency, ResultsError, RunResults, Stats};
use crate::diag::Diagnostic;

pub const FORMAT_CSV: &str = "locust-csv";
pub const FORMAT_JSON: &str = "locust-json";

/// The suffixes of a run's companion files, each mapping to `X_stats.csv`.
pub const COMPANIONS: &[&str] = &["_stats_history.csv", "_failures.csv", "_exceptions.csv"];

/// Column names of the 2.x files, with the 0.x spellings still seen in old pipelines.
fn col(headers: &[String], names: &[&str]) -> Option<usize> {
    headers.iter().position(|h| names.contains(&h.as_str()))
}

struct Table {
    headers: Vec<String>,
    rows: Vec<(usize, Vec<String>)>,
}

fn parse_csv(name: &str, text: &str) -> Result<Table, ResultsError> {
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(text.as_bytes());
    let csv_err = |e: csv::Error| ResultsError::not_csv(name, &e);
    let headers: Vec<String> = rdr
        .headers()
        .map_err(csv_err)?
        .iter()
        .map(|h| h.trim().to_string())
        .collect();
    let mut rows = Vec::new();
    for rec in rdr.records() {
        let rec = rec.map_err(csv_err)?;
        let line = rec.position().map_or(0, |p| p.line() as usize);
        if rec.iter().all(str::is_empty) {
            continue;
        }
        rows.push((line, rec.iter().map(str::to_string).collect()));
    }
    Ok(Table { headers, rows })
}

/// Reads a cell as a number; `N/A` and empty cells are absent values.
fn number(
    name: &str,
    t: &Table,
    row: &(usize, Vec<String>),
    i: Option<usize>,
) -> Result<Option<f64>, ResultsError> {
    let Some(i) = i else { return Ok(None) };
    let cell = row.1.get(i).map_or("", |c| c.trim());
    if cell.is_empty() || cell == "N/A" {
        return Ok(None);
    }
    match cell.parse::<f64>() {
        Ok(v) if v.is_finite() && v >= 0.0 => Ok(Some(v)),
        _ => Err(ResultsError::one(
            name,
            Diagnostic::error(t.headers[i].clone(), "expected a number or N/A")
                .value(format!("{cell:?}"))
                .at(Some(row.0), Some(i + 1)),
        )),
    }
}

/// Picks one percentile slot of a latency.
type Slot = fn(&mut Latency) -> &mut Option<f64>;

/// Maps a Locust percentile header (`95%`, `99.9%`) to the normalised slot it fills; other
/// percentiles a user configured have no slot and are left out.
fn percentile_slot(header: &str) -> Option<Slot> {
    let p: f64 = header.strip_suffix('%')?.trim().parse().ok()?;
    let tenths = (p * 10.0).round() as i64;
    if (p * 10.0 - tenths as f64).abs() > 1e-9 {
        return None;
    }
    let slot: Slot = match tenths {
        500 => |l| &mut l.p50,
        900 => |l| &mut l.p90,
        950 => |l| &mut l.p95,
        990 => |l| &mut l.p99,
        999 => |l| &mut l.p999,
        _ => return None,
    };
    Some(slot)
}

/// Reads `X_stats.csv`. Companion texts, when given, add the time series and failure messages.
pub fn read_stats(
    name: &str,
    text: &str,
    history: Option<(&str, &str)>,
    failures: Option<(&str, &str)>,
) -> Result<RunResults, ResultsError> {
    let t = parse_csv(name, text)?;
    let h = &t.headers;
    let need = |names: &[&str]| {
        col(h, names).ok_or_else(|| {
            ResultsError::one(
                name,
                Diagnostic::error(names[0], format!("missing column `{}`", names[0]))
                    .at(Some(1), None)
                    .hint(
                        "a Locust _stats.csv header starts Type,Name,Request Count,Failure Count",
                    ),
            )
        })
    };
    let c_name = need(&["Name"])?;
    let c_type = col(h, &["Type", "Method"]);
    let c_reqs = need(&["Request Count", "# requests"])?;
    let c_fails = need(&["Failure Count", "# failures"])?;
    let c_avg = col(h, &["Average Response Time", "Average response time"]);
    let c_min = col(h, &["Min Response Time", "Min response time"]);
    let c_max = col(h, &["Max Response Time", "Max response time"]);
    let c_rps = col(h, &["Requests/s"]);
    let c_median = col(h, &["Median Response Time", "Median response time"]);
    let pcts: Vec<(usize, Slot)> = h
        .iter()
        .enumerate()
        .filter_map(|(i, hd)| percentile_slot(hd).map(|s| (i, s)))
        .collect();

    let has_p50_column = h.iter().any(|hd| hd == "50%");
    let mut r = RunResults::new(FORMAT_CSV);
    let mut aggregated = false;
    for row in &t.rows {
        let label = row.1.get(c_name).map_or("", |s| s.as_str());
        let requests = number(name, &t, row, Some(c_reqs))?.map(|v| v as u64);
        let errors = number(name, &t, row, Some(c_fails))?.map(|v| v as u64);
        let mut lat = Latency {
            mean: number(name, &t, row, c_avg)?,
            min: number(name, &t, row, c_min)?,
            max: number(name, &t, row, c_max)?,
            ..Latency::default()
        };
        for (i, slot) in &pcts {
            *slot(&mut lat) = number(name, &t, row, Some(*i))?;
        }
        // Old files without percentile columns still have the median.
        if !has_p50_column {
            lat.p50 = number(name, &t, row, c_median)?;
        }
        let stats = Stats {
            requests,
            errors,
            error_rate: match (errors, requests) {
                (Some(e), Some(n)) if n > 0 => Some(e as f64 / n as f64),
                _ => None,
            },
            throughput_rps: number(name, &t, row, c_rps)?,
            latency_ms: lat,
            status_codes: BTreeMap::new(),
            distribution: None,
        };
        let kind = c_type.and_then(|i| row.1.get(i)).map_or("", |s| s.trim());
        if label == "Aggregated" || label == "Total" && kind.is_empty() {
            aggregated = true;
            if let (Some(n), Some(rps)) = (stats.requests, stats.throughput_rps)
                && rps > 0.0
            {
                r.duration_s = Some(n as f64 / rps);
            }
            r.overall = stats;
        } else {
            r.endpoints.push(EndpointResults {
                name: label.to_string(),
                method: (!kind.is_empty()).then(|| kind.to_string()),
                stats,
            });
        }
    }
    if !aggregated {
        return Err(ResultsError::one(
            name,
            Diagnostic::error("Name", "no Aggregated row")
                .at(Some(t.rows.last().map_or(1, |r| r.0 + 1)), None)
                .hint(
                    "Locust ends _stats.csv with a row named Aggregated; was the file cut short?",
                ),
        ));
    }
    r.notes.push(
        "Locust rounds its percentiles to about 2 significant digits; _stats.csv is its last \
         1-second snapshot"
            .into(),
    );
    if let Some((hname, htext)) = history {
        add_history(&mut r, hname, htext)?;
    }
    if let Some((fname, ftext)) = failures {
        add_failures(&mut r, fname, ftext)?;
    }
    Ok(r)
}

/// The Aggregated rows of `X_stats_history.csv` as a time series (one row per second).
pub fn add_history(r: &mut RunResults, name: &str, text: &str) -> Result<(), ResultsError> {
    let t = parse_csv(name, text)?;
    let h = &t.headers;
    let Some(c_ts) = col(h, &["Timestamp"]) else {
        return Err(ResultsError::one(
            name,
            Diagnostic::error("Timestamp", "missing column `Timestamp`").at(Some(1), None),
        ));
    };
    let c_name = col(h, &["Name"]);
    let c_users = col(h, &["User Count"]);
    let c_rps = col(h, &["Requests/s"]);
    let c_fps = col(h, &["Failures/s"]);
    let c_total = col(h, &["Total Request Count"]);
    let pcts: Vec<(usize, Slot)> = h
        .iter()
        .enumerate()
        .filter_map(|(i, hd)| percentile_slot(hd).map(|s| (i, s)))
        .collect();
    let mut first: Option<f64> = None;
    let mut last: Option<f64> = None;
    for row in &t.rows {
        if c_name.is_some_and(|i| row.1.get(i).is_some_and(|n| n != "Aggregated")) {
            continue;
        }
        let Some(ts) = number(name, &t, row, Some(c_ts))? else {
            continue;
        };
        // Rows before the first request carry no figures.
        if number(name, &t, row, c_total)?.unwrap_or(1.0) == 0.0 {
            continue;
        }
        let origin = *first.get_or_insert(ts);
        last = Some(ts);
        let mut lat = Latency::default();
        for (i, slot) in &pcts {
            *slot(&mut lat) = number(name, &t, row, Some(*i))?;
        }
        let rps = number(name, &t, row, c_rps)?;
        let fps = number(name, &t, row, c_fps)?;
        r.timeseries.push(Bucket {
            offset_s: ts - origin,
            throughput_rps: rps,
            error_rate: match (fps, rps) {
                (Some(f), Some(q)) if q > 0.0 => Some((f / q).min(1.0)),
                _ => None,
            },
            latency_ms: lat,
            users: number(name, &t, row, c_users)?,
            memory_percent: None,
        });
    }
    if let (Some(a), Some(b)) = (first, last)
        && b > a
    {
        r.notes.push(format!(
            "time series from {name}: Locust's rates and percentiles over its sliding window"
        ));
    }
    Ok(())
}

/// Failure messages from `X_failures.csv` (2.x, with or without First/Last Seen) as notes.
pub fn add_failures(r: &mut RunResults, name: &str, text: &str) -> Result<(), ResultsError> {
    let t = parse_csv(name, text)?;
    let h = &t.headers;
    let (Some(c_err), Some(c_n)) = (col(h, &["Error"]), col(h, &["Occurrences"])) else {
        return Err(ResultsError::one(
            name,
            Diagnostic::error("", "expected columns Method,Name,Error,Occurrences")
                .at(Some(1), None),
        ));
    };
    let c_method = col(h, &["Method"]);
    let c_name = col(h, &["Name"]);
    let mut rows: Vec<(u64, String)> = Vec::new();
    for row in &t.rows {
        let n = number(name, &t, row, Some(c_n))?.unwrap_or(0.0) as u64;
        let get = |i: Option<usize>| i.and_then(|i| row.1.get(i)).map_or("", |s| s.as_str());
        rows.push((
            n,
            format!("{} {}: {}", get(c_method), get(c_name), get(Some(c_err))),
        ));
    }
    rows.sort_by_key(|r| std::cmp::Reverse(r.0));
    for (n, text) in rows.iter().take(10) {
        r.notes.push(format!("failure ×{n}: {}", text.trim()));
    }
    if rows.len() > 10 {
        r.notes.push(format!(
            "{} more kinds of failure in {name}",
            rows.len() - 10
        ));
    }
    Ok(())
}

/// Locust's percentile over its bucketed response times, computed the way Locust does:
/// the smallest time such that at most (1 - p) of the requests took longer.
fn locust_percentile(times: &[(f64, u64)], total: u64, p: f64) -> Option<f64> {
    if total == 0 {
        return None;
    }
    let wanted = (total as f64 * p) as u64;
    let mut processed = 0u64;
    for (t, n) in times.iter().rev() {
        processed += n;
        if total - processed.min(total) <= wanted {
            return Some(*t);
        }
    }
    Some(0.0)
}

/// Reads the `--json` list of per-endpoint entries; the overall figures are their sum.
pub fn read_json(name: &str, text: &str) -> Result<RunResults, ResultsError> {
    let value = super::json_fields::parse_document(name, text)?;
    let Some(entries) = value.as_array() else {
        return Err(ResultsError::one(
            name,
            Diagnostic::error("", "expected Locust's JSON list of per-endpoint entries"),
        ));
    };
    let mut r = RunResults::new(FORMAT_JSON);
    let mut all_times: BTreeMap<u64, u64> = BTreeMap::new();
    let (mut total, mut fails, mut sum_rt) = (0u64, 0u64, 0.0f64);
    let (mut min, mut max) = (f64::INFINITY, f64::NEG_INFINITY);
    let (mut start, mut end) = (f64::INFINITY, f64::NEG_INFINITY);
    for (i, e) in entries.iter().enumerate() {
        let field = |k: &str| format!("[{i}].{k}");
        let num = |k: &str| -> Result<f64, ResultsError> {
            e.get(k).and_then(Value::as_f64).ok_or_else(|| {
                ResultsError::one(name, Diagnostic::error(field(k), "expected a number"))
            })
        };
        let n = num("num_requests")? as u64;
        let f = num("num_failures")? as u64;
        let total_rt = num("total_response_time")?;
        let mut times: Vec<(f64, u64)> = Vec::new();
        if let Some(map) = e.get("response_times").and_then(Value::as_object) {
            for (k, v) in map {
                let (Ok(t), Some(c)) = (k.parse::<f64>(), v.as_u64()) else {
                    return Err(ResultsError::one(
                        name,
                        Diagnostic::error(field("response_times"), "expected {\"ms\": count}")
                            .value(format!("{k:?}")),
                    ));
                };
                times.push((t, c));
                *all_times.entry(t.round() as u64).or_insert(0) += c;
            }
        }
        times.sort_by(|a, b| a.0.total_cmp(&b.0));
        let lat = Latency {
            mean: (n > 0).then(|| total_rt / n as f64),
            min: e.get("min_response_time").and_then(Value::as_f64),
            max: e.get("max_response_time").and_then(Value::as_f64),
            p50: locust_percentile(&times, n, 0.5),
            p90: locust_percentile(&times, n, 0.9),
            p95: locust_percentile(&times, n, 0.95),
            p99: locust_percentile(&times, n, 0.99),
            p999: locust_percentile(&times, n, 0.999),
        };
        if let Some(v) = lat.min {
            min = min.min(v);
        }
        if let Some(v) = lat.max {
            max = max.max(v);
        }
        if let (Some(s), Some(l)) = (
            e.get("start_time").and_then(Value::as_f64),
            e.get("last_request_timestamp").and_then(Value::as_f64),
        ) {
            start = start.min(s);
            end = end.max(l);
        }
        total += n;
        fails += f;
        sum_rt += total_rt;
        r.endpoints.push(EndpointResults {
            name: e
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string(),
            method: e.get("method").and_then(Value::as_str).map(str::to_string),
            stats: Stats {
                requests: Some(n),
                errors: Some(f),
                error_rate: (n > 0).then(|| f as f64 / n as f64),
                throughput_rps: None,
                distribution: Some(locust_distribution(&times, lat.min, lat.max)),
                latency_ms: lat,
                status_codes: BTreeMap::new(),
            },
        });
    }
    let times: Vec<(f64, u64)> = all_times.into_iter().map(|(t, c)| (t as f64, c)).collect();
    let duration = (end > start).then_some(end - start);
    r.duration_s = duration;
    r.overall = Stats {
        requests: Some(total),
        errors: Some(fails),
        error_rate: (total > 0).then(|| fails as f64 / total as f64),
        throughput_rps: duration.map(|d| total as f64 / d),
        latency_ms: Latency {
            mean: (total > 0).then(|| sum_rt / total as f64),
            min: min.is_finite().then_some(min),
            max: max.is_finite().then_some(max),
            p50: locust_percentile(&times, total, 0.5),
            p90: locust_percentile(&times, total, 0.9),
            p95: locust_percentile(&times, total, 0.95),
            p99: locust_percentile(&times, total, 0.99),
            p999: locust_percentile(&times, total, 0.999),
        },
        status_codes: BTreeMap::new(),
        distribution: Some(locust_distribution(
            &times,
            min.is_finite().then_some(min),
            max.is_finite().then_some(max),
        )),
    };
    if let Some(d) = duration {
        for ep in &mut r.endpoints {
            ep.stats.throughput_rps = ep.stats.requests.map(|n| n as f64 / d);
        }
    }
    if let Some((series, detail)) = super::locust_series::read(entries) {
        r.timeseries = series;
        r.detail = Some(detail);
    }
    r.notes.push(
        "percentiles recomputed from Locust's bucketed response times, the way Locust computes them"
            .into(),
    );
    Ok(r)
}

/// Locust's bucketed response times as bins: Locust keeps a time below 100 ms to the
/// millisecond, below 1 s to 10 ms, below 10 s to 100 ms and beyond to the second (rounding to
/// the nearest), so each key stands for the values within half a step of it.
fn locust_distribution(times: &[(f64, u64)], min: Option<f64>, max: Option<f64>) -> Distribution {
    let bins = times
        .iter()
        .map(|&(t, count)| {
            let step = if t < 100.0 {
                1.0
            } else if t < 1000.0 {
                10.0
            } else if t < 10_000.0 {
                100.0
            } else {
                1000.0
            };
            Bin {
                lo_ms: (t - step / 2.0).max(0.0),
                hi_ms: t + step / 2.0,
                count,
            }
        })
        .collect();
    Distribution::from_bins(bins, min, max)
}

/// `X_stats.csv` for a companion file name, if it is one.
pub fn companion_of(file_name: &str) -> Option<String> {
    COMPANIONS.iter().find_map(|suffix| {
        let prefix = file_name.strip_suffix(suffix)?;
        let base = prefix.rsplit(['/', '\\']).next().unwrap_or(prefix);
        (!base.is_empty()).then(|| format!("{prefix}_stats.csv"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn companions_map_to_the_stats_file() {
        assert_eq!(
            companion_of("run_stats_history.csv").as_deref(),
            Some("run_stats.csv")
        );
        assert_eq!(
            companion_of("run_failures.csv").as_deref(),
            Some("run_stats.csv")
        );
        assert_eq!(
            companion_of("a/b_exceptions.csv").as_deref(),
            Some("a/b_stats.csv")
        );
        assert_eq!(companion_of("run_stats.csv"), None);
        assert_eq!(companion_of("_failures.csv"), None);
        assert_eq!(companion_of("failures.csv"), None);
    }

    #[test]
    fn a_cut_json_list_says_where_and_that_it_ends_early() {
        let text = "\u{feff}[\n  {\"name\": \"/a\", \"method\": \"GET\",\n";
        let err = read_json("run.json", text).expect_err("a cut list must be refused");
        let d = &err.diagnostics[0];
        assert!(d.message.contains("ends early"), "{}", d.message);
        assert_eq!(d.line, Some(3));
    }

    #[test]
    fn percentile_like_locust() {
        // 10 requests of 1..=10 ms: Locust counts down from the slowest until at most
        // int(10 * p) requests remain, so p50 is 6 and p90 is 10.
        let times: Vec<(f64, u64)> = (1..=10).map(|t| (t as f64, 1)).collect();
        assert_eq!(locust_percentile(&times, 10, 0.5), Some(6.0));
        assert_eq!(locust_percentile(&times, 10, 0.9), Some(10.0));
        assert_eq!(locust_percentile(&times, 10, 0.99), Some(10.0));
    }
}
