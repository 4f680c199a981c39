//! A Taurus artifacts folder given to `results` and `interpret` as a user does: every kpi*.jtl in
//! it is one run (fixture: a real Taurus 1.17.2 run of two Locust executions side by side).

use std::process::Command;

const FOLDER: &str = "fixtures/results/taurus/locust-two-executions";

fn perfassist() -> Command {
    Command::new(env!("CARGO_BIN_EXE_perfassist"))
}

/// Samples in a JTL: its lines after the header.
fn samples(file: &str) -> u64 {
    let text = std::fs::read_to_string(format!("{FOLDER}/{file}")).unwrap();
    text.lines().skip(1).filter(|l| !l.is_empty()).count() as u64
}

#[test]
fn every_kpi_file_counts_once_in_one_run() {
    let out = perfassist()
        .args(["results", "--metrics", FOLDER])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["format"], "taurus-artifacts-jtl");
    let want = samples("kpi.jtl") + samples("kpi-1.jtl");
    assert_eq!(r["overall"]["requests"].as_u64(), Some(want));
    let per_endpoint: u64 = r["endpoints"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["requests"].as_u64().unwrap())
        .sum();
    assert_eq!(per_endpoint, want);
    assert!(!r["timeseries"].as_array().unwrap().is_empty());
}

#[test]
fn interpret_judges_the_folder_and_logs_its_digest() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("evidence.jsonl");
    let out = perfassist()
        .args(["interpret", "--profile", "fixtures/checkout-profile.yaml"])
        .args(["--metrics", FOLDER, "--format", "json", "--log"])
        .arg(&log)
        .output()
        .unwrap();
    // A smoke-rate run judged against the full plan: a verdict either way, never a read error.
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let a: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(a["verdict"].is_string());
    let record: serde_json::Value = serde_json::from_str(
        std::fs::read_to_string(&log)
            .unwrap()
            .lines()
            .next()
            .unwrap(),
    )
    .unwrap();
    let input = record["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["path"] == FOLDER)
        .unwrap();
    // The folder's digest: each kpi file in Taurus' order, its name, a newline, its bytes.
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    for f in ["kpi.jtl", "kpi-1.jtl"] {
        h.update(f.as_bytes());
        h.update(b"\n");
        h.update(std::fs::read(format!("{FOLDER}/{f}")).unwrap());
    }
    assert_eq!(
        input["sha256"].as_str(),
        Some(hex::encode(h.finalize()).as_str())
    );
}

#[test]
fn a_folder_that_is_not_taurus_artifacts_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let out = perfassist()
        .args(["results", "--metrics"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("a folder without kpi.jtl: not a Taurus artifacts folder"),
        "{err}"
    );
}
