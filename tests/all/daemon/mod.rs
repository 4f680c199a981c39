//! The daemon as an operator runs it: the real binary on temporary folders, files dropped the
//! ways writers really write them, signals, restarts and bad input. Split by what is tested:
//! `inputs` (what a drop produces), `durability` (bursts, crashes, restarts), `operation`
//! (modes, signals, settings, systemd).

mod durability;
mod inputs;
mod operation;

use crate::common::*;
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
