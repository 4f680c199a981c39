//! What a dropped input produces: plans, judgements, error reports and their clean-up, settling
//! of slow writers, results waiting for their profile, and paths or sizes that are refused.

use super::*;

#[test]
fn dropped_profile_gets_a_plan_and_evidence() {
    let dir = tempfile::tempdir().unwrap();
    let d = Daemon::start(dir.path(), &[]);
    drop_file(
        &d.inbox(),
        "checkout.yaml",
        profile_yaml("checkout-api").as_bytes(),
    );
    let plan = d.outbox().join("checkout-api/plan.json");
    assert!(wait_until(WAIT, || plan.exists()));
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&plan).unwrap()).unwrap();
    assert_eq!(v["schema"], "perfassist.plan/v1");
    assert!(d.outbox().join("checkout-api/plan.md").exists());
    assert!(d.outbox().join("checkout-api/plan.html").exists());
    for script in [
        "k6-script-smoke.js",
        "locustfile-steady.py",
        "artillery-burst.yml",
        "taurus-soak.yml",
    ] {
        assert!(
            d.outbox()
                .join("checkout-api/exports")
                .join(script)
                .exists(),
            "{script}"
        );
    }
    assert_eq!(d.stop(), Some(0));
    let ev = evidence(dir.path());
    assert_eq!(ev.len(), 1);
    let outputs: Vec<&str> = ev[0]["outputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["path"].as_str().unwrap())
        .collect();
    assert!(
        outputs
            .iter()
            .any(|p| p.ends_with("exports/locustfile-smoke.py")),
        "{outputs:?}"
    );
    assert_eq!(ev[0]["outcome"], "plan-generated");
    assert_eq!(ev[0]["inputs"][0]["path"], "inbox/checkout.yaml");
}

#[test]
fn rename_is_handled_at_once_without_waiting_to_settle() {
    let dir = tempfile::tempdir().unwrap();
    let d = Daemon::start(dir.path(), &["--settle", "20s"]);
    drop_file(
        &d.inbox(),
        "checkout.yaml",
        profile_yaml("checkout-api").as_bytes(),
    );
    assert!(wait_until(Duration::from_secs(5), || d
        .outbox()
        .join("checkout-api/plan.json")
        .exists()));
}

/// CI jobs often publish a whole service folder (profile and results) with one rename.
#[test]
fn a_folder_moved_in_is_handled_at_once_without_waiting_to_settle() {
    let dir = tempfile::tempdir().unwrap();
    let d = Daemon::start(dir.path(), &["--settle", "20s"]);
    let staged = dir.path().join("staging/checkout-api");
    std::fs::create_dir_all(staged.join("nightly")).unwrap();
    std::fs::write(staged.join("profile.yaml"), profile_yaml("checkout-api")).unwrap();
    std::fs::copy(
        fixture("metrics-failing.json"),
        staged.join("nightly/run.json"),
    )
    .unwrap();
    std::fs::rename(&staged, d.inbox().join("checkout-api")).unwrap();
    let run = d.outbox().join("checkout-api/runs/nightly_run.json");
    assert!(wait_until(Duration::from_secs(5), || run.exists()));
    assert!(d.outbox().join("checkout-api/plan.json").exists());
    let a: serde_json::Value = serde_json::from_slice(&std::fs::read(&run).unwrap()).unwrap();
    assert_eq!(a["verdict"], "fail");
}

