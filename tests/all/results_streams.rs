//! Raw-sample and Locust results read through the real binary, as a user runs it:
//! `perfassist results --metrics F` and `perfassist interpret --profile P --metrics F`.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_perfassist")
}

fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/results")
        .join(rel)
}

/// Runs `perfassist results` and returns (exit code, parsed stdout or Null, stderr).
fn results(path: &Path) -> (i32, Value, String) {
    let out = Command::new(bin())
        .args(["results", "--metrics"])
        .arg(path)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let value = serde_json::from_str(&stdout).unwrap_or(Value::Null);
    (
        out.status.code().unwrap(),
        value,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn ok(rel: &str) -> Value {
    let (code, v, err) = results(&fixture(rel));
    assert_eq!(code, 0, "{rel}: {err}");
    v
}

fn bad(rel: &str) -> String {
    let (code, _, err) = results(&fixture(rel));
    assert_eq!(code, 2, "{rel} should be rejected; stderr: {err}");
    err
}

fn endpoint<'a>(v: &'a Value, name: &str) -> &'a Value {
    v["endpoints"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["name"] == name)
        .unwrap_or_else(|| panic!("no endpoint {name} in {v}"))
}

/// Nearest-rank percentile over whole milliseconds, computed apart from perfassist.
fn nearest_rank(sorted: &[f64], q: f64) -> f64 {
    let rank = ((q * sorted.len() as f64).ceil() as usize).max(1);
    sorted[rank - 1]
}

#[test]
fn jmeter5_jtl_matches_an_independent_computation() {
    let path = fixture("jmeter/checkout-jmeter5.jtl");
    let mut rdr = csv::Reader::from_path(&path).unwrap();
    let mut elapsed = Vec::new();
    let mut failures = 0;
    let (mut first, mut last) = (f64::INFINITY, f64::NEG_INFINITY);
    for rec in rdr.records() {
        let rec = rec.unwrap();
        let ts: f64 = rec[0].parse().unwrap();
        let ms: f64 = rec[1].parse().unwrap();
        elapsed.push(ms);
        first = first.min(ts);
        last = last.max(ts + ms);
        failures += usize::from(&rec[7] == "false");
    }
    elapsed.sort_by(f64::total_cmp);
    let v = ok("jmeter/checkout-jmeter5.jtl");
    assert_eq!(v["format"], "jmeter-jtl-csv");
    let o = &v["overall"];
    assert_eq!(o["requests"], elapsed.len());
    assert_eq!(o["errors"], failures);
    for (key, q) in [("p50", 0.5), ("p90", 0.9), ("p95", 0.95), ("p99", 0.99)] {
        assert_eq!(o["latency_ms"][key], nearest_rank(&elapsed, q), "{key}");
    }
    assert_eq!(o["latency_ms"]["max"], elapsed[elapsed.len() - 1]);
    assert_eq!(o["status_codes"]["500"], failures);
    // A label with a comma-free name and a quoted failure message spanning lines still parses.
    let submit = endpoint(&v, "POST /cart/submit");
    assert_eq!(submit["requests"], 100);
    assert_eq!(endpoint(&v, "GET /cart/view")["requests"], 100);
    // Duration runs from the first start to the last end, whichever sample ends last.
    assert_eq!(v["duration_s"], (last - first) / 1000.0);
    assert!(!v["timeseries"].as_array().unwrap().is_empty());
}

