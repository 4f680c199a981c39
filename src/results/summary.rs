//! The prototype's metrics summary: a flat JSON object or a CSV (one header row and one data row,
//! or `metric,value` rows) with p50_ms … p99_ms, error_rate, throughput_rps, cpu_percent and
//! memory_percent. Kept exactly compatible; units may also be given in the key or the value.

use serde_json::Value;

use super::model::{ResultsError, RunResults};
use crate::diag::{self, Diagnostic, show};
use crate::locate::Positions;
use crate::units::{TimeUnit, parse_latency_ms};

/// Where a value sits, for error messages.
#[derive(Clone, Copy)]
enum At {
    Json,
    Csv { line: u64, column: usize },
}

#[derive(Clone, Copy, PartialEq)]
enum Field {
    Latency(LatField),
    ErrorRate,
    ErrorPercent,
    Throughput,
    Cpu,
    Memory,
    Requests,
    Errors,
    Duration,
}

#[derive(Clone, Copy, PartialEq)]
enum LatField {
    Mean,
    Min,
    P50,
    P90,
    P95,
    P99,
    P999,
    Max,
}

/// Maps a key to a field and, for latencies, the unit its suffix names.
/// `Err(unit)` means a latency key with a unit we do not know.
fn classify(key: &str) -> Option<Result<(Field, TimeUnit), String>> {
    let k = key.trim().to_ascii_lowercase();
    let plain = |f| Some(Ok((f, TimeUnit::Millis)));
    match k.as_str() {
        "error_rate" => return plain(Field::ErrorRate),
        "error_percent" | "error_rate_percent" | "error_pct" => return plain(Field::ErrorPercent),
        "throughput_rps" | "rps" | "throughput" => return plain(Field::Throughput),
        "cpu_percent" => return plain(Field::Cpu),
        "memory_percent" => return plain(Field::Memory),
        "requests" | "request_count" | "total_requests" => return plain(Field::Requests),
        "errors" | "error_count" | "failures" => return plain(Field::Errors),
        "duration_s" => return plain(Field::Duration),
        _ => {}
    }
    let (stem, unit) = k.rsplit_once('_')?;
    let lat = match stem {
        "mean" | "avg" | "average" => LatField::Mean,
        "min" => LatField::Min,
        "p50" | "median" => LatField::P50,
        "p90" => LatField::P90,
        "p95" => LatField::P95,
        "p99" => LatField::P99,
        "p99_9" | "p999" | "p99.9" => LatField::P999,
        "max" => LatField::Max,
        _ => return None,
    };
    Some(match TimeUnit::from_suffix(unit) {
        Some(u) => Ok((Field::Latency(lat), u)),
        None => Err(unit.to_string()),
    })
}

/// The keys a summary is written with, for suggestions.
const KNOWN: &[&str] = &[
    "error_rate",
    "error_percent",
    "throughput_rps",
    "cpu_percent",
    "memory_percent",
    "requests",
    "errors",
    "duration_s",
    "mean_ms",
    "min_ms",
    "p50_ms",
    "p90_ms",
    "p95_ms",
    "p99_ms",
    "p99_9_ms",
    "max_ms",
];

/// The known key an unknown one is a near miss of: a typo (`eror_rate`), a latency without its
/// unit (`p99`), or its unit without the underscore (`p95ms`).
fn near_miss(key: &str) -> Option<String> {
    let k = key.trim().to_ascii_lowercase();
    let stems = [
        "mean", "avg", "min", "p50", "median", "p90", "p95", "p99", "p999", "p99_9", "max",
    ];
    if stems.contains(&k.as_str()) {
        return Some(format!("{k}_ms"));
    }
    for stem in stems {
        if let Some(unit) = k.strip_prefix(stem)
            && TimeUnit::from_suffix(unit).is_some()
        {
            return Some(format!("{stem}_{unit}"));
        }
    }
    crate::profile::closest_key(&k, KNOWN).map(str::to_string)
}

struct Builder<'a> {
    file: &'a str,
    results: RunResults,
    diags: Vec<Diagnostic>,
    seen_metric: bool,
}

