//! The runners' JSON summaries as a user feeds them to the real binary: `results` normalises
//! them, `interpret` judges them, and bad files are refused with file, field and position.

use std::process::{Command, Output};

use serde_json::Value;

const PROFILE: &str = "fixtures/checkout-profile.yaml";

fn perfassist(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_perfassist"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap()
}

fn results(file: &str) -> Value {
    let o = perfassist(&["results", "--metrics", file]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{file}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    serde_json::from_slice(&o.stdout).unwrap()
}

/// Runs `results` on a file that must be refused; returns stderr.
fn refused(file: &str) -> String {
    let o = perfassist(&["results", "--metrics", file]);
    assert_ne!(o.status.code(), Some(0), "{file} was accepted");
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn interpret(file: &str) -> (Option<i32>, Value) {
    let o = perfassist(&[
        "interpret",
        "--profile",
        PROFILE,
        "--metrics",
        file,
        "--format",
        "json",
    ]);
    let v = serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|_| panic!("{file}: {}", String::from_utf8_lossy(&o.stderr)));
    (o.status.code(), v)
}

fn endpoint<'a>(r: &'a Value, name: &str) -> &'a Value {
    r["endpoints"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["name"] == name)
        .unwrap_or_else(|| panic!("no endpoint {name} in {r}"))
}

