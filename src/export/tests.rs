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
            .contains("{ target: 300, duration: '0s' },\n        { target: 300, duration: '60s' }")
    );
    // 5 req/s × 0.2 s × 2 = 2 VUs; max at 3 × 500 ms: 7.5 → 8.
    assert!(f.contents.contains("preAllocatedVUs: 2,\n      maxVUs: 8,"));
    // Smoke checks the whole service; per-endpoint thresholds belong to the other scenarios.
    assert!(
        f.contents
            .contains("\"http_req_duration\": [\n      \"p(95)<=200\",")
    );
    assert!(
        f.contents
            .contains("abortOnFail: true, delayAbortEval: '10s'")
    );
    let steady = export(&plan, Runner::K6, &Selection::One("steady".into()), None).unwrap();
    assert!(
        steady
            .contents
            .contains("\"http_req_duration{name:GET /a}\"")
    );
}

#[test]
fn output_is_deterministic() {
    let a = all(&plan_of(PROFILE), Some("http://127.0.0.1:1"));
    let b = all(&plan_of(PROFILE), Some("http://127.0.0.1:1"));
    assert_eq!(a, b);
}

const EDGE: &str = "service: cat\ntraffic: {baseline_rps: 4, peak_rps: 8, think_time_ms: 800}\nslo: {latency_ms: {p95: 300}, error_rate: 0.02}\nendpoints:\n  - {path: '/ok?ids=1,2', method: GET, critical: true}\n  - {path: /items, method: POST, name: 'list, filtered', critical: true}\n";

/// k6's own reading of a threshold key (`metric{tag:value,...}`): split at commas, each part
/// `key:value` with a non-empty value, ends trimmed of spaces and quotes.
fn k6_parse_key(key: &str) -> Result<Vec<(String, String)>, String> {
    let Some((_, rest)) = key.split_once('{') else {
        return Ok(Vec::new());
    };
    let inner = rest.strip_suffix('}').ok_or("no closing brace")?;
    inner
        .split(',')
        .map(|t| match t.split_once(':') {
            Some((k, v)) if !v.is_empty() => Ok((
                k.trim().to_string(),
                v.trim().trim_matches(['"', '\'']).to_string(),
            )),
            _ => Err(format!("tag expression {t:?} is malformed")),
        })
        .collect()
}

#[test]
fn k6_threshold_keys_parse_and_name_the_tag_the_requests_carry() {
    let plan = plan_of(EDGE);
    for sel in [Selection::All, Selection::One("steady".into())] {
        let text = export(&plan, Runner::K6, &sel, None).unwrap().contents;
        let keys: Vec<&str> = text
            .lines()
            .filter_map(|l| {
                l.trim()
                    .strip_prefix('"')?
                    .split_once("\": [")
                    .map(|(k, _)| k)
            })
            .filter(|k| k.starts_with("http_req_"))
            .collect();
        assert!(keys.len() >= 6, "{keys:?}");
        let mut names = Vec::new();
        for k in &keys {
            let tags = k6_parse_key(k).unwrap_or_else(|e| panic!("{k}: {e}"));
            names.extend(
                tags.into_iter()
                    .filter(|(t, _)| t == "name")
                    .map(|(_, v)| v),
            );
        }
        // Each threshold's name is exactly the tag a request is sent with.
        for n in ["GET /ok?ids=1%2C2", "list%2C filtered"] {
            assert!(names.iter().any(|x| x == n), "{names:?}");
            assert!(text.contains(&format!("name: \"{n}\"")), "{n}");
        }
        // The request still goes to the path as written.
        assert!(text.contains("path: \"/ok?ids=1,2\""));
    }
    assert_eq!(common::k6_tag(" a,b'"), "%20a%2Cb%27");
    assert_eq!(common::k6_tag("GET /a:b"), "GET /a:b");
}

