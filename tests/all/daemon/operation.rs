//! Running the daemon: poll mode, signals, `--once` exit codes, settings from the environment and
//! the config file, evidence rotation and systemd readiness and watchdog.

use super::*;

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