/// k6 `--out json` and JMeter append samples during the whole run, with pauses longer than the
/// settle window at low rates: the file is judged once, when the runner closes it.
#[test]
fn a_raw_sample_stream_written_with_pauses_is_judged_once_when_closed() {
    let dir = tempfile::tempdir().unwrap();
    let d = Daemon::start(dir.path(), &["--settle", "200ms"]);
    serve_profile(
        &d,
        &d.inbox().join("checkout-api"),
        "profile.yaml",
        "checkout-api",
    );
    let full = std::fs::read_to_string(fixture("results/k6-ndjson/checkout.ndjson")).unwrap();
    let lines: Vec<&str> = full.split_inclusive('\n').collect();
    let path = d.inbox().join("checkout-api/k6-out.json");
    {
        use std::io::Write;
        let mut f = std::fs::File::create(&path).unwrap();
        for part in lines.chunks(lines.len() / 3 + 1) {
            f.write_all(part.concat().as_bytes()).unwrap();
            f.flush().unwrap();
            // Longer than the settle window, shorter than a runner's flush interval.
            std::thread::sleep(Duration::from_millis(900));
        }
    }
    let out = d.outbox().join("checkout-api/runs/k6-out.json");
    assert!(wait_until(WAIT, || out.exists()));
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(d.stop(), Some(0));
    let digest = {
        use sha2::Digest;
        format!("{:x}", sha2::Sha256::digest(full.as_bytes()))
    };
    let judged: Vec<String> = evidence(dir.path())
        .iter()
        .filter(|e| e["inputs"][0]["path"] == "inbox/checkout-api/k6-out.json")
        .map(|e| e["inputs"][0]["sha256"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(judged, [digest], "judged once, on the whole file");
}

#[test]
fn slow_chunked_write_is_judged_only_when_complete() {
    let dir = tempfile::tempdir().unwrap();
    let d = Daemon::start(dir.path(), &["--settle", "700ms"]);
    serve_profile(&d, &d.inbox(), "checkout.yaml", "checkout-api");
    let full = std::fs::read(fixture("metrics-failing.json")).unwrap();
    let path = d.inbox().join("checkout-api/run.json");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    {
        use std::io::Write;
        let mut f = std::fs::File::create(&path).unwrap();
        for chunk in full.chunks(full.len() / 4 + 1) {
            f.write_all(chunk).unwrap();
            f.flush().unwrap();
            std::thread::sleep(Duration::from_millis(150));
        }
    }
    let out = d.outbox().join("checkout-api/runs/run.json");
    assert!(wait_until(WAIT, || out.exists()));
    std::thread::sleep(Duration::from_millis(1200));
    assert!(!d.outbox().join("checkout-api/runs/run.error.json").exists());
    let a: serde_json::Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    assert_eq!(a["verdict"], "fail");
    assert_eq!(d.stop(), Some(0));
    let runs: Vec<_> = evidence(dir.path())
        .into_iter()
        .filter(|e| e["inputs"][0]["path"] == "inbox/checkout-api/run.json")
        .collect();
    assert_eq!(runs.len(), 1, "{runs:#?}");
    assert_eq!(runs[0]["outcome"], "issues-detected");
}

#[test]
fn results_wait_for_their_profile_then_are_judged() {
    let dir = tempfile::tempdir().unwrap();
    let d = Daemon::start(dir.path(), &[]);
    drop_file(
        &d.inbox().join("checkout-api"),
        "run_summary.csv",
        &std::fs::read(fixture("metrics-passing.csv")).unwrap(),
    );
    assert!(wait_until(WAIT, || {
        let s = std::fs::read_to_string(d.outbox().join("status.json")).unwrap_or_default();
        s.contains("waiting for the profile of checkout-api")
    }));
    let status = std::process::Command::new(BIN)
        .args(["status"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&status.stdout).contains("waiting: 1"));
    drop_file(
        &d.inbox().join("checkout-api"),
        "profile.yaml",
        profile_yaml("checkout-api").as_bytes(),
    );
    let out = d.outbox().join("checkout-api/runs/run_summary.json");
    assert!(wait_until(WAIT, || out.exists()));
    let a: serde_json::Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    assert_eq!(a["verdict"], "pass");
}

#[test]
fn bad_file_gets_an_error_report_the_daemon_goes_on_and_a_fix_clears_it() {
    let dir = tempfile::tempdir().unwrap();
    let d = Daemon::start(dir.path(), &[]);
    let bad = std::fs::read_to_string(fixture("invalid-profiles/many-problems.yaml")).unwrap();
    drop_file(
        &d.inbox().join("checkout-api"),
        "profile.yaml",
        bad.as_bytes(),
    );
    let err_json = d.outbox().join("checkout-api/plan.error.json");
    assert!(wait_until(WAIT, || err_json.exists()));
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&err_json).unwrap()).unwrap();
    let first = &report["diagnostics"][0];
    assert_eq!(first["field"], "traffic.peak_rps");
    assert_eq!(first["line"], 5);
    assert!(
        std::fs::read_to_string(d.outbox().join("checkout-api/plan.error.md"))
            .unwrap()
            .contains("line 5")
    );
    // Another service is still served.
    drop_file(&d.inbox(), "orders.yaml", profile_yaml("orders").as_bytes());
    assert!(wait_until(WAIT, || d
        .outbox()
        .join("orders/plan.json")
        .exists()));
    // The fix clears the report.
    serve_profile(
        &d,
        &d.inbox().join("checkout-api"),
        "profile.yaml",
        "checkout-api",
    );
    assert!(wait_until(WAIT, || !err_json.exists()));
    assert_eq!(d.stop(), Some(0));
    let outcomes: Vec<String> = evidence(dir.path())
        .iter()
        .map(|e| e["outcome"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        outcomes,
        ["input-rejected", "plan-generated", "plan-generated"]
    );
}

#[test]
fn touch_without_change_produces_nothing_new() {
    let dir = tempfile::tempdir().unwrap();
    let d = Daemon::start(dir.path(), &[]);
    let body = profile_yaml("checkout-api");
    drop_file(&d.inbox(), "checkout.yaml", body.as_bytes());
    assert!(wait_until(WAIT, || d
        .outbox()
        .join("checkout-api/plan.json")
        .exists()));
    std::thread::sleep(Duration::from_millis(300));
    drop_file(&d.inbox(), "checkout.yaml", body.as_bytes());
    std::fs::write(d.inbox().join("checkout.yaml"), body.as_bytes()).unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(d.stop(), Some(0));
    assert_eq!(evidence(dir.path()).len(), 1);
}

#[test]
fn deleted_input_is_recorded_and_its_outputs_stay() {
    let dir = tempfile::tempdir().unwrap();
    let d = Daemon::start(dir.path(), &[]);
    serve_profile(&d, &d.inbox(), "checkout.yaml", "checkout-api");
    drop_file(
        &d.inbox().join("checkout-api"),
        "run.json",
        &std::fs::read(fixture("metrics-passing.json")).unwrap(),
    );
    assert!(wait_until(WAIT, || d
        .outbox()
        .join("checkout-api/runs/run.json")
        .exists()));
    let removed = || -> Vec<(String, String)> {
        evidence(dir.path())
            .iter()
            .filter(|e| e["outcome"] == "input-removed")
            .map(|e| {
                let s = |v: &serde_json::Value| v.as_str().unwrap_or_default().to_string();
                (s(&e["inputs"][0]["path"]), s(&e["profile"]))
            })
            .collect()
    };
    // A rejected results file names its service's profile too, never itself.
    drop_file(
        &d.inbox().join("checkout-api"),
        "bad.jtl",
        &std::fs::read(fixture("results/jmeter/bad-elapsed.jtl")).unwrap(),
    );
    assert!(wait_until(WAIT, || evidence(dir.path()).iter().any(|e| e
        ["outcome"]
        == "input-rejected"
        && e["profile"] == "inbox/checkout.yaml"
        && e["inputs"][0]["path"] == "inbox/checkout-api/bad.jtl")));
    // One after the other: a results file removed with its profile names no profile.
    std::fs::remove_file(d.inbox().join("checkout-api/run.json")).unwrap();
    assert!(wait_until(WAIT, || removed().len() == 1));
    std::fs::remove_file(d.inbox().join("checkout.yaml")).unwrap();
    assert!(wait_until(WAIT, || removed().len() == 2));
    let mut removed = removed();
    removed.sort();
    // A results file is never named as the profile; its service's profile is.
    assert_eq!(
        removed,
        [
            (
                "inbox/checkout-api/run.json".into(),
                "inbox/checkout.yaml".into()
            ),
            ("inbox/checkout.yaml".into(), "inbox/checkout.yaml".into()),
        ]
    );
    assert!(d.outbox().join("checkout-api/plan.json").exists());
    assert!(d.outbox().join("checkout-api/runs/run.json").exists());
}

#[test]
fn path_tricks_write_nothing_outside_the_outbox() {
    let dir = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(
        outside.path().join("secret.json"),
        std::fs::read(fixture("metrics-passing.json")).unwrap(),
    )
    .unwrap();
    let d = Daemon::start(dir.path(), &[]);
    drop_file(
        &d.inbox(),
        "evil.yaml",
        profile_yaml("../../escape").as_bytes(),
    );
    drop_file(
        &d.inbox(),
        "evil2.yaml",
        profile_yaml("/tmp/abs").as_bytes(),
    );
    std::os::unix::fs::symlink(
        outside.path().join("secret.json"),
        d.inbox().join("link.json"),
    )
    .unwrap();
    std::fs::create_dir_all(d.inbox().join("checkout-api")).unwrap();
    std::os::unix::fs::symlink(
        outside.path().join("secret.json"),
        d.inbox().join("checkout-api/link.json"),
    )
    .unwrap();
    assert!(wait_until(WAIT, || evidence(dir.path())
        .iter()
        .filter(|e| e["outcome"] == "input-rejected")
        .count()
        == 4));
    assert_eq!(d.stop(), Some(0));
    let mut top: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    top.sort();
    assert_eq!(top, ["evidence", "inbox", "outbox", "state"]);
    assert_eq!(std::fs::read_dir(outside.path()).unwrap().count(), 1);
    let rejected = std::fs::read_to_string(dir.path().join("outbox/status.json")).unwrap();
    assert!(rejected.contains("outside the inbox"), "{rejected}");
    assert!(!std::path::Path::new("/tmp/abs").exists());
}

#[test]
fn oversized_input_is_rejected_with_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let d = Daemon::start(dir.path(), &["--max-input-bytes", "100"]);
    drop_file(
        &d.inbox(),
        "checkout.yaml",
        profile_yaml("checkout-api").as_bytes(),
    );
    assert!(wait_until(WAIT, || evidence(dir.path())
        .iter()
        .any(|e| e["outcome"] == "input-rejected")));
    let ev = evidence(dir.path());
    assert!(ev[0]["detail"].as_str().unwrap().contains("size limit"));
}

