//! `perfassist history` and the key figures in evidence records, through the real binary: a log
//! written before records had figures still verifies and reads, new records add figures, and
//! the filters and formats say what a user relies on.

use crate::common;

use common::{BIN, FIXTURES, fixture};
use std::path::Path;
use std::process::{Command, Output};

fn run(dir: &Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .current_dir(dir)
        .env_remove("PERFASSIST_EVIDENCE")
        .output()
        .unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// A folder with the fixtures and a copy of a log written by perfassist before records had
/// figures (`fixtures/evidence/pre-figures.jsonl`: plan, interpret and daemon records).
fn with_old_log() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let copy = Command::new("cp")
        .args(["-r", FIXTURES, dir.path().to_str().unwrap()])
        .status()
        .unwrap();
    assert!(copy.success());
    std::fs::create_dir_all(dir.path().join("evidence")).unwrap();
    std::fs::copy(
        fixture("evidence/pre-figures.jsonl"),
        dir.path().join("evidence/evidence.jsonl"),
    )
    .unwrap();
    // The head note travels with its log (a log without one fails `verify`).
    std::fs::copy(
        fixture("evidence/pre-figures.head.json"),
        dir.path().join("evidence/evidence.head.json"),
    )
    .unwrap();
    dir
}

#[test]
fn a_log_written_before_figures_still_verifies_and_new_records_carry_figures() {
    let dir = with_old_log();
    let d = dir.path();
    let v = run(d, &["evidence", "verify", "evidence"]);
    assert_eq!(v.status.code(), Some(0), "{}", stdout(&v));
    assert!(stdout(&v).contains("OK: 6 record(s)"));

    let i = run(
        d,
        &[
            "interpret",
            "--profile",
            "fixtures/checkout-profile.yaml",
            "--metrics",
            "fixtures/metrics-failing.csv",
            "--log",
            "evidence",
        ],
    );
    assert_eq!(i.status.code(), Some(1));
    let v = run(d, &["evidence", "verify", "evidence"]);
    assert_eq!(v.status.code(), Some(0), "{}", stdout(&v));

    let text = std::fs::read_to_string(d.join("evidence/evidence.jsonl")).unwrap();
    let last: serde_json::Value = serde_json::from_str(text.lines().last().unwrap()).unwrap();
    let figures = &last["figures"];
    // The CSV summary reports no request count: that figure is absent, not made up.
    assert_eq!(
        *figures,
        serde_json::json!({"error_rate": 0.034, "throughput_rps": 188.0, "p50_ms": 180.0, "p95_ms": 520.0, "p99_ms": 1400.0}),
        "{last}"
    );
    let old: serde_json::Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    assert!(old.get("figures").is_none());

    let h = run(d, &["history", "--format", "json"]);
    assert_eq!(h.status.code(), Some(0));
    let report: serde_json::Value = serde_json::from_slice(&h.stdout).unwrap();
    assert_eq!(report["schema"], "perfassist.history/v1");
    let svc = &report["services"][0];
    assert_eq!(svc["service"], "checkout-api");
    let runs = svc["runs"].as_array().unwrap();
    // metrics-failing.json twice (CLI and daemon paths differ), metrics-passing.json (judged
    // twice: interpret and plan --metrics), metrics-failing.csv.
    assert_eq!(runs.len(), 4, "{svc}");
    assert_eq!(runs[1]["judgements"], 2);
    assert!(runs[0].get("figures").is_none(), "old records have none");
    assert_eq!(runs[3]["figures"], *figures);
    assert_eq!(runs[3]["hash"], last["hash"]);
    assert_eq!(svc["plan"]["seq"], 5, "the newest plan record");
    for r in runs {
        assert!(
            r["scenario"].is_null(),
            "older records judge the whole profile"
        );
    }
}

#[test]
fn history_filters_and_formats() {
    let dir = with_old_log();
    let d = dir.path();
    let t = run(d, &["history", "evidence"]);
    assert_eq!(t.status.code(), Some(0));
    let text = stdout(&t);
    assert!(
        text.starts_with("checkout-api: 3 run(s); latest: whole-profile fail"),
        "{text}"
    );
    assert!(text.contains("P95 MS"));

    let m = run(
        d,
        &[
            "history",
            "--format",
            "markdown",
            "--scenario",
            "whole-profile",
        ],
    );
    let md = stdout(&m);
    assert!(
        md.contains("## checkout-api") && md.contains("| seq | time |"),
        "{md}"
    );
    assert_eq!(md.matches("| whole-profile |").count(), 3, "{md}");

    let none = run(d, &["history", "--scenario", "smoke", "--format", "json"]);
    let report: serde_json::Value = serde_json::from_slice(&none.stdout).unwrap();
    assert!(report["services"][0]["runs"].as_array().unwrap().is_empty());

    let unknown = run(d, &["history", "--service", "nope"]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("services in the log: checkout-api"));

    let missing = run(d, &["history", "no-such-log"]);
    assert_eq!(missing.status.code(), Some(2));
}
