//! The report formats and the baseline comparison as a user reaches them: the real binary run on
//! files in a temporary folder.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(name)
}

fn perfassist(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_perfassist"))
        .args(args)
        .output()
        .unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn profile() -> String {
    fixture("checkout-profile.yaml").display().to_string()
}

#[test]
fn regression_with_slo_met_is_flagged_and_does_not_fail_ci() {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("base.json");
    let cur = dir.path().join("cur.json");
    // SLO p95 ≤ 400 ms: 345 ms meets it outside the warning band, yet it is 15 % over 300 ms.
    std::fs::write(
        &base,
        r#"{"p95_ms": 300, "p99_ms": 600, "error_rate": 0.002, "throughput_rps": 200}"#,
    )
    .unwrap();
    std::fs::write(
        &cur,
        r#"{"p95_ms": 345, "p99_ms": 610, "error_rate": 0.002, "throughput_rps": 200}"#,
    )
    .unwrap();
    let (cur, base) = (cur.display().to_string(), base.display().to_string());
    let o = perfassist(&[
        "interpret",
        "--profile",
        &profile(),
        "--metrics",
        &cur,
        "--baseline",
        &base,
        "--format",
        "json",
    ]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let a: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(a["verdict"], "warn");
    assert_eq!(a["counts"]["fail"], 0);
    assert_eq!(a["counts"]["warn"], 0);
    assert_eq!(a["baseline"]["regressions"], 1);
    let c = &a["baseline"]["comparisons"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["outcome"] == "regression")
        .unwrap();
    assert_eq!(c["metric"], "latency_p95_ms");
    assert_eq!(c["change_pct"], 15.0);

    // A larger share tolerates it.
    let o = perfassist(&[
        "interpret",
        "--profile",
        &profile(),
        "--metrics",
        &cur,
        "--baseline",
        &base,
        "--format",
        "json",
        "--regression-share",
        "0.2",
    ]);
    let a: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(a["verdict"], "pass");
    assert_eq!(a["baseline"]["regressions"], 0);
}

#[test]
fn junit_shows_slo_failures_as_failing_tests() {
    let m = fixture("metrics-failing.csv").display().to_string();
    let o = perfassist(&[
        "interpret",
        "--profile",
        &profile(),
        "--metrics",
        &m,
        "--format",
        "junit",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let xml = stdout(&o);
    assert!(xml.starts_with("<?xml"));
    assert_eq!(xml.matches("<testcase ").count(), 3);
    assert_eq!(xml.matches("<failure ").count(), 3);
    assert!(xml.contains("failures=\"3\""));
}

#[test]
fn html_report_and_plan_page() {
    let m = fixture("metrics-passing.json").display().to_string();
    let o = perfassist(&[
        "interpret",
        "--profile",
        &profile(),
        "--metrics",
        &m,
        "--format",
        "html",
    ]);
    assert_eq!(o.status.code(), Some(0));
    let html = stdout(&o);
    assert!(html.starts_with("<!DOCTYPE html>"));
    for id in [
        "latency-percentiles",
        "error-rate",
        "plan-steady",
        "plan-burst",
    ] {
        assert!(html.contains(&format!("id=\"{id}\"")), "{id}");
    }
    let o = perfassist(&["plan", "--profile", &profile(), "--format", "html"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(stdout(&o).contains("id=\"plan-soak\""));
}

#[test]
fn plan_with_results_as_html_is_one_page() {
    let m = fixture("metrics-failing.json").display().to_string();
    let o = perfassist(&[
        "plan",
        "--profile",
        &profile(),
        "--metrics",
        &m,
        "--format",
        "html",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let html = stdout(&o);
    assert_eq!(html.matches("<!DOCTYPE html>").count(), 1);
    assert!(html.contains("id=\"verdict\">FAIL"));
    assert!(html.contains("id=\"plan-stress\""));
}

#[test]
fn plan_refuses_junit_and_bad_shares_are_named() {
    let o = perfassist(&["plan", "--profile", &profile(), "--format", "junit"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("junit is for judgements"));
    let m = fixture("metrics-passing.json").display().to_string();
    let o = perfassist(&[
        "interpret",
        "--profile",
        &profile(),
        "--metrics",
        &m,
        "--regression-share",
        "0",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--regression-share"));
}

#[test]
fn missing_baseline_file_is_named() {
    let m = fixture("metrics-passing.json").display().to_string();
    let o = perfassist(&[
        "interpret",
        "--profile",
        &profile(),
        "--metrics",
        &m,
        "--baseline",
        "/nonexistent/b.json",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("/nonexistent/b.json"));
}

/// A gate never passes what it did not see: a misspelt metric stops the run with exit 2 and a
/// suggestion; any other unknown field is a warning in the assessment.
#[test]
fn near_miss_metric_keys_are_errors_and_other_unknown_keys_warnings() {
    let dir = tempfile::tempdir().unwrap();
    for (body, name, want) in [
        (
            "{\"p95_ms\": 300,\n \"eror_rate\": 0.01}",
            "typo.json",
            "did you mean `error_rate`?",
        ),
        (
            "{\"p95_ms\": 300, \"p99\": 700}",
            "unitless.json",
            "did you mean `p99_ms`?",
        ),
        (
            "p95ms,error_rate\n300,0.001\n",
            "glued.csv",
            "did you mean `p95_ms`?",
        ),
    ] {
        let path = dir.path().join(name);
        std::fs::write(&path, body).unwrap();
        let o = std::process::Command::new(env!("CARGO_BIN_EXE_perfassist"))
            .args([
                "interpret",
                "--profile",
                "fixtures/checkout-profile.yaml",
                "--metrics",
            ])
            .arg(&path)
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(2), "{name}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains(want), "{name}: {err}");
        assert!(err.contains(name), "{name}: {err}");
    }
    let typo_line = std::process::Command::new(env!("CARGO_BIN_EXE_perfassist"))
        .args(["results", "--metrics"])
        .arg(dir.path().join("typo.json"))
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&typo_line.stderr).contains("typo.json:2:"));
    let path = dir.path().join("extra.json");
    std::fs::write(&path, r#"{"p95_ms": 300, "p99_ms": 500, "error_rate": 0.001, "requests": 100000, "build": "1.2.3"}"#).unwrap();
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_perfassist"))
        .args([
            "interpret",
            "--profile",
            "fixtures/checkout-profile.yaml",
            "--format",
            "json",
            "--metrics",
        ])
        .arg(&path)
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["verdict"], "warn", "{v:#}");
    assert!(
        v["issues"]
            .to_string()
            .contains("ignored unknown field `build`")
    );
}
