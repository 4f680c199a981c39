//! The daemon as an operator runs it: the real binary on temporary folders, files dropped the
//! ways writers really write them, signals, restarts and bad input.

mod common;

use common::*;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(10);
/// For the bursts of hundreds or thousands of files: their time depends on the machine, and a
/// timeout here only decides when a lost file is reported.
const BURST_WAIT: Duration = Duration::from_secs(240);

/// Drops `service`'s profile as `folder/name` and waits for its plan.
fn serve_profile(d: &Daemon, folder: &std::path::Path, name: &str, service: &str) {
    drop_file(folder, name, profile_yaml(service).as_bytes());
    let plan = d.outbox().join(service).join("plan.json");
    assert!(wait_until(WAIT, || plan.exists()), "no plan for {service}");
}

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
fn many_files_at_once_each_processed_exactly_once() {
    let dir = tempfile::tempdir().unwrap();
    let d = Daemon::start(dir.path(), &[]);
    let n = 2000;
    let staging = dir.path().join("staging");
    std::fs::create_dir_all(&staging).unwrap();
    for i in 0..n {
        std::fs::write(
            staging.join(format!("svc-{i}.yaml")),
            profile_yaml(&format!("svc-{i}")),
        )
        .unwrap();
    }
    for i in 0..n {
        std::fs::rename(
            staging.join(format!("svc-{i}.yaml")),
            d.inbox().join(format!("svc-{i}.yaml")),
        )
        .unwrap();
    }
    // Generous: a debug build on a busy 2-core machine writes these 50,000 files slowly.
    assert!(wait_until(BURST_WAIT, || evidence_count(dir.path()) >= n));
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(d.stop(), Some(0));
    let ev = evidence(dir.path());
    assert_eq!(ev.len(), n);
    let inputs: std::collections::BTreeSet<_> = ev
        .iter()
        .map(|e| e["inputs"][0]["path"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(inputs.len(), n);
    for i in (0..n).step_by(97) {
        let p = dir.path().join(format!("outbox/svc-{i}/plan.json"));
        serde_json::from_slice::<serde_json::Value>(&std::fs::read(p).unwrap()).unwrap();
    }
}

/// notify reports a new folder before it watches it: a file renamed into the folder at once
/// raises no event. Each folder is filled the moment it exists, and is the last event for a
/// while, so nothing later covers for a missed file.
#[test]
fn files_renamed_into_a_brand_new_folder_are_not_missed() {
    let dir = tempfile::tempdir().unwrap();
    let d = Daemon::start(dir.path(), &[]);
    let staging = dir.path().join("staging");
    std::fs::create_dir_all(&staging).unwrap();
    let n = 50;
    for i in 0..n {
        let staged = staging.join(format!("svc-{i}.yaml"));
        std::fs::write(&staged, profile_yaml(&format!("svc-{i}"))).unwrap();
        let folder = d.inbox().join(format!("svc-{i}"));
        std::fs::create_dir(&folder).unwrap();
        std::fs::rename(&staged, folder.join("profile.yaml")).unwrap();
        let plan = dir.path().join(format!("outbox/svc-{i}/plan.json"));
        assert!(
            wait_until(WAIT, || plan.exists()),
            "svc-{i}/profile.yaml was never handled"
        );
    }
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(d.stop(), Some(0));
    assert_eq!(evidence(dir.path()).len(), n, "one record per profile");
}

#[test]
fn kill_9_mid_burst_then_restart_loses_and_duplicates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let d = Daemon::start(dir.path(), &[]);
    let n = 600;
    for i in 0..n {
        drop_file(
            &d.inbox(),
            &format!("svc-{i}.yaml"),
            profile_yaml(&format!("svc-{i}")).as_bytes(),
        );
        if i == n / 3 {
            // Let part of the burst be processed, then pull the plug.
            wait_until(WAIT, || evidence_count(dir.path()) > 10);
        }
    }
    d.kill9();
    let before = evidence(dir.path()).len();
    assert!(
        before < n,
        "the kill came too late to test anything ({before} of {n} done)"
    );
    let d = Daemon::start(dir.path(), &[]);
    assert!(wait_until(BURST_WAIT, || evidence_count(dir.path()) >= n));
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(d.stop(), Some(0));
    let ev = evidence(dir.path());
    let inputs: std::collections::BTreeSet<_> = ev
        .iter()
        .map(|e| e["inputs"][0]["path"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(inputs.len(), n);
    assert_eq!(ev.len(), n, "duplicated evidence records");
    for i in 0..n {
        let p = dir.path().join(format!("outbox/svc-{i}/plan.json"));
        let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&p).unwrap()).unwrap();
        assert_eq!(v["service"], format!("svc-{i}"));
    }
    // The restarted daemon deleted whatever temporaries the killed one left.
    assert_no_temporaries(&dir.path().join("outbox"));
}

#[test]
fn a_second_daemon_on_the_same_state_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let first = Daemon::start(dir.path(), &[]);
    let second = run_once(dir.path());
    let err = String::from_utf8_lossy(&second.stderr);
    assert_eq!(second.status.code(), Some(3), "{err}");
    assert!(
        err.contains("another perfassist daemon") && err.contains("state"),
        "{err}"
    );
    // The first one is unharmed and still serving.
    drop_file(&first.inbox(), "a.yaml", profile_yaml("a-api").as_bytes());
    assert!(wait_until(WAIT, || first
        .outbox()
        .join("a-api/plan.json")
        .exists()));
    assert_eq!(first.stop(), Some(0));
}

