//! What the daemon has processed, persisted so a restart redoes exactly what changed while it
//! was down, and for which inbox. Saved atomically; the evidence log is the journal between saves
//! (see `replay`).

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::error::DaemonError;

pub const STATE_VERSION: u32 = 1;
const FILE_NAME: &str = "perfassist-state.json";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    Profile,
    Results,
    /// A file read together with another one (Locust's history and failures CSVs).
    Companion,
    Rejected,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    Done,
    /// A results file whose service has no profile yet.
    Waiting,
    Rejected,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    pub sha256: String,
    pub kind: Kind,
    pub status: Status,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    /// For results: the run name used under `outbox/<service>/runs/`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run: Option<String>,
    /// For rejected inputs: the first error, for the status report.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// For judged results: the verdict.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verdict: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct State {
    pub version: u32,
    /// Sequence number of the last evidence record reflected in this state.
    pub evidence_seq: u64,
    /// The canonical path of the inbox this state describes: another inbox would see every one
    /// of its files as removed. Absent in state files written before it was recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inbox: Option<String>,
    /// Keyed by the path relative to the inbox, with `/` separators.
    pub inputs: BTreeMap<String, Entry>,
}

pub fn key(rel: &Path) -> String {
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/")
}

pub fn path(state_dir: &Path) -> PathBuf {
    state_dir.join(FILE_NAME)
}

impl State {
    /// Loads the saved state; a missing file is a fresh start. A damaged file is an error the
    /// operator must see (silently starting over would redo every input).
    pub fn load(state_dir: &Path) -> Result<State, DaemonError> {
        let p = path(state_dir);
        match std::fs::read(&p) {
            Ok(bytes) => {
                let s: State = serde_json::from_slice(&bytes).map_err(|e| {
                    DaemonError::fatal(format!(
                        "{}: damaged state file ({e}); move it aside to rebuild from the inbox",
                        p.display()
                    ))
                })?;
                if s.version != STATE_VERSION {
                    return Err(DaemonError::fatal(format!(
                        "{}: state version {} is not supported (expected {STATE_VERSION})",
                        p.display(),
                        s.version
                    )));
                }
                Ok(s)
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(State {
                version: STATE_VERSION,
                ..Default::default()
            }),
            Err(e) => Err(DaemonError::fatal(format!("{}: {e}", p.display()))),
        }
    }

    /// Ties this state to `inbox` (a canonical path), or says why it belongs to another inbox.
    /// A state from before inboxes were recorded is adopted by the first inbox it is used with.
    pub fn bind_inbox(&mut self, inbox: &Path, state_dir: &Path) -> Result<(), DaemonError> {
        let name = inbox.to_string_lossy().into_owned();
        match &self.inbox {
            Some(bound) if *bound != name => Err(DaemonError::BadSetting(format!(
                "the state folder {} belongs to the inbox {bound}, not {name}: give each inbox its own --state and --evidence; if the inbox itself moved, change \"inbox\" in {} to the new path",
                state_dir.display(),
                path(state_dir).display()
            ))),
            Some(_) => Ok(()),
            None => {
                self.inbox = Some(name);
                Ok(())
            }
        }
    }

    /// Saves the state. `durable` waits for the disk; without it the file is still replaced
    /// atomically, and anything a power loss takes back is replayed from the evidence log.
    pub fn save(&self, state_dir: &Path, durable: bool) -> std::io::Result<()> {
        let bytes = serde_json::to_vec(self).map_err(std::io::Error::other)?;
        if durable {
            crate::output::write_atomic(&path(state_dir), &bytes)
        } else {
            crate::output::replace_quickly(&path(state_dir), &bytes)
        }
    }
}

/// One input the evidence log says was handled, for replay after a crash.
#[derive(Debug, Clone, PartialEq)]
pub struct Recorded {
    pub seq: u64,
    pub input: String,
    pub sha256: String,
    pub outcome: String,
}

/// Reads evidence records newer than `after_seq` from the log files in `evidence_dir`, oldest
/// first. A crash between appending evidence and saving the state leaves exactly these, and
/// replaying them keeps a restart from recording the same input twice.
pub fn replay(evidence_dir: &Path, after_seq: u64) -> Vec<Recorded> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(evidence_dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
        .collect();
    files.sort();
    // Rotated files are named by their first sequence number (`evidence.000000000042.jsonl`), so
    // a file followed by one that starts at or before `after_seq + 1` holds nothing newer and
    // need not be read: start-up cost stays bounded however long the log grows.
    let first_seq = |p: &PathBuf| -> Option<u64> {
        p.file_stem()?
            .to_str()?
            .strip_prefix("evidence.")?
            .parse()
            .ok()
    };
    let starts: Vec<Option<u64>> = files.iter().map(first_seq).collect();
    let mut out = Vec::new();
    for (i, f) in files.iter().enumerate() {
        let next_start = starts.get(i + 1).copied().flatten();
        if starts[i].is_some() && next_start.is_some_and(|n| n <= after_seq + 1) {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(f) else {
            continue;
        };
        for line in text.lines() {
            let Ok(v) = serde_json::from_str::<serde_json::Value>(line) else {
                continue;
            };
            let seq = v["seq"].as_u64().unwrap_or(0);
            if seq <= after_seq {
                continue;
            }
            let outcome = v["outcome"].as_str().unwrap_or_default().to_string();
            if let Some(first) = v["inputs"].as_array().and_then(|a| a.first()) {
                out.push(Recorded {
                    seq,
                    input: first["path"].as_str().unwrap_or_default().to_string(),
                    sha256: first["sha256"].as_str().unwrap_or_default().to_string(),
                    outcome,
                });
            }
        }
    }
    out.sort_by_key(|r| r.seq);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(seq: u64, input: &str) -> String {
        format!(
            "{{\"seq\":{seq},\"outcome\":\"plan-generated\",\"inputs\":[{{\"path\":\"{input}\",\"sha256\":\"h{seq}\"}}]}}\n"
        )
    }

    #[test]
    fn replay_returns_records_after_the_checkpoint_across_rotated_files() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::write(
            d.join("evidence.000000000001.jsonl"),
            line(1, "a") + &line(2, "b"),
        )
        .unwrap();
        std::fs::write(
            d.join("evidence.000000000003.jsonl"),
            line(3, "c") + &line(4, "d"),
        )
        .unwrap();
        std::fs::write(d.join("evidence.jsonl"), line(5, "e")).unwrap();
        let seqs = |after| replay(d, after).iter().map(|r| r.seq).collect::<Vec<_>>();
        assert_eq!(seqs(0), [1, 2, 3, 4, 5]);
        assert_eq!(seqs(2), [3, 4, 5]);
        assert_eq!(seqs(3), [4, 5]);
        assert_eq!(seqs(5), Vec::<u64>::new());
        assert_eq!(replay(d, 3)[0].input, "d");
    }
}
