//! Plan shape rules: stage arithmetic, rates from the profile, checks tied to SLOs, determinism.

use super::*;
use crate::profile;

fn plan_of(path: &str) -> Plan {
    let text = std::fs::read_to_string(path).unwrap();
    let p = profile::load(path, &text).unwrap().profile;
    generate(&p, &Defaults::default())
}

fn scenario<'a>(p: &'a Plan, name: &str) -> &'a Scenario {
    p.scenarios.iter().find(|s| s.name == name).unwrap()
}

#[test]
fn has_all_scenarios_in_order() {
    let p = plan_of("fixtures/checkout-profile.yaml");
    let names: Vec<_> = p.scenarios.iter().map(|s| s.name).collect();
    assert_eq!(names, ["smoke", "steady", "burst", "soak", "stress"]);
    assert_eq!(p.schema, "perfassist.plan/v1");
}

#[test]
fn totals_are_the_sum_of_stages_and_stages_connect() {
    for path in [
        "fixtures/checkout-profile.yaml",
        "fixtures/storefront-profile.yaml",
    ] {
        let p = plan_of(path);
        for s in &p.scenarios {
            assert_eq!(
                s.total_duration_s,
                s.stages.iter().map(|st| st.duration_s).sum::<u64>()
            );
            for w in s.stages.windows(2) {
                assert_eq!(
                    w[0].target_rps, w[1].start_rps,
                    "{}: {} → {}",
                    s.name, w[0].name, w[1].name
                );
            }
            assert!(s.stages.iter().all(|st| st.duration_s > 0));
            let names: std::collections::BTreeSet<_> = s.stages.iter().map(|st| &st.name).collect();
            assert_eq!(
                names.len(),
                s.stages.len(),
                "stage names unique in {}",
                s.name
            );
            for c in &s.checks {
                for st in &c.stages {
                    assert!(
                        s.stages.iter().any(|x| &x.name == st),
                        "check {} names unknown stage {st}",
                        c.id
                    );
                }
            }
        }
    }
}

#[test]
fn steady_ramps_to_baseline_then_peak() {
    let p = plan_of("fixtures/checkout-profile.yaml");
    let s = scenario(&p, "steady");
    let hold_base = s
        .stages
        .iter()
        .find(|st| st.name == "hold-baseline")
        .unwrap();
    let hold_peak = s.stages.iter().find(|st| st.name == "hold-peak").unwrap();
    assert_eq!(hold_base.target_rps, 50.0);
    assert_eq!(hold_peak.target_rps, 200.0);
    assert_eq!(s.stages.last().unwrap().target_rps, 0.0);
    assert_eq!(s.peak_rps, 200.0);
}

#[test]
fn burst_spikes_to_peak_times_factor_and_checks_recovery() {
    let p = plan_of("fixtures/checkout-profile.yaml");
    let s = scenario(&p, "burst");
    assert_eq!(s.peak_rps, 600.0);
    let spike = s.stages.iter().find(|st| st.name == "spike").unwrap();
    assert_eq!(spike.target_rps, 600.0);
    assert!(
        s.checks
            .iter()
            .any(|c| c.metric == "recovery_time_s" && c.stages == ["recovery"])
    );
}

#[test]
fn soak_has_drift_checks_and_window_override() {
    let p = plan_of("fixtures/storefront-profile.yaml");
    let s = scenario(&p, "soak");
    let hold = s.stages.iter().find(|st| st.name == "soak").unwrap();
    assert_eq!(hold.duration_s, 8 * 3600);
    for m in [
        "latency_p95_drift_pct_per_hour",
        "error_rate_drift_per_hour",
        "memory_growth_pct_per_hour",
    ] {
        assert!(s.checks.iter().any(|c| c.metric == m), "missing {m}");
    }
    assert!(
        s.metrics_to_watch
            .iter()
            .any(|m| m.contains("memory growth"))
    );
}

#[test]
fn stress_steps_beyond_peak_with_abort_conditions() {
    let p = plan_of("fixtures/checkout-profile.yaml");
    let s = scenario(&p, "stress");
    let holds: Vec<f64> = s
        .stages
        .iter()
        .filter(|st| st.kind == StageKind::Hold)
        .map(|st| st.target_rps)
        .collect();
    assert_eq!(holds.first(), Some(&200.0));
    assert!(holds.windows(2).all(|w| w[1] > w[0]));
    assert!(*holds.last().unwrap() >= 600.0);
    assert!(!s.abort_conditions.is_empty());
}

#[test]
fn endpoint_rates_follow_weights() {
    let p = plan_of("fixtures/storefront-profile.yaml");
    let s = scenario(&p, "steady");
    let shares: Vec<f64> = s.endpoint_rates.iter().map(|e| e.share).collect();
    assert_eq!(shares, [0.6, 0.3, 0.1]);
    assert_eq!(s.endpoint_rates[0].peak_rps, 288.0);
}

#[test]
fn per_endpoint_checks_for_critical_and_overridden_endpoints() {
    let p = plan_of("fixtures/storefront-profile.yaml");
    let s = scenario(&p, "steady");
    let checkout_p95 = s
        .checks
        .iter()
        .find(|c| c.endpoint.as_deref() == Some("POST /checkout") && c.metric == "latency_p95_ms")
        .unwrap();
    assert_eq!(checkout_p95.threshold, 450.0);
    assert_eq!(checkout_p95.source, "endpoints[2].slo.latency_ms.p95");
    let search = s
        .checks
        .iter()
        .find(|c| c.endpoint.as_deref() == Some("GET /search") && c.metric == "latency_p95_ms");
    assert_eq!(search.unwrap().threshold, 500.0);
    let overall_p999 = s
        .checks
        .iter()
        .find(|c| c.endpoint.is_none() && c.metric == "latency_p99_9_ms")
        .unwrap();
    assert_eq!(overall_p999.source, "slo.latency_ms.p99.9");
}

#[test]
fn dependencies_are_watched() {
    let p = plan_of("fixtures/checkout-profile.yaml");
    for s in &p.scenarios {
        assert!(
            s.metrics_to_watch
                .iter()
                .any(|m| m.contains("payments-service"))
        );
    }
}

#[test]
fn production_data_adds_warning_and_preflight() {
    let p = plan_of("fixtures/prod-data-profile.json");
    assert!(
        p.data_safety
            .as_ref()
            .unwrap()
            .warning
            .contains("production data")
    );
    assert!(p.preflight[0].starts_with("Data safety"));
    let safe = plan_of("fixtures/checkout-profile.yaml");
    assert!(safe.data_safety.is_none());
}

#[test]
fn same_profile_gives_identical_plan_and_changes_show() {
    let a = serde_json::to_string(&plan_of("fixtures/checkout-profile.yaml")).unwrap();
    let b = serde_json::to_string(&plan_of("fixtures/checkout-profile.yaml")).unwrap();
    assert_eq!(a, b);
    let text = std::fs::read_to_string("fixtures/checkout-profile.yaml")
        .unwrap()
        .replace("peak_rps: 200", "peak_rps: 210");
    let changed = generate(
        &profile::load("x.yaml", &text).unwrap().profile,
        &Defaults::default(),
    );
    assert_ne!(serde_json::to_string(&changed).unwrap(), a);
}