fn issue_kinds(a: &Value) -> Vec<String> {
    a["issues"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["kind"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn k6_handle_summary_reads_overall_endpoints_and_status_codes() {
    let r = results("fixtures/results/k6/handle-summary-passing.json");
    assert_eq!(r["format"], "k6-handle-summary");
    assert_eq!(r["duration_s"], 60.0125);
    let o = &r["overall"];
    assert_eq!(o["requests"], 12000);
    // http_req_failed's `passes` are the failed requests; the rate is taken as written.
    assert_eq!(o["errors"], 10);
    assert_eq!(o["error_rate"], 10.0 / 12000.0);
    assert_eq!(o["throughput_rps"], 199.958);
    assert_eq!(o["latency_ms"]["p95"], 340.75);
    assert_eq!(o["latency_ms"]["p99"], 612.3);
    assert_eq!(o["latency_ms"]["p50"], 150.2);
    assert_eq!(o["status_codes"]["503"], 10);
    let submit = endpoint(&r, "/cart/submit");
    assert_eq!(submit["method"], "POST");
    assert_eq!(submit["requests"], 4000);
    assert_eq!(submit["errors"], 8);
    assert_eq!(submit["latency_ms"]["p99"], 700.2);
    // Only name/url/method sub-metrics are endpoints, not {expected_response:true}.
    assert_eq!(r["endpoints"].as_array().unwrap().len(), 2);
}

#[test]
fn k6_handle_summary_passes_against_the_profile() {
    let (code, a) = interpret("fixtures/results/k6/handle-summary-passing.json");
    assert_eq!(a["verdict"], "pass", "{a}");
    assert_eq!(code, Some(0));
    assert_eq!(a["results_format"], "k6-handle-summary");
}

#[test]
fn k6_export_failed_thresholds_and_dropped_iterations_reach_the_assessment() {
    let r = results("fixtures/results/k6/summary-export-thresholds-failed.json");
    assert_eq!(r["format"], "k6-summary-export");
    // In --summary-export `true` means FAILED: the `false` one (avg<1000) passed.
    assert_eq!(
        r["runner"]["thresholds_failed"],
        serde_json::json!(["http_req_duration: p(95)<400", "http_req_failed: rate<0.01"])
    );
    assert_eq!(r["runner"]["dropped_iterations"], 1200);
    assert_eq!(r["overall"]["error_rate"], 0.03);
    assert_eq!(r["overall"]["errors"], 270);
    assert!(r["overall"]["latency_ms"].get("p99").is_none());
    assert!(
        r["notes"][0]
            .as_str()
            .unwrap()
            .contains("summary-trend-stats"),
        "{r}"
    );
    let (code, a) = interpret("fixtures/results/k6/summary-export-thresholds-failed.json");
    assert_eq!(a["verdict"], "fail");
    assert_ne!(code, Some(0));
    let kinds = issue_kinds(&a);
    assert!(
        kinds.contains(&"dropped-iterations".to_string()),
        "{kinds:?}"
    );
    assert!(kinds.contains(&"runner-thresholds-failed".to_string()));
    // p99 is absent, never interpolated: the p99 objective cannot be evaluated.
    let p99 = a["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["metric"] == "latency_p99_ms" && c["scope"] == "overall")
        .unwrap();
    assert!(p99.get("observed").is_none_or(Value::is_null), "{p99}");
}

#[test]
fn k6_all_errors_and_single_request() {
    let r = results("fixtures/results/k6/summary-export-all-errors.json");
    assert_eq!(r["overall"]["errors"], 500);
    assert_eq!(r["overall"]["error_rate"], 1.0);
    assert_eq!(
        interpret("fixtures/results/k6/summary-export-all-errors.json").1["verdict"],
        "fail"
    );
    let r = results("fixtures/results/k6/handle-summary-single-request.json");
    assert_eq!(r["overall"]["requests"], 1);
    assert_eq!(r["overall"]["errors"], 0);
    assert_eq!(r["overall"]["latency_ms"]["p99"], 87.5);
}

#[test]
fn k6_machine_readable_summary_is_read_with_what_it_has() {
    let r = results("fixtures/results/k6/machine-readable-summary.json");
    assert_eq!(r["format"], "k6-machine-readable-summary");
    assert_eq!(r["overall"]["requests"], 3000);
    assert_eq!(r["overall"]["errors"], 15);
    assert_eq!(r["overall"]["error_rate"], 0.005);
    assert_eq!(r["duration_s"], 30.004);
    assert_eq!(r["overall"]["latency_ms"]["p95"], 250.8);
    assert!(r["overall"]["latency_ms"].get("p99").is_none());
}

#[test]
fn gatling_stats_json_and_stats_js_give_the_same_results() {
    let json = results("fixtures/results/gatling/stats.json");
    let js = results("fixtures/results/gatling/stats.js");
    assert_eq!(json["format"], "gatling-stats-json");
    assert_eq!(js["format"], "gatling-stats-js");
    for r in [&json, &js] {
        let o = &r["overall"];
        assert_eq!(o["requests"], 12000);
        assert_eq!(o["errors"], 36);
        assert_eq!(o["error_rate"], 0.003);
        assert_eq!(o["throughput_rps"], 200.0);
        // percentiles1..4 = 50/75/95/99: percentiles3 is p95, percentiles4 is p99.
        assert_eq!(o["latency_ms"]["p50"], 120.0);
        assert_eq!(o["latency_ms"]["p95"], 360.0);
        assert_eq!(o["latency_ms"]["p99"], 710.0);
        assert!(o["latency_ms"].get("p90").is_none());
        // The request inside the `checkout` group is found too.
        let submit = endpoint(r, "POST /cart/submit");
        assert_eq!(submit["errors"], 30);
        assert_eq!(submit["latency_ms"]["p95"], 450.0);
        assert_eq!(endpoint(r, "GET /cart/view")["requests"], 8000);
    }
    let (_, a) = interpret("fixtures/results/gatling/stats.json");
    assert_eq!(a["results_format"], "gatling-stats-json");
    // The runner's `METHOD path` names match the profile's endpoints: no unmatched-name issue.
    assert!(
        !issue_kinds(&a).iter().any(|k| k.contains("unmatched")),
        "{a}"
    );
}

#[test]
fn gatling_global_stats_edge_cases() {
    let r = results("fixtures/results/gatling/global_stats.json");
    assert_eq!(r["format"], "gatling-global-stats-json");
    assert_eq!(r["overall"]["latency_ms"]["max"], 2310.0);
    let r = results("fixtures/results/gatling/global_stats-all-ko.json");
    assert_eq!(r["overall"]["error_rate"], 1.0);
    // With no requests Gatling writes zeros: they are no data, not 0 ms.
    let r = results("fixtures/results/gatling/global_stats-no-requests.json");
    assert_eq!(r["overall"]["requests"], 0);
    assert!(r["overall"]["latency_ms"].as_object().unwrap().is_empty());
}

#[test]
fn gatling_simulation_log_is_refused_with_advice() {
    let e = refused("fixtures/results/gatling/simulation.log");
    assert!(e.contains("fixtures/results/gatling/simulation.log"), "{e}");
    assert!(e.contains("binary Gatling simulation.log"), "{e}");
    assert!(e.contains("js/stats.js"), "{e}");
}

#[test]
fn artillery_v2_report_counts_errors_codes_endpoints_and_periods() {
    let r = results("fixtures/results/artillery/report.json");
    assert_eq!(r["format"], "artillery-report-json");
    let o = &r["overall"];
    assert_eq!(o["requests"], 1200);
    // 5 requests without a response (errors.ETIMEDOUT) + 12 HTTP 500 + 3 HTTP 404.
    assert_eq!(o["errors"], 20);
    assert_eq!(o["status_codes"]["500"], 12);
    assert_eq!(o["latency_ms"]["p95"], 210.6);
    assert_eq!(o["latency_ms"]["p99.9"], 1901.4);
    assert_eq!(o["latency_ms"]["mean"], 70.4);
    assert_eq!(r["duration_s"], 59.96);
    let submit = endpoint(&r, "/cart/submit");
    assert_eq!(submit["requests"], 600);
    assert_eq!(submit["errors"], 15);
    assert_eq!(submit["latency_ms"]["p95"], 260.1);
    let ts = r["timeseries"].as_array().unwrap();
    assert_eq!(ts.len(), 2);
    assert_eq!(ts[1]["offset_s"], 10.0);
    assert_eq!(ts[0]["error_rate"], 6.0 / 600.0);
    let (_, a) = interpret("fixtures/results/artillery/report.json");
    assert_eq!(a["verdict"], "fail", "{a}");
}

#[test]
fn artillery_legacy_single_and_all_errors() {
    let r = results("fixtures/results/artillery/legacy-v1-report.json");
    assert_eq!(r["format"], "artillery-legacy-report-json");
    assert_eq!(r["overall"]["requests"], 200);
    assert_eq!(r["overall"]["errors"], 10);
    assert_eq!(r["overall"]["latency_ms"]["p99"], 590.7);
    let r = results("fixtures/results/artillery/single-request.json");
    assert_eq!(r["overall"]["requests"], 1);
    assert_eq!(r["overall"]["errors"], 0);
    let r = results("fixtures/results/artillery/all-errors.json");
    assert_eq!(r["overall"]["error_rate"], 1.0);
    assert!(r["overall"]["latency_ms"].as_object().unwrap().is_empty());
}

#[test]
fn vegeta_nanoseconds_become_milliseconds() {
    let r = results("fixtures/results/vegeta/report.json");
    assert_eq!(r["format"], "vegeta-report-json");
    let o = &r["overall"];
    assert_eq!(o["latency_ms"]["p95"], 143.9);
    assert_eq!(o["latency_ms"]["p99"], 401.7);
    assert_eq!(o["latency_ms"]["max"], 2003.1);
    assert_eq!(r["duration_s"], 299.99);
    // Codes 0 (no response) and 500 are failures; success was 0.992 of 30000.
    assert_eq!(o["errors"], 240);
    assert_eq!(o["error_rate"], 0.008);
    assert_eq!(o["throughput_rps"], 100.0033);
    assert_eq!(
        results("fixtures/results/vegeta/all-errors.json")["overall"]["error_rate"],
        1.0
    );
    let one = results("fixtures/results/vegeta/single-request.json");
    assert_eq!(one["overall"]["latency_ms"]["p50"], 8.1);
    let (_, a) = interpret("fixtures/results/vegeta/report.json");
    assert_eq!(a["results_format"], "vegeta-report-json");
}

#[test]
fn bad_files_name_file_field_and_position() {
    let e = refused("fixtures/results/k6/wrong-types.json");
    assert!(
        e.contains("fixtures/results/k6/wrong-types.json:10:9: error: metrics.http_reqs.values.count = \"lots\": expected a number"),
        "{e}"
    );
    assert!(e.contains("metrics.http_req_failed.values.rate = 7"), "{e}");
    assert!(e.contains("thresholds.rate<0.01"), "{e}");
    let e = refused("fixtures/results/k6/truncated.json");
    assert!(
        e.contains("truncated.json:") && e.contains("ends early"),
        "{e}"
    );
    let e = refused("fixtures/results/gatling/global_stats-wrong-types.json");
    assert!(e.contains(":4:9: error: numberOfRequests.total"), "{e}");
    // stats.js is converted to JSON in place, so positions still point into the user's file.
    let e = refused("fixtures/results/gatling/stats-wrong-types.js");
    assert!(
        e.contains("stats-wrong-types.js:9:9: error: stats.numberOfRequests.total = \"lots\""),
        "{e}"
    );
    let e = refused("fixtures/results/gatling/stats-truncated.js");
    assert!(
        e.contains("stats-truncated.js:128:") && e.contains("EOF"),
        "{e}"
    );
    let e = refused("fixtures/results/artillery/wrong-types.json");
    assert!(e.contains("aggregate.counters.http.requests = -1"), "{e}");
    assert!(
        e.contains("aggregate.summaries.http.response_time.p95 = \"slow\""),
        "{e}"
    );
    let e = refused("fixtures/results/vegeta/wrong-types.json");
    assert!(e.contains("latencies.95th = \"8ms\""), "{e}");
    assert!(e.contains("success = 99.2: must be a ratio"), "{e}");
}

#[test]
fn artillery_report_from_a_real_run() {
    // Written by Artillery 2.0.21 (tests/e2e/artillery_results.sh): 240 requests, 6 timed out
    // (errors.ETIMEDOUT) and 15 answered 500.
    let r = results("fixtures/results/artillery/real-2.0.21-report.json");
    let o = &r["overall"];
    assert_eq!(o["requests"], 240);
    assert_eq!(o["errors"], 21);
    assert_eq!(o["status_codes"]["500"], 15);
    assert_eq!(o["latency_ms"]["p95"], 149.9);
    assert_eq!(o["latency_ms"]["p99"], 153.0);
    // Delivered rate = requests over lastMetricAt - firstMetricAt (7.139 s), not the aggregate's
    // `http.request_rate` of 20, which averages a full and a nearly empty period.
    assert_eq!(r["duration_s"], 7.139);
    let rps = o["throughput_rps"].as_f64().unwrap();
    assert!((rps - 240.0 / 7.139).abs() < 1e-9, "{rps}");
    let hang = endpoint(&r, "/hang");
    assert_eq!(hang["requests"], 60);
    assert_eq!(hang["errors"], 6);
    assert_eq!(endpoint(&r, "/flaky")["errors"], 15);
    assert_eq!(r["timeseries"].as_array().unwrap().len(), 2);
}

#[test]
fn jmeter_dashboard_statistics() {
    let r = results("fixtures/results/jmeter/statistics.json");
    assert_eq!(r["format"], "jmeter-dashboard-statistics");
    let o = &r["overall"];
    assert_eq!(o["requests"], 9000);
    assert_eq!(o["errors"], 54);
    assert_eq!(o["error_rate"], 0.006);
    // pct1/2/3 are p90/p95/p99 under JMeter's defaults.
    assert_eq!(o["latency_ms"]["p90"], 330.0);
    assert_eq!(o["latency_ms"]["p95"], 450.0);
    assert_eq!(o["latency_ms"]["p99"], 1100.0);
    assert_eq!(endpoint(&r, "POST /cart/submit")["error_rate"], 0.015);
    let (_, a) = interpret("fixtures/results/jmeter/statistics.json");
    assert_eq!(a["verdict"], "fail", "{a}");
    let e = refused("fixtures/results/jmeter/statistics-wrong-types.json");
    assert!(
        e.contains("Total.errorPct = 150: must be a percentage"),
        "{e}"
    );
    assert!(e.contains("GET /cart/view.pct2ResTime = \"fast\""), "{e}");
}

#[test]
fn plan_with_metrics_judges_a_runner_file() {
    let o = perfassist(&[
        "plan",
        "--profile",
        PROFILE,
        "--metrics",
        "fixtures/results/gatling/stats.js",
    ]);
    let v: Value = serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|_| panic!("{}", String::from_utf8_lossy(&o.stderr)));
    assert_eq!(v["assessment"]["results_format"], "gatling-stats-js");
    assert_eq!(v["plan"]["service"], "checkout-api");
}

#[test]
fn gatling_two_percentile_layout_is_not_guessed() {
    let r = results("fixtures/results/gatling/global_stats-two-percentiles.json");
    let lat = r["overall"]["latency_ms"].as_object().unwrap();
    assert!(
        ["p50", "p95", "p99"].iter().all(|p| !lat.contains_key(*p)),
        "{lat:?}"
    );
    assert_eq!(lat["max"], 2310.0);
    assert!(r["notes"][0].as_str().unwrap().contains("not read"), "{r}");
}
