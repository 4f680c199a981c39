//! Nothing lost, nothing done twice: bursts, files in brand-new folders, kill -9 and restarts,
//! a second daemon on the same state, and outputs that cannot be written.

use super::*;

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
