//! Golden tests for every rendering of plans and assessments: the output must match the reviewed
//! file under tests/golden/render/ byte for byte. `UPDATE_GOLDEN=1 cargo test --test
//! render_golden` rewrites the files; review the diff like code.

use std::path::PathBuf;

use perfassist::judge::{self, Assessment, Settings};
use perfassist::plan::{self, Plan};
use perfassist::profile::{self, ServiceProfile};
use perfassist::render::{self, Format, ReportInput};
use perfassist::results::{self, Bucket, EndpointResults, Latency, RunResults, Stats};

fn golden(name: &str, actual: &str) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden/render")
        .join(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some_and(|v| v == "1") {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; run UPDATE_GOLDEN=1 cargo test --test all render_golden",
            path.display()
        )
    });
    if expected != actual {
        let line = expected
            .lines()
            .zip(actual.lines())
            .position(|(a, b)| a != b)
            .unwrap_or(expected.lines().count().min(actual.lines().count()));
        panic!(
            "{} differs from the rendering at line {}:\n  golden: {:?}\n  actual: {:?}\n(UPDATE_GOLDEN=1 rewrites it after review)",
            path.display(),
            line + 1,
            expected.lines().nth(line).unwrap_or("<end>"),
            actual.lines().nth(line).unwrap_or("<end>")
        );
    }
}

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(name)
}

fn checkout() -> ServiceProfile {
    let text = std::fs::read_to_string(fixture("checkout-profile.yaml")).unwrap();
    profile::load("checkout-profile.yaml", &text)
        .unwrap()
        .profile
}

fn plan_of(p: &ServiceProfile) -> Plan {
    plan::generate(p, &plan::Defaults::default())
}

fn stats(requests: u64, errors: u64, p50: f64, p95: f64, p99: f64) -> Stats {
    Stats {
        requests: Some(requests),
        errors: Some(errors),
        throughput_rps: Some(requests as f64 / 600.0),
        latency_ms: Latency {
            p50: Some(p50),
            p95: Some(p95),
            p99: Some(p99),
            ..Default::default()
        },
        ..Default::default()
    }
}

/// A ten-minute stress run: load climbs 40 requests/s a minute from 40 to 400; latency holds
/// until 280 requests/s, then climbs past the objectives. `/cart/submit` is slow throughout,
/// hidden by the fast `/cart/view` in the aggregate.
fn stress_run(p95_shift: f64) -> RunResults {
    let timeseries = (0..10)
        .map(|i| {
            let rps = 40.0 * (i + 1) as f64;
            let over = (rps - 240.0).max(0.0);
            Bucket {
                offset_s: 60.0 * i as f64,
                throughput_rps: Some(rps),
                error_rate: Some(if over > 100.0 { 0.02 } else { 0.001 }),
                latency_ms: Latency {
                    p50: Some(90.0 + over),
                    p95: Some(250.0 + p95_shift + over * 3.0),
                    p99: Some(500.0 + over * 5.0),
                    ..Default::default()
                },
                users: None,
                memory_percent: Some(50.0 + i as f64),
            }
        })
        .collect();
    RunResults {
        duration_s: Some(600.0),
        overall: stats(132_000, 400, 110.0, 380.0 + p95_shift, 760.0),
        endpoints: vec![
            EndpointResults {
                name: "POST /cart/submit".into(),
                method: None,
                stats: stats(33_000, 150, 300.0, 610.0, 990.0),
            },
            EndpointResults {
                name: "GET /cart/view".into(),
                method: None,
                stats: stats(99_000, 250, 80.0, 300.0, 700.0),
            },
        ],
        timeseries,
        ..RunResults::new("test-series")
    }
}

fn all_formats(
    prefix: &str,
    a: &Assessment,
    r: &RunResults,
    plan: Option<&Plan>,
    hash: Option<&str>,
) {
    let input = ReportInput {
        assessment: a,
        results: r,
        plan,
        evidence_hash: hash,
    };
    for f in [
        Format::Json,
        Format::Markdown,
        Format::Text,
        Format::Junit,
        Format::Html,
    ] {
        golden(
            &format!("{prefix}.{}", f.extension()),
            &render::assessment_report(&input, f),
        );
    }
}

#[test]
fn stress_run_with_baseline_all_formats() {
    let p = checkout();
    let plan = plan_of(&p);
    let baseline = stress_run(-50.0);
    let current = stress_run(0.0);
    let a = judge::assess_with_baseline(&p, &current, Some(&baseline), &Settings::default());
    // What the renderings must show: the slow endpoint fails under a passing aggregate, the knee
    // sits between peak and burst, and the p95 regression is flagged.
    assert_eq!(a.verdict, judge::Verdict::Fail);
    assert!(a.stages.as_ref().unwrap().knee.is_some());
    assert!(a.baseline.as_ref().unwrap().regressions >= 1);
    all_formats(
        "stress-run",
        &a,
        &current,
        Some(&plan),
        Some("sha256:5f0c0ffee5f0c0ffee5f0c0ffee5f0c0ffee5f0c0ffee5f0c0ffee5f0c0ffee"),
    );
}

#[test]
fn prototype_summary_all_formats() {
    let p = checkout();
    for name in ["metrics-passing.json", "metrics-failing.csv"] {
        let bytes = std::fs::read(fixture(name)).unwrap();
        let r = results::read(name, &bytes).unwrap();
        let a = judge::assess(&p, &r, &Settings::default());
        all_formats(name.split('.').next().unwrap(), &a, &r, None, None);
    }
}

#[test]
fn inconclusive_run_all_formats() {
    let p = checkout();
    let mut r = stress_run(0.0);
    r.timeseries.clear();
    r.overall.throughput_rps = Some(30.0);
    r.endpoints[0].stats = stats(300, 1, 100.0, 200.0, 300.0);
    let a = judge::assess(&p, &r, &Settings::default());
    assert_eq!(a.verdict, judge::Verdict::Inconclusive);
    all_formats("inconclusive", &a, &r, None, None);
}

#[test]
fn plan_renderings() {
    let plan = plan_of(&checkout());
    for f in [Format::Json, Format::Markdown, Format::Html] {
        golden(
            &format!("plan.{}", f.extension()),
            &render::plan(&plan, f).unwrap(),
        );
    }
    assert!(render::plan(&plan, Format::Junit).is_err());
}

#[test]
fn html_is_self_contained_and_charts_what_it_has() {
    let p = checkout();
    let r = stress_run(0.0);
    let a = judge::assess(&p, &r, &Settings::default());
    let plan = plan_of(&p);
    let html = render::assessment_report(
        &ReportInput {
            assessment: &a,
            results: &r,
            plan: Some(&plan),
            evidence_hash: Some("abc123"),
        },
        Format::Html,
    );
    for needle in ["<script", "http://", "https://", "@import", "url("] {
        assert!(
            !html.contains(needle),
            "the report must fetch nothing: {needle}"
        );
    }
    for id in [
        "latency-percentiles",
        "error-rate",
        "endpoint-latency",
        "ts-latency",
        "ts-load",
        "ts-errors",
        "ts-memory",
        "plan-steady",
        "plan-burst",
    ] {
        assert!(html.contains(&format!("id=\"{id}\"")), "missing chart {id}");
    }
    assert!(html.contains("<code>abc123</code>"));
    // The SLO lines are drawn: p95 ≤ 400 ms and p99 ≤ 800 ms.
    assert!(html.contains("SLO p95 400 ms") && html.contains("SLO p99 800 ms"));
}
