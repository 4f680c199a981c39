//! The daemon's guards around its own folders, as an operator meets them: an evidence log it
//! must not continue, a state folder that belongs to another inbox, and links planted in the
//! outbox. The real binary on temporary folders.

use crate::common;

use common::*;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(10);

fn stderr(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Writes `service`'s profile at `rel` below `root`.
fn write_profile(root: &Path, rel: &str, service: &str) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, profile_yaml(service)).unwrap();
}

fn verify(root: &Path) -> std::process::Output {
    Command::new(BIN)
        .args(["evidence", "verify", "evidence"])
        .current_dir(root)
        .output()
        .unwrap()
}

#[test]
fn once_stops_at_a_damaged_evidence_log_and_records_the_input_after_the_repair() {
    let dir = tempfile::tempdir().unwrap();
    write_profile(dir.path(), "inbox/a.yaml", "a-api");
    assert_eq!(run_once(dir.path()).status.code(), Some(0));
    let log = dir.path().join("evidence/evidence.jsonl");
    let good = std::fs::read(&log).unwrap();
    let damaged = String::from_utf8(good.clone())
        .unwrap()
        .replacen("\"a-api\"", "\"z-api\"", 1);
    std::fs::write(&log, &damaged).unwrap();

    write_profile(dir.path(), "inbox/b.yaml", "b-api");
    let o = run_once(dir.path());
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(3), "{err}");
    assert!(
        err.contains(
            "evidence/evidence.jsonl:1: the last record is not valid (hash does not match"
        ),
        "{err}"
    );
    assert_eq!(
        std::fs::read_to_string(&log).unwrap(),
        damaged,
        "nothing appended"
    );

    // Repaired, the next pass records the input the refused one left out.
    std::fs::write(&log, &good).unwrap();
    let o = run_once(dir.path());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let services: Vec<String> = evidence(dir.path())
        .iter()
        .map(|e| e["service"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(services, ["a-api", "b-api"]);
    assert_eq!(verify(dir.path()).status.code(), Some(0));
}

#[test]
fn a_running_daemon_stops_when_its_evidence_log_is_damaged_under_it() {
    let dir = tempfile::tempdir().unwrap();
    let mut d = Daemon::start(dir.path(), &[]);
    drop_file(&d.inbox(), "a.yaml", profile_yaml("a-api").as_bytes());
    // The head note names the record once the writer is done with it.
    let head = dir.path().join("evidence/evidence.head.json");
    assert!(wait_until(WAIT, || {
        serde_json::from_slice::<serde_json::Value>(&std::fs::read(&head).unwrap_or_default())
            .is_ok_and(|h| h["seq"] == 1 && h.get("writing").is_none())
    }));
    let log = dir.path().join("evidence/evidence.jsonl");
    let mut text = std::fs::read_to_string(&log).unwrap();
    text.push_str("{\"service\":\"added by hand\"}\n");
    std::fs::write(&log, &text).unwrap();

    drop_file(&d.inbox(), "b.yaml", profile_yaml("b-api").as_bytes());
    let mut code = None;
    assert!(
        wait_until(WAIT, || {
            code = d.child.try_wait().unwrap().map(|s| s.code());
            code.is_some()
        }),
        "the daemon kept running on a log it cannot continue"
    );
    assert_eq!(code, Some(Some(3)));
    let daemon_log =
        std::fs::read_to_string(format!("{}.daemon.log", dir.path().display())).unwrap_or_default();
    assert!(
        daemon_log.contains("evidence.jsonl:2: the last record is not valid")
            && daemon_log.contains("Stopping: nothing can be recorded until the log is repaired"),
        "{daemon_log}"
    );
    assert_eq!(std::fs::read_to_string(&log).unwrap(), text);
}

fn once_with(root: &Path, args: &[&str]) -> std::process::Output {
    Command::new(BIN)
        .args(["watch", "--once"])
        .args(args)
        .current_dir(root)
        .output()
        .unwrap()
}

#[test]
fn a_state_folder_serves_only_the_inbox_it_was_made_for() {
    let dir = tempfile::tempdir().unwrap();
    write_profile(dir.path(), "in-a/a.yaml", "a-api");
    write_profile(dir.path(), "in-b/b.yaml", "b-api");
    let o = once_with(dir.path(), &["--inbox", "in-a"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let state: serde_json::Value = serde_json::from_slice(
        &std::fs::read(dir.path().join("state/perfassist-state.json")).unwrap(),
    )
    .unwrap();
    let canon_a = std::fs::canonicalize(dir.path().join("in-a")).unwrap();
    assert_eq!(state["inbox"], canon_a.display().to_string());

    // Another inbox on the same (default) state: refused before anything is read or written.
    let before = std::fs::read(dir.path().join("evidence/evidence.jsonl")).unwrap();
    let o = once_with(dir.path(), &["--inbox", "in-b"]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains(&format!("belongs to the inbox {}", canon_a.display()))
            && err.contains("give each inbox its own --state and --evidence"),
        "{err}"
    );
    assert_eq!(
        std::fs::read(dir.path().join("evidence/evidence.jsonl")).unwrap(),
        before,
        "in-a's files must not appear as removed"
    );
    assert!(!dir.path().join("outbox/b-api").exists());

    // The same inbox spelled differently is the same inbox.
    let o = once_with(dir.path(), &["--inbox", "./in-a/"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    // An explicit state (and evidence) folder per inbox works as before.
    let o = once_with(
        dir.path(),
        &[
            "--inbox",
            "in-b",
            "--state",
            "state-b",
            "--evidence",
            "evidence-b",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let outcomes: Vec<(String, String)> = evidence(dir.path())
        .iter()
        .map(|e| {
            (
                e["outcome"].as_str().unwrap().to_string(),
                e["service"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        outcomes,
        [("plan-generated".to_string(), "a-api".to_string())]
    );
    let b_log = std::fs::read_to_string(dir.path().join("evidence-b/evidence.jsonl")).unwrap();
    assert!(
        b_log.contains("b-api") && !b_log.contains("a-api"),
        "{b_log}"
    );
}

#[test]
fn a_state_from_before_inboxes_were_recorded_is_adopted() {
    let dir = tempfile::tempdir().unwrap();
    write_profile(dir.path(), "inbox/a.yaml", "a-api");
    assert_eq!(run_once(dir.path()).status.code(), Some(0));
    let file = dir.path().join("state/perfassist-state.json");
    let mut state: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    state.as_object_mut().unwrap().remove("inbox");
    std::fs::write(&file, state.to_string()).unwrap();
    let o = run_once(dir.path());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let state: serde_json::Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    let canon = std::fs::canonicalize(dir.path().join("inbox")).unwrap();
    assert_eq!(state["inbox"], canon.display().to_string());
    assert_eq!(evidence(dir.path()).len(), 1, "nothing redone");
}

#[test]
fn links_planted_in_the_outbox_are_refused_by_name_and_never_written_through() {
    let dir = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    let outbox = dir.path().join("outbox");
    std::fs::create_dir_all(outbox.join("file-api")).unwrap();
    // `outbox/<service>` pointing elsewhere, and an output file that is a link.
    std::os::unix::fs::symlink(outside.path(), outbox.join("dir-api")).unwrap();
    let victim = outside.path().join("victim.json");
    std::fs::write(&victim, "keep").unwrap();
    std::os::unix::fs::symlink(&victim, outbox.join("file-api/plan.json")).unwrap();
    write_profile(dir.path(), "inbox/dir.yaml", "dir-api");
    write_profile(dir.path(), "inbox/file.yaml", "file-api");
    write_profile(dir.path(), "inbox/ok.yaml", "ok-api");

    let o = run_once(dir.path());
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(3), "{err}");
    assert!(err.contains("outbox/dir-api is a symbolic link"), "{err}");
    assert!(
        err.contains("outbox/file-api/plan.json is a symbolic link"),
        "{err}"
    );
    assert!(err.contains("2 input(s) could not be recorded"), "{err}");
    let names: Vec<_> = std::fs::read_dir(outside.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["victim.json"], "nothing written outside the outbox");
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep");
    // The other input is recorded; the refused ones are not, so they are retried.
    let services: Vec<String> = evidence(dir.path())
        .iter()
        .map(|e| e["service"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(services, ["ok-api"]);
    assert!(outbox.join("ok-api/plan.json").is_file());

    // Once the operator removes the links, the next pass records both.
    std::fs::remove_file(outbox.join("dir-api")).unwrap();
    std::fs::remove_file(outbox.join("file-api/plan.json")).unwrap();
    let o = run_once(dir.path());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(outbox.join("dir-api/plan.json").is_file());
    assert_eq!(evidence(dir.path()).len(), 3);
}