#[test]
fn runner_files_are_judged_in_the_service_folder_under_their_usual_names() {
    let dir = tempfile::tempdir().unwrap();
    let d = Daemon::start(dir.path(), &[]);
    let svc = d.inbox().join("checkout-api");
    serve_profile(&d, &svc, "profile.yaml", "checkout-api");
    let locust = fixture("results/locust");
    // Locust's family: the history and failures files are read with the stats file, not judged alone.
    for f in [
        "checkout_stats_history.csv",
        "checkout_failures.csv",
        "checkout_stats.csv",
    ] {
        drop_file(&svc, f, &std::fs::read(locust.join(f)).unwrap());
    }
    drop_file(
        &svc,
        "run.jtl",
        &std::fs::read(fixture("results/jmeter/checkout-jmeter5.jtl")).unwrap(),
    );
    drop_file(
        &svc,
        "k6.ndjson",
        &std::fs::read(fixture("results/k6-ndjson/checkout.ndjson")).unwrap(),
    );
    drop_file(
        &svc,
        "summary.json",
        &std::fs::read(fixture("results/k6/handle-summary-passing.json")).unwrap(),
    );
    for run in ["checkout_stats", "run", "k6", "summary"] {
        let p = d.outbox().join(format!("checkout-api/runs/{run}.json"));
        assert!(wait_until(WAIT, || p.exists()), "no assessment for {run}");
        let a: serde_json::Value = serde_json::from_slice(&std::fs::read(&p).unwrap()).unwrap();
        assert_eq!(a["schema"], "perfassist.assessment/v2");
    }
    assert!(
        !d.outbox()
            .join("checkout-api/runs/checkout_stats_history.json")
            .exists()
    );
    assert!(
        !d.outbox()
            .join("checkout-api/runs/checkout_failures.json")
            .exists()
    );
    let formats: Vec<String> = ["checkout_stats", "run", "k6", "summary"]
        .iter()
        .map(|r| {
            let a: serde_json::Value = serde_json::from_slice(
                &std::fs::read(d.outbox().join(format!("checkout-api/runs/{r}.json"))).unwrap(),
            )
            .unwrap();
            a["results_format"].as_str().unwrap().to_string()
        })
        .collect();
    assert!(formats[0].contains("locust"), "{formats:?}");
    assert!(formats[1].contains("jtl"), "{formats:?}");
    assert!(formats[2].contains("ndjson"), "{formats:?}");
    assert!(formats[3].contains("k6"), "{formats:?}");
}

