//! Plan → run → verdict as one loop: for every scenario of a plan, a run made exactly as planned
//! against a healthy service passes when judged as that scenario, from JTL and k6 NDJSON files;
//! a stress run is judged on its 100 % step with its knee reported as capacity.

use crate::common;

use std::path::Path;
use std::process::Command;

use common::BIN;
use common::planned_run::{self, Request};
use perfassist::plan::{self, Scenario};

/// Rates high enough for every check of every scenario to be decided, low enough for small files.
const PROFILE: &str = "service: shop
traffic:
  baseline_rps: 10
  peak_rps: 20
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
    critical: true
test_window:
  soak: 40m
";

fn scenario(name: &str) -> Scenario {
    let p = perfassist::profile::load("shop.yaml", PROFILE)
        .unwrap()
        .profile;
    plan::generate(&p, &plan::Defaults::default())
        .scenarios
        .into_iter()
        .find(|s| s.name == name)
        .unwrap()
}

fn interpret(dir: &Path, file: &str, body: &str, args: &[&str]) -> (i32, serde_json::Value) {
    std::fs::write(dir.join("shop.yaml"), PROFILE).unwrap();
    std::fs::write(dir.join(file), body).unwrap();
    let o = Command::new(BIN)
        .args([
            "interpret",
            "--profile",
            "shop.yaml",
            "--metrics",
            file,
            "--format",
            "json",
        ])
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&o.stderr)));
    (o.status.code().unwrap_or(-1), v)
}

fn explain(v: &serde_json::Value) -> String {
    format!(
        "verdict {}\nnarrative {:#?}\nchecks {:#?}\nissues {:#}",
        v["verdict"],
        v["narrative"],
        v["checks"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["status"] != "pass")
            .collect::<Vec<_>>(),
        v["issues"]
    )
}

fn healthy_run(name: &str) -> Vec<Request> {
    planned_run::requests(&scenario(name), planned_run::healthy, |_| false)
}

#[test]
fn every_scenario_run_as_planned_against_a_healthy_service_passes() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["smoke", "steady", "burst", "soak", "stress"] {
        let reqs = healthy_run(name);
        let (code, v) = interpret(
            dir.path(),
            &format!("{name}.jtl"),
            &planned_run::jtl(&reqs, 1_764_000_000_000),
            &["--scenario", name],
        );
        assert_eq!(v["verdict"], "pass", "{name}: {}", explain(&v));
        assert_eq!(code, 0, "{name}");
        assert_eq!(v["scenario"]["name"], name);
        // Every stage reached, planned and achieved rates side by side.
        let stages = v["run"]["stages"].as_array().unwrap();
        assert_eq!(stages.len(), scenario(name).stages.len());
        assert!(
            stages.iter().all(|s| s["reached"] == true),
            "{name}: {stages:#?}"
        );
    }
}

#[test]
fn k6_ndjson_runs_as_planned_pass_too() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["smoke", "steady"] {
        let reqs = healthy_run(name);
        let (code, v) = interpret(
            dir.path(),
            &format!("{name}.ndjson"),
            &planned_run::k6_ndjson(&reqs, 1_764_000_000),
            &["--scenario", name],
        );
        assert_eq!(code, 0, "{name}: {}", explain(&v));
    }
}

#[test]
fn a_stress_run_breaking_above_150_percent_passes_and_names_the_knee() {
    let dir = tempfile::tempdir().unwrap();
    let s = scenario("stress");
    // Latency climbs past the objective once the load exceeds 1.5 × the peak (30 requests/s).
    let reqs = planned_run::requests(
        &s,
        |t, rate| {
            if rate > 31.0 {
                900.0 + (t * 13.0).sin().abs() * 100.0
            } else {
                planned_run::healthy(t, rate)
            }
        },
        |_| false,
    );
    let (code, v) = interpret(
        dir.path(),
        "stress.jtl",
        &planned_run::jtl(&reqs, 1_764_000_000_000),
        &["--scenario", "stress"],
    );
    assert_eq!(v["verdict"], "pass", "{}", explain(&v));
    assert_eq!(code, 0);
    let knee = &v["stages"]["knee"];
    assert_eq!(knee["load"], 40.0, "{knee:#}");
    assert_eq!(knee["position"], "between-peak-and-burst");
    assert!(
        v["narrative"].as_array().unwrap().iter().any(|l| l
            .as_str()
            .unwrap()
            .contains("Capacity: the SLO first broke at step 200%")),
        "{:#?}",
        v["narrative"]
    );

    // Broken at its 100 % step: the stress run fails.
    let reqs = planned_run::requests(&s, |_, _| 950.0, |_| false);
    let (code, v) = interpret(
        dir.path(),
        "stress.jtl",
        &planned_run::jtl(&reqs, 1_764_000_000_000),
        &["--scenario", "stress"],
    );
    assert_eq!(v["verdict"], "fail", "{}", explain(&v));
    assert_eq!(code, 1);
}

