//! The inputs being processed right now, written down before the work starts, so that an input
//! that kills the process (an abort, a stack overflow, the OOM killer) is known after the
//! restart and set aside instead of killing every restart after it.
//!
//! The note is a small file in the state folder, rewritten in place before each batch and
//! emptied after it. It is not synced: it guards against the process dying, and a process that
//! dies leaves its writes in the page cache; after a power loss there is nothing to blame.
//!
//! Before a batch the note lists each input's path, size and modification time, and whether other
//! cores prepare it; the engine then appends each input's path as it starts on it, re-judged runs
//! included. After a restart the last input started is the suspect (every input of the batch when
//! other cores were preparing), retried alone and noted as a retry; a retry that dies too is set
//! aside unless the file's size or modification time has changed since.

use std::io::Write;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

const FILE: &str = "inflight.jsonl";

/// One input as it was when its processing started: a changed file is not the one that crashed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Suspect {
    pub key: String,
    pub size: u64,
    pub mtime_ns: i128,
}

impl Suspect {
    /// The input at `path` (relative key `key`) as it is now; `None` when it cannot be read.
    pub fn of(key: &str, path: &Path) -> Option<Suspect> {
        let m = std::fs::metadata(path).ok()?;
        Some(Suspect {
            key: key.to_string(),
            size: m.len(),
            mtime_ns: i128::from(m.mtime()) * 1_000_000_000 + i128::from(m.mtime_nsec()),
        })
    }

    /// Whether the file at `path` still has the size and time it had when it was noted.
    pub fn unchanged(&self, path: &Path) -> bool {
        Suspect::of(&self.key, path).as_ref() == Some(self)
    }
}

/// One line of the note.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Line {
    /// An input of the batch about to be processed.
    Batch(Suspect),
    /// Other threads prepare some of the batch's inputs at the same time.
    Workers(bool),
    /// The batch is a second attempt at an input that was in progress when a process died.
    Retry(bool),
    /// The engine starts on this input now (inputs are handled one at a time on its thread).
    Now(String),
}

/// What the note left by a process that died says about the input that killed it. A process
/// can die for reasons of its own (the OOM killer, `kill -9`), so an input is set aside only
/// when it was in progress at two deaths in a row: once in a batch, once alone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Blame {
    Nobody,
    /// One of these was in progress: each is tried again alone, noted as a retry.
    Retry(Vec<Suspect>),
    /// This input was in progress when a retry of it died too: it is set aside. `noted` is the
    /// input as it was then; an input re-judged because its profile changed was not in the
    /// batch, and is blamed as it is now.
    Culprit {
        key: String,
        noted: Option<Suspect>,
    },
}

pub struct Inflight {
    path: PathBuf,
    file: Option<std::fs::File>,
    /// Whether the note holds anything (an empty note is not rewritten).
    noted: bool,
}

impl Inflight {
    /// Opens the note in `state_dir` and reads what a previous process left in it. Unreadable
    /// lines are skipped (a write cut short by the death).
    pub fn open(state_dir: &Path) -> (Inflight, Blame) {
        let path = state_dir.join(FILE);
        let lines: Vec<Line> = std::fs::read_to_string(&path)
            .map(|text| {
                text.lines()
                    .filter_map(|l| serde_json::from_str::<Line>(l).ok())
                    .collect()
            })
            .unwrap_or_default();
        let blame = blame(lines);
        let noted = true;
        (
            Inflight {
                path,
                file: None,
                noted,
            },
            blame,
        )
    }

    /// Notes the batch about to be processed, replacing the previous note. A failure to write is
    /// logged and the work goes on: the note is a safety net, not a precondition.
    pub fn begin(&mut self, batch: &[Suspect], workers: bool, retry: bool) {
        let mut text = Vec::new();
        let lines = batch
            .iter()
            .cloned()
            .map(Line::Batch)
            .chain(workers.then_some(Line::Workers(true)))
            .chain(retry.then_some(Line::Retry(true)));
        for line in lines {
            if let Ok(bytes) = serde_json::to_vec(&line) {
                text.extend_from_slice(&bytes);
                text.push(b'\n');
            }
        }
        let opened = std::fs::OpenOptions::new()
            .create(true)
            .truncate(true)
            .write(true)
            .open(&self.path)
            .and_then(|mut f| f.write_all(&text).map(|()| f));
        match opened {
            Ok(f) => self.file = Some(f),
            Err(e) => {
                self.file = None;
                tracing::warn!(file = %self.path.display(), error = %e, "cannot note the inputs being processed");
            }
        }
        self.noted = true;
    }