#[test]
fn outputs_setting_limits_the_renderings() {
    let dir = tempfile::tempdir().unwrap();
    let d = Daemon::start(dir.path(), &["--outputs", "json"]);
    drop_file(
        &d.inbox(),
        "checkout.yaml",
        profile_yaml("checkout-api").as_bytes(),
    );
    drop_file(
        &d.inbox().join("checkout-api"),
        "r.json",
        &std::fs::read(fixture("metrics-passing.json")).unwrap(),
    );
    assert!(wait_until(WAIT, || d
        .outbox()
        .join("checkout-api/runs/r.json")
        .exists()));
    assert_eq!(d.stop(), Some(0));
    let mut names: Vec<String> = std::fs::read_dir(dir.path().join("outbox/checkout-api"))
        .unwrap()
        .chain(std::fs::read_dir(dir.path().join("outbox/checkout-api/runs")).unwrap())
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, ["plan.json", "r.json", "runs"]);
}

#[test]
fn changed_profile_rejudges_its_runs_also_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("inbox/checkout-api");
    let run = dir.path().join("outbox/checkout-api/runs/run_summary.json");
    let verdict = || -> Option<String> {
        let a: serde_json::Value = serde_json::from_slice(&std::fs::read(&run).ok()?).ok()?;
        a["verdict"].as_str().map(String::from)
    };
    // Another service's run must not be touched by this service's profile changes.
    let other_run = dir.path().join("outbox/other-api/runs/run_summary.json");
    let d = Daemon::start(dir.path(), &[]);
    for svc in ["checkout-api", "other-api"] {
        let f = dir.path().join("inbox").join(svc);
        drop_file(&f, "profile.yaml", profile_yaml(svc).as_bytes());
        drop_file(
            &f,
            "run_summary.csv",
            &std::fs::read(fixture("metrics-passing.csv")).unwrap(),
        );
    }
    assert!(wait_until(WAIT, || verdict().as_deref() == Some("pass")));
    assert!(wait_until(WAIT, || other_run.exists()));
    let other_before = std::fs::read(&other_run).unwrap();
    // p95 was 350 ms in the run: a 200 ms objective now fails it.
    let strict = profile_yaml("checkout-api").replace("p95: 400", "p95: 200");
    drop_file(&folder, "profile.yaml", strict.as_bytes());
    assert!(wait_until(WAIT, || verdict().as_deref() == Some("fail")));
    assert_eq!(d.stop(), Some(0));
    // After a restart the daemon knows the run from its state file alone.
    let d = Daemon::start(dir.path(), &[]);
    drop_file(
        &folder,
        "profile.yaml",
        profile_yaml("checkout-api").as_bytes(),
    );
    assert!(wait_until(WAIT, || verdict().as_deref() == Some("pass")));
    assert_eq!(d.stop(), Some(0));
    assert_eq!(std::fs::read(&other_run).unwrap(), other_before);
}