#[test]
fn think_time_paces_closed_models_and_is_explained_in_open_ones() {
    let plan = plan_of(EDGE);
    let one = |r| {
        export(&plan, r, &Selection::One("smoke".into()), None)
            .unwrap()
            .contents
    };
    let locust = one(Runner::Locust);
    assert!(locust.contains("THINK_S = 0.8\n"));
    assert!(locust.contains("math.ceil(rate * (LATENCY_S + THINK_S) * HEADROOM - 1e-9)"));
    assert!(locust.contains("return max(THINK_S, last + gap - now)"));
    let k6 = one(Runner::K6);
    assert!(
        k6.contains("// Think time: the profile's traffic.think_time_ms (800 ms) is not applied.")
    );
    assert!(k6.contains("open model: ramping-arrival-rate starts iterations at the planned rate"));
    let art = one(Runner::Artillery);
    assert!(art.contains("# Think time (traffic.think_time_ms = 800 ms) is not applied: each phase starts virtual users at"));
    // Taurus runs the locustfile, so its think time is Locust's.
    let files = export_files(&plan, Runner::Taurus, &Selection::One("smoke".into()), None).unwrap();
    assert_eq!(files.len(), 2);
    assert!(
        files[0]
            .contents
            .contains("script: \"locustfile-smoke.py\"")
    );
    assert_eq!(files[1].file_name, "locustfile-smoke.py");
    assert!(files[1].contents.contains("THINK_S = 0.8\n"));
    // Without a think time, Locust paces as before and nothing is said.
    let plain = export(&plan_of(PROFILE), Runner::Locust, &Selection::All, None).unwrap();
    assert!(plain.contents.contains("THINK_S = 0\n"));
    assert!(!plain.contents.contains("Think time ("));
}

#[test]
fn result_files_carry_service_scenario_and_scale() {
    let plan = plan_of(PROFILE);
    let smoke = Selection::One("smoke".into());
    let text = |plan: &Plan, r, sel: &Selection| export(plan, r, sel, None).unwrap().contents;
    assert!(
        text(&plan, Runner::K6, &smoke)
            .contains("k6 run --out json=shop-smoke-k6.ndjson k6-script-smoke.js")
    );
    assert!(text(&plan, Runner::K6, &smoke).contains("|| \"shop-smoke-k6-summary.json\""));
    assert!(text(&plan, Runner::Locust, &smoke).contains(
        "locust -f locustfile-smoke.py --headless --csv shop-smoke-locust --json-file shop-smoke-locust"
    ));
    assert!(
        text(&plan, Runner::Artillery, &smoke)
            .contains("artillery run --output shop-smoke-artillery.json artillery-smoke.yml")
    );
    assert!(
        text(&plan, Runner::Taurus, &smoke).contains("dump-xml: \"shop-smoke-taurus-stats.xml\"")
    );
    assert!(text(&plan, Runner::Locust, &Selection::All).contains("--csv shop-all-locust"));
    let scaled = plan.time_scaled(0.025);
    let t = text(&scaled, Runner::Locust, &smoke);
    assert!(
        t.contains("--csv shop-smoke-scale2p5pct-locust --json-file shop-smoke-scale2p5pct-locust")
    );
    assert!(
        t.contains("REHEARSAL: every stage at 2.5 % of its planned length (at least 10 s each)")
    );
    assert!(
        text(&scaled, Runner::Taurus, &smoke)
            .contains("artifacts-dir: \"shop-smoke-scale2p5pct-taurus-%Y%m%d-%H%M%S\"")
    );
    // The scaled stages, rates unchanged: smoke's 10 s ramp is at the floor, and its hold keeps
    // the 55 s a healthy run needs to decide its 2 % error-rate check at 5 requests/s.
    assert!(
        t.contains(
            "(\"smoke\", \"smoke-ramp\", 0, 10, 0, 5),\n    (\"smoke\", \"smoke\", 10, 55, 5, 5),"
        ),
        "{t}"
    );
    assert!(!text(&plan, Runner::Locust, &smoke).contains("REHEARSAL"));
}

#[test]
fn artillery_holds_the_http_error_rate_in_an_ensure_condition() {
    let plan = plan_of(PROFILE);
    let art = export(
        &plan,
        Runner::Artillery,
        &Selection::One("steady".into()),
        None,
    )
    .unwrap()
    .contents;
    assert!(art.contains("- expression: \"(http.requests - (http.response_time.2xx.count or 0) - (http.response_time.3xx.count or 0)) / http.requests <= 0.01\"\n          strict: true"), "{art}");
    assert!(!art.contains("maxErrorRate:"));
}

#[test]
fn locust_exit_code_comes_from_the_slos() {
    let text = export(&plan_of(PROFILE), Runner::Locust, &Selection::All, None)
        .unwrap()
        .contents;
    // Set in every case, so Locust's own rule (1 on any failed request) never applies.
    assert!(text.contains("    environment.process_exit_code = 1 if broken else 0"));
    assert!(text.contains("    if environment.process_exit_code is not None:\n        return"));
}