#[test]
fn jmeter213_headerless_default_layout() {
    let v = ok("jmeter/jmeter213-headerless.jtl");
    assert_eq!(v["overall"]["requests"], 60);
    assert_eq!(v["overall"]["errors"], 3);
    assert_eq!(v["overall"]["status_codes"]["503"], 3);
    assert!(
        v["notes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n.as_str().unwrap().contains("without a header"))
    );
    // allThreads is in the 2.13 layout: the time series carries the user count.
    assert_eq!(v["timeseries"][0]["users"], 2.0);
}

#[test]
fn jtl_column_subset_tab_delimited_with_formatted_timestamps() {
    let v = ok("jmeter/subset-formatted-time.tsv");
    assert_eq!(v["overall"]["requests"], 30);
    assert_eq!(v["overall"]["errors"], 1);
    // 29 steps of 250 ms, then the last sample's 129 ms.
    assert_eq!(v["duration_s"], 7.379);
    assert!(v["overall"]["status_codes"].is_null());
}

#[test]
fn jtl_edge_cases_no_errors_all_errors_single() {
    let v = ok("jmeter/no-errors.jtl");
    assert_eq!(v["overall"]["errors"], 0);
    assert_eq!(v["overall"]["error_rate"], 0.0);
    let v = ok("jmeter/all-errors.jtl");
    assert_eq!(v["overall"]["errors"], 20);
    assert_eq!(v["overall"]["error_rate"], 1.0);
    let v = ok("jmeter/single.jtl");
    let lat = &v["overall"]["latency_ms"];
    assert_eq!(v["overall"]["requests"], 1);
    for k in ["min", "p50", "p99", "p99.9", "max", "mean"] {
        assert_eq!(lat[k], 42.0, "{k}");
    }
}

#[test]
fn xml_jtl_counts_only_top_level_samples() {
    let v = ok("jmeter/checkout.xml.jtl");
    assert_eq!(v["format"], "jmeter-jtl-xml");
    assert_eq!(v["overall"]["requests"], 10);
    assert_eq!(v["overall"]["errors"], 2);
    assert_eq!(endpoint(&v, "POST /cart/submit")["requests"], 2);
    assert_eq!(endpoint(&v, "GET /cart/view")["requests"], 8);
    assert_eq!(v["endpoints"].as_array().unwrap().len(), 2);
}

#[test]
fn bad_jtl_cells_name_file_line_column_and_field() {
    let err = bad("jmeter/bad-elapsed.jtl");
    assert!(
        err.contains("bad-elapsed.jtl:3:2: error: elapsed = \"12ms\""),
        "{err}"
    );
    assert!(err.contains("whole number of milliseconds"), "{err}");
    let err = bad("jmeter/empty.jtl");
    assert!(err.contains("empty"), "{err}");
    let err = bad("jmeter/header-only.jtl");
    assert!(err.contains("no samples"), "{err}");
    let dir = tempfile::tempdir().unwrap();
    let xml = dir.path().join("report.xml");
    std::fs::write(&xml, "<report><item t=\"1\"/></report>").unwrap();
    let (code, _, err) = results(&xml);
    assert_eq!(code, 2);
    assert!(err.contains("without <testResults>"), "{err}");
    let err = bad("unknown-format.txt");
    assert!(
        err.contains("not a results format perfassist reads"),
        "{err}"
    );
    // Every format that is read is named, so a user can tell what their file should have been.
    for named in [
        "JMeter JTL",
        "k6",
        "Locust",
        "Gatling",
        "Artillery",
        "vegeta",
    ] {
        assert!(err.contains(named), "{named} missing from: {err}");
    }
}

#[test]
fn truncated_last_lines_are_skipped_with_a_note() {
    let v = ok("jmeter/truncated.jtl");
    assert_eq!(v["overall"]["requests"], 2);
    let notes = v["notes"].to_string();
    assert!(notes.contains("line 4 is incomplete"), "{notes}");
    let v = ok("k6-ndjson/truncated.ndjson");
    assert_eq!(v["overall"]["requests"], 10);
    assert!(v["notes"].to_string().contains("incomplete"));
}

#[test]
fn k6_ndjson_plain_and_gzip_agree() {
    let plain = ok("k6-ndjson/checkout.ndjson");
    let gz = ok("k6-ndjson/checkout.ndjson.gz");
    assert_eq!(plain, gz);
    assert_eq!(plain["format"], "k6-ndjson");
    let o = &plain["overall"];
    assert_eq!(o["requests"], 100);
    assert_eq!(o["errors"], 5);
    assert_eq!(o["status_codes"]["502"], 5);
    assert_eq!(plain["runner"]["dropped_iterations"], 3);
    let submit = endpoint(&plain, "/cart/submit");
    assert_eq!(submit["method"], "POST");
    assert_eq!(submit["requests"], 50);
    // Points without a name tag fall back to… the name k6 gives: here a URL template.
    assert_eq!(
        endpoint(&plain, "http://127.0.0.1:8080/cart/view?id=${}")["requests"],
        50
    );
    // Fractional milliseconds keep their precision (recorded in microseconds).
    let text = std::fs::read_to_string(fixture("k6-ndjson/checkout.ndjson")).unwrap();
    let min = text
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|p| p["type"] == "Point" && p["metric"] == "http_req_duration")
        .map(|p| p["data"]["value"].as_f64().unwrap())
        .fold(f64::INFINITY, f64::min);
    assert_eq!(o["latency_ms"]["min"].as_f64(), Some(min));
    assert_ne!(min.fract(), 0.0);
}

#[test]
fn k6_edge_cases_and_bad_lines() {
    assert_eq!(ok("k6-ndjson/no-errors.ndjson")["overall"]["errors"], 0);
    assert_eq!(
        ok("k6-ndjson/all-errors.ndjson")["overall"]["error_rate"],
        1.0
    );
    assert_eq!(ok("k6-ndjson/single.ndjson")["overall"]["requests"], 1);
    let err = bad("k6-ndjson/bad-value.ndjson");
    assert!(err.contains("bad-value.ndjson:6:"), "{err}");
}