#[test]
fn judged_without_its_scenario_a_smoke_run_is_held_to_the_peak() {
    let dir = tempfile::tempdir().unwrap();
    let reqs = healthy_run("smoke");
    let (code, v) = interpret(
        dir.path(),
        "smoke.jtl",
        &planned_run::jtl(&reqs, 1_764_000_000_000),
        &[],
    );
    assert_eq!(v["verdict"], "inconclusive");
    assert_eq!(code, 1);
    assert!(explain(&v).contains("--scenario"), "{}", explain(&v));
}

#[test]
fn a_run_cut_short_says_which_stages_it_never_reached() {
    let dir = tempfile::tempdir().unwrap();
    let reqs: Vec<Request> = healthy_run("steady")
        .into_iter()
        .filter(|r| r.at_ms < 9.0 * 60_000.0)
        .collect();
    let (code, v) = interpret(
        dir.path(),
        "steady.jtl",
        &planned_run::jtl(&reqs, 1_764_000_000_000),
        &["--scenario", "steady"],
    );
    assert_eq!(code, 1);
    assert_eq!(v["verdict"], "inconclusive", "{}", explain(&v));
    let notes = v["notes"].to_string();
    assert!(
        notes.contains("hold-peak") && notes.contains("never reached"),
        "{notes}"
    );
}

#[test]
fn a_summary_without_a_time_series_is_judged_overall_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let (_, v) = interpret(
        dir.path(),
        "m.json",
        r#"{"requests": 20000, "errors": 2, "p95_ms": 120, "p99_ms": 300, "throughput_rps": 20}"#,
        &["--scenario", "steady"],
    );
    assert!(
        v["notes"].to_string().contains("could not be placed"),
        "{}",
        v["notes"]
    );
}

#[test]
fn the_daemon_tells_the_scenario_from_the_file_name_or_folder_and_passes_each() {
    let root = tempfile::tempdir().unwrap();
    let inbox = root.path().join("inbox");
    std::fs::create_dir_all(inbox.join("shop/burst")).unwrap();
    std::fs::write(inbox.join("shop.yaml"), PROFILE).unwrap();
    let at = 1_764_000_000_000;
    for (rel, name) in [
        ("shop/shop-smoke-jmeter.jtl", "smoke"),
        ("shop/nightly.steady.jtl", "steady"),
        ("shop/burst/run.jtl", "burst"),
        ("shop/shop-stress-k6.ndjson", "stress"),
    ] {
        let reqs = healthy_run(name);
        let body = if rel.ends_with(".ndjson") {
            planned_run::k6_ndjson(&reqs, at as i64 / 1000)
        } else {
            planned_run::jtl(&reqs, at)
        };
        std::fs::write(inbox.join(rel), body).unwrap();
    }
    // A name with no scenario in it is judged against the whole profile, and says so.
    std::fs::write(
        inbox.join("shop/mystery.jtl"),
        planned_run::jtl(&healthy_run("smoke"), at),
    )
    .unwrap();
    let o = common::run_once(root.path());
    let runs = root.path().join("outbox/shop/runs");
    for (run, name) in [
        ("shop-smoke-jmeter", "smoke"),
        ("nightly.steady", "steady"),
        ("burst_run", "burst"),
        ("shop-stress-k6", "stress"),
    ] {
        let v: serde_json::Value =
            serde_json::from_slice(&std::fs::read(runs.join(format!("{run}.json"))).unwrap())
                .unwrap();
        assert_eq!(v["scenario"]["name"], name, "{run}");
        assert_eq!(v["verdict"], "pass", "{run}: {}", explain(&v));
    }
    let v: serde_json::Value =
        serde_json::from_slice(&std::fs::read(runs.join("mystery.json")).unwrap()).unwrap();
    assert!(v["scenario"].is_null());
    assert!(
        v["notes"].to_string().contains("no scenario of the plan"),
        "{}",
        v["notes"]
    );
    // The evidence records name the scenario each run was judged as.
    let judged: Vec<String> = common::evidence(root.path())
        .iter()
        .filter(|r| r["interpretation"] == true)
        .map(|r| r["scenarios"].to_string())
        .collect();
    assert!(judged.contains(&"[\"smoke\"]".to_string()), "{judged:?}");
    assert_eq!(
        o.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}
