//! Validation rules, one test per rule, on small profiles written inline.

use super::*;

const GOOD: &str = "service: checkout-api
traffic:
  baseline_rps: 50
  peak_rps: 200
  burst_factor: 3
slo:
  latency_ms:
    p95: 400
    p99: 800
  error_rate: 0.01
endpoints:
  - path: /cart/submit
    method: POST
    critical: true
  - path: /cart/view
    method: GET
";

/// Applies a textual edit to the good profile and returns the diagnostics of the result.
fn diags_of(text: &str) -> Vec<Diagnostic> {
    match load("p.yaml", text) {
        Ok(l) => l.warnings,
        Err(e) => e.diagnostics,
    }
}

fn errors_of(text: &str) -> Vec<Diagnostic> {
    diags_of(text)
        .into_iter()
        .filter(Diagnostic::is_error)
        .collect()
}

fn edited(from: &str, to: &str) -> String {
    assert!(GOOD.contains(from), "fixture does not contain {from:?}");
    GOOD.replacen(from, to, 1)
}

fn assert_error(text: &str, field: &str, line: usize) {
    let errs = errors_of(text);
    let e = errs
        .iter()
        .find(|d| d.field == field)
        .unwrap_or_else(|| panic!("no error for {field} in {errs:#?}"));
    assert_eq!(e.line, Some(line), "{e}");
    assert_eq!(e.file.as_deref(), Some("p.yaml"));
}

#[test]
fn good_profile_loads_with_defaults() {
    let l = load("p.yaml", GOOD).unwrap();
    assert!(l.warnings.is_empty(), "{:?}", l.warnings);
    let p = l.profile;
    assert_eq!(p.service, "checkout-api");
    assert_eq!(p.traffic.burst_factor, 3.0);
    assert_eq!(p.slo.latency_ms.p95, Some(400.0));
    assert_eq!(p.endpoints[1].weight, 1.0);
    assert!(!p.endpoints[1].critical);
    assert!(!p.data.uses_production_data);
}

#[test]
fn burst_factor_defaults_to_two() {
    let p = load("p.yaml", &edited("  burst_factor: 3\n", ""))
        .unwrap()
        .profile;
    assert_eq!(p.traffic.burst_factor, 2.0);
}

#[test]
fn peak_below_baseline_is_an_error() {
    assert_error(
        &edited("peak_rps: 200", "peak_rps: 20"),
        "traffic.peak_rps",
        4,
    );
}

#[test]
fn baseline_must_be_positive() {
    assert_error(
        &edited("baseline_rps: 50", "baseline_rps: 0"),
        "traffic.baseline_rps",
        3,
    );
}

#[test]
fn burst_factor_below_one_is_an_error() {
    assert_error(
        &edited("burst_factor: 3", "burst_factor: 0.9"),
        "traffic.burst_factor",
        5,
    );
}

#[test]
fn error_rate_given_as_percent_is_caught_with_a_hint() {
    let text = edited("error_rate: 0.01", "error_rate: 5");
    assert_error(&text, "slo.error_rate", 10);
    let e = errors_of(&text)
        .into_iter()
        .find(|d| d.field == "slo.error_rate")
        .unwrap();
    assert!(e.hint.unwrap().contains("0.05"));
}

#[test]
fn negative_error_rate_is_an_error() {
    assert_error(
        &edited("error_rate: 0.01", "error_rate: -0.1"),
        "slo.error_rate",
        10,
    );
}

#[test]
fn error_rate_bounds_are_inclusive() {
    assert!(load("p.yaml", &edited("error_rate: 0.01", "error_rate: 0")).is_ok());
    assert!(load("p.yaml", &edited("error_rate: 0.01", "error_rate: 1")).is_ok());
}

#[test]
fn decreasing_percentiles_are_an_error() {
    assert_error(&edited("p99: 800", "p99: 300"), "slo.latency_ms.p99", 9);
}

#[test]
fn non_positive_latency_is_an_error() {
    assert_error(&edited("p95: 400", "p95: 0"), "slo.latency_ms.p95", 8);
}

#[test]
fn equal_percentiles_are_allowed() {
    assert!(load("p.yaml", &edited("p99: 800", "p99: 400")).is_ok());
}

#[test]
fn at_least_one_endpoint() {
    let text = GOOD.split("endpoints:").next().unwrap().to_string() + "endpoints: []\n";
    assert_error(&text, "endpoints", 11);
}

#[test]
fn duplicate_method_and_path_is_an_error() {
    let text =
        edited("    method: GET\n", "    method: POST\n").replace("/cart/view", "/cart/submit");
    let errs = errors_of(&text);
    assert!(
        errs.iter()
            .any(|d| d.field == "endpoints[1]" && d.message.contains("duplicate")),
        "{errs:#?}"
    );
}

#[test]
fn invalid_method_is_an_error_and_lowercase_is_normalised() {
    assert_error(
        &edited("method: GET", "method: FETCH"),
        "endpoints[1].method",
        16,
    );
    let p = load("p.yaml", &edited("method: GET", "method: get"))
        .unwrap()
        .profile;
    assert_eq!(p.endpoints[1].method, "GET");
}

#[test]
fn path_must_start_with_slash() {
    assert_error(
        &edited("path: /cart/view", "path: cart/view"),
        "endpoints[1].path",
        15,
    );
}