impl Builder<'_> {
    fn error(&mut self, d: Diagnostic, at: At) {
        let d = match at {
            At::Json => d,
            At::Csv { line, column } => d.at(Some(line as usize), Some(column)),
        };
        self.diags.push(d);
    }

    fn set(&mut self, key: &str, value: &Value, at: At) {
        let Some(class) = classify(key) else {
            if key == "service" {
                if let Value::String(s) = value {
                    self.results.service = Some(s.clone());
                }
            } else if let Some(meant) = near_miss(key) {
                // A misspelt metric must not pass a gate by going unread.
                self.error(
                    Diagnostic::error(key, "not a metric perfassist reads")
                        .hint(format!("did you mean `{meant}`?")),
                    at,
                );
            } else {
                self.results
                    .notes
                    .push(format!("ignored unknown field `{key}`"));
            }
            return;
        };
        let (field, unit) = match class {
            Ok(c) => c,
            Err(unit) => {
                self.error(
                    Diagnostic::error(key, format!("unknown time unit `{unit}`"))
                        .hint("end latency keys with _ms, _s, _us or _ns, e.g. p95_ms"),
                    at,
                );
                return;
            }
        };
        let number = match value {
            Value::Number(n) => n.as_f64(),
            Value::String(s) if matches!(field, Field::Latency(_)) => match parse_latency_ms(s) {
                // A bare number in quotes carries the key's unit; one with a unit is already in ms.
                Ok(ms) if s.trim().parse::<f64>().is_err() => Some(unit.from_ms_inverse(ms)),
                Ok(_) => s.trim().parse::<f64>().ok(),
                Err(bad) => {
                    self.error(
                        Diagnostic::error(key, format!("unknown time unit `{bad}`"))
                            .value(show(value))
                            .hint("write a number of milliseconds, or a value like 350ms, 0.35s"),
                        at,
                    );
                    return;
                }
            },
            Value::String(s) => s.trim().trim_end_matches('%').trim().parse::<f64>().ok(),
            Value::Null => return,
            _ => None,
        };
        let Some(v) = number.filter(|v| v.is_finite()) else {
            self.error(
                Diagnostic::error(key, "expected a number").value(show(value)),
                at,
            );
            return;
        };
        if v < 0.0 {
            self.error(Diagnostic::error(key, "must not be negative").value(v), at);
            return;
        }
        self.seen_metric = true;
        let r = &mut self.results;
        match field {
            Field::Latency(l) => {
                let ms = unit.to_ms(v);
                let lat = &mut r.overall.latency_ms;
                let slot = match l {
                    LatField::Mean => &mut lat.mean,
                    LatField::Min => &mut lat.min,
                    LatField::P50 => &mut lat.p50,
                    LatField::P90 => &mut lat.p90,
                    LatField::P95 => &mut lat.p95,
                    LatField::P99 => &mut lat.p99,
                    LatField::P999 => &mut lat.p999,
                    LatField::Max => &mut lat.max,
                };
                *slot = Some(ms);
            }
            Field::ErrorRate if v > 1.0 => self.error(
                Diagnostic::error(key, "must be a ratio between 0 and 1")
                    .value(v)
                    .hint(if v <= 100.0 {
                        format!(
                            "this looks like a percentage: for {v} % write {} or use error_percent",
                            v / 100.0
                        )
                    } else {
                        "a ratio of failed to total requests".to_string()
                    }),
                at,
            ),
            Field::ErrorRate => r.overall.error_rate = Some(v),
            Field::ErrorPercent if v > 100.0 => self.error(
                Diagnostic::error(key, "must be a percentage between 0 and 100").value(v),
                at,
            ),
            Field::ErrorPercent => r.overall.error_rate = Some(v / 100.0),
            Field::Throughput => r.overall.throughput_rps = Some(v),
            Field::Cpu | Field::Memory if v > 100.0 => self.error(
                Diagnostic::error(key, "must be a percentage between 0 and 100")
                    .value(v)
                    .hint("give utilisation of the whole machine or container, 0–100"),
                at,
            ),
            Field::Cpu => r.resources.cpu_percent = Some(v),
            Field::Memory => r.resources.memory_percent = Some(v),
            Field::Requests => r.overall.requests = Some(v.round() as u64),
            Field::Errors => r.overall.errors = Some(v.round() as u64),
            Field::Duration => r.duration_s = Some(v),
        }
    }

    fn finish(mut self, positions: Option<&Positions>) -> Result<RunResults, ResultsError> {
        if !self.seen_metric && self.diags.is_empty() {
            self.diags.push(
                Diagnostic::error("", "no metrics found")
                    .hint("expected fields such as p95_ms, p99_ms, error_rate, throughput_rps"),
            );
        }
        let o = &self.results.overall;
        if let (Some(p50), Some(p99)) = (o.latency_ms.p50, o.latency_ms.p99)
            && p99 < p50
        {
            self.diags.push(
                Diagnostic::error(
                    "p99_ms",
                    format!("is below p50_ms ({p50}): percentiles cannot decrease"),
                )
                .value(p99),
            );
        }
        if let (Some(e), Some(r)) = (o.errors, o.requests)
            && e > r
        {
            self.diags
                .push(Diagnostic::error("errors", format!("is more than requests ({r})")).value(e));
        }
        if self.diags.iter().any(Diagnostic::is_error) {
            if let Some(p) = positions {
                diag::place(&mut self.diags, self.file, p);
            }
            for d in &mut self.diags {
                d.file = Some(self.file.to_string());
            }
            return Err(ResultsError {
                file: self.file.to_string(),
                diagnostics: self.diags,
            });
        }
        if self.results.overall.error_rate.is_none() {
            self.results.overall.error_rate = self.results.overall.error_rate();
        }
        Ok(self.results)
    }
}

