//! Judgement edge cases written with the core: thresholds met exactly, missing metrics, no load.

use super::*;
use crate::profile;
use crate::profile::ServiceProfile;
use crate::results::{EndpointResults, Latency, RunResults, Stats};

fn checkout() -> ServiceProfile {
    let text = std::fs::read_to_string("fixtures/checkout-profile.yaml").unwrap();
    profile::load("checkout-profile.yaml", &text)
        .unwrap()
        .profile
}

fn results(p95: f64, p99: f64, error_rate: f64, rps: f64) -> RunResults {
    let mut r = RunResults::new("test");
    r.overall = Stats {
        error_rate: Some(error_rate),
        throughput_rps: Some(rps),
        latency_ms: Latency {
            p50: Some(100.0),
            p95: Some(p95),
            p99: Some(p99),
            ..Default::default()
        },
        ..Default::default()
    };
    r
}

fn check<'a>(a: &'a Assessment, id: &str) -> &'a CheckResult {
    a.checks
        .iter()
        .find(|c| c.id == id)
        .unwrap_or_else(|| panic!("no check {id}: {:#?}", a.checks))
}

#[test]
fn comfortable_run_passes() {
    let a = assess(
        &checkout(),
        &results(200.0, 400.0, 0.001, 200.0),
        &Settings::default(),
    );
    assert_eq!(a.verdict, Verdict::Pass, "{:#?}", a);
    assert_eq!(a.counts.pass, 3);
    assert_eq!(a.error_budget_used_pct, Some(10.0));
}

#[test]
fn exactly_at_threshold_is_met_but_warned() {
    let a = assess(
        &checkout(),
        &results(400.0, 800.0, 0.01, 200.0),
        &Settings::default(),
    );
    assert_eq!(check(&a, "latency_p95").status, Status::Warn);
    assert_eq!(check(&a, "latency_p95").margin, Some(0.0));
    assert_eq!(check(&a, "error_rate").status, Status::Warn);
    assert_eq!(a.verdict, Verdict::Warn);
    assert!(!a.verdict.is_failure());
}

#[test]
fn just_above_threshold_fails() {
    let a = assess(
        &checkout(),
        &results(400.5, 700.0, 0.001, 200.0),
        &Settings::default(),
    );
    assert_eq!(check(&a, "latency_p95").status, Status::Fail);
    assert_eq!(a.verdict, Verdict::Fail);
    assert!(
        a.narrative[1].contains("p95 latency is 400.5 ms"),
        "{:?}",
        a.narrative
    );
}

#[test]
fn warn_band_is_configurable() {
    let s = Settings {
        warn_band: 0.5,
        ..Settings::default()
    };
    let a = assess(&checkout(), &results(250.0, 500.0, 0.001, 200.0), &s);
    assert_eq!(check(&a, "latency_p95").status, Status::Warn);
}

#[test]
fn missing_metric_is_not_evaluated_never_invented() {
    let mut r = results(200.0, 400.0, 0.001, 200.0);
    r.overall.latency_ms.p99 = None;
    let a = assess(&checkout(), &r, &Settings::default());
    let c = check(&a, "latency_p99");
    assert_eq!(c.status, Status::NotEvaluated);
    assert_eq!(c.observed, None);
    assert!(c.note.as_deref().unwrap().contains("p99"));
    // A gate never passes what it did not see: the objective is named.
    assert_eq!(a.verdict, Verdict::Warn);
    assert!(
        a.issues
            .iter()
            .any(|i| i.kind == "objective-not-reported" && i.message.contains("latency_p99")),
        "{:?}",
        a.issues
    );
}

#[test]
fn zero_throughput_is_inconclusive() {
    let a = assess(
        &checkout(),
        &results(200.0, 400.0, 0.0, 0.0),
        &Settings::default(),
    );
    assert_eq!(a.verdict, Verdict::Inconclusive);
    assert!(a.issues.iter().any(|i| i.kind == "no-traffic"));
    assert!(a.verdict.is_failure());
}

#[test]
fn load_far_below_peak_is_inconclusive_not_pass() {
    let a = assess(
        &checkout(),
        &results(200.0, 400.0, 0.0, 40.0),
        &Settings::default(),
    );
    assert_eq!(a.verdict, Verdict::Inconclusive);
    assert!(
        a.narrative
            .iter()
            .any(|l| l.contains("load was not applied"))
    );
}

#[test]
fn slo_failure_outranks_inconclusive() {
    let a = assess(
        &checkout(),
        &results(900.0, 1400.0, 0.0, 40.0),
        &Settings::default(),
    );
    assert_eq!(a.verdict, Verdict::Fail);
}

#[test]
fn nothing_evaluable_is_inconclusive() {
    let mut r = RunResults::new("test");
    r.overall.throughput_rps = Some(200.0);
    let a = assess(&checkout(), &r, &Settings::default());
    assert_eq!(a.verdict, Verdict::Inconclusive);
}

#[test]
fn saturation_and_long_tail_are_flagged() {
    let mut r = results(300.0, 790.0, 0.0, 200.0);
    r.overall.latency_ms.p50 = Some(50.0);
    r.resources.cpu_percent = Some(92.0);
    r.resources.memory_percent = Some(95.0);
    let a = assess(&checkout(), &r, &Settings::default());
    let kinds: Vec<_> = a.issues.iter().map(|i| i.kind.as_str()).collect();
    for k in ["cpu-saturation", "memory-saturation", "long-tail"] {
        assert!(kinds.contains(&k), "{kinds:?}");
    }
    assert_eq!(a.verdict, Verdict::Warn);
}

fn endpoint(name: &str, p95: f64) -> EndpointResults {
    EndpointResults {
        name: name.into(),
        method: None,
        stats: Stats {
            error_rate: Some(0.0),
            latency_ms: Latency {
                p95: Some(p95),
                p99: Some(p95 * 1.5),
                ..Default::default()
            },
            ..Default::default()
        },
    }
}

#[test]
fn slow_critical_endpoint_fails_despite_fast_aggregate() {
    let mut r = results(200.0, 400.0, 0.0, 200.0);
    r.endpoints = vec![
        endpoint("POST /cart/submit", 650.0),
        endpoint("GET /cart/view", 90.0),
    ];
    let a = assess(&checkout(), &r, &Settings::default());
    assert_eq!(check(&a, "latency_p95").status, Status::Pass);
    assert_eq!(
        check(&a, "latency_p95[POST /cart/submit]").status,
        Status::Fail
    );
    assert_eq!(a.verdict, Verdict::Fail);
}

#[test]
fn critical_endpoint_without_results_is_inconclusive() {
    let mut r = results(200.0, 400.0, 0.0, 200.0);
    r.endpoints = vec![endpoint("/cart/view", 90.0), endpoint("/admin", 10.0)];
    let a = assess(&checkout(), &r, &Settings::default());
    assert!(
        a.issues
            .iter()
            .any(|i| i.kind == "critical-endpoint-missing"
                && i.message.contains("POST /cart/submit"))
    );
    assert_eq!(a.unmatched_endpoints, ["/admin"]);
    assert_eq!(a.verdict, Verdict::Inconclusive);
}

#[test]
fn dropped_iterations_make_the_run_inconclusive() {
    let mut r = results(200.0, 400.0, 0.0, 200.0);
    r.runner.dropped_iterations = Some(12);
    let a = assess(&checkout(), &r, &Settings::default());
    assert_eq!(a.verdict, Verdict::Inconclusive);
}
