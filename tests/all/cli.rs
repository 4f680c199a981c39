//! The one-shot CLI as a user runs it: the real binary, real fixture files, exit codes.

use std::path::Path;
use std::process::{Command, Output};

fn perfassist(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_perfassist"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

const PROFILE: &str = "fixtures/checkout-profile.yaml";

#[test]
fn plan_prints_a_versioned_json_plan() {
    let o = perfassist(&["plan", "--profile", PROFILE]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["schema"], "perfassist.plan/v1");
    assert_eq!(v["service"], "checkout-api");
    let names: Vec<_> = v["scenarios"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    for n in ["steady", "burst", "soak", "stress"] {
        assert!(names.contains(&n));
    }
}

#[test]
fn plan_is_byte_identical_across_runs() {
    let a = perfassist(&["plan", "--profile", PROFILE]);
    let b = perfassist(&["plan", "--profile", PROFILE]);
    assert_eq!(a.stdout, b.stdout);
}

#[test]
fn plan_out_writes_the_file_and_log_appends_evidence() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("plans/plan.json");
    let log = dir.path().join("evidence.jsonl");
    for _ in 0..2 {
        let o = perfassist(&[
            "plan",
            "--profile",
            PROFILE,
            "--out",
            out.to_str().unwrap(),
            "--log",
            log.to_str().unwrap(),
        ]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        assert!(o.stdout.is_empty());
    }
    let plan: serde_json::Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    assert_eq!(plan["service"], "checkout-api");
    let text = std::fs::read_to_string(&log).unwrap();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    let rec = &lines[0];
    assert_eq!(rec["service"], "checkout-api");
    assert_eq!(rec["profile"], PROFILE);
    assert_eq!(rec["interpretation"], false);
    assert_eq!(rec["outcome"], "plan-generated");
    assert!(rec["ts"].as_str().unwrap().ends_with('Z'));
    assert!(
        rec["scenarios"]
            .as_array()
            .unwrap()
            .contains(&"soak".into())
    );
    assert!(
        rec["schema"]
            .as_str()
            .unwrap()
            .starts_with("perfassist.evidence/")
    );
    let input = &rec["inputs"][0];
    assert_eq!(input["path"], PROFILE);
    assert_eq!(input["sha256"].as_str().unwrap().len(), 64);
    assert_eq!(rec["outputs"][0]["path"], out.to_str().unwrap());
}

#[test]
fn plan_with_metrics_interprets_and_sets_the_exit_code() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("e.jsonl");
    let ok = perfassist(&[
        "plan",
        "--profile",
        PROFILE,
        "--metrics",
        "fixtures/metrics-passing.json",
        "--log",
        log.to_str().unwrap(),
    ]);
    assert_eq!(ok.status.code(), Some(0), "{}", stderr(&ok));
    let v: serde_json::Value = serde_json::from_slice(&ok.stdout).unwrap();
    assert_eq!(v["plan"]["schema"], "perfassist.plan/v1");
    assert_eq!(v["assessment"]["verdict"], "pass");
    let bad = perfassist(&[
        "plan",
        "--profile",
        PROFILE,
        "--metrics",
        "fixtures/metrics-failing.json",
        "--log",
        log.to_str().unwrap(),
    ]);
    assert_eq!(bad.status.code(), Some(1));
    let text = std::fs::read_to_string(&log).unwrap();
    let outcomes: Vec<String> = text
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["outcome"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(
        outcomes,
        ["plan-and-interpretation-generated", "issues-detected"]
    );
}

#[test]
fn plan_formats() {
    let md = perfassist(&["plan", "--profile", PROFILE, "--format", "markdown"]);
    let text = stdout(&md);
    assert!(text.starts_with("# Load test plan: checkout-api"));
    assert!(text.contains("## Scenario `burst`"));
    assert!(text.contains("| 4 | spike |"));
    let yaml = perfassist(&["plan", "--profile", PROFILE, "--format", "yaml"]);
    assert!(stdout(&yaml).contains("schema: perfassist.plan/v1"));
}

#[test]
fn interpret_and_its_prototype_alias() {
    for cmd in ["interpret", "interpret-cmd"] {
        let fail = perfassist(&[
            cmd,
            "--profile",
            PROFILE,
            "--metrics",
            "fixtures/metrics-failing.json",
        ]);
        assert_eq!(fail.status.code(), Some(1));
        let t = stdout(&fail);
        assert!(t.starts_with("checkout-api: FAIL"), "{t}");
        assert!(
            t.contains("p95 latency is 520 ms against an objective of at most 400 ms"),
            "{t}"
        );
        let pass = perfassist(&[
            cmd,
            "--profile",
            PROFILE,
            "--metrics",
            "fixtures/metrics-passing.csv",
        ]);
        assert_eq!(pass.status.code(), Some(0), "{}", stdout(&pass));
    }
}

#[test]
fn interpret_json_output_and_out_file() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("a.json");
    let o = perfassist(&[
        "interpret",
        "--profile",
        PROFILE,
        "--metrics",
        "fixtures/metrics-long.csv",
        "--format",
        "json",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["schema"], "perfassist.assessment/v2");
    assert_eq!(v["checks"][0]["observed"], 350.0);
    assert_eq!(std::fs::read(&out).unwrap(), o.stdout);
}

#[test]
fn bad_metrics_exit_2_naming_file_field_and_line() {
    let o = perfassist(&[
        "interpret",
        "--profile",
        PROFILE,
        "--metrics",
        "fixtures/invalid-metrics/error-rate-percent.json",
    ]);
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert!(
        e.contains("fixtures/invalid-metrics/error-rate-percent.json:1:"),
        "{e}"
    );
    assert!(e.contains("error_rate"), "{e}");
    assert!(e.contains("0.05"), "{e}");
    assert!(o.stdout.is_empty());
}

#[test]
fn every_invalid_metrics_fixture_is_rejected_with_a_located_error() {
    for entry in
        std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/invalid-metrics"))
            .unwrap()
    {
        let path = entry.unwrap().path();
        let rel = format!(
            "fixtures/invalid-metrics/{}",
            path.file_name().unwrap().to_string_lossy()
        );
        let o = perfassist(&["interpret", "--profile", PROFILE, "--metrics", &rel]);
        assert_eq!(o.status.code(), Some(2), "{rel}");
        assert!(stderr(&o).starts_with(&rel), "{rel}: {}", stderr(&o));
    }
}

#[test]
fn validate_lists_every_problem_and_exits_2() {
    let o = perfassist(&[
        "validate",
        "--profile",
        "fixtures/invalid-profiles/many-problems.yaml",
    ]);
    assert_eq!(o.status.code(), Some(2));
    let t = stdout(&o);
    assert_eq!(
        t.lines().filter(|l| l.contains(": error: ")).count(),
        7,
        "{t}"
    );
    assert!(t.contains("many-problems.yaml:4:3: warning: traffic.peak_rsp: unknown key, ignored (did you mean `peak_rps`?)"), "{t}");
    assert!(t.contains("invalid profile: 7 error(s), 2 warning(s)"));
}

#[test]
fn validate_json_report() {
    let o = perfassist(&[
        "validate",
        "--profile",
        "fixtures/invalid-profiles/wrong-types.json",
        "--format",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(2));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["valid"], false);
    let d = &v["diagnostics"][0];
    assert_eq!(d["field"], "traffic.baseline_rps");
    assert_eq!(d["line"], 3);
    let ok = perfassist(&["validate", "--profile", PROFILE]);
    assert_eq!(ok.status.code(), Some(0));
}

#[test]
fn invalid_profile_stops_plan_with_exit_2_and_no_output_file() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("plan.json");
    let o = perfassist(&[
        "plan",
        "--profile",
        "fixtures/invalid-profiles/syntax-error.yaml",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(!out.exists());
    // Where the problem begins (the unclosed bracket), not where the parser gave up.
    assert!(
        stderr(&o).contains("syntax-error.yaml:4:13:"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(perfassist(&["plan"]).status.code(), Some(2));
    assert_eq!(perfassist(&["nonsense"]).status.code(), Some(2));
    assert_eq!(
        perfassist(&["plan", "--profile", "does/not/exist.yaml"])
            .status
            .code(),
        Some(2)
    );
}

#[test]
fn production_data_warning_is_prominent() {
    let o = perfassist(&[
        "plan",
        "--profile",
        "fixtures/prod-data-profile.json",
        "--format",
        "markdown",
    ]);
    let t = stdout(&o);
    let first_lines: String = t.lines().take(4).collect::<Vec<_>>().join("\n");
    assert!(first_lines.contains("DATA SAFETY"), "{first_lines}");
}

#[test]
fn html_report_shows_its_evidence_record_hash() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("ev.jsonl");
    let o = perfassist(&[
        "interpret",
        "--profile",
        PROFILE,
        "--metrics",
        "fixtures/metrics-passing.json",
        "--format",
        "html",
        "--log",
        log.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = std::fs::read_to_string(&log).unwrap();
    let last: serde_json::Value = serde_json::from_str(text.lines().last().unwrap()).unwrap();
    let hash = last["hash"].as_str().unwrap();
    assert_eq!(hash.len(), 64);
    assert!(stdout(&o).contains(hash));
}