/// Whether `key` names a metric of the summary (`p95_ms`, `error_rate`, ...).
pub fn is_metric_key(key: &str) -> bool {
    matches!(classify(key), Some(Ok(_)))
}

pub fn looks_like_summary(value: &Value) -> bool {
    value
        .as_object()
        .is_some_and(|m| m.keys().any(|k| matches!(classify(k), Some(Ok(_)))))
}

pub fn read(name: &str, text: &str) -> Result<RunResults, ResultsError> {
    let trimmed = text.trim_start_matches('\u{feff}').trim_start();
    if trimmed.starts_with('{') || trimmed.starts_with('[') {
        read_json(name, text)
    } else if name.to_ascii_lowercase().ends_with(".json") {
        Err(ResultsError::one(
            name,
            Diagnostic::error("", "expected a JSON object")
                .hint("a metrics summary looks like {\"p95_ms\": 350, ...}"),
        ))
    } else {
        read_csv(name, text)
    }
}

fn read_json(name: &str, text: &str) -> Result<RunResults, ResultsError> {
    let value = super::json_fields::parse_document(name, text)?;
    let Some(map) = value.as_object() else {
        return Err(ResultsError::one(
            name,
            Diagnostic::error("", "expected a JSON object of metric names to values")
                .value(show(&value)),
        ));
    };
    let mut b = Builder {
        file: name,
        results: RunResults::new("perfassist-summary-json"),
        diags: Vec::new(),
        seen_metric: false,
    };
    for (k, v) in map {
        b.set(k, v, At::Json);
    }
    b.finish(Some(&Positions::of(text)))
}

fn read_csv(name: &str, text: &str) -> Result<RunResults, ResultsError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let csv_err = |e: csv::Error| ResultsError::not_csv(name, &e);
    let headers = reader.headers().map_err(csv_err)?.clone();
    let mut b = Builder {
        file: name,
        results: RunResults::new("perfassist-summary-csv"),
        diags: Vec::new(),
        seen_metric: false,
    };
    let h0 = headers.get(0).unwrap_or("").to_ascii_lowercase();
    let long = headers.len() == 2 && (h0 == "metric" || h0 == "name" || h0 == "key");
    // A metric given twice would be read as whichever comes last: say so instead.
    let mut seen: Vec<(String, usize)> = Vec::new();
    let mut once = |b: &mut Builder, key: &str, line: u64, column: usize| {
        let k = key.trim().to_ascii_lowercase();
        if k.is_empty() {
            return true;
        }
        if let Some((_, first)) = seen.iter().find(|(s, _)| *s == k) {
            b.error(
                Diagnostic::error(
                    key,
                    format!("given twice (first on line {first}): give each metric once"),
                ),
                At::Csv { line, column },
            );
            return false;
        }
        seen.push((k, line as usize));
        true
    };
    if !long {
        for (i, h) in headers.iter().enumerate() {
            once(&mut b, h, 1, i + 1);
        }
    }
    let mut rows = 0;
    for rec in reader.records() {
        let rec = rec.map_err(csv_err)?;
        let line = rec.position().map(|p| p.line()).unwrap_or(0);
        if rec.iter().all(|c| c.is_empty()) {
            continue;
        }
        rows += 1;
        if long {
            let key = rec.get(0).unwrap_or("");
            let val = rec.get(1).unwrap_or("");
            if once(&mut b, key, line, 1) {
                b.set(key, &cell(val), At::Csv { line, column: 2 });
            }
            continue;
        }
        if rows > 1 {
            b.error(
                Diagnostic::error("", "a summary CSV has one data row")
                    .hint("write one row of values under the header, or metric,value rows"),
                At::Csv { line, column: 1 },
            );
            break;
        }
        if rec.len() != headers.len() {
            b.error(
                Diagnostic::error(
                    "",
                    format!(
                        "has {} cells but the header has {} columns",
                        rec.len(),
                        headers.len()
                    ),
                ),
                At::Csv { line, column: 1 },
            );
            continue;
        }
        for (i, (h, v)) in headers.iter().zip(rec.iter()).enumerate() {
            b.set(
                h,
                &cell(v),
                At::Csv {
                    line,
                    column: i + 1,
                },
            );
        }
    }
    if rows == 0 {
        b.error(
            Diagnostic::error("", "the CSV has a header but no data row")
                .hint("was the run interrupted?"),
            At::Csv { line: 1, column: 1 },
        );
    }
    b.finish(None)
}

/// A CSV cell as a JSON value: numbers stay numbers, the rest stays text for unit parsing.
fn cell(s: &str) -> Value {
    if s.is_empty() {
        return Value::Null;
    }
    match s.parse::<f64>() {
        Ok(n) => serde_json::Number::from_f64(n)
            .map(Value::Number)
            .unwrap_or(Value::String(s.into())),
        Err(_) => Value::String(s.to_string()),
    }
}