    /// Notes that the engine starts on `key` now.
    pub fn now(&mut self, key: &str) {
        if let Some(f) = &mut self.file
            && let Ok(mut line) = serde_json::to_vec(&Line::Now(key.to_string()))
        {
            line.push(b'\n');
            let _ = f.write_all(&line);
        }
    }

    /// Empties the note once the batch is processed.
    pub fn clear(&mut self) {
        if self.noted {
            self.begin(&[], false, false);
            self.file = None;
            self.noted = false;
        }
    }
}

fn blame(lines: Vec<Line>) -> Blame {
    let mut batch: Vec<Suspect> = Vec::new();
    let mut workers = false;
    let mut retry = false;
    let mut last_now = None;
    for line in lines {
        match line {
            Line::Batch(s) => batch.push(s),
            Line::Workers(w) => workers |= w,
            Line::Retry(r) => retry |= r,
            Line::Now(k) => last_now = Some(k),
        }
    }
    let noted = |key: &str| batch.iter().find(|s| s.key == key).cloned();
    if retry {
        // A retry holds one input, plus the runs its profile re-judges: the last one started
        // is the one that died again.
        return match last_now.or_else(|| batch.first().map(|s| s.key.clone())) {
            Some(key) => Blame::Culprit {
                noted: noted(&key),
                key,
            },
            None => Blame::Nobody,
        };
    }
    match last_now {
        // Alone on the engine's thread: the input in progress is the one to try again.
        Some(key) if !workers => Blame::Retry(vec![noted(&key).unwrap_or(Suspect {
            key,
            size: 0,
            mtime_ns: 0,
        })]),
        // Other threads were working on the batch too: any input of it may have done it.
        _ if batch.is_empty() => Blame::Nobody,
        _ => Blame::Retry(batch),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_input_is_blamed_after_two_deaths_the_second_alone() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a.yaml");
        let b = dir.path().join("b.yaml");
        std::fs::write(&a, "x").unwrap();
        std::fs::write(&b, "y").unwrap();
        let sa = Suspect::of("a.yaml", &a).unwrap();
        let sb = Suspect::of("b.yaml", &b).unwrap();
        let (mut note, blame) = Inflight::open(dir.path());
        assert_eq!(blame, Blame::Nobody);

        // Alone on the engine's thread: the input in progress is tried again.
        note.begin(&[sa.clone(), sb.clone()], false, false);
        note.now("a.yaml");
        note.now("b.yaml");
        drop(note);
        let (mut note, blame) = Inflight::open(dir.path());
        assert_eq!(blame, Blame::Retry(vec![sb.clone()]));

        // With workers beside the engine, every input of the batch is.
        note.begin(&[sa.clone(), sb.clone()], true, false);
        note.now("a.yaml");
        drop(note);
        let (mut note, blame) = Inflight::open(dir.path());
        assert_eq!(blame, Blame::Retry(vec![sa.clone(), sb.clone()]));

        // A retry that dies too names its input.
        note.begin(std::slice::from_ref(&sb), false, true);
        note.now("b.yaml");
        drop(note);
        let (mut note, blame) = Inflight::open(dir.path());
        assert_eq!(
            blame,
            Blame::Culprit {
                key: "b.yaml".into(),
                noted: Some(sb.clone())
            }
        );

        // A run its profile re-judged during the retry is blamed as it is now.
        note.begin(std::slice::from_ref(&sa), false, true);
        note.now("a.yaml");
        note.now("svc/run.jtl");
        drop(note);
        let (mut note, blame) = Inflight::open(dir.path());
        assert_eq!(
            blame,
            Blame::Culprit {
                key: "svc/run.jtl".into(),
                noted: None
            }
        );

        // A cleared note blames nobody.
        note.begin(std::slice::from_ref(&sa), false, false);
        note.clear();
        assert_eq!(Inflight::open(dir.path()).1, Blame::Nobody);

        assert!(sa.unchanged(&a));
        std::fs::write(&a, "changed").unwrap();
        assert!(!sa.unchanged(&a));
    }
}
