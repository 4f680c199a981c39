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

#[test]
fn time_scale_writes_a_rehearsal_and_refuses_bad_factors() {
    let dir = tempfile::tempdir().unwrap();
    let out = perfassist()
        .args(["export", "--profile", "fixtures/checkout-profile.yaml"])
        .args(["--to", "k6", "--scenario", "steady", "--time-scale", "0.1"])
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
    let text = std::fs::read_to_string(dir.path().join("k6-script-steady.js")).unwrap();
    assert!(text.contains("REHEARSAL: every stage at 10 % of its planned length"));
    assert!(text.contains("--out json=checkout-api-steady-scale10pct-k6.ndjson"));
    // 900 s at peak becomes 90 s; the 60 s warm-up reaches the 10 s floor.
    assert!(text.contains("{ target: 200, duration: '90s' }, // hold-peak (hold)"));
    assert!(text.contains("{ target: 5, duration: '10s' }, // warm-up (hold)"));

    for bad in ["0", "1.5", "-0.1", "nan", "inf"] {
        let out = perfassist()
            .args([
                "export",
                "--profile",
                "fixtures/checkout-profile.yaml",
                "--to",
                "k6",
            ])
            .args(["--time-scale", bad])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{bad}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("error: --time-scale: must be a number above 0 and at most 1"),
            "{bad}: {err}"
        );
        assert!(out.stdout.is_empty());
    }
}

#[test]
fn taurus_export_writes_the_locustfile_it_runs() {
    let dir = tempfile::tempdir().unwrap();
    let out = perfassist()
        .args(["export", "--profile", "fixtures/checkout-profile.yaml"])
        .args(["--to", "taurus", "--scenario", "smoke"])
        .args(["--target", "http://127.0.0.1:8089"])
        .arg("--out")
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let yml = std::fs::read_to_string(dir.path().join("taurus-smoke.yml")).unwrap();
    assert!(yml.contains("script: \"locustfile-smoke.py\""));
    let py = std::fs::read_to_string(dir.path().join("locustfile-smoke.py")).unwrap();
    assert!(py.contains("class PlannedShape(LoadTestShape)"));
    // Printed instead, the YAML comes alone, with a note about its locustfile.
    let out = perfassist()
        .args(["export", "--profile", "fixtures/checkout-profile.yaml"])
        .args(["--to", "taurus", "--scenario", "smoke"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("# Taurus script"));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("note: this script runs locustfile-smoke.py beside it")
    );
}

#[test]
fn plan_warns_when_a_hold_is_shorter_than_its_ramp() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("short.yaml");
    let text = std::fs::read_to_string("fixtures/checkout-profile.yaml").unwrap();
    std::fs::write(&p, format!("{text}test_window:\n  steady_hold: 2m\n")).unwrap();
    let out = perfassist()
        .args(["plan", "--profile"])
        .arg(&p)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let err = String::from_utf8_lossy(&out.stderr);
    let line = text.lines().count() + 2;
    assert!(
        err.contains(&format!(
            "short.yaml:{line}:3: warning: test_window.steady_hold = 120s: steady holds `hold-peak` for 120 s, shorter than the 180 s ramp `ramp-to-peak` before it"
        )),
        "{err}"
    );
    // The default plan says nothing.
    let out = perfassist()
        .args(["plan", "--profile", "fixtures/checkout-profile.yaml"])
        .output()
        .unwrap();
    assert!(!String::from_utf8_lossy(&out.stderr).contains("warning"));
}