/// Every output was renamed into place: no temporary file is left anywhere below `outbox`.
fn assert_no_temporaries(outbox: &std::path::Path) {
    let leftovers: Vec<_> = walk(outbox)
        .into_iter()
        .filter(|p| p.to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[test]
fn restart_processes_exactly_what_changed_while_down() {
    let dir = tempfile::tempdir().unwrap();
    let d = Daemon::start(dir.path(), &[]);
    drop_file(&d.inbox(), "a.yaml", profile_yaml("a").as_bytes());
    drop_file(&d.inbox(), "b.yaml", profile_yaml("b").as_bytes());
    assert!(wait_until(WAIT, || evidence(dir.path()).len() == 2));
    assert_eq!(d.stop(), Some(0));
    // While down: one new, one changed, one untouched, one deleted.
    std::fs::write(dir.path().join("inbox/c.yaml"), profile_yaml("c")).unwrap();
    std::fs::write(
        dir.path().join("inbox/a.yaml"),
        profile_yaml("a").replace("peak_rps: 200", "peak_rps: 250"),
    )
    .unwrap();
    let d = Daemon::start(dir.path(), &[]);
    assert!(wait_until(WAIT, || evidence(dir.path()).len() == 4));
    std::fs::remove_file(dir.path().join("inbox/b.yaml")).unwrap();
    assert!(wait_until(WAIT, || evidence(dir.path()).len() == 5));
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(d.stop(), Some(0));
    let ev = evidence(dir.path());
    let tail: Vec<(String, String)> = ev[2..]
        .iter()
        .map(|e| {
            (
                e["inputs"][0]["path"].as_str().unwrap().to_string(),
                e["outcome"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert!(
        tail.contains(&("inbox/a.yaml".into(), "plan-generated".into())),
        "{tail:?}"
    );
    assert!(
        tail.contains(&("inbox/c.yaml".into(), "plan-generated".into())),
        "{tail:?}"
    );
    assert!(
        tail.contains(&("inbox/b.yaml".into(), "input-removed".into())),
        "{tail:?}"
    );
    assert_eq!(ev.len(), 5);
}

#[test]
fn poll_mode_picks_up_files() {
    let dir = tempfile::tempdir().unwrap();
    let d = Daemon::start(dir.path(), &["--poll", "200ms"]);
    std::fs::create_dir_all(d.inbox()).unwrap();
    std::fs::write(
        d.inbox().join("checkout.yaml"),
        profile_yaml("checkout-api"),
    )
    .unwrap();
    assert!(wait_until(WAIT, || d
        .outbox()
        .join("checkout-api/plan.json")
        .exists()));
}

#[test]
fn sigterm_exits_0_with_evidence_flushed() {
    let dir = tempfile::tempdir().unwrap();
    let d = Daemon::start(dir.path(), &[]);
    serve_profile(&d, &d.inbox(), "checkout.yaml", "checkout-api");
    assert_eq!(d.stop(), Some(0));
    assert_eq!(evidence(dir.path()).len(), 1);
    let state = std::fs::read_to_string(dir.path().join("state/perfassist-state.json")).unwrap();
    assert!(state.contains("checkout.yaml"));
}

#[test]
fn ready_is_sent_to_notify_socket_after_first_scan() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("inbox")).unwrap();
    std::fs::write(
        dir.path().join("inbox/checkout.yaml"),
        profile_yaml("checkout-api"),
    )
    .unwrap();
    let sock_path = dir.path().join("notify.sock");
    let sock = std::os::unix::net::UnixDatagram::bind(&sock_path).unwrap();
    sock.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let d = Daemon::start_with_env(
        dir.path(),
        &[],
        &[("NOTIFY_SOCKET", sock_path.to_str().unwrap())],
    );
    let mut buf = [0u8; 4096];
    let n = sock.recv(&mut buf).unwrap();
    let msg = String::from_utf8_lossy(&buf[..n]).to_string();
    assert!(msg.contains("READY=1"), "{msg}");
    assert!(msg.contains("STATUS="), "{msg}");
    // The first scan was complete before READY: the plan is already there.
    assert!(d.outbox().join("checkout-api/plan.json").exists());
    assert_eq!(d.stop(), Some(0));
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
fn once_exit_codes_say_what_happened() {
    let run = |files: &[(&str, Vec<u8>)]| {
        let dir = tempfile::tempdir().unwrap();
        for (name, body) in files {
            let p = dir.path().join("inbox").join(name);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, body).unwrap();
        }
        let o = run_once(dir.path());
        (o.status.code(), dir)
    };
    let profile = profile_yaml("checkout-api").into_bytes();
    let (ok, dir) = run(&[
        ("checkout.yaml", profile.clone()),
        (
            "checkout-api/r.json",
            std::fs::read(fixture("metrics-passing.json")).unwrap(),
        ),
    ]);
    assert_eq!(ok, Some(0));
    assert!(dir.path().join("outbox/checkout-api/runs/r.json").exists());
    let (failed, _) = run(&[
        ("checkout.yaml", profile.clone()),
        (
            "checkout-api/r.json",
            std::fs::read(fixture("metrics-failing.json")).unwrap(),
        ),
    ]);
    assert_eq!(failed, Some(1));
    let (rejected, _) = run(&[
        ("checkout.yaml", profile),
        ("checkout-api/r.json", b"{\"p95_ms\": -1}".to_vec()),
    ]);
    assert_eq!(rejected, Some(2));
}

#[test]
fn settings_come_from_env_and_config_file() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("cfg.yaml"), "inbox: drop\noutbox: out\n").unwrap();
    std::fs::create_dir_all(dir.path().join("drop")).unwrap();
    std::fs::write(
        dir.path().join("drop/checkout.yaml"),
        profile_yaml("checkout-api"),
    )
    .unwrap();
    let o = std::process::Command::new(BIN)
        .args(["watch", "--once", "--config", "cfg.yaml"])
        .env("PERFASSIST_OUTBOX", "env-out")
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(dir.path().join("env-out/checkout-api/plan.json").exists());
    assert!(!dir.path().join("out").exists());
    let bad = std::process::Command::new(BIN)
        .args(["watch", "--once", "--settle", "whenever"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("settle"));
}

#[test]
fn daemon_evidence_rotates_and_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let d = Daemon::start(
        dir.path(),
        &[
            "--evidence-max-bytes",
            "4000",
            "--evidence-keep-files",
            "50",
        ],
    );
    for i in 0..20 {
        drop_file(
            &d.inbox(),
            &format!("s{i}.yaml"),
            profile_yaml(&format!("s{i}")).as_bytes(),
        );
    }
    assert!(wait_until(Duration::from_secs(30), || evidence(dir.path())
        .len()
        >= 20));
    assert_eq!(d.stop(), Some(0));
    let files = std::fs::read_dir(dir.path().join("evidence"))
        .unwrap()
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "jsonl"))
        .count();
    assert!(files > 1, "expected rotation, got {files} file(s)");
    let v = std::process::Command::new(BIN)
        .args(["evidence", "verify", "evidence"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(
        v.status.code(),
        Some(0),
        "{}{}",
        String::from_utf8_lossy(&v.stdout),
        String::from_utf8_lossy(&v.stderr)
    );
}

#[test]
fn watchdog_pings_arrive_when_systemd_asks_for_them() {
    let dir = tempfile::tempdir().unwrap();
    let sock_path = dir.path().join("notify.sock");
    let sock = std::os::unix::net::UnixDatagram::bind(&sock_path).unwrap();
    sock.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let d = Daemon::start_with_env(
        dir.path(),
        &[],
        &[
            ("NOTIFY_SOCKET", sock_path.to_str().unwrap()),
            ("WATCHDOG_USEC", "400000"),
        ],
    );
    let mut buf = [0u8; 4096];
    let mut seen = Vec::new();
    while !seen.iter().any(|m: &String| m.contains("WATCHDOG=1")) {
        let n = sock.recv(&mut buf).expect("no WATCHDOG=1 within 10 s");
        seen.push(String::from_utf8_lossy(&buf[..n]).to_string());
    }
    assert!(seen[0].contains("READY=1"), "{seen:?}");
    assert_eq!(d.stop(), Some(0));
    let n = sock.recv(&mut buf).unwrap();
    let mut last = String::from_utf8_lossy(&buf[..n]).to_string();
    while !last.contains("STOPPING=1") {
        let n = sock.recv(&mut buf).unwrap();
        last = String::from_utf8_lossy(&buf[..n]).to_string();
    }
}

#[test]
fn sighup_rescans_and_keeps_serving() {
    let dir = tempfile::tempdir().unwrap();
    let d = Daemon::start(dir.path(), &[]);
    d.signal(libc::SIGHUP);
    std::thread::sleep(Duration::from_millis(300));
    serve_profile(&d, &d.inbox(), "checkout.yaml", "checkout-api");
    assert_eq!(d.stop(), Some(0));
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

/// A burst is prepared on every core before the engine applies it in order; the checks that need
/// the engine's state still decide, and prepared work that is not used leaves nothing behind.
#[test]
fn burst_with_a_duplicate_service_and_a_bad_profile_is_sorted_out_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let inbox = dir.path().join("inbox");
    std::fs::create_dir_all(inbox.join("folder-api")).unwrap();
    for i in 0..30 {
        let svc = format!("svc-{i}");
        std::fs::write(inbox.join(format!("{svc}.yaml")), profile_yaml(&svc)).unwrap();
    }
    // a-dup.yaml comes first in the batch and wins; b-dup.yaml names the same service.
    let first = profile_yaml("dup-api");
    let second = first.replace("p95: 400", "p95: 123");
    std::fs::write(inbox.join("a-dup.yaml"), &first).unwrap();
    std::fs::write(inbox.join("b-dup.yaml"), &second).unwrap();
    // A valid profile in the folder of another service.
    std::fs::write(
        inbox.join("folder-api/profile.yaml"),
        profile_yaml("not-the-folder"),
    )
    .unwrap();
    std::fs::write(
        inbox.join("broken.yaml"),
        "service: broken-api\nslo: [not, a, map\n",
    )
    .unwrap();
    let o = run_once(dir.path());
    assert_eq!(
        o.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    for i in 0..30 {
        let plan: serde_json::Value = serde_json::from_slice(
            &std::fs::read(dir.path().join(format!("outbox/svc-{i}/plan.json"))).unwrap(),
        )
        .unwrap();
        assert_eq!(plan["service"], format!("svc-{i}"));
        assert!(
            dir.path()
                .join(format!("outbox/svc-{i}/exports/k6-script-steady.js"))
                .exists()
        );
    }
    let dup = std::fs::read_to_string(dir.path().join("outbox/dup-api/plan.json")).unwrap();
    assert!(
        dup.contains("400") && !dup.contains("123"),
        "the second profile's plan won"
    );
    let err = std::fs::read_to_string(dir.path().join("outbox/dup-api/plan.error.json")).unwrap();
    assert!(err.contains("already has a profile"), "{err}");
    assert!(err.contains("b-dup.yaml"), "{err}");
    let folder_err =
        std::fs::read_to_string(dir.path().join("outbox/folder-api/plan.error.json")).unwrap();
    assert!(folder_err.contains("not-the-folder"), "{folder_err}");
    assert!(!dir.path().join("outbox/not-the-folder").exists());
    // Unparseable, so its service cannot be told: the report goes to the unsorted folder.
    assert!(
        dir.path()
            .join("outbox/_unsorted/broken.yaml.error.json")
            .exists()
    );
    assert_no_temporaries(&dir.path().join("outbox"));
    let ev = evidence(dir.path());
    assert_eq!(ev.len(), 34, "one record per input");
}

/// An output that cannot be written (here a file stands where the service's folder should be,
/// as a full disk or a read-only folder would fail) must not be recorded as done: the rest of
/// the batch goes on, the input is retried, and it is recorded exactly once when it succeeds.
#[test]
fn an_unwritable_output_is_retried_not_lost() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("outbox")).unwrap();
    let blocker = dir.path().join("outbox/blocked-api");
    std::fs::write(&blocker, "not a folder").unwrap();
    let once = run_once(dir.path());
    assert_eq!(once.status.code(), Some(0), "empty inbox");

    let d = Daemon::start(dir.path(), &[]);
    drop_file(&d.inbox(), "ok.yaml", profile_yaml("ok-api").as_bytes());
    drop_file(
        &d.inbox(),
        "blocked.yaml",
        profile_yaml("blocked-api").as_bytes(),
    );
    assert!(wait_until(WAIT, || d
        .outbox()
        .join("ok-api/plan.json")
        .exists()));
    let status = d.outbox().join("status.json");
    assert!(wait_until(WAIT, || {
        let s: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&status).unwrap_or_default()).unwrap_or_default();
        s["this_run"]["write_failures"].as_u64().unwrap_or(0) >= 1
    }));
    let services = |ev: &[serde_json::Value]| -> Vec<String> {
        ev.iter()
            .map(|e| e["service"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(services(&evidence(dir.path())), ["ok-api"]);

    // The operator clears the way; the daemon's retry picks the input up again.
    std::fs::remove_file(&blocker).unwrap();
    assert!(wait_until(Duration::from_secs(30), || d
        .outbox()
        .join("blocked-api/plan.json")
        .exists()));
    assert!(wait_until(WAIT, || evidence_count(dir.path()) == 2));
    assert_eq!(d.stop(), Some(0));
    let mut seen = services(&evidence(dir.path()));
    seen.sort();
    assert_eq!(seen, ["blocked-api", "ok-api"]);
    assert_no_temporaries(&dir.path().join("outbox"));
}

#[test]
fn once_says_internal_error_when_outputs_cannot_be_written() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("outbox")).unwrap();
    std::fs::write(dir.path().join("outbox/blocked-api"), "not a folder").unwrap();
    std::fs::create_dir_all(dir.path().join("inbox")).unwrap();
    std::fs::write(
        dir.path().join("inbox/blocked.yaml"),
        profile_yaml("blocked-api"),
    )
    .unwrap();
    let o = run_once(dir.path());
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(3), "{err}");
    assert!(err.contains("could not be recorded"), "{err}");
    assert!(err.contains("outbox/blocked-api"), "{err}");
    assert_eq!(evidence_count(dir.path()), 0);
    // Nothing was recorded, so the next pass tries again (and succeeds once the way is clear).
    std::fs::remove_file(dir.path().join("outbox/blocked-api")).unwrap();
    let o = run_once(dir.path());
    assert_eq!(o.status.code(), Some(0));
    assert!(dir.path().join("outbox/blocked-api/plan.json").exists());
    assert_eq!(evidence_count(dir.path()), 1);
}
