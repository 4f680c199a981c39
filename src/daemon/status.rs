//! The status file (`outbox/status.json`) and the `perfassist status` report built from it: what
//! was processed, what waits for its profile, what was rejected and why.

use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

use super::settings::Settings;
use super::state::{State, Status};

pub const STATUS_SCHEMA: &str = "perfassist.status/v1";
pub const FILE_NAME: &str = "status.json";

/// Counters for the current run of the daemon (and for `--once`'s exit code).
#[derive(Debug, Clone, Default)]
pub struct Counters {
    pub processed: u64,
    pub rejected: u64,
    pub slo_failed: u64,
    pub removed: u64,
    /// Inputs or batches that could not be recorded because outputs or evidence failed to write.
    pub failed: u64,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct Report {
    pub schema: String,
    pub updated: String,
    pub pid: u32,
    pub inbox: String,
    pub queue_depth: usize,
    pub processed_total: usize,
    pub this_run: RunCounts,
    pub services: Vec<ServiceStatus>,
    pub waiting: Vec<Item>,
    pub rejected: Vec<Item>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct RunCounts {
    pub processed: u64,
    pub rejected: u64,
    pub slo_failed: u64,
    pub removed: u64,
    /// Inputs (or whole batches) not recorded because an output or the evidence log could not
    /// be written; they are retried. Absent in status files of older versions.
    #[serde(default)]
    pub write_failures: u64,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct ServiceStatus {
    pub service: String,
    pub runs: usize,
    pub failing_runs: usize,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct Item {
    pub input: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

pub fn build(s: &Settings, state: &State, c: &Counters, queue_depth: usize) -> Report {
    let mut services: std::collections::BTreeMap<String, ServiceStatus> = Default::default();
    let mut waiting = Vec::new();
    let mut rejected = Vec::new();
    let mut processed_total = 0;
    for (k, e) in &state.inputs {
        match e.status {
            Status::Done => {
                processed_total += 1;
                if let Some(svc) = &e.service {
                    let entry = services.entry(svc.clone()).or_insert(ServiceStatus {
                        service: svc.clone(),
                        runs: 0,
                        failing_runs: 0,
                    });
                    if let Some(v) = &e.verdict {
                        entry.runs += 1;
                        if v == "fail" || v == "inconclusive" {
                            entry.failing_runs += 1;
                        }
                    }
                }
            }
            Status::Waiting => waiting.push(Item {
                input: k.clone(),
                service: e.service.clone(),
                reason: Some(format!(
                    "waiting for the profile of {}",
                    e.service.as_deref().unwrap_or("its service")
                )),
            }),
            Status::Rejected => rejected.push(Item {
                input: k.clone(),
                service: e.service.clone(),
                reason: e.error.clone(),
            }),
        }
    }
    Report {
        schema: STATUS_SCHEMA.into(),
        updated: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        pid: std::process::id(),
        inbox: s.inbox.display().to_string(),
        queue_depth,
        processed_total,
        this_run: RunCounts {
            processed: c.processed,
            rejected: c.rejected,
            slo_failed: c.slo_failed,
            removed: c.removed,
            write_failures: c.failed,
        },
        services: services.into_values().collect(),
        waiting,
        rejected,
    }
}

pub fn write(s: &Settings, state: &State, c: &Counters, queue_depth: usize) -> std::io::Result<()> {
    let r = build(s, state, c, queue_depth);
    // Through the outbox's guard: a status file planted as a link is refused, not written through.
    crate::confined::Confined::new(&s.outbox).write_atomic(
        &s.outbox.join(FILE_NAME),
        crate::render::json(&r).as_bytes(),
    )
}

/// One line for systemd's STATUS=.
pub fn one_line(state: &State, c: &Counters, queue_depth: usize) -> String {
    let waiting = state
        .inputs
        .values()
        .filter(|e| e.status == Status::Waiting)
        .count();
    let rejected = state
        .inputs
        .values()
        .filter(|e| e.status == Status::Rejected)
        .count();
    format!(
        "{} processed this run, {waiting} waiting, {rejected} rejected, queue {queue_depth}",
        c.processed
    )
}

/// Why `perfassist status` could not show the daemon's status.
#[derive(Debug, thiserror::Error)]
pub enum StatusFileError {
    #[error("{}: {source} (has the daemon run with this outbox?)", path.display())]
    Unreadable {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: not a status file: {source}", path.display())]
    NotStatus {
        path: PathBuf,
        source: serde_json::Error,
    },
}

/// Reads the outbox's status file: its text as written, and the report it holds (so a file
/// that is not a status file is refused whichever form the user asked for).
pub fn read(outbox: &Path) -> Result<(String, Report), StatusFileError> {
    let path = outbox.join(FILE_NAME);
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(source) => return Err(StatusFileError::Unreadable { path, source }),
    };
    match serde_json::from_str(&text) {
        Ok(report) => Ok((text, report)),
        Err(source) => Err(StatusFileError::NotStatus { path, source }),
    }
}

/// The status report for people.
pub fn render_text(r: &Report) -> String {
    let mut s = format!(
        "perfassist status (updated {}, pid {}, inbox {})\n  processed: {} inputs; queue: {}\n",
        r.updated, r.pid, r.inbox, r.processed_total, r.queue_depth
    );
    for svc in &r.services {
        s.push_str(&format!(
            "  service {}: {} run(s), {} failing\n",
            svc.service, svc.runs, svc.failing_runs
        ));
    }
    if r.this_run.write_failures > 0 {
        s.push_str(&format!(
            "  write failures this run: {} (outputs or evidence could not be written; see the daemon's log; retried)\n",
            r.this_run.write_failures
        ));
    }
    s.push_str(&format!("  waiting: {}\n", r.waiting.len()));
    for w in &r.waiting {
        s.push_str(&format!(
            "    {} ({})\n",
            w.input,
            w.reason.as_deref().unwrap_or("")
        ));
    }
    s.push_str(&format!("  rejected: {}\n", r.rejected.len()));
    for w in &r.rejected {
        s.push_str(&format!(
            "    {}: {}\n",
            w.input,
            w.reason.as_deref().unwrap_or("")
        ));
    }
    s
}
