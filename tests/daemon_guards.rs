//! The daemon's guards around its own folders, as an operator meets them: an evidence log it
//! must not continue, a state folder that belongs to another inbox, and links planted in the
//! outbox. The real binary on temporary folders.

mod common;

use common::*;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(10);

fn stderr(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn write_inbox(root: &Path, name: &str, service: &str) {
    let p = root.join("inbox").join(name);
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
    write_inbox(dir.path(), "a.yaml", "a-api");
    assert_eq!(run_once(dir.path()).status.code(), Some(0));
    let log = dir.path().join("evidence/evidence.jsonl");
    let good = std::fs::read(&log).unwrap();
    let damaged = String::from_utf8(good.clone())
        .unwrap()
        .replacen("\"a-api\"", "\"z-api\"", 1);
    std::fs::write(&log, &damaged).unwrap();

    write_inbox(dir.path(), "b.yaml", "b-api");
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
    assert!(wait_until(WAIT, || evidence_count(dir.path()) == 1));
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
