use super::*;
use crate::plan::{Defaults, generate};
use crate::profile;

fn plan_of(yaml: &str) -> Plan {
    let loaded = profile::load("p.yaml", yaml).unwrap();
    generate(&loaded.profile, &Defaults::default())
}

const PROFILE: &str = "service: shop\ntraffic: {baseline_rps: 10, peak_rps: 40, burst_factor: 2}\nslo: {latency_ms: {p95: 200, p99: 500}, error_rate: 0.01}\nendpoints:\n  - {path: /a, method: GET, weight: 3, critical: true}\n  - {path: /b, method: POST, weight: 1}\n";

#[test]
fn unknown_scenario_names_the_valid_ones() {
    let plan = plan_of(PROFILE);
    let err = export(&plan, Runner::K6, &Selection::One("spike".into()), None).unwrap_err();
    assert_eq!(
        err.to_string(),
        "the plan has no scenario named `spike`; valid: smoke, steady, burst, soak, stress, or `all`"
    );
}

#[test]
fn bad_target_is_refused_not_guessed() {
    let plan = plan_of(PROFILE);
    let err = export(
        &plan,
        Runner::Locust,
        &Selection::All,
        Some("localhost:8080"),
    )
    .unwrap_err();
    assert!(matches!(err, ExportError::BadTarget { .. }));
}

#[test]
fn without_a_target_every_script_holds_the_placeholder() {
    let plan = plan_of(PROFILE);
    for f in all(&plan, None) {
        assert!(f.contents.contains(PLACEHOLDER_TARGET), "{}", f.file_name);
        assert!(f.contents.contains("TARGET NOT SET"), "{}", f.file_name);
    }
}

#[test]
fn all_gives_one_file_per_runner_and_scenario() {
    let plan = plan_of(PROFILE);
    let files = all(&plan, Some("http://127.0.0.1:9/"));
    let names: Vec<&str> = files.iter().map(|f| f.file_name.as_str()).collect();
    assert_eq!(names.len(), 20);
    assert_eq!(
        names[..6],
        [
            "k6-script-smoke.js",
            "k6-script-steady.js",
            "k6-script-burst.js",
            "k6-script-soak.js",
            "k6-script-stress.js",
            "locustfile-smoke.py"
        ]
    );
    assert!(names.contains(&"artillery-soak.yml") && names.contains(&"taurus-stress.yml"));
    for f in &files {
        assert!(f.contents.contains("http://127.0.0.1:9"), "{}", f.file_name);
        assert!(
            !f.contents.contains("http://127.0.0.1:9/\""),
            "{}",
            f.file_name
        );
        assert!(!f.contents.contains("TARGET NOT SET"), "{}", f.file_name);
    }
    // A bad target from the daemon falls back to the placeholder rather than failing.
    let fallback = all(&plan, Some("nonsense"));
    assert_eq!(fallback.len(), 20);
    assert!(fallback[0].contents.contains("TARGET NOT SET"));
}

#[test]
fn stress_slos_are_left_to_interpret_and_keep_combined_files_honest() {
    let plan = plan_of(PROFILE);
    let one = |r, s: &str| {
        export(&plan, r, &Selection::One(s.into()), None)
            .unwrap()
            .contents
    };
    // Stress goes to 2.5× peak on purpose: no whole-run SLO threshold, only the abort guards.
    let k6 = one(Runner::K6, "stress");
    assert!(!k6.contains("\"p(95)<=200\""), "{k6}");
    assert!(k6.contains("abortOnFail"));
    assert!(
        k6.contains("Checked by `perfassist interpret`, not by the runner: stress.latency_p95")
    );
    assert!(one(Runner::K6, "steady").contains("\"p(95)<=200\""));
    // Combined files of whole-run runners carry no SLO thresholds, and say why.
    let art = export(&plan, Runner::Artillery, &Selection::All, None)
        .unwrap()
        .contents;
    assert!(!art.contains("http.response_time.p95"));
    assert!(art.contains("No SLO thresholds here"));
    assert!(one(Runner::Artillery, "steady").contains("\"http.response_time.p95\": 200"));
    // k6 scopes thresholds by scenario, so its combined file keeps them.
    let k6_all = export(&plan, Runner::K6, &Selection::All, None)
        .unwrap()
        .contents;
    assert!(k6_all.contains("\"http_req_duration{scenario:steady}\""));
    assert!(!k6_all.contains("\"http_req_duration{scenario:stress}\": [\n      \"p(95)"));
}

#[test]
fn production_data_warning_opens_every_export() {
    let plan = plan_of(&format!("{PROFILE}data: {{uses_production_data: true}}\n"));
    for f in all(&plan, None) {
        let first = f.contents.lines().nth(1).unwrap_or("");
        assert!(first.contains("DATA SAFETY"), "{}: {first}", f.file_name);
    }
}

#[test]
fn k6_steps_between_levels_and_sizes_vus() {
    let mut plan = plan_of(PROFILE);
    // A plan whose rate jumps between stages (k6 would otherwise ramp across the second stage),
    // with a fractional rate (k6 rates are whole numbers per timeUnit).
    let smoke = &mut plan.scenarios[0];
    smoke.stages[0].kind = crate::plan::StageKind::Hold;
    smoke.stages[0].start_rps = 2.5;
    smoke.stages[0].target_rps = 2.5;
    let f = export(&plan, Runner::K6, &Selection::One("smoke".into()), None).unwrap();
    assert!(f.contents.contains("timeUnit: '1m'"), "{}", f.contents);
    assert!(f.contents.contains("startRate: 150,"));
    assert!(
        f.contents
            .contains("{ target: 150, duration: '10s' }, // smoke-ramp (hold)")
    );
    assert!(
        f.contents
            .contains("{ target: 300, duration: '0s' },\n        { target: 300, duration: '50s' }")
    );
    // 5 req/s × 0.2 s × 2 = 2 VUs; max at 3 × 500 ms: 7.5 → 8.
    assert!(f.contents.contains("preAllocatedVUs: 2,\n      maxVUs: 8,"));
    assert!(f.contents.contains("\"http_req_duration{name:GET /a}\""));
    assert!(
        f.contents
            .contains("abortOnFail: true, delayAbortEval: '10s'")
    );
}

#[test]
fn output_is_deterministic() {
    let a = all(&plan_of(PROFILE), Some("http://127.0.0.1:1"));
    let b = all(&plan_of(PROFILE), Some("http://127.0.0.1:1"));
    assert_eq!(a, b);
}