#[test]
fn service_name_must_be_a_safe_folder_name() {
    for bad in [
        "../etc",
        "a/b",
        ".hidden",
        "with space",
        "tab\\there",
        "\"\"",
    ] {
        let text = edited("service: checkout-api", &format!("service: {bad}"));
        assert_error(&text, "service", 1);
    }
}

#[test]
fn unknown_keys_warn_with_the_closest_known_key() {
    let text = edited("  peak_rps: 200\n", "  peak_rps: 200\n  peak_rsp: 300\n")
        .replace("    p95: 400\n", "    p95: 400\n    p59: 100\n");
    let l = load("p.yaml", &text).unwrap();
    let hints: Vec<_> = l
        .warnings
        .iter()
        .map(|d| (d.field.as_str(), d.hint.clone().unwrap_or_default()))
        .collect();
    assert!(
        hints.contains(&("traffic.peak_rsp", "did you mean `peak_rps`?".into())),
        "{hints:?}"
    );
    assert!(
        hints.contains(&("slo.latency_ms.p59", "did you mean `p95`?".into())),
        "{hints:?}"
    );
    assert_eq!(l.warnings[0].line, Some(5));
}

#[test]
fn all_problems_are_reported_at_once() {
    let text = std::fs::read_to_string("fixtures/invalid-profiles/many-problems.yaml").unwrap();
    let d = diags_of(&text);
    assert_eq!(d.iter().filter(|d| d.is_error()).count(), 7, "{d:#?}");
    assert_eq!(d.iter().filter(|d| !d.is_error()).count(), 2, "{d:#?}");
}

#[test]
fn syntax_errors_have_a_position() {
    let e = load("p.yaml", "service: x\ntraffic: [1,\n").unwrap_err();
    assert_eq!(e.diagnostics.len(), 1);
    assert!(e.diagnostics[0].line.is_some());
    let e = load("p.json", "{\"service\": \"x\",}").unwrap_err();
    assert_eq!(e.diagnostics[0].line, Some(1));
}

#[test]
fn json_and_yaml_give_the_same_profile() {
    let json = r#"{"service":"checkout-api","traffic":{"baseline_rps":50,"peak_rps":200,"burst_factor":3},
"slo":{"latency_ms":{"p95":400,"p99":800},"error_rate":0.01},
"endpoints":[{"path":"/cart/submit","method":"POST","critical":true},{"path":"/cart/view","method":"GET"}]}"#;
    assert_eq!(
        load("p.json", json).unwrap().profile,
        load("p.yaml", GOOD).unwrap().profile
    );
}

#[test]
fn extensions_are_read() {
    let text = std::fs::read_to_string("fixtures/storefront-profile.yaml").unwrap();
    let l = load("storefront-profile.yaml", &text).unwrap();
    assert!(l.warnings.is_empty(), "{:?}", l.warnings);
    let p = l.profile;
    assert_eq!(p.slo.latency_ms.p999, Some(1500.0));
    assert_eq!(p.traffic.think_time_ms, Some(800.0));
    assert_eq!(p.endpoints[0].weight, 6.0);
    assert_eq!(p.endpoints[0].name.as_deref(), Some("list products"));
    assert_eq!(
        p.endpoints[2].effective_slo(&p.slo).latency_ms.p95,
        Some(450.0)
    );
    assert_eq!(
        p.endpoints[2].effective_slo(&p.slo).latency_ms.p50,
        Some(80.0)
    );
    assert_eq!(p.dependencies, vec!["catalog-db", "search-cluster"]);
    assert_eq!(
        p.base_url.as_deref(),
        Some("https://storefront.staging.example.test")
    );
    assert_eq!(p.windows.soak_s, Some(8 * 3600));
    assert_eq!(p.windows.smoke_s, Some(45));
}

#[test]
fn bad_window_and_url_are_errors() {
    let text = format!("{GOOD}target:\n  base_url: ftp://x\ntest_window:\n  soak: forever\n");
    assert_error(&text, "target.base_url", 18);
    assert_error(&text, "test_window.soak", 20);
}

#[test]
fn classifies_profiles_by_content() {
    let v: serde_json::Value = serde_json::json!({"service": "a", "traffic": {}});
    assert!(looks_like_profile(&v));
    assert!(!looks_like_profile(&serde_json::json!({"p95_ms": 3})));
}

#[test]
fn numbers_past_any_real_load_are_refused_before_they_overflow() {
    let text = "service: big\ntraffic:\n  baseline_rps: 1e308\n  peak_rps: 2e7\n  burst_factor: 1000\n  think_time_ms: 1e10\nslo:\n  latency_ms: {p95: 1e12}\n  error_rate: 0.01\nendpoints:\n  - path: /x\n    method: GET\n    weight: 1e9\n";
    let e = load("big.yaml", text).unwrap_err();
    let fields: Vec<&str> = e.diagnostics.iter().map(|d| d.field.as_str()).collect();
    for f in [
        "traffic.baseline_rps",
        "traffic.peak_rps",
        "traffic.burst_factor",
        "traffic.think_time_ms",
        "slo.latency_ms.p95",
        "endpoints[0].weight",
    ] {
        assert!(fields.contains(&f), "{f} not in {fields:?}");
    }
    let d = &e.diagnostics[0];
    assert_eq!(d.value.as_deref(), Some("1e308"));
    assert_eq!(d.line, Some(3));
}
