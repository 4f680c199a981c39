//! Property tests: no input makes the results readers panic. Random JSON is wrapped in the
//! shapes that route it to each runner's reader, and the fixtures are mutated byte by byte.

use perfassist::results;
use proptest::prelude::*;
use serde_json::{Value, json};

fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>()
            .prop_filter("JSON has no NaN or infinity", |f| f.is_finite())
            .prop_map(|f| json!(f)),
        prop_oneof![
            Just("-".to_string()),
            Just("12.5".to_string()),
            Just("p(95)".to_string()),
            "[a-z0-9(){}:./ ]{0,12}"
        ]
        .prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        let key = prop_oneof![
            Just("count".to_string()),
            Just("rate".to_string()),
            Just("values".to_string()),
            Just("thresholds".to_string()),
            Just("total".to_string()),
            Just("ko".to_string()),
            Just("http_reqs".to_string()),
            Just("http_req_duration{name:/a}".to_string()),
            Just("http_req_failed".to_string()),
            Just("http.requests".to_string()),
            Just("http.codes.500".to_string()),
            Just("errors.ETIMEDOUT".to_string()),
            Just("http.response_time".to_string()),
            Just("plugins.metrics-by-endpoint./a.codes.200".to_string()),
            Just("plugins.metrics-by-endpoint.response_time./a".to_string()),
            Just("p95".to_string()),
            Just("p(99)".to_string()),
            Just("type".to_string()),
            Just("contents".to_string()),
            Just("stats".to_string()),
            Just("numberOfRequests".to_string()),
            Just("percentiles3".to_string()),
            Just("50th".to_string()),
            Just("period".to_string()),
            "[a-z_.]{1,8}",
        ];
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::btree_map(key, inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Wraps a random value so that format detection sends it to one of the runner readers.
fn routed(v: Value, route: u8) -> Value {
    match route % 10 {
        0 => json!({ "root_group": {}, "metrics": v }),
        1 => json!({ "metrics": { "http_reqs": v.clone(), "http_req_duration": { "values": v } } }),
        2 => {
            json!({ "version": "1.0.0", "results": { "metrics": [ { "name": "http_reqs", "values": v } ] } })
        }
        3 => {
            json!({ "type": "GROUP", "stats": v.clone(), "contents": { "r": { "type": "REQUEST", "stats": v } } })
        }
        4 => json!({ "numberOfRequests": { "total": v.clone() }, "percentiles3": v }),
        5 => {
            json!({ "aggregate": { "counters": v.clone(), "summaries": v.clone() }, "intermediate": [ { "counters": v } ] })
        }
        6 => {
            json!({ "aggregate": { "requestsCompleted": v.clone(), "errors": v.clone(), "latency": v } })
        }
        7 => json!({ "latencies": { "50th": v.clone() }, "status_codes": v.clone(), "success": v }),
        8 => {
            json!({ "Total": { "transaction": "Total", "sampleCount": v.clone(), "errorPct": v.clone() }, "GET /a": v })
        }
        _ => v,
    }
}

fn check(name: &str, bytes: &[u8]) {
    if let Err(e) = results::read(name, bytes) {
        assert!(!e.diagnostics.is_empty(), "an error without a diagnostic");
        for d in &e.diagnostics {
            assert_eq!(d.file.as_deref(), Some(name), "{d}");
        }
    }
}

const FIXTURES: &[&str] = &[
    "fixtures/results/k6/handle-summary-passing.json",
    "fixtures/results/k6/summary-export-thresholds-failed.json",
    "fixtures/results/k6/machine-readable-summary.json",
    "fixtures/results/gatling/stats.json",
    "fixtures/results/gatling/stats.js",
    "fixtures/results/artillery/report.json",
    "fixtures/results/artillery/legacy-v1-report.json",
    "fixtures/results/vegeta/report.json",
    "fixtures/results/jmeter/statistics.json",
];

fn fixture(i: usize) -> (String, Vec<u8>) {
    let path = FIXTURES[i % FIXTURES.len()];
    let full = format!("{}/{path}", env!("CARGO_MANIFEST_DIR"));
    (path.to_string(), std::fs::read(full).unwrap())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn random_json_in_runner_shapes_never_panics(v in any_json(), route in any::<u8>()) {
        let text = serde_json::to_string(&routed(v, route)).unwrap();
        check("random.json", text.as_bytes());
    }

    #[test]
    fn mutated_fixtures_never_panic(
        which in any::<usize>(),
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..3), 1..8),
        cut in any::<prop::sample::Index>(),
        truncate in any::<bool>(),
    ) {
        let (name, mut bytes) = fixture(which);
        for (at, byte, op) in edits {
            if bytes.is_empty() {
                break;
            }
            let i = at.index(bytes.len());
            match op {
                0 => bytes[i] = byte,
                1 => bytes.insert(i, byte),
                _ => { bytes.remove(i); }
            }
        }
        if truncate && !bytes.is_empty() {
            bytes.truncate(cut.index(bytes.len()));
        }
        check(&name, &bytes);
    }
}
