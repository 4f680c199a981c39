//! Detection of the runners' JSON summaries (k6, Gatling, Artillery, Vegeta, JMeter dashboard) and
//! dispatch to their readers. The helpers the readers share live in `json_fields`.

use serde_json::Value;

use super::json_fields::Ctx;
use super::model::{ResultsError, RunResults};
use super::{artillery, gatling, jmeter_stats, k6_summary, vegeta};
use crate::diag::Diagnostic;
use crate::textdoc;

/// Reads `value` if it is one of the runners' JSON summaries. `None` means "not one of these
/// formats", so the caller can try the next reader.
pub fn read_json_results(
    name: &str,
    text: &str,
    value: &Value,
) -> Option<Result<RunResults, ResultsError>> {
    let kind = detect(value)?;
    let mut ctx = Ctx::new(name, text);
    let results = match kind {
        Kind::K6 => k6_summary::read(&mut ctx, value),
        Kind::Gatling => gatling::read(&mut ctx, value, "gatling-stats-json"),
        Kind::Artillery => artillery::read(&mut ctx, value),
        Kind::Vegeta => vegeta::read(&mut ctx, value),
        Kind::JMeter => jmeter_stats::read(&mut ctx, value),
    };
    Some(ctx.finish(results))
}

/// Parses `text` as JSON and reads it if it is a runner's summary. A document that does not parse
/// is left to the prototype summary reader, which reports where the JSON breaks.
pub fn read_text(name: &str, text: &str) -> Option<Result<RunResults, ResultsError>> {
    let body = text.trim_start_matches('\u{feff}');
    if !body.trim_start().starts_with('{') {
        return None;
    }
    let value: Value = textdoc::parse_json(body).ok()?;
    read_json_results(name, body, &value)
}

/// Reads runner files that are not JSON documents but are recognisable from their content or
/// name: Gatling's `js/stats.js` (read), and Gatling's `simulation.log` (refused with advice).
pub fn read_other(name: &str, bytes: &[u8]) -> Option<Result<RunResults, ResultsError>> {
    if let Some(err) = gatling::refuse_simulation_log(name, bytes) {
        return Some(Err(err));
    }
    let text = std::str::from_utf8(bytes).ok()?;
    let json = gatling::stats_js_to_json(text)?;
    let value: Value = match textdoc::parse_json(&json) {
        Ok(v) => v,
        Err(e) => {
            return Some(Err(ResultsError::one(
                name,
                Diagnostic::error(
                    "",
                    format!("Gatling stats.js could not be read as data: {}", e.message),
                )
                .at(e.line, e.column)
                .hint("is the file complete? Gatling writes it at the end of the run"),
            )));
        }
    };
    // The converted text keeps the file's lines, so positions still point into the user's file.
    let mut ctx = Ctx::new(name, &json);
    let results = gatling::read(&mut ctx, &value, "gatling-stats-js");
    Some(ctx.finish(results))
}

/// Whether a parsed JSON document is one of the formats this module reads.
pub fn looks_like(value: &Value) -> bool {
    detect(value).is_some()
}

#[derive(Clone, Copy)]
enum Kind {
    K6,
    Gatling,
    Artillery,
    Vegeta,
    JMeter,
}

fn detect(value: &Value) -> Option<Kind> {
    let map = value.as_object()?;
    if k6_summary::detect(map) {
        Some(Kind::K6)
    } else if gatling::detect(map) {
        Some(Kind::Gatling)
    } else if artillery::detect(map) {
        Some(Kind::Artillery)
    } else if vegeta::detect(map) {
        Some(Kind::Vegeta)
    } else if jmeter_stats::detect(map) {
        Some(Kind::JMeter)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    macro_rules! fixtures {
        ($($path:literal),* $(,)?) => {
            [$(($path, include_str!(concat!("../../fixtures/", $path)))),*]
        };
    }

    #[test]
    fn every_runner_summary_looks_like_results_and_a_profile_does_not() {
        for (f, text) in fixtures![
            "results/k6/handle-summary-passing.json",
            "results/k6/summary-export-thresholds-failed.json",
            "results/k6/machine-readable-summary.json",
            "results/gatling/stats.json",
            "results/gatling/global_stats.json",
            "results/artillery/report.json",
            "results/artillery/legacy-v1-report.json",
            "results/vegeta/report.json",
            "results/jmeter/statistics.json",
        ] {
            let v: Value = serde_json::from_str(text).unwrap();
            assert!(looks_like(&v), "{f}");
            assert!(crate::results::looks_like_results(&v), "{f}");
        }
        let profile = serde_json::json!({"service": "a", "traffic": {"peak_rps": 5},
            "slo": {"latency_ms": {"p95": 300}}, "endpoints": [{"path": "/x", "method": "GET"}]});
        assert!(!looks_like(&profile));
        // A plain document with a `metrics` key that is not k6's is not claimed either.
        assert!(!looks_like(&serde_json::json!({"metrics": {"cpu": 1}})));
    }

    #[test]
    fn errors_name_file_field_and_position() {
        let text = "{\n  \"latencies\": {\"50th\": \"x\"},\n  \"requests\": 1,\n  \"status_codes\": {}\n}\n";
        let v: Value = serde_json::from_str(text).unwrap();
        let e = read_json_results("v.json", text, &v).unwrap().unwrap_err();
        let d = &e.diagnostics[0];
        assert_eq!(d.file.as_deref(), Some("v.json"));
        assert_eq!(d.field, "latencies.50th");
        assert_eq!((d.line, d.column), (Some(2), Some(17)));
    }
}
