//! `perfassist export` as a user runs it: the real binary on temporary folders.

use std::process::Command;

fn perfassist() -> Command {
    Command::new(env!("CARGO_BIN_EXE_perfassist"))
}

#[test]
fn writes_the_script_into_the_out_folder() {
    let dir = tempfile::tempdir().unwrap();
    let out = perfassist()
        .args([
            "export",
            "--profile",
            "fixtures/checkout-profile.yaml",
            "--to",
            "locust",
        ])
        .args(["--scenario", "smoke", "--target", "http://127.0.0.1:8089/"])
        .arg("--out")
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(dir.path().join("locustfile-smoke.py")).unwrap();
    assert!(text.contains("TARGET = \"http://127.0.0.1:8089\""));
    assert!(text.contains("class PlannedShape(LoadTestShape)"));
    assert!(out.stdout.is_empty());
}

#[test]
fn prints_to_stdout_and_warns_without_a_target() {
    let out = perfassist()
        .args([
            "export",
            "--profile",
            "fixtures/checkout-profile.yaml",
            "--to",
            "k6",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("export const options"));
    assert!(stdout.contains(perfassist::export::PLACEHOLDER_TARGET));
    assert!(String::from_utf8_lossy(&out.stderr).contains("warning: no target"));
}

#[test]
fn unknown_scenario_and_bad_target_are_input_errors() {
    let out = perfassist()
        .args([
            "export",
            "--profile",
            "fixtures/checkout-profile.yaml",
            "--to",
            "artillery",
        ])
        .args(["--scenario", "spike"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no scenario named `spike`"), "{err}");
    assert!(err.contains("smoke, steady, burst, soak, stress"), "{err}");

    let out = perfassist()
        .args([
            "export",
            "--profile",
            "fixtures/checkout-profile.yaml",
            "--to",
            "taurus",
        ])
        .args(["--target", "localhost:8080"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not an http:// or https:// URL"));
}

#[test]
fn invalid_profile_reports_file_and_field() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("bad.yaml");
    std::fs::write(
        &p,
        "service: x\ntraffic:\n  baseline_rps: -3\n  peak_rps: 10\n",
    )
    .unwrap();
    let out = perfassist()
        .args(["export", "--to", "k6", "--profile"])
        .arg(&p)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("bad.yaml:3:"), "{err}");
    assert!(err.contains("traffic.baseline_rps"), "{err}");
}