#[test]
fn locust_stats_pick_up_history_and_failures() {
    let v = ok("locust/checkout_stats.csv");
    assert_eq!(v["format"], "locust-csv");
    let o = &v["overall"];
    assert_eq!(o["requests"], 2100);
    assert_eq!(o["errors"], 15);
    assert_eq!(o["latency_ms"]["p95"], 170.0);
    assert_eq!(o["latency_ms"]["p99.9"], 1100.0);
    assert_eq!(o["throughput_rps"], 34.93);
    let submit = endpoint(&v, "/cart/submit");
    assert_eq!(submit["method"], "POST");
    assert_eq!(submit["latency_ms"]["p99"], 620.0);
    // A row with no requests has N/A percentiles: absent, not zero.
    let health = endpoint(&v, "/health");
    assert!(health["latency_ms"]["p50"].is_null());
    // History: 60 rows after the first empty one.
    let ts = v["timeseries"].as_array().unwrap();
    assert_eq!(ts.len(), 60);
    assert_eq!(ts[59]["offset_s"], 59.0);
    assert_eq!(ts[59]["users"], 20.0);
    let notes = v["notes"].to_string();
    assert!(notes.contains("failure ×12: POST /cart/submit"), "{notes}");
}

#[test]
fn locust_custom_percentiles_and_old_failures_header() {
    let v = ok("locust/legacy_stats.csv");
    let lat = &v["overall"]["latency_ms"];
    assert_eq!(lat["p50"], 33.0);
    assert_eq!(lat["p95"], 71.0);
    // 99.5% has no slot and p99 was not reported: absent, never interpolated.
    assert!(lat["p99"].is_null());
    assert!(lat["p90"].is_null());
}

#[test]
fn locust_bad_files_are_explained() {
    let err = bad("locust/bad-cell_stats.csv");
    assert!(
        err.contains("bad-cell_stats.csv:2:17: error: 95% = \"fast\""),
        "{err}"
    );
    let err = bad("locust/no-aggregated_stats.csv");
    assert!(err.contains("no Aggregated row"), "{err}");
    let err = bad("locust/checkout_failures.csv");
    assert!(err.contains("companion file"), "{err}");
    assert!(err.contains("checkout_stats.csv"), "{err}");
}

#[test]
fn locust_json_recomputes_percentiles_like_locust() {
    let v = ok("locust/checkout.json");
    assert_eq!(v["format"], "locust-json");
    assert_eq!(v["overall"]["requests"], 14);
    assert_eq!(v["overall"]["errors"], 1);
    let view = endpoint(&v, "/cart/view");
    // Locust's rule on 10..=100 step 10: p50 is 60, p90 is 100.
    assert_eq!(view["latency_ms"]["p50"], 60.0);
    assert_eq!(view["latency_ms"]["p90"], 100.0);
    assert_eq!(v["duration_s"], 61.0);
}

#[test]
fn interpret_judges_a_jtl_per_endpoint() {
    let out = Command::new(bin())
        .args(["interpret", "--format", "json", "--profile"])
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/checkout-profile.yaml"))
        .arg("--metrics")
        .arg(fixture("jmeter/checkout-jmeter5.jtl"))
        .output()
        .unwrap();
    let a: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(a["results_format"], "jmeter-jtl-csv");
    // 8 failures in 200 requests breaks the 1 % error budget.
    assert_eq!(a["verdict"], "fail");
    assert_eq!(out.status.code(), Some(1));
    let scopes: Vec<&str> = a["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["scope"].as_str().unwrap())
        .collect();
    assert!(scopes.contains(&"POST /cart/submit"), "{scopes:?}");
    assert!(scopes.contains(&"GET /cart/view"), "{scopes:?}");
}

#[test]
fn interpret_reads_k6_points_and_locust_files() {
    for rel in ["k6-ndjson/checkout.ndjson.gz", "locust/checkout_stats.csv"] {
        let out = Command::new(bin())
            .args(["interpret", "--format", "json", "--profile"])
            .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/checkout-profile.yaml"))
            .arg("--metrics")
            .arg(fixture(rel))
            .output()
            .unwrap();
        let a: Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|_| panic!("{rel}: {}", String::from_utf8_lossy(&out.stderr)));
        assert!(
            matches!(a["verdict"].as_str(), Some("pass" | "warn" | "fail")),
            "{rel}: {a}"
        );
        // Both profile endpoints are matched to the runner's names (k6: name tag or URL), so
        // their error-rate checks have an observed value.
        for scope in ["POST /cart/submit", "GET /cart/view"] {
            let check = a["checks"]
                .as_array()
                .unwrap()
                .iter()
                .find(|c| c["scope"] == scope && c["metric"] == "error_rate")
                .unwrap_or_else(|| panic!("{rel}: no error_rate check for {scope}: {a}"));
            assert!(check["observed"].is_number(), "{rel}: {check}");
        }
    }
}
